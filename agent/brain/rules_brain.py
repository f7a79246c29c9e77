"""The rules brain behind the Brain protocol: the deterministic planner's choices as a draft."""

from __future__ import annotations

from agent.brain.base import BrainStats, Message
from agent.brain.draft import draft_from_request, draft_json
from agent.brain.request import parse_request


def last_request(messages: list[Message]) -> str:
    for message in reversed(messages):
        if message.get("role") == "user":
            return message.get("content", "")
    return ""


class RulesBrain:
    """Answers every draft request from `parse_request` and the style presets. It never needs a
    model, so it is also what the other brains fall back to."""

    name = "rules"

    def __init__(self) -> None:
        self.stats = BrainStats()

    def complete(self, messages: list[Message]) -> str:
        return draft_json(draft_from_request(parse_request(last_request(messages))))

    def complete_json(self, messages: list[Message], schema: dict) -> dict:
        return draft_from_request(parse_request(last_request(messages))).model_dump()
