"""French dates as written in clinical text: parse a date surface, shift it, re-render it in its form.

A date surface ("12/03/2021", "lundi 1er mars 2021", "12 févr. 2021", "mars 2020", "2019",
"20210312", "dix-sept octobre deux mille dix-huit"...) is read by one grammar (`FORMS`, regexes built
from the vocabulary below; the `dates` detector adds context around them) into a `ParsedDate`: the year,
month and day it names and the *form* it is written in, a sequence of literal text and fields with
their style. `shift_date_text` moves the date by whole days and writes the new date in exactly that
form: same separators, zero padding, two- or four-digit year, month word variant and case, "1er",
the weekday recomputed. Partial dates stay partial: a month and year shifts as the 15th of that
month, a year alone as the 1st of July, a day and month as a day of a leap year.

Fail closed: anything that cannot be read as a real date gives None, and the caller then writes a
placeholder instead of a wrong surrogate.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache

import regex

from .document import fold

# ----------------------------------------------------------------------------------------------
# Vocabulary. Display forms keep accents; matching is done on the folded (lower-case, accent-free)
# text, whose offsets are those of the original.

MONTH_VARIANTS: dict[str, tuple[str, ...]] = {
    "fr": ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
           "novembre", "décembre"),
    "fr_abbr": ("janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.",
                "déc."),
    "fr_short": ("jan", "fév", "mar", "avr", "mai", "jun", "jul", "aoû", "sep", "oct", "nov", "déc"),
    "en": ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
           "november", "december"),
    "en_short": ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"),
    "nl": ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober",
           "november", "december"),
    "roman": ("i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix", "x", "xi", "xii"),
}
# Variants tried in this order when reading a month word (the first that knows the word wins).
_VARIANT_ORDER = ("fr", "fr_abbr", "fr_short", "en", "en_short", "nl")
WEEKDAYS: tuple[str, ...] = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")

NUMBER_WORDS: dict[str, int] = {
    "zero": 0, "un": 1, "une": 1, "premier": 1, "deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "six": 6,
    "sept": 7, "huit": 8, "neuf": 9, "dix": 10, "onze": 11, "douze": 12, "treize": 13, "quatorze": 14,
    "quinze": 15, "seize": 16, "vingt": 20, "trente": 30, "quarante": 40, "cinquante": 50, "soixante": 60,
    "septante": 70, "huitante": 80, "octante": 80, "nonante": 90, "cent": 100, "mille": 1000,
}
_UNITS = ("", "un", "deux", "trois", "quatre", "cinq", "six", "sept", "huit", "neuf", "dix", "onze", "douze",
          "treize", "quatorze", "quinze", "seize")
_TENS = {20: "vingt", 30: "trente", 40: "quarante", 50: "cinquante", 60: "soixante"}

# Two-digit years up to this value are 20xx, above it 19xx.
TWO_DIGIT_YEAR_PIVOT = 40
MIN_YEAR, MAX_YEAR = 1900, 2100


def _alternation(words: list[str]) -> str:
    """A regex alternation of literal words, longest first."""
    return "|".join(regex.escape(w) for w in sorted(set(words), key=len, reverse=True))


def _month_words(variants: tuple[str, ...]) -> list[str]:
    return [fold(w).rstrip(".") for v in variants for w in MONTH_VARIANTS[v]]


# ----------------------------------------------------------------------------------------------
# Grammar pieces (regex source on folded text). Fields are named groups: weekday, day, month, year.

DAY_NUM = r"(?:0?[1-9]|[12]\d|3[01])"
DAY_1ER = r"(?:1\s?er|1\s?°)"
MONTH_NUM = r"(?:0?[1-9]|1[0-2])"
MONTH_NUM2 = r"(?:0[1-9]|1[0-2])"
YEAR4 = r"(?:19|20)\d\d"
YEAR2 = r"\d\d"
# A two-digit year after a month word is not followed by a clock time or a unit ("12 mars 20 mg").
YEAR2_NAMED = (r"\d\d(?!\d|\s?(?:h\b|h\d|:\d|[.,]\d|%|°)"
               r"|\s*(?:mg|ml|g|kg|mm|cm|ui|ans?|mois|jours?|fois|x|patients?|cas|minutes?|min)\b)")
_DAYWORD = (r"(?:premier|une?|deux|trois|quatre|cinq|six|sept|huit|neuf|dix|onze|douze|treize|quatorze"
            r"|quinze|seize|vingt|trente)s?s?")
_NUMWORD = (r"(?:premier|zero|une?|deux|trois|quatre|cinq|six|sept|huit|neuf|dix|onze|douze|treize|quatorze"
            r"|quinze|seize|vingt|trente|quarante|cinquante|soixante|septante|huitante|octante|nonante|cent"
            r"|mille)s?s?")
NUMWORDS = rf"\m{_NUMWORD}(?:(?:[\s-]+et)?[\s-]+{_NUMWORD})*\M"
DAY_WORDS = rf"\m{_DAYWORD}(?:(?:[\s-]+et)?[\s-]+{_DAYWORD}){{0,2}}\M"
YEAR_WORDS = rf"\m(?:(?:deux|un)[\s-]+)?milles?(?:(?:[\s-]+et)?[\s-]+{_NUMWORD}){{0,6}}(?: \d\b)?\M"
WEEKDAY = rf"(?:{_alternation(WEEKDAYS)})"
# Month words: every variant in full dates; French ones in partial dates; full names alone.
MONTH_ANY = rf"(?:{_alternation(_month_words(_VARIANT_ORDER))})"
MONTH_FR = rf"(?:{_alternation(_month_words(('fr', 'fr_abbr', 'fr_short')))})"
MONTH_FULL = rf"(?:{_alternation(_month_words(('fr',)))})"
MONTH_ROMAN = rf"(?:{_alternation(list(MONTH_VARIANTS['roman']))})"
_FULL_NAMES = _alternation(_month_words(("fr", "en", "nl")) + ["mai", "juin", "mars"])
# "févr. 2021" keeps its dot; "mars." and "le 5 nov." end a sentence
_ABBR_DOT = rf"(?:(?<!{_FULL_NAMES})\.(?=,?\s?\d|\Z))?"
SEP = r"\s?[/.\-|]\s?"
WD = rf"(?:(?P<weekday>{WEEKDAY}),?\s+)?"  # an optional weekday before the day

# Each form: a regex on folded text with named fields; the detector adds context around them.
FORMS: dict[str, str] = {
    # 12/03/2021, 12-03-21, 3.4.24, 10 / 03 | 2020
    "dmy": (rf"{WD}(?P<day>{DAY_NUM})\s?(?P<s1>[/.\-|])\s?(?P<month>{MONTH_NUM})\s?(?:(?P=s1)|\|)\s?"
            rf"(?P<year>{YEAR4}|{YEAR2})"),
    # 20 12 2003
    "dmy_space": rf"{WD}(?P<day>{DAY_NUM})\s(?P<month>{MONTH_NUM2})\s(?P<year>{YEAR4})",
    # 2021-03-12, 2021/12/10
    "ymd": rf"(?P<year>{YEAR4})(?P<sep>[/.\-])(?P<month>{MONTH_NUM2})(?P=sep)(?P<day>{DAY_NUM})",
    # 20210312 (DICOM) and 23022018
    "ymd_compact": rf"(?P<year>{YEAR4})(?P<month>{MONTH_NUM2})(?P<day>0[1-9]|[12]\d|3[01])",
    "dmy_compact": rf"(?P<day>0[1-9]|[12]\d|3[01])(?P<month>{MONTH_NUM2})(?P<year>{YEAR4})",
    "dmy_compact6": rf"(?P<day>0[1-9]|[12]\d|3[01])(?P<month>{MONTH_NUM2})(?P<year>{YEAR2})",
    # 2 9 0 2 1 9 9 5, 1 2 . 0 6 . 1 9 8 1, 05 1 2 2 0 2 4
    "dmy_spaced": r"(?P<day>\d\s\d|\d\d)(?:\s[./-])?\s(?P<month>\d\s\d)(?:\s[./-])?\s(?P<year>\d\s\d\s\d\s\d)",
    # 0 1 1 5 2 0 2 1 (month first, only read when the day-first reading is impossible)
    "mdy_spaced": r"(?P<month>\d\s\d|\d\d)\s(?P<day>\d\s\d)\s(?P<year>\d\s\d\s\d\s\d)",
    # 03/2020
    "my": rf"(?P<month>{MONTH_NUM}){SEP}(?P<year>{YEAR4})",
    "my_space": rf"(?P<month>{MONTH_NUM2})\s(?P<year>{YEAR4})",
    # 12/03
    "dm": rf"{WD}(?P<day>{DAY_NUM}){SEP}(?P<month>{MONTH_NUM})",
    # lundi 1er mars 2021, 12 févr. 2021, 21 novembre, 2012, 28 mars 19, 01sep2018
    "named": (rf"{WD}(?P<day>{DAY_1ER}|{DAY_NUM}),?\s*"
              rf"(?P<month>{MONTH_ANY}{_ABBR_DOT}),?\s*(?P<year>{YEAR4}|{YEAR_WORDS}|{YEAR2_NAMED})"),
    # jeudi dix-sept octobre deux mille dix-huit, vingt mars 20
    "named_words": (rf"{WD}(?P<day>{DAY_WORDS})\s+"
                    rf"(?P<month>{MONTH_FULL}),?\s*(?P<year>{YEAR4}|{YEAR_WORDS}|{YEAR2_NAMED})"),
    # 12 mars, 1er fév., lundi 12 mars, 28nov
    "named_dm": (rf"{WD}(?P<day>{DAY_1ER}|{DAY_NUM}),?\s*"
                 rf"(?P<month>{MONTH_FR}{_ABBR_DOT})"),
    "named_dm_glued": rf"(?P<day>{DAY_NUM})(?P<month>{MONTH_ANY})",
    "named_dm_words": rf"{WD}(?P<day>{DAY_WORDS})\s+(?P<month>{MONTH_FULL})",
    # Sept 01,2026
    "named_mdy": rf"(?P<month>{MONTH_ANY}{_ABBR_DOT})\s*(?P<day>{DAY_NUM}),\s?(?P<year>{YEAR4})",
    # mars 2020, fév 2007, dec1993, décembre 93, février mille neuf cent quatre-vingt
    "named_my": rf"(?P<month>{MONTH_FR}{_ABBR_DOT}),?\s*(?P<year>{YEAR4}|{YEAR_WORDS})",
    "named_my2": rf"(?P<month>{MONTH_FULL})\s(?P<year>{YEAR2_NAMED})",
    # 2013 janvier
    "named_ym": rf"(?P<year>{YEAR4})\s(?P<month>{MONTH_FULL})",
    # vingt-six 02 2012
    "words_dmy": rf"(?P<day>{DAY_WORDS})\s(?P<month>{MONTH_NUM2})\s(?P<year>{YEAR4})",
    # 18X2027, 18.X.2027
    "roman": rf"(?P<day>{DAY_NUM})(?P<sep>[./-]?)(?P<month>{MONTH_ROMAN})(?P=sep)(?P<year>{YEAR4})",
    # mars (alone), 2019, deux mille dix-sept
    "month": rf"(?P<month>{MONTH_FULL})",
    "year": rf"(?P<year>{YEAR4})",
    "year_words": rf"(?P<year>{YEAR_WORDS})",
}

FORM_RES: dict[str, regex.Pattern] = {name: regex.compile(p) for name, p in FORMS.items()}


# ----------------------------------------------------------------------------------------------
# The parsed date and its form.

@dataclass(frozen=True)
class Piece:
    """One piece of a written date: literal text (`field` "") or a field with the style it is written in.

    Styles: day "d", "dd", "ord" (1er when 1), "words"; month "m", "mm", "name"; year "yyyy", "yy",
    "words"; weekday "name". `spaced` digits are written one by one with a space between them;
    `text` is the original text, kept for literals, case and the month word variant."""

    field: str
    style: str
    text: str
    spaced: bool = False


@dataclass(frozen=True)
class ParsedDate:
    """A date as written: the parts it names (None where absent) and the form to write it back."""

    year: int | None
    month: int | None
    day: int | None
    pieces: tuple[Piece, ...]

    @property
    def is_full(self) -> bool:
        """Whether day, month and year are all written."""
        return None not in (self.year, self.month, self.day)

    def anchor(self) -> date:
        """The calendar day used to shift it: the day itself, else mid-month (15th), else 1 July,
        else (day and month only) that day in a leap year."""
        return date(self.year or 2000, self.month or 7, self.day or (15 if self.month else 1))


def parse_date_text(surface: str) -> ParsedDate | None:
    """The date written in `surface` (the whole string, outer spaces ignored), or None.

    Every form the `dates` detector finds is read: numeric with / . - | and two- or four-digit
    years, ISO, DICOM, month words in French (full, abbreviated), English and Dutch, roman month
    numerals, weekdays, "1er", French number words, partial dates. Impossible dates (31/02/2021)
    give None."""
    stripped = surface.strip()
    if not stripped:
        return None
    folded = fold(stripped)
    for form in FORM_RES.values():
        match = form.fullmatch(folded)
        parsed = None if match is None else parse_match(stripped, match)
        if parsed is not None:
            return parsed
    return None


def parse_match(text: str, match: regex.Match) -> ParsedDate | None:
    """The date of a grammar match (on the folded `text`, whose offsets are those of `text`), or None."""
    return _build(*_surface_fields(text, match))


def shift_date_text(surface: str, offset_days: int) -> str | None:
    """`surface` moved by `offset_days` days and written in the same form, or None if it is not a date.

    A month and year shifts as the 15th of the month, a year alone as 1 July; the result keeps only
    the parts the original had, and at least one of them always changes (a shift too small to move
    a partial date moves it by one month or year). A weekday is recomputed."""
    parsed = parse_date_text(surface)
    if parsed is None:
        return None
    try:
        new = _changed(parsed, parsed.anchor() + timedelta(days=offset_days), offset_days)
    except (OverflowError, ValueError):
        return None
    if not MIN_YEAR <= new.year < MAX_YEAR and parsed.year is not None:
        return None
    lead = surface[:len(surface) - len(surface.lstrip())]
    trail = surface[len(surface.rstrip()):]
    return lead + render(parsed, new) + trail


def _changed(parsed: ParsedDate, new: date, offset_days: int) -> date:
    """`new`, moved on by one unit of the smallest written part while every written part still equals
    the original: a small shift of `mars 2020` or `2019` must not leave the date as written."""
    step = 1 if offset_days >= 0 else -1

    def unchanged(candidate: date) -> bool:
        return all(value is None or value == getattr(candidate, name)
                   for name, value in (("year", parsed.year), ("month", parsed.month), ("day", parsed.day)))

    while offset_days and unchanged(new):
        if parsed.day is not None:
            new += timedelta(days=step)
        elif parsed.month is not None:
            month = new.month + step
            new = date(new.year + (month - 1) // 12, (month - 1) % 12 + 1, 15)
        else:
            new = date(new.year + step, 7, 1)
    return new


def date_of(parsed: ParsedDate) -> date | None:
    """The calendar date of a full parsed date, else None."""
    return date(parsed.year, parsed.month, parsed.day) if parsed.is_full else None  # type: ignore[arg-type]


# ----------------------------------------------------------------------------------------------
# Reading.

def _build(surface: str, fields: dict[str, tuple[int, int]]) -> ParsedDate | None:
    """The parsed date of a matched surface from its field spans, if it is a real date."""
    read = _read(surface, fields)
    if read is None:
        return None
    (year, month, day), pieces = read
    if not _is_real(year, month, day):
        return None
    return ParsedDate(year, month, day, pieces)


def _read(surface: str, fields: dict[str, tuple[int, int]]
          ) -> tuple[tuple[int | None, int | None, int | None], tuple[Piece, ...]] | None:
    """Values (year, month, day) and pieces from the field spans of a matched surface."""
    values: dict[str, int | None] = {"year": None, "month": None, "day": None}
    pieces: list[Piece] = []
    cursor = 0
    numeric = {k: surface[a:b] for k, (a, b) in fields.items() if k in ("day", "month")}
    for name, (start, end) in sorted(fields.items(), key=lambda kv: kv[1][0]):
        if start > cursor:
            pieces.append(Piece("", "", surface[cursor:start]))
        piece, value = _read_field(name, surface[start:end], numeric)
        if piece is None:
            return None
        pieces.append(piece)
        if name != "weekday":
            values[name] = value
        cursor = end
    if cursor < len(surface):
        pieces.append(Piece("", "", surface[cursor:]))
    return (values["year"], values["month"], values["day"]), tuple(pieces)


def plausible_match(text: str, match: regex.Match) -> bool:
    """Whether a grammar match names a plausible date: day 1-31, month 1-12, year 1900-2099, at least
    one part (a slightly impossible date such as 30/02 is still a date to hide)."""
    read = _read(*_surface_fields(text, match))
    if read is None:
        return False
    year, month, day = read[0]
    return ((year is None or MIN_YEAR <= year < MAX_YEAR) and (month is None or 1 <= month <= 12)
            and (day is None or 1 <= day <= 31) and (year, month, day) != (None, None, None))


def _surface_fields(text: str, match: regex.Match) -> tuple[str, dict[str, tuple[int, int]]]:
    lo, hi = match.span()
    fields = {}
    for name in ("weekday", "day", "month", "year"):
        if name in match.re.groupindex and match.start(name) >= 0:
            fields[name] = (match.start(name) - lo, match.end(name) - lo)
    return text[lo:hi], fields


def _is_real(year: int | None, month: int | None, day: int | None) -> bool:
    """Whether the parts can belong to one calendar day (a missing year allows 29 February)."""
    if month is None:
        return day is None and year is not None and MIN_YEAR <= year < MAX_YEAR
    if year is not None and not MIN_YEAR <= year < MAX_YEAR:
        return False
    if day is None:
        return True
    try:
        date(year if year is not None else 2000, month, day)
    except ValueError:
        return False
    return True


def _read_field(name: str, token: str, numeric: dict[str, str]) -> tuple[Piece | None, int | None]:
    """The piece and value of one field token."""
    if name == "weekday":
        return Piece("weekday", "name", token), None
    if name == "day":
        return _read_day(token, numeric.get("month", ""))
    if name == "month":
        return _read_month(token, numeric.get("day", ""))
    return _read_year(token)


def _digits(token: str) -> tuple[str, bool]:
    """The digits of a possibly spaced numeric token and whether it was spaced."""
    compact = "".join(token.split())
    return compact, compact != token


def _pad_style(token: str, other: str, default_padded: bool) -> str:
    """"dd"/"mm" when two digits are written with a leading zero (or the other field shows zero padding),
    else the unpadded style."""
    other_digits = "".join(other.split())
    if len(token) == 1:
        return "1"
    if token.startswith("0"):
        return "2"
    if other_digits.isdigit():
        return "2" if len(other_digits) == 2 and other_digits.startswith("0") or (
            len(other_digits) == 2 and default_padded) else "1"
    return "2" if default_padded else "1"


def _read_day(token: str, month_token: str) -> tuple[Piece | None, int | None]:
    folded = fold(token)
    compact, spaced = _digits(folded)
    if compact.isdigit():
        month_word = fold(month_token).strip()
        digit_month = "".join(month_word.split()).isdigit()
        numeric_month = digit_month or month_word in MONTH_VARIANTS["roman"]
        width = _pad_style(compact, month_token, default_padded=digit_month)
        style = ("dd" if width == "2" else "d") if numeric_month or compact.startswith("0") else "ord"
        return Piece("day", style, token, spaced), int(compact)
    if regex.fullmatch(DAY_1ER, folded):
        return Piece("day", "ord", token), 1
    value = words_to_int(folded)
    if value is None or not 1 <= value <= 31:
        return None, None
    return Piece("day", "words", token), value


def _read_month(token: str, day_token: str) -> tuple[Piece | None, int | None]:
    folded = fold(token)
    compact, spaced = _digits(folded)
    if compact.isdigit():
        width = _pad_style(compact, day_token, default_padded=True)
        return Piece("month", "mm" if width == "2" else "m", token, spaced), int(compact)
    variant, month = _month_variant(folded.rstrip("."))
    if month is None:
        return None, None
    return Piece("month", "name", token), month


def _month_variant(word: str) -> tuple[str, int | None]:
    """The variant and number (1-12) of a folded month word without its dot."""
    for variant in (*_VARIANT_ORDER, "roman"):
        names = [fold(w).rstrip(".") for w in MONTH_VARIANTS[variant]]
        if word in names:
            return variant, names.index(word) + 1
    return "", None


def _read_year(token: str) -> tuple[Piece | None, int | None]:
    folded = fold(token)
    compact, spaced = _digits(folded)
    if compact.isdigit():
        if len(compact) == 4:
            return Piece("year", "yyyy", token, spaced), int(compact)
        if len(compact) == 2:
            yy = int(compact)
            return Piece("year", "yy", token, spaced), (2000 + yy if yy <= TWO_DIGIT_YEAR_PIVOT else 1900 + yy)
        return None, None
    value = words_to_int(folded)
    if value is None:
        return None, None
    return Piece("year", "words", token), value


def words_to_int(text: str) -> int | None:
    """The value of French number words ("dix-sept", "mille neuf cent soixante dix huit", "quatre-vingt 2",
    Belgian "septante", common misspellings such as "vingts troiss"), or None."""
    total, current = 0, 0
    tokens = [t for t in regex.split(r"[\s-]+", fold(text).strip()) if t and t != "et"]
    if not tokens:
        return None
    for token in tokens:
        value = _word_value(token)
        if value is None:
            return None
        if value == 100:
            current = (current or 1) * 100
        elif value == 1000:
            total += (current or 1) * 1000
            current = 0
        elif value == 20 and current % 100 == 4:
            current += 76  # quatre-vingt
        else:
            current += value
    return total + current


def _word_value(token: str) -> int | None:
    if token.isdigit():
        return int(token)
    while token:
        if token in NUMBER_WORDS:
            return NUMBER_WORDS[token]
        if not token.endswith("s"):
            return None
        token = token[:-1]
    return None


# ----------------------------------------------------------------------------------------------
# Writing.

def render(parsed: ParsedDate, new: date) -> str:
    """`new` written in the form of `parsed` (only the parts `parsed` has)."""
    out = []
    words = "".join(p.text for p in parsed.pieces if p.field in ("month", "weekday") and p.style == "name")
    for piece in parsed.pieces:
        if not piece.field:
            out.append(piece.text)
        elif piece.field == "weekday":
            out.append(_with_case(WEEKDAYS[new.weekday()], piece.text))
        elif piece.field == "day":
            out.append(_render_day(piece, new.day, words))
        elif piece.field == "month":
            out.append(_render_month(piece, new.month))
        else:
            out.append(_render_year(piece, new.year))
    return "".join(out)


def _spaced(digits: str, spaced: bool) -> str:
    return " ".join(digits) if spaced else digits


def _render_day(piece: Piece, day: int, words: str = "") -> str:
    """The day in its style; "1er" takes the case of the date's words ("1ER MARS")."""
    if piece.style == "dd":
        return _spaced(f"{day:02d}", piece.spaced)
    if piece.style == "d":
        return _spaced(str(day), piece.spaced)
    if piece.style == "ord":
        if day != 1:
            return str(day)
        model = piece.text if any(c.isalpha() for c in piece.text) else words
        return "1ER" if model and all(c.isupper() for c in model if c.isalpha()) else "1er"
    return _with_case(int_to_words(day, "-" in piece.text), piece.text)


def _render_month(piece: Piece, month: int) -> str:
    if piece.style == "mm":
        return _spaced(f"{month:02d}", piece.spaced)
    if piece.style == "m":
        return _spaced(str(month), piece.spaced)
    word = piece.text.rstrip(".")
    variant, original = _month_variant(fold(word))
    name = MONTH_VARIANTS[variant][month - 1]
    full = MONTH_VARIANTS["fr" if variant.startswith("fr") else variant][month - 1]
    if variant == "fr_abbr" and not piece.text.endswith("."):
        name = name.rstrip(".")
    elif piece.text.endswith(".") and not name.endswith(".") and name != full:
        name += "."
    written = MONTH_VARIANTS[variant][(original or 1) - 1].rstrip(".")
    if fold(written) != written and fold(word) == word.lower():
        name = fold(name)  # the original month word was written without its accents
    return _with_case(name, word)


def _render_year(piece: Piece, year: int) -> str:
    if piece.style == "yyyy":
        return _spaced(f"{year:04d}", piece.spaced)
    if piece.style == "yy":
        return _spaced(f"{year % 100:02d}", piece.spaced)
    return _with_case(int_to_words(year, "-" in piece.text), piece.text)


def _with_case(word: str, model: str) -> str:
    """`word` in the case of `model`: UPPER, Title or lower."""
    letters = [c for c in model if c.isalpha()]
    if not letters:
        return word
    if all(c.isupper() for c in letters):
        return word.upper()
    if letters[0].isupper():
        return word[:1].upper() + word[1:]
    return word


@cache
def int_to_words(n: int, hyphens: bool = True) -> str:
    """French words for 0 <= n < 1,000,000 ("dix-sept", "quatre-vingts", "deux mille vingt et un");
    with `hyphens` False, spaces replace the hyphens."""
    words = _int_to_words(n)
    return words if hyphens else words.replace("-", " ")


def _int_to_words(n: int) -> str:
    if n < 17:
        return _UNITS[n] if n else "zéro"
    if n < 100:
        return _tens_to_words(n)
    if n < 1000:
        hundreds, rest = divmod(n, 100)
        head = "cent" if hundreds == 1 else f"{_UNITS[hundreds]} cent" + ("s" if rest == 0 else "")
        return head if rest == 0 else f"{head} {_int_to_words(rest)}"
    thousands, rest = divmod(n, 1000)
    head = "mille" if thousands == 1 else f"{_int_to_words(thousands)} mille"
    return head if rest == 0 else f"{head} {_int_to_words(rest)}"


def _tens_to_words(n: int) -> str:
    if n < 17:
        return _UNITS[n]
    if n < 20:
        return f"dix-{_UNITS[n - 10]}"
    if n < 70:
        tens, unit = divmod(n, 10)
        base = _TENS[tens * 10]
        return base if unit == 0 else f"{base} et un" if unit == 1 else f"{base}-{_UNITS[unit]}"
    if n < 80:
        return "soixante et onze" if n == 71 else f"soixante-{_tens_to_words(n - 60)}"
    if n == 80:
        return "quatre-vingts"
    return f"quatre-vingt-{_tens_to_words(n - 80)}"
