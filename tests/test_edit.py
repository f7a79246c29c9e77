"""End to end: `reelwright edit` / `demo` on real generated media, and bad input of every kind."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from agent.config import Settings
from agent.demo import make_demo_media
from agent.edit import run_edit
from agent.errors import MediaError, OutputError, PlanError
from agent.media.analyze import analyze_clip
from agent.media.synth import synth_drum_track
from conftest import ffmpeg, shared_media

ROOT = Path(__file__).resolve().parents[1]
HARD_CUTS = "15 s phonk edit, hard cuts on every beat, flash and shake on the drops, 9:16"


@pytest.fixture(scope="session")
def demo_media(tmp_path_factory):
    return make_demo_media(tmp_path_factory.mktemp("demo") / "media")


@pytest.fixture(scope="session")
def session_settings(tmp_path_factory) -> Settings:
    return Settings(workspace=tmp_path_factory.mktemp("ws"))


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "run_agent.py"), *args], capture_output=True, text=True,
                          cwd=cwd, timeout=600)


def test_edit_writes_every_output_and_cuts_in_the_video_match_the_timeline(demo_media, session_settings, tmp_path):
    out = tmp_path / "reel.mp4"
    outcome = run_edit(demo_media.music, demo_media.clips, HARD_CUTS, out, settings=session_settings, preview=True)
    for name in ("reel.mp4", "reel.otio", "plan.json", "timeline.json", "report.json"):
        assert (tmp_path / name).exists(), name
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["output"]["duration"] == pytest.approx(15.0, abs=1 / 30)
    assert (report["output"]["width"], report["output"]["height"]) == (360, 640)  # 9:16 preview: short side 360
    assert all(abs(c["offset_ms"]) <= 1000 / 30 / 2 + 0.01 for c in report["cuts"])  # ms rounded to 0.01
    assert {k: report["brain"][k] for k in ("name", "fell_back", "repairs")} == {"name": "rules", "fell_back": False,
                                                                                "repairs": []}

    timeline = json.loads((tmp_path / "timeline.json").read_text())
    cut_times = np.array([item["record_start"] for item in timeline["items"][1:]]) / 30.0
    detected = np.array([t.start for t in analyze_clip(out, session_settings).transitions if t.kind == "hard"])
    # Every cut of timeline.json is in the video within one frame, and nothing else is.
    nearest = np.min(np.abs(cut_times[:, None] - detected[None, :]), axis=1)
    assert np.mean(nearest <= 1 / 30 + 1e-3) >= 0.95
    extra = np.min(np.abs(detected[:, None] - cut_times[None, :]), axis=1)
    assert np.mean(extra <= 1 / 30 + 1e-3) >= 0.9
    assert outcome.rendered.frames == 450
    # the glitch tools jump between unlike frames on purpose: the critic must not call them broken
    assert outcome.report["critic"]["scores"]["effects"]["evidence"]["broken"] == []


def test_music_on_true_beats_every_beat_not_every_other(demo_media, session_settings, tmp_path):
    music = tmp_path / "dnb.wav"
    truth = synth_drum_track(music, 172.0, 30.0, seed=5)
    outcome = run_edit(music, demo_media.clips, "10 s edit, 16:9, hard cuts on every beat, no effects",
                       tmp_path / "out.mp4", settings=session_settings, preview=True)
    start = outcome.compiled.music_start
    beats = np.array([t - start for t, _ in truth])
    cuts = np.array(outcome.compiled.timeline.cut_frames()) / 30.0
    assert np.mean(np.min(np.abs(cuts[:, None] - beats[None, :]), axis=1) <= 1 / 30) >= 0.95
    inside = beats[(beats > 0.2) & (beats < 9.8)]
    assert len(cuts) >= 0.95 * len(inside)  # every beat, not every other one


def test_cli_demo_style_edit_and_analyze(demo_media, tmp_path):
    result = _cli("--workspace", str(tmp_path / "ws"), "edit", "--music", str(demo_media.music), "--clips",
                  *map(str, demo_media.clips[:3]), "--prompt", "8 second travel video, square, crossfades",
                  "-o", str(tmp_path / "o" / "travel.mp4"), "--preview", "--export", "fcpxml", "edl", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    for name in ("travel.otio", "travel.xml", "travel.edl"):
        assert (tmp_path / "o" / name).stat().st_size > 0, name
    plan = json.loads((tmp_path / "o" / "plan.json").read_text())
    assert plan["aspect"] == "1:1" and plan["duration"] == 8
    timeline = json.loads((tmp_path / "o" / "timeline.json").read_text())
    assert timeline["transitions"], "crossfades were asked for"

    analysed = _cli("--workspace", str(tmp_path / "ws"), "analyze", str(demo_media.music), "--json", cwd=tmp_path)
    data = json.loads(analysed.stdout)
    assert abs(data["music"]["tempo"] - 128) < 2


def test_contradictory_request_is_refused_not_rendered(demo_media, session_settings, tmp_path):
    with pytest.raises(PlanError, match="contradicts"):
        run_edit(demo_media.music, demo_media.clips, "10 s reel that is 45 s long", tmp_path / "x.mp4",
                 settings=session_settings)
    assert not (tmp_path / "x.mp4").exists()
    result = _cli("edit", "--music", str(demo_media.music), "--clips", str(demo_media.clips[0]), "--prompt",
                  "vertical 16:9 reel", "-o", str(tmp_path / "y.mp4"), cwd=tmp_path)
    assert result.returncode == 2 and "contradicts" in result.stderr and not (tmp_path / "y.mp4").exists()


# ---------------------------------------------------------------- bad input


def test_truncated_and_non_media_clips_name_the_file(demo_media, session_settings, tmp_path):
    truncated = tmp_path / "truncated.mp4"
    truncated.write_bytes(demo_media.clips[0].read_bytes()[:20000])
    with pytest.raises(MediaError, match="truncated.mp4"):
        run_edit(demo_media.music, [truncated], "5 s edit", tmp_path / "a.mp4", settings=session_settings)
    text = tmp_path / "notes.mp4"
    text.write_text("this is not a video")
    result = _cli("edit", "--music", str(demo_media.music), "--clips", str(text), "--prompt", "5 s edit",
                  "-o", str(tmp_path / "b.mp4"), cwd=tmp_path)
    assert result.returncode == 2 and "notes.mp4" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "a.mp4").exists() and not (tmp_path / "b.mp4").exists()


def test_a_clip_cut_off_mid_file_is_used_as_far_as_it_plays_and_the_report_says_so(demo_media, session_settings,
                                                                                     tmp_path):
    whole = tmp_path / "faststart.mp4"
    ffmpeg("-i", str(demo_media.clips[2]), "-c", "copy", "-movflags", "+faststart", str(whole))
    cut = tmp_path / "cut_off.mp4"
    data = whole.read_bytes()
    cut.write_bytes(data[: int(len(data) * 0.6)])  # the index is at the front: it still probes as 9 s
    outcome = run_edit(demo_media.music, [cut, demo_media.clips[1]], "6 s edit every 2 beats", tmp_path / "t.mp4",
                       settings=session_settings, preview=True)
    assert any("cut_off.mp4" in f and "decode" in f for f in outcome.report["fallbacks"])
    assert outcome.rendered.frames == 180 and not outcome.rendered.warnings  # nothing past the end was asked for


def test_music_without_beats_uses_a_stated_fixed_grid(demo_media, session_settings, tmp_path):
    silence = tmp_path / "silence.wav"
    ffmpeg("-f", "lavfi", "-i", "anullsrc=r=44100:cl=stereo", "-t", "20", str(silence))
    outcome = run_edit(silence, demo_media.clips[:2], "6 s edit", tmp_path / "s.mp4", settings=session_settings,
                       preview=True)
    assert any("no steady beat" in w for w in outcome.report["music"]["warnings"])
    assert any("fixed" in n for n in outcome.report["fallbacks"])
    assert outcome.rendered.frames == 180


def test_music_without_audio_is_a_clear_error(demo_media, session_settings, tmp_path):
    with pytest.raises(MediaError, match="no audio stream"):
        run_edit(demo_media.clips[0], demo_media.clips[:1], "5 s edit", tmp_path / "x.mp4", settings=session_settings)


def test_zero_length_and_sub_beat_clips(demo_media, session_settings, tmp_path):
    empty = tmp_path / "empty.mp4"
    ffmpeg("-f", "lavfi", "-i", "testsrc=size=320x240:rate=30", "-frames:v", "0", str(empty))
    tiny = tmp_path / "tiny.mp4"
    ffmpeg("-f", "lavfi", "-i", "testsrc2=size=320x240:rate=30", "-frames:v", "6", "-pix_fmt", "yuv420p", str(tiny))
    outcome = run_edit(demo_media.music, [empty, tiny, demo_media.clips[1]], "6 s edit, every beat",
                       tmp_path / "t.mp4", settings=session_settings, preview=True)
    assert any("empty.mp4" in n for n in outcome.report["fallbacks"])
    assert outcome.rendered.frames == 180


def test_rotated_portrait_and_vfr_clips(session_settings, tmp_path):
    rotated = shared_media("shots/issue-134-rotate.mp4")
    vfr = shared_media("shots/goldeneye-vfr-drop3.mp4")
    music = tmp_path / "m.wav"
    synth_drum_track(music, 120.0, 20.0)
    outcome = run_edit(music, [rotated, vfr], "8 s vertical edit every 2 beats", tmp_path / "r.mp4",
                       settings=session_settings, preview=True)
    assert (outcome.rendered.width, outcome.rendered.height) == (360, 640)
    assert outcome.rendered.frames == 240
    # The rotated clip is cropped on its displayed (upright) size; test_render checks the pixels.
    rotated_items = [i for i in outcome.compiled.timeline.items if i.source.endswith("issue-134-rotate.mp4")]
    assert rotated_items and all(i.reframe.mode == "crop" for i in rotated_items)


def test_music_shorter_than_requested_loops_and_says_so(demo_media, session_settings, tmp_path):
    music = tmp_path / "short.wav"
    synth_drum_track(music, 120.0, 6.0)
    outcome = run_edit(music, demo_media.clips, "12 s edit every beat", tmp_path / "l.mp4",
                       settings=session_settings, preview=True)
    assert outcome.rendered.frames == 360
    assert any("shorter than" in n for n in outcome.report["fallbacks"])


def test_output_that_cannot_be_written(demo_media, session_settings, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(OutputError, match="file"):
        run_edit(demo_media.music, demo_media.clips[:1], "5 s edit", blocker / "out.mp4", settings=session_settings)


def test_sigterm_mid_render_leaves_nothing_behind(demo_media, tmp_path):
    import signal
    import time

    out = tmp_path / "o" / "reel.mp4"
    proc = subprocess.Popen([sys.executable, str(ROOT / "run_agent.py"), "--workspace", str(tmp_path / "ws"), "edit",
                             "--music", str(demo_media.music), "--clips", *map(str, demo_media.clips),
                             "--prompt", "20 s hype edit", "-o", str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not list(out.parent.glob(".reel.partial*")):
        time.sleep(0.1)
    assert list(out.parent.glob(".reel.partial*")), "the render never started"
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130 and "interrupted" in err
    assert sorted(p.name for p in out.parent.iterdir()) == []


def test_the_demo_edit_uses_twenty_library_tools_that_reach_the_video(demo_media, session_settings, tmp_path):
    outcome = run_edit(demo_media.music, demo_media.clips, demo_media.prompt, tmp_path / "reel.mp4",
                       settings=session_settings, preview=True)  # the demo's own prompt asks for a showcase
    used = outcome.report["library_tools"]  # counted from the compiled timeline, not the plan
    from agent.tools.library import BUNDLED, load_library

    library = load_library([BUNDLED])[0]
    kinds = {library[i].spec.kind for i in used}
    assert len(used) >= 20, used
    assert {"glsl-effect", "ffmpeg-filter", "glsl-transition"} <= kinds
    assert outcome.rendered.frames == 450
    from agent.tools.library import load_workspace_library

    counted = load_workspace_library(session_settings.workspace)[0]
    assert all(counted[i].spec.stats.uses >= 1 for i in used)  # usage recorded in the workspace


@pytest.mark.slow
def test_the_full_size_demo_scores_its_glitch_transitions_as_intended(demo_media, session_settings, tmp_path):
    """At 1080x1920 the glitch tools' frames jump like garbage does (at preview size less so): the
    critic must still see them as the tools they are."""
    outcome = run_edit(demo_media.music, demo_media.clips, demo_media.prompt, tmp_path / "reel.mp4",
                       settings=session_settings)
    effects = outcome.report["critic"]["scores"]["effects"]
    assert effects["evidence"]["transitions_checked"] >= 10 and effects["evidence"]["broken"] == [], effects
    # the beat-sync figure on this reel against plain frame differences: every hard cut the critic
    # reports outside a transition (where frame differencing can place a cut) is a spike within a frame
    from conftest import frame_difference_cuts

    sync = outcome.report["critic"]["scores"]["beat_sync"]["evidence"]
    spans = [(t.start_frame / 30 - 1 / 30, t.end_frame / 30 + 1 / 30) for t in outcome.compiled.timeline.transitions]
    hard = [t for t in sync["cut_times"] if not any(a <= t <= b for a, b in spans)]
    spikes = frame_difference_cuts(outcome.reel)
    assert len(hard) >= 10 and all(np.abs(spikes - t).min() <= 1 / 30 + 1e-6 for t in hard)
    beats = np.asarray(sync["beats"])
    on_beat = [np.abs(beats - spikes[np.argmin(np.abs(spikes - t))]).min() <= 1 / 30 + 0.0005 for t in hard]
    assert np.mean(on_beat) == np.mean([np.abs(beats - t).min() <= 1 / 30 + 0.0005 for t in hard]) >= 0.95
