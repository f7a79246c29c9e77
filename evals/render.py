"""Render benchmark: the same 15 s 1080p30 edit rendered by our renderer, by a single ffmpeg
command and by an idiomatic MoviePy 2 script, in one run, side by side.

The edit: 31 items (30 cuts) on a 128 BPM grid (half-beat, beat and two-beat cuts), 10 of the cuts
crossfades (8-10 frames), a colour look (eq contrast 1.1, saturation 1.2), 8 beat flashes, music.
The sources are synthetic 1080p30 H.264 clips (x264 default GOP, keyint 250) that carry a frame
code: a bar of 16 black/white blocks along the top edge holding (source id, source frame) in
binary. Every output frame outside a crossfade or a flash is decoded and its code compared with
the (source id, source frame) the timeline asks for.

Per renderer, each in its own child process (CPU-pinned to two cores where there are more):
wall seconds, CPU seconds (user + sys of the child and all its descendants, from
RUSAGE_CHILDREN deltas), wall / reel duration, wall ratio to ours, peak RSS of the process tree
(sampled every 50 ms, summed over the tree) and of the largest single process, CPU seconds split
by process role (python / decoder / encoder / xfade / ...; sampled, so approximate), and the
frame-exactness check. Writes render.json and render.png into out_dir.

    python -c "from evals.render import run; from pathlib import Path; run(Path('out/eval-render'))"
"""

from __future__ import annotations

import json
import os
import random
import resource
import shlex
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

FPS = 30
BPM = 128.0
HALF_BEAT = FPS * 60.0 / BPM / 2  # 7.03125 frames
RENDERERS = ("ours", "ffmpeg", "moviepy")
REPO = Path(__file__).resolve().parents[1]

# Frame code: 16 blocks across the top edge; 4 bits source id (MSB left), then 12 bits frame number.
CODE_BLOCKS = 16
SID_BITS = 4
FRAME_BITS = CODE_BLOCKS - SID_BITS
BAR_H = 80 / 1080  # black bar height, share of the frame height
BLOCK_Y0, BLOCK_Y1 = 10 / 1080, 70 / 1080  # blocks inside the bar
BLOCK_FILL = 0.8  # share of each 1/16 column a block covers

# (lavfi source, seconds): varied material, all 30 fps; small generators are scaled up.
SOURCES: tuple[tuple[str, float], ...] = (
    ("testsrc2=s={W}x{H}:r=30", 24.0),
    ("mandelbrot=s=480x270:r=30:maxiter=300:end_scale=0.05,scale={W}:{H}:flags=bicubic", 22.0),
    ("life=s=480x270:r=30:mold=10:ratio=0.1:death_color=#C83232:life_color=#00ff00,"
     "scale={W}:{H}:flags=neighbor,hue=h=t*12", 20.0),
    ("gradients=s=960x540:r=30:speed=0.03:nb_colors=4,scale={W}:{H}:flags=bicubic", 26.0),
    ("smptehdbars=s={W}x{H}:r=30,scroll=h=0.003:v=0.001", 28.0),
    ("cellauto=s=640x360:r=30:rule=110:random_fill_ratio=0.5,scale={W}:{H}:flags=neighbor,"
     "hue=h=t*30:s=2", 30.0),
)


@dataclass(frozen=True)
class Config:
    name: str
    width: int
    height: int
    src_width: int
    src_height: int
    src_seconds_scale: float  # source length = SOURCES seconds * this
    frames: int  # reel length in output frames
    half_beats: tuple[int, ...]  # item lengths on the half-beat grid (last item runs to `frames`)
    transitions: int
    flashes: int


FULL = Config("full", 1920, 1080, 1920, 1080, 1.0, 450,
              (4, 2, 2, 1, 1, 2, 2, 2, 4, 2, 1, 1, 2, 2, 2, 4, 2, 2, 1, 1, 2, 2, 4, 2, 1, 1, 2, 2, 2, 2, 2),
              transitions=10, flashes=8)
QUICK = Config("quick", 640, 360, 960, 540, 0.34, 90, (4, 2, 2, 1, 1, 2), transitions=2, flashes=2)


# ---------------------------------------------------------------------------------------------
# Media: self-identifying sources and music, cached in out_dir/media


def _code_filters(sid: int, w: int, h: int) -> list[str]:
    bar_h = max(2, round(h * BAR_H))
    col = w / CODE_BLOCKS
    y0, bh = round(h * BLOCK_Y0), max(2, round(h * (BLOCK_Y1 - BLOCK_Y0)))
    bw = max(2, round(col * BLOCK_FILL))
    out = [f"drawbox=x=0:y=0:w={w}:h={bar_h}:color=black:t=fill"]
    for i in range(CODE_BLOCKS):
        x = round(i * col + (col - bw) / 2)
        box = f"drawbox=x={x}:y={y0}:w={bw}:h={bh}:color=white:t=fill"
        if i < SID_BITS:
            if (sid >> (SID_BITS - 1 - i)) & 1:
                out.append(box)
        else:
            bit = CODE_BLOCKS - 1 - i
            out.append(f"{box}:enable='mod(floor(n/{2 ** bit}),2)'")
    return out


def make_sources(media: Path, cfg: Config) -> list[dict]:
    """Generate (or reuse) the coded sources; returns [{sid, path, frames}]."""
    media.mkdir(parents=True, exist_ok=True)
    out = []
    for n, (spec, seconds) in enumerate(SOURCES):
        sid = n + 1
        secs = round(seconds * cfg.src_seconds_scale, 3)
        w, h = cfg.src_width, cfg.src_height
        path = media / f"src{sid}_{w}x{h}_{secs:g}s.mp4"
        frames = int(round(secs * FPS))
        if not path.exists():
            chain = ",".join([spec.format(W=w, H=h), "format=yuv420p", *_code_filters(sid, w, h)])
            tmp = path.with_name(f".{path.name}.tmp.mp4")
            cmd = ["ffmpeg", "-v", "error", "-nostdin", "-y", "-f", "lavfi", "-i", chain, "-t", f"{secs}",
                   "-c:v", "libx264", "-preset", "veryfast", "-crf", "18", "-pix_fmt", "yuv420p",
                   "-movflags", "+faststart", str(tmp)]  # x264 default GOP: keyint 250
            proc = subprocess.run(cmd, capture_output=True, text=True)
            if proc.returncode != 0:
                raise RuntimeError(f"source {sid} generation failed: {proc.stderr[-500:]}")
            os.replace(tmp, path)
        out.append({"sid": sid, "path": str(path.resolve()), "frames": frames})
    return out


def make_music(media: Path, seconds: float = 20.0) -> Path:
    path = media / f"music_{BPM:g}bpm_{seconds:g}s.wav"
    if not path.exists():
        from agent.media.synth import synth_drum_track

        tmp = path.with_name(f".{path.stem}.tmp.wav")
        synth_drum_track(tmp, BPM, seconds)
        os.replace(tmp, path)
    return path.resolve()


# ---------------------------------------------------------------------------------------------
# The edit: one item list that all three renderers render


def build_edit(cfg: Config, sources: list[dict], seed: int = 7) -> dict:
    """Items, crossfades and flashes on the beat grid, as plain frame numbers."""
    bounds = [0]
    pos = 0
    for hb in cfg.half_beats:
        pos += hb
        bounds.append(int(round(pos * HALF_BEAT)))
    bounds[-1] = cfg.frames
    lens = [b - a for a, b in zip(bounds, bounds[1:])]
    n = len(lens)

    # Crossfades: on cuts with at least a beat on both sides, spread evenly over the candidates.
    cands = [i for i in range(1, n) if lens[i - 1] >= 14 and lens[i] >= 14]
    picks = sorted({cands[int(round(k))] for k in np.linspace(0, len(cands) - 1, cfg.transitions)})
    lengths = (8, 9, 10)
    trans: dict[int, int] = {}
    for k, i in enumerate(picks):
        trans[i] = lengths[k % 3]
    heads = [trans.get(i, 0) // 2 for i in range(n)]
    tails = [(trans[i + 1] - trans[i + 1] // 2) if i + 1 in trans else 0 for i in range(n)]
    for i in range(n):  # both transitions of an item must leave it at least 2 clean frames
        assert (trans.get(i, 0) - trans.get(i, 0) // 2) + (trans.get(i + 1, 0) // 2) <= lens[i] - 2, i

    # Flashes: on hard cuts whose incoming item has room before its own next transition.
    fl_cands = []
    for i in range(1, n):
        if i in trans:
            continue
        end_free = bounds[i + 1] - (trans[i + 1] // 2 if i + 1 in trans else 0)
        if bounds[i] + 5 <= end_free:
            fl_cands.append(i)
    fl_picks = sorted({fl_cands[int(round(k))] for k in np.linspace(0, len(fl_cands) - 1, cfg.flashes)})
    flashes = [{"start_frame": bounds[i], "end_frame": bounds[i] + (5 if k % 2 == 0 else 4), "intensity": 0.8}
               for k, i in enumerate(fl_picks)]

    # Sources: mostly a different source per item, anywhere in it; some items continue the
    # previous item's source range (one of them across a crossfade).
    rng = random.Random(seed)
    continue_from_prev = {i for i in range(3, n, 6)}
    if picks:
        continue_from_prev.add(picks[len(picks) // 2])
    items = []
    used: dict[int, int] = {}
    prev = None
    for i in range(n):
        need_before, need = heads[i], lens[i] + tails[i]
        if prev is not None and i in continue_from_prev:
            sid = prev["sid"]
            start = prev["start_frame"] + prev["frames"]
            src = sources[sid - 1]
            if start - need_before < 0 or start + need > src["frames"] - 15:
                prev = None  # does not fit: fall through to a fresh pick
        if prev is None or i not in continue_from_prev:
            choices = [s for s in sources if prev is None or s["sid"] != prev["sid"]]
            fewest = min(used.get(s["sid"], 0) for s in choices)  # every source gets used
            src = rng.choice([s for s in choices if used.get(s["sid"], 0) == fewest])
            sid = src["sid"]
            lo, hi = need_before + 15, src["frames"] - need - 15
            start = rng.randint(lo, hi)
        items.append({"sid": sid, "source": sources[sid - 1]["path"], "start_frame": start,
                      "record_start": bounds[i], "record_end": bounds[i + 1], "frames": lens[i],
                      "head": heads[i], "tail": tails[i]})
        used[sid] = used.get(sid, 0) + 1
        prev = items[-1]
    transitions = [{"index": i, "cut_frame": bounds[i], "frames": f,
                    "start_frame": bounds[i] - f // 2, "end_frame": bounds[i] - f // 2 + f}
                   for i, f in sorted(trans.items())]
    return {"width": cfg.width, "height": cfg.height, "fps": FPS, "frames": cfg.frames,
            "duration": cfg.frames / FPS, "items": items, "transitions": transitions, "flashes": flashes,
            "look": {"contrast": 1.1, "saturation": 1.2}}


def keyframes(path: str) -> list[int]:
    """Keyframe numbers of a constant-30-fps source (from packet flags, no decoding)."""
    proc = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
                           "packet=pts,flags", "-show_entries", "stream=time_base", "-of", "json", path],
                          capture_output=True, text=True, check=True)
    data = json.loads(proc.stdout)
    num, den = (int(x) for x in data["streams"][0]["time_base"].split("/"))
    return sorted(round(int(p["pts"]) * num * FPS / den) for p in data["packets"] if "K" in p.get("flags", ""))


def decode_stats(edit: dict) -> dict:
    """Frames a seeking decoder must decode and throw away before each item's first frame (it
    starts at the keyframe before): the hidden cost of cutting long-GOP sources."""
    kf = {}
    preroll, needed = [], 0
    for it in edit["items"]:
        if it["source"] not in kf:
            kf[it["source"]] = keyframes(it["source"])
        first = it["start_frame"] - it["head"]
        prior = max((k for k in kf[it["source"]] if k <= first), default=0)
        preroll.append(first - prior)
        needed += it["head"] + it["frames"] + it["tail"]
    return {"frames_needed": needed, "preroll_frames": sum(preroll), "preroll_per_item": preroll,
            "keyframes_per_source": {Path(s).name: len(v) for s, v in kf.items()}}


def to_timeline(edit: dict, music: Path):
    from agent.timeline.model import (AudioSegment, AudioTrack, ClipItem, EffectItem, LookItem, Timeline,
                                      TransitionItem)

    return Timeline(
        fps_num=edit["fps"], width=edit["width"], height=edit["height"],
        items=[ClipItem(source=it["source"], source_start=it["start_frame"] / edit["fps"],
                        record_start=it["record_start"], record_end=it["record_end"]) for it in edit["items"]],
        transitions=[TransitionItem(index=t["index"], cut_frame=t["cut_frame"], frames=t["frames"], name="fade")
                     for t in edit["transitions"]],
        effects=[EffectItem(kind="flash", start_frame=f["start_frame"], end_frame=f["end_frame"],
                            intensity=f["intensity"]) for f in edit["flashes"]],
        audio=AudioTrack(source=str(music), segments=[AudioSegment(source_start=0.0, record_start=0.0,
                                                                   duration=edit["duration"])]),
        look=LookItem(contrast=edit["look"]["contrast"], saturation=edit["look"]["saturation"]),
    )


def flash_amounts(edit: dict) -> dict[int, float]:
    """Per-frame flash strength, the same envelope as agent.render.effects: full, easing out."""
    table = {}
    for f in edit["flashes"]:
        length = f["end_frame"] - f["start_frame"]
        for k in range(f["start_frame"], f["end_frame"]):
            table[k] = (1 - (k - f["start_frame"]) / length) ** 2 * f["intensity"]
    return table


def expected_codes(edit: dict) -> list[tuple[int, int] | None]:
    """(source id, source frame) per output frame; None inside a crossfade or a flash."""
    skip = set()
    for t in edit["transitions"]:
        skip.update(range(t["start_frame"], t["end_frame"]))
    for f in edit["flashes"]:
        skip.update(range(f["start_frame"], f["end_frame"]))
    out: list[tuple[int, int] | None] = []
    for it in edit["items"]:
        for k in range(it["record_start"], it["record_end"]):
            out.append(None if k in skip else (it["sid"], it["start_frame"] + k - it["record_start"]))
    return out


# ---------------------------------------------------------------------------------------------
# Baseline 1: one ffmpeg command


def ffmpeg_command(edit: dict, music: Path, out: Path) -> list[str]:
    """One input per shot (-ss before -i, -t), trim, scale/crop, xfade on crossfade cuts, concat
    on hard cuts, drawbox per flash frame, eq for the look, the music, x264 superfast crf 20."""
    w, h, fps = edit["width"], edit["height"], edit["fps"]
    args = ["ffmpeg", "-v", "error", "-nostdin", "-y"]
    graph = []
    for i, it in enumerate(edit["items"]):
        n = it["head"] + it["frames"] + it["tail"]
        ss = (it["start_frame"] - it["head"]) / fps
        args += ["-ss", f"{ss:.6f}", "-t", f"{n / fps:.6f}", "-i", it["source"]]
        graph.append(f"[{i}:v]trim=end_frame={n},setpts=PTS-STARTPTS,settb=AVTB,"
                     f"scale={w}:{h}:force_original_aspect_ratio=increase,crop={w}:{h},setsar=1[v{i}]")
    args += ["-i", str(music)]
    trans = {t["index"]: t for t in edit["transitions"]}
    cur, cur_len, pending = "v0", edit["items"][0]["head"] + edit["items"][0]["frames"] + edit["items"][0]["tail"], []
    chain_no = 0

    def flush(cur: str, pending: list[str]) -> str:
        nonlocal chain_no
        if not pending:
            return cur
        chain_no += 1
        label = f"c{chain_no}"
        graph.append("".join(f"[{x}]" for x in [cur, *pending]) + f"concat=n={len(pending) + 1}:v=1:a=0[{label}]")
        return label

    for i, it in enumerate(edit["items"][1:], start=1):
        n = it["head"] + it["frames"] + it["tail"]
        if i in trans:
            cur = flush(cur, pending)
            pending = []
            f = trans[i]["frames"]
            chain_no += 1
            label = f"x{chain_no}"
            # Offset half a frame early: concat re-times in microseconds and rounds, so an exact
            # offset can land a hair after its frame and start the fade one frame late.
            graph.append(f"[{cur}][v{i}]xfade=transition=fade:duration={f / fps:.6f}"
                         f":offset={(cur_len - f - 0.5) / fps:.6f}[{label}]")
            cur, cur_len = label, cur_len + n - f
        else:
            pending.append(f"v{i}")
            cur_len += n
    cur = flush(cur, pending)
    post = [f"drawbox=x=0:y=0:w=iw:h=ih:color=white@{a:.3f}:t=fill:enable='eq(n,{k})'"
            for k, a in sorted(flash_amounts(edit).items())]
    look = edit["look"]
    post.append(f"eq=contrast={look['contrast']}:saturation={look['saturation']}")
    post.append("format=yuv420p")
    graph.append(f"[{cur}]" + ",".join(post) + "[vout]")
    graph.append(f"[{len(edit['items'])}:a]atrim=duration={edit['duration']:.6f},asetpts=PTS-STARTPTS,"
                 "loudnorm=I=-14:TP=-1.5:LRA=11,aresample=48000,aformat=channel_layouts=stereo[aout]")
    args += ["-filter_complex", ";".join(graph), "-map", "[vout]", "-map", "[aout]",
             "-c:v", "libx264", "-preset", "superfast", "-crf", "20", "-r", str(fps),
             "-c:a", "aac", "-b:a", "192k", "-frames:v", str(edit["frames"]),
             "-movflags", "+faststart", str(out)]
    return args


# ---------------------------------------------------------------------------------------------
# Baseline 2: an idiomatic MoviePy 2.2 script (written out, then run by a child Python)

MOVIEPY_SCRIPT = r'''
import json, sys, time
t0 = time.monotonic()
import numpy as np
from moviepy import AudioFileClip, CompositeVideoClip, VideoFileClip, vfx

edit = json.load(open(sys.argv[1]))
music, out = sys.argv[2], sys.argv[3]
W, H, FPS = edit["width"], edit["height"], edit["fps"]
t1 = time.monotonic()

fades = {t["index"]: t["frames"] for t in edit["transitions"]}
clips, opened = [], []
for i, it in enumerate(edit["items"]):
    src = VideoFileClip(it["source"], audio=False)
    opened.append(src)
    start = (it["start_frame"] - it["head"]) / FPS
    clip = src.subclipped(start, start + (it["head"] + it["frames"] + it["tail"]) / FPS)
    if clip.size != [W, H] and tuple(clip.size) != (W, H):  # cover, then centre-crop
        scale = max(W / clip.w, H / clip.h)
        clip = clip.resized(scale).cropped(x_center=clip.w * scale / 2, y_center=clip.h * scale / 2,
                                           width=W, height=H)
    clip = clip.with_start((it["record_start"] - it["head"]) / FPS)
    if i in fades:
        clip = clip.with_effects([vfx.CrossFadeIn(fades[i] / FPS)])
    clips.append(clip)

video = CompositeVideoClip(clips, size=(W, H)).with_duration(edit["frames"] / FPS)

flash = {}
for f in edit["flashes"]:
    n = f["end_frame"] - f["start_frame"]
    for k in range(f["start_frame"], f["end_frame"]):
        flash[k] = (1 - (k - f["start_frame"]) / n) ** 2 * f["intensity"]

def flashes(get_frame, t):
    frame = get_frame(t)
    a = flash.get(int(round(t * FPS)))
    if a:
        frame = (frame * (1 - a) + 255 * a).astype("uint8")
    return frame

def saturation(im, s=edit["look"]["saturation"]):
    im = im.astype("float32")
    grey = im @ np.array([0.299, 0.587, 0.114], dtype="float32")
    return np.clip(grey[..., None] + s * (im - grey[..., None]), 0, 255).astype("uint8")

video = video.transform(flashes)
video = video.with_effects([vfx.LumContrast(contrast=edit["look"]["contrast"] - 1, contrast_threshold=128)])
video = video.image_transform(saturation)
video = video.with_audio(AudioFileClip(music).subclipped(0, edit["frames"] / FPS))
video.write_videofile(out, fps=FPS, codec="libx264", preset="superfast", ffmpeg_params=["-crf", "20"],
                      threads=2, audio_codec="aac", audio_bitrate="192k", logger=None,
                      temp_audiofile=out + ".temp-audio.m4a")
for c in opened:
    c.close()
print(json.dumps({"import_s": t1 - t0, "render_s": time.monotonic() - t1}))
'''

OURS_SCRIPT = r'''
import json, sys, time
t0 = time.monotonic()
from agent.render.render import render
from agent.timeline.model import Timeline
tl = Timeline.model_validate_json(open(sys.argv[1]).read())
t1 = time.monotonic()
result = render(tl, sys.argv[2])
print(json.dumps({"import_s": t1 - t0, "render_s": time.monotonic() - t1, "warnings": result.warnings}))
'''

FFMPEG_SCRIPT = r'''
import json, subprocess, sys, time
t0 = time.monotonic()
cmd = json.load(open(sys.argv[1]))
proc = subprocess.run(cmd)
if proc.returncode:
    sys.exit(proc.returncode)
print(json.dumps({"import_s": 0.0, "render_s": time.monotonic() - t0}))
'''


# ---------------------------------------------------------------------------------------------
# Measuring a child process tree


def _children(pid: int) -> list[int]:
    kids = []
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            try:
                kids += [int(x) for x in Path(f"/proc/{pid}/task/{tid}/children").read_text().split()]
            except OSError:
                pass
    except OSError:
        pass
    return kids


def _role(cmd: list[str]) -> str:
    exe = Path(cmd[0]).name if cmd else "?"
    if exe.startswith("python"):
        return "python"
    if exe == "ffprobe":
        return "ffprobe"
    if not exe.startswith("ffmpeg"):
        return exe
    text = " ".join(cmd)
    if "xfade" in text and "pipe:1" in text:
        return "ffmpeg xfade"
    if "loudnorm" in text and "pcm_s16le" in text:
        return "ffmpeg audio"
    if "libx264" in text and ("pipe:0" in text or " - " in f"{text} " or "-i -" in text):
        return "ffmpeg encoder"
    if "pipe:1" in text or cmd[-1] == "-":
        return "ffmpeg decoder"
    return "ffmpeg"


class TreeSampler(threading.Thread):
    """Every `interval` s: RSS of the process and all its descendants (sum and largest single),
    and the last seen CPU ticks of each process (for a CPU split by role)."""

    def __init__(self, root: int, interval: float = 0.05):
        super().__init__(daemon=True)
        self.root, self.interval = root, interval
        self.peak_tree_kb = 0
        self.peak_single_kb = 0
        self.peak_single_role = ""
        self.max_procs = 0
        self.cpu: dict[int, tuple[str, float]] = {}
        self._halt = threading.Event()
        self._tick = os.sysconf("SC_CLK_TCK")

    def run(self) -> None:
        while not self._halt.is_set():
            self.sample()
            self._halt.wait(self.interval)

    def sample(self) -> None:
        pids, todo = [], [self.root]
        while todo:
            pid = todo.pop()
            pids.append(pid)
            todo += _children(pid)
        total = 0
        for pid in pids:
            try:
                status = Path(f"/proc/{pid}/status").read_text()
                stat = Path(f"/proc/{pid}/stat").read_text()
            except OSError:
                continue
            rss = next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:")), 0)
            fields = stat[stat.rindex(")") + 2:].split()
            cpu = (int(fields[11]) + int(fields[12])) / self._tick  # utime + stime
            if pid not in self.cpu:
                try:
                    cmd = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
                    role = _role([c.decode(errors="replace") for c in cmd if c])
                except OSError:
                    role = "?"
            else:
                role = self.cpu[pid][0]
            self.cpu[pid] = (role, cpu)
            total += rss
            if rss > self.peak_single_kb:
                self.peak_single_kb, self.peak_single_role = rss, role
        self.peak_tree_kb = max(self.peak_tree_kb, total)
        self.max_procs = max(self.max_procs, len(pids))

    def stop(self) -> None:
        self._halt.set()
        self.join()

    def cpu_by_role(self) -> dict[str, float]:
        out: dict[str, float] = {}
        for role, cpu in self.cpu.values():
            out[role] = round(out.get(role, 0.0) + cpu, 2)
        return out


def _pin_two_cores() -> None:
    allowed = sorted(os.sched_getaffinity(0))
    if len(allowed) > 2:
        os.sched_setaffinity(0, set(allowed[:2]))


def measure(argv: list[str], log: Path, env: dict | None = None) -> dict:
    """Run argv as a child (pinned to 2 cores); wall, CPU (RUSAGE_CHILDREN delta), RSS tree."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    load = os.getloadavg()[0]
    started = time.monotonic()
    with open(log, "wb") as err:
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=err, stdin=subprocess.DEVNULL,
                                env=env, cwd=REPO, preexec_fn=_pin_two_cores)
        sampler = TreeSampler(proc.pid)
        sampler.start()
        stdout, _ = proc.communicate()
        wall = time.monotonic() - started
        sampler.stop()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    inner = {}
    for line in reversed(stdout.decode(errors="replace").splitlines()):
        if line.startswith("{"):
            inner = json.loads(line)
            break
    user, system = after.ru_utime - before.ru_utime, after.ru_stime - before.ru_stime
    return {"returncode": proc.returncode, "wall_s": round(wall, 3), "cpu_s": round(user + system, 3),
            "user_s": round(user, 3), "sys_s": round(system, 3),
            "cpu_util": round((user + system) / wall, 2) if wall else None,
            "peak_rss_tree_mb": round(sampler.peak_tree_kb / 1024, 1),
            "peak_rss_single_mb": round(sampler.peak_single_kb / 1024, 1),
            "peak_rss_single_role": sampler.peak_single_role, "max_processes": sampler.max_procs,
            "cpu_by_role_s": sampler.cpu_by_role(), "loadavg_before": round(load, 2),
            "inner": inner, "log": str(log)}


# ---------------------------------------------------------------------------------------------
# Frame-exactness check


def read_codes(path: Path, width: int, height: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Decode the top band of every frame; returns (source id, frame number, readable) per frame."""
    band = min(height, (int(np.ceil(height * BAR_H)) + 1) // 2 * 2)
    proc = subprocess.run(["ffmpeg", "-v", "error", "-nostdin", "-i", str(path), "-map", "0:v:0",
                           "-vf", f"crop={width}:{band}:0:0", "-f", "rawvideo", "-pix_fmt", "gray", "pipe:1"],
                          capture_output=True, check=True)
    luma = np.frombuffer(proc.stdout, dtype=np.uint8).reshape(-1, band, width)
    col = width / CODE_BLOCKS
    y0 = int(height * (BLOCK_Y0 + (BLOCK_Y1 - BLOCK_Y0) * 0.25))
    y1 = max(y0 + 1, int(np.ceil(height * (BLOCK_Y0 + (BLOCK_Y1 - BLOCK_Y0) * 0.75))))
    means = np.empty((luma.shape[0], CODE_BLOCKS))
    for i in range(CODE_BLOCKS):
        x0 = int(i * col + col * (1 - BLOCK_FILL * 0.5) / 2)
        x1 = max(x0 + 1, int(np.ceil((i + 1) * col - col * (1 - BLOCK_FILL * 0.5) / 2)))
        means[:, i] = luma[:, y0:y1, x0:x1].mean(axis=(1, 2))
    bits = (means > 128).astype(np.int64)
    readable = ((means < 70) | (means > 185)).all(axis=1)
    weights = 1 << np.arange(CODE_BLOCKS - 1, -1, -1)
    value = bits @ weights
    return value >> FRAME_BITS, value & ((1 << FRAME_BITS) - 1), readable


def check_frames(path: Path, edit: dict, expected: list | None = None) -> dict:
    expected = expected_codes(edit) if expected is None else expected
    sids, frames, readable = read_codes(path, edit["width"], edit["height"])
    checked = matched = unreadable = missing = 0
    mismatches, deltas = [], {}
    for k, exp in enumerate(expected):
        if exp is None:
            continue
        checked += 1
        if k >= len(sids):
            missing += 1
            continue
        got = (int(sids[k]), int(frames[k]))
        if got == tuple(exp):
            matched += 1
            continue
        if not readable[k]:
            unreadable += 1
        if got[0] == exp[0]:
            d = got[1] - exp[1]
            deltas[str(d)] = deltas.get(str(d), 0) + 1
        else:
            deltas["other source"] = deltas.get("other source", 0) + 1
        if len(mismatches) < 8:
            mismatches.append({"frame": k, "expected": list(exp), "got": list(got), "readable": bool(readable[k])})
    return {"output_frames": int(len(sids)), "expected_frames": len(expected), "checked": checked,
            "matched": matched, "exact_share": round(matched / checked, 4) if checked else 0.0,
            "mismatches": checked - matched, "unreadable": unreadable, "missing": missing,
            "mismatch_deltas": deltas, "first_mismatches": mismatches}


def probe_summary(path: Path) -> dict:
    proc = subprocess.run(["ffprobe", "-v", "error", "-print_format", "json", "-show_streams", "-show_format",
                           str(path)], capture_output=True, text=True)
    if proc.returncode:
        return {"error": proc.stderr.strip()[-300:]}
    data = json.loads(proc.stdout)
    v = next((s for s in data["streams"] if s["codec_type"] == "video"), {})
    a = next((s for s in data["streams"] if s["codec_type"] == "audio"), None)
    return {"size": f"{v.get('width')}x{v.get('height')}", "nb_frames": int(v.get("nb_frames") or -1),
            "pix_fmt": v.get("pix_fmt"), "duration": float(data["format"].get("duration") or 0),
            "bytes": int(data["format"].get("size") or 0), "audio": a is not None}


# ---------------------------------------------------------------------------------------------


def run(out_dir: Path, renderers: tuple[str, ...] = RENDERERS, quick: bool = False, repeats: int = 2) -> dict:
    """Render the benchmark edit with each renderer (`repeats` rounds, interleaved), check every
    output, write render.json / render.png into out_dir, print a table, return the results."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    cfg = QUICK if quick else FULL
    media = out_dir / "media"
    t0 = time.monotonic()
    sources = make_sources(media, cfg)
    music = make_music(media)
    media_s = time.monotonic() - t0
    edit = build_edit(cfg, sources)
    work = out_dir / f"work-{cfg.name}"
    work.mkdir(exist_ok=True)
    (work / "edit.json").write_text(json.dumps(edit, indent=1))
    timeline = to_timeline(edit, music)
    (work / "timeline.json").write_text(timeline.model_dump_json(indent=1))
    (work / "moviepy_script.py").write_text(MOVIEPY_SCRIPT)
    env = dict(os.environ, IMAGEIO_FFMPEG_EXE="/usr/bin/ffmpeg", PYTHONPATH=str(REPO))

    runs: dict[str, list[dict]] = {name: [] for name in renderers}
    for rep in range(repeats):
        for name in renderers:
            out = work / f"{name}.mp4"
            out.unlink(missing_ok=True)
            log = work / f"{name}.{rep}.log"
            if name == "ours":
                argv = [sys.executable, "-c", OURS_SCRIPT, str(work / "timeline.json"), str(out)]
            elif name == "ffmpeg":
                cmd = ffmpeg_command(edit, music, out)
                (work / "ffmpeg_cmd.json").write_text(json.dumps(cmd))
                (work / "ffmpeg_cmd.sh").write_text(shlex.join(cmd) + "\n")
                argv = [sys.executable, "-c", FFMPEG_SCRIPT, str(work / "ffmpeg_cmd.json")]
            elif name == "moviepy":
                argv = [sys.executable, str(work / "moviepy_script.py"), str(work / "edit.json"), str(music), str(out)]
            else:
                raise ValueError(f"unknown renderer {name!r}; use {RENDERERS}")
            m = measure(argv, log, env)
            m["output"] = probe_summary(out) if out.exists() else {"error": "no output"}
            m["frame_check"] = check_frames(out, edit) if out.exists() and m["returncode"] == 0 else None
            runs[name].append(m)

    duration = edit["duration"]
    results: dict[str, dict] = {}
    for name, ms in runs.items():
        ok = [m for m in ms if m["returncode"] == 0]
        best = min(ok, key=lambda m: m["wall_s"]) if ok else ms[-1]
        r = dict(best)
        r["wall_s_all"] = [m["wall_s"] for m in ms]
        r["cpu_s_all"] = [m["cpu_s"] for m in ms]
        r["wall_over_duration"] = round(best["wall_s"] / duration, 3)
        r["x_realtime"] = round(duration / best["wall_s"], 3)
        results[name] = r
    if "ours" in results and results["ours"]["returncode"] == 0:
        for name, r in results.items():
            r["wall_ratio_to_ours"] = round(r["wall_s"] / results["ours"]["wall_s"], 3)
            r["cpu_ratio_to_ours"] = round(r["cpu_s"] / results["ours"]["cpu_s"], 3)

    report = {
        "config": cfg.name, "reel": {"width": edit["width"], "height": edit["height"], "fps": FPS,
                                     "frames": edit["frames"], "duration_s": duration,
                                     "items": len(edit["items"]), "cuts": len(edit["items"]) - 1,
                                     "crossfades": len(edit["transitions"]), "flashes": len(edit["flashes"])},
        "decode": decode_stats(edit),
        "machine": {"cpus_allowed": len(os.sched_getaffinity(0)), "cpu_count": os.cpu_count(),
                    "pinned_to": "first 2 allowed cores" if len(os.sched_getaffinity(0)) > 2 else "all (2)"},
        "repeats": repeats, "reported": "the fastest successful repeat per renderer; all walls in wall_s_all",
        "media_prep_s": round(media_s, 1), "sources": sources, "music": str(music),
        "renderers": results,
    }
    (out_dir / "render.json").write_text(json.dumps(report, indent=1))
    _chart(report, out_dir / "render.png")
    _print_table(report)
    return report


def _print_table(report: dict) -> None:
    reel = report["reel"]
    print(f"\nRender benchmark ({report['config']}): {reel['width']}x{reel['height']}@{reel['fps']}, "
          f"{reel['duration_s']:.1f} s, {reel['cuts']} cuts, {reel['crossfades']} crossfades, "
          f"{reel['flashes']} flashes; repeats={report['repeats']}")
    head = (f"{'renderer':<9}{'wall s':>8}{'CPU s':>8}{'xRT':>7}{'wall/ours':>10}{'RSS tree':>10}"
            f"{'RSS 1':>8}{'exact':>8}{'mism':>6}{'frames':>8}")
    print(head)
    print("-" * len(head))
    for name, r in report["renderers"].items():
        fc = r.get("frame_check") or {}
        exact = f"{fc['exact_share'] * 100:.1f}%" if fc else "n/a"
        print(f"{name:<9}{r['wall_s']:>8.2f}{r['cpu_s']:>8.2f}{r['x_realtime']:>7.2f}"
              f"{r.get('wall_ratio_to_ours', float('nan')):>10.2f}{r['peak_rss_tree_mb']:>9.0f}M"
              f"{r['peak_rss_single_mb']:>7.0f}M{exact:>8}{fc.get('mismatches', '-'):>6}"
              f"{fc.get('output_frames', '-'):>8}")
    print("xRT = reel duration / wall (>= 1: faster than real time); RSS tree = peak sum over the "
          "process tree; RSS 1 = largest single process")


def _chart(report: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(report["renderers"])
    rs = [report["renderers"][n] for n in names]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.2))
    x = np.arange(len(names))
    ax1.bar(x - 0.2, [r["wall_s"] for r in rs], 0.4, label="wall s")
    ax1.bar(x + 0.2, [r["cpu_s"] for r in rs], 0.4, label="CPU s (tree)")
    ax1.axhline(report["reel"]["duration_s"], color="k", ls="--", lw=1, label="reel duration (real time)")
    for i, r in enumerate(rs):
        fc = r.get("frame_check")
        ax1.text(i, max(r["wall_s"], r["cpu_s"]) * 1.02, f"exact {fc['exact_share'] * 100:.1f}%" if fc else "failed",
                 ha="center", fontsize=8)
    ax1.set_xticks(x, names)
    ax1.set_ylabel("seconds")
    ax1.set_title(f"{report['reel']['width']}x{report['reel']['height']} {report['reel']['duration_s']:.0f} s reel, 2 cores")
    ax1.legend(fontsize=8)
    ax2.bar(x - 0.2, [r["peak_rss_tree_mb"] for r in rs], 0.4, label="peak RSS, process tree")
    ax2.bar(x + 0.2, [r["peak_rss_single_mb"] for r in rs], 0.4, label="peak RSS, one process")
    ax2.set_xticks(x, names)
    ax2.set_ylabel("MiB")
    ax2.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
