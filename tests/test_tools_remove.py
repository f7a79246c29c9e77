"""`reelwright tools remove`: a workspace tool is deleted (renamed aside first, so no reader sees
half a folder); bundled tools, unknown ids and ids that are paths are refused with what to do."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest

from agent.cli import main
from agent.tools.library import BUNDLED, load_library, save_tool
from agent.tools.spec import Provenance, ToolSpec, source_hash


def _workspace_tool(workspace: Path, tool_id: str) -> Path:
    source = "vec4 effect(vec2 uv){ return getColor(uv); }"
    spec = ToolSpec(id=tool_id, kind="glsl-effect", description="passes the picture through",
                    provenance=Provenance(author="test"), source_hash=source_hash(source))
    return save_tool(spec, source, workspace / "tools").folder


def test_remove_deletes_a_workspace_tool(tmp_path, capsys, monkeypatch):
    ws = tmp_path / "ws"
    folder = _workspace_tool(ws, "mine")
    monkeypatch.setattr(sys, "stdin", io.StringIO("n\n"))
    assert main(["--workspace", str(ws), "tools", "remove", "mine"]) == 1  # asked, and the answer was no
    assert folder.is_dir() and "not removed" in capsys.readouterr().err
    assert main(["--workspace", str(ws), "tools", "remove", "mine", "--yes"]) == 0
    assert not folder.exists() and list((ws / "tools").iterdir()) == []
    assert f"removed {folder}" in capsys.readouterr().out


def test_remove_of_a_workspace_override_brings_the_bundled_tool_back(tmp_path, capsys):
    ws = tmp_path / "ws"
    _workspace_tool(ws, "vhs")
    assert main(["--workspace", str(ws), "tools", "remove", "vhs", "--yes"]) == 0
    assert "bundled vhs is used again" in capsys.readouterr().out
    tools, _ = load_library([BUNDLED, ws / "tools"])
    assert tools["vhs"].folder == BUNDLED / "vhs"


@pytest.mark.parametrize(("tool_id", "code", "message"), [
    ("vhs", 1, "vhs is a bundled tool"),
    ("no-such-tool", 2, "no tool 'no-such-tool' in the workspace library"),
    ("../tools", 2, "is not a tool id"),
    (".", 2, "is not a tool id"),
])
def test_remove_refuses_bundled_unknown_and_path_ids(tmp_path, capsys, tool_id, code, message):
    ws = tmp_path / "ws"
    _workspace_tool(ws, "mine")
    assert main(["--workspace", str(ws), "tools", "remove", tool_id, "--yes"]) == code
    err = capsys.readouterr().err
    assert message in err
    if code == 1:
        assert "add a tool with the id 'vhs' to the workspace library" in err
    assert (BUNDLED / "vhs" / "manifest.json").is_file() and (ws / "tools" / "mine").is_dir()
