"""One edit, end to end: analyse → plan (the configured brain) → compile → render → outputs.

Writes next to the reel: `<name>.otio`, `plan.json`, `timeline.json` and `report.json`. The
reel itself is written atomically and verified by the renderer; the side files atomically too,
and only after the reel exists, so an interrupted edit leaves no description of a missing reel.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from agent.atomic import write_json
from agent.config import Settings
from agent.critic import critique
from agent.critic.plot import write_png
from agent.media.analyze import analyze
from agent.render.render import Progress, RenderResult, check_writable, render
from agent.timeline.compile import CompileResult, compile_plan
from agent.tools.library import load_workspace_library
from agent.tools.stats import record_uses
from agent.timeline.otio import write_edl, write_fcp_xml, write_otio
from agent.timeline.plan import EditPlan

@dataclass
class EditOutcome:
    reel: Path
    plan: EditPlan
    compiled: CompileResult
    rendered: RenderResult
    report: dict
    report_path: Path


def run_edit(music: str | Path, clips: list[str | Path], prompt: str, out: str | Path, *,
             settings: Settings, preview: bool = False, progress: Progress | None = None,
             plan: EditPlan | None = None, exports: tuple[str, ...] = (), brain_info: dict | None = None,
             extra_report: dict | None = None) -> EditOutcome:
    """`exports`: extra interchange files beside the .otio: "fcpxml" (<name>.xml), "edl" (<name>.edl).
    A given `plan` skips planning; `brain_info` then says who made it. `extra_report`: more
    top-level entries for report.json (the agent graph's iterations)."""
    from agent.brain.factory import make_brain
    from agent.brain.planner import plan_with_brain

    out = Path(out)
    check_writable(out)  # fail before minutes of analysis, not after
    timings: dict[str, float] = {}
    t0 = time.monotonic()
    analysis = analyze(music, clips, settings)
    timings["analyse_s"] = time.monotonic() - t0

    t0 = time.monotonic()
    tools, broken = load_workspace_library(settings.workspace)
    if plan is None:
        planned = plan_with_brain(prompt, analysis.music, brain=make_brain(settings), tools=tools)
        plan, brain_info = planned.plan, planned.info
    else:
        brain_info = brain_info or {"name": "given", "fell_back": False, "fallback_reason": None, "repairs": []}
    compiled = compile_plan(plan, analysis, tools)
    if brain_info["fell_back"]:
        compiled.fallbacks.append(brain_info["fallback_reason"])
    compiled.fallbacks.extend(f"tool left out of the library: {problem}" for problem in broken)
    timings["plan_compile_s"] = time.monotonic() - t0

    t0 = time.monotonic()
    rendered = render(compiled.timeline, out, preview=preview, preview_height=settings.preview_height,
                      preset=settings.x264_preset, progress=progress)
    timings["render_s"] = time.monotonic() - t0

    # The side files describe the reel, so they are written once the reel exists (each atomically).
    folder = out.parent
    write_json(folder / "plan.json", json.loads(plan.model_dump_json()))
    write_json(folder / "timeline.json", json.loads(compiled.timeline.model_dump_json()))
    write_otio(compiled.timeline, out.with_suffix(".otio"))
    if "fcpxml" in exports:
        write_fcp_xml(compiled.timeline, out.with_suffix(".xml"))
    if "edl" in exports:
        write_edl(compiled.timeline, out.with_suffix(".edl"))
    t0 = time.monotonic()
    card = critique(out, timeline=compiled.timeline, analysis=analysis, request=prompt, settings=settings)
    png = write_png(card, folder / "critique.png", rendered.duration)
    timings["critique_s"] = time.monotonic() - t0
    report = build_report(prompt, plan, compiled, rendered, analysis.music, settings, timings, tools, brain_info)
    report["critic"] = {**card.to_dict(), "png": str(png)}
    report.update(extra_report or {})
    record_uses(settings.workspace, report["library_tools"])
    report_path = write_json(folder / "report.json", report)
    return EditOutcome(reel=out, plan=plan, compiled=compiled, rendered=rendered, report=report,
                       report_path=report_path)


def library_tools(timeline, tools: dict) -> dict[str, int]:
    """How many timeline items each library tool became (effects, and GLSL transitions), by id:
    read from the compiled timeline, so a tool the plan named but that never fired is not counted."""
    by_source = {tool.source: tool_id for tool_id, tool in tools.items()}
    counts: dict[str, int] = {}
    for item in [*timeline.effects, *timeline.transitions]:
        source = getattr(item, "shader", None) or getattr(item, "filter", None)
        if source in by_source:
            counts[by_source[source]] = counts.get(by_source[source], 0) + 1
    return dict(sorted(counts.items()))


def build_report(prompt: str, plan: EditPlan, compiled: CompileResult, rendered: RenderResult, music,
                 settings: Settings, timings: dict[str, float], tools: dict | None, brain: dict) -> dict:
    offsets = [abs(c.offset_ms) for c in compiled.cuts if c.offset_ms is not None]
    frame_ms = 1000.0 / rendered.fps
    return {
        "request": prompt,
        "brain": brain,
        "planner": {"style": plan.style, "reasons": plan.reasons,
                    "sections": [{"start": s.start, "end": s.end, "rhythm": s.rhythm, "shots": s.shots,
                                  "why": s.why} for s in plan.sections]},
        "music": {"path": music.path, "tempo_bpm": round(music.tempo, 2), "beats": len(music.beats),
                  "tracker": music.tracker, "tracker_licence": music.tracker_licence,
                  "start": round(compiled.music_start, 4), "drops": music.drops, "warnings": music.warnings},
        "cuts": [asdict(c) for c in compiled.cuts],
        "beat_sync": {"cuts": len(compiled.cuts),
                      "max_offset_ms": round(max(offsets), 2) if offsets else None,
                      "within_one_frame": (sum(o <= frame_ms for o in offsets) / len(offsets)) if offsets else None},
        "items": [asdict(i) for i in compiled.items],
        "library_tools": library_tools(compiled.timeline, tools or {}),
        "notes": compiled.notes,
        "fallbacks": compiled.fallbacks + rendered.warnings,
        "output": {"path": str(rendered.path), "frames": rendered.frames, "duration": round(rendered.duration, 4),
                   "width": rendered.width, "height": rendered.height, "fps": rendered.fps,
                   "preview": rendered.preview},
        "timings": {k: round(v, 3) for k, v in timings.items()},
        "settings": {"beat_tracker": settings.beat_tracker, "x264_preset": settings.x264_preset},
    }
