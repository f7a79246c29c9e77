"""Timeline: what the renderer reads. Frame-exact on a rational frame rate.

Record positions are output frame numbers (frame k is shown at k * fps_den / fps_num seconds).
Source positions are seconds in the source (its presentation time), since sources may be VFR.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


# ffmpeg 5.1's built-in xfade transitions: the names a TransitionItem may carry besides "custom"
# (an xfade expression) and "glsl" (a shader).
XFADE_TRANSITIONS = frozenset("""
fade wipeleft wiperight wipeup wipedown slideleft slideright slideup slidedown circlecrop rectcrop
distance fadeblack fadewhite radial smoothleft smoothright smoothup smoothdown circleopen circleclose
vertopen vertclose horzopen horzclose dissolve pixelize diagtl diagtr diagbl diagbr hlslice hrslice
vuslice vdslice hblur fadegrays wipetl wipetr wipebl wipebr squeezeh squeezev zoomin fadefast
fadeslow hlwind hrwind vuwind vdwind coverleft coverright coverup coverdown revealleft revealright
revealup revealdown
""".split())


class _Item(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Reframe(_Item):
    """How a source fills the output frame. `crop` scales to cover and crops around the centre
    (cx, cy in 0..1 of the source); `blur_pad` fits inside over a blurred, scaled-up copy."""

    mode: Literal["crop", "blur_pad"] = "crop"
    cx: float = Field(0.5, ge=0, le=1)
    cy: float = Field(0.5, ge=0, le=1)


class ClipItem(_Item):
    source: str  # absolute path
    source_start: float = Field(ge=0)  # source time (s) shown at record_start
    record_start: int = Field(ge=0)
    record_end: int  # exclusive
    speed: float = Field(1.0, gt=0)
    speed_end: float | None = Field(None, gt=0)  # linear ramp from speed to speed_end over the item
    shot_index: int = -1  # the source shot this comes from (-1: unknown)
    reframe: Reframe = Field(default_factory=Reframe)

    @model_validator(mode="after")
    def _positive(self) -> "ClipItem":
        if self.record_end <= self.record_start:
            raise ValueError(f"clip item must last at least one frame: {self.record_start}..{self.record_end}")
        return self

    @property
    def frames(self) -> int:
        return self.record_end - self.record_start

    def source_offset(self, frames: float, fps: Fraction) -> float:
        """Source seconds covered by the first `frames` output frames (speed ramps included)."""
        seconds = frames / float(fps)
        end_speed = self.speed if self.speed_end is None else self.speed_end
        total = self.frames / float(fps)
        # speed rises linearly from `speed` to `end_speed` over the item: integrate it.
        return self.speed * seconds + (end_speed - self.speed) * seconds * seconds / (2 * total)


class TransitionItem(_Item):
    """A transition centred on the cut at `cut_frame` between items `index - 1` and `index`.
    It spans [cut_frame - frames // 2, cut_frame - frames // 2 + frames): the outgoing item runs
    past the cut and the incoming one starts before it (their handles)."""

    index: int = Field(ge=1)
    cut_frame: int
    frames: int = Field(ge=2)
    name: str = "fade"  # an xfade transition name, "custom" (xfade expression) or "glsl"
    expr: str | None = None  # xfade expression when name == "custom"
    shader: str | None = None  # gl-transitions GLSL source when name == "glsl"
    params: dict[str, float | list[float]] = Field(default_factory=dict)  # the shader's uniforms
    tool: str | None = None  # the library tool's id, when one was used
    tags: list[str] = Field(default_factory=list)  # that tool's tags, as they were when compiled

    @property
    def start_frame(self) -> int:
        return self.cut_frame - self.frames // 2

    @property
    def end_frame(self) -> int:
        return self.start_frame + self.frames


def transition_handles(items: int, transitions: list[TransitionItem]) -> tuple[list[int], list[int]]:
    """Per item, the frames a transition needs before its start (head) and past its end (tail):
    the incoming item starts frames // 2 early, the outgoing one runs the rest past the cut."""
    heads, tails = [0] * items, [0] * items
    for tr in transitions:
        heads[tr.index] = tr.frames // 2
        tails[tr.index - 1] = tr.frames - tr.frames // 2
    return heads, tails


class EffectItem(_Item):
    """A built-in effect, or a GLSL `vec4 effect(vec2 uv)` shader (kind "glsl") that sees the
    span's time and progress and the music's beat phase, bar phase and energy."""

    kind: Literal["flash", "zoom_punch", "shake", "glsl", "ffmpeg"]
    start_frame: int = Field(ge=0)
    end_frame: int
    intensity: float = Field(0.6, ge=0, le=1)
    seed: int = 0
    shader: str | None = None
    params: dict[str, float | list[float]] = Field(default_factory=dict)
    filter: str | None = None  # an ffmpeg filter chain (kind "ffmpeg")

    @model_validator(mode="after")
    def _source_for_kind(self) -> "EffectItem":
        if self.end_frame <= self.start_frame:
            raise ValueError(f"effect span {self.start_frame}..{self.end_frame} is empty")
        if self.kind == "glsl" and not self.shader:
            raise ValueError("a glsl effect needs its shader source")
        if self.kind == "ffmpeg" and not self.filter:
            raise ValueError("an ffmpeg effect needs its filter chain")
        return self


class TextItem(_Item):
    text: str
    start_frame: int = Field(ge=0)
    end_frame: int
    position: Literal["top", "center", "bottom"] = "bottom"


class AudioSegment(_Item):
    """A span of the music placed on the record: source [source_start, source_start + duration)."""

    source_start: float = Field(ge=0)
    record_start: float = Field(ge=0)
    duration: float = Field(gt=0)


class AudioTrack(_Item):
    source: str
    segments: list[AudioSegment]
    fade_in: float = 0.0
    fade_out: float = 0.0
    loudness_lufs: float = -14.0


class LookItem(_Item):
    name: str = "none"
    contrast: float = 1.0
    saturation: float = 1.0
    brightness: float = 0.0
    gamma: float = 1.0
    lut: str | None = None  # path to a .cube file, applied with lut3d


class Timeline(_Item):
    fps_num: int = 30
    fps_den: int = 1
    width: int
    height: int
    items: list[ClipItem]
    transitions: list[TransitionItem] = Field(default_factory=list)
    effects: list[EffectItem] = Field(default_factory=list)
    texts: list[TextItem] = Field(default_factory=list)
    audio: AudioTrack | None = None
    look: LookItem = Field(default_factory=LookItem)
    # The music as effects feel it, in reel seconds (audio-reactive GLSL uniforms).
    beats: list[float] = Field(default_factory=list)
    downbeats: list[float] = Field(default_factory=list)
    energy: list[float] = Field(default_factory=list)  # 0..1, one value every energy_hop seconds
    energy_hop: float = 0.05

    @model_validator(mode="after")
    def _contiguous(self) -> "Timeline":
        if self.width % 2 or self.height % 2:
            raise ValueError(f"output size must be even for yuv420p: {self.width}x{self.height}")
        position = 0
        for n, item in enumerate(self.items):
            if item.record_start != position:
                raise ValueError(f"item {n} starts at frame {item.record_start}, expected {position}")
            position = item.record_end
        for tr in self.transitions:
            if not 1 <= tr.index < len(self.items) or self.items[tr.index].record_start != tr.cut_frame:
                raise ValueError(f"transition at frame {tr.cut_frame} is not on a cut")
        # The frames of each item that transitions mix away: its outgoing transition's head on
        # this side of the cut, and its incoming transition's tail.
        heads, tails = transition_handles(len(self.items), self.transitions)
        for n, item in enumerate(self.items):
            mixed = (heads[n + 1] if n + 1 < len(self.items) else 0) + (tails[n - 1] if n else 0)
            if mixed > item.frames:
                raise ValueError(f"item {n} lasts {item.frames} frames but its transitions need {mixed}")
        chains = sorted((e.start_frame, e.end_frame) for e in self.effects if e.kind == "ffmpeg")
        for (_, end), (start, _) in zip(chains, chains[1:]):
            if start < end:
                raise ValueError(f"ffmpeg effects overlap at frame {start}: join them into one filter chain")
        return self

    @property
    def fps(self) -> Fraction:
        return Fraction(self.fps_num, self.fps_den)

    @property
    def frame_count(self) -> int:
        return self.items[-1].record_end if self.items else 0

    @property
    def duration(self) -> float:
        return self.frame_count / float(self.fps)

    def cut_frames(self) -> list[int]:
        """Frames where a new item starts (the first frame of each item after the first)."""
        return [item.record_start for item in self.items[1:]]
