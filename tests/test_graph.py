"""The agent graph on real media: nodes alone, the reflection rules on measured problems, the
loop end to end with SQLite checkpoints, and a resume after the process dies mid-task."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from agent.brain.rules import plan_edit
from agent.graph.graph import after_critique, after_reflect, build_graph, checkpointer, run_task
from agent.graph.reflect import reflect

ROOT = Path(__file__).resolve().parents[1]
PROMPT = "6 s phonk edit, hard cuts on every beat, 9:16"


def test_reflection_changes_what_the_evidence_blames():
    from agent.timeline.plan import TransitionRequest

    base = plan_edit("20 s travel video, cuts on downbeats, flash on every beat")
    plan = base.model_copy(update={"sections": [s.model_copy(update={"transition": TransitionRequest(name="wipeleft")})
                                                for s in base.sections]})
    card = {"scores": {
        "pacing": {"evidence": {"asked_beats_per_cut": [1, 1], "median_beats_per_cut": 4.0}},
        "effects": {"evidence": {"broken": [{"name": "wipeleft", "frames": [10, 16]}],
                                 "flash_asks": [{"asked": "on beats", "expected": 30, "hit": 3, "hit_share": 0.1}]}},
        "audio": {"evidence": {"lufs": -18.5, "abrupt_start": True, "abrupt_end": False}}}}
    revised, notes = reflect(plan, card)
    assert len(notes) == 5, notes
    assert all(s.rhythm == "every_beat" for s in revised.sections)
    assert all(s.transition.name == "fade" for s in revised.sections)
    assert revised.loudness_lufs == pytest.approx(plan.loudness_lufs + 4.5)
    assert revised.audio_fade_in >= 0.05
    assert all(any(e.kind == "flash" and e.intensity == 1.0 for e in s.effects) for s in revised.sections)
    assert revised.reasons[-1].startswith("reflection: ")
    same, none = reflect(plan, {"scores": {"audio": {"evidence": {"lufs": -14.3}}}})
    assert none == [] and same == plan
    # nothing to gain: the plan already cuts at the asked rhythm (the critic saw flashes as cuts)
    on_beat = plan.model_copy(update={"sections": [s.model_copy(update={"rhythm": "every_beat"})
                                                   for s in plan.sections]})
    assert reflect(on_beat, {"scores": {"pacing": card["scores"]["pacing"]}})[1] == []
    # a transition the request names is kept, whatever the critic thought of it
    kept, notes = reflect(plan, {"scores": {"effects": card["scores"]["effects"]}}, "travel video with wipes")
    assert all(s.transition.name == "wipeleft" for s in kept.sections)
    assert not any(n.startswith("effects: 1 transition") for n in notes)


def test_routers_stop_on_score_iterations_budget_and_nothing_to_change():
    base = {"scorecard": {"total": 0.9}, "iterations": [{}], "started": time.time(), "threshold": 0.95,
            "max_iterations": 3, "budget_s": 600}
    assert after_critique(base) == "reflect"
    assert after_critique({**base, "scorecard": {"total": 0.96}}) == "deliver"
    assert after_critique({**base, "iterations": [{}] * 3}) == "deliver"
    assert after_critique({**base, "started": time.time() - 601}) == "deliver"
    assert after_reflect({"changes": []}) == "deliver" and after_reflect({"changes": ["x"]}) == "compile"


@pytest.fixture(scope="module")
def media(tmp_path_factory):
    from agent.demo import make_demo_media

    return make_demo_media(tmp_path_factory.mktemp("graph_media"))


def _task(media, folder: Path, **extra) -> dict:
    return {"request": PROMPT, "music": str(media.music), "clips": [str(c) for c in media.clips],
            "output": str(folder / "reel.mp4"), "workspace": str(folder / "ws"), "preview_only": True, **extra}


def test_the_loop_runs_to_a_delivered_reel_with_its_iterations_in_the_report(media, tmp_path):
    # a threshold no reel reaches: the loop runs until reflection has nothing left or the limit
    final = run_task(_task(media, tmp_path, threshold=1.01, max_iterations=2), thread="t1", db=tmp_path / "cp.db")
    report = json.loads(Path(final["report"]).read_text())
    graph = report["graph"]
    assert 1 <= len(graph["iterations"]) <= 2 and graph["stop_reason"]
    assert graph["best_total"] == max(it["total"] for it in graph["iterations"]) >= graph["first_total"]
    assert report["critic"]["scores"]["validity"]["value"] == 1.0 and Path(final["reel"]).stat().st_size > 10_000
    assert report["brain"]["name"] == "rules"
    # a finished thread is not run again
    again = run_task(_task(media, tmp_path), thread="t1", db=tmp_path / "cp.db")
    assert again["report"] == final["report"]
    saver = checkpointer(tmp_path / "cp.db")
    history = list(build_graph(saver).get_state_history({"configurable": {"thread_id": "t1"}}))
    assert len(history) >= 8  # one checkpoint per node


_CHILD = """
import sys, time
from agent.graph.nodes import render_preview as node
from agent.graph.graph import run_task
import json
real = node.render_preview
def slow(state):  # the first preview render is where this process will be killed
    out = real(state)
    open(sys.argv[2], "w").write("rendered")
    time.sleep(60)
    return out
import agent.graph.graph as g
g.render_preview = slow
run_task(json.loads(sys.argv[1]), thread="kill", db=sys.argv[3])
"""


def test_a_task_killed_mid_run_resumes_from_its_last_checkpoint(media, tmp_path):
    task = _task(media, tmp_path, threshold=0.0)
    marker, db = tmp_path / "marker", tmp_path / "cp.db"
    proc = subprocess.Popen([sys.executable, "-c", _CHILD, json.dumps(task), str(marker), str(db)], cwd=ROOT,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    deadline = time.monotonic() + 240
    while not marker.exists() and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.2)
    assert marker.exists(), "the child never reached the preview render"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    saver = checkpointer(db)
    state = build_graph(saver).get_state({"configurable": {"thread_id": "kill"}})
    assert state.next == ("render_preview",) and "timeline" in state.values  # analyse, plan, compile are kept
    final = run_task(task, thread="kill", db=db)
    report = json.loads(Path(final["report"]).read_text())
    assert len(report["graph"]["iterations"]) == 1 and report["graph"]["stop_reason"].startswith("critic total")
    assert not list(Path(task["output"]).parent.glob("*.partial*"))


def test_cli_agent_prints_the_iterations_and_delivers(media, tmp_path):
    out = subprocess.run([sys.executable, str(ROOT / "run_agent.py"), "--workspace", str(tmp_path / "ws"), "agent",
                          "--music", str(media.music), "--clips", *map(str, media.clips), "--prompt", PROMPT,
                          "-o", str(tmp_path / "reel.mp4"), "--preview", "--iterations", "1"],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert "iteration 0: critic total" in out.stdout and (tmp_path / "reel.mp4").stat().st_size > 10_000
    assert (tmp_path / "ws" / "checkpoints.sqlite").exists()
