"""`reelwright brain serve`: the production brain, vLLM serving a mixture-of-experts model with
LoRA adapters hot-loadable (`--enable-lora`), reached by the openai brain
(`--brain openai`, REELWRIGHT_OPENAI_SERVER=vllm). GPU only; where something is missing the
command says what, and prints the command line it would run."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess

MOE_MODELS = {"mixtral": "mistralai/Mixtral-8x7B-Instruct-v0.1", "deepseek": "deepseek-ai/DeepSeek-V2-Lite-Chat"}


def vllm_command(model: str = "mixtral", *, port: int = 8000, loras: dict[str, str] | None = None,
                 tensor_parallel: int = 1, max_lora_rank: int = 16) -> list[str]:
    repo = MOE_MODELS.get(model, model)
    command = ["python", "-m", "vllm.entrypoints.openai.api_server", "--model", repo, "--host", "127.0.0.1",
               "--port", str(port), "--enable-lora", "--max-lora-rank", str(max_lora_rank),
               "--tensor-parallel-size", str(tensor_parallel)]
    if "deepseek" in repo.lower():
        command.append("--trust-remote-code")  # DeepSeek-V2's MoE layers ship as model code
    if loras:
        command += ["--lora-modules", *(f"{name}={path}" for name, path in loras.items())]
    return command


def missing_for_vllm() -> list[str]:
    """What this machine lacks to serve with vLLM (empty: it can)."""
    missing = []
    if importlib.util.find_spec("vllm") is None:
        missing.append("the vllm package (pip install vllm, on a machine with a CUDA GPU)")
    if shutil.which("nvidia-smi") is None or subprocess.run(["nvidia-smi", "-L"], capture_output=True).returncode:
        missing.append("an NVIDIA GPU with its driver (nvidia-smi finds none)")
    return missing
