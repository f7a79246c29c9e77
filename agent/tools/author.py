"""Authoring new tools, behind one interface: `author(request, library, n, rng) -> candidates`.

Two authors:
- `SynthesisAuthor` (no LLM): composes and mutates the tools in the library: chains of two
  effects, two effects under a mask, a transition dressed with an effect over its middle, two
  transitions split across the frame, chains of ffmpeg filters, and mutations that push a tool's
  parameters (and their ranges) to a heavier or subtler variant. Descriptions are built from the
  parents' own.
- `BrainAuthor`: a brain writes GLSL from a description; the validator's refusal is fed back for
  up to `attempts` tries.

Nothing is trusted: `grow` sends every candidate through the sandboxed validators (composed
GLSL must also look unlike each parent) and saves only the ones that pass, with provenance.
"""

from __future__ import annotations

import random
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Protocol

from agent.tools import compose
from agent.tools.library import Tool, ToolError, check_ffmpeg_filter, check_glsl, params_from_glsl, save_tool, write_preview
from agent.tools.spec import ParamSpec, Provenance, ToolSpec, Validation, source_hash

MAX_ID = 63
_VARIANTS = (("hi", 1.8, "its parameters raised"), ("lo", 0.5, "its parameters lowered"))
_DEFAULT_LINE = re.compile(r"^(\s*uniform\s+(\w+)\s+(\w+)\s*;[ \t]*//\s*=\s*)(.+?)\s*$", re.M)
_NUMBER_OPTION = re.compile(r"(\w+)=(\d+(?:\.\d+)?)(?=[:,]|$)")


@dataclass(frozen=True)
class Candidate:
    """A tool that is not in the library yet. `parents` are the sources of same-kind parents the
    result must look unlike; `spec.validation` is None until it has been checked."""
    spec: ToolSpec
    source: str
    parents: tuple[str, ...] = ()


class Author(Protocol):
    name: str

    def author(self, request: str, library: dict[str, Tool], n: int, rng: random.Random) -> list[Candidate]: ...


class CodeBrain(Protocol):
    """What an author needs of a brain: a chat completion."""
    name: str

    def complete(self, messages: list[dict[str, str]]) -> str: ...


def _today() -> str:
    return datetime.now(timezone.utc).date().isoformat()


def _sentence(text: str) -> str:
    text = text.strip()
    return (text[:1].upper() + text[1:]).rstrip(".") + "."


def _tags(*tools: Tool, extra: str) -> list[str]:
    tags = [t for tool in tools for t in tool.spec.tags if t not in ("imported", "composed", "mutated")]
    return list(dict.fromkeys([*tags, extra]))


def _relevance(tool: Tool, words: set[str]) -> int:
    text = f"{tool.spec.id} {tool.spec.description} {' '.join(tool.spec.tags)}".lower()
    return sum(word in text for word in words)


def _pick(pool: list[Tool], words: set[str], rng: random.Random) -> Tool:
    """A parent, favouring those that match the request's words."""
    weights = [1 + 4 * _relevance(tool, words) for tool in pool]
    return rng.choices(pool, weights=weights)[0]


def _params(parts: list[tuple[Tool, compose.Part]]) -> list[ParamSpec]:
    return [param.model_copy(update={"name": part.params[param.name]})
            for tool, part in parts for param in tool.spec.params if param.name in part.params]


class SynthesisAuthor:
    """New tools from old ones, without a language model."""

    name = "synthesis"

    def author(self, request: str, library: dict[str, Tool], n: int, rng: random.Random) -> list[Candidate]:
        base = [t for t in library.values() if not t.spec.provenance.parents]  # compose originals only
        effects = [t for t in base if t.spec.kind == "glsl-effect"]
        transitions = [t for t in base if t.spec.kind == "glsl-transition"]
        filters = [t for t in base if t.spec.kind == "ffmpeg-filter"]
        words = {w for w in re.findall(r"[a-z]+", request.lower()) if len(w) > 2}
        makers: list[Callable[[], Candidate | None]] = []
        if len(effects) >= 2:
            makers += [lambda: self._chain(effects, words, rng, request),
                       lambda: self._mask(effects, words, rng, request)]
        if transitions and effects:
            makers.append(lambda: self._dress(transitions, effects, words, rng, request))
        if len(transitions) >= 2:
            makers.append(lambda: self._split(transitions, words, rng, request))
        if len(filters) >= 2:
            makers.append(lambda: self._filters(filters, words, rng, request))
        mutable = [t for t in library.values()
                   if t.spec.kind != "ffmpeg-transition" and t.spec.provenance.author != "mutation"]
        if mutable:
            makers.append(lambda: self._mutate(mutable, words, rng, request))
        if not makers:
            return []
        seen = {t.spec.source_hash for t in library.values()} | set(library)
        out: list[Candidate] = []
        for _ in range(n * 20):
            if len(out) >= n:
                break
            candidate = rng.choice(makers)()
            if candidate is None or candidate.spec.id in seen or candidate.spec.source_hash in seen:
                continue
            seen |= {candidate.spec.id, candidate.spec.source_hash}
            out.append(candidate)
        return out

    @staticmethod
    def _spec(tool_id: str, kind: str, description: str, tags: list[str], params: list[ParamSpec],
              source: str, author: str, request: str, parents: list[Tool]) -> ToolSpec | None:
        if len(tool_id) > MAX_ID:
            return None
        return ToolSpec(id=tool_id, kind=kind, description=description, tags=tags, params=params,
                        provenance=Provenance(author=author, request=request, parents=[p.spec.id for p in parents],
                                              created=_today()),
                        source_hash=source_hash(source))

    def _chain(self, effects: list[Tool], words: set[str], rng: random.Random, request: str) -> Candidate | None:
        a = _pick(effects, words, rng)
        b = _pick([t for t in effects if t is not a], words, rng)
        source, pa, pb = compose.chain_effects(a.source, b.source)
        description = (f"{_sentence(compose.short(a.spec.description))[:-1]}, then "
                       f"{compose.short(b.spec.description)} on top.")
        spec = self._spec(f"{a.spec.id}-then-{b.spec.id}", "glsl-effect", description,
                          _tags(a, b, extra="composed"), _params([(a, pa), (b, pb)]), source,
                          "composition", request, [a, b])
        return spec and Candidate(spec, source, (a.source, b.source))

    def _mask(self, effects: list[Tool], words: set[str], rng: random.Random, request: str) -> Candidate | None:
        a = _pick(effects, words, rng)
        b = _pick([t for t in effects if t is not a], words, rng)
        mask = rng.choice(compose.MASKS)
        source, pa, pb = compose.mask_effects(a.source, b.source, mask)
        description = _sentence(f"{compose.short(a.spec.description)} "
                                f"{mask.phrase.format(b=compose.short(b.spec.description))}")
        spec = self._spec(f"{a.spec.id}-{mask.name}-{b.spec.id}", "glsl-effect", description,
                          _tags(a, b, extra="composed"), _params([(a, pa), (b, pb)]), source,
                          "composition", request, [a, b])
        return spec and Candidate(spec, source, (a.source, b.source))

    def _dress(self, transitions: list[Tool], effects: list[Tool], words: set[str], rng: random.Random,
               request: str) -> Candidate | None:
        t, e = _pick(transitions, words, rng), _pick(effects, words, rng)
        source, pt, pe = compose.dress_transition(t.source, e.source)
        description = _sentence(f"{compose.short(t.spec.description)}, with "
                                f"{compose.short(e.spec.description)} peaking mid-transition")
        spec = self._spec(f"{t.spec.id}-with-{e.spec.id}", "glsl-transition", description,
                          _tags(t, e, extra="composed"), _params([(t, pt), (e, pe)]), source,
                          "composition", request, [t, e])
        return spec and Candidate(spec, source, (t.source,))

    def _split(self, transitions: list[Tool], words: set[str], rng: random.Random, request: str) -> Candidate | None:
        a = _pick(transitions, words, rng)
        b = _pick([t for t in transitions if t is not a], words, rng)
        mask = rng.choice([m for m in compose.MASKS if m.name != "beatgate"])
        source, pa, pb = compose.split_transitions(a.source, b.source, mask)
        description = _sentence(f"{compose.short(a.spec.description)} "
                                f"{mask.phrase.format(b=compose.short(b.spec.description))}")
        spec = self._spec(f"{a.spec.id}-{mask.name}-{b.spec.id}", "glsl-transition", description,
                          _tags(a, b, extra="composed"), _params([(a, pa), (b, pb)]), source,
                          "composition", request, [a, b])
        return spec and Candidate(spec, source, (a.source, b.source))

    def _filters(self, filters: list[Tool], words: set[str], rng: random.Random, request: str) -> Candidate | None:
        a = _pick(filters, words, rng)
        b = _pick([t for t in filters if t is not a], words, rng)
        source = compose.chain_filters(a.source, b.source)
        description = _sentence(f"{compose.short(a.spec.description)}, then {compose.short(b.spec.description)}")
        spec = self._spec(f"{a.spec.id}-then-{b.spec.id}", "ffmpeg-filter", description,
                          _tags(a, b, extra="composed"), [], source, "composition", request, [a, b])
        return spec and Candidate(spec, source)

    def _mutate(self, tools: list[Tool], words: set[str], rng: random.Random, request: str) -> Candidate | None:
        tool = _pick(tools, words, rng)
        variant, factor, phrase = rng.choice(_VARIANTS)
        if tool.spec.kind == "ffmpeg-filter":
            source, changes = mutate_filter(tool.source, factor)
            params: list[ParamSpec] = []
        else:
            source, params, changes = mutate_glsl(tool, factor)
        if not changes:
            return None
        description = _sentence(f"{compose.short(tool.spec.description)}, with {phrase} "
                                f"({', '.join(changes)})")
        spec = self._spec(f"{tool.spec.id}-{variant}", tool.spec.kind, description,
                          _tags(tool, extra="mutated"), params, source, "mutation", request, [tool])
        parents = (tool.source,) if tool.spec.kind.startswith("glsl") else ()
        return spec and Candidate(spec, source, parents)


def _scaled(values: list[float], factor: float) -> list[float]:
    return [round(v * factor, 4) for v in values]


def mutate_glsl(tool: Tool, factor: float) -> tuple[str, list[ParamSpec], list[str]]:
    """Scale the float parameters' defaults (written back into the shader's `// = value`
    comments, kept inside the parent's range) and narrow each range around its new default.
    Direction vectors, colours and zero-default switches are left alone: scaling them changes
    nothing or breaks their meaning."""
    changes: list[str] = []
    params: list[ParamSpec] = []
    for param in tool.spec.params:
        if param.type != "float" or param.default[0] == 0:
            params.append(param)
            continue
        lo, hi = (param.min or [float("-inf")])[0], (param.max or [float("inf")])[0]
        new = min(max(round(param.default[0] * factor, 4), lo), hi)
        if new == param.default[0]:
            params.append(param)
            continue
        low, high = sorted((round(new * 0.25, 4), round(new * 2.5, 4)))
        changes.append(f"{param.name} {param.default[0]:g} → {new:g}")
        params.append(param.model_copy(update={"default": [new], "min": [max(low, lo)], "max": [min(high, hi)]}))
    by_name = {p.name: p for p in params}

    def write_default(match: re.Match) -> str:
        param = by_name.get(match.group(3))
        if param is None or param.type != "float":
            return match.group(0)
        return f"{match.group(1)}{param.default[0]:g}"

    source = _DEFAULT_LINE.sub(write_default, tool.source)
    return source, params, changes


def mutate_filter(chain: str, factor: float) -> tuple[str, list[str]]:
    """Scale the first plain number option of each filter (values in 0..1 stay below 1)."""
    changes: list[str] = []
    parts = []
    for part in chain.split(","):
        match = _NUMBER_OPTION.search(part)
        if match and "'" not in part:
            old = float(match.group(2))
            new = old * factor if not 0 < old < 1 else min(0.99, old * factor)
            text = f"{new:.3g}" if "." in match.group(2) else str(max(1, round(new)))
            if float(text) != old:
                name, key = part.split("=")[0], match.group(1)
                changes.append(f"{name}{'' if key == name else ' ' + key} {match.group(2)} → {text}")
                part = part[:match.start(2)] + text + part[match.end(2):]
        parts.append(part)
    return ",".join(parts), changes


# ---------------------------------------------------------------- brain-written tools

_CONTRACT = """You write GLSL effect code for a video editor. Answer with one GLSL source in a ```glsl block.
Effect contract: define `vec4 effect(vec2 uv)`; read the frame with `getColor(vec2 uv)`; you may use the
uniforms `time` (s), `progress` (0..1 over the span), `beat` (0..1 phase in the beat), `downbeat`, `energy`
(0..1), `ratio` (width/height), `resolution`. Transition contract (gl-transitions): define
`vec4 transition(vec2 uv)`, read `getFromColor(uv)`, `getToColor(uv)`, `progress`, `ratio`; return exactly
the from frame at progress 0 and the to frame at progress 1. Parameters are uniforms with a default
comment, e.g. `uniform float amount; // = 0.5`, and every parameter must be used. The first line is a
`//` comment that describes the tool in one sentence."""
_CODE_BLOCK = re.compile(r"```(?:glsl)?\s*\n(.*?)```", re.S)


def extract_code(reply: str) -> str:
    match = _CODE_BLOCK.search(reply)
    return (match.group(1) if match else reply).strip() + "\n"


@dataclass
class BrainAuthor:
    """A brain writes the shader; each refusal goes back to it with the reason."""

    brain: CodeBrain
    attempts: int = 3
    name: str = field(init=False, default="brain")
    check: Callable[[str, str], Validation] = check_glsl

    def author(self, request: str, library: dict[str, Tool], n: int = 1,
               rng: random.Random | None = None) -> list[Candidate]:
        """One tool per request (n is an upper bound, as for every author)."""
        kind = "transition" if re.search(r"\btransition", request, re.I) else "effect"
        example = next((t for t in sorted(library.values(), key=lambda t: t.spec.id)
                        if t.spec.kind == f"glsl-{kind}"), None)
        messages = [{"role": "system", "content": _CONTRACT +
                     (f"\nAn example {kind}:\n```glsl\n{example.source}```" if example else "")},
                    {"role": "user", "content": f"Write a {kind}: {request}"}]
        return [self._one(request, kind, messages)] if n > 0 else []

    def _one(self, request: str, kind: str, messages: list[dict[str, str]]) -> Candidate:
        tries: list[str] = []
        source = ""
        verdict = Validation(ok=False, reason="no attempt")
        for attempt in range(1, self.attempts + 1):
            reply = self.brain.complete(messages)
            source = extract_code(reply)
            try:
                params = params_from_glsl(source)
                verdict = self.check(source, kind)
            except (ToolError, ValueError) as exc:  # a malformed default or uniform type
                params, verdict = [], Validation(ok=False, reason=str(exc))
            if verdict.ok:
                break
            tries.append(f"attempt {attempt}: {verdict.reason}")
            messages += [{"role": "assistant", "content": reply},
                         {"role": "user", "content": f"The validator refused it: {verdict.reason}. "
                                                     f"Answer with the whole corrected shader."}]
        if not verdict.ok:
            verdict = verdict.model_copy(update={"reason": f"after {self.attempts} attempt(s): " + "; ".join(tries)})
        first = source.splitlines()[0] if source.strip() else ""
        description = first.lstrip("/ ").strip() if first.startswith("//") else _sentence(request)
        words = re.findall(r"[a-z0-9]+", request.lower())[:5] or ["tool"]
        spec = ToolSpec(id="-".join(words)[:MAX_ID].strip("-"), kind=f"glsl-{kind}",
                        description=description if len(description) >= 3 else _sentence(request),
                        tags=["glsl", kind, "written"], params=params if verdict.ok else [],
                        provenance=Provenance(author=f"brain:{self.brain.name}", request=request, created=_today()),
                        validation=verdict, source_hash=source_hash(source))
        return Candidate(spec, source)


# ---------------------------------------------------------------- growing the library

@dataclass
class GrowReport:
    passed: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (id, why)

    def reasons(self) -> dict[str, int]:
        """Failures grouped by their reason's kind (the text before any detail)."""
        counts: dict[str, int] = {}
        for _, why in self.failed:
            key = re.split(r"[:(]", why, maxsplit=1)[0].strip()
            counts[key] = counts.get(key, 0) + 1
        return dict(sorted(counts.items(), key=lambda kv: -kv[1]))


def validate(candidate: Candidate) -> Candidate:
    """Check a candidate in the sandbox (unless its author already did)."""
    if candidate.spec.validation is not None:
        return candidate
    kind = candidate.spec.kind
    if kind == "ffmpeg-filter":
        verdict = check_ffmpeg_filter(candidate.source)
    elif kind.startswith("glsl-"):
        verdict = check_glsl(candidate.source, kind.removeprefix("glsl-"), parents=candidate.parents)
    else:
        verdict = Validation(ok=False, reason=f"no checker for {kind} tools")
    return replace(candidate, spec=candidate.spec.model_copy(update={"validation": verdict}))


def grow(library: dict[str, Tool], n: int, into: Path, *, author: Author | None = None,
         requests: tuple[str, ...] = ("",), seed: int = 0, max_candidates: int | None = None,
         on_result: Callable[[Candidate], None] | None = None) -> GrowReport:
    """Author candidates round by round until `n` pass (or `max_candidates`, default 3n, were
    tried); passing ones are saved into `into` with a preview and join the library."""
    author = author or SynthesisAuthor()
    rng = random.Random(seed)
    report = GrowReport()
    budget = max_candidates or 3 * n
    tried = 0
    round_no = 0
    while len(report.passed) < n and tried < budget:
        request = requests[round_no % len(requests)]
        round_no += 1
        batch = author.author(request, library, min(n - len(report.passed), budget - tried), rng)
        if not batch:
            break
        for candidate in batch:
            tried += 1
            known = {t.spec.source_hash for t in library.values()}
            if candidate.spec.id in library or candidate.spec.source_hash in known:
                checked = replace(candidate, spec=candidate.spec.model_copy(update={"validation": Validation(
                    ok=False, reason="already in the library (same id or same source)")}))
            else:
                checked = validate(candidate)
            if checked.spec.validation.ok:
                tool = save_tool(checked.spec, checked.source, into)
                try:
                    write_preview(tool)
                except ToolError as exc:
                    shutil.rmtree(tool.folder, ignore_errors=True)
                    checked = replace(checked, spec=checked.spec.model_copy(
                        update={"validation": Validation(ok=False, reason=str(exc))}))
                else:
                    library[tool.spec.id] = tool
                    report.passed.append(tool.spec.id)
            if not checked.spec.validation.ok:
                report.failed.append((checked.spec.id, checked.spec.validation.reason))
            if on_result is not None:
                on_result(checked)
    return report
