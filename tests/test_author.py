"""Authoring: composition and mutation of library tools, the brain-written path with validator
feedback, and `grow`, all through the real sandboxed validators."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

import pytest

from agent.brain.rules_code import RulesBrain
from agent.tools import compose
from agent.tools.author import BrainAuthor, SynthesisAuthor, grow, mutate_filter, validate
from agent.tools.library import BUNDLED, check_glsl, load_library, load_tool

ROOT = Path(__file__).resolve().parents[1]
IDENTITY = "// Leaves the picture alone.\nvec4 effect(vec2 uv) { return getColor(uv); }\n"


@pytest.fixture(scope="module")
def library():
    tools, problems = load_library([BUNDLED])
    assert not problems
    return tools


def test_namespacing_keeps_two_parents_apart(library):
    source, a, b = compose.chain_effects(library["speed-lines"].source, library["glitch-slices"].source.replace(
        "transition", "effect").replace("getFromColor", "getColor").replace("getToColor", "getColor"))
    # both parents declare `float hash(float)` and use `progress`-free names of their own
    assert "float a_hash(float n)" in source and "float b_hash(float n)" in source
    assert a.params == {"density": "a_density", "strength": "a_strength"}
    assert b.params == {"slices": "b_slices", "jump": "b_jump"}
    assert "b_effect" in source and "a_effect(" in source.split("vec4 b_effect")[1]  # b samples a
    assert compose.short(library["wipe-directional"].spec.description) == "a straight wipe across the frame in any direction"


def test_a_composition_that_changes_nothing_is_refused(library):
    rgb = library["rgb-split"].source
    source, _, _ = compose.chain_effects(rgb, IDENTITY)
    verdict = check_glsl(source, "effect", parents=(rgb, IDENTITY))
    assert not verdict.ok and "looks the same as parent 1" in verdict.reason
    source, _, _ = compose.chain_effects(rgb, library["vhs"].source)
    verdict = check_glsl(source, "effect", parents=(rgb, library["vhs"].source))
    assert verdict.ok, verdict.reason


def test_dressed_transition_keeps_exact_ends(library):
    source, _, e = compose.dress_transition(library["iris-open"].source, library["vhs"].source)
    assert e.params == {"wobble": "e_wobble", "scanlines": "e_scanlines"}
    verdict = check_glsl(source, "transition", parents=(library["iris-open"].source,))
    assert verdict.ok, verdict.reason  # the checker demands the exact from/to frames at 0 and 1


def test_synthesis_candidates_are_new_and_described_from_their_parents(library):
    candidates = SynthesisAuthor().author("glitch", library, 12, random.Random(7))
    assert len(candidates) == 12
    assert len({c.spec.id for c in candidates}) == 12
    assert not {c.spec.id for c in candidates} & set(library)
    assert not {c.spec.source_hash for c in candidates} & {t.spec.source_hash for t in library.values()}
    for candidate in candidates:
        parents = candidate.spec.provenance.parents
        assert parents and all(p in library for p in parents)
        assert candidate.spec.provenance.author in ("composition", "mutation")
        assert candidate.spec.description != library[parents[0]].spec.description
    again = SynthesisAuthor().author("glitch", library, 12, random.Random(7))
    assert [c.spec.id for c in again] == [c.spec.id for c in candidates]  # seeded: reproducible


def test_mutation_rewrites_defaults_and_ranges(library):
    author = SynthesisAuthor()
    rng = random.Random(0)
    mutants = [c for c in (author._mutate([library["rgb-split"]], set(), rng, "") for _ in range(6)) if c]
    hi = next(c for c in mutants if c.spec.id == "rgb-split-hi")
    amount = next(p for p in hi.spec.params if p.name == "amount")
    assert amount.default == [0.0216] and amount.min == [0.0054] and amount.max == [0.054]
    assert "uniform float amount; // = 0.0216" in hi.source
    assert "amount 0.012 → 0.0216" in hi.spec.description
    assert validate(hi).spec.validation.ok
    chain, changes = mutate_filter("noise=alls=18:allf=t+u,eq=brightness=-0.05:contrast=1.1", 0.5)
    assert chain == "noise=alls=9:allf=t+u,eq=brightness=-0.05:contrast=0.55"
    assert changes == ["noise alls 18 → 9", "eq contrast 1.1 → 0.55"]


def test_grow_saves_only_validated_tools_with_previews(library, tmp_path):
    tools = dict(library)
    seen = []
    report = grow(tools, 3, tmp_path / "lib", seed=11, on_result=seen.append)
    assert len(report.passed) == 3 and len(seen) == 3 + len(report.failed)
    for tool_id in report.passed:
        tool = load_tool(tmp_path / "lib" / tool_id)
        assert tool.spec.validation.ok and tool.spec.provenance.parents
        assert (tool.folder / "preview.gif").stat().st_size > 1000
        assert tools[tool_id].spec == tool.spec  # joined the library
    assert sorted(p.name for p in (tmp_path / "lib").iterdir()) == sorted(report.passed)


class _DraftBrain(RulesBrain):
    """The rule brain, but its first draft declares a parameter it never uses."""

    def complete(self, messages):
        if len(messages) == 2:
            return "```glsl\n// Warm pulse.\nuniform float unused_knob; // = 1.0\nuniform float strength; // = 0.5\n" \
                   "vec4 effect(vec2 uv) { return getColor(uv) * (1.0 + strength * (1.0 - beat)); }\n```"
        return super().complete(messages)


class _NonsenseBrain:
    name = "nonsense"

    def complete(self, messages):
        return "I would love to help! Here is an idea: make it pop."


def test_brain_author_feeds_validator_errors_back(library):
    written = BrainAuthor(RulesBrain()).author("a strong red colour wash", library)[0]
    assert written.spec.validation.ok and written.spec.kind == "glsl-effect"
    assert written.spec.provenance.author == "brain:rules"
    assert {p.name for p in written.spec.params} == {"tint", "strength"}
    transition = BrainAuthor(RulesBrain()).author("venetian blinds transition", library)[0]
    assert transition.spec.kind == "glsl-transition" and transition.spec.validation.ok

    repaired = BrainAuthor(_DraftBrain()).author("warm pulse", library)[0]
    assert repaired.spec.validation.ok, repaired.spec.validation.reason
    assert "unused_knob" not in repaired.source and [p.name for p in repaired.spec.params] == ["strength"]

    hopeless = BrainAuthor(_NonsenseBrain(), attempts=2).author("make it pop", library)[0]
    assert not hopeless.spec.validation.ok
    assert hopeless.spec.validation.reason.startswith("after 2 attempt(s): attempt 1:")


def test_cli_grow_reports_what_passed(tmp_path):
    out = subprocess.run([sys.executable, str(ROOT / "run_agent.py"), "--workspace", str(tmp_path), "tools", "grow",
                          "--n", "2", "--author", "rules", "--request", "blue tint", "--request", "ripple"],
                         capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert "2 of 2 candidate(s) passed" in out.stdout
    saved = sorted(p.name for p in (tmp_path / "tools").iterdir())
    assert saved == ["blue-tint", "ripple"]
    manifest = json.loads((tmp_path / "tools" / "ripple" / "manifest.json").read_text())
    assert manifest["provenance"] == {**manifest["provenance"], "author": "brain:rules", "request": "ripple"}
