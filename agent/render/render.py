"""Timeline → verified mp4, written atomically.

Layout: decode runs (each source range decoded once, ahead, at the output size, see runs.py) →
Python applies transitions (xfade on just the overlapping frames) and per-frame effects on
just the effect frames → one x264 encoder reads the frames from a pipe, applies the colour
look and text overlays, and muxes the pre-rendered, loudness-normalised music.
"""

from __future__ import annotations

import bisect
import json
import os
import subprocess
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from agent.errors import OutputError, RenderError
from agent.media.probe import probe
from agent.render import effects as fx
from agent.render.ffmpeg_graph import audio_args, encoder_args, look_filters, text_filter
from agent.render.filters import FilterSpan
from agent.render.glsl import GLSLEngine
from agent.render.runs import ItemFrames, RunDecoder, keyframe_times, plan_runs
from agent.render.transitions import blend
from agent.render.verify import verify_output
from agent.timeline.model import EffectItem, Timeline, transition_handles

Progress = Callable[[int, int], None]


@dataclass
class RenderResult:
    path: Path
    frames: int
    duration: float
    width: int
    height: int
    fps: float
    seconds: float
    preview: bool
    warnings: list[str] = field(default_factory=list)


def preview_timeline(timeline: Timeline, height: int) -> Timeline:
    """The same timeline at a lower resolution (short side = `height`), for fast previews."""
    short = min(timeline.width, timeline.height)
    if short <= height:
        return timeline
    scale = height / short
    return timeline.model_copy(update={"width": max(2, int(timeline.width * scale) // 2 * 2),
                                       "height": max(2, int(timeline.height * scale) // 2 * 2)})


def check_writable(out_path: Path) -> None:
    parent = out_path.parent
    if not parent.exists():
        try:
            parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutputError(f"{out_path}: cannot create the output folder ({exc.strerror}); "
                              f"choose another -o path") from exc
    if not parent.is_dir() or not os.access(parent, os.W_OK):
        raise OutputError(f"{out_path}: the output folder is not writable; choose another -o path")
    if out_path.is_dir():
        raise OutputError(f"{out_path}: is a directory; give a file name ending in .mp4")


class _Sources:
    """Each item's frames, from the decode runs (see runs.py), opened as the encoder reaches them."""

    def __init__(self, timeline: Timeline, heads: list[int], tails: list[int], tmp_dir: Path):
        uses = Counter(item.source for item in timeline.items)
        paths = sorted(uses)
        with ThreadPoolExecutor(max_workers=4) as pool:  # ffprobe processes, side by side
            infos = dict(zip(paths, pool.map(lambda path: probe(path, file_hash="-"), paths)))
            shared = [path for path in paths if uses[path] > 1]  # only these can share a run
            keyframes = dict(zip(shared, pool.map(keyframe_times, shared)))
        videos = {}
        for path, info in infos.items():
            if info.video is None:
                raise RenderError(f"{path}: has no video stream to render")
            videos[path] = info.video
        runs, self._placement = plan_runs(timeline, heads, tails, videos, keyframes)
        self._counts = [heads[i] + item.frames + tails[i] for i, item in enumerate(timeline.items)]
        self.decoder = RunDecoder(timeline, runs, videos, tmp_dir)
        self._open: dict[int, ItemFrames] = {}

    def get(self, index: int) -> ItemFrames:
        if index not in self._open:
            run, first = self._placement[index]
            self._open[index] = self.decoder.frames(run, first, self._counts[index])
        return self._open[index]

    def release(self, index: int) -> ItemFrames | None:
        return self._open.pop(index, None)

    def close(self) -> None:
        for source in self._open.values():
            source.close()
        self._open.clear()
        self.decoder.close()


def _effects_by_frame(effects: list[EffectItem]) -> dict[int, list[EffectItem]]:
    table: dict[int, list[EffectItem]] = {}
    for effect in effects:
        for frame_no in range(effect.start_frame, effect.end_frame):
            table.setdefault(frame_no, []).append(effect)
    return table


def _frames(timeline: Timeline, sources: _Sources, tmp_dir: Path, warnings: list[str], engine: GLSLEngine):
    """Yield the reel's frames in order: items, transitions mixed in, effects applied."""
    tl = timeline
    transitions = {tr.index: tr for tr in tl.transitions}
    position = 0
    for index, item in enumerate(tl.items):
        source = sources.get(index)
        incoming = transitions.get(index + 1)
        stop = incoming.start_frame if incoming else item.record_end
        for frame in source:
            if position >= stop:
                break
            yield position, frame
            position += 1
        if incoming:
            # The frame that broke the loop above is the first of the outgoing run.
            outgoing = [frame] + source.take(incoming.frames - 1)
            following = sources.get(index + 1)
            mixed = blend(outgoing, following.take(incoming.frames), width=tl.width, height=tl.height,
                          fps=tl.fps, name=incoming.name, expr=incoming.expr, tmp_dir=tmp_dir,
                          shader=incoming.shader, params=incoming.params, engine=engine)
            for frame in mixed:
                yield position, frame
                position += 1
        if source.short_by:
            warnings.append(f"{item.source}: ran out {source.short_by} frame(s) early at "
                            f"{item.source_start:.2f}s; the last frame was held")
        done = sources.release(index)
        if done:
            done.close()


def _phase(times: list[float], t: float) -> float:
    """Where t sits between the grid times around it, 0..1 (0 before the first or after the last)."""
    i = bisect.bisect_right(times, t) - 1
    if i < 0 or i + 1 >= len(times):
        return 0.0
    return (t - times[i]) / (times[i + 1] - times[i])


def music_uniforms(timeline: Timeline, effect: EffectItem, frame_no: int) -> dict[str, float]:
    """The uniforms a GLSL effect sees at one frame: its own time and progress, and the music's."""
    t = frame_no / float(timeline.fps)
    span = max(1, effect.end_frame - effect.start_frame)
    energy = 0.0
    if timeline.energy:
        energy = timeline.energy[min(int(t / timeline.energy_hop), len(timeline.energy) - 1)]
    return {"time": (frame_no - effect.start_frame) / float(timeline.fps),
            "progress": (frame_no - effect.start_frame) / span,
            "beat": _phase(timeline.beats, t), "downbeat": _phase(timeline.downbeats, t), "energy": energy}


def _apply_frame_effects(frame: bytes, position: int, active: list[EffectItem], timeline: Timeline,
                         engine: GLSLEngine) -> bytes:
    """Built-ins on the yuv planes, then the GLSL layers (ffmpeg chains are streamed separately)."""
    width, height = timeline.width, timeline.height
    builtin = [e for e in active if e.kind in fx.BUILTIN]
    if builtin:
        frame = fx.apply_effects(frame, position, builtin, width, height)
    layers = [(e.shader, {**e.params, **music_uniforms(timeline, e, position)}) for e in active if e.kind == "glsl"]
    if layers:
        frame = engine.effects_yuv(frame, width, height, layers)
    return frame


def _apply(stream, timeline: Timeline, engine: GLSLEngine):
    """Effects on just the frames they cover: built-ins on the yuv planes, then GLSL layers, then
    an ffmpeg filter chain streamed over its span."""
    per_frame = _effects_by_frame(timeline.effects)
    span: FilterSpan | None = None
    span_end = delivered = 0
    try:
        for position, frame in stream:
            active = per_frame.get(position)
            if active:
                frame = _apply_frame_effects(frame, position, active, timeline, engine)
            chain = next((e for e in active if e.kind == "ffmpeg"), None) if active else None
            if chain is not None and span is None:
                span = FilterSpan(chain.filter, timeline.width, timeline.height, timeline.fps,
                                  f"effect at frame {position}")
                span_end, delivered = chain.end_frame, 0
            if span is None:
                yield frame
                continue
            ready = span.push(frame)
            delivered += len(ready)
            yield from ready
            if position + 1 >= span_end:
                yield from span.finish(delivered)
                span.close()
                span = None
        if span is not None:  # the reel ended inside the span
            yield from span.finish(delivered)
    finally:
        if span is not None:
            span.close()


def render(timeline: Timeline, out_path: str | Path, *, preview: bool = False, preview_height: int = 360,
           preset: str = "superfast", crf: int = 20, threads: int = 0,
           progress: Progress | None = None) -> RenderResult:
    """Render `timeline` to `out_path` (mp4, H.264/AAC). Atomic: the file appears only verified."""
    started = time.monotonic()
    out_path = Path(out_path)
    check_writable(out_path)
    if not timeline.items:
        raise RenderError("the timeline has no clips to render")
    if preview:
        timeline = preview_timeline(timeline, preview_height)
        preset, crf = "ultrafast", 28
    tl = timeline
    warnings: list[str] = []
    partial = out_path.with_name(f".{out_path.stem}.partial{os.getpid()}.mp4")
    heads, tails = transition_handles(len(tl.items), tl.transitions)
    with tempfile.TemporaryDirectory(prefix="reelwright-render-") as tmp:
        tmp_dir = Path(tmp)
        sources = None
        engine = GLSLEngine()  # its GL context starts only if a GLSL span comes up
        try:
            sources = _Sources(tl, heads, tails, tmp_dir)
            audio_path = _render_audio(tl, tmp_dir) if tl.audio else None
            filters = look_filters(tl.look)
            for n, text in enumerate(tl.texts):
                textfile = tmp_dir / f"text{n}.txt"
                textfile.write_text(text.text, encoding="utf-8")
                filters.append(text_filter(text, textfile, tl.height))
            args = encoder_args(tl, partial, audio_path=audio_path, video_filters=filters,
                                preset=preset, crf=crf, threads=threads)
            _encode(args, _apply(_frames(tl, sources, tmp_dir, warnings, engine), tl, engine), tl.frame_count,
                    progress)
            verify_output(partial, width=tl.width, height=tl.height, fps=tl.fps, frames=tl.frame_count,
                          audio=tl.audio is not None)
            os.replace(partial, out_path)
        finally:
            if sources is not None:
                sources.close()
            engine.close()
            partial.unlink(missing_ok=True)
    return RenderResult(path=out_path, frames=tl.frame_count, duration=tl.duration, width=tl.width,
                        height=tl.height, fps=float(tl.fps), seconds=time.monotonic() - started,
                        preview=preview, warnings=warnings)


MAX_GAIN_DB = 30.0


def _loudness(timeline: Timeline, gain_db: float | None) -> float | None:
    """Integrated loudness (LUFS) of the mix after `gain_db` and the limiter; None for silence."""
    proc = subprocess.run(audio_args(timeline, None, gain_db=gain_db), capture_output=True, text=True, timeout=600)
    start, end = proc.stderr.rfind("{"), proc.stderr.rfind("}")
    try:
        value = float(json.loads(proc.stderr[start:end + 1])["input_i"]) if proc.returncode == 0 else None
    except (ValueError, KeyError):
        return None
    return value if value is not None and value > -70 else None


def _loudness_gain(timeline: Timeline) -> float | None:
    """The gain that brings the limited mix to the timeline's loudness target: measured, then
    corrected once for what the limiter takes off the peaks. None: silent, left as it is."""
    target = timeline.audio.loudness_lufs
    measured = _loudness(timeline, None)
    if measured is None:
        return None
    gain = min(MAX_GAIN_DB, target - measured)
    limited = _loudness(timeline, gain)
    if limited is not None:
        gain = min(MAX_GAIN_DB, gain + (target - limited))
    return gain


def _render_audio(timeline: Timeline, tmp_dir: Path) -> Path:
    out = tmp_dir / "music.wav"
    proc = subprocess.run(audio_args(timeline, out, gain_db=_loudness_gain(timeline)), capture_output=True,
                          text=True, timeout=600)
    if proc.returncode != 0 or not out.exists():
        raise RenderError(f"{timeline.audio.source}: audio mix failed: {proc.stderr.strip()[-400:]}")
    return out


def _encode(args: list[str], frames, total: int, progress: Progress | None) -> None:
    proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    errors: list[bytes] = []
    reader = threading.Thread(target=lambda: errors.append(proc.stderr.read()), daemon=True)
    reader.start()
    written = 0
    try:
        for frame in frames:
            proc.stdin.write(frame)
            written += 1
            if progress and (written % 10 == 0 or written == total):
                progress(written, total)
        proc.stdin.close()
    except BrokenPipeError:
        pass
    except BaseException:
        proc.kill()
        proc.wait()
        raise
    code = proc.wait()
    reader.join()
    if code != 0 or written != total:
        detail = b"".join(errors).decode(errors="replace").strip()[-600:]
        raise RenderError(f"encoder failed after {written}/{total} frames (exit {code}): {detail}")
