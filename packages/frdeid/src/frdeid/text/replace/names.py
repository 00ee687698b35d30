"""Surrogate names of the same form: case, initials, hyphens, particles and word order are kept,
first names keep their sex, and the patient's own name always maps through the patient id."""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher

from ...patient import PatientIdentity
from ..document import fold
from .casing import apply_case, is_lower, key_norm
from .context import Context
from .pools import Pools
from .vocab import PARTICLES

_TOKEN = re.compile(r"[^\W\d_]+|\s+|.", re.S)
_APOSTROPHES = ("'", "’")
_VOWELS = frozenset("aeiouy")


@dataclass(frozen=True)
class Piece:
    """One part of a written name: a separator kept as is, a name word (with its particles), an
    initial ("J" of "J.") or an initials block ("JD", "lb")."""

    kind: str  # "sep", "name", "initial", "block"
    text: str
    particle: bool = False


def _is_word(token: str) -> bool:
    return token[:1].isalpha()


def _core_index(tokens: list[str], j: int) -> int | None:
    """If a particle unit ("van der", "d'", "O'") starts at token j, the index of its core word."""
    k = j
    while k + 2 < len(tokens) and _is_word(tokens[k]) and _is_word(tokens[k + 2]):
        word, sep = fold(tokens[k]), tokens[k + 1]
        elided = sep in _APOSTROPHES and (len(word) == 1 or word in PARTICLES)  # d', O'
        spaced = word in PARTICLES and sep.isspace() and "\n" not in sep and k - j < 4  # van der
        if not (elided or spaced):
            break
        k += 2
    return k if k > j else None


def parse_name(surface: str, pools: Pools) -> list[Piece]:
    """The pieces of a name span, in order; joined, their texts give back `surface`."""
    tokens = _TOKEN.findall(surface)
    n_words = sum(1 for t in tokens if _is_word(t))
    pieces: list[Piece] = []
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if not _is_word(token):
            pieces.append(Piece("sep", token))
            i += 1
            continue
        core = _core_index(tokens, i)
        if core is not None:
            pieces.append(Piece("name", "".join(tokens[i:core + 1]), particle=True))
            i = core + 1
            continue
        kind = "initial" if len(token) == 1 else "block" if _is_block(token, n_words, pools) else "name"
        pieces.append(Piece(kind, token))
        i += 1
    return pieces


def _is_block(token: str, n_words: int, pools: Pools) -> bool:
    """Whether a word is a block of initials: "lb", "md" (short, lower case), "JD" or "JPVDB" (capitals
    without vowels), or a short unknown all-caps word written alone ("AE")."""
    no_vowel = not set(fold(token)) & _VOWELS
    if len(token) <= 3 and token.islower():
        return True
    if token.isupper() and no_vowel and len(token) <= 6:
        return True
    return len(token) <= 3 and token.isupper() and n_words == 1 and not pools.is_known_name(token)


def role_of(piece: Piece, pools: Pools) -> str:
    """"first" for a known first name without particle, else "last" (context-free, so a word gets
    the same surrogate wherever it appears)."""
    return "first" if not piece.particle and pools.is_first_name(piece.text) else "last"


def _initial(text: str) -> str:
    return key_norm(text)[:1]


def _case_letter(template: str, letter: str) -> str:
    return letter.upper() if template.isupper() else letter.lower()


def _lower_particles(original: str, surrogate: str) -> str:
    """"de Simon" -> "de Smet", not "De Smet": a lower-case particle stays lower case."""
    if not original[:1].islower() or is_lower(original):
        return surrogate
    words = surrogate.split(" ")
    for k, word in enumerate(words[:-1]):
        if key_norm(word) in PARTICLES:
            words[k] = word.lower()
    return " ".join(words)


def general_first(original: str, ctx: Context) -> str:
    """A first name of the same sex for `original`, keyed by its folded value."""
    pool = ctx.pools.first_names(ctx.pools.sex_of(original))
    initial = _initial(original)
    return ctx.choose("first-name", key_norm(original), original, pool.pick,
                      lambda c: _initial(c) != initial)


def general_last(original: str, particle: bool, ctx: Context) -> str:
    """A surname for `original` (with a particle if it had one), keyed by its folded value."""
    pool = ctx.pools.particle_surnames if particle else ctx.pools.surnames
    initial = _initial(original)
    return ctx.choose("surname", key_norm(original), original, pool.pick, lambda c: _initial(c) != initial)


def general_surrogate(piece: Piece, ctx: Context) -> str:
    """The surrogate of a name word that is not the known patient's."""
    if role_of(piece, ctx.pools) == "first":
        return general_first(piece.text, ctx)
    return general_last(piece.text, piece.particle, ctx)


class PatientNames:
    """The known patient's name parts and their surrogates, derived from the patient id
    (`derive(key, "patient-first" / "patient-last", patient_id)`; further parts add their index)."""

    def __init__(self, identity: PatientIdentity, patient_id: str, pools: Pools) -> None:
        self.seed = patient_id or "identity\x00" + "\x00".join(
            (key_norm(identity.last_name), key_norm(" ".join(identity.first_names)), str(identity.birth_date)))
        self.firsts = [[p for p in name.split("-") if key_norm(p)] for name in identity.first_names]
        self.firsts = [parts for parts in self.firsts if parts]
        self.lasts = [p for p in parse_name(identity.last_name, pools) if p.kind == "name"]
        sex = getattr(identity, "sex", None)
        known = [pools.sex_of(part) for parts in self.firsts for part in parts if pools.sex_of(part) != "U"]
        self.sex = sex if sex in ("M", "F") else (known[0] if known else "U")
        self._index: dict[str, tuple] = {}
        for j, piece in enumerate(self.lasts):
            self._index.setdefault(key_norm(piece.text), ("last", j))
        for i, parts in enumerate(self.firsts):
            for j, part in enumerate(parts):
                self._index.setdefault(key_norm(part), ("first", i, j))

    def words(self) -> list[str]:
        """Every name part, for the document's forbidden list."""
        return [p.text for p in self.lasts] + [p for parts in self.firsts for p in parts]

    def match(self, text: str) -> tuple | None:
        """The role of a written name word: exact (folded) match, else a close spelling (typos)."""
        key = key_norm(text)
        if key in self._index:
            return self._index[key]
        if len(key) < 4:
            return None
        best = max(self._index, key=lambda k: SequenceMatcher(None, key, k).ratio(), default=None)
        return self._index[best] if best and SequenceMatcher(None, key, best).ratio() >= 0.8 else None

    def surrogate(self, role: tuple, ctx: Context) -> str:
        """The surrogate of one name part; distinct parts get distinct surrogates."""
        if role[0] == "first":
            _, i, j = role
            original = self.firsts[i][j]
            value = self.seed if (i, j) == (0, 0) else f"{self.seed}\x00{i}\x00{j}"
            pool = ctx.pools.first_names(self.sex)
            domain = "patient-first"
            earlier = [("first", a, b) for a, parts in enumerate(self.firsts) for b in range(len(parts))
                       if (a, b) < (i, j)]
        else:
            _, j = role
            original = self.lasts[j].text
            value = self.seed if j == 0 else f"{self.seed}\x00{j}"
            pool = ctx.pools.particle_surnames if self.lasts[j].particle else ctx.pools.surnames
            domain = "patient-last"
            earlier = [("last", b) for b in range(j)]
        taken = {key_norm(self.surrogate(r, ctx)) for r in earlier}
        initial = _initial(original)
        return ctx.choose(domain, value, original, pool.pick,
                          lambda c: _initial(c) != initial and key_norm(c) not in taken)

    def initial(self, letter: str, position: int, surname_first: bool, ctx: Context) -> str:
        """The surrogate initial for an initial of the patient's name."""
        letter = fold(letter)
        firsts = sorted(((j != position, i, ("first", i, j)) for i, parts in enumerate(self.firsts)
                         for j, part in enumerate(parts) if _initial(part) == letter))
        lasts = [("last", j) for j, p in enumerate(self.lasts) if _initial(p.text) == letter]
        roles = lasts[:1] + [r for *_, r in firsts] if surname_first else [r for *_, r in firsts] + lasts[:1]
        if roles:
            return _initial(self.surrogate(roles[0], ctx))
        return ctx.keyed.other_letter("patient-initial", ctx.salt(f"{self.seed}\x00{position}\x00{letter}"), letter)


def render_name(surface: str, label: str, ctx: Context) -> str:
    """A PATIENT or PERSON span rewritten piece by piece."""
    pieces = parse_name(surface, ctx.pools)
    patient = ctx.patient if label == "PATIENT" else None
    names = [p for p in pieces if p.kind == "name"]
    lasts = [p.text for p in names if role_of(p, ctx.pools) == "last"]
    letters = _initial_letters(pieces)
    new_letters = _surrogate_initials(letters, bool(names), lasts, patient, ctx)
    out: list[str] = []
    k = 0
    for piece in pieces:
        if piece.kind == "sep":
            out.append(piece.text)
        elif piece.kind == "name":
            role = patient.match(piece.text) if patient is not None else None
            surrogate = patient.surrogate(role, ctx) if role else general_surrogate(piece, ctx)
            out.append(_lower_particles(piece.text, apply_case(piece.text, surrogate)))
        else:
            for char in piece.text:
                out.append(_case_letter(char, new_letters[k]))
                k += 1
    return "".join(out)


def _initial_letters(pieces: list[Piece]) -> list[tuple[int, str]]:
    """(position in its initials group, letter) for every initial letter, in order."""
    out: list[tuple[int, str]] = []
    group: list[str] = []
    for piece in pieces + [Piece("name", "")]:
        if piece.kind == "name":
            out.extend(enumerate(group))
            group = []
        elif piece.kind in ("initial", "block"):
            group.extend(piece.text)
    return out


def _surrogate_initials(letters: list[tuple[int, str]], has_names: bool, lasts: list[str],
                        patient: PatientNames | None, ctx: Context) -> list[str]:
    """Initials of the patient map through the patient's surrogate names; other initials get
    letters keyed by the surnames written with them, their position and the letter, so the same
    written form always gives the same initials."""
    if patient is not None:
        # Initials next to a name are first-name initials; alone, the last one is the surname's.
        return [patient.initial(c, pos, not has_names and len(letters) > 1 and n == len(letters) - 1, ctx)
                for n, (pos, c) in enumerate(letters)]
    context = "|".join(key_norm(w) for w in lasts) if has_names else "".join(fold(c) for _, c in letters)
    return [ctx.keyed.other_letter("initial", ctx.salt(f"{context}\x00{pos}\x00{fold(c)}"), fold(c))
            for pos, c in letters]
