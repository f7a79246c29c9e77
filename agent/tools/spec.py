"""ToolSpec: the manifest of a tool, the single source of truth about it.

A tool is a folder: `manifest.json` (this model), the source (`shader.glsl` or `filter.txt`),
`preview.gif` and `report.json` (the last validation). Search indexes and galleries are derived
from manifests and can be rebuilt at any time.
"""

from __future__ import annotations

import hashlib
import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

ToolKind = Literal["glsl-transition", "glsl-effect", "ffmpeg-filter", "ffmpeg-transition"]
ParamType = Literal["float", "int", "bool", "vec2", "vec3", "vec4"]
SOURCE_FILES: dict[str, str] = {"glsl-transition": "shader.glsl", "glsl-effect": "shader.glsl",
                                "ffmpeg-filter": "filter.txt", "ffmpeg-transition": "filter.txt"}
_SIZES = {"float": 1, "int": 1, "bool": 1, "vec2": 2, "vec3": 3, "vec4": 4}
_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{1,62}$")


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ParamSpec(_Spec):
    name: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    type: ParamType
    default: list[float]
    min: list[float] | None = None
    max: list[float] | None = None
    description: str = ""

    @model_validator(mode="after")
    def _consistent(self) -> "ParamSpec":
        size = _SIZES[self.type]
        for field_name in ("default", "min", "max"):
            value = getattr(self, field_name)
            if value is not None and len(value) != size:
                raise ValueError(f"{field_name} of {self.name} has {len(value)} numbers, a {self.type} needs {size}")
        if self.min is not None and self.max is not None:
            if any(lo > hi for lo, hi in zip(self.min, self.max)):
                raise ValueError(f"min of {self.name} is above its max")
            if any(not lo <= d <= hi for d, lo, hi in zip(self.default, self.min, self.max)):
                raise ValueError(f"default of {self.name} lies outside [min, max]")
        return self


class Provenance(_Spec):
    author: str  # "builtin", "imported", "mutation", or the brain that wrote it
    request: str = ""  # what was asked for, when a brain wrote it
    parents: list[str] = Field(default_factory=list)  # tool ids it was composed or mutated from
    origin: str = ""  # where an imported tool came from (path), or a licence note
    created: str = ""  # ISO date


class Validation(_Spec):
    ok: bool
    reason: str = ""
    checked: str = ""  # ISO time
    renderer: str = ""  # e.g. the GL renderer the shader was checked on
    ms_per_frame_720p: float | None = None
    sandbox: str = ""  # "bwrap", or "none: <why>" when the check could not be sandboxed


class Stats(_Spec):
    uses: int = 0
    critic_mean: float | None = None
    critic_n: int = 0


class ToolSpec(_Spec):
    id: str
    kind: ToolKind
    description: str = Field(min_length=3)
    tags: list[str] = Field(default_factory=list)
    params: list[ParamSpec] = Field(default_factory=list)
    provenance: Provenance
    validation: Validation | None = None
    stats: Stats = Field(default_factory=Stats)
    source_hash: str

    @field_validator("id")
    @classmethod
    def _slug(cls, value: str) -> str:
        if not _ID.match(value):
            raise ValueError("must be 2-63 characters of a-z, 0-9, '-' or '_', starting with a letter or digit")
        return value

    @property
    def source_file(self) -> str:
        return SOURCE_FILES[self.kind]

    def defaults(self) -> dict[str, float | list[float]]:
        return {p.name: (p.default[0] if len(p.default) == 1 else list(p.default)) for p in self.params}


def source_hash(source: str) -> str:
    return "sha256:" + hashlib.sha256(source.encode()).hexdigest()
