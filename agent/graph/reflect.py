"""Revise a plan from the critic's evidence: each rule reads one measured problem and changes the
one plan field that causes it. A rule that has nothing to change stays silent; when no rule
fires, the loop has nothing left to try and stops."""

from __future__ import annotations

from agent.timeline.plan import RHYTHM_BEATS, EditPlan, EffectRequest

TARGET_LUFS = -14.0
_BY_BEATS = sorted(RHYTHM_BEATS, key=RHYTHM_BEATS.get)  # every_beat ... phrase


def _nearest_rhythm(beats: float) -> str:
    return min(_BY_BEATS, key=lambda r: abs(RHYTHM_BEATS[r] - beats))


def _full_strength_flashes(section, on: str):
    """The section's flashes at full strength, or one on `on` where it has none."""
    effects = [e.model_copy(update={"intensity": 1.0}) if e.kind == "flash" else e for e in section.effects]
    if not any(e.kind == "flash" for e in effects):
        effects.append(EffectRequest(kind="flash", on=on, intensity=1.0))
    return section.model_copy(update={"effects": effects})


def reflect(plan: EditPlan, card: dict, request: str = "") -> tuple[EditPlan, list[str]]:
    """(the revised plan, what was changed and why); the same plan and [] when nothing applies.
    `card`: a Scorecard as `to_dict()` gives it. A rule whose change the plan already holds does
    not fire (re-cutting at the rhythm already planned cannot help), and nothing the request
    names in words is replaced."""
    from agent.brain.request import parse_request

    asked_for = parse_request(request) if request else None
    scores = card.get("scores", {})
    update: dict = {}
    notes: list[str] = []
    sections = [s.model_copy() for s in plan.sections]

    pacing = scores.get("pacing", {}).get("evidence", {})
    asked, seen = pacing.get("asked_beats_per_cut"), pacing.get("median_beats_per_cut")
    if asked and seen and not asked[0] / 1.25 <= seen <= asked[1] * 1.25:
        target = asked[0] if seen < asked[0] else asked[1]
        rhythm = _nearest_rhythm(target)
        if any(s.rhythm != rhythm for s in sections):
            sections = [s.model_copy(update={"rhythm": rhythm}) for s in sections]
            notes.append(f"pacing: a cut every {seen:g} beats was seen, {asked[0]:g}-{asked[1]:g} asked: "
                         f"every section cuts {rhythm}")

    broken = scores.get("effects", {}).get("evidence", {}).get("broken") or []
    named = bool(asked_for and asked_for.transitions)
    if broken and not named and any(s.transition is not None and s.transition.name != "fade" for s in sections):
        names = sorted({b["name"] for b in broken})
        sections = [s.model_copy(update={"transition": s.transition.model_copy(update={"name": "fade", "expr": None})})
                    if s.transition is not None and s.transition.name != "fade" else s for s in sections]
        notes.append(f"effects: {len(broken)} transition(s) showed blank or garbled frames ({', '.join(names)}): "
                     "crossfades instead")

    missed = [a for a in scores.get("effects", {}).get("evidence", {}).get("flash_asks") or [] if a["hit_share"] < 0.75]
    if missed:
        ask = missed[0]
        on = ask["asked"].split()[1] if ask["asked"].startswith("on ") else "beats"
        sections = [_full_strength_flashes(s, on if on in ("beats", "downbeats", "drops", "cuts") else "beats")
                    for s in sections]
        notes.append(f"effects: flashes asked {ask['asked']}, {ask['hit']} of {ask['expected']} seen: "
                     "full-strength flashes there")

    audio = scores.get("audio", {}).get("evidence", {})
    lufs = audio.get("lufs")
    if lufs is not None and abs(lufs - TARGET_LUFS) > 2.0:
        target = min(-5.0, max(-40.0, plan.loudness_lufs + (TARGET_LUFS - lufs)))
        update["loudness_lufs"] = round(target, 2)
        notes.append(f"audio: {lufs:.1f} LUFS measured: normalise to {target:.1f} so it lands at {TARGET_LUFS:g}")
    if audio.get("abrupt_start") and plan.audio_fade_in < 0.05:
        update["audio_fade_in"] = 0.05
        notes.append("audio: starts abruptly: a 50 ms fade-in")
    if audio.get("abrupt_end") and plan.audio_fade_out < 1.0:
        update["audio_fade_out"] = 1.0
        notes.append("audio: stops abruptly: a 1 s fade-out")

    if not notes:
        return plan, []
    update["sections"] = [s.model_dump() for s in sections]
    update["reasons"] = [*plan.reasons, *(f"reflection: {n}" for n in notes)]
    return EditPlan.model_validate({**plan.model_dump(), **update}), notes
