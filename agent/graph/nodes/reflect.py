from __future__ import annotations

import json

from agent.graph.reflect import reflect as revise
from agent.timeline.plan import EditPlan


def reflect(state) -> dict:
    plan, changes = revise(EditPlan.model_validate(state["plan"]), state["scorecard"], state["request"])
    done = list(state["iterations"])
    done[-1] = {**done[-1], "changes": changes}
    return {"plan": json.loads(plan.model_dump_json()), "changes": changes, "iterations": done}
