"""Beat sync as a viewer sees it: cuts detected in the *rendered* video vs the music's true beats.

For unseen synthetic music with known beats (steady, tempo drift, swing, half-time feel, fast
drum and bass) and each rhythm a person can ask for, edit the demo clips, render a preview,
detect the hard cuts in the file with our shot detector, and measure:
- share of detected cuts within ±1 frame of a true beat,
- share of the rhythm's true beats that got a cut (every beat means every beat),
- median cut interval in true beats (1, 2 or 4),
- agreement of the detected cuts with timeline.json (±1 frame).
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

import numpy as np

TRACKS = {  # name: synth_drum_track keyword arguments
    "steady_128": {"bpm": 128.0},
    "drift_110_126": {"bpm": 110.0, "drift": 0.145},
    "swing_96": {"bpm": 96.0, "swing": 0.62},
    "halftime_140": {"bpm": 140.0, "half_time": True},
    "dnb_172": {"bpm": 172.0},
}
RHYTHMS = {"every beat": 1, "every 2 beats": 2, "once per bar": 4}


def _measure(name: str, kwargs: dict, rhythm: str, step: int, media, folder: Path, settings) -> dict:
    from agent.edit import run_edit
    from agent.media.analyze import analyze_clip
    from agent.media.synth import synth_drum_track

    music = folder / f"{name}.wav"
    if not music.exists():
        truth = synth_drum_track(music, seconds=40.0, seed=3, **kwargs)
        (folder / f"{name}.beats.json").write_text(json.dumps(truth))
    truth = json.loads((folder / f"{name}.beats.json").read_text())
    prompt = f"12 s edit, 16:9, hard cuts {rhythm}, no effects"
    out = folder / f"{name}-{step}" / "reel.mp4"
    outcome = run_edit(music, media.clips, prompt, out, settings=settings, preview=True)
    tl = outcome.compiled.timeline
    fps = float(tl.fps)
    frame = 1.0 / fps
    start = outcome.compiled.music_start
    duration = tl.duration
    all_beats = np.array([t - start for t, _ in truth])
    inside = (all_beats > 0.2) & (all_beats < duration - 0.2)
    beats = all_beats[inside]
    positions = np.array([p for _, p in truth])[inside]
    # The rhythm's beats: all, every other one (1 and 3), or downbeats.
    wanted = beats if step == 1 else beats[(positions - 1) % step == 0]

    detected_clip = analyze_clip(out, settings)
    detected = np.array([t.start for t in detected_clip.transitions if t.kind == "hard"])
    timeline_cuts = np.array(tl.cut_frames()) / fps

    def within(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        if not len(a):
            return np.array([], bool)
        if not len(b):
            return np.zeros(len(a), bool)
        return np.min(np.abs(a[:, None] - b[None, :]), axis=1) <= frame + 1e-3

    on_beat = within(detected, all_beats)
    covered = within(wanted, detected)
    intervals = np.diff(detected) / np.median(np.diff(beats)) if len(detected) > 1 else np.array([0.0])
    return {
        "track": name, "rhythm": rhythm, "cuts_in_video": int(len(detected)), "cuts_in_timeline": int(len(timeline_cuts)),
        "on_true_beat": float(on_beat.mean()) if len(on_beat) else 0.0,
        "rhythm_beats_cut": float(covered.mean()) if len(covered) else 0.0,
        "median_interval_beats": float(np.median(intervals)),
        "video_matches_timeline": float(within(timeline_cuts, detected).mean()) if len(timeline_cuts) else 0.0,
        "max_offset_ms": float(np.max(np.min(np.abs(detected[:, None] - all_beats[None, :]), axis=1)) * 1000)
        if len(detected) else None,
        "tempo_estimated": round(outcome.report["music"]["tempo_bpm"], 2),
        "off_beat_cuts": [round(float(t), 3) for t in detected[~on_beat]],
        "extra_cuts": [round(float(t), 3) for t in detected[~within(detected, timeline_cuts)]],
    }


def run(out_dir: Path, *, tracks: tuple[str, ...] | None = None, rhythms: tuple[str, ...] | None = None) -> dict:
    from agent.config import Settings
    from agent.demo import make_demo_media

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    settings = Settings(workspace=out_dir / "workspace")
    media = make_demo_media(out_dir / "media")
    rows = []
    started = time.monotonic()
    with tempfile.TemporaryDirectory(dir=out_dir) as tmp:
        for name in tracks or tuple(TRACKS):
            for rhythm in rhythms or tuple(RHYTHMS):
                rows.append(_measure(name, TRACKS[name], rhythm, RHYTHMS[rhythm], media, Path(tmp), settings))
    detected = sum(r["cuts_in_video"] for r in rows)
    summary = {
        "on_true_beat": sum(r["on_true_beat"] * r["cuts_in_video"] for r in rows) / max(1, detected),
        "min_rhythm_beats_cut": min(r["rhythm_beats_cut"] for r in rows),
        "min_video_matches_timeline": min(r["video_matches_timeline"] for r in rows),
        "seconds": round(time.monotonic() - started, 1),
    }
    result = {"rows": rows, "summary": summary}
    (out_dir / "sync.json").write_text(json.dumps(result, indent=2))
    _plot(rows, out_dir / "sync.png")
    print(f"{'track':16} {'rhythm':14} {'cuts':>5} {'on beat':>8} {'beats cut':>10} {'interval':>9} {'=timeline':>10}")
    for r in rows:
        print(f"{r['track']:16} {r['rhythm']:14} {r['cuts_in_video']:5d} {r['on_true_beat']:8.1%} "
              f"{r['rhythm_beats_cut']:10.1%} {r['median_interval_beats']:9.2f} {r['video_matches_timeline']:10.1%}")
    print(f"overall: {summary['on_true_beat']:.1%} of detected cuts within ±1 frame of a true beat")
    return result


def _plot(rows: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = [f"{r['track']}\n{r['rhythm']}" for r in rows]
    x = np.arange(len(rows))
    fig, ax = plt.subplots(figsize=(max(8, len(rows) * 0.7), 4))
    ax.bar(x - 0.2, [r["on_true_beat"] for r in rows], 0.4, label="cuts within ±1 frame of a true beat")
    ax.bar(x + 0.2, [r["rhythm_beats_cut"] for r in rows], 0.4, label="rhythm beats that got a cut")
    ax.axhline(0.95, color="k", lw=0.8, ls="--")
    ax.set_xticks(x, labels, rotation=70, fontsize=7)
    ax.set_ylim(0, 1.05)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
