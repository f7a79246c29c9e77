from __future__ import annotations

import time

from agent.graph.nodes import analysis_of


def analyse(state) -> dict:
    started = state.get("started") or time.time()
    analysis = analysis_of(state)
    music = analysis.music
    return {"started": started, "iterations": [], "analysis": {
        "tempo_bpm": round(music.tempo, 2), "beats": len(music.beats), "drops": music.drops,
        "clips": [c.info.path for c in analysis.clips], "notes": list(analysis.notes)}}
