"""Names recognised by the given-name and surname lists (label PERSON, or PATIENT for the known
patient; tier TIER_LEXICON).

Capitalised words are looked up in the folded name indexes (Belgian and French given names and
surnames with frequencies). A sequence of capitalised words on one line, with particles, is a name
when it pairs a given name with a surname or an unknown capitalised word ("Pierre Dupont",
"LECLERCQ Sophie", "Van der Meulen An"). A single word is a name when it is a frequent enough name
that is not also ordinary vocabulary, medical vocabulary (the allow-list) or a stop word, and not in
an eponym position ("classification de Garden", "signe de X", "Loi Bertrand"). A word that starts
a sentence needs to be unambiguous; a lone word in capitals is only taken when the same word was
found as a name elsewhere in the document (by the context detector, which runs before). Words
before a house number ("Reine Astrid 150B") are a street, not a name.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import regex

from ...spans import TIER_LEXICON, Span
from ..document import Document
from ..lexicons import first_name_index, is_french_word, place_index, surname_index
from ..registry import Detector, register
from ._names_common import (
    AMBIGUOUS_NAME_WEIGHT,
    NAME_WORDS_KEY,
    followed_by_house_number,
    is_allowlisted_word,
    is_stop,
    label_for,
)

_SOURCE = "name_lexicon"
_TOKEN_RE = regex.compile(
    r"(?P<init>(?<![\p{L}\d])(?!M\.)\p{Lu}\.(?:-?\p{Lu}\.)*)"
    r"|(?P<word>\p{Lu}[\p{L}\p{M}]*(?:['’]\p{L}[\p{L}\p{M}]*)?(?:-\p{L}[\p{L}\p{M}]*)*)")
_GAP_RE = regex.compile(
    r"[ \t\u00a0]{1,2}(?:(?:de|du|des|d['’]|van|von|der|den|van der|van den|van de|della|di|da|dos|del|ten|ter|le|la)"
    r"[ \t\u00a0]+|d['’])?|-")
_SENTENCE_MARKS = frozenset(".!?:;•*-–—([\"«>|/=_")
# Nouns after which "de X" names a disease, sign, classification or technique, not a person.
_EPONYM_NOUNS_TEXT = """
classification signe maladie fracture incidence stade score syndrome test manoeuvre manœuvre methode technique
ligne angle critere critères lesion kyste osteotomie prothese clou vis plaque cal index indice triangle canal
tubercule ligament tendon bourse nodule os apophyse echelle grade d'apres vue profil position coupe cliche defile
arthrodese intervention operation procede abord voie point espace zone muscle ganglion phenomene reflexe attelle
orthese tige cupule anneau drain sonde catheter aiguille broche fixateur table appareil kit pince lame tetralogie
trilogie triade pentalogie mal tumeur ulcere anomalie malformation sequence formule regle classe groupe type loi
bassin pied main genou hanche membrane corps cellule cellules fibres fibre plexus valvule loge spectre test
"""
_EPONYM_NOUNS = frozenset(_EPONYM_NOUNS_TEXT.split())
_EPONYM_DIRECT = frozenset(["loi", "type", "selon", "cf", "classification", "score", "grade", "stade", "test",
                            "signe", "maladie", "syndrome", "incidence", "technique", "methode"])
_STREET_ANY_CASE = "rue|r\\.|avenue|av\\.?|avn|boulevard|bd|chauss[ée]e|chemin|all[ée]e|impasse|quai|dr[eè]ve|sentier" \
    "|straat|laan|steenweg|dreef"
_STREET_CAPITALISED = "place|pl\\.|square|route|clos|cit[ée]|r[ée]sidence|cours|plein|lei|weg|pont|parc|galerie" \
    "|passage|rond-point|hameau|lotissement"
_STREET_BEFORE_RE = regex.compile(
    rf"(?:(?<![\p{{L}}])(?i:{_STREET_ANY_CASE})|(?<=\d[ \t,]{{0,3}})(?i:{_STREET_CAPITALISED})"
    rf"|(?<![\p{{L}}])(?=\p{{Lu}})(?i:{_STREET_CAPITALISED}))"
    r"(?:[ \t]+[\p{L}'’.-]+){0,3}(?:[ \t]+|[ \t]+[dl]['’])$")
_STREET_OR_SAINT = frozenset(["rue", "avenue", "av", "avn", "boulevard", "bd", "chaussee", "chemin", "allee", "impasse",
                              "quai", "dreve", "sentier", "place", "square", "route", "clos", "cite", "residence",
                              "cours", "parc", "passage", "galerie", "st", "ste", "saint", "sainte", "sint"])
_MONTH_ABBREVIATIONS = frozenset(["jan", "feb", "fev", "mar", "apr", "avr", "may", "mai", "jun", "jul", "juil", "aug", "aou", "sep", "sept", "oct", "nov", "dec"])
_PARTICLES = frozenset(["van", "vande", "vanden", "vander", "de", "der", "den", "du", "des", "della", "di", "da",
                        "dos", "del", "von", "ten", "ter", "le", "la", "mac", "mc"])
_SINGLE_MIN_WEIGHT = 10
_CAPS_GIVEN_WEIGHT = 1_000  # "IVANKA PRIGOSIEV": a frequent given name vouches for an unknown word in capitals  # a lone name must be at least this frequent


@dataclass
class _Token:
    start: int
    end: int
    folded: str
    initial: bool
    upper: bool
    first: int      # weight as a given name
    last: int       # weight as a surname
    vocabulary: bool  # also a French word or a place
    common: bool    # vocabulary not frequent as a name, medical vocabulary or a stop word
    unknown: bool   # not a name, not vocabulary: maybe a rare surname
    particle: bool = False  # "Van", "De", "Della" inside a name


@register("name_lexicon")
def name_lexicon_detector(config: dict) -> Detector:
    """Factory: `single_min_weight` (default 10) is how frequent a lone name must be."""
    single_min = int(config.get("single_min_weight", _SINGLE_MIN_WEIGHT))

    def detect(doc: Document) -> list[Span]:
        known = doc.cache.get(NAME_WORDS_KEY, frozenset())
        spans = []
        for run in _runs(doc):
            for start, end in _names_in_run(doc, run, single_min, known):
                spans.append(Span(start, end, label_for(doc, start, end), _SOURCE, TIER_LEXICON))
        return spans

    return detect


def _token(doc: Document, match: regex.Match) -> _Token:
    start, end = match.span()
    folded = doc.folded[start:end]
    if match.lastgroup == "init":
        return _Token(start, end, folded, True, True, 0, 0, False, False, False)
    surface = doc.text[start:end]
    if folded in _PARTICLES:
        return _Token(start, end, folded, False, surface.isupper(), 0, 0, False, False, False, particle=True)
    first_w, last_w, vocabulary, common = _classify(folded)
    upper = surface.isupper() and len(surface) > 1
    unknown = not (first_w or last_w) and not common and not vocabulary and len(folded) >= 3
    return _Token(start, end, folded, False, upper, first_w, last_w, vocabulary, common, unknown)


@lru_cache(maxsize=65_536)
def _classify(folded: str) -> tuple[int, int, bool, bool]:
    """(given-name weight, surname weight, is vocabulary, is common) of a folded word."""
    first_w = first_name_index().get(folded, 0)
    last_w = surname_index().get(folded, 0)
    parts = [p for p in folded.split("-") if p]
    if not first_w and not last_w and len(parts) > 1:
        first_w = min(first_name_index().get(p, 0) for p in parts)
        if not first_w:
            last_w = min(max(surname_index().get(p, 0), first_name_index().get(p, 0)) for p in parts)
    weight = max(first_w, last_w)
    vocabulary = is_french_word(folded) or folded in place_index() or (
        len(parts) > 1 and all(is_french_word(p) for p in parts))
    common = is_stop(folded) or is_allowlisted_word(folded) or any(is_allowlisted_word(p) for p in parts) \
        or (vocabulary and weight < AMBIGUOUS_NAME_WEIGHT) or len(folded) < 2
    return first_w, last_w, vocabulary, common


def _runs(doc: Document) -> list[list[_Token]]:
    """Capitalised words and initials joined by a space, a hyphen or a particle, on one line."""
    runs: list[list[_Token]] = []
    current: list[_Token] = []
    for match in _TOKEN_RE.finditer(doc.text):
        token = _token(doc, match)
        if current and _GAP_RE.fullmatch(doc.text, current[-1].end, token.start) is not None:
            current.append(token)
        else:
            if current:
                runs.append(current)
            current = [token]
    if current:
        runs.append(current)
    return runs


def _names_in_run(doc: Document, run: list[_Token], single_min: int, known: frozenset) -> list[tuple[int, int]]:
    """The names in one run: the run trimmed of vocabulary at both ends, when it pairs a given name
    with a surname; else its lone frequent names."""
    if run[0].folded in _STREET_OR_SAINT:
        return []  # "Avenue Jean Jaurès", "Saint-Louis", "St Pierre"
    core = _trim(run)
    if not core or _STREET_BEFORE_RE.search(doc.text[max(0, core[0].start - 40):core[0].start]):
        return []
    if followed_by_house_number(doc.text, core[-1].end):
        return []
    if len(core) >= 2 and _is_full_name(doc, core):
        return [(core[0].start, core[-1].end)]
    surname_first = _surname_then_given(doc, run)
    if surname_first is not None:
        return [surname_first]
    return [(t.start, t.end) for t in core if not t.particle and _lone_name(doc, t, single_min, known)]


def _trim(run: list[_Token]) -> list[_Token]:
    """The run without vocabulary at both ends (a capitalised first name that is also a word may
    stay when a name follows), nor a trailing lone initial."""
    lo, hi = 0, len(run)
    while lo < hi and (run[lo].common or run[lo].particle):
        if run[lo].first and lo + 1 < hi and not run[lo + 1].common:
            break  # "Perle Defoe": a given name that is also a word
        if run[lo].particle and _name_follows(run, lo):
            break  # "Van der Meulen"
        lo += 1
    while lo < hi and run[lo].initial and lo + 1 < hi and (run[lo + 1].common or run[lo + 1].first):
        lo += 1
    while hi > lo and (run[hi - 1].common or run[hi - 1].particle or (run[hi - 1].initial and hi - 1 == lo)):
        hi -= 1
    core = run[lo:hi]
    return core if len(core) <= 5 else []


def _name_follows(run: list[_Token], i: int) -> bool:
    """The particles from `i` on lead to a word that is not vocabulary."""
    for token in run[i:]:
        if not token.particle:
            return not token.common and not token.initial
    return False


def _is_full_name(doc: Document, core: list[_Token]) -> bool:
    """Given name + surname (either order), or initial + surname; no vocabulary inside except a
    given name in mid-sentence ("Perle Defoe"); in capitals only when both parts are listed."""
    words = [t for t in core if not t.initial and not t.particle]
    if not words:
        return False
    sentence_start = _sentence_start(doc, core[0].start)
    for t in words:
        if t.common and not (t.first and not t.upper and not sentence_start and not is_stop(t.folded)
                             and not is_allowlisted_word(t.folded)):
            return False
    if any(t.vocabulary for t in words) and all(t.vocabulary or t.common for t in words):
        return False
    has_first = any(t.first for t in words) or any(t.initial for t in core)
    others = [t for t in words if t.last or t.unknown or t.first]
    if not has_first or len(others) + sum(t.initial for t in core) < 2:
        return False
    if all(t.upper or t.initial for t in core):
        listed = sum(1 for t in words if t.first or t.last)
        frequent_given = any(t.first >= _CAPS_GIVEN_WEIGHT for t in words)
        rare_rest = all(t.first >= _CAPS_GIVEN_WEIGHT or not t.vocabulary for t in words)
        if listed < 2 and not (any(t.initial for t in core) and listed >= 1) and not (frequent_given and rare_rest):
            return False
    return not _eponym_position(doc, core[0].start)


def _surname_then_given(doc: Document, run: list[_Token]) -> tuple[int, int] | None:
    """"MARTIN Denis", "LIMONE Félicia": surname words in capitals then a capitalised given name,
    even when the words are also vocabulary (not stop words or medical terms)."""
    if not 2 <= len(run) <= 4:
        return None
    *surname, given = run
    if given.upper or given.initial or not given.first or is_stop(given.folded):
        return None
    for t in surname:
        if not t.upper or t.initial or is_stop(t.folded) or (is_allowlisted_word(t.folded) and not t.last):
            return None
    if _eponym_position(doc, run[0].start):
        return None
    return run[0].start, given.end


def _lone_name(doc: Document, token: _Token, single_min: int, known: frozenset) -> bool:
    """A single listed name, frequent enough, not vocabulary, not in an eponym position; or a word
    already found as a name in this document."""
    if token.initial or token.common or _eponym_position(doc, token.start):
        return False
    before, after = doc.text[token.start - 1:token.start], doc.text[token.end:token.end + 2]
    if before in ("@", ".", "_", "/") or (after[:1] in (".", "@", "_") and after[1:2].isalnum()):
        return False  # part of an e-mail address or a URL
    if token.folded in known:
        return True
    if token.upper:
        return False
    if _sentence_start(doc, token.start) and token.vocabulary:
        return False
    if token.folded in _MONTH_ABBREVIATIONS and (
            doc.text[max(0, token.start - 3):token.start].strip()[-1:].isdigit()
            or doc.text[token.end:token.end + 3].strip()[:1].isdigit()):
        return False  # "2010 Jan 21"
    return max(token.first, token.last) >= single_min


def _sentence_start(doc: Document, start: int) -> bool:
    """The word starts a line, a sentence, a list item or follows a colon or a bracket."""
    line_start = doc.text.rfind("\n", 0, start) + 1
    before = doc.text[max(line_start, start - 20):start].rstrip(" \t\u00a0")
    return not before or before[-1] in _SENTENCE_MARKS


def _eponym_position(doc: Document, start: int) -> bool:
    """Right after "classification de", "signe de", "maladie d'", "Loi", "type"... (an eponym's
    slot)."""
    before = doc.folded[max(0, start - 40):start]
    if before.endswith(("d'", "d’")):
        before = before[:-2] + " d'"
    words = before.replace("(", " ").split()
    if not words:
        return False
    last = words[-1].rstrip(".")
    if last in _EPONYM_DIRECT:
        return True
    if last in ("de", "d'", "du", "des", "la", "type", "selon") and len(words) >= 2:
        noun = words[-2] if words[-2] != "de" else (words[-3] if len(words) >= 3 else "")
        return noun in _EPONYM_NOUNS or noun.rstrip("s") in _EPONYM_NOUNS
    return False
