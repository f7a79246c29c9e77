"""Analysis speed: a 60 s song plus 2 minutes of 1080p30 footage, cold and from the cache.

Each run happens in a fresh child process (so model loading counts, as it does for a user), with
an empty workspace for the cold run and the same workspace for the cached one.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

_CHILD = """
import sys, time
from pathlib import Path
t0 = time.monotonic()
from agent.config import Settings
from agent.media.analyze import analyze
music, workspace, *clips = sys.argv[1:]
a = analyze(music, clips, Settings(workspace=Path(workspace)))
print(time.monotonic() - t0, len(a.music.beats), sum(len(c.shots) for c in a.clips))
"""

_SOURCES = (
    "testsrc2=size=1920x1080:rate=30",
    "mandelbrot=size=1920x1080:rate=30:end_scale=0.3",
    "life=size=480x270:rate=30:mold=10:ratio=0.5:life_color=#f0c040:death_color=#2040a0,"
    "scale=1920:1080:flags=neighbor",
    "gradients=size=1920x1080:rate=30:speed=0.03",
)


def _make_media(folder: Path) -> tuple[Path, list[Path]]:
    from agent.media.synth import synth_drum_track

    folder.mkdir(parents=True, exist_ok=True)
    music = folder / "song_60s.wav"
    if not music.exists():
        synth_drum_track(music, 124.0, 60.0, drop_at=20.0, seed=2)
    clips = []
    for n, source in enumerate(_SOURCES):
        path = folder / f"footage{n}.mp4"
        if not path.exists():
            # 30 s each, a hard cut every 10 s (hue jumps), default GOP like camera footage.
            subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", source, "-t", "30",
                            "-vf", "hue=h='120*floor(t/10)',format=yuv420p", "-c:v", "libx264",
                            "-preset", "veryfast", "-crf", "23", str(path)], check=True)
        clips.append(path)
    return music, clips


def _timed(music: Path, clips: list[Path], workspace: Path) -> dict:
    started = time.monotonic()
    proc = subprocess.run([sys.executable, "-c", _CHILD, str(music), str(workspace), *map(str, clips)],
                          capture_output=True, text=True, check=True)
    inner, beats, shots = proc.stdout.split()
    return {"wall_s": round(time.monotonic() - started, 2), "in_process_s": round(float(inner), 2),
            "beats": int(beats), "shots": int(shots)}


def run(out_dir: Path) -> dict:
    import shutil

    out_dir = Path(out_dir)
    music, clips = _make_media(out_dir / "media")
    workspace = out_dir / "workspace"
    shutil.rmtree(workspace, ignore_errors=True)
    cold = _timed(music, clips, workspace)
    cached = _timed(music, clips, workspace)
    result = {"music_s": 60.0, "footage_s": 120.0, "footage": "4 x 30 s 1920x1080 30 fps H.264", "cold": cold,
              "cached": cached, "targets": {"cold_s": 20.0, "cached_s": 1.0}}
    (out_dir / "analysis.json").write_text(json.dumps(result, indent=2))
    _plot(result, out_dir / "analysis.png")
    print(f"cold analysis: {cold['wall_s']:.2f} s wall ({cold['in_process_s']:.2f} s in process), "
          f"{cold['beats']} beats, {cold['shots']} shots")
    print(f"cached re-run: {cached['wall_s']:.2f} s wall ({cached['in_process_s']:.2f} s in process)")
    return result


def _plot(result: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 3))
    ax.bar(["cold", "cached"], [result["cold"]["wall_s"], result["cached"]["wall_s"]], color=["C0", "C2"])
    ax.axhline(20, color="C0", ls="--", lw=0.8)
    ax.axhline(1, color="C2", ls="--", lw=0.8)
    ax.set_ylabel("seconds (60 s song + 2 min 1080p)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
