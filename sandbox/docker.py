"""Docker backend (docker SDK): `--network none`, a read-only root, a private writable directory
at /sandbox, memory / CPU / file-size / process limits, a wall timeout, uid 65534, no
capabilities, output caps. Used where a Docker engine is reachable; the image must already be
there (nothing is pulled at run time: `docker pull IMAGE` once, or set another image).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import time
from pathlib import Path

from sandbox.base import Limits, Result, SandboxUnavailable, collect_outputs

NOBODY = "65534:65534"
DEFAULT_IMAGE = "python:3.11-slim"
_STDIN = ".stdin"
_SIGNALS = {24: "CPU time limit", 25: "file size limit", 9: "killed", 11: "crashed (SIGSEGV)", 6: "aborted"}


class DockerExecutor:
    name = "docker"

    def __init__(self, image: str = DEFAULT_IMAGE) -> None:
        try:
            import docker
        except ImportError as exc:
            raise SandboxUnavailable("the docker SDK is not installed (pip install docker)") from exc
        try:
            self._client = docker.from_env(timeout=10)
            self._client.ping()
        except Exception as exc:  # no socket, no permission, engine down: all mean "not here"
            raise SandboxUnavailable(f"no Docker engine is reachable ({exc.__class__.__name__}: {exc})") from exc
        try:
            self._client.images.get(image)
        except Exception as exc:
            raise SandboxUnavailable(f"the image {image!r} is not on this machine; `docker pull {image}` once "
                                     f"(nothing is pulled at run time)") from exc
        self.image = image

    def run(self, command: list[str], *, files: dict[str, bytes | str] | None = None,
            limits: Limits = Limits(), stdin: str | bytes | None = None,
            read_only: list[Path] | None = None, env: dict[str, str] | None = None) -> Result:
        work = Path(tempfile.mkdtemp(prefix="reelwright-docker-"))
        try:
            for name, content in (files or {}).items():
                target = work / name
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(content.encode() if isinstance(content, str) else content)
            if stdin is not None:
                (work / _STDIN).write_bytes(stdin.encode() if isinstance(stdin, str) else stdin)
                command = ["sh", "-c", f'exec "$@" < /sandbox/{_STDIN}', "sh", *command]
            os.chmod(work, 0o777)  # uid 65534 writes here
            return self._run(command, work, limits, read_only or [], env or {})
        finally:
            shutil.rmtree(work, ignore_errors=True)

    def _run(self, command: list[str], work: Path, limits: Limits, read_only: list[Path],
             env: dict[str, str]) -> Result:
        from docker.types import LogConfig, Ulimit

        volumes = {str(work): {"bind": "/sandbox", "mode": "rw"}}
        volumes.update({str(p): {"bind": str(p), "mode": "ro"} for p in read_only})
        started = time.monotonic()
        container = self._client.containers.run(
            self.image, command, detach=True, user=NOBODY, working_dir="/sandbox", environment=env,
            network_mode="bridge" if limits.network else "none", read_only=True, volumes=volumes,
            tmpfs={"/tmp": "size=64m"}, mem_limit=f"{limits.memory_mb}m", memswap_limit=f"{limits.memory_mb}m",
            pids_limit=limits.processes, cap_drop=["ALL"], security_opt=["no-new-privileges"],
            ulimits=[Ulimit(name="cpu", soft=limits.cpu_s, hard=limits.cpu_s + 1),
                     Ulimit(name="data", soft=limits.memory_mb << 20, hard=limits.memory_mb << 20),
                     Ulimit(name="fsize", soft=limits.file_mb << 20, hard=limits.file_mb << 20)],
            log_config=LogConfig(type="json-file", config={"max-size": str(limits.output_bytes * 2)}))
        overflow = threading.Event()
        watcher = threading.Thread(target=_watch_output, args=(container, limits.output_bytes, overflow), daemon=True)
        watcher.start()
        try:
            timed_out = False
            try:
                code = int(container.wait(timeout=limits.wall_s)["StatusCode"])
            except Exception:  # the SDK raises a requests timeout when wall time runs out
                timed_out = True
                container.kill()
                code = int(container.wait(timeout=30)["StatusCode"])
            wall = time.monotonic() - started
            stdout = container.logs(stdout=True, stderr=False)
            stderr = container.logs(stdout=False, stderr=True)
            oom = bool(_state(container).get("OOMKilled"))
        finally:
            container.remove(force=True)
        reason = ""
        if overflow.is_set() or max(len(stdout), len(stderr)) > limits.output_bytes:
            reason = f"output limit: more than {limits.output_bytes} bytes on stdout or stderr"
        elif timed_out:
            reason = f"timeout: still running after {limits.wall_s:g} s wall time"
        elif oom:
            reason = f"memory limit: more than {limits.memory_mb} MB"
        elif code > 128:
            reason = _SIGNALS.get(code - 128, f"killed by signal {code - 128}")
        elif code != 0:
            reason = f"exit {code}"
        return Result(ok=not reason, returncode=code,
                      stdout=stdout[: limits.output_bytes].decode(errors="replace"),
                      stderr=stderr[: limits.output_bytes].decode(errors="replace"),
                      outputs=collect_outputs(work, limits, skip=(_STDIN,)), reason=reason,
                      usage={"wall_s": round(wall, 3)})


def _watch_output(container, limit: int, overflow: threading.Event) -> None:
    """Follow the container's output and kill it once stdout + stderr pass twice the limit."""
    size = 0
    try:
        for chunk in container.logs(stream=True, follow=True):
            size += len(chunk)
            if size > 2 * limit:
                overflow.set()
                container.kill()
                return
    except Exception:  # the container went away: nothing left to watch
        return


def _state(container) -> dict:
    try:
        container.reload()
        return container.attrs.get("State", {})
    except Exception:
        return {}
