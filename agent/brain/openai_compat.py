"""The openai brain: any OpenAI-compatible chat server (vLLM, llama.cpp's server, OpenAI itself).

Structured output differs per server, behind one switch (`server`):
- "vllm" and "openai": `response_format = {"type": "json_schema", "json_schema": {...}}`;
- "llamacpp": `response_format = {"type": "json_object", "schema": ...}` (its server answers HTTP
  500 to json_schema).
"""

from __future__ import annotations

import time
from typing import Literal

from agent.brain.base import BrainError, BrainStats, Message, parse_json_object

ServerKind = Literal["vllm", "llamacpp", "openai"]
SERVER_KINDS: tuple[str, ...] = ("vllm", "llamacpp", "openai")


def response_format(server: str, schema: dict) -> dict:
    if server == "llamacpp":
        return {"type": "json_object", "schema": schema}
    return {"type": "json_schema", "json_schema": {"name": "answer", "schema": schema, "strict": True}}


class OpenAIBrain:
    name = "openai"

    def __init__(self, base_url: str, model: str = "default", *, server: str = "vllm", api_key: str | None = None,
                 timeout: float = 120.0, temperature: float = 0.0, max_tokens: int = 256, lora: str | None = None):
        if server not in SERVER_KINDS:
            raise BrainError(f"unknown server kind {server!r}: one of {', '.join(SERVER_KINDS)}")
        self.base_url = base_url.rstrip("/")
        self.model = lora or model  # vLLM serves a LoRA adapter under its own model name
        self.server, self.api_key, self.timeout = server, api_key, timeout
        self.temperature, self.max_tokens = temperature, max_tokens
        self.stats = BrainStats()

    def _chat(self, messages: list[Message], extra: dict) -> str:
        import httpx

        body = {"model": self.model, "messages": messages, "temperature": self.temperature,
                "max_tokens": self.max_tokens, **extra}
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        started = time.monotonic()
        try:
            response = httpx.post(f"{self.base_url}/chat/completions", json=body, headers=headers,
                                  timeout=self.timeout)
        except httpx.HTTPError as exc:
            raise BrainError(f"{self.base_url}: the {self.server} server does not answer ({exc}); is it running?") \
                from exc
        if response.status_code != 200:
            raise BrainError(f"{self.base_url}: HTTP {response.status_code} from the {self.server} server: "
                             f"{response.text[:200]}")
        data = response.json()
        usage = data.get("usage") or {}
        self.stats.add(time.monotonic() - started, usage.get("prompt_tokens", 0), usage.get("completion_tokens", 0))
        try:
            return data["choices"][0]["message"]["content"] or ""
        except (KeyError, IndexError, TypeError) as exc:
            raise BrainError(f"{self.base_url}: an answer without choices: {str(data)[:200]}") from exc

    def complete(self, messages: list[Message]) -> str:
        return self._chat(messages, {})

    def complete_json(self, messages: list[Message], schema: dict) -> dict:
        return parse_json_object(self._chat(messages, {"response_format": response_format(self.server, schema)}),
                                 self.name)
