"""Synthetic drum tracks with exactly known beats: ground truth for beat-tracker evals and demos.

`synth_drum_track` writes a WAV (kick / snare / hi-hat pattern over a bass line and chord pads that
change on every downbeat) and returns the beat grid it was built on. Everything is numpy; the
audio is original (no samples), so it may ship with the product.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

_BAR = 4  # beats per bar; every pattern here is 4/4
# Root notes (Hz) of a four-bar progression: A2, F2, C3, G2. A harmonic change on each downbeat
# is what lets a downbeat tracker find the bar phase on a track whose drums repeat every beat.
_ROOTS = (110.0, 87.31, 130.81, 98.0)


def _beat_times(bpm: float, seconds: float, drift: float) -> np.ndarray:
    """Beat onsets for a tempo that moves linearly (in beat index) from bpm to bpm * (1 + drift)."""
    end_bpm = bpm * (1.0 + drift)
    mean_ibi = 60.0 / ((bpm + end_bpm) / 2.0)
    count = int(seconds / mean_ibi) + 2
    tempi = np.linspace(bpm, end_bpm, count)
    times = np.concatenate([[0.0], np.cumsum(60.0 / tempi)[:-1]])
    return times[times < seconds - 0.05]


def _env(n: int, sr: int, decay_s: float, attack_s: float = 0.001) -> np.ndarray:
    t = np.arange(n) / sr
    attack = np.clip(t / attack_s, 0.0, 1.0)
    return attack * np.exp(-t / decay_s)


def _kick(sr: int) -> np.ndarray:
    n = int(0.35 * sr)
    t = np.arange(n) / sr
    freq = 48.0 + 110.0 * np.exp(-t / 0.04)  # pitch sweep 158 -> 48 Hz
    phase = 2 * np.pi * np.cumsum(freq) / sr
    click = np.exp(-t / 0.002) * 0.6
    return (np.sin(phase) * _env(n, sr, 0.18) + click) * 0.9


def _snare(sr: int, rng: np.random.Generator) -> np.ndarray:
    from scipy.signal import butter, sosfilt

    n = int(0.25 * sr)
    t = np.arange(n) / sr
    noise = sosfilt(butter(2, [1200, 8000], btype="band", fs=sr, output="sos"), rng.standard_normal(n))
    tone = np.sin(2 * np.pi * 185.0 * t) * _env(n, sr, 0.05)
    return (noise * _env(n, sr, 0.09) * 1.6 + tone * 0.5) * 0.7


def _hat(sr: int, rng: np.random.Generator) -> np.ndarray:
    from scipy.signal import butter, sosfilt

    n = int(0.06 * sr)
    noise = sosfilt(butter(4, 7000, btype="high", fs=sr, output="sos"), rng.standard_normal(n))
    return noise * _env(n, sr, 0.015) * 0.35


def _tone(freq: float, n: int, sr: int, decay_s: float, harmonics: int) -> np.ndarray:
    t = np.arange(n) / sr
    wave = sum(np.sin(2 * np.pi * freq * k * t) / k for k in range(1, harmonics + 1))
    return wave * _env(n, sr, decay_s, attack_s=0.004)


def _add(buf: np.ndarray, sound: np.ndarray, at_s: float, sr: int, gain: float = 1.0) -> None:
    start = int(round(at_s * sr))
    if start >= len(buf) or start < 0:
        return
    end = min(len(buf), start + len(sound))
    buf[start:end] += gain * sound[: end - start]


def synth_drum_track(
    path: str | Path,
    bpm: float,
    seconds: float,
    *,
    drift: float = 0.0,
    swing: float = 0.0,
    half_time: bool = False,
    sr: int = 44100,
    seed: int = 0,
    drop_at: float | None = None,
    style: str = "",
) -> list[tuple[float, int]]:
    """Write a 4/4 drum track to `path` (16-bit WAV) and return its beats as (time, position).

    - `drift`: relative tempo change over the track, linear in beats (0.145 = 110 -> 126 BPM).
    - `swing`: where the off-beat 8th hi-hat falls inside its beat (0.5 = straight, 0.6 = swung).
    - `half_time`: kick on 1, snare on 3 only (the drums feel like bpm / 2); hats and bass stay on
      the bpm grid, which is the tempo a listener taps and the one the ground truth states.
    - `style="dnb"`: two-step breakbeat (kick 1 and the "and" of 3, snare 2 and 4) with 16th hats.
      Chosen automatically when bpm >= 160 and style is empty.
    - `drop_at`: seconds; before the first downbeat at or after it the track is a quiet intro
      (pads and soft hats, with a riser over the last bar); from that downbeat on, full drums and
      bass at full level. `drop_time(beats, drop_at)` gives that downbeat.
    """
    rng = np.random.default_rng(seed)
    if not style:
        style = "dnb" if bpm >= 160 else ("half" if half_time else "four")
    beats = _beat_times(bpm, seconds, drift)
    total = int(seconds * sr)
    drums = np.zeros(total)
    music = np.zeros(total)
    kick, snare = _kick(sr), _snare(sr, rng)
    hats = [_hat(sr, rng) for _ in range(4)]
    drop = drop_time([(float(b), i % _BAR + 1) for i, b in enumerate(beats)], drop_at) if drop_at else None

    for i, beat in enumerate(beats):
        ibi = (beats[i + 1] - beat) if i + 1 < len(beats) else (beat - beats[i - 1])
        pos = i % _BAR  # 0-based position in the bar
        loud = drop is None or beat >= drop - 1e-9
        level = 1.0 if loud else 0.12
        vel = 1.0 + rng.uniform(-0.05, 0.05)
        # drums
        if loud:
            if style == "four":
                if pos in (0, 2):
                    _add(drums, kick, beat, sr, vel)
                if pos in (1, 3):
                    _add(drums, snare, beat, sr, vel)
            elif style == "half":
                if pos == 0:
                    _add(drums, kick, beat, sr, vel)
                if pos == 2:
                    _add(drums, snare, beat, sr, vel * 1.1)
            elif style == "dnb":
                if pos == 0:
                    _add(drums, kick, beat, sr, vel)
                if pos == 2:
                    _add(drums, kick, beat + ibi / 2, sr, vel * 0.9)
                if pos in (1, 3):
                    _add(drums, snare, beat, sr, vel * 1.1)
        # hi-hats: 8ths (16ths for dnb), swung off-beats
        sub = 4 if style == "dnb" else 2
        for k in range(sub):
            frac = k / sub
            if sub == 2 and k == 1:
                frac = swing if swing else 0.5
            elif sub == 4 and swing and k % 2 == 1:
                frac = (k - 1) / 4 + (swing - 0.5) / 2 + 0.25
            accent = 1.0 if k == 0 else 0.6
            _add(drums, hats[(i + k) % 4], beat + frac * ibi, sr, accent * level * (1 + rng.uniform(-0.1, 0.1)))
        # bass on every beat (root of the bar's chord), chord pad on each downbeat
        root = _ROOTS[(i // _BAR) % len(_ROOTS)]
        if loud:
            bass_freq = root / 2 * (1.5 if pos == 2 else 1.0)  # root, root, fifth, root
            note = _tone(bass_freq, int(ibi * 0.9 * sr), sr, ibi * 0.5, 4)
            _add(music, note, beat, sr, 0.35)
        if pos == 0:
            bar_len = int(ibi * _BAR * sr)
            pad = sum(_tone(root * 2 * r, bar_len, sr, ibi * 2.5, 3) for r in (1.0, 1.26, 1.5))
            _add(music, pad, beat, sr, 0.08 if loud else 0.05)

    if drop is not None:
        # riser: noise swelling over the last bar before the drop
        bar = (60.0 / bpm) * _BAR
        start = max(0.0, drop - bar)
        n = int((drop - start) * sr)
        if n > 0:
            swell = rng.standard_normal(n) * np.linspace(0, 1, n) ** 2 * 0.05
            _add(music, swell, start, sr)

    mix = drums + music
    peak = float(np.max(np.abs(mix))) or 1.0
    mix = mix / peak * 0.89

    import soundfile as sf

    Path(path).parent.mkdir(parents=True, exist_ok=True)
    sf.write(str(path), mix.astype(np.float32), sr, subtype="PCM_16")
    return [(round(float(b), 6), i % _BAR + 1) for i, b in enumerate(beats)]


def drop_time(beats: list[tuple[float, int]], drop_at: float | None) -> float | None:
    """The downbeat where `synth_drum_track(..., drop_at=...)` puts its drop."""
    if drop_at is None:
        return None
    for time, pos in beats:
        if pos == 1 and time >= drop_at - 1e-9:
            return time
    return None
