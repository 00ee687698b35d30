"""`dates`: every French date form, one DATE span each (weekday inside, "le"/"en" outside)."""

from __future__ import annotations

import regex

from ...spans import TIER_VALIDATED, Span
from .. import datetimes
from ..document import Document
from ..registry import register
from ._rules import to_spans
from .ids import has_id_label_before
from .patterns import dates as patterns

_DETECT = {name: regex.compile(source, regex.VERSION0) for name, source in patterns.DETECT.items()}
_FRACTION_AFTER = regex.compile(r"\s*(?:moyen|inf|sup|distal|proximal|extern|intern|median|anterieur"
                                r"|posterieur|lateral|medial|restant|comprim|cp\b)")
_COMPACT_FORMS = {"ymd_compact", "dmy_compact", "dmy_compact6", "dmy_spaced", "mdy_spaced"}
_COMMON_FRACTIONS = {(1, 2), (1, 3), (2, 3), (1, 4), (3, 4), (1, 5), (2, 5), (3, 5), (4, 5), (1, 6), (5, 6),
                     (1, 8), (3, 8)}
_SPACED_RUN = regex.compile(patterns.SPACED_RUN)
_LEGAL_BEFORE = regex.compile(patterns.LEGAL_BEFORE)
_BULLET_END = regex.compile(r"(?:^|\s)[-–•*o>(]?\s*\Z")


def find_dates(doc: Document) -> list[tuple[int, int]]:
    """Offsets of every date in the document, possibly overlapping."""
    found = []
    for name, pattern in _DETECT.items():
        for match in pattern.finditer(doc.folded):
            if _accept(name, match, doc):
                start, end = match.span()
                found.append((start, end - 1 if doc.text[end - 1] == "." else end))  # "le 5 nov." ends a sentence
    found.extend(_box_dates(doc.text))
    return found


def _box_dates(text: str) -> list[tuple[int, int]]:
    """Dates written one digit per box in runs of spaced digits: a birth date glued to a social security
    number ("1 4 2 3 ... 5 3 0 9 0 1 1 9 8 7"; the first or last eight digits), or missing a digit
    ("9 0 3 2 0 1 5")."""
    out = []
    for run in _SPACED_RUN.finditer(text):
        digits = run.group().replace(" ", "")
        if len(digits) == 7 and _box_date_prefix(digits):
            out.append(run.span())
        elif len(digits) >= 16:
            if _is_ddmmyyyy(digits[:8]):
                out.append((run.start(), run.start() + 15))
            elif _is_ddmmyyyy("0" + digits[:7]):
                out.append((run.start(), run.start() + 13))
            if _is_ddmmyyyy(digits[-8:]):
                out.append((run.end() - 15, run.end()))
    return out


def _is_ddmmyyyy(digits: str) -> bool:
    day, month, year = int(digits[:2]), int(digits[2:4]), int(digits[4:])
    return 1 <= day <= 31 and 1 <= month <= 12 and datetimes.MIN_YEAR <= year < datetimes.MAX_YEAR


def _box_date_prefix(digits: str) -> bool:
    """Seven boxed digits that start like a date: D MM YYYY, or DD MM and a year starting 19 or 20."""
    if _is_ddmmyyyy("0" + digits):
        return True
    return 1 <= int(digits[:2]) <= 31 and 1 <= int(digits[2:4]) <= 12 and digits[4:6] in ("19", "20")


def _accept(name: str, match: regex.Match, doc: Document) -> bool:
    """Whether a pattern match is a plausible date in its context."""
    if not datetimes.plausible_match(doc.text, match):
        return False
    if _LEGAL_BEFORE.search(doc.folded[max(0, match.start() - 60):match.start()]):
        return False
    if name in ("dm_cue", "dm_padded"):
        return _plausible_day_month(match, doc)
    if name == "year_item":
        return _plausible_year_item(match, doc)
    if name in _COMPACT_FORMS:
        return not has_id_label_before(doc, match.start())
    return True


def _plausible_day_month(match: regex.Match, doc: Document) -> bool:
    """A day/month fraction is not a common fraction written before an anatomical or dose word."""
    day, month = int(match.group("day")), int(match.group("month"))
    if (day, month) in _COMMON_FRACTIONS and not match.group("day").startswith("0"):
        return _FRACTION_AFTER.match(doc.folded, match.end()) is None
    return True


def _plausible_year_item(match: regex.Match, doc: Document) -> bool:
    """A year that starts a line without a bullet or colon may be a postal code ("2000 Antwerpen")."""
    line_start = doc.text.rfind("\n", 0, match.start()) + 1
    before = doc.text[line_start:match.start()]
    before = before[:_BULLET_END.search(before).start()].rstrip()
    after = doc.text[match.end():match.end() + 40].lstrip(" )")
    next_word = regex.match(r"\p{L}+", after)
    if next_word and next_word.group().isupper() and len(next_word.group()) > 4:
        return False  # "2000 WEZEMAAL" (not "2015 PTH droite")
    if before[-1:].isdigit():
        return False  # "Leoboulevard 93 - 2000 Wezemaal"
    if doc.text[line_start:match.start()].strip():
        return True
    return after[:1] in (":", "-", "–")


@register("dates")
def build_dates(config: dict) -> DatesDetector:
    """The date detector (no options)."""
    return DatesDetector()


class DatesDetector:
    """Finds dates; spans are validated (tier 0) and disjoint."""

    def __call__(self, doc: Document) -> list[Span]:
        return to_spans(find_dates(doc), "DATE", "dates", TIER_VALIDATED)
