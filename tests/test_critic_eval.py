"""The critic evaluation (evals/critic.py): its pair generator, each defect verified in the files,
and a small run end to end."""

from __future__ import annotations

import json

import numpy as np
import pytest

from evals.critic_checks import verify
from evals.critic_defects import make_bad, plan_defect
from evals.critic_pairs import (
    KINDS,
    NotApplicable,
    Reel,
    Scenario,
    good_reel,
    prepare_inputs,
    prepare_source,
)

FAST = Scenario(index=0, bpm=128.0, music_seed=7, drop_at=None, clips=("drift", "pans", "tiles"), style="phonk edit",
                rhythm="cuts on every beat", transition="crossfades", no_effects=True, aspect="9:16", duration=6,
                fast=True)


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    inputs = prepare_inputs(tmp_path_factory.mktemp("critic-eval"), demo_clips=False)
    return prepare_source(FAST, inputs)


def test_every_kind_plans_on_a_fast_request_or_says_why(source):
    """Planning is pure timeline work: every kind either plans its defect or refuses with a reason."""
    planned = {}
    for n, kind in enumerate(KINDS):
        try:
            planned[kind] = plan_defect(kind, source, np.random.default_rng(n))
        except NotApplicable as why:
            assert str(why)
    # A fast request with crossfades and no effects carries every defect but a frozen shot
    # (no item lasts a second at 128 BPM, every beat).
    assert set(planned) == set(KINDS) - {"frozen"}
    good = source.timeline
    offbeat = planned["offbeat"].rendered
    assert [(i.source, i.shot_index) for i in offbeat.items] == [(i.source, i.shot_index) for i in good.items]
    beats = np.array(good.beats)
    cuts = np.array(offbeat.cut_frames()) / 30.0
    offsets = np.min(np.abs(cuts[:, None] - beats[None, :]), axis=1) * 1000
    assert offsets.min() >= 80 and offsets.max() <= 150
    assert len(planned["too_few_cuts"].rendered.cut_frames()) * 4 <= len(good.cut_frames())
    assert planned["black"].recorded is good  # render faults: the critic sees the intended timeline
    assert planned["repeated_shot"].recorded is planned["repeated_shot"].rendered


def test_pairs_carry_their_defect_and_a_good_twin_fails_the_check(source):
    good = good_reel(source)
    for n, kind in enumerate(("offbeat", "black", "clipped_audio")):
        defect = plan_defect(kind, source, np.random.default_rng(n))
        bad = make_bad(defect, source, good, source.folder / f"bad-{kind}.mp4")
        check = verify(kind, source, good, bad)
        assert check.ok, (kind, check.problems, check.measured)
        # The same check on the good reel posing as the bad one must fail: a defect that did
        # not happen is caught.
        fake = Reel(path=good.path, timeline=good.timeline, rendered=good.rendered, details=bad.details)
        assert not verify(kind, source, good, fake).ok, kind
    assert json.loads((source.folder / "bad-offbeat.timeline.json").read_text())["items"]


@pytest.mark.slow
def test_small_eval_end_to_end(tmp_path):
    pytest.importorskip("agent.critic")
    from evals.critic import run

    report = run(tmp_path, per_kind=1, stability=2, log=lambda line: None)
    data = json.loads((tmp_path / "critic.json").read_text())
    assert (tmp_path / "critic.png").stat().st_size > 10_000
    assert data["summary"]["pairs"] == len(KINDS)
    assert data["summary"]["verified"] == len(KINDS)
    for row in data["pairs"]:
        assert 0.0 <= row["good_total"] <= 1.0 and 0.0 <= row["bad_total"] <= 1.0
    assert len(data["stability"]) == 2 and all(r["delta"] <= 0.02 for r in data["stability"])
    assert data["timings"]["reels"] >= len(KINDS)
    # A reel of the wrong aspect or duration fails validity, which caps the total: the critic
    # must prefer the good twin there whatever else it gets wrong.
    assert data["per_kind"]["wrong_aspect"]["accuracy"] == 1.0
    assert data["per_kind"]["wrong_duration"]["accuracy"] == 1.0
    assert (report is not None) == data["summary"]["passed"]
