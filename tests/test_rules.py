"""The rules brain: request parsing in four languages, contradictions, presets vs explicit
constraints, and plans that follow a music analysis."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from agent.brain.request import GLITCH_XFADE_EXPR, RequestConstraints, parse_request
from agent.brain.rules import STYLE_PRESETS, plan_edit
from agent.errors import PlanError
from agent.media.models import MusicAnalysis, Section
from agent.timeline.plan import EditPlan


def make_music(duration: float = 60.0, beat: float = 0.5, sections: list[Section] | None = None,
               drops: list[float] | None = None, energy: list[float] | None = None) -> MusicAnalysis:
    """A steady 4/4 track: a beat every `beat` s; by default a drop section at 30..45 s."""
    count = int(duration / beat)
    beats = [round(i * beat, 6) for i in range(count)]
    if sections is None:
        sections = [Section(start=0, end=15, label="intro", energy=0.2),
                    Section(start=15, end=30, label="build", energy=0.45),
                    Section(start=30, end=45, label="drop", energy=0.95),
                    Section(start=45, end=duration, label="outro", energy=0.3)]
    if drops is None:
        drops = [s.start for s in sections if s.label == "drop"]
    if energy is None:
        hop = 0.05
        energy = []
        for i in range(int(duration / hop)):
            t = i * hop
            energy.append(next((s.energy for s in sections if s.start <= t < s.end), 0.1))
    return MusicAnalysis(path="synthetic.wav", duration=duration, tracker="test", tracker_licence="none",
                         beats=beats, beat_positions=[i % 4 + 1 for i in range(count)], downbeats=beats[::4],
                         tempo=60.0 / beat, energy=energy, sections=sections, drops=drops)


# ----------------------------------------------------------------------------- parse_request

@pytest.mark.parametrize("prompt, seconds", [
    ("make a 15 s reel", 15), ("15s edit", 15), ("a 15 sec clip", 15), ("30 seconds of my trip", 30),
    ("1 minute vlog", 60), ("a reel of 1:30", 90), ("half a minute please", 30), ("a 20-second reel", 20),
    ("2 min 30 s", 150), ("a minute and a half", 90), ("fifteen-second reel", 15), ("0:45 edit", 45),
    ("ein Video mit 15 Sekunden", 15), ("eine halbe Minute", 30), ("2 Minuten Hochzeitsvideo", 120),
    ("un vídeo de 15 segundos", 15), ("medio minuto", 30), ("un minuto de viaje", 60),
    ("une vidéo de 15 secondes", 15), ("une demi-minute", 30), ("une minute de voyage", 60),
])
def test_durations_in_four_languages(prompt: str, seconds: float) -> None:
    assert parse_request(prompt).duration == pytest.approx(seconds)


@pytest.mark.parametrize("prompt", [
    "cut every 2 beats, flash every 4 bars", "60 fps", "1080p output", "my 2024 holiday", "120 bpm track",
    "cut every 2 seconds", "start the music at 30 s", "0.5 s crossfades", "90s style phonk",
])
def test_numbers_that_are_not_durations(prompt: str) -> None:
    assert parse_request(prompt).duration is None


@pytest.mark.parametrize("prompt, aspect", [
    ("vertical reel", "9:16"), ("portrait please", "9:16"), ("9:16", "9:16"), ("for tiktok", "9:16"),
    ("instagram reels", "9:16"), ("youtube shorts", "9:16"), ("square", "1:1"), ("1:1 post", "1:1"),
    ("4:5 feed post", "4:5"), ("horizontal", "16:9"), ("landscape", "16:9"), ("widescreen", "16:9"),
    ("16:9", "16:9"), ("hochkant bitte", "9:16"), ("quadratisch", "1:1"), ("im Querformat", "16:9"),
    ("formato vertical", "9:16"), ("cuadrado", "1:1"), ("en horizontal", "16:9"),
    ("format vertical", "9:16"), ("format carré", "1:1"), ("en paysage", "16:9"),
    ("a vertical 9:16 tiktok", "9:16"),
])
def test_aspects(prompt: str, aspect: str) -> None:
    assert parse_request(prompt).aspect == aspect


@pytest.mark.parametrize("prompt, rhythm", [
    ("cut every beat", "every_beat"), ("cuts on every beat", "every_beat"), ("each beat a new clip", "every_beat"),
    ("every 2 beats", "every_2_beats"), ("every other beat", "every_2_beats"), ("every second beat", "every_2_beats"),
    ("cut on downbeats", "downbeat"), ("once per bar", "downbeat"), ("every bar", "downbeat"),
    ("each bar", "downbeat"), ("every 2 bars", "every_2_bars"), ("every 4 bars", "phrase"),
    ("cut every phrase", "phrase"),
    ("Schnitt auf jeden Beat", "every_beat"), ("auf jeden Schlag schneiden", "every_beat"),
    ("jeder Takt ein Schnitt", "downbeat"), ("ein Schnitt pro Takt", "downbeat"), ("alle 2 Takte", "every_2_bars"),
    ("corte en cada beat", "every_beat"), ("cada golpe", "every_beat"), ("cada compás", "downbeat"),
    ("cada 2 beats", "every_2_beats"),
    ("coupe à chaque temps", "every_beat"), ("chaque beat", "every_beat"), ("chaque mesure", "downbeat"),
    ("tous les 2 temps", "every_2_beats"),
])
def test_rhythms(prompt: str, rhythm: str) -> None:
    assert parse_request(prompt).rhythm == rhythm


def test_rhythm_scoped_to_drops_and_calm_parts() -> None:
    request = parse_request("cut every beat in the drops, every bar elsewhere")
    assert request.rhythm is None
    assert (request.drop_rhythm, request.calm_rhythm) == ("every_beat", "downbeat")
    assert request.contradictions == []


@pytest.mark.parametrize("prompt, fps", [("60 fps", 60), ("24fps cinematic", 24), ("30 frames per second", 30)])
def test_fps(prompt: str, fps: float) -> None:
    request = parse_request(prompt)
    assert request.fps == fps and request.duration is None


@pytest.mark.parametrize("prompt, style", [
    ("phonk edit", "phonk"), ("an AMV", "amv"), ("hype video", "hype"), ("travel video", "travel"),
    ("calm edit", "calm"), ("cinematic edit", "cinematic"), ("daily vlog", "vlog"), ("sports highlights", "sport"),
    ("sport reel", "sport"), ("wedding film", "wedding"), ("lofi video", "lofi"), ("chill edit", "lofi"),
    ("summer montage", "montage"), ("ruhiges Video", "calm"), ("Reisevideo, Reise nach Rom", "travel"),
    ("Hochzeit", "wedding"), ("ein Hochzeitsvideo", "wedding"),
    ("vídeo tranquilo", "calm"), ("mi viaje a Roma", "travel"), ("una boda", "wedding"),
    ("une vidéo calme", "calm"), ("mon voyage", "travel"), ("notre mariage", "wedding"),
    ("cinematic travel video", "travel"),
])
def test_styles(prompt: str, style: str) -> None:
    assert parse_request(prompt).style == style


def test_french_montage_is_any_edit_not_the_montage_style() -> None:
    assert parse_request("fais un montage de mes vacances").style == "travel"


@pytest.mark.parametrize("prompt, name", [
    ("with crossfades", "fade"), ("dissolve between clips", "fade"), ("a fade every few cuts", "fade"),
    ("wipe transitions", "wipeleft"), ("slide transition", "slideleft"), ("circle transition", "circleopen"),
    ("zoom transition", "zoomin"), ("pixelize transition", "pixelize"), ("pixel transitions", "pixelize"),
    ("radial transition", "radial"), ("smooth transitions", "smoothleft"), ("fade to black", "fadeblack"),
    ("fade to white", "fadewhite"), ("flash transition", "fadewhite"), ("glitch transitions", "custom"),
    ("mit Überblendung", "fade"), ("Schwarzblende", "fadeblack"), ("con fundido", "fade"),
    ("fundido a negro", "fadeblack"), ("avec fondu", "fade"), ("fondu au noir", "fadeblack"),
    ("add some transitions", "fade"),
])
def test_transitions(prompt: str, name: str) -> None:
    transitions = parse_request(prompt).transitions
    assert [t.name for t in transitions] == [name]
    assert (transitions[0].expr is not None) == (name == "custom")


def test_flash_transition_is_not_a_flash_effect_and_zoom_transition_not_a_zoom_punch() -> None:
    assert parse_request("flash transition, zoom transition").effects == ()


@pytest.mark.parametrize("prompt", [
    "no transitions", "hard cuts only", "only hard cuts", "without transitions", "keine Übergänge",
    "sin transiciones", "sans transitions",
])
def test_no_transitions(prompt: str) -> None:
    request = parse_request(prompt)
    assert request.no_transitions and request.transitions == ()


@pytest.mark.parametrize("prompt, banned, no_effects", [
    ("no effects", (), True), ("keine Effekte", (), True), ("sin efectos", (), True), ("sans effets", (), True),
    ("no flashes", ("flash",), False), ("keine Blitze", ("flash",), False), ("no camera shake", ("shake",), False),
])
def test_effect_prohibitions(prompt: str, banned: tuple, no_effects: bool) -> None:
    request = parse_request(prompt)
    assert request.banned_effects == banned and bool(request.no_effects) == no_effects
    assert request.effects == ()


@pytest.mark.parametrize("prompt, kind, on, every", [
    ("flash on the drops", "flash", "drops", 1), ("white flash on every beat", "flash", "beats", 1),
    ("strobe on downbeats", "flash", "downbeats", 1), ("zoom punch on downbeats", "zoom_punch", "downbeats", 1),
    ("punch in on cuts", "zoom_punch", "cuts", 1), ("zoom on the beat", "zoom_punch", "beats", 1),
    ("camera shake on the drops", "shake", "drops", 1), ("shake every 2 beats", "shake", "beats", 2),
    ("flash every 4 bars", "flash", "downbeats", 4), ("wackeln auf jeden Schlag", "shake", "beats", 1),
    ("sacudida en cada golpe", "shake", "beats", 1), ("temblor en los drops", "shake", "drops", 1),
    ("secousse à chaque mesure", "shake", "downbeats", 1), ("tremblement sur les drops", "shake", "drops", 1),
    ("shake", "shake", None, 1),
])
def test_effects_and_when(prompt: str, kind: str, on: str | None, every: int) -> None:
    effects = parse_request(prompt).effects
    assert [(e.kind, e.on, e.every) for e in effects] == [(kind, on, every)]


def test_effects_joined_by_and_share_their_trigger() -> None:
    effects = parse_request("flash and shake on the drops").effects
    assert [(e.kind, e.on) for e in effects] == [("flash", "drops"), ("shake", "drops")]


def test_effect_beats_inside_drops() -> None:
    (effect,) = parse_request("zoom punch on every beat in the drops").effects
    assert (effect.kind, effect.on, effect.scope) == ("zoom_punch", "beats", "drops")


def test_rhythm_and_effect_trigger_are_told_apart() -> None:
    request = parse_request("cut every 2 bars, flash on every beat")
    assert request.rhythm == "every_2_bars"
    assert [(e.kind, e.on) for e in request.effects] == [("flash", "beats")]
    assert request.contradictions == []


@pytest.mark.parametrize("prompt, look", [
    ("teal orange grade", "teal_orange"), ("teal and orange", "teal_orange"), ("warm tones", "warm"),
    ("cold look", "cold"), ("cool tones", "cold"), ("black and white", "bw"), ("b&w", "bw"), ("monochrome", "bw"),
    ("vintage", "vintage"), ("retro", "vintage"), ("dark", "dark"), ("moody", "dark"), ("punchy", "punchy"),
    ("vibrant colours", "punchy"), ("schwarz-weiß", "bw"), ("blanco y negro", "bw"), ("noir et blanc", "bw"),
    ("cálido", "warm"), ("froid", "cold"),
])
def test_looks(prompt: str, look: str) -> None:
    assert parse_request(prompt).look == look


def test_cool_as_slang_is_not_a_look() -> None:
    assert parse_request("make it look cool").look is None


def test_quoted_text_is_an_overlay_and_never_an_instruction() -> None:
    request = parse_request('title "No transitions here" and text "Summer 2024, 15 s"')
    assert [(t.kind, t.text) for t in request.texts] == [("title", "No transitions here"),
                                                         ("text", "Summer 2024, 15 s")]
    assert request.no_transitions is None and request.duration is None


@pytest.mark.parametrize("prompt, speed, ramp", [
    ("slow motion", 0.5, None), ("slow-mo intro", 0.5, None), ("in Zeitlupe", 0.5, None), ("cámara lenta", 0.5, None),
    ("au ralenti", 0.5, None), ("speed ramp", None, True), ("with ramps", None, True),
])
def test_speed(prompt: str, speed: float | None, ramp: bool | None) -> None:
    request = parse_request(prompt)
    assert (request.speed, request.speed_ramp) == (speed, ramp)


@pytest.mark.parametrize("prompt, language", [
    ("make a 15 s phonk edit with hard cuts on every beat", "en"),
    ("Mach ein 15 Sekunden Video mit harten Schnitten auf jeden Beat", "de"),
    ("Haz un vídeo de 15 segundos con cortes en cada golpe", "es"),
    ("Fais une vidéo de 15 secondes avec des coupes à chaque temps", "fr"),
])
def test_language(prompt: str, language: str) -> None:
    assert parse_request(prompt).language == language


# ----------------------------------------------------------------------------- contradictions

@pytest.mark.parametrize("prompt, first, second", [
    ("a 10 s reel that is 45 s long", "10 s", "45 s"),
    ("vertical 16:9", "vertical", "16:9"),
    ("square 9:16", "square", "9:16"),
    ("cut every beat, once per bar", "every beat", "once per bar"),
    ("glitch transitions, hard cuts only", "glitch", "hard cuts only"),
    ("crossfade between clips but no transitions", "crossfade", "no transitions"),
    ("flash on the drops, no effects", "flash", "no effects"),
    ("white flash on every beat and no flashes", "white flash", "no flashes"),
    ("ein 15 Sekunden Video, 30 Sekunden lang", "15 sekunden", "30 sekunden"),
    ("hochkant, quadratisch", "hochkant", "quadratisch"),
    ("Überblendung, keine Übergänge", "überblendung", "keine übergänge"),
    ("vídeo de 20 segundos de 1 minuto", "20 segundos", "1 minuto"),
    ("cada beat, cada compás", "cada beat", "cada compás"),
    ("sacudida, sin efectos", "sacudida", "sin efectos"),
    ("vidéo de 15 secondes, 1 minute", "15 secondes", "1 minute"),
    ("carré, paysage", "carré", "paysage"),
    ("fondu, sans transitions", "fondu", "sans transitions"),
])
def test_contradictions_are_refused_naming_both_phrases(prompt: str, first: str, second: str) -> None:
    assert parse_request(prompt).contradictions
    with pytest.raises(PlanError) as error:
        plan_edit(prompt)
    message = str(error.value)
    assert message.startswith("request contradicts itself: ")
    assert first in message and second in message


@pytest.mark.parametrize("prompt", [
    "15 s phonk edit, cut every 2 beats, flash on the drops",
    "15 s phonk edit of these clips, hard cuts on every beat, flash on the drops",
    "15 s, a fifteen-second reel",
    "15 s vertical 9:16 tiktok",
    "a 30 second reel, start the music at 42 s, cut every 2 seconds",
    "cut every beat in the drops and every 2 bars in the intro",
    "hard cuts with a glitch transition on the drops",
    "no flashes, zoom punch on downbeats",
    "cut every 2 beats, flash on every beat, shake on the drops",
    "60 fps, 1080p, 15 s, 2 beats, 4 bars, 2024",
    "a 16:9 version of my tiktok",
    'title "vertical 16:9 no effects"',
])
def test_consistent_requests_are_planned(prompt: str) -> None:
    assert parse_request(prompt).contradictions == []
    assert isinstance(plan_edit(prompt, make_music()), EditPlan)


# ----------------------------------------------------------------------------- plan_edit

def test_same_input_gives_identical_plans() -> None:
    prompt = "20 s hype edit, vertical, flash on drops, glitch transitions on the drops, teal orange"
    assert plan_edit(prompt, make_music()).model_dump_json() == plan_edit(prompt, make_music()).model_dump_json()
    assert plan_edit(prompt).model_dump_json() == plan_edit(prompt).model_dump_json()


def test_explicit_constraints_override_the_preset() -> None:
    plan = plan_edit("phonk edit, 30 s, 16:9, 24 fps, cut every 2 bars, crossfades, warm look, no shake",
                     make_music(duration=120, sections=[Section(start=0, end=40, label="intro", energy=0.2),
                                                        Section(start=40, end=70, label="drop", energy=0.9),
                                                        Section(start=70, end=120, label="outro", energy=0.3)]))
    assert (plan.style, plan.duration, plan.aspect, plan.fps, plan.look.name) == ("phonk", 30, "16:9", 24, "warm")
    assert {s.rhythm for s in plan.sections} == {"every_2_bars"}
    assert all(s.transition is not None and s.transition.name == "fade" for s in plan.sections)
    kinds = {e.kind for s in plan.sections for e in s.effects}
    assert kinds == {"flash", "zoom_punch"}  # the preset's, less the forbidden shake
    assert any("30 s from the request" in r for r in plan.reasons)


def test_preset_defaults_without_constraints() -> None:
    phonk = plan_edit("phonk edit")
    assert (phonk.aspect, phonk.duration, phonk.look.name) == ("9:16", 15.0, "dark")
    assert all(s.transition is None for s in phonk.sections)
    travel = plan_edit("travel video", default_duration=15.0)
    assert (travel.aspect, travel.duration, travel.look.name) == ("16:9", STYLE_PRESETS["travel"].duration, "warm")
    assert travel.sections[0].transition is not None and travel.sections[0].transition.name == "fade"
    assert plan_edit("an edit", default_duration=12.0).duration == 12.0


def test_no_transitions_and_no_effects_leave_every_section_bare() -> None:
    plan = plan_edit("wedding film, no transitions, no effects", make_music())
    assert len(plan.sections) > 1
    assert all(s.transition is None and s.effects == [] for s in plan.sections)


def test_phonk_plan_follows_the_music() -> None:
    music = make_music()  # beats every 0.5 s for 60 s, drop 30..45 s
    plan = plan_edit("15 s phonk edit", music)
    assert plan.music_start is not None and plan.music_start in music.downbeats
    offset = 30.0 - plan.music_start
    assert 0.25 * 15 <= offset <= 0.40 * 15  # the drop lands a quarter to 40 % into the reel
    drops = [s for s in plan.sections if s.rhythm == "every_beat"]
    assert len(drops) == 1 and drops[0].start == pytest.approx(offset) and drops[0].shots == "active"
    assert {e.kind for e in drops[0].effects} >= {"flash", "shake"}
    calm = [s for s in plan.sections if s is not drops[0]]
    assert calm and all(s.rhythm == "every_2_beats" for s in calm)
    assert all(e.on != "drops" for s in calm for e in s.effects)
    assert "drop" in drops[0].why and any("lands" in r for r in plan.reasons)


def test_explicit_rhythm_applies_to_every_section() -> None:
    plan = plan_edit("15 s phonk edit, cut on downbeats", make_music())
    assert len(plan.sections) > 1 and {s.rhythm for s in plan.sections} == {"downbeat"}
    assert all("'on downbeats'" in s.why for s in plan.sections)


def test_section_boundaries_snap_to_beats() -> None:
    sections = [Section(start=0, end=20.13, label="build", energy=0.4),
                Section(start=20.13, end=40.0, label="drop", energy=0.9),
                Section(start=40.0, end=60.0, label="outro", energy=0.3)]
    music = make_music(sections=sections, drops=[20.13])
    plan = plan_edit("20 s hype edit", music)
    assert len(plan.sections) > 1
    for section in plan.sections[1:]:
        assert min(abs(section.start + plan.music_start - b) for b in music.beats) < 1e-6
    (drop,) = [s for s in plan.sections if s.shots == "active" and s.rhythm == "every_beat"]
    assert drop.start + plan.music_start == pytest.approx(20.0)  # 20.13 moved to the beat at 20.0


def test_highest_energy_window_without_drops() -> None:
    sections = [Section(start=0, end=30, label="intro", energy=0.2),
                Section(start=30, end=50, label="break", energy=0.8),
                Section(start=50, end=60, label="outro", energy=0.2)]
    music = make_music(sections=sections, drops=[])
    plan = plan_edit("10 s travel video", music)
    assert 30.0 <= plan.music_start <= 40.0
    assert all(s.rhythm == "downbeat" for s in plan.sections)
    assert any("highest energy" in r for r in plan.reasons)


def test_no_music_gives_one_section_from_zero() -> None:
    plan = plan_edit("15 s phonk edit, flash on the drops")
    assert plan.music_start == 0.0 and len(plan.sections) == 1
    assert [e.on for e in plan.sections[0].effects] == ["drops"]  # the compiler finds the drops later


def test_music_without_beats_gives_one_section() -> None:
    silent = MusicAnalysis(path="s.wav", duration=60, tracker="t", tracker_licence="none", beats=[],
                           beat_positions=[], downbeats=[], tempo=0.0)
    plan = plan_edit("15 s vlog", silent)
    assert plan.music_start == 0.0 and len(plan.sections) == 1


def test_slow_motion_outside_drops_and_ramp_in_drops() -> None:
    plan = plan_edit("20 s travel video, slow motion, speed ramp", make_music())
    for section in plan.sections:
        if section.shots == "active":
            assert (section.speed, section.speed_ramp_to) == (1.5, 0.5)
        else:
            assert (section.speed, section.speed_ramp_to) == (0.5, None)


def test_text_overlays_in_the_plan() -> None:
    plan = plan_edit('10 s vlog, title "Rome", text "day one"')
    assert [(t.text, t.position, t.end) for t in plan.texts] == [("Rome", "center", 3.0), ("day one", "bottom", 10.0)]


PLANNING_PROMPTS = [
    "15 s phonk edit, flash on the drops", "AMV, 20 s, every beat", "hype, vertical", "travel video 45 s",
    "calm wedding film, 1 minute", "cinematic, glitch on the drops", "vlog 12 s", "sports montage 25 s",
    "lofi 8 s", "an edit", "Reisevideo, 40 Sekunden, Zeitlupe", "boda de 30 segundos, fundido",
    "voyage de 20 secondes, chaque mesure", "zoom punch on every beat in the drops, 30 s",
]


@pytest.mark.parametrize("prompt", PLANNING_PROMPTS)
@pytest.mark.parametrize("music_kind", ["none", "drop", "early_drop", "short", "sectionless"])
def test_plans_are_valid_and_tile_the_reel(prompt: str, music_kind: str) -> None:
    music = {
        "none": None,
        "drop": make_music(),
        "early_drop": make_music(sections=[Section(start=0, end=2, label="intro", energy=0.2),
                                           Section(start=2, end=20, label="drop", energy=0.9),
                                           Section(start=20, end=60, label="break", energy=0.3)]),
        "short": make_music(duration=12.0, sections=[Section(start=0, end=6, label="build", energy=0.4),
                                                     Section(start=6, end=12, label="drop", energy=0.9)]),
        "sectionless": make_music(sections=[], drops=[24.0, 48.0], energy=[]),
    }[music_kind]
    plan = plan_edit(prompt, music)
    EditPlan.model_validate_json(plan.model_dump_json())  # round-trips and re-validates
    assert plan.sections[0].start == 0.0 and plan.sections[-1].end == plan.duration
    for before, after in zip(plan.sections, plan.sections[1:]):
        assert before.end == after.start and after.end - after.start >= 1.0
    assert all(s.why for s in plan.sections) and len(plan.reasons) >= 5
    if music is not None and music.drops and music.duration > plan.duration:
        start = plan.music_start
        assert any(start <= d < start + plan.duration for d in music.drops)
    for section in plan.sections:
        if any(e.on == "drops" for e in section.effects) and music is not None:
            assert section.shots == "active"


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg not installed")
def test_glitch_expression_runs_in_ffmpeg_xfade() -> None:
    graph = (f"[0][1]xfade=transition=custom:duration=0.5:offset=0.25:expr='{GLITCH_XFADE_EXPR}',"
             "format=gray,signalstats,metadata=print:key=lavfi.signalstats.YAVG:file=-")
    result = subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i",
                             "color=white:s=64x64:d=1:r=10", "-f", "lavfi", "-i", "color=black:s=64x64:d=1:r=10",
                             "-filter_complex", graph, "-f", "null", "-"], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    levels = [float(line.split("=")[1]) for line in result.stdout.splitlines() if "YAVG" in line]
    # White before, black after, and some frame in between that is a mix of blocks of both.
    assert levels[0] > 200 and levels[-1] < 30
    assert any(30 < level < 220 for level in levels)


def test_request_constraints_are_frozen() -> None:
    request = parse_request("15 s")
    assert isinstance(request, RequestConstraints)
    with pytest.raises(AttributeError):
        request.duration = 3  # type: ignore[misc]


# ---------------------------------------------------------------- effect showcase


@pytest.fixture(scope="module")
def library():
    from agent.tools.library import BUNDLED, load_library

    return load_library([BUNDLED])[0]


def _plan_tools(plan: EditPlan) -> set[str]:
    ids = {t.tool for s in plan.sections for t in s.tools}
    return ids | {s.transition.name.removeprefix("glsl:") for s in plan.sections
                  if s.transition and s.transition.name.startswith("glsl:")}


def test_showcase_spreads_twenty_distinct_tools_glsl_and_ffmpeg(library) -> None:
    plan = plan_edit("15 s phonk edit, cuts on every beat, effect showcase, 9:16", make_music(), tools=library)
    ids = _plan_tools(plan)
    kinds = {library[i].spec.kind for i in ids}
    assert len(ids) >= 20 and {"glsl-effect", "ffmpeg-filter", "glsl-transition"} <= kinds
    assert any(library[i].spec.provenance.author in ("composition", "mutation") for i in ids)
    for section in plan.sections:  # the cut tools of a section take turns: one per cut, none twice
        turns = [t for t in section.tools if t.on == "cuts"]
        assert sorted(t.offset for t in turns) == list(range(len(turns)))
        assert {t.every for t in turns} == {len(turns)}
    assert any("effect showcase" in r for r in plan.reasons)
    again = plan_edit("15 s phonk edit, cuts on every beat, effect showcase, 9:16", make_music(), tools=library)
    assert again == plan  # deterministic


def test_showcase_respects_hard_cuts_and_refuses_no_effects(library) -> None:
    plan = plan_edit("15 s edit, show all the effects, hard cuts only", make_music(), tools=library)
    assert all(s.transition is None for s in plan.sections)
    assert len({t.tool for s in plan.sections for t in s.tools}) >= 15
    with pytest.raises(PlanError, match="showcase"):
        plan_edit("effect showcase with no effects", make_music(), tools=library)
    without = plan_edit("15 s effect showcase", make_music())
    assert any("no tool library was given" in r for r in without.reasons)
