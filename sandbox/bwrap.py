"""bubblewrap backend: no network, read-only system, a private writable directory, prlimit limits,
a wall timeout, uid 65534 (so the process-count limit binds), output caps."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from pathlib import Path

from sandbox.base import Limits, Result, SandboxUnavailable, collect_outputs

NOBODY = 65534
SYSTEM_DIRS = ("/usr", "/lib", "/lib64", "/bin", "/sbin", "/etc")
_SIGNALS = {signal.SIGXCPU: "CPU time limit", signal.SIGXFSZ: "file size limit", signal.SIGKILL: "killed",
            signal.SIGSEGV: "crashed (SIGSEGV)", signal.SIGABRT: "aborted"}


class BwrapExecutor:
    name = "bwrap"

    def __init__(self) -> None:
        if shutil.which("bwrap") is None:
            raise SandboxUnavailable("bubblewrap is not installed: `apt-get install bubblewrap` (make demo does)")

    def _command(self, command: list[str], work: Path, limits: Limits, read_only: list[Path],
                 env: dict[str, str]) -> list[str]:
        args = ["bwrap", "--unshare-all", "--die-with-parent", "--new-session", "--clearenv"]
        if limits.network:
            args.append("--share-net")
        for path in SYSTEM_DIRS:
            if os.path.exists(path):
                args += ["--ro-bind", path, path]
        # The private /tmp first: read-only binds that live under /tmp must land on top of it.
        args += ["--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"]
        for path in read_only:
            args += ["--ro-bind", str(path), str(path)]
        args += ["--bind", str(work), "/sandbox", "--chdir", "/sandbox", "--setenv", "HOME", "/sandbox",
                 "--setenv", "PATH", "/usr/bin:/bin"]
        for key, value in env.items():
            args += ["--setenv", key, value]
        # CPU: SIGXCPU at the soft limit, SIGKILL a second later at the hard one.
        args += ["--", "prlimit", f"--as={limits.memory_mb << 20}", f"--cpu={limits.cpu_s}:{limits.cpu_s + 1}",
                 f"--fsize={limits.file_mb << 20}", f"--nproc={limits.processes}", "--", *command]
        if os.geteuid() == 0:  # drop to nobody first: RLIMIT_NPROC does not bind root
            args = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", *args]
        return args

    def run(self, command: list[str], *, files: dict[str, bytes | str] | None = None,
            limits: Limits = Limits(), stdin: str | bytes | None = None,
            read_only: list[Path] | None = None, env: dict[str, str] | None = None) -> Result:
        work = Path(tempfile.mkdtemp(prefix="reelwright-sandbox-"))
        try:
            for name, content in (files or {}).items():
                target = work / name
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(content.encode() if isinstance(content, str) else content)
            if os.geteuid() == 0:
                for path in [work, *work.rglob("*")]:
                    os.chown(path, NOBODY, NOBODY)
            return self._run(self._command(command, work, limits, read_only or [], env or {}), work, limits, stdin)
        finally:
            shutil.rmtree(work, ignore_errors=True)

    def _run(self, args: list[str], work: Path, limits: Limits, stdin: str | bytes | None) -> Result:
        started = time.monotonic()
        proc = subprocess.Popen(args, stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
        overflow = threading.Event()
        captured: dict[str, bytes] = {}

        def pump(name: str, stream) -> None:
            chunks, size = [], 0
            while chunk := stream.read(65536):
                if size < limits.output_bytes:
                    chunks.append(chunk[: limits.output_bytes - size])
                size += len(chunk)
                if size > limits.output_bytes and not overflow.is_set():
                    overflow.set()
                    _kill(proc)
            captured[name] = b"".join(chunks)

        readers = [threading.Thread(target=pump, args=(n, s), daemon=True)
                   for n, s in (("stdout", proc.stdout), ("stderr", proc.stderr))]
        for reader in readers:
            reader.start()
        if stdin is not None:
            try:
                proc.stdin.write(stdin.encode() if isinstance(stdin, str) else stdin)
                proc.stdin.close()
            except BrokenPipeError:
                pass
        timed_out = False
        try:
            status = _wait(proc, limits.wall_s)
        except subprocess.TimeoutExpired:
            timed_out = True
            _kill(proc)
            status = _wait(proc, None)
        for reader in readers:
            reader.join(timeout=10)
        wall = time.monotonic() - started
        code = os.waitstatus_to_exitcode(status)
        proc.returncode = code
        reason = ""
        if timed_out:
            reason = f"timeout: still running after {limits.wall_s:g} s wall time"
        elif overflow.is_set():
            reason = f"output limit: more than {limits.output_bytes} bytes on stdout or stderr"
        elif code < 0 or code > 128:  # bwrap reports a child killed by signal N as exit 128 + N
            number = -code if code < 0 else code - 128
            reason = _SIGNALS.get(number, f"killed by signal {number}")
        elif code != 0:
            reason = f"exit {code}"
        return Result(ok=not reason, returncode=code,
                      stdout=captured.get("stdout", b"").decode(errors="replace"),
                      stderr=captured.get("stderr", b"").decode(errors="replace"),
                      outputs=collect_outputs(work, limits), reason=reason,
                      usage={"wall_s": round(wall, 3)})


def _wait(proc: subprocess.Popen, timeout: float | None) -> int:
    """Wait for the launcher and return its raw wait status (subprocess keeps only the code)."""
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        pid, status = os.waitpid(proc.pid, os.WNOHANG)
        if pid:
            return status
        if deadline is not None and time.monotonic() > deadline:
            raise subprocess.TimeoutExpired(proc.args, timeout)
        time.sleep(0.01)


def _kill(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
