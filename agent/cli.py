"""`reelwright` commands. Thin: parse, call the library, print, return an exit code."""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
from dataclasses import asdict
from pathlib import Path
from typing import get_args

from agent.config import BEAT_TRACKERS, BRAINS, Settings
from agent.errors import ReelwrightError
from agent.tools.spec import ToolKind, ToolSpec

EVALS = ("beats", "shots", "render", "sync", "analysis", "effects", "critic", "brain", "agent_loop")


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
    if getattr(args, "clip", None):
        kwargs["clip_checkpoint"] = Path(args.clip)
    if getattr(args, "brain", None):
        kwargs["brain"] = args.brain
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
    critic = report.get("critic")
    if critic:
        parts = ", ".join(f"{name} {score['value']:.2f}" for name, score in critic["scores"].items())
        console.print(f"critic: total {critic['total']:.3f} ({parts}); {critic['png']}")
        for name, score in critic["scores"].items():
            for problem in score["problems"]:
                console.print(f"  critic ({name}): {problem}")
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
    prompt = args.prompt or media.prompt
    print(f"prompt: {prompt!r}")
    bar, update = _progress_bar("rendering")
    with bar:
        outcome = run_edit(media.music, media.clips, prompt, folder / "reel.mp4",
                           settings=_settings(args), preview=args.preview, progress=update)
    _print_edit_summary(outcome)
    return 0


def cmd_agent(args: argparse.Namespace) -> int:
    from agent.graph.graph import run_task

    settings = _settings(args)
    out = Path(args.output)
    task = {"request": args.prompt, "music": str(Path(args.music).resolve()),
            "clips": [str(Path(c).resolve()) for c in args.clips], "output": str(out.resolve()),
            "workspace": str(settings.workspace.resolve()), "brain": settings.brain, "preview_only": args.preview,
            "threshold": args.threshold, "max_iterations": args.iterations, "budget_s": args.budget}
    thread = args.thread or out.stem
    final = run_task(task, thread=thread, db=settings.workspace / "checkpoints.sqlite")
    report = json.loads(Path(final["report"]).read_text())
    for n, it in enumerate(report["graph"]["iterations"]):
        print(f"iteration {n}: critic total {it['total']:.3f}" + (f"; then {'; '.join(it['changes'])}"
                                                                   if it["changes"] else ""))
    print(f"stopped: {report['graph']['stop_reason']}; delivered iteration {report['graph']['best']} "
          f"(critic {report['critic']['total']:.3f} on the final render) -> {final['reel']} (thread {thread})")
    return 0


def cmd_critique(args: argparse.Namespace) -> int:
    from agent.critic import critique
    from agent.critic.plot import write_png
    from agent.media.analyze import analyze_music_file
    from agent.timeline.model import Timeline

    settings = _settings(args)
    video = Path(args.video)
    music = analyze_music_file(args.music, settings) if args.music else None
    timeline = Timeline.model_validate_json(Path(args.timeline).read_text()) if args.timeline else None
    card = critique(video, timeline=timeline, analysis=music, request=args.prompt, settings=settings)
    png = write_png(card, Path(args.png) if args.png else video.with_suffix(".critique.png"),
                    card.scores["validity"].evidence["duration"])
    if args.json:
        print(json.dumps({**card.to_dict(), "png": str(png)}, indent=2))
        return 0
    print(f"{video.name}: total {card.total:.3f} ({card.style} weights)")
    for name, score in card.scores.items():
        print(f"  {name:10} {score.value:.3f}  " + ("; ".join(score.problems) or "ok"))
    sync = card.scores.get("beat_sync")
    if sync is not None:
        print(f"  beats: {sync.evidence['beats_from']}; {sync.evidence['within_one_frame']:.0%} of "
              f"{sync.evidence['cuts']} cuts within one frame")
    print(f"wrote {png}")
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
    from agent.brain.factory import make_brain
    from agent.brain.planner import plan_with_brain
    from agent.media.analyze import analyze_music_file
    from agent.tools.library import load_workspace_library

    settings = _settings(args)
    music = analyze_music_file(args.music, settings) if args.music else None
    result = plan_with_brain(args.prompt, music, brain=make_brain(settings),
                             tools=load_workspace_library(settings.workspace)[0])
    info = dict(result.info)
    print(json.dumps({"plan": json.loads(result.plan.model_dump_json()), "brain": info.pop("name"), **info},
                     indent=2))
    return 0


def cmd_brain(args: argparse.Namespace) -> int:
    import subprocess

    from agent.brain.serve import missing_for_vllm, vllm_command

    loras = dict(item.split("=", 1) for item in args.lora)
    command = vllm_command(args.model, port=args.port, loras=loras, tensor_parallel=args.tp)
    shown = " ".join(command)
    missing = missing_for_vllm()
    if missing or args.dry_run:
        for what in missing:
            print(f"missing: {what}", file=sys.stderr)
        print(shown)
        print(f"then: reelwright --brain openai ... with REELWRIGHT_OPENAI_URL=http://127.0.0.1:{args.port}/v1 "
              f"REELWRIGHT_OPENAI_MODEL={command[command.index('--model') + 1]} REELWRIGHT_OPENAI_SERVER=vllm")
        return 2 if missing else 0
    return subprocess.run(command).returncode


def cmd_eval(args: argparse.Namespace) -> int:
    import importlib

    module = importlib.import_module(f"evals.{args.name}")
    out_dir = Path(args.output or f"out/eval-{args.name}")
    result = module.run(out_dir)
    print(f"wrote {out_dir}/{args.name}.json and {out_dir}/{args.name}.png")
    return 0 if result is not None else 1


def cmd_tools(args: argparse.Namespace) -> int:
    from agent.tools.library import (ToolError, check_ffmpeg_filter, check_glsl, import_gl_transition,
                                    load_workspace_library, write_preview)

    settings = _settings(args)
    if args.tools_command == "import":
        tool = import_gl_transition(args.path, settings.workspace / "tools", tool_id=args.id)
        print(f"imported {tool.spec.id} into {tool.folder} ({len(tool.spec.params)} parameter(s), "
              f"{tool.spec.validation.ms_per_frame_720p} ms per 720p frame)")
        return 0
    if args.tools_command == "remove":
        return _remove_tool(args.id, settings.workspace / "tools", confirmed=args.yes)
    tools, problems = load_workspace_library(settings.workspace)
    for problem in problems:
        print(f"broken tool: {problem}", file=sys.stderr)
    if args.tools_command == "grow":
        return _grow(args, tools, Path(args.into) if args.into else settings.workspace / "tools")
    if args.tools_command in ("search", "reindex"):
        code = _tools_search(args, settings, [tool.spec for tool in tools.values()])
        return code or (1 if problems else 0)
    if args.tools_command == "list":
        for tool in sorted(tools.values(), key=lambda t: t.spec.id):
            state = "ok" if tool.spec.validation and tool.spec.validation.ok else "unvalidated"
            print(f"{tool.spec.id:28} {tool.spec.kind:18} {state:12} {tool.spec.description}")
        print(f"{len(tools)} tool(s)" + (f", {len(problems)} broken" if problems else ""))
    elif args.tools_command == "gallery":
        from agent.tools.gallery import serve_gallery, write_gallery

        index = write_gallery(tools, args.output, problems)
        print(f"wrote {index} ({len(tools)} tools)")
        if args.serve:
            server = serve_gallery(index.parent, args.port)
            host, port = server.server_address[:2]
            print(f"serving http://{host}:{port}/ (Ctrl-C stops)", flush=True)
            try:
                server.serve_forever()
            except KeyboardInterrupt:
                print("stopped")
            finally:
                server.server_close()
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


def _grow(args: argparse.Namespace, tools: dict, into: Path) -> int:
    from agent.tools.author import BrainAuthor, SynthesisAuthor, grow

    if args.author == "rules":
        from agent.brain.rules_code import RulesBrain

        author = BrainAuthor(RulesBrain())
    else:
        author = SynthesisAuthor()

    def show(candidate) -> None:
        verdict = candidate.spec.validation
        state = "ok" if verdict.ok else f"FAILED: {verdict.reason}"
        print(f"{candidate.spec.id:48} {candidate.spec.kind:16} {state}", flush=True)

    report = grow(tools, args.n, into, author=author, requests=tuple(args.request or [""]), seed=args.seed,
                  on_result=show)
    tried = len(report.passed) + len(report.failed)
    print(f"{len(report.passed)} of {tried} candidate(s) passed and were saved into {into}")
    for reason, count in report.reasons().items():
        print(f"  {count:3} failed: {reason}")
    return 0 if len(report.passed) >= args.n else 1


def _remove_tool(tool_id: str, library_dir: Path, confirmed: bool) -> int:
    from agent.tools.library import BUNDLED, remove_tool, workspace_tool_folder

    folder = workspace_tool_folder(tool_id, library_dir)  # refuses bundled and unknown ids before asking
    if not confirmed:
        try:
            answer = input(f"remove the workspace tool {tool_id} ({folder})? [y/N] ")
        except EOFError:
            answer = ""
        if answer.strip().lower() not in ("y", "yes"):
            print(f"{tool_id} not removed (pass --yes to remove without asking)", file=sys.stderr)
            return 1
    remove_tool(tool_id, library_dir)
    print(f"removed {folder}")
    if (BUNDLED / tool_id).is_dir():
        print(f"the bundled {tool_id} is used again")
    return 0


def _tools_search(args: argparse.Namespace, settings: Settings, specs: list[ToolSpec]) -> int:
    from memory.tools_index import ToolIndex

    with ToolIndex.for_workspace(settings.workspace) as index:
        if args.tools_command == "reindex":
            report = index.rebuild(specs)
            print(f"indexed {len(report.added)} tool(s) in {index.folder}")
            return 0
        report = index.sync(specs)
        hits = index.search(args.text, n=args.n, kind=args.kind)
    if report.note:
        print(f"note: {report.note}", file=sys.stderr)
    if report.changed and not report.note:
        print(f"index updated: {len(report.added)} added, {len(report.updated)} updated, "
              f"{len(report.removed)} removed", file=sys.stderr)
    if args.json:
        print(json.dumps({"query": args.text, "kind": args.kind, "hits": [asdict(hit) for hit in hits]}, indent=2))
        return 0
    for rank, hit in enumerate(hits, 1):
        print(f"{rank:2}  {hit.id:28} {hit.kind:18} {hit.score:.3f}  {hit.description}")
    if not hits:
        print("no tools found" + (f" of kind {args.kind}" if args.kind else ""))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="reelwright", description="Autonomous beat-synced video editor")
    parser.add_argument("--workspace", help="cache and library folder (default ./.reelwright)")
    parser.add_argument("--tracker", choices=BEAT_TRACKERS, help="beat tracker (default madmom)")
    parser.add_argument("--brain", choices=BRAINS, help="who plans: rules (default), llama (embedded GGUF: "
                        "$REELWRIGHT_LLAMA_MODEL or the packaged Gemma 3 270M) or openai ($REELWRIGHT_OPENAI_URL, "
                        "_MODEL, _SERVER=vllm|llamacpp|openai); default $REELWRIGHT_BRAIN")
    parser.add_argument("--clip", metavar="FOLDER", help="a local open_clip or transformers CLIP checkpoint: the "
                        "critic adds a text-video similarity (default: $REELWRIGHT_CLIP_CHECKPOINT, else none)")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("edit", help="edit clips to music from a prompt")
    p.add_argument("--music", required=True)
    p.add_argument("--clips", nargs="+", required=True)
    p.add_argument("--prompt", required=True)
    p.add_argument("-o", "--output", required=True, help="output .mp4")
    p.add_argument("--preview", action="store_true", help="fast low-resolution render")
    p.add_argument("--export", nargs="*", default=[], choices=("fcpxml", "edl"),
                   help="also write FCP XML (<name>.xml) and/or CMX EDL (<name>.edl) beside the .otio")
    p.add_argument("--brain", choices=BRAINS, default=argparse.SUPPRESS, help="who plans (as the global --brain)")
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

    p = sub.add_parser("critique", help="score a rendered reel (a readable card, or --json) and plot it")
    p.add_argument("video")
    p.add_argument("--music", help="the song the reel was cut to: its beats are placed by matching the audio")
    p.add_argument("--prompt", help="the request the reel answers (duration, aspect, style, effects)")
    p.add_argument("--timeline", help="the edit's timeline.json (its beats and where its transitions are)")
    p.add_argument("--json", action="store_true", help="one object: total and scores with their evidence")
    p.add_argument("--png", help="where to write the plot (default: VIDEO.critique.png)")
    p.set_defaults(func=cmd_critique)

    p = sub.add_parser("agent", help="edit with the agent loop: plan, preview, critique, reflect, deliver the best")
    p.add_argument("--music", required=True)
    p.add_argument("--clips", nargs="+", required=True)
    p.add_argument("--prompt", required=True)
    p.add_argument("-o", "--output", required=True, help="output .mp4")
    p.add_argument("--thread", help="checkpoint thread id (default: the output's name); re-run to resume")
    p.add_argument("--iterations", type=int, default=3, help="most preview rounds")
    p.add_argument("--threshold", type=float, default=0.97, help="stop once the critic total reaches this")
    p.add_argument("--budget", type=float, default=600.0, help="seconds before the loop stops iterating")
    p.add_argument("--preview", action="store_true", help="the final render at preview size too")
    p.add_argument("--brain", choices=BRAINS, default=argparse.SUPPRESS, help="who plans (as the global --brain)")
    p.set_defaults(func=cmd_agent)

    p = sub.add_parser("plan", help="print the edit plan for a prompt")
    p.add_argument("--music")
    p.add_argument("--clips", nargs="*", default=[])
    p.add_argument("--prompt", required=True)
    p.add_argument("--json", action="store_true", help="(the output is always JSON)")
    p.add_argument("--brain", choices=BRAINS, default=argparse.SUPPRESS, help="who plans (as the global --brain)")
    p.set_defaults(func=cmd_plan)

    p = sub.add_parser("brain", help="the production brain: vLLM serving a mixture-of-experts model")
    brain_sub = p.add_subparsers(dest="brain_command", required=True)
    q = brain_sub.add_parser("serve", help="launch vLLM with --enable-lora (GPU only; says what is missing)")
    q.add_argument("--model", default="mixtral", help="mixtral, deepseek, or a Hugging Face model id")
    q.add_argument("--port", type=int, default=8000)
    q.add_argument("--tp", type=int, default=1, help="tensor-parallel GPUs")
    q.add_argument("--lora", nargs="*", default=[], metavar="NAME=PATH", help="LoRA adapters to serve")
    q.add_argument("--dry-run", action="store_true", help="print the command, do not run it")
    q.set_defaults(func=cmd_brain)

    p = sub.add_parser("tools", help="the tool library: list, show, search, test, preview, import, remove, "
                                      "gallery, grow, reindex")
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
    t = tools.add_parser("grow", help="author new tools (composed, mutated or brain-written), keep those that validate")
    t.add_argument("--n", type=int, default=10, help="how many new tools to add")
    t.add_argument("--author", choices=("synthesis", "rules"), default="synthesis",
                   help="synthesis: compose and mutate existing tools; rules: the rule brain writes shaders")
    t.add_argument("--request", action="append", help="what to aim for (repeatable; used in turn)")
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--into", help="library folder to save into (default: the workspace library)")
    t = tools.add_parser("remove", help="delete a workspace tool (bundled tools are read-only)")
    t.add_argument("id")
    t.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    t = tools.add_parser("gallery", help="write a browsable HTML page of every tool with its animated preview")
    t.add_argument("-o", "--output", default="out/gallery", help="folder for index.html and previews/ "
                   "(default out/gallery)")
    t.add_argument("--serve", action="store_true", help="then serve the folder on 127.0.0.1 until Ctrl-C")
    t.add_argument("--port", type=int, default=8765, help="port for --serve (default 8765; 0: any free port)")
    t = tools.add_parser("search", help="find tools by meaning (updates the search index first)")
    t.add_argument("text")
    t.add_argument("-n", type=int, default=5, help="number of results (default 5)")
    t.add_argument("--kind", choices=get_args(ToolKind), help="only tools of this kind")
    t.add_argument("--json", action="store_true")
    tools.add_parser("reindex", help="rebuild the search index from the manifests")
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
