"""Tool search: the real ChromaDB index and the real offline MiniLM embedder (no mocks)."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import pytest

from agent.cli import main
from agent.tools.library import BUNDLED, library_dirs, load_library, save_tool
from agent.tools.spec import Provenance, ToolSpec, source_hash
from memory.embedder import DIMENSIONS, embed
from memory.tools_index import ToolIndex, ToolIndexError, index_dir


def _specs(workspace: Path) -> list[ToolSpec]:
    tools, problems = load_library(library_dirs(workspace))
    assert problems == []
    return [tool.spec for tool in tools.values()]


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("ws")


@pytest.fixture(scope="module")
def bundled(workspace) -> list[ToolSpec]:
    return _specs(workspace)


@pytest.fixture(scope="module")
def index(workspace, bundled):
    with ToolIndex.for_workspace(workspace) as idx:
        report = idx.sync(bundled)
        assert report.added == sorted(s.id for s in bundled)
        yield idx


def _heat_haze(description: str) -> ToolSpec:
    source = "gblur=sigma=1.5,noise=alls=6:allf=t"
    return ToolSpec(id="heat-haze", kind="ffmpeg-filter", description=description,
                    tags=["ffmpeg", "effect", "heat", "shimmer"],
                    provenance=Provenance(author="tests"), source_hash=source_hash(source))


def _family(bundled: list[ToolSpec], tool_id: str) -> set[str]:
    """A tool and every tool composed or mutated from it: all of them are right answers to a
    query that describes it (their descriptions are built from its own)."""
    return {tool_id} | {s.id for s in bundled if tool_id in s.provenance.parents}


def _dot(u: list[float], v: list[float]) -> float:
    return sum(x * y for x, y in zip(u, v, strict=True))


def test_embedder_gives_unit_vectors_that_rank_paraphrases_closer():
    a, b, c = embed(["a red and blue colour fringe", "chromatic aberration", "a slow crossfade"])
    assert len(a) == DIMENSIONS
    assert math.isclose(sum(x * x for x in a), 1.0, rel_tol=1e-4)
    assert _dot(a, b) > _dot(a, c) + 0.1


def test_second_sync_changes_nothing(index, bundled):
    assert index.count() == len(bundled) >= 33
    report = index.sync(bundled)
    assert not report.changed and report.unchanged == len(bundled)


def test_chromatic_aberration_finds_rgb_split(index, bundled):
    family = _family(bundled, "rgb-split")
    hits = index.search("chromatic aberration red blue split", n=len(family) + 5)
    assert hits[0].id in family and hits[0].kind == "glsl-effect"
    assert "rgb-split" in [h.id for h in hits[:3]]
    outsider = next(h for h in hits if h.id not in family)
    assert 0.5 < hits[0].score <= 1.0 and hits[0].score - outsider.score > 0.15  # a clear winner
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert hits[0].description.startswith("Chromatic aberration")


def test_old_warm_film_colour_finds_a_warm_or_vintage_look(index, bundled):
    top3 = [h.id for h in index.search("old warm film colour", n=3)]
    assert len(top3) == 3
    assert (_family(bundled, "look-warm-film") | _family(bundled, "look-vintage-fade")) & set(top3)


def test_a_small_query_set_mostly_hits_in_the_top_three(index, bundled):
    expected = {"black and white": {"mono-contrast"}, "flash white on every beat": {"strobe"},
                "crossfade": {"dissolve-soft"}, "shaky handheld camera": {"camera-shake"},
                "retro videotape": {"vhs"}, "blockbuster movie colour grade": {"look-teal-orange"},
                "circle reveal": {"iris-open"}, "invert the colours": {"negative"},
                "push the shot sideways": {"slide-push"}, "anime speed lines": {"speed-lines"}}
    found = {q: {h.id for h in index.search(q, n=3)} & set().union(*(_family(bundled, w) for w in want))
             for q, want in expected.items()}
    missed = [q for q, hit in found.items() if not hit]
    assert len(missed) <= 1, missed


def test_kind_filter_returns_only_that_kind(index, bundled):
    transitions = {s.id for s in bundled if s.kind == "glsl-transition"}
    hits = index.search("zoom into the next shot", n=100, kind="glsl-transition")
    assert {h.id for h in hits} == transitions and len(transitions) >= 8
    assert hits[0].id == "zoom-through"
    ffmpeg_transitions = {s.id for s in bundled if s.kind == "ffmpeg-transition"}
    assert {h.id for h in index.search("wipe", n=100, kind="ffmpeg-transition")} == ffmpeg_transitions


@pytest.mark.parametrize(("text", "n", "kind", "message"), [
    ("  ", 5, None, "empty"), ("zoom", 0, None, "at least 1"), ("zoom", 5, "glsl-wipe", "unknown tool kind")])
def test_bad_search_arguments_are_refused(index, text, n, kind, message):
    with pytest.raises(ToolIndexError, match=message):
        index.search(text, n=n, kind=kind)


def test_index_persists_across_instances(index, workspace, bundled):
    first = index.search("punch in on the beat", n=1)[0]
    with ToolIndex(index_dir(workspace)) as again:
        assert again.count() == len(bundled)
        hit = again.search("punch in on the beat", n=1)[0]
        assert not again.sync(bundled).changed
    assert hit.id == first.id == "zoom-pulse"
    assert math.isclose(hit.score, first.score, abs_tol=1e-5)


def test_sync_adds_updates_and_drops_a_workspace_tool(tmp_path):
    library = tmp_path / "tools"
    with ToolIndex.for_workspace(tmp_path) as idx:
        base = idx.sync(_specs(tmp_path))
        tool = save_tool(_heat_haze("Shimmering heat haze, as if seen through hot air over asphalt."),
                         "gblur=sigma=1.5,noise=alls=6:allf=t", library)
        report = idx.sync(_specs(tmp_path))
        assert (report.added, report.updated, report.removed) == (["heat-haze"], [], [])
        assert report.unchanged == len(base.added)
        assert idx.search("hot air shimmer over the road", n=1)[0].id == "heat-haze"

        save_tool(_heat_haze("Wavy mirage distortion of the desert horizon."), tool.source, library)
        report = idx.sync(_specs(tmp_path))
        assert (report.added, report.updated, report.removed) == ([], ["heat-haze"], [])
        assert idx.search("heat-haze", n=1)[0].description.startswith("Wavy mirage")

        shutil.rmtree(tool.folder)
        report = idx.sync(_specs(tmp_path))
        assert (report.added, report.updated, report.removed) == ([], [], ["heat-haze"])
        assert idx.count() == len(base.added)
        assert "heat-haze" not in {h.id for h in idx.search("hot air shimmer over the road", n=10)}


def test_corrupt_index_names_the_fix_and_rebuild_repairs_it(tmp_path, bundled):
    folder = tmp_path / "chroma"
    folder.mkdir()
    (folder / "chroma.sqlite3").write_bytes(b"not a database" * 100)
    some = [s for s in bundled if s.id in {"rgb-split", "vhs", "strobe", "mirror"}]
    with ToolIndex(folder) as idx:
        with pytest.raises(ToolIndexError, match=r"reelwright tools reindex") as err:
            idx.search("tape", n=1)
        assert str(folder) in str(err.value)
        assert idx.rebuild(some).added == ["mirror", "rgb-split", "strobe", "vhs"]
        assert idx.count() == 4
        assert idx.search("worn videotape", n=1)[0].id == "vhs"


def test_an_index_made_by_another_embedder_is_rebuilt_and_says_so(tmp_path, bundled):
    some = [s for s in bundled if s.id in {"vhs", "strobe", "mirror"}]
    with ToolIndex(tmp_path) as idx:
        idx.sync(some)
        idx._collection().modify(metadata={"embedder": "some-other-model==1"})
        report = idx.sync(some)
        assert report.added == ["mirror", "strobe", "vhs"] and "some-other-model==1" in report.note
        assert not idx.sync(some).changed and idx.count() == 3


def test_cli_search_prints_json_hits(workspace, index, bundled, capsys):
    code = main(["--workspace", str(workspace), "tools", "search", "chromatic aberration", "-n", "3", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0
    assert out["query"] == "chromatic aberration" and len(out["hits"]) == 3
    assert out["hits"][0]["id"] in _family(bundled, "rgb-split")
    assert set(out["hits"][0]) == {"id", "kind", "score", "description"}


def test_cli_search_text_with_kind_and_reindex(tmp_path, bundled, capsys):
    assert main(["--workspace", str(tmp_path), "tools", "reindex"]) == 0
    assert capsys.readouterr().out.strip() == f"indexed {len(bundled)} tool(s) in {index_dir(tmp_path)}"
    assert main(["--workspace", str(tmp_path), "tools", "search", "fade", "--kind", "glsl-transition", "-n", "4"]) == 0
    captured = capsys.readouterr()
    rows = captured.out.strip().splitlines()
    assert len(rows) == 4 and captured.err == ""  # the index was fresh, so sync said nothing
    assert [row.split()[0] for row in rows] == ["1", "2", "3", "4"]
    assert all(row.split()[2] == "glsl-transition" for row in rows)
    assert BUNDLED.joinpath(rows[0].split()[1], "manifest.json").is_file()
