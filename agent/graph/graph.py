"""build_graph(): analyse → plan → compile → render preview → critique → reflect → (compile again
| deliver). The loop stops when the critic's total reaches the threshold, the iterations or the
time budget run out, or reflection finds nothing to change; the best iteration is delivered.

Checkpoints go to SQLite (`checkpointer(path)`), so a task resumes after a crash from the last
finished node: `graph.invoke(None, config)` with the same thread id.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Literal

from agent.graph.nodes.analyse import analyse
from agent.graph.nodes.compile import compile_timeline
from agent.graph.nodes.critique import critique
from agent.graph.nodes.deliver import deliver
from agent.graph.nodes.plan import plan
from agent.graph.nodes.reflect import reflect
from agent.graph.nodes.render_preview import render_preview
from agent.graph.state import EditState

DEFAULTS = {"threshold": 0.97, "max_iterations": 3, "budget_s": 600.0}


def _limit_reached(state: EditState) -> str:
    """Why the loop must stop after this critique, in words; "" while it may go on."""
    limit = {**DEFAULTS, **{k: state[k] for k in DEFAULTS if k in state}}
    total, n = state["scorecard"]["total"], len(state["iterations"])
    if total >= limit["threshold"]:
        return f"critic total {total:.3f} reached the threshold {limit['threshold']}"
    if n >= limit["max_iterations"]:
        return f"{n} iteration(s), the most allowed"
    if time.time() - state["started"] >= limit["budget_s"]:
        return "the time budget ran out"
    return ""


def after_critique(state: EditState) -> Literal["reflect", "deliver"]:
    return "deliver" if _limit_reached(state) else "reflect"


def after_reflect(state: EditState) -> Literal["compile", "deliver"]:
    return "compile" if state.get("changes") else "deliver"


def stop_reason(state: EditState) -> dict:
    """Why the loop ended, for the report (a node: routers only route)."""
    return {"stop_reason": _limit_reached(state) or "reflection found nothing in the scorecard to change"}


def build_graph(checkpointer=None):
    from langgraph.graph import END, START, StateGraph

    graph = StateGraph(EditState)
    graph.add_node("analyse", analyse)
    graph.add_node("plan", plan)
    graph.add_node("compile", compile_timeline)
    graph.add_node("render_preview", render_preview)
    graph.add_node("critique", critique)
    graph.add_node("reflect", reflect)
    graph.add_node("stop", stop_reason)
    graph.add_node("deliver", deliver)
    graph.add_edge(START, "analyse")
    graph.add_edge("analyse", "plan")
    graph.add_edge("plan", "compile")
    graph.add_edge("compile", "render_preview")
    graph.add_edge("render_preview", "critique")
    graph.add_conditional_edges("critique", after_critique, {"reflect": "reflect", "deliver": "stop"})
    graph.add_conditional_edges("reflect", after_reflect, {"compile": "compile", "deliver": "stop"})
    graph.add_edge("stop", "deliver")
    graph.add_edge("deliver", END)
    return graph.compile(checkpointer=checkpointer)


def checkpointer(path: str | Path):
    from langgraph.checkpoint.sqlite import SqliteSaver

    Path(path).parent.mkdir(parents=True, exist_ok=True)
    return SqliteSaver(sqlite3.connect(str(path), check_same_thread=False))


def run_task(state: EditState, *, thread: str, db: str | Path) -> EditState:
    """Run (or resume) one task on its thread; returns the final state."""
    graph = build_graph(checkpointer(db))
    config = {"configurable": {"thread_id": thread}, "recursion_limit": 60}
    snapshot = graph.get_state(config)
    start = None if snapshot.next else {**DEFAULTS, **state}  # resume where a crash left it
    if snapshot.values and not snapshot.next:
        return snapshot.values  # already finished
    return graph.invoke(start, config)
