"""The rule brain as a shader writer: GLSL from a handful of templates chosen by the request's
words, with one kind of repair when the validator refuses it (parameters it says are unused are
dropped). It exists so that the brain-written authoring path runs end to end without a language
model; it does not invent anything a template does not hold.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_COLOURS = {"red": (1.0, 0.15, 0.1), "blue": (0.15, 0.35, 1.0), "green": (0.2, 1.0, 0.35),
            "gold": (1.0, 0.78, 0.25), "pink": (1.0, 0.35, 0.7), "purple": (0.6, 0.25, 1.0),
            "teal": (0.1, 0.8, 0.75), "orange": (1.0, 0.5, 0.1), "warm": (1.0, 0.6, 0.3), "cold": (0.4, 0.6, 1.0)}


@dataclass(frozen=True)
class _Template:
    words: tuple[str, ...]
    kind: str  # "effect" or "transition"
    source: str  # with {strength} and {colour} slots


_TEMPLATES = (
    _Template(("tint", "colour", "color", "wash", "glow") + tuple(_COLOURS), "effect", """// {title}
uniform vec3 tint; // = vec3({colour})
uniform float strength; // = {strength}
vec4 effect(vec2 uv) {{
  vec3 c = getColor(uv).rgb;
  float pulse = strength * (0.5 + 0.5 * (1.0 - beat));
  return vec4(mix(c, c * tint * 1.6, pulse), 1.0);
}}
"""),
    _Template(("wave", "ripple", "wobble", "water", "heat", "warp"), "effect", """// {title}
uniform float amplitude; // = {small}
uniform float frequency; // = 18.0
vec4 effect(vec2 uv) {{
  vec2 q = uv + vec2(sin(uv.y * frequency + time * 6.0), cos(uv.x * frequency + time * 5.0)) * amplitude;
  return getColor(q);
}}
"""),
    _Template(("scanline", "scanlines", "crt", "retro", "tv"), "effect", """// {title}
uniform float strength; // = {strength}
vec4 effect(vec2 uv) {{
  float line = 0.5 + 0.5 * sin(uv.y * resolution.y * 1.5708);
  return vec4(getColor(uv).rgb * (1.0 - strength * 0.6 * line), 1.0);
}}
"""),
    _Template(("blur", "soft", "dream", "dreamy", "haze"), "effect", """// {title}
uniform float spread; // = {small}
vec4 effect(vec2 uv) {{
  vec3 sum = vec3(0.0);
  for (int i = -3; i <= 3; i++) {{
    float k = float(i) / 3.0;
    sum += getColor(uv + (uv - 0.5) * spread * k).rgb;
  }}
  return vec4(sum / 7.0, 1.0);
}}
"""),
    _Template(("posterize", "bands", "poster", "flat"), "effect", """// {title}
uniform float levels; // = 5.0
vec4 effect(vec2 uv) {{
  return vec4(floor(getColor(uv).rgb * levels + 0.5) / levels, 1.0);
}}
"""),
    _Template(("invert", "negative", "inverse"), "effect", """// {title}
uniform float strength; // = {strength}
vec4 effect(vec2 uv) {{
  vec3 c = getColor(uv).rgb;
  return vec4(mix(c, 1.0 - c, strength * step(beat, 0.25)), 1.0);
}}
"""),
    _Template(("circle", "iris", "round", "hole"), "transition", """// {title}
uniform float softness; // = 0.06
vec4 transition(vec2 uv) {{
  if (progress <= 0.0) return getFromColor(uv);
  if (progress >= 1.0) return getToColor(uv);
  float d = length((uv - 0.5) * vec2(ratio, 1.0));
  float r = progress * (length(vec2(ratio, 1.0)) * 0.5 + softness);
  return mix(getToColor(uv), getFromColor(uv), smoothstep(r - softness, r, d));
}}
"""),
    _Template(("blinds", "stripes", "venetian", "bars"), "transition", """// {title}
uniform float count; // = 12.0
vec4 transition(vec2 uv) {{
  float band = fract(uv.y * count);
  return band < progress ? getToColor(uv) : getFromColor(uv);
}}
"""),
    _Template(("wipe", "slide", "left", "right", "up", "down"), "transition", """// {title}
uniform float softness; // = 0.04
vec4 transition(vec2 uv) {{
  if (progress <= 0.0) return getFromColor(uv);
  if (progress >= 1.0) return getToColor(uv);
  float edge = progress * (1.0 + 2.0 * softness) - softness;
  return mix(getToColor(uv), getFromColor(uv), smoothstep(edge - softness, edge + softness, {axis}));
}}
"""),
    _Template(("fade", "dissolve", "cross", "blend", "transition"), "transition", """// {title}
uniform float curve; // = 1.0
vec4 transition(vec2 uv) {{
  return mix(getFromColor(uv), getToColor(uv), pow(progress, curve));
}}
"""),
    _Template((), "effect", """// {title}
uniform float strength; // = {strength}
vec4 effect(vec2 uv) {{
  return vec4(getColor(uv).rgb * (1.0 + strength * 0.5 * (1.0 - beat) * energy), 1.0);
}}
"""),
)
_UNUSED = re.compile(r"unused parameter\(s\):\s*([\w, ]+)")


class RulesBrain:
    """Deterministic: the same request gives the same shader."""

    name = "rules"

    def complete(self, messages: list[dict[str, str]]) -> str:
        request = next((m["content"] for m in messages if m["role"] == "user"), "")
        last = messages[-1]["content"] if messages[-1]["role"] == "user" else ""
        previous = next((m["content"] for m in reversed(messages) if m["role"] == "assistant"), None)
        unused = _UNUSED.search(last)
        if previous is not None and unused:  # the one repair it knows: drop what the validator says is unused
            names = {n.strip() for n in unused.group(1).split(",")}
            kept = [line for line in previous.splitlines()
                    if not re.match(rf"\s*uniform\s+\w+\s+({'|'.join(map(re.escape, names))})\s*;", line)]
            return "\n".join(kept) + "\n"
        return "```glsl\n" + write_shader(request) + "```\n"


def write_shader(request: str) -> str:
    text = request.lower()
    words = set(re.findall(r"[a-z]+", text))
    wants_transition = "transition" in words
    template = next((t for t in _TEMPLATES if t.kind == ("transition" if wants_transition else "effect")
                     and words & set(t.words)), None)
    if template is None:
        template = _TEMPLATES[-1] if not wants_transition else next(
            t for t in _TEMPLATES if t.kind == "transition" and "fade" in t.words)
    strong = bool(words & {"strong", "heavy", "hard", "intense", "big"})
    subtle = bool(words & {"subtle", "soft", "light", "gentle", "slight"})
    strength = 0.9 if strong else 0.25 if subtle else 0.5
    colour = next((_COLOURS[w] for w in _COLOURS if w in words), _COLOURS["warm"])
    axis = {"left": "1.0 - uv.x", "up": "uv.y", "down": "1.0 - uv.y"}.get(
        next((w for w in ("left", "up", "down") if w in words), ""), "uv.x")
    title = re.sub(r"^\s*write an? (effect|transition):\s*", "", request.strip(), flags=re.I)
    title = re.sub(r"\s+", " ", title)[:100] or "A generated effect"
    return template.source.format(title=title[:1].upper() + title[1:], strength=strength,
                                  small=round(strength * 0.02, 4), colour=", ".join(f"{c:.2f}" for c in colour),
                                  axis=axis)
