"""Timeline <-> OTIO, FCP 7 XML and CMX 3600 EDL through the real adapters."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import opentimelineio as otio
import pytest

from agent.errors import MediaError, OutputError
from agent.timeline.model import (
    AudioSegment,
    AudioTrack,
    ClipItem,
    EffectItem,
    LookItem,
    Reframe,
    TextItem,
    Timeline,
    TransitionItem,
)
from agent.timeline.otio import from_otio, read_otio, to_otio, write_edl, write_fcp_xml, write_otio

LENGTHS = [17, 23, 9, 31, 12, 40, 8, 19, 27, 14, 11, 22, 5]  # uneven, 12 cuts
RATES = [(30, 1), (30000, 1001)]


def make_timeline(fps_num: int, fps_den: int) -> Timeline:
    items, position = [], 0
    for n, length in enumerate(LENGTHS):
        items.append(
            ClipItem(
                source=f"/media/shoot day/clip {n % 4}.mp4",
                # floats that a frame grid cannot hold exactly
                source_start=0.7 + n * 0.3337 + 1e-7 * n,
                record_start=position,
                record_end=position + length,
                speed=0.5 if n == 4 else 1.0,
                speed_end=1.5 if n == 8 else None,
                shot_index=n,
                reframe=Reframe(mode="blur_pad") if n == 2 else Reframe(cx=0.31, cy=0.6),
            )
        )
        position += length
    cuts = [item.record_start for item in items]
    return Timeline(
        fps_num=fps_num,
        fps_den=fps_den,
        width=1080,
        height=1920,
        items=items,
        transitions=[
            TransitionItem(index=3, cut_frame=cuts[3], frames=6, name="fade"),
            TransitionItem(index=7, cut_frame=cuts[7], frames=5, name="wipeleft"),
        ],
        effects=[
            EffectItem(kind="flash", start_frame=40, end_frame=44, intensity=0.9),
            EffectItem(kind="zoom_punch", start_frame=80, end_frame=92, seed=3),
        ],
        texts=[TextItem(text="day one", start_frame=0, end_frame=30, position="top")],
        audio=AudioTrack(
            source="/media/music/track.wav",
            segments=[
                AudioSegment(source_start=3.1, record_start=0.0, duration=4.0),
                AudioSegment(source_start=20.123456789, record_start=4.5, duration=3.2),
            ],
            fade_in=0.25,
            fade_out=1.0,
        ),
        look=LookItem(name="teal", contrast=1.1, saturation=0.9),
    )


def video_clip_starts(otio_timeline: otio.schema.Timeline, rate: float) -> list[int]:
    """Record frame of every clip on the first video track, as the file itself says."""
    video = next(t for t in otio_timeline.tracks if t.kind == otio.schema.TrackKind.Video)
    starts = []
    for n, child in enumerate(video):
        if isinstance(child, otio.schema.Clip):
            start = video.range_of_child_at_index(n).start_time.value_rescaled_to(rate)
            assert abs(start - round(start)) < 1e-6
            starts.append(round(start))
    return starts


@pytest.mark.parametrize("fps_num,fps_den", RATES)
def test_otio_round_trip_is_exact(tmp_path: Path, fps_num: int, fps_den: int) -> None:
    timeline = make_timeline(fps_num, fps_den)
    path = write_otio(timeline, tmp_path / "reel.otio")
    back = read_otio(path)

    assert back.cut_frames() == timeline.cut_frames()
    assert (back.fps_num, back.fps_den) == (fps_num, fps_den)
    for ours, theirs in zip(timeline.items, back.items, strict=True):
        assert (theirs.record_start, theirs.record_end) == (ours.record_start, ours.record_end)
        assert abs(theirs.source_start - ours.source_start) < 1e-6
        assert theirs.source == ours.source
    assert back.transitions == timeline.transitions
    # everything else (effects, texts, audio, look, speeds, reframing) comes back as it was
    assert back == timeline


@pytest.mark.parametrize("fps_num,fps_den", RATES)
def test_otio_structure(fps_num: int, fps_den: int) -> None:
    timeline = make_timeline(fps_num, fps_den)
    rate = fps_num / fps_den
    result = to_otio(timeline, name="my reel")

    assert result.name == "my reel"
    assert result.global_start_time.value == 0
    video, audio = result.tracks[0], result.tracks[1]
    assert video.kind == otio.schema.TrackKind.Video and audio.kind == otio.schema.TrackKind.Audio
    assert video_clip_starts(result, rate) == [0, *timeline.cut_frames()]
    assert video.duration().value_rescaled_to(rate) == pytest.approx(timeline.frame_count)

    clips = [c for c in video if isinstance(c, otio.schema.Clip)]
    assert clips[0].source_range.start_time.rate == rate  # 29.97002997.. on NTSC
    assert clips[0].source_range.start_time.to_seconds() == pytest.approx(timeline.items[0].source_start, abs=1e-9)
    assert clips[0].media_reference.target_url == "file:///media/shoot%20day/clip%200.mp4"
    slow = clips[4]
    assert [type(fx) for fx in slow.effects] == [otio.schema.LinearTimeWarp]
    assert slow.effects[0].time_scalar == 0.5
    assert slow.source_range.duration.value == timeline.items[4].frames  # record frames
    assert clips[8].effects[0].time_scalar == pytest.approx(1.25)  # ramp 1.0 -> 1.5 as its mean

    transitions = [c for c in video if isinstance(c, otio.schema.Transition)]
    assert [t.transition_type for t in transitions] == [
        otio.schema.TransitionTypes.SMPTE_Dissolve,
        otio.schema.TransitionTypes.Custom,
    ]
    assert [(t.in_offset.value, t.out_offset.value) for t in transitions] == [(3, 3), (2, 3)]
    assert video.index(transitions[0]) == video.index(clips[3]) - 1

    cut_markers = [m for m in video.markers if m.name == "cut"]
    assert [m.metadata["reelwright"]["frame"] for m in cut_markers] == timeline.cut_frames()
    assert [round(m.marked_range.start_time.value) for m in cut_markers] == timeline.cut_frames()

    audio_clips = [c for c in audio if isinstance(c, otio.schema.Clip)]
    assert len(audio_clips) == 2
    assert audio.range_of_child(audio_clips[1]).start_time.to_seconds() == pytest.approx(4.5)
    assert result.metadata["reelwright"]["effects"][0]["kind"] == "flash"


def test_otio_file_opens_with_otio_and_otiocat(tmp_path: Path) -> None:
    path = write_otio(make_timeline(30000, 1001), tmp_path / "reel.otio")
    loaded = otio.adapters.read_from_file(str(path))
    assert isinstance(loaded, otio.schema.Timeline)
    assert len(loaded.tracks[0].find_clips()) == len(LENGTHS)

    otiocat = Path(sys.executable).parent / "otiocat"
    command = [str(otiocat)] if otiocat.exists() else [sys.executable, "-m", "opentimelineio.console.otiocat"]
    done = subprocess.run([*command, str(path)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "clip 3.mp4" in done.stdout


@pytest.mark.parametrize("fps_num,fps_den", RATES)
def test_fcp_xml_keeps_cut_frames(tmp_path: Path, fps_num: int, fps_den: int) -> None:
    timeline = make_timeline(fps_num, fps_den)
    rate = fps_num / fps_den
    path = write_fcp_xml(timeline, tmp_path / "reel.xml")
    loaded = otio.adapters.read_from_file(str(path), adapter_name="fcp_xml")

    assert video_clip_starts(loaded, rate) == [0, *timeline.cut_frames()]
    back = from_otio(loaded)
    assert (back.fps_num, back.fps_den) == (fps_num, fps_den)
    assert back.cut_frames() == timeline.cut_frames()
    assert [(t.index, t.cut_frame, t.frames, t.name) for t in back.transitions] == [
        (t.index, t.cut_frame, t.frames, t.name) for t in timeline.transitions
    ]
    assert [i.source for i in back.items] == [i.source for i in timeline.items]
    for ours, theirs in zip(timeline.items, back.items, strict=True):  # whole source frames
        assert abs(theirs.source_start - ours.source_start) <= 0.5 / rate + 1e-9
    assert back.audio is not None and len(back.audio.segments) == 2
    assert back.audio.segments[1].record_start == pytest.approx(4.5, abs=1 / rate)


@pytest.mark.parametrize("fps_num,fps_den", RATES)
def test_edl_keeps_cut_frames(tmp_path: Path, fps_num: int, fps_den: int) -> None:
    timeline = make_timeline(fps_num, fps_den)
    rate = fps_num / fps_den
    path = write_edl(timeline, tmp_path / "reel.edl")
    text = path.read_text()
    assert "FROM CLIP: file:///media/shoot%20day/clip%201.mp4" in text
    assert "REELWRIGHT TRANSITION: wipeleft" in text
    loaded = otio.adapters.read_from_file(str(path), adapter_name="cmx_3600", rate=rate)

    # An EDL dissolve starts at its event's cut: the file's clip boundary sits `frames // 2`
    # before our (centred) cut, everywhere else it is the cut itself.
    moved = {tr.cut_frame: tr.frames // 2 for tr in timeline.transitions}
    assert video_clip_starts(loaded, rate) == [0, *(cut - moved.get(cut, 0) for cut in timeline.cut_frames())]

    back = from_otio(loaded)
    assert back.cut_frames() == timeline.cut_frames()
    assert [(t.cut_frame, t.frames) for t in back.transitions] == [(t.cut_frame, t.frames) for t in timeline.transitions]
    assert [t.name for t in back.transitions] == ["fade", "fade"]  # the EDL has dissolves only
    for ours, theirs in zip(timeline.items, back.items, strict=True):
        assert abs(theirs.source_start - ours.source_start) <= 0.5 / rate + 1e-9
        assert theirs.source == ours.source
    if fps_den == 1:  # M2 speed lines survive on integer rates
        assert back.items[4].speed == 0.5
    else:  # the adapter cannot read M2 lines with drop-frame timecode: a comment carries it
        assert "REELWRIGHT SPEED: 0.5" in text
    assert back.audio is None  # the adapter writes the video track only


def test_writes_are_atomic_and_replace(tmp_path: Path) -> None:
    timeline = make_timeline(30, 1)
    target = tmp_path / "reel.otio"
    target.write_text("old")
    for write, name in ((write_otio, "reel.otio"), (write_fcp_xml, "reel.xml"), (write_edl, "reel.edl")):
        write(timeline, tmp_path / name)
        write(timeline, tmp_path / name)  # overwrite in place
    assert sorted(p.name for p in tmp_path.iterdir()) == ["reel.edl", "reel.otio", "reel.xml"]
    assert read_otio(target) == timeline


def test_unwritable_path_raises_output_error(tmp_path: Path) -> None:
    blocker = tmp_path / "afile"
    blocker.write_text("a file, not a folder")
    timeline = make_timeline(30, 1)
    for write, name in ((write_otio, "x.otio"), (write_fcp_xml, "x.xml"), (write_edl, "x.edl")):
        target = blocker / name
        with pytest.raises(OutputError, match=str(target)):
            write(timeline, target)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile"]


def test_fcp_xml_refuses_a_rate_it_cannot_express(tmp_path: Path) -> None:
    timeline = make_timeline(30, 1).model_copy(update={"fps_num": 25, "fps_den": 2})
    with pytest.raises(OutputError, match="25/2"):
        write_fcp_xml(timeline, tmp_path / "x.xml")
    assert list(tmp_path.iterdir()) == []


def test_read_otio_reports_bad_files(tmp_path: Path) -> None:
    with pytest.raises(MediaError, match="no such file"):
        read_otio(tmp_path / "missing.otio")
    broken = tmp_path / "broken.otio"
    broken.write_text("{not json")
    with pytest.raises(MediaError, match="broken.otio"):
        read_otio(broken)
    gappy = otio.schema.Timeline(name="gappy")
    track = otio.schema.Track(kind=otio.schema.TrackKind.Video)
    track.append(otio.schema.Gap(duration=otio.opentime.RationalTime(10, 24)))
    track.append(
        otio.schema.Clip(
            name="a",
            media_reference=otio.schema.ExternalReference(target_url="/media/a.mp4"),
            source_range=otio.opentime.TimeRange(
                otio.opentime.RationalTime(0, 24), otio.opentime.RationalTime(12, 24)
            ),
        )
    )
    gappy.tracks.append(track)
    otio.adapters.write_to_file(gappy, str(tmp_path / "gappy.otio"))
    with pytest.raises(MediaError, match="gap at frame 0"):
        read_otio(tmp_path / "gappy.otio")


def test_write_over_a_folder_raises_output_error_and_cleans_up(tmp_path: Path) -> None:
    folder = tmp_path / "reel.otio"
    folder.mkdir()
    with pytest.raises(OutputError, match="reel.otio"):
        write_otio(make_timeline(30, 1), folder)
    assert [p.name for p in tmp_path.iterdir()] == ["reel.otio"] and list(folder.iterdir()) == []


def test_read_edl_and_fcp_xml_files(tmp_path: Path) -> None:
    from fractions import Fraction

    timeline = make_timeline(30000, 1001)
    edl = write_edl(timeline, tmp_path / "reel.edl")
    with pytest.raises(MediaError, match="frame rate"):
        read_otio(edl)
    assert read_otio(edl, rate=Fraction(30000, 1001)).cut_frames() == timeline.cut_frames()
    xml = write_fcp_xml(timeline, tmp_path / "reel.xml")
    assert read_otio(xml).cut_frames() == timeline.cut_frames()


def test_foreign_timeline_with_rounded_rate_and_start_aligned_transition() -> None:
    rate = 23.976  # as some NLEs write 24000/1001
    track = otio.schema.Track(kind=otio.schema.TrackKind.Video)
    lengths = [2000, 1500, 3001]  # long enough that rescaling 23.976 -> 23.97602.. would drift
    for n, length in enumerate(lengths):
        if n == 2:  # 8 frames starting at the cut, as an EDL dissolve reads
            track.append(
                otio.schema.Transition(
                    name="Cross Dissolve",
                    in_offset=otio.opentime.RationalTime(0, rate),
                    out_offset=otio.opentime.RationalTime(8, rate),
                )
            )
        track.append(
            otio.schema.Clip(
                name=f"c{n}",
                media_reference=otio.schema.ExternalReference(target_url=f"file:///m/c{n}.mov"),
                source_range=otio.opentime.TimeRange(
                    otio.opentime.RationalTime(100 + n, rate), otio.opentime.RationalTime(length, rate)
                ),
            )
        )
    foreign = otio.schema.Timeline(name="nle")
    foreign.tracks.append(track)

    back = from_otio(foreign)
    assert (back.fps_num, back.fps_den) == (24000, 1001)
    assert back.cut_frames() == [2000, 3504]  # the dissolve's span [3500, 3508) is kept, centred
    assert back.items[1].record_end == 3504 and back.items[2].frames == 2997
    assert back.transitions == [TransitionItem(index=2, cut_frame=3504, frames=8, name="fade")]
    assert back.items[2].source_start == pytest.approx((102 + 4) / rate)
    assert back.items[0].source == "/m/c0.mov"
