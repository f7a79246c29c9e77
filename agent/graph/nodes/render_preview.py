from __future__ import annotations

from agent.graph.nodes import settings_of, work_dir
from agent.render.render import render
from agent.timeline.model import Timeline


def render_preview(state) -> dict:
    n = len(state.get("iterations") or [])
    out = work_dir(state) / f"preview-{n}.mp4"
    settings = settings_of(state)
    render(Timeline.model_validate(state["timeline"]), out, preview=True, preview_height=settings.preview_height,
           preset=settings.x264_preset)
    return {"preview": str(out)}
