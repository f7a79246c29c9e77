"""The effects benchmark (evals/effects.py): its edit, and a short run end to end."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.media.models import (
    Analysis,
    ClipAnalysis,
    MediaInfo,
    MusicAnalysis,
    Shot,
    VideoStream,
)
from agent.timeline.beatgrid import place_music
from agent.timeline.compile import compile_plan
from agent.tools.library import BUNDLED, load_library
from evals.effects_edit import (
    FULL,
    build_plan,
    instance_kind,
    instances,
    layer_stats,
    tool_ids,
    variants,
)


@pytest.fixture
def gl_available():
    from agent.render.glsl import GLSLEngine, ShaderError

    engine = GLSLEngine()
    try:
        _ = engine.renderer
    except ShaderError as exc:
        pytest.skip(f"no OpenGL context here: {exc}")
    finally:
        engine.close()


def _analysis(bpm: float = 128.0, seconds: float = 40.0) -> Analysis:
    period = 60.0 / bpm
    beats = [round(k * period, 4) for k in range(int(seconds / period))]
    positions = [k % 4 + 1 for k in range(len(beats))]
    music = MusicAnalysis(path="/music.wav", duration=seconds, tracker="test", tracker_licence="-", beats=beats,
                          beat_positions=positions, downbeats=[b for b, p in zip(beats, positions) if p == 1],
                          tempo=bpm, energy=[0.6] * int(seconds / 0.05))
    clips = []
    for n in range(5):
        video = VideoStream(codec="h264", width=1280, height=720, display_width=1280, display_height=720, fps=30.0,
                            fps_rational="30/1", vfr=False)
        info = MediaInfo(path=f"/clips/{n}.mp4", content_hash=str(n), size_bytes=1, format_name="mp4", duration=9.0,
                         video=video)
        clips.append(ClipAnalysis(info=info, shots=[Shot(index=0, start=0.0, end=9.0, motion=0.1 * n)]))
    return Analysis(music=music, clips=clips)


def test_the_full_edit_stacks_over_a_hundred_library_instances():
    tools, problems = load_library([BUNDLED])
    assert not problems
    assert tool_ids() <= set(tools)
    analysis = _analysis()
    reel = place_music(analysis.music, FULL.duration, None)
    plan = build_plan(FULL, [b.time for b in reel.beats], reel.start)
    timeline = compile_plan(plan, analysis, tools).timeline
    assert (timeline.width, timeline.height, timeline.frame_count) == (1280, 720, 450)

    stats = layer_stats(timeline)
    assert stats["instances"] >= 100
    assert set(stats["instances_by_kind"]) == {"glsl_effect", "glsl_transition", "ffmpeg_filter",
                                               "ffmpeg_transition", "flash", "zoom_punch", "shake"}
    assert stats["max_layers_on_a_frame"] >= 4
    assert sum(n for depth, n in stats["frames_by_layer_depth"].items() if int(depth) >= 2) >= 100
    assert 0.3 < stats["effect_frame_share"] < 0.8  # a good part of the reel stays plain

    # The variants keep the cuts and drop exactly what they say they drop.
    parts = variants(timeline)
    assert all(v.cut_frames() == timeline.cut_frames() for v in parts.values())
    assert not any(instance_kind(i).startswith("glsl") for i in instances(parts["no_glsl"]))
    assert len(instances(parts["no_glsl"])) == stats["instances"] - stats["instances_by_kind"]["glsl_effect"] \
        - stats["instances_by_kind"]["glsl_transition"]
    assert instances(parts["plain"]) == []


@pytest.mark.slow
def test_a_short_effects_benchmark_renders_checks_and_measures(gl_available, tmp_path: Path):
    from evals.effects import run

    report = run(tmp_path, quick=True, repeats=1)
    assert report is not None, (tmp_path / "effects.json").read_text()[-3000:]
    assert (tmp_path / "effects.json").exists() and (tmp_path / "effects.png").exists()
    assert set(report["renders"]) == {"full", "no_glsl", "plain"}
    for name, render in report["renders"].items():
        assert render["returncode"] == 0 and render["wall_s"] > 0 and render["cpu_s"] > 0
        assert report["checks"]["outputs"][name]["frames"] == report["reel"]["frames"] == 90
    pixels = report["checks"]["pixels"]
    assert pixels["ok"]
    for kind, counts in pixels["instances_changed_by_kind"].items():
        assert counts["changed"] == counts["instances"], kind
    assert pixels["effect_frame_diff_vs_plain"]["median"] > 2 * pixels["clean_frame_diff_vs_plain"]["max"]
    measured = {row["tool"] for row in report["tool_costs"]}
    assert {"flash", "(GL frame transfer, once per GLSL effect frame)"} <= measured and len(measured) >= 8
    assert all(row["ms_per_effect_frame_in_edit"] > 0 for row in report["tool_costs"])
