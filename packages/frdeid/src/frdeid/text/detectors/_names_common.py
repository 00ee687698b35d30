"""What the name detectors share: the shape of a written name, titles, stop words, and the known
patient's name parts (to label a found name PATIENT rather than PERSON).

A name is read token by token from a position (after a title, a label, a trigger word):
initials (`J.`, `J.-P.`, `Ph.`), capitalised or upper-case words (`Dupont`, `DUPONT`,
`Jean-Pierre`, `D'Hondt`) and particles (`de`, `van der`, `della`, `Le`) followed by a word. Which
words may join a name depends on how strong the trigger is (`strict`): after "Dr" anything
capitalised that is not a stop word starts a name; after "Copie à :" the first word must look like
a name (a known name, or not French vocabulary).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import regex
from rapidfuzz.distance import OSA

from ...patient import PatientIdentity
from ..allowlist import allowlist_terms
from ..document import Document, fold
from ..lexicons import first_name_index, is_french_word, place_index, surname_index

# --- token shapes ------------------------------------------------------------------------------

_WORD = r"\p{Lu}[\p{L}\p{M}]*(?:['’]\p{L}[\p{L}\p{M}]*)?(?:-\p{L}[\p{L}\p{M}]*)*"
_INITIAL = r"(?:\p{Lu}\p{Ll}{0,2}\.(?:[ ]?-[ ]?\p{Lu}\p{Ll}?\.|\p{Lu}\.)*(?![\p{Ll}])|\p{Lu}-\p{Lu}\.?(?![\p{L}]))"
_PARTICLE = (r"(?:(?:d[eu]|des|de[ ]la|de[ ]l['’]|van(?:[ ]de[rn]?|[ ]t['’])?|von|vande[rn]?|della|di|da|dos|das|del"
             r"|te[nr]|op[ ]de)[ ]+|d['’][ ]?"
             r"|(?:Van(?:[ ](?:[Dd]e[rn]?|[Tt]['’]))?|VAN(?:[ ]DE[RN]?)?|De(?:[ ]La)?|DE(?:[ ]LA)?|Du|DU|Des|DES"
             r"|Von|VON|Vande[rn]?|VANDE[RN]?|Della|DELLA|Di|DI|Da|DA|Dos|DOS|Del|DEL|Le|LE|La|LA|Ten|Ter|TEN|TER"
             r"|Mac|Mc|El|EL|Al|AL|Ben|BEN|Abou|ABOU|Ait|AIT|Aït)[ ]+|D['’][ ]?)"
             r"(?=\p{Lu})")
TOKEN_RE = regex.compile(rf"(?P<init>{_INITIAL})|(?P<particle>{_PARTICLE})|(?P<word>{_WORD})")
WORD_RE = regex.compile(_WORD)
_SPACE_RE = regex.compile(r"[ \t\u00a0]+")
_COMMA_RE = regex.compile(r"[ \t]*,[ \t]*")
_BARE_INITIAL_RE = regex.compile(r"\p{Lu}(?=[ ]+\p{Lu}\p{L})")

# Titles before a name; "M." is Monsieur. The span never includes them.
TITLE_RE = regex.compile(
    r"(?<![\p{L}\d])(?:"
    r"(?i:docteur|doctoresse|professeur|madame|monsieur|mademoiselle|mesdames|messieurs|confr[eè]re|cons(?:œ|oe)ur"
    r"|infirmi[eè]re?s?|kin[ée]sith[ée]rapeute|sage-femme|ma[iî]tre|doctor|dokter|mevrouw|meneer|juffrouw)"
    r"|(?:Dr|DR|Dre|Drs|DRS|Pr|PR|Pre|Prof|PROF|Mr|MR|Mme|MME|Mmes|Mlle|MLLE|Mlles|Melle|MM|Mevr|Dhr)(?:\.|(?=[ \t\u00a0]))"
    r"|M\.(?=[ \t\u00a0]?\p{Lu})"
    r")(?:[ \t\u00a0]+(?:(?i:le|la)[ \t\u00a0]+)?(?i:docteur|professeur|dr\.?|pr\.?|prof\.?)(?=[ \t\u00a0]))?[ \t\u00a0]*")

# doc.cache key: folded words of the names found by context (read by the lexicon detector).
NAME_WORDS_KEY = "names.words"

# A listed name that is also French vocabulary counts as a name above this weight ("Petit", "Blanc").
AMBIGUOUS_NAME_WEIGHT = 2_000

# Words that end (or never start) a name, folded.
_STOP_TEXT = """
dr dre drs docteur doctoresse pr pre prof professeur mme mmes madame monsieur m mr mlle mademoiselle melle mm
mevr dhr le la les l un une des du de d et ou a au aux en pour par avec sans sur sous dans chez vers ce cette
ces son sa ses votre vos notre nos nous vous il elle ils elles qui que est sont ont y ne pas se lui leur leurs
radiologue radiologues medecin medecins chirurgien chirurgiens chirurgienne interne internes externe externes
infirmier infirmiere infirmiers infirmieres kine kinesitherapeute secretaire secretaires secretariat assistant
assistante assistants pediatre generaliste traitant traitante orthopediste rhumatologue anesthesiste
urgentiste cardiologue neurologue pneumologue gynecologue urologue dermatologue ophtalmologue oncologue
psychiatre psychologue technologue manipulateur manipulatrice superviseur responsable referent consultant chef
cadre staff equipe service services hopital hopitaux clinique cliniques chu chr chc centre cabinet maison
hospital hospitals university clinic center health medical ziekenhuis kliniek mevrouw meneer juffrouw heer dokter
residence home institut universite universitaire departement unite pole site campus laboratoire polyclinique
groupe hospitalier rue avenue av bd boulevard chaussee place chemin route allee impasse quai square dreve bte
boite tel tél telephone gsm fax email mail courriel inami riziv niss ipp nda rpps adeli dossier ref conclusion
conclusions technique indication indications examen examens resultat resultats rapport protocole synthese
imagerie radiologie radiographie radiographies scanner irm echographie janvier fevrier mars avril mai juin
juillet aout septembre octobre novembre decembre lundi mardi mercredi jeudi vendredi samedi dimanche cc copie
copies signe valide dicte redige ccl objet concerne patient patiente enfant fils fille gauche droite droit
bilateral face profil nee epouse ep veuve vve page status atcd rendez-vous diagnostic anamnese antecedents
medication traitement evolution suivi consignes remarque canal
"""
STOP_WORDS = frozenset(_STOP_TEXT.split())

RELATION_WORDS = ("mère|mere|père|pere|maman|papa|fils|fille|époux|epoux|épouse|epouse|mari|femme|frère|frere|sœur|soeur"
                  "|soeur|grand-mère|grand-mere|grand-père|grand-pere|tante|oncle|neveu|nièce|niece|cousin|cousine"
                  "|compagnon|compagne|conjoint|conjointe|tuteur|tutrice|belle-fille|beau-fils|petit-fils|petite-fille")


def is_stop(folded: str) -> bool:
    """A word that cannot be part of a name."""
    return folded.rstrip(".") in STOP_WORDS


def is_allowlisted_word(folded: str) -> bool:
    """Medical vocabulary from the allow-list (whole word)."""
    return folded in allowlist_terms()


def name_weight(folded: str) -> int:
    """How common the word is as a given name or family name (0: unknown)."""
    return max(first_name_index().get(folded, 0), surname_index().get(folded, 0))


def is_known_name(folded: str) -> bool:
    """The word is a listed given name or family name."""
    return folded in first_name_index() or folded in surname_index()


def is_common_word(folded: str) -> bool:
    """The word is French vocabulary, allow-listed medical vocabulary or a stop word."""
    return is_stop(folded) or is_allowlisted_word(folded) or is_french_word(folded)


def _word_ok(text: str, folded: str, position: int, strict: bool, after_initial: bool = False) -> bool:
    """Whether a capitalised word may be the `position`-th word of a name (initials count as
    words: after "J." the next word is second; after a title and an initial any word but a stop
    word or medical vocabulary is the surname: "Dr A. Marinière")."""
    if is_stop(folded) or len(folded) < 2:
        return False
    if is_allowlisted_word(folded):
        return (position > 0 and is_known_name(folded)) or (position == 0 and not strict)
    parts = [p for p in folded.split("-") if p]
    weight = name_weight(folded)
    if weight or all(is_known_name(p) for p in parts):
        # "Sentier", "Bonne" after a weak trigger are words
        return not (strict and position == 0 and weight < AMBIGUOUS_NAME_WEIGHT and is_french_word(folded))
    if is_french_word(folded) or (len(parts) > 1 and all(is_french_word(p) for p in parts)):
        return (position == 0 or after_initial) and not strict
    if strict and position == 0 and folded in place_index():
        return False  # "(Romershoven)" after "chez sa sœur"
    return not (strict and position == 0 and text.isupper() and len(text) <= 3)  # RX, IRM, PTH...


_HOUSE_NUMBER_RE = regex.compile(
    r"[ \t]*,?[ \t]*[1-9]\d{0,3}(?:[ \t]?(?:[a-zA-Z]|bis|ter)(?![\p{L}]))?(?![\d/.:,]\d)(?![\p{L}\d])"
    r"(?![ \t]*(?:ans?|a|mois|jours?|semaines?|sem|kg|cm|mm|ml|mg|h|fois|%|x|[èe]me|e|er|ex)\b)(?![ \t]+\d)")


def followed_by_house_number(text: str, end: int) -> bool:
    """"Kellylaan, 68", "R. Reine Astrid 150B": the words before are a street, not a name."""
    return _HOUSE_NUMBER_RE.match(text, end) is not None


# --- reading a name ----------------------------------------------------------------------------


def scan_name(doc: Document, pos: int, strict: bool, max_words: int = 5) -> tuple[int, int] | None:
    """The name written at `pos` (spaces skipped), as `(start, end)`, or None.

    `strict`: the trigger is weak (a label, "par"), so the first word must look like a name too.
    """
    text, folded = doc.text, doc.folded
    space = _SPACE_RE.match(text, pos)
    i = space.end() if space else pos
    start = end = -1
    words = initials = 0
    last_upper = comma_used = False
    while words + initials < max_words:
        token = TOKEN_RE.match(text, i)
        if token is None and start < 0 and not strict:
            token = _BARE_INITIAL_RE.match(text, i)
            if token is not None:
                start, end, initials, i = i, token.end(), initials + 1, token.end()
                i = _skip_space(text, i)
                continue
        if token is None:
            break
        kind = token.lastgroup
        if kind == "init":
            if len(folded[token.start():token.end()].rstrip(".")) > 1 and is_stop(folded[token.start():token.end()]):
                break
            initials += 1
            tok_end = token.end()
        elif kind == "particle":
            word = WORD_RE.match(text, token.end())
            if word is None or not _particle_word_ok(doc, word.start(), word.end(), text[token.start()].islower()):
                break
            words += 1
            tok_end = word.end()
            last_upper = text[word.start():word.end()].isupper()
        elif len(token.group()) == 1 and _BARE_INITIAL_RE.match(text, token.start()):
            initials += 1  # "Dr H FERDOIN"
            tok_end = token.end()
        else:
            surface = text[token.start():token.end()]
            if not _word_ok(surface, folded[token.start():token.end()], words + initials, strict,
                            after_initial=initials > 0 and words == 0):
                break
            words += 1
            tok_end = token.end()
            last_upper = surface.isupper() and len(surface) > 1
        if start < 0:
            start = token.start()
        end = tok_end
        i = _next_token_start(doc, end, last_upper and initials == 0 and not comma_used)
        comma_used = comma_used or "," in text[end:max(i, end)]
        if i < 0:
            break
    if start < 0 or words == 0:
        return None
    if strict and followed_by_house_number(text, end):
        return None
    return start, end


def _skip_space(text: str, i: int) -> int:
    space = _SPACE_RE.match(text, i)
    return space.end() if space else i


def _next_token_start(doc: Document, end: int, last_upper: bool) -> int:
    """Where the next name token may start after `end`, or -1: one space, or ", " between an
    upper-case surname and a given name ("DUPONT, Jean"; `last_upper`: the name so far is such a
    surname)."""
    text = doc.text
    space = _SPACE_RE.match(text, end)
    if space is not None and space.end() - end <= 2:
        return space.end()
    if text[end - 1:end] == "." and text[end:end + 1].isupper():
        return end  # "A.Mariniere"
    comma = _COMMA_RE.match(text, end)
    if comma is not None and last_upper:
        word = WORD_RE.match(text, comma.end())
        if word is not None and doc.folded[word.start():word.end()] in first_name_index() \
                and not text[word.start():word.end()].isupper():
            return comma.end()
        initial = TOKEN_RE.match(text, comma.end())
        if initial is not None and initial.lastgroup == "init":
            return comma.end()
    return -1


def _particle_word_ok(doc: Document, start: int, end: int, lower_particle: bool) -> bool:
    """A word after a particle ("de Lannoy", "VAN DE VOORDE"; not "de Namur" or "de Garden")."""
    folded = doc.folded[start:end]
    if is_stop(folded) or (is_allowlisted_word(folded) and not is_known_name(folded)):
        return False  # "de Garden" is a classification; "De Mulder" a surname (and a sign)
    if lower_particle and folded in place_index() and not is_known_name(folded):
        return False
    return is_known_name(folded) or not is_french_word(folded)


def scan_name_backward(doc: Document, end: int, max_words: int = 4) -> tuple[int, int] | None:
    """The name that ends right before `end` (e.g. before ", né le"), as `(start, end)`."""
    text = doc.text
    line_start = text.rfind("\n", 0, end) + 1
    segment = text[line_start:end].rstrip(" ,\t")
    if not segment:
        return None
    candidates = list(WORD_RE.finditer(segment))
    best = None
    for match in reversed(candidates[-max_words:]):
        begin = line_start + match.start()
        found = scan_name(doc, begin, strict=True, max_words=max_words)
        if found and found[1] == line_start + len(segment):
            best = found
    return best


# --- the known patient ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PatientWords:
    """Folded parts of the patient's names: surname words (particles excluded) and given names."""

    surname: frozenset[str]
    given: frozenset[str]
    initials: frozenset[str]

    def has(self, folded: str) -> bool:
        """Whether a folded word is one of the patient's names."""
        return folded in self.surname or folded in self.given


_PARTICLES = frozenset(["de", "du", "des", "d", "van", "von", "der", "den", "vande", "vanden", "vander", "della", "di", "da", "dos", "das", "del", "ten", "ter", "le", "la", "mac", "mc", "el", "al", "ben", "abou", "ait", "op", "t"])


@lru_cache(maxsize=256)
def patient_words(patient: PatientIdentity | None) -> PatientWords:
    """The patient's name parts (empty when there is no patient)."""
    if patient is None:
        return PatientWords(frozenset(), frozenset(), frozenset())
    surname = {w for w in _split_name(patient.last_name) if w not in _PARTICLES and len(w) > 1}
    given = set()
    for name in patient.first_names:
        given.update(w for w in _split_name(name) if len(w) > 1)
    initials = frozenset(w[0] for w in given)
    return PatientWords(frozenset(surname), frozenset(given), initials)


def _split_name(name: str) -> list[str]:
    return fold(name).replace("-", " ").replace("'", " ").replace("’", " ").split()


def label_for(doc: Document, start: int, end: int, physician: bool = False) -> str:
    """PATIENT when the name written at `start:end` is the known patient's, else PERSON: each word
    is one of the patient's names (initials must be those of a given name) and one is a surname
    or every given name matches. After a physician's title (`physician`), an initial is not
    enough: "Dr D. Pierre" is a colleague of Dominique Pierre's."""
    words = patient_words(doc.patient)
    if not words.surname and not words.given:
        return "PERSON"
    tokens = [t.lower() for t in regex.findall(r"[\p{L}]+", doc.folded[start:end])]
    tokens = [t for t in tokens if t not in _PARTICLES]
    if not tokens:
        return "PERSON"
    has_surname = False
    for token in tokens:
        if token in words.surname or (len(token) >= 5 and any(
                len(w) >= 5 and abs(len(w) - len(token)) <= 1 and OSA.distance(token, w, score_cutoff=1) <= 1
                for w in words.surname)):
            has_surname = True
        elif token in words.given or len(token) == 1 and token in words.initials:
            continue
        else:
            return "PERSON"
    if has_surname or all(t in words.given for t in tokens):
        return "PATIENT"
    return "PERSON"
