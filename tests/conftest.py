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


def expected_luma(n: int, *, step: int = 7, offset: int = 0) -> int:
    return (offset + n * step) % 220 + 16


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(workspace=tmp_path / "ws")
