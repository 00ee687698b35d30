"""Detected PHI spans and the one rule that turns overlapping detections into disjoint spans.

Detection never edits text and replacement never detects (as in presidio): a detector returns
`Span`s, `resolve` makes them disjoint, the replacer rewrites exactly those characters.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

LABELS: tuple[str, ...] = ("PATIENT", "PERSON", "LOCATION", "INSTITUTION", "DATE", "AGE", "ID", "PHONE", "EMAIL_URL")

# Which detection wins an overlap: a lower tier first, then the longer span, then label precedence.
TIER_VALIDATED = 0  # the known patient, validated numbers, e-mails, URLs, dates
TIER_CONTEXT = 1  # context rules: titles, signatures, addresses
TIER_LEXICON = 2  # lexicon look-ups
TIER_STATISTICAL = 3  # NER models
LABEL_PRECEDENCE: tuple[str, ...] = ("PATIENT", "EMAIL_URL", "ID", "PHONE", "DATE", "AGE", "PERSON", "INSTITUTION",
                                     "LOCATION")


@dataclass(frozen=True)
class Span:
    """`text[start:end]` is PHI of kind `label`; `source` names the detector, `tier` its strength."""

    start: int
    end: int
    label: str
    source: str = ""
    tier: int = TIER_LEXICON

    def __post_init__(self) -> None:
        if not 0 <= self.start < self.end:
            raise ValueError(f"invalid span offsets {self.start}:{self.end}")
        if self.label not in LABELS:
            raise ValueError(f"unknown label {self.label!r}")

    def overlaps(self, other: Span) -> bool:
        """Whether the two spans share at least one character."""
        return self.start < other.end and other.start < self.end

    def as_dict(self) -> dict:
        """`{"start", "end", "label"}`, the JSONL form."""
        return {"start": self.start, "end": self.end, "label": self.label}


def _strength(span: Span) -> tuple[int, int, int]:
    return (span.tier, -(span.end - span.start), LABEL_PRECEDENCE.index(span.label))


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and not text[start].isalnum():
        start += 1
    while end > start and not text[end - 1].isalnum():
        end -= 1
    return start, end


def resolve(text: str, spans: Iterable[Span]) -> list[Span]:
    """Disjoint spans covering at least every character any detector flagged.

    First, overlapping spans of one label merge into their union (with the strongest tier among
    them). Then, between labels, the stronger span (lower tier, then longer, then label precedence)
    keeps its characters; what sticks out of a weaker span is kept as its own span, trimmed to
    letters and digits, so coverage is never lost.
    """
    claimed: list[Span] = []
    for span in sorted(_union_by_label(spans), key=_strength):
        pieces = [(span.start, span.end)]
        for other in claimed:
            next_pieces = []
            for lo, hi in pieces:
                if hi <= other.start or other.end <= lo:
                    next_pieces.append((lo, hi))
                    continue
                for a, b in ((lo, other.start), (other.end, hi)):
                    a, b = _trim(text, a, b) if span.tier < TIER_LEXICON else _trim_soft(text, a, b)
                    if a < b and _worth_keeping(text[a:b], span.tier):
                        next_pieces.append((a, b))
            pieces = next_pieces
        claimed.extend(replace(span, start=a, end=b) for a, b in pieces)
    return sorted(claimed, key=lambda s: s.start)


def _trim_soft(text: str, start: int, end: int) -> tuple[int, int]:
    """Trim a leftover of a lexicon or NER span, also dropping trailing all-lower-case words
    ("Jean Dupont le" -> "Jean Dupont"); leading ones may be particles ("de Lannoy") and stay."""
    start, end = _trim(text, start, end)
    while start < end:
        cut = text.rfind(" ", start, end)
        last = text[cut + 1 : end]
        # Only words of lower-case letters go: "1b" or "2e" hold a digit (str.islower ignores digits).
        if cut < 0 or not (last.isalpha() and last.islower()):
            break
        start, end = _trim(text, start, cut)
    return start, end


def _worth_keeping(piece: str, tier: int) -> bool:
    """A leftover of a lexicon or NER span is kept when it could be PHI (a capital or a digit):
    a model that swallowed "le" before a date has not found a name."""
    return tier < TIER_LEXICON or any(c.isupper() or c.isdigit() for c in piece)


def _union_by_label(spans: Iterable[Span]) -> list[Span]:
    out: list[Span] = []
    for span in sorted(spans, key=lambda s: (s.label, s.start, s.end)):
        last = out[-1] if out else None
        if last is not None and last.label == span.label and span.start < last.end:
            out[-1] = replace(last, end=max(last.end, span.end), tier=min(last.tier, span.tier),
                              source=last.source if last.tier <= span.tier else span.source)
        else:
            out.append(span)
    return out
