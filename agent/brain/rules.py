"""The rules brain: a deterministic planner from the request and the music analysis.

`plan_edit(prompt, music)` refuses a self-contradicting request with `PlanError`, otherwise
starts from the style preset, lets every explicit constraint (`agent.brain.request`) override it,
places the music so that its first strong drop lands about a third into the reel, and splits the
reel into sections that follow the music's sections. Every choice is explained in
`EditPlan.reasons`.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Mapping

from agent.brain.request import (
    MOOD_STYLES,
    LookName,
    RequestConstraints,
    Scope,
    TransitionAsk,
    parse_request,
)
from agent.brain.showcase import showcase
from agent.errors import PlanError
from agent.media.models import MusicAnalysis
from agent.timeline.plan import (RHYTHM_BEATS, Aspect, EditPlan, EffectKind, EffectRequest, EffectTrigger, Look,
                                 Rhythm, SectionPlan, ShotPreference, TextOverlay, ToolEffect, TransitionRequest)


# ----------------------------------------------------------------------------- style presets


@dataclass(frozen=True)
class PresetEffect:
    kind: EffectKind
    on: EffectTrigger
    scope: Scope = "all"  # which sections get it: all, only drop sections, only the calm ones
    every: int = 1
    intensity: float = 0.6


@dataclass(frozen=True)
class StylePreset:
    """What a style implies when the request does not say otherwise."""

    summary: str
    calm_rhythm: Rhythm  # intro / build / break / outro
    drop_rhythm: Rhythm
    main_rhythm: Rhythm  # when the music gives no structure (no music, no sections, no drops)
    calm_shots: ShotPreference = "any"
    transition: str | None = None  # xfade name; None = hard cuts
    transition_every: int = 4
    transition_beats: float = 1.0
    effects: tuple[PresetEffect, ...] = ()
    look: LookName = "none"
    aspect: Aspect = "16:9"
    duration: float | None = None  # None: the caller's default_duration
    fps: float = 30.0


@dataclass(frozen=True)
class PresetTool:
    """A library tool a style adds on its own (GLSL or ffmpeg-filter, by id)."""

    tool: str
    on: str  # beats, downbeats, drops, cuts or section
    scope: Scope = "all"
    beats: float = 1.0


# Library tools per style, used sparingly: each GLSL frame costs more than an ffmpeg one on a CPU.
# A style's own colour look already comes from its preset, so these add texture and motion.
STYLE_TOOLS: Mapping[str, tuple[PresetTool, ...]] = MappingProxyType({
    "phonk": (PresetTool("rgb-split", "downbeats", "drops", 1.0), PresetTool("film-grain", "section", "calm")),
    "amv": (PresetTool("speed-lines", "downbeats", "drops", 1.0), PresetTool("rgb-split", "drops", "drops", 2.0)),
    "hype": (PresetTool("zoom-pulse", "downbeats", "drops", 1.0), PresetTool("strobe", "drops", "drops", 1.0)),
    "sport": (PresetTool("zoom-pulse", "downbeats", "drops", 1.0),),
    "montage": (PresetTool("light-leak", "drops", "drops", 4.0),),
    "travel": (PresetTool("light-leak", "section", "calm"),),
    "cinematic": (PresetTool("film-grain", "section"),),
    "wedding": (PresetTool("dreamy-soft", "section"),),
    "lofi": (PresetTool("vhs", "section"), PresetTool("film-grain", "section")),
})


STYLE_PRESETS: Mapping[str, StylePreset] = MappingProxyType({
    "default": StylePreset("cuts every 2 beats, every beat on drops, no transitions or effects",
                           "every_2_beats", "every_beat", "every_2_beats"),
    "phonk": StylePreset("hard cuts, flash + shake on drops, zoom punch on downbeats, dark look, 9:16",
                         "every_2_beats", "every_beat", "every_beat", calm_shots="active",
                         effects=(PresetEffect("flash", "drops", "drops", intensity=0.8),
                                  PresetEffect("shake", "drops", "drops", intensity=0.7),
                                  PresetEffect("zoom_punch", "downbeats", intensity=0.5)),
                         look="dark", aspect="9:16"),
    "amv": StylePreset("hard cuts, flash on downbeats, punchy look, 9:16",
                       "every_2_beats", "every_beat", "every_2_beats", calm_shots="active",
                       effects=(PresetEffect("flash", "downbeats", intensity=0.6),),
                       look="punchy", aspect="9:16"),
    "hype": StylePreset("hard cuts, zoom punch on every beat in drops, flash on drops, punchy look, 9:16",
                        "every_2_beats", "every_beat", "every_beat", calm_shots="active",
                        effects=(PresetEffect("zoom_punch", "beats", "drops", intensity=0.6),
                                 PresetEffect("flash", "drops", "drops", intensity=0.7)),
                        look="punchy", aspect="9:16"),
    "sport": StylePreset("hard cuts, zoom punch on downbeats and shake on drops, punchy look",
                         "every_2_beats", "every_beat", "every_2_beats", calm_shots="active",
                         effects=(PresetEffect("zoom_punch", "downbeats", "drops", intensity=0.6),
                                  PresetEffect("shake", "drops", "drops", intensity=0.6)),
                         look="punchy", duration=20.0),
    "montage": StylePreset("hard cuts, flash on drops, punchy look",
                           "every_2_beats", "every_beat", "every_2_beats",
                           effects=(PresetEffect("flash", "drops", "drops", intensity=0.6),),
                           look="punchy", duration=30.0),
    "travel": StylePreset("cuts on downbeats, every 2 beats on drops, a fade every 4 cuts, warm look",
                          "downbeat", "every_2_beats", "downbeat", transition="fade", transition_every=4,
                          look="warm", duration=30.0),
    "calm": StylePreset("slow cuts every 2 bars, calm shots, a fade every 2 cuts, warm look",
                        "every_2_bars", "downbeat", "every_2_bars", calm_shots="calm", transition="fade",
                        transition_every=2, transition_beats=2.0, look="warm", duration=30.0),
    "cinematic": StylePreset("slow cuts every 2 bars, a fade every 4 cuts, teal-orange look, 24 fps",
                             "every_2_bars", "downbeat", "every_2_bars", calm_shots="calm", transition="fade",
                             transition_every=4, transition_beats=2.0, look="teal_orange", duration=30.0,
                             fps=24.0),
    "vlog": StylePreset("cuts on downbeats, every 2 beats on drops, a fade every 6 cuts, no look",
                        "downbeat", "every_2_beats", "downbeat", transition="fade", transition_every=6,
                        duration=30.0),
    "wedding": StylePreset("slow cuts every 2 bars, calm shots, a fade every 2 cuts, warm look",
                           "every_2_bars", "downbeat", "every_2_bars", calm_shots="calm", transition="fade",
                           transition_every=2, transition_beats=2.0, look="warm", duration=45.0),
    "lofi": StylePreset("cuts every 2 bars, calm shots, a fade every 4 cuts, vintage look",
                        "every_2_bars", "downbeat", "every_2_bars", calm_shots="calm", transition="fade",
                        transition_every=4, transition_beats=2.0, look="vintage", duration=20.0),
})

# When the request names an effect but not its trigger and the style has no opinion.
_DEFAULT_TRIGGER: Mapping[str, EffectTrigger] = MappingProxyType(
    {"flash": "drops", "shake": "drops", "zoom_punch": "downbeats"})


# ----------------------------------------------------------------------------- music placement


@dataclass(frozen=True)
class _Segment:
    """A stretch of the reel (seconds from the reel start) with the music label it follows."""

    start: float
    end: float
    label: str  # intro/build/drop/break/outro, or "whole" when the music gives no structure

    @property
    def is_drop(self) -> bool:
        return self.label == "drop"


def _drop_times(music: MusicAnalysis) -> list[float]:
    times = sorted(set(music.drops) | {s.start for s in music.sections if s.label == "drop"})
    merged: list[float] = []
    for t in times:
        if not merged or t - merged[-1] > 1.0:
            merged.append(t)
    return merged


def _mean_energy(music: MusicAnalysis, start: float, end: float) -> float:
    if not music.energy or music.energy_hop <= 0:
        return 0.0
    first = max(0, int(start / music.energy_hop))
    last = min(len(music.energy), max(first + 1, int(end / music.energy_hop)))
    window = music.energy[first:last]
    return sum(window) / len(window) if window else 0.0


def _drop_strength(music: MusicAnalysis, t: float) -> float:
    for section in music.sections:
        if section.label == "drop" and section.start - 1.0 <= t < section.end:
            return section.energy
    return _mean_energy(music, t, t + 4.0)


def _start_candidates(music: MusicAnalysis) -> list[float]:
    return list(music.downbeats) or list(music.beats[::max(1, music.meter)]) or [0.0]


def _choose_music_start(music: MusicAnalysis, duration: float) -> tuple[float, str, float | None]:
    """(music start, reason, where the chosen drop lands in the reel or None)."""
    if music.duration <= duration + 1e-6:
        return 0.0, (f"music starts at 0 s: the track ({music.duration:.1f} s) is not longer than "
                     f"the reel ({duration:g} s)"), None
    latest_start = music.duration - duration
    candidates = [c for c in _start_candidates(music) if 0 <= c <= latest_start + 1e-6] or [0.0]

    drops = _drop_times(music)
    if drops:
        strongest = max(_drop_strength(music, t) for t in drops)
        strong = [t for t in drops if _drop_strength(music, t) >= 0.75 * strongest]
        for drop in strong + [t for t in drops if t not in strong]:
            inside = [c for c in candidates if c <= drop < c + duration - 1.0]
            if not inside:
                continue
            preferred = [c for c in inside if 0.25 * duration <= drop - c <= 0.40 * duration]
            start = min(preferred or inside, key=lambda c: (abs(drop - c - 0.3 * duration), c))
            offset = drop - start
            which = "first strong drop" if drop == strong[0] else "drop"
            return start, (f"music starts at {start:.1f} s so the {which} at {drop:.1f} s lands {offset:.1f} s in "
                           f"({100 * offset / duration:.0f}% of the reel)"), offset

    if music.energy:
        start = max(candidates, key=lambda c: (_mean_energy(music, c, c + duration), -c))
        return start, (f"music starts at {start:.1f} s: no drop fits, so the {duration:g} s window with the "
                       f"highest energy ({_mean_energy(music, start, start + duration):.2f})"), None
    start = candidates[0]
    return start, f"music starts at the first downbeat ({start:.1f} s): no drop and no energy curve", None


def _music_segments(music: MusicAnalysis, start: float, duration: float) -> list[_Segment]:
    """The music's sections inside [start, start + duration], in reel time, snapped to beats."""
    end = start + duration
    labelled: list[tuple[float, float, str]] = []
    if music.sections:
        cursor = start
        for section in sorted(music.sections, key=lambda s: s.start):
            if section.end <= cursor or section.start >= end:
                continue
            if section.start > cursor + 1e-6:  # a gap the analysis left unlabelled
                labelled.append((cursor, section.start, "intro" if not labelled and cursor <= 0 else "break"))
            labelled.append((max(section.start, cursor), min(section.end, end), section.label))
            cursor = min(section.end, end)
        if cursor < end:
            labelled.append((cursor, end, "outro"))
    else:
        beat = 60.0 / music.tempo if music.tempo > 0 else 0.5
        cursor = start
        for drop in (d for d in _drop_times(music) if start <= d < end):
            drop_end = min(end, drop + 16 * beat)  # a drop without sections: one phrase of 16 beats
            if drop > cursor:
                labelled.append((cursor, drop, "build" if not labelled else "break"))
            labelled.append((max(drop, cursor), drop_end, "drop"))
            cursor = drop_end
        if cursor < end:
            labelled.append((cursor, end, "break" if labelled else "whole"))

    bounds = [_snap_to_beat(music, b, start, duration) for b in [s for s, _, _ in labelled[1:]]]
    segments: list[_Segment] = []
    previous = 0.0
    min_length = max(1.0, 2 * (60.0 / music.tempo if music.tempo > 0 else 0.5))
    for (_, _, label), bound in zip(labelled, bounds + [duration]):
        if bound - previous < min_length and bound < duration:
            continue  # too short to hold a cut: its time goes to the next segment
        if segments and segments[-1].label == label:
            segments[-1] = _Segment(segments[-1].start, bound, label)
        elif bound - previous < min_length and segments:
            segments[-1] = _Segment(segments[-1].start, bound, segments[-1].label)
        else:
            segments.append(_Segment(previous, bound, label))
        previous = bound
    return segments or [_Segment(0.0, duration, "whole")]


def _snap_to_beat(music: MusicAnalysis, boundary: float, start: float, duration: float) -> float:
    """A section boundary (music time) → reel time, moved to the nearest beat when one is close."""
    reel_time = boundary - start
    if music.beats and boundary < music.duration - 1e-6:  # the music's end is no beat to snap
        nearest = min(music.beats, key=lambda b: abs(b - boundary))
        beat = 60.0 / music.tempo if music.tempo > 0 else 0.5
        if abs(nearest - boundary) <= beat:
            reel_time = nearest - start
    return round(min(max(reel_time, 0.0), duration), 3)


# ----------------------------------------------------------------------------- plan_edit


def plan_edit(prompt: str, music: MusicAnalysis | None = None, *, default_duration: float = 15.0,
              tools: Mapping[str, Any] | None = None) -> EditPlan:
    """Plan an edit deterministically: the style preset, overridden by every explicit constraint.
    `tools`: the tool library (id -> Tool), which an "effect showcase" request draws on.

    Raises PlanError when the request contradicts itself (it is refused, never half-planned).
    """
    return plan_from_request(parse_request(prompt), music, default_duration=default_duration, tools=tools)


def plan_from_request(request: RequestConstraints, music: MusicAnalysis | None = None, *,
                      default_duration: float = 15.0, tools: Mapping[str, Any] | None = None) -> EditPlan:
    """`plan_edit` on constraints already read (or completed by another brain's choices)."""
    if request.contradictions:
        raise PlanError("request contradicts itself: " + "; ".join(request.contradictions))

    reasons: list[str] = [f"request language: {request.language}"]
    style = request.style or "default"
    preset = STYLE_PRESETS[style]
    if request.style:
        reasons.append(f"style {style} (from '{request.style_phrase}'): {preset.summary}")
    else:
        reasons.append(f"no style named: default preset ({preset.summary})")

    duration, why = _choose_duration(request, preset, style, music, default_duration)
    reasons.append(why)
    aspect: Aspect = request.aspect or preset.aspect
    reasons.append(f"aspect {aspect} from '{request.aspect_phrase}'" if request.aspect
                   else f"aspect {aspect}: {style} preset default")
    fps = min(max(request.fps, 10.0), 60.0) if request.fps else preset.fps
    reasons.append((f"{fps:g} fps from the request" + (f" (limited to 10..60 from {request.fps:g})"
                                                         if fps != request.fps else ""))
                   if request.fps else f"{fps:g} fps: {style} preset default")

    if music is not None and music.has_beats:
        music_start, why, _ = _choose_music_start(music, duration)
        segments = _music_segments(music, music_start, duration)
        music_start = round(music_start, 3)
    else:
        music_start = 0.0
        why = ("music starts at 0 s: no music analysis given" if music is None
               else "music starts at 0 s: the music has no beats, so one section")
        segments = [_Segment(0.0, duration, "whole")]
    reasons.append(why)

    transitions, why = _choose_transitions(request, preset, style)
    reasons.append(why)
    effects, why = _choose_effects(request, preset, style)
    reasons.append(why)
    has_drops = any(s.is_drop for s in segments)
    sections = [_section_plan(seg, request, preset, style, transitions, effects, has_drops, music is None)
                for seg in segments]
    if any(e.on == "drops" for e in effects) and not any(e.on == "drops" for s in sections for e in s.effects):
        reasons.append("no drop falls inside the reel, so the drop effects are left out")
    reasons.append(_rhythm_reason(request, preset, style))
    if request.showcase and tools:
        sections, why = showcase(sections, [seg.is_drop for seg in segments], tools, music.tempo if music else 0.0,
                                 not (request.no_transitions or request.hard_cuts or request.transitions))
        reasons.append(f"{why} (from '{request.showcase}')")
    elif request.showcase:
        reasons.append(f"'{request.showcase}' asked for, but no tool library was given: style tools only")
    used_tools = sorted({t.tool for section in sections for t in section.tools})
    if used_tools and not request.showcase:
        reasons.append(f"library tools for {style}: {', '.join(used_tools)}")

    look_name, why = _choose_look(request, preset, style)
    reasons.append(why)
    texts = _text_overlays(request, duration)
    if texts:
        reasons.append("text overlays from the quoted text: " + ", ".join(f"'{t.text}'" for t in texts))
    if request.speed or request.speed_ramp:
        reasons.append(_speed_reason(request, has_drops))
    if request.height:
        reasons.append(f"{request.height} px output height from the request")
    if request.fit:
        reasons.append("blurred padding instead of cropping, as the request asks")

    return EditPlan(style=style, duration=duration, aspect=aspect, fit=request.fit or "crop", fps=fps,
                    height=request.height or 1080, music_start=music_start, sections=sections,
                    look=Look(name=look_name), texts=texts, reasons=reasons)


def _choose_duration(request: RequestConstraints, preset: StylePreset, style: str, music: MusicAnalysis | None,
                     default_duration: float) -> tuple[float, str]:
    if request.duration is not None:
        duration = round(min(max(request.duration, 1.0), 600.0), 3)
        why = f"duration {duration:g} s from the request ('{request.duration_phrase}')"
        if duration != request.duration:
            why += f", limited to 1..600 s from {request.duration:g} s"
        if music is not None and music.has_beats and music.duration < duration:
            why += f"; the music is only {music.duration:.1f} s long, the rest of the reel has no new music"
        return duration, why
    if preset.duration is not None:
        duration, why = preset.duration, f"duration {preset.duration:g} s: {style} preset default"
    else:
        duration, why = default_duration, f"duration {default_duration:g} s: default"
    if music is not None and music.has_beats and 1.0 <= music.duration < duration:
        duration = round(music.duration, 3)
        why += f", shortened to the music's {duration:g} s"
    return duration, why


def _choose_transitions(request: RequestConstraints, preset: StylePreset, style: str
                        ) -> tuple[dict[str, TransitionAsk | None], str]:
    """The transition for drop sections and for calm sections (None = hard cuts)."""
    if request.no_transitions:
        return {"drops": None, "calm": None}, f"no transitions: '{request.no_transitions}'"
    chosen: dict[str, TransitionAsk | None] = {}
    for ask in request.transitions:
        for scope in (("drops", "calm") if ask.scope == "all" else (ask.scope,)):
            chosen.setdefault(scope, ask)
    asked = ", ".join(f"{a.name} from '{a.phrase}'" for a in request.transitions)
    if len(chosen) == 2:
        return chosen, f"transitions from the request: {asked}"
    if request.hard_cuts:
        fallback, why = None, f"hard cuts ('{request.hard_cuts}')"
    elif preset.transition:
        fallback = TransitionAsk(preset.transition, f"{style} preset")
        why = f"{preset.transition} every {preset.transition_every} cuts: {style} preset"
    else:
        fallback, why = None, f"hard cuts: {style} preset"
    for scope in ("drops", "calm"):
        chosen.setdefault(scope, fallback)
    return chosen, (f"transitions from the request: {asked}; elsewhere {why}" if asked else f"transitions: {why}")


def _choose_effects(request: RequestConstraints, preset: StylePreset, style: str
                    ) -> tuple[list[PresetEffect], str]:
    if request.no_effects:
        return [], f"no effects: '{request.no_effects}'"
    if request.effects:
        effects = []
        for ask in request.effects:
            on = ask.on or next((e.on for e in preset.effects if e.kind == ask.kind), _DEFAULT_TRIGGER[ask.kind])
            if on == "drops" and ask.scope == "calm":  # "shake in the intro": the intro has no drop
                on = "downbeats"
            scope: Scope = "drops" if on == "drops" else ask.scope
            intensity = ask.intensity if ask.intensity is not None else next(
                (e.intensity for e in preset.effects if e.kind == ask.kind), 0.6)
            effects.append(PresetEffect(ask.kind, on, scope, ask.every, intensity))
        why = "effects from the request (they replace the preset's): " + ", ".join(
            f"{e.kind} on {e.on}" + (f" in {e.scope}" if e.scope != "all" and e.on != "drops" else "")
            for e in effects)
        return effects, why
    effects = [e for e in preset.effects if e.kind not in request.banned_effects]
    why = f"effects: {style} preset (" + (", ".join(f"{e.kind} on {e.on}" for e in effects) or "none") + ")"
    if request.banned_effects:
        why += "; left out as the request forbids: " + ", ".join(request.banned_effects)
    return effects, why


def _section_plan(segment: _Segment, request: RequestConstraints, preset: StylePreset, style: str,
                  transitions: dict[str, TransitionAsk | None], effects: list[PresetEffect], has_drops: bool,
                  structure_unknown: bool) -> SectionPlan:
    if segment.label == "whole":
        rhythm, why = request.rhythm or preset.main_rhythm, "no music structure"
        why += (f": rhythm {rhythm} from '{request.rhythm_phrase}'" if request.rhythm
                else f": {style}'s main rhythm {rhythm}")
        shots: ShotPreference = preset.calm_shots
    elif segment.is_drop:
        rhythm = request.rhythm or request.drop_rhythm or preset.drop_rhythm
        phrase = request.rhythm_phrase if request.rhythm else request.drop_rhythm_phrase
        why = (f"drop: rhythm {rhythm} from '{phrase}'" if request.rhythm or request.drop_rhythm
               else f"drop: {style}'s faster rhythm {rhythm}") + ", active shots"
        shots = "active"
    else:
        rhythm = request.rhythm or request.calm_rhythm or preset.calm_rhythm
        phrase = request.rhythm_phrase if request.rhythm else request.calm_rhythm_phrase
        why = (f"{segment.label}: rhythm {rhythm} from '{phrase}'" if request.rhythm or request.calm_rhythm
               else f"{segment.label}: {style}'s calmer rhythm {rhythm}")
        shots = preset.calm_shots

    scope = "drops" if segment.is_drop else "calm"
    transition = _transition_request(transitions[scope], preset, rhythm)
    section_effects = [EffectRequest(kind=e.kind, on=e.on, every=e.every, intensity=e.intensity)
                       for e in effects if _effect_applies(e, segment, structure_unknown)]
    tools = [] if request.no_effects else [
        ToolEffect(tool=t.tool, on=t.on, beats=t.beats) for t in STYLE_TOOLS.get(style, ())
        if _effect_applies(t, segment, structure_unknown)]
    speed, ramp_to = 1.0, None
    if request.speed is not None and ((has_drops and not segment.is_drop) or not (has_drops or request.speed_ramp)):
        speed = request.speed
        why += ", slow motion"
    if request.speed_ramp and (segment.is_drop or not has_drops):
        speed, ramp_to = 1.5, 0.5
        why += ", speed ramp 1.5x -> 0.5x"
    return SectionPlan(start=segment.start, end=segment.end, rhythm=rhythm, shots=shots, speed=speed,
                       speed_ramp_to=ramp_to, transition=transition, effects=section_effects, tools=tools,
                       why=why)


def _transition_request(ask: TransitionAsk | None, preset: StylePreset, rhythm: Rhythm) -> TransitionRequest | None:
    if ask is None:
        return None
    # A transition may take at most half a shot, so the cut it sits on stays readable.
    beats = min(preset.transition_beats, RHYTHM_BEATS[rhythm] / 2)
    every = ask.every_n_cuts or (preset.transition_every if preset.transition else 4)
    return TransitionRequest(name=ask.name, expr=ask.expr, beats=beats, every_n_cuts=every)


def _effect_applies(effect: PresetEffect | PresetTool, segment: _Segment, structure_unknown: bool) -> bool:
    if segment.label == "whole":
        # Without an analysis the compiler still finds drops, so drop-triggered effects stay.
        # A reel without drops is all calm.
        return effect.scope in ("all", "calm") or (structure_unknown and effect.on == "drops")
    if effect.on == "drops" or effect.scope == "drops":
        return segment.is_drop
    if effect.scope == "calm":
        return not segment.is_drop
    return True


def _rhythm_reason(request: RequestConstraints, preset: StylePreset, style: str) -> str:
    if request.rhythm:
        return f"every section cuts {request.rhythm} as the request fixes it ('{request.rhythm_phrase}')"
    drop = (f"{request.drop_rhythm} from '{request.drop_rhythm_phrase}'" if request.drop_rhythm
            else f"{preset.drop_rhythm} ({style} preset)")
    calm = (f"{request.calm_rhythm} from '{request.calm_rhythm_phrase}'" if request.calm_rhythm
            else f"{preset.calm_rhythm} ({style} preset)")
    return f"rhythm: drops {drop}, calmer parts {calm}"


def _choose_look(request: RequestConstraints, preset: StylePreset, style: str) -> tuple[LookName, str]:
    if request.look:
        return request.look, f"look {request.look} from '{request.look_phrase}'"
    # A mood word ("cinematic travel video") says more about the look than the genre's preset.
    for other in request.styles:
        if other != style and (other in MOOD_STYLES or preset.look == "none") and STYLE_PRESETS[other].look != "none":
            return STYLE_PRESETS[other].look, f"look {STYLE_PRESETS[other].look}: from the {other} mood"
    return preset.look, f"look {preset.look}: {style} preset default"


def _text_overlays(request: RequestConstraints, duration: float) -> list[TextOverlay]:
    overlays = []
    for ask in request.texts:
        if ask.kind == "title":
            overlays.append(TextOverlay(text=ask.text, start=0.0, end=round(min(3.0, duration), 3), position="center"))
        else:
            overlays.append(TextOverlay(text=ask.text, start=0.0, end=duration, position="bottom"))
    return overlays


def _speed_reason(request: RequestConstraints, has_drops: bool) -> str:
    parts = []
    if request.speed is not None and request.speed_ramp and not has_drops:
        parts.append("speed ramp 1.5x -> 0.5x throughout (no drop to keep it apart from the slow motion, "
                     "so the ramp takes its place)")
    else:
        if request.speed is not None:
            parts.append(f"speed {request.speed:g}x " + ("outside the drops" if has_drops else "throughout"))
        if request.speed_ramp:
            parts.append("speed ramp 1.5x -> 0.5x " + ("in the drops" if has_drops else "throughout"))
    return f"{' and '.join(parts)} from '{request.speed_phrase}'"
