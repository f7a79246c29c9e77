"""Where in a song a reel's soundtrack starts: so the song's own beats (tracked on the whole
track, more reliable than on a 15 s excerpt) can be laid on the reel's clock."""

from __future__ import annotations

import numpy as np

RATE = 8000  # enough to place the excerpt to an eighth of a millisecond
_ENV_HOP = 80  # 10 ms envelope frames at 8 kHz
MIN_CONFIDENCE = 0.5


def _envelope(x: np.ndarray) -> np.ndarray:
    frames = len(x) // _ENV_HOP
    return np.abs(x[: frames * _ENV_HOP]).reshape(frames, _ENV_HOP).mean(axis=1)


def _ncc(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Normalised correlation (-1..1) of excerpt `b` at every lag inside `a` (lag 0: b starts
    where a starts): each window of `a` is compared after removing its own mean and scale, so
    louder passages of the song are not favoured."""
    a = a.astype(np.float64)
    b = b.astype(np.float64) - b.mean()
    m = len(b)
    n = 1 << int(np.ceil(np.log2(len(a) + m)))
    raw = np.fft.irfft(np.fft.rfft(a, n) * np.conj(np.fft.rfft(b, n)), n)[: len(a) - m + 1]
    c1 = np.concatenate([[0.0], np.cumsum(a)])
    c2 = np.concatenate([[0.0], np.cumsum(a * a)])
    sums, squares = c1[m:] - c1[:-m], c2[m:] - c2[:-m]
    spread = np.sqrt(np.maximum(squares - sums * sums / m, 1e-12))
    return raw / (spread * (np.linalg.norm(b) + 1e-12))


def music_offset(reel: np.ndarray, song: np.ndarray) -> tuple[float, float]:
    """(seconds into the song where the reel's audio starts, confidence 0..1). Both mono at RATE.
    A coarse search on 10 ms loudness envelopes, then sample-exact on the waveform nearby."""
    if len(reel) < RATE or len(song) < len(reel):
        return 0.0, 0.0
    coarse = _ncc(_envelope(song), _envelope(reel))
    lag = int(np.argmax(coarse))
    confidence = float(coarse[lag])
    start = lag * _ENV_HOP
    piece = reel[: min(len(reel), 5 * RATE)]
    lo, hi = max(0, start - 2 * _ENV_HOP), min(len(song) - len(piece), start + 2 * _ENV_HOP)
    if hi <= lo:
        return start / RATE, confidence
    window = song[lo: hi + len(piece)]
    fine = _ncc(window, piece)
    return (lo + int(np.argmax(fine))) / RATE, confidence
