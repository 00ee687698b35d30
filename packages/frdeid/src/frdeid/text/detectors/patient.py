"""The known patient's own name in any written form (label PATIENT, tier TIER_VALIDATED).

Matched case- and accent-insensitively on `Document.folded`: first + last name and last + first
("Jean DUPONT", "DUPONT, Jean", "DUPONT Jean Marie"), initials with the surname ("J. Dupont",
"J.-P. Dupont", "Dupont J."), the surname alone, a given name alone (capitalised), hyphenated
parts, particles ("Van der Meulen", "de Lannoy"), letter initials ("JD", "J.D.") next to a patient
context, one-edit misspellings of names of five letters or more ("Dupond"), and married names
joined by "épouse"/"née". A full name written together is one span. The patient number is
reported as ID.

A surname or given name that is also medical vocabulary or a French word ("Garden", "Blanc") is
only taken alone after a title or a patient label, so "classification de Garden" stays untouched.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import regex
from rapidfuzz.distance import OSA

from ...patient import PatientIdentity
from ...spans import TIER_VALIDATED, Span
from ..document import Document, fold
from ..lexicons import first_name_index, is_french_word
from ..registry import Detector, register
from ._names_common import (
    AMBIGUOUS_NAME_WEIGHT,
    WORD_RE,
    is_allowlisted_word,
    is_common_word,
    is_known_name,
    is_stop,
    name_weight,
    scan_name,
    scan_name_backward,
)

_SOURCE = "patient"
_B = r"(?<![\p{L}\d])"
_E = r"(?![\p{L}\d])"
_SEP = r"[ \t\u00a0]*[-\u2010\u2011]?[ \t\u00a0]*"
_MARRIED_AFTER = regex.compile(r"[ \t,]*(?:épouse|epouse|ép\.|ep\.|veuve|vve\.?|née|nee)[ \t]+(?!le\b|en\b|à\b|a\b|au\b)",
                               regex.IGNORECASE)
_MARRIED_BEFORE = regex.compile(r"(?:épouse|epouse|ép\.|ep\.|veuve|vve\.?|née|nee)[ \t]+$", regex.IGNORECASE)
_TITLE_BEFORE = regex.compile(
    r"(?:(?<![\p{L}])(?:Dr|Dre|Pr|Prof|Mr|Mme|Mlle|Melle|M|MM|Mevr|Dhr)\.?|(?i:docteur|professeur|madame|monsieur"
    r"|mademoiselle|patiente?|enfant|b[ée]b[ée]|concerne|objet|identit[ée]|nom(?: de naissance| d'usage)?"
    r"|pr[ée]noms?|initiales|r[ée]f\.?(?: patient)?|assur[ée]e?|pt\.?|votre patiente?|notre patiente?"
    r"|mr/mme|chez))[ \t]*(?:\(e\))?[ \t]*:?[ \t]*$")
_PHYSICIAN_BEFORE = regex.compile(
    r"(?:(?<![\p{L}])(?:Dr|DR|Dre|Drs|Pr|PR|Prof)\.?|(?i:docteur|professeur|confr[eè]re|cons(?:œ|oe)ur))"
    r"[ \t]+(?:\p{Lu}[\p{L}\p{M}.'’-]*[ \t]+){0,2}$")
_INITIALS_CONTEXT = regex.compile(
    r"(?i)(?<![\p{L}])(?:patiente?s?|concerne|objet|identit[ée]|initiales|r[ée]f|enfant|n°|ipp|dossier|n[ée]e?)"
    r"(?![\p{L}])|°")
_WORD_TOKEN = regex.compile(r"\p{L}[\p{L}\p{M}'’]*")


@dataclass(frozen=True)
class _Matcher:
    """Compiled forms of one patient's name."""

    pattern: regex.Pattern | None
    initials: regex.Pattern | None
    surname_words: tuple[str, ...]
    given_words: tuple[str, ...]
    patient_id: str


def _alternation(options: list[str]) -> str:
    unique = sorted({o for o in options if o}, key=len, reverse=True)
    return "(?:" + "|".join(unique) + ")" if unique else "(?!)"


def _words(name: str) -> list[str]:
    return [w for w in regex.split(r"[\s\-'’]+", fold(name)) if w]


_PARTICLES = frozenset(["de", "du", "des", "d", "van", "von", "der", "den", "vande", "vanden", "vander", "della", "di", "da", "dos", "das", "del", "ten", "ter", "le", "la"])


def _surname_regex(last_name: str) -> tuple[str, str, list[str]]:
    """(full surname pattern, surname-part pattern, core words)."""
    words = _words(last_name)
    core = [w for w in words if w not in _PARTICLES]
    if not core:
        core = words
    pieces = []
    for w in words:
        piece = regex.escape(w)
        pieces.append(f"(?:{piece}{_SEP})?" if w in _PARTICLES and w != words[-1] else piece + _SEP)
    full = "".join(pieces)
    full = full[: -len(_SEP)] if full.endswith(_SEP) else full
    joined = regex.escape("".join(words))
    parts = [regex.escape(w) for w in core if len(w) >= 3]
    return _alternation([full, joined]), _alternation(parts), core


def _given_regex(first_names: tuple[str, ...]) -> tuple[str, str, list[str]]:
    """(given name pattern, initials pattern, given words)."""
    names, initials, words = [], [], []
    for first in first_names:
        parts = _words(first)
        if not parts:
            continue
        words.extend(parts)
        names.append(_SEP.join(regex.escape(p) for p in parts))
        names.extend(regex.escape(p) for p in parts if len(p) >= 3)
        letters = [regex.escape(p[0]) for p in parts]
        initials.append(r"\.?[ ]?-?[ ]?".join(letters) + r"\.")
        initials.extend(rf"{regex.escape(p[0])}\." for p in parts)
    return _alternation(names), _alternation(initials), words


@lru_cache(maxsize=256)
def _matcher(patient: PatientIdentity) -> _Matcher:
    """The compiled forms of `patient`'s name (cached per identity)."""
    sur_full, sur_part, sur_words = ("(?!)", "(?!)", [])
    if patient.last_name.strip():
        sur_full, sur_part, sur_words = _surname_regex(patient.last_name)
    given, inits, given_words = _given_regex(patient.first_names)
    pattern = None
    if sur_words or given_words:
        one_given = f"(?:{given}|{inits})"
        givens = f"{one_given}(?:[ \t]+{one_given}){{0,3}}"
        pattern = regex.compile(
            rf"{_B}(?:(?P<gl>{givens}[ \t]+{sur_full})|(?P<lg>{sur_full}[ \t]*,?[ \t]+{givens})"
            rf"|(?P<l>{sur_full})|(?P<lp>{sur_part})|(?P<g>{given})){_E}")
    initials = None
    letters = _initial_letters(patient)
    if len(letters) >= 2:
        plain = "".join(letters)
        dotted = "".join(f"{c}\\." for c in letters)
        initials = regex.compile(rf"{_B}(?:{plain}|{dotted}){_E}")
    return _Matcher(pattern, initials, tuple(sur_words), tuple(given_words), patient.patient_id.strip())


def _initial_letters(patient: PatientIdentity) -> list[str]:
    """Upper-case initials: each part of the usual given name, then the surname's first core word."""
    letters = []
    if patient.first_names:
        letters = [p[0].upper() for p in regex.split(r"[\s\-]+", patient.first_names[0]) if p][:2]
    core = [w for w in regex.split(r"[\s\-'’]+", patient.last_name) if w and w[:1].isupper()]
    if not core:
        core = [w for w in patient.last_name.split() if w]
    if core and letters:
        letters.append(fold(core[0][0]).upper())
    return letters


@register("patient")
def patient_detector(config: dict) -> Detector:
    """Factory: `fuzzy` (default true) also matches one-edit misspellings; `emit_id` (default
    true) reports the patient number as ID."""
    fuzzy = bool(config.get("fuzzy", True))
    emit_id = bool(config.get("emit_id", True))

    def detect(doc: Document) -> list[Span]:
        if doc.patient is None:
            return []
        matcher = _matcher(doc.patient)
        spans = _exact(doc, matcher)
        if matcher.initials is not None:
            spans.extend(_letter_initials(doc, matcher))
        if fuzzy:
            spans.extend(_fuzzy(doc, matcher, spans))
        spans = _merge_adjacent(doc, spans)
        spans.extend(_married(doc, spans))
        if emit_id and len(matcher.patient_id) >= 4:
            spans.extend(_ids(doc, matcher.patient_id))
        return spans

    return detect


def _span(start: int, end: int, label: str = "PATIENT") -> Span:
    return Span(start, end, label, _SOURCE, TIER_VALIDATED)


def _exact(doc: Document, matcher: _Matcher) -> list[Span]:
    """Exact (folded) occurrences of the name's forms, filtered by case and context."""
    if matcher.pattern is None:
        return []
    out = []
    for match in matcher.pattern.finditer(doc.folded):
        kind = match.lastgroup
        start, end = match.span()
        if kind in ("gl", "lg") or _single_ok(doc, start, end, kind, matcher):
            out.append(_span(start, end))
    return out


def _single_ok(doc: Document, start: int, end: int, kind: str, matcher: _Matcher) -> bool:
    """A surname or given name written alone: capitalised, and with a name context when it is
    also an ordinary or medical word; not the surname of a relative written with their own
    given name."""
    surface = doc.text[start:end]
    if not surface[:1].isupper() or _hyphen_joined(doc.text, start, end):
        return False
    folded = doc.folded[start:end]
    if _after_physician_title(doc, start):
        return False  # "Dr Dominique Pierre", "Dr. D. PIERRE": a physician sharing a name part
    initial = _sentence_start(doc.text, start)
    ambiguous = len(folded) <= 3 or any(
        is_stop(w) or is_allowlisted_word(w)
        or (is_french_word(w) and (name_weight(w) < AMBIGUOUS_NAME_WEIGHT or (initial and kind != "g")))
        for w in _words(folded))
    if kind == "g":
        ambiguous = ambiguous or (surface.isupper() and len(surface) <= 4)
        if _neighbour_is_other_name(doc, start, end, matcher, given=True):
            return False
    elif _neighbour_is_other_name(doc, start, end, matcher, given=False):
        return False
    return not ambiguous or _has_context(doc, start)


def _hyphen_joined(text: str, start: int, end: int) -> bool:
    """Part of a longer hyphenated word ("Luc" in "Saint-Luc")."""
    return (start >= 2 and text[start - 1] == "-" and text[start - 2].isalpha()) or \
        (text[end:end + 1] == "-" and text[end + 1:end + 2].isalpha())


def _sentence_start(text: str, start: int) -> bool:
    line_start = text.rfind("\n", 0, start) + 1
    before = text[max(line_start, start - 20):start].rstrip(" \t\u00a0")
    return not before or before[-1] in ".!?:;•*-–—("


def _after_physician_title(doc: Document, start: int) -> bool:
    """Right after "Dr", "Docteur", "Pr" (and maybe an initial or a given name)."""
    before = doc.text[max(0, start - 40):start]
    return _PHYSICIAN_BEFORE.search(before) is not None


def _has_context(doc: Document, start: int) -> bool:
    """A title or a patient label right before `start` on the same line."""
    line_start = doc.text.rfind("\n", 0, start) + 1
    before = doc.text[max(line_start, start - 40):start]
    return _TITLE_BEFORE.search(before) is not None


def _neighbour_is_other_name(doc: Document, start: int, end: int, matcher: _Matcher, given: bool) -> bool:
    """Whether the word right before or after is another person's name part: "Marie DUPONT" is
    the patient's mother when the patient is Jean DUPONT."""
    text = doc.text
    initials = {w[0] for w in matcher.given_words}
    initial = regex.match(r"[ \t]+(\p{Lu})\.", text[end:end + 6])
    if initial is not None and fold(initial.group(1)) not in initials:
        return True
    initial = regex.search(r"(?<![\p{L}])(\p{Lu})\.[ \t]*$", text[max(0, start - 6):start])
    if initial is not None and initial.group(1) != "M" and fold(initial.group(1)) not in initials:
        return True
    after = regex.match(r"[ \t]+(\p{Lu}[\p{L}\p{M}'’-]+)", text[end:end + 40])
    before = regex.search(r"(\p{Lu}[\p{L}\p{M}'’-]+)[ \t]+$", text[max(0, start - 40):start])
    for found in (after, before):
        if found is None:
            continue
        folded = fold(found.group(1))
        if folded in matcher.given_words or folded in matcher.surname_words:
            continue
        if given:
            if is_known_name(folded) and not is_common_word(folded):
                return True
        elif folded in first_name_index() and not is_common_word(folded):
            return True
    return False


def _letter_initials(doc: Document, matcher: _Matcher) -> list[Span]:
    """"JD" / "J.D." next to a patient context on the same line."""
    out = []
    for match in matcher.initials.finditer(doc.text):
        start, end = match.span()
        line_start = doc.text.rfind("\n", 0, start) + 1
        line_end = doc.text.find("\n", end)
        line = doc.text[line_start:line_end if line_end >= 0 else len(doc.text)]
        if _has_context(doc, start) or _INITIALS_CONTEXT.search(line) or \
                (matcher.patient_id and matcher.patient_id in line):
            out.append(_span(start, end))
    return out


def _fuzzy(doc: Document, matcher: _Matcher, found: list[Span]) -> list[Span]:
    """Capitalised words one edit away from a surname word (5+ letters): "Dupond", "Dupontt";
    hyphenated words whose every part is a name part or one edit away ("Colin-Delfogre")."""
    words = (*matcher.surname_words, *matcher.given_words)
    if not any(len(w) >= 5 for w in words):
        return []
    covered = [(s.start, s.end) for s in found]
    out = []
    for match in WORD_RE.finditer(doc.text):
        start, end = match.span()
        if end - start < 4 or any(a <= start < b for a, b in covered):
            continue
        folded = doc.folded[start:end]
        parts = [p for p in folded.split("-") if p]
        if len(parts) > 1:
            if all(p in words or any(_close(p, w) for w in words if len(w) >= 5) for p in parts) \
                    and any(p in matcher.surname_words for p in parts):
                out.append(_span(start, end))
            continue
        if folded in words:
            continue
        hit_surname = any(_close(folded, t) for t in matcher.surname_words if len(t) >= 5)
        hit_given = not hit_surname and any(_close(folded, t) for t in matcher.given_words if len(t) >= 5)
        if not (hit_surname or hit_given) or is_common_word(folded):
            continue
        if _neighbour_is_other_name(doc, start, end, matcher, given=hit_given) or _after_physician_title(doc, start):
            continue
        near_patient = _near(found, start, end)
        if hit_given and not near_patient:
            continue
        if first_name_index().get(folded, 0) > 500 and not (near_patient or _has_context(doc, start)):
            continue
        out.append(_span(start, end))
    return out


def _close(word: str, target: str) -> bool:
    return abs(len(word) - len(target)) <= 1 and OSA.distance(word, target, score_cutoff=1) <= 1


def _near(spans: list[Span], start: int, end: int) -> bool:
    return any(0 <= start - s.end <= 2 or 0 <= s.start - end <= 2 for s in spans)


def _merge_adjacent(doc: Document, spans: list[Span]) -> list[Span]:
    """Patient spans separated only by spaces or a comma on one line form one name."""
    out: list[Span] = []
    for span in sorted(spans, key=lambda s: (s.start, -s.end)):
        if out and span.start <= out[-1].end:
            if span.end > out[-1].end:
                out[-1] = _span(out[-1].start, span.end)
            continue
        if out and regex.fullmatch(r"[ \t]*,?[ \t]*", doc.text[out[-1].end:span.start]):
            out[-1] = _span(out[-1].start, span.end)
            continue
        out.append(span)
    return out


def _married(doc: Document, spans: list[Span]) -> list[Span]:
    """The other surname of "X épouse Y" / "Y née X" when one of them is the patient's."""
    out = []
    for span in spans:
        after = _MARRIED_AFTER.match(doc.text, span.end)
        if after is not None:
            found = scan_name(doc, after.end(), strict=False, max_words=3)
            if found is not None:
                out.append(_span(*found))
        line_start = doc.text.rfind("\n", 0, span.start) + 1
        before = _MARRIED_BEFORE.search(doc.text[line_start:span.start])
        if before is not None:
            found = scan_name_backward(doc, line_start + before.start(), max_words=3)
            if found is not None:
                out.append(_span(*found))
    return out


def _ids(doc: Document, patient_id: str) -> list[Span]:
    """Occurrences of the patient number as a whole token."""
    pattern = regex.compile(rf"(?<![\p{{L}}\d]){regex.escape(patient_id)}(?![\p{{L}}\d])")
    return [Span(m.start(), m.end(), "ID", _SOURCE, TIER_VALIDATED) for m in pattern.finditer(doc.text)]
