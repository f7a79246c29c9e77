"""critique(video, timeline, analysis, request) -> Scorecard.

The critic judges the rendered file with its own measurements: cuts are detected in the video,
not read from the timeline. The timeline is used only for what the video cannot say by itself:
the music's beats on the reel's clock, and where transitions were meant to be (so a fade
through black is not taken for a broken transition). Without a timeline the beats come from
tracking the reel's own soundtrack.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from agent.brain.request import RequestConstraints, parse_request
from agent.critic.audio import AudioMeasures, decode, measure_samples
from agent.critic.scorecard import Score, Scorecard, clamp01
from agent.critic.video import (GARBLED_STRETCH, UNEXPLAINED_SHARE, VideoMeasures, garbled_stretch, measure_video,
                                unexplained)
from agent.media.probe import probe
from agent.timeline.model import Timeline
from agent.timeline.plan import ASPECT_RATIOS, RHYTHM_BEATS

TARGET_LUFS = -14.0
FAST_STYLES = frozenset({"phonk", "amv", "hype", "sport", "montage"})
CALM_STYLES = frozenset({"travel", "calm", "cinematic", "wedding", "vlog", "lofi"})
_THROUGH_COLOUR = frozenset({"fadeblack", "fadewhite", "fadegrays"})  # transitions that dip on purpose


@dataclass(frozen=True)
class Expected:
    """What the reel should be, from the request first and the timeline second."""
    duration: float | None
    aspect: str | None
    fps: float | None
    beats_per_cut: tuple[float, float] | None  # the range the request or the style asks for
    style: str | None
    effect_asks: tuple  # the request's EffectAsks: kind, trigger, every n
    no_effects: bool

    @property
    def effects(self) -> tuple[str, ...]:
        return tuple(a.kind for a in self.effect_asks)


def _expected(request: RequestConstraints | None, timeline: Timeline | None) -> Expected:
    from agent.brain.rules import STYLE_PRESETS

    style = request.style if request else None
    rhythm = None
    if request and request.rhythm:
        rhythm = (RHYTHM_BEATS[request.rhythm],) * 2
    elif style in STYLE_PRESETS:
        preset = STYLE_PRESETS[style]
        rhythm = tuple(sorted((RHYTHM_BEATS[preset.drop_rhythm], RHYTHM_BEATS[preset.calm_rhythm])))
    duration = request.duration if request and request.duration else (timeline.duration if timeline else None)
    aspect = request.aspect if request and request.aspect else None
    fps = request.fps if request and request.fps else (float(timeline.fps) if timeline else None)
    return Expected(duration=duration, aspect=aspect, fps=fps, beats_per_cut=rhythm, style=style,
                    effect_asks=tuple(request.effects) if request else (),
                    no_effects=bool(request and request.no_effects))


def _beats(timeline: Timeline | None, samples: np.ndarray | None, music, duration: float) -> tuple[list[float], str]:
    """The music's beats on the reel's clock: from the timeline; else the song's analysis placed
    where the reel's soundtrack matches it; else tracked on the reel's own soundtrack."""
    if timeline is not None and timeline.beats:
        return list(timeline.beats), "the timeline's music beats on the reel's clock"
    from agent.critic.align import RATE as ALIGN_RATE
    from agent.critic.align import MIN_CONFIDENCE, music_offset
    from agent.critic.audio import RATE
    from agent.media.music import track_beats

    if samples is None:
        return [], "no audio to find beats in"
    mono = samples.mean(axis=1)
    note = ""
    if music is not None and music.beats:
        song = decode(music.path)
        if song is not None:
            step = RATE // ALIGN_RATE
            offset, confidence = music_offset(mono[::step], song.mean(axis=1)[::step])
            if confidence >= MIN_CONFIDENCE:
                beats = [round(b - offset, 5) for b in music.beats if -0.05 <= b - offset <= duration + 0.05]
                return beats, f"the song's beats, its audio found {offset:.3f} s into the song (match {confidence:.2f})"
            note = f" (the song did not match the reel's audio: {confidence:.2f})"
    result = track_beats(mono[::3].astype(np.float32), RATE // 3)  # 16 kHz is plenty for the tracker
    return list(result.beats), "beats tracked on the reel's own soundtrack" + note


def _cut_times(v: VideoMeasures) -> list[float]:
    """Hard cuts, and the middle of each dissolve (where its cut sits)."""
    mids = [(a + b) / 2 for a, b, kind in v.gradual if kind == "dissolve"]
    return sorted(v.cuts + mids)


# ---------------------------------------------------------------- the scores

def _aspect_ok(info, aspect: str) -> bool:
    w, h = ASPECT_RATIOS[aspect]
    return abs(info.video.display_width / info.video.display_height / (w / h) - 1.0) < 0.02


def _validity(v: VideoMeasures, a: AudioMeasures, info, exp: Expected) -> Score:
    checks: dict[str, float] = {}
    problems: list[str] = []
    vs = info.video
    duration = vs.duration or info.duration
    checks["decodes"] = 0.0 if v.warnings else 1.0
    if v.warnings:
        problems.append("decoding problems: " + "; ".join(v.warnings))
    frame = 1.0 / (vs.fps or 30.0)
    tail = duration - v.decoded_s
    checks["no_truncated_tail"] = clamp01(1.0 - max(0.0, tail - 2 * frame) / 0.5)
    if tail > 2 * frame:
        problems.append(f"only {v.decoded_s:.2f} s of {duration:.2f} s decode")
    checks["audio_present"] = 1.0 if a.present else 0.0
    if not a.present:
        problems.append("no audio stream")
    elif abs(a.duration - duration) > 0.25:
        checks["audio_length"] = clamp01(1.0 - (abs(a.duration - duration) - 0.25) / 1.0)
        problems.append(f"audio lasts {a.duration:.2f} s, video {duration:.2f} s")
    if exp.duration:
        off = abs(duration - exp.duration)
        checks["duration"] = 1.0 if off <= max(frame, 0.05) else clamp01(1.0 - off / (0.2 * exp.duration))
        if checks["duration"] < 1:
            problems.append(f"lasts {duration:.2f} s, {exp.duration:g} s asked")
    if exp.fps:
        checks["fps"] = 1.0 if abs((vs.fps or 0) - exp.fps) < 0.01 * exp.fps else 0.0
        if not checks["fps"]:
            problems.append(f"{vs.fps:g} fps, {exp.fps:g} asked")
    if exp.aspect:
        checks["aspect"] = 1.0 if _aspect_ok(info, exp.aspect) else 0.0
        if not checks["aspect"]:
            problems.append(f"{vs.display_width}x{vs.display_height}, {exp.aspect} asked")
    return Score("validity", min(checks.values()), {"checks": checks, "width": vs.display_width,
                                                     "height": vs.display_height, "fps": vs.fps,
                                                     "duration": round(duration, 3)}, problems)


def _offset_ms(t: float, beats: np.ndarray, spans: list[tuple[float, float]]) -> float:
    """How far a detected cut is from the beat. A cut seen inside a transition the timeline put
    there is on the beat when the transition's span covers one (a wipe or an iris is seen
    changing at its start, not at its middle)."""
    for a, b in spans:
        if a <= t <= b:
            inside = beats[(beats >= a) & (beats <= b)]
            if len(inside):
                return 0.0
            nearest = beats[np.argmin(np.abs(beats - (a + b) / 2))]
            return float(min(abs(nearest - a), abs(nearest - b)) * np.sign(nearest - (a + b) / 2)) * -1000
    return float(t - beats[np.argmin(np.abs(beats - t))]) * 1000


def _beat_sync(cuts: list[float], beats: list[float], fps: float, source: str,
               spans: list[tuple[float, float]]) -> Score | None:
    if not beats or not cuts:
        return None
    beats_arr = np.asarray(beats)
    offsets = [_offset_ms(t, beats_arr, spans) for t in cuts]
    frame_ms = 1000.0 / fps
    within = [abs(o) <= frame_ms + 0.5 for o in offsets]
    closeness = [clamp01(1.0 - abs(o) / (4 * frame_ms)) for o in offsets]
    value = 0.6 * float(np.mean(within)) + 0.4 * float(np.mean(closeness))
    problems = [] if all(within) else [f"{len(within) - sum(within)} of {len(within)} cuts more than one frame "
                                       f"off the beat (worst {max(map(abs, offsets)):.0f} ms)"]
    return Score("beat_sync", clamp01(value), {"beats_from": source, "cuts": len(cuts),
                                               "cut_times": [round(t, 4) for t in cuts],
                                               "beats": [round(b, 4) for b in beats],
                                               "offsets_ms": [round(o, 1) for o in offsets],
                                               "within_one_frame": round(float(np.mean(within)), 4),
                                               "frame_ms": round(frame_ms, 2)}, problems)


def _pacing(cuts: list[float], beats: list[float], duration: float, a: AudioMeasures, exp: Expected) -> Score:
    period = float(np.median(np.diff(beats))) if len(beats) > 2 else 0.5
    bounds = [0.0, *cuts, duration]
    lengths = np.diff(bounds)
    beats_per_cut = float(np.median(lengths)) / period if len(lengths) else 0.0
    evidence = {"cuts": len(cuts), "cuts_per_s": round(len(cuts) / duration, 3) if duration else 0.0,
                "median_beats_per_cut": round(beats_per_cut, 2),
                "shot_length_cv": round(float(lengths.std() / lengths.mean()), 3) if len(lengths) > 1 else 0.0}
    problems: list[str] = []
    value = 1.0
    if exp.beats_per_cut:
        lo, hi = exp.beats_per_cut
        evidence["asked_beats_per_cut"] = [lo, hi]
        if beats_per_cut and not lo / 1.25 <= beats_per_cut <= hi * 1.25:
            nearest = lo if beats_per_cut < lo else hi
            value = 2.0 ** -abs(math.log2(beats_per_cut / nearest))
            problems.append(f"a cut every {beats_per_cut:.1f} beats, {lo:g}-{hi:g} asked")
        elif not cuts and duration > 4 * hi * period:
            value = 0.1
            problems.append("no cut at all")
    # Busier where the music is louder: cut density in the loudest third against the quietest.
    if a.present and len(a.rms_envelope) > 30 and len(cuts) >= 4:
        env = a.rms_envelope
        at = np.clip((np.asarray(cuts) * 20).astype(int), 0, len(env) - 1)
        loud, quiet = np.quantile(env, 2 / 3), np.quantile(env, 1 / 3)
        dense_loud = float((env[at] >= loud).sum()) / max(1, int((env >= loud).sum()))
        dense_quiet = float((env[at] <= quiet).sum()) / max(1, int((env <= quiet).sum()))
        alignment = dense_loud / dense_quiet if dense_quiet else None
        evidence["energy_alignment"] = round(alignment, 3) if alignment is not None else None
        if alignment is not None and alignment < 0.8 and exp.style in FAST_STYLES:
            value *= 0.9 + 0.1 * alignment / 0.8
            problems.append(f"cuts are sparser where the music is loud ({alignment:.2f}x)")
    return Score("pacing", clamp01(value), evidence, problems)


def _extra_uses(pairs: list[tuple[int, int]]) -> int:
    """How many shots repeat footage shown earlier: each group of shots showing the same footage
    counts its size less one."""
    group: dict[int, int] = {}

    def root(i: int) -> int:
        while group.get(i, i) != i:
            i = group[i]
        return i

    for a, b in pairs:
        group.setdefault(a, a)
        group.setdefault(b, b)
        group[root(b)] = root(a)
    return len(group) - len({root(i) for i in group})


def _visual(v: VideoMeasures, duration: float, exp: Expected) -> Score:
    problems: list[str] = []
    black_s = v.black.seconds
    frozen_s = v.frozen.seconds
    penalty = min(0.6, black_s / duration * 6) + min(0.6, frozen_s / duration * 3)
    if black_s:
        problems.append(f"{black_s:.2f} s of black in {len(v.black.spans)} stretch(es)")
    if frozen_s:
        problems.append(f"{frozen_s:.2f} s of frozen picture")
    repeats = _extra_uses(v.repeated)
    penalty += min(0.6, 0.2 * repeats)
    if repeats:
        problems.append(f"footage shown again {repeats} time(s) ({len(v.repeated)} matching pair(s) of shots)")
    if v.bars and exp.aspect:  # bars are a mistake when a format was asked for
        penalty += 0.3
        problems.append(f"{v.bars} bars")
    penalty += min(0.2, v.flicker_share * 2) + min(0.2, v.badly_exposed_share * 0.5)
    # Mild: soft or grey footage is worse, but it is rarely the edit's fault.
    penalty += 0.05 * (1.0 - clamp01(v.colourfulness / 0.1)) + 0.05 * (1.0 - clamp01(v.sharpness / 0.02))
    return Score("visual", clamp01(1.0 - penalty), {
        "black_s": round(black_s, 3), "black_spans": v.black.spans, "frozen_s": round(frozen_s, 3),
        "frozen_spans": v.frozen.spans, "repeated_shot_pairs": v.repeated, "bars": v.bars,
        "flicker_share": round(v.flicker_share, 4), "badly_exposed_share": round(v.badly_exposed_share, 4),
        "sharpness": round(v.sharpness, 4), "colourfulness": round(v.colourfulness, 4)}, problems)


def _garbled_on_purpose(t) -> str:
    """Glitch transitions jump between unlike frames by design: "xfade" for a custom xfade
    expression (it picks each pixel from A or B), "tool" for a library tool tagged glitch (it may
    move and recolour pixels; xfade's pixelize too), "" for the rest."""
    if t.name == "custom":
        return "xfade"
    return "tool" if "glitch" in t.tags or t.name == "pixelize" else ""  # pixelize steps in blocks by design


def _longest_run(mask: np.ndarray) -> int:
    best = run = 0
    for flag in mask.tolist():
        run = run + 1 if flag else 0
        best = max(best, run)
    return best


def _effects(v: VideoMeasures, timeline: Timeline | None, exp: Expected, beats: list[float],
             cuts: list[float]) -> Score:
    problems: list[str] = []
    spans: list[tuple[int, int, str, str]] = []  # start, end, name, how it is garbled on purpose
    if timeline is not None:
        spans = [(t.start_frame, t.end_frame, t.tool or t.name, _garbled_on_purpose(t))
                 for t in timeline.transitions]
    else:
        spans = [(int(a * v.fps), int(math.ceil(b * v.fps)), "detected", "") for a, b, kind in v.gradual
                 if kind == "dissolve"]
    broken = []
    for start, end, name, on_purpose in spans:
        lo, hi = max(0, start), max(0, end)
        flat = 0 if name in _THROUGH_COLOUR else int(v.flat[lo:hi].sum())
        if on_purpose == "xfade":  # garbage is what neither side of the cut explains
            # a flash over the transition brightens it past both sides: not garbage
            outside = unexplained(v.thumbs, lo, hi) >= UNEXPLAINED_SHARE
            garbled = _longest_run(outside & ~v.flashed[lo:lo + len(outside)])
        else:
            garbled = 0 if on_purpose else garbled_stretch(v.jag[lo:hi])
        if flat or garbled >= GARBLED_STRETCH:
            broken.append({"frames": [start, end], "name": name, "blank_frames": flat, "garbled_frames": garbled})
    value = 1.0 - min(0.8, 0.5 * len(broken))
    if broken:
        problems.append(f"{len(broken)} transition(s) with blank or garbled frames inside")
    flashes = len(v.flashes)
    asks = [_flash_ask(ask, v, timeline, beats, cuts) for ask in exp.effect_asks if ask.kind == "flash"]
    for ask in asks:
        value -= 0.4 * (1.0 - ask["hit_share"])
        if ask["hit_share"] < 0.75:
            problems.append(f"flashes asked {ask['asked']}: {ask['hit']} of {ask['expected']} seen")
    if exp.no_effects and flashes:
        value -= 0.3
        problems.append(f"no effects asked; {flashes} flash(es) seen")
    unmeasured = sorted(set(exp.effects) - {"flash"})
    return Score("effects", clamp01(value), {"transitions_checked": len(spans), "broken": broken,
                                             "flashes_seen": flashes, "flash_asks": asks,
                                             "not_measured_in_the_picture": unmeasured,
                                             "effect_items": len(timeline.effects) if timeline else None}, problems)


def _flash_ask(ask, v: VideoMeasures, timeline: Timeline | None, beats: list[float], cuts: list[float]) -> dict:
    """How much of an asked-for flash shows: the share of the beats / downbeats / cuts it was
    asked on (every n-th) that have a flash within 1.5 frames; on drops, or only in some
    sections, which the video cannot locate by itself: whether any flash shows."""
    on = ask.on or "cuts"
    if on == "downbeats":
        points = list(timeline.downbeats) if timeline is not None and timeline.downbeats else beats[::4]
    else:
        points = {"beats": beats, "cuts": cuts}.get(on, [])
    asked = f"on {on}" + (f" (every {ask.every})" if ask.every > 1 else "")
    if on == "drops" or ask.scope != "all" or not points:
        hit = 1 if v.flashes else 0
        return {"asked": asked + ("" if ask.scope == "all" else f", {ask.scope}"), "expected": 1, "hit": hit,
                "hit_share": float(hit)}
    points = points[::max(1, ask.every)]
    seen = np.asarray(v.flashes)
    window = 1.5 / v.fps
    hit = sum(1 for t in points if len(seen) and np.abs(seen - t).min() <= window)
    return {"asked": asked, "expected": len(points), "hit": hit, "hit_share": round(hit / len(points), 4)}


def _audio(a: AudioMeasures) -> Score:
    if not a.present:
        return Score("audio", 0.0, {"present": False}, ["no audio"])
    problems: list[str] = []
    if a.lufs is None:
        return Score("audio", 0.0, {"present": True, "lufs": None}, ["silent"])
    loud = clamp01(1.0 - max(0.0, abs(a.lufs - TARGET_LUFS) - 2.0) / 10.0)
    if loud < 1:
        problems.append(f"{a.lufs:.1f} LUFS ({TARGET_LUFS:g} is the target)")
    clip = clamp01(1.0 - a.clipped_share / 0.005)
    if a.clipped_share > 0.0005:
        problems.append(f"{a.clipped_share:.2%} of samples clipped")
    edges = 1.0 - 0.5 * a.abrupt_start - 0.5 * a.abrupt_end
    if a.abrupt_start or a.abrupt_end:
        problems.append("starts abruptly" if a.abrupt_start and not a.abrupt_end else
                        "stops abruptly" if a.abrupt_end and not a.abrupt_start else "starts and stops abruptly")
    value = 0.4 * loud + 0.4 * clip + 0.2 * edges
    return Score("audio", clamp01(min(value, clip + 0.2)), {
        "lufs": round(a.lufs, 2), "peak": round(a.peak, 4), "clipped_share": round(a.clipped_share, 6),
        "abrupt_start": a.abrupt_start, "abrupt_end": a.abrupt_end}, problems)


def _prompt(v: VideoMeasures, info, cuts: list[float], exp: Expected, request: RequestConstraints | None,
            clip: dict | None) -> Score | None:
    if request is None:
        return None
    checks: dict[str, float] = {}
    problems: list[str] = []
    duration = info.video.duration or info.duration
    if exp.duration:
        checks["duration"] = clamp01(1.0 - abs(duration - exp.duration) / (0.2 * exp.duration))
    if exp.aspect:
        checks["aspect"] = 1.0 if _aspect_ok(info, exp.aspect) else 0.0
    rate = len(cuts) / duration if duration else 0.0
    if exp.style in FAST_STYLES:
        checks["fast_style_cut_rate"] = clamp01(rate / 0.8)
    elif exp.style in CALM_STYLES and not request.rhythm:  # "travel, cuts on every beat" asks to be fast
        checks["calm_style_cut_rate"] = clamp01(1.0 - max(0.0, rate - 0.6) / 0.6)
    if "flash" in exp.effects:
        checks["flashes"] = 1.0 if v.flashes else 0.0
    clip = clip or {}
    if clip.get("score") is not None:
        checks["clip_similarity"] = clip["score"]
    for name, value in checks.items():
        if value < 1:
            problems.append(f"{name.replace('_', ' ')}: {value:.2f}")
    if clip.get("error"):
        problems.append(f"CLIP similarity not measured: {clip['error']}")
    if not checks:
        return None
    return Score("prompt", float(np.mean(list(checks.values()))),
                 {"checks": checks, "style": exp.style, "clip_similarity": clip.get("cosine"), "clip": clip or None},
                 problems)


def _clip(video: Path, request: str | None, duration: float, settings) -> dict | None:
    """The CLIP similarity of the reel to the request, when a checkpoint is configured. A
    checkpoint that does not load is reported in the prompt score, not raised: the reel is
    already rendered and the rest of the card still holds."""
    from agent.config import Settings
    from agent.critic.clip import ClipError, clip_similarity

    checkpoint = (settings or Settings()).clip_checkpoint
    if checkpoint is None or not request:
        return None
    try:
        sim = clip_similarity(video, request, duration, checkpoint)
    except ClipError as exc:
        return {"checkpoint": str(checkpoint), "error": str(exc)}
    return {"checkpoint": sim.checkpoint, "cosine": sim.cosine, "score": round(sim.score, 4), "frames": sim.frames,
            "seconds": sim.seconds}


def critique(video: str | Path, *, timeline: Timeline | None = None, analysis=None, request: str | None = None,
             settings=None) -> Scorecard:
    """Score a rendered reel. `analysis`: the edit's Analysis (or a MusicAnalysis): its song's
    beats are placed on the reel by matching the audio when no timeline gives them."""
    video = Path(video)
    info = probe(video)
    if info.video is None:
        from agent.errors import MediaError

        raise MediaError(video, "has no video stream", "the critic scores rendered reels")
    constraints = parse_request(request) if request else None
    exp = _expected(constraints, timeline)
    v = measure_video(video, fps_hint=info.video.fps)
    samples = decode(video)  # once: for the audio scores and, without a timeline, for the beats
    a = measure_samples(samples)
    duration = info.video.duration or info.duration
    music = getattr(analysis, "music", analysis)  # an Analysis, or a MusicAnalysis alone
    beats, source = _beats(timeline, samples, music, duration)
    cuts = _cut_times(v)
    scores = [_validity(v, a, info, exp), _pacing(cuts, beats, duration, a, exp), _visual(v, duration, exp),
              _effects(v, timeline, exp, beats, cuts), _audio(a)]
    frame = 1.0 / v.fps
    spans = [((t.start_frame - 1) * frame, (t.end_frame + 1) * frame) for t in timeline.transitions] if timeline else []
    clip = _clip(video, request, duration, settings) if constraints else None
    for optional in (_beat_sync(cuts, beats, v.fps, source, spans), _prompt(v, info, cuts, exp, constraints, clip)):
        if optional is not None:
            scores.append(optional)
    return Scorecard.weighted(scores, exp.style)
