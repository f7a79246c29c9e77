"""GLSL engine on a real headless EGL context (llvmpipe here), and GLSL transitions in a render."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from agent.render.glsl import GLSLEngine, ShaderError, shader_uniforms
from agent.render.render import render
from agent.timeline.model import ClipItem, Timeline, TransitionItem
from conftest import expected_luma, frame_lumas, make_numbered_clip

# A gl-transitions-format shader, as found in the community collection's style.
WIPE_RIGHT = """
// Author: test
// License: MIT
uniform float smoothness; // = 0.0
vec4 transition(vec2 uv) {
  float edge = progress * (1.0 + smoothness);
  return mix(getFromColor(uv), getToColor(uv), step(uv.x, edge));
}
"""
CROSSFADE = "vec4 transition(vec2 uv) { return mix(getFromColor(uv), getToColor(uv), progress); }"
INVERT = "vec4 effect(vec2 uv) { return vec4(1.0 - getColor(uv).rgb, 1.0); }"
PULSE = """
uniform float amount; // = 0.5
vec4 effect(vec2 uv) { return getColor(uv) * (1.0 - amount * energy); }
"""


@pytest.fixture(scope="module")
def engine():
    gl = GLSLEngine()
    try:
        gl.renderer
    except ShaderError as exc:
        pytest.skip(f"no OpenGL context here: {exc}")
    yield gl
    gl.close()


def _frames():
    top_red = np.zeros((72, 128, 3), np.uint8)
    top_red[:36] = (255, 0, 0)
    blue = np.full((72, 128, 3), (0, 0, 255), np.uint8)
    return top_red, blue


def test_transition_ends_are_exactly_the_two_frames(engine):
    a, b = _frames()
    assert np.array_equal(engine.transition(CROSSFADE, a, b, 0.0), a)
    assert np.array_equal(engine.transition(CROSSFADE, a, b, 1.0), b)
    middle = engine.transition(CROSSFADE, a, b, 0.5).astype(int)
    assert np.abs(middle[0, 0] - [128, 0, 128]).max() <= 1


def test_orientation_follows_gl_transitions(engine):
    """uv.y = 0 is the bottom of the picture; uv.x = 0 the left edge."""
    a, b = _frames()
    up = "vec4 transition(vec2 uv) { return uv.y < progress ? getToColor(uv) : getFromColor(uv); }"
    out = engine.transition(up, a, b, 0.5)
    assert tuple(out[0, 0]) == (255, 0, 0) and tuple(out[-1, 0]) == (0, 0, 255)
    wiped = engine.transition(WIPE_RIGHT, a, b, 0.25)
    assert tuple(wiped[-1, 0]) == (0, 0, 255) and tuple(wiped[-1, -1]) == (0, 0, 0)


def test_uniform_defaults_come_from_comments():
    source = WIPE_RIGHT + "uniform vec2 direction; // = vec2(1.0, -0.5)\nuniform bool flip; // = true\n"
    found = {u.name: u.default for u in shader_uniforms(source)}
    assert found == {"smoothness": (0.0,), "direction": (1.0, -0.5), "flip": (1.0,)}


def test_effects_stack_and_read_audio_uniforms(engine):
    a, _ = _frames()
    assert np.array_equal(engine.effects(a, [(INVERT, {}), (INVERT, {})]), a)
    dimmed = engine.effects(a, [(PULSE, {"energy": 1.0, "amount": 0.5})])
    assert abs(int(dimmed[0, 0, 0]) - 128) <= 1


def test_yuv_frames_through_stacked_layers_equal_the_rgb_path(engine):
    """The renderer's path (yuv in and out, layers stacked on the GPU side, four-channel pixels)
    gives the very bytes of converting to RGB, applying layer by layer and converting back."""
    from agent.render.glsl import rgb_to_yuv420, yuv420_to_rgb

    rng = np.random.default_rng(5)
    w, h = 322, 182  # odd multiples: rows that are not 4-byte aligned
    a, b = (rng.integers(0, 256, w * h * 3 // 2, dtype=np.uint8).tobytes() for _ in range(2))
    layers = [(INVERT, {}), (PULSE, {"energy": 0.7, "amount": 0.3}),
              ("vec4 effect(vec2 uv) { return getColor(vec2(uv.x * 1.37 - 0.1, uv.y)); }", {})]
    stepwise = yuv420_to_rgb(a, w, h)
    for layer in layers:
        stepwise = engine.effects(stepwise, [layer])
    assert engine.effects_yuv(a, w, h, layers) == rgb_to_yuv420(stepwise)
    mixed = engine.transition(WIPE_RIGHT, yuv420_to_rgb(a, w, h), yuv420_to_rgb(b, w, h), 0.4, {"smoothness": 0.3})
    assert engine.transition_yuv(WIPE_RIGHT, a, b, w, h, 0.4, {"smoothness": 0.3}) == rgb_to_yuv420(mixed)


def test_compile_errors_name_the_line_of_the_shader(engine):
    with pytest.raises(ShaderError, match=r"0:2\(") as info:
        engine.compile("// line one\nvec4 transition(vec2 uv) { return undefined_thing; }", "transition")
    assert "undefined_thing" in str(info.value)
    with pytest.raises(ShaderError, match="vec4 effect"):
        engine.compile(CROSSFADE, "effect")


def test_glsl_transition_in_a_render_touches_only_its_span(engine, tmp_path: Path):
    a = make_numbered_clip(tmp_path / "a.mp4", 90, step=7)
    b = make_numbered_clip(tmp_path / "b.mp4", 90, step=5, offset=3)
    items = [ClipItem(source=str(a), source_start=0.0, record_start=0, record_end=20),
             ClipItem(source=str(b), source_start=1.0, record_start=20, record_end=40)]
    tl = Timeline(fps_num=30, fps_den=1, width=320, height=180, items=items,
                  transitions=[TransitionItem(index=1, cut_frame=20, frames=6, name="glsl", shader=CROSSFADE)])
    lumas = frame_lumas(render(tl, tmp_path / "out.mp4").path)
    plain = [expected_luma(k) for k in range(17)] + [expected_luma(33 + k, step=5, offset=3) for k in range(17)]
    assert np.abs(np.concatenate([lumas[:17], lumas[23:]]) - np.array(plain)).max() < 2.5
    outgoing = np.array([expected_luma(k) for k in range(17, 23)])
    incoming = np.array([expected_luma(27 + k, step=5, offset=3) for k in range(6)])
    progress = (lumas[17:23] - outgoing) / (incoming - outgoing)
    assert np.all(np.diff(progress) > 0) and 0.05 < progress[0] and progress[-1] < 0.95


def test_glsl_transitions_survive_the_otio_round_trip():
    from agent.timeline.otio import from_otio, to_otio

    items = [ClipItem(source="/a.mp4", source_start=0, record_start=0, record_end=20),
             ClipItem(source="/b.mp4", source_start=1, record_start=20, record_end=40)]
    tl = Timeline(width=320, height=180, items=items,
                  transitions=[TransitionItem(index=1, cut_frame=20, frames=6, name="glsl", shader=WIPE_RIGHT,
                                              params={"smoothness": 0.2})])
    assert from_otio(to_otio(tl)) == tl


BEAT_FLASH = """
uniform float strength; // = 1.0
vec4 effect(vec2 uv) { return mix(getColor(uv), vec4(1.0), strength * (1.0 - beat)); }
"""


def test_glsl_effect_follows_the_beat_in_a_render(engine, tmp_path: Path):
    """An effect driven by the `beat` uniform brightens frames on the beat more than between."""
    from agent.render.render import music_uniforms
    from agent.timeline.model import EffectItem

    src = make_numbered_clip(tmp_path / "flat.mp4", 60, step=0, offset=60)  # every frame luma 76
    effect = EffectItem(kind="glsl", start_frame=0, end_frame=30, shader=BEAT_FLASH, params={"strength": 0.8})
    tl = Timeline(fps_num=30, fps_den=1, width=320, height=180, effects=[effect],
                  items=[ClipItem(source=str(src), source_start=0.0, record_start=0, record_end=40)],
                  beats=[0.0, 0.5, 1.0], downbeats=[0.0])
    assert music_uniforms(tl, effect, 15)["beat"] == pytest.approx(0.0)
    assert music_uniforms(tl, effect, 22)["beat"] == pytest.approx(7 / 15)
    lumas = frame_lumas(render(tl, tmp_path / "beat.mp4").path)
    assert lumas[15] > 200 and lumas[14] < lumas[15] - 60  # on the beat vs just before it
    assert abs(lumas[35] - 76) < 2  # outside the effect span: untouched
