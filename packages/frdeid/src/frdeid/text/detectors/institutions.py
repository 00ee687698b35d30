"""Hospitals, care homes, practices, schools and employers (label INSTITUTION).

Two sources: the list of Belgian institutions and their short forms (`be_institutions.txt`: CHU,
CHR, UZ, AZ, ZNA, GZA, Vivalia, Epicura, CHIREC, HELORA...; tier TIER_CONTEXT), and a kind word
followed by a capitalised name ("Clinique Saint-Pierre", "Hôpital Erasme", "CHU de Liège", "Maison
de repos Les Tilleuls", "Athénée royal de Ciney", "Commune de Ans", "Garage Dubois SPRL"; tier
TIER_CONTEXT). The kind word is part of the span; an article or preposition before it is not.
The spans found are left in `doc.cache["institutions"]` for the place detector.
"""

from __future__ import annotations

from functools import cache

import regex

from ...spans import TIER_CONTEXT, Span
from ..document import Document
from ..lexicons import institution_aliases
from ..registry import Detector, register
from ._gazetteer import Gazetteer
from ._names_common import is_common_word, is_stop, scan_name

_SOURCE = "institutions"
CACHE_KEY = "institutions"

_KINDS = (
    r"cliniques?(?: universitaires?| priv[ée]e| p[ée]diatrique| psychiatrique)?|polyclinique|h[ôo]pital(?:aux)?"
    r"(?: universitaire| militaire| psychiatrique| civil| g[ée]n[ée]ral| r[ée]gional| p[ée]diatrique| des enfants"
    r"| de jour| priv[ée])?|grand h[ôo]pital|centres? hospitaliers?(?: universitaires?| r[ée]gionaux| r[ée]gional"
    r"| psychiatriques?| sp[ée]cialis[ée]s?| chr[ée]tien| interr[ée]gional| intercommunal)?|groupe hospitalier"
    r"|r[ée]seau hospitalier|CHU|CHR|CHC|CHP|CHS|CH|CHIREC|GH|HU|H[ôo]p\.?"
    r"|maisons? de repos(?: et de soins)?|maison de soins|MRS|MR|MRPA|r[ée]sidence|home|s[ée]niorie|foyer"
    r"|maison m[ée]dicale|cabinet(?: m[ée]dical| de kin[ée]sith[ée]rapie| de kin[ée]| de radiologie| dentaire"
    r"| d'imagerie| de m[ée]decine g[ée]n[ée]rale| infirmier)?|centre m[ée]dical|centre de sant[ée]"
    r"|centre de (?:revalidation|r[ée]adaptation|r[ée][ée]ducation|radiologie|traumatologie|soins|jour"
    r"|sant[ée] mentale|imagerie(?: m[ée]dicale)?|kin[ée]sith[ée]rapie|consultations?)|centre d'imagerie(?: m[ée]dicale)?"
    r"|centre IRM|centre PMS|centre psycho-m[ée]dico-social|laboratoire|institut|instituut|AZ|UZ|ZNA|GZA"
    r"|ziekenhuis|kliniek|revalidatiecentrum|woonzorgcentrum|WZC|rusthuis|huisartsenpraktijk"
    r"|cr[èe]che|pr[ée]gardiennat|[ée]coles?(?: communale| fondamentale| primaire| secondaire| maternelle| libre"
    r"| normale| europ[ée]enne| internationale| sp[ée]cialis[ée]e| professionnelle| technique| moyenne)*"
    r"|ath[ée]n[ée]e(?: royal)?|coll[eè]ge|lyc[ée]e|haute [ée]cole|universit[ée](?: libre| catholique)?|acad[ée]mie"
    r"|conservatoire|internat|IPES|CEFA|ITCF|IPEPS"
    r"|commune|administration communale|CPAS|zone de police|SPF|mutualit[ée]"
    r"|garage|boulangerie|boucherie|pharmacie|magasin|restaurant|brasserie|caf[ée]|soci[ée]t[ée]|entreprise"
    r"|usine|carrosserie|menuiserie|imprimerie|librairie|supermarch[ée]|cabinet d'avocats|fiduciaire|asbl")
_CONNECT = r"(?:[ \t]+(?:de la|de l'|de|du|des|d'|la|le|les|l'|lez|lès|les|sur|sous|en|et|aux?|&)[ \t]*|[ \t]*-[ \t]*|[ \t]+|(?<=['’]))"
_NAME_WORD = r"(?:\p{Lu}[\p{L}\p{M}'’.]*(?:-\p{L}[\p{L}\p{M}]*)*|\d{1,3}(?=[ \t]+\p{Lu}))"
_KIND_RE = regex.compile(
    rf"(?<![\p{{L}}\d])(?i:{_KINDS})(?![\p{{L}}\d])"
    rf"(?P<name>(?:[ \t]+(?:de la|de l['’]|de|du|des|d['’]|la|le|les|l['’])[ \t]*|[ \t]+|[ \t]*['’])"
    rf"{_NAME_WORD}(?:{_CONNECT}{_NAME_WORD}){{0,4}})")
_LEGAL_RE = regex.compile(
    r"(?<![\p{L}\d])(?P<name>\p{Lu}[\p{L}\p{M}'’.-]*(?:[ \t]+(?:&[ \t]+)?\p{Lu}[\p{L}\p{M}'’.-]*){0,3})"
    r"[ \t]+(?:SPRL|SPRLU|SRL|SA|SCRL|SCS|SNC|ASBL|NV|BV|BVBA|VZW|CVBA|GmbH|SAS|SARL|&[ \t]+(?:Fils|Cie|Co)"
    r"|et[ \t]+(?:Fils|Cie))(?![\p{L}\d])")


_DOCTOR_RE = regex.compile(r"[ \t]+(?:du|des)[ \t]+(?:Dr\.?|Docteur|Drs\.?|Docteurs)[ \t]+")
_PERSON_TITLE_BEFORE_RE = regex.compile(
    r"(?:(?<![\p{L}])(?:M|Mr|Mme|Mlle|Dr|Pr|Prof)\.?|(?i:monsieur|madame|docteur|professeur))[ \t]+$")
_SHORT_KINDS = frozenset(["ch", "chu", "chr", "chc", "chp", "chs", "gh", "hu", "mr", "mrs", "mrpa", "az", "uz", "zna", "gza", "wzc", "cpas", "spf", "ipes", "cefa", "itcf", "ipeps"])


@cache
def institution_gazetteer() -> Gazetteer:
    """The listed institutions and their short forms (`"CHU de Liège" in institution_gazetteer()`)."""
    return Gazetteer(institution_aliases())


@register("institutions")
def institutions_detector(config: dict) -> Detector:
    """Factory (no options)."""

    def detect(doc: Document) -> list[Span]:
        found = _listed(doc) + _kind_names(doc) + _legal_forms(doc)
        spans = [Span(a, b, "INSTITUTION", _SOURCE, TIER_CONTEXT) for a, b in _dedupe(found)]
        doc.cache[CACHE_KEY] = [(s.start, s.end) for s in spans]
        return spans

    return detect


def _listed(doc: Document) -> list[tuple[int, int]]:
    """Listed institutions, written with at least one capital."""
    out = []
    for start, end in institution_gazetteer().finditer(doc):
        surface = doc.text[start:end]
        if _PERSON_TITLE_BEFORE_RE.search(doc.text, max(0, start - 12), start):
            continue  # "M. Henri Mondor" is the surgeon, not the hospital
        if any(c.isupper() for c in surface):
            out.append(_extend_listed(doc, start, end))
    return out


def _extend_listed(doc: Document, start: int, end: int) -> tuple[int, int]:
    """A listed short form followed by a site name ("CHU de Liège", "AZ Delta Roeselare")."""
    match = _KIND_RE.match(doc.text, start)
    if match is not None and match.end() > end and _name_ok(doc, match.start("name"), match.end()):
        return start, _trim_name(doc, match.start("name"), match.end())
    return start, end


def _kind_names(doc: Document) -> list[tuple[int, int]]:
    """A kind word and the capitalised name after it."""
    out = []
    for match in _KIND_RE.finditer(doc.text):
        name_start = match.start("name")
        kind = doc.text[match.start():name_start].strip()
        if kind.lower() in _SHORT_KINDS and not kind.isupper():
            continue
        if not _name_ok(doc, name_start, match.end()):
            doctor = _DOCTOR_RE.match(doc.text, name_start)
            if doctor is None or kind.lower()[:7] != "cabinet":
                continue
            found = scan_name(doc, doctor.end(), strict=False, max_words=3)
            if found is not None:
                out.append((match.start(), found[1]))
            continue
        end = _trim_name(doc, name_start, match.end())
        if end > name_start:
            out.append((match.start(), end))
    return out


_ARTICLES = frozenset(["de", "du", "des", "d", "la", "le", "les", "l"])


def _name_ok(doc: Document, start: int, end: int) -> bool:
    """The name (after its article) starts with a word that is not a stop word (street, phone,
    title...)."""
    words = regex.findall(r"[\p{L}][\p{L}\p{M}-]*", doc.folded[start:end])
    while words and words[0] in _ARTICLES:
        words.pop(0)
    return bool(words) and not is_stop(words[0])


def _trim_name(doc: Document, start: int, end: int) -> int:
    """End of the name before the first stop word ("Clinique Saint-Pierre Rue ..." ends at Pierre)."""
    last_end = start
    for word in regex.finditer(r"[\p{L}\d][\p{L}\p{M}\d'’.-]*", doc.text[start:end]):
        folded = doc.folded[start + word.start():start + word.end()].rstrip(".")
        if is_stop(folded) and folded not in ("de", "du", "des", "la", "le", "les", "l", "d", "et", "en", "sur"):
            break
        head = regex.sub(r"^[dl]['’]", "", word.group())
        if head[:1].isupper() or head[:1].isdigit():
            last_end = start + word.end()
            if word.group().endswith(".") and len(word.group()) > 2 and folded not in ("st", "ste"):
                last_end -= 1
    return last_end


def _legal_forms(doc: Document) -> list[tuple[int, int]]:
    """"Dubois SPRL", "Martin & Fils"."""
    out = []
    for match in _LEGAL_RE.finditer(doc.text):
        name = doc.folded[match.start("name"):match.end("name")]
        if is_stop(name.split()[0]) or is_common_word(name.split()[0]):
            continue
        out.append(match.span())
    return out


def _dedupe(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Overlapping matches become their union."""
    out: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if out and start < out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out
