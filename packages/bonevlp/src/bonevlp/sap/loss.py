"""SapBERT's objective in plain torch: an in-batch triplet-margin miner and the multi-similarity loss.

It follows what SapBERT runs with pytorch-metric-learning (`TripletMarginMiner(margin=0.2,
type_of_triplets="all")` then `MultiSimilarityLoss(alpha=1, beta=60, base=0.5)`; Liu et al., NAACL 2021;
Wang et al., CVPR 2019 for the loss):

* the miner keeps every triplet (anchor a, positive p, negative n) of the batch with
  d(a, n) - d(a, p) <= margin, d the Euclidean distance of L2-normalised embeddings; the loss then sees
  the pairs (a, p) and (a, n) of the kept triplets, i.e. a positive pair (a, p) survives when some
  negative is within `margin` of it, a negative pair (a, n) when some positive is;
* with S the cosine similarity, P_i and N_i the kept positives and negatives of anchor i,

      L_i = 1/alpha * log(1 + sum_{p in P_i} exp(-alpha (S_ip - lambda)))
          + 1/beta  * log(1 + sum_{n in N_i} exp( beta  (S_in - lambda)))

  and the loss is the mean of L_i over every row of the batch (a row without pairs counts 0), as
  pytorch-metric-learning's mean reducer does.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F  # noqa: N812 - the usual name
from torch import nn

ALPHA, BETA, BASE, MINER_MARGIN = 1.0, 60.0, 0.5, 0.2  # SapBERT's settings


def label_masks(labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(positive, negative) boolean masks `[N, N]`: same label off the diagonal, other label."""
    same = labels[:, None] == labels[None, :]
    eye = torch.eye(len(labels), dtype=torch.bool, device=labels.device)
    return same & ~eye, ~same


@torch.no_grad()
def mine_hard_pairs(embeddings: torch.Tensor, labels: torch.Tensor,
                    margin: float = MINER_MARGIN) -> tuple[torch.Tensor, torch.Tensor]:
    """The triplet-margin miner ("all" triplets violating `margin`) as (positive, negative) pair masks."""
    x = F.normalize(embeddings.detach().float(), dim=-1)
    distance = (2 - 2 * (x @ x.T)).clamp_min(0).sqrt()
    positive, negative = label_masks(labels)
    inf = torch.tensor(float("inf"), device=x.device)
    # (a, p) is in a kept triplet iff min_n d(a, n) <= d(a, p) + margin
    nearest_negative = torch.where(negative, distance, inf).amin(dim=1, keepdim=True)
    # (a, n) is in a kept triplet iff d(a, n) <= max_p d(a, p) + margin
    farthest_positive = torch.where(positive, distance, -inf).amax(dim=1, keepdim=True)
    has_both = positive.any(dim=1, keepdim=True) & negative.any(dim=1, keepdim=True)
    hard_positive = positive & (nearest_negative <= distance + margin) & has_both
    hard_negative = negative & (distance <= farthest_positive + margin) & has_both
    return hard_positive, hard_negative


def _log1p_sum_exp(values: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """log(1 + sum over `mask` of exp(values)) per row, 0 for a row with nothing in `mask`."""
    values = values.masked_fill(~mask, float("-inf"))
    zeros = torch.zeros(values.shape[0], 1, dtype=values.dtype, device=values.device)
    return torch.logsumexp(torch.cat([values, zeros], dim=1), dim=1)


def multi_similarity_loss(embeddings: torch.Tensor, labels: torch.Tensor, positive: torch.Tensor | None = None,
                          negative: torch.Tensor | None = None, alpha: float = ALPHA, beta: float = BETA,
                          base: float = BASE) -> torch.Tensor:
    """The MS loss of `embeddings [N, D]` (normalised here) with concept `labels [N]` over the pairs in
    the `positive` / `negative` masks (default: every pair of the batch)."""
    if positive is None or negative is None:
        positive, negative = label_masks(labels)
    x = F.normalize(embeddings.float(), dim=-1)
    similarity = x @ x.T
    pos = _log1p_sum_exp(-alpha * (similarity - base), positive) / alpha
    neg = _log1p_sum_exp(beta * (similarity - base), negative) / beta
    return (pos + neg).mean()


class SapLoss(nn.Module):
    """Miner then multi-similarity loss (`miner_margin` None: every pair, no mining)."""

    def __init__(self, alpha: float = ALPHA, beta: float = BETA, base: float = BASE,
                 miner_margin: float | None = MINER_MARGIN):
        super().__init__()
        self.alpha, self.beta, self.base, self.miner_margin = alpha, beta, base, miner_margin

    def forward(self, embeddings: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        if self.miner_margin is None:
            positive, negative = label_masks(labels)
        else:
            positive, negative = mine_hard_pairs(embeddings, labels, self.miner_margin)
        return multi_similarity_loss(embeddings, labels, positive, negative, self.alpha, self.beta, self.base)
