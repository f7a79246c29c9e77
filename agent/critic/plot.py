"""The scorecard as a picture: the reel's detected cuts against the beat grid, and the scores."""

from __future__ import annotations

import io
import textwrap
from pathlib import Path

from agent.atomic import write_bytes
from agent.critic.scorecard import Scorecard


def write_png(card: Scorecard, path: str | Path, duration: float) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path = Path(path)
    sync = card.scores.get("beat_sync")
    visual = card.scores.get("visual")
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(11, 6), gridspec_kw={"height_ratios": [1, 1.4]})
    if sync is not None:
        frame_ms = sync.evidence["frame_ms"]
        for beat in sync.evidence["beats"]:
            top.axvline(beat, color="#bbbbbb", lw=0.8, zorder=1)
        for t, off in zip(sync.evidence["cut_times"], sync.evidence["offsets_ms"]):
            top.axvline(t, color="#2a9d4b" if abs(off) <= frame_ms + 0.5 else "#d62828", lw=2, zorder=2,
                        ymin=0.15, ymax=0.85)
        top.set_title(textwrap.fill(f"cuts found in the video (green: within one frame of a beat; red: off) against "
                                    f"the beats (grey); {sync.evidence['beats_from']}", 120), fontsize=9)
    else:
        top.set_title("no beat grid (no beats or no cuts)", fontsize=9)
    if visual is not None:
        for a, b in visual.evidence.get("black_spans", []):
            top.axvspan(a, b, color="black", alpha=0.5)
        for a, b in visual.evidence.get("frozen_spans", []):
            top.axvspan(a, b, color="#4a6fa5", alpha=0.4)
    top.set_xlim(0, duration)
    top.set_yticks([])
    top.set_xlabel("seconds")
    names = list(card.scores)
    values = [card.scores[n].value for n in names]
    colours = ["#2a9d4b" if v >= 0.9 else "#e9a23b" if v >= 0.6 else "#d62828" for v in values]
    bottom.barh(names, values, color=colours)
    for k, name in enumerate(names):
        weight = card.weights.get(name, 0.0)
        bottom.text(values[k] + 0.01, k, f"{values[k]:.2f}  (weight {weight:g})", va="center", fontsize=8)
    bottom.set_xlim(0, 1.25)
    bottom.invert_yaxis()
    bottom.set_title(f"total {card.total:.3f} ({card.style} weights; validity caps the total)", fontsize=10)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, dpi=100, format="png")
    plt.close(fig)
    return write_bytes(path, buffer.getvalue())
