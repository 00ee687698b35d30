"""Key-derived choices. Every surrogate is picked with a number from `keys.derive`, so the same
original value under the same key always gives the same surrogate, in any document and any run."""

from __future__ import annotations

import string
from bisect import bisect_right
from collections.abc import Callable, Iterator, Sequence
from itertools import accumulate, count

from ...keys import derive


def salted(value: str, attempt: int = 0, counter: int = 0) -> str:
    """`value` with a retry counter and a span-level attempt appended; both 0 leave it unchanged, so
    a first choice is `derive(key, domain, value)` itself."""
    return value + (f"\x00#{counter}" if counter else "") + (f"\x00@{attempt}" if attempt else "")


class NoSurrogateError(ValueError):
    """No acceptable surrogate was found (or a pool is empty); the span falls back to its placeholder."""


class Keyed:
    """Numbers, indices and character streams derived from one key."""

    def __init__(self, key: bytes) -> None:
        if not isinstance(key, bytes) or not key:
            raise ValueError("a non-empty key (bytes) is required")
        self._key = key

    def number(self, domain: str, value: str) -> int:
        """A 256-bit number fixed by key, domain and value."""
        return int.from_bytes(derive(self._key, domain, value), "big")

    def index(self, domain: str, value: str, size: int) -> int:
        """An index in `range(size)`."""
        if size <= 0:
            raise NoSurrogateError("empty pool")
        return self.number(domain, value) % size

    def stream(self, domain: str, value: str) -> Iterator[int]:
        """An endless stream of bytes fixed by key, domain and value."""
        for block in count():
            yield from derive(self._key, domain, f"{value}\x00{block}")

    def other_letter(self, domain: str, value: str, original: str) -> str:
        """A letter different from `original` (compared without case or accents), lower case."""
        base = original.lower()
        choices = [c for c in string.ascii_lowercase if c != base]
        return choices[self.index(domain, value, len(choices))]


class WeightedPool:
    """Items drawn with probability proportional to their weight."""

    def __init__(self, items: Sequence[str], weights: Sequence[int] | None = None,
                 transform: Callable[[str], str] | None = None) -> None:
        self.items = list(items)
        weights = [max(int(w), 1) for w in weights] if weights is not None else [1] * len(self.items)
        self._cumulative = list(accumulate(weights))
        self._transform = transform

    def __len__(self) -> int:
        return len(self.items)

    def pick(self, number: int) -> str:
        """The item that `number` (any non-negative integer) falls on."""
        if not self.items:
            raise NoSurrogateError("empty pool")
        item = self.items[bisect_right(self._cumulative, number % self._cumulative[-1])]
        return self._transform(item) if self._transform else item
