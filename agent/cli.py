"""`reelwright` commands. Thin: parse, call the library, print, return an exit code."""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
from pathlib import Path

from agent.config import BEAT_TRACKERS, Settings
from agent.errors import ReelwrightError

EVALS = ("beats", "shots", "render", "sync", "analysis", "effects")


def _progress_bar(label: str):
    """A rich progress bar with ETA; returns (context manager, callback(done, total))."""
    from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn

    bar = Progress(TextColumn("[bold]{task.description}"), BarColumn(), TaskProgressColumn(),
                   TextColumn("{task.completed}/{task.total} frames"), TimeRemainingColumn(), transient=False)
    task = bar.add_task(label, total=None)

    def update(done: int, total: int) -> None:
        bar.update(task, completed=done, total=total)

    return bar, update


def _settings(args: argparse.Namespace) -> Settings:
    kwargs = {}
    if getattr(args, "workspace", None):
        kwargs["workspace"] = Path(args.workspace)
    if getattr(args, "tracker", None):
        kwargs["beat_tracker"] = args.tracker
    return Settings(**kwargs)


def _print_edit_summary(outcome) -> None:
    from rich.console import Console

    console = Console()
    report = outcome.report
    sync = report["beat_sync"]
    console.print(f"[green]wrote[/green] {outcome.reel}  ({report['output']['width']}x{report['output']['height']}, "
                  f"{report['output']['duration']:.2f} s, {len(report['cuts'])} cuts)")
    if sync["max_offset_ms"] is not None:
        console.print(f"cuts on the beat: {sync['within_one_frame'] * 100:.0f}% within one frame, "
                      f"max offset {sync['max_offset_ms']:.1f} ms")
    console.print(f"music: {report['music']['tempo_bpm']} BPM, tracker {report['music']['tracker']} "
                  f"({report['music']['tracker_licence']})")
    for reason in report["planner"]["reasons"]:
        console.print(f"  plan: {reason}")
    for note in report["notes"]:
        console.print(f"  note: {note}")
    for fallback in report["fallbacks"]:
        console.print(f"  [yellow]fallback:[/yellow] {fallback}")
    console.print(f"report: {outcome.report_path}")


def cmd_edit(args: argparse.Namespace) -> int:
    from agent.edit import run_edit

    bar, update = _progress_bar("rendering")
    with bar:
        outcome = run_edit(args.music, args.clips, args.prompt, args.output, settings=_settings(args),
                           preview=args.preview, progress=update, exports=tuple(args.export))
    _print_edit_summary(outcome)
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from agent.demo import make_demo_media
    from agent.edit import run_edit

    folder = Path(args.output)
    media = make_demo_media(folder / "media")
    print(f"demo media: {media.music.name} ({media.bpm:.0f} BPM) + {len(media.clips)} clips in {folder / 'media'}")
    print(f"prompt: {media.prompt!r}")
    bar, update = _progress_bar("rendering")
    with bar:
        outcome = run_edit(media.music, media.clips, args.prompt or media.prompt, folder / "reel.mp4",
                           settings=_settings(args), preview=args.preview, progress=update)
    _print_edit_summary(outcome)
    return 0


def cmd_analyze(args: argparse.Namespace) -> int:
    from agent.media.analyze import analyze_file

    data = analyze_file(args.file, _settings(args))
    if args.json:
        print(json.dumps(data, indent=2))
        return 0
    from rich.console import Console
    from rich.table import Table

    console = Console()
    info = data["info"]
    table = Table(title=f"{Path(info['path']).name}", show_header=False)
    table.add_row("duration", f"{info['duration']:.3f} s")
    if info.get("video"):
        v = info["video"]
        rotation = f" rotation {v['rotation']}" if v["rotation"] else ""
        table.add_row("video", f"{v['codec']} {v['display_width']}x{v['display_height']} "
                               f"{v['fps']:.3f} fps{' VFR' if v['vfr'] else ''}{rotation}")
    if info.get("audio"):
        a = info["audio"]
        table.add_row("audio", f"{a['codec']} {a['sample_rate']} Hz x{a['channels']}")
    if "music" in data:
        m = data["music"]
        table.add_row("tempo", f"{m['tempo']:.1f} BPM (drift {m['tempo_drift'] * 100:.1f}%)")
        table.add_row("beats", f"{len(m['beats'])} beats, {len(m['downbeats'])} downbeats, tracker {m['tracker']}")
        table.add_row("sections", ", ".join(f"{s['label']} {s['start']:.1f}-{s['end']:.1f}" for s in m["sections"]))
        table.add_row("drops", ", ".join(f"{d:.2f}" for d in m["drops"]) or "none")
        for w in m["warnings"]:
            table.add_row("warning", w)
    if "clip" in data:
        clip = data["clip"]
        table.add_row("shots", str(len(clip["shots"])))
        for t in clip["transitions"]:
            table.add_row(t["kind"], f"{t['start']:.3f}-{t['end']:.3f} s")
    console.print(table)
    return 0


def cmd_plan(args: argparse.Namespace) -> int:
    from agent.brain.rules import plan_edit
    from agent.media.analyze import analyze_music_file

    music = analyze_music_file(args.music, _settings(args)) if args.music else None
    plan = plan_edit(args.prompt, music)
    print(json.dumps({"plan": json.loads(plan.model_dump_json()), "brain": "rules", "fell_back": False,
                      "repairs": []}, indent=2))
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    import importlib

    module = importlib.import_module(f"evals.{args.name}")
    out_dir = Path(args.output or f"out/eval-{args.name}")
    result = module.run(out_dir)
    print(f"wrote {out_dir}/{args.name}.json and {out_dir}/{args.name}.png")
    return 0 if result is not None else 1


def cmd_tools(args: argparse.Namespace) -> int:
    from agent.tools.library import (ToolError, check_ffmpeg_filter, check_glsl, import_gl_transition, library_dirs,
                                    load_library, write_preview)

    settings = _settings(args)
    if args.tools_command == "import":
        tool = import_gl_transition(args.path, settings.workspace / "tools", tool_id=args.id)
        print(f"imported {tool.spec.id} into {tool.folder} ({len(tool.spec.params)} parameter(s), "
              f"{tool.spec.validation.ms_per_frame_720p} ms per 720p frame)")
        return 0
    tools, problems = load_library(library_dirs(settings.workspace))
    for problem in problems:
        print(f"broken tool: {problem}", file=sys.stderr)
    if args.tools_command == "list":
        for tool in sorted(tools.values(), key=lambda t: t.spec.id):
            state = "ok" if tool.spec.validation and tool.spec.validation.ok else "unvalidated"
            print(f"{tool.spec.id:28} {tool.spec.kind:18} {state:12} {tool.spec.description}")
        print(f"{len(tools)} tool(s)" + (f", {len(problems)} broken" if problems else ""))
    elif args.tools_command == "show":
        if args.id not in tools:
            raise ToolError(f"no tool {args.id!r}; `reelwright tools list` shows them")
        print(tools[args.id].spec.model_dump_json(indent=2))
    elif args.tools_command == "preview":
        chosen = list(tools.values()) if args.all else [tools[i] for i in args.ids if i in tools]
        missing = [] if args.all else [i for i in args.ids if i not in tools]
        for name in missing:
            print(f"{name}: no such tool", file=sys.stderr)
        for tool in chosen:
            print(f"{tool.spec.id:28} {write_preview(tool)}")
        return 1 if missing else 0
    elif args.tools_command == "test":
        chosen = list(tools.values()) if args.all else [tools[i] for i in args.ids if i in tools]
        missing = [] if args.all else [i for i in args.ids if i not in tools]
        failed = len(missing)
        for name in missing:
            print(f"{name}: no such tool", file=sys.stderr)
        for tool in chosen:
            if tool.spec.kind == "ffmpeg-filter":
                verdict = check_ffmpeg_filter(tool.source)
            elif tool.spec.kind.startswith("glsl"):
                verdict = check_glsl(tool.source, tool.spec.kind.removeprefix("glsl-"))
            else:
                print(f"{tool.spec.id:28} skipped ({tool.spec.kind} tools have no checker yet)")
                continue
            failed += not verdict.ok
            print(f"{tool.spec.id:28} {'ok' if verdict.ok else 'FAILED: ' + verdict.reason}")
        return 1 if failed or problems else 0
    return 1 if problems else 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="reelwright", description="Autonomous beat-synced video editor")
    parser.add_argument("--workspace", help="cache and library folder (default ./.reelwright)")
    parser.add_argument("--tracker", choices=BEAT_TRACKERS, help="beat tracker (default madmom)")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("edit", help="edit clips to music from a prompt")
    p.add_argument("--music", required=True)
    p.add_argument("--clips", nargs="+", required=True)
    p.add_argument("--prompt", required=True)
    p.add_argument("-o", "--output", required=True, help="output .mp4")
    p.add_argument("--preview", action="store_true", help="fast low-resolution render")
    p.add_argument("--export", nargs="*", default=[], choices=("fcpxml", "edl"),
                   help="also write FCP XML (<name>.xml) and/or CMX EDL (<name>.edl) beside the .otio")
    p.set_defaults(func=cmd_edit)

    p = sub.add_parser("demo", help="synthesise example media and edit it")
    p.add_argument("-o", "--output", default="out/demo")
    p.add_argument("--prompt")
    p.add_argument("--preview", action="store_true")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("analyze", help="print a file's analysis")
    p.add_argument("file")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_analyze)

    p = sub.add_parser("plan", help="print the edit plan for a prompt")
    p.add_argument("--music")
    p.add_argument("--clips", nargs="*", default=[])
    p.add_argument("--prompt", required=True)
    p.add_argument("--json", action="store_true", help="(the output is always JSON)")
    p.set_defaults(func=cmd_plan)

    p = sub.add_parser("tools", help="the tool library: list, show, test, preview, import")
    tools = p.add_subparsers(dest="tools_command", required=True)
    tools.add_parser("list", help="every tool, bundled and in the workspace")
    t = tools.add_parser("show", help="a tool's manifest")
    t.add_argument("id")
    t = tools.add_parser("test", help="re-validate tools")
    t.add_argument("ids", nargs="*")
    t.add_argument("--all", action="store_true")
    t = tools.add_parser("preview", help="remake animated previews (rendered in the sandbox)")
    t.add_argument("ids", nargs="*")
    t.add_argument("--all", action="store_true")
    t = tools.add_parser("import", help="import a gl-transitions .glsl file (refused unless it validates)")
    t.add_argument("path")
    t.add_argument("--id", help="tool id (default: from the file name)")
    p.set_defaults(func=cmd_tools)

    p = sub.add_parser("eval", help="run an evaluation / benchmark")
    p.add_argument("name", choices=EVALS)
    p.add_argument("-o", "--output")
    p.set_defaults(func=cmd_eval)
    return parser


def _stop_on_sigterm(signum, frame) -> None:
    raise KeyboardInterrupt  # unwind like Ctrl-C, so partial outputs and child processes are cleaned up


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except ReelwrightError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("interrupted; nothing half-written was left behind", file=sys.stderr)
        return 130
