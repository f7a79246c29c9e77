"""The critic's CLIP similarity on small randomly initialised checkpoints in both layouts it loads.

The open_clip layout is checked against a reference forward pass written here the way open_clip
builds its ViT CLIP (torch's MultiheadAttention on the packed in_proj weights, pre-norm blocks,
class-token and end-of-text pooling), so the weight mapping onto transformers' CLIPModel is
tested on numbers, not on names."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from agent.config import Settings
from agent.critic import critique
from agent.critic.clip import ClipError, clip_similarity, embed, load_clip, sample_frames
from conftest import ffmpeg

WIDTH, LAYERS, HEADS, EMBED, IMAGE, PATCH, CONTEXT = 32, 2, 2, 16, 32, 8, 16


def _byte_chars() -> list[str]:
    """The 256 printable stand-ins of byte-level BPE: printable Latin-1 bytes as themselves, the
    rest shifted past 255."""
    printable = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1), *range(ord("®"), ord("ÿ") + 1)]
    chars, extra = [], 0
    for b in range(256):
        if b in printable:
            chars.append(chr(b))
        else:
            chars.append(chr(256 + extra))
            extra += 1
    return chars


def _write_tokenizer(folder: Path) -> int:
    """A CLIP tokenizer with every byte, every byte ending a word, two merges and the two special
    tokens last (so end-of-text is the highest id, as in CLIP). Returns the vocabulary size."""
    chars = _byte_chars()
    merges = ["p h", "o n", "on k</w>", "ph onk</w>"]
    tokens = [*chars, *(c + "</w>" for c in chars), "ph", "on", "onk</w>", "phonk</w>",
              "<|startoftext|>", "<|endoftext|>"]
    (folder / "vocab.json").write_text(json.dumps({t: i for i, t in enumerate(tokens)}, ensure_ascii=False))
    (folder / "merges.txt").write_text("#version: 0.2\n" + "\n".join(merges) + "\n")
    return len(tokens)


class _Block(nn.Module):
    def __init__(self, width: int):
        super().__init__()
        self.ln_1, self.ln_2 = nn.LayerNorm(width), nn.LayerNorm(width)
        self.attn = nn.MultiheadAttention(width, HEADS, batch_first=True)
        self.mlp = nn.Sequential()
        self.mlp.add_module("c_fc", nn.Linear(width, 4 * width))
        self.mlp.add_module("gelu", nn.GELU())
        self.mlp.add_module("c_proj", nn.Linear(4 * width, width))

    def forward(self, x, mask=None):
        h = self.ln_1(x)
        x = x + self.attn(h, h, h, need_weights=False, attn_mask=mask)[0]
        return x + self.mlp(self.ln_2(x))


class _Tower(nn.Module):
    def __init__(self, width: int):
        super().__init__()
        self.resblocks = nn.ModuleList(_Block(width) for _ in range(LAYERS))

    def forward(self, x, mask=None):
        for block in self.resblocks:
            x = block(x, mask)
        return x


class _Visual(nn.Module):
    def __init__(self):
        super().__init__()
        grid = IMAGE // PATCH
        self.conv1 = nn.Conv2d(3, WIDTH, PATCH, PATCH, bias=False)
        self.class_embedding = nn.Parameter(torch.randn(WIDTH))
        self.positional_embedding = nn.Parameter(torch.randn(grid * grid + 1, WIDTH) * 0.1)
        self.ln_pre, self.ln_post = nn.LayerNorm(WIDTH), nn.LayerNorm(WIDTH)
        self.transformer = _Tower(WIDTH)
        self.proj = nn.Parameter(torch.randn(WIDTH, EMBED) * 0.2)

    def forward(self, images):
        x = self.conv1(images).flatten(2).transpose(1, 2)
        x = torch.cat([self.class_embedding.expand(len(x), 1, -1), x], dim=1) + self.positional_embedding
        x = self.transformer(self.ln_pre(x))
        return self.ln_post(x[:, 0]) @ self.proj


class _OpenClipReference(nn.Module):
    """open_clip's ViT CLIP, written out: the reference the mapped CLIPModel must match."""

    def __init__(self, vocab: int):
        super().__init__()
        self.visual = _Visual()
        self.token_embedding = nn.Embedding(vocab, WIDTH)
        self.positional_embedding = nn.Parameter(torch.randn(CONTEXT, WIDTH) * 0.1)
        self.transformer = _Tower(WIDTH)
        self.ln_final = nn.LayerNorm(WIDTH)
        self.text_projection = nn.Parameter(torch.randn(WIDTH, EMBED) * 0.2)
        self.logit_scale = nn.Parameter(torch.tensor(2.659))
        for p in self.parameters():  # LayerNorms start as identity: move them off it
            if p.dim() == 1 and p.shape[0] == WIDTH:
                p.data += torch.randn_like(p) * 0.1

    def encode_text(self, ids):
        x = self.token_embedding(ids) + self.positional_embedding[: ids.shape[1]]
        mask = torch.full((ids.shape[1], ids.shape[1]), float("-inf")).triu(1)
        x = self.ln_final(self.transformer(x, mask))
        return x[torch.arange(len(ids)), ids.argmax(dim=-1)] @ self.text_projection


@pytest.fixture(scope="module")
def open_clip_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("open_clip_tiny")
    vocab = _write_tokenizer(folder)
    torch.manual_seed(0)
    reference = _OpenClipReference(vocab).eval()
    (folder / "open_clip_config.json").write_text(json.dumps({
        "model_cfg": {"embed_dim": EMBED,
                      "vision_cfg": {"image_size": IMAGE, "layers": LAYERS, "width": WIDTH, "patch_size": PATCH,
                                     "head_width": WIDTH // HEADS},
                      "text_cfg": {"context_length": CONTEXT, "vocab_size": vocab, "width": WIDTH, "heads": HEADS,
                                   "layers": LAYERS}},
        "preprocess_cfg": {"mean": [0.5, 0.5, 0.5], "std": [0.25, 0.25, 0.25]}}))
    torch.save(reference.state_dict(), folder / "open_clip_pytorch_model.bin")
    return folder, reference


@pytest.fixture(scope="module")
def reel(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("clip_reel") / "reel.mp4"
    ffmpeg("-f", "lavfi", "-i", "testsrc2=s=320x180:r=30:d=3", "-f", "lavfi", "-i", "sine=f=440:d=3",
           "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", str(path))
    return path


def test_open_clip_weights_map_onto_clipmodel_exactly(open_clip_folder, reel):
    folder, reference = open_clip_folder
    clip = load_clip(folder)
    frames = sample_frames(reel, 3.0, count=4)
    assert len(frames) == 4 and frames[0].shape == (180, 320, 3)
    images, words = embed(clip, frames, "a phonk edit")
    ids = clip.tokenizer("a phonk edit")["input_ids"]
    phonk = clip.tokenizer.convert_tokens_to_ids("phonk</w>")
    assert ids[0] == len(clip.tokenizer) - 2 and ids[-1] == len(clip.tokenizer) - 1 and phonk in ids
    from agent.critic.clip import _pixels

    with torch.no_grad():
        ref_images = nn.functional.normalize(reference.visual(_pixels(frames, clip)), dim=-1).numpy()
        ref_words = nn.functional.normalize(reference.encode_text(torch.tensor([ids])), dim=-1).numpy()[0]
    assert np.abs(images - ref_images).max() < 1e-5
    assert np.abs(words - ref_words).max() < 1e-5
    # the frames differ (testsrc2 moves), so their embeddings do too: the pixels reached the model
    assert np.abs(images[0] - images[-1]).max() > 1e-3


def test_transformers_clip_folder_loads_and_matches_its_model(tmp_path, reel):
    from transformers import CLIPConfig, CLIPModel

    vocab = _write_tokenizer(tmp_path)
    config = CLIPConfig(projection_dim=EMBED,
                        text_config=dict(vocab_size=vocab, hidden_size=WIDTH, intermediate_size=4 * WIDTH,
                                         num_hidden_layers=LAYERS, num_attention_heads=HEADS,
                                         max_position_embeddings=CONTEXT, bos_token_id=vocab - 2,
                                         eos_token_id=vocab - 1, pad_token_id=0),
                        vision_config=dict(hidden_size=WIDTH, intermediate_size=4 * WIDTH, num_hidden_layers=LAYERS,
                                           num_attention_heads=HEADS, image_size=IMAGE, patch_size=PATCH))
    torch.manual_seed(1)
    model = CLIPModel(config).eval()
    model.save_pretrained(tmp_path)
    clip = load_clip(tmp_path)
    frames = sample_frames(reel, 3.0, count=2)
    images, words = embed(clip, frames, "calm travel video")
    from agent.critic.clip import _pixels, _token_ids

    with torch.no_grad():
        direct = model.get_image_features(pixel_values=_pixels(frames, clip)).pooler_output
        text = model.get_text_features(input_ids=_token_ids("calm travel video", clip)).pooler_output
    assert np.abs(images - nn.functional.normalize(direct, dim=-1).numpy()).max() < 1e-5
    assert np.abs(words - nn.functional.normalize(text, dim=-1).numpy()[0]).max() < 1e-5


def test_the_prompt_score_carries_the_clip_similarity(open_clip_folder, reel, tmp_path):
    folder, _ = open_clip_folder
    sim = clip_similarity(reel, "3 s calm travel video", 3.0, folder)
    assert -1.0 <= sim.cosine <= 1.0 and sim.frames == 8
    card = critique(reel, request="3 s calm travel video", settings=Settings(workspace=tmp_path, clip_checkpoint=folder))
    prompt = card.scores["prompt"]
    assert prompt.evidence["clip_similarity"] == pytest.approx(sim.cosine, abs=1e-5)
    assert prompt.evidence["checks"]["clip_similarity"] == pytest.approx(min(1.0, max(0.0, 2.5 * sim.cosine)), abs=1e-4)
    without = critique(reel, request="3 s calm travel video", settings=Settings(workspace=tmp_path))
    assert without.scores["prompt"].evidence["clip_similarity"] is None
    assert "clip_similarity" not in without.scores["prompt"].evidence["checks"]


def test_a_checkpoint_that_does_not_load_is_reported_not_hidden(tmp_path, reel, open_clip_folder):
    with pytest.raises(ClipError, match="does not exist"):
        load_clip(tmp_path / "nowhere")
    with pytest.raises(ClipError, match="neither open_clip_config.json"):
        load_clip(tmp_path)
    convnext = tmp_path / "convnext"
    convnext.mkdir()
    (convnext / "open_clip_config.json").write_text(json.dumps(
        {"model_cfg": {"embed_dim": 16, "vision_cfg": {"timm_model_name": "convnext_base"}, "text_cfg": {}}}))
    (convnext / "open_clip_pytorch_model.bin").write_bytes(b"")
    with pytest.raises(ClipError, match="timm_model_name"):
        load_clip(convnext)
    card = critique(reel, request="3 s calm travel video", settings=Settings(workspace=tmp_path, clip_checkpoint=convnext))
    prompt = card.scores["prompt"]
    assert prompt.evidence["clip_similarity"] is None
    assert any("CLIP similarity not measured" in p and "convnext" in p for p in prompt.problems)
