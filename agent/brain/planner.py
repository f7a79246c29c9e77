"""Plan an edit with any brain: ask for a draft, validate it, repair it once, fall back to the
rules when it stays invalid, and let the request's explicit constraints decide.

    plan_with_brain(prompt, music, brain=LlamaBrain(...), tools=library) -> BrainPlan

`BrainPlan.info` is the `brain` object of `report.json` and of `plan --json`: the brain's name,
whether it fell back (and why), one entry per repaired field (what the request asked, what the
brain proposed), the attempts and what they cost.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from pydantic import ValidationError

from agent.brain.base import Brain, BrainError, Message
from agent.brain.draft import PlanDraft, apply_draft, draft_from_request, draft_json, draft_schema
from agent.brain.request import parse_request
from agent.brain.rules import plan_from_request
from agent.errors import PlanError
from agent.media.models import MusicAnalysis
from agent.timeline.plan import EditPlan

INSTRUCTION = ("Write the edit plan for each video edit request as one line of JSON: style, duration in "
               "seconds, aspect, cut rhythm, one transition (or none), effects, colour look. Keep every "
               "duration, aspect, rhythm, transition and effect the request states.")
# Few-shot examples: varied styles, languages and constraints; their plans are the rules brain's.
EXAMPLE_REQUESTS = (
    "15 s phonk edit, hard cuts on every beat, flash and shake on the drops, 9:16",
    "30 second travel video with crossfades, cuts on downbeats, warm look",
    "square 20 s hype reel, zoom punch on every beat, glitch transitions",
    "ruhiges Video, 45 Sekunden, 16:9, keine Effekte",
)


@dataclass(frozen=True)
class BrainPlan:
    plan: EditPlan
    info: dict  # name, fell_back, fallback_reason, repairs, attempts, draft, seconds, tokens


def example_messages(examples: Sequence[tuple[str, str]] = ()) -> list[Message]:
    """The instruction and the few-shot pairs (request, draft JSON); `examples` (e.g. similar past
    episodes from memory) come after the built-in ones, nearest the question."""
    pairs = [(r, draft_json(draft_from_request(parse_request(r)))) for r in EXAMPLE_REQUESTS]
    messages: list[Message] = [{"role": "system", "content": INSTRUCTION}]
    for request, plan in [*pairs, *examples]:
        messages += [{"role": "user", "content": request}, {"role": "assistant", "content": plan}]
    return messages


def _ask(brain: Brain, messages: list[Message], schema: dict) -> tuple[PlanDraft | None, dict | str | None, str]:
    """One attempt: (the valid draft or None, what the brain answered, the reason it is invalid)."""
    try:
        raw = brain.complete_json(messages, schema)
    except BrainError as exc:
        return None, None, str(exc)
    try:
        return PlanDraft.model_validate(raw), raw, ""
    except ValidationError as exc:
        reasons = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'plan'}: {e['msg']}" for e in exc.errors()[:4])
        return None, raw, reasons


def plan_with_brain(prompt: str, music: MusicAnalysis | None = None, *, brain: Brain,
                    tools: Mapping[str, Any] | None = None, default_duration: float = 15.0,
                    examples: Sequence[tuple[str, str]] = ()) -> BrainPlan:
    """Raises PlanError for a request that contradicts itself (refused before any brain runs)."""
    request = parse_request(prompt)
    if request.contradictions:
        raise PlanError("request contradicts itself: " + "; ".join(request.contradictions))
    info: dict = {"name": brain.name, "fell_back": False, "fallback_reason": None, "repairs": [], "attempts": 0,
                  "draft": None}
    if brain.name == "rules":
        plan = plan_from_request(request, music, default_duration=default_duration, tools=tools)
        return BrainPlan(plan, info)

    schema = draft_schema()
    messages = [*example_messages(examples), {"role": "user", "content": prompt}]
    calls_before, seconds_before = brain.stats.calls, brain.stats.seconds
    draft, raw, why = _ask(brain, messages, schema)
    info["attempts"] = 1
    if draft is None and raw is not None:  # repair once: show the brain its answer and what is wrong
        retry = [*messages, {"role": "assistant", "content": str(raw)},
                 {"role": "user", "content": f"That plan is invalid ({why}). Answer the request again: {prompt}"}]
        draft, raw, why = _ask(brain, retry, schema)
        info["attempts"] = 2
    info.update(seconds=round(brain.stats.seconds - seconds_before, 3), calls=brain.stats.calls - calls_before,
                last_call=brain.stats.last)
    if draft is None:
        info.update(fell_back=True, fallback_reason=f"the {brain.name} brain gave no valid plan ({why}): "
                                                   "the rules brain planned instead", proposed=raw)
        plan = plan_from_request(request, music, default_duration=default_duration, tools=tools)
        plan = plan.model_copy(update={"reasons": [info["fallback_reason"], *plan.reasons]})
        return BrainPlan(plan, info)

    constraints, repairs = apply_draft(draft, request, brain.name)
    info.update(draft=draft.model_dump(), repairs=[r.to_dict() for r in repairs])
    plan = plan_from_request(constraints, music, default_duration=default_duration, tools=tools)
    notes = [f"planned by the {brain.name} brain"]
    notes += [f"repaired {r.field}: the request asks '{r.asked}', the brain proposed '{r.proposed}'" for r in repairs]
    return BrainPlan(plan.model_copy(update={"reasons": [*notes, *plan.reasons]}), info)
