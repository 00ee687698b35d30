"""Surrogates of the same shape for IDs, phone numbers, e-mails and URLs: every digit becomes a
derived digit and every letter a derived letter of the same case; separators are kept, and so are
a phone's country or trunk prefix and an address's scheme, "www" and top-level domain."""

from __future__ import annotations

import re

from .casing import key_norm
from .context import Context

_KEPT_WORDS = frozenset({"www", "http", "https", "mailto", "ftp"})


def render_shape(surface: str, label: str, ctx: Context) -> str:
    """An ID, PHONE or EMAIL_URL span in surrogate mode."""
    stream = ctx.keyed.stream(f"shape-{label}", ctx.salt(key_norm(surface) or surface))
    keep = _kept_positions(surface, label)
    out = []
    for index, char in enumerate(surface):
        if index in keep or not char.isalnum():
            out.append(char)
        elif char.isdigit():
            out.append(str(next(stream) % 10))
        else:
            letter = chr(ord("a") + next(stream) % 26)
            out.append(letter.upper() if char.isupper() else letter)
    return "".join(out)


def _kept_positions(surface: str, label: str) -> set[int]:
    if label == "PHONE":
        digits = [m.start() for m in re.finditer(r"\d", surface)]
        stripped = surface.lstrip()
        prefix = 2 if stripped.startswith("+") else 4 if stripped.startswith("00") else 2 \
            if stripped.startswith("0") else 0
        return set(digits[:prefix])
    if label == "EMAIL_URL":
        keep: set[int] = set()
        runs = list(re.finditer(r"[^\W_]+", surface))
        for k, run in enumerate(runs):
            last = k == len(runs) - 1 or surface[run.end():runs[k + 1].start()] in ("/", ":", "/?", "?", "#")
            tld = last and run.start() > 0 and surface[run.start() - 1] == "." and run.group().isalpha() \
                and len(run.group()) <= 6
            if run.group().lower() in _KEPT_WORDS or tld:
                keep.update(range(run.start(), run.end()))
        return keep
    return set()
