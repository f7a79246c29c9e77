"""ffprobe a file into MediaInfo: streams, duration, fps (constant or variable), rotation."""

from __future__ import annotations

import hashlib
import json
import subprocess
from fractions import Fraction
from pathlib import Path

from agent.errors import EmptyMediaError, MediaError
from agent.media.models import AudioStream, MediaInfo, VideoStream

_PROBE_TIMEOUT_S = 60


def content_hash(path: str | Path) -> str:
    """BLAKE2b of the file's bytes: the analysis cache key (fast, ~1 GB/s)."""
    digest = hashlib.blake2b(digest_size=16)
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _run_ffprobe(args: list[str], path: Path) -> dict:
    try:
        proc = subprocess.run(
            ["ffprobe", "-v", "error", "-print_format", "json", *args, str(path)],
            capture_output=True, text=True, timeout=_PROBE_TIMEOUT_S,
        )
    except FileNotFoundError as exc:
        raise MediaError(path, "ffprobe is not installed", "run `make demo` or install ffmpeg") from exc
    except subprocess.TimeoutExpired as exc:
        raise MediaError(path, f"ffprobe did not finish in {_PROBE_TIMEOUT_S} s") from exc
    if proc.returncode != 0:
        reason = proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else "unknown error"
        raise MediaError(path, f"ffprobe cannot read this file: {reason}",
                         "check that it is a complete audio/video file")
    return json.loads(proc.stdout or "{}")


def _rotation(stream: dict) -> int:
    for side in stream.get("side_data_list", []) or []:
        if "rotation" in side:
            return int(round(float(side["rotation"])))
    tag = (stream.get("tags") or {}).get("rotate")
    return int(tag) if tag else 0


def _fraction(text: str | None) -> Fraction:
    try:
        value = Fraction(text or "0/1")
    except (ValueError, ZeroDivisionError):
        return Fraction(0)
    return value


def _video_stream(stream: dict, duration: float) -> VideoStream:
    r_rate = _fraction(stream.get("r_frame_rate"))
    avg_rate = _fraction(stream.get("avg_frame_rate"))
    nb = stream.get("nb_frames")
    frame_count = int(nb) if nb and str(nb).isdigit() else None
    # VFR when the container's average rate differs from the stream's base rate by > 1%.
    vfr = bool(r_rate and avg_rate and abs(float(avg_rate) / float(r_rate) - 1.0) > 0.01)
    rate = avg_rate if (vfr or not r_rate) and avg_rate else r_rate
    if not rate and frame_count and duration > 0:
        rate = Fraction(frame_count / duration).limit_denominator(1001)
    rotation = _rotation(stream)
    width, height = int(stream.get("width", 0)), int(stream.get("height", 0))
    swap = abs(rotation) % 180 == 90
    return VideoStream(
        codec=stream.get("codec_name", ""),
        width=width,
        height=height,
        display_width=height if swap else width,
        display_height=width if swap else height,
        fps=float(rate) if rate else 0.0,
        fps_rational=f"{rate.numerator}/{rate.denominator}" if rate else "0/1",
        vfr=vfr,
        frame_count=frame_count,
        duration=float(stream["duration"]) if stream.get("duration") not in (None, "N/A") else None,
        rotation=rotation,
        pix_fmt=stream.get("pix_fmt", ""),
    )


def probe(path: str | Path, *, file_hash: str | None = None) -> MediaInfo:
    """Probe a file. Raises MediaError naming the file for anything ffprobe cannot read."""
    path = Path(path)
    if not path.exists():
        raise MediaError(path, "file not found", "check the path")
    if path.is_dir():
        raise MediaError(path, "is a directory, not a media file")
    size = path.stat().st_size
    if size == 0:
        raise MediaError(path, "file is empty (0 bytes)", "re-export or re-copy it")
    data = _run_ffprobe(["-show_format", "-show_streams"], path)
    fmt = data.get("format", {})
    streams = data.get("streams", [])
    video = next((s for s in streams if s.get("codec_type") == "video"
                  and not (s.get("disposition") or {}).get("attached_pic")), None)
    audio = next((s for s in streams if s.get("codec_type") == "audio"), None)
    duration = float(fmt.get("duration") or 0.0)
    if video is None and audio is None:
        if duration == 0.0 and fmt.get("format_name"):
            raise EmptyMediaError(path, "is empty: it holds no frames (0 s long)", "re-export it or leave it out")
        raise MediaError(path, "has no audio or video stream", "is this a media file?")
    if duration <= 0:
        stream_durations = [float(s.get("duration") or 0) for s in streams]
        duration = max(stream_durations, default=0.0)
    return MediaInfo(
        path=str(path.resolve()),
        content_hash=file_hash or content_hash(path),
        size_bytes=size,
        format_name=fmt.get("format_name", ""),
        duration=duration,
        video=_video_stream(video, duration) if video else None,
        audio=AudioStream(
            codec=audio.get("codec_name", ""),
            sample_rate=int(audio.get("sample_rate") or 0),
            channels=int(audio.get("channels") or 0),
        ) if audio else None,
    )
