"""Timeline <-> OpenTimelineIO, and through OTIO's adapters FCP 7 XML and CMX 3600 EDL.

The exported OTIO is a faithful picture of the edit a person can open in an NLE: one video track
of clips (cut to cut, on the output rate), transitions centred on their cuts, the music segments
on an audio track, and a "cut" marker on every cut. Everything an NLE has no slot for (effects,
texts, the look, speed ramps, reframing, the exact float source times) rides along in
`metadata["reelwright"]` on the timeline and on each item, so `from_otio` restores the Timeline
exactly. Record positions are always read from the OTIO structure (clip durations), never from
metadata, so a trim made in an NLE is what comes back; metadata only refines values the
structure agrees with.

What the interchange formats lose (see `write_fcp_xml` / `write_edl`):
- FCP XML: no reelwright metadata, no time warps, no track markers; rates must be integer or
  N*1000/1001; source in/out are rounded to whole frames.
- CMX EDL: the video track only (no music, no markers), every transition is a dissolve, reel
  names are 8 characters, source times are whole frames of timecode.
"""

from __future__ import annotations

import os
import uuid
from fractions import Fraction
from pathlib import Path
from urllib.parse import unquote, urlparse

import opentimelineio as otio

from agent.errors import MediaError, OutputError, PlanError
from agent.timeline.model import (
    AudioSegment,
    AudioTrack,
    ClipItem,
    EffectItem,
    LookItem,
    TextItem,
    Timeline,
    XFADE_TRANSITIONS,
    TransitionItem,
)

META = "reelwright"
FORMAT_VERSION = 1

# xfade names that an NLE shows as a plain dissolve; anything else is exported as Custom.
_DISSOLVE_NAMES = frozenset({"fade", "dissolve", "fadeblack", "fadewhite", "fadegrays", "fadefast", "fadeslow"})


# ---------------------------------------------------------------------------------- export


def _rate(timeline: Timeline) -> float:
    return timeline.fps_num / timeline.fps_den


def _media_reference(path: str) -> otio.schema.ExternalReference:
    target = Path(path).as_uri() if os.path.isabs(path) else path
    return otio.schema.ExternalReference(target_url=target)


def _clip(item: ClipItem, n: int, rate: float) -> otio.schema.Clip:
    source_range = otio.opentime.TimeRange(
        start_time=otio.opentime.RationalTime(item.source_start * rate, rate),
        duration=otio.opentime.RationalTime(item.frames, rate),
    )
    clip = otio.schema.Clip(
        name=os.path.basename(item.source),
        media_reference=_media_reference(item.source),
        source_range=source_range,
        # OTIO's JSON writer keeps ~15 significant digits; the repr keeps the float exact.
        metadata={META: {"index": n, **item.model_dump(mode="json"), "source_start_repr": repr(item.source_start)}},
    )
    if item.speed != 1.0 or (item.speed_end is not None and item.speed_end != 1.0):
        # OTIO has no ramp: a linear ramp covers the same source span as its mean speed.
        mean_speed = item.speed if item.speed_end is None else (item.speed + item.speed_end) / 2
        clip.effects.append(otio.schema.LinearTimeWarp(name="speed", time_scalar=mean_speed))
    return clip


def _transition(tr: TransitionItem, rate: float) -> otio.schema.Transition:
    kind = (
        otio.schema.TransitionTypes.SMPTE_Dissolve
        if tr.name in _DISSOLVE_NAMES
        else otio.schema.TransitionTypes.Custom
    )
    return otio.schema.Transition(
        name=tr.name,
        transition_type=kind,
        in_offset=otio.opentime.RationalTime(tr.frames // 2, rate),
        out_offset=otio.opentime.RationalTime(tr.frames - tr.frames // 2, rate),
        metadata={META: tr.model_dump(mode="json")},
    )


def _audio_tracks(audio: AudioTrack, rate: float) -> list[otio.schema.Track]:
    """Music segments as clips with gaps between them. Overlapping segments (crossfades) go to
    a further track, since a track's children cannot overlap."""
    tracks: list[otio.schema.Track] = []
    track_ends: list[float] = []  # seconds
    order = sorted(range(len(audio.segments)), key=lambda k: audio.segments[k].record_start)
    for k in order:
        seg = audio.segments[k]
        slot = next((t for t, end in enumerate(track_ends) if end <= seg.record_start + 1e-9), None)
        if slot is None:
            tracks.append(otio.schema.Track(name=f"A{len(tracks) + 1}", kind=otio.schema.TrackKind.Audio))
            track_ends.append(0.0)
            slot = len(tracks) - 1
        gap = seg.record_start - track_ends[slot]
        if gap > 1e-9:
            tracks[slot].append(
                otio.schema.Gap(
                    source_range=otio.opentime.TimeRange(duration=otio.opentime.RationalTime(gap * rate, rate))
                )
            )
        tracks[slot].append(
            otio.schema.Clip(
                name=os.path.basename(audio.source),
                media_reference=_media_reference(audio.source),
                source_range=otio.opentime.TimeRange(
                    start_time=otio.opentime.RationalTime(seg.source_start * rate, rate),
                    duration=otio.opentime.RationalTime(seg.duration * rate, rate),
                ),
                metadata={
                    META: {
                        "index": k,
                        **seg.model_dump(mode="json"),
                        "repr": {key: repr(getattr(seg, key)) for key in ("source_start", "record_start", "duration")},
                    }
                },
            )
        )
        track_ends[slot] = seg.record_start + seg.duration
    return tracks


def to_otio(timeline: Timeline, *, name: str = "reel") -> otio.schema.Timeline:
    """The Timeline as an OTIO timeline on the output rate, starting at time 0."""
    rate = _rate(timeline)
    audio_meta = None
    if timeline.audio is not None:
        audio_meta = timeline.audio.model_dump(mode="json", exclude={"segments"})
    result = otio.schema.Timeline(
        name=name,
        global_start_time=otio.opentime.RationalTime(0, rate),
        metadata={
            META: {
                "version": FORMAT_VERSION,
                "fps_num": timeline.fps_num,
                "fps_den": timeline.fps_den,
                "width": timeline.width,
                "height": timeline.height,
                "effects": [e.model_dump(mode="json") for e in timeline.effects],
                "texts": [t.model_dump(mode="json") for t in timeline.texts],
                "look": timeline.look.model_dump(mode="json"),
                "audio": audio_meta,
                "music": {"beats": timeline.beats, "downbeats": timeline.downbeats, "energy": timeline.energy,
                          "energy_hop": timeline.energy_hop},
            }
        },
    )
    video = otio.schema.Track(name="V1", kind=otio.schema.TrackKind.Video)
    transitions = {tr.index: tr for tr in timeline.transitions}
    for n, item in enumerate(timeline.items):
        if n in transitions:
            video.append(_transition(transitions[n], rate))
        video.append(_clip(item, n, rate))
    for cut in timeline.cut_frames():
        video.markers.append(
            otio.schema.Marker(
                name="cut",
                marked_range=otio.opentime.TimeRange(
                    otio.opentime.RationalTime(cut, rate), otio.opentime.RationalTime(0, rate)
                ),
                color=otio.schema.MarkerColor.RED,
                metadata={META: {"frame": cut}},
            )
        )
    # Effects and texts also as ranged markers so a person sees them in an NLE; `from_otio`
    # restores them from the timeline metadata (the one source of truth), not from these.
    for effect in timeline.effects:
        video.markers.append(_span_marker(f"effect:{effect.kind}", effect.start_frame, effect.end_frame, rate))
    for text in timeline.texts:
        video.markers.append(_span_marker(f"text:{text.text}", text.start_frame, text.end_frame, rate))
    result.tracks.append(video)
    if timeline.audio is not None:
        result.tracks.extend(_audio_tracks(timeline.audio, rate))
    return result


def _span_marker(name: str, start: int, end: int, rate: float) -> otio.schema.Marker:
    return otio.schema.Marker(
        name=name,
        marked_range=otio.opentime.TimeRange(
            otio.opentime.RationalTime(start, rate), otio.opentime.RationalTime(max(end - start, 0), rate)
        ),
        color=otio.schema.MarkerColor.YELLOW,
    )


# ---------------------------------------------------------------------------------- import


def _fraction_rate(rate: float) -> Fraction:
    """The rational rate behind an OTIO float rate: N*1000/1001 (NTSC) or a plain fraction."""
    ntsc = round(rate * 1001 / 1000)
    if ntsc and abs(rate - ntsc * 1000 / 1001) < 1e-3 and abs(rate - round(rate)) > 1e-3:
        return Fraction(ntsc * 1000, 1001)
    return Fraction(rate).limit_denominator(1001)


def _path_from_reference(ref) -> str:
    url = getattr(ref, "target_url", None) or ""
    if url.startswith("file:"):
        parsed = urlparse(url)
        return unquote(parsed.path)
    return url


def _edl_to_clip(clip: otio.schema.Clip) -> str | None:
    """The cmx_3600 reader gives the incoming clip of a dissolve the outgoing clip's media and
    keeps the right one only in a "TO CLIP:" comment: take it from there."""
    for comment in (clip.metadata.get("cmx_3600", {}) or {}).get("comments", []) or []:
        if str(comment).startswith("TO CLIP:"):
            return _path_from_reference(otio.schema.ExternalReference(target_url=str(comment)[8:].strip()))
    return None


def _to_frames(time: otio.opentime.RationalTime, rate: float) -> float:
    # A rate written rounded (23.976 for 24000/1001) still counts frames of our rate: rescaling
    # would drift off the frame grid on a long timeline.
    if abs(time.rate - rate) <= 1e-4 * rate:
        return time.value
    return time.value_rescaled_to(rate)


def _whole(value: float, what: str) -> int:
    frame = round(value)
    if abs(value - frame) > 1e-3:
        raise PlanError(f"{what} is not on a frame boundary ({value:.4f} frames)")
    return frame


def _speed(clip: otio.schema.Clip) -> float:
    warps = [fx for fx in clip.effects if isinstance(fx, otio.schema.LinearTimeWarp)]
    return warps[0].time_scalar if warps else 1.0


def from_otio(otio_timeline: otio.schema.Timeline) -> Timeline:
    """Rebuild a Timeline. Frame-exact for what `to_otio` wrote. A foreign timeline (from an
    NLE, or read through the FCP XML / EDL adapters) is accepted when its first video track is
    a gapless run of clips on whole frames: its rate comes from the clips (29.97.. becomes
    30000/1001), its size defaults to 1920x1080, transitions not centred on their cut are
    re-centred keeping their span, and a transition name that is no xfade name becomes "fade".
    Raises PlanError when it cannot be represented."""
    meta = dict(otio_timeline.metadata.get(META, {}) or {})
    videos = [t for t in otio_timeline.tracks if t.kind == otio.schema.TrackKind.Video]
    if not videos:
        raise PlanError(f"OTIO timeline {otio_timeline.name!r} has no video track")
    video = videos[0]
    if "fps_num" in meta:
        fps = Fraction(int(meta["fps_num"]), int(meta["fps_den"]))
    else:
        first = next((c for c in video if isinstance(c, otio.schema.Clip)), None)
        if first is None:
            raise PlanError(f"OTIO timeline {otio_timeline.name!r} has no clip on its video track")
        fps = _fraction_rate(first.source_range.duration.rate)
    rate = fps.numerator / fps.denominator

    # (clip, record start, record end, record frames the cut moved by when re-centring)
    entries: list[list] = []
    pending: list[otio.schema.Transition] = []
    transition_before: dict[int, otio.schema.Transition] = {}
    position = 0.0
    for child in video:
        if isinstance(child, otio.schema.Transition):
            pending.append(child)
            continue
        duration = _to_frames(child.source_range.duration, rate) if child.source_range else 0.0
        if isinstance(child, otio.schema.Gap):
            if duration > 1e-6:
                raise PlanError(f"gap at frame {round(position)}: a Reelwright timeline has no gaps")
            continue
        if not isinstance(child, otio.schema.Clip):
            raise PlanError(f"unsupported item on the video track: {type(child).__name__} {child.name!r}")
        if pending:
            if not entries:
                raise PlanError("a transition before the first clip cannot be represented")
            transition_before[len(entries)] = pending[-1]
            pending = []
        start = _whole(position, f"clip {child.name!r} start")
        end = _whole(position + duration, f"clip {child.name!r} end")
        position += duration
        entries.append([child, start, end, 0])

    transitions = []
    for index, tr in sorted(transition_before.items()):
        tr_meta = tr.metadata.get(META, {}) or {}
        before = round(_to_frames(tr.in_offset, rate))
        frames = max(before + round(_to_frames(tr.out_offset, rate)), 2)
        # Our transitions are centred on their cut. One aligned otherwise (an EDL dissolve starts
        # at its cut) keeps its span on the record: the cut moves to the span's centre.
        shift = frames // 2 - before
        if shift:
            entries[index - 1][2] += shift
            entries[index][1] += shift
            entries[index][3] += shift
            if entries[index - 1][2] <= entries[index - 1][1] or entries[index][2] <= entries[index][1]:
                raise PlanError(f"the transition {tr.name!r} at frame {entries[index][1]} is longer than its clips")
        if tr_meta.get("name"):
            name = tr_meta["name"]
        elif tr.name in XFADE_TRANSITIONS:  # the FCP XML reader keeps the effect name
            name = tr.name
        else:
            name = "fade"
        # The shader and its parameters travel in our metadata (other tools see a Custom transition).
        extra = {key: tr_meta[key] for key in ("expr", "shader", "params", "tool", "tags") if tr_meta.get(key) is not None}
        transitions.append((index, frames, name, extra))

    items = [_clip_item(clip, start, end, shift, rate) for clip, start, end, shift in entries]
    transitions = [
        TransitionItem(index=index, cut_frame=items[index].record_start, frames=frames, name=name, **extra)
        for index, frames, name, extra in transitions
    ]

    audio = _audio_from_tracks(
        [t for t in otio_timeline.tracks if t.kind == otio.schema.TrackKind.Audio], meta.get("audio"), rate
    )
    return Timeline(
        fps_num=fps.numerator,
        fps_den=fps.denominator,
        width=int(meta.get("width", 1920)),
        height=int(meta.get("height", 1080)),
        items=items,
        transitions=transitions,
        effects=[EffectItem(**e) for e in meta.get("effects", [])],
        texts=[TextItem(**t) for t in meta.get("texts", [])],
        audio=audio,
        look=LookItem(**meta["look"]) if meta.get("look") else LookItem(),
        **(meta.get("music") or {}),
    )


def _exact(meta: dict, key: str, text: str | None) -> float | None:
    """The float stored under `key`, made exact by its repr string when that is present."""
    if text is not None:
        try:
            return float(text)
        except ValueError:
            pass
    value = meta.get(key)
    return float(value) if isinstance(value, (int, float)) else None


def _clip_item(clip: otio.schema.Clip, start: int, end: int, shift: int, rate: float) -> ClipItem:
    """`shift`: record frames the item's start moved (re-centring a transition); the source
    start moves with it so the same picture stays on the same record frame."""
    item_meta = clip.metadata.get(META, {}) or {}
    source_start = clip.source_range.start_time.to_seconds()
    exact = _exact(item_meta, "source_start", item_meta.get("source_start_repr"))
    # The exact float survives only if the structure still says the same time (not re-trimmed).
    if exact is not None and abs(exact - source_start) < 0.5 / rate:
        source_start = float(exact)
    speed = _speed(clip)
    speed_end = item_meta.get("speed_end")
    if "speed" in item_meta:
        mean = item_meta["speed"] if speed_end is None else (item_meta["speed"] + speed_end) / 2
        if abs(mean - speed) < 1e-9:
            speed = float(item_meta["speed"])
        else:
            speed_end = None  # the warp was changed outside Reelwright: it wins, the ramp is gone
    if shift:
        source_start += shift * speed / rate
    return ClipItem(
        source=_edl_to_clip(clip) or _path_from_reference(clip.media_reference) or str(item_meta.get("source") or clip.name),
        source_start=max(source_start, 0.0),
        record_start=start,
        record_end=end,
        speed=speed,
        speed_end=speed_end,
        shot_index=int(item_meta.get("shot_index", -1)),
        **({"reframe": item_meta["reframe"]} if "reframe" in item_meta else {}),
    )


def _audio_from_tracks(tracks: list[otio.schema.Track], audio_meta: dict | None, rate: float) -> AudioTrack | None:
    found: list[tuple[int, AudioSegment, str]] = []
    for track in tracks:
        position = 0.0  # seconds
        for child in track:
            if child.source_range is None:
                continue
            seconds = child.source_range.duration.to_seconds()
            if isinstance(child, otio.schema.Clip):
                seg_meta = child.metadata.get(META, {}) or {}
                segment = {
                    "source_start": child.source_range.start_time.to_seconds(),
                    "record_start": position,
                    "duration": seconds,
                }
                for key in segment:  # prefer the exact floats while the structure agrees
                    exact = _exact(seg_meta, key, (seg_meta.get("repr") or {}).get(key))
                    if exact is not None and abs(exact - segment[key]) < 0.5 / rate:
                        segment[key] = exact
                order = int(seg_meta.get("index", len(found)))
                found.append((order, AudioSegment(**segment), _path_from_reference(child.media_reference)))
            position += seconds
    if not found:
        return None
    found.sort(key=lambda f: f[0])
    extra = dict(audio_meta or {})
    source = found[0][2] or extra.pop("source", None)
    extra.pop("source", None)
    return AudioTrack(source=source, segments=[f[1] for f in found], **extra)


# ---------------------------------------------------------------------------------- files


def _atomic_write(otio_timeline: otio.schema.Timeline, path: str | Path, adapter: str, **adapter_args) -> Path:
    """Write through an adapter to a temporary file beside `path`, then rename it over `path`,
    so a reader never sees half a file. The adapter creates the file (the umask applies)."""
    target = Path(path)
    if not target.parent.is_dir():
        raise OutputError(f"{target}: cannot write: {target.parent} is not an existing folder")
    tmp = target.parent / f".{target.name}.{uuid.uuid4().hex[:12]}.tmp"
    try:
        otio.adapters.write_to_file(otio_timeline, str(tmp), adapter_name=adapter, **adapter_args)
        os.replace(tmp, target)
    except otio.exceptions.NotSupportedError as exc:
        raise OutputError(f"{target}: the {adapter} adapter cannot express this timeline: {exc}") from exc
    except OSError as exc:
        raise OutputError(f"{target}: cannot write ({exc.strerror or exc})") from exc
    except Exception as exc:  # third-party adapter code: report it against the file it failed
        raise OutputError(f"{target}: the {adapter} adapter failed: {type(exc).__name__}: {exc}") from exc
    finally:
        if tmp.exists():
            tmp.unlink()
    return target


def write_otio(timeline: Timeline, path: str | Path, *, name: str = "reel") -> Path:
    """Write `.otio` (OTIO JSON); `read_otio` restores the Timeline exactly."""
    return _atomic_write(to_otio(timeline, name=name), path, "otio_json")


def write_fcp_xml(timeline: Timeline, path: str | Path, *, name: str = "reel") -> Path:
    """Write FCP 7 XML (Premiere, Resolve, Kdenlive import it). Record positions, clip sources,
    transitions and the music survive. Lost: reelwright metadata (effects, texts, look, ramps,
    reframing), time warps (speed), track markers; source in/out round to whole frames.
    The adapter can only express integer rates and N*1000/1001 rates."""
    fps = timeline.fps
    if fps.denominator != 1 and not (fps.denominator == 1001 and fps.numerator % 1000 == 0):
        raise OutputError(
            f"{path}: FCP XML expresses integer or N*1000/1001 frame rates only, not {fps.numerator}/{fps.denominator}"
        )
    otio_timeline = to_otio(timeline, name=name)
    # The adapter needs each file's extent; we do not know the media's length, so claim the
    # span the edit uses (transition handles included), starting at 0.
    rate = _rate(timeline)
    extent: dict[str, float] = {}
    for track in otio_timeline.tracks:
        for n, child in enumerate(track):
            if isinstance(child, otio.schema.Clip):
                end = child.source_range.end_time_exclusive().value + _handle_after(track, n)
                url = child.media_reference.target_url
                extent[url] = max(extent.get(url, 0.0), end)
    for track in otio_timeline.tracks:
        for child in track:
            if isinstance(child, otio.schema.Clip):
                child.media_reference.available_range = otio.opentime.TimeRange(
                    otio.opentime.RationalTime(0, rate),
                    otio.opentime.RationalTime(float(round(extent[child.media_reference.target_url] + 1)), rate),
                )
    return _atomic_write(otio_timeline, path, "fcp_xml")


def _handle_after(track: otio.schema.Track, n: int) -> float:
    following = track[n + 1] if n + 1 < len(track) else None
    if isinstance(following, otio.schema.Transition):
        return following.out_offset.value
    return 0.0


def write_edl(timeline: Timeline, path: str | Path, *, name: str = "reel") -> Path:
    """Write a CMX 3600 EDL of the video track. Record positions (cut frames), sources (as
    `* FROM CLIP NAME:` / `* FROM CLIP:` comments) and transitions survive, but every transition
    becomes a dissolve "D" (a non-dissolve is named in a `* REELWRIGHT TRANSITION:` comment) and
    an EDL dissolve starts at its event's cut (`from_otio` re-centres it). Speeds are M2 lines on
    integer rates (the adapter writes the source out of a speed event as duration / speed);
    on N*1000/1001 rates the adapter writes drop-frame timecode and its reader cannot parse M2
    lines with it, so the speed is only a `* REELWRIGHT SPEED:` comment. Lost: the music (the
    adapter writes one track), markers, effects, texts, the look; source times round to whole
    timecode frames. Reels are named R001.. per source (8 characters at most)."""
    otio_timeline = to_otio(timeline, name=name)
    for track in [t for t in otio_timeline.tracks if t.kind == otio.schema.TrackKind.Audio]:
        otio_timeline.tracks.remove(track)
    video = otio_timeline.tracks[0]
    video.markers.clear()
    # The adapter writes drop-frame timecode at N*1000/1001 rates, and its reader cannot parse
    # an M2 (speed) line with drop-frame timecode: there the speed goes into a comment only.
    speed_in_m2 = timeline.fps_den == 1
    reels: dict[str, str] = {}
    for child in video:
        if isinstance(child, otio.schema.Clip):
            reel = reels.setdefault(child.media_reference.target_url, f"R{len(reels) + 1:03d}")
            child.metadata.setdefault("cmx_3600", {})["reel"] = reel
            # Timecode truncates; round so the source in is the nearest frame.
            sr = child.source_range
            child.source_range = otio.opentime.TimeRange(
                otio.opentime.RationalTime(round(sr.start_time.value), sr.start_time.rate), sr.duration
            )
            if child.effects and not speed_in_m2:
                speed = child.effects[0].time_scalar
                child.effects.clear()
                child.metadata["cmx_3600"].setdefault("comments", []).append(f"REELWRIGHT SPEED: {speed:g}")
        elif isinstance(child, otio.schema.Transition) and child.transition_type != otio.schema.TransitionTypes.SMPTE_Dissolve:
            # The EDL has only dissolves; say what it was in the event comments.
            following = video[video.index(child) + 1]
            following.metadata.setdefault("cmx_3600", {}).setdefault("comments", []).append(
                f"REELWRIGHT TRANSITION: {child.name}"
            )
            child.transition_type = otio.schema.TransitionTypes.SMPTE_Dissolve
    return _atomic_write(otio_timeline, path, "cmx_3600", rate=_rate(timeline))


def read_otio(path: str | Path, *, rate: Fraction | float | None = None) -> Timeline:
    """Read a `.otio` file as a Timeline; anything else an installed adapter reads (by suffix:
    `.xml` FCP XML, `.edl` CMX EDL) is imported as a foreign timeline (see `from_otio`). An EDL
    does not say its frame rate: pass `rate` (e.g. Fraction(30000, 1001)) for one."""
    source = Path(path)
    if not source.is_file():
        raise MediaError(source, "no such file")
    adapter_args = {}
    if source.suffix.lower() == ".edl":
        if rate is None:
            raise MediaError(source, "an EDL does not record its frame rate", "pass rate=, e.g. 30000/1001")
        adapter_args["rate"] = float(rate)
    try:
        otio_timeline = otio.adapters.read_from_file(str(source), **adapter_args)
    except Exception as exc:  # adapters raise anything from JSON errors to ValueError
        raise MediaError(source, f"not a readable timeline: {exc}") from exc
    if not isinstance(otio_timeline, otio.schema.Timeline):
        raise MediaError(source, f"holds a {type(otio_timeline).__name__}, not a timeline")
    try:
        return from_otio(otio_timeline)
    except (PlanError, ValueError) as exc:
        raise MediaError(source, str(exc)) from exc
