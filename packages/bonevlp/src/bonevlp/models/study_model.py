"""A study-level CLIP: an open_clip model whose image embeddings are pooled per study (a bag of images)
before they meet the study's report, and its export to an open_clip `local-dir:` folder."""

from __future__ import annotations

import copy
import json
import math
from pathlib import Path

import torch
import torch.nn.functional as F  # noqa: N812 - the usual name
from torch import nn

from .pooling import GatedAttentionPool, build_pooling

EXPORT_CONFIG = "open_clip_config.json"
EXPORT_WEIGHTS = "open_clip_model.safetensors"  # the first name open_clip's local-dir loader looks for
EXPORT_POOLING = "bonevlp_study_pooling.safetensors"


def _embed_dim(clip_model: nn.Module) -> int:
    cfg = getattr(clip_model, "bonevlp_model_cfg", None)
    if cfg:
        return int(cfg["embed_dim"])
    text = getattr(clip_model, "text", None)
    if text is not None and getattr(text, "output_dim", None):
        return int(text.output_dim)
    projection = getattr(clip_model, "text_projection", None)
    if isinstance(projection, nn.Linear):
        return projection.out_features
    if isinstance(projection, torch.Tensor):
        return projection.shape[1]
    return int(clip_model.visual.output_dim)


class StudyCLIP(nn.Module):
    """An open_clip model (`clip`) with study pooling (`pool`).

    `pooling`: `"mean"`, `"gated"` (gated attention, `gated_hidden` units) or `"none"` (per-image
    features; the loss then takes `positives_from_study_index`). `init_temperature` sets open_clip's
    `logit_scale` to log(1/T) (the authors: 0.1), `learn_temperature=False` freezes it; `init_logit_bias`
    adds (or resets) the bias SigLIP needs. `ClipLoss.default_init` / `SigLipLoss.default_init` hold
    the usual values. The logit scale is capped at `max_logit_scale` (100, as open_clip's trainer)."""

    def __init__(self, clip_model: nn.Module, pooling: str = "mean", *, embed_dim: int | None = None,
                 gated_hidden: int = 128, init_temperature: float | None = None, learn_temperature: bool = True,
                 init_logit_bias: float | None = None, max_logit_scale: float = 100.0):
        super().__init__()
        self.clip = clip_model
        self.pooling = pooling
        self.embed_dim = embed_dim or _embed_dim(clip_model)
        self.pool = build_pooling(pooling, self.embed_dim, gated_hidden)
        self.max_log_scale = math.log(max_logit_scale)
        with torch.no_grad():
            if init_temperature is not None:
                self.clip.logit_scale.fill_(math.log(1.0 / init_temperature))
            if init_logit_bias is not None:
                if getattr(self.clip, "logit_bias", None) is None:
                    self.clip.logit_bias = nn.Parameter(torch.full_like(self.clip.logit_scale, init_logit_bias))
                else:
                    self.clip.logit_bias.fill_(init_logit_bias)
        self.clip.logit_scale.requires_grad_(learn_temperature)

    def encode_images(self, images: torch.Tensor) -> torch.Tensor:
        """Per-image embeddings, not normalised, `[N_images, D]`."""
        return self.clip.encode_image(images)

    def encode_studies(self, images: torch.Tensor, study_index: torch.Tensor, n_studies: int) -> torch.Tensor:
        """L2-normalised study embeddings `[n_studies, D]` (pooling `"none"`: per image, `[N_images, D]`)."""
        features = self.encode_images(images)
        if self.pool is not None:
            features = self.pool(features, study_index, n_studies)
        return F.normalize(features, dim=-1)

    def encode_text(self, text: torch.Tensor) -> torch.Tensor:
        """L2-normalised report embeddings `[B, D]`."""
        return F.normalize(self.clip.encode_text(text), dim=-1)

    def logit_scale(self) -> torch.Tensor:
        """exp(logit_scale), capped: the inverse temperature the losses take."""
        return self.clip.logit_scale.clamp(max=self.max_log_scale).exp()

    def forward(self, images: torch.Tensor, study_index: torch.Tensor, text: torch.Tensor) -> dict:
        """`images [N_images, 3, H, W]` of `text.shape[0]` studies (`study_index [N_images]`), `text [B, ctx]`:
        `image_features` (`[B, D]`, or `[N_images, D]` with pooling `"none"`), `text_features [B, D]`,
        `logit_scale`, `logit_bias` (None unless the model has one), `study_index` and `per_image` (True with
        pooling `"none"`: the losses then need `positives_for(outputs)`)."""
        n_studies = text.shape[0]
        return {
            "image_features": self.encode_studies(images, study_index, n_studies),
            "text_features": self.encode_text(text),
            "logit_scale": self.logit_scale(),
            "logit_bias": getattr(self.clip, "logit_bias", None),
            "study_index": study_index,
            "per_image": self.pool is None,
        }

    @torch.no_grad()
    def clamp_temperature(self) -> None:
        """Keep `logit_scale` in [0, log(max_logit_scale)] (call after each optimizer step, as open_clip's
        trainer does)."""
        self.clip.logit_scale.clamp_(0, self.max_log_scale)

    @torch.jit.ignore
    def set_grad_checkpointing(self, enable: bool = True) -> None:
        """Gradient checkpointing in both towers (open_clip's)."""
        self.clip.set_grad_checkpointing(enable)

    def lock_image_tower(self, unlocked_groups: int = 0, freeze_bn_stats: bool = False) -> None:
        self.clip.lock_image_tower(unlocked_groups=unlocked_groups, freeze_bn_stats=freeze_bn_stats)

    def lock_text_tower(self, unlocked_layers: int = 0, freeze_layer_norm: bool = True) -> None:
        self.clip.lock_text_tower(unlocked_layers=unlocked_layers, freeze_layer_norm=freeze_layer_norm)

    @torch.jit.ignore
    def no_weight_decay(self) -> set[str]:
        inner = self.clip.no_weight_decay() if hasattr(self.clip, "no_weight_decay") else set()
        return {"clip." + name for name in inner}


def _copy_hf_tokenizer(source: Path, out_dir: Path) -> None:
    from transformers import AutoTokenizer

    AutoTokenizer.from_pretrained(str(source)).save_pretrained(str(out_dir))


def export_open_clip(model: nn.Module, model_config: dict | None, tokenizer_dir: Path | None,
                     out_dir: Path) -> Path:
    """Write `model` (a `StudyCLIP` or an open_clip model) as an open_clip `local-dir:` folder:
    `open_clip_config.json` (`model_cfg`, `preprocess_cfg`, and a `bonevlp` section with the pooling),
    `open_clip_model.safetensors`, the tokenizer files (from `tokenizer_dir`, else the Hugging Face text
    tower's, none for open_clip's bundled BPE) and, for gated pooling, `bonevlp_study_pooling.safetensors`.
    `model_config` None: the config `create` built (`model.bonevlp_model_cfg`).

    `open_clip.create_model_and_transforms("local-dir:" + out_dir)` and `open_clip.get_tokenizer(...)`
    load it (the config holds `out_dir`'s absolute path for a Hugging Face text tower;
    `create("local-dir:...")` also finds it after the folder moved)."""
    from safetensors.torch import save_file

    study = model if isinstance(model, StudyCLIP) else None
    clip = study.clip if study is not None else model
    if model_config is None:
        model_config = getattr(clip, "bonevlp_model_cfg", None)
        if model_config is None:
            raise ValueError("model_config is needed for a model not built by bonevlp.models.create")
    cfg = copy.deepcopy(model_config)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    here = str(out_dir.resolve())
    text_cfg = cfg["text_cfg"]
    if getattr(clip, "logit_bias", None) is not None and cfg.get("init_logit_bias") is None:
        cfg["init_logit_bias"] = float(clip.logit_bias.detach().reshape(-1)[0])

    if text_cfg.get("hf_model_name"):
        from transformers import AutoConfig

        source = Path(text_cfg["hf_model_name"])
        AutoConfig.from_pretrained(str(source)).save_pretrained(here)
        _copy_hf_tokenizer(Path(tokenizer_dir) if tokenizer_dir else Path(text_cfg.get("hf_tokenizer_name") or source),
                           out_dir)
        text_cfg["hf_model_name"] = text_cfg["hf_tokenizer_name"] = here
    else:
        source = tokenizer_dir or text_cfg.get("hf_tokenizer_name")
        if source:
            _copy_hf_tokenizer(Path(source), out_dir)
            text_cfg["hf_tokenizer_name"] = here

    preprocess_cfg = dict(getattr(clip.visual, "preprocess_cfg", {}) or {})
    bonevlp: dict = {"format_version": 1}
    if study is not None:
        bonevlp["pooling"] = study.pooling
    if study is not None and isinstance(study.pool, GatedAttentionPool):
        bonevlp["gated_hidden"] = study.pool.hidden
        save_file({k: v.detach().cpu().contiguous().clone() for k, v in study.pool.state_dict().items()},
                  str(out_dir / EXPORT_POOLING))
    config = {"model_cfg": cfg, "preprocess_cfg": preprocess_cfg, "bonevlp": bonevlp}
    (out_dir / EXPORT_CONFIG).write_text(json.dumps(config, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    state = {k: v.detach().cpu().contiguous().clone() for k, v in clip.state_dict().items()}
    save_file(state, str(out_dir / EXPORT_WEIGHTS))
    return out_dir


def load_study_model(directory: Path, **create_kw) -> tuple[StudyCLIP, dict, object]:
    """A `StudyCLIP` written by `export_open_clip`: `(model, preprocess_cfg, tokenize_fn)`."""
    from safetensors.torch import load_file

    from .registry import create

    directory = Path(directory)
    clip, preprocess_cfg, tokenize_fn = create("local-dir:" + str(directory), **create_kw)
    section = json.loads((directory / EXPORT_CONFIG).read_text(encoding="utf-8")).get("bonevlp", {})
    study = StudyCLIP(clip, section.get("pooling", "mean"), gated_hidden=section.get("gated_hidden", 128))
    if isinstance(study.pool, GatedAttentionPool):
        study.pool.load_state_dict(load_file(str(directory / EXPORT_POOLING)))
    study.to(clip.logit_scale.device)
    return study, preprocess_cfg, tokenize_fn
