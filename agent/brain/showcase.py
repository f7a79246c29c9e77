"""The rule planner's "effect showcase": many distinct library tools over one reel.

Each section's cuts take turns through its share of the library's effects (GLSL effects and
ffmpeg filters, two GLSL to one ffmpeg), drop sections get one more GLSL layer on every beat on
top, and each section gets its own GLSL transition unless the request rules transitions out.
The order is a fixed shuffle (by source hash), so the same library gives the same plan.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from agent.timeline.plan import RHYTHM_BEATS, SectionPlan, ToolEffect, TransitionRequest

TARGET_TOOLS = 24
MAX_MS_PER_FRAME_720P = 45.0  # leave out the slowest shaders: a showcase should still render briskly
EFFECT_BEATS = 1.0  # from one cut to the next: an effect that ends mid-beat reads as an off-beat cut


def _usable(tool: Any) -> bool:
    validation = tool.spec.validation
    return (validation is not None and validation.ok
            and (validation.ms_per_frame_720p or 0.0) <= MAX_MS_PER_FRAME_720P)


def _interleave(glsl: list[Any], ffmpeg: list[Any]) -> list[Any]:
    out: list[Any] = []
    while glsl or ffmpeg:
        out += glsl[:2] + ffmpeg[:1]
        glsl, ffmpeg = glsl[2:], ffmpeg[1:]
    return out


def showcase(sections: list[SectionPlan], drops: list[bool], tools: Mapping[str, Any], tempo: float,
             transitions_allowed: bool) -> tuple[list[SectionPlan], str]:
    """The sections (and which of them are drops) with library tools spread over their cuts, and
    the reason to report. `transitions_allowed`: False when the request forbids transitions or
    names its own, which are kept."""
    ordered = sorted((t for t in tools.values() if _usable(t)), key=lambda t: t.spec.source_hash)
    effects = _interleave([t for t in ordered if t.spec.kind == "glsl-effect"],
                          [t for t in ordered if t.spec.kind == "ffmpeg-filter"])
    transitions = [t for t in ordered if t.spec.kind == "glsl-transition"]
    if not effects:
        return sections, "effect showcase asked for, but the library has no usable effects: style tools only"
    beat = 60.0 / tempo if tempo > 0 else 0.5
    layers = sorted((t for t in effects if t.spec.kind == "glsl-effect"), key=lambda t: "beat" not in t.spec.tags)
    budget = max(1, TARGET_TOOLS - len(sections) - sum(drops))
    cuts = [max(1, int((s.end - s.start) / (RHYTHM_BEATS[s.rhythm] * beat))) for s in sections]
    total_cuts = sum(cuts)
    out: list[SectionPlan] = []
    used: set[str] = set()
    pool = list(effects)
    for index, (section, n_cuts, is_drop) in enumerate(zip(sections, cuts, drops)):
        share = max(1, min(n_cuts, round(budget * n_cuts / total_cuts)))
        chosen, pool = pool[:share], pool[share:] or list(effects)
        added = [ToolEffect(tool=t.spec.id, on="cuts", every=len(chosen), offset=i, beats=EFFECT_BEATS)
                 for i, t in enumerate(chosen)]
        if is_drop and layers:  # one more layer on every beat of a drop
            layer = next((t for t in layers if t.spec.id not in used | {c.spec.id for c in chosen}), layers[0])
            added.append(ToolEffect(tool=layer.spec.id, on="beats", beats=1.0))
        transition = section.transition
        if transitions_allowed and transitions:
            pick = transitions[index % len(transitions)]
            transition = TransitionRequest(name=f"glsl:{pick.spec.id}", beats=min(0.5, RHYTHM_BEATS[section.rhythm] / 2),
                                           every_n_cuts=2)
        used |= {a.tool for a in added} | ({transition.name.removeprefix("glsl:")} if transition else set())
        # ffmpeg chains stream one at a time, so a section-long one would shut out the showcase's
        kept = [t for t in section.tools if not (t.on == "section" and t.tool in tools
                                                 and tools[t.tool].spec.kind == "ffmpeg-filter")]
        out.append(section.model_copy(update={"tools": [*kept, *added], "transition": transition}))
    return out, (f"effect showcase: {len(used)} distinct library tools, effects taking turns on the cuts"
                 + (", a GLSL transition per section" if transitions_allowed and transitions
                    else ", transitions as the request says"))
