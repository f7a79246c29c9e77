"""One place that turns Settings into a Brain."""

from __future__ import annotations

from agent.brain.base import Brain
from agent.config import Settings


def make_brain(settings: Settings, name: str | None = None) -> Brain:
    name = name or settings.brain
    if name == "llama":
        from agent.brain.llama import LlamaBrain

        return LlamaBrain(settings.llama_model, workspace=settings.workspace)
    if name == "openai":
        from agent.brain.openai_compat import OpenAIBrain

        return OpenAIBrain(settings.openai_url, settings.openai_model, server=settings.openai_server)
    from agent.brain.rules_brain import RulesBrain

    return RulesBrain()
