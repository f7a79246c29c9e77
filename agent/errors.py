"""Typed errors. Library code raises these with a message a person can act on; only the CLI
turns them into exit codes."""

from __future__ import annotations

from pathlib import Path


class ReelwrightError(Exception):
    """Base of every error the CLI reports as a clean message (exit code 2)."""

    exit_code = 2


class MediaError(ReelwrightError):
    """A media file cannot be used: missing, unreadable, corrupt, empty, or of the wrong kind."""

    def __init__(self, path: str | Path, problem: str, hint: str = ""):
        self.path = str(path)
        self.problem = problem
        self.hint = hint
        text = f"{self.path}: {problem}"
        if hint:
            text += f" ({hint})"
        super().__init__(text)


class EmptyMediaError(MediaError):
    """A media file that is readable but holds nothing to use (zero length, no frames)."""


class PlanError(ReelwrightError):
    """A request or plan cannot be turned into an edit (e.g. it contradicts itself)."""


class RenderError(ReelwrightError):
    """The renderer failed or its output did not verify."""


class OutputError(ReelwrightError):
    """An output path cannot be written."""
