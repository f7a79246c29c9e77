"""The music as it sits on the reel: which stretch of the song plays, and its beats in reel time.

Music longer than the reel is cut to a window starting on a downbeat; music shorter than the reel
loops whole bars (first downbeat to last downbeat) so the grid stays regular across the seam.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from agent.media.models import MusicAnalysis
from agent.timeline.model import AudioSegment


@dataclass(frozen=True)
class ReelBeat:
    time: float  # seconds on the reel
    position: int  # 1 = downbeat
    music_time: float  # seconds in the song


@dataclass
class ReelMusic:
    start: float
    segments: list[AudioSegment]
    beats: list[ReelBeat]
    notes: list[str] = field(default_factory=list)  # choices made
    fallbacks: list[str] = field(default_factory=list)  # where the music could not be used as asked
    synthetic_grid: bool = False  # True when the song has no steady beat and a fixed grid is used

    @property
    def beat_times(self) -> np.ndarray:
        return np.array([b.time for b in self.beats])



def reel_energy(reel: ReelMusic, music: MusicAnalysis, duration: float) -> list[float]:
    """The song's energy envelope as it plays on the reel, at the song's own hop."""
    if not music.energy:
        return []
    out = []
    for k in range(int(duration / music.energy_hop) + 1):
        t = k * music.energy_hop
        seg = next((s for s in reel.segments if s.record_start <= t < s.record_start + s.duration), reel.segments[-1])
        index = int((seg.source_start + t - seg.record_start) / music.energy_hop)
        out.append(round(float(music.energy[min(index, len(music.energy) - 1)]), 4))
    return out


def _snap_to_downbeat(music: MusicAnalysis, t: float) -> float:
    candidates = [d for d in music.downbeats if d <= t + 1e-6] or music.downbeats[:1]
    return candidates[-1] if candidates else t


def choose_music_start(music: MusicAnalysis, duration: float) -> float:
    """A downbeat to start on: the window of `duration` with the most energy that contains the
    first drop a third of the way in when there is one."""
    latest = max(0.0, music.duration - duration)
    if music.drops:
        wanted = min(max(music.drops[0] - duration / 3, 0.0), latest)
        return _snap_to_downbeat(music, wanted) if music.downbeats else wanted
    if music.energy and music.downbeats:
        best, best_energy = 0.0, -1.0
        window = int(duration / music.energy_hop)
        energy = np.asarray(music.energy)
        for d in music.downbeats:
            if d > latest:
                break
            i = int(d / music.energy_hop)
            value = float(energy[i:i + window].mean()) if i < len(energy) else 0.0
            if value > best_energy + 1e-9:
                best, best_energy = d, value
        return best
    return 0.0


def place_music(music: MusicAnalysis, duration: float, start: float | None,
                fallback_bpm: float = 120.0) -> ReelMusic:
    notes: list[str] = []
    fallbacks: list[str] = []
    if start is None:
        start = choose_music_start(music, duration)
        notes.append(f"music starts at {start:.2f} s (chosen: a downbeat giving the strongest window)")
    start = min(max(start, 0.0), max(music.duration - 0.01, 0.0))
    if music.duration - start >= duration - 1e-6:
        segments = [AudioSegment(source_start=start, record_start=0.0, duration=duration)]
    else:
        segments = _loop_segments(music, start, duration, fallbacks)
    beats = _reel_beats(music, segments)
    synthetic = False
    if len(beats) < 2:
        period = 60.0 / fallback_bpm
        beats = [ReelBeat(time=k * period, position=(k % 4) + 1, music_time=start + k * period)
                 for k in range(int(duration / period) + 1)]
        synthetic = True
        fallbacks.append(f"no steady beat in {music.path}: cutting on a fixed {fallback_bpm:.0f} BPM grid instead")
    return ReelMusic(start=start, segments=segments, beats=beats, notes=notes, fallbacks=fallbacks,
                     synthetic_grid=synthetic)


def _loop_segments(music: MusicAnalysis, start: float, duration: float, notes: list[str]) -> list[AudioSegment]:
    downbeats = [d for d in music.downbeats if d >= start - 1e-6]
    if len(downbeats) >= 2 and downbeats[-1] - downbeats[0] >= 1.0:
        loop_a, loop_b = downbeats[0], downbeats[-1]
    else:
        loop_a, loop_b = start, music.duration
    segments, t = [], 0.0
    first = min(loop_b, music.duration) - start
    segments.append(AudioSegment(source_start=start, record_start=0.0, duration=min(first, duration)))
    t = segments[0].duration
    while t < duration - 1e-6:
        length = min(loop_b - loop_a, duration - t)
        segments.append(AudioSegment(source_start=loop_a, record_start=t, duration=length))
        t += length
    notes.append(f"music ({music.duration:.1f} s from {start:.1f} s) is shorter than the {duration:.1f} s reel: "
                 f"looped bars {loop_a:.2f}-{loop_b:.2f} s {len(segments) - 1} time(s)")
    return segments


def _reel_beats(music: MusicAnalysis, segments: list[AudioSegment]) -> list[ReelBeat]:
    beats: list[ReelBeat] = []
    for seg in segments:
        end = seg.source_start + seg.duration
        for b, pos in zip(music.beats, music.beat_positions):
            if seg.source_start - 1e-6 <= b < end - 1e-6:
                t = b - seg.source_start + seg.record_start
                if not beats or t > beats[-1].time + 1e-3:
                    beats.append(ReelBeat(time=t, position=pos, music_time=b))
    return beats
