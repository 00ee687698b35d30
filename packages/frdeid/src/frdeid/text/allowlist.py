"""Terms that look like names or places but are medical vocabulary (eponyms, classifications,
radiographic views, devices, drugs): never tagged by lexicon or NER detectors, unless they are
the known patient's name. The list is data: `frdeid/data/allowlist/*.txt`, one term per line."""

from __future__ import annotations

from functools import cache
from importlib import resources

from .document import fold


@cache
def allowlist_terms() -> frozenset[str]:
    """Every allow-listed term, folded (lower case, no accents)."""
    terms: set[str] = set()
    folder = resources.files("frdeid").joinpath("data/allowlist")
    if not folder.is_dir():
        return frozenset()
    for entry in folder.iterdir():
        if entry.name.endswith(".txt"):
            for line in entry.read_text(encoding="utf-8").splitlines():
                line = line.split("#", 1)[0].strip()
                if line:
                    terms.add(fold(line))
    return frozenset(terms)


def is_allowlisted(surface: str) -> bool:
    """Whether a detected surface is medical vocabulary: the whole surface, or every word of it
    (so "Pouteau-Colles" and "Kellgren et Lawrence" are covered by their parts)."""
    folded = fold(surface).strip(" .,;:()")
    terms = allowlist_terms()
    if folded in terms:
        return True
    words = [w for w in folded.replace("-", " ").split() if w not in ("et", "de", "du", "la", "le")]
    return bool(words) and all(w in terms for w in words)
