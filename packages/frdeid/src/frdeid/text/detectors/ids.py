"""`ids`: NISS/INSZ and BIS numbers (check digits), French NIR, INAMI/RIZIV, codes after an ID label,
and long digit runs that can only be identifiers."""

from __future__ import annotations

import regex

from ...spans import TIER_CONTEXT, TIER_VALIDATED, Span
from ..datetimes import parse_date_text
from ..document import Document
from ..registry import register
from ._rules import disjoint
from .patterns import ids as patterns
from .patterns.dates import UNIT

try:  # python-stdnum when installed, else the same checks written here
    from stdnum.be import bis as _stdnum_bis
    from stdnum.be import nn as _stdnum_nn
    from stdnum.fr import nir as _stdnum_nir
except ImportError:  # pragma: no cover - depends on the environment
    _stdnum_bis = _stdnum_nn = _stdnum_nir = None

_LABELLED = regex.compile(rf"(?P<label>{patterns.ID_LABEL}|{patterns.BARE_NUMBER_LABEL})"
                          rf"(?P<code>{patterns.CODE_BOXES}|{patterns.CODE_GROUPS}|{patterns.CODE})(?![\w])")
_NOT_A_LABEL = regex.compile(patterns.NOT_A_LABEL)
_EXPLICIT = regex.compile(rf"[:#=]|{patterns.NUMBER_WORD}|\best\b|\betant\b|\(")
_NISS = regex.compile(patterns.NISS)
_NISS_FORMATTED = regex.compile(patterns.NISS_FORMATTED)
_NIR = regex.compile(patterns.NIR)
_INAMI = regex.compile(patterns.INAMI)
_LONG = regex.compile(patterns.LONG_NUMBER)
_BOXES = regex.compile(patterns.BOX_RUN)
_GROUPED = regex.compile(patterns.GROUPED_NUMBER)
_UNIT_AFTER = regex.compile(rf"\s*(?:{UNIT})\b|\s*[%°]")
_ID_LABEL_END = regex.compile(patterns.ID_LABEL_END)

Found = list[tuple[int, int, int]]  # start, end, tier


def niss_valid(digits: str) -> bool:
    """Whether 11 digits are a valid Belgian national number or BIS number (97-mod check digits,
    with the 2000+ variant; BIS months are +20 or +40)."""
    if len(digits) != 11 or not digits.isdigit():
        return False
    if _stdnum_nn is not None:
        return bool(_stdnum_nn.is_valid(digits) or _stdnum_bis.is_valid(digits))
    month = int(digits[2:4]) % 20
    if month > 12:
        return False
    check = int(digits[9:])
    return any(97 - int(prefix + digits[:9]) % 97 == check for prefix in ("", "2"))


def nir_valid(digits: str) -> bool:
    """Whether 15 characters are a valid French NIR (key = 97 - number mod 97, Corsica 2A/2B)."""
    if _stdnum_nir is not None:
        return bool(_stdnum_nir.is_valid(digits))
    number = digits[:13].upper().replace("2A", "19").replace("2B", "18")
    return number.isdigit() and digits[13:].isdigit() and 97 - int(number) % 97 == int(digits[13:])


def has_id_label_before(doc: Document, start: int) -> bool:
    """Whether an identifier label ("N° patient :", "IPP", "Réf.") ends right before `start`."""
    line_start = doc.folded.rfind("\n", 0, start) + 1
    before = doc.folded[max(line_start, start - 60):start]
    label = _ID_LABEL_END.search(before)
    return label is not None and not _NOT_A_LABEL.search(before[:label.start()] + label.group())


def _labelled(doc: Document) -> Found:
    out = []
    for match in _LABELLED.finditer(doc.folded):
        line_start = doc.folded.rfind("\n", 0, match.start()) + 1
        if _NOT_A_LABEL.search(doc.folded[max(line_start, match.start() - 40):match.end("label")]):
            continue
        code = match.group("code")
        digits = sum(c.isdigit() for c in code)
        explicit = _EXPLICIT.search(match.group("label")) is not None
        if " " in code and (not explicit or digits < 6) and not regex.fullmatch(patterns.CODE_BOXES, code):
            continue
        if digits < (3 if explicit else 5) or _is_date(code) or _UNIT_AFTER.match(doc.folded, match.end()):
            continue
        if regex.fullmatch(r"(?:19|20)\d\d", code):
            continue  # a year ("examen (2013 janvier)")
        out.append((match.start("code"), match.end("code"), TIER_VALIDATED))
    return out


def _is_date(code: str) -> bool:
    parsed = parse_date_text(code)
    return parsed is not None and not code.isdigit()


def _national_numbers(doc: Document) -> Found:
    out = []
    for match in _NISS.finditer(doc.folded):
        digits = regex.sub(r"\D", "", match.group())
        if niss_valid(digits):
            out.append((*match.span(), TIER_VALIDATED))
        elif _NISS_FORMATTED.fullmatch(match.group()):
            out.append((*match.span(), TIER_CONTEXT))
    for match in _NIR.finditer(doc.folded):
        compact = regex.sub(r"\s", "", match.group())
        if len(compact) == 15 and nir_valid(compact):
            out.append((*match.span(), TIER_VALIDATED))
    for match in _INAMI.finditer(doc.folded):
        out.append((*match.span(), TIER_VALIDATED))
    return out


def _long_numbers(doc: Document) -> Found:
    out = []
    for pattern in (_LONG, _BOXES, _GROUPED):
        for match in pattern.finditer(doc.folded):
            digits = regex.sub(r"\D", "", match.group())
            if pattern is _GROUPED and len(digits) not in (13, 15):
                continue
            if _unlike_identifier(digits) or _UNIT_AFTER.match(doc.folded, match.end()):
                continue
            out.append((*match.span(), TIER_CONTEXT))
    return out


def _unlike_identifier(digits: str) -> bool:
    """Digits that are a phone number, a compact date or a repeated pattern rather than an identifier."""
    if regex.fullmatch(r"0[1-9]\d{7,8}", digits):
        return True
    if len(digits) == 8 and parse_date_text(digits) is not None:
        return True
    return any(digits == digits[:k] * (len(digits) // k) for k in (1, 2, 3) if len(digits) % k == 0)


@register("ids")
def build_ids(config: dict) -> IdsDetector:
    """The identifier detector (no options)."""
    return IdsDetector()


class IdsDetector:
    """Validated national numbers and labelled codes (tier 0); unlabelled long numbers (tier 1)."""

    def __call__(self, doc: Document) -> list[Span]:
        found = _labelled(doc) + _national_numbers(doc) + _long_numbers(doc)
        tiers: dict[tuple[int, int], int] = {}
        for start, end, tier in found:
            tiers[(start, end)] = min(tier, tiers.get((start, end), tier))
        return [Span(a, b, "ID", "ids", tiers[(a, b)]) for a, b in disjoint(tiers)]
