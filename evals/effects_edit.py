"""The edit that `eval effects` renders: a beat-cut reel dense with effects and transitions.

Built the way a real edit is: generated clips and music (agent.demo), analysed (agent.media),
an EditPlan whose sections ask for library tools by id, compiled by agent.timeline.compile.
The reel is split into two-beat units. Plain units cut every two beats with nothing on them;
every effect unit cuts on every beat and stacks, on each beat: two GLSL effects, an ffmpeg-filter
look and a built-in flash (plus a zoom punch or a shake every other beat), with one transition
(GLSL or ffmpeg xfade) on its first cut. Two variants of the compiled timeline are derived from
it: without GLSL, and plain (see `variants`).
"""

from __future__ import annotations

import itertools
from collections import Counter
from dataclasses import dataclass

from agent.timeline.model import EffectItem, Timeline, TransitionItem
from agent.timeline.plan import (
    EditPlan,
    EffectRequest,
    Look,
    SectionPlan,
    ToolEffect,
    TransitionRequest,
)

# The bundled tools the effect units cycle through: every GLSL effect twice in the full reel,
# every GLSL transition once, and twelve of the thirteen ffmpeg-filter looks.
GLSL_EFFECTS = ("camera-shake", "film-burn", "kaleidoscope", "light-leak", "mirror", "pixelate", "rgb-split",
                "speed-lines", "strobe", "vhs", "vignette-pulse", "zoom-pulse")
TRANSITIONS = ("glsl:iris-open", "glsl:glitch-slices", "wipeleft", "glsl:luma-wipe", "glsl:pixel-dissolve",
               "circleopen", "glsl:slide-push", "glsl:zoom-through", "slideup", "glsl:dissolve-soft",
               "glsl:wipe-directional", "fadeblack")
FFMPEG_FILTERS = ("film-grain", "look-teal-orange", "negative", "poster-pop", "look-bleach-bypass", "mono-contrast",
                  "look-vintage-fade", "comic-edges", "look-cold-night", "sharpen-crisp", "look-warm-film",
                  "dreamy-soft")


@dataclass(frozen=True)
class EditConfig:
    name: str
    duration: float  # seconds
    height: int
    plain_units: frozenset[int]  # two-beat units left plain (every other unit carries effects)


FULL = EditConfig("full", 15.0, 720, frozenset({0, 1, 8, 9}))
QUICK = EditConfig("quick", 3.0, 720, frozenset({0}))


def tool_ids() -> set[str]:
    """Every library tool id the edit asks for."""
    return {*GLSL_EFFECTS, *FFMPEG_FILTERS, *(t.removeprefix("glsl:") for t in TRANSITIONS if t.startswith("glsl:"))}


def effect_section(start: float, end: float, k: int) -> SectionPlan:
    """The k-th effect unit: four to five layers on each beat, one transition on its first cut."""
    return SectionPlan(
        start=start, end=end, rhythm="every_beat", shots="active",
        transition=TransitionRequest(name=TRANSITIONS[k % len(TRANSITIONS)], beats=0.5, every_n_cuts=2),
        tools=[ToolEffect(tool=GLSL_EFFECTS[2 * k % len(GLSL_EFFECTS)], on="beats", beats=0.5),
               ToolEffect(tool=GLSL_EFFECTS[(2 * k + 1) % len(GLSL_EFFECTS)], on="beats", beats=0.5),
               ToolEffect(tool=FFMPEG_FILTERS[k % len(FFMPEG_FILTERS)], on="beats", beats=0.5)],
        effects=[EffectRequest(kind="flash", on="beats", intensity=0.7),
                 EffectRequest(kind="zoom_punch" if k % 2 == 0 else "shake", on="beats", every=2, intensity=0.6)],
        why=f"effect unit {k}")


def build_plan(cfg: EditConfig, beat_times: list[float], music_start: float) -> EditPlan:
    """Sections on two-beat units of the reel's beat grid (boundaries a quarter beat before a beat,
    so no beat sits on one)."""
    if len(beat_times) < 3:
        raise ValueError("the music needs a beat grid for the effects edit")
    period = (beat_times[-1] - beat_times[0]) / (len(beat_times) - 1)
    bounds = [0.0]
    for unit in range(1, len(beat_times) // 2):
        t = beat_times[2 * unit] - period / 4
        if t >= cfg.duration - period:  # the last unit runs to the end of the reel
            break
        bounds.append(round(t, 6))
    bounds.append(cfg.duration)
    sections, k = [], 0
    for unit, (start, end) in enumerate(itertools.pairwise(bounds)):
        if unit in cfg.plain_units or end - start < period * 1.5:
            sections.append(SectionPlan(start=start, end=end, rhythm="every_2_beats", why="plain unit"))
        else:
            sections.append(effect_section(start, end, k))
            k += 1
    return EditPlan(style="effects benchmark", duration=cfg.duration, aspect="16:9", height=cfg.height, fps=30.0,
                    music_start=music_start, sections=sections, look=Look(name="punchy"),
                    audio_fade_out=0.5, reasons=["eval effects: dense stacked effects on beats, plain units between"])


def without_glsl(timeline: Timeline) -> Timeline:
    """GLSL effects dropped; each GLSL transition replaced by a hard cut on the same frame."""
    return timeline.model_copy(update={
        "effects": [e for e in timeline.effects if e.kind != "glsl"],
        "transitions": [t for t in timeline.transitions if t.name != "glsl"]})


def plain(timeline: Timeline) -> Timeline:
    """No effects and no transitions: hard cuts only (same clips, music and look)."""
    return timeline.model_copy(update={"effects": [], "transitions": []})


VARIANTS = {
    "full": "the compiled edit as the renderer gets it",
    "no_glsl": "the full edit with every GLSL effect removed and every GLSL transition replaced by a hard cut "
               "on the same frame; ffmpeg-filter effects, xfade transitions and built-in flash/zoom/shake kept",
    "plain": "the full edit with no effects and no transitions at all (hard cuts on the same frames); same clips, "
             "music and colour look",
}


def variants(timeline: Timeline) -> dict[str, Timeline]:
    return {"full": timeline, "no_glsl": without_glsl(timeline), "plain": plain(timeline)}


def instance_kind(item: EffectItem | TransitionItem) -> str:
    if isinstance(item, TransitionItem):
        return "glsl_transition" if item.name == "glsl" else "ffmpeg_transition"
    return {"glsl": "glsl_effect", "ffmpeg": "ffmpeg_filter"}.get(item.kind, item.kind)


def instance_span(item: EffectItem | TransitionItem) -> range:
    return range(item.start_frame, item.end_frame)


def instances(timeline: Timeline) -> list[EffectItem | TransitionItem]:
    return [*timeline.transitions, *timeline.effects]


def is_glsl(item: EffectItem | TransitionItem) -> bool:
    return instance_kind(item).startswith("glsl")


def layer_stats(timeline: Timeline) -> dict:
    """Instances by kind, effect frames, and how deeply they stack."""
    layers: Counter[int] = Counter()
    glsl_layers: Counter[int] = Counter()
    glsl_effect_frames: set[int] = set()
    for item in instances(timeline):
        for frame in instance_span(item):
            layers[frame] += 1
            if is_glsl(item):
                glsl_layers[frame] += 1
            if instance_kind(item) == "glsl_effect":
                glsl_effect_frames.add(frame)
    kinds = Counter(instance_kind(i) for i in instances(timeline))
    depth = Counter(layers.values())
    return {
        "instances": sum(kinds.values()),
        "instances_by_kind": dict(sorted(kinds.items())),
        "effect_frames": len(layers),
        "effect_frame_share": round(len(layers) / timeline.frame_count, 3),
        "glsl_frames": len(glsl_layers),
        "glsl_effect_frames": len(glsl_effect_frames),
        "layer_frames": sum(layers.values()),
        "glsl_layer_frames": sum(glsl_layers.values()),
        "frames_by_layer_depth": {str(d): depth[d] for d in sorted(depth)},
        "max_layers_on_a_frame": max(layers.values(), default=0),
    }
