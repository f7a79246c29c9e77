"""compile(plan, analysis) -> Timeline: the editorial arithmetic.

Every cut lands on the frame nearest a beat of the rhythm its section asks for; each slot between
cuts gets a stretch of one shot (never across a shot boundary), chosen by the section's shot
preference and the music's energy, without reusing footage while unused footage remains.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from agent.errors import PlanError
from agent.media.models import Analysis, ClipAnalysis, Shot
from agent.timeline.beatgrid import ReelBeat, ReelMusic, place_music, reel_energy
from agent.timeline.model import (AudioTrack, ClipItem, EffectItem, LookItem, Reframe, TextItem, Timeline,
                                  TransitionItem, transition_handles)
from agent.timeline.plan import ASPECT_RATIOS, RHYTHM_BEATS, EditPlan, SectionPlan

MIN_ITEM_FRAMES = 4
EFFECT_SECONDS = {"flash": 0.15, "zoom_punch": 0.25, "shake": 0.4}
MIN_SPEED = 0.5


@dataclass
class CutReport:
    frame: int
    time: float
    beat_time: float | None
    beat_index: int | None
    offset_ms: float | None
    section: int
    rhythm: str


@dataclass
class ItemReport:
    source: str
    shot: int
    source_start: float
    source_end: float
    record_start: int
    record_end: int
    speed: float
    why: str


@dataclass
class CompileResult:
    timeline: Timeline
    cuts: list[CutReport]
    items: list[ItemReport]
    music_start: float
    notes: list[str] = field(default_factory=list)  # choices worth telling the person
    fallbacks: list[str] = field(default_factory=list)  # where the plan could not be followed as asked


def output_size(aspect: str, short_side: int) -> tuple[int, int]:
    a, b = ASPECT_RATIOS[aspect]
    long_side = int(round(short_side * max(a, b) / min(a, b) / 2)) * 2
    short_side = short_side // 2 * 2
    return (long_side, short_side) if a >= b else (short_side, long_side)


def frame_rate(fps: float) -> Fraction:
    rate = Fraction(fps).limit_denominator(1001)
    for ntsc in (24, 30, 60):  # 29.97 and friends are 30000/1001, not 2997/100
        if abs(fps - ntsc * 1000 / 1001) < 0.01:
            return Fraction(ntsc * 1000, 1001)
    return rate


# ---------------------------------------------------------------- cut points


def _section_beats(beats: list[ReelBeat], section: SectionPlan) -> list[ReelBeat]:
    return [b for b in beats if section.start - 1e-6 <= b.time < section.end - 1e-6]


def _rhythm_filter(beats: list[ReelBeat], rhythm: str) -> list[ReelBeat]:
    step = RHYTHM_BEATS[rhythm]
    if step == 1:
        return beats
    if step == 2:
        return [b for b in beats if (b.position - 1) % 2 == 0]
    bars = max(1, step // 4)
    downbeats = [b for b in beats if b.position == 1]
    return downbeats[::bars]


def plan_cuts(plan: EditPlan, music: ReelMusic, fps: Fraction, total_frames: int) -> list[tuple[int, ReelBeat, int]]:
    """(frame, beat, section index) for every cut, in order; frame 0 is not a cut."""
    cuts: list[tuple[int, ReelBeat, int]] = []
    for index, section in enumerate(plan.sections):
        for beat in _rhythm_filter(_section_beats(music.beats, section), section.rhythm):
            frame = int(round(beat.time * fps))
            if frame < MIN_ITEM_FRAMES or frame > total_frames - MIN_ITEM_FRAMES:
                continue
            if cuts and frame - cuts[-1][0] < MIN_ITEM_FRAMES:
                continue
            cuts.append((frame, beat, index))
    return cuts


# ---------------------------------------------------------------- shot choice


@dataclass
class _ShotPool:
    clip: ClipAnalysis
    shot: Shot
    start: float  # usable stretch of the shot: [start, end)
    end: float
    cursor: float  # next unused source time in this shot
    uses: int = 0
    motion_rank: float = 0.5  # 0 = calmest shot available, 1 = busiest

    @property
    def available(self) -> float:
        return self.end - self.cursor


def _build_pool(analysis: Analysis) -> list[_ShotPool]:
    pool = []
    for clip in analysis.clips:
        video = clip.info.video
        if video is None:
            continue
        frame = 1.0 / (video.fps or 30.0)
        for shot in clip.shots:
            # Keep a frame clear of each boundary so a neighbouring shot never leaks in.
            start, end = shot.start + frame, shot.end - frame
            if end - start >= frame:
                pool.append(_ShotPool(clip=clip, shot=shot, start=start, end=end, cursor=start))
    motions = np.array([p.shot.motion for p in pool])
    if len(pool) > 1:
        ranks = motions.argsort().argsort() / (len(pool) - 1)
        for p, r in zip(pool, ranks):
            p.motion_rank = float(r)
    return pool


def _preference_score(entry: _ShotPool, preference: str, energy: float) -> float:
    if preference == "active":
        return entry.motion_rank
    if preference == "calm":
        return 1.0 - entry.motion_rank
    return 1.0 - abs(entry.motion_rank - energy)


def _pick_shot(pool: list[_ShotPool], needed: float, preference: str, energy: float,
               previous_source: str | None) -> tuple[_ShotPool, str] | None:
    best, best_score, why = None, -1e9, ""
    for n, entry in enumerate(pool):
        if entry.available < needed:
            continue
        score = _preference_score(entry, preference, energy) - 0.25 * entry.uses
        if entry.clip.info.path == previous_source:
            score -= 0.15
        score -= 1e-6 * n  # deterministic tie-break: earlier clips/shots first
        if score > best_score:
            best, best_score = entry, score
            why = (f"{preference} shot (motion rank {entry.motion_rank:.2f}, music energy {energy:.2f})"
                   + (", footage already used once" if entry.uses else ""))
    return (best, why) if best else None


# ---------------------------------------------------------------- compile


def _library_tool(tools: dict | None, tool_id: str, kinds: str | tuple[str, ...]):
    kinds = (kinds,) if isinstance(kinds, str) else kinds
    tool = (tools or {}).get(tool_id)
    if tool is None:
        raise PlanError(f"the plan asks for tool {tool_id!r}, which is not in the tool library "
                        f"(`reelwright tools list` shows what is)")
    if tool.spec.kind not in kinds:
        raise PlanError(f"tool {tool_id!r} is a {tool.spec.kind}, not a {' or '.join(kinds)}")
    return tool


def _transitions(plan: EditPlan, cuts: list[tuple[int, ReelBeat, int]], bounds: list[int],
                 beat_period: float, fps: Fraction, tools: dict | None = None) -> list[TransitionItem]:
    out: list[TransitionItem] = []
    counts: dict[int, int] = {}
    for n, (frame, _beat, sec_index) in enumerate(cuts):
        request = plan.sections[sec_index].transition
        counts[sec_index] = counts.get(sec_index, 0) + 1
        if request is None or (counts[sec_index] - 1) % request.every_n_cuts:
            continue
        wanted = int(round(request.beats * beat_period * fps))
        before = bounds[n + 1] - bounds[n]
        after = bounds[n + 2] - bounds[n + 1]
        # At most half of each neighbour, so two transitions on one item never overlap.
        frames = min(wanted, before // 2, after // 2)
        if frames < 2:
            continue
        if request.name.startswith("glsl:"):
            tool = _library_tool(tools, request.name.removeprefix("glsl:"), "glsl-transition")
            out.append(TransitionItem(index=n + 1, cut_frame=frame, frames=frames, name="glsl",
                                      shader=tool.source, params=tool.spec.defaults(), tool=tool.spec.id,
                                      tags=list(tool.spec.tags)))
        else:
            out.append(TransitionItem(index=n + 1, cut_frame=frame, frames=frames, name=request.name,
                                      expr=request.expr))
    return out


def _trigger_times(on: str, sec_index: int, section: SectionPlan, music: ReelMusic,
                   cuts: list[tuple[int, ReelBeat, int]], drops: list[float]) -> list[float]:
    """Reel times in the section where an effect triggered `on` beats/downbeats/cuts/drops fires."""
    if on == "beats":
        return [b.time for b in _section_beats(music.beats, section)]
    if on == "downbeats":
        return [b.time for b in _section_beats(music.beats, section) if b.position == 1]
    if on == "cuts":
        return [c[1].time for c in cuts if c[2] == sec_index]
    return [d for d in drops if section.start <= d < section.end]


def _effects(plan: EditPlan, music: ReelMusic, cuts: list[tuple[int, ReelBeat, int]], drops: list[float],
             fps: Fraction, total: int) -> list[EffectItem]:
    out: list[EffectItem] = []
    for sec_index, section in enumerate(plan.sections):
        for req in section.effects:
            times = _trigger_times(req.on, sec_index, section, music, cuts, drops)
            length = max(2, int(round(EFFECT_SECONDS[req.kind] * fps)))
            for k, t in enumerate(times[::req.every]):
                start = int(round(t * fps))
                if 0 <= start < total:
                    out.append(EffectItem(kind=req.kind, start_frame=start, end_frame=min(total, start + length),
                                          intensity=req.intensity, seed=len(out) + k))
    return out


def _tool_effects(plan: EditPlan, music: ReelMusic, cuts: list[tuple[int, ReelBeat, int]], drops: list[float],
                  beat_period: float, fps: Fraction, total: int, tools: dict | None) -> list[EffectItem]:
    out: list[EffectItem] = []
    chains: list[tuple[int, int, str]] = []
    for sec_index, section in enumerate(plan.sections):
        for req in section.tools:
            tool = _library_tool(tools, req.tool, ("glsl-effect", "ffmpeg-filter"))
            params = {**tool.spec.defaults(), **req.params}
            if req.on == "section":
                spans = [(section.start, section.end)]
            else:
                times = _trigger_times(req.on, sec_index, section, music, cuts, drops)[req.offset::req.every]
                spans = [(t, min(section.end, t + req.beats * beat_period)) for t in times]
            for a, b in spans:
                start, end = int(round(a * fps)), min(total, int(round(b * fps)))
                if end <= start:
                    continue
                if tool.spec.kind == "ffmpeg-filter":
                    chains.append((start, end, tool.source))
                else:
                    out.append(EffectItem(kind="glsl", start_frame=start, end_frame=end, shader=tool.source,
                                          params=params, seed=len(out)))
    chain_end = 0  # ffmpeg chains stream one at a time: in time order, a new one starts after the last ends
    for start, end, chain in sorted(chains, key=lambda c: c[:2]):
        start = max(start, chain_end)
        if end > start:
            out.append(EffectItem(kind="ffmpeg", start_frame=start, end_frame=end, filter=chain))
            chain_end = end
    return out


def compile_plan(plan: EditPlan, analysis: Analysis, tools: dict | None = None) -> CompileResult:
    """`tools`: the tool library (id -> Tool) for plans that name library tools."""
    fps = frame_rate(plan.fps)
    width, height = output_size(plan.aspect, plan.height)
    total = int(round(plan.duration * fps))
    music = place_music(analysis.music, plan.duration, plan.music_start)
    notes = list(music.notes)
    fallbacks = list(analysis.notes) + list(music.fallbacks)
    cuts = plan_cuts(plan, music, fps, total)
    bounds = [0] + [c[0] for c in cuts] + [total]
    beat_period = float(np.median(np.diff(music.beat_times))) if len(music.beats) > 1 else 0.5
    transitions = _transitions(plan, cuts, bounds, beat_period, fps, tools)
    heads, tails = transition_handles(len(bounds) - 1, transitions)
    energy = reel_energy(music, analysis.music, plan.duration)

    pool = _build_pool(analysis)
    if not pool:
        raise PlanError("none of the clips has a usable shot (all are empty or have no video)")
    items: list[ClipItem] = []
    reports: list[ItemReport] = []
    previous_source = None
    for n in range(len(bounds) - 1):
        rec_start, rec_end = bounds[n], bounds[n + 1]
        section = _section_at(plan, rec_start / float(fps))
        speed = section.speed
        speed_end = section.speed_ramp_to
        frames_needed = heads[n] + (rec_end - rec_start) + tails[n]
        needed = frames_needed / float(fps) * _mean_speed(speed, speed_end)
        slot_energy = _mean_energy(energy, analysis.music.energy_hop, rec_start / float(fps), rec_end / float(fps))
        choice = _pick_shot(pool, needed, section.shots, slot_energy, previous_source)
        if choice is None:
            # Nothing long enough: slow the longest stretch left down (not below MIN_SPEED), or
            # start reusing footage; either way the report says so.
            entry = max(pool, key=lambda p: (p.available, -p.uses))
            factor = entry.available / needed
            if min(speed, speed_end or speed) * factor < MIN_SPEED:
                for p in pool:
                    p.cursor = p.start
                entry = max(pool, key=lambda p: (p.available, -p.uses))
                factor = min(1.0, entry.available / needed)
                why = "all footage used up: reusing shots"
            else:
                why = f"no unused shot of {needed:.2f} s left: slowed the longest one down"
            speed, speed_end = speed * factor, (speed_end * factor if speed_end else None)
            fallbacks.append(f"slot at {rec_start / float(fps):.2f} s: {why} (speed {speed:.2f}x)")
        else:
            entry, why = choice
        head_seconds = heads[n] / float(fps) * speed
        source_start = entry.cursor + head_seconds
        used = frames_needed / float(fps) * _mean_speed(speed, speed_end)
        # Leave a small gap between uses, and keep the cursor on the source's frame grid so that
        # later items from this shot start on whole frames (and can share a decode run).
        src_fps = entry.clip.info.video.fps or float(fps)
        entry.cursor = min(entry.end, entry.cursor + math.ceil((used + 0.25) * src_fps - 1e-6) / src_fps)
        entry.uses += 1
        reframe = _reframe(plan, entry.clip, width, height, fallbacks)
        items.append(ClipItem(source=entry.clip.info.path, source_start=round(source_start, 6),
                              record_start=rec_start, record_end=rec_end, speed=round(speed, 6),
                              speed_end=round(speed_end, 6) if speed_end else None,
                              shot_index=entry.shot.index, reframe=reframe))
        reports.append(ItemReport(source=entry.clip.info.path, shot=entry.shot.index,
                                  source_start=round(source_start, 4),
                                  source_end=round(source_start + used - head_seconds, 4),
                                  record_start=rec_start, record_end=rec_end, speed=round(speed, 4), why=why))
        previous_source = entry.clip.info.path

    drops = [d - music.start for d in analysis.music.drops if music.start <= d < music.start + plan.duration]
    timeline = Timeline(
        fps_num=fps.numerator, fps_den=fps.denominator, width=width, height=height, items=items,
        transitions=transitions,
        effects=_effects(plan, music, cuts, drops, fps, total)
        + _tool_effects(plan, music, cuts, drops, beat_period, fps, total, tools),
        texts=[TextItem(text=t.text, start_frame=int(round(t.start * fps)),
                        end_frame=max(int(round(t.start * fps)) + 1, min(total, int(round(t.end * fps)))),
                        position=t.position) for t in plan.texts if t.start < plan.duration],
        audio=AudioTrack(source=analysis.music.path, segments=music.segments, fade_in=plan.audio_fade_in,
                         fade_out=plan.audio_fade_out, loudness_lufs=plan.loudness_lufs),
        look=LookItem(name=plan.look.name, contrast=plan.look.contrast, saturation=plan.look.saturation,
                      brightness=plan.look.brightness),
        beats=[round(b.time, 6) for b in music.beats if b.time < plan.duration],
        downbeats=[round(b.time, 6) for b in music.beats if b.position == 1 and b.time < plan.duration],
        energy=energy,
        energy_hop=analysis.music.energy_hop,
    )
    return CompileResult(timeline=timeline, cuts=_cut_reports(cuts, music, fps, [sec.rhythm for sec in plan.sections]), items=reports,
                         music_start=music.start, notes=notes, fallbacks=fallbacks)


def _mean_speed(speed: float, speed_end: float | None) -> float:
    """Average playback speed of an item (a linear ramp averages its two ends)."""
    return speed if speed_end is None else (speed + speed_end) / 2


def _mean_energy(energy: list[float], hop: float, t0: float, t1: float) -> float:
    """Mean music energy over a reel span (0.5 when the song has no energy envelope)."""
    i0 = int(t0 / hop)
    values = energy[i0:max(i0 + 1, int(t1 / hop))]
    return float(np.mean(values)) if values else 0.5


def _section_at(plan: EditPlan, t: float) -> SectionPlan:
    for section in plan.sections:
        if section.start - 1e-6 <= t < section.end - 1e-6:
            return section
    return plan.sections[-1]


def _reframe(plan: EditPlan, clip: ClipAnalysis, width: int, height: int, fallbacks: list[str]) -> Reframe:
    video = clip.info.video
    src_aspect = video.display_width / max(1, video.display_height)
    out_aspect = width / height
    mismatch = max(src_aspect, out_aspect) / min(src_aspect, out_aspect)
    if plan.fit == "crop" and mismatch > 3.5:
        note = f"{clip.info.path}: {video.display_width}x{video.display_height} into {width}x{height} would " \
               f"crop away {100 * (1 - 1 / mismatch):.0f}% of the picture: used a blurred pad instead"
        if note not in fallbacks:
            fallbacks.append(note)
        return Reframe(mode="blur_pad")
    return Reframe(mode=plan.fit)


def _cut_reports(cuts: list[tuple[int, ReelBeat, int]], music: ReelMusic, fps: Fraction,
                 rhythms: list[str]) -> list[CutReport]:
    out = []
    beat_times = music.beat_times
    for frame, beat, sec_index in cuts:
        t = frame / float(fps)
        index = int(np.argmin(np.abs(beat_times - t))) if len(beat_times) else None
        nearest = float(beat_times[index]) if index is not None else None
        out.append(CutReport(frame=frame, time=round(t, 6),
                             beat_time=None if music.synthetic_grid else round(nearest, 6),
                             beat_index=index,
                             offset_ms=None if music.synthetic_grid else round((t - nearest) * 1000, 2),
                             section=sec_index, rhythm=rhythms[sec_index]))
    return out
