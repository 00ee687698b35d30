"""`emails_urls`: e-mail addresses and web addresses (with paths), trailing punctuation excluded."""

from __future__ import annotations

import regex

from ...spans import TIER_VALIDATED, Span
from ..document import Document
from ..registry import register
from ._rules import to_spans
from .patterns import emails_urls as patterns

_EMAIL = regex.compile(patterns.EMAIL)
_EMAIL_SPACED = regex.compile(patterns.EMAIL_SPACED)
_URL = regex.compile(patterns.URL)


def find_emails_urls(text: str) -> list[tuple[int, int]]:
    """Offsets of e-mail and web addresses in `text` (possibly overlapping)."""
    found = [m.span() for pattern in (_EMAIL, _EMAIL_SPACED, _URL) for m in pattern.finditer(text)]
    return [span for span in found if _balanced(text, span)]


def _balanced(text: str, span: tuple[int, int]) -> bool:
    """A URL is not a lone file name or abbreviation: it has a scheme, www, @, a slash or 2+ dots, or
    a domain label of 3+ letters."""
    surface = text[span[0]:span[1]]
    if "@" in surface or "://" in surface or surface.lower().startswith("www."):
        return True
    host = surface.split("/")[0]
    return len(host.split(".")[0]) >= 3 and not host[0].isupper() or host.count(".") >= 2


@register("emails_urls")
def build_emails_urls(config: dict) -> EmailsUrlsDetector:
    """The e-mail and URL detector (no options)."""
    return EmailsUrlsDetector()


class EmailsUrlsDetector:
    """Finds e-mail and web addresses; spans are validated (tier 0) and disjoint."""

    def __call__(self, doc: Document) -> list[Span]:
        return to_spans(find_emails_urls(doc.text), "EMAIL_URL", "emails_urls", TIER_VALIDATED)
