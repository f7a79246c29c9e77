"""CLIP-style text-video similarity for the prompt score, when a local checkpoint is configured.

Two checkpoint layouts load, both into transformers' CLIPModel (open_clip itself needs
torchvision, whose PyPI builds do not import beside the pinned CPU torch here):
- an open_clip folder: `open_clip_config.json` (its `model_cfg`, `preprocess_cfg`) with
  `open_clip_pytorch_model.bin` or `open_clip_model.safetensors`, and the tokenizer's `vocab.json`
  + `merges.txt` (the layout of the LAION checkpoints). ViT image towers with open_clip's own
  text tower; the weights are mapped onto CLIPModel's names;
- a transformers CLIP folder (`config.json` of model_type "clip", weights, tokenizer files).

The similarity is the cosine between the request's text embedding and the mean of the
embeddings of frames sampled evenly through the reel; the score is CLIPScore's 2.5 * max(cos, 0)
(Hessel et al. 2021), clamped to [0, 1].
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from agent.config import CLIP_ENV
from agent.critic.scorecard import clamp01
from agent.errors import ReelwrightError

FRAMES = 8
CLIPSCORE_W = 2.5
OPENAI_MEAN = (0.48145466, 0.4578275, 0.40821073)
OPENAI_STD = (0.26862954, 0.26130258, 0.27577711)
_OPEN_CLIP_WEIGHTS = ("open_clip_model.safetensors", "open_clip_pytorch_model.bin")
# open_clip options with no CLIPModel equivalent: a checkpoint using one is refused by name.
_UNSUPPORTED = {"vision_cfg": ("timm_model_name", "attentional_pool", "no_ln_pre", "final_ln_after_pool",
                               "output_tokens", "patch_dropout_rate"),
                "text_cfg": ("hf_model_name", "no_causal_mask", "pool_type", "proj_bias", "embed_cls")}


class ClipError(ReelwrightError):
    """A configured CLIP checkpoint cannot be loaded."""

    def __init__(self, path: str | Path, problem: str):
        super().__init__(f"{path}: {problem} (point {CLIP_ENV} or --clip at an open_clip or transformers CLIP "
                         "folder, or unset it to score without CLIP)")


@dataclass(frozen=True)
class ClipSimilarity:
    cosine: float
    frames: int
    checkpoint: str
    seconds: float

    @property
    def score(self) -> float:
        return clamp01(CLIPSCORE_W * self.cosine)


@dataclass(frozen=True)
class ClipModel:
    model: object  # transformers CLIPModel, eval mode
    tokenizer: object
    image_size: int
    mean: tuple[float, float, float]
    std: tuple[float, float, float]
    context_length: int
    path: str


def _config_from_open_clip(cfg: dict, path: Path):
    from transformers import CLIPConfig

    model_cfg = cfg.get("model_cfg", cfg)
    vision, text = model_cfg.get("vision_cfg", {}), model_cfg.get("text_cfg", {})
    for part, keys in _UNSUPPORTED.items():
        used = [k for k in keys if model_cfg.get(part, {}).get(k)]
        if used:
            raise ClipError(path, f"uses open_clip options {used} in {part}, which CLIPModel cannot represent")
    if not isinstance(vision.get("layers"), int) or "patch_size" not in vision:
        raise ClipError(path, "is not a ViT image tower (ResNet and timm towers are not supported)")
    act = "quick_gelu" if model_cfg.get("quick_gelu") else "gelu"
    v_width, t_width = int(vision.get("width", 768)), int(text.get("width", 512))
    vocab = int(text.get("vocab_size", 49408))
    return CLIPConfig(
        projection_dim=int(model_cfg["embed_dim"]),
        vision_config=dict(hidden_size=v_width, num_hidden_layers=vision["layers"],
                           num_attention_heads=v_width // int(vision.get("head_width", 64)),
                           intermediate_size=int(v_width * float(vision.get("mlp_ratio", 4.0))),
                           image_size=int(vision.get("image_size", 224)), patch_size=int(vision["patch_size"]),
                           hidden_act=act, layer_norm_eps=1e-5),
        text_config=dict(hidden_size=t_width, num_hidden_layers=int(text.get("layers", 12)),
                         num_attention_heads=int(text.get("heads", 8)),
                         intermediate_size=int(t_width * float(text.get("mlp_ratio", 4.0))),
                         max_position_embeddings=int(text.get("context_length", 77)), vocab_size=vocab,
                         hidden_act=act, layer_norm_eps=1e-5,
                         # open_clip pools at the highest token id, the end-of-text token
                         bos_token_id=vocab - 2, eos_token_id=vocab - 1, pad_token_id=0))


def open_clip_to_clipmodel(state: dict, layers: tuple[int, int]) -> dict:
    """open_clip's (OpenAI-layout) ViT CLIP state dict under transformers CLIPModel's names.
    `layers` = (vision layers, text layers)."""
    out = {"logit_scale": state["logit_scale"],
           "text_model.embeddings.token_embedding.weight": state["token_embedding.weight"],
           "text_model.embeddings.position_embedding.weight": state["positional_embedding"],
           "text_model.final_layer_norm.weight": state["ln_final.weight"],
           "text_model.final_layer_norm.bias": state["ln_final.bias"],
           "text_projection.weight": state["text_projection"].T.contiguous(),
           "vision_model.embeddings.class_embedding": state["visual.class_embedding"],
           "vision_model.embeddings.patch_embedding.weight": state["visual.conv1.weight"],
           "vision_model.embeddings.position_embedding.weight": state["visual.positional_embedding"],
           "vision_model.pre_layrnorm.weight": state["visual.ln_pre.weight"],  # sic: transformers' name
           "vision_model.pre_layrnorm.bias": state["visual.ln_pre.bias"],
           "vision_model.post_layernorm.weight": state["visual.ln_post.weight"],
           "vision_model.post_layernorm.bias": state["visual.ln_post.bias"],
           "visual_projection.weight": state["visual.proj"].T.contiguous()}
    names = {"ln_1": "layer_norm1", "ln_2": "layer_norm2", "mlp.c_fc": "mlp.fc1", "mlp.c_proj": "mlp.fc2",
             "attn.out_proj": "self_attn.out_proj"}
    for tower, src, count in (("vision_model", "visual.transformer", layers[0]), ("text_model", "transformer", layers[1])):
        for i in range(count):
            a, b = f"{src}.resblocks.{i}", f"{tower}.encoder.layers.{i}"
            for old, new in names.items():
                for p in ("weight", "bias"):
                    out[f"{b}.{new}.{p}"] = state[f"{a}.{old}.{p}"]
            for p in ("weight", "bias"):
                q, k, v = state[f"{a}.attn.in_proj_{p}"].chunk(3, dim=0)
                for name, part in (("q_proj", q), ("k_proj", k), ("v_proj", v)):
                    out[f"{b}.self_attn.{name}.{p}"] = part.contiguous()
    return out


def _load_weights(path: Path) -> dict:
    import torch

    if path.suffix == ".safetensors":
        from safetensors.torch import load_file

        return load_file(str(path))
    state = torch.load(str(path), map_location="cpu", weights_only=True)
    return state.get("state_dict", state) if isinstance(state, dict) else state


def _strip_module(state: dict) -> dict:
    return {k.removeprefix("module."): v for k, v in state.items()}


def _tokenizer(folder: Path):
    from transformers import CLIPTokenizer

    try:
        return CLIPTokenizer.from_pretrained(str(folder), local_files_only=True)
    except (OSError, ValueError) as exc:
        raise ClipError(folder, f"its tokenizer files do not load: {exc}") from exc


def _load_open_clip(folder: Path) -> ClipModel:
    from transformers import CLIPModel

    try:
        cfg = json.loads((folder / "open_clip_config.json").read_text())
    except json.JSONDecodeError as exc:
        raise ClipError(folder / "open_clip_config.json", f"is not valid JSON: {exc}") from exc
    config = _config_from_open_clip(cfg, folder)
    weights = next((folder / name for name in _OPEN_CLIP_WEIGHTS if (folder / name).exists()), None)
    if weights is None:
        raise ClipError(folder, f"has open_clip_config.json but none of {', '.join(_OPEN_CLIP_WEIGHTS)}")
    if not ((folder / "vocab.json").exists() and (folder / "merges.txt").exists()):
        raise ClipError(folder, "has no tokenizer (vocab.json and merges.txt beside the weights)")
    model = CLIPModel(config)
    state = _strip_module(_load_weights(weights))
    try:
        mapped = open_clip_to_clipmodel(state, (config.vision_config.num_hidden_layers,
                                                config.text_config.num_hidden_layers))
        missing, unexpected = model.load_state_dict(mapped, strict=False)
    except (KeyError, RuntimeError) as exc:
        raise ClipError(weights, f"does not match its open_clip_config.json: {exc}") from exc
    missing = [k for k in missing if not k.endswith("position_ids")]
    if missing:
        raise ClipError(weights, f"lacks weights for {missing[:3]}")
    pre = cfg.get("preprocess_cfg", {})
    return ClipModel(model=model.eval(), tokenizer=_tokenizer(folder), image_size=config.vision_config.image_size,
                     mean=tuple(pre.get("mean", OPENAI_MEAN)), std=tuple(pre.get("std", OPENAI_STD)),
                     context_length=config.text_config.max_position_embeddings, path=str(folder))


def _load_transformers(folder: Path) -> ClipModel:
    from transformers import CLIPModel

    try:
        model = CLIPModel.from_pretrained(str(folder), local_files_only=True)
    except (OSError, ValueError) as exc:
        raise ClipError(folder, f"cannot be loaded as a transformers CLIP model: {exc}") from exc
    pre_file = folder / "preprocessor_config.json"
    pre = json.loads(pre_file.read_text()) if pre_file.exists() else {}
    return ClipModel(model=model.eval(), tokenizer=_tokenizer(folder), image_size=model.config.vision_config.image_size,
                     mean=tuple(pre.get("image_mean", OPENAI_MEAN)), std=tuple(pre.get("image_std", OPENAI_STD)),
                     context_length=model.config.text_config.max_position_embeddings, path=str(folder))


@lru_cache(maxsize=2)
def _load_cached(folder: str, mtime: float) -> ClipModel:
    path = Path(folder)
    if (path / "open_clip_config.json").exists():
        return _load_open_clip(path)
    config = path / "config.json"
    if config.exists() and json.loads(config.read_text()).get("model_type") == "clip":
        return _load_transformers(path)
    raise ClipError(path, "holds neither open_clip_config.json nor a transformers CLIP config.json")


def load_clip(path: str | Path) -> ClipModel:
    """Load (once per process and version of the folder) the CLIP checkpoint in `path`: a folder,
    or a weights file inside one."""
    path = Path(path).expanduser()
    if not path.exists():
        raise ClipError(path, "does not exist")
    folder = path if path.is_dir() else path.parent
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    return _load_cached(str(folder.resolve()), folder.stat().st_mtime)


def sample_frames(video: str | Path, duration: float, count: int = FRAMES) -> list[np.ndarray]:
    """RGB frames (uint8 HxWx3) at the middles of `count` equal parts of the reel, decoded in
    one sequential pass that stops after the last."""
    import av

    targets = [(i + 0.5) / count * duration for i in range(count)]
    frames: list[np.ndarray] = []
    with av.open(str(video)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        base = float(stream.time_base)
        for frame in container.decode(stream):
            t = (frame.pts or 0) * base
            while len(frames) < count and t + 1e-6 >= targets[len(frames)]:
                frames.append(frame.to_ndarray(format="rgb24"))
            if len(frames) == count:
                break
    return frames


def _pixels(frames: list[np.ndarray], clip: ClipModel):
    """CLIP's preprocessing: shortest side to the model's size (bicubic), centre crop, normalise."""
    import cv2
    import torch

    size = clip.image_size
    out = []
    for rgb in frames:
        h, w = rgb.shape[:2]
        scale = size / min(h, w)
        nw, nh = max(size, round(w * scale)), max(size, round(h * scale))
        resized = cv2.resize(rgb, (nw, nh), interpolation=cv2.INTER_CUBIC)
        top, left = (nh - size) // 2, (nw - size) // 2
        crop = resized[top:top + size, left:left + size].astype(np.float32) / 255.0
        out.append((crop - np.asarray(clip.mean, np.float32)) / np.asarray(clip.std, np.float32))
    return torch.from_numpy(np.stack(out)).permute(0, 3, 1, 2).contiguous()


def _token_ids(text: str, clip: ClipModel):
    import torch

    ids = clip.tokenizer(text)["input_ids"]
    if len(ids) > clip.context_length:  # keep the end-of-text token: the text is pooled there
        ids = ids[:clip.context_length - 1] + ids[-1:]
    return torch.tensor([ids])


def embed(clip: ClipModel, frames: list[np.ndarray], text: str) -> tuple[np.ndarray, np.ndarray]:
    """Unit-length embeddings: (frames, dim) for the images, (dim,) for the text."""
    import torch

    with torch.inference_mode():
        images = clip.model.get_image_features(pixel_values=_pixels(frames, clip))
        words = clip.model.get_text_features(input_ids=_token_ids(text, clip))
    images = getattr(images, "pooler_output", images)  # transformers 5 may return an output object
    words = getattr(words, "pooler_output", words)
    images = torch.nn.functional.normalize(images.float(), dim=-1).numpy()
    words = torch.nn.functional.normalize(words.float(), dim=-1).numpy()[0]
    return images, words


def clip_similarity(video: str | Path, text: str, duration: float, checkpoint: str | Path) -> ClipSimilarity:
    started = time.monotonic()
    clip = load_clip(checkpoint)
    frames = sample_frames(video, duration)
    if not frames:
        raise ClipError(video, "no frame decoded for the CLIP similarity")
    images, words = embed(clip, frames, text)
    mean = images.mean(axis=0)
    cosine = float(mean @ words / max(1e-8, float(np.linalg.norm(mean))))
    return ClipSimilarity(cosine=round(cosine, 5), frames=len(frames), checkpoint=clip.path,
                          seconds=round(time.monotonic() - started, 3))
