"""`addresses`: street parts and postal parts of addresses, two LOCATION spans (context tier).

Street part: a street type and a name with its house number and box ("Rue de la Gare 12 bte 3",
"12, rue des Prés", "Chée de Louvain 45"), a Dutch street word ("Kerkstraat 5 bus 2"). Postal part:
a 4- or 5-digit code and a capitalised municipality ("5000 Namur", "B-4000 Liège", "94010 Créteil
Cedex"); commas and dashes between the parts stay outside."""

from __future__ import annotations

import regex

from ...spans import TIER_CONTEXT, Span
from ..document import Document, fold
from ..registry import register
from ._rules import to_spans
from .patterns import addresses as patterns

_IGNORECASE = regex.IGNORECASE | regex.VERSION0
_TYPE_FIRST = regex.compile(patterns.STREET_TYPE_FIRST)
_NUMBER_FIRST = regex.compile(patterns.STREET_NUMBER_FIRST)
_DUTCH = regex.compile(patterns.STREET_DUTCH)
_POSTAL = regex.compile(patterns.POSTAL)
_STREET_BEFORE_POSTAL = regex.compile(patterns.STREET_BEFORE_POSTAL)
_POSTAL_AFTER_STREET = regex.compile(patterns.POSTAL_AFTER_STREET)
_TYPE = regex.compile(rf"(?:{patterns.STREET_TYPES})\Z", _IGNORECASE)
_RISKY = regex.compile(rf"(?:{patterns.RISKY_TYPES})\Z", _IGNORECASE)
_NAME_STOP = regex.compile(rf"(?<![\p{{L}}'’])(?:{patterns.NAME_STOP})(?![\p{{L}}'’])")
_YEAR_BEFORE = regex.compile(r"(?:\b(?:en|depuis|année|an|vers|fin|début|de|du|le|au)|janvier|février|mars|avril"
                             r"|mai|juin|juillet|août|septembre|octobre|novembre|décembre)\s*\Z", _IGNORECASE)


def find_streets(text: str) -> list[tuple[int, int]]:
    """Offsets of street parts."""
    found = []
    for match in _TYPE_FIRST.finditer(text, overlapped=True):
        if _type_ok(match):
            found.append(_trim(text, match.start(), match.end()))
    for match in _NUMBER_FIRST.finditer(text, overlapped=True):
        if _type_ok(match, numbered=True):
            end = _cut_lower_name(text, match)
            found.append(_trim(text, match.start(), end))
    found.extend(_trim(text, *m.span()) for m in _DUTCH.finditer(text))
    return [span for span in found if span[0] < span[1]]


def _type_ok(match: regex.Match, numbered: bool = False) -> bool:
    """The type word is a street type; a risky one ("place", "voie") needs a house number."""
    kind = match.group("type")
    if not _TYPE.match(kind):
        return False
    return numbered or not _RISKY.match(kind) or bool(match.group("house"))


def _cut_lower_name(text: str, match: regex.Match) -> int:
    """End of a street name written after its number: before a word that cannot be part of it."""
    name_start, end = match.start("name"), match.end()
    stop = _NAME_STOP.search(text, name_start, match.end("name"))
    if stop is not None and stop.start() > name_start:
        return stop.start()
    return end


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while end > start and text[end - 1] in " \t\n,;:-–":
        end -= 1
    return start, end


def streets_before(text: str, postal: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Street parts without a known street word, written right before a postal part."""
    found = []
    for start, _ in postal:
        match = _STREET_BEFORE_POSTAL.search(text, max(0, start - 80), start)
        if match is not None:
            found.append(_trim(text, *match.span("street")))
    return found


def find_postal(text: str, streets: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Offsets of postal parts: code and municipality (a "B-" country prefix included), and postal codes
    written right after a street part."""
    street_ends = {end for _, end in streets}
    found = []
    for match in _POSTAL.finditer(text):
        if _municipality_ok(match.group("city")) and not _looks_like_year(text, match, street_ends):
            found.append(_trim(text, match.start(), match.end()))
    for end in street_ends:
        match = _POSTAL_AFTER_STREET.match(text, end)
        if match is None:
            continue
        city = match.group("city")
        stop = match.end() if city and _municipality_ok(city) else match.end("code")
        found.append((match.start("code") - _prefix_length(text, match.start("code")), stop))
    return found


def _municipality_ok(city: str) -> bool:
    """Not a common capitalised word ("Le patient", "UI", "Patient")."""
    words = [w for w in regex.split(r"[\s'’-]+", city) if w]
    first = fold(words[0]).lower()
    article = first in ("le", "la", "les", "l") and len(words) > 1
    return not ((first in patterns.NOT_MUNICIPALITY and not article) or (len(city) < 3 and city.isupper()))


def _prefix_length(text: str, code_start: int) -> int:
    """Length of a country prefix ("B-") written before a postal code."""
    prefix = regex.search(r"(?:B|F|L|D|NL|CH)[ \t]?-[ \t]?\Z", text[max(0, code_start - 5):code_start])
    return len(prefix.group()) if prefix else 0


def _looks_like_year(text: str, match: regex.Match, street_ends: set[int]) -> bool:
    """A code that reads as a year (1900-2099) is a postal code only after a street part, with a country
    prefix, or when its municipality ends the line ("2000 WEZEMAAL"); never after a date word."""
    if not regex.fullmatch(r"(?:19|20)\d\d", match.group("code")):
        return False
    if _YEAR_BEFORE.search(text, max(0, match.start() - 20), match.start()):
        return True
    before = text[max(0, match.start() - 4):match.start()]
    if any(0 <= match.start() - end <= 4 for end in street_ends) or regex.search(r"-[ \t]?\Z", before) and \
            regex.search(r"\b(?:B|F|L|D|NL|CH)[ \t]?-[ \t]?\Z", before):
        return False
    return regex.match(r"[ \t]*(?:[,)\n]|\Z)", text[match.end():match.end() + 3]) is None


@register("addresses")
def build_addresses(config: dict) -> AddressesDetector:
    """The address detector (no options)."""
    return AddressesDetector()


class AddressesDetector:
    """Finds street parts and postal parts; spans are context tier and disjoint."""

    def __call__(self, doc: Document) -> list[Span]:
        streets = find_streets(doc.text)
        postal = find_postal(doc.text, streets)
        found = streets + postal + streets_before(doc.text, postal)
        return to_spans(found, "LOCATION", "addresses", TIER_CONTEXT)
