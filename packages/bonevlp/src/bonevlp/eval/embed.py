"""Embedding with a trained model: loading it (a run directory or an exported one), images in batches
through the evaluation transform (letterbox) with study pooling, texts in batches; CPU or GPU.

    loaded = load_model("runs/demo")                   # or an `bonevlp export` folder
    studies = embed_image_groups(loaded, [[p1, p2], [p3]])   # [2, D], L2-normalised
    texts = embed_texts(loaded, ["Fracture.", "Pas de fracture."])

A study's images are pooled as the model pools (mean or gated attention); a model trained without
pooling (`"none"`) gets the mean of its image embeddings. At most `max_images` (default 12, as in
training) images of a study are used, the first ones.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F  # noqa: N812 - the usual name
from PIL import Image

from ..data.augment import eval_transform
from ..models.pooling import MeanPool
from ..models.study_model import EXPORT_CONFIG, StudyCLIP

MAX_IMAGES = 12


@dataclass
class LoadedModel:
    """A model ready to embed: the `StudyCLIP` (eval mode, on `device`), its tokenizer, the image side,
    normalisation and the settings of its training run when known (`run_config`; None for an export)."""

    model: StudyCLIP
    tokenize: Callable
    image_size: int
    mean: tuple[float, ...]
    std: tuple[float, ...]
    device: torch.device
    source: str
    run_config: dict | None = None
    precision: str = "fp32"

    def autocast(self):
        """Mixed precision on a GPU when asked for (bf16 / fp16), nothing otherwise."""
        if self.precision in ("bf16", "fp16") and self.device.type == "cuda":
            dtype = torch.bfloat16 if self.precision == "bf16" else torch.float16
            return torch.autocast(device_type="cuda", dtype=dtype)
        return contextlib.nullcontext()

    def logit_scale(self) -> float:
        return float(self.model.logit_scale().detach().float().cpu())


def pick_device(device: str | torch.device | None = "auto") -> torch.device:
    """"auto" (or None): the first GPU when there is one, else the CPU."""
    if device is None or str(device) == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


def _size_of(preprocess: dict) -> int:
    size = preprocess.get("size", 224)
    return int(size if isinstance(size, int) else size[0])


def load_model(path: str | Path, device: str | torch.device | None = "auto", precision: str = "auto") -> LoadedModel:
    """A run directory (`checkpoints/latest.pt`: its latest weights, training image size) or a folder
    written by `bonevlp export` (`open_clip_config.json`). `precision`: "auto" (bf16 on a GPU, fp32 on
    the CPU), "fp32", "bf16" or "fp16"."""
    path = Path(path)
    run_config = None
    if (path / "checkpoints" / "latest.pt").is_file():
        from ..train.export import load_run

        model, preprocess, tokenize, _ = load_run(path)
        config_path = path / "config.json"
        run_config = json.loads(config_path.read_text(encoding="utf-8")) if config_path.is_file() else None
    elif (path / EXPORT_CONFIG).is_file():
        from ..models.study_model import load_study_model

        model, preprocess, tokenize = load_study_model(path)
    else:
        raise FileNotFoundError(f"{path} is neither a run directory (checkpoints/latest.pt) nor an exported model "
                                f"({EXPORT_CONFIG})")
    device = pick_device(device)
    if precision == "auto":
        precision = "bf16" if device.type == "cuda" else "fp32"
    if precision not in ("fp32", "bf16", "fp16"):
        raise ValueError(f"precision must be auto, fp32, bf16 or fp16, not {precision!r}")
    model.to(device).eval()
    image_size = (run_config or {}).get("image_size") or _size_of(preprocess)
    return LoadedModel(model, tokenize, int(image_size), tuple(preprocess.get("mean", (0.5,))),
                       tuple(preprocess.get("std", (0.5,))), device, str(path), run_config, precision)


def wrap_model(model: StudyCLIP, tokenize: Callable, preprocess: dict, device: str | torch.device | None = "cpu",
               precision: str = "fp32") -> LoadedModel:
    """A `LoadedModel` around a model already in memory (tests, notebooks)."""
    device = pick_device(device)
    model.to(device).eval()
    return LoadedModel(model, tokenize, _size_of(preprocess), tuple(preprocess.get("mean", (0.5,))),
                       tuple(preprocess.get("std", (0.5,))), device, "<memory>", None, precision)


def open_image(path: str | Path) -> Image.Image:
    """A radiograph as PIL; 16-bit and float images are stretched to 8 bits (min to max)."""
    image = Image.open(path)
    if image.mode in ("I", "I;16", "I;16B", "I;16L", "F"):
        pixels = np.asarray(image, dtype=np.float64)
        low, high = float(pixels.min()), float(pixels.max())
        scaled = (pixels - low) / (high - low) * 255.0 if high > low else np.zeros_like(pixels)
        image = Image.fromarray(np.rint(scaled).astype(np.uint8), mode="L")
    return image


class _Groups(torch.utils.data.Dataset):
    """Group i -> its (first `max_images`) images, transformed, `[k, 3, S, S]`."""

    def __init__(self, groups: Sequence[Sequence[Path]], transform: Callable, max_images: int):
        self.groups = [list(g)[:max_images] for g in groups]
        self.transform = transform
        for index, group in enumerate(self.groups):
            if not group:
                raise ValueError(f"group {index} has no image")

    def __len__(self) -> int:
        return len(self.groups)

    def __getitem__(self, index: int) -> torch.Tensor:
        return torch.stack([self.transform(open_image(path)) for path in self.groups[index]])


def _collate(stacks: list[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    counts = torch.tensor([len(s) for s in stacks], dtype=torch.long)
    return torch.cat(stacks), torch.repeat_interleave(torch.arange(len(stacks)), counts)


@torch.no_grad()
def encode_study_batch(loaded: LoadedModel, images: torch.Tensor, study_index: torch.Tensor,
                       n_studies: int) -> torch.Tensor:
    """L2-normalised embeddings `[n_studies, D]` (float32, CPU) of a batch of studies' images."""
    images = images.to(loaded.device, non_blocking=True)
    study_index = study_index.to(loaded.device)
    with loaded.autocast():
        features = loaded.model.encode_studies(images, study_index, n_studies)
    features = features.float()
    if loaded.model.pool is None:  # a model without pooling: the mean of its image embeddings
        features = F.normalize(MeanPool()(features, study_index, n_studies), dim=-1)
    return features.cpu()


@torch.no_grad()
def embed_image_groups(loaded: LoadedModel, groups: Sequence[Sequence[str | Path]], batch_size: int = 64,
                       workers: int = 0, max_images: int = MAX_IMAGES, progress: bool = False) -> torch.Tensor:
    """One L2-normalised embedding per group of images (a study, or a single image), `[G, D]` float32
    on the CPU; `batch_size` groups at a time, images decoded by `workers` DataLoader processes."""
    transform = eval_transform(loaded.image_size, loaded.mean, loaded.std)
    dataset = _Groups([[Path(p) for p in g] for g in groups], transform, max_images)
    loader = torch.utils.data.DataLoader(dataset, batch_size=batch_size, num_workers=workers, collate_fn=_collate,
                                         pin_memory=loaded.device.type == "cuda")
    batches = _progress(loader, progress, "images")
    out = [encode_study_batch(loaded, images, index, int(index.max()) + 1) for images, index in batches]
    if not out:
        return torch.empty(0, loaded.model.embed_dim)
    return torch.cat(out)


@torch.no_grad()
def embed_texts(loaded: LoadedModel, texts: Sequence[str], batch_size: int = 256) -> torch.Tensor:
    """L2-normalised text embeddings `[N, D]` float32 on the CPU."""
    out = []
    for start in range(0, len(texts), batch_size):
        tokens = loaded.tokenize(list(texts[start:start + batch_size])).to(loaded.device)
        with loaded.autocast():
            features = loaded.model.encode_text(tokens)
        out.append(F.normalize(features.float(), dim=-1).cpu())
    if not out:
        return torch.empty(0, loaded.model.embed_dim)
    return torch.cat(out)


def _progress(iterable, enabled: bool, what: str):
    if not enabled:
        return iterable
    from tqdm import tqdm

    return tqdm(iterable, desc=f"embedding {what}", unit="batch", leave=False)
