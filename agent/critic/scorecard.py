"""The Scorecard: named scores in [0, 1], each with the evidence it was computed from, and a
total weighted per style."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Mapping

SCORE_NAMES = ("validity", "beat_sync", "pacing", "visual", "effects", "audio", "prompt")

_BASE = {"validity": 3.0, "beat_sync": 2.0, "pacing": 1.5, "visual": 2.0, "effects": 1.0, "audio": 1.0,
         "prompt": 1.5}
# Styles cut on the beat first; calm styles care more for the picture than for the beat.
STYLE_WEIGHTS: Mapping[str, Mapping[str, float]] = MappingProxyType({
    "default": MappingProxyType(_BASE),
    **{style: MappingProxyType({**_BASE, "beat_sync": 3.0, "pacing": 2.0})
       for style in ("phonk", "amv", "hype", "sport", "montage")},
    **{style: MappingProxyType({**_BASE, "beat_sync": 1.5, "visual": 2.5, "pacing": 1.0})
       for style in ("travel", "calm", "cinematic", "wedding", "vlog", "lofi")},
})


@dataclass(frozen=True)
class Score:
    name: str
    value: float  # 0 (bad) .. 1 (good)
    evidence: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)  # what lowered it, in words

    def __post_init__(self) -> None:
        if not 0.0 <= self.value <= 1.0:
            raise ValueError(f"score {self.name} = {self.value} is outside [0, 1]")


@dataclass(frozen=True)
class Scorecard:
    scores: dict[str, Score]
    style: str
    weights: dict[str, float]
    total: float

    @classmethod
    def weighted(cls, scores: list[Score], style: str | None) -> "Scorecard":
        style = style if style in STYLE_WEIGHTS else "default"
        weights = dict(STYLE_WEIGHTS[style])
        by_name = {s.name: s for s in scores}
        used = {name: weights[name] for name in by_name if name in weights}
        total = sum(by_name[n].value * w for n, w in used.items()) / sum(used.values())
        # An invalid reel is a failed reel, however good the rest: validity caps the total.
        total = min(total, by_name["validity"].value) if "validity" in by_name else total
        return cls(scores=by_name, style=style, weights=used, total=round(total, 4))

    def to_dict(self) -> dict[str, Any]:
        return {"total": self.total, "style": self.style, "weights": self.weights,
                "scores": {name: {"value": round(s.value, 4), "evidence": s.evidence, "problems": s.problems}
                           for name, s in self.scores.items()}}


def clamp01(x: float) -> float:
    return float(min(1.0, max(0.0, x)))
