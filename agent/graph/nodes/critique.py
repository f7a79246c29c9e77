from __future__ import annotations

from agent.critic import critique as score_reel
from agent.graph.nodes import analysis_of, settings_of
from agent.timeline.model import Timeline


def critique(state) -> dict:
    card = score_reel(state["preview"], timeline=Timeline.model_validate(state["timeline"]),
                      analysis=analysis_of(state), request=state["request"], settings=settings_of(state))
    done = list(state.get("iterations") or [])
    done.append({"plan": state["plan"], "preview": state["preview"], "total": card.total,
                 "problems": [p for s in card.scores.values() for p in s.problems], "changes": []})
    best = max(range(len(done)), key=lambda i: done[i]["total"])
    return {"scorecard": card.to_dict(), "iterations": done, "best": best}
