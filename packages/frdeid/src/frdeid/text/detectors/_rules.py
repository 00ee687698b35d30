"""Helpers shared by the rule detectors: candidate selection and span building."""

from __future__ import annotations

from collections.abc import Iterable

from ...spans import Span

Candidate = tuple[int, int]


def disjoint(candidates: Iterable[Candidate]) -> list[Candidate]:
    """Non-overlapping candidates, sorted: the longest win, then the earliest."""
    chosen: list[Candidate] = []
    for start, end in sorted(set(candidates), key=lambda c: (c[0] - c[1], c[0])):
        if start < end and all(end <= a or b <= start for a, b in chosen):
            chosen.append((start, end))
    return sorted(chosen)


def to_spans(candidates: Iterable[Candidate], label: str, source: str, tier: int) -> list[Span]:
    """Sorted, disjoint spans of one label from possibly overlapping candidates."""
    return [Span(a, b, label, source, tier) for a, b in disjoint(candidates)]
