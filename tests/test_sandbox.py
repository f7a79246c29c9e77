"""The sandboxes contain hostile code: every attempt ends as a Result with a reason, and the test
process (the agent) keeps running. `pytest tests/test_sandbox.py -v -rs` is the report: each test
runs on bwrap and on docker; docker is skipped, with the reason, where no engine is reachable."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

from sandbox import BwrapExecutor, DockerExecutor, Limits, SandboxUnavailable

BWRAP_PY = "/usr/bin/python3"  # the pyenv interpreter under /root is not visible to uid 65534


class Box:
    """A backend and the Python it runs the hostile code with."""

    def __init__(self, executor, python: str) -> None:
        self.executor, self.python, self.name = executor, python, executor.name

    def run(self, command: list[str], **kwargs):
        return self.executor.run([self.python if c == "PY" else c for c in command], **kwargs)


@pytest.fixture(scope="module", params=["bwrap", "docker"])
def box(request):
    try:
        if request.param == "docker":
            return Box(DockerExecutor(), "python3")
        if not Path(BWRAP_PY).exists():
            pytest.skip(f"{BWRAP_PY} not installed (apt python3)")
        return Box(BwrapExecutor(), BWRAP_PY)
    except SandboxUnavailable as exc:
        pytest.skip(f"{request.param} backend unavailable: {exc}")


def _py(box, code: str, **limits):
    return box.run(["PY", "-c", code], limits=Limits(**{"wall_s": 20, **limits}))


def test_plain_code_runs_and_leaves_its_outputs(box):
    result = box.run(["PY", "-c", "import os; open('out.txt','w').write(open('in.txt').read().upper()); print(os.getuid())"],
                     files={"in.txt": "hello"})
    assert result.ok, result.stderr
    assert result.outputs["out.txt"] == b"HELLO" and result.stdout.strip() == "65534"
    assert result.usage["wall_s"] > 0


def test_network_is_unreachable(box):
    result = _py(box, "import socket; socket.create_connection(('1.1.1.1', 80), timeout=3)")
    assert not result.ok and "exit 1" in result.reason and ("unreachable" in result.stderr or "Errno" in result.stderr)


def test_writing_outside_its_directory_fails(box):
    target = Path(__file__).resolve().parents[1] / "SANDBOX_ESCAPE"
    result = box.run(["PY", "-c", f"open({str(target)!r}, 'w').write('x')"], read_only=[target.parent],
                     limits=Limits(wall_s=20))
    assert not result.ok and ("Read-only" in result.stderr or "Permission" in result.stderr)
    assert not target.exists()
    for path in ("/etc/passwd_copy", "/usr/x"):
        assert not _py(box, f"open({path!r}, 'w').write('x')").ok


def test_the_home_directory_is_not_there(box):
    home = os.path.expanduser("~")
    result = _py(box, f"import os; print(os.listdir({home!r}))")
    assert not result.ok and "No such file" in result.stderr


def test_a_fork_bomb_hits_the_process_limit(box):
    code = ("import os\nn = 0\ntry:\n    while True:\n        if os.fork() == 0:\n            import time; time.sleep(30)\n"
            "        n += 1\nexcept OSError as e:\n    print('stopped after', n, e)\n")
    result = _py(box, code, processes=32, wall_s=15)
    assert "stopped after" in result.stdout
    assert int(result.stdout.split()[2]) < 32


def test_twenty_gigabytes_is_refused(box):
    result = _py(box, "x = bytearray(20 * 1024**3)", memory_mb=1024)
    assert not result.ok and ("MemoryError" in result.stderr or result.reason.startswith("memory limit"))


def test_an_endless_loop_is_killed_at_the_wall_timeout(box):
    result = _py(box, "while True: pass", wall_s=2, cpu_s=60)
    assert not result.ok and result.reason.startswith("timeout") and result.usage["wall_s"] < 10


def test_cpu_time_limit(box):
    result = _py(box, "while True: pass", wall_s=30, cpu_s=1)
    assert not result.ok and "CPU time limit" in result.reason


def test_printing_gigabytes_is_cut_off(box):
    result = _py(box, "import sys\nwhile True: sys.stdout.write('x' * 65536)", output_bytes=1 << 20, wall_s=30)
    assert not result.ok and result.reason.startswith("output limit") and len(result.stdout) <= 1 << 20


def test_a_huge_file_is_stopped_by_the_file_size_limit(box):
    result = _py(box, "f = open('big', 'wb')\nwhile True: f.write(b'x' * (1 << 20))", file_mb=8)
    assert not result.ok and ("file size limit" in result.reason or "File too large" in result.stderr)


def test_the_agent_is_still_here():
    assert sys.executable and shutil.which("bwrap")


def test_read_only_paths_under_tmp_are_visible(box):
    import tempfile

    folder = Path(tempfile.mkdtemp())  # pytest's tmp_path is 0700 under a 0700 parent: not for uid 65534
    try:
        os.chmod(folder, 0o755)
        (folder / "data.txt").write_text("seen")
        result = box.run(["PY", "-c", f"print(open({str(folder / 'data.txt')!r}).read())"], read_only=[folder],
                         limits=Limits(wall_s=20))
        assert result.ok and result.stdout.strip() == "seen", result.stderr
    finally:
        shutil.rmtree(folder)
