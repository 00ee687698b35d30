"""Names recognised by their written shape, without a title or label before them:

- an initial and a surname: `T. Gredin`, `J.-P. DUPONT`, `A.K. Fielding` (the surname not French
  vocabulary nor medical vocabulary);
- an upper-case run of two to four words on one line, one of them a known given name, every word
  a known name or not vocabulary, with single-letter initials allowed inside: `TAILLARD PIERRE`,
  `CAVALIER S MARION`, `IVANKA PRIGOSIEV`;
- the "SURNAME, SURNAME Given" header form: the surname before the comma joins the run after it.
"""

from __future__ import annotations

import regex

from ...spans import TIER_CONTEXT, Span
from ..document import Document
from ..lexicons import first_name_index
from ..registry import register
from ._names_common import is_common_word, is_known_name, label_for

_INITIAL_SURNAME = regex.compile(
    r"(?<![\p{L}\d.])(\p{Lu}\.(?:[ ]?-?[ ]?\p{Lu}\.)*)[ ]?(\p{Lu}[\p{Ll}\p{M}]+(?:-\p{Lu}[\p{Ll}\p{M}]+)?"
    r"|\p{Lu}{2,}(?:-\p{Lu}{2,})?)(?![\p{L}\d])")
_UPPER_RUN = regex.compile(r"(?<![\p{L}\d])\p{Lu}[\p{Lu}\p{M}'-]+(?:[ ]+(?:\p{Lu}[ ]+)?\p{Lu}[\p{Lu}\p{M}'-]+){1,3}"
                           r"(?![\p{L}\d])")
_LEADING_SURNAME = regex.compile(r"(\p{Lu}[\p{Lu}\p{M}'-]+),[ ]*$")


class NameShapes:
    """Finds names by their shape (see the module docstring)."""

    def __call__(self, doc: Document) -> list[Span]:
        spans = [*self._initial_surnames(doc), *self._upper_runs(doc)]
        return spans

    def _initial_surnames(self, doc: Document) -> list[Span]:
        out = []
        for match in _INITIAL_SURNAME.finditer(doc.text):
            surname = doc.folded[match.start(2):match.end(2)]
            if len(surname) < 3 or is_common_word(surname):
                continue
            out.append(Span(match.start(), match.end(), label_for(doc, match.start(), match.end()), "name_shapes",
                            TIER_CONTEXT))
        return out

    def _upper_runs(self, doc: Document) -> list[Span]:
        out = []
        given = first_name_index()
        for match in _UPPER_RUN.finditer(doc.text):
            words = [w for w in regex.findall(r"[\p{L}'-]+", doc.folded[match.start():match.end()]) if len(w) > 1]
            if not any(w in given and len(w) >= 3 for w in words):
                continue
            name_like = [w for w in words if is_known_name(w) or not is_common_word(w)]
            if len(name_like) < 2 or any(_is_vocabulary_only(w) for w in words):
                continue
            start = match.start()
            before = _LEADING_SURNAME.search(doc.text, 0, start)
            if before is not None and doc.folded[before.start(1):before.end(1)] in words:
                out.append(Span(before.start(1), before.end(1), label_for(doc, before.start(1), before.end(1)),
                                "name_shapes", TIER_CONTEXT))
            out.append(Span(start, match.end(), label_for(doc, start, match.end()), "name_shapes", TIER_CONTEXT))
        return out


def _is_vocabulary_only(folded: str) -> bool:
    """A word that is medical or French vocabulary and no known name ("GAUCHE", "FACE"), or a short
    unknown word, most likely an abbreviation ("RX", "INJ")."""
    return (is_common_word(folded) or len(folded) <= 3) and not is_known_name(folded)


@register("name_shapes")
def make_name_shapes(config: dict) -> NameShapes:
    """No options."""
    return NameShapes()
