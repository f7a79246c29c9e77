"""PlanDraft: the editorial choices a language-model brain writes, and how they meet the request.

A model does not write a whole EditPlan: sections follow the music, which the rule planner
already places on the beat grid, and every token costs (grammar sampling ~78 ms a token with
Gemma's vocabulary here). It writes a compact draft: style, duration, aspect, cut rhythm, one
transition, effects, look. `apply_draft` then lets the request's explicit constraints decide:
where the draft contradicts what the request states (its duration, aspect, cut rhythm, a "no
transitions" or "no effects", a named transition, effect, style or look), the request's value is
kept and the repair is recorded: field, what the request asked, what the brain proposed. The
completed constraints go to the rule planner's `plan_from_request`, which builds the sections.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, replace
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from agent.brain.request import GLITCH_XFADE_EXPR, EffectAsk, LookName, RequestConstraints, TransitionAsk
from agent.brain.rules import STYLE_PRESETS
from agent.timeline.plan import Aspect, EffectKind, Rhythm

Style = Literal[tuple(STYLE_PRESETS)]  # type: ignore[valid-type]
# The transitions a draft may name (xfade names, "glitch" for the glitch expression).
DraftTransition = Literal["none", "fade", "fadeblack", "fadewhite", "wipeleft", "slideleft", "smoothleft",
                          "circleopen", "zoomin", "pixelize", "dissolve", "glitch"]
DURATION_TOLERANCE = 0.5  # seconds a draft may differ from an asked duration before it is repaired


class PlanDraft(BaseModel):
    """What a brain proposes for a request. Short keys in a fixed order keep a plan ~50 tokens."""

    model_config = ConfigDict(extra="forbid")

    style: Style
    duration: float = Field(ge=1, le=600)
    aspect: Aspect
    rhythm: Rhythm
    transition: DraftTransition
    effects: list[EffectKind] = Field(max_length=3)
    look: LookName


def draft_schema() -> dict:
    """The JSON schema handed to the brain (and to a grammar), without pydantic's titles."""
    schema = PlanDraft.model_json_schema()

    def strip(node):
        if isinstance(node, dict):
            return {k: strip(v) for k, v in node.items() if k != "title"}
        if isinstance(node, list):
            return [strip(v) for v in node]
        return node

    return strip(schema)


def draft_json(draft: PlanDraft) -> str:
    return json.dumps(draft.model_dump(), separators=(",", ":"))


@dataclass(frozen=True)
class Repair:
    field: str
    asked: str  # what the request states (its words)
    proposed: str  # what the brain wrote

    def to_dict(self) -> dict:
        return asdict(self)


def _transition_ask(name: str, phrase: str) -> TransitionAsk:
    if name == "glitch":
        return TransitionAsk(name="custom", phrase=phrase, expr=GLITCH_XFADE_EXPR)
    return TransitionAsk(name=name, phrase=phrase)


def _draft_name(ask: TransitionAsk) -> str:
    return "glitch" if ask.name == "custom" else ask.name


def apply_draft(draft: PlanDraft, request: RequestConstraints, brain: str) -> tuple[RequestConstraints, list[Repair]]:
    """The request's constraints completed with the draft's choices where the request is silent;
    where they conflict, the request wins and a Repair says so."""
    phrase = f"the {brain} brain's choice"
    repairs: list[Repair] = []
    changes: dict = {}

    def decide(name: str, differs: bool, unset=None) -> None:
        """The request's `name` if it states one (a repair when the draft differs), else the draft's
        (unless the draft leaves it at `unset`)."""
        asked, proposed = getattr(request, name), getattr(draft, name)
        if asked:
            if differs:
                repairs.append(Repair(name, getattr(request, f"{name}_phrase") or str(asked), str(proposed)))
        elif proposed != unset:
            changes.update({name: proposed, f"{name}_phrase": phrase})

    decide("duration", bool(request.duration) and abs(draft.duration - request.duration) > DURATION_TOLERANCE)
    decide("aspect", draft.aspect != request.aspect)
    decide("style", draft.style != request.style, unset="default")
    decide("look", draft.look != request.look, unset="none")
    stated_rhythm = request.rhythm or request.drop_rhythm or request.calm_rhythm
    if stated_rhythm:
        stated = {request.rhythm, request.drop_rhythm, request.calm_rhythm} - {None}
        if draft.rhythm not in stated:
            words = request.rhythm_phrase or request.drop_rhythm_phrase or request.calm_rhythm_phrase
            repairs.append(Repair("rhythm", words or stated_rhythm, draft.rhythm))
    else:
        changes.update(rhythm=draft.rhythm, rhythm_phrase=phrase)

    # Transitions: a prohibition or a named transition decides; otherwise the draft's.
    forbidden = request.no_transitions or request.hard_cuts
    if forbidden and draft.transition != "none" and not request.transitions:
        repairs.append(Repair("transition", forbidden, draft.transition))
    elif request.transitions:
        named = {_draft_name(t) for t in request.transitions}
        if draft.transition not in named:
            repairs.append(Repair("transition", ", ".join(t.phrase for t in request.transitions), draft.transition))
    elif draft.transition != "none":
        changes["transitions"] = (_transition_ask(draft.transition, phrase),)

    # Effects: "no effects" and banned kinds decide; named effects are kept; the draft's others
    # are added where the request is silent.
    proposed = list(dict.fromkeys(draft.effects))
    if request.no_effects and proposed:
        repairs.append(Repair("effects", request.no_effects, ", ".join(proposed)))
    else:
        banned = [k for k in proposed if k in request.banned_effects]
        if banned:
            repairs.append(Repair("effects", "no " + ", ".join(banned), ", ".join(proposed)))
        named = {e.kind for e in request.effects}
        extra = [k for k in proposed if k not in named and k not in request.banned_effects]
        if extra:
            changes["effects"] = (*request.effects, *(EffectAsk(kind=k, phrase=phrase) for k in extra))
    return replace(request, **changes), repairs


def draft_from_request(request: RequestConstraints, default_duration: float = 15.0) -> PlanDraft:
    """What the rule planner would choose, as a draft: the rules brain's answer, and the seed
    plans for training."""
    style = request.style or "default"
    preset = STYLE_PRESETS[style]
    rhythm = request.rhythm or request.drop_rhythm or request.calm_rhythm or preset.drop_rhythm
    if request.no_transitions or (request.hard_cuts and not request.transitions):
        transition = "none"
    elif request.transitions:
        transition = _draft_name(request.transitions[0])
    else:
        transition = preset.transition or "none"
    if request.no_effects:
        effects: list[str] = []
    else:
        kinds = [e.kind for e in request.effects] or [e.kind for e in preset.effects]
        effects = [k for k in dict.fromkeys(kinds) if k not in request.banned_effects][:3]
    duration = request.duration or preset.duration or default_duration
    return PlanDraft(style=style, duration=min(600.0, max(1.0, duration)), aspect=request.aspect or preset.aspect,
                     rhythm=rhythm, transition=transition if transition in DraftTransition.__args__ else "fade",
                     effects=effects, look=request.look or preset.look)
