"""Plain data produced by perception. Times are seconds (float, presentation time), never frames.

Every model round-trips through JSON (`model_dump_json` / `model_validate_json`), which is how
the analysis cache stores it.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class _Data(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class VideoStream(_Data):
    codec: str
    width: int  # coded size, before rotation
    height: int
    display_width: int  # size as shown, after rotation metadata is applied
    display_height: int
    fps: float  # average frame rate (frames / duration) for VFR, nominal rate for CFR
    fps_rational: str  # e.g. "30000/1001"
    vfr: bool
    frame_count: int | None = None
    duration: float | None = None  # the video stream's own length (the container's may be the audio's)
    rotation: int = 0  # degrees, as the display matrix says (-90, 90, 180, 0)
    pix_fmt: str = ""


class AudioStream(_Data):
    codec: str
    sample_rate: int
    channels: int


class MediaInfo(_Data):
    path: str
    content_hash: str
    size_bytes: int
    format_name: str
    duration: float
    video: VideoStream | None = None
    audio: AudioStream | None = None


class Section(_Data):
    start: float
    end: float
    label: Literal["intro", "build", "drop", "break", "outro"]
    energy: float  # mean normalised energy in [0, 1]


class MusicAnalysis(_Data):
    path: str
    duration: float
    tracker: str  # which tracker produced the beats, e.g. "madmom-dbn-downbeat"
    tracker_licence: str
    beats: list[float]
    beat_positions: list[int]  # position in the bar for each beat, 1 = downbeat
    downbeats: list[float]
    tempo: float  # median BPM over the track (0 when there are no beats)
    tempo_curve: list[tuple[float, float]] = Field(default_factory=list)  # (time, BPM) per beat
    tempo_drift: float = 0.0  # (max - min) / median of the smoothed tempo curve
    meter: int = 4  # beats per bar
    onsets: list[float] = Field(default_factory=list)
    energy_hop: float = 0.05  # seconds between energy samples
    energy: list[float] = Field(default_factory=list)  # RMS, normalised to [0, 1]
    sections: list[Section] = Field(default_factory=list)
    drops: list[float] = Field(default_factory=list)  # times where a drop starts
    warnings: list[str] = Field(default_factory=list)  # e.g. "no beats found: silence"

    @property
    def has_beats(self) -> bool:
        return len(self.beats) >= 2


class ShotTransition(_Data):
    """A boundary between shots. A hard cut has start == end == pts of the first new frame;
    gradual ones span [start, end) in which frames of both shots (or black) are mixed."""

    kind: Literal["hard", "dissolve", "fade_in", "fade_out"]
    start: float
    end: float


class Shot(_Data):
    """A stretch of one continuous camera take with no transition inside: [start, end)."""

    index: int
    start: float
    end: float
    motion: float = 0.0  # mean absolute luma change between frames, 0..1 (per-pixel, /255)
    brightness: float = 0.0  # mean luma, 0..1

    @property
    def duration(self) -> float:
        return self.end - self.start


class ClipAnalysis(_Data):
    info: MediaInfo
    shots: list[Shot]
    transitions: list[ShotTransition] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)  # e.g. "decoding stopped after 312 frames: ..."


class Analysis(_Data):
    music: MusicAnalysis
    clips: list[ClipAnalysis]
    notes: list[str] = Field(default_factory=list)  # e.g. clips left out, and why
