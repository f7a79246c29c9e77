"""Shared fixtures: real media made with ffmpeg, and the shared test media folder."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest

from agent.config import Settings

TESTMEDIA = Path(__file__).resolve().parents[1] / ".." / "shared" / "testmedia"


def shared_media(relative: str) -> Path:
    path = TESTMEDIA / relative
    if not path.exists():
        pytest.skip(f"test media not found: {path} (see ../shared/testmedia/README.md)")
    return path


def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-v", "error", "-nostdin", "-y", *args], check=True, capture_output=True)


def make_numbered_clip(path: Path, frames: int, *, fps: int = 30, size: str = "320x180", step: int = 7,
                       offset: int = 0, gop: int = 250) -> Path:
    """A flat clip whose frame n has luma (offset + n * step) % 220 + 16: frames identify themselves."""
    ffmpeg("-f", "lavfi", "-i", f"nullsrc=s={size}:r={fps}",
           "-vf", f"geq=lum='mod({offset}+N*{step},220)+16':cb=128:cr=128,format=yuv420p",
           "-frames:v", str(frames), "-c:v", "libx264", "-preset", "ultrafast", "-qp", "0",
           "-g", str(gop), str(path))
    return path


def frame_lumas(path: Path, size: tuple[int, int] = (32, 18)) -> np.ndarray:
    """Mean luma of every frame of a video (decoded small)."""
    w, h = size
    raw = subprocess.run(["ffmpeg", "-v", "error", "-i", str(path), "-vf", f"scale={w}:{h}:flags=area",
                          "-pix_fmt", "yuv420p", "-f", "rawvideo", "pipe:1"], check=True, capture_output=True).stdout
    frames = np.frombuffer(raw, np.uint8).reshape(-1, w * h * 3 // 2)
    return frames[:, : w * h].mean(axis=1)


def frame_difference_cuts(path: Path, fps: float = 30.0) -> np.ndarray:
    """Cut times found without any shot detector: frames whose mean |difference| to the previous
    one (64x36 grey) is over 3x the local median plus 2 levels."""
    raw = subprocess.run(["ffmpeg", "-v", "error", "-nostdin", "-i", str(path), "-vf", "scale=64:36",
                          "-pix_fmt", "gray", "-f", "rawvideo", "pipe:1"], capture_output=True, check=True).stdout
    frames = np.frombuffer(raw, np.uint8).reshape(-1, 36, 64).astype(np.int16)
    diff = np.concatenate([[0.0], np.abs(np.diff(frames, axis=0)).mean(axis=(1, 2))])
    local = np.array([np.median(np.delete(diff[max(0, i - 5):i + 6], min(i, 5))) for i in range(len(diff))])
    return np.flatnonzero(diff > 3 * local + 2) / fps


def expected_luma(n: int, *, step: int = 7, offset: int = 0) -> int:
    return (offset + n * step) % 220 + 16


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(workspace=tmp_path / "ws")
