"""Source-level composition of tools: new GLSL and ffmpeg-filter sources built from existing ones.

Every function here is pure text work (no GL, no files); whether a result is any good is for the
sandboxed validators to say. GLSL parts are namespaced before they are combined: each part's
global names (its parameters, helper functions, constants, its entry point) get a prefix, so two
parents that both declare `uniform float amount` or `float hash(float)` can live in one shader.

- chain: effect A, then effect B on A's output (B's `getColor` samples A);
- masked: A and B side by side under a mask (split, radial, beat-gated, diagonal sweep);
- dressed transition: a transition with an effect over its middle (zero at both ends, so the
  from/to frames at progress 0/1 stay exact);
- split transition: two transitions, one on each side of a seam;
- filter chain: two ffmpeg-filter chains one after the other.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from agent.render.glsl import shader_uniforms

_TYPES = r"(?:void|float|int|bool|vec[234]|ivec[234]|mat[234])"
_FUNCTION = re.compile(rf"^\s*{_TYPES}\s+(\w+)\s*\(", re.M)
_CONST = re.compile(rf"^\s*const\s+{_TYPES}\s+(\w+)\s*=", re.M)
_DEFINE = re.compile(r"^\s*#define\s+(\w+)", re.M)
_COMMENT_HEAD = re.compile(r"\A(?:\s*//[^\n]*\n)+")
# What an effect may read that a transition does not have: stand-ins inside a transition.
_EFFECT_ONLY = {"time": "progress", "beat": "progress", "downbeat": "progress", "energy": "1.0",
                "resolution": "vec2(720.0 * ratio, 720.0)"}


@dataclass(frozen=True)
class Part:
    """One parent's source, namespaced, and the new names of its parameters."""
    source: str
    entry: str  # the renamed `effect` / `transition`
    params: dict[str, str]  # old parameter name -> new


@dataclass(frozen=True)
class Mask:
    name: str
    expression: str  # GLSL float in [0, 1]: 0 shows the first part, 1 the second
    phrase: str  # how the description says it


MASKS: tuple[Mask, ...] = (
    Mask("split", "smoothstep(0.48, 0.52, uv.x)", "on the left half, {b} on the right"),
    Mask("radial", "smoothstep(0.25, 0.55, length((uv - 0.5) * vec2(ratio, 1.0)))",
         "in the centre, {b} towards the edges"),
    Mask("beatgate", "smoothstep(0.15, 0.45, beat)", "on the hit of each beat, {b} between beats"),
    Mask("sweep", "smoothstep(-0.05, 0.05, uv.x + uv.y - 2.0 * progress)",
         "ahead of a diagonal line that sweeps the frame, {b} behind it"),
)


def globals_of(source: str) -> list[str]:
    """Names a shader declares at global scope: parameters, functions, constants, macros."""
    names = [u.name for u in shader_uniforms(source)]
    names += _FUNCTION.findall(source) + _CONST.findall(source) + _DEFINE.findall(source)
    return list(dict.fromkeys(names))


def body(source: str) -> str:
    """The source without its leading description comment."""
    return _COMMENT_HEAD.sub("", source, count=1).strip() + "\n"


def namespace(source: str, prefix: str, replace: dict[str, str] | None = None) -> Part:
    """Prefix every global name of `source`; `replace` maps other identifiers (e.g. `getColor`)
    to new text first."""
    text = body(source)
    uniforms = {u.name for u in shader_uniforms(source)}
    renames = {name: f"{prefix}{name}" for name in globals_of(source)}
    for old, new in (replace or {}).items():
        text = re.sub(rf"\b{re.escape(old)}\b", new, text)
    for old, new in renames.items():
        text = re.sub(rf"(?<![.\w]){re.escape(old)}\b", new, text)
    entry = renames.get("effect") or renames.get("transition")
    if entry is None:
        raise ValueError("the source defines neither effect() nor transition()")
    return Part(text, entry, {name: renames[name] for name in uniforms})


def chain_effects(a: str, b: str) -> tuple[str, Part, Part]:
    """Effect a, then effect b over a's output."""
    first = namespace(a, "a_")
    second = namespace(b, "b_", {"getColor": first.entry})
    source = first.source + "\n" + second.source + f"\nvec4 effect(vec2 uv) {{ return {second.entry}(uv); }}\n"
    return source, first, second


def mask_effects(a: str, b: str, mask: Mask) -> tuple[str, Part, Part]:
    """a where the mask is 0, b where it is 1."""
    first, second = namespace(a, "a_"), namespace(b, "b_")
    source = (first.source + "\n" + second.source +
              f"\nvec4 effect(vec2 uv) {{\n  float m = clamp({mask.expression}, 0.0, 1.0);\n"
              f"  return mix({first.entry}(uv), {second.entry}(uv), m);\n}}\n")
    return source, first, second


def dress_transition(transition: str, effect: str, weight: float = 1.0) -> tuple[str, Part, Part]:
    """The transition with the effect applied over its middle, full strength at progress 0.5 and
    none at the ends: the ends return the transition's own output untouched."""
    base = namespace(transition, "t_")
    dressing = namespace(effect, "e_", {"getColor": base.entry, **_EFFECT_ONLY})
    source = (base.source + "\n" + dressing.source +
              "\nvec4 transition(vec2 uv) {\n"
              f"  vec4 plain = {base.entry}(uv);\n"
              "  if (progress <= 0.0 || progress >= 1.0) return plain;\n"
              f"  float w = {weight:.3f} * sin(3.14159265 * progress);\n"
              f"  return mix(plain, {dressing.entry}(uv), w);\n}}\n")
    return source, base, dressing


def split_transitions(a: str, b: str, mask: Mask) -> tuple[str, Part, Part]:
    """Transition a where the mask is 0 and transition b where it is 1 (both start on the from
    frame and end on the to frame, so the mix does too)."""
    first, second = namespace(a, "a_"), namespace(b, "b_")
    expression = mask.expression.replace("beat", "progress")
    source = (first.source + "\n" + second.source +
              "\nvec4 transition(vec2 uv) {\n"
              f"  if (progress <= 0.0) return getFromColor(uv);\n"
              f"  if (progress >= 1.0) return getToColor(uv);\n"
              f"  float m = clamp({expression}, 0.0, 1.0);\n"
              f"  return mix({first.entry}(uv), {second.entry}(uv), m);\n}}\n")
    return source, first, second


def chain_filters(a: str, b: str) -> str:
    return f"{a.strip()},{b.strip()}"


def short(description: str) -> str:
    """A tool's description as a phrase to build another from: its first clause (up to a
    punctuation mark or a relative clause), lower case."""
    text = re.split(r"[:;.,]\s| that ", description.strip() + " ", maxsplit=1)[0].strip().rstrip(".")
    return text[:1].lower() + text[1:]
