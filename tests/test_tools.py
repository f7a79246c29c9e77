"""Tool library: manifests validated on load (file and field named), gl-transitions import,
shader validation in its own process (an endless shader is killed by the timeout)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from agent.tools.library import ToolError, check_glsl, import_gl_transition, load_library, load_tool

ROOT = Path(__file__).resolve().parents[1]

CIRCLE_OPEN = """// Author: reelwright tests
// License: MIT
uniform float smoothness; // = 0.3
uniform vec2 center; // = vec2(0.5, 0.5)

vec4 transition(vec2 uv) {
  float radius = progress * (1.0 + smoothness) * 0.75;
  float d = distance(uv, center);
  float m = smoothstep(radius - smoothness * 0.5, radius, d);
  if (progress <= 0.0) return getFromColor(uv);
  if (progress >= 1.0) return getToColor(uv);
  return mix(getToColor(uv), getFromColor(uv), m);
}
"""


@pytest.fixture(scope="module")
def gl_available():
    verdict = check_glsl("vec4 transition(vec2 uv){ return mix(getFromColor(uv), getToColor(uv), progress); }",
                         "transition")
    if not verdict.ok and "OpenGL" in verdict.reason:
        pytest.skip(f"no OpenGL context here: {verdict.reason}")
    return verdict


def test_import_writes_a_valid_tool_folder(gl_available, tmp_path):
    shader = tmp_path / "circle_open.glsl"
    shader.write_text(CIRCLE_OPEN)
    tool = import_gl_transition(shader, tmp_path / "lib")
    spec = tool.spec
    assert spec.id == "circle-open" and spec.kind == "glsl-transition"
    assert {p.name: p.default for p in spec.params} == {"smoothness": [0.3], "center": [0.5, 0.5]}
    assert spec.validation.ok and spec.validation.ms_per_frame_720p > 0
    assert "Author: reelwright tests" in spec.provenance.origin
    assert sorted(p.name for p in tool.folder.iterdir()) == ["manifest.json", "preview.gif", "report.json",
                                                            "shader.glsl"]
    from PIL import Image

    with Image.open(tool.folder / "preview.gif") as gif:
        assert gif.size == (192, 108) and gif.n_frames > 8  # the iris visibly animates
    assert load_tool(tool.folder).spec == spec


@pytest.mark.parametrize(("source", "reason"), [
    ("vec4 transition(vec2 uv){ return getToColor(uv); }", "progress 0"),
    ("vec4 transition(vec2 uv){ return mix(getFromColor(uv), getToColor(uv), progress) + nope; }", "compile"),
    ("uniform float unused; // = 1.0\nvec4 transition(vec2 uv){ return mix(getFromColor(uv), getToColor(uv), progress); }",
     "unused"),
])
def test_bad_shaders_are_refused_with_the_reason(gl_available, tmp_path, source, reason):
    shader = tmp_path / "bad.glsl"
    shader.write_text(source)
    with pytest.raises(ToolError, match=reason):
        import_gl_transition(shader, tmp_path / "lib")
    assert not (tmp_path / "lib" / "bad").exists()
    result = subprocess.run([sys.executable, str(ROOT / "run_agent.py"), "--workspace", str(tmp_path / "ws"),
                             "tools", "import", str(shader)], capture_output=True, text=True)
    assert result.returncode == 2 and "refused" in result.stderr


def test_nan_and_blank_effects_fail(gl_available):
    infinite = "vec4 effect(vec2 uv){ return getColor(uv) * (1.0 / (progress - 0.25)); }"
    assert "NaN or Inf" in check_glsl(infinite, "effect").reason
    blank = "vec4 effect(vec2 uv){ return vec4(0.2); }"
    assert "blank" in check_glsl(blank, "effect").reason


def test_an_endless_shader_is_killed_by_the_timeout(gl_available):
    # progress never reaches 2: the loop never ends (llvmpipe gives up after ~65k iterations per
    # pixel, which at 720p still takes far longer than the timeout).
    endless = """vec4 transition(vec2 uv){
      float x = 0.0;
      while (progress < 2.0) { x = fract(x * 1.37 + uv.x); }
      return mix(getFromColor(uv), getToColor(uv), progress) + x;
    }"""
    verdict = check_glsl(endless, "transition", timeout=5)
    assert not verdict.ok and "did not finish within 5 s" in verdict.reason


def _write_tool(folder: Path, manifest: dict, source: str = "vec4 effect(vec2 uv){ return getColor(uv); }"):
    folder.mkdir(parents=True)
    (folder / "shader.glsl").write_text(source)
    (folder / "manifest.json").write_text(json.dumps(manifest))


def _manifest(**changes) -> dict:
    from agent.tools.spec import source_hash

    data = {"id": "plain", "kind": "glsl-effect", "description": "passes the picture through",
            "provenance": {"author": "builtin"},
            "source_hash": source_hash("vec4 effect(vec2 uv){ return getColor(uv); }")}
    data.update(changes)
    return data


@pytest.mark.parametrize(("changes", "field"), [
    ({"kind": "shader"}, "field kind"),
    ({"id": "Bad Id!"}, "field id"),
    ({"params": [{"name": "k", "type": "float", "default": [2.0], "min": [0.0], "max": [1.0]}]}, "field params.0"),
    ({"source_hash": "sha256:0"}, "field source_hash"),
    ({"description": None}, "field description"),
])
def test_broken_manifests_name_the_file_and_the_field(tmp_path, changes, field):
    _write_tool(tmp_path / "plain", _manifest(**changes))
    with pytest.raises(ToolError, match=field) as info:
        load_tool(tmp_path / "plain")
    assert "plain/manifest.json" in str(info.value)
    tools, problems = load_library([tmp_path])
    assert tools == {} and len(problems) == 1


def test_workspace_tools_override_bundled_ones(tmp_path):
    _write_tool(tmp_path / "a" / "plain", _manifest())
    _write_tool(tmp_path / "b" / "plain", _manifest(description="the workspace's own copy"))
    tools, problems = load_library([tmp_path / "a", tmp_path / "b"])
    assert not problems and tools["plain"].spec.description == "the workspace's own copy"


def test_bundled_library_loads_clean_with_previews():
    from agent.tools.library import BUNDLED

    tools, problems = load_library([BUNDLED])
    assert problems == []
    assert len(tools) >= 30
    kinds = {t.spec.kind for t in tools.values()}
    assert {"glsl-transition", "glsl-effect", "ffmpeg-filter"} <= kinds
    for tool in tools.values():
        assert tool.spec.validation and tool.spec.validation.ok, tool.spec.id
        assert (tool.folder / "preview.gif").stat().st_size > 1000, tool.spec.id
        assert tool.spec.provenance.author in ("builtin", "composition", "mutation"), tool.spec.id
        assert all(parent in tools for parent in tool.spec.provenance.parents), tool.spec.id
    authors = [t.spec.provenance.author for t in tools.values()]
    assert authors.count("builtin") >= 30 and len(authors) - authors.count("builtin") >= 50


@pytest.mark.slow
def test_every_bundled_tool_revalidates(gl_available, tmp_path):
    result = subprocess.run([sys.executable, str(ROOT / "run_agent.py"), "--workspace", str(tmp_path / "ws"),
                             "tools", "test", "--all"], capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count(" ok") >= 80


def test_an_edit_with_library_tools_renders_them_only_on_their_spans(gl_available, tmp_path):
    from agent.config import Settings
    from agent.edit import run_edit
    from agent.errors import PlanError
    from agent.media.synth import synth_drum_track
    from agent.timeline.plan import EditPlan, SectionPlan, ToolEffect, TransitionRequest
    from conftest import make_numbered_clip

    music = tmp_path / "m.wav"
    synth_drum_track(music, 120.0, 20.0)
    clips = [make_numbered_clip(tmp_path / f"c{n}.mp4", 240, step=3, offset=40 * n) for n in range(3)]
    plan = EditPlan(duration=6, aspect="16:9", height=180, music_start=0.0, sections=[
        SectionPlan(start=0, end=3, rhythm="every_2_beats",
                    transition=TransitionRequest(name="glsl:iris-open", beats=0.5, every_n_cuts=1),
                    tools=[ToolEffect(tool="vignette-pulse")]),
        SectionPlan(start=3, end=6, rhythm="every_beat",
                    tools=[ToolEffect(tool="rgb-split", on="beats", beats=0.5), ToolEffect(tool="strobe", on="downbeats"),
                           ToolEffect(tool="film-grain", on="beats", beats=2.0)]),
    ])
    settings = Settings(workspace=tmp_path / "ws")
    outcome = run_edit(music, clips, "", tmp_path / "out" / "reel.mp4", settings=settings, plan=plan)
    tl = outcome.compiled.timeline
    assert {t.name for t in tl.transitions} == {"glsl"} and len(tl.transitions) >= 2
    glsl_effects = [e for e in tl.effects if e.kind == "glsl"]
    assert len(glsl_effects) >= 1 + 6 + 1  # the section-long vignette, a split on each beat, strobes
    chains = sorted((e.start_frame, e.end_frame) for e in tl.effects if e.kind == "ffmpeg")
    assert chains and all(b <= c for (_, b), (c, _) in zip(chains, chains[1:]))  # grain spans never overlap
    assert outcome.rendered.frames == 180
    bad = plan.model_copy(update={"sections": [SectionPlan(start=0, end=6, tools=[ToolEffect(tool="no-such-tool")])]})
    with pytest.raises(PlanError, match="no-such-tool"):
        run_edit(music, clips, "", tmp_path / "out2" / "reel.mp4", settings=settings, plan=bad)


@pytest.mark.parametrize(("chain", "reason"), [
    ("movie=/etc/passwd", "not allowed"),
    ("amovie=x.wav", "not allowed"),
    ("sendcmd=f=cmds.txt,eq", "not allowed"),
    ("curves=psfile=/tmp/x.acv", "file, device or protocol"),
    ("lut3d=file=look.cube", "not allowed"),
    ("eq=contrast=1.2;[0]null", "one linear chain"),
    ("scale=64:64", "not allowed"),
    ("geq=lum=16:cb=128:cr=128", "blank"),
    ("eq=contrast=oops", "ffmpeg refused"),
])
def test_ffmpeg_filters_that_reach_outside_or_fail_are_refused(chain, reason):
    from agent.tools.library import check_ffmpeg_filter

    verdict = check_ffmpeg_filter(chain)
    assert not verdict.ok and reason in verdict.reason


def test_an_ffmpeg_filter_effect_streams_over_its_span_only(tmp_path):
    import numpy as np

    from agent.render.render import render
    from agent.timeline.model import ClipItem, EffectItem, Timeline
    from conftest import expected_luma, frame_lumas, make_numbered_clip

    src = make_numbered_clip(tmp_path / "n.mp4", 60, step=3)
    tl = Timeline(fps_num=30, fps_den=1, width=320, height=180,
                  items=[ClipItem(source=str(src), source_start=0.0, record_start=0, record_end=40)],
                  effects=[EffectItem(kind="ffmpeg", start_frame=10, end_frame=25, filter="negate")])
    lumas = frame_lumas(render(tl, tmp_path / "neg.mp4").path)
    plain = np.array([expected_luma(k, step=3) for k in range(40)], dtype=float)
    negated = 255 - plain  # negate inverts the limited-range luma around full range
    assert np.abs(lumas[:10] - plain[:10]).max() < 2 and np.abs(lumas[25:] - plain[25:]).max() < 2
    assert np.abs(lumas[10:25] - negated[10:25]).max() < 3


def test_checks_run_in_the_bwrap_sandbox_or_say_why_not(gl_available):
    from agent.tools.library import _sandbox_plan, check_ffmpeg_filter

    executor, how = _sandbox_plan()
    verdict = check_ffmpeg_filter("hue=h=30")
    assert verdict.ok
    if executor is None:
        assert verdict.sandbox.startswith("none: ") and how in verdict.sandbox
    else:
        assert verdict.sandbox == "bwrap" and gl_available.sandbox == "bwrap"


def test_every_tool_a_style_names_is_in_the_bundled_library():
    from agent.brain.rules import STYLE_TOOLS, plan_edit
    from agent.tools.library import BUNDLED

    tools, _ = load_library([BUNDLED])
    named = {t.tool for preset in STYLE_TOOLS.values() for t in preset}
    assert named and named <= set(tools)
    plan = plan_edit("20 s lofi edit")
    assert {t.tool for s in plan.sections for t in s.tools} == {"vhs", "film-grain"}
    assert not any(s.tools for s in plan_edit("20 s lofi edit, no effects").sections)


def test_previews_are_remade_in_the_sandbox(gl_available, tmp_path):
    import shutil

    from agent.tools.library import BUNDLED, write_preview

    for tool_id in ("film-grain", "strobe"):
        shutil.copytree(BUNDLED / tool_id, tmp_path / tool_id)
        (tmp_path / tool_id / "preview.gif").unlink()
        tool = load_tool(tmp_path / tool_id)
        assert write_preview(tool).stat().st_size > 1000


def test_usage_stats_live_in_the_workspace_and_overlay_the_manifests(tmp_path):
    from agent.tools.library import BUNDLED, load_workspace_library
    from agent.tools.stats import record_uses

    record_uses(tmp_path, {"rgb-split": 3, "vhs": 1})
    record_uses(tmp_path, {"rgb-split": 1})
    tools, problems = load_workspace_library(tmp_path)
    assert not problems
    assert (tools["rgb-split"].spec.stats.uses, tools["vhs"].spec.stats.uses, tools["strobe"].spec.stats.uses) == (2, 1, 0)
    assert json.loads((BUNDLED / "rgb-split" / "manifest.json").read_text())["stats"]["uses"] == 0  # untouched
    (tmp_path / "tool_stats.json").write_text("{not json")
    tools, problems = load_workspace_library(tmp_path)
    assert tools["rgb-split"].spec.stats.uses == 0 and "tool_stats.json: unreadable" in problems[0]
