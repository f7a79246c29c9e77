"""Does the agent loop help? 10 requests on the demo media, each run through the graph with a
threshold no reel reaches (so reflection always gets its chance) and up to 3 preview rounds:
the critic total of the first preview against the best one, what reflection changed, and why the
loop stopped, per request. Writes agent_loop.json and agent_loop.png.

    reelwright eval agent_loop -o out/eval-agent_loop
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

PROMPTS = (
    "8 s phonk edit, hard cuts on every beat, flash and shake on the drops, 9:16",
    "10 s travel video, crossfades, cuts on downbeats, warm look",
    "8 s amv edit, cuts on every beat, glitch transitions, flash on every downbeat, 16:9",
    "12 s calm video, slow cuts, fades, 1:1",
    "8 s hype reel, zoom punch on every beat, wipes, 9:16",
    "10 s cinematic edit, every 2 bars, teal and orange look, 16:9",
    "8 s sport edit, cuts every 2 beats, flash on every beat, 4:5",
    "10 s vlog, cuts on downbeats, circle transitions, 9:16",
    "8 s montage, every beat, pixelize transitions, black and white, 1:1",
    "12 s lofi edit, every 2 beats, fade to black, vintage look, 16:9",
)


def run(out_dir: Path, *, prompts: tuple[str, ...] = PROMPTS, iterations: int = 3, log=print) -> dict | None:
    from agent.atomic import write_json
    from agent.demo import make_demo_media
    from agent.graph.graph import run_task

    out_dir = Path(out_dir)
    media = make_demo_media(out_dir / "media")
    rows = []
    for n, prompt in enumerate(prompts):
        folder = out_dir / f"task{n:02d}"
        started = time.monotonic()
        final = run_task({"request": prompt, "music": str(media.music), "clips": [str(c) for c in media.clips],
                          "output": str(folder / "reel.mp4"), "workspace": str(out_dir / "workspace"),
                          "preview_only": True, "threshold": 1.01, "max_iterations": iterations},
                         thread=f"loop-{n}", db=out_dir / "checkpoints.sqlite")
        its = final["iterations"]
        rows.append({"request": prompt, "first": its[0]["total"], "best": its[final["best"]]["total"],
                     "iterations": len(its), "changes": [c for it in its for c in it["changes"]],
                     "first_problems": its[0]["problems"], "stop_reason": final["stop_reason"],
                     "seconds": round(time.monotonic() - started, 1)})
        r = rows[-1]
        log(f"{r['first']:.3f} -> {r['best']:.3f}  {r['iterations']} round(s)  {prompt}\n"
            + "".join(f"      changed: {c}\n" for c in r["changes"]) + f"      stopped: {r['stop_reason']}")
    first, best = np.array([r["first"] for r in rows]), np.array([r["best"] for r in rows])
    report = {"mean_first": round(float(first.mean()), 4), "mean_best": round(float(best.mean()), 4),
              "improved": int((best > first).sum()), "reflected": sum(bool(r["changes"]) for r in rows), "rows": rows}
    write_json(out_dir / "agent_loop.json", report)
    _plot(rows, out_dir / "agent_loop.png")
    log(f"mean critic total: first preview {report['mean_first']:.4f}, after reflection {report['mean_best']:.4f}; "
        f"reflection changed {report['reflected']} of {len(rows)} plans, {report['improved']} improved")
    return report if report["mean_best"] >= report["mean_first"] else None


def _plot(rows: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(10, 4))
    x = np.arange(len(rows))
    ax.bar(x - 0.2, [r["first"] for r in rows], 0.4, label="first preview")
    ax.bar(x + 0.2, [r["best"] for r in rows], 0.4, label="after reflection (best)")
    ax.set_ylim(min(0.8, min(r["first"] for r in rows) - 0.02), 1.0)
    ax.set_xticks(x, [r["request"][:22] for r in rows], rotation=35, ha="right", fontsize=7)
    ax.set_title("critic total per request")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
