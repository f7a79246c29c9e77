"""compile(plan, analysis): cuts on the asked beat grid, shot choice, aspect, music length."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from agent.media.models import (Analysis, AudioStream, ClipAnalysis, MediaInfo, MusicAnalysis, Section, Shot,
                                VideoStream)
from agent.timeline.compile import compile_plan, frame_rate, output_size
from agent.timeline.plan import EditPlan, EffectRequest, SectionPlan, TransitionRequest


def _music(duration: float = 60.0, bpm: float = 120.0, drop: float | None = 30.0, jitter: float = 0.0) -> MusicAnalysis:
    rng = np.random.default_rng(0)
    period = 60.0 / bpm
    beats = [round(k * period + (rng.uniform(-jitter, jitter) if k else 0.0), 4)
             for k in range(int(duration / period))]
    positions = [k % 4 + 1 for k in range(len(beats))]
    energy = [0.2 if (drop and t * 0.05 < drop) else 0.9 for t in range(int(duration / 0.05))]
    sections = ([Section(start=0, end=drop, label="build", energy=0.2),
                 Section(start=drop, end=duration, label="drop", energy=0.9)] if drop else [])
    return MusicAnalysis(path="/music.wav", duration=duration, tracker="test", tracker_licence="-", beats=beats,
                         beat_positions=positions, downbeats=[b for b, p in zip(beats, positions) if p == 1],
                         tempo=bpm, energy=energy, sections=sections, drops=[drop] if drop else [])


def _clip(name: str, shots: list[tuple[float, float, float]], w: int = 1920, h: int = 1080) -> ClipAnalysis:
    duration = shots[-1][1]
    info = MediaInfo(path=f"/clips/{name}.mp4", content_hash=name, size_bytes=1, format_name="mp4",
                     duration=duration,
                     video=VideoStream(codec="h264", width=w, height=h, display_width=w, display_height=h, fps=30.0,
                                       fps_rational="30/1", vfr=False),
                     audio=AudioStream(codec="aac", sample_rate=48000, channels=2))
    return ClipAnalysis(info=info, shots=[Shot(index=i, start=a, end=b, motion=m) for i, (a, b, m) in enumerate(shots)])


def _analysis(music: MusicAnalysis | None = None, clips: list[ClipAnalysis] | None = None) -> Analysis:
    clips = clips or [
        _clip("calm", [(0, 20, 0.01), (20, 40, 0.02)]),
        _clip("busy", [(0, 15, 0.30), (15, 30, 0.25)]),
        _clip("mid", [(0, 3.0, 0.1), (3.0, 7.5, 0.12), (7.5, 40, 0.08)]),
    ]
    return Analysis(music=music or _music(), clips=clips)


def _plan(rhythm: str = "every_beat", duration: float = 15.0, **section) -> EditPlan:
    return EditPlan(duration=duration, sections=[SectionPlan(start=0, end=duration, rhythm=rhythm, **section)],
                    music_start=0.0)


@pytest.mark.parametrize(("rhythm", "beats_per_cut"),
                         [("every_beat", 1), ("every_2_beats", 2), ("downbeat", 4), ("every_2_bars", 8)])
def test_cuts_follow_the_rhythm_within_half_a_frame(rhythm, beats_per_cut):
    music = _music(jitter=0.02)
    result = compile_plan(_plan(rhythm), _analysis(music))
    fps = float(result.timeline.fps)
    cuts = result.timeline.cut_frames()
    beats = np.array(music.beats)
    expected = [b for k, b in enumerate(beats) if k % beats_per_cut == 0 and 0.15 < b < 14.85]
    assert len(cuts) == len(expected)
    for frame, beat in zip(cuts, expected):
        assert abs(frame / fps - beat) <= 0.5 / fps + 1e-9
    assert all(abs(c.offset_ms) <= 1000 / fps / 2 + 1e-6 for c in result.cuts)


def test_every_item_stays_inside_one_shot_and_nothing_is_reused():
    analysis = _analysis()
    result = compile_plan(_plan("every_beat"), analysis)
    shots = {c.info.path: c.shots for c in analysis.clips}
    fps = result.timeline.fps
    used: dict[str, list[tuple[float, float]]] = {}
    for item in result.timeline.items:
        start = item.source_start
        end = start + item.source_offset(item.frames, fps)
        shot = shots[item.source][item.shot_index]
        assert shot.start < start and end < shot.end, "an item crosses a shot boundary"
        for a, b in used.get(item.source, []):
            assert end <= a or start >= b, "footage reused while unused footage was left"
        used.setdefault(item.source, []).append((start, end))


def test_active_shots_on_the_drop_and_calm_before():
    plan = EditPlan(duration=20, music_start=20.0, sections=[
        SectionPlan(start=0, end=10, rhythm="every_2_beats", shots="calm"),
        SectionPlan(start=10, end=20, rhythm="every_beat", shots="active")])
    result = compile_plan(plan, _analysis())
    motions = {"/clips/calm.mp4": 0.0, "/clips/mid.mp4": 0.5, "/clips/busy.mp4": 1.0}
    before = [motions[i.source] for i in result.timeline.items if i.record_start < 300]
    after = [motions[i.source] for i in result.timeline.items if i.record_start >= 300]
    assert np.mean(after) > np.mean(before) + 0.3


@pytest.mark.parametrize(("aspect", "size"), [("16:9", (1920, 1080)), ("9:16", (1080, 1920)),
                                               ("1:1", (1080, 1080)), ("4:5", (1080, 1350))])
def test_output_sizes(aspect, size):
    assert output_size(aspect, 1080) == size


def test_ntsc_rates_are_rational():
    assert frame_rate(29.97) == Fraction(30000, 1001)
    assert frame_rate(23.976) == Fraction(24000, 1001)
    assert frame_rate(25) == Fraction(25)


def test_music_shorter_than_the_reel_loops_whole_bars():
    music = _music(duration=10.0, drop=None)
    result = compile_plan(_plan("every_beat", duration=25.0), _analysis(music))
    audio = result.timeline.audio
    assert sum(s.duration for s in audio.segments) == pytest.approx(25.0)
    assert len(audio.segments) > 2
    assert all(s.source_start in (0.0,) for s in audio.segments)  # loops restart on the first downbeat
    fps = float(result.timeline.fps)
    assert result.timeline.cut_frames()[-1] / fps > 24.0  # cuts continue across the loop seam
    assert any("shorter than" in n for n in result.fallbacks)


def test_music_start_is_chosen_so_the_drop_lands_inside():
    plan = EditPlan(duration=15, sections=[SectionPlan(start=0, end=15)])
    result = compile_plan(plan, _analysis(_music(drop=30.0)))
    assert result.music_start < 30.0 < result.music_start + 15
    assert result.music_start in _music().downbeats


def test_transitions_get_handles_inside_the_shot():
    plan = _plan("downbeat", transition=TransitionRequest(name="fade", beats=1, every_n_cuts=1))
    result = compile_plan(plan, _analysis())
    tl = result.timeline
    assert len(tl.transitions) == len(tl.cut_frames())
    assert all(tr.frames == 15 for tr in tl.transitions)  # one beat at 120 BPM, 30 fps


def test_effects_on_drops_and_downbeats():
    plan = EditPlan(duration=20, music_start=20.0, sections=[
        SectionPlan(start=0, end=10, rhythm="every_2_beats"),
        SectionPlan(start=10, end=20, rhythm="every_beat",
                    effects=[EffectRequest(kind="flash", on="drops"), EffectRequest(kind="shake", on="downbeats")])])
    tl = compile_plan(plan, _analysis()).timeline
    flashes = [e for e in tl.effects if e.kind == "flash"]
    assert [f.start_frame for f in flashes] == [300]
    assert len([e for e in tl.effects if e.kind == "shake"]) == 5


def test_not_enough_footage_is_reported_not_hidden():
    clips = [_clip("short", [(0, 2.0, 0.1)])]
    result = compile_plan(_plan("every_beat", duration=10.0), _analysis(clips=clips))
    assert result.timeline.frame_count == 300
    assert any("reus" in n or "slowed" in n for n in result.fallbacks)


def test_no_beats_falls_back_to_a_fixed_grid_and_says_so():
    silent = MusicAnalysis(path="/silence.wav", duration=30, tracker="test", tracker_licence="-", beats=[],
                           beat_positions=[], downbeats=[], tempo=0.0, warnings=["no steady beat found"])
    result = compile_plan(_plan("every_2_beats"), _analysis(silent))
    assert result.timeline.cut_frames()
    assert any("no steady beat" in n for n in result.fallbacks)
    assert all(c.offset_ms is None for c in result.cuts)


def test_library_tools_take_turns_on_cuts_and_ffmpeg_chains_never_overlap():
    from agent.timeline.plan import ToolEffect
    from agent.tools.library import BUNDLED, load_library

    tools = load_library([BUNDLED])[0]
    turns = ["film-grain", "rgb-split", "look-teal-orange", "vhs"]
    plan = _plan(tools=[ToolEffect(tool=t, on="cuts", every=len(turns), offset=i, beats=0.5)
                        for i, t in enumerate(turns)])
    tl = compile_plan(plan, _analysis(), tools).timeline
    cut_frames = [item.record_start for item in tl.items[1:]]
    starts = {e.filter or e.shader: [] for e in tl.effects}
    for e in tl.effects:
        starts[e.filter or e.shader].append(e.start_frame)
    for i, tool_id in enumerate(turns):  # each tool on every 4th cut from its own offset, ffmpeg ones included
        assert starts[tools[tool_id].source] == cut_frames[i::len(turns)][:len(starts[tools[tool_id].source])]
        assert len(starts[tools[tool_id].source]) >= len(cut_frames[i::len(turns)]) - 1
    chains = sorted((e.start_frame, e.end_frame) for e in tl.effects if e.kind == "ffmpeg")
    assert all(a_end <= b_start for (_, a_end), (b_start, _) in zip(chains, chains[1:]))
