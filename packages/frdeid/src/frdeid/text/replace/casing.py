"""Written form helpers: folding for comparisons and copying a surface's case onto a surrogate."""

from __future__ import annotations

import re

from ..document import fold

_WORD_START = re.compile(r"(^|[\s\-'’])([^\W\d_])")


_NOT_ASCII_ALNUM = re.compile(r"[^a-z0-9]+")


def key_norm(text: str) -> str:
    """Letters and digits of `fold(text)` only: the key under which an original value is looked up
    and derived ("D'Hondt", "DHONDT" and "d’hondt" all give "dhondt")."""
    if text.isascii():
        return _NOT_ASCII_ALNUM.sub("", text.lower())
    return "".join(c for c in fold(text) if c.isalnum())


def letters(text: str) -> str:
    """The letters of `text`, in order."""
    return "".join(c for c in text if c.isalpha())


def is_upper(text: str) -> bool:
    """Whether `text` has letters and they are all capitals."""
    found = letters(text)
    return bool(found) and found.isupper()


def is_lower(text: str) -> bool:
    """Whether `text` has letters and they are all lower case."""
    found = letters(text)
    return bool(found) and found.islower()


def natural(name: str) -> str:
    """A lexicon entry in its usual written case: entries stored in one case are title-cased word
    by word ("VAN DAMME" -> "Van Damme"); mixed-case entries are kept."""
    if not (is_upper(name) or is_lower(name)):
        return name
    return _WORD_START.sub(lambda m: m.group(1) + m.group(2).upper(), name.lower())


def apply_case(template: str, surrogate: str) -> str:
    """`surrogate` written in the case of `template`: ALL CAPS stays all caps, lower case stays lower
    case, anything else takes the surrogate's natural case with a leading capital if the template
    has one."""
    if is_upper(template) and (len(letters(template)) > 1 or len(letters(surrogate)) == 1):
        return surrogate.upper()
    if is_lower(template):
        return surrogate.lower()
    out = natural(surrogate)
    first = next((c for c in template if c.isalpha()), "")
    if first.isupper() and out[:1].islower():
        out = out[:1].upper() + out[1:]
    return out
