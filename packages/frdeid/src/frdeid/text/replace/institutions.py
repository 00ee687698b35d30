"""Surrogate institutions: a hospital becomes a Belgian hospital from the lexicon (of the same kind
when the kind is written: "CHU ...", "Clinique ...", "UZ ..."); schools, employers, practices and
homes keep their kind ("Athénée royal de", "Garage", "Résidence", "... SRL") with a surrogate proper
name (a municipality for a municipality, else a surname)."""

from __future__ import annotations

import re

from ..document import fold
from .casing import apply_case, key_norm, letters
from .context import Context
from .keyed import NoSurrogateError
from .names import general_last
from .places import municipality
from .pools import has_particle, hospital_kind
from .vocab import CONNECTORS, HOSPITAL_KINDS, INSTITUTION_KINDS, INSTITUTION_QUALIFIERS, LEGAL_FORMS

_KIND_WORDS = INSTITUTION_KINDS | HOSPITAL_KINDS | INSTITUTION_QUALIFIERS
# Kinds (as `hospital_kind` gives them) whose lexicon hospitals may replace one another.
_HOSPITAL_PHRASES = (HOSPITAL_KINDS - {"centre", "grand"}) | {"centre hospitalier", "grand hopital"}
_LEADING = re.compile(r"((?:(?:de|du|des|la|le|les)\s+|[dl]['’]\s*|(?:Dr|Docteur|Pr|Professeur)\.?\s+)*)(.*)",
                      re.S)


def render_institution(surface: str, ctx: Context) -> str:
    """An INSTITUTION span."""
    parts = re.split(r"(\s+)", surface)
    words = parts[0::2]
    if len(words) > 1 and key_norm(words[-1]) in LEGAL_FORMS:
        body = "".join(parts[:-2])
        generic = _generic(parts[:-2], ctx)
        return (generic if generic is not None else _surname(body, ctx)) + parts[-2] + parts[-1]
    kind = hospital_kind(surface)
    if kind in _HOSPITAL_PHRASES and ctx.pools.hospitals_by_kind.get(kind):
        same_kind = ctx.pools.hospitals_by_kind[kind]
        try:
            return apply_case(surface, ctx.choose("hospital-kind", key_norm(surface), surface,
                                                  lambda n: same_kind[n % len(same_kind)]))
        except NoSurrogateError:
            pass
    generic = _generic(parts, ctx)
    return generic if generic is not None else _hospital(surface, ctx)


def _generic(parts: list[str], ctx: Context) -> str | None:
    """Kind words kept, the proper name after them replaced; None without both."""
    words = parts[0::2]
    lower_ok = not all(w.isupper() for w in words if letters(w))
    kept = 0
    while kept < len(words) and (key_norm(words[kept]) in _KIND_WORDS or (kept and lower_ok and words[kept].islower())):
        kept += 1
    while kept > 1 and _is_connector(words[kept - 1]):
        kept -= 1
    if kept == 0 or kept >= len(words) or key_norm(words[0]) not in INSTITUTION_KINDS | HOSPITAL_KINDS:
        return None
    prefix = "".join(parts[:2 * kept])
    return prefix + _proper_name("".join(parts[2 * kept:]), ctx)


def _is_connector(word: str) -> bool:
    folded = fold(word).replace("’", "'")
    return folded in CONNECTORS or (folded.endswith("'") and folded[:-1] in CONNECTORS)


def _hospital(surface: str, ctx: Context) -> str:
    pool = ctx.pools.hospitals
    if not pool:
        raise NoSurrogateError("empty pool")
    return apply_case(surface, ctx.choose("hospital", key_norm(surface), surface, lambda n: pool[n % len(pool)]))


def _surname(text: str, ctx: Context) -> str:
    return apply_case(text, general_last(text, has_particle(text), ctx))


def _proper_name(rest: str, ctx: Context) -> str:
    """The name after the kind: lower-case connectors and titles are kept ("de", "d'", "du Dr"); a
    municipality gets a municipality (as a LOCATION would), anything else a surname."""
    match = _LEADING.match(rest)
    connectors, core = match.group(1), match.group(2)
    if not letters(core):
        return _hospital(rest, ctx) if letters(rest) else rest
    if key_norm(core) in ctx.pools.municipality_keys:
        return _elide(connectors, municipality(core, ctx)[1])
    return _elide(connectors, _surname(core, ctx))


def _elide(connectors: str, name: str) -> str:
    """"de" + "Etalle" -> "d'Etalle", "d'" + "Namur" -> "de Namur"."""
    vowel = fold(name[:1]) in "aeiouyh"
    if vowel and connectors.endswith("de "):
        return connectors[:-3] + ("D'" if connectors[-3] == "D" else "d'") + name
    if not vowel and connectors[-2:] in ("d'", "d’", "D'", "D’"):
        return connectors[:-2] + ("De " if connectors[-2] == "D" else "de ") + name
    return connectors + name
