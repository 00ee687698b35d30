"""The text towers self-alignment trains and `eval synonyms` scores, behind one small interface.

* A bonevlp model (a run directory or a `bonevlp export` folder): the embedding is the model's own
  `StudyCLIP.encode_text`, the L2-normalised projected text feature, i.e. exactly what the CLIP
  similarity (and zero-shot, retrieval) compares with images. Alignment trains every text parameter
  (token and position embeddings, transformer, final norm, projection; for a Hugging Face text tower the
  encoder and its projection); the image tower, study pooling and temperature are frozen and saved
  unchanged.
* A Hugging Face encoder in a local directory (`config.json`, weights, tokenizer), as SapBERT: the
  [CLS] token's last hidden state, L2-normalised. That is also what a bonevlp model built with
  `--hf-text DIR` pools (before its new projection).
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import torch
import torch.nn.functional as F  # noqa: N812 - the usual name

HF_MAX_LENGTH = 25  # SapBERT's; synonym terms are short


def tower_kind(path: str | Path) -> str:
    """"bonevlp" (a run directory or an exported model) or "hf" (a Hugging Face encoder directory)."""
    from ..models.study_model import EXPORT_CONFIG

    path = Path(path)
    if (path / "checkpoints" / "latest.pt").is_file() or (path / EXPORT_CONFIG).is_file():
        return "bonevlp"
    if (path / "config.json").is_file():
        return "hf"
    raise FileNotFoundError(f"{path} is neither a bonevlp run (checkpoints/latest.pt), a `bonevlp export` folder "
                            f"({EXPORT_CONFIG}) nor a Hugging Face encoder directory (config.json)")


class TextTower:
    """`encode(texts)` (L2-normalised, with gradients), `embed(texts)` (no gradients, eval mode, CPU
    float32), `parameters()` (what alignment trains), `save(out)`."""

    kind = "?"
    embedding = "?"
    device: torch.device

    def encode(self, texts: list[str]) -> torch.Tensor:
        raise NotImplementedError

    def parameters(self) -> list[torch.nn.Parameter]:
        raise NotImplementedError

    def module(self) -> torch.nn.Module:
        raise NotImplementedError

    def autocast(self):
        return contextlib.nullcontext()

    def save(self, out: Path) -> dict:
        raise NotImplementedError

    @torch.no_grad()
    def embed(self, texts: list[str], batch_size: int = 256) -> torch.Tensor:
        module = self.module()
        was_training = module.training
        module.eval()
        try:
            out = []
            for start in range(0, len(texts), batch_size):
                with self.autocast():
                    out.append(self.encode(list(texts[start:start + batch_size])).float().cpu())
        finally:
            module.train(was_training)
        return torch.cat(out) if out else torch.empty(0, 0)


class BonevlpTower(TextTower):
    """The text side of a `StudyCLIP` loaded by `eval.embed.load_model`."""

    kind = "bonevlp"
    embedding = "StudyCLIP.encode_text (projected, L2-normalised: what the CLIP similarity uses)"

    def __init__(self, loaded):
        self.loaded = loaded
        self.device = loaded.device
        clip = loaded.model.clip
        frozen = ("logit_scale", "logit_bias")
        self._params = []
        for name, param in clip.named_parameters():
            trainable = not name.startswith("visual.") and name not in frozen
            param.requires_grad_(trainable)
            if trainable:
                self._params.append(param)
        for param in loaded.model.pool.parameters() if loaded.model.pool is not None else ():
            param.requires_grad_(False)
        if not self._params:
            raise ValueError(f"{loaded.source}: no text parameter found")

    def module(self) -> torch.nn.Module:
        return self.loaded.model

    def parameters(self) -> list[torch.nn.Parameter]:
        return self._params

    def autocast(self):
        return self.loaded.autocast()

    def encode(self, texts: list[str]) -> torch.Tensor:
        tokens = self.loaded.tokenize(texts).to(self.device)
        if _causal_clip_text(self.loaded.model.clip):
            return F.normalize(_encode_text_truncated(self.loaded.model.clip, tokens), dim=-1)
        return self.loaded.model.encode_text(tokens)

    @torch.no_grad()
    def embed(self, texts: list[str], batch_size: int = 256) -> torch.Tensor:
        from ..eval.embed import embed_texts

        model = self.loaded.model
        was_training = model.training
        model.eval()
        try:
            return embed_texts(self.loaded, list(texts), batch_size)
        finally:
            model.train(was_training)

    def tokenizer_source(self) -> str | None:
        cfg = getattr(self.loaded.model.clip, "bonevlp_model_cfg", None) or {}
        return cfg.get("text_cfg", {}).get("hf_tokenizer_name")

    def save(self, out: Path) -> dict:
        """An export folder (`open_clip_config.json`, `open_clip_model.safetensors`: the whole-model state
        dict `bonevlp train --pretrained` takes, the tokenizer files when the model has its own)."""
        from ..models.study_model import EXPORT_WEIGHTS, export_open_clip

        export_open_clip(self.loaded.model, None, None, Path(out))
        return {"export": str(out), "pretrained": str(Path(out) / EXPORT_WEIGHTS),
                "tokenizer": str(out) if self.tokenizer_source() else None}


def _causal_clip_text(clip: torch.nn.Module) -> bool:
    """An open_clip `CLIP` whose text tower is causal and pooled at the end token (the tiny model, open_clip's
    own configs): positions after the pooled one cannot change its output."""
    from open_clip.model import CLIP

    return (isinstance(clip, CLIP) and getattr(clip, "attn_mask", None) is not None
            and getattr(clip, "text_pool_type", None) in ("eos", "argmax"))


def _encode_text_truncated(clip: torch.nn.Module, text: torch.Tensor) -> torch.Tensor:
    """`CLIP.encode_text` (open_clip 3.x) on the first L positions only, L = the last pooled position + 1:
    the same result, with a causal mask, for short synonym terms padded to a long context (several
    times faster). Checked against `encode_text` in the tests."""
    from open_clip.transformer import text_global_pool

    eos = getattr(clip, "text_eos_id", None)
    pooled_at = (text == eos).int().argmax(dim=-1) if clip.text_pool_type == "eos" else text.argmax(dim=-1)
    length = int(pooled_at.max()) + 1
    text = text[:, :length]
    cast_dtype = clip.transformer.get_cast_dtype()
    x = clip.token_embedding(text).to(cast_dtype) + clip.positional_embedding[:length].to(cast_dtype)
    x = clip.transformer(x, attn_mask=clip.attn_mask[:length, :length])
    x = text_global_pool(clip.ln_final(x), text, clip.text_pool_type, eos_token_id=eos)
    if clip.text_projection is not None:
        x = clip.text_projection(x) if isinstance(clip.text_projection, torch.nn.Linear) else x @ clip.text_projection
    return x


class HFTower(TextTower):
    """A local Hugging Face encoder, [CLS] pooled (SapBERT)."""

    kind = "hf"
    embedding = "[CLS] last hidden state, L2-normalised (SapBERT)"

    def __init__(self, directory: str | Path, device: torch.device, precision: str = "fp32",
                 max_length: int = HF_MAX_LENGTH):
        from transformers import AutoModel, AutoTokenizer

        self.directory = Path(directory)
        self.tokenizer = AutoTokenizer.from_pretrained(str(self.directory))
        self.model = AutoModel.from_pretrained(str(self.directory)).to(device)
        self.device, self.precision, self.max_length = device, precision, max_length

    def module(self) -> torch.nn.Module:
        return self.model

    def parameters(self) -> list[torch.nn.Parameter]:
        return [p for p in self.model.parameters() if p.requires_grad]

    def autocast(self):
        if self.precision in ("bf16", "fp16") and self.device.type == "cuda":
            dtype = torch.bfloat16 if self.precision == "bf16" else torch.float16
            return torch.autocast(device_type="cuda", dtype=dtype)
        return contextlib.nullcontext()

    def encode(self, texts: list[str]) -> torch.Tensor:
        batch = self.tokenizer(texts, padding=True, truncation=True, max_length=self.max_length, return_tensors="pt")
        batch = {k: v.to(self.device) for k, v in batch.items()}
        return F.normalize(self.model(**batch).last_hidden_state[:, 0], dim=-1)

    def save(self, out: Path) -> dict:
        """`save_pretrained` of the encoder and its tokenizer: `bonevlp train --hf-text OUT` starts from it."""
        self.model.save_pretrained(str(out))
        self.tokenizer.save_pretrained(str(out))
        return {"hf_text": str(out)}


def load_tower(path: str | Path, device: str | torch.device | None = "auto", precision: str = "auto") -> TextTower:
    """The text tower of a bonevlp run / export, or of a Hugging Face encoder directory."""
    from ..eval.embed import load_model, pick_device

    if tower_kind(path) == "bonevlp":
        return BonevlpTower(load_model(path, device, precision))
    device = pick_device(device)
    if precision == "auto":
        precision = "bf16" if device.type == "cuda" else "fp32"
    if precision not in ("fp32", "bf16", "fp16"):
        raise ValueError(f"precision must be auto, fp32, bf16 or fp16, not {precision!r}")
    return HFTower(path, device, precision)
