"""Shot detection: hard cuts, dissolves and fades (with their spans), and per-shot motion and
brightness.

One pass of decoding (PyAV, frame threads, deblocking skipped) turns every frame into tiny YUV
arrays: luma 64x36 and chroma 32x18, made by striding the decoded planes and area-averaging (no
colour conversion, no full-size copy), kept as an 864-byte thumbnail per frame. Everything else
works on those arrays:

- hard cuts: a content distance between consecutive frames (luma and chroma change and loss of
  structural correlation, all after the best global shift of up to ~10% of the width, so pans
  and shake cancel; plus a luma-histogram earth-mover distance, which brightness ramps barely
  move). A cut must stand out from the local median of that distance (an adaptive threshold),
  change most of the picture (one object flying past changes a part), and not be undone within
  0.25 s (a white flash, or a brief insert that returns to the same picture, is not a cut);
- gradual transitions: windows whose frames are a blend of the frame before and the frame after,
  frame(t) = (1 - a) A + a B, with a ramping 0 -> 1 in small steps and a low residual. When both
  shots move the still-frame model leaves a residual, so a blend of moving shots must also show
  the contrast dip a cross-fade of two unrelated pictures has, and its middle frame must need both
  (each moved) to be explained, not one. A blend from black is a fade_in, to black a fade_out,
  otherwise a dissolve, which must change most of the picture (a title fading in is not one);
- shots: the spans between transitions. Stretches that are wholly black (title gaps, the black
  between a fade-out and a fade-in) are left out: they are not footage an editor can use. A clip
  that is black throughout is still returned as one shot.

Times are real pts seconds of the decoded frames (variable frame rate safe). Rotation metadata is
ignored: every feature here is the same for a rotated frame. Limits (see evals/shots.py): dissolves
between shots that pan faster than ~2% of the width per frame are often missed (the transition then
goes unreported, it is not turned into a cut); cuts closer than 0.25 s are merged into one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from agent.errors import MediaError
from agent.media.models import MediaInfo, Shot, ShotTransition

# Tiny-frame sizes. Luma at 64x36 for motion, brightness and histograms; the stored per-frame
# thumbnail (for distances between any two frames and for blend fitting) is luma 32x18 plus
# chroma 16x9 per plane: 864 bytes a frame, ~100 MB for an hour at 30 fps.
_Y_W, _Y_H = 64, 36
_C_W, _C_H = 32, 18
_HIST_BINS = 32


@dataclass
class FrameFeatures:
    """Per-frame data from the one decoding pass (arrays of length N = decoded frames)."""

    pts: np.ndarray  # float64 seconds
    thumbs: np.ndarray  # (N, 864) uint8: Y 18x32, U 9x16, V 9x16
    motion: np.ndarray  # mean |dY| to the previous frame on 64x36 luma, /255 (0 for frame 0)
    luma: np.ndarray  # mean Y /255
    luma_std: np.ndarray  # std of Y /255
    hist: np.ndarray  # (N, 32) float32 normalised luma histogram
    detail: np.ndarray | None = None  # mean |Laplacian| of the 64x36 luma /255: a sharpness proxy
    warnings: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.pts)


def _plane(plane, target_w: int, target_h: int) -> np.ndarray:
    """Shrink one decoded plane: take every step-th pixel (about 4x4 samples per output pixel),
    centre-crop to a whole multiple of the target size and area-average; whole factors keep
    OpenCV's area filter on its fast path (~5x faster than a fractional one)."""
    import cv2

    rows = np.frombuffer(plane, np.uint8).reshape(-1, plane.line_size)[: plane.height, : plane.width]
    step = max(1, min(plane.height // (4 * target_h), plane.width // (4 * target_w)))
    if step > 1:
        rows = rows[::step, ::step]
    h, w = rows.shape
    fh, fw = h // target_h, w // target_w
    if fh >= 1 and fw >= 1:
        top, left = (h - fh * target_h) // 2, (w - fw * target_w) // 2
        rows = rows[top:top + fh * target_h, left:left + fw * target_w]
    return cv2.resize(rows, (target_w, target_h), interpolation=cv2.INTER_AREA)


_PLANAR_8BIT = {"yuv420p", "yuvj420p", "yuv422p", "yuvj422p", "yuv444p", "yuvj444p", "yuv440p",
                "yuvj440p", "yuv411p", "yuv410p"}


def _small_yuv(frame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Luma 64x36 and chroma 32x18 of a decoded frame, without a full-size conversion."""
    import cv2

    if frame.format.name not in _PLANAR_8BIT:
        # Rare formats (10-bit, rgb, gray, palette): let swscale shrink and convert in one go.
        frame = frame.reformat(width=_Y_W, height=_Y_H, format="yuv444p", interpolation="AREA")
        y, u, v = (np.frombuffer(p, np.uint8).reshape(-1, p.line_size)[: p.height, : p.width]
                   for p in frame.planes)
        return (np.ascontiguousarray(y), cv2.resize(u, (_C_W, _C_H), interpolation=cv2.INTER_AREA),
                cv2.resize(v, (_C_W, _C_H), interpolation=cv2.INTER_AREA))
    planes = frame.planes
    return (_plane(planes[0], _Y_W, _Y_H), _plane(planes[1], _C_W, _C_H),
            _plane(planes[2], _C_W, _C_H))


def _thumb(y64: np.ndarray, u32: np.ndarray, v32: np.ndarray) -> np.ndarray:
    import cv2

    def half(a: np.ndarray) -> np.ndarray:
        return cv2.resize(a, (a.shape[1] // 2, a.shape[0] // 2), interpolation=cv2.INTER_AREA).ravel()

    return np.concatenate([half(y64), half(u32), half(v32)])


def decode_features(path: str | Path, fps_hint: float = 0.0) -> FrameFeatures:
    """Decode the first video stream once into per-frame features. Decoding errors part-way
    (a truncated or corrupt file) stop the pass and are reported in `warnings`; a file of which
    nothing decodes raises MediaError."""
    import av
    import cv2

    path = Path(path)
    try:
        container = av.open(str(path))
    except (av.error.FFmpegError, OSError) as exc:
        raise MediaError(path, f"cannot be opened as video: {exc}", "is this a video file?") from exc
    pts: list[float] = []
    thumbs: list[np.ndarray] = []
    motion: list[float] = []
    luma: list[float] = []
    luma_std: list[float] = []
    hists: list[np.ndarray] = []
    detail: list[float] = []
    warnings: list[str] = []
    prev_y: np.ndarray | None = None  # previous 64x36 luma
    with container:
        if not container.streams.video:
            raise MediaError(path, "has no video stream", "shot detection needs a video")
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        # Analysis does not need exact pixels: skipping the deblocking filter is ~10% faster and
        # changes nothing visible at 64x36.
        stream.codec_context.options = {"skip_loop_filter": "all", "flags2": "+fast"}
        time_base = float(stream.time_base) if stream.time_base else 0.0
        rate = fps_hint or (float(stream.average_rate) if stream.average_rate else 25.0)
        bad_packets = 0
        try:
            for packet in container.demux(stream):
                try:
                    frames = packet.decode()
                except av.error.InvalidDataError:
                    bad_packets += 1
                    continue
                for frame in frames:
                    if frame.pts is not None and time_base:
                        t = frame.pts * time_base
                    elif pts:
                        t = pts[-1] + 1.0 / rate
                    else:
                        t = 0.0
                    y, u, v = _small_yuv(frame)
                    pts.append(t)
                    thumbs.append(_thumb(y, u, v))
                    motion.append(cv2.norm(y, prev_y, cv2.NORM_L1) / (y.size * 255.0) if prev_y is not None else 0.0)
                    prev_y = y
                    mean, std = cv2.meanStdDev(y)
                    luma.append(float(mean[0, 0]) / 255.0)
                    luma_std.append(float(std[0, 0]) / 255.0)
                    hists.append(np.bincount(y.ravel() >> 3, minlength=_HIST_BINS))
                    detail.append(float(np.abs(cv2.Laplacian(y, cv2.CV_16S)).mean()) / 255.0)
        except (av.error.FFmpegError, EOFError) as exc:
            warnings.append(f"decoding stopped after {len(pts)} frames: {exc}")
        if bad_packets:
            warnings.append(f"{bad_packets} undecodable packet(s) skipped")
    if not pts:
        raise MediaError(path, "no video frame could be decoded", "the file may be corrupt or truncated")
    hist = np.stack(hists).astype(np.float32)
    hist /= hist.sum(axis=1, keepdims=True)
    return FrameFeatures(
        pts=np.asarray(pts, np.float64), thumbs=np.stack(thumbs), motion=np.asarray(motion),
        luma=np.asarray(luma), luma_std=np.asarray(luma_std), hist=hist, detail=np.asarray(detail),
        warnings=warnings,
    )


# ---------------------------------------------------------------- distances between frames

_Y_LEN, _C_LEN = 18 * 32, 2 * 9 * 16
_STRUCT_MIN_STD = 4.0  # grey levels: below this a frame is flat and has no structure to compare
# Global shifts tried when comparing two frames, in thumbnail pixels (1 px = 1/32 of the width):
# a pan or shake of up to ~10% of the frame width per frame is compensated, a cut is not.
_SHIFT_X, _SHIFT_Y = 3, 2
_SHIFT_PENALTY = 0.5  # grey levels per pixel of shift: prefer no shift on static noise


def _crop(img: np.ndarray, dx: int, dy: int) -> np.ndarray:
    h, w = img.shape[1:]
    return img[:, max(0, dy):h + min(0, dy), max(0, dx):w + min(0, dx)]


def frame_distance(features: FrameFeatures, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return _distance_parts(features, a, b)[0]


_CHANGED_LEVEL = 12.0  # grey levels: a thumbnail pixel that moved more than this "changed"


def _distance_parts(features: FrameFeatures, a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Content distance between frames a[k] and b[k] (index arrays): ~0 for the same picture,
    also when the camera moved it by a few percent of the frame; 0.5-1.3 for unrelated pictures.

    Sum of mean |dY| and mean |dU|+|dV| (both after the best global shift), the loss of
    structural correlation of the luma (skipped for flat frames, so fades score low) and the
    luma-histogram earth-mover distance (robust to brightness ramps). Also returns the share of
    pixels that changed (luma or chroma) after the shift: near 1 for a cut, low when one object
    moved."""
    a = np.asarray(a)
    b = np.asarray(b)
    k = len(a)
    xa = features.thumbs[a].astype(np.float32)
    xb = features.thumbs[b].astype(np.float32)
    ya, yb = xa[:, :_Y_LEN].reshape(k, 18, 32), xb[:, :_Y_LEN].reshape(k, 18, 32)
    ca, cb = xa[:, _Y_LEN:].reshape(k, 2, 9, 16), xb[:, _Y_LEN:].reshape(k, 2, 9, 16)
    shifts = [(dx, dy) for dy in range(-_SHIFT_Y, _SHIFT_Y + 1) for dx in range(-_SHIFT_X, _SHIFT_X + 1)]
    cost = np.stack([
        np.abs(_crop(ya, dx, dy) - _crop(yb, -dx, -dy)).mean(axis=(1, 2)) + _SHIFT_PENALTY * np.hypot(dx, dy)
        for dx, dy in shifts
    ], axis=1)
    best = np.argmin(cost, axis=1)
    dist = np.zeros(k, np.float64)
    changed = np.zeros(k, np.float64)
    for s in np.unique(best):
        dx, dy = shifts[s]
        sel = best == s
        pa, pb = _crop(ya[sel], dx, dy), _crop(yb[sel], -dx, -dy)
        m = pa.shape[1] * pa.shape[2]
        pa, pb = pa.reshape(-1, m), pb.reshape(-1, m)
        dyl = np.abs(pa - pb).mean(axis=1) / 255.0
        cdx, cdy = int(np.trunc(dx / 2)), int(np.trunc(dy / 2))
        qa = _crop(ca[sel].reshape(-1, 9, 16), cdx, cdy)
        qb = _crop(cb[sel].reshape(-1, 9, 16), -cdx, -cdy)
        dc = np.abs(qa - qb).reshape(int(sel.sum()), -1).mean(axis=1) / 127.5
        za = pa - pa.mean(axis=1, keepdims=True)
        zb = pb - pb.mean(axis=1, keepdims=True)
        na, nb = np.linalg.norm(za, axis=1), np.linalg.norm(zb, axis=1)
        ncc = (za * zb).sum(axis=1) / np.maximum(na * nb, 1e-6)
        structured = np.minimum(na, nb) / np.sqrt(m) > _STRUCT_MIN_STD
        struct = np.where(structured, (1.0 - ncc) / 2.0, 0.0)
        dist[sel] = dyl + dc + struct
        luma_changed = (np.abs(pa - pb) > _CHANGED_LEVEL).mean(axis=1)
        chroma_changed = (np.abs(qa - qb).reshape(int(sel.sum()), 2, -1).sum(axis=1) > _CHANGED_LEVEL).mean(axis=1)
        changed[sel] = np.maximum(luma_changed, chroma_changed)
    emd = np.abs(np.cumsum(features.hist[a], axis=1) - np.cumsum(features.hist[b], axis=1)).mean(axis=1)
    return dist + emd, changed


# ---------------------------------------------------------------- hard cuts

_CUT_MIN = 0.15  # absolute floor of the cut score (unrelated pictures score 0.5-1.3)
_CUT_RATIO = 3.0  # ... and it must be this many times the local median score
_CUT_MARGIN = 0.08  # ... and this much above it (keeps noise-level scores out on static shots)
_BASELINE_S = 0.5  # half-width of the local-median window
_FLASH_S = 0.25  # a change undone within this time is a flash, not a cut
_FLASH_UNDONE = 0.5  # "undone": before and after differ by less than this share of the jump
_FLASH_LUMA = 0.15  # a flash frame is this much brighter (mean Y /255) than both sides
_FLASH_SAME_HIST = 0.08  # ... and the sides' luma histograms are this close (earth-mover /1)
_CUT_MIN_CHANGED = 0.35  # share of pixels that must change: one moving object is not a cut


def _local_median(score: np.ndarray, half: int) -> np.ndarray:
    """Median of score over [i - half, i + half] without i itself (so a cut is not its own
    baseline)."""
    n = len(score)
    padded = np.concatenate([np.full(half, np.nan), score, np.full(half, np.nan)])
    windows = np.lib.stride_tricks.sliding_window_view(padded, 2 * half + 1).copy()
    windows[:, half] = np.nan
    out = np.nanmedian(windows, axis=1) if n else np.zeros(0)
    return np.nan_to_num(out, nan=0.0)


def _is_flash(features: FrameFeatures, before: int, after: int) -> bool:
    """Frames before+1 .. after-1 are a flash: brighter than both sides, which look alike."""
    inside = features.luma[before + 1:after]
    if not len(inside) or inside.min() < max(features.luma[before], features.luma[after]) + _FLASH_LUMA:
        return False
    emd = np.abs(np.cumsum(features.hist[before]) - np.cumsum(features.hist[after])).mean()
    return bool(emd < _FLASH_SAME_HIST)


def _hard_cuts(features: FrameFeatures, score: np.ndarray, changed: np.ndarray, fps: float) -> list[int]:
    """Indices i of frames that start a new shot (the cut is between i-1 and i)."""
    n = len(score)
    if n < 2:
        return []
    baseline = _local_median(score, max(3, round(_BASELINE_S * fps)))
    candidates = np.flatnonzero((score >= _CUT_MIN) & (score >= _CUT_RATIO * baseline)
                                & (score >= baseline + _CUT_MARGIN) & (changed >= _CUT_MIN_CHANGED))
    gap = max(2, round(_FLASH_S * fps))
    flashes: set[int] = set()
    for k, i in enumerate(candidates):
        for j in candidates[k + 1:]:
            if j - i > gap:
                break
            if _is_flash(features, int(i) - 1, int(j)):
                flashes.update((int(i), int(j)))
    cuts: list[int] = []
    for i in candidates:
        if int(i) in flashes:
            continue
        # A brief insert returns to the picture it interrupted: the frame before the jump matches
        # a frame shortly after it, or the frame after matches one shortly before.
        after = np.arange(i + 1, min(n, i + gap + 1))
        before = np.arange(max(0, i - 1 - gap), i - 1)
        pairs_a = np.concatenate([np.full(len(after), i - 1), before]).astype(int)
        pairs_b = np.concatenate([after, np.full(len(before), i)]).astype(int)
        if len(pairs_a):
            dist, share = _distance_parts(features, pairs_a, pairs_b)
            if np.any((dist < _FLASH_UNDONE * score[i]) & (share < _CUT_MIN_CHANGED)):
                continue
        if cuts and i - cuts[-1] < gap:
            if score[i] > score[cuts[-1]]:
                cuts[-1] = int(i)
            continue
        cuts.append(int(i))
    return cuts


# ---------------------------------------------------------------- gradual transitions

_GRAD_HALF_S = (0.1, 0.17, 0.25, 0.35, 0.5, 0.7, 0.95, 1.25)  # half-widths of the search windows
_GRAD_MIN_CHANGE = 0.05  # mean |B - A| /255 over the thumbnail, below it nothing happened
_GRAD_MAX_RESIDUAL = 0.3  # ||frame - blend|| / ||B - A|| allowed at any frame of the window
_GRAD_MAX_RESIDUAL_MOVING = 0.55  # ... when the contrast dip confirms a blend of moving shots
_LAYER_MAX_RESIDUAL = 0.3  # moving dissolve: the middle frame is a blend of the moved outer frames
_LAYER_ONE_MIN = 2.0  # ... which neither outer frame explains alone (error ratio)
_LAYER_ONE_FLOOR = 0.3  # ... nor to better than this relative error
_DIP_MIN_SHARE = 0.2  # the predicted variance dip must be this share of the variance
_DIP_MIN_AGREEMENT = 0.6  # observed dip / predicted dip (least squares)
_GRAD_MAX_STEP = 0.4  # largest share of the change one frame may carry (more is a cut)
_GRAD_MIN_FRAMES = 3
_CUT_SHARE_IN_BLEND = 0.6  # a cut inside a blend carrying this share of its change vetoes it
_RATE_CONTRAST = 2.0  # a dissolve changes the picture this many times faster than its shots do
_GRAD_OUTSIDE = 0.25  # the change may continue this far (share) beyond the span, no further
_GRAD_EDGE = 0.025  # a frame with less than this share of the other picture is not mixed
_DISSOLVE_MIN_CHANGED = 0.5  # share of pixels that must change between the two shots
_BLACK_LUMA = 0.12  # mean Y /255 (limited-range black is 16/255 = 0.063)
_FLAT_STD = 0.03  # std of Y /255


@dataclass(frozen=True)
class _Blend:
    start: int  # first mixed frame
    end: int  # first frame wholly of the new picture
    change: float
    residual: float


def _blend_fit(x: np.ndarray, p: int, q: int) -> tuple[np.ndarray, np.ndarray]:
    """a_j and relative residual of frames p..q as (1 - a) x[p] + a x[q]."""
    a_frame = x[p]
    delta = x[q] - a_frame
    norm2 = float(delta @ delta)
    rel = x[p:q + 1] - a_frame
    alpha = rel @ delta / max(norm2, 1e-6)
    resid = np.linalg.norm(rel - alpha[:, None] * delta, axis=1) / max(np.sqrt(norm2), 1e-6)
    return alpha, resid


def _contrast_dips(x: np.ndarray, p: int, q: int, alpha: np.ndarray) -> bool:
    """Moving shots blend with a residual the still-frame model cannot explain; what still marks
    a blend of two unrelated pictures is the dip of the luma variance half way (the two layers
    partly cancel), which camera motion alone does not produce. Compare the dip the blend model
    predicts from the end frames with the observed one."""
    y = x[p:q + 1, :_Y_LEN]
    y = y - y.mean(axis=1, keepdims=True)
    var = (y * y).mean(axis=1)
    var_a, var_b = var[0], var[-1]
    cov = float((y[0] * y[-1]).mean())
    a = np.clip(alpha, 0.0, 1.0)
    line = (1 - a) * var_a + a * var_b
    predicted_dip = line - ((1 - a) ** 2 * var_a + a**2 * var_b + 2 * a * (1 - a) * cov)
    observed_dip = line - var
    if predicted_dip.max() < _DIP_MIN_SHARE * max(float(line.max()), 1e-6):
        return False
    agreement = float((observed_dip * predicted_dip).sum() / max(float((predicted_dip**2).sum()), 1e-9))
    return agreement >= _DIP_MIN_AGREEMENT


_LAYER_SHIFT_X, _LAYER_SHIFT_Y = 5, 3


def _layer_residuals(x: np.ndarray, before: int, after: int, mid: int, alpha: float) -> tuple[float, float]:
    """How well frame `mid` is explained (relative error) by (a) a blend of the frames just outside
    the span, each moved by its own global shift, and (b) one of them alone, moved. A dissolve
    between panning shots needs both layers (a << b); a pan needs one (a ~ b)."""
    y = x[[before, after, mid], :_Y_LEN].reshape(3, 18, 32)
    target = y[2, _LAYER_SHIFT_Y:18 - _LAYER_SHIFT_Y, _LAYER_SHIFT_X:32 - _LAYER_SHIFT_X].ravel()
    h, w = 18 - 2 * _LAYER_SHIFT_Y, 32 - 2 * _LAYER_SHIFT_X
    layers = []
    for k in (0, 1):
        layers.append(np.stack([
            y[k, _LAYER_SHIFT_Y + dy:_LAYER_SHIFT_Y + dy + h, _LAYER_SHIFT_X + dx:_LAYER_SHIFT_X + dx + w].ravel()
            for dy in range(-_LAYER_SHIFT_Y, _LAYER_SHIFT_Y + 1) for dx in range(-_LAYER_SHIFT_X, _LAYER_SHIFT_X + 1)
        ]))
    blend = (1 - alpha) * layers[0][:, None, :] + alpha * layers[1][None, :, :]
    change = max(float(np.sqrt(((y[1] - y[0]) ** 2).mean())), 1e-6)
    two = float(np.sqrt(((blend - target) ** 2).mean(axis=2)).min()) / change
    one = float(min(np.sqrt(((layer - target) ** 2).mean(axis=1)).min() for layer in layers)) / change
    return two, one


def _keeps_going(x: np.ndarray, s: int, e: int, cuts: list[int]) -> bool:
    """True when the change of the span [s, e) carries on in the same direction before or after
    it: a zoom, an evolving gradient or a slow pan, not a transition between two pictures (a
    transition starts from a settled picture and ends on one; turning back, as a fade-out right
    after a fade-in does, is fine)."""
    n = len(x)
    reach = max(3, (e - s) // 2)
    lo = max([0, s - 1 - reach] + [c for c in cuts if c <= s - 1])
    hi = min([n - 1, e + reach] + [c - 1 for c in cuts if c > e])
    a_frame, delta = x[s - 1], x[e] - x[s - 1]
    norm2 = max(float(delta @ delta), 1e-6)
    before = (x[lo:s - 1] - a_frame) @ delta / norm2
    after = (x[e + 1:hi + 1] - a_frame) @ delta / norm2
    return bool((len(before) and before.min() < -_GRAD_OUTSIDE) or (len(after) and after.max() > 1 + _GRAD_OUTSIDE))


def _stands_out(score: np.ndarray, s: int, e: int, cuts: list[int]) -> bool:
    """A dissolve changes the picture faster than the shots around it do (after compensating
    their pans). A zoom, a rotating or evolving picture changes at the same rate throughout."""
    n = len(score)
    reach = max(3, e - s)
    lo = max([1, s - reach] + [c + 1 for c in cuts if c <= s - 1])
    hi = min([n, e + 1 + reach] + [c for c in cuts if c > e])
    outside = np.concatenate([score[lo:s], score[e + 1:hi]])
    if len(outside) < 2:
        return True
    inside = float(score[s:e + 1].mean())
    return inside >= _RATE_CONTRAST * float(np.median(outside)) + 0.005


def _ramp(alpha: np.ndarray) -> tuple[int, int, float]:
    """Best clipped linear ramp for alpha (0 .. 1 over the window): (s, e, sse) in window offsets,
    frames s..e-1 mixed with model (j - s + 1) / (e - s + 1), 0 before s, 1 from e. Prefix sums
    make it O(m^2) over all (s, e)."""
    m = len(alpha)
    j = np.arange(m, dtype=np.float64)
    zero = np.zeros(1)
    p0 = np.concatenate([zero, np.cumsum(alpha**2)])
    p1 = np.concatenate([zero, np.cumsum(alpha)])
    p2 = np.concatenate([zero, np.cumsum(j * alpha)])
    q = np.concatenate([zero, np.cumsum((alpha - 1.0) ** 2)])
    s = np.arange(1, m)[:, None]
    e = np.arange(1, m)[None, :]
    k = (e - s).astype(np.float64)  # mixed frames
    length = np.maximum(k + 1.0, 1.0)
    mixed_sq = p0[e] - p0[s]
    mixed_dot = (p2[e] - p2[s]) - (s - 1) * (p1[e] - p1[s])
    ramp_sq = k * (k + 1) * (2 * k + 1) / 6.0
    sse = p0[s] + (q[m] - q[e]) + mixed_sq - 2.0 * mixed_dot / length + ramp_sq / length**2
    sse = np.where(e > s, sse, np.inf)
    si, ei = np.unravel_index(int(np.argmin(sse)), sse.shape)
    return int(si + 1), int(ei + 1), float(sse[si, ei])


def _gradual(features: FrameFeatures, cuts: list[int], score: np.ndarray, fps: float) -> list[_Blend]:
    n = len(features)
    x = features.thumbs.astype(np.float32)
    candidates: list[tuple[float, int, int]] = []  # (score, p, q)
    halves = sorted({max(2, round(h * fps)) for h in _GRAD_HALF_S})
    for h in halves:
        if 2 * h >= n:
            break
        p = np.arange(0, n - 2 * h)
        q = p + 2 * h
        t = p + h
        change = np.abs(x[q] - x[p]).mean(axis=1) / 255.0
        delta = x[q] - x[p]
        norm = np.maximum(np.linalg.norm(delta, axis=1), 1e-6)
        rel = x[t] - x[p]
        alpha = (rel * delta).sum(axis=1) / norm**2
        resid = np.linalg.norm(rel - alpha[:, None] * delta, axis=1) / norm
        ok = (change >= _GRAD_MIN_CHANGE) & (alpha > 0.15) & (alpha < 0.85) & (resid < _GRAD_MAX_RESIDUAL_MOVING)
        for k in np.flatnonzero(ok):
            candidates.append((float(change[k] * (1 - resid[k])), int(p[k]), int(q[k])))
    candidates.sort(reverse=True)
    taken: list[_Blend] = []
    for _, p, q in candidates:
        if any(p < b.end and q > b.start for b in taken):
            continue
        alpha, resid = _blend_fit(x, p, q)
        moving = resid.max() > _GRAD_MAX_RESIDUAL
        if moving and not (resid.max() <= _GRAD_MAX_RESIDUAL_MOVING and _contrast_dips(x, p, q, alpha)):
            continue
        steps = np.diff(alpha)
        if steps.max() > _GRAD_MAX_STEP or (-steps[steps < 0]).sum() > 0.25:
            continue
        s, e, sse = _ramp(alpha)
        if e - s < _GRAD_MIN_FRAMES or sse / len(alpha) > 0.01:
            continue
        # The linear ramp validates the blend; the span itself comes from where the mix leaves
        # 0 and reaches 1, so eased fades (slow start, slow end) get their full length.
        mid = (s + e) // 2
        still_a = np.flatnonzero(alpha[:mid] <= _GRAD_EDGE)
        done_b = np.flatnonzero(alpha[mid:] >= 1 - _GRAD_EDGE)
        # Eased ends stretch a ramp a little; camera drift must not stretch it far. Black does
        # not drift, so the black end of a fade may stretch all the way.
        reach = max(2, (e - s) // 4)
        s_reach = len(alpha) if _is_black(features, p) else reach
        e_reach = len(alpha) if _is_black(features, q) else reach
        s = max(int(still_a[-1]) + 1 if len(still_a) else s, s - s_reach, 1)
        e = min(mid + int(done_b[0]) if len(done_b) else e, e + e_reach, len(alpha) - 1)
        s, e = p + s, p + e
        if moving:
            mid = (s + e - 1) // 2
            two, one = _layer_residuals(x, max(0, s - 1), min(n - 1, e), mid, float(np.clip(alpha[mid - p], 0, 1)))
            if two > _LAYER_MAX_RESIDUAL or one < max(_LAYER_ONE_MIN * two, _LAYER_ONE_FLOOR):
                continue
        if _keeps_going(x, s, e, cuts):
            continue
        fade = _is_black(features, s - 1) or _is_black(features, min(n - 1, e))
        if not fade and not moving and not _stands_out(score, s, e, cuts):
            continue  # (a moving blend has passed the two-layer test instead)
        inside = [c for c in cuts if s <= c <= e]
        if inside and max(score[c] for c in inside) >= _CUT_SHARE_IN_BLEND * float(
                frame_distance(features, np.array([max(0, s - 1)]), np.array([min(n - 1, e)]))[0]):
            continue  # one frame carries most of the change: a cut between moving shots, not a blend
        taken.append(_Blend(s, e, float(np.abs(x[e] - x[s - 1]).mean()) / 255.0, float(resid.mean())))
    taken.sort(key=lambda b: b.start)
    # One transition found in two pieces (a fade over moving footage fits in parts) is merged;
    # a fade-out straight into a fade-in is a dip to black and stays two transitions.
    merged: list[_Blend] = []
    for blend in taken:
        if merged and blend.start - merged[-1].end <= 1 and not (
                _kind(features, merged[-1]) == "fade_out" and _kind(features, blend) == "fade_in"):
            last = merged.pop()
            blend = _Blend(last.start, blend.end, max(last.change, blend.change),
                           max(last.residual, blend.residual))
        merged.append(blend)
    # A dissolve changes the whole picture; a title or logo fading in over the shot changes a part.
    return [b for b in merged if _kind(features, b) != "dissolve" or _changed_share(x, b) >= _DISSOLVE_MIN_CHANGED]


def _changed_share(x: np.ndarray, blend: _Blend) -> float:
    before, after = x[max(0, blend.start - 1)], x[min(len(x) - 1, blend.end)]
    diff = np.abs(after - before)
    luma = (diff[:_Y_LEN] > _CHANGED_LEVEL).mean()
    chroma = (diff[_Y_LEN:].reshape(2, -1).sum(axis=0) > _CHANGED_LEVEL).mean()
    return float(max(luma, chroma))


# ---------------------------------------------------------------- shots

def _is_black(features: FrameFeatures, i: int) -> bool:
    return bool(features.luma[i] < _BLACK_LUMA and features.luma_std[i] < _FLAT_STD)


def _kind(features: FrameFeatures, blend: _Blend) -> str:
    n = len(features)
    before, after = max(0, blend.start - 1), min(n - 1, blend.end)
    if _is_black(features, before):
        return "fade_in"
    if _is_black(features, after):
        return "fade_out"
    return "dissolve"


def _frame_duration(pts: np.ndarray, fps: float) -> float:
    steps = np.diff(pts)
    steps = steps[steps > 0]
    if len(steps):
        return float(np.median(steps))
    return 1.0 / fps if fps > 0 else 0.04


def shots_from_features(features: FrameFeatures, fps: float) -> tuple[list[Shot], list[ShotTransition]]:
    """The detector proper, on features already decoded (see `decode_features`)."""
    n = len(features)
    pts = features.pts
    fps = fps if fps > 0 else 1.0 / _frame_duration(pts, 0.0)
    if n >= 2:
        idx = np.arange(1, n)
        dist, changed = _distance_parts(features, idx - 1, idx)
        score = np.concatenate([[0.0], dist])
        changed = np.concatenate([[0.0], changed])
    else:
        score = changed = np.zeros(n)
    cuts = _hard_cuts(features, score, changed, fps)
    blends = _gradual(features, cuts, score, fps)
    # A cut inside a gradual span is a frame of the blend that changed a lot, not a cut.
    cuts = [c for c in cuts if not any(b.start <= c <= b.end for b in blends)]

    # Boundaries as (start_frame, end_frame, transition): frames [start, end) belong to neither shot.
    end_time = pts[-1] + _frame_duration(pts, fps)

    def t(i: int) -> float:
        return float(pts[i]) if i < n else float(end_time)

    bounds: list[tuple[int, int, ShotTransition]] = []
    for c in cuts:
        bounds.append((c, c, ShotTransition(kind="hard", start=t(c), end=t(c))))
    for b in blends:
        bounds.append((b.start, b.end, ShotTransition(kind=_kind(features, b), start=t(b.start), end=t(b.end))))
    bounds.sort(key=lambda item: item[0])
    transitions = [tr for _, _, tr in bounds]

    segments: list[tuple[int, int]] = []  # frame ranges [first, stop)
    first = 0
    for start, end, _ in bounds:
        if start > first:
            segments.append((first, start))
        first = max(first, end)
    if first < n:
        segments.append((first, n))
    black = np.array([_is_black(features, i) for i in range(n)])
    kept = [(a, b) for a, b in segments if not black[a:b].mean() > 0.9]
    if not kept:
        kept = segments or [(0, n)]
    shots = []
    for k, (a, b) in enumerate(kept):
        motion = float(features.motion[a + 1:b].mean()) if b - a > 1 else 0.0
        shots.append(Shot(index=k, start=t(a), end=t(b), motion=round(motion, 5),
                          brightness=round(float(features.luma[a:b].mean()), 5)))
    return shots, transitions


def detect_shots(path: str | Path, info: MediaInfo, warnings: list[str] | None = None
                 ) -> tuple[list[Shot], list[ShotTransition]]:
    """Shots and the transitions between them (hard cuts, dissolves, fades) of a video file.

    Raises MediaError when the file has no video stream or no frame of it decodes. A truncated
    file is analysed as far as it decodes, and what stopped the decoder goes into `warnings`."""
    if info.video is None:
        raise MediaError(path, "has no video stream", "shot detection needs a video")
    features = decode_features(path, fps_hint=info.video.fps)
    if warnings is not None:
        warnings.extend(features.warnings)
        frame = 1.0 / (info.video.fps or 25.0)
        decoded = float(features.pts[-1]) + frame if len(features) else 0.0
        expected = info.video.duration or info.duration
        if expected - decoded > max(0.5, 5 * frame):  # a truncated file often decodes to EOF silently
            warnings.append(f"only {decoded:.2f} s of its {expected:.2f} s of video decode (truncated?)")
    return shots_from_features(features, info.video.fps)
