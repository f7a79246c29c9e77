"""Per-tool cost at the reel's size: each effect or transition alone, on real decoded frames,
through the same calls the renderer makes (GLSLEngine's yuv methods, FilterSpan, xfade, the
built-ins). A GLSL tool's cost includes what its frame pays to reach GL and come back; stacked
layers pay that once per frame, measured on its own as `glsl_frame_overhead`.

Run as its own process (`python -m evals.effect_costs SPEC.json`, pinned like the renders) so that
its CPU time is its own; prints one JSON line. SPEC holds the size, two raw yuv420p frames and the
tools to measure. Each tool gets a fixed cost per use (per span or transition: a process start,
a first compile) and a cost per frame, from two lengths: cost(n) = fixed + n * per_frame. Wall
and CPU (this process, its threads and its children) are both measured; CPU is what competes for
the two cores in a render.
"""

from __future__ import annotations

import json
import resource
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

PASSTHROUGH = "vec4 effect(vec2 uv) { return getColor(uv); }"
SHORT, LONG = 2, 14  # frames per use in the two measured lengths
ROUNDS = 3  # uses measured per length; the fastest is kept


def _cpu() -> float:
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def _timed(use, frames: int) -> tuple[float, float]:
    """Fastest of ROUNDS uses of `frames` frames: (wall s, CPU s)."""
    best = (float("inf"), float("inf"))
    for _ in range(ROUNDS):
        wall, cpu = time.perf_counter(), _cpu()
        use(frames)
        best = min(best, (time.perf_counter() - wall, _cpu() - cpu))
    return best


def _fit(use) -> dict:
    """Fixed cost per use and cost per frame (ms), wall and CPU, from two use lengths."""
    use(SHORT)  # warm: shader compile, page cache, first process start
    (w1, c1), (w2, c2) = _timed(use, SHORT), _timed(use, LONG)
    per_wall, per_cpu = (w2 - w1) / (LONG - SHORT), (c2 - c1) / (LONG - SHORT)
    return {"ms_per_frame": round(max(per_wall, 0.0) * 1000, 2), "cpu_ms_per_frame": round(max(per_cpu, 0.0) * 1000, 2),
            "fixed_ms_per_use": round(max(w1 - SHORT * per_wall, 0.0) * 1000, 2),
            "fixed_cpu_ms_per_use": round(max(c1 - SHORT * per_cpu, 0.0) * 1000, 2)}


def measure(spec: dict) -> dict:
    from agent.render import effects as fx
    from agent.render.filters import FilterSpan
    from agent.render.glsl import GLSLEngine
    from agent.render.transitions import xfade

    width, height = spec["width"], spec["height"]
    fps = Fraction(*spec["fps"])
    frames = [Path(p).read_bytes() for p in spec["frames"]]
    engine = GLSLEngine()
    results: dict[str, dict] = {}
    try:
        renderer = engine.renderer
        for tool in spec["tools"]:
            kind = tool["kind"]
            if kind == "glsl_effect":
                def use(n: int, tool=tool) -> None:
                    for k in range(n):
                        values = {**tool["params"], "progress": k / n, "time": k / 30, "beat": k / n,
                                  "downbeat": k / (4 * n), "energy": 0.7}
                        engine.effects_yuv(frames[k % 2], width, height, [(tool["shader"], values)])
            elif kind == "glsl_transition":
                def use(n: int, tool=tool) -> None:
                    for k in range(n):
                        engine.transition_yuv(tool["shader"], frames[0], frames[1], width, height, (k + 1) / (n + 1),
                                              tool["params"])
            elif kind == "ffmpeg_filter":
                def use(n: int, tool=tool) -> None:
                    span = FilterSpan(tool["filter"], width, height, fps, tool["id"])
                    try:
                        done = 0
                        for k in range(n):
                            done += len(span.push(frames[k % 2]))
                        span.finish(done)
                    finally:
                        span.close()
            elif kind == "ffmpeg_transition":
                def use(n: int, tool=tool) -> None:
                    with tempfile.TemporaryDirectory() as tmp:
                        xfade([frames[0]] * n, [frames[1]] * n, width=width, height=height, fps=fps,
                              name=tool["id"], expr=None, tmp_dir=Path(tmp))
            elif kind in ("flash", "zoom_punch", "shake"):
                def use(n: int, kind=kind) -> None:
                    for k in range(n):
                        amount = 0.6 * (1 - k / n) ** 2 + 0.05
                        if kind == "flash":
                            fx.flash(frames[k % 2], width, height, amount)
                        elif kind == "zoom_punch":
                            fx.zoom_punch(frames[k % 2], width, height, amount)
                        else:
                            fx.shake(frames[k % 2], width, height, amount, k, 3)
            else:
                raise ValueError(f"unknown tool kind {kind!r}")
            results[tool["id"]] = {"kind": kind, **_fit(use)}

        # What a frame carrying GLSL effects pays once, however many layers it stacks: yuv to RGBA,
        # upload, read-back, back to yuv (measured with a shader that passes the frame through).
        def passthrough(n: int) -> None:
            for k in range(n):
                engine.effects_yuv(frames[k % 2], width, height, [(PASSTHROUGH, {})])

        overhead = _fit(passthrough)
    finally:
        engine.close()
    return {"renderer": renderer, "size": f"{width}x{height}", "lengths": [SHORT, LONG], "rounds": ROUNDS,
            "tools": results, "glsl_frame_overhead": overhead}


def main() -> int:
    spec = json.loads(Path(sys.argv[1]).read_text())
    print(json.dumps(measure(spec)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
