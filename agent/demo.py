"""Example media the project makes itself: a drum track at a known tempo and distinct clips.

Everything is generated (ffmpeg's lavfi sources + our own numpy drums), so `make demo` needs no
downloads and ships no third-party media.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from agent.errors import ReelwrightError

DEMO_PROMPT = "15 s phonk edit, cuts on every beat, flash and shake on the drops, effect showcase, 9:16"
DEMO_BPM = 128.0

# (name, lavfi graph). Each looks different and moves differently; "two_shots" holds a hard cut
# so shot detection has something to find. The random sources (life, cellauto) are seeded, so the
# clips are the same file on every machine and every run (evaluations compare across runs).
_CLIPS: tuple[tuple[str, str, float], ...] = (
    ("city_grid", "testsrc2=size=1280x720:rate=30,hue=h=40", 9.0),
    ("fractal", "mandelbrot=size=1280x720:rate=30:start_scale=3:end_scale=0.2,format=yuv420p", 9.0),
    ("cells", "life=size=320x180:rate=30:mold=10:ratio=0.5:seed=1:death_color=#102040:life_color=#f0c040,"
              "scale=1280:720:flags=neighbor,format=yuv420p", 9.0),
    ("gradient", "gradients=size=1280x720:rate=30:speed=0.02:c0=#ff4060:c1=#4060ff:seed=7,format=yuv420p", 9.0),
    ("two_shots", "smptehdbars=size=1280x720:rate=30,hue=H=t:s=1.2[a];"
                  "cellauto=size=320x180:rate=30:rule=110:seed=1,scale=1280:720:flags=neighbor,"
                  "negate,format=yuv420p[b];[a]trim=duration=4[a2];[b]trim=duration=5,setpts=PTS-STARTPTS[b2];"
                  "[a2][b2]concat=n=2:v=1:a=0", 9.0),
)


@dataclass(frozen=True)
class DemoMedia:
    music: Path
    clips: list[Path]
    bpm: float
    prompt: str


def _make_clip(path: Path, graph: str, seconds: float) -> None:
    if "[" in graph:
        args = ["-filter_complex", f"{graph},trim=duration={seconds}[v]", "-map", "[v]"]
    else:
        args = ["-f", "lavfi", "-i", f"{graph},trim=duration={seconds}"]
    cmd = ["ffmpeg", "-v", "error", "-nostdin", "-y", *args, "-c:v", "libx264", "-preset", "veryfast",
           "-crf", "23", "-pix_fmt", "yuv420p", "-g", "60", "-t", f"{seconds}", str(path)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    if proc.returncode != 0:
        raise ReelwrightError(f"could not synthesise demo clip {path.name}: {proc.stderr.strip()[-300:]}")


def make_demo_media(folder: str | Path, *, music_seconds: float = 40.0) -> DemoMedia:
    """Create (once) the demo song and clips in `folder`; existing complete files are reused."""
    from agent.media.synth import synth_drum_track

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    music = folder / "drums_128bpm.wav"
    if not music.exists():
        tmp = folder / ".drums.partial.wav"
        synth_drum_track(tmp, DEMO_BPM, music_seconds, drop_at=12.0, seed=1)
        tmp.replace(music)
    clips = []
    for name, graph, seconds in _CLIPS:
        path = folder / f"{name}.mp4"
        if not path.exists():
            tmp = folder / f".{name}.partial.mp4"
            _make_clip(tmp, graph, seconds)
            tmp.replace(path)
        clips.append(path)
    return DemoMedia(music=music, clips=clips, bpm=DEMO_BPM, prompt=DEMO_PROMPT)
