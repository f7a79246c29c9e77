"""Per-frame effects on raw yuv420p frames: beat flash, zoom punch, shake.

Only frames inside an effect's span pass through here, so their cost grows with the number of
effect frames, not with the length of the reel. Each function returns a new frame buffer.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from agent.timeline.model import EffectItem


def planes(frame: bytes | bytearray | np.ndarray, width: int, height: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    buf = np.frombuffer(frame, dtype=np.uint8) if not isinstance(frame, np.ndarray) else frame
    y_size, c_size = width * height, (width // 2) * (height // 2)
    y = buf[:y_size].reshape(height, width)
    u = buf[y_size:y_size + c_size].reshape(height // 2, width // 2)
    v = buf[y_size + c_size:y_size + 2 * c_size].reshape(height // 2, width // 2)
    return y, u, v


def _join(y: np.ndarray, u: np.ndarray, v: np.ndarray) -> bytes:
    return b"".join((y.tobytes(), u.tobytes(), v.tobytes()))


BUILTIN = frozenset({"flash", "zoom_punch", "shake"})


def envelope(effect: EffectItem, frame_no: int) -> float:
    """Strength in [0, 1] at `frame_no`: full at the effect's first frame, easing out to 0."""
    length = max(1, effect.end_frame - effect.start_frame)
    phase = (frame_no - effect.start_frame) / length
    if not 0 <= phase < 1:
        return 0.0
    return (1.0 - phase) ** 2


def flash(frame: bytes, width: int, height: int, amount: float) -> bytes:
    """Blend towards white: luma towards 255, chroma towards neutral."""
    y, u, v = planes(frame, width, height)
    a = float(np.clip(amount, 0, 1))
    y2 = cv2.addWeighted(y, 1 - a, np.full_like(y, 255), a, 0)
    u2 = cv2.addWeighted(u, 1 - a, np.full_like(u, 128), a, 0)
    v2 = cv2.addWeighted(v, 1 - a, np.full_like(v, 128), a, 0)
    return _join(y2, u2, v2)


def _warp(frame: bytes, width: int, height: int, zoom: float, dx: float, dy: float) -> bytes:
    """Scale by `zoom` about the centre and shift by (dx, dy) pixels (of the luma plane)."""
    out = []
    for plane, scale in zip(planes(frame, width, height), (1.0, 0.5, 0.5)):
        h, w = plane.shape
        matrix = np.array([[zoom, 0, (1 - zoom) * w / 2 + dx * scale],
                           [0, zoom, (1 - zoom) * h / 2 + dy * scale]], dtype=np.float64)
        out.append(cv2.warpAffine(plane, matrix, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT))
    return _join(*out)


def zoom_punch(frame: bytes, width: int, height: int, amount: float) -> bytes:
    return _warp(frame, width, height, 1.0 + 0.18 * amount, 0.0, 0.0)


def shake(frame: bytes, width: int, height: int, amount: float, frame_no: int, seed: int) -> bytes:
    """A deterministic jitter: offsets from two incommensurate sines seeded per effect."""
    amplitude = 0.03 * min(width, height) * amount
    phase = seed * 1.618
    dx = amplitude * math.sin(frame_no * 2.1 + phase) * math.cos(frame_no * 0.77 + 2 * phase)
    dy = amplitude * math.sin(frame_no * 1.7 + 3 * phase + 1.0)
    return _warp(frame, width, height, 1.0 + 0.06 * amount, dx, dy)


def apply_effects(frame: bytes, frame_no: int, active: list[EffectItem], width: int, height: int) -> bytes:
    """Apply every active effect in a fixed order (geometry first, then light)."""
    for effect in sorted(active, key=lambda e: e.kind != "zoom_punch" and e.kind != "shake"):
        amount = envelope(effect, frame_no) * effect.intensity
        if amount <= 0:
            continue
        if effect.kind == "zoom_punch":
            frame = zoom_punch(frame, width, height, amount)
        elif effect.kind == "shake":
            frame = shake(frame, width, height, amount, frame_no, effect.seed)
        elif effect.kind == "flash":
            frame = flash(frame, width, height, amount)
    return frame
