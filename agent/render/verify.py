"""Check a rendered file with ffprobe before anyone is told it exists."""

from __future__ import annotations

import json
import subprocess
from fractions import Fraction
from pathlib import Path

from agent.errors import RenderError


def verify_output(path: Path, *, width: int, height: int, fps: Fraction, frames: int, audio: bool) -> dict:
    proc = subprocess.run(
        ["ffprobe", "-v", "error", "-print_format", "json", "-show_streams", "-show_format", str(path)],
        capture_output=True, text=True, timeout=60,
    )
    if proc.returncode != 0:
        raise RenderError(f"{path}: the rendered file does not probe: {proc.stderr.strip()[-300:]}")
    data = json.loads(proc.stdout)
    streams = data.get("streams", [])
    video = next((s for s in streams if s.get("codec_type") == "video"), None)
    problems = []
    if video is None:
        problems.append("no video stream")
    else:
        if (video.get("width"), video.get("height")) != (width, height):
            problems.append(f"size {video.get('width')}x{video.get('height')}, expected {width}x{height}")
        if Fraction(video.get("r_frame_rate", "0/1")) != fps:
            problems.append(f"frame rate {video.get('r_frame_rate')}, expected {fps}")
        got = int(video.get("nb_frames") or -1)
        if got != frames:
            problems.append(f"{got} frames, expected {frames}")
        if video.get("codec_name") != "h264":
            problems.append(f"video codec {video.get('codec_name')}, expected h264")
    has_audio = any(s.get("codec_type") == "audio" for s in streams)
    if audio and not has_audio:
        problems.append("no audio stream")
    duration = float(data.get("format", {}).get("duration") or 0)
    expected = frames / float(fps)
    if abs(duration - expected) > 0.1:
        problems.append(f"duration {duration:.3f}s, expected {expected:.3f}s")
    if problems:
        raise RenderError(f"{path}: rendered file failed verification: " + "; ".join(problems))
    return data
