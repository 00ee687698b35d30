"""Dates and ages. Dates move by the patient's offset (`keys.date_offset_days`) and keep their
written form (`frdeid.text.datetimes.shift_date_text`); an unparseable date becomes `[DATE]`. Ages
are kept when they read as ages, optionally bucketed ("90 ans ou plus"); anything else is `[AGE]`."""

from __future__ import annotations

import re
from collections.abc import Callable

from ..document import fold

DateShifter = Callable[[str, int], "str | None"]

_AGE_WORDS = frozenset({"an", "ans", "a", "mois", "m", "et", "semaine", "semaines", "sem", "jour", "jours", "j",
                        "annee", "annees", "y", "yo", "jaar", "maand", "maanden", "d"})
_AGE_TOKEN = re.compile(r"(\d+)\s*([^\W\d_]*)")
_UNIT_YEARS = {"mois": 12, "m": 12, "maand": 12, "maanden": 12, "semaine": 52, "semaines": 52, "sem": 52,
               "jour": 365, "jours": 365, "j": 365, "d": 365}


def default_date_shifter() -> DateShifter:
    """`frdeid.text.datetimes.shift_date_text` (imported when a replacer is built)."""
    from ..datetimes import shift_date_text

    return shift_date_text


def shift_date(surface: str, offset_days: int, shifter: DateShifter) -> str | None:
    """The shifted date, or None when it cannot be parsed (or the shifter fails)."""
    try:
        shifted = shifter(surface, offset_days)
    except Exception:  # noqa: BLE001 - an unparseable date must become a placeholder, never leak
        return None
    return shifted if isinstance(shifted, str) and shifted.strip() else None


def keep_age(surface: str, bucket_over: int) -> str | None:
    """The age as written, "N ans ou plus" when it is at least `bucket_over` years (0: no bucket),
    or None when the span does not read as an age."""
    folded = fold(surface)
    words = re.findall(r"[^\W\d_]+", folded)
    first = _AGE_TOKEN.search(folded)
    if first is None or any(w not in _AGE_WORDS for w in words) or re.search(r"\d{4}", folded):
        return None
    if bucket_over > 0:
        years = int(first.group(1)) // _UNIT_YEARS.get(first.group(2), 1)
        if years >= bucket_over:
            return f"{bucket_over} ans ou plus"
    return surface
