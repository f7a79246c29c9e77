"""The Brain protocol: every backend (rules, llama, openai) answers the same two calls.

Messages are OpenAI-style dicts: {"role": "system" | "user" | "assistant", "content": str}.
`complete_json` returns the parsed JSON object the schema asks for; whether it is *valid* is for
the caller to check (a brain may be wrong; it must not crash the agent). Errors a brain cannot
recover from (no model file, a server that does not answer) raise BrainError.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from agent.errors import ReelwrightError

Message = dict[str, str]


class BrainError(ReelwrightError):
    """A brain cannot answer: its model or server is missing, or it returned no JSON at all."""


@dataclass
class BrainStats:
    """What the last call cost: for the report and the evaluation."""

    calls: int = 0
    seconds: float = 0.0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    last: dict = field(default_factory=dict)

    def add(self, seconds: float, prompt_tokens: int = 0, completion_tokens: int = 0) -> None:
        self.calls += 1
        self.seconds += seconds
        self.prompt_tokens += prompt_tokens
        self.completion_tokens += completion_tokens
        self.last = {"seconds": round(seconds, 3), "prompt_tokens": prompt_tokens,
                     "completion_tokens": completion_tokens,
                     "tokens_per_s": round(completion_tokens / seconds, 1) if seconds > 0 else None}


@runtime_checkable
class Brain(Protocol):
    name: str
    stats: BrainStats

    def complete(self, messages: list[Message]) -> str: ...

    def complete_json(self, messages: list[Message], schema: dict) -> dict: ...


def parse_json_object(text: str, who: str) -> dict:
    """The first JSON object in a model's answer (models wrap JSON in prose or code fences)."""
    start = text.find("{")
    if start < 0:
        raise BrainError(f"the {who} brain answered no JSON object: {text[:120]!r}")
    try:
        value, _ = json.JSONDecoder().raw_decode(text[start:])
    except json.JSONDecodeError as exc:
        raise BrainError(f"the {who} brain answered broken JSON ({exc.msg}): {text[start:start + 120]!r}") from exc
    if not isinstance(value, dict):
        raise BrainError(f"the {who} brain answered JSON that is not an object: {text[start:start + 120]!r}")
    return value
