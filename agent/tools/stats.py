"""Usage and critic statistics of tools, kept in the workspace (`<workspace>/tool_stats.json`).

Bundled manifests are part of the code and never written at run time, so the numbers that grow
with use live beside the workspace library and are laid over each manifest's `stats` on load.
"""

from __future__ import annotations

import json
from pathlib import Path

from agent.atomic import write_json
from agent.tools.spec import Stats

STATS_FILE = "tool_stats.json"


def load_stats(workspace: Path) -> dict[str, Stats]:
    path = workspace / STATS_FILE
    if not path.is_file():
        return {}
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return {tool_id: Stats.model_validate(value) for tool_id, value in raw.items()}
    except (ValueError, TypeError, AttributeError) as exc:
        from agent.tools.library import ToolError

        raise ToolError(f"{path}: unreadable ({exc}); delete it to start the counts afresh") from exc


def record_uses(workspace: Path, counts: dict[str, int]) -> dict[str, Stats]:
    """Add one use per edit for each tool that reached the edit's timeline."""
    stats = load_stats(workspace)
    for tool_id in counts:
        current = stats.get(tool_id, Stats())
        stats[tool_id] = current.model_copy(update={"uses": current.uses + 1})
    write_json(workspace / STATS_FILE, {k: v.model_dump() for k, v in sorted(stats.items())})
    return stats


def with_stats(tools: dict, stats: dict[str, Stats]) -> dict:
    """The library with each tool's manifest stats replaced by the workspace's numbers."""
    from dataclasses import replace

    return {tool_id: replace(tool, spec=tool.spec.model_copy(update={"stats": stats[tool_id]}))
            if tool_id in stats else tool for tool_id, tool in tools.items()}
