"""Analyse music and clips, cached in the workspace by content hash.

The cache key is the file's content hash plus the analyser's name and version, so moving or
renaming a file keeps its analysis, and changing an analyser invalidates only its own entries.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from pydantic import BaseModel

from agent.config import Settings
from agent.errors import EmptyMediaError, MediaError
from agent.media.models import Analysis, ClipAnalysis, MediaInfo, MusicAnalysis
from agent.media.probe import probe

CACHE_VERSION = {"music": 3, "shots": 3}


class _ShotsEntry(BaseModel):
    clip: ClipAnalysis


def _cached(cache_dir: Path, key: str, model: type[BaseModel], compute: Callable[[], BaseModel]) -> BaseModel:
    path = cache_dir / f"{key}.json"
    if path.exists():
        try:
            return model.model_validate_json(path.read_text())
        except ValueError:
            path.unlink(missing_ok=True)  # stale or corrupt: recompute
    value = compute()
    cache_dir.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=cache_dir, prefix=".tmp-", suffix=".json")
    with os.fdopen(fd, "w") as fh:
        fh.write(value.model_dump_json())
    os.replace(tmp, path)
    return value


def analyze_music_file(path: str | Path, settings: Settings) -> MusicAnalysis:
    from agent.media.music import analyze_music

    path = Path(path)
    info = probe(path)
    if info.audio is None:
        raise MediaError(path, "has no audio stream", "pick a music file with sound")
    key = f"music-{settings.beat_tracker}-v{CACHE_VERSION['music']}-{info.content_hash}"
    result = _cached(settings.cache_dir, key, MusicAnalysis,
                     lambda: analyze_music(path, tracker=settings.beat_tracker))
    # The cache is keyed by content: report the path this run was given.
    return result.model_copy(update={"path": info.path})


def analyze_clip(path: str | Path, settings: Settings, info: MediaInfo | None = None) -> ClipAnalysis:
    from agent.media.shots import detect_shots

    path = Path(path)
    info = info or probe(path)
    if info.video is None:
        raise MediaError(path, "has no video stream", "pass video clips with --clips")
    key = f"shots-v{CACHE_VERSION['shots']}-{info.content_hash}"

    def compute() -> _ShotsEntry:
        warnings: list[str] = []
        shots, transitions = detect_shots(path, info, warnings)
        return _ShotsEntry(clip=ClipAnalysis(info=info, shots=shots, transitions=transitions, warnings=warnings))

    entry = _cached(settings.cache_dir, key, _ShotsEntry, compute)
    return entry.clip.model_copy(update={"info": info})


def analyze(music: str | Path, clips: list[str | Path], settings: Settings) -> Analysis:
    """Analyse the music and every clip. Empty clips are left out (and noted); any other
    unreadable file is an error naming it. The music is analysed in a second thread while the
    clips decode: both spend their time in native code that releases the GIL."""
    if not clips:
        raise MediaError("--clips", "no clips given", "pass at least one video clip")
    with ThreadPoolExecutor(max_workers=1) as pool:
        music_future = pool.submit(analyze_music_file, music, settings)
        try:
            analysed, notes = _analyze_clips(clips, settings)
        except BaseException:
            music_future.cancel()
            raise
        music_analysis = music_future.result()
    return Analysis(music=music_analysis, clips=analysed, notes=notes)


def _analyze_clips(clips: list[str | Path], settings: Settings) -> tuple[list[ClipAnalysis], list[str]]:
    analysed, notes = [], []
    for clip in clips:
        try:
            result = analyze_clip(clip, settings)
        except EmptyMediaError as exc:
            notes.append(f"left out {exc}")
            continue
        if not result.shots:
            notes.append(f"left out {clip}: no usable frames")
            continue
        # A clip that only partly decodes is used as far as it plays; the report says so.
        notes.extend(f"{clip}: {warning}; used the part that plays" for warning in result.warnings)
        analysed.append(result)
    if not analysed:
        raise MediaError(str(clips[0]) if len(clips) == 1 else "--clips", "no clip has usable video",
                         "pass clips that play")
    return analysed, notes


def analyze_file(path: str | Path, settings: Settings) -> dict:
    """Everything we know about one file, as plain JSON-ready data (for `reelwright analyze`)."""
    info = probe(path)
    out: dict = {"info": json.loads(info.model_dump_json())}
    if info.video is not None:
        out["clip"] = json.loads(analyze_clip(path, settings, info).model_dump_json(exclude={"info"}))
    if info.audio is not None and info.video is None:
        out["music"] = json.loads(analyze_music_file(path, settings).model_dump_json())
    return out
