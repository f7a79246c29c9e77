"""One known defect per bad reel, injected so that the rest of the reel stays as the good one.

Editorial defects change the timeline the way a worse plan would, and the critic is given that
timeline: `offbeat` (every cut 80-150 ms off its beat, same items and shots), `wrong_aspect`
(the other orientation), `wrong_duration` (cut short at a cut, or compiled >= 30% longer),
`too_few_cuts` (a fast request compiled with a cut every two bars), `repeated_shot` (the same
stretch of one shot in three or four items).

Render faults change only what the renderer is given, and the critic is given the intended
timeline, as a run whose renderer or tool misbehaved would have recorded it: `black` (6-15 black
frames inside a shot, a GLSL overlay), `frozen` (an item of >= 1 s played from a still of its
own footage), `broken_transition` (the middle frames of the longest transition overwritten with
black, a solid colour or blocky garbage). `clipped_audio` post-processes the good file: video
copied, audio +15-20 dB and hard-clipped at full scale.
"""

from __future__ import annotations

import itertools
import json
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from agent.atomic import write_json
from agent.errors import RenderError
from agent.media.models import Shot
from agent.timeline.compile import compile_plan, output_size
from agent.timeline.model import (
    ClipItem,
    EffectItem,
    Timeline,
    TransitionItem,
    transition_handles,
)
from evals.critic_pairs import NotApplicable, Reel, Source, render_reel

OFFBEAT_MS = (80.0, 150.0)
BLACK_FRAMES = (6, 15)
CLIP_GAIN_DB = (15.0, 20.0)
SHORT_RATIO = (0.60, 0.75)
LONG_RATIO = (1.30, 1.50)
OTHER_ASPECT = {"9:16": ("16:9",), "16:9": ("9:16",), "1:1": ("16:9", "9:16"), "4:5": ("16:9",)}

_BLACK = "vec4 effect(vec2 uv) { return vec4(0.0, 0.0, 0.0, 1.0); }\n"
_SOLID = "vec4 effect(vec2 uv) {{ return vec4({r:.3f}, {g:.3f}, {b:.3f}, 1.0); }}\n"
# Blocky garbage, as a broken decoder or shader shows it: 8-px cells of random colour, new each frame.
_BLOCKS = """vec4 effect(vec2 uv) {
    vec2 cell = floor(uv * resolution / 8.0) + floor(time * 30.0 + 0.5) * vec2(17.0, 31.0);
    float h = fract(sin(dot(cell, vec2(12.9898, 78.233))) * 43758.5453);
    return vec4(h, fract(h * 7.13), fract(h * 3.71), 1.0);
}
"""


@dataclass
class Defect:
    kind: str
    rendered: Timeline | None  # what to render for the bad reel (None: post-process the good file)
    recorded: Timeline  # what the critic is given as the bad reel's timeline
    details: dict
    still: dict | None = None  # frozen: the still clip to make before rendering
    post: dict = field(default_factory=dict)  # clipped_audio: how to post-process


# ---------------------------------------------------------------------------------- helpers


def _shot(source: Source, path: str, index: int) -> Shot | None:
    for clip in source.analysis.clips:
        if clip.info.path == path:
            return next((s for s in clip.shots if s.index == index), None)
    return None


def _source_fps(source: Source, path: str) -> float:
    for clip in source.analysis.clips:
        if clip.info.path == path and clip.info.video:
            return clip.info.video.fps or 30.0
    return 30.0


def _fit_in_shot(item: ClipItem, head: int, tail: int, fps: float, source: Source) -> ClipItem | None:
    """The item with its source start moved (as little as possible) so that it and its transition
    handles stay inside its shot, a source frame clear of each boundary; None if it cannot."""
    shot = _shot(source, item.source, item.shot_index)
    if shot is None or item.speed_end is not None:
        return None
    margin = 1.0 / _source_fps(source, item.source)
    lo = shot.start + margin + head * item.speed / fps
    hi = shot.end - margin - (item.frames + tail) * item.speed / fps
    if hi < lo - 1e-9:
        return None
    start = min(max(item.source_start, lo), hi)
    return item if start == item.source_start else item.model_copy(update={"source_start": round(start, 6)})


def source_spans(timeline: Timeline) -> list[tuple[str, int, float, float]]:
    """(source, shot, start, end) in source seconds of every item, transition handles included."""
    fps = float(timeline.fps)
    heads, tails = transition_handles(len(timeline.items), timeline.transitions)
    spans = []
    for n, item in enumerate(timeline.items):
        start = item.source_start - heads[n] * item.speed / fps
        spans.append((item.source, item.shot_index, start,
                      item.source_start + (item.frames + tails[n]) * item.speed / fps))
    return spans


def overlapping_items(timeline: Timeline, slack: float = 0.0) -> list[tuple[int, int]]:
    """Pairs of items that show some of the same source footage (more than `slack` seconds)."""
    spans = source_spans(timeline)
    found = []
    for i in range(len(spans)):
        for j in range(i + 1, len(spans)):
            a, b = spans[i], spans[j]
            if a[0] == b[0] and min(a[3], b[3]) - max(a[2], b[2]) > slack:
                found.append((i, j))
    return found


def _blocked_frames(timeline: Timeline, *, ffmpeg_only: bool) -> np.ndarray:
    """Per output frame: True where a transition mixes or an effect (or just an ffmpeg chain) runs."""
    blocked = np.zeros(timeline.frame_count, bool)
    for tr in timeline.transitions:
        blocked[max(0, tr.start_frame):tr.end_frame] = True
    for effect in timeline.effects:
        if effect.kind == "ffmpeg" or not ffmpeg_only:
            blocked[effect.start_frame:effect.end_frame] = True
    for text in timeline.texts:
        blocked[text.start_frame:text.end_frame] = True
    return blocked


def _rebuild(timeline: Timeline, items: list[ClipItem], transitions: list[TransitionItem] | None = None) -> Timeline:
    data = timeline.model_dump()
    data["items"] = [i.model_dump() for i in items]
    if transitions is not None:
        data["transitions"] = [t.model_dump() for t in transitions]
    return Timeline.model_validate(data)  # validated: contiguous items, transitions on cuts


def _nearest_offsets_ms(cuts_s: np.ndarray, beats: list[float]) -> np.ndarray:
    grid = np.asarray(beats)
    if not len(cuts_s) or not len(grid):
        return np.zeros(0)
    nearest = grid[np.argmin(np.abs(cuts_s[:, None] - grid[None, :]), axis=1)]
    return (cuts_s - nearest) * 1000.0


# ---------------------------------------------------------------------------------- editorial


def _offbeat(source: Source, rng: np.random.Generator) -> Defect:
    tl = source.timeline
    fps = float(tl.fps)
    allowed = [f for f in range(1, 30) if OFFBEAT_MS[0] <= f * 1000.0 / fps <= OFFBEAT_MS[1]]
    cuts = tl.cut_frames()
    if len(cuts) < 3 or not allowed:
        raise NotApplicable(f"{len(cuts)} cuts at {fps:g} fps")
    for attempt in range(40):
        mode = "mixed" if attempt < 30 else ("late" if attempt % 2 else "early")
        signs = rng.choice([-1, 1], len(cuts)) if mode == "mixed" else np.full(len(cuts), 1 if mode == "late" else -1)
        shifts = [int(s * rng.choice(allowed)) for s in signs]
        moved = [c + s for c, s in zip(cuts, shifts)]
        offsets = np.abs(_nearest_offsets_ms(np.array(moved) / fps, tl.beats))
        if not ((offsets >= OFFBEAT_MS[0]) & (offsets <= OFFBEAT_MS[1])).all():
            continue
        bounds = [0, *moved, tl.frame_count]
        if any(b - a < 4 for a, b in itertools.pairwise(bounds)):
            continue
        transitions = [t.model_copy(update={"cut_frame": bounds[t.index]}) for t in tl.transitions]
        heads, tails = transition_handles(len(tl.items), transitions)
        items = []
        for n, item in enumerate(tl.items):
            shifted = item.model_copy(update={"record_start": bounds[n], "record_end": bounds[n + 1]})
            fitted = _fit_in_shot(shifted, heads[n], tails[n], fps, source)
            if fitted is None:
                break
            items.append(fitted)
        if len(items) != len(tl.items):
            continue
        try:
            bad = _rebuild(tl, items, transitions)
        except ValueError:
            continue
        if overlapping_items(bad, slack=0.5 / fps):
            continue
        return Defect("offbeat", bad, bad, {"mode": mode, "shift_frames": shifts,
                                             "offsets_ms": [round(float(o), 1) for o in offsets]})
    raise NotApplicable("no shift of the cuts fits the shots and transitions")


def _wrong_aspect(source: Source, rng: np.random.Generator) -> Defect:
    asked = source.plan.aspect
    other = str(rng.choice(OTHER_ASPECT[asked]))
    width, height = output_size(other, source.plan.height)
    bad = source.timeline.model_copy(update={"width": width, "height": height})
    return Defect("wrong_aspect", bad, bad, {"asked": asked, "rendered": other})


def _truncate(tl: Timeline, end: int) -> Timeline:
    seconds = end / float(tl.fps)
    items = [i if i.record_end <= end else i.model_copy(update={"record_end": end})
             for i in tl.items if i.record_start < end]
    data = tl.model_dump()
    data["items"] = [i.model_dump() for i in items]
    data["transitions"] = [t.model_dump() for t in tl.transitions if t.index < len(items) and t.end_frame <= end]
    data["effects"] = [{**e.model_dump(), "end_frame": min(e.end_frame, end)} for e in tl.effects
                       if e.start_frame < end]
    data["texts"] = [{**t.model_dump(), "end_frame": min(t.end_frame, end)} for t in tl.texts if t.start_frame < end]
    if tl.audio is not None:
        segments = [{**s.model_dump(), "duration": min(s.duration, seconds - s.record_start)}
                    for s in tl.audio.segments if s.record_start < seconds]
        data["audio"] = {**tl.audio.model_dump(), "segments": segments}
    data["beats"] = [b for b in tl.beats if b < seconds]
    data["downbeats"] = [b for b in tl.downbeats if b < seconds]
    data["energy"] = tl.energy[:int(seconds / tl.energy_hop) + 1]
    return Timeline.model_validate(data)


def _wrong_duration(source: Source, rng: np.random.Generator) -> Defect:
    tl, plan = source.timeline, source.plan
    if rng.random() < 0.5:
        target = rng.uniform(*SHORT_RATIO)
        total = tl.frame_count
        # End on a cut when one lies in range, so the short reel is otherwise a tidy edit.
        cuts = [c for c in tl.cut_frames() if SHORT_RATIO[0] - 0.05 <= c / total <= SHORT_RATIO[1]
                and not any(t.start_frame <= c < t.end_frame for t in tl.transitions)]
        end = min(cuts, key=lambda c: abs(c / total - target)) if cuts else round(target * total)
        if any(t.start_frame <= end < t.end_frame for t in tl.transitions):
            raise NotApplicable("the short end falls inside a transition")
        bad = _truncate(tl, end)
        return Defect("wrong_duration", bad, bad, {"direction": "short", "asked_s": plan.duration,
                                                   "rendered_s": round(bad.duration, 3)})
    ratio = rng.uniform(*LONG_RATIO)
    duration = round(plan.duration * ratio, 2)
    if (plan.music_start or 0.0) + duration > source.analysis.music.duration:
        raise NotApplicable("the song is too short for the longer reel")
    sections = [s.model_copy() for s in plan.sections]
    sections[-1] = sections[-1].model_copy(update={"end": duration})
    longer = plan.model_copy(update={"duration": duration, "sections": sections})
    bad = compile_plan(longer, source.analysis, source.tools).timeline
    return Defect("wrong_duration", bad, bad, {"direction": "long", "asked_s": plan.duration,
                                               "rendered_s": round(bad.duration, 3)})


def _too_few_cuts(source: Source, rng: np.random.Generator) -> Defect:
    if not source.scenario.fast or any(s.rhythm != "every_beat" for s in source.plan.sections):
        raise NotApplicable("not a fast request (cuts on every beat)")
    slow = source.plan.model_copy(update={"sections": [s.model_copy(update={"rhythm": "every_2_bars"})
                                                       for s in source.plan.sections]})
    bad = compile_plan(slow, source.analysis, source.tools).timeline
    if len(bad.items) < 2:
        raise NotApplicable("the reel is too short for a cut every two bars")
    return Defect("too_few_cuts", bad, bad, {"asked": "every_beat", "rendered": "every_2_bars",
                                             "cuts_good": len(source.timeline.items) - 1,
                                             "cuts_bad": len(bad.items) - 1})


def _copy_of(item: ClipItem, anchor: ClipItem) -> ClipItem:
    return item.model_copy(update={"source": anchor.source, "source_start": anchor.source_start,
                                   "shot_index": anchor.shot_index, "reframe": anchor.reframe})


def _can_copy(tl: Timeline, anchor: int, target: int, source: Source, blocked: np.ndarray,
              heads: list[int], tails: list[int]) -> bool:
    """Whether item `target` (of another source, not next to the anchor) can show the anchor's
    footage inside the anchor's shot, with two frames where neither item has an effect or a
    transition on it (the check compares the pictures there)."""
    a, item = tl.items[anchor], tl.items[target]
    if abs(target - anchor) < 2 or item.source == a.source or item.speed != 1.0:
        return False
    clean = sum(not blocked[a.record_start + o] and not blocked[item.record_start + o]
                for o in range(min(a.frames, item.frames)))
    copy = _copy_of(item, a)
    return clean >= 2 and _fit_in_shot(copy, heads[target], tails[target], float(tl.fps), source) is copy


def _repeated_shot(source: Source, rng: np.random.Generator) -> Defect:
    tl = source.timeline
    if overlapping_items(tl):
        raise NotApplicable("the good reel already repeats footage")
    heads, tails = transition_handles(len(tl.items), tl.transitions)
    blocked = _blocked_frames(tl, ffmpeg_only=False)
    n_items = len(tl.items)
    repeats = int(rng.choice([2, 3]))  # the anchor plus 2-3 copies: 3-4 uses
    anchors = [int(a) for a in rng.permutation(n_items)
               if tl.items[a].speed == 1.0 and tl.items[a].speed_end is None]
    for anchor in anchors:
        chosen: list[int] = []
        for t in (int(t) for t in rng.permutation(n_items)):
            if all(abs(t - c) >= 2 for c in chosen) and _can_copy(tl, anchor, t, source, blocked, heads, tails):
                chosen.append(t)
            if len(chosen) == repeats:
                break
        if len(chosen) < 2:
            continue
        items = list(tl.items)
        for t in chosen:
            items[t] = _copy_of(items[t], tl.items[anchor])
        bad = _rebuild(tl, items)
        return Defect("repeated_shot", bad, bad, {"anchor": anchor, "copies": sorted(chosen),
                                                  "source": tl.items[anchor].source,
                                                  "source_start": tl.items[anchor].source_start})
    raise NotApplicable("no shot has room for the items it would replace")


# ---------------------------------------------------------------------------------- render faults


def _overlay(tl: Timeline, start: int, end: int, shader: str) -> Timeline:
    """The timeline with a GLSL layer over [start, end) that replaces the picture. It comes after
    every other effect, so it is the top layer (no ffmpeg chain runs there: the callers check)."""
    effect = EffectItem(kind="glsl", start_frame=start, end_frame=end, shader=shader, seed=0)
    return tl.model_copy(update={"effects": [*tl.effects, effect]})


def _black(source: Source, rng: np.random.Generator) -> Defect:
    tl = source.timeline
    blocked = _blocked_frames(tl, ffmpeg_only=True)
    margin = 3  # keep the black clear of the cuts, so it is inside a shot
    for count in range(int(rng.integers(BLACK_FRAMES[0], BLACK_FRAMES[1] + 1)), BLACK_FRAMES[0] - 1, -1):
        starts = []
        for item in tl.items:
            for s in range(item.record_start + margin, item.record_end - margin - count + 1):
                if not blocked[s:s + count].any():
                    starts.append(s)
        if starts:
            start = int(rng.choice(starts))
            return Defect("black", _overlay(tl, start, start + count, _BLACK), tl,
                          {"start_frame": start, "frames": count})
    raise NotApplicable("no shot has room for six black frames clear of transitions and ffmpeg chains")


def _frozen(source: Source, rng: np.random.Generator) -> Defect:
    tl = source.timeline
    fps = float(tl.fps)
    blocked = _blocked_frames(tl, ffmpeg_only=False)
    heads, tails = transition_handles(len(tl.items), tl.transitions)
    best = None
    for n, item in enumerate(tl.items):
        if item.speed != 1.0 or item.speed_end is not None:
            continue
        clean = np.flatnonzero(~blocked[item.record_start:item.record_end]) + item.record_start
        if len(clean) < fps + 1 or clean[-1] - clean[0] + 1 != len(clean):
            continue  # needs one unbroken effect-free stretch of more than a second
        shot = _shot(source, item.source, item.shot_index)
        motion = shot.motion if shot else 0.0
        if best is None or motion > best[0]:
            best = (motion, n, int(clean[0]), int(clean[-1]) + 1)
    if best is None:
        raise NotApplicable("no item lasts over a second free of effects and transitions")
    motion, n, first, last = best
    item = tl.items[n]
    still_at = item.source_start + (item.frames / 2) / fps * item.speed
    seconds = (heads[n] + item.frames + tails[n]) / fps + 1.0
    still = {"source": item.source, "time": round(still_at, 6), "seconds": round(seconds, 3),
             "fps": _source_fps(source, item.source), "path": str(source.folder / f"still-item{n}.mp4")}
    frozen = item.model_copy(update={"source": still["path"], "source_start": round(heads[n] / fps, 6),
                                     "shot_index": 0})
    items = list(tl.items)
    items[n] = frozen
    return Defect("frozen", _rebuild(tl, items), tl,
                  {"item": n, "frozen_frames": [first, last], "seconds": round((last - first) / fps, 3),
                   "still_source_time": still["time"], "shot_motion": round(motion, 4)}, still=still)


def _broken_transition(source: Source, rng: np.random.Generator) -> Defect:
    tl = source.timeline
    ffmpeg = _blocked_frames(tl.model_copy(update={"transitions": [], "texts": []}), ffmpeg_only=True)
    choices = []
    for tr in tl.transitions:
        middle = [tr.start_frame + j for j in range(tr.frames) if 0.2 < (j + 1) / (tr.frames + 1) < 0.8]
        if len(middle) >= 3 and not ffmpeg[middle[0]:middle[-1] + 1].any():
            choices.append((tr.frames, float(rng.random()), tr, middle))
    if not choices:
        raise NotApplicable("no transition with three middle frames clear of ffmpeg chains")
    _, _, tr, middle = max(choices, key=lambda c: c[:2])
    mode = str(rng.choice(["black", "solid", "blocks"]))
    if mode == "solid":
        colour = [(1.0, 0.0, 1.0), (0.0, 1.0, 0.0), (0.5, 0.5, 0.5), (1.0, 1.0, 1.0)][int(rng.integers(4))]
        shader = _SOLID.format(r=colour[0], g=colour[1], b=colour[2])
    else:
        colour, shader = None, _BLACK if mode == "black" else _BLOCKS
    start, end = middle[0], middle[-1] + 1
    return Defect("broken_transition", _overlay(tl, start, end, shader), tl,
                  {"transition": tr.name, "cut_frame": tr.cut_frame, "transition_frames": tr.frames,
                   "broken_frames": [start, end], "mode": mode, "colour": colour})


def _clipped_audio(source: Source, rng: np.random.Generator) -> Defect:
    gain = round(float(rng.uniform(*CLIP_GAIN_DB)), 1)
    return Defect("clipped_audio", None, source.timeline, {"gain_db": gain, "ceiling": 1.0},
                  post={"gain_db": gain})


_PLANNERS = {"offbeat": _offbeat, "black": _black, "wrong_aspect": _wrong_aspect, "frozen": _frozen,
             "clipped_audio": _clipped_audio, "broken_transition": _broken_transition,
             "wrong_duration": _wrong_duration, "too_few_cuts": _too_few_cuts, "repeated_shot": _repeated_shot}


def plan_defect(kind: str, source: Source, rng: np.random.Generator) -> Defect:
    """The bad twin's timeline (or post-processing) for `kind`; NotApplicable if this scenario
    cannot carry it. Nothing is rendered here."""
    return _PLANNERS[kind](source, rng)


# ---------------------------------------------------------------------------------- making files


def _ffmpeg(*args: str) -> None:
    proc = subprocess.run(["ffmpeg", "-v", "error", "-nostdin", "-y", *args], capture_output=True, text=True,
                          timeout=300, check=False)
    if proc.returncode != 0:
        raise RenderError(f"ffmpeg failed: {proc.stderr.strip()[-400:]}")


def _make_still(still: dict) -> None:
    path = Path(still["path"])
    png = path.with_suffix(".png")
    _ffmpeg("-ss", f"{still['time']:.6f}", "-i", still["source"], "-frames:v", "1", str(png))
    _ffmpeg("-loop", "1", "-framerate", f"{still['fps']:g}", "-i", str(png), "-t", f"{still['seconds']:.3f}",
            "-c:v", "libx264", "-preset", "veryfast", "-crf", "12", "-pix_fmt", "yuv420p", "-g", "600", str(path))
    png.unlink(missing_ok=True)


def clip_audio(good: Path, out: Path, gain_db: float) -> None:
    """Copy the video; drive the audio `gain_db` up and clip it hard at full scale."""
    partial = out.with_name(f".{out.stem}.partial.mp4")
    _ffmpeg("-i", str(good), "-map", "0:v", "-map", "0:a", "-c:v", "copy",
            "-af", f"volume={gain_db}dB:precision=float,asoftclip=type=hard:threshold=1",
            "-c:a", "aac", "-b:a", "192k", "-movflags", "+faststart", str(partial))
    partial.replace(out)


def make_bad(defect: Defect, source: Source, good: Reel, path: Path) -> Reel:
    if defect.still:
        _make_still(defect.still)
    if defect.rendered is not None:
        return render_reel(defect.rendered, path, recorded=defect.recorded, details=defect.details)
    started = time.monotonic()
    clip_audio(good.path, path, defect.post["gain_db"])
    write_json(path.with_suffix(".timeline.json"), json.loads(defect.recorded.model_dump_json()))
    return Reel(path=path, timeline=defect.recorded, rendered=good.rendered, post_s=time.monotonic() - started,
                details=defect.details)
