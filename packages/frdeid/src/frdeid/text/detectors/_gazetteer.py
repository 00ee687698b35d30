"""Many fixed phrases matched at once, word by word, on `Document.folded`.

Phrases are folded and split into words; between words any run of spaces, hyphens, apostrophes or
dots matches ("Saint-Luc" = "Saint Luc" = "SAINT-LUC"), and "st"/"ste" also match "saint"/"sainte".
Matching walks the words of the text that start with a capital (or a digit) in the original text
and extends each one greedily through a dict of phrase prefixes: a few dict look-ups per
capitalised word, whatever the size of the list.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import regex

from ..document import Document, fold

_WORD_RE = regex.compile(r"[\p{L}\d]+")
_SEPARATOR_RE = regex.compile(r"[ \t\-'’.]{1,3}")
_ALIASES = {"st": "saint", "ste": "sainte"}
_WORDS_KEY = "gazetteer.words"


def phrase_words(phrase: str) -> tuple[str, ...]:
    """The folded words of a phrase ("st"/"ste" read as "saint"/"sainte")."""
    return tuple(_ALIASES.get(w, w) for w in _WORD_RE.findall(fold(phrase)))


class Gazetteer:
    """Compiled phrase list; `finditer(doc)` yields `(start, end)` of the longest phrase starting
    at each capitalised word, left to right, without overlaps."""

    def __init__(self, phrases: Iterable[str]) -> None:
        self.phrases: set[tuple[str, ...]] = set()
        self.prefixes: set[tuple[str, ...]] = set()
        for phrase in phrases:
            words = phrase_words(phrase)
            if not words:
                continue
            self.phrases.add(words)
            for i in range(1, len(words)):
                self.prefixes.add(words[:i])
        self.max_words = max((len(p) for p in self.phrases), default=0)

    def __contains__(self, phrase: str) -> bool:
        return phrase_words(phrase) in self.phrases

    def finditer(self, doc: Document) -> Iterator[tuple[int, int]]:
        """Longest listed phrases starting at capitalised words (or digits)."""
        text, folded = doc.text, doc.folded
        words = doc.cache.get(_WORDS_KEY)
        if words is None:
            words = doc.cache[_WORDS_KEY] = [m.span() for m in _WORD_RE.finditer(folded)]
        n = len(words)
        i = 0
        while i < n:
            start = words[i][0]
            if not (text[start].isupper() or text[start].isdigit()):
                i += 1
                continue
            best = self._longest(folded, words, i)
            if best > i:
                yield start, words[best - 1][1]
                i = best
            else:
                i += 1

    def _longest(self, folded: str, words: list[tuple[int, int]], i: int) -> int:
        """Index after the last word of the longest phrase starting at word `i` (or `i`)."""
        key: tuple[str, ...] = ()
        best = i
        j = i
        while j < len(words) and j - i < self.max_words:
            if j > i:
                gap_start, gap_end = words[j - 1][1], words[j][0]
                if _SEPARATOR_RE.fullmatch(folded, gap_start, gap_end) is None:
                    break
            word = folded[words[j][0]:words[j][1]]
            key = (*key, _ALIASES.get(word, word))
            if key in self.phrases:
                best = j + 1
            if key not in self.prefixes:
                break
            j += 1
        return best
