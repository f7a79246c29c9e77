"""Transitions between two runs of raw frames, through ffmpeg's xfade (built-in or custom expr)."""

from __future__ import annotations

import subprocess
import tempfile
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np

from agent.errors import RenderError
from agent.render.ffmpeg_graph import fps_arg
from agent.render.glsl import GLSLEngine
from agent.timeline.model import XFADE_TRANSITIONS



def xfade_filter(name: str, expr: str | None, duration: float) -> str:
    if name not in XFADE_TRANSITIONS and name != "custom":
        raise RenderError(f"unknown transition {name!r}; use one of ffmpeg's xfade names or 'custom'")
    spec = f"xfade=transition={name}:duration={duration:.6f}:offset=0"
    if name == "custom":
        if not expr:
            raise RenderError("a custom transition needs an xfade expression")
        spec += ":expr='" + expr.replace("'", "") + "'"
    return spec


def progress_weights(count: int) -> list[float]:
    """Share of the incoming frame in each of `count` mixed frames: never 0 (pure A) or 1 (pure B)."""
    return [(j + 1) / (count + 1) for j in range(count)]


def crossfade(outgoing: list[bytes], incoming: list[bytes]) -> list[bytes]:
    """xfade's `fade` done in-process (same per-plane linear mix): no process, no temp files."""
    out = []
    for a, b, w in zip(outgoing, incoming, progress_weights(len(outgoing))):
        mixed = cv2.addWeighted(np.frombuffer(a, np.uint8), 1.0 - w, np.frombuffer(b, np.uint8), w, 0.0)
        out.append(mixed.tobytes())
    return out


def blend(outgoing: list[bytes], incoming: list[bytes], *, width: int, height: int, fps: Fraction,
          name: str, expr: str | None, tmp_dir: Path, shader: str | None = None,
          params: dict | None = None, engine: GLSLEngine | None = None) -> list[bytes]:
    """Mix two equally long frame runs; frame j mixes A[j] and B[j] at progress (j + 1) / (n + 1)."""
    count = len(outgoing)
    if count != len(incoming) or count < 2:
        raise RenderError(f"transition needs two runs of equal length >= 2, got {count} and {len(incoming)}")
    if name == "fade":
        return crossfade(outgoing, incoming)
    if name == "glsl":
        if not shader:
            raise RenderError("a glsl transition needs its shader source")
        return glsl_blend(outgoing, incoming, width=width, height=height, shader=shader, params=params or {},
                          engine=engine)
    return xfade(outgoing, incoming, width=width, height=height, fps=fps, name=name, expr=expr, tmp_dir=tmp_dir)


def glsl_blend(outgoing: list[bytes], incoming: list[bytes], *, width: int, height: int, shader: str,
               params: dict, engine: GLSLEngine | None) -> list[bytes]:
    """A gl-transitions shader over the two runs; only these frames make the trip to RGB and GL."""
    engine = engine or GLSLEngine()
    out = []
    for a, b, progress in zip(outgoing, incoming, progress_weights(len(outgoing))):
        out.append(engine.transition_yuv(shader, a, b, width, height, progress, params))
    return out


def xfade(outgoing: list[bytes], incoming: list[bytes], *, width: int, height: int, fps: Fraction,
          name: str, expr: str | None, tmp_dir: Path) -> list[bytes]:
    """Any xfade transition, through an ffmpeg process over the two runs."""
    count = len(outgoing)
    frame_size = width * height * 3 // 2
    with tempfile.TemporaryDirectory(dir=tmp_dir) as tmp:
        a_path, b_path = Path(tmp) / "a.yuv", Path(tmp) / "b.yuv"
        a_path.write_bytes(b"".join(outgoing))
        b_path.write_bytes(b"".join(incoming))
        raw = ["-f", "rawvideo", "-pix_fmt", "yuv420p", "-s", f"{width}x{height}", "-framerate", fps_arg(fps)]
        # Both runs get one cloned frame in front and the mix lasts count + 1 frames, so output
        # frame j + 1 mixes A[j] with B[j] at progress (j + 1) / (count + 1): never pure A or B.
        duration = (count + 1) / float(fps)
        args = ["ffmpeg", "-v", "error", "-nostdin", *raw, "-i", str(a_path), *raw, "-i", str(b_path),
                "-filter_complex", f"[0:v]tpad=start=1:start_mode=clone[a];[1:v]tpad=start=1:start_mode=clone[b];"
                                   f"[a][b]{xfade_filter(name, expr, duration)},format=yuv420p",
                "-frames:v", str(count + 1), "-f", "rawvideo", "pipe:1"]
        proc = subprocess.run(args, capture_output=True, timeout=120)
    if proc.returncode != 0:
        raise RenderError(f"transition {name!r} failed: {proc.stderr.decode(errors='replace').strip()[-400:]}")
    data = proc.stdout
    frames = [data[i * frame_size:(i + 1) * frame_size] for i in range(len(data) // frame_size)]
    # Drop the first output frame (pure outgoing, progress 0) so the n frames are strictly mixed.
    frames = frames[1:count + 1]
    if len(frames) != count:
        raise RenderError(f"transition {name!r} returned {len(frames)} frames, expected {count}")
    return frames
