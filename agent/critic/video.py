"""What the critic sees in the picture: one low-resolution decoding pass (the shot detector's
features) turned into cuts, transitions, black and frozen stretches, flicker, exposure,
sharpness, colourfulness, letterboxing, flashes and repeated shots."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from agent.media.shots import FrameFeatures, decode_features, shots_from_features

BLACK_LUMA, BLACK_STD = 0.07, 0.03  # mean / std of luma (0..1) of a black frame
FLAT_STD = 0.02  # a frame this flat in luma and in both chroma planes shows nothing (blank or broken)
FROZEN_DIFF = 0.03  # mean |diff| of the luma thumbnail (grey levels) between frames of a frozen picture:
# a held frame re-encoded measured 0.000-0.016, the slowest moving demo clip (a gradient) 0.04 and up
FROZEN_MIN_S = 0.5
REPEAT_DIFF = 1.5  # grey levels: runs of frames matching this closely are the same footage (re-encoded
# repeats measured 0.05-0.6, different moments of a near-static test pattern 0.9 and up)
REPEAT_RUN = 5  # frames
REPEAT_SHARE = 0.4  # ... and closer than this share of how much the shot changes over REPEAT_RUN frames
GARBLED_JAG = 1.7  # a frame this much unlike both neighbours (see `jaggedness`) is garbage, not motion:
# blocky garbage measured 1.8-1.9, the most violent good slide 1.65, smooth transitions about 1
GARBLED_EDGE = 1.25  # ... and the frames around it this jagged belong to the same stretch of garbage: a
# run of k garbage frames peaks only in its k - 2 inner frames (its first and last measured 1.29-1.5,
# next to good frames), while a flash inside a good transition stands alone (its neighbours 0.9-1.0)
GARBLED_STRETCH = 3  # frames: seed-2 good transitions' longest stretch was 1 (flashes), blocky garbage 4 and up
# A glitch xfade picks each pixel from A or B, so its frames stay inside the range of the frames on
# either side of it; garbage does not. Share of thumbnail values more than UNEXPLAINED_TOL grey levels
# outside that range: good glitch transitions measured at most 0.10, blocky garbage over them 0.18-0.28
# (seed-3 eval set). Fast motion during the transition moves good frames out of the range too.
UNEXPLAINED_TOL = 12
UNEXPLAINED_SHARE = 0.15
FLASH_JUMP = 0.25  # luma rise in one frame that reads as a flash
FLASH_SETTLED = 0.04  # ... it has faded once the luma is back within this of the frame before it (or no
# longer falls by a quarter of this a frame: a flash into a brighter shot never gets back)
_Y = 18 * 32  # luma part of a thumbnail
_UV = 9 * 16  # each chroma plane's part after it


@dataclass(frozen=True)
class Runs:
    """Stretches [start, end) in seconds."""
    spans: list[tuple[float, float]] = field(default_factory=list)

    @property
    def seconds(self) -> float:
        return float(sum(b - a for a, b in self.spans))


@dataclass(frozen=True)
class VideoMeasures:
    fps: float
    frames: int
    decoded_s: float
    cuts: list[float]  # hard cuts, seconds
    gradual: list[tuple[float, float, str]]  # (start, end, kind) of dissolves and fades
    black: Runs
    frozen: Runs
    flicker_share: float
    badly_exposed_share: float
    sharpness: float  # median mean |Laplacian| of the small luma, 0..1
    colourfulness: float  # median chroma distance from grey, 0..1
    bars: str  # "" or "letterbox" / "pillarbox": black bands through the whole reel
    flashes: list[float]
    flashed: np.ndarray  # per frame: True from a flash's onset until the picture is back to its brightness
    repeated: list[tuple[int, int]]  # pairs of shot indices showing the same footage
    flat: np.ndarray  # per frame: True where the frame is blank (a one-frame white flash is not)
    jag: np.ndarray  # per frame: how unlike both neighbours it is (see `jaggedness`)
    thumbs: np.ndarray  # (N, 864) uint8 luma + chroma thumbnails (see agent.media.shots.FrameFeatures)
    warnings: list[str]


def _runs(mask: np.ndarray, pts: np.ndarray, step: float, min_frames: int) -> Runs:
    spans, start = [], None
    for i, flag in enumerate([*mask.tolist(), False]):
        if flag and start is None:
            start = i
        elif not flag and start is not None:
            if i - start >= min_frames:
                spans.append((float(pts[start]), float(pts[i - 1] + step)))
            start = None
    return Runs(spans)


def _bars(features: FrameFeatures) -> str:
    y = features.thumbs[:, :_Y].reshape(-1, 18, 32).astype(np.float32)
    dark = lambda region: (region.mean(axis=(1, 2)) < 20).mean() > 0.9  # noqa: E731
    centre_lit = (y[:, 6:12, 10:22].mean(axis=(1, 2)) > 30).mean() > 0.5
    if not centre_lit:
        return ""
    if dark(y[:, :2, :]) and dark(y[:, -2:, :]):
        return "letterbox"
    if dark(y[:, :, :2]) and dark(y[:, :, -2:]):
        return "pillarbox"
    return ""


def _best_run(values: np.ndarray) -> float:
    """The lowest mean over REPEAT_RUN consecutive values."""
    sums = np.convolve(values, np.ones(REPEAT_RUN), mode="valid")
    return float(sums.min()) / REPEAT_RUN


def _repeated(features: FrameFeatures, starts: list[int]) -> list[tuple[int, int]]:
    """Shots that show the same footage: some run of REPEAT_RUN frames of one matches a run of
    the other frame by frame (the same source range used twice), more closely than the shot
    itself changes over REPEAT_RUN frames. The second condition keeps slow footage from matching
    the moments just before or after it; a shot that does not change at all cannot be told."""
    y = features.thumbs.astype(np.int16)  # luma and chroma: a hue that turns is a change too
    bounds = [*starts, len(features)]
    shots = [(a, b) for a, b in zip(bounds, bounds[1:])]
    own = [float(np.abs(y[a + REPEAT_RUN:b] - y[a:b - REPEAT_RUN]).mean()) if b - a > REPEAT_RUN else 0.0
           for a, b in shots]
    pairs = []
    for i, (a, b) in enumerate(shots):
        for j in range(i + 2, len(shots)):  # neighbours may continue the same take
            c, d = shots[j]
            limit = min(REPEAT_DIFF, REPEAT_SHARE * min(own[i], own[j]))
            if b - a < REPEAT_RUN or d - c < REPEAT_RUN or limit <= 0:
                continue
            diff = np.abs(y[a:b, None, :] - y[None, c:d, :]).mean(axis=2)  # (len i, len j)
            best = min(_best_run(np.diagonal(diff, offset))
                       for offset in range(-(b - a) + REPEAT_RUN, (d - c) - REPEAT_RUN + 1))
            if best < limit:
                pairs.append((i, j))
    return pairs


def jaggedness(thumbs: np.ndarray) -> np.ndarray:
    """Per frame: (|f - prev| + |next - f|) / (|next - prev| + 2), on the thumbnails. Motion and
    blends change steadily, so a frame sits between its neighbours (about 1); a garbage frame,
    new each frame, is far from both while they are far from each other too, so a run of them
    stands out only against the smooth change around it: above GARBLED_JAG."""
    y = thumbs.astype(np.int16)
    out = np.ones(len(y))
    if len(y) >= 3:
        step = np.abs(np.diff(y, axis=0)).mean(axis=1)
        skip = np.abs(y[2:] - y[:-2]).mean(axis=1)
        out[1:-1] = (step[:-1] + step[1:]) / (skip + 2.0)
    return out


def garbled_stretch(jag: np.ndarray) -> int:
    """The longest stretch of frames at or above GARBLED_EDGE that holds a frame at or above
    GARBLED_JAG: garbage with its edges, 0 when nothing reaches GARBLED_JAG."""
    best, start = 0, None
    for i, value in enumerate([*jag.tolist(), 0.0]):
        if value >= GARBLED_EDGE and start is None:
            start = i
        elif value < GARBLED_EDGE and start is not None:
            if (jag[start:i] >= GARBLED_JAG).any():
                best = max(best, i - start)
            start = None
    return best


def unexplained(thumbs: np.ndarray, start: int, end: int) -> np.ndarray:
    """Per frame of [start, end): the share of its thumbnail that lies outside the range spanned
    by the frames just before and just after the span (by more than UNEXPLAINED_TOL)."""
    n = len(thumbs)
    if n == 0 or end <= start:
        return np.zeros(0)
    a, b = thumbs[max(0, start - 1)].astype(np.int16), thumbs[min(n - 1, end)].astype(np.int16)
    low, high = np.minimum(a, b) - UNEXPLAINED_TOL, np.maximum(a, b) + UNEXPLAINED_TOL
    frames = thumbs[max(0, start):min(n, end)].astype(np.int16)
    return ((frames < low) | (frames > high)).mean(axis=1)


def measure_video(path: str | Path, fps_hint: float = 0.0) -> VideoMeasures:
    features = decode_features(path, fps_hint=fps_hint)
    pts = features.pts
    n = len(features)
    step = float(np.median(np.diff(pts))) if n > 1 else 1.0 / (fps_hint or 30.0)
    fps = fps_hint or 1.0 / step
    _, transitions = shots_from_features(features, fps)
    cuts = [t.start for t in transitions if t.kind == "hard"]
    gradual = [(t.start, t.end, t.kind) for t in transitions if t.kind != "hard"]

    luma, std = features.luma, features.luma_std
    black = (luma < BLACK_LUMA) & (std < BLACK_STD)
    uv = features.thumbs[:, _Y:].astype(np.float32)
    chroma_std = np.maximum(uv[:, :_UV].std(axis=1), uv[:, _UV:].std(axis=1)) / 255.0
    flat = (std < FLAT_STD) & (chroma_std < FLAT_STD)  # a hue gradient can be flat in luma alone
    jumps = np.diff(luma)
    onsets = np.flatnonzero((jumps > FLASH_JUMP) & (luma[1:] > 0.6)) + 1
    flat[[i for i in onsets if i + 1 < n and not flat[i + 1]]] = False  # a flash, not a blank: one white frame
    y = features.thumbs.astype(np.int16)  # luma and chroma: a picture whose colours turn is not frozen
    still = np.concatenate([[False], np.abs(np.diff(y, axis=0)).mean(axis=1) < FROZEN_DIFF]) & ~flat
    cut_frames = {int(np.searchsorted(pts, t - 1e-6)) for t in cuts}
    flicker = [i for i in range(1, n - 1) if abs(jumps[i - 1]) > 0.08 and abs(jumps[i]) > 0.08
               and np.sign(jumps[i - 1]) != np.sign(jumps[i]) and i not in cut_frames and i + 1 not in cut_frames]
    flashes = [float(pts[i]) for i in onsets]
    flashed = np.zeros(n, bool)
    for i in onsets:  # the flash and its fade: until it is back to the brightness before it, or stops fading
        flashed[i] = True
        j = i + 1
        while (j < min(n, i + 12) and luma[j] > luma[i - 1] + FLASH_SETTLED
               and luma[j] < luma[j - 1] - FLASH_SETTLED / 4):
            flashed[j] = True
            j += 1
    lit = ~black
    exposure_bad = ((luma < 0.1) | (luma > 0.92)) & lit
    colourfulness = float(np.median(np.sqrt(((uv - 128.0) ** 2).mean(axis=1)))) / 128.0
    detail = features.detail if features.detail is not None else np.zeros(n)
    shot_start_frames = sorted({0, *cut_frames, *(int(np.searchsorted(pts, a - 1e-6)) for a, _, _ in gradual)})
    return VideoMeasures(
        fps=fps, frames=n, decoded_s=float(pts[-1] + step) if n else 0.0, cuts=cuts, gradual=gradual,
        black=_runs(black, pts, step, 2), frozen=_runs(still, pts, step, int(round(FROZEN_MIN_S * fps))),
        flicker_share=len(flicker) / max(1, n), badly_exposed_share=float(exposure_bad.mean()) if n else 0.0,
        sharpness=float(np.median(detail[lit])) if lit.any() else 0.0, colourfulness=colourfulness,
        bars=_bars(features), flashes=flashes, flashed=flashed, repeated=_repeated(features, shot_start_frames),
        flat=flat, jag=jaggedness(features.thumbs), thumbs=features.thumbs, warnings=list(features.warnings))
