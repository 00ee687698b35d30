"""Names found by their context (label PERSON, or PATIENT when it is the known patient's name;
tier TIER_CONTEXT).

Contexts: titles ("Dr", "Docteur", "Pr", "M.", "Mme", "Madame", "Infirmière"...), person labels
("Patient :", "Nom :", "Prénom :", "Médecin traitant :", "Copie à :", "Destinataires :",
"Internes :"...), with lists of names after them, "signé / validé / dicté ... par", a name before
"né(e) le", relatives ("sa mère, Mme X", "son papa (X)"), married names ("épouse X", "née X"),
initials with a surname ("J.-P. Dupont", "Dupont J."), dictation references ("N/Réf. : PD/mc").
Titles and labels stay outside the spans.
"""

from __future__ import annotations

import regex

from ...spans import TIER_CONTEXT, Span
from ..document import Document
from ..lexicons import place_index
from ..registry import Detector, register
from ._names_common import (
    NAME_WORDS_KEY,
    RELATION_WORDS,
    TITLE_RE,
    is_allowlisted_word,
    is_common_word,
    is_known_name,
    is_stop,
    label_for,
    scan_name,
    scan_name_backward,
)
from .institutions import institution_gazetteer

_SOURCE = "context_names"

# Labels after which a name (or a list of names) is written.
_PERSON_LABELS = (
    r"patient(?:e|\(e\))?|pt|nom(?:s)?(?: de naissance| d'usage| d’usage| marital| de jeune fille| du patient| de famille)?"
    r"|pr[ée]noms?|identit[ée](?: du patient)?|assur[ée]e?|b[ée]n[ée]ficiaire|titulaire|mr/mme"
    r"|m[ée]decins?(?: traitants?| prescripteurs?| demandeurs?| r[ée]f[ée]rents?| responsables?| g[ée]n[ée]ralistes?"
    r"| de famille| adresseurs?)?|prescripteurs?|demandeurs?|radiologues?|op[ée]rateurs?|aides?|anesth[ée]sistes?"
    r"|instrumentistes?|chirurgiens?|internes?|externes?|assistante?s?|infirmi[eè]re?s?|kin[ée](?:sith[ée]rapeutes?)?"
    r"|secr[ée]taires?|secr[ée]tariat(?: m[ée]dical)?|psychologues?|p[ée]diatres?|cadre(?: de sant[ée])?|superviseurs?"
    r"|supervision|lecture|double lecture|seconde lecture|premi[eè]re lecture|relecture|technologues?|manipulat(?:eur|rice)s?"
    r"|r[ée]f[ée]rents?|consultants?|responsables?|signataires?|auteurs?|r[ée]dacteurs?|destinataires?|copies?(?: à| a)?"
    r"|copie\(s\)|cc|c\.c\.|en copie|[ée]quipe(?: m[ée]dicale| soignante| en charge)?|staff|hématologues|mol[ée]cularistes"
    r"|cliniciens?(?: associ[ée]s)?|praticiens?|gyn[ée]cologues?|urgentistes?|orthop[ée]distes?|rhumatologues?"
    r"|p[eè]re|m[eè]re|tuteur|tutrice|contact|personne de contact|personne de confiance|repr[ée]sentant l[ée]gal"
    r"|dict[ée] par|sign[ée] par|valid[ée] par|r[ée]dig[ée] par|vu par|lu par|interpr[ée]t[ée] par|examin[ée] par"
    r"|concerne|objet|r[ée]f\.?(?: patient)?|à l'attention de|a l'attention de|attn|n/r[ée]f\.?|v/r[ée]f\.?"
)
_LABEL_RE = regex.compile(
    rf"(?<![\p{{L}}])(?i:{_PERSON_LABELS})[ \t]*(?:\(s\)|\(e\))?[ \t]*:[ \t]*(?:\n[ \t]*(?:[-–•*][ \t]*)?)?")
_BY_RE = regex.compile(
    r"(?<![\p{L}])(?i:dactylographi[ée]|sign[ée]|valid[ée]|r[ée]dig[ée]|dict[ée]|relu|lu|vu|r[ée]alis[ée]|effectu[ée]|pratiqu[ée]"
    r"|examin[ée]|op[ée]r[ée]|adress[ée]|envoy[ée]|demand[ée]|prescrit|interpr[ée]t[ée]|supervis[ée]|transcrit"
    r"|g[ée]n[ée]r[ée]|approuv[ée]|contr[ôo]l[ée]|suivie?|pris en charge|prise en charge|accompagn[ée]|amen[ée]"
    r"|vue?|revue?|opérée?|reçue?|envoy[ée]e?|retrouv[ée]e?|échographi[ée]|radiographi[ée])e?s?"
    r"(?:[ \t]+(?i:[ée]lectroniquement|num[ée]riquement|conjointement))?(?:[ \t]+(?i:le|ce)[ \t]+[^\n]{1,30}?)?"
    r"[ \t]+(?i:par)[ \t]*:?[ \t]*"
    r"(?:(?i:le|la|l')[ \t]*)?")
_BORN_RE = regex.compile(r"(?i)[ \t,]*(?:\(?n[ée]e?\)?|n[ée]\(e\))[ \t]+(?:le|en|à|a|au)\b")
_RELATIVE_RE = regex.compile(
    rf"(?i)(?<![\p{{L}}])(?:sa|son|ses|leur|la|le|par)[ \t]+(?:{RELATION_WORDS})[ \t]*(?:[,(:][ \t]*|[ \t]+)")
_MARRIED_RE = regex.compile(r"(?<![\p{L}])(?i:épouse|epouse|ép\.|veuve|vve\.?|née|nee)[ \t]+(?!(?i:le|en|à|a|au)\b)")
_REF_INITIALS_RE = regex.compile(
    r"(?m)(?:^|(?:[NV]/[ \t]?)?R[ée]f\.?[ \t]*:[ \t]*)[ \t]*(\p{Lu}{2,3})[ \t]*/[ \t]*(\p{L}{2,3})[ \t]*$")
_INITIAL_NAME_RE = regex.compile(
    r"(?<![\p{L}\d.])(?!M\.)(\p{Lu}\.(?:[ ]?-[ ]?\p{Lu}\.|\p{Lu}\.)*|\p{Lu}\p{Ll}\.|\p{Lu}-\p{Lu}\.)[ \t]?(?=\p{Lu}\p{L})")
_NAME_INITIAL_RE = regex.compile(
    r"(?<![\p{L}])(\p{Lu}[\p{L}\p{M}'’-]{2,})[ \t]+(\p{Lu}\.(?:[ ]?-[ ]?\p{Lu}\.)?)(?![\p{L}])")
_TITLE_END_RE = regex.compile(r"(?i)(?:dr|docteur|pr|prof|mme|madame|monsieur|m|mr|et|par|de)\.?[ \t]+$")
_PHYSICIAN_BEFORE_RE = regex.compile(r"(?:(?<![\p{L}])(?:Dr|DR|Dre|Pr|PR|Prof)\.?|(?i:docteur|professeur))[ \t]*$")
_STREET_BEFORE_TITLE_RE = regex.compile(
    r"(?i)(?<![\p{L}])(?:rue|avenue|av\.|boulevard|bd|place|square|quai|all[ée]e|chemin|chauss[ée]e|impasse|clos"
    r"|r[ée]sidence|cit[ée]|h[ôo]pital|clinique|institut|centre|fondation|lyc[ée]e|coll[eè]ge|[ée]cole|ath[ée]n[ée]e)"
    r"(?:[ \t]+(?:du|de la|des|de))?[ \t]*$")
_TYPIST_RE = regex.compile(
    r"(?i:dactylographi[ée]e?|tap[ée]e?|saisie?|transcrite?|frapp[ée]e?)[ \t]+(?i:par)[ \t]+(\p{L}{2,3})(?![\p{L}])")
_NAME_LINE_RE = regex.compile(
    r"(?m)^[ \t]*(?P<name>\p{Lu}[\p{L}\p{M}'’-]+(?:,?[ \t]\p{Lu}[\p{L}\p{M}'’-]+){0,2})[ \t]*,?[ \t]*$")
_LIST_SEP_RE = regex.compile(
    r"[ \t]*(?:\([^()\n]{0,60}\))?[ \t]*(?:,|;|/|\bet\b|&|\n[ \t]*[-–•*])[ \t]*")


@register("context_names")
def context_names_detector(config: dict) -> Detector:
    """Factory (no options)."""

    def detect(doc: Document) -> list[Span]:
        titled = _after_titles(doc)
        found: list[tuple[int, int]] = []
        found += _after_labels(doc)
        found += _after_by(doc)
        found += _before_birth(doc)
        found += _relatives(doc)
        found += _married(doc)
        found += _initials_with_name(doc)
        found += _reference_initials(doc)
        found += _typist_initials(doc)
        found += _signature_lines(doc)
        listed = list(institution_gazetteer().finditer(doc))
        found = [s for s in found if not any(a < s[1] and s[0] < b for a, b in listed)]
        found = _dedupe(found + titled)
        doc.cache[NAME_WORDS_KEY] = _name_words(doc, found)
        return [Span(a, b, label_for(doc, a, b, _PHYSICIAN_BEFORE_RE.search(doc.text, max(0, a - 12), a) is not None),
                     _SOURCE, TIER_CONTEXT) for a, b in found]

    return detect


def _after_titles(doc: Document) -> list[tuple[int, int]]:
    """Names after titles: "Dr Jean DUPONT", "Mme Dupont", "Docteur PEETERS Frank"."""
    out = []
    for title in TITLE_RE.finditer(doc.text):
        if _STREET_BEFORE_TITLE_RE.search(doc.text[max(0, title.start() - 20):title.start()]):
            continue  # "rue du Docteur Gachet"
        found = scan_name(doc, title.end(), strict=False)
        if found is not None:
            out.append(found)
    return out


def _after_labels(doc: Document) -> list[tuple[int, int]]:
    """Names and lists of names after a person label ("Copie à : X, Y et Z")."""
    out = []
    for label in _LABEL_RE.finditer(doc.text):
        out.extend(_name_list(doc, label.end()))
    return out


def _name_list(doc: Document, pos: int, limit: int = 12) -> list[tuple[int, int]]:
    """Names separated by commas, semicolons, "et" or dashed lines, each maybe titled."""
    out = []
    for _ in range(limit):
        title = TITLE_RE.match(doc.text, pos)
        strict = title is None
        start = title.end() if title else pos
        found = scan_name(doc, start, strict=strict)
        if found is None:
            break
        out.append(found)
        sep = _LIST_SEP_RE.match(doc.text, found[1])
        if sep is None or sep.end() == found[1]:
            break
        pos = sep.end()
    return out


def _after_by(doc: Document) -> list[tuple[int, int]]:
    """"Signé électroniquement par X", "validé par le Dr X", "accompagné par X"."""
    out = []
    for by in _BY_RE.finditer(doc.text):
        out.extend(_name_list(doc, by.end(), limit=3))
    return out


def _before_birth(doc: Document) -> list[tuple[int, int]]:
    """The name written before "né(e) le", "née en"."""
    out = []
    for born in _BORN_RE.finditer(doc.text):
        found = scan_name_backward(doc, born.start())
        if found is not None:
            out.append(found)
    return out


def _relatives(doc: Document) -> list[tuple[int, int]]:
    """"sa mère, Marie Dupont", "son papa (Luc Martin)"."""
    out = []
    for rel in _RELATIVE_RE.finditer(doc.text):
        title = TITLE_RE.match(doc.text, rel.end())
        found = scan_name(doc, title.end() if title else rel.end(), strict=title is None, max_words=4)
        if found is not None:
            out.append(found)
    return out


def _married(doc: Document) -> list[tuple[int, int]]:
    """"épouse Dupont", "née Martin" (the name after)."""
    out = []
    for married in _MARRIED_RE.finditer(doc.text):
        found = scan_name(doc, married.end(), strict=True, max_words=3)
        if found is not None:
            out.append(found)
    return out


def _initials_with_name(doc: Document) -> list[tuple[int, int]]:
    """"J.-P. Dupont", "Ph. MARTIN" and "Dupont J.", "COLLIN J.-F."."""
    out = []
    for init in _INITIAL_NAME_RE.finditer(doc.text):
        letters = doc.folded[init.start(1):init.end(1)].rstrip(".")
        if (len(letters) > 1 and is_stop(letters)) or _roman_numeral(doc, init.start(1), letters):
            continue
        found = scan_name(doc, init.start(1), strict=True, max_words=3)
        if found is not None:
            out.append(found)
    for match in _NAME_INITIAL_RE.finditer(doc.text):
        word = doc.folded[match.start(1):match.end(1)]
        if is_stop(word) or is_allowlisted_word(word) or (word in place_index() and not is_known_name(word)):
            continue
        if is_common_word(word) and not is_known_name(word):
            continue
        out.append((match.start(1), match.end(2)))
    return out


def _roman_numeral(doc: Document, start: int, letters: str) -> bool:
    """"Schatzker I.", "stade V.": a roman numeral after a word, not an initial."""
    if letters not in ("i", "v", "x"):
        return False
    before = doc.text[max(0, start - 20):start]
    return regex.search(r"\p{L}[ \t]+$", before) is not None and not _TITLE_END_RE.search(before)


def _reference_initials(doc: Document) -> list[tuple[int, int]]:
    """Dictation references: "N/Réf. : PD/mc" (author / typist initials)."""
    out = []
    for match in _REF_INITIALS_RE.finditer(doc.text):
        out.append(match.span(1))
        out.append(match.span(2))
    return out


def _typist_initials(doc: Document) -> list[tuple[int, int]]:
    """"dactylographié par tm": a typist's lower-case initials."""
    return [m.span(1) for m in _TYPIST_RE.finditer(doc.text)]


def _signature_lines(doc: Document) -> list[tuple[int, int]]:
    """A line holding only a name ("DUQUESNE", "Jean DUPONT"), after a blank line or a finished
    sentence: one to three words, none vocabulary or a place, one a listed name or a word of 4+
    letters in capitals."""
    out = []
    text = doc.text
    for line in _NAME_LINE_RE.finditer(text):
        start, end = line.span("name")
        previous = text[:max(0, line.start() - 1)].rsplit("\n", 1)[-1].rstrip()
        if line.start() > 0 and previous and previous[-1] not in ".,:;)!":
            continue
        words = text[start:end].replace(",", " ").split()
        folded = doc.folded[start:end].replace(",", " ").split()
        if not words or len(words) > 3 or any(is_common_word(f) or f in place_index() for f in folded):
            continue
        if any(is_known_name(f) for f in folded) or any(len(w) >= 4 and w.isupper() for w in words):
            out.append((start, end))
    return out


def _name_words(doc: Document, spans: list[tuple[int, int]]) -> frozenset[str]:
    """Folded words (3+ letters, not vocabulary) of the names found, for the lexicon detector."""
    words = set()
    for start, end in spans:
        for word in regex.findall(r"[\p{L}]{3,}", doc.folded[start:end]):
            if not is_common_word(word):
                words.add(word)
    return frozenset(words)


def _dedupe(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Drop exact duplicates and spans inside a longer one."""
    out: list[tuple[int, int]] = []
    for start, end in sorted(set(spans), key=lambda s: (s[0], -s[1])):
        if out and start >= out[-1][0] and end <= out[-1][1]:
            continue
        out.append((start, end))
    return out

