"""Check an ffmpeg-filter tool: a filter chain that restyles frames of a span.

Static rules first: only filters from a list of pure per-frame video filters, and no option
value that could name a file, a device or a protocol (no `movie=`, `sendcmd`, `lut3d=file`, `/`,
`://` ...). Then the chain runs on a test clip in its own process with a timeout: it must parse,
keep the frame size, finish within a time budget, and not give a blank picture.
"""

from __future__ import annotations

import re
import subprocess
import time

import numpy as np

from agent.tools.glsl_check import BLANK_STD

# Filters that only compute on the frames they are given (no files, no devices, no commands).
ALLOWED_FILTERS = frozenset("""
eq hue curves colorbalance colorchannelmixer colorlevels colortemperature vibrance exposure monochrome
huesaturation selectivecolor unsharp gblur boxblur avgblur smartblur noise edgedetect negate lutyuv lutrgb
vignette chromashift rgbashift hflip vflip geq tblend tmix lagfun deflicker posterize convolution
sobel prewitt roberts emboss pixelize swaprect shuffleplanes format null setsar cas deband colorize
""".split())
# A value that looks like a path or a URL, and option names that take one (psfile, filename, ...).
_FORBIDDEN_VALUE = re.compile(r"^'?\s*(/|~|\.\./)|://|\.\./|\.[a-z][a-z0-9]{1,3}'?$", re.I)
_FORBIDDEN_KEY = re.compile(r"file|url|path|dev", re.I)
_SIZE = (1280, 720)
BUDGET_MS_PER_FRAME = 100.0  # at 720p, test-picture generation and process start included


def static_problems(chain: str) -> list[str]:
    problems = []
    if not chain.strip():
        return ["the filter chain is empty"]
    if ";" in chain or "[" in chain:
        return ["a tool is one linear chain: no ';' and no [labels]"]
    for part in _split(chain, ","):
        name, _, options = part.strip().partition("=")
        name = name.strip()
        if name not in ALLOWED_FILTERS:
            problems.append(f"filter {name!r} is not allowed (allowed: pure per-frame video filters)")
            continue
        for option in _split(options, ":"):
            key, _, value = option.rpartition("=")
            if _FORBIDDEN_KEY.search(key) or _FORBIDDEN_VALUE.search(value.strip()):
                problems.append(f"{name}: option {option!r} looks like a file, device or protocol")
    return problems


def _split(text: str, separator: str) -> list[str]:
    """Split on `separator` outside single quotes and not after a backslash (ffmpeg's rules)."""
    parts, current, quoted, escaped = [], [], False, False
    for char in text:
        if escaped:
            current.append(char)
            escaped = False
        elif char == "\\":
            current.append(char)
            escaped = True
        elif char == "'":
            quoted = not quoted
            current.append(char)
        elif char == separator and not quoted:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return parts


def run_chain(chain: str, frames: int = 12, timeout: float = 30) -> tuple[bool, str, np.ndarray | None, float]:
    """Run the chain on a moving test picture; (ok, reason, output frames, ms per frame)."""
    w, h = _SIZE
    args = ["ffmpeg", "-v", "error", "-nostdin", "-f", "lavfi", "-i", f"testsrc2=size={w}x{h}:rate=25",
            "-vf", f"{chain},format=rgb24", "-frames:v", str(frames), "-f", "rawvideo", "pipe:1"]
    started = time.perf_counter()
    try:
        proc = subprocess.run(args, capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return False, f"the filter did not finish within {timeout:.0f} s", None, 0.0
    ms = (time.perf_counter() - started) * 1000 / frames
    if proc.returncode != 0:
        message = proc.stderr.decode(errors="replace").strip().splitlines()
        return False, f"ffmpeg refused the chain: {message[-1] if message else 'unknown error'}", None, ms
    data = np.frombuffer(proc.stdout, np.uint8)
    if data.size != frames * w * h * 3:
        return False, "the chain changes the frame size or drops frames (a tool must keep both)", None, ms
    return True, "", data.reshape(frames, h, w, 3), ms


def check(chain: str) -> dict:
    """The full verdict for one chain, as plain data."""
    problems = static_problems(chain)
    if problems:
        return {"ok": False, "reason": "; ".join(problems)}
    ok, reason, frames, ms = run_chain(chain)
    if not ok:
        return {"ok": False, "reason": reason}
    if float(frames.std()) < BLANK_STD:
        return {"ok": False, "reason": "the output is blank"}
    if ms > BUDGET_MS_PER_FRAME:
        return {"ok": False, "reason": f"{ms:.0f} ms per 720p frame is over the {BUDGET_MS_PER_FRAME:.0f} ms budget"}
    return {"ok": True, "reason": "", "renderer": "ffmpeg", "ms_per_frame_720p": round(ms, 2)}


def main() -> int:
    import json
    import sys

    print(json.dumps(check(sys.stdin.read())))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
