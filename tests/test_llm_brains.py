"""The language-model brains on a real model: the embedded llama brain with the packaged Gemma 3
270M GGUF, and the openai brain against a real `python -m llama_cpp.server` on loopback."""

from __future__ import annotations

import socket
import subprocess
import sys
import time

import httpx
import pytest

from agent.brain.base import BrainError
from agent.brain.draft import PlanDraft, draft_schema
from agent.brain.llama import LlamaBrain, default_model, render_prompt
from agent.brain.openai_compat import OpenAIBrain
from agent.brain.planner import example_messages, plan_with_brain

PROMPTS = ("15 s phonk edit, hard cuts on every beat, 9:16", "a calm 30 second travel video with crossfades",
           "vídeo de 20 segundos, cuadrado, cortes en cada tiempo")


@pytest.fixture(scope="module")
def gguf(tmp_path_factory):
    return default_model(tmp_path_factory.mktemp("models"))


def test_the_packaged_model_is_assembled_once_and_atomically(gguf):
    assert gguf.stat().st_size > 200_000_000 and gguf.read_bytes()[:4] == b"GGUF"
    assert default_model(gguf.parent.parent) == gguf  # found, not rebuilt
    assert not list(gguf.parent.glob("*.partial-*"))


def test_messages_become_a_few_shot_text_for_a_base_model():
    text = render_prompt([*example_messages(), {"role": "user", "content": "a hype reel"}])
    assert text.startswith("Write the edit plan") and text.endswith("Request: a hype reel\nPlan: ")
    assert text.count("Plan: {") == 4


def test_the_llama_brain_writes_schema_valid_drafts(gguf, tmp_path):
    brain = LlamaBrain(gguf, workspace=tmp_path)
    for prompt in PROMPTS:
        result = plan_with_brain(prompt, brain=brain)
        assert result.info["fell_back"] is False, result.info
        PlanDraft.model_validate(result.info["draft"])
        assert result.info["seconds"] > 0 and result.info["last_call"]["completion_tokens"] > 10
        asked = {"15 s": 15, "30 second": 30, "20 segundos": 20}
        assert any(k in prompt and result.plan.duration == v for k, v in asked.items())  # the request decides
    assert brain.stats.calls >= len(PROMPTS)


def test_a_missing_gguf_is_a_clear_error(tmp_path):
    brain = LlamaBrain(tmp_path / "nope.gguf", workspace=tmp_path)
    with pytest.raises(BrainError, match="nope.gguf"):
        brain.complete([{"role": "user", "content": "x"}])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def llama_server(gguf, tmp_path_factory):
    port = _free_port()
    log = tmp_path_factory.mktemp("server") / "server.log"  # a file: llama.cpp's load log would fill a pipe
    with log.open("w") as sink:
        proc = subprocess.Popen([sys.executable, "-m", "llama_cpp.server", "--model", str(gguf), "--host",
                                 "127.0.0.1", "--port", str(port), "--n_ctx", "2048", "--n_threads", "2"],
                                stdout=sink, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/v1"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"llama_cpp.server exited: {log.read_text()[-2000:]}")
        try:
            if httpx.get(f"{url}/models", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.5)
    else:
        proc.kill()
        pytest.fail("llama_cpp.server did not answer within 120 s")
    yield url
    proc.terminate()
    proc.wait(timeout=30)


def test_openai_brain_against_a_real_llama_cpp_server(llama_server):
    brain = OpenAIBrain(llama_server, "gemma", server="llamacpp")
    messages = [*example_messages(), {"role": "user", "content": PROMPTS[0]}]
    answer = brain.complete_json(messages, draft_schema())
    PlanDraft.model_validate(answer)  # json_object + schema: constrained by the server
    assert brain.stats.last["completion_tokens"] > 5
    result = plan_with_brain(PROMPTS[1], brain=brain)
    assert result.info["name"] == "openai" and result.info["fell_back"] is False
    assert result.plan.duration == 30
    # the same server refuses vLLM's json_schema form: the switch per server kind is needed
    with pytest.raises(BrainError, match="HTTP"):
        OpenAIBrain(llama_server, "gemma", server="vllm").complete_json(messages, draft_schema())


def test_a_server_that_does_not_answer_falls_back_and_says_so():
    brain = OpenAIBrain(f"http://127.0.0.1:{_free_port()}/v1", server="vllm", timeout=3)
    result = plan_with_brain("10 s amv edit", brain=brain)
    assert result.info["fell_back"] and "does not answer" in result.info["fallback_reason"]
    assert result.plan.duration == 10
