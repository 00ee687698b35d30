"""End-to-end fine-tuning for `bonevlp eval probe --mode finetune`, and the image-encoder initialisations
the probes compare (`pretrained`, `random`, `image-checkpoint:<file>`).

A fit works on a fresh deep copy of the image side (image tower and study pooling; the loaded model is
never modified): a linear head on the study embedding (the images pooled as the model pools, L2-normalised,
then standardised with the training units' mean and spread, as the linear probe's scaler does; bone age
appends the sex) is trained first with the encoder frozen (`epochs_frozen`), then everything together at
a low learning rate (`lr` for the encoder, `head_lr` for the head), AdamW, cosine schedule (a short
linear warm-up in the second phase), gradients clipped at 1. Training images go through the training
augmentation (`data.augment.train_transform`), test images through the letterbox `eval_transform`.
Losses: BCE with logits (binary), cross-entropy (multiclass), L1 or MSE on standardised targets
(regression; predictions are given back in the label's unit, months for bone age). Each fit is seeded:
the same seed gives the same result on the CPU.

    encoder = ImageEncoder.from_model(loaded.model)                # deep copy, trainable
    loaded, info = initialise(loaded, baseline="random")           # same architecture, random weights
    loaded, info = initialise(loaded, init_image=Path("in1k.pt"))  # a local image-tower state dict
"""

from __future__ import annotations

import copy
import dataclasses
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F  # noqa: N812 - the usual name
from torch import nn

from ..data.augment import eval_transform, train_transform
from ..models.pooling import MeanPool
from .datasets import Unit
from .embed import MAX_IMAGES, LoadedModel, open_image
from .probe import extra_features

REGRESSION_LOSSES = ("l1", "mse")


# ----------------------------------------------------------------------------------------- the encoder


class ImageEncoder(nn.Module):
    """The image side of a `StudyCLIP`: its image tower (`visual`) and study pooling (`pool`, None for a
    model trained without pooling). `encode_studies` behaves as `StudyCLIP.encode_studies` (so the
    embedding code takes it in place of the model); `forward` gives one L2-normalised embedding per study
    (a model without pooling: the mean of its normalised image embeddings, as `embed` pools it)."""

    def __init__(self, visual: nn.Module, pool: nn.Module | None, embed_dim: int, model_cfg: dict | None = None):
        super().__init__()
        self.visual = visual
        self.pool = pool
        self.embed_dim = int(embed_dim)
        self.model_cfg = copy.deepcopy(model_cfg)

    @classmethod
    def from_model(cls, model: nn.Module) -> ImageEncoder:
        """A deep copy of the image side of `model` (a `StudyCLIP` or an `ImageEncoder`)."""
        if isinstance(model, ImageEncoder):
            return copy.deepcopy(model)
        visual = copy.deepcopy(model.clip.visual)
        pool = copy.deepcopy(model.pool)
        return cls(visual, pool, model.embed_dim, getattr(model.clip, "bonevlp_model_cfg", None))

    def encode_images(self, images: torch.Tensor) -> torch.Tensor:
        return self.visual(images)

    def encode_studies(self, images: torch.Tensor, study_index: torch.Tensor, n_studies: int) -> torch.Tensor:
        features = self.encode_images(images)
        if self.pool is not None:
            features = self.pool(features, study_index, n_studies)
        return F.normalize(features, dim=-1)

    def forward(self, images: torch.Tensor, study_index: torch.Tensor, n_studies: int) -> torch.Tensor:
        features = self.encode_studies(images, study_index, n_studies)
        if self.pool is None:
            features = F.normalize(MeanPool()(features, study_index.to(features.device), n_studies), dim=-1)
        return features


# ------------------------------------------------------------------------------------ initialisations


def _fork_rng(device: torch.device):
    return torch.random.fork_rng(devices=[device] if device.type == "cuda" else [])


def random_image_tower(encoder: ImageEncoder, seed: int = 0) -> dict:
    """Re-initialise `encoder`'s image tower and pooling in place, as the model's config builds them
    (open_clip's own initialisation, seeded; nothing downloaded)."""
    from open_clip.model import _build_vision_tower

    cfg = encoder.model_cfg
    if not cfg or "vision_cfg" not in cfg:
        raise ValueError("a random baseline needs the model's open_clip config (a model built by "
                         "bonevlp.models.create: a run directory or a `bonevlp export` folder)")
    vision_cfg = dict(cfg["vision_cfg"])
    if vision_cfg.get("timm_model_name"):
        vision_cfg["timm_model_pretrained"] = False  # never fetch timm weights
    device = next(encoder.visual.parameters()).device
    with _fork_rng(device):
        torch.manual_seed(seed)
        fresh = _build_vision_tower(int(cfg["embed_dim"]), vision_cfg, quick_gelu=bool(cfg.get("quick_gelu", False)))
        fresh_pool = copy.deepcopy(encoder.pool)
        if fresh_pool is not None:
            for module in fresh_pool.modules():
                if hasattr(module, "reset_parameters"):
                    module.reset_parameters()
    try:
        encoder.visual.load_state_dict(fresh.state_dict(), strict=True)
    except RuntimeError as error:
        raise ValueError(f"the model's config does not rebuild its image tower ({error})") from error
    if fresh_pool is not None:
        encoder.pool.load_state_dict(fresh_pool.state_dict())
    return {"seed": seed, "tensors": len(fresh.state_dict())}


def load_image_checkpoint(encoder: ImageEncoder, path: Path) -> dict:
    """Load a local image-tower state dict (or a full CLIP checkpoint's `visual.*` tensors) into
    `encoder.visual`, as `models.registry.create(pretrained_image=...)` does (strict=False, tensors of
    another shape left out): the load report (loaded, missing, unexpected, mismatched)."""
    from ..models.registry import load_image_weights

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"image weights not found: {path}")

    class _Holder(nn.Module):  # load_image_weights takes a CLIP model: it reads `.visual`
        def __init__(self, visual: nn.Module):
            super().__init__()
            self.visual = visual

    return load_image_weights(_Holder(encoder.visual), path)


def init_name(baseline: str | None = None, init_image: Path | None = None) -> str:
    """`"pretrained"`, `"random"` or `"image-checkpoint:<file name>"`."""
    if baseline is not None and init_image is not None:
        raise ValueError("--baseline and --init-image exclude each other")
    if baseline is not None:
        if baseline != "random":
            raise ValueError(f"unknown baseline {baseline!r}: expected 'random'")
        return "random"
    if init_image is not None:
        return f"image-checkpoint:{Path(init_image).name}"
    return "pretrained"


def initialise(loaded: LoadedModel, baseline: str | None = None, init_image: Path | None = None,
               seed: int = 0) -> tuple[LoadedModel, dict]:
    """The model to probe: `loaded` itself (pretrained), or a `LoadedModel` around a copy of its image side
    re-initialised at random (`baseline="random"`, seeded by `seed`), or at random then loaded from a local
    image-tower state dict (`init_image`; the tensors it lacks stay random, the study pooling is random).
    Returns it with `{"init": name, ...details}`; `loaded` is never modified."""
    name = init_name(baseline, init_image)
    if name == "pretrained":
        return loaded, {"init": name}
    encoder = ImageEncoder.from_model(loaded.model)
    info: dict = {"init": name, "random": random_image_tower(encoder, seed)}
    if init_image is not None:
        report = load_image_checkpoint(encoder, Path(init_image))
        info["image_checkpoint"] = {"path": str(init_image), **report}
    encoder.to(loaded.device).eval()
    return dataclasses.replace(loaded, model=encoder, source=f"{loaded.source} ({name})"), info


# ------------------------------------------------------------------------------------------ settings


@dataclass(frozen=True)
class FinetuneSettings:
    """Fine-tuning settings: epochs with the encoder frozen then with everything trained, learning
    rates (encoder, head), AdamW weight decay, studies per batch, an optional cap on the optimiser steps
    of one fit (both phases together), the regression loss, warm-up share of the second phase."""

    epochs_frozen: int = 3
    epochs: int = 10
    lr: float = 3e-5
    head_lr: float = 1e-3
    weight_decay: float = 0.01
    batch_size: int = 32
    max_steps: int | None = None
    regression_loss: str = "l1"
    warmup_fraction: float = 0.05
    workers: int = 2
    max_images: int = MAX_IMAGES
    progress: bool = False

    def __post_init__(self) -> None:
        if self.epochs_frozen < 0 or self.epochs < 0 or self.epochs_frozen + self.epochs < 1:
            raise ValueError("--epochs-frozen and --epochs must be >= 0, at least one of them > 0")
        if self.lr <= 0 or self.head_lr <= 0 or self.weight_decay < 0:
            raise ValueError("--lr and --head-lr must be > 0, the weight decay >= 0")
        if self.batch_size < 1 or self.workers < 0 or self.max_images < 1:
            raise ValueError("--batch-size and --max-images must be >= 1, --workers >= 0")
        if self.max_steps is not None and self.max_steps < 1:
            raise ValueError("--max-steps must be >= 1")
        if self.regression_loss not in REGRESSION_LOSSES:
            raise ValueError(f"the regression loss is one of {', '.join(REGRESSION_LOSSES)}")

    def as_dict(self) -> dict:
        return {k: v for k, v in dataclasses.asdict(self).items() if k not in ("workers", "progress")}


# -------------------------------------------------------------------------------------------- data


def _item_rng(seed: int, epoch: int, index: int) -> random.Random:
    return random.Random(int(np.random.SeedSequence([seed, epoch, index]).generate_state(1)[0]))


class _Studies(torch.utils.data.Dataset):
    """Unit i -> (its first `max_images` images transformed `[k, 3, S, S]`, i); with `seed`, the random
    draws of image i in epoch `epoch` come from their own seeded generator (any number of workers)."""

    def __init__(self, units: Sequence[Unit], transform, max_images: int, seed: int | None = None):
        self.groups = [list(u.paths)[:max_images] for u in units]
        self.transform, self.seed, self.epoch = transform, seed, 0
        for unit, group in zip(units, self.groups, strict=True):
            if not group:
                raise ValueError(f"unit {unit.study} has no image")

    def __len__(self) -> int:
        return len(self.groups)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        rng = None if self.seed is None else _item_rng(self.seed, self.epoch, index)
        return torch.stack([self.transform(open_image(path), rng) for path in self.groups[index]]), index


def _collate(items: list[tuple[torch.Tensor, int]]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    counts = torch.tensor([len(stack) for stack, _ in items], dtype=torch.long)
    return (torch.cat([stack for stack, _ in items]), torch.repeat_interleave(torch.arange(len(items)), counts),
            torch.tensor([index for _, index in items], dtype=torch.long))


def _loader(dataset: _Studies, batch_size: int, workers: int, device: torch.device, order: Sequence[int] | None = None,
            drop_last: bool = False) -> torch.utils.data.DataLoader:
    sampler = list(order) if order is not None else None
    return torch.utils.data.DataLoader(dataset, batch_size=batch_size, sampler=sampler, num_workers=workers,
                                       collate_fn=_collate, drop_last=drop_last,
                                       pin_memory=device.type == "cuda")


# ------------------------------------------------------------------------------------------ the head


class _Head(nn.Module):
    """A linear layer on standardised features (fixed mean and spread, from the training units)."""

    def __init__(self, mean: torch.Tensor, scale: torch.Tensor, outputs: int, bias: torch.Tensor):
        super().__init__()
        self.register_buffer("mean", mean)
        self.register_buffer("scale", scale)
        self.linear = nn.Linear(mean.shape[0], outputs)
        with torch.no_grad():
            self.linear.weight.zero_()
            self.linear.bias.copy_(bias)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return self.linear((features - self.mean) / self.scale)


def _targets(task: str, y: np.ndarray, classes: np.ndarray | None) -> tuple[torch.Tensor, dict]:
    """Training targets and how to read predictions back: class indices, 0/1 or standardised values."""
    if task == "multiclass":
        return torch.as_tensor(np.searchsorted(classes, y), dtype=torch.long), {}
    if task == "binary":
        return torch.as_tensor(y, dtype=torch.float32), {}
    mean, spread = float(np.mean(y)), float(np.std(y))
    spread = spread if spread > 0 else 1.0
    return torch.as_tensor((y - mean) / spread, dtype=torch.float32), {"mean": mean, "spread": spread}


def _initial_bias(task: str, targets: torch.Tensor, outputs: int) -> torch.Tensor:
    if task == "binary":
        rate = float(targets.mean().clamp(1e-3, 1 - 1e-3))
        return torch.tensor([math.log(rate / (1 - rate))])
    if task == "multiclass":
        counts = torch.bincount(targets, minlength=outputs).float() + 1.0
        return torch.log(counts / counts.sum())
    return torch.zeros(1)


def _loss(task: str, logits: torch.Tensor, targets: torch.Tensor, regression_loss: str) -> torch.Tensor:
    if task == "binary":
        return F.binary_cross_entropy_with_logits(logits[:, 0], targets)
    if task == "multiclass":
        return F.cross_entropy(logits, targets)
    if regression_loss == "mse":
        return F.mse_loss(logits[:, 0], targets)
    return F.l1_loss(logits[:, 0], targets)


def _read_out(task: str, logits: torch.Tensor, scale: dict) -> np.ndarray:
    if task == "binary":
        return torch.sigmoid(logits[:, 0]).numpy().astype(np.float64)
    if task == "multiclass":
        return torch.softmax(logits, dim=1).numpy().astype(np.float64)
    return logits[:, 0].numpy().astype(np.float64) * scale["spread"] + scale["mean"]


# --------------------------------------------------------------------------------------- training


def _cosine(total: int, warmup: int):
    def factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        progress = (step - warmup) / max(1, total - warmup)
        return 0.5 * (1.0 + math.cos(math.pi * min(1.0, progress)))
    return factor


def _param_groups(module: nn.Module, lr: float, weight_decay: float) -> list[dict]:
    decay = [p for p in module.parameters() if p.requires_grad and p.ndim >= 2]
    rest = [p for p in module.parameters() if p.requires_grad and p.ndim < 2]
    return [g for g in ({"params": decay, "lr": lr, "weight_decay": weight_decay},
                        {"params": rest, "lr": lr, "weight_decay": 0.0}) if g["params"]]


@torch.no_grad()
def _embed(loaded: LoadedModel, encoder: ImageEncoder, loader, extra: torch.Tensor,
           head: nn.Module | None = None) -> torch.Tensor:
    """Study features (embedding and extra columns) of every unit of `loader`, or the head's logits."""
    encoder.eval()
    out = []
    for images, study_index, index in loader:
        with loaded.autocast():
            features = encoder(images.to(loaded.device, non_blocking=True), study_index.to(loaded.device),
                               len(index))
        features = torch.cat([features.float(), extra[index].to(loaded.device)], dim=1)
        out.append((head(features) if head is not None else features).float().cpu())
    return torch.cat(out)


def _phases(settings: FinetuneSettings, batches: int) -> tuple[int, int]:
    """Optimiser steps of the frozen phase and of the full phase, capped together by `max_steps`."""
    frozen, full = settings.epochs_frozen * batches, settings.epochs * batches
    if settings.max_steps is not None:
        frozen = min(frozen, settings.max_steps)
        full = min(full, settings.max_steps - frozen)
    return frozen, full


def _progress_bar(enabled: bool, total: int, seed: int):
    if not enabled:
        return None
    from tqdm import tqdm

    return tqdm(total=total, desc=f"fine-tuning (seed {seed})", unit="step", leave=False)


def finetune_predict(loaded: LoadedModel, train_units: Sequence[Unit], y_train: np.ndarray,
                     test_units: Sequence[Unit], task: str, label: str, seed: int,
                     settings: FinetuneSettings | None = None, classes: np.ndarray | None = None
                     ) -> tuple[np.ndarray, dict]:
    """Fine-tune a copy of `loaded`'s image side with a head on `train_units` (`y_train`), predict
    `test_units`: (probabilities of the positive class `[n]` (binary), of each of `classes` `[n, C]`
    (multiclass), or values `[n]` (regression); the training log: steps per phase, mean loss per epoch)."""
    settings = settings or FinetuneSettings()
    if task == "multiclass":
        classes = np.unique(y_train) if classes is None else np.asarray(classes)
        if not np.isin(y_train, classes).all():
            raise ValueError("a training label is not among the classes")
    outputs = len(classes) if task == "multiclass" else 1
    device = loaded.device
    train_extra = torch.as_tensor(extra_features(list(train_units), label), dtype=torch.float32)
    test_extra = torch.as_tensor(extra_features(list(test_units), label), dtype=torch.float32)
    targets, scale = _targets(task, np.asarray(y_train, dtype=np.float64), classes)
    targets_device = targets.to(device)
    augment = train_transform(loaded.image_size, loaded.mean, loaded.std)
    letterbox = eval_transform(loaded.image_size, loaded.mean, loaded.std)
    train_set = _Studies(train_units, augment, settings.max_images, seed)
    train_plain = _Studies(train_units, letterbox, settings.max_images)
    test_set = _Studies(test_units, letterbox, settings.max_images)
    drop_last = len(train_set) > settings.batch_size
    batches = len(train_set) // settings.batch_size if drop_last else 1
    frozen_steps, full_steps = _phases(settings, batches)
    log: dict = {"seed": seed, "n_train": len(train_set), "steps_frozen": frozen_steps, "steps_full": full_steps,
                 "epoch_loss": [], "epoch_phase": []}

    with _fork_rng(device):
        torch.manual_seed(seed)
        encoder = ImageEncoder.from_model(loaded.model).to(device)
        encoder.requires_grad_(False)
        features = _embed(loaded, encoder, _loader(train_plain, settings.batch_size, settings.workers, device),
                          train_extra)
        spread = features.std(dim=0, unbiased=False)
        head = _Head(features.mean(dim=0), torch.where(spread > 1e-6, spread, torch.ones_like(spread)), outputs,
                     _initial_bias(task, targets, outputs)).to(device)
        scaler = torch.amp.GradScaler("cuda", enabled=loaded.precision == "fp16" and device.type == "cuda")
        bar = _progress_bar(settings.progress, frozen_steps + full_steps, seed)

        def run_phase(steps: int, frozen: bool, first_epoch: int) -> int:
            if steps == 0:
                return first_epoch
            encoder.requires_grad_(not frozen)
            groups = _param_groups(head, settings.head_lr, settings.weight_decay)
            if not frozen:
                groups += _param_groups(encoder, settings.lr, settings.weight_decay)
            optimiser = torch.optim.AdamW(groups)
            warmup = 0 if frozen else int(settings.warmup_fraction * steps)
            schedule = torch.optim.lr_scheduler.LambdaLR(optimiser, _cosine(steps, warmup))
            trainable = [p for g in groups for p in g["params"]]
            done, epoch = 0, first_epoch
            while done < steps:
                encoder.train(not frozen)  # frozen: no dropout, batch-norm statistics kept
                head.train()
                train_set.epoch = epoch
                order = np.random.default_rng([seed, epoch]).permutation(len(train_set)).tolist()
                losses = []
                for images, study_index, index in _loader(train_set, settings.batch_size, settings.workers, device,
                                                          order, drop_last):
                    images, study_index = images.to(device, non_blocking=True), study_index.to(device)
                    index = index.to(device)
                    with loaded.autocast(), torch.set_grad_enabled(not frozen):
                        embedded = encoder(images, study_index, len(index))
                    logits = head(torch.cat([embedded.float(), train_extra.to(device)[index]], dim=1))
                    loss = _loss(task, logits.float(), targets_device[index], settings.regression_loss)
                    if not torch.isfinite(loss):
                        raise RuntimeError(f"non-finite fine-tuning loss at step {done} (seed {seed})")
                    optimiser.zero_grad(set_to_none=True)
                    scaler.scale(loss).backward()
                    scaler.unscale_(optimiser)
                    torch.nn.utils.clip_grad_norm_(trainable, 1.0)
                    scaler.step(optimiser)
                    scaler.update()
                    schedule.step()
                    losses.append(float(loss.detach()))
                    done += 1
                    if bar is not None:
                        bar.update(1)
                    if done >= steps:
                        break
                log["epoch_loss"].append(float(np.mean(losses)))
                log["epoch_phase"].append("frozen" if frozen else "full")
                epoch += 1
            return epoch

        epoch = run_phase(frozen_steps, True, 0)
        run_phase(full_steps, False, epoch)
        if bar is not None:
            bar.close()
        encoder.requires_grad_(False)
        head.eval()
        logits = _embed(loaded, encoder, _loader(test_set, settings.batch_size, settings.workers, device), test_extra,
                        head)
    return _read_out(task, logits, scale), log
