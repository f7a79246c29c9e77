"""Pairs of reels for the critic evaluation: the same inputs edited twice, one edit worse in one
known way.

A *scenario* is a generated song (100-150 BPM, with or without a drop), a set of generated clips
and a request ("8 s phonk edit, cuts on every beat, 9:16"); scenario `n` is the same on every
machine. Its good reel is what the rules brain and the compiler make of the request, rendered at
preview size (short side 360). The bad twin of a pair carries exactly one defect of a known kind,
made at the timeline level where possible so the rest of the reel is the same (see
evals/critic_defects.py), and every pair is checked by measurements on the two files that the
defect is in the bad one and not in the good one (evals/critic_checks.py).

Scenarios are drawn per defect kind from a pool (a kind needs some property: transitions for a
broken transition, a fast request for too few cuts, a long effect-free shot for a frozen one), so
a good reel usually serves several kinds, and each kind sees different songs, clips and requests.
"""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from agent.config import Settings
from agent.errors import ReelwrightError
from agent.media.models import Analysis
from agent.timeline.compile import CompileResult
from agent.timeline.model import Timeline
from agent.timeline.plan import EditPlan

if TYPE_CHECKING:
    from evals.critic_checks import Check

KINDS = ("offbeat", "black", "wrong_aspect", "frozen", "clipped_audio", "broken_transition", "wrong_duration",
         "too_few_cuts", "repeated_shot")
PREVIEW_HEIGHT = 360
MUSIC_SECONDS = 40.0

_FAST_STYLES = ("phonk edit", "amv edit", "hype edit", "sport edit")
_SLOW_STYLES = ("travel video", "vlog", "montage", "edit")
_FAST_TRANSITIONS = ("", "", "crossfades", "glitch transitions", "circle transitions", "wipes")
_SLOW_TRANSITIONS = ("", "dissolves", "wipes", "slide transitions", "crossfades")
_FAST_ASPECTS = ("9:16", "9:16", "1:1", "4:5", "16:9")
_SLOW_ASPECTS = ("16:9", "16:9", "1:1", "4:5", "9:16")
_SLOW_RHYTHMS = ("cuts every 2 beats", "cuts once per bar")


class EvalError(ReelwrightError):
    """The evaluation could not be set up as asked (e.g. too few scenarios fit a defect kind)."""


class NotApplicable(Exception):
    """This scenario cannot carry this defect (the message says why); the next one is tried."""


# ---------------------------------------------------------------------------------- scenarios


@dataclass(frozen=True)
class Scenario:
    index: int
    bpm: float
    music_seed: int
    drop_at: float | None
    clips: tuple[str, ...]
    style: str
    rhythm: str
    transition: str
    no_effects: bool
    aspect: str
    duration: int
    fast: bool

    @property
    def request(self) -> str:
        parts = [f"{self.duration} s {self.style}", self.rhythm]
        if self.transition:
            parts.append(self.transition)
        if self.no_effects:
            parts.append("no effects")
        parts.append(self.aspect)
        return ", ".join(parts)


def make_scenario(index: int, clip_names: tuple[str, ...], seed: int = 0) -> Scenario:
    """Scenario `index`: even ones fast (cuts on every beat), odd ones slower; the rest drawn."""
    rng = np.random.default_rng([seed, index])
    fast = index % 2 == 0
    count = int(rng.integers(3, min(6, len(clip_names)) + 1))
    clips = tuple(str(c) for c in rng.choice(clip_names, size=count, replace=False))
    drop = float(round(rng.uniform(6.0, 14.0), 2)) if rng.random() < 0.6 else None
    return Scenario(
        index=index, bpm=float(round(rng.uniform(100.0, 150.0), 1)), music_seed=1000 * seed + index,
        drop_at=drop, clips=clips,
        style=str(rng.choice(_FAST_STYLES if fast else _SLOW_STYLES)),
        rhythm="cuts on every beat" if fast else str(rng.choice(_SLOW_RHYTHMS)),
        transition=str(rng.choice(_FAST_TRANSITIONS if fast else _SLOW_TRANSITIONS)),
        no_effects=bool(rng.random() < (0.15 if fast else 0.4)),
        aspect=str(rng.choice(_FAST_ASPECTS if fast else _SLOW_ASPECTS)),
        duration=int(rng.integers(6, 11)), fast=fast)


# ---------------------------------------------------------------------------------- inputs


@dataclass
class Inputs:
    """Generated clips and the analysis cache every scenario draws on."""

    folder: Path
    clips: dict[str, Path]
    settings: Settings
    tools: dict


def _synth_clips(folder: Path) -> dict[str, Path]:
    from agent.media.synth_video import Cut, Dissolve, Scene, make_clip

    specs = {
        "pans": [Scene(11, 90, (3.0, 0.0)), Cut(), Scene(12, 90, (0.0, 2.0)), Cut(), Scene(13, 90, (-2.0, 1.0))],
        "drift": [Scene(21, 130, (1.5, 0.5)), Dissolve(15), Scene(22, 130, (-2.5, 0.0))],
        "tiles": [Scene(31, 80, (4.0, 0.0)), Cut(), Scene(32, 80, (0.0, -3.0)), Cut(), Scene(33, 100, (2.0, 2.0))],
    }
    out = {}
    for name, items in specs.items():
        path = folder / f"{name}.mp4"
        if not path.exists():
            partial = folder / f".{name}.partial.mp4"
            make_clip(partial, items, fps=30.0, size=(640, 360))
            partial.replace(path)
        out[name] = path
    return out


def prepare_inputs(out_dir: Path, *, demo_clips: bool = True) -> Inputs:
    """Three textured clips with camera moves and (unless `demo_clips` is False) the five demo
    clips, made once in out_dir/media."""
    from agent.demo import make_demo_media
    from agent.tools.library import load_workspace_library

    media = Path(out_dir) / "media"
    media.mkdir(parents=True, exist_ok=True)
    clips = {}
    if demo_clips:
        clips.update({path.stem: path for path in make_demo_media(media, music_seconds=20.0).clips})
    clips.update(_synth_clips(media))
    settings = Settings(workspace=Path(out_dir) / "workspace", preview_height=PREVIEW_HEIGHT)
    tools, _broken = load_workspace_library(settings.workspace)
    return Inputs(folder=Path(out_dir), clips=clips, settings=settings, tools=tools)


# ---------------------------------------------------------------------------------- reels


@dataclass
class Reel:
    """A rendered reel. `timeline` is what a real run would have recorded for this file and is
    what the critic is given; `rendered` is what the renderer was given (they differ where a
    render-level fault was injected: black frames, a frozen shot, a broken transition)."""

    path: Path
    timeline: Timeline | None
    rendered: Timeline | None
    render_s: float = 0.0  # the render call that made this file (0: post-processed from another)
    post_s: float = 0.0  # ffmpeg post-processing of another reel
    details: dict = field(default_factory=dict)


@dataclass
class Source:
    """A scenario made ready: music written and analysed, request planned and compiled. The good
    reel is rendered on first use."""

    scenario: Scenario
    analysis: Analysis
    plan: EditPlan
    compiled: CompileResult
    true_beats: list[float]  # the song's true beats, in reel seconds
    folder: Path
    tools: dict  # the tool library the plan was compiled against
    good: Reel | None = None

    @property
    def timeline(self) -> Timeline:
        return self.compiled.timeline


def render_reel(timeline: Timeline, path: Path, *, recorded: Timeline | None = None, details: dict | None = None,
                encode: tuple[str, int] | None = None) -> Reel:
    """Render a preview of `timeline` to `path` (x264 ultrafast, crf 28, as `edit --preview`
    does; `encode` = (preset, crf) for another encoding at the same size); its timeline.json
    goes beside it."""
    from agent.atomic import write_json
    from agent.render.render import preview_timeline, render

    path.parent.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    if encode is None:
        render(timeline, path, preview=True, preview_height=PREVIEW_HEIGHT)
    else:
        render(preview_timeline(timeline, PREVIEW_HEIGHT), path, preset=encode[0], crf=encode[1])
    seconds = time.monotonic() - started
    write_json(path.with_suffix(".timeline.json"), json.loads(timeline.model_dump_json()))
    return Reel(path=path, timeline=recorded if recorded is not None else timeline, rendered=timeline,
                render_s=seconds, details=details or {})


def prepare_source(scenario: Scenario, inputs: Inputs) -> Source:
    from agent.brain.rules import plan_edit
    from agent.media.analyze import analyze
    from agent.media.synth import synth_drum_track
    from agent.timeline.compile import compile_plan

    folder = inputs.folder / "reels" / f"s{scenario.index:03d}"
    folder.mkdir(parents=True, exist_ok=True)
    music = inputs.folder / "media" / f"song{scenario.index:03d}_{scenario.bpm:g}bpm.wav"
    beats_file = music.with_suffix(".beats.json")
    if not music.exists() or not beats_file.exists():
        beats = synth_drum_track(music, scenario.bpm, MUSIC_SECONDS, seed=scenario.music_seed,
                                 drop_at=scenario.drop_at)
        beats_file.write_text(json.dumps(beats))
    truth = [t for t, _ in json.loads(beats_file.read_text())]
    analysis = analyze(music, [inputs.clips[name] for name in scenario.clips], inputs.settings)
    plan = plan_edit(scenario.request, analysis.music, tools=inputs.tools)
    compiled = compile_plan(plan, analysis, inputs.tools)
    start = compiled.music_start
    reel_beats = [round(t - start, 6) for t in truth if 0.0 <= t - start <= plan.duration]
    return Source(scenario=scenario, analysis=analysis, plan=plan, compiled=compiled, true_beats=reel_beats,
                  folder=folder, tools=inputs.tools)


def good_reel(source: Source) -> Reel:
    if source.good is None:
        source.good = render_reel(source.timeline, source.folder / "good.mp4")
    return source.good


# ---------------------------------------------------------------------------------- pairs


@dataclass
class Pair:
    kind: str
    number: int  # 0.. within its kind
    source: Source
    good: Reel
    bad: Reel
    check: Check

    def summary(self) -> dict:
        scenario = self.source.scenario
        return {"kind": self.kind, "number": self.number, "scenario": scenario.index, "request": scenario.request,
                "bpm": scenario.bpm, "clips": list(scenario.clips), "good": str(self.good.path),
                "bad": str(self.bad.path), "defect": self.bad.details, "verified": self.check.ok,
                "check": self.check.measured, "check_problems": self.check.problems,
                "good_render_s": round(self.good.render_s, 3), "bad_render_s": round(self.bad.render_s, 3),
                "bad_post_s": round(self.bad.post_s, 3)}


def _candidate_order(kind_index: int, pool: int, limit: int) -> Iterator[int]:
    """Scenario indices to try for one kind: a different starting point in the pool per kind,
    round the pool, then past it (kinds that few scenarios fit)."""
    start = (kind_index * 5) % pool
    return itertools.chain(range(start, pool), range(start), range(pool, limit))


def generate_pairs(inputs: Inputs, *, per_kind: int = 12, kinds: tuple[str, ...] = KINDS, seed: int = 0,
                   pool: int | None = None, log=None) -> Iterator[Pair]:
    """Yield `per_kind` pairs for each kind, each with the check of its defect (Pair.check; a pair
    that fails it is still yielded, so the report can show it). Raises EvalError when too few
    scenarios fit a kind."""
    from evals.critic_checks import verify
    from evals.critic_defects import make_bad, plan_defect

    unknown = [k for k in kinds if k not in KINDS]
    if unknown:
        raise EvalError(f"unknown defect kind(s) {unknown}; known: {', '.join(KINDS)}")
    pool = pool or max(8, 2 * per_kind)
    limit = max(pool * 4, 40)
    names = tuple(sorted(inputs.clips))
    sources: dict[int, Source] = {}
    for kind in kinds:
        made, skipped = 0, []
        for index in _candidate_order(KINDS.index(kind), pool, limit):
            if made == per_kind:
                break
            if index not in sources:
                sources[index] = prepare_source(make_scenario(index, names, seed), inputs)
            source = sources[index]
            rng = np.random.default_rng([seed, KINDS.index(kind), made, index])
            try:
                defect = plan_defect(kind, source, rng)
            except NotApplicable as why:
                skipped.append(f"s{index}: {why}")
                continue
            good = good_reel(source)
            bad = make_bad(defect, source, good, source.folder / f"bad-{kind}.mp4")
            check = verify(kind, source, good, bad)
            if log:
                log(f"{kind:18} #{made:<3} scenario {index:3}  {'verified' if check.ok else 'NOT VERIFIED'}  "
                    f"{source.scenario.request}")
            yield Pair(kind=kind, number=made, source=source, good=good, bad=bad, check=check)
            made += 1
        if made < per_kind:
            raise EvalError(f"only {made} of {limit} scenarios fit defect {kind!r} (asked for {per_kind}); "
                            f"last reasons: {'; '.join(skipped[-3:])}")
