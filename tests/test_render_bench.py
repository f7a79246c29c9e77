"""Smoke test of the render benchmark (evals/render.py): a 3 s 360p edit, ours + ffmpeg only."""

import json
from pathlib import Path

import pytest

from evals.render import check_frames, expected_codes, run


@pytest.mark.slow
def test_render_bench_quick_is_frame_exact(tmp_path: Path):
    report = run(tmp_path, renderers=("ours", "ffmpeg"), quick=True)

    assert (tmp_path / "render.json").exists() and (tmp_path / "render.png").exists()
    ours = report["renderers"]["ours"]
    assert ours["returncode"] == 0, Path(ours["log"]).read_text()[-2000:]
    check = ours["frame_check"]
    assert check["output_frames"] == report["reel"]["frames"]
    assert check["checked"] >= report["reel"]["frames"] // 2
    assert check["exact_share"] == 1.0, check["first_mismatches"]
    assert ours["wall_s"] > 0 and ours["cpu_s"] > 0 and ours["peak_rss_tree_mb"] > 0

    # The check can fail: the same output against an expectation one source frame late.
    edit = json.loads((tmp_path / "work-quick" / "edit.json").read_text())
    late = [None if e is None else (e[0], e[1] + 1) for e in expected_codes(edit)]
    shifted = check_frames(tmp_path / "work-quick" / "ours.mp4", edit, late)
    assert shifted["exact_share"] == 0.0 and shifted["mismatch_deltas"] == {"-1": shifted["checked"]}
