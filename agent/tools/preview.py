"""Animated previews of tools: a small looping GIF over the same test pictures for every tool.

Run as `python -m agent.tools.preview KIND PARAMS_JSON` with the tool's source on stdin (in the
sandbox: it runs the tool's code); it writes preview.gif into the current folder."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from agent.tools.glsl_check import test_pictures

PREVIEW_SIZE = (192, 108)
PREVIEW_FRAMES = 16


def render_preview(source: str, kind: str, params: dict, out_path: Path, engine=None) -> Path:
    """Write a looping GIF: a transition runs 0 -> 1; an effect sweeps progress, time and the beat
    (four beats) with the energy rising."""
    from PIL import Image

    from agent.render.glsl import GLSLEngine

    engine = engine or GLSLEngine()
    a, b = test_pictures(*PREVIEW_SIZE)
    images = []
    for k in range(PREVIEW_FRAMES):
        p = k / (PREVIEW_FRAMES - 1)
        if kind == "transition":
            frame = engine.transition(source, a, b, p, params)
        else:
            beat = (p * 4) % 1.0
            values = {**params, "progress": p, "time": p * 2.0, "beat": beat, "downbeat": p, "energy": p}
            frame = engine.effects(a, [(source, values)])
        images.append(Image.fromarray(np.ascontiguousarray(frame)))
    out_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_path.with_name(f".{out_path.name}.partial")
    images[0].save(tmp, format="GIF", save_all=True, append_images=images[1:], duration=90, loop=0)
    tmp.replace(out_path)
    return out_path


def render_filter_preview(chain: str, out_path: Path) -> Path:
    """An ffmpeg-filter tool over a moving test picture, as a looping GIF."""
    import subprocess

    from PIL import Image

    w, h = PREVIEW_SIZE
    raw = subprocess.run(["ffmpeg", "-v", "error", "-nostdin", "-f", "lavfi", "-i", f"testsrc2=size={w}x{h}:rate=12",
                          "-vf", f"{chain},format=rgb24", "-frames:v", str(PREVIEW_FRAMES), "-f", "rawvideo",
                          "pipe:1"], capture_output=True, check=True, timeout=60).stdout
    frames = np.frombuffer(raw, np.uint8).reshape(-1, h, w, 3)
    images = [Image.fromarray(np.ascontiguousarray(f)) for f in frames]
    out_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_path.with_name(f".{out_path.name}.partial")
    images[0].save(tmp, format="GIF", save_all=True, append_images=images[1:], duration=90, loop=0)
    tmp.replace(out_path)
    return out_path


def main() -> int:
    import json
    import sys

    kind, params = sys.argv[1], json.loads(sys.argv[2])
    source = sys.stdin.read()
    out = Path("preview.gif")
    if kind == "ffmpeg-filter":
        render_filter_preview(source, out)
    else:
        render_preview(source, kind.removeprefix("glsl-"), params, out)
    print(json.dumps({"ok": True, "bytes": out.stat().st_size}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
