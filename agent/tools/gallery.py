"""The tool gallery: one self-contained HTML page that shows every tool with its animated preview,
parameters, provenance, validation and stats, with a text search and kind filters.

The page is derived from the manifests (rebuild it any time). Its tool data travels as JSON inside
the page and the page's own script builds the cards with DOM text nodes only, so manifest text,
which is untrusted, is never parsed as HTML. A Content-Security-Policy that admits only the page's
own script and style (by hash) and images from its own folder backs that up.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import tempfile
import typing
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from agent.atomic import write_text
from agent.errors import OutputError, ReelwrightError
from agent.tools.library import BUNDLED, Tool
from agent.tools.spec import ToolKind

ASSETS = Path(__file__).with_name("gallery_assets")
PREVIEWS = "previews"


class GalleryError(ReelwrightError):
    """The gallery cannot be served (e.g. the port is taken); the message says what to try."""


def tool_entry(tool: Tool, preview: str | None) -> dict:
    """What the page knows about one tool: its manifest plus its source and where its preview is."""
    entry = tool.spec.model_dump(mode="json")
    entry.update(source=tool.source, source_file=tool.spec.source_file, preview=preview,
                 library="bundled" if tool.folder.parent == BUNDLED else "workspace")
    return entry


def script_json(data: object) -> str:
    """JSON that can sit inside a <script> element: '<', '>' and '&' only occur inside JSON strings,
    where their \\u escapes mean the same, so no manifest text can close the element."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")


def _csp_hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def render_page(data: dict) -> str:
    """The complete HTML of the gallery for `data` (see write_gallery)."""
    css = (ASSETS / "gallery.css").read_text(encoding="utf-8")
    js = (ASSETS / "gallery.js").read_text(encoding="utf-8")
    for name, text, closing in (("gallery.css", css, "</style"), ("gallery.js", js, "</script")):
        if closing in text.lower():  # our own assets; guard the inlining all the same
            raise OutputError(f"{ASSETS / name}: contains {closing}>, which would end the inlined element")
    policy = (f"default-src 'none'; img-src 'self' data:; style-src {_csp_hash(css)}; script-src {_csp_hash(js)}; "
              "base-uri 'none'; form-action 'none'")
    page = (ASSETS / "page.html").read_text(encoding="utf-8")
    # The data goes in last, so nothing in it can be taken for a marker.
    for marker, value in (("{{csp}}", policy), ("{{css}}", css), ("{{js}}", js), ("{{data}}", script_json(data))):
        if page.count(marker) != 1:
            raise OutputError(f"{ASSETS / 'page.html'}: needs exactly one {marker} (and the assets none)")
        before, after = page.split(marker)
        page = before + value + after
    return page


def _copy_atomic(source: Path, target: Path) -> None:
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".partial")
    os.close(fd)
    try:
        shutil.copyfile(source, tmp)
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_gallery(tools: Mapping[str, Tool], out_dir: str | Path, problems: Sequence[str] = ()) -> Path:
    """Write `out_dir/index.html` and `out_dir/previews/<id>.gif` for `tools` (as load_library
    returns them); `problems` (tool folders that did not load) are listed on the page. Every file
    is replaced atomically and previews of tools no longer present are removed. Returns the page."""
    out_dir = Path(out_dir)
    previews = out_dir / PREVIEWS
    try:
        previews.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"{out_dir}: cannot write the gallery here ({exc.strerror}); choose another -o") from exc
    entries, kept = [], set()
    for tool in sorted(tools.values(), key=lambda t: t.spec.id):
        gif = tool.folder / "preview.gif"
        preview = None
        if gif.is_file():
            name = f"{tool.spec.id}.gif"
            _copy_atomic(gif, previews / name)
            kept.add(name)
            # the query changes when the preview does, so a browser never shows a cached old one
            version = hashlib.sha256(gif.read_bytes()).hexdigest()[:12]
            preview = f"{PREVIEWS}/{name}?v={version}"
        entries.append(tool_entry(tool, preview))
    data = {"generated": datetime.now(UTC).isoformat(timespec="seconds"),
            "kinds": list(typing.get_args(ToolKind)), "tools": entries, "problems": list(problems)}
    index = write_text(out_dir / "index.html", render_page(data))
    for stale in previews.glob("*.gif"):
        if stale.name not in kept:
            stale.unlink(missing_ok=True)
    return index


def serve_gallery(directory: str | Path, port: int, host: str = "127.0.0.1") -> ThreadingHTTPServer:
    """An HTTP server for `directory` on loopback (port 0: any free port), not yet started: call
    `serve_forever()` on it, and `server_close()` when done."""
    handler = partial(SimpleHTTPRequestHandler, directory=str(directory))
    try:
        return ThreadingHTTPServer((host, port), handler)
    except OSError as exc:
        raise GalleryError(f"cannot serve on {host}:{port} ({exc.strerror}); pass another --port "
                           f"(0 picks a free one)") from exc
