"""The Executor protocol and its typed Result."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol


OUTPUT_MAX_FILES = 64


class SandboxUnavailable(RuntimeError):
    """The backend cannot run here (e.g. bwrap is not installed); the message says what to do."""


@dataclass(frozen=True)
class Limits:
    wall_s: float = 30.0
    cpu_s: int = 30
    memory_mb: int = 2048  # address space
    file_mb: int = 256  # largest file the code may write
    processes: int = 64
    output_bytes: int = 4 << 20  # stdout and stderr, each
    network: bool = False


@dataclass
class Result:
    ok: bool
    returncode: int | None
    stdout: str
    stderr: str
    outputs: dict[str, bytes] = field(default_factory=dict)  # files the code left in its directory
    usage: dict[str, float] = field(default_factory=dict)  # wall_s
    reason: str = ""  # why it is not ok: "timeout", "output limit", "exit 1", "killed by SIGXCPU", ...


class Executor(Protocol):
    name: str

    def run(self, command: list[str], *, files: dict[str, bytes | str] | None = None,
            limits: Limits = Limits(), stdin: str | bytes | None = None,
            read_only: list[Path] | None = None, env: dict[str, str] | None = None) -> Result:
        """Run `command` in a fresh private directory holding `files`; `read_only` paths are
        visible (read-only) at the same place; everything else of the host is not."""
        ...


def collect_outputs(work: Path, limits: Limits, skip: tuple[str, ...] = ()) -> dict[str, bytes]:
    """The files the code left in its directory (regular files within the size limit, no links)."""
    out = {}
    for path in sorted(work.rglob("*"))[:OUTPUT_MAX_FILES]:
        if path.name not in skip and path.is_file() and not path.is_symlink() and path.stat().st_size <= limits.file_mb << 20:
            out[str(path.relative_to(work))] = path.read_bytes()
    return out
