"""Name, place and institution lists shipped with frdeid (`frdeid/data/lexicons/`, see its SOURCES.md).

Two audiences:

* replacement draws surrogates from `first_names()`, `surnames()`, `municipalities()` and
  `institutions()` (exact signatures, cached, realistic values with weights);
* the name and place detectors look words up in the folded indexes (`first_name_index()`,
  `surname_index()`, `french_words()`, `place_index()`...), dicts and sets keyed by
  `frdeid.text.document.fold` of the written form.

Everything is read lazily, once per process.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

from .document import fold

_FOLDER = "data/lexicons"


def _lines(name: str) -> list[str]:
    """Non-empty, non-comment lines of a packaged lexicon file."""
    text = resources.files("frdeid").joinpath(f"{_FOLDER}/{name}").read_text(encoding="utf-8")
    return [line for line in text.splitlines() if line.strip() and not line.startswith("#")]


@cache
def first_names() -> list[tuple[str, str, int]]:
    """Given names as `(name, sex, weight)`: sex "M", "F" or "U" (used for both), weight a count
    (Statbel counts for Belgian lists, rank-derived pseudo-counts for the INSEE lists)."""
    out = []
    for line in _lines("first_names.tsv"):
        name, sex, weight, *_ = line.split("\t")
        out.append((name, sex, int(weight)))
    return out


@cache
def surnames() -> list[tuple[str, int]]:
    """Family names as `(name, weight)`."""
    out = []
    for line in _lines("surnames.tsv"):
        name, weight, *_ = line.split("\t")
        out.append((name, int(weight)))
    return out


@cache
def municipalities() -> list[tuple[str, str]]:
    """Belgian postal codes with their municipality, as `(postcode, French name)`; a municipality
    with several postal codes appears once per code."""
    out = []
    for line in _lines("be_postcodes.tsv"):
        postcode, name_fr, _name_nl = line.split("\t")
        out.append((postcode, name_fr))
    return out


@cache
def institutions() -> list[str]:
    """Belgian hospitals (usual full names)."""
    return [names.split("|")[0] for kind, names in _institution_rows() if kind == "H"]


# --- folded indexes for detectors -------------------------------------------------------------


@cache
def _institution_rows(name: str = "be_institutions.txt") -> list[tuple[str, str]]:
    rows = []
    for line in _lines(name):
        kind, names = line.split("\t")
        rows.append((kind, names))
    return rows


@cache
def institution_aliases() -> list[str]:
    """Every written form (full names and short forms) of the listed institutions: Belgian ones,
    and French hospitals often named in letters."""
    out: list[str] = []
    for _kind, names in (*_institution_rows(), *_institution_rows("fr_hospitals.txt")):
        out.extend(n.strip() for n in names.split("|") if n.strip())
    return out


@cache
def first_name_index() -> dict[str, int]:
    """Folded given name (and each part of a compound one) -> weight."""
    index: dict[str, int] = {}
    for name, _sex, weight in first_names():
        for key in {fold(name), *fold(name).split("-")}:
            if len(key) > 1:
                index[key] = max(index.get(key, 0), weight)
    return index


@cache
def surname_index() -> dict[str, int]:
    """Folded family name (whole, and its last word for particle names) -> weight."""
    index: dict[str, int] = {}
    for name, weight in surnames():
        key = fold(name)
        index[key] = max(index.get(key, 0), weight)
        last = key.replace("-", " ").split()[-1]
        if last != key and len(last) > 2:
            index[last] = max(index.get(last, 0), weight // 4)
    return index


@cache
def french_words() -> frozenset[str]:
    """Folded French lemmas (common nouns, adjectives, verbs, adverbs)."""
    return frozenset(_lines("french_words.txt"))


_VOCABULARY_ENDINGS = ("tion", "sion", "ment", "ique", "iques", "ose", "oses", "ite", "ites", "physe", "physes",
                       "algie", "ectomie", "tomie", "plastie", "these", "graphie", "scopie", "pathie", "isme",
                       "tions", "sions", "ments", "ismes")


def is_french_word(folded: str) -> bool:
    """Whether a folded word is common French vocabulary, plural and feminine forms included;
    long words with a typical noun or adjective ending ("-tion", "-ique", "-physe") count too."""
    words = french_words()
    if folded in words:
        return True
    if len(folded) >= 7 and folded.endswith(_VOCABULARY_ENDINGS):
        return True
    for suffix in ("s", "x", "e", "es"):
        if folded.endswith(suffix) and folded[: -len(suffix)] in words and len(folded) > len(suffix) + 2:
            return True
    for feminine, masculine in _FEMININE_ENDINGS:
        if folded.endswith(feminine) and folded[: -len(feminine)] + masculine in words:
            return True
    return False


# Feminine, plural and participle endings and the ending of the lemma they come from: bonne -> bon,
# réalisé -> réaliser, guérie -> guérir.
_FEMININE_ENDINGS = (
    ("e", "er"), ("ee", "er"), ("es", "er"), ("ees", "er"), ("ie", "ir"), ("ies", "ir"), ("i", "ir"), ("is", "ir"),
    ("nne", "n"), ("nnes", "n"), ("lle", "l"), ("lles", "l"), ("tte", "t"), ("ttes", "t"), ("sse", "s"),
    ("ve", "f"), ("ves", "f"), ("euse", "eux"), ("euses", "eux"), ("ere", "er"), ("eres", "er"),
    ("ienne", "ien"), ("elle", "eau"), ("elles", "eau"),
)


@cache
def be_localities() -> list[str]:
    """Belgian municipalities and localities (French, Dutch and German names)."""
    return _lines("be_localities.txt")


@cache
def fr_cities() -> list[str]:
    """French cities (prefectures and large communes)."""
    return _lines("fr_cities.txt")


@cache
def place_index() -> dict[str, str]:
    """Folded place name -> its usual written form, Belgian and French places together."""
    index: dict[str, str] = {}
    for name in (*be_localities(), *fr_cities()):
        index.setdefault(fold(name), name)
    for _postcode, name in municipalities():
        index.setdefault(fold(name), name)
    return index
