from __future__ import annotations

from agent.graph.nodes import settings_of
from agent.timeline.plan import EditPlan


def deliver(state) -> dict:
    """The best iteration's plan rendered as the reel, with every side file and the report."""
    from agent.edit import run_edit

    done = state["iterations"]
    best = done[state["best"]]
    graph = {"iterations": [{"total": it["total"], "problems": it["problems"], "changes": it["changes"]}
                            for it in done],
             "best": state["best"], "stop_reason": state.get("stop_reason", ""),
             "first_total": done[0]["total"], "best_total": best["total"]}
    outcome = run_edit(state["music"], state["clips"], state["request"], state["output"],
                       settings=settings_of(state), preview=bool(state.get("preview_only")),
                       plan=EditPlan.model_validate(best["plan"]), brain_info=state["brain_info"],
                       extra_report={"graph": graph})
    return {"reel": str(outcome.reel), "report": str(outcome.report_path)}
