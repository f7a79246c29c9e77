"""Renderer: frame-exact trims, transitions, effects, audio, verification, atomic output."""

from __future__ import annotations

import subprocess
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from agent.errors import MediaError, OutputError, RenderError
from agent.media.probe import probe
from agent.render.render import render
from agent.timeline.model import (AudioSegment, AudioTrack, ClipItem, EffectItem, LookItem, TextItem, Timeline,
                                  TransitionItem)
from conftest import expected_luma, ffmpeg, frame_lumas, make_numbered_clip


@pytest.fixture(scope="module")
def numbered(tmp_path_factory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("numbered")
    a = make_numbered_clip(folder / "a.mp4", 120, step=7, offset=0, gop=60)
    b = make_numbered_clip(folder / "b.mp4", 120, step=5, offset=3, gop=60)
    return a, b


@pytest.fixture(scope="module")
def tone(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("tone") / "tone.wav"
    ffmpeg("-f", "lavfi", "-i", "sine=frequency=220:duration=6", "-ar", "44100", str(path))
    return path


def _timeline(a: Path, b: Path, **extra) -> Timeline:
    items = [ClipItem(source=str(a), source_start=10 / 30, record_start=0, record_end=12),
             ClipItem(source=str(b), source_start=40 / 30, record_start=12, record_end=30),
             ClipItem(source=str(a), source_start=80 / 30, record_start=30, record_end=45)]
    return Timeline(fps_num=30, fps_den=1, width=320, height=180, items=items, **extra)


def test_hard_cuts_are_frame_exact(numbered, tmp_path):
    a, b = numbered
    result = render(_timeline(a, b), tmp_path / "out.mp4")
    lumas = frame_lumas(result.path)
    expected = ([expected_luma(10 + k) for k in range(12)]
                + [expected_luma(40 + k, step=5, offset=3) for k in range(18)]
                + [expected_luma(80 + k) for k in range(15)])
    assert len(lumas) == 45
    assert np.abs(lumas - np.array(expected)).max() < 2.0


def test_transition_mixes_only_its_span(numbered, tmp_path):
    a, b = numbered
    tl = _timeline(a, b, transitions=[TransitionItem(index=1, cut_frame=12, frames=6, name="fade")])
    lumas = frame_lumas(render(tl, tmp_path / "out.mp4").path)
    outgoing = np.array([expected_luma(10 + k) for k in range(9, 15)])  # A runs 3 frames past the cut
    incoming = np.array([expected_luma(40 + k, step=5, offset=3) for k in range(-3, 3)])
    mixed = lumas[9:15]
    # Each mixed frame lies strictly between its two sources and moves from A towards B.
    progress = (mixed - outgoing) / (incoming - outgoing)
    assert np.all(progress > 0.05) and np.all(progress < 0.95)
    assert np.all(np.diff(progress) > 0)
    assert abs(lumas[8] - expected_luma(18)) < 2 and abs(lumas[15] - expected_luma(43, step=5, offset=3)) < 2


def test_custom_expression_transition(numbered, tmp_path):
    a, b = numbered
    tl = _timeline(a, b, transitions=[TransitionItem(index=2, cut_frame=30, frames=4, name="custom",
                                                     expr="A*P+B*(1-P)")])
    assert render(tl, tmp_path / "out.mp4").frames == 45


def test_flash_brightens_only_its_frames(numbered, tmp_path):
    a, b = numbered
    tl = _timeline(a, b, effects=[EffectItem(kind="flash", start_frame=20, end_frame=24, intensity=1.0)])
    lumas = frame_lumas(render(tl, tmp_path / "out.mp4").path)
    plain = np.array([expected_luma(40 + k, step=5, offset=3) for k in range(18)])
    assert lumas[20] > 230  # full flash on its first frame
    assert lumas[19] == pytest.approx(plain[7], abs=2) and lumas[24] == pytest.approx(plain[12], abs=2)
    assert np.all(np.diff(lumas[20:24]) < 0)  # it fades out


def test_zoom_and_shake_render(numbered, tmp_path):
    a, b = numbered
    tl = _timeline(a, b, effects=[EffectItem(kind="zoom_punch", start_frame=2, end_frame=8),
                                  EffectItem(kind="shake", start_frame=30, end_frame=40)])
    assert render(tl, tmp_path / "out.mp4").frames == 45


def test_audio_look_text_and_verification(numbered, tone, tmp_path):
    a, b = numbered
    tl = _timeline(a, b, audio=AudioTrack(source=str(tone), segments=[AudioSegment(source_start=1.0, record_start=0,
                                                                                   duration=1.5)],
                                          fade_out=0.3),
                   look=LookItem(name="punchy"), texts=[TextItem(text="Hi: 'there'", start_frame=0, end_frame=10)])
    out = render(tl, tmp_path / "reel.mp4").path
    info = probe(out)
    assert info.video.fps == 30 and info.video.frame_count == 45
    assert info.audio is not None and abs(info.duration - 1.5) < 0.05
    assert [p.name for p in tmp_path.iterdir()] == ["reel.mp4"]  # nothing partial left behind


def test_speed_and_preview(numbered, tmp_path):
    a, b = numbered
    items = [ClipItem(source=str(a), source_start=0.0, record_start=0, record_end=20, speed=2.0)]
    tl = Timeline(fps_num=30, fps_den=1, width=640, height=360, items=items)
    result = render(tl, tmp_path / "fast.mp4", preview=True, preview_height=180)
    assert (result.width, result.height) == (320, 180)
    lumas = frame_lumas(result.path)
    assert np.abs(lumas - np.array([expected_luma(2 * k) for k in range(20)])).max() < 2.5


def test_unwritable_output_is_a_clear_error(numbered, tmp_path):
    a, b = numbered
    blocker = tmp_path / "afile"
    blocker.write_text("x")
    with pytest.raises(OutputError, match="afile"):
        render(_timeline(a, b), blocker / "out.mp4")


def test_failed_render_leaves_nothing(tmp_path):
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"\x00" * 5000)
    items = [ClipItem(source=str(bad), source_start=0.0, record_start=0, record_end=10)]
    tl = Timeline(width=320, height=180, items=items)
    with pytest.raises((RenderError, MediaError), match="bad.mp4"):
        render(tl, tmp_path / "out.mp4")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.mp4"]


def test_ntsc_rate_and_odd_source(tmp_path):
    src = tmp_path / "odd.mp4"
    ffmpeg("-f", "lavfi", "-i", "testsrc2=size=333x199:rate=25", "-t", "2", "-pix_fmt", "yuv420p",
           "-vf", "pad=334:200", "-c:v", "libx264", "-preset", "ultrafast", str(src))
    items = [ClipItem(source=str(src), source_start=0.0, record_start=0, record_end=30)]
    tl = Timeline(fps_num=30000, fps_den=1001, width=256, height=144, items=items)
    result = render(tl, tmp_path / "out.mp4")
    out = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v", "-show_entries",
                          "stream=r_frame_rate,nb_frames", "-of", "csv=p=0", str(result.path)],
                         capture_output=True, text=True).stdout.strip()
    assert out == "30000/1001,30"


def test_speed_ramp_accelerates_through_the_source(numbered, tmp_path):
    _, b = numbered
    items = [ClipItem(source=str(b), source_start=0.0, record_start=0, record_end=20, speed=1.0, speed_end=3.0)]
    tl = Timeline(fps_num=30, fps_den=1, width=320, height=180, items=items)
    lumas = frame_lumas(render(tl, tmp_path / "ramp.mp4").path)
    source_frames = [(luma - 19) / 5 for luma in lumas]  # frame n has luma 19 + 5n (no wrap below n=40)
    steps = np.diff(source_frames)
    expected_end = items[0].source_offset(19, tl.fps) * 30  # source frame shown at the last output frame
    assert abs(source_frames[-1] - expected_end) <= 1.0
    assert steps[:5].mean() < 1.5 and steps[-5:].mean() > 2.2  # it speeds up


def test_in_process_crossfade_matches_ffmpeg_xfade(tmp_path):
    from agent.render.transitions import crossfade, xfade

    rng = np.random.default_rng(1)
    w, h = 64, 36

    def flat_frame() -> bytes:  # random but flat planes: xfade's chroma resampling leaves them alone
        y, u, v = rng.integers(16, 236, 3)
        return bytes([y]) * (w * h) + bytes([u]) * (w * h // 4) + bytes([v]) * (w * h // 4)

    a = [flat_frame() for _ in range(6)]
    b = [flat_frame() for _ in range(6)]
    ours = np.array([np.frombuffer(f, np.uint8) for f in crossfade(a, b)], dtype=float)
    theirs = np.array([np.frombuffer(f, np.uint8) for f in xfade(a, b, width=w, height=h, fps=Fraction(30),
                                                                  name="fade", expr=None, tmp_dir=tmp_path)],
                      dtype=float)
    assert np.abs(ours - theirs).max() <= 2.0


def test_items_sharing_one_decode_run_in_any_order_are_frame_exact(tmp_path):
    from agent.render.runs import keyframe_times, plan_runs
    from agent.timeline.model import transition_handles

    src = make_numbered_clip(tmp_path / "long_gop.mp4", 200, step=1, gop=250)
    starts = [100, 20, 40, 43]  # out of source order; the last overlaps the third
    items, position = [], 0
    for start in starts:
        items.append(ClipItem(source=str(src), source_start=start / 30, record_start=position,
                              record_end=position + 10))
        position += 10
    tl = Timeline(fps_num=30, fps_den=1, width=320, height=180, items=items)
    heads, tails = transition_handles(len(tl.items), tl.transitions)
    runs, _ = plan_runs(tl, heads, tails, {str(src): probe(src).video}, {str(src): keyframe_times(str(src))})
    assert len(runs) == 1  # one keyframe: continuing through the gaps beats seeking back to it
    lumas = frame_lumas(render(tl, tmp_path / "out.mp4").path)
    expected = [expected_luma(start + k, step=1) for start in starts for k in range(10)]
    assert np.abs(lumas - np.array(expected)).max() < 2.0


def test_timeline_refuses_transitions_longer_than_their_item(numbered):
    a, b = numbered
    with pytest.raises(ValueError, match="transitions need"):
        _timeline(a, b, transitions=[TransitionItem(index=1, cut_frame=12, frames=26)])  # 13 > 12 frames


def test_rotated_source_is_rendered_upright(tmp_path):
    from conftest import shared_media

    src = shared_media("shots/issue-134-rotate.mp4")  # coded 1280x544, display matrix -90: shows 544x1280
    items = [ClipItem(source=str(src), source_start=1.0, record_start=0, record_end=3)]
    out = render(Timeline(fps_num=24000, fps_den=1001, width=136, height=320, items=items), tmp_path / "r.mp4").path

    def gray(path: Path, *extra: str) -> np.ndarray:
        raw = subprocess.run(["ffmpeg", "-v", "error", *extra, "-i", str(path), "-frames:v", "1",
                              "-vf", "scale=34:80,format=gray", "-f", "rawvideo", "pipe:1"],
                             capture_output=True, check=True).stdout
        return np.frombuffer(raw, np.uint8).reshape(80, 34).astype(float)

    ours = gray(out)
    upright = gray(src, "-ss", "1.0")  # ffmpeg applies the display matrix
    sideways = np.rot90(gray(src, "-ss", "1.0"), 2)  # the same picture the wrong way up
    assert np.abs(ours - upright).mean() < 12
    assert np.abs(ours - sideways).mean() > np.abs(ours - upright).mean() + 10


def test_drums_reach_the_loudness_target_without_clipping(numbered, tmp_path):
    """Drum-heavy music: one dynamic loudnorm pass stopped 2.6 LU short of -14; a metered gain and
    a peak limiter land on it. Measured by ffmpeg's own EBU R128 meter."""
    from agent.media.synth import synth_drum_track

    a, b = numbered
    drums = tmp_path / "drums.wav"
    synth_drum_track(drums, bpm=128, seconds=4)
    tl = _timeline(a, b, audio=AudioTrack(source=str(drums), segments=[
        AudioSegment(source_start=0.5, record_start=0, duration=1.5)], loudness_lufs=-14.0))
    out = render(tl, tmp_path / "reel.mp4").path
    meter = subprocess.run(["ffmpeg", "-nostdin", "-i", str(out), "-map", "0:a", "-af", "ebur128=peak=true",
                            "-f", "null", "-"], capture_output=True, text=True).stderr
    summary = meter[meter.rindex("Summary:"):]
    lufs = float(summary.split("I:")[1].split("LUFS")[0])
    peak = float(summary.split("Peak:")[1].split("dBFS")[0])
    assert abs(lufs + 14.0) <= 0.7, lufs
    assert peak <= -0.5, peak
