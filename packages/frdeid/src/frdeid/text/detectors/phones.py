"""`phones`: Belgian, French and international phone and fax numbers, and internal extensions."""

from __future__ import annotations

import regex

from ...spans import TIER_VALIDATED, Span
from ..document import Document
from ..registry import register
from ._rules import to_spans
from .ids import has_id_label_before
from .patterns import phones as patterns

_CHAIN = regex.compile(patterns.CHAIN)
_TOKEN = regex.compile(patterns.TOKEN)
_LETTER_O = regex.compile(patterns.LETTER_O)
_EXTENSION = regex.compile(patterns.EXTENSION)
_CUED_PAIRS = regex.compile(patterns.CUED_PAIRS)
_NORTH_AMERICAN = regex.compile(patterns.NORTH_AMERICAN)
_YEAR = regex.compile(r"(?:19|20)\d\d")

Token = tuple[str, int, int, str]  # kind, start, end, text


def digitise(text: str) -> str:
    """`text` with a letter O next to digits replaced by 0 (same length)."""
    return _LETTER_O.sub("0", text)


def find_phones(text: str, folded: str) -> list[tuple[int, int]]:
    """Offsets of phone numbers in `text` (possibly overlapping)."""
    digits_text = digitise(text)
    found = []
    for chain in _CHAIN.finditer(digits_text):
        found.extend(_numbers_in_chain(chain))
    found.extend(m.span() for m in _NORTH_AMERICAN.finditer(digits_text))
    found.extend(m.span() for m in _EXTENSION.finditer(folded))
    found.extend(m.span() for m in _CUED_PAIRS.finditer(folded))
    return found


def _tokens(chain: regex.Match) -> list[Token]:
    base = chain.start()
    out = []
    for m in _TOKEN.finditer(chain.group()):
        kind = next(k for k in ("cc", "zero", "area", "digits") if m.group(k) is not None)
        out.append((kind, base + m.start(), base + m.end(), m.group()))
    return out


def _numbers_in_chain(chain: regex.Match) -> list[tuple[int, int]]:
    """Cut a chain of digit groups into phone numbers, leftmost-longest, at spaces between groups; a
    number amid a row of plain numbers (a table) is kept only next to other phone numbers."""
    tokens = _tokens(chain)
    text = chain.string
    picks, i = [], 0
    while i < len(tokens):
        for j in range(len(tokens), i, -1):
            if _cut_ok(text, tokens, i, j) and is_phone(tokens[i:j], text):
                picks.append((i, j))
                i = j
                break
        else:
            i += 1
    starts, ends = {i for i, _ in picks}, {j for _, j in picks}
    out = []
    for i, j in picks:
        if i > 0 and _single_space(text, tokens, i - 1) and i not in ends:
            continue
        if j < len(tokens) and _single_space(text, tokens, j - 1) and j not in starts:
            continue
        out.append((tokens[i][1], tokens[j - 1][2]))
    return out


def _single_space(text: str, tokens: list[Token], k: int) -> bool:
    """Whether tokens k and k + 1 are separated by one space or tab only."""
    return text[tokens[k][2]:tokens[k + 1][1]] in (" ", "\t")


def _cut_ok(text: str, tokens: list[Token], i: int, j: int) -> bool:
    """A number starts and ends where its neighbours are separated by spaces, not glued by . / -, and
    does not start after a country code or area code."""
    if i > 0 and (not _loose(text[tokens[i - 1][2]:tokens[i][1]]) or tokens[i - 1][0] != "digits"):
        return False
    return j == len(tokens) or _loose(text[tokens[j - 1][2]:tokens[j][1]])


def _loose(separator: str) -> bool:
    """A separator with a space in it ("  ", " / ")."""
    return any(c.isspace() for c in separator)


def is_phone(tokens: list[Token], text: str) -> bool:
    """Whether tokens make a phone number: digit count, grouping and separators of the national and
    international forms."""
    kinds = [t[0] for t in tokens]
    groups = [t[3] for t in tokens if t[0] == "digits"]
    if not groups or kinds[-1] != "digits" or _date_shaped(tokens, text):
        return False
    seps = [text[a[2]:b[1]].strip() for a, b in zip(tokens, tokens[1:], strict=False)]
    slashes = [k for k, s in enumerate(seps) if s == "/"]
    if slashes and slashes != [0] and len(slashes) != len(seps):
        return False
    if kinds[0] == "cc":
        return _international(regex.sub(r"\D", "", tokens[0][3]), groups)
    if kinds[0] == "area":
        return len(tokens[0][3]) == 5 and len("".join(groups)) == 7 or _national(groups)
    return _national(groups)


def _national(groups: list[str]) -> bool:
    digits = "".join(groups)
    if len(digits) not in (9, 10) or digits[0] != "0" or digits[1] == "0":
        return False
    return tuple(len(g) for g in groups) in patterns.NATIONAL_SHAPES


def _international(country: str, groups: list[str]) -> bool:
    digits = "".join(groups)
    if digits.startswith("0") and country != "1":
        digits = digits[1:]
    if any(len(g) == 1 for g in groups[1:]):
        return False
    if country == "32":
        return len(digits) in (8, 9)
    if country == "33":
        return len(digits) in (8, 9)
    return 6 <= len(digits) <= 12


def _date_shaped(tokens: list[Token], text: str) -> bool:
    """dd.mm.yyyy or dd-mm-yyyy at the start of a chain is a date, not a phone number."""
    if len(tokens) < 3 or any(t[0] != "digits" for t in tokens[:3]):
        return False
    a, b, c = (t[3] for t in tokens[:3])
    sep1, sep2 = text[tokens[0][2]:tokens[1][1]], text[tokens[1][2]:tokens[2][1]]
    return len(a) <= 2 and len(b) <= 2 and bool(_YEAR.fullmatch(c)) and sep1.strip() == sep2.strip() != ""


@register("phones")
def build_phones(config: dict) -> PhonesDetector:
    """The phone detector (no options)."""
    return PhonesDetector()


class PhonesDetector:
    """Finds phone and fax numbers; spans are validated (tier 0) and disjoint."""

    def __call__(self, doc: Document) -> list[Span]:
        found = [span for span in find_phones(doc.text, doc.folded) if not has_id_label_before(doc, span[0])]
        return to_spans(found, "PHONE", "phones", TIER_VALIDATED)
