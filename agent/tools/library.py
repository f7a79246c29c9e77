"""The tool library: load and validate tool folders, import gl-transitions shaders, save tools.

Bundled tools live in `agent/generated_tools/`; tools made or imported at run time go to the
workspace library (`<workspace>/tools`). A tool in the workspace with the id of a bundled one
takes its place.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from pydantic import ValidationError

from agent.errors import ReelwrightError
from agent.tools.spec import ParamSpec, Provenance, ToolSpec, Validation, source_hash

BUNDLED = Path(__file__).resolve().parents[1] / "generated_tools"
CHECK_TIMEOUT_S = 30
SANDBOX_PYTHON = "/usr/bin/python3"  # the pyenv interpreter under /root is not visible to uid 65534
_GLSL_TYPES = {"float", "int", "bool", "vec2", "vec3", "vec4"}


class ToolError(ReelwrightError):
    """A tool folder that is broken or a tool that failed validation; the message says where."""


class BundledToolError(ToolError):
    """A change asked of a bundled tool: those ship with the program and are read-only; a workspace
    tool with the same id takes a bundled one's place instead."""

    exit_code = 1


@dataclass(frozen=True)
class Tool:
    spec: ToolSpec
    folder: Path
    source: str


def load_tool(folder: str | Path) -> Tool:
    folder = Path(folder)
    manifest = folder / "manifest.json"
    if not manifest.is_file():
        raise ToolError(f"{manifest}: missing (every tool folder needs a manifest.json)")
    try:
        data = json.loads(manifest.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ToolError(f"{manifest}: not valid JSON at line {exc.lineno}: {exc.msg}") from exc
    try:
        spec = ToolSpec.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"field {'.'.join(str(p) for p in err['loc']) or '(root)'}: {err['msg']}"
                             for err in exc.errors())
        raise ToolError(f"{manifest}: {problems}") from exc
    if spec.id != folder.name:
        raise ToolError(f"{manifest}: field id: {spec.id!r} does not match the folder name {folder.name!r}")
    source_path = folder / spec.source_file
    if not source_path.is_file():
        raise ToolError(f"{source_path}: missing (a {spec.kind} tool keeps its source here)")
    source = source_path.read_text(encoding="utf-8")
    if source_hash(source) != spec.source_hash:
        raise ToolError(f"{manifest}: field source_hash: does not match {spec.source_file} "
                        f"(edited without re-validating? run `reelwright tools test {spec.id}`)")
    return Tool(spec=spec, folder=folder, source=source)


def library_dirs(workspace: Path) -> list[Path]:
    return [BUNDLED, workspace / "tools"]


def load_library(dirs: list[Path]) -> tuple[dict[str, Tool], list[str]]:
    """Every tool in `dirs` (later folders override earlier ones), and the problems found."""
    tools: dict[str, Tool] = {}
    problems: list[str] = []
    for directory in dirs:
        if not directory.is_dir():
            continue
        for folder in sorted(p for p in directory.iterdir() if p.is_dir() and not p.name.startswith(".")):
            try:
                tool = load_tool(folder)
            except ToolError as exc:
                problems.append(str(exc))
                continue
            tools[tool.spec.id] = tool
    return tools, problems


def load_workspace_library(workspace: Path) -> tuple[dict[str, Tool], list[str]]:
    """The bundled and workspace tools, with the usage statistics kept in the workspace."""
    from agent.tools.stats import load_stats, with_stats

    tools, problems = load_library(library_dirs(workspace))
    try:
        return with_stats(tools, load_stats(workspace)), problems
    except ToolError as exc:
        return tools, [*problems, str(exc)]


def _sandbox_plan() -> tuple[object | None, str]:
    """The sandbox the checks run in, or None and why not (then they run as a plain process)."""
    from sandbox import BwrapExecutor, SandboxUnavailable

    root = Path(__file__).resolve().parents[2]
    if not Path(SANDBOX_PYTHON).exists():
        return None, f"{SANDBOX_PYTHON} is missing (apt python3)"
    for folder in [root, *root.parents]:
        if not folder.stat().st_mode & 0o001:
            return None, f"{folder} is not traversable by other users, so the sandbox cannot see the code"
    try:
        return BwrapExecutor(), "bwrap"
    except SandboxUnavailable as exc:
        return None, str(exc)


@dataclass(frozen=True)
class _Run:
    ok: bool
    stdout: str
    outputs: dict[str, bytes]
    reason: str  # why not ok
    sandbox: str  # "bwrap", or "none: <why>"


def _run_untrusted(module: str, args: list[str], stdin: str, timeout: float) -> _Run:
    """Run one of our modules over untrusted source: in the sandbox where it can run, else as a
    plain timed process in a scratch folder (and `sandbox` says why)."""
    from sandbox import Limits

    executor, how = _sandbox_plan()
    if executor is not None:
        root = Path(__file__).resolve().parents[2]
        site = Path(sys.prefix) / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}" / "site-packages"
        result = executor.run([SANDBOX_PYTHON, "-m", module, *args], stdin=stdin,
                              limits=Limits(wall_s=timeout, cpu_s=int(timeout) * 2, memory_mb=4096),
                              read_only=[root, site], env={"PYTHONPATH": f"{root}:{site}"})
        timed_out, code, stdout, stderr, outputs = (result.reason.startswith("timeout"), result.reason,
                                                    result.stdout, result.stderr, result.outputs)
    else:
        how = f"none: {how}"
        with tempfile.TemporaryDirectory() as scratch:
            try:
                proc = subprocess.run([sys.executable, "-m", module, *args], input=stdin, capture_output=True,
                                      text=True, timeout=timeout, cwd=scratch)
                timed_out, stdout, stderr = False, proc.stdout, proc.stderr
                code = f"exit {proc.returncode}" if proc.returncode else ""
            except subprocess.TimeoutExpired:
                timed_out, code, stdout, stderr = True, "timeout", "", ""
            outputs = {p.name: p.read_bytes() for p in Path(scratch).iterdir() if p.is_file()}
    if timed_out:
        return _Run(False, "", {}, f"the check did not finish within {timeout:.0f} s (endless loop?)", how)
    if code or not stdout.strip():
        tail = (stderr.strip().splitlines() or ["no output"])[-1]
        return _Run(False, stdout, outputs, f"the checker failed ({code or 'no verdict'}): {tail}", how)
    return _Run(True, stdout, outputs, "", how)


def _run_check(module: str, args: list[str], stdin: str, timeout: float) -> Validation:
    """A checker module's JSON verdict on untrusted source, as a Validation."""
    now = datetime.now(timezone.utc).isoformat(timespec="seconds")
    run = _run_untrusted(module, args, stdin, timeout)
    if not run.ok:
        return Validation(ok=False, reason=run.reason, checked=now, sandbox=run.sandbox)
    verdict = json.loads(run.stdout.strip().splitlines()[-1])
    return Validation(checked=now, sandbox=run.sandbox, **verdict)


def write_preview(tool: Tool, timeout: float = 120) -> Path:
    """(Re)make a tool's animated preview.gif; rendered in the sandbox like any run of its code."""
    run = _run_untrusted("agent.tools.preview", [tool.spec.kind, json.dumps(tool.spec.defaults())],
                         tool.source, timeout)
    if not run.ok or "preview.gif" not in run.outputs:
        raise ToolError(f"{tool.folder}: no preview: {run.reason or 'the renderer wrote no preview.gif'}")
    target = tool.folder / "preview.gif"
    partial = target.with_name(".preview.gif.partial")
    partial.write_bytes(run.outputs["preview.gif"])
    partial.replace(target)
    return target


def check_glsl(source: str, kind: str, timeout: float = CHECK_TIMEOUT_S, parents: tuple[str, ...] = ()) -> Validation:
    """Validate a shader in the sandbox: a shader that never ends is killed, not waited on. With
    `parents` (sources of the same kind it was made from) it must also look unlike each of them."""
    return _run_check("agent.tools.glsl_check", [kind, *([json.dumps(list(parents))] if parents else [])],
                      source, timeout)


def check_ffmpeg_filter(chain: str, timeout: float = CHECK_TIMEOUT_S) -> Validation:
    """Static rules (pure per-frame filters, nothing that names a file, device or protocol), then
    a timed run on a test clip, in the sandbox."""
    return _run_check("agent.tools.ffmpeg_check", [], chain, timeout)


def _slug(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug[:60] or "tool"


def params_from_glsl(source: str) -> list[ParamSpec]:
    from agent.render.glsl import shader_uniforms

    params = []
    for uniform in shader_uniforms(source):
        if uniform.type not in _GLSL_TYPES:
            raise ToolError(f"uniform {uniform.name}: type {uniform.type} cannot be a tool parameter")
        params.append(ParamSpec(name=uniform.name, type=uniform.type, default=list(uniform.default)))
    return params


def save_tool(spec: ToolSpec, source: str, library_dir: Path) -> Tool:
    """Write a tool folder atomically (a temp folder renamed into place)."""
    library_dir.mkdir(parents=True, exist_ok=True)
    target = library_dir / spec.id
    tmp = Path(tempfile.mkdtemp(dir=library_dir, prefix=f".{spec.id}."))
    try:
        (tmp / spec.source_file).write_text(source, encoding="utf-8")
        (tmp / "manifest.json").write_text(spec.model_dump_json(indent=2) + "\n", encoding="utf-8")
        if spec.validation is not None:
            (tmp / "report.json").write_text(spec.validation.model_dump_json(indent=2) + "\n", encoding="utf-8")
        if target.exists():
            shutil.rmtree(target)
        os.replace(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return load_tool(target)


def workspace_tool_folder(tool_id: str, library_dir: Path) -> Path:
    """The folder of workspace tool `tool_id` in `library_dir`; refuses ids that are not plain
    names, bundled tools and unknown ids, each with what to do instead."""
    if not tool_id or tool_id != Path(tool_id).name or tool_id.startswith("."):
        raise ToolError(f"{tool_id!r} is not a tool id (a plain folder name); `reelwright tools list` shows them")
    folder = library_dir / tool_id
    if folder.is_dir():
        return folder
    if (BUNDLED / tool_id).is_dir():
        raise BundledToolError(f"{tool_id} is a bundled tool ({BUNDLED / tool_id}) and cannot be removed; to replace "
                               f"it, add a tool with the id {tool_id!r} to the workspace library {library_dir} "
                               f"(it takes the bundled one's place)")
    raise ToolError(f"no tool {tool_id!r} in the workspace library {library_dir}; `reelwright tools list` shows them")


def remove_tool(tool_id: str, library_dir: Path) -> Path:
    """Delete a workspace tool. The folder is first renamed to a dot-name, which the loader skips,
    so no reader ever sees half a tool; returns the path it had."""
    folder = workspace_tool_folder(tool_id, library_dir)
    aside = library_dir / f".{tool_id}.removing-{uuid.uuid4().hex[:8]}"
    try:
        os.rename(folder, aside)
    except OSError as exc:
        raise ToolError(f"{folder}: cannot remove ({exc.strerror})") from exc
    try:
        if aside.is_symlink():
            aside.unlink()  # a linked tool: drop the link, never what it points to
        else:
            shutil.rmtree(aside)
    except OSError as exc:
        raise ToolError(f"{folder}: removed from the library, but deleting its files failed ({exc.strerror}); "
                        f"delete {aside} by hand") from exc
    return folder


def import_gl_transition(path: str | Path, library_dir: Path, *, tool_id: str | None = None,
                         description: str | None = None) -> Tool:
    """Import a gl-transitions `.glsl` file: parameters from its uniforms and their `// = value`
    defaults; refused with the reason unless it passes validation."""
    path = Path(path)
    if not path.is_file():
        raise ToolError(f"{path}: not found")
    source = path.read_text(encoding="utf-8")
    params = params_from_glsl(source)
    verdict = check_glsl(source, "transition")
    if not verdict.ok:
        raise ToolError(f"{path}: refused: {verdict.reason}")
    header = re.findall(r"^\s*//\s*(Author|License)\s*:\s*(.+)$", source, re.M | re.I)
    origin = f"{path.name}" + "".join(f"; {k.title()}: {v.strip()}" for k, v in header)
    spec = ToolSpec(
        id=tool_id or _slug(path.stem),
        kind="glsl-transition",
        description=description or f"{path.stem.replace('_', ' ')} transition (imported gl-transitions shader)",
        tags=["transition", "glsl", "imported"],
        params=params,
        provenance=Provenance(author="imported", origin=origin,
                              created=datetime.now(timezone.utc).date().isoformat()),
        validation=verdict,
        source_hash=source_hash(source),
    )
    tool = save_tool(spec, source, library_dir)
    write_preview(tool)
    return tool
