"""Synthetic video clips with exactly known shot boundaries: ground truth for shot-detection
tests and evals.

A clip is a sequence of `Scene`s (a procedurally textured image seen through a moving camera
crop) joined by transitions (`Cut`, `Dissolve`, `FadeOut` / `FadeIn` through black) and with
optional white `Flash`es inside a scene. `make_clip` renders it with numpy, pipes the frames to
ffmpeg (libx264, constant frame rate) and returns the ground truth in pts seconds. Everything is
generated here, so the clips may ship with the product.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from agent.errors import MediaError


@dataclass(frozen=True)
class Scene:
    """`frames` frames of texture `seed`, the camera crop moving `pan` pixels per frame (x, y)."""

    seed: int
    frames: int
    pan: tuple[float, float] = (0.0, 0.0)
    flashes: tuple[int, ...] = ()  # frame offsets inside the scene where a white flash starts
    flash_frames: int = 2


@dataclass(frozen=True)
class Cut:
    pass


@dataclass(frozen=True)
class Dissolve:
    frames: int  # mixed frames; both scenes keep moving during them


@dataclass(frozen=True)
class FadeOut:
    frames: int  # frames ramping from the scene to black (black itself not included)


@dataclass(frozen=True)
class FadeIn:
    frames: int


@dataclass(frozen=True)
class Black:
    frames: int


@dataclass
class SynthTruth:
    """Ground truth of a rendered clip. Gradual spans are [start, end) in pts seconds: start is
    the first mixed frame, end the first frame that is wholly the next scene (or black)."""

    path: Path
    fps: float
    frame_count: int
    cuts: list[float] = field(default_factory=list)
    gradual: list[tuple[str, float, float]] = field(default_factory=list)  # (kind, start, end)
    flashes: list[float] = field(default_factory=list)


def _texture(seed: int, height: int, width: int) -> np.ndarray:
    """A colourful multi-scale texture with hard-edged shapes, distinct for every seed."""
    rng = np.random.default_rng(seed)
    import cv2  # local: keeps import of this module cheap

    img = np.zeros((height, width, 3), np.float32)
    for scale in (64, 16, 4):
        noise = rng.standard_normal((height // scale + 2, width // scale + 2, 3)).astype(np.float32)
        img += cv2.resize(noise, (width, height), interpolation=cv2.INTER_CUBIC) * (scale / 64.0 + 0.3)
    img = (img - img.min()) / (np.ptp(img) + 1e-6)
    palette = rng.uniform(0.15, 1.0, (3,)).astype(np.float32)
    img = img * palette * 200.0 + rng.uniform(0, 50, (3,)).astype(np.float32)
    for _ in range(int(rng.integers(8, 16))):
        colour = tuple(float(c) for c in rng.uniform(0, 255, 3))
        x, y = int(rng.integers(0, width)), int(rng.integers(0, height))
        size = int(rng.integers(height // 20, height // 5))
        if rng.random() < 0.5:
            cv2.rectangle(img, (x, y), (x + size, y + size // 2), colour, -1)
        else:
            cv2.circle(img, (x, y), size // 2, colour, -1)
    return np.clip(img, 0, 255)


class _Camera:
    def __init__(self, scene: Scene, size: tuple[int, int]):
        width, height = size
        total = scene.frames + 64  # room for frames that overlap a dissolve
        self.w, self.h = width, height
        self.pan = scene.pan
        span_x = int(abs(scene.pan[0]) * total) + 1
        span_y = int(abs(scene.pan[1]) * total) + 1
        self.tex = _texture(scene.seed, height + span_y + 2, width + span_x + 2)
        self.x0 = 0.0 if scene.pan[0] >= 0 else float(span_x)
        self.y0 = 0.0 if scene.pan[1] >= 0 else float(span_y)

    def frame(self, k: int) -> np.ndarray:
        x = round(self.x0 + self.pan[0] * k)
        y = round(self.y0 + self.pan[1] * k)
        x = min(max(x, 0), self.tex.shape[1] - self.w)
        y = min(max(y, 0), self.tex.shape[0] - self.h)
        return self.tex[y:y + self.h, x:x + self.w]


def _frames(items: list, size: tuple[int, int], fps: float, truth: SynthTruth):
    """Yield float32 RGB frames and fill `truth` as it goes."""
    width, height = size
    black = np.zeros((height, width, 3), np.float32)
    white = np.full((height, width, 3), 255.0, np.float32)
    index = 0
    prev: tuple[_Camera, int] | None = None  # camera of the last scene and its next frame number
    pending: object | None = None  # transition waiting for the next scene
    for item in items:
        if isinstance(item, Scene):
            cam = _Camera(item, size)
            k = 0
            if isinstance(pending, Dissolve) and prev is not None:
                start = index
                for j in range(pending.frames):
                    a = (j + 1) / (pending.frames + 1)
                    yield (1 - a) * prev[0].frame(prev[1] + j) + a * cam.frame(k)
                    k += 1
                    index += 1
                truth.gradual.append(("dissolve", start / fps, index / fps))
            elif isinstance(pending, FadeIn):
                start = index
                for j in range(pending.frames):
                    yield cam.frame(k) * ((j + 1) / (pending.frames + 1))
                    k += 1
                    index += 1
                truth.gradual.append(("fade_in", start / fps, index / fps))
            elif index > 0:  # a Cut, or scenes / black simply put one after the other
                truth.cuts.append(index / fps)
            flash_at = {f: item.flash_frames for f in item.flashes}
            j = 0
            while j < item.frames:
                if j in flash_at:
                    truth.flashes.append(index / fps)
                    for _ in range(flash_at[j]):
                        yield white
                        k += 1
                        index += 1
                        j += 1
                    continue
                yield cam.frame(k)
                k += 1
                index += 1
                j += 1
            prev = (cam, k)
            pending = None
        elif isinstance(item, FadeOut):
            if prev is None:
                raise ValueError("FadeOut needs a scene before it")
            start = index
            for j in range(item.frames):
                yield prev[0].frame(prev[1] + j) * (1 - (j + 1) / (item.frames + 1))
                index += 1
            truth.gradual.append(("fade_out", start / fps, index / fps))
            prev = None
        elif isinstance(item, Black):
            for _ in range(item.frames):
                yield black
                index += 1
            prev = None
        else:
            pending = item
    truth.frame_count = index


def make_clip(path: str | Path, items: list, *, fps: float = 25.0,
              size: tuple[int, int] = (640, 360), crf: int = 18) -> SynthTruth:
    """Render `items` (Scene, Cut, Dissolve, FadeOut, Black, FadeIn) to an H.264 mp4 at `path`.

    Transitions go between scenes: `[Scene, Cut(), Scene, Dissolve(20), Scene, FadeOut(15),
    Black(10), FadeIn(15), Scene]`; two scenes (or black and a scene) with nothing between them
    are joined by a cut. Returns the ground truth (cut times = pts of the first frame
    of the new scene)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    width, height = size
    truth = SynthTruth(path=path, fps=fps, frame_count=0)
    cmd = ["ffmpeg", "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24",
           "-s", f"{width}x{height}", "-r", str(fps), "-i", "-",
           "-c:v", "libx264", "-preset", "veryfast", "-crf", str(crf), "-pix_fmt", "yuv420p",
           "-movflags", "+faststart", str(path)]
    try:
        proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stderr=subprocess.PIPE)
    except FileNotFoundError as exc:
        raise MediaError(path, "ffmpeg is not installed", "install ffmpeg") from exc
    assert proc.stdin is not None
    try:
        for frame in _frames(items, size, fps, truth):
            proc.stdin.write(np.clip(frame, 0, 255).astype(np.uint8).tobytes())
    finally:
        proc.stdin.close()
        err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
        if proc.stderr:
            proc.stderr.close()
        proc.wait()
    if proc.returncode != 0:
        raise MediaError(path, f"ffmpeg could not write the synthetic clip: {err.strip()[-300:]}")
    return truth
