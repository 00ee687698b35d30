"""Merging overlapping detections: disjoint spans that never lose a flagged character that could be PHI."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from frdeid.spans import (
    LABELS,
    TIER_CONTEXT,
    TIER_LEXICON,
    TIER_STATISTICAL,
    TIER_VALIDATED,
    Span,
    resolve,
)


def _surfaces(text, spans):
    return [(text[s.start:s.end], s.label) for s in spans]


def test_same_label_overlaps_merge_into_their_union():
    text = "Dr Jean Dupont Lemaire"
    spans = [Span(3, 14, "PERSON", tier=TIER_LEXICON), Span(8, 22, "PERSON", tier=TIER_STATISTICAL)]
    assert _surfaces(text, resolve(text, spans)) == [("Jean Dupont Lemaire", "PERSON")]


def test_stronger_tier_wins_and_the_rest_of_the_weaker_span_survives():
    text = "CHU de Liège, Namur"
    spans = [Span(0, 19, "LOCATION", tier=TIER_STATISTICAL), Span(0, 12, "INSTITUTION", tier=TIER_CONTEXT)]
    assert _surfaces(text, resolve(text, spans)) == [("CHU de Liège", "INSTITUTION"), ("Namur", "LOCATION")]


def test_lowercase_leftovers_of_soft_spans_are_dropped_but_validated_ones_kept():
    text = "Jean Dupont le 12/03/2021"
    spans = [Span(0, 25, "PERSON", tier=TIER_STATISTICAL), Span(15, 25, "DATE", tier=TIER_VALIDATED)]
    assert _surfaces(text, resolve(text, spans)) == [("Jean Dupont", "PERSON"), ("12/03/2021", "DATE")]


def test_longer_span_wins_within_a_tier():
    text = "Clinique Saint-Luc Bouge"
    spans = [Span(0, 24, "INSTITUTION", tier=TIER_LEXICON), Span(19, 24, "LOCATION", tier=TIER_LEXICON)]
    assert _surfaces(text, resolve(text, spans)) == [("Clinique Saint-Luc Bouge", "INSTITUTION")]


@st.composite
def _text_and_spans(draw):
    text = draw(st.text(alphabet="Ab1 .-é", min_size=1, max_size=60))
    spans = []
    for _ in range(draw(st.integers(0, 8))):
        start = draw(st.integers(0, len(text) - 1))
        end = draw(st.integers(start + 1, len(text)))
        spans.append(Span(start, end, draw(st.sampled_from(LABELS)),
                          tier=draw(st.sampled_from([TIER_VALIDATED, TIER_CONTEXT, TIER_LEXICON, TIER_STATISTICAL]))))
    return text, spans


@settings(max_examples=300, deadline=None)
@given(_text_and_spans())
def test_resolved_spans_are_disjoint_sorted_and_cover_every_capital_or_digit(case):
    text, spans = case
    out = resolve(text, spans)
    assert all(a.end <= b.start for a, b in zip(out, out[1:], strict=False))
    covered = set()
    for span in out:
        assert 0 <= span.start < span.end <= len(text)
        covered.update(range(span.start, span.end))
    for span in spans:  # every capital letter or digit flagged by anyone stays covered
        for i in range(span.start, span.end):
            if text[i].isupper() or text[i].isdigit():
                assert i in covered
    validated = [s for s in spans if s.tier == TIER_VALIDATED]
    for span in validated:  # validated detections are never shrunk below their letters and digits
        for i in range(span.start, span.end):
            if text[i].isalnum():
                assert i in covered


def test_soft_trim_never_drops_a_word_holding_a_digit():
    """Found by hypothesis: "1b".islower() is True, and the leftover of a weaker span lost its digit."""
    spans = [Span(8, 9, "PATIENT", "", 0), Span(0, 9, "PERSON", "", 2)]
    covered = {i for s in resolve("11111 1b1", spans) for i in range(s.start, s.end)}
    assert {0, 1, 2, 3, 4, 6, 8} <= covered
