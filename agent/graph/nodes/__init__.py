"""One function per node; each takes the state and returns the part it changes."""

from __future__ import annotations

from pathlib import Path

from agent.config import Settings


def settings_of(state) -> Settings:
    return Settings(workspace=Path(state["workspace"]), brain=state.get("brain") or "rules")


def analysis_of(state):
    """The analysis, from the content-hash cache after the first node (about 0.7 s)."""
    from agent.media.analyze import analyze

    return analyze(state["music"], state["clips"], settings_of(state))


def work_dir(state) -> Path:
    folder = Path(state["output"]).parent / ".agent" / Path(state["output"]).stem
    folder.mkdir(parents=True, exist_ok=True)
    return folder
