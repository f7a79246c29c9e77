"""The tool gallery, driven in a real headless Chromium over loopback: a card per tool, every
preview loaded and animating, search and kind filters; manifest text cannot inject HTML; and
`reelwright tools gallery`."""

from __future__ import annotations

import io
import itertools
import json
import re
import threading
import time
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from agent.cli import main
from agent.tools.gallery import serve_gallery, write_gallery
from agent.tools.library import BUNDLED, load_library, save_tool
from agent.tools.spec import Provenance, ToolSpec, Validation, source_hash

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
HOSTILE = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">'
HOSTILE_SOURCE = "</script><script>window.__pwned = 3</script>\nvec4 effect(vec2 uv){ return getColor(uv); }"


@pytest.fixture(scope="module")
def library():
    tools, problems = load_library([BUNDLED])
    assert problems == [] and len(tools) >= 30
    return tools


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make test`, which installs the apt package chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("the Python package playwright is missing: run `make test`, which installs the test extra")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def _serve(directory: Path):
    server = serve_gallery(directory, port=0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


@pytest.fixture(scope="module")
def gallery_url(tmp_path_factory, library):
    out = tmp_path_factory.mktemp("gallery")
    write_gallery(library, out)
    server, url = _serve(out)
    yield url
    server.shutdown()
    server.server_close()


@pytest.fixture
def page(browser, gallery_url):
    """The gallery in a fresh page; fails the test on any script error or console error."""
    page = browser.new_page(viewport={"width": 1440, "height": 1000})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(f"page error: {exc}"))
    page.on("console", lambda msg: errors.append(f"console {msg.type}: {msg.text}") if msg.type == "error" else None)
    page.goto(gallery_url)
    yield page
    page.close()
    assert errors == []


def _count(page) -> tuple[int, int]:
    match = re.fullmatch(r"(\d+) of (\d+) tools", page.inner_text("#count"))
    assert match, page.inner_text("#count")
    return int(match[1]), int(match[2])


def _pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=np.int16)


def _motion(gif: Path) -> float:
    """Mean pixel change between the frames of a GIF ~0.45 s apart (0 for a still picture)."""
    frames = []
    with Image.open(gif) as image:
        for n in range(image.n_frames):
            image.seek(n)
            frames.append(np.asarray(image.convert("RGB"), dtype=np.int16))
    return float(np.mean([np.abs(a - b).mean() for a, b in zip(frames, frames[5:])] or [0.0]))


def test_every_tool_has_a_card_whose_preview_loads(page, library, tmp_path):
    assert sorted(page.eval_on_selector_all(".card", "cards => cards.map(c => c.dataset.id)")) == sorted(library)
    assert _count(page) == (len(library), len(library))
    # Previews load lazily: bring each into view and wait for it to load or fail.
    broken = page.evaluate("""async () => {
        const images = [...document.querySelectorAll('.card img')];
        for (const img of images) {
            img.scrollIntoView();
            if (!img.complete) await new Promise((done) => {
                img.addEventListener('load', done, {once: true});
                img.addEventListener('error', done, {once: true});
            });
        }
        return [images.length, images.filter((img) => img.naturalWidth === 0).map((img) => img.alt)];
    }""")
    assert broken == [len(library), []]
    page.evaluate("window.scrollTo(0, 0)")
    shot = tmp_path / "gallery.png"
    page.screenshot(path=shot)
    pixels = _pixels(shot.read_bytes())
    assert pixels.shape == (1000, 1440, 3)
    assert pixels.std() > 20 and len(np.unique(pixels.reshape(-1, 3), axis=0)) > 1000  # not a blank page


def test_previews_animate_in_the_page(page, library):
    # the three previews that move most, so that the check is about the page, not about subtle tools
    animated = sorted(library, key=lambda tool_id: -_motion(library[tool_id].folder / "preview.gif"))[:3]
    assert _motion(library[animated[-1]].folder / "preview.gif") > 10
    images = [page.locator(f'.card[data-id="{tool_id}"] img') for tool_id in animated]
    for image in images:
        image.scroll_into_view_if_needed()
        page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=image.element_handle())
    rounds = []
    for _ in range(3):  # a 16-frame loop of 1.44 s: looks 0.4 s apart land on different frames
        rounds.append([_pixels(image.screenshot()) for image in images])
        time.sleep(0.4)
    for n, tool_id in enumerate(animated):
        changes = [float(np.abs(a[n] - b[n]).mean()) for a, b in itertools.pairwise(rounds)]
        assert max(changes) > 2, f"{tool_id}: its preview did not move in the page ({changes})"


def _matching(library, word: str) -> list[str]:
    return sorted(tool_id for tool_id, tool in library.items()
                  if word in " ".join([tool_id, tool.spec.description, *tool.spec.tags]).lower())


def test_search_keeps_only_matching_cards(page, library):
    expected = _matching(library, "glitch")
    assert expected
    page.fill("#search", "glitch")
    visible = page.locator(".card:visible")
    assert sorted(visible.evaluate_all("cards => cards.map(c => c.dataset.id)")) == expected
    assert all("glitch" in text.lower() for text in visible.all_inner_texts())
    assert _count(page) == (len(expected), len(library))
    page.fill("#search", "glitch nothing-has-this-word")
    assert _count(page) == (0, len(library)) and page.is_visible("#empty")
    assert _matching(library, "vec4") == []  # in the sources, which the search does not look at
    page.fill("#search", "vec4")
    assert _count(page) == (0, len(library))
    page.fill("#search", "")
    assert _count(page) == (len(library), len(library))


def test_kind_filter_shows_only_that_kind(page, library):
    transitions = sorted(t for t, tool in library.items() if tool.spec.kind == "glsl-transition")
    assert transitions
    page.click('button[data-kind="glsl-transition"]')
    visible = page.locator(".card:visible")
    assert sorted(visible.evaluate_all("cards => cards.map(c => c.dataset.id)")) == transitions
    assert set(visible.evaluate_all("cards => cards.map(c => c.dataset.kind)")) == {"glsl-transition"}
    assert _count(page) == (len(transitions), len(library))
    assert page.get_attribute('button[data-kind="glsl-transition"]', "aria-pressed") == "true"
    page.fill("#search", "wipe")  # search and kind combine
    assert 0 < _count(page)[0] < len(transitions)
    page.fill("#search", "")
    page.click('button[data-kind="all"]')
    assert _count(page) == (len(library), len(library))


def _hostile_library(root: Path) -> dict:
    """One tool whose every text field tries to inject markup, and that failed validation."""
    spec = ToolSpec(
        id="hostile", kind="glsl-effect", description=HOSTILE, tags=["</script>", HOSTILE],
        params=[{"name": "k", "type": "float", "default": [0.5], "description": HOSTILE}],
        provenance=Provenance(author=HOSTILE, request=HOSTILE, parents=["<b>x</b>"], origin=HOSTILE),
        validation=Validation(ok=False, reason=f"too slow {HOSTILE}", renderer=HOSTILE),
        source_hash=source_hash(HOSTILE_SOURCE))
    save_tool(spec, HOSTILE_SOURCE, root / "tools")
    tools, problems = load_library([root / "tools"])
    assert problems == []
    return tools


class _Elements(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[str] = []
        self.data_json = ""
        self._in_data = False

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self._in_data = tag == "script" and ("id", "tool-data") in attrs

    def handle_data(self, data):
        if self._in_data:
            self.data_json += data

    def handle_endtag(self, tag):
        self._in_data = False


def test_manifest_text_is_data_never_markup(tmp_path):
    index = write_gallery(_hostile_library(tmp_path), tmp_path / "gallery")
    page = index.read_text(encoding="utf-8")
    assert "__pwned" in page and "<script>window" not in page and "</script><script>" not in page
    parsed = _Elements()
    parsed.feed(page)
    assert parsed.tags.count("script") == 2 and "img" not in parsed.tags  # the data and the page's own script
    data = json.loads(parsed.data_json)
    (tool,) = data["tools"]
    assert tool["description"] == HOSTILE and tool["source"] == HOSTILE_SOURCE and tool["preview"] is None
    assert list((tmp_path / "gallery" / "previews").iterdir()) == []


def test_hostile_manifest_shows_as_text_and_is_marked_failed(browser, tmp_path):
    out = tmp_path / "gallery"
    write_gallery(_hostile_library(tmp_path), out)
    server, url = _serve(out)
    page = browser.new_page()
    try:
        page.goto(url)
        card = page.locator('.card[data-id="hostile"]')
        assert page.evaluate("window.__pwned") is None
        assert card.locator(".description").inner_text() == HOSTILE
        assert card.locator("img").count() == 0 and card.locator(".no-preview").is_visible()
        assert "failed" in card.get_attribute("class")
        assert card.locator(".status").inner_text().startswith("✗ failed validation: too slow <script>")
        card.locator("summary").click()
        assert card.locator("pre").inner_text() == HOSTILE_SOURCE
        assert page.evaluate("window.__pwned") is None
    finally:
        page.close()
        server.shutdown()
        server.server_close()


def test_a_rewrite_drops_previews_of_tools_that_are_gone(library, tmp_path):
    out = tmp_path / "gallery"
    write_gallery(library, out)
    assert len(list((out / "previews").glob("*.gif"))) == len(library)
    kept = dict(list(library.items())[:2])
    write_gallery(kept, out)
    assert sorted(p.stem for p in (out / "previews").iterdir()) == sorted(kept)
    assert not list(out.rglob("*.partial"))


def test_cli_writes_the_gallery(tmp_path, capsys):
    out = tmp_path / "g"
    assert main(["--workspace", str(tmp_path / "ws"), "tools", "gallery", "-o", str(out)]) == 0
    assert f"wrote {out / 'index.html'}" in capsys.readouterr().out
    assert (out / "index.html").stat().st_size > 10_000
