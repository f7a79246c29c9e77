"""The critic on real rendered reels: its meters against independent ones (ffmpeg's EBU R128,
frame differences), and good reels against the same reels with one known defect."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from agent.config import Settings
from agent.critic import critique
from agent.critic.align import RATE, music_offset
from agent.critic.audio import integrated_lufs, measure_audio
from agent.demo import make_demo_media
from agent.edit import run_edit
from conftest import ffmpeg, frame_difference_cuts

ROOT = Path(__file__).resolve().parents[1]
PROMPT = "8 s phonk edit, hard cuts on every beat, 9:16"


@pytest.fixture(scope="module")
def good(tmp_path_factory):
    """A real edit of the demo media: the reel, its outcome and the settings."""
    folder = tmp_path_factory.mktemp("critic")
    media = make_demo_media(folder / "media")
    settings = Settings(workspace=folder / "ws")
    outcome = run_edit(media.music, media.clips, PROMPT, folder / "good" / "reel.mp4", settings=settings, preview=True)
    return outcome, media, settings


def _score(path: Path, outcome, prompt: str = PROMPT):
    return critique(path, timeline=outcome.compiled.timeline, request=prompt)


def test_lufs_matches_ffmpegs_meter(tmp_path):
    wav = tmp_path / "pink.wav"
    ffmpeg("-f", "lavfi", "-i", "anoisesrc=color=pink:amplitude=0.2:duration=6:seed=3", "-ar", "48000", "-ac", "2",
           str(wav))
    meter = subprocess.run(["ffmpeg", "-nostdin", "-i", str(wav), "-af", "ebur128", "-f", "null", "-"],
                           capture_output=True, text=True).stderr
    theirs = float(meter[meter.rindex("Summary:"):].split("I:")[1].split("LUFS")[0])
    ours = measure_audio(wav).lufs
    assert abs(ours - theirs) <= 0.1, (ours, theirs)
    assert integrated_lufs(np.zeros((48000, 2))) is None  # silence has no loudness


def test_music_offset_is_found_to_the_millisecond():
    rng = np.random.default_rng(5)
    song = rng.normal(0, 0.1, RATE * 40) * np.repeat(rng.uniform(0.1, 1.0, 400), RATE // 10)  # uneven loudness
    excerpt = 0.5 * song[int(17.3215 * RATE): int(17.3215 * RATE) + 12 * RATE]  # quieter, as after a gain change
    offset, confidence = music_offset(excerpt, song)
    assert abs(offset - 17.3215) < 0.001 and confidence > 0.9


def test_a_good_edit_scores_well_and_lands_in_the_report(good):
    outcome, _, _ = good
    critic = outcome.report["critic"]
    assert critic["total"] >= 0.85, critic
    assert set(critic["scores"]) >= {"validity", "beat_sync", "pacing", "visual", "effects", "audio", "prompt"}
    assert critic["scores"]["validity"]["value"] == 1.0
    sync = critic["scores"]["beat_sync"]["evidence"]
    assert sync["within_one_frame"] == 1.0 and sync["cuts"] >= 14
    assert Path(critic["png"]).stat().st_size > 10_000
    assert outcome.report["timings"]["critique_s"] < outcome.report["timings"]["render_s"]
    saved = json.loads(outcome.report_path.read_text())
    assert saved["critic"]["total"] == critic["total"]


def test_beat_sync_agrees_with_plain_frame_differences(good):
    """Every cut the critic reports is a spike of plain frame differences (no shot detector)
    within one frame, and it reports every cut the timeline made: its timing and its beat-sync
    figure stand on the pixels."""
    outcome, _, _ = good
    spikes = frame_difference_cuts(outcome.reel)
    evidence = outcome.report["critic"]["scores"]["beat_sync"]["evidence"]
    ours = np.asarray(evidence["cut_times"])
    assert all(np.abs(spikes - t).min() <= 1 / 30 + 1e-6 for t in ours)
    made = [item.record_start / 30.0 for item in outcome.compiled.timeline.items[1:]]
    assert len(ours) == len(made) and np.abs(ours - np.asarray(made)).max() <= 1 / 30 + 1e-6
    # and so the beat-sync figure, recomputed from the frame-difference cuts, is the same
    beats = np.asarray(evidence["beats"])
    confirmed = [spikes[np.argmin(np.abs(spikes - t))] for t in ours]
    within = np.mean([np.abs(beats - t).min() <= 1 / 30 + 0.0005 for t in confirmed])
    assert within == evidence["within_one_frame"]


def test_black_frames_and_clipped_audio_lose_to_the_good_reel(good, tmp_path):
    outcome, _, _ = good
    base = _score(outcome.reel, outcome)
    black = tmp_path / "black.mp4"
    ffmpeg("-i", str(outcome.reel), "-vf", "drawbox=t=fill:c=black:enable='between(t,2,2.4)'", "-c:a", "copy",
           str(black))
    clipped = tmp_path / "clipped.mp4"
    ffmpeg("-i", str(outcome.reel), "-c:v", "copy", "-af", "volume=18dB,alimiter=limit=1:level=false,volume=18dB",
           str(clipped))
    with_black, with_clipping = _score(black, outcome), _score(clipped, outcome)
    assert with_black.total < base.total and with_black.scores["visual"].value < base.scores["visual"].value - 0.2
    assert with_black.scores["visual"].evidence["black_s"] == pytest.approx(0.4, abs=0.07)
    assert with_clipping.total < base.total and with_clipping.scores["audio"].value < 0.5
    assert with_clipping.scores["visual"].value == base.scores["visual"].value  # only the sound changed


def test_wrong_aspect_and_duration_fail_validity(good):
    outcome, _, _ = good
    wrong = critique(outcome.reel, timeline=outcome.compiled.timeline, request="12 s phonk edit, every beat, 16:9")
    checks = wrong.scores["validity"].evidence["checks"]
    assert checks["aspect"] == 0.0 and checks["duration"] < 0.5
    assert wrong.total <= wrong.scores["validity"].value < 0.5


def test_too_few_cuts_for_phonk_loses_on_pacing(good, tmp_path):
    outcome, media, settings = good
    slow = run_edit(media.music, media.clips, "8 s phonk edit, cuts every 2 bars, 9:16", tmp_path / "slow.mp4",
                    settings=settings, preview=True)
    judged = _score(slow.reel, slow)  # judged against the phonk request of the good reel
    base = _score(outcome.reel, outcome)
    assert judged.scores["pacing"].value <= 0.3 < base.scores["pacing"].value
    assert judged.total < base.total


def test_cli_critique_json_and_png(good, tmp_path):
    outcome, media, settings = good
    png = tmp_path / "card.png"
    result = subprocess.run([sys.executable, str(ROOT / "run_agent.py"), "--workspace", str(settings.workspace),
                             "critique", str(outcome.reel), "--music", str(media.music), "--prompt", PROMPT, "--json",
                             "--png", str(png)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    card = json.loads(result.stdout)
    assert 0 <= card["total"] <= 1 and card["png"] == str(png) and png.stat().st_size > 10_000
    sync = card["scores"]["beat_sync"]["evidence"]
    assert sync["beats_from"].startswith("the song's beats") and sync["within_one_frame"] == 1.0
    assert all(set(score) == {"value", "evidence", "problems"} for score in card["scores"].values())


def _yuv_clip(path: Path, frames: list[tuple[np.ndarray, np.ndarray, np.ndarray]], size=(320, 180)) -> Path:
    """Encode planar Y, U, V frames (U and V at half size) as a near-lossless H.264 clip."""
    raw = b"".join(np.concatenate([y.ravel(), u.ravel(), v.ravel()]).astype(np.uint8).tobytes() for y, u, v in frames)
    subprocess.run(["ffmpeg", "-v", "error", "-nostdin", "-y", "-f", "rawvideo", "-pix_fmt", "yuv420p", "-s",
                    f"{size[0]}x{size[1]}", "-r", "30", "-i", "pipe:0", "-c:v", "libx264", "-preset", "ultrafast",
                    "-qp", "4", "-pix_fmt", "yuv420p", str(path)], input=raw, check=True, capture_output=True)
    return path


def test_garbage_flashes_and_hue_gradients_inside_transitions(tmp_path):
    """Four frames of blocky garbage (as short as a broken 6-frame wipe's middle) are found with
    their edges; a one-frame white flash is neither garbage nor a blank frame; a picture flat in
    luma whose colour runs across it is not blank, one flat in every plane is."""
    from agent.critic.video import GARBLED_STRETCH, garbled_stretch, measure_video

    rng = np.random.default_rng(3)
    w, h = 320, 180
    xx, yy = np.meshgrid(np.arange(w), np.arange(h))
    grey = np.full((h // 2, w // 2), 128)

    def moving(n):  # a soft pattern drifting a few pixels a frame
        return (100 + 60 * np.sin((xx + 4 * n) / 23.0) * np.cos(yy / 17.0), grey, grey)

    def garbage():
        cells = rng.integers(16, 235, size=(3, h // 8 + 1, w // 8 + 1))
        y = np.kron(cells[0], np.ones((8, 8)))[:h, :w]
        return y, np.kron(cells[1], np.ones((4, 4)))[:h // 2, :w // 2], np.kron(cells[2], np.ones((4, 4)))[:h // 2, :w // 2]

    hue = np.tile(np.linspace(40, 215, w // 2), (h // 2, 1))
    frames = [moving(n) for n in range(90)]
    frames[40:44] = [garbage() for _ in range(4)]
    frames[60] = (np.full((h, w), 235), grey, grey)  # a flash
    frames[70:76] = [(np.full((h, w), 120), hue, hue[:, ::-1]) for _ in range(6)]  # flat in luma only
    frames[80:83] = [(np.full((h, w), 120), grey, grey) for _ in range(3)]  # flat in every plane
    v = measure_video(_yuv_clip(tmp_path / "clip.mp4", frames))
    assert garbled_stretch(v.jag[36:48]) >= GARBLED_STRETCH
    assert garbled_stretch(v.jag[56:66]) < GARBLED_STRETCH and garbled_stretch(v.jag[10:30]) == 0
    assert not v.flat[60] and any(abs(t - 2.0) < 0.02 for t in v.flashes)
    assert not v.flat[70:76].any() and v.flat[80:83].all()


def test_flashes_asked_on_the_beat_are_counted_on_the_beat(good, tmp_path):
    outcome, media, settings = good
    asked = "8 s phonk edit, hard cuts on every beat, flash on every beat, 9:16"
    flashing = run_edit(media.music, media.clips, asked, tmp_path / "flash.mp4", settings=settings, preview=True)
    seen = flashing.report["critic"]["scores"]["effects"]["evidence"]["flash_asks"][0]
    assert seen["asked"] == "on beats" and seen["expected"] >= 14 and seen["hit_share"] >= 0.85, seen
    plain = _score(outcome.reel, outcome, asked)  # the reel without flashes, judged against the same ask
    missing = plain.scores["effects"].evidence["flash_asks"][0]
    assert missing["hit_share"] <= 0.15 and plain.scores["effects"].value < 0.7
    assert any("flashes asked on beats" in p for p in plain.scores["effects"].problems)
    assert plain.total < _score(flashing.reel, flashing, asked).total


def test_garbage_over_a_glitch_transition_is_what_neither_side_explains(tmp_path):
    """A glitch xfade picks each block from A or B, so it stays inside the range of the frames on
    either side; blocky garbage in its middle does not."""
    from agent.critic.video import UNEXPLAINED_SHARE, measure_video, unexplained

    rng = np.random.default_rng(4)
    w, h = 320, 180
    xx, yy = np.meshgrid(np.arange(w), np.arange(h))
    grey = np.full((h // 2, w // 2), 128)
    a = lambda n: 90 + 50 * np.sin((xx + n) / 19.0)  # noqa: E731  (a slow pan: fast motion narrows the margin)
    b = lambda n: 150 + 60 * np.cos((yy + n) / 11.0) * np.sin(xx / 40.0)  # noqa: E731
    order = rng.permutation(23 * (w // 32)).reshape(23, w // 32)
    glitch = []
    for k in range(10):  # block (row of 8 px, column of 32 px) switches from A to B in a shuffled order
        switched = np.kron(order < (k + 1) / 11 * order.size, np.ones((8, 32), bool))[:h]
        glitch.append((np.where(switched, b(30 + k), a(30 + k)), grey, grey))
    frames = [(a(n), grey, grey) for n in range(30)] + glitch + [(b(n), grey, grey) for n in range(40, 70)]
    good = measure_video(_yuv_clip(tmp_path / "glitch.mp4", frames))
    assert unexplained(good.thumbs, 30, 40).max() < UNEXPLAINED_SHARE
    cells = lambda: np.kron(rng.integers(16, 235, (23, w // 8)), np.ones((8, 8)))[:h]  # noqa: E731
    frames[33:38] = [(cells(), grey, grey) for _ in range(5)]
    bad = measure_video(_yuv_clip(tmp_path / "broken.mp4", frames))
    shares = unexplained(bad.thumbs, 30, 40)
    assert (shares[3:8] >= UNEXPLAINED_SHARE).all() and (shares[:3] < UNEXPLAINED_SHARE).all()


def test_a_cut_rhythm_asked_in_words_outranks_a_calm_styles_usual_rate(good):
    outcome, _, _ = good
    asked = _score(outcome.reel, outcome, "8 s travel video, cuts on every beat, 9:16")
    usual = _score(outcome.reel, outcome, "8 s travel video, 9:16")
    assert "calm_style_cut_rate" not in asked.scores["prompt"].evidence["checks"]
    assert usual.scores["prompt"].evidence["checks"]["calm_style_cut_rate"] < 0.5  # every beat is fast for travel
    assert asked.scores["prompt"].value > usual.scores["prompt"].value


def test_a_flash_over_a_glitch_transition_is_not_garbage(tmp_path):
    from agent.critic.critique import _effects, _expected
    from agent.critic.video import measure_video
    from agent.timeline.model import ClipItem, Timeline, TransitionItem

    w, h = 320, 180
    xx, yy = np.meshgrid(np.arange(w), np.arange(h))
    grey = np.full((h // 2, w // 2), 128)
    a = lambda n: 70 + 40 * np.sin((xx + n) / 19.0)  # noqa: E731
    b = lambda n: 90 + 40 * np.cos((yy + n) / 11.0)  # noqa: E731
    frames = [(a(n), grey, grey) for n in range(30)] + [(np.where(xx < 32 * k, b(n), a(n)), grey, grey)
                                                         for k, n in enumerate(range(30, 40))]
    frames += [(b(n), grey, grey) for n in range(40, 70)]
    for k, gain in zip(range(33, 37), (150, 90, 45, 15)):  # a flash and its fade inside the transition
        frames[k] = (np.minimum(235, frames[k][0] + gain), grey, grey)
    v = measure_video(_yuv_clip(tmp_path / "flash.mp4", frames))
    assert v.flashed[33:35].all() and not v.flashed[:33].any() and not v.flashed[38:].any()
    items = [ClipItem(source="a.mp4", source_start=0.0, record_start=0, record_end=35),
             ClipItem(source="b.mp4", source_start=0.0, record_start=35, record_end=70)]
    timeline = Timeline(width=w, height=h, items=items,
                        transitions=[TransitionItem(index=1, cut_frame=35, frames=10, name="custom", expr="A")])
    score = _effects(v, timeline, _expected(None, timeline), [], [])
    assert score.evidence["broken"] == [], score.evidence
