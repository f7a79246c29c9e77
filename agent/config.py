"""One Settings dataclass for a run: where things are written and which backends are used."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

BEAT_TRACKERS = ("madmom", "librosa")


def _default_workspace() -> Path:
    return Path(os.environ.get("REELWRIGHT_WORKSPACE", Path.cwd() / ".reelwright"))


@dataclass(frozen=True)
class Settings:
    workspace: Path = field(default_factory=_default_workspace)
    # madmom (most accurate here, models CC BY-NC-SA) or librosa (ISC, permissive).
    beat_tracker: str = field(default_factory=lambda: os.environ.get("REELWRIGHT_BEAT_TRACKER", "madmom"))
    # a local open_clip or transformers CLIP checkpoint folder: the critic adds a text-video
    # similarity to its prompt score (agent/critic/clip.py); None: no CLIP score
    clip_checkpoint: Path | None = field(default_factory=lambda: os.environ.get("REELWRIGHT_CLIP_CHECKPOINT") or None)
    x264_preset: str = "superfast"
    preview_height: int = 360

    def __post_init__(self) -> None:
        object.__setattr__(self, "workspace", Path(self.workspace))
        if self.clip_checkpoint is not None:
            object.__setattr__(self, "clip_checkpoint", Path(self.clip_checkpoint))
        if self.beat_tracker not in BEAT_TRACKERS:
            raise ValueError(f"beat_tracker must be one of {BEAT_TRACKERS}, got {self.beat_tracker!r}")

    @property
    def cache_dir(self) -> Path:
        return self.workspace / "cache"
