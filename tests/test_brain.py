"""The brain layer: drafts meet the request's explicit constraints, invalid answers are repaired
once and then replaced by the rules brain, and the report says which happened."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from agent.brain.base import BrainError, BrainStats
from agent.brain.draft import PlanDraft, apply_draft, draft_from_request, draft_schema
from agent.brain.planner import plan_with_brain
from agent.brain.request import parse_request
from agent.brain.rules import plan_edit
from agent.brain.rules_brain import RulesBrain
from agent.errors import PlanError
from agent.timeline.plan import RHYTHM_BEATS

ROOT = Path(__file__).resolve().parents[1]
WRONG = {"style": "default", "duration": 60.0, "aspect": "16:9", "rhythm": "every_beat", "transition": "fade",
         "effects": ["flash"], "look": "none"}


class ScriptedBrain:
    """A brain that gives fixed answers in turn: stands in for a model that writes nonsense or a
    bad plan (the real models are tested in tests/test_llm_brains.py)."""

    name = "scripted"

    def __init__(self, *answers):
        self.answers = list(answers)
        self.seen: list[list[dict]] = []
        self.stats = BrainStats()

    def complete(self, messages):
        return json.dumps(self.complete_json(messages, {}))

    def complete_json(self, messages, schema):
        self.seen.append(messages)
        self.stats.add(0.01)
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


def test_the_request_decides_every_field_it_states():
    prompt = "10 s calm video, vertical, cuts once per bar, no transitions, no effects, cold look"
    request = parse_request(prompt)
    constraints, repairs = apply_draft(PlanDraft(**WRONG), request, "scripted")
    fields = {r.field: r for r in repairs}
    assert set(fields) == {"duration", "aspect", "rhythm", "style", "look", "transition", "effects"}
    assert (fields["aspect"].asked, fields["aspect"].proposed) == ("vertical", "16:9")
    assert fields["duration"].proposed == "60.0" and "10" in fields["duration"].asked
    assert (fields["transition"].asked, fields["transition"].proposed) == ("no transitions", "fade")
    plan = plan_with_brain(prompt, brain=ScriptedBrain(WRONG)).plan
    assert plan.duration == 10 and plan.aspect == "9:16" and plan.look.name == "cold"
    assert all(s.rhythm == "downbeat" and s.transition is None and not s.effects for s in plan.sections)


def test_where_the_request_is_silent_the_draft_decides():
    draft = PlanDraft(style="hype", duration=12, aspect="1:1", rhythm="every_2_beats", transition="glitch",
                      effects=["zoom_punch"], look="punchy")
    result = plan_with_brain("an edit of these clips", brain=ScriptedBrain(draft.model_dump()))
    assert result.info["repairs"] == [] and not result.info["fell_back"] and result.info["draft"]["style"] == "hype"
    plan = result.plan
    assert (plan.style, plan.duration, plan.aspect, plan.look.name) == ("hype", 12, "1:1", "punchy")
    assert all(RHYTHM_BEATS[s.rhythm] == 2 for s in plan.sections)
    assert all(s.transition is not None and s.transition.name == "custom" for s in plan.sections)
    assert any(e.kind == "zoom_punch" for s in plan.sections for e in s.effects)
    assert plan.reasons[0] == "planned by the scripted brain"


def test_an_invalid_answer_is_repaired_once_then_the_rules_take_over():
    prompt = "15 s phonk edit, every beat, 9:16"
    bad = {**WRONG, "aspect": "21:9"}
    fixed = plan_with_brain(prompt, brain=ScriptedBrain(bad, {**WRONG, "duration": 15, "aspect": "9:16"}))
    assert fixed.info["attempts"] == 2 and not fixed.info["fell_back"]
    brain = ScriptedBrain(bad, {"plan": "nonsense"})
    gave_up = plan_with_brain(prompt, brain=brain)
    assert gave_up.info["fell_back"] and gave_up.info["attempts"] == 2
    assert "rules brain planned instead" in gave_up.info["fallback_reason"]
    assert gave_up.plan.reasons[0] == gave_up.info["fallback_reason"]
    assert "21:9" in brain.seen[1][-1]["content"] or "aspect" in brain.seen[1][-1]["content"]
    rules = plan_edit(prompt)
    assert gave_up.plan.model_copy(update={"reasons": rules.reasons}) == rules
    # a brain that cannot answer at all (its server is down) falls back at once
    down = plan_with_brain(prompt, brain=ScriptedBrain(BrainError("no server")))
    assert down.info["fell_back"] and down.info["attempts"] == 1 and "no server" in down.info["fallback_reason"]


def test_contradictions_are_refused_before_any_brain_runs():
    brain = ScriptedBrain(WRONG)
    with pytest.raises(PlanError, match="contradicts"):
        plan_with_brain("a 10 s reel that is 45 s long", brain=brain)
    assert brain.seen == []


def test_the_rules_brain_is_the_rule_planner_and_answers_the_schema():
    prompt = "30 second travel video with crossfades, warm look"
    result = plan_with_brain(prompt, brain=RulesBrain())
    assert result.plan == plan_edit(prompt) and result.info["fell_back"] is False and result.info["repairs"] == []
    answer = RulesBrain().complete_json([{"role": "user", "content": prompt}], draft_schema())
    assert PlanDraft.model_validate(answer) == draft_from_request(parse_request(prompt))
    assert answer["transition"] == "fade" and answer["duration"] == 30


def test_cli_plan_json_carries_the_brain_object(tmp_path):
    out = subprocess.run([sys.executable, str(ROOT / "run_agent.py"), "--workspace", str(tmp_path), "plan",
                          "--prompt", "12 s amv edit, 1:1", "--brain", "rules", "--json"],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["brain"] == "rules" and data["fell_back"] is False and data["repairs"] == []
    assert data["plan"]["duration"] == 12 and data["plan"]["aspect"] == "1:1"


def test_brain_serve_explains_what_this_machine_lacks(tmp_path):
    from agent.brain.serve import missing_for_vllm, vllm_command

    out = subprocess.run([sys.executable, str(ROOT / "run_agent.py"), "brain", "serve", "--model", "deepseek",
                          "--lora", f"round1={tmp_path}", "--dry-run"], capture_output=True, text=True, timeout=60)
    command = vllm_command("deepseek", loras={"round1": str(tmp_path)})
    assert "--enable-lora" in command and "deepseek-ai/DeepSeek-V2-Lite-Chat" in command
    assert " ".join(command) in out.stdout
    missing = missing_for_vllm()  # here: no vllm, no GPU; --dry-run never launches it where they exist
    assert out.returncode == (2 if missing else 0) and ("missing: " in out.stderr) == bool(missing)
