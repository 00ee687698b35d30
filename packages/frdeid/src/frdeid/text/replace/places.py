"""Surrogate addresses and places: a street part gets a surrogate street and number (and box), a
postal part a real Belgian municipality with its postcode (French 5-digit codes: a French-looking
code and city), a city alone a municipality. Separators, commas and prefixes ("B-") are kept."""

from __future__ import annotations

import re

from ..document import fold
from .casing import apply_case, is_upper, key_norm, letters
from .context import Context
from .keyed import NoSurrogateError
from .vocab import (
    BOX_MARKERS,
    DUTCH_STEMS,
    DUTCH_SUFFIXES,
    FRENCH_CITIES,
    FRENCH_STREET_TYPES,
    HOUSE_SUFFIXES,
    STREET_NAMES,
    STREET_TYPES,
)

_POSTAL = re.compile(r"(?P<prefix>(?:[A-Za-z]{1,2}\s?-\s?|[A-Za-z]{1,2}\s)?)(?P<code>\d{4,5})(?![\d])"
                     r"(?P<sep>[\s,\-–]*)(?P<city>(?:[^\W\d_].*)?)", re.S)
_TOKEN = re.compile(r"\d+|[^\W\d_]+\.?|\s+|.", re.S)


def render_location(surface: str, ctx: Context) -> str:
    """A LOCATION span: postal part, street part or city alone (surrounding blanks kept)."""
    core = surface.strip()
    lead = surface[:len(surface) - len(surface.lstrip())]
    trail = surface[len(lead) + len(core):]
    postal = _POSTAL.fullmatch(core)
    if postal is not None:
        out = _render_postal(postal, ctx)
    elif key_norm(core) not in ctx.pools.municipality_keys and _is_street(core):
        out = _render_street(core, ctx)
    else:
        out = municipality(core, ctx)[1]
    return lead + out + trail


def _is_street(surface: str) -> bool:
    words = [fold(w).rstrip(".") for w in re.findall(r"[^\W\d_]+\.?", surface)]
    return (any(c.isdigit() for c in surface) or (bool(words) and words[0] in STREET_TYPES)
            or any(_dutch_suffix(w) for w in words))


def _dutch_suffix(word: str) -> str:
    folded = fold(word)
    return next((s for s in DUTCH_SUFFIXES if folded.endswith(s) and len(folded) > len(s)), "")


def municipality(city: str, ctx: Context, avoid_code: str = "") -> tuple[str, str]:
    """(postcode, name) of a Belgian municipality for a written city, keyed by the folded city name;
    the name is written in the case of `city`."""
    pool = _municipalities(ctx)
    code, name = ctx.choose_item("municipality", key_norm(city), city, lambda n: pool[n % len(pool)],
                                 lambda item: item[1], lambda item: item[0] != avoid_code)
    return code, apply_case(city, name)


def _municipalities(ctx: Context) -> list[tuple[str, str]]:
    if not ctx.pools.municipalities:
        raise NoSurrogateError("empty pool")
    return ctx.pools.municipalities


def _render_postal(match: re.Match, ctx: Context) -> str:
    code, city, sep = match["code"], match["city"], match["sep"]
    if len(code) == 5:
        value = key_norm(city) if letters(city) else code
        dept, name = ctx.choose_item("french-city", value, city or code,
                                     lambda n: FRENCH_CITIES[n % len(FRENCH_CITIES)], lambda item: item[1])
        new_code = ctx.choose("french-postcode", value, code, lambda n: f"{dept}{(n % 99 + 1) * 10:03d}")
        new_city = apply_case(city, name) if city else ""
        return f"{match['prefix']}{new_code}{sep}{new_city}"
    if letters(city):
        new_code, new_city = municipality(city, ctx, avoid_code=code)
    else:
        pool = _municipalities(ctx)
        new_code, _ = ctx.choose_item("postcode", code, code, lambda n: pool[n % len(pool)], lambda item: item[0])
        new_city = ""
    return f"{match['prefix']}{new_code}{sep}{new_city}"


def _render_street(surface: str, ctx: Context) -> str:
    tokens = _TOKEN.findall(surface)
    kinds = _classify(tokens)
    out: list[str] = []
    region: list[str] = []
    name_key = ""
    numbers = 0

    def flush() -> None:
        nonlocal name_key
        if region:
            text = "".join(region)
            stripped = re.sub(r"[^\w.]+$", "", text)
            name_key = name_key or street_key(stripped)
            out.append(street_name(stripped, ctx) + text[len(stripped):])
            region.clear()

    for token, kind in zip(tokens, kinds, strict=True):
        if kind == "name" or (kind == "sep" and region):
            region.append(token)
            continue
        flush()
        if kind == "number":
            numbers += 1
            out.append(_number(token, f"{name_key}|{token}|{numbers}", ctx))
        elif kind == "suffix":
            letter = "abcd"[ctx.keyed.index("house-suffix", ctx.salt(name_key), 4)]
            out.append(_case_like(token, letter if letter != fold(token) else "e"))
        else:
            out.append(token)
    flush()
    return "".join(out)


def _classify(tokens: list[str]) -> list[str]:
    """"number", "suffix" (the "a" of "12a"), "box" (a box marker before a number), "name" or "sep"."""
    kinds = []
    for k, token in enumerate(tokens):
        if token.isdigit():
            kinds.append("number")
        elif token[:1].isalpha():
            after = next((t for t in tokens[k + 1:] if not t.isspace()), "")
            before = next((t for t in reversed(tokens[:k]) if not t.isspace()), "")
            if k and tokens[k - 1].isdigit() and fold(token) in HOUSE_SUFFIXES:
                kinds.append("sep")
            elif fold(token).rstrip(".") in BOX_MARKERS and after.isdigit() and "number" in kinds:
                kinds.append("box")
            elif len(token) == 1 and before.isdigit() and not after[:1].isalpha():
                kinds.append("suffix")
            else:
                kinds.append("name")
        else:
            kinds.append("sep")
    return kinds


def _case_like(template: str, letter: str) -> str:
    return letter.upper() if template.isupper() else letter


def _number(digits: str, value: str, ctx: Context) -> str:
    """A house or box number of the same length (leading zeros kept as a shape)."""
    size = len(digits)
    if digits.startswith("0") or size > 3:
        make = lambda n: str(n % 10 ** size).zfill(size)  # noqa: E731
    else:
        low, high = (1, 9) if size == 1 else (10, 99) if size == 2 else (100, 299)
        make = lambda n: str(low + n % (high - low + 1))  # noqa: E731
    return ctx.choose("house-number", value, digits, make)


def street_key(region: str) -> str:
    """The folded name of a street without its type, so "R. des Prés" and "Rue des Prés" agree."""
    words = region.split()
    if len(words) > 1 and fold(words[0]).rstrip(".") in STREET_TYPES:
        return key_norm(" ".join(words[1:]))
    return key_norm(region)


def street_name(region: str, ctx: Context) -> str:
    """A surrogate for the name part of a street: the street type is kept ("Rue", "Av.", "R."), a
    Dutch street keeps its suffix ("-straat"), anything else becomes a whole French street name."""
    words = region.split()
    head = fold(words[0]).rstrip(".")
    if head in STREET_TYPES and len(words) > 1:
        rest = region[len(words[0]):]
        core = rest.lstrip()
        name = _french_name(core, ctx)
        return region[:len(region) - len(core)] + (name.upper() if is_upper(core) else name)
    suffix = _dutch_suffix(words[-1])
    if suffix:
        stem_original = region[:len(region) - len(suffix)]
        stem = ctx.choose("street-stem", key_norm(stem_original), stem_original, _pick(DUTCH_STEMS))
        out = stem + region[len(region) - len(suffix):]
        return out.upper() if is_upper(region) else out
    full = ctx.choose("street", key_norm(region), region,
                      lambda n: f"{FRENCH_STREET_TYPES[n % len(FRENCH_STREET_TYPES)]} "
                                f"{_street_complement(n // len(FRENCH_STREET_TYPES), ctx)}")
    return apply_case(region, full)


def _french_name(core: str, ctx: Context) -> str:
    return ctx.choose("street-name", key_norm(core), core, lambda n: _street_complement(n, ctx))


def _street_complement(number: int, ctx: Context) -> str:
    """A common street name, or "de <municipality>"."""
    pool = ctx.pools.municipalities
    index = number % (len(STREET_NAMES) + len(pool))
    if index < len(STREET_NAMES):
        return STREET_NAMES[index]
    name = pool[index - len(STREET_NAMES)][1]
    return f"d'{name}" if fold(name[:1]) in "aeiouy" else f"de {name}"


def _pick(items: tuple[str, ...]):
    return lambda n: items[n % len(items)]
