"""Checks, independent of the critic, that a bad reel has its defect and its good twin has not.

Each check measures the two files (ffprobe, decoded luma at a quarter of the size, decoded audio,
the video stream's packet hash) and the timelines they were rendered from, against fixed
thresholds. A pair whose check fails is reported and left out of the accuracy: a defect that
silently did not happen would make the evaluation meaningless.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from agent.timeline.model import Timeline
from agent.timeline.plan import ASPECT_RATIOS
from evals.critic_defects import OFFBEAT_MS, _blocked_frames, overlapping_items
from evals.critic_pairs import Reel, Source

RECOVERY = 3  # frames after a changed stretch in which x264 still differs (up to ~4.3 on noise)
BLACK_MEAN = 35.0  # 8-bit luma (video range: black is 16) at or under which a flat frame is black
FLAT_STD = 4.0  # spatial luma deviation under which a frame is one flat colour
SAME = 3.0  # mean absolute luma difference under which two frames show the same picture
STILL = 1.0  # mean absolute difference between consecutive frames under which the picture stands
# A still re-encoded by x264 keeps sharpening for a few frames after a cut: on high-detail
# footage (cellular automata) its frames differ by up to ~2 while the moving original changes by
# 55-80 a frame. So a span also counts as standing when it changes under a tenth of the good
# reel's span, and never over STILL_MAX.
STILL_SHARE = 0.1
STILL_MAX = 4.0  # measured: up to 2.54 on the first frame after the cut, then decaying to 0
CLIP_LEVEL = 0.97  # |sample| at or over this counts as clipped (full scale = 1.0)


@dataclass
class Check:
    measured: dict = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def need(self, condition: bool, problem: str) -> None:
        if not condition:
            self.problems.append(problem)


# ---------------------------------------------------------------------------------- measurements


def probe(path: Path) -> dict:
    proc = subprocess.run(["ffprobe", "-v", "error", "-print_format", "json", "-show_streams", "-show_format",
                           str(path)], capture_output=True, text=True, timeout=60, check=True)
    data = json.loads(proc.stdout)
    video = next(s for s in data["streams"] if s["codec_type"] == "video")
    return {"width": int(video["width"]), "height": int(video["height"]), "frames": int(video.get("nb_frames", -1)),
            "duration": float(data["format"]["duration"]),
            "audio": any(s["codec_type"] == "audio" for s in data["streams"])}


@lru_cache(maxsize=6)
def _planes(path: str, mtime: float, pix_fmt: str) -> np.ndarray:
    info = probe(Path(path))
    w, h = info["width"] // 8 * 2, info["height"] // 8 * 2
    raw = subprocess.run(["ffmpeg", "-v", "error", "-nostdin", "-i", path, "-vf", f"scale={w}:{h}:flags=area",
                          "-pix_fmt", pix_fmt, "-f", "rawvideo", "pipe:1"], capture_output=True, check=True,
                         timeout=300).stdout
    frames = np.frombuffer(raw, np.uint8)
    return frames.reshape(-1, h, w) if pix_fmt == "gray" else frames.reshape(-1, 3, h, w)


def gray_frames(path: Path) -> np.ndarray:
    """Every frame's luma at a quarter of the width and height (area-averaged)."""
    return _planes(str(path), Path(path).stat().st_mtime, "gray")


def yuv_frames(path: Path) -> np.ndarray:
    """Every frame's Y, U and V planes (n, 3, h, w) at a quarter of the width and height."""
    return _planes(str(path), Path(path).stat().st_mtime, "yuv444p")


def audio_samples(path: Path) -> np.ndarray:
    raw = subprocess.run(["ffmpeg", "-v", "error", "-nostdin", "-i", str(path), "-map", "0:a", "-f", "f32le",
                          "-acodec", "pcm_f32le", "pipe:1"], capture_output=True, check=True, timeout=300).stdout
    return np.frombuffer(raw, np.float32)


def video_md5(path: Path) -> str:
    return subprocess.run(["ffmpeg", "-v", "error", "-nostdin", "-i", str(path), "-map", "0:v", "-c", "copy",
                           "-f", "md5", "pipe:1"], capture_output=True, text=True, check=True, timeout=120).stdout.strip()


def frame_diffs(frames: np.ndarray) -> np.ndarray:
    """d[k] = mean |frame k - frame k-1| (d[0] = 0)."""
    d = np.abs(np.diff(frames.astype(np.int16), axis=0)).mean(axis=(1, 2))
    return np.concatenate([[0.0], d])


def is_black(frame: np.ndarray) -> bool:
    return float(frame.mean()) <= BLACK_MEAN and float(frame.std()) <= FLAT_STD


def blockiness(frame: np.ndarray) -> float:
    """How much more neighbouring pixels differ across the edges of 2-px blocks than inside them.
    The garbage of a broken transition is 8-px cells, 2 px on the quarter-size frames (and
    aligned: every preview width divides by 8), so it scores ~30-100; pictures score ~1-4."""
    d = np.abs(np.diff(frame.astype(np.int16), axis=1))
    return float(d[:, 1::2].mean() / max(0.5, d[:, 0::2].mean()))


def coarse(frames: np.ndarray, k: int = 4) -> np.ndarray:
    """Frames averaged over k x k blocks: fine moving texture (cellular automata, noise) averages
    out, a change of picture does not."""
    n, h, w = frames.shape
    cropped = frames[:, :h // k * k, :w // k * k].astype(np.float32)
    return cropped.reshape(n, h // k, k, w // k, k).mean(axis=(2, 4))


def cuts_seen(frames: np.ndarray, timeline: Timeline) -> float:
    """Share of the hard cuts (no transition on them) that show in the file as a jump in the
    picture: a difference of 8 x 8-block means >= 6 and >= 2.5 x the median difference of the 10
    frames around (blocks that large average a cellular automaton's churn out)."""
    d = frame_diffs(coarse(frames, 8))
    softened = {tr.cut_frame for tr in timeline.transitions}
    hard = [c for c in timeline.cut_frames() if c not in softened]
    if not hard:
        return 1.0
    seen = 0
    for c in hard:
        around = np.concatenate([d[max(1, c - 5):c], d[c + 1:c + 6]])
        seen += d[c] >= max(6.0, 2.5 * float(np.median(around)) if len(around) else 6.0)
    return seen / len(hard)


def _max_diff_outside(a: np.ndarray, b: np.ndarray, skip: tuple[int, int]) -> float:
    """Largest coarse-frame difference between two reels outside the frames [skip)."""
    n = min(len(a), len(b))
    keep = np.ones(n, bool)
    keep[max(0, skip[0]):min(n, skip[1])] = False
    if not keep.any():
        return 0.0
    # Coarse frames: two encodes of the same picture differ by encoder noise on fine texture
    # (up to ~5 at full detail after a changed stretch), not in their 4 x 4 block means.
    d = np.abs(coarse(a[:n][keep]) - coarse(b[:n][keep])).mean(axis=(1, 2))
    return float(d.max())


def _offsets_ms(timeline: Timeline, beats: list[float]) -> np.ndarray:
    cuts = np.array(timeline.cut_frames()) / float(timeline.fps)
    grid = np.asarray(beats)
    if not len(cuts) or not len(grid):
        return np.zeros(0)
    return (cuts - grid[np.argmin(np.abs(cuts[:, None] - grid[None, :]), axis=1)]) * 1000.0


def _r(x: float, digits: int = 3) -> float:
    return round(float(x), digits)


# ---------------------------------------------------------------------------------- per kind


def _offbeat(check: Check, source: Source, good: Reel, bad: Reel) -> None:
    fps = float(good.rendered.fps)
    good_off = np.abs(_offsets_ms(good.rendered, source.timeline.beats))
    bad_off = np.abs(_offsets_ms(bad.rendered, source.timeline.beats))
    true_good = np.abs(_offsets_ms(good.rendered, source.true_beats))
    true_bad = np.abs(_offsets_ms(bad.rendered, source.true_beats))
    check.measured.update(
        good_max_offset_ms=_r(good_off.max(), 1), bad_min_offset_ms=_r(bad_off.min(), 1),
        bad_max_offset_ms=_r(bad_off.max(), 1), good_median_offset_true_ms=_r(np.median(true_good), 1),
        bad_median_offset_true_ms=_r(np.median(true_bad), 1),
        good_cuts_seen=_r(cuts_seen(gray_frames(good.path), good.rendered)),
        bad_cuts_seen=_r(cuts_seen(gray_frames(bad.path), bad.rendered)))
    check.need(good_off.max() <= 500.0 / fps + 1.0, f"good reel cuts up to {good_off.max():.0f} ms off the beat")
    check.need(((bad_off >= OFFBEAT_MS[0] - 0.5) & (bad_off <= OFFBEAT_MS[1] + 0.5)).all(),
               f"bad reel cut offsets {bad_off.min():.0f}-{bad_off.max():.0f} ms, not all within {OFFBEAT_MS}")
    same_shots = [(i.source, i.shot_index) for i in good.rendered.items] == \
                 [(i.source, i.shot_index) for i in bad.rendered.items]
    check.need(same_shots, "the bad reel's items differ from the good one's in count or shots")
    check.need(check.measured["good_cuts_seen"] >= 0.9 and check.measured["bad_cuts_seen"] >= 0.9,
               "the timeline's cuts do not show in the files")


def _black(check: Check, source: Source, good: Reel, bad: Reel) -> None:
    a = bad.details["start_frame"]
    b = a + bad.details["frames"]
    g, x = gray_frames(good.path), gray_frames(bad.path)
    check.measured.update(
        black_frames=b - a, bad_mean_luma=_r(x[a:b].mean(), 1), bad_max_std=_r(x[a:b].std(axis=(1, 2)).max(), 2),
        good_black_frames=int(sum(is_black(f) for f in g)), good_span_mean_luma=_r(g[a:b].mean(), 1),
        elsewhere_max_diff=_r(_max_diff_outside(g, x, (a - 1, b + RECOVERY)), 2))
    check.need(all(is_black(f) for f in x[a:b]), "the bad reel's span is not all black")
    check.need(b - a >= 6, "fewer than six black frames")
    check.need(check.measured["good_black_frames"] == 0, "the good reel has black frames")
    check.need(check.measured["elsewhere_max_diff"] <= SAME, "the bad reel differs from the good one elsewhere")


def _aspect(check: Check, source: Source, good: Reel, bad: Reel) -> None:
    a, b = ASPECT_RATIOS[source.plan.aspect]
    asked = a / b
    pg, pb = probe(good.path), probe(bad.path)
    rg, rb = pg["width"] / pg["height"], pb["width"] / pb["height"]
    check.measured.update(asked=source.plan.aspect, good_size=[pg["width"], pg["height"]],
                          bad_size=[pb["width"], pb["height"]], good_ratio_error=_r(abs(rg / asked - 1)),
                          bad_ratio_error=_r(abs(rb / asked - 1)))
    check.need(abs(rg / asked - 1) <= 0.02, "the good reel's aspect is not the one asked for")
    check.need(abs(rb / asked - 1) >= 0.3, "the bad reel's aspect is close to the one asked for")
    check.need(pg["frames"] == pb["frames"], "the two reels differ in length")


def _frozen(check: Check, source: Source, good: Reel, bad: Reel) -> None:
    first, last = bad.details["frozen_frames"]
    fps = float(good.rendered.fps)
    n = bad.details["item"]
    item = good.rendered.items[n]
    # The item's own frames and the transitions into and out of it show the still.
    around = [t for t in good.rendered.transitions if t.index in (n, n + 1)]
    skip = (min([item.record_start, *(t.start_frame for t in around)]) - 1,
            max([item.record_end, *(t.end_frame for t in around)]) + RECOVERY)
    g, x = gray_frames(good.path), gray_frames(bad.path)
    dg, dx = frame_diffs(g)[first + 1:last], frame_diffs(x)[first + 1:last]
    check.measured.update(frozen_seconds=_r((last - first) / fps), bad_max_motion=_r(dx.max(), 3),
                          good_median_motion=_r(np.median(dg), 3), good_min_motion=_r(dg.min(), 3),
                          elsewhere_max_diff=_r(_max_diff_outside(g, x, skip), 2))
    check.need(last - first >= fps, "the frozen span is shorter than a second")
    check.need(dx.max() <= min(STILL_MAX, max(STILL, STILL_SHARE * np.median(dg))),
               "the bad reel's picture moves inside the frozen span")
    check.need(np.median(dg) >= 2 * STILL, "the good reel hardly moves over the same span")
    check.need(check.measured["elsewhere_max_diff"] <= SAME, "the bad reel differs from the good one elsewhere")


def _clipped(check: Check, source: Source, good: Reel, bad: Reel) -> None:
    sg, sb = audio_samples(good.path), audio_samples(bad.path)
    check.measured.update(
        good_peak=_r(np.abs(sg).max()), bad_peak=_r(np.abs(sb).max()),
        good_clipped_share=_r(np.mean(np.abs(sg) >= CLIP_LEVEL), 5),
        bad_clipped_share=_r(np.mean(np.abs(sb) >= CLIP_LEVEL), 5),
        same_video=video_md5(good.path) == video_md5(bad.path))
    check.need(check.measured["good_clipped_share"] <= 1e-4, "the good reel's audio clips")
    check.need(check.measured["bad_clipped_share"] >= 0.01, "under 1% of the bad reel's samples are clipped")
    check.need(check.measured["same_video"], "the bad reel's video stream is not the good one's")


def _broken_transition(check: Check, source: Source, good: Reel, bad: Reel) -> None:
    s, e = bad.details["broken_frames"]
    tr = next(t for t in good.rendered.transitions if t.cut_frame == bad.details["cut_frame"])
    g, x = gray_frames(good.path), gray_frames(bad.path)
    # the change in colour as well as in luma: a magenta frame over footage of its brightness
    gc, xc = (yuv_frames(p)[s:e] for p in (good.path, bad.path))
    n, _, h, w = gc.shape
    changed = np.abs(coarse(gc.reshape(n * 3, h, w)) - coarse(xc.reshape(n * 3, h, w))).reshape(n, 3, -1)
    changed = changed.mean(axis=2).max(axis=1)  # per frame, the plane that changed most
    check.measured.update(
        mode=bad.details["mode"], broken_frames=e - s, inside_transition=tr.start_frame <= s and e <= tr.end_frame,
        bad_max_std=_r(x[s:e].std(axis=(1, 2)).max(), 2), good_min_std=_r(g[s:e].std(axis=(1, 2)).min(), 2),
        min_change=_r(changed.min(), 2), bad_blockiness=_r(min(blockiness(f) for f in x[s:e]), 2),
        good_blockiness=_r(max(blockiness(f) for f in g[s:e]), 2),
        elsewhere_max_diff=_r(_max_diff_outside(g, x, (s - 1, e + RECOVERY)), 2))
    check.need(check.measured["inside_transition"], "the broken frames are not inside the transition")
    check.need(e - s >= 3, "fewer than three broken frames")
    if bad.details["mode"] == "blocks":
        check.need(check.measured["bad_blockiness"] >= max(10.0, 3 * check.measured["good_blockiness"]),
                   "the garbage frames are not blocky")
    else:
        # Some footage is flat in luma (the demo gradient runs between two colours of one
        # brightness), so the good frames are not asked to be textured, only to differ.
        check.need(check.measured["bad_max_std"] <= FLAT_STD, "the broken frames are not one flat colour")
        check.need(check.measured["min_change"] >= 10.0, "the broken frames look like the good ones")
    check.need(check.measured["elsewhere_max_diff"] <= SAME, "the bad reel differs from the good one elsewhere")


def _duration(check: Check, source: Source, good: Reel, bad: Reel) -> None:
    asked = source.plan.duration
    dg, db = probe(good.path)["duration"], probe(bad.path)["duration"]
    check.measured.update(asked_s=asked, good_s=_r(dg), bad_s=_r(db), bad_ratio=_r(db / asked))
    check.need(abs(dg - asked) <= 1.0 / float(good.rendered.fps) + 0.05, "the good reel's duration is off")
    check.need(abs(db / asked - 1) >= 0.2, "the bad reel's duration is within 20% of the request")


def _too_few_cuts(check: Check, source: Source, good: Reel, bad: Reel) -> None:
    beat = 60.0 / source.analysis.music.tempo
    fps = float(good.rendered.fps)

    def intervals(tl: Timeline) -> np.ndarray:
        return np.diff(np.array(tl.cut_frames()) / fps) / beat

    ig, ib = intervals(good.rendered), intervals(bad.rendered)
    cg, cb = len(good.rendered.cut_frames()), len(bad.rendered.cut_frames())
    check.measured.update(good_cuts=cg, bad_cuts=cb, good_median_interval_beats=_r(np.median(ig), 2),
                          bad_min_interval_beats=_r(ib.min(), 2) if len(ib) else None,
                          bad_cuts_seen=_r(cuts_seen(gray_frames(bad.path), bad.rendered)))
    check.need(len(ig) and np.median(ig) <= 1.25, "the good reel does not cut on every beat")
    check.need(cb >= 1 and cb * 4 <= cg, "the bad reel does not have a quarter of the cuts or fewer")
    check.need(not len(ib) or ib.min() >= 6.0, "the bad reel cuts more often than every 6 beats")
    check.need(check.measured["bad_cuts_seen"] >= 0.9, "the bad reel's cuts do not show in the file")


def _repeated(check: Check, source: Source, good: Reel, bad: Reel) -> None:
    tl = bad.rendered
    anchor, copies = bad.details["anchor"], bad.details["copies"]
    # Coarse frames: two encodes of the same high-detail footage differ by up to ~3.5 in full
    # detail, ~1 in block means; different footage differs by 30 or more.
    g, x = coarse(gray_frames(good.path)), coarse(gray_frames(bad.path))
    blocked = _blocked_frames(tl, ffmpeg_only=False)
    a = tl.items[anchor]
    same, other = [], []
    for c in copies:
        item = tl.items[c]
        offsets = [o for o in range(min(a.frames, item.frames))
                   if not blocked[a.record_start + o] and not blocked[item.record_start + o]]
        if not offsets:
            check.problems.append(f"item {c}: no clean frame to compare with the anchor")
            continue
        pa = [a.record_start + o for o in offsets]
        pc = [item.record_start + o for o in offsets]
        same.append(float(np.abs(x[pa] - x[pc]).mean(axis=(1, 2)).min()))
        other.append(float(np.abs(g[pa] - g[pc]).mean(axis=(1, 2)).min()))
    uses = {}
    for item in tl.items:
        uses[(item.source, item.source_start)] = uses.get((item.source, item.source_start), 0) + 1
    check.measured.update(uses=max(uses.values()), good_overlaps=len(overlapping_items(good.rendered)),
                          bad_match_diff=[_r(v, 2) for v in same], good_match_diff=[_r(v, 2) for v in other])
    check.need(max(uses.values()) >= 3, "no footage is used three times")
    check.need(not check.measured["good_overlaps"], "the good reel repeats footage")
    check.need(bool(same) and max(same) <= SAME, "the repeated items do not show the anchor's picture")
    check.need(bool(other) and min(other) >= 3 * SAME, "the good reel shows the anchor's picture there too")


_CHECKS = {"offbeat": _offbeat, "black": _black, "wrong_aspect": _aspect, "frozen": _frozen,
           "clipped_audio": _clipped, "broken_transition": _broken_transition, "wrong_duration": _duration,
           "too_few_cuts": _too_few_cuts, "repeated_shot": _repeated}


def verify(kind: str, source: Source, good: Reel, bad: Reel) -> Check:
    check = Check()
    try:
        _CHECKS[kind](check, source, good, bad)
    except (subprocess.SubprocessError, ValueError, IndexError, StopIteration) as exc:
        check.problems.append(f"check failed to measure: {type(exc).__name__}: {exc}")
    return check
