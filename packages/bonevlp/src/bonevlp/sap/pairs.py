"""Synonym pairs for self-alignment, as SapBERT builds them: every unordered pair of terms of a concept,
at most `max_per_concept` per concept (a deterministic sample when a concept has more), and a seeded
order of pairs per epoch.

A batch of B pairs gives 2B terms labelled by their concept: the two sides of a pair are positives, and
any other terms of the same concept in the batch too; terms of other concepts are the negatives the
miner picks from.
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass

import torch

from .terms import SynonymTable, concept_hash

MAX_PAIRS_PER_CONCEPT = 50  # SapBERT's cap


@dataclass(frozen=True)
class Pair:
    label: int      # the concept's index in the table
    first: str
    second: str


def synonym_pairs(table: SynonymTable, max_per_concept: int = MAX_PAIRS_PER_CONCEPT, seed: int = 0) -> list[Pair]:
    """All `itertools.combinations(terms, 2)` of each concept, table order; a concept with more than
    `max_per_concept` pairs keeps a sample drawn with a generator seeded by (seed, concept id), so the
    sample does not change when other concepts do. Concepts with one term give no pair."""
    if max_per_concept < 1:
        raise ValueError(f"max_per_concept must be >= 1, not {max_per_concept}")
    pairs: list[Pair] = []
    for label, (concept, terms) in enumerate(table.concepts.items()):
        combos = list(itertools.combinations(terms, 2))
        if len(combos) > max_per_concept:
            rng = random.Random(int(concept_hash(concept, seed) * 2**53))
            chosen = sorted(rng.sample(range(len(combos)), max_per_concept))
            combos = [combos[i] for i in chosen]
        pairs.extend(Pair(label, a, b) for a, b in combos)
    return pairs


def epoch_batches(pairs: list[Pair], batch_size: int, epoch: int, seed: int = 0) -> list[list[Pair]]:
    """The pairs shuffled by (seed, epoch) in batches of `batch_size` (the last one may be smaller; a
    last batch of one pair is merged into the one before, since one concept alone has no negative)."""
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, not {batch_size}")
    generator = torch.Generator().manual_seed(seed * 100_003 + epoch)
    order = torch.randperm(len(pairs), generator=generator).tolist()
    batches = [[pairs[i] for i in order[start:start + batch_size]] for start in range(0, len(order), batch_size)]
    if len(batches) > 1 and len(batches[-1]) == 1:
        batches[-2].extend(batches.pop())
    return batches


def batch_texts(batch: list[Pair]) -> tuple[list[str], torch.Tensor]:
    """The 2B texts of a batch (first sides, then second sides) and their concept labels `[2B]`."""
    labels = torch.tensor([p.label for p in batch], dtype=torch.long)
    return [p.first for p in batch] + [p.second for p in batch], torch.cat([labels, labels])
