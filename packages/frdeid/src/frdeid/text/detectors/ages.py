"""`ages`: a person's age in years, months, weeks or days, bone age included; durations are not ages.

"45 ans" is an age unless a duration word stands around it ("depuis 3 ans", "3 ans plus tard");
months, weeks, days and short forms ("45a") need an age context ("âgé de", "nourrisson de",
"Âge :", "(84a)"). The span is the number and its unit ("âgé de" stays outside)."""

from __future__ import annotations

import regex

from ...spans import TIER_VALIDATED, Span
from ..datetimes import words_to_int
from ..document import Document
from ..registry import register
from ._rules import to_spans
from .patterns import ages as patterns

_FORMS = {kind: regex.compile(source) for kind, source in patterns.FORMS.items()}
_AGE_CUE = regex.compile(patterns.AGE_CUE)
_DURATION_BEFORE = regex.compile(patterns.DURATION_BEFORE)
_DURATION_AFTER = regex.compile(patterns.DURATION_AFTER)
_CLASSIFICATION_BEFORE = regex.compile(patterns.CLASSIFICATION_BEFORE)
_SHORT_BEFORE = regex.compile(patterns.SHORT_BEFORE)
_SHORT_AFTER = regex.compile(patterns.SHORT_AFTER)
MAX_AGE = 120


_AT_BEFORE = regex.compile(r"\b[àÀ]\s*\Z")


def find_ages(doc: Document) -> list[tuple[int, int]]:
    """Offsets of ages in the document (possibly overlapping)."""
    found = []
    for kind, pattern in _FORMS.items():
        for match in pattern.finditer(doc.folded):
            if _value(match) is not None and _is_age(kind, match, doc):
                found.append(match.span())
    return found


def _value(match: regex.Match) -> int | None:
    number = match.group("n") if "n" in match.re.groupindex and match.group("n") else None
    value = int(number) if number is not None else words_to_int(match.group("w") or "")
    return value if value is not None and 0 < value <= MAX_AGE else None


def _is_age(kind: str, match: regex.Match, doc: Document) -> bool:
    """Whether the expression is an age in its context ("à 4 ans", the age at a past event, is not
    the person's age)."""
    folded = doc.folded
    line_start = folded.rfind("\n", 0, match.start()) + 1
    before = folded[max(line_start, match.start() - 80):match.start()]
    cued = _AGE_CUE.search(before) is not None
    if _DURATION_AFTER.match(folded, match.end()) and kind != "english":
        return False
    if kind in ("years", "english"):
        at = _AT_BEFORE.search(doc.text, max(0, match.start() - 3), match.start()) is not None
        return cued or (_DURATION_BEFORE.search(before) is None and not at)
    if kind == "short":
        if _CLASSIFICATION_BEFORE.search(before):
            return False
        return cued or (_SHORT_BEFORE.search(before) is not None
                        and _SHORT_AFTER.match(folded, match.end()) is not None)
    return cued


@register("ages")
def build_ages(config: dict) -> AgesDetector:
    """The age detector (no options)."""
    return AgesDetector()


class AgesDetector:
    """Finds ages; spans are tier 0 and disjoint."""

    def __call__(self, doc: Document) -> list[Span]:
        return to_spans(find_ages(doc), "AGE", "ages", TIER_VALIDATED)
