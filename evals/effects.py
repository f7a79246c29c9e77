"""Effects benchmark: a 15 s 1280x720 30 fps reel carrying 120 effect and transition instances
(GLSL effects, GLSL transitions, ffmpeg-filter looks, xfade transitions, built-in flash / zoom
punch / shake; four to six layers on each effect beat, about half the frames plain), rendered on
two cores in one run as three variants of the same edit (evals/effects_edit.py says how the edit
is made and what each variant is):

- full: the compiled edit;
- no_glsl: without its GLSL effects and GLSL transitions (hard cuts in their place);
- plain: without any effect or transition.

Each render runs in its own child process pinned to two cores (evals.render.measure: wall, CPU of
the process tree, peak RSS), `repeats` rounds interleaved, fastest kept. A further child measures
each tool alone at the reel size (evals/effect_costs.py). Reported: wall, CPU, wall / reel
duration and x real time against the target (>= 0.5x real time on two cores), instances by kind,
effect frames and layer frames, per-tool ms per effect-frame, and the marginal cost of the GLSL
work (full - no_glsl) and of the rest (no_glsl - plain). Every output is checked: frame count and
duration, clean frames equal to the plain render, and every instance's span changed pixels
against the variant without it, so the benchmark cannot pass by skipping effects.
Writes effects.json and effects.png into out_dir.

    reelwright eval effects -o out/eval-effects
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

from evals.effects_edit import (
    FULL,
    QUICK,
    VARIANTS,
    EditConfig,
    build_plan,
    instance_kind,
    instances,
    is_glsl,
    layer_stats,
    variants,
)

REPO = Path(__file__).resolve().parents[1]
TARGET_X_REALTIME = 0.5
CHECK_SIZE = (320, 180)  # outputs are compared at this size, RGB
CHANGED = 8.0  # mean absolute difference (0..255) above which a frame counts as changed


# ---------------------------------------------------------------------------------------------
# The edit


def prepare(out_dir: Path, cfg: EditConfig) -> dict:
    """Generated media, analysed; the plan compiled against the tool library; the variants."""
    from agent.config import Settings
    from agent.demo import make_demo_media
    from agent.media.analyze import analyze
    from agent.timeline.beatgrid import place_music
    from agent.timeline.compile import compile_plan
    from agent.tools.library import library_dirs, load_library

    started = time.monotonic()
    media = make_demo_media(out_dir / "media")
    settings = Settings(workspace=out_dir / "workspace")
    analysis = analyze(media.music, media.clips, settings)
    media_s = time.monotonic() - started
    reel = place_music(analysis.music, cfg.duration, None)
    plan = build_plan(cfg, [b.time for b in reel.beats], reel.start)
    tools, broken = load_library(library_dirs(settings.workspace))
    compiled = compile_plan(plan, analysis, tools)
    return {"media": media, "plan": plan, "compiled": compiled, "tools": tools, "broken_tools": broken,
            "media_s": round(media_s, 1), "timelines": variants(compiled.timeline)}


def tool_of(item, by_source: dict[str, str]) -> str:
    """The library tool (or built-in / xfade name) behind one timeline instance."""
    kind = instance_kind(item)
    if kind in ("glsl_effect", "glsl_transition"):
        return by_source.get(item.shader, "unnamed shader")
    if kind == "ffmpeg_filter":
        return by_source.get(item.filter, "unnamed filter chain")
    if kind == "ffmpeg_transition":
        return item.name
    return item.kind


def tool_usage(timeline, tools: dict) -> dict[str, dict]:
    """Per tool: kind, uses, frames it covers, and what the cost child needs to run it."""
    by_source = {tool.source: tool_id for tool_id, tool in tools.items()}
    usage: dict[str, dict] = {}
    for item in instances(timeline):
        tool_id = tool_of(item, by_source)
        entry = usage.setdefault(tool_id, {"id": tool_id, "kind": instance_kind(item), "uses": 0, "frames": 0})
        entry["uses"] += 1
        entry["frames"] += item.end_frame - item.start_frame
        if entry["kind"].startswith("glsl"):
            entry.update(shader=item.shader, params=item.params)
        elif entry["kind"] == "ffmpeg_filter":
            entry["filter"] = item.filter
    return usage


# ---------------------------------------------------------------------------------------------
# Checking the outputs


def decode_small(path: Path) -> np.ndarray:
    w, h = CHECK_SIZE
    raw = subprocess.run(["ffmpeg", "-v", "error", "-nostdin", "-i", str(path), "-map", "0:v:0",
                          "-vf", f"scale={w}:{h}:flags=area", "-pix_fmt", "rgb24", "-f", "rawvideo", "pipe:1"],
                         capture_output=True, check=True).stdout
    return np.frombuffer(raw, np.uint8).reshape(-1, h, w, 3)


def _frame_diffs(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    n = min(len(a), len(b))
    return np.array([np.abs(a[k].astype(np.int16) - b[k]).mean() for k in range(n)])


def check_pixels(outputs: dict[str, Path], timeline) -> dict:
    """Every instance's span must change pixels against the variant that lacks it: GLSL instances
    against no_glsl, the others against plain. Frames no instance touches must match plain."""
    frames = {name: decode_small(path) for name, path in outputs.items()}
    glsl_diff = _frame_diffs(frames["full"], frames["no_glsl"])
    rest_diff = _frame_diffs(frames["no_glsl"], frames["plain"])
    full_diff = _frame_diffs(frames["full"], frames["plain"])
    touched = set()
    per_kind: dict[str, Counter] = defaultdict(Counter)
    unchanged = []
    for item in instances(timeline):
        span = range(item.start_frame, item.end_frame)
        touched.update(span)
        diff = glsl_diff if is_glsl(item) else rest_diff
        peak = float(diff[list(span)].max()) if span.stop <= len(diff) else 0.0
        kind = instance_kind(item)
        per_kind[kind]["instances"] += 1
        if peak > CHANGED:
            per_kind[kind]["changed"] += 1
        elif len(unchanged) < 10:
            unchanged.append({"kind": kind, "frames": [span.start, span.stop], "peak_diff": round(peak, 2)})
    clean = [k for k in range(len(full_diff)) if k not in touched]
    noise = full_diff[clean] if clean else np.zeros(1)
    effect = full_diff[sorted(touched)] if touched else np.zeros(1)
    ok = all(c["changed"] == c["instances"] for c in per_kind.values()) and float(noise.max()) < CHANGED
    return {
        "ok": ok, "size": f"{CHECK_SIZE[0]}x{CHECK_SIZE[1]}", "changed_threshold": CHANGED,
        "how": "an instance counts as changed when some frame of its span differs from the variant without it "
               "(GLSL: full vs no_glsl; the rest: no_glsl vs plain) by more than the threshold (mean absolute "
               "RGB difference, 0..255); instances stacked on one span share that span's difference",
        "instances_changed_by_kind": {k: dict(v) for k, v in sorted(per_kind.items())},
        "unchanged_instances": unchanged,
        "clean_frames": len(clean),
        "clean_frame_diff_vs_plain": {"median": round(float(np.median(noise)), 3), "max": round(float(noise.max()), 3)},
        "effect_frame_diff_vs_plain": {"median": round(float(np.median(effect)), 2), "min": round(float(effect.min()), 2)},
    }


# ---------------------------------------------------------------------------------------------
# Measuring


def _frames_for_costs(media, work: Path, width: int, height: int) -> list[str]:
    """Two real frames from two generated clips, at the reel size, as raw yuv420p."""
    paths = []
    for n, clip in enumerate(media.clips[:2]):
        path = work / f"cost_frame{n}.yuv"
        subprocess.run(["ffmpeg", "-v", "error", "-nostdin", "-y", "-ss", "2", "-i", str(clip), "-frames:v", "1",
                        "-vf", f"scale={width}:{height}", "-pix_fmt", "yuv420p", "-f", "rawvideo", str(path)],
                       check=True, capture_output=True)
        paths.append(str(path))
    return paths


def _tool_costs(usage: dict[str, dict], measured: dict, glsl_effect_frames: int) -> list[dict]:
    """Per tool: ms per effect-frame in this edit (its fixed cost per use spread over its frames).
    A GLSL effect's cost is measured alone, frame transfer included; in the edit's estimate that
    transfer is counted once per GLSL effect frame (the overhead row), not once per layer."""
    overhead = measured["glsl_frame_overhead"]
    rows = []
    for tool_id, use in usage.items():
        cost = measured["tools"].get(tool_id)
        if cost is None:
            continue
        shared, shared_cpu = ((overhead["ms_per_frame"], overhead["cpu_ms_per_frame"]) if use["kind"] == "glsl_effect"
                              else (0.0, 0.0))
        total_ms = cost["fixed_ms_per_use"] * use["uses"] + cost["ms_per_frame"] * use["frames"]
        cpu_ms = cost["fixed_cpu_ms_per_use"] * use["uses"] + cost["cpu_ms_per_frame"] * use["frames"]
        rows.append({"tool": tool_id, "kind": use["kind"], "uses": use["uses"], "frames": use["frames"], **cost,
                     "ms_per_effect_frame_in_edit": round(total_ms / use["frames"], 2),
                     "estimated_s_in_edit": round(max(total_ms - shared * use["frames"], 0.0) / 1000, 3),
                     "estimated_cpu_s_in_edit": round(max(cpu_ms - shared_cpu * use["frames"], 0.0) / 1000, 3)})
    rows.sort(key=lambda r: -r["ms_per_effect_frame_in_edit"])
    rows.append({"tool": "(GL frame transfer, once per GLSL effect frame)", "kind": "glsl_overhead",
                 "uses": glsl_effect_frames, "frames": glsl_effect_frames, **overhead,
                 "ms_per_effect_frame_in_edit": overhead["ms_per_frame"],
                 "estimated_s_in_edit": round(overhead["ms_per_frame"] * glsl_effect_frames / 1000, 3),
                 "estimated_cpu_s_in_edit": round(overhead["cpu_ms_per_frame"] * glsl_effect_frames / 1000, 3)})
    return rows


def _best(runs: list[dict], duration: float) -> dict:
    ok = [m for m in runs if m["returncode"] == 0]
    best = dict(min(ok, key=lambda m: m["wall_s"]) if ok else runs[-1])
    best["wall_s_all"] = [m["wall_s"] for m in runs]
    best["cpu_s_all"] = [m["cpu_s"] for m in runs]
    best["loadavg_before_all"] = [m["loadavg_before"] for m in runs]
    best["wall_over_duration"] = round(best["wall_s"] / duration, 3)
    best["x_realtime"] = round(duration / best["wall_s"], 3)
    return best


def run(out_dir: Path, *, quick: bool = False, repeats: int = 2) -> dict | None:
    """Build the edit, render its three variants (`repeats` rounds, interleaved), measure each
    tool, check every output; write effects.json / effects.png, print a summary, return the report
    (None when a render failed or an output did not check out)."""
    from evals.render import OURS_SCRIPT, measure, probe_summary

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    cfg = QUICK if quick else FULL
    load_start = os.getloadavg()
    prepared = prepare(out_dir, cfg)
    timelines = prepared["timelines"]
    full = timelines["full"]
    work = out_dir / f"work-{cfg.name}"
    work.mkdir(exist_ok=True)
    (work / "plan.json").write_text(prepared["plan"].model_dump_json(indent=1))
    for name, timeline in timelines.items():
        (work / f"{name}.timeline.json").write_text(timeline.model_dump_json(indent=1))
    env = dict(os.environ, PYTHONPATH=str(REPO))

    runs: dict[str, list[dict]] = {name: [] for name in timelines}
    for rep in range(repeats):
        for name in timelines:
            out = work / f"{name}.mp4"
            out.unlink(missing_ok=True)
            argv = [sys.executable, "-c", OURS_SCRIPT, str(work / f"{name}.timeline.json"), str(out)]
            m = measure(argv, work / f"{name}.{rep}.log", env)
            m["output"] = probe_summary(out) if out.exists() else {"error": "no output"}
            runs[name].append(m)
    duration = full.duration
    results = {name: _best(ms, duration) for name, ms in runs.items()}

    usage = tool_usage(full, prepared["tools"])
    spec = {"width": full.width, "height": full.height, "fps": [full.fps_num, full.fps_den],
            "frames": _frames_for_costs(prepared["media"], work, full.width, full.height),
            "tools": list(usage.values())}
    (work / "cost_spec.json").write_text(json.dumps(spec))
    cost_run = measure([sys.executable, "-m", "evals.effect_costs", str(work / "cost_spec.json")],
                       work / "costs.log", env)
    stats = layer_stats(full)
    costs = cost_run["inner"]
    tool_rows = _tool_costs(usage, costs, stats["glsl_effect_frames"]) if costs else []

    rendered = all(r["returncode"] == 0 for r in results.values())
    outputs = {name: work / f"{name}.mp4" for name in timelines}
    checks = {}
    for name, timeline in timelines.items():
        out = results[name]["output"]
        checks[name] = {"frames_ok": out.get("nb_frames") == timeline.frame_count,
                        "duration_ok": abs(out.get("duration", 0.0) - timeline.duration) <= 0.1,
                        "frames": out.get("nb_frames"), "expected_frames": timeline.frame_count}
    pixels = check_pixels(outputs, full) if rendered else None

    walls = {name: r["wall_s"] for name, r in results.items()}
    cpus = {name: r["cpu_s"] for name, r in results.items()}
    glsl_s, rest_s = walls["full"] - walls["no_glsl"], walls["no_glsl"] - walls["plain"]
    glsl_cpu, rest_cpu = cpus["full"] - cpus["no_glsl"], cpus["no_glsl"] - cpus["plain"]
    other_layer_frames = stats["layer_frames"] - stats["glsl_layer_frames"]
    marginal = {
        "glsl_wall_s": round(glsl_s, 3), "glsl_cpu_s": round(glsl_cpu, 3),
        "glsl_ms_per_layer_frame": round(glsl_s * 1000 / max(1, stats["glsl_layer_frames"]), 2),
        "glsl_ms_per_glsl_frame": round(glsl_s * 1000 / max(1, stats["glsl_frames"]), 2),
        "rest_wall_s": round(rest_s, 3), "rest_cpu_s": round(rest_cpu, 3),
        "rest_ms_per_layer_frame": round(rest_s * 1000 / max(1, other_layer_frames), 2),
        "all_effects_wall_s": round(walls["full"] - walls["plain"], 3),
        "all_effects_ms_per_effect_frame": round((walls["full"] - walls["plain"]) * 1000 / max(1, stats["effect_frames"]), 2),
        "estimated_from_tool_costs_s": {
            "glsl": round(sum(r["estimated_s_in_edit"] for r in tool_rows if r["kind"].startswith("glsl")), 3),
            "rest": round(sum(r["estimated_s_in_edit"] for r in tool_rows if not r["kind"].startswith("glsl")), 3)},
        "estimated_from_tool_costs_cpu_s": {
            "glsl": round(sum(r["estimated_cpu_s_in_edit"] for r in tool_rows if r["kind"].startswith("glsl")), 3),
            "rest": round(sum(r["estimated_cpu_s_in_edit"] for r in tool_rows if not r["kind"].startswith("glsl")), 3)},
    }
    x_rt = results["full"]["x_realtime"]
    report = {
        "config": cfg.name,
        "reel": {"width": full.width, "height": full.height, "fps": float(full.fps), "frames": full.frame_count,
                 "duration_s": duration, "items": len(full.items), "cuts": len(full.items) - 1,
                 "look": full.look.name, "music": True},
        "edit": {**stats, "sections": len(prepared["plan"].sections),
                 "compile_fallbacks": prepared["compiled"].fallbacks, "broken_tools": prepared["broken_tools"]},
        "variants": VARIANTS,
        "target": {"x_realtime_at_least": TARGET_X_REALTIME, "wall_s_at_most": round(duration / TARGET_X_REALTIME, 2),
                   "full_x_realtime": x_rt, "met": bool(rendered and x_rt >= TARGET_X_REALTIME)},
        "machine": {"cpus_allowed": len(os.sched_getaffinity(0)), "cpu_count": os.cpu_count(),
                    "gl_renderer": costs.get("renderer") if costs else None,
                    "loadavg_at_start": [round(x, 2) for x in load_start],
                    "loadavg_at_end": [round(x, 2) for x in os.getloadavg()]},
        "repeats": repeats, "reported": "the fastest successful repeat per variant; all walls in wall_s_all",
        "media_prep_s": prepared["media_s"],
        "renders": results, "marginal": marginal,
        "tool_costs": tool_rows, "tool_cost_run": {k: cost_run[k] for k in ("returncode", "wall_s", "cpu_s", "log")},
        "checks": {"outputs": checks, "pixels": pixels},
    }
    (out_dir / "effects.json").write_text(json.dumps(report, indent=1))
    _chart(report, out_dir / "effects.png")
    _print_summary(report)
    passed = rendered and pixels is not None and pixels["ok"] and all(
        c["frames_ok"] and c["duration_ok"] for c in checks.values())
    return report if passed else None


# ---------------------------------------------------------------------------------------------
# Output


def _print_summary(report: dict) -> None:
    reel, edit = report["reel"], report["edit"]
    print(f"\nEffects benchmark ({report['config']}): {reel['width']}x{reel['height']}@{reel['fps']:g}, "
          f"{reel['duration_s']:.1f} s, {reel['cuts']} cuts; {edit['instances']} instances "
          f"({', '.join(f'{k} {v}' for k, v in edit['instances_by_kind'].items())})")
    print(f"effect frames {edit['effect_frames']}/{reel['frames']} ({edit['effect_frame_share']:.0%}), "
          f"layer frames {edit['layer_frames']} (GLSL {edit['glsl_layer_frames']}), up to "
          f"{edit['max_layers_on_a_frame']} layers on a frame; load at start {report['machine']['loadavg_at_start']}")
    head = f"{'variant':<9}{'wall s':>8}{'CPU s':>8}{'xRT':>7}{'wall/dur':>9}{'RSS tree':>10}{'frames':>8}  all walls"
    print(head)
    print("-" * len(head))
    for name, r in report["renders"].items():
        frames = report["checks"]["outputs"][name]["frames"]
        print(f"{name:<9}{r['wall_s']:>8.2f}{r['cpu_s']:>8.2f}{r['x_realtime']:>7.2f}{r['wall_over_duration']:>9.2f}"
              f"{r['peak_rss_tree_mb']:>9.0f}M{frames!s:>8}  {r['wall_s_all']}")
    m, t = report["marginal"], report["target"]
    print(f"GLSL work: +{m['glsl_wall_s']:.2f} s wall ({m['glsl_ms_per_layer_frame']:.1f} ms per GLSL layer-frame); "
          f"ffmpeg filters, xfade and built-ins: +{m['rest_wall_s']:.2f} s ({m['rest_ms_per_layer_frame']:.1f} ms per "
          f"layer-frame)")
    print(f"target >= {t['x_realtime_at_least']}x real time (wall <= {t['wall_s_at_most']} s): "
          f"{'met' if t['met'] else 'NOT met'} at {t['full_x_realtime']:.2f}x")
    rows = [r for r in report["tool_costs"] if r["kind"] != "glsl_overhead"]
    if rows:
        print(f"{'tool':<22}{'kind':<18}{'uses':>5}{'frames':>7}{'ms/frame':>9}{'fixed ms':>9}{'ms/eff-frame':>13}")
        for r in rows:
            print(f"{r['tool']:<22}{r['kind']:<18}{r['uses']:>5}{r['frames']:>7}{r['ms_per_frame']:>9.2f}"
                  f"{r['fixed_ms_per_use']:>9.1f}{r['ms_per_effect_frame_in_edit']:>13.2f}")
    pixels = report["checks"]["pixels"]
    if pixels:
        changed = {k: f"{v.get('changed', 0)}/{v['instances']}" for k, v in pixels["instances_changed_by_kind"].items()}
        print(f"pixels: {'ok' if pixels['ok'] else 'FAILED'}; instances that changed pixels: {changed}; clean frames "
              f"vs plain: max diff {pixels['clean_frame_diff_vs_plain']['max']} (threshold {pixels['changed_threshold']})")


def _chart(report: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(report["renders"])
    rs = [report["renders"][n] for n in names]
    rows = [r for r in report["tool_costs"]]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(13, max(4.5, 0.22 * len(rows) + 1)),
                                   gridspec_kw={"width_ratios": [1, 1.4]})
    x = np.arange(len(names))
    ax1.bar(x - 0.2, [r["wall_s"] for r in rs], 0.4, label="wall s")
    ax1.bar(x + 0.2, [r["cpu_s"] for r in rs], 0.4, label="CPU s (process tree)")
    duration = report["reel"]["duration_s"]
    ax1.axhline(duration, color="k", ls="--", lw=1, label="reel duration (1x real time)")
    ax1.axhline(report["target"]["wall_s_at_most"], color="r", ls=":", lw=1, label="target (0.5x real time)")
    for i, r in enumerate(rs):
        ax1.text(i, max(r["wall_s"], r["cpu_s"]) * 1.02, f"{r['x_realtime']:.2f}x", ha="center", fontsize=8)
    ax1.set_xticks(x, names)
    ax1.set_ylabel("seconds")
    edit = report["edit"]
    ax1.set_title(f"{report['reel']['width']}x{report['reel']['height']} {duration:.0f} s reel, "
                  f"{edit['instances']} instances, 2 cores", fontsize=9)
    ax1.legend(fontsize=7)
    colours = {"glsl_effect": "tab:purple", "glsl_transition": "tab:pink", "glsl_overhead": "tab:gray",
               "ffmpeg_filter": "tab:green", "ffmpeg_transition": "tab:olive"}
    y = np.arange(len(rows))
    ax2.barh(y, [r["ms_per_effect_frame_in_edit"] for r in rows], color=[colours.get(r["kind"], "tab:blue") for r in rows])
    ax2.set_yticks(y, [f"{r['tool']} ({r['kind']})" for r in rows], fontsize=7)
    ax2.invert_yaxis()
    ax2.set_xlabel("ms per effect-frame in this edit (wall, tool alone, fixed cost per use spread over its frames)",
                   fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
