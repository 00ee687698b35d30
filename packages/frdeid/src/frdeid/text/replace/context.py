"""What the replacement of one document shares between its spans: the key, the pools, the originals
no surrogate may contain and the patient's names."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TypeVar

from .casing import key_norm
from .keyed import Keyed, NoSurrogateError, salted
from .pools import Pools
from .vocab import STRUCTURE_WORDS

_WORD = re.compile(r"[^\W_]+")
MAX_TRIES = 40  # surrogate candidates tried before a component gives up
T = TypeVar("T")


@dataclass
class Context:
    """Per-document state. `attempt` salts every derivation when a whole span must be redrawn."""

    keyed: Keyed
    pools: Pools
    forbidden: frozenset[str] = frozenset()
    patient: object | None = None  # a names.PatientNames
    attempt: int = 0

    def with_attempt(self, attempt: int) -> Context:
        """The same context with another span-level attempt."""
        return replace(self, attempt=attempt)

    def acceptable(self, original: str, candidate: str) -> bool:
        """A surrogate never equals its original, never contains it, its new words never contain any
        original value or name word of the document, and the words it copies from its original on
        purpose ("Rue", "Clinique", "van") never equal one (compared folded, letters and digits only)."""
        cand, orig = key_norm(candidate), key_norm(original)
        if not cand or cand == orig or (len(orig) >= 3 and orig in cand):
            return False
        copied = {key_norm(w) for w in _WORD.findall(original)} & STRUCTURE_WORDS
        words = [key_norm(w) for w in _WORD.findall(candidate)]
        new = "".join(w for w in words if w not in copied)
        if any(f in new for f in self.forbidden):
            return False
        return not any(w in self.forbidden for w in words if w in copied)

    def choose(self, domain: str, value: str, original: str, make: Callable[[int], str],
               extra: Callable[[str], bool] | None = None) -> str:
        """The first acceptable `make(number)` over numbers derived from (domain, value, counter)."""
        return self.choose_item(domain, value, original, make, str, extra)

    def choose_item(self, domain: str, value: str, original: str, make: Callable[[int], T],
                    text: Callable[[T], str], extra: Callable[[T], bool] | None = None) -> T:
        """Like `choose` for any item, `text(item)` being what is compared with the original."""
        for counter in range(MAX_TRIES):
            candidate = make(self.keyed.number(domain, salted(value, self.attempt, counter)))
            if self.acceptable(original, text(candidate)) and (extra is None or extra(candidate)):
                return candidate
        raise NoSurrogateError(domain)

    def salt(self, value: str) -> str:
        """`value` salted with the span-level attempt (for derivations outside `choose`)."""
        return salted(value, self.attempt)
