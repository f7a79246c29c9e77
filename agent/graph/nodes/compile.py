from __future__ import annotations

import json

from agent.graph.nodes import analysis_of, settings_of
from agent.timeline.compile import compile_plan
from agent.timeline.plan import EditPlan
from agent.tools.library import load_workspace_library


def compile_timeline(state) -> dict:
    tools = load_workspace_library(settings_of(state).workspace)[0]
    compiled = compile_plan(EditPlan.model_validate(state["plan"]), analysis_of(state), tools)
    return {"timeline": json.loads(compiled.timeline.model_dump_json())}
