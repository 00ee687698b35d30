"""A document under analysis: its text, a folded copy for matching, and the known patient."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from functools import cached_property

from ..patient import PatientIdentity


def fold_char(char: str) -> str:
    """One character, lower-cased and without accents (always exactly one character)."""
    base = unicodedata.normalize("NFD", char)[0].lower()
    return base if len(base) == 1 else char


class _FoldTable(dict):
    """`str.translate` table that computes and remembers each character's folded form."""

    def __missing__(self, code: int) -> str:
        value = self[code] = fold_char(chr(code))
        return value


_FOLD_TABLE = _FoldTable()


def fold(text: str) -> str:
    """Lower-case, accent-free copy of `text` with the same length, so offsets carry over."""
    return text.translate(_FOLD_TABLE)


@dataclass
class Document:
    """The unit every detector reads. Offsets into `folded` are offsets into `text`."""

    text: str
    patient: PatientIdentity | None = None
    id: str = ""
    cache: dict = field(default_factory=dict, repr=False)  # shared results (e.g. a spaCy Doc)

    @cached_property
    def folded(self) -> str:
        """`fold(text)`."""
        return fold(self.text)
