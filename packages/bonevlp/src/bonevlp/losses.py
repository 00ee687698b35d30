"""Contrastive losses between image (or study) embeddings and report embeddings, multi-positive aware.

Both losses take L2-normalised `image_features [Ni, D]`, `text_features [B, D]`, the temperature as
`logit_scale` (already exponentiated, `1 / temperature`, as open_clip models return it) and
`positives [Ni, B]`, True where image i and text j belong together. `positives=None` means the identity
(row i goes with text i, Ni == B): the study-pooled case. With per-image features, image i's positive is
its study's text (`positives_from_study_index`).

The temperature and SigLIP's bias are parameters of the model (open_clip's `logit_scale`, `logit_bias`),
not of the loss, so that they are optimised and saved with it; `StudyCLIP(init_temperature=...,
learn_temperature=..., init_logit_bias=...)` sets them (`ClipLoss.default_init`, `SigLipLoss.default_init`).

Under `torch.distributed` with more than one process (and `gather=True`), features and positives of all
ranks are gathered with `torch.distributed.nn.functional.all_gather` (gradients flow back to their rank;
ranks may hold different batch sizes) and every rank computes the loss of the global batch, as open_clip
does without `local_loss`: with DDP's gradient averaging the update equals one process's on the
concatenated batch.
"""

from __future__ import annotations

import math
import warnings

import torch
import torch.nn.functional as F  # noqa: N812 - the usual name
from torch import nn


def positives_from_study_index(study_index: torch.Tensor, n_studies: int) -> torch.Tensor:
    """`[N_images, n_studies]` booleans: image i is a positive of its own study's text."""
    study_index = study_index.long()
    return study_index[:, None] == torch.arange(n_studies, device=study_index.device)[None, :]


def positives_for(outputs: dict) -> torch.Tensor | None:
    """The `positives` argument for a `StudyCLIP` output: None (identity) for study embeddings, each
    image's study for per-image embeddings (pooling `"none"`)."""
    if not outputs.get("per_image", False):
        return None
    return positives_from_study_index(outputs["study_index"], outputs["text_features"].shape[0])


def _distributed_world() -> int:
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        return torch.distributed.get_world_size()
    return 1


def _gather_rows(tensor: torch.Tensor, with_grad: bool) -> tuple[list[torch.Tensor], list[int]]:
    """Every rank's `tensor` (rows may differ in number): padded to the largest, gathered, unpadded."""
    dist = torch.distributed
    world = dist.get_world_size()
    size = torch.tensor([tensor.shape[0]], device=tensor.device, dtype=torch.long)
    sizes = [torch.zeros_like(size) for _ in range(world)]
    dist.all_gather(sizes, size)
    sizes = [int(s.item()) for s in sizes]
    padded = F.pad(tensor, [0, 0] * (tensor.ndim - 1) + [0, max(sizes) - tensor.shape[0]])
    if with_grad:
        from torch.distributed.nn.functional import all_gather

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)  # deprecated in favour of functional collectives
            parts = list(all_gather(padded))
    else:
        parts = [torch.empty_like(padded) for _ in range(world)]
        dist.all_gather(parts, padded.contiguous())
    return [part[:n] for part, n in zip(parts, sizes, strict=True)], sizes


def gather_features(image_features: torch.Tensor, text_features: torch.Tensor,
                    positives: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The global batch: all ranks' image and text features (with gradients) and the block-diagonal
    positives (each rank's images only match its own texts)."""
    images, image_sizes = _gather_rows(image_features, with_grad=True)
    texts, text_sizes = _gather_rows(text_features, with_grad=True)
    # pad the positives to [max Ni, max B] so that every rank sends the same shape
    pos = positives.to(torch.uint8)
    pos = F.pad(pos, [0, max(text_sizes) - pos.shape[1]])
    blocks, _ = _gather_rows(pos, with_grad=False)
    global_pos = torch.zeros(sum(image_sizes), sum(text_sizes), dtype=torch.bool, device=positives.device)
    row = col = 0
    for block, n_img, n_txt in zip(blocks, image_sizes, text_sizes, strict=True):
        global_pos[row:row + n_img, col:col + n_txt] = block[:, :n_txt].bool()
        row, col = row + n_img, col + n_txt
    return torch.cat(images), torch.cat(texts), global_pos


def _resolve_positives(image_features: torch.Tensor, text_features: torch.Tensor,
                       positives: torch.Tensor | None) -> torch.Tensor:
    n_img, n_txt = image_features.shape[0], text_features.shape[0]
    if positives is None:
        if n_img != n_txt:
            raise ValueError(f"{n_img} image rows and {n_txt} texts: pass positives [Ni, B] (per-image features)")
        return torch.eye(n_img, dtype=torch.bool, device=image_features.device)
    if tuple(positives.shape) != (n_img, n_txt):
        raise ValueError(f"positives must be [{n_img}, {n_txt}], got {tuple(positives.shape)}")
    return positives.to(device=image_features.device, dtype=torch.bool)


def _soft_cross_entropy(logits: torch.Tensor, positives: torch.Tensor) -> torch.Tensor:
    """Cross-entropy against the uniform distribution over each row's positives, averaged over the rows
    that have at least one (equal to `F.cross_entropy(logits, arange)` for the identity)."""
    counts = positives.sum(dim=1)
    has_positive = counts > 0
    targets = positives.to(logits.dtype) / counts.clamp(min=1)[:, None].to(logits.dtype)
    per_row = -(targets * F.log_softmax(logits, dim=1)).sum(dim=1)
    return per_row[has_positive].mean()


class _ContrastiveLoss(nn.Module):
    def __init__(self, gather: bool = True):
        super().__init__()
        self.gather = gather

    def _global_batch(self, image_features, text_features, positives):
        positives = _resolve_positives(image_features, text_features, positives)
        if self.gather and _distributed_world() > 1:
            return gather_features(image_features, text_features, positives)
        return image_features, text_features, positives


class ClipLoss(_ContrastiveLoss):
    """InfoNCE in both directions (CLIP), multi-positive aware.

    image -> text: each image row's target is uniform over its positive texts (its study's report);
    text -> image: each text's target is uniform over its positive images (all its study's images, with
    per-image features). With the identity this is open_clip's `ClipLoss`. `logit_bias`, if given, is
    added to every logit and changes nothing (softmax)."""

    default_init = {"init_temperature": 0.07, "init_logit_bias": None}

    def forward(self, image_features: torch.Tensor, text_features: torch.Tensor, logit_scale: torch.Tensor | float,
                positives: torch.Tensor | None = None, logit_bias: torch.Tensor | None = None) -> torch.Tensor:
        images, texts, positives = self._global_batch(image_features, text_features, positives)
        logits_per_image = logit_scale * images @ texts.T
        if logit_bias is not None:
            logits_per_image = logits_per_image + logit_bias
        return (_soft_cross_entropy(logits_per_image, positives)
                + _soft_cross_entropy(logits_per_image.T, positives.T)) / 2


class SigLipLoss(_ContrastiveLoss):
    """Sigmoid loss (SigLIP, Zhai et al. 2023): every (image, text) pair is a binary problem, label +1 for
    positives and -1 otherwise; summed over pairs and divided by the number of image rows, as open_clip's
    `SigLipLoss`. Use with a model whose `logit_bias` exists (init -10) and `logit_scale` starts at log(10)."""

    default_init = {"init_temperature": 0.1, "init_logit_bias": -10.0}

    def forward(self, image_features: torch.Tensor, text_features: torch.Tensor, logit_scale: torch.Tensor | float,
                logit_bias: torch.Tensor | float | None, positives: torch.Tensor | None = None) -> torch.Tensor:
        images, texts, positives = self._global_batch(image_features, text_features, positives)
        logits = logit_scale * images @ texts.T
        if logit_bias is not None:
            logits = logits + logit_bias
        labels = positives.to(logits.dtype) * 2 - 1
        return -F.logsigmoid(labels * logits).sum() / images.shape[0]


def init_logit_scale(temperature: float) -> float:
    """open_clip's `logit_scale` parameter for a temperature: log(1 / temperature)."""
    return math.log(1.0 / temperature)
