"""Shot detection on real files (../shared/testmedia/shots) and synthetic clips with known truth."""

from __future__ import annotations

import itertools
import shutil
import subprocess
from pathlib import Path

import pytest

from agent.errors import MediaError
from agent.media.models import MediaInfo, VideoStream
from agent.media.probe import probe
from agent.media.shots import detect_shots
from agent.media.synth_video import (
    Black,
    Cut,
    Dissolve,
    FadeIn,
    FadeOut,
    Scene,
    make_clip,
)

SHOTS = Path(__file__).resolve().parents[1] / ".." / "shared" / "testmedia" / "shots"
_cache: dict[str, tuple] = {}


def _media(name: str) -> Path:
    path = SHOTS / name
    if not path.exists():
        pytest.skip(f"test media not found: {path} (see ../shared/testmedia/README.md)")
    return path


def _detect(path: Path):
    key = str(path)
    if key not in _cache:
        info = probe(path)
        _cache[key] = (info, *detect_shots(path, info))
    return _cache[key]


def _cuts(transitions) -> list[float]:
    return [t.start for t in transitions if t.kind == "hard"]


def _truth(name: str) -> list[float]:
    lines = (SHOTS / name).read_text().splitlines()
    return [float(line.split()[0]) for line in lines if line.strip() and not line.startswith("#")]


def _assert_cuts(found: list[float], truth: list[float], frame_s: float) -> None:
    assert len(found) == len(truth), f"cuts {found} != truth {truth}"
    for f, t in zip(sorted(found), sorted(truth)):
        assert abs(f - t) <= frame_s + 1e-3, f"cut at {f:.4f} s, truth {t:.4f} s"


def _assert_shots_consistent(shots, transitions) -> None:
    assert shots, "a video always has at least one shot"
    for a, b in itertools.pairwise(shots):
        assert a.end <= b.start + 1e-6
    for shot in shots:
        assert shot.end > shot.start
        assert 0.0 <= shot.motion <= 1.0 and 0.0 <= shot.brightness <= 1.0
        for tr in transitions:  # no transition inside a shot
            if tr.kind == "hard":
                assert not (shot.start < tr.start < shot.end - 1e-6)
            else:
                assert tr.end <= shot.start + 1e-6 or tr.start >= shot.end - 1e-6


# ------------------------------------------------------------------ shared files

def test_big_buck_bunny_cuts_and_fade_in_is_not_a_cut():
    path = _media("big_buck_bunny_0_30.webm")
    _info, shots, transitions = _detect(path)
    _assert_cuts(_cuts(transitions), _truth("big_buck_bunny_0_30.cuts.txt"), 1 / 24)
    fades = [t for t in transitions if t.kind == "fade_in"]
    assert fades and fades[0].start < 0.5 and abs(fades[0].end - 2.045) < 0.2
    _assert_shots_consistent(shots, transitions)


def test_testvideo_cuts_fades_and_dissolve():
    path = _media("testvideo.mp4")
    _info, shots, transitions = _detect(path)
    frame = 1001 / 30000
    _assert_cuts(_cuts(transitions), _truth("testvideo.cuts.txt"), frame)
    gradual = [(t.kind, t.start, t.end) for t in transitions if t.kind != "hard"]
    truth = [("fade_in", 7.040, 8.041), ("fade_out", 11.044, 12.045), ("fade_in", 13.146, 14.147),
             ("dissolve", 17.651, 18.652), ("fade_out", 22.155, 23.156)]
    assert [g[0] for g in gradual] == [t[0] for t in truth]
    for (kind, start, end), (_, ts, te) in zip(gradual, truth):
        assert abs(start - ts) <= 2 * frame + 1e-3 and abs(end - te) <= 2 * frame + 1e-3, (kind, start, end)
    # Four photographs, black gaps left out: shot C ends where the dissolve starts, D begins at its end.
    assert len(shots) == 4
    dissolve = next(t for t in transitions if t.kind == "dissolve")
    assert shots[2].end == pytest.approx(dissolve.start) and shots[3].start == pytest.approx(dissolve.end)
    _assert_shots_consistent(shots, transitions)


@pytest.mark.parametrize("name", ["chaplin.mp4", "fades.mp4"])
def test_negative_controls_have_no_cut(name):
    _info, shots, transitions = _detect(_media(name))
    assert _cuts(transitions) == []
    assert not [t for t in transitions if t.kind == "dissolve"]
    _assert_shots_consistent(shots, transitions)


def test_fades_file_reports_fades():
    _info, _shots, transitions = _detect(_media("fades.mp4"))
    kinds = [t.kind for t in transitions]
    assert kinds == ["fade_in", "fade_out"] * 3


def test_vfr_cut_times_are_pts():
    path = _media("goldeneye-vfr-drop3.mp4")
    info, shots, transitions = _detect(path)
    assert info.video is not None and info.video.vfr
    # pts 3.75375 and 8.75875; frame index / average fps would put them near 3.8 s and 8.8 s.
    _assert_cuts(_cuts(transitions), [3.75375, 8.75875], 1001 / 24000)
    assert [len(shots), shots[1].start, shots[2].start] == [3, pytest.approx(3.75375, abs=1e-3),
                                                           pytest.approx(8.75875, abs=1e-3)]


def test_rotated_file_same_cuts():
    path = _media("issue-134-rotate.mp4")
    info, _shots, transitions = _detect(path)
    assert info.video is not None and info.video.rotation == -90
    _assert_cuts(_cuts(transitions), _truth("issue-134-rotate.cuts.txt"), 1001 / 24000)


def test_counter_colour_changes_are_cuts():
    _info, shots, transitions = _detect(_media("counter.mp4"))
    _assert_cuts(_cuts(transitions), [1.0, 2.0], 0.1)
    assert [round(s.start, 3) for s in shots] == [0.0, 1.0, 2.0] and shots[-1].end == pytest.approx(3.0)


# ------------------------------------------------------------------ synthetic clips

@pytest.fixture(scope="module")
def synth_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("synth_shots")


def test_synthetic_dissolve_is_a_dissolve_with_its_span(synth_dir):
    truth = make_clip(synth_dir / "dissolve.mp4", [
        Scene(1, 30, pan=(3, 1)), Dissolve(20), Scene(2, 30, pan=(-2, 2)), Cut(), Scene(3, 25),
    ], fps=25, size=(320, 180))
    info = probe(truth.path)
    shots, transitions = detect_shots(truth.path, info)
    assert [t.kind for t in transitions] == ["dissolve", "hard"]
    (_, start, end), frame = truth.gradual[0], 1 / 25
    assert abs(transitions[0].start - start) <= 3 * frame + 1e-6
    assert abs(transitions[0].end - end) <= 3 * frame + 1e-6
    assert transitions[1].start == pytest.approx(truth.cuts[0], abs=frame + 1e-3)
    assert len(shots) == 3
    _assert_shots_consistent(shots, transitions)


def test_synthetic_fades_through_black(synth_dir):
    truth = make_clip(synth_dir / "fades.mp4", [
        Black(8), FadeIn(15), Scene(4, 30, pan=(2, 0)), FadeOut(15), Black(10), FadeIn(15), Scene(5, 30),
    ], fps=25, size=(320, 180))
    shots, transitions = detect_shots(truth.path, probe(truth.path))
    assert [t.kind for t in transitions] == ["fade_in", "fade_out", "fade_in"]
    for tr, (kind, start, end) in zip(transitions, truth.gradual):
        assert abs(tr.start - start) <= 3 / 25 and abs(tr.end - end) <= 3 / 25
    assert len(shots) == 2  # the black stretches are left out
    _assert_shots_consistent(shots, transitions)


def test_flashes_and_fast_pans_are_not_cuts(synth_dir):
    truth = make_clip(synth_dir / "flash_pan.mp4", [
        Scene(6, 50, pan=(25, 0), flashes=(12, 30), flash_frames=2),
        Scene(7, 50, pan=(-50, 6), flashes=(20,), flash_frames=1),
        Scene(8, 40, flashes=(10,), flash_frames=4),
    ], fps=25, size=(320, 180))
    _shots, transitions = detect_shots(truth.path, probe(truth.path))
    assert len(truth.flashes) == 4
    _assert_cuts(_cuts(transitions), truth.cuts, 1 / 25)


def test_zoom_and_rotating_gradient_are_not_transitions(tmp_path):
    path = tmp_path / "zoom_gradient.mp4"
    graph = ("mandelbrot=size=320x180:rate=25:end_scale=0.3,trim=duration=4,setpts=PTS-STARTPTS[a];"
             "gradients=size=320x180:rate=25:speed=0.03,trim=duration=5,setpts=PTS-STARTPTS[b];"
             "[a][b]concat=n=2:v=1:a=0,format=yuv420p[v]")
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-filter_complex", graph, "-map", "[v]", "-c:v", "libx264",
                    "-preset", "veryfast", str(path)], check=True)
    shots, transitions = detect_shots(path, probe(path))
    assert [(t.kind, round(t.start, 2)) for t in transitions] == [("hard", 4.0)]
    assert len(shots) == 2


def test_motion_is_higher_for_a_moving_clip(synth_dir):
    still = make_clip(synth_dir / "still.mp4", [Scene(9, 30)], fps=25, size=(320, 180))
    moving = make_clip(synth_dir / "moving.mp4", [Scene(9, 30, pan=(6, 2))], fps=25, size=(320, 180))
    (s_still,), _ = detect_shots(still.path, probe(still.path))
    (s_moving,), _ = detect_shots(moving.path, probe(moving.path))
    assert s_still.motion < 0.005 < s_moving.motion
    assert s_moving.motion > 5 * s_still.motion
    assert s_still.start == 0.0 and s_still.end == pytest.approx(30 / 25)
    assert 0.1 < s_still.brightness < 0.9


def test_one_frame_clip_is_one_shot(synth_dir):
    truth = make_clip(synth_dir / "one.mp4", [Scene(10, 1)], fps=25, size=(320, 180))
    shots, transitions = detect_shots(truth.path, probe(truth.path))
    assert transitions == [] and len(shots) == 1 and shots[0].motion == 0.0


def test_truncated_file_is_analysed_as_far_as_it_decodes(synth_dir):
    truth = make_clip(synth_dir / "full.mp4", [Scene(11, 30, pan=(2, 0)), Cut(), Scene(12, 70, pan=(3, 1))],
                      fps=25, size=(320, 180))
    data = truth.path.read_bytes()
    cut_file = synth_dir / "truncated.mp4"
    cut_file.write_bytes(data[: int(len(data) * 0.75)])
    info = probe(cut_file)
    shots, transitions = detect_shots(cut_file, info)
    assert shots and shots[-1].end < 100 / 25
    assert _cuts(transitions) == [pytest.approx(truth.cuts[0], abs=1 / 25 + 1e-3)]


# ------------------------------------------------------------------ errors

def test_non_media_file_raises_media_error(tmp_path):
    path = tmp_path / "notes.mp4"
    path.write_text("this is not a video\n" * 50)
    with pytest.raises(MediaError):
        probe(path)
    # detect_shots itself refuses it too, even when handed a MediaInfo that claims a video.
    fake = MediaInfo(path=str(path), content_hash="0", size_bytes=path.stat().st_size, format_name="mp4",
                     duration=1.0, video=VideoStream(codec="h264", width=64, height=36, display_width=64,
                                                     display_height=36, fps=25.0, fps_rational="25/1", vfr=False))
    with pytest.raises(MediaError, match="notes.mp4"):
        detect_shots(path, fake)


def test_audio_only_file_raises_media_error(tmp_path):
    if shutil.which("ffmpeg") is None:
        pytest.skip("ffmpeg not installed")
    path = tmp_path / "tone.wav"
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "sine=frequency=440:duration=1", str(path)],
                   check=True)
    info = probe(path)
    with pytest.raises(MediaError, match="has no video stream"):
        detect_shots(path, info)
    fake = info.model_copy(update={"video": VideoStream(
        codec="h264", width=64, height=36, display_width=64, display_height=36, fps=25.0,
        fps_rational="25/1", vfr=False)})
    with pytest.raises(MediaError, match="has no video stream"):
        detect_shots(path, fake)
