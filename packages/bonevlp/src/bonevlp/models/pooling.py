"""Study-level pooling of image embeddings: a study is a bag of images, a report describes the bag.

Both poolers take the embeddings of every image of a batch, flat (`features [N_images, D]`), with the
study each image belongs to (`study_index [N_images]`, values in `0 .. n_studies-1`) and return one
embedding per study (`[n_studies, D]`); a study without images gets zeros. Vectorised: no loop over
studies.
"""

from __future__ import annotations

import torch
from torch import nn


def _check(features: torch.Tensor, study_index: torch.Tensor, n_studies: int) -> torch.Tensor:
    if features.ndim != 2 or study_index.ndim != 1 or study_index.shape[0] != features.shape[0]:
        raise ValueError(f"features [N, D] and study_index [N] expected, got {tuple(features.shape)} "
                         f"and {tuple(study_index.shape)}")
    study_index = study_index.to(device=features.device, dtype=torch.long)
    if study_index.numel() and (int(study_index.min()) < 0 or int(study_index.max()) >= n_studies):
        raise ValueError(f"study_index outside 0..{n_studies - 1}")
    return study_index


def segment_softmax(scores: torch.Tensor, segment: torch.Tensor, n_segments: int) -> torch.Tensor:
    """Softmax of `scores [N]` within each segment (`segment [N]`): the weights of a segment sum to 1."""
    floor = torch.finfo(scores.dtype).min
    seg_max = torch.full((n_segments,), floor, dtype=scores.dtype, device=scores.device)
    seg_max = seg_max.scatter_reduce(0, segment, scores.detach(), reduce="amax", include_self=True)
    exp = torch.exp(scores - seg_max[segment])
    seg_sum = torch.zeros(n_segments, dtype=scores.dtype, device=scores.device).index_add(0, segment, exp)
    return exp / seg_sum[segment]


class MeanPool(nn.Module):
    """The mean of a study's image embeddings."""

    def forward(self, features: torch.Tensor, study_index: torch.Tensor, n_studies: int) -> torch.Tensor:
        study_index = _check(features, study_index, n_studies)
        sums = features.new_zeros(n_studies, features.shape[1]).index_add(0, study_index, features)
        counts = torch.bincount(study_index, minlength=n_studies).clamp(min=1).to(features.dtype)
        return sums / counts[:, None]


class GatedAttentionPool(nn.Module):
    """Gated attention multiple-instance pooling (Ilse, Tomczak and Welling, ICML 2018):
    `a_k = softmax_k(w^T (tanh(V h_k) * sigmoid(U h_k)))` over the images k of a study, output
    `sum_k a_k h_k`."""

    def __init__(self, dim: int, hidden: int = 128):
        super().__init__()
        self.dim, self.hidden = dim, hidden
        self.attention_v = nn.Linear(dim, hidden)
        self.attention_u = nn.Linear(dim, hidden)
        self.attention_w = nn.Linear(hidden, 1)

    def scores(self, features: torch.Tensor) -> torch.Tensor:
        """The unnormalised attention score of each image, `[N]`."""
        gated = torch.tanh(self.attention_v(features)) * torch.sigmoid(self.attention_u(features))
        return self.attention_w(gated).squeeze(-1)

    def attention_weights(self, features: torch.Tensor, study_index: torch.Tensor, n_studies: int) -> torch.Tensor:
        """The weight of each image within its study, `[N]` (the weights of a study sum to 1)."""
        study_index = _check(features, study_index, n_studies)
        return segment_softmax(self.scores(features).float(), study_index, n_studies)

    def forward(self, features: torch.Tensor, study_index: torch.Tensor, n_studies: int) -> torch.Tensor:
        study_index = _check(features, study_index, n_studies)
        weights = segment_softmax(self.scores(features).float(), study_index, n_studies)
        weighted = features * weights[:, None].to(features.dtype)
        return features.new_zeros(n_studies, features.shape[1]).index_add(0, study_index, weighted)


def build_pooling(kind: str, dim: int, hidden: int = 128) -> nn.Module | None:
    """`"mean"`, `"gated"` or `"none"` (per-image features, no pooling: returns None)."""
    if kind == "mean":
        return MeanPool()
    if kind == "gated":
        return GatedAttentionPool(dim, hidden)
    if kind == "none":
        return None
    raise ValueError(f"unknown pooling {kind!r}: expected 'mean', 'gated' or 'none'")
