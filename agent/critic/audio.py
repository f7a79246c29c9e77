"""What the critic hears: integrated loudness (ITU-R BS.1770 K-weighting with its two gates),
clipping, and whether the sound starts and stops abruptly."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np

RATE = 48000
CLIP_LEVEL = 0.95  # |sample| at or above this counts as clipped (decoded AAC overshoots a hard clip)
EDGE_S = 0.01  # a 20 ms declick fade reads as soft here; a hard start as loud


@dataclass(frozen=True)
class AudioMeasures:
    present: bool
    duration: float
    lufs: float | None  # integrated loudness; None when silent
    peak: float
    clipped_share: float  # share of samples at or above CLIP_LEVEL
    abrupt_start: bool
    abrupt_end: bool
    rms_envelope: np.ndarray  # RMS every 50 ms, for energy alignment and plots


def decode(path: str | Path) -> np.ndarray | None:
    """Stereo float32 at 48 kHz, (N, 2); None when the file has no audio stream."""
    proc = subprocess.run(["ffmpeg", "-v", "error", "-nostdin", "-i", str(path), "-map", "0:a:0?", "-f", "f32le",
                           "-ac", "2", "-ar", str(RATE), "pipe:1"], capture_output=True, timeout=300)
    if proc.returncode != 0 or not proc.stdout:
        return None
    return np.frombuffer(proc.stdout, np.float32).reshape(-1, 2)


def _k_weighted(x: np.ndarray) -> np.ndarray:
    """BS.1770 K-weighting at 48 kHz: a high shelf (+4 dB above ~1.5 kHz) then a high-pass (RLB)."""
    from scipy.signal import lfilter

    shelf_b = [1.53512485958697, -2.69169618940638, 1.19839281085285]
    shelf_a = [1.0, -1.69065929318241, 0.73248077421585]
    high_b = [1.0, -2.0, 1.0]
    high_a = [1.0, -1.99004745483398, 0.99007225036621]
    return lfilter(high_b, high_a, lfilter(shelf_b, shelf_a, x, axis=0), axis=0)


def integrated_lufs(x: np.ndarray) -> float | None:
    """Gated loudness of (N, channels) samples at 48 kHz: 400 ms blocks every 100 ms, an
    absolute gate at -70 LUFS and a relative gate 10 LU under the ungated mean."""
    block, hop = int(0.4 * RATE), int(0.1 * RATE)
    if len(x) < block:
        return None
    power = _k_weighted(x.astype(np.float64)) ** 2
    csum = np.concatenate([np.zeros((1, power.shape[1])), np.cumsum(power, axis=0)])
    starts = np.arange(0, len(x) - block + 1, hop)
    mean_sq = ((csum[starts + block] - csum[starts]) / block).sum(axis=1)  # channel weights 1 (L, R)
    with np.errstate(divide="ignore"):
        loud = -0.691 + 10 * np.log10(mean_sq)
    gated = mean_sq[loud > -70]
    if not len(gated):
        return None
    relative = -0.691 + 10 * np.log10(gated.mean()) - 10
    final = gated[-0.691 + 10 * np.log10(gated) > relative]
    return float(-0.691 + 10 * np.log10(final.mean()))


def measure_audio(path: str | Path) -> AudioMeasures:
    return measure_samples(decode(path))


def measure_samples(x: np.ndarray | None) -> AudioMeasures:
    """The measures of decoded (N, 2) samples at RATE (None: no audio stream)."""
    if x is None or not len(x):
        return AudioMeasures(False, 0.0, None, 0.0, 0.0, False, False, np.zeros(0))
    mono = np.abs(x).max(axis=1)
    hop = RATE // 20
    frames = len(x) // hop
    rms = np.sqrt((x[: frames * hop] ** 2).mean(axis=1).reshape(frames, hop).mean(axis=1)) if frames else np.zeros(0)
    edge = int(EDGE_S * RATE)

    def level(part: np.ndarray) -> float:
        return float(np.sqrt((part ** 2).mean())) if len(part) else 0.0

    def loud(part: np.ndarray, nearby: np.ndarray) -> bool:
        """The first (or last) 10 ms are about as loud as the 100 ms next to them: no fade."""
        return level(nearby) > 1e-4 and level(part) > 0.5 * level(nearby)

    return AudioMeasures(present=True, duration=len(x) / RATE, lufs=integrated_lufs(x), peak=float(mono.max()),
                         clipped_share=float((mono >= CLIP_LEVEL).mean()),
                         abrupt_start=loud(x[:edge], x[edge:11 * edge]),
                         abrupt_end=loud(x[-edge:], x[-11 * edge:-edge]), rms_envelope=rms)
