"""Tokenisation shared by NER training and inference: words, numbers and single punctuation marks,
with character offsets; sentences end at line breaks and at `.`/`!`/`?` followed by a capital."""

from __future__ import annotations

import regex

_TOKEN = regex.compile(r"\p{L}[\p{L}\p{M}'’]*|\d+|[^\s\p{L}\d]")
MAX_TOKENS = 120


def tokenize(text: str) -> list[tuple[int, int]]:
    """`(start, end)` of every token."""
    return [m.span() for m in _TOKEN.finditer(text)]


def sentences(text: str) -> list[list[tuple[int, int]]]:
    """Tokens grouped in sentences of at most MAX_TOKENS tokens."""
    out: list[list[tuple[int, int]]] = []
    current: list[tuple[int, int]] = []
    for start, end in tokenize(text):
        if current:
            gap = text[current[-1][1]:start]
            previous = text[current[-1][0]:current[-1][1]]
            if "\n" in gap or (previous in ".!?" and text[start].isupper()) or len(current) >= MAX_TOKENS:
                out.append(current)
                current = []
        current.append((start, end))
    if current:
        out.append(current)
    return out


def bioes_tags(tokens: list[tuple[int, int]], spans: list[tuple[int, int, str]]) -> list[str]:
    """BIOES tags of tokens for gold spans (a token belongs to a span when it overlaps it)."""
    tags = ["O"] * len(tokens)
    for start, end, label in spans:
        inside = [i for i, (a, b) in enumerate(tokens) if a < end and start < b]
        if not inside:
            continue
        if len(inside) == 1:
            tags[inside[0]] = f"S-{label}"
            continue
        tags[inside[0]] = f"B-{label}"
        for i in inside[1:-1]:
            tags[i] = f"I-{label}"
        tags[inside[-1]] = f"E-{label}"
    return tags
