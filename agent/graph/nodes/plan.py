from __future__ import annotations

import json

from agent.brain.factory import make_brain
from agent.brain.planner import plan_with_brain
from agent.graph.nodes import analysis_of, settings_of
from agent.tools.library import load_workspace_library


def plan(state) -> dict:
    settings = settings_of(state)
    result = plan_with_brain(state["request"], analysis_of(state).music, brain=make_brain(settings),
                             tools=load_workspace_library(settings.workspace)[0])
    return {"plan": json.loads(result.plan.model_dump_json()), "brain_info": result.info}
