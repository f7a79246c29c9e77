"""Check one GLSL tool; run as its own process (`python -m agent.tools.glsl_check KIND`), with the
shader on stdin and a JSON verdict on stdout, so that a shader that never terminates is killed by
the caller's timeout instead of hanging the agent.

Checks: it compiles; every declared parameter is used; transitions give exactly the from frame
at p=0 and the to frame at p=1; the middle of the span is not blank; no NaN or Inf (rendered to
a float target); two renders are identical; the time per 720p frame, within a budget. With parent sources (a tool
composed or mutated from others), it must also look different from each parent somewhere in the
span, or it is not a new tool.
"""

from __future__ import annotations

import json
import sys
import time

import numpy as np

BLANK_STD = 2.0  # a frame whose pixels vary less than this (0..255) is blank
BUDGET_MS_PER_FRAME_720P = 100.0  # on llvmpipe; a slower shader would make a 15 s reel take minutes
NOVELTY_MIN_DIFF = 1.0  # mean absolute difference (0..255) a new tool must reach against each parent
_NOVELTY_PROGRESS = (0.1, 0.3, 0.5, 0.7, 0.9)


def test_pictures(width: int, height: int) -> tuple[np.ndarray, np.ndarray]:
    """Two busy, different pictures: gradients with a checker, so any geometry shows."""
    y, x = np.mgrid[0:height, 0:width]
    checker = (((x // 40) + (y // 40)) % 2).astype(np.float32)
    a = np.stack([x / width * 255, y / height * 255, checker * 200 + 30], axis=-1)
    b = np.stack([checker * 220 + 20, (1 - x / width) * 255, (1 - y / height) * 255], axis=-1)
    return a.astype(np.uint8), b.astype(np.uint8)


def check(source: str, kind: str, width: int = 1280, height: int = 720, parents: tuple[str, ...] = ()) -> dict:
    from agent.render.glsl import GLSLEngine, ShaderError

    engine = GLSLEngine()
    try:
        compiled = engine.compile(source, kind)
    except ShaderError as exc:
        return {"ok": False, "reason": str(exc)}
    unused = [u.name for u in compiled.uniforms if u.name not in compiled.program]
    if unused:
        return {"ok": False, "reason": f"declared but unused parameter(s): {', '.join(unused)}"}
    a, b = test_pictures(width, height)

    def render(progress: float, shader: str = source) -> np.ndarray:
        if kind == "transition":
            return engine.transition(shader, a, b, progress)
        return engine.effects(a, [(shader, {"progress": progress, "time": progress, "beat": progress,
                                            "downbeat": progress / 4, "energy": 0.8})])

    if kind == "transition":
        if not np.array_equal(render(0.0), a):
            return {"ok": False, "reason": "at progress 0 the output is not exactly the from frame"}
        if not np.array_equal(render(1.0), b):
            return {"ok": False, "reason": "at progress 1 the output is not exactly the to frame"}
    middle = render(0.5)
    if float(middle.std()) < BLANK_STD:
        return {"ok": False, "reason": "the frame at progress 0.5 is blank"}
    if not np.array_equal(middle, render(0.5)):
        return {"ok": False, "reason": "two renders of the same frame differ (not deterministic)"}
    if not engine.finite(source, kind, a, b):
        return {"ok": False, "reason": "the shader produces NaN or Inf"}
    for number, parent in enumerate(parents, 1):
        diff = max(float(np.abs(render(p).astype(np.int16) - render(p, parent)).mean()) for p in _NOVELTY_PROGRESS)
        if diff < NOVELTY_MIN_DIFF:
            return {"ok": False, "reason": f"looks the same as parent {number} (mean difference {diff:.2f} "
                                           f"of 255 at most): not a new tool"}
    times = []
    for p in (0.2, 0.4, 0.6, 0.8):
        started = time.perf_counter()
        render(p)
        times.append(time.perf_counter() - started)
    ms = min(times) * 1000  # the fastest frame: the shader's own cost, least disturbed by other load
    if ms > BUDGET_MS_PER_FRAME_720P:
        return {"ok": False, "reason": f"too slow: {ms:.0f} ms per 720p frame (budget {BUDGET_MS_PER_FRAME_720P:.0f} ms)",
                "ms_per_frame_720p": round(ms, 2)}
    return {"ok": True, "reason": "", "renderer": engine.renderer, "ms_per_frame_720p": round(ms, 2)}


def main() -> int:
    kind = sys.argv[1]
    parents = tuple(json.loads(sys.argv[2])) if len(sys.argv) > 2 else ()
    print(json.dumps(check(sys.stdin.read(), kind, parents=parents)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
