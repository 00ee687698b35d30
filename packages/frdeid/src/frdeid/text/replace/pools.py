"""The surrogate pools: names, municipalities and hospitals from `frdeid.text.lexicons`, indexed
once per replacer. A `Lexicons` value can be passed instead (tests, custom vocabularies)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from .casing import key_norm, natural
from .keyed import WeightedPool
from .vocab import PARTICLES


@dataclass(frozen=True)
class Lexicons:
    """Raw vocabularies: first names (name, sex M/F/U, weight), surnames (name, weight),
    municipalities (postcode, name) and hospital names."""

    first_names: Sequence[tuple[str, str, int]]
    surnames: Sequence[tuple[str, int]]
    municipalities: Sequence[tuple[str, str]]
    institutions: Sequence[str]


_POOLS: dict[int, tuple[Lexicons, Pools]] = {}


def pools_for(lexicons: Lexicons) -> Pools:
    """The pools of a lexicons value, built once per process and value."""
    cached = _POOLS.get(id(lexicons))
    if cached is None or cached[0] is not lexicons:
        cached = _POOLS[id(lexicons)] = (lexicons, Pools(lexicons))
    return cached[1]


@cache
def default_lexicons() -> Lexicons:
    """The packaged lexicons (`frdeid.text.lexicons`), loaded once per process."""
    from .. import lexicons

    return Lexicons(tuple(lexicons.first_names()), tuple(lexicons.surnames()),
                    tuple(lexicons.municipalities()), tuple(lexicons.institutions()))


def has_particle(name: str) -> bool:
    """Whether a surname starts with a particle ("Van Damme", "d'Hondt", "de la Rue")."""
    words = name.replace("’", "'").replace("'", "' ").split()
    return len(words) > 1 and key_norm(words[0]) in PARTICLES


def hospital_kind(name: str) -> str:
    """The kind a hospital name starts with: its first word ("chu", "clinique", "uz"), or its first
    two for generic first words ("centre hospitalier", "grand hopital")."""
    words = [key_norm(w) for w in name.split()]
    if words and words[0] in _GENERIC_FIRST and len(words) > 1:
        return f"{words[0]} {words[1]}"
    return words[0] if words else ""


_GENERIC_FIRST = frozenset({"centre", "grand", "institut"})


def _normalised(counts: dict[str, int]) -> dict[str, float]:
    total = sum(counts.values()) or 1
    return {k: v / total for k, v in counts.items()}


def _dominant(counts: dict[str, int]) -> str:
    """The sex a first name is given to at least twice as often as the other, else "U"."""
    ranked = sorted(counts.items(), key=lambda item: -item[1])
    if len(ranked) == 1 or ranked[0][1] > 2 * ranked[1][1]:
        return ranked[0][0]
    return "U"


def _latin(name: str) -> bool:
    """Latin letters only (the lexicons also hold names in other scripts)."""
    return not name or max(name) < "\u0250"


def _simple(name: str) -> bool:
    return name.isalpha() and _latin(name)


class Pools:
    """Lexicons indexed for surrogate choice."""

    def __init__(self, lexicons: Lexicons) -> None:
        sexes: dict[str, dict[str, int]] = {}
        by_sex: dict[str, tuple[list[str], list[int]]] = {"M": ([], []), "F": ([], []), "U": ([], [])}
        first_counts: dict[str, int] = {}
        for name, sex, weight in lexicons.first_names:
            sex = sex if sex in ("M", "F") else "U"
            weight = max(int(weight), 1)
            key = key_norm(name)
            first_counts[key] = first_counts.get(key, 0) + weight
            for part in name.split("-") if "-" in name else (name,):
                part_key = key_norm(part) if "-" in name else key
                counts = sexes.setdefault(part_key, {})
                counts[sex] = counts.get(sex, 0) + weight
            if _simple(name):
                for bucket in {sex, "U"}:
                    by_sex[bucket][0].append(name)
                    by_sex[bucket][1].append(weight)
        self.first_sex = {k: _dominant(v) for k, v in sexes.items()}
        self.first_by_sex = {sex: WeightedPool(*items, transform=natural) for sex, items in by_sex.items()}
        plain = [(n, w) for n, w in lexicons.surnames if _simple(n)]
        particle = [(n, w) for n, w in lexicons.surnames if (" " in n or "'" in n) and has_particle(n) and _latin(n)]
        self.surnames = WeightedPool([n for n, _ in plain], [w for _, w in plain], natural)
        self.particle_surnames = WeightedPool([n for n, _ in particle], [w for _, w in particle], natural) \
            if particle else self.surnames
        surname_counts: dict[str, int] = {}
        for name, weight in lexicons.surnames:
            key = key_norm(name)
            surname_counts[key] = surname_counts.get(key, 0) + max(int(weight), 1)
        self.surname_keys = frozenset(surname_counts)
        self._first_freq = _normalised(first_counts)
        self._surname_freq = _normalised(surname_counts)
        self.municipalities = [(code, natural(name)) for code, name in lexicons.municipalities if code and name]
        self.municipality_keys = frozenset(key_norm(name) for _, name in self.municipalities)
        self.hospitals = [name for name in lexicons.institutions if name and name.split()]
        self.hospitals_by_kind: dict[str, list[str]] = {}
        for name in self.hospitals:
            self.hospitals_by_kind.setdefault(hospital_kind(name), []).append(name)

    def is_first_name(self, word: str) -> bool:
        """Whether a word is known as a first name at least as often as a surname ("Michel" is,
        "Bernard" and "Vidal" are not): decided by the word alone, so it always gets one surrogate."""
        key = key_norm(word)
        return self._first_freq.get(key, 0.0) > 0 and self._first_freq[key] >= self._surname_freq.get(key, 0.0)

    def is_known_name(self, word: str) -> bool:
        """Whether a word is in either name lexicon."""
        key = key_norm(word)
        return key in self.first_sex or key in self.surname_keys

    def sex_of(self, first_name: str) -> str:
        """"M", "F" or "U" (unknown or both) for a first name, or for its first hyphenated part."""
        return self.first_sex.get(key_norm(first_name.split("-")[0]), "U")

    def first_names(self, sex: str) -> WeightedPool:
        """Single-word first names of that sex ("U": any)."""
        pool = self.first_by_sex.get(sex if sex in ("M", "F") else "U")
        return pool if pool else self.first_by_sex["U"]
