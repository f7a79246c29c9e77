"""One Settings dataclass for a run: where things are written and which backends are used."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

BEAT_TRACKERS = ("madmom", "librosa")
BRAINS = ("rules", "llama", "openai")
CLIP_ENV = "REELWRIGHT_CLIP_CHECKPOINT"


def _default_workspace() -> Path:
    return Path(os.environ.get("REELWRIGHT_WORKSPACE", Path.cwd() / ".reelwright"))


@dataclass(frozen=True)
class Settings:
    workspace: Path = field(default_factory=_default_workspace)
    # madmom (most accurate here, models CC BY-NC-SA) or librosa (ISC, permissive).
    beat_tracker: str = field(default_factory=lambda: os.environ.get("REELWRIGHT_BEAT_TRACKER", "madmom"))
    # a local open_clip or transformers CLIP checkpoint folder: the critic adds a text-video
    # similarity to its prompt score (agent/critic/clip.py); None: no CLIP score
    clip_checkpoint: Path | None = field(default_factory=lambda: os.environ.get(CLIP_ENV) or None)
    # which brain plans (agent/brain/): rules (deterministic, the default), llama (embedded GGUF), or
    # openai (an OpenAI-compatible server: vLLM, llama.cpp's server)
    brain: str = field(default_factory=lambda: os.environ.get("REELWRIGHT_BRAIN", "rules"))
    llama_model: Path | None = field(default_factory=lambda: os.environ.get("REELWRIGHT_LLAMA_MODEL") or None)
    openai_url: str = field(default_factory=lambda: os.environ.get("REELWRIGHT_OPENAI_URL", "http://127.0.0.1:8000/v1"))
    openai_model: str = field(default_factory=lambda: os.environ.get("REELWRIGHT_OPENAI_MODEL", "default"))
    openai_server: str = field(default_factory=lambda: os.environ.get("REELWRIGHT_OPENAI_SERVER", "vllm"))
    x264_preset: str = "superfast"
    preview_height: int = 360

    def __post_init__(self) -> None:
        object.__setattr__(self, "workspace", Path(self.workspace))
        if self.brain not in BRAINS:
            raise ValueError(f"brain must be one of {BRAINS}, got {self.brain!r}")
        if self.llama_model is not None:
            object.__setattr__(self, "llama_model", Path(self.llama_model))
        if self.clip_checkpoint is not None:
            object.__setattr__(self, "clip_checkpoint", Path(self.clip_checkpoint))
        if self.beat_tracker not in BEAT_TRACKERS:
            raise ValueError(f"beat_tracker must be one of {BEAT_TRACKERS}, got {self.beat_tracker!r}")

    @property
    def cache_dir(self) -> Path:
        return self.workspace / "cache"
