"""Timeline pieces → ffmpeg arguments and filter strings. Pure functions, no processes.

Frames travel between processes as raw yuv420p at the output size, so every decoder filter
chain ends in exactly that format, and the encoder reads it from a pipe.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

from agent.timeline.model import ClipItem, LookItem, TextItem, Timeline

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"

# Named looks as eq settings; contrast/saturation/brightness of the LookItem multiply/add on top.
LOOK_PRESETS: dict[str, dict[str, float]] = {
    "none": {},
    "punchy": {"contrast": 1.15, "saturation": 1.3},
    "teal_orange": {"contrast": 1.1, "saturation": 1.15},
    "warm": {"saturation": 1.1},
    "cold": {"saturation": 0.95},
    "bw": {"saturation": 0.0, "contrast": 1.1},
    "vintage": {"contrast": 0.9, "saturation": 0.75, "gamma": 1.05},
    "dark": {"contrast": 1.2, "brightness": -0.06, "saturation": 0.9},
}
# Colour balance per look (shadows/midtones/highlights shifts), applied only where it matters.
LOOK_BALANCE: dict[str, str] = {
    "teal_orange": "colorbalance=rs=-0.12:bs=0.12:rh=0.1:bh=-0.1",
    "warm": "colorbalance=rm=0.06:bm=-0.06",
    "cold": "colorbalance=rm=-0.05:bm=0.07",
    "vintage": "colorbalance=rs=0.05:gs=0.02:bs=-0.08",
}


def frame_bytes(width: int, height: int) -> int:
    return width * height * 3 // 2


def fps_arg(fps: Fraction) -> str:
    return f"{fps.numerator}/{fps.denominator}"


def crop_box(src_w: int, src_h: int, out_w: int, out_h: int, cx: float, cy: float) -> tuple[int, int, int, int]:
    """The largest source rectangle with the output's aspect, centred near (cx, cy)."""
    target = out_w / out_h
    if src_w / src_h > target:
        ch = src_h
        cw = min(src_w, int(round(src_h * target / 2)) * 2)
    else:
        cw = src_w
        ch = min(src_h, int(round(src_w / target / 2)) * 2)
    x = int(round(min(max(cx * src_w - cw / 2, 0), src_w - cw)))
    y = int(round(min(max(cy * src_h - ch / 2, 0), src_h - ch)))
    return cw, ch, x, y


def speed_filter(item: ClipItem, fps: Fraction) -> str:
    """setpts that maps source time to record time (constant speed or a linear ramp)."""
    if item.speed_end is None or abs(item.speed_end - item.speed) < 1e-9:
        return f"setpts=(PTS-STARTPTS)/{item.speed:.6f}"
    s0 = item.speed
    total = item.frames / float(fps)
    k = (item.speed_end - s0) / total
    # source offset tau = s0*t + k*t^2/2  ->  t = (sqrt(s0^2 + 2*k*tau) - s0) / k
    return f"setpts=(sqrt({s0 * s0:.9f}+{2 * k:.9f}*(PTS-STARTPTS)*TB)-{s0:.9f})/{k:.9f}/TB"


def reframe_filter(item: ClipItem, src_w: int, src_h: int, out_w: int, out_h: int) -> str:
    """Filters that turn the (display-oriented) source into out_w x out_h."""
    if item.reframe.mode == "blur_pad":
        # Background: the source scaled to cover at 1/8 size, blurred, scaled up; foreground: fit.
        bw, bh = max(2, out_w // 8 // 2 * 2), max(2, out_h // 8 // 2 * 2)
        return (
            f"split=2[bg][fg];"
            f"[bg]scale={bw}:{bh}:force_original_aspect_ratio=increase:flags=bilinear,crop={bw}:{bh},"
            f"boxblur=4:2,scale={out_w}:{out_h}:flags=bilinear[bgs];"
            f"[fg]scale={out_w}:{out_h}:force_original_aspect_ratio=decrease:flags=bicubic,"
            f"scale=trunc(iw/2)*2:trunc(ih/2)*2[fgs];"
            f"[bgs][fgs]overlay=(W-w)/2:(H-h)/2"
        )
    cw, ch, x, y = crop_box(src_w, src_h, out_w, out_h, item.reframe.cx, item.reframe.cy)
    parts = []
    if (cw, ch) != (src_w, src_h):
        parts.append(f"crop={cw}:{ch}:{x}:{y}")
    if (cw, ch) != (out_w, out_h):
        parts.append(f"scale={out_w}:{out_h}:flags=bicubic")
    return ",".join(parts) or "null"


def look_filters(look: LookItem) -> list[str]:
    if look.lut:
        return [f"lut3d=file='{_escape_path(look.lut)}'"]
    preset = LOOK_PRESETS.get(look.name, {})
    contrast = preset.get("contrast", 1.0) * look.contrast
    saturation = preset.get("saturation", 1.0) * look.saturation
    brightness = preset.get("brightness", 0.0) + look.brightness
    gamma = preset.get("gamma", 1.0) * look.gamma
    filters = []
    if look.name in LOOK_BALANCE:
        filters.append(LOOK_BALANCE[look.name])
    if (contrast, saturation, brightness, gamma) != (1.0, 1.0, 0.0, 1.0):
        filters.append(f"eq=contrast={contrast:.3f}:saturation={saturation:.3f}"
                       f":brightness={brightness:.3f}:gamma={gamma:.3f}")
    return filters


def _escape_path(path: str) -> str:
    return path.replace("\\", "\\\\").replace("'", "\\'").replace(":", "\\:")


def text_filter(text: TextItem, textfile: Path, out_h: int) -> str:
    size = max(12, out_h // 14)
    y = {"top": f"{out_h // 12}", "center": "(h-text_h)/2", "bottom": f"h-text_h-{out_h // 10}"}[text.position]
    return (
        f"drawtext=fontfile='{FONT}':textfile='{_escape_path(str(textfile))}':fontsize={size}"
        f":fontcolor=white:borderw={max(1, size // 12)}:bordercolor=black@0.8"
        f":x=(w-text_w)/2:y={y}:enable='between(n,{text.start_frame},{text.end_frame - 1})'"
    )


def encoder_args(timeline: Timeline, out_path: Path, *, audio_path: Path | None, video_filters: list[str],
                 preset: str, crf: int, threads: int = 0) -> list[str]:
    args = [
        "ffmpeg", "-v", "error", "-nostdin", "-y",
        "-f", "rawvideo", "-pix_fmt", "yuv420p", "-s", f"{timeline.width}x{timeline.height}",
        "-framerate", fps_arg(timeline.fps), "-i", "pipe:0",
    ]
    if audio_path is not None:
        args += ["-i", str(audio_path)]
    if video_filters:
        args += ["-filter_threads", "1", "-vf", ",".join(video_filters)]
    args += [
        "-map", "0:v",
        "-c:v", "libx264", "-preset", preset, "-crf", str(crf), "-threads", str(threads),
        "-pix_fmt", "yuv420p", "-r", fps_arg(timeline.fps),
    ]
    if audio_path is not None:
        args += ["-map", "1:a", "-c:a", "aac", "-b:a", "192k"]
    args += ["-movflags", "+faststart", "-f", "mp4", str(out_path)]
    return args


LIMIT = 0.841  # -1.5 dBFS: the ceiling the limiter holds after the loudness gain


def audio_args(timeline: Timeline, out_wav: Path | None, *, sample_rate: int = 48000,
               gain_db: float | None = None) -> list[str]:
    """Music segments → one WAV of exactly the reel's duration, faded and loudness-normalised:
    a gain, then a peak limiter at -1.5 dBFS (drum-heavy music needs both to reach -14 LUFS).
    With `out_wav` None the command only meters the mix after that gain (loudnorm prints the
    measurement as JSON on stderr), which is how the renderer finds the gain."""
    audio = timeline.audio
    assert audio is not None
    duration = timeline.duration
    chains, labels = [], []
    for n, seg in enumerate(audio.segments):
        chains.append(
            f"[0:a]atrim=start={seg.source_start:.6f}:duration={seg.duration:.6f},asetpts=PTS-STARTPTS,"
            f"aresample={sample_rate},adelay={int(round(seg.record_start * 1000))}:all=1[s{n}]"
        )
        labels.append(f"[s{n}]")
    mix = (f"{''.join(labels)}amix=inputs={len(labels)}:normalize=0:duration=longest" if len(labels) > 1
           else f"{labels[0]}anull")
    level = ([f"volume={gain_db:.3f}dB", f"alimiter=limit={LIMIT}:attack=2:release=40:level=false"]
             if gain_db is not None else [])
    if out_wav is None:
        meter = ",".join([*level, f"loudnorm=I={audio.loudness_lufs}:print_format=json"])
        return ["ffmpeg", "-v", "info", "-nostdin", "-i", audio.source, "-filter_complex",
                ";".join(chains + [f"{mix},{meter}[a]"]), "-map", "[a]", "-f", "null", "-"]
    post = [*level, f"aresample={sample_rate}",
            f"apad=whole_dur={duration:.6f}", f"atrim=duration={duration:.6f}"]
    if audio.fade_in > 0:
        post.append(f"afade=t=in:st=0:d={audio.fade_in:.3f}")
    if audio.fade_out > 0:
        post.append(f"afade=t=out:st={max(duration - audio.fade_out, 0):.6f}:d={audio.fade_out:.3f}")
    graph = ";".join(chains + [f"{mix},{','.join(post)}[a]"])
    return ["ffmpeg", "-v", "error", "-nostdin", "-y", "-i", audio.source, "-filter_complex", graph,
            "-map", "[a]", "-ac", "2", "-c:a", "pcm_s16le", "-f", "wav", str(out_wav)]
