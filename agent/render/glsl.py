"""GLSL engine: gl-transitions-style transitions and `vec4 effect(vec2 uv)` effects on frames.

moderngl on a headless EGL context (llvmpipe here, a real GPU where present: same code). The
context is created on first use, never at import. Frames are RGB uint8 arrays (H, W, 3), top row
first; GL's origin is bottom-left, so frames are flipped on upload and read-back, and a shader's
`uv.y = 0` is the bottom of the picture, as gl-transitions expect.

Contracts:
- transition: the gl-transitions convention, `vec4 transition(vec2 uv)` with `getFromColor`,
  `getToColor`, `progress` (0..1) and `ratio` (width / height); parameters are uniforms whose
  defaults come from `// = value` comments, so community shaders load unchanged;
- effect: `vec4 effect(vec2 uv)` with `getColor`, `time` (seconds into the span), `progress`
  (0..1 over the span), `ratio`, `resolution`, and the audio uniforms `beat` (phase 0..1 in the
  beat), `downbeat` (phase 0..1 in the bar) and `energy` (0..1).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from agent.errors import ReelwrightError

_VERTEX = """#version 330
in vec2 in_pos;
out vec2 v_uv;
void main() {
    v_uv = (in_pos + 1.0) * 0.5;
    gl_Position = vec4(in_pos, 0.0, 1.0);
}
"""

_COMMON = """#version 330
#define texture2D texture
uniform float progress;
uniform float ratio;
in vec2 v_uv;
out vec4 fragColor;
"""

_TRANSITION_HEAD = _COMMON + """
uniform sampler2D from_tex;
uniform sampler2D to_tex;
vec4 getFromColor(vec2 uv) { return texture(from_tex, uv); }
vec4 getToColor(vec2 uv) { return texture(to_tex, uv); }
"""

_EFFECT_HEAD = _COMMON + """
uniform sampler2D src_tex;
uniform float time;
uniform float beat;
uniform float downbeat;
uniform float energy;
uniform vec2 resolution;
vec4 getColor(vec2 uv) { return texture(src_tex, uv); }
"""

_TRANSITION_MAIN = "\nvoid main() { fragColor = vec4(transition(v_uv).rgb, 1.0); }\n"
_EFFECT_MAIN = "\nvoid main() { fragColor = vec4(effect(v_uv).rgb, 1.0); }\n"

# Uniforms the engine provides; everything else a shader declares is one of its parameters.
ENGINE_UNIFORMS = frozenset({"progress", "ratio", "from_tex", "to_tex", "src_tex", "time", "beat",
                             "downbeat", "energy", "resolution"})
_UNIFORM = re.compile(r"^\s*uniform\s+(\w+)\s+(\w+)\s*;[ \t]*(?://\s*=\s*(.+?))?\s*$", re.M)
_SIZES = {"float": 1, "int": 1, "bool": 1, "vec2": 2, "vec3": 3, "vec4": 4, "ivec2": 2, "ivec3": 3, "ivec4": 4}


class ShaderError(ReelwrightError):
    """A shader that does not compile or does not follow its contract; the message says why."""


@dataclass(frozen=True)
class Uniform:
    name: str
    type: str
    default: tuple[float, ...]


def _parse_default(text: str | None, gl_type: str) -> tuple[float, ...]:
    size = _SIZES.get(gl_type)
    if size is None:
        raise ShaderError(f"uniform type {gl_type!r} is not supported (use float, int, bool, vecN or ivecN)")
    if not text:
        return (0.0,) * size
    text = text.strip().rstrip(";")
    if text in ("true", "false"):
        return (1.0 if text == "true" else 0.0,)
    numbers = [float(n) for n in re.findall(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?", text.split("(", 1)[-1])]
    if len(numbers) == 1 and size > 1:  # vec2(0.5) means (0.5, 0.5)
        numbers *= size
    if len(numbers) != size:
        raise ShaderError(f"default {text!r} does not fit a {gl_type}")
    return tuple(numbers)


def shader_uniforms(source: str) -> list[Uniform]:
    """The shader's own parameters, with defaults from their `// = value` comments."""
    found = []
    for gl_type, name, default in _UNIFORM.findall(source):
        if name in ENGINE_UNIFORMS or gl_type.startswith("sampler"):
            continue
        found.append(Uniform(name=name, type=gl_type, default=_parse_default(default or None, gl_type)))
    return found


@dataclass
class _Program:
    program: Any
    uniforms: list[Uniform]
    kind: str
    params: dict[str, tuple[float, ...]] = field(default_factory=dict)
    vao: Any = None


class GLSLEngine:
    """Compiles shaders and renders them; one GL context per engine, created on first use.

    Textures and framebuffers are made once per frame size and reused. Effect layers stack on the
    GPU side: each layer samples the previous layer's render target, and only the last one is
    read back. A target holds the same 8-bit values a read-back and re-upload would, and is
    sampled with the same filtering and edge clamping, so the result is the same to the bit.
    """

    def __init__(self) -> None:
        self._ctx = None
        self._vbo = None
        self._programs: dict[tuple[str, str], _Program] = {}
        self._inputs: dict[tuple[int, int, int, int], Any] = {}  # (w, h, components, slot) -> texture
        self._targets: dict[tuple[int, int, str, int], tuple[Any, Any]] = {}  # (w, h, dtype, slot) -> (texture, fbo)

    @property
    def ctx(self):
        if self._ctx is None:
            import moderngl

            try:
                self._ctx = moderngl.create_standalone_context(backend="egl")
            except Exception as exc:  # no EGL/GL driver: say what to install
                raise ShaderError(f"no OpenGL context ({exc}); install libegl1 libgl1-mesa-dri libegl-mesa0 "
                                  f"(make demo does)") from exc
            quad = np.array([-1, -1, 1, -1, -1, 1, 1, 1], dtype="f4")
            self._vbo = self._ctx.buffer(quad.tobytes())
        return self._ctx

    @property
    def renderer(self) -> str:
        return self.ctx.info["GL_RENDERER"]

    def compile(self, source: str, kind: str) -> _Program:
        """Compile a transition or effect; ShaderError carries the compiler's message."""
        key = (kind, source)
        if key in self._programs:
            return self._programs[key]
        if kind == "transition":
            if not re.search(r"\bvec4\s+transition\s*\(", source):
                raise ShaderError("a transition must define vec4 transition(vec2 uv)")
            fragment = _TRANSITION_HEAD + source + _TRANSITION_MAIN
        elif kind == "effect":
            if not re.search(r"\bvec4\s+effect\s*\(", source):
                raise ShaderError("an effect must define vec4 effect(vec2 uv)")
            fragment = _EFFECT_HEAD + source + _EFFECT_MAIN
        else:
            raise ValueError(f"kind must be 'transition' or 'effect', not {kind!r}")
        uniforms = shader_uniforms(source)
        try:
            program = self.ctx.program(vertex_shader=_VERTEX, fragment_shader=fragment)
        except Exception as exc:
            head_lines = (_TRANSITION_HEAD if kind == "transition" else _EFFECT_HEAD).count("\n")
            raise ShaderError(f"shader does not compile: {_shift_lines(str(exc), head_lines)}") from exc
        vao = self.ctx.simple_vertex_array(program, self._vbo, "in_pos")
        compiled = _Program(program=program, uniforms=uniforms, kind=kind, vao=vao)
        self._programs[key] = compiled
        return compiled

    def _upload(self, frame: np.ndarray, slot: int):
        """The frame (RGB or RGBA, top row first) in this size's input texture `slot`, flipped:
        GL's rows run bottom-up."""
        h, w, components = frame.shape
        key = (w, h, components, slot)
        texture = self._inputs.get(key)
        if texture is None:
            texture = self.ctx.texture((w, h), components)
            texture.repeat_x = texture.repeat_y = False  # clamp to edge, as gl-transitions do
            self._inputs[key] = texture
        texture.write(np.ascontiguousarray(frame[::-1]))
        return texture

    def _target(self, size: tuple[int, int], dtype: str, slot: int) -> tuple[Any, Any]:
        key = (*size, dtype, slot)
        if key not in self._targets:
            texture = self.ctx.texture(size, 4, dtype=dtype)
            texture.repeat_x = texture.repeat_y = False  # sampled by the next layer: clamp like an input
            self._targets[key] = (texture, self.ctx.framebuffer(color_attachments=[texture]))
        return self._targets[key]

    def _draw(self, compiled: _Program, size: tuple[int, int], values: dict[str, Any], fbo) -> None:
        """Render one pass of `compiled` into `fbo` (textures already bound)."""
        w, h = size
        program = compiled.program
        for uniform in compiled.uniforms:
            if uniform.name in program:
                value = values.get(uniform.name, uniform.default)
                value = tuple(value) if isinstance(value, (list, tuple)) else (value,)
                program[uniform.name].value = value[0] if len(value) == 1 else value
        for name in ("progress", "ratio", "time", "beat", "downbeat", "energy"):
            if name in program and name in values:
                program[name].value = float(values[name])
        if "resolution" in program:
            program["resolution"].value = (float(w), float(h))
        fbo.use()
        compiled.vao.render(mode=self.ctx.TRIANGLE_STRIP)

    def _read(self, fbo, size: tuple[int, int], dtype: str, components: int = 3) -> np.ndarray:
        """uint8 RGB, or float32 RGB (unclamped: NaN/Inf show) with dtype "f4"; top row first.
        (Four components read back without repacking: the fast path for the yuv methods.)"""
        w, h = size
        data = fbo.read(components=components, alignment=1, dtype=dtype)
        pixels = np.frombuffer(data, np.uint8 if dtype == "f1" else np.float32)
        return pixels.reshape(h, w, components)[::-1].copy()

    def transition(self, source: str, from_frame: np.ndarray, to_frame: np.ndarray, progress: float,
                   params: dict[str, Any] | None = None, dtype: str = "f1") -> np.ndarray:
        h, w = from_frame.shape[:2]
        fbo = self._transition(source, self._upload(from_frame, 0), self._upload(to_frame, 1), (w, h), progress,
                               params, dtype)
        return self._read(fbo, (w, h), dtype)

    def _transition(self, source: str, a, b, size: tuple[int, int], progress: float, params: dict[str, Any] | None,
                    dtype: str):
        compiled = self.compile(source, "transition")
        a.use(0)
        b.use(1)
        for name, unit in (("from_tex", 0), ("to_tex", 1)):
            if name in compiled.program:
                compiled.program[name].value = unit
        _, fbo = self._target(size, dtype, 0)
        self._draw(compiled, size, {**(params or {}), "progress": progress, "ratio": size[0] / size[1]}, fbo)
        return fbo

    def effects(self, frame: np.ndarray, layers: list[tuple[str, dict[str, Any]]], dtype: str = "f1") -> np.ndarray:
        """Apply effect layers in order; each layer is (source, uniform values incl. time/progress)."""
        if not layers:
            return frame
        h, w = frame.shape[:2]
        return self._read(self._stack(self._upload(frame, 0), (w, h), layers, dtype), (w, h), dtype)

    def _stack(self, texture, size: tuple[int, int], layers: list[tuple[str, dict[str, Any]]], dtype: str):
        """Each layer samples the previous one's target; returns the last target's framebuffer."""
        compiled = [self.compile(source, "effect") for source, _ in layers]
        defaults = {"progress": 0.0, "time": 0.0, "beat": 0.0, "downbeat": 0.0, "energy": 0.0}
        fbo = None
        for n, (program, (_, values)) in enumerate(zip(compiled, layers)):
            texture.use(0)
            if "src_tex" in program.program:
                program.program["src_tex"].value = 0
            texture, fbo = self._target(size, dtype, n % 2)
            self._draw(program, size, {**defaults, **values, "ratio": size[0] / size[1]}, fbo)
        return fbo

    # Raw yuv420p in and out, for the renderer: the RGB side runs on four-channel pixels, which GL
    # uploads and reads back without repacking; the values are those of the RGB methods.

    def effects_yuv(self, frame: bytes, width: int, height: int,
                    layers: list[tuple[str, dict[str, Any]]]) -> bytes:
        if not layers:
            return frame
        texture = self._upload(yuv420_to_rgba(frame, width, height), 0)
        return rgba_to_yuv420(self._read(self._stack(texture, (width, height), layers, "f1"), (width, height),
                                         "f1", components=4))

    def transition_yuv(self, source: str, from_frame: bytes, to_frame: bytes, width: int, height: int,
                       progress: float, params: dict[str, Any] | None = None) -> bytes:
        a = self._upload(yuv420_to_rgba(from_frame, width, height), 0)
        b = self._upload(yuv420_to_rgba(to_frame, width, height), 1)
        fbo = self._transition(source, a, b, (width, height), progress, params, "f1")
        return rgba_to_yuv420(self._read(fbo, (width, height), "f1", components=4))

    def finite(self, source: str, kind: str, a: np.ndarray, b: np.ndarray) -> bool:
        """No NaN or Inf anywhere in the span's middle, rendered to a float target."""
        for progress in (0.25, 0.5, 0.75):
            if kind == "transition":
                out = self.transition(source, a, b, progress, dtype="f4")
            else:
                out = self.effects(a, [(source, {"progress": progress, "time": progress, "beat": progress,
                                                 "downbeat": progress, "energy": 0.8})], "f4")
            if not np.isfinite(out).all():
                return False
        return True

    def close(self) -> None:
        for texture, fbo in self._targets.values():
            fbo.release()
            texture.release()
        self._targets.clear()
        for texture in self._inputs.values():
            texture.release()
        self._inputs.clear()
        for compiled in self._programs.values():
            compiled.vao.release()
            compiled.program.release()
        self._programs.clear()
        if self._ctx is not None:
            self._vbo.release()
            self._ctx.release()
            self._ctx = None


def _shift_lines(message: str, offset: int) -> str:
    """Compiler messages count lines from the engine's header: count them in the person's source."""
    def fix(match: re.Match[str]) -> str:
        line = int(match.group(2)) - offset
        return f"{match.group(1)}{max(line, 1)}{match.group(3)}"

    return re.sub(r"(\d+:)(\d+)(\()", fix, message).strip()


def yuv420_to_rgb(frame: bytes, width: int, height: int) -> np.ndarray:
    import cv2

    yuv = np.frombuffer(frame, np.uint8).reshape(height * 3 // 2, width)
    return cv2.cvtColor(yuv, cv2.COLOR_YUV2RGB_I420)


def rgb_to_yuv420(rgb: np.ndarray) -> bytes:
    import cv2

    return cv2.cvtColor(rgb, cv2.COLOR_RGB2YUV_I420).tobytes()


def yuv420_to_rgba(frame: bytes, width: int, height: int) -> np.ndarray:
    """yuv420_to_rgb with an opaque alpha channel (the same RGB values)."""
    import cv2

    yuv = np.frombuffer(frame, np.uint8).reshape(height * 3 // 2, width)
    return cv2.cvtColor(yuv, cv2.COLOR_YUV2RGBA_I420)


def rgba_to_yuv420(rgba: np.ndarray) -> bytes:
    """rgb_to_yuv420 of the RGB channels (alpha ignored)."""
    import cv2

    return cv2.cvtColor(rgba, cv2.COLOR_RGBA2YUV_I420).tobytes()
