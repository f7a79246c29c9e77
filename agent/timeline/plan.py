"""EditPlan: what the brain writes. Intent only, in seconds and beats, never frame numbers.

The JSON schema of EditPlan (`edit_plan_schema()`) is what a brain is asked to fill in.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Aspect = Literal["16:9", "9:16", "1:1", "4:5"]
Rhythm = Literal["every_beat", "every_2_beats", "downbeat", "every_2_bars", "phrase"]
ShotPreference = Literal["calm", "active", "any"]
EffectKind = Literal["flash", "zoom_punch", "shake"]
EffectTrigger = Literal["beats", "downbeats", "drops", "cuts"]

ASPECT_RATIOS: dict[str, tuple[int, int]] = {"16:9": (16, 9), "9:16": (9, 16), "1:1": (1, 1), "4:5": (4, 5)}
# How many beats lie between cuts for each rhythm (phrase = 4 bars of 4).
RHYTHM_BEATS: dict[str, int] = {"every_beat": 1, "every_2_beats": 2, "downbeat": 4, "every_2_bars": 8, "phrase": 16}


class _Plan(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TransitionRequest(_Plan):
    """A transition at cuts: an ffmpeg xfade name ("fade", "wipeleft", "circleopen", ...),
    "custom" with an xfade expression in `expr`, or "glsl:<tool id>" from the tool library."""

    name: str = "fade"
    expr: str | None = None
    beats: float = Field(0.5, gt=0, le=4, description="duration in beats")
    every_n_cuts: int = Field(4, ge=1, description="put it on every n-th cut of the section")


class EffectRequest(_Plan):
    kind: EffectKind
    on: EffectTrigger = "beats"
    every: int = Field(1, ge=1, description="every n-th trigger")
    intensity: float = Field(0.6, ge=0, le=1)


class ToolEffect(_Plan):
    """A GLSL or ffmpeg-filter effect from the tool library by id, on triggers or over the whole
    section; a GLSL shader sees the music's beat phase, bar phase and energy whatever the trigger."""

    tool: str = Field(min_length=2)
    on: Literal["beats", "downbeats", "drops", "cuts", "section"] = "section"
    every: int = Field(1, ge=1)
    offset: int = Field(0, ge=0, description="skip this many triggers first (tools taking turns on one trigger)")
    beats: float = Field(1.0, gt=0, le=64, description="length of each triggered span, in beats")
    params: dict[str, float | list[float]] = Field(default_factory=dict)


class SectionPlan(_Plan):
    """A stretch of the reel, in seconds from the reel start, with its cut rhythm."""

    start: float = Field(ge=0)
    end: float = Field(gt=0)
    rhythm: Rhythm = "every_2_beats"
    shots: ShotPreference = "any"
    speed: float = Field(1.0, gt=0.1, le=4.0, description="clip playback speed")
    speed_ramp_to: float | None = Field(None, gt=0.1, le=4.0, description="ramp each clip from speed to this")
    transition: TransitionRequest | None = None
    effects: list[EffectRequest] = Field(default_factory=list)
    tools: list[ToolEffect] = Field(default_factory=list)
    why: str = ""

    @model_validator(mode="after")
    def _ordered(self) -> "SectionPlan":
        if self.end <= self.start:
            raise ValueError(f"section end {self.end} must be after its start {self.start}")
        return self


class TextOverlay(_Plan):
    text: str = Field(min_length=1, max_length=200)
    start: float = Field(0.0, ge=0)
    end: float = Field(gt=0)
    position: Literal["top", "center", "bottom"] = "bottom"


class Look(_Plan):
    """A colour look: a named preset, optionally with eq adjustments on top."""

    name: Literal["none", "punchy", "teal_orange", "warm", "cold", "bw", "vintage", "dark"] = "none"
    contrast: float = Field(1.0, ge=0.5, le=2.0)
    saturation: float = Field(1.0, ge=0.0, le=3.0)
    brightness: float = Field(0.0, ge=-0.3, le=0.3)


class EditPlan(_Plan):
    version: Literal[1] = 1
    style: str = "default"
    duration: float = Field(gt=0, le=600, description="reel length in seconds")
    aspect: Aspect = "16:9"
    fit: Literal["crop", "blur_pad"] = "crop"
    fps: float = Field(30.0, ge=10, le=60)
    height: int = Field(1080, ge=144, le=2160, description="output height in pixels (short side for portrait)")
    music_start: float | None = Field(None, ge=0, description="seconds into the music; None lets the compiler choose")
    sections: list[SectionPlan] = Field(min_length=1)
    look: Look = Field(default_factory=Look)
    texts: list[TextOverlay] = Field(default_factory=list)
    audio_fade_in: float = Field(0.02, ge=0, le=10, description="seconds; the default only avoids a click")
    audio_fade_out: float = Field(1.0, ge=0, le=10)
    loudness_lufs: float = Field(-14.0, ge=-40, le=-5)
    reasons: list[str] = Field(default_factory=list, description="why the planner chose what it chose")

    @model_validator(mode="after")
    def _sections_cover(self) -> "EditPlan":
        previous_end = 0.0
        for section in self.sections:
            if abs(section.start - previous_end) > 1e-6:
                raise ValueError(f"sections must tile the reel without gaps: a section starts at "
                                 f"{section.start} s but the previous one ends at {previous_end} s")
            previous_end = section.end
        if abs(previous_end - self.duration) > 1e-6:
            raise ValueError(f"sections end at {previous_end} s but the reel lasts {self.duration} s")
        return self


def edit_plan_schema() -> dict:
    return EditPlan.model_json_schema()
