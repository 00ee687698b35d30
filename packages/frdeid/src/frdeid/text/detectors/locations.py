"""Cities and municipalities (label LOCATION).

A gazetteer of Belgian municipalities and localities (French, Dutch and German names) and French
cities, matched on `Document.folded` and kept when written with a capital and either unambiguous
(tier TIER_LEXICON) or in a place context (tier TIER_LEXICON): after "à", "de", "domicilié(e) à",
"né(e) à", in parentheses ("chute à domicile (Fontenelle)"), before a date ("Huy, le 20 octobre
2015"). A postal code followed by a capitalised place name, listed or not, is one span ("4500 Huy",
"75013 Paris", "94010 Créteil Cedex"; tier TIER_CONTEXT). A place name that is also French, medical
vocabulary or a person's name ("Bouge", "Spa", "Ans", "Lens") needs the context. Places inside
institution names found by the institution detector are left to it.
"""

from __future__ import annotations

from functools import cache

import regex

from ...spans import TIER_CONTEXT, TIER_LEXICON, Span
from ..document import Document, fold
from ..lexicons import be_localities, fr_cities, is_french_word, municipalities, place_index
from ..registry import Detector, register
from ._gazetteer import Gazetteer
from ._names_common import is_allowlisted_word, is_stop, name_weight
from .institutions import CACHE_KEY

_SOURCE = "locations"
_PLACE_WORD = r"\p{Lu}[\p{L}\p{M}'’]+(?:-\p{L}[\p{L}\p{M}'’]*)*(?![°º])"
_PLACE_CONNECT = r"(?:[ \t]*-[ \t]*|[ \t]+(?:sur|sous|lez|lès|les|en|la|le|de|du|d'|aux?|s/)[ \t]+|[ \t]+|(?<=['’]))"
_POSTCODE_RE = regex.compile(
    rf"(?<![\p{{L}}\d/.,:|-])(?:(?:B|F|BE|FR|L)-)?(?:[1-9]\d{{3}}|\d{{5}}|\d{{2}}[ ]\d{{3}})[ \t]+"
    rf"(?P<place>{_PLACE_WORD}(?:{_PLACE_CONNECT}{_PLACE_WORD}){{0,3}}(?:[ \t]+(?i:cedex)(?:[ \t]+\d{{1,2}})?)?)")
_STRONG_BEFORE_RE = regex.compile(
    r"(?i)(?:(?<![\p{L}])(?:à|a|au|aux|en|dans|vers|près de|pres de|depuis|jusqu'à|sur|domicili[ée]e? à|habitant à"
    r"|habite à|vit à|r[ée]sid\p{L}* à|originaire d[e']|n[ée]e? à|venant de|en provenance de|transf[ée]r[ée]e? de"
    r"|hospitalis[ée]e? à|fait à|région de|commune de|ville de|quartier de"
    r"|(?:lieu(?: de l'accident| de l’accident| de naissance| de r[ée]sidence| de la chute)?|domicile|localit[ée]|commune"
    r"|ville|r[ée]sidence|adresse)[ \t]*:)|\()[ \t]*$")
_WEAK_BEFORE_RE = regex.compile(r"(?<![\p{L}])(?<!(?i:van)[ \t])(?:de|d'|d’|du)[ \t]*$")
_AFTER_RE = regex.compile(r"(?:[ \t]*\)|,[ \t]*(?:le[ \t]+)?(?:\d|lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche|ce[ \t]))",
                          regex.IGNORECASE)
_EXCLUDED_AFTER_RE = regex.compile(r"[ \t]+(?:Schuss|Schuß)\b")


@cache
def _gazetteer() -> Gazetteer:
    names = set(be_localities()) | set(fr_cities()) | {name for _code, name in municipalities()}
    return Gazetteer(names)


@cache
def _major_places() -> frozenset[str]:
    """Folded names of municipalities and large French cities (not village sections)."""
    return frozenset([fold(n) for n in fr_cities()] + [fold(n) for _c, n in municipalities()])


def _needs_context(doc: Document, start: int, end: int) -> bool:
    """Whether a listed place needs a place context: it is short, medical vocabulary or a stop
    word; or, for a municipality or a large city, a frequent surname or a French word starting a
    sentence ("Marche avec des cannes"); or, for a smaller locality, any French word, a surname,
    or a sentence start."""
    folded = doc.folded[start:end]
    surface = doc.text[start:end]
    if len(folded) <= 3 or is_allowlisted_word(folded) or is_stop(folded) or (surface.isupper() and len(surface) <= 4):
        return True
    single = " " not in folded and "-" not in folded
    initial = _sentence_start(doc.text, start)
    if folded in _major_places():
        return single and (name_weight(folded) >= 5_000 or (initial and is_french_word(folded)))
    return initial or (single and (is_french_word(folded) or name_weight(folded) >= 20))


def _sentence_start(text: str, start: int) -> bool:
    line_start = text.rfind("\n", 0, start) + 1
    before = text[max(line_start, start - 20):start].rstrip(" \t\u00a0")
    return not before or before[-1] in ".!?:;•*-–—"


@register("locations")
def locations_detector(config: dict) -> Detector:
    """Factory (no options)."""

    def detect(doc: Document) -> list[Span]:
        institutions = doc.cache.get(CACHE_KEY, [])
        spans = _postcode_places(doc) + _gazetteer_places(doc)
        return [s for s in _dedupe(spans) if not _inside(s, institutions)]

    return detect


def _postcode_places(doc: Document) -> list[Span]:
    """"4500 Huy", "75013 PARIS", "B-1000 Bruxelles": postal code and place, one span."""
    out = []
    for match in _POSTCODE_RE.finditer(doc.text):
        place = match.group("place")
        folded = doc.folded[match.start("place"):match.end("place")]
        first = folded.replace("-", " ").split()[0]
        if is_stop(first) or is_allowlisted_word(first) or (is_french_word(first) and folded not in place_index()):
            continue
        end = _trim_place(doc, match.start("place"), match.end("place"))
        if end > match.start("place") and place[:1].isupper():
            out.append(Span(match.start(), end, "LOCATION", _SOURCE, TIER_CONTEXT))
    return out


def _trim_place(doc: Document, start: int, end: int) -> int:
    """The place name ends before a stop word or vocabulary ("1000 Bruxelles Tél" -> Bruxelles)."""
    last = start
    for word in regex.finditer(r"[\p{L}\d][\p{L}\p{M}\d'’]*", doc.text[start:end]):
        folded = doc.folded[start + word.start():start + word.end()]
        if word.start() > 0 and word.group()[:1].isupper() and (
                is_stop(folded) or is_allowlisted_word(folded)) and folded not in place_index():
            break
        last = start + word.end()
    return last


def _gazetteer_places(doc: Document) -> list[Span]:
    """Listed places, capitalised, unambiguous or in a place context."""
    out = []
    text = doc.text
    for start, end in _gazetteer().finditer(doc):
        surface = text[start:end]
        if not surface[:1].isupper() or _joined_to_word(text, start, end):
            continue
        if _EXCLUDED_AFTER_RE.match(text, end):
            continue
        folded = doc.folded[start:end]
        before = text[max(0, start - 30):start]
        strong = _STRONG_BEFORE_RE.search(before) is not None or _AFTER_RE.match(text, end) is not None
        if _needs_context(doc, start, end):
            weak = _WEAK_BEFORE_RE.search(before) is not None and not is_french_word(folded)
            if not (strong or weak) or (surface.isupper() and len(surface) <= 3):
                continue
        out.append(Span(start, end, "LOCATION", _SOURCE, TIER_LEXICON))
    return out


def _joined_to_word(text: str, start: int, end: int) -> bool:
    """Part of a longer hyphenated or apostrophed word ("Saint-Luc" is not "Luc")."""
    before = text[start - 1:start] if start else ""
    after = text[end:end + 1]
    return before in ("-", "'", "’") and start >= 2 and text[start - 2].isalpha() or \
        (after == "-" and text[end + 1:end + 2].isalpha())


def _inside(span: Span, ranges: list[tuple[int, int]]) -> bool:
    return any(a <= span.start and span.end <= b for a, b in ranges)


def _dedupe(spans: list[Span]) -> list[Span]:
    """Drop spans inside a longer one (the postal form wins over the bare place)."""
    out: list[Span] = []
    for span in sorted(spans, key=lambda s: (s.start, -s.end)):
        if out and span.start < out[-1].end:
            continue
        out.append(span)
    return out
