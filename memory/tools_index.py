"""Search the tool library by meaning: a ChromaDB index over tool manifests.

The manifests are the source of truth; this index is derived from them and lives in
`<workspace>/memory/chroma`. `sync` brings it up to date (embedding only new or changed tools),
`rebuild` drops it and embeds every tool again. A hit's score is the cosine similarity of the
query and the tool's document under all-MiniLM-L6-v2: 1 is the same meaning, about 0 unrelated
(it can dip slightly below 0; related tools here score roughly 0.3-0.7).
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self, get_args

from agent.errors import ReelwrightError
from agent.tools.spec import ToolKind, ToolSpec

if TYPE_CHECKING:
    from chromadb.api import ClientAPI
    from chromadb.api.models.Collection import Collection

COLLECTION = "tools"
DOCUMENT_FORMAT = 1  # bump when tool_document changes, so every tool is embedded again
REINDEX_HINT = "run `reelwright tools reindex` to rebuild it from the manifests"
_BATCH = 1000
_KIND_WORDS: dict[str, str] = {
    "glsl-transition": "transition between two shots (GLSL shader)",
    "glsl-effect": "effect on the picture (GLSL shader)",
    "ffmpeg-filter": "effect on the picture (FFmpeg filter)",
    "ffmpeg-transition": "transition between two shots (FFmpeg filter)",
}


class ToolIndexError(ReelwrightError):
    """The tool index cannot be read or written, or a search was asked wrongly."""


@dataclass(frozen=True)
class Hit:
    id: str
    kind: str
    score: float  # cosine similarity of query and tool document, see the module docstring
    description: str


@dataclass(frozen=True)
class SyncReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0
    note: str = ""  # why the whole index was rebuilt, when it was

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)


def index_dir(workspace: Path) -> Path:
    return Path(workspace) / "memory" / "chroma"


def _words(name: str) -> str:
    return name.replace("-", " ").replace("_", " ")


def tool_document(spec: ToolSpec) -> str:
    """The text that is embedded for a tool: what a person would search for."""
    lines = [f"{_words(spec.id)}: {spec.description}", f"Kind: {_KIND_WORDS[spec.kind]}."]
    if spec.tags:
        lines.append(f"Tags: {', '.join(spec.tags)}.")
    if spec.params:
        lines.append(f"Parameters: {', '.join(_words(p.name) for p in spec.params)}.")
    return "\n".join(lines)


def _metadata(spec: ToolSpec, embedder: str) -> dict[str, str]:
    document = tool_document(spec)
    meta = {"kind": spec.kind, "author": spec.provenance.author, "source_hash": spec.source_hash,
            "description": spec.description}
    payload = json.dumps({"document": document, "meta": meta, "embedder": embedder, "format": DOCUMENT_FORMAT},
                         sort_keys=True)
    return {**meta, "fingerprint": hashlib.sha256(payload.encode()).hexdigest()}


def _forget_failed_system(folder: Path) -> None:
    """Chroma 1.5 caches a client system per path even when starting it failed, and hands that
    broken system to every later client of the path in this process; drop it so a rebuild works."""
    from chromadb.api.shared_system_client import SharedSystemClient

    SharedSystemClient._identifier_to_system.pop(str(folder), None)


class ToolIndex:
    """A persistent index in `folder`. Opened on first use; `close()` (or `with`) releases it."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self._client: ClientAPI | None = None

    @classmethod
    def for_workspace(cls, workspace: Path) -> ToolIndex:
        return cls(index_dir(workspace))

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def _open(self) -> ClientAPI:
        if self._client is None:
            import chromadb
            from chromadb.config import Settings

            try:
                self.folder.mkdir(parents=True, exist_ok=True)
                self._client = chromadb.PersistentClient(path=str(self.folder),
                                                         settings=Settings(anonymized_telemetry=False))
            except Exception as exc:  # Chroma raises its own errors, sqlite's and OS errors here
                _forget_failed_system(self.folder)
                raise ToolIndexError(f"{self.folder}: the tool index cannot be opened ({exc}); {REINDEX_HINT}") from exc
        return self._client

    def _collection(self) -> Collection:
        from memory.embedder import MiniLMEmbeddingFunction, model_id

        client = self._open()
        return self._guard(lambda: client.get_or_create_collection(
            COLLECTION, embedding_function=MiniLMEmbeddingFunction(),  # type: ignore[arg-type]
            configuration={"hnsw": {"space": "cosine"}}, metadata={"embedder": model_id()}))

    def count(self) -> int:
        return self._guard(lambda: self._collection().count())

    def _guard(self, action: Callable[[], Any]) -> Any:
        """Run a Chroma call; a failure becomes an error that names the folder and the fix."""
        try:
            return action()
        except ReelwrightError:
            raise
        except Exception as exc:
            raise ToolIndexError(f"{self.folder}: the tool index cannot be read ({exc}); {REINDEX_HINT}") from exc

    def sync(self, specs: Iterable[ToolSpec]) -> SyncReport:
        """Add new tools, re-embed changed ones, delete removed ones; only reads when nothing changed."""
        from memory.embedder import model_id

        embedder = model_id()
        wanted = {spec.id: spec for spec in specs}
        collection = self._collection()
        if (collection.metadata or {}).get("embedder") != embedder:
            old = (collection.metadata or {}).get("embedder", "an unknown embedder")
            report = self.rebuild(wanted.values())
            return SyncReport(added=report.added, note=f"rebuilt: the index was made with {old}, not {embedder}")
        stored = self._guard(lambda: collection.get(include=["metadatas"]))
        have = {id_: (meta or {}).get("fingerprint") for id_, meta in zip(stored["ids"], stored["metadatas"] or [])}
        metas = {id_: _metadata(spec, embedder) for id_, spec in wanted.items()}
        added = sorted(i for i in wanted if i not in have)
        updated = sorted(i for i in wanted if i in have and have[i] != metas[i]["fingerprint"])
        removed = sorted(i for i in have if i not in wanted)
        if removed:
            self._guard(lambda: collection.delete(ids=removed))
        self._upsert(collection, [wanted[i] for i in added + updated], metas)
        return SyncReport(added=added, updated=updated, removed=removed,
                          unchanged=len(wanted) - len(added) - len(updated))

    def _upsert(self, collection: Collection, specs: list[ToolSpec], metas: dict[str, dict[str, str]]) -> None:
        for start in range(0, len(specs), _BATCH):
            batch = specs[start:start + _BATCH]
            ids = [s.id for s in batch]
            self._guard(partial(collection.upsert, ids=ids, documents=[tool_document(s) for s in batch],
                                metadatas=[metas[i] for i in ids]))

    def rebuild(self, specs: Iterable[ToolSpec]) -> SyncReport:
        """Drop the index and embed every tool again; works on an index that cannot be read."""
        from memory.embedder import model_id

        wanted = {spec.id: spec for spec in specs}
        try:
            client = self._open()
            if any(c.name == COLLECTION for c in client.list_collections()):
                client.delete_collection(COLLECTION)
        except Exception:  # noqa: BLE001 (whatever the damage: the folder holds only derived data)
            self.close()
            if self.folder.is_dir():
                shutil.rmtree(self.folder)
            elif self.folder.exists():
                self.folder.unlink()
        collection = self._collection()
        metas = {id_: _metadata(spec, model_id()) for id_, spec in wanted.items()}
        self._upsert(collection, list(wanted.values()), metas)
        return SyncReport(added=sorted(metas))

    def search(self, text: str, n: int = 5, kind: str | None = None) -> list[Hit]:
        """The `n` tools closest in meaning to `text`, best first, optionally of one kind."""
        if not text.strip():
            raise ToolIndexError("the search text is empty")
        if n < 1:
            raise ToolIndexError(f"the number of results must be at least 1, got {n}")
        if kind is not None and kind not in get_args(ToolKind):
            raise ToolIndexError(f"unknown tool kind {kind!r}; one of {', '.join(get_args(ToolKind))}")
        collection = self._collection()
        size = self._guard(collection.count)
        if size == 0:
            return []
        result = self._guard(lambda: collection.query(query_texts=[text], n_results=min(n, size),
                                                      where={"kind": kind} if kind else None,
                                                      include=["metadatas", "distances"]))
        metas = (result["metadatas"] or [[]])[0]
        distances = (result["distances"] or [[]])[0]
        return [Hit(id=id_, kind=str(meta["kind"]), score=1.0 - float(distance), description=str(meta["description"]))
                for id_, meta, distance in zip(result["ids"][0], metas, distances)]
