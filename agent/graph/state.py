"""The graph's state: plain JSON-able values only, so SQLite checkpoints hold all of it."""

from __future__ import annotations

from typing import TypedDict


class Iteration(TypedDict):
    plan: dict  # EditPlan JSON
    preview: str
    total: float
    problems: list[str]
    changes: list[str]  # what reflection changed for the next iteration


class EditState(TypedDict, total=False):
    # the task
    request: str
    music: str
    clips: list[str]
    output: str
    workspace: str
    brain: str  # rules | llama | openai
    preview_only: bool  # the final render at preview size too (tests, quick looks)
    threshold: float  # stop when the critic total reaches this
    max_iterations: int
    budget_s: float  # stop iterating when this much time has gone
    started: float  # epoch seconds when the task began
    # what the nodes add
    analysis: dict  # a summary: tempo, beats, clips
    plan: dict
    brain_info: dict
    timeline: dict
    preview: str
    scorecard: dict
    changes: list[str]  # the last reflection's changes
    iterations: list[Iteration]
    best: int  # index into iterations
    report: str  # the final report.json path
    reel: str
    stop_reason: str
