"""The bundled French musculoskeletal synonym table (bonevlp/data/synonyms/fr_msk_synonyms.csv), read
with the csv module alone: the header is concept_id,term, every row has two non-empty fields, there
are enough concepts, each concept has at least two distinct terms, no term (compared case-, accent-
and whitespace-insensitively) belongs to two concepts, the common abbreviations are there, and the
file is UTF-8 in NFC. The table must also be declared as package data so that it ships in the wheel."""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "packages" / "bonevlp"
TABLE = PACKAGE / "src" / "bonevlp" / "data" / "synonyms" / "fr_msk_synonyms.csv"
CONCEPT_ID = re.compile(r"^FRMSK:\d{4}$")


def term_key(term: str) -> str:
    """Case-, accent- and whitespace-insensitive form of a term."""
    decomposed = unicodedata.normalize("NFKD", term)
    stripped = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(stripped.casefold().split())


@pytest.fixture(scope="module")
def raw() -> bytes:
    return TABLE.read_bytes()


@pytest.fixture(scope="module")
def rows(raw: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(raw.decode("utf-8"), newline="")))


@pytest.fixture(scope="module")
def concepts(rows: list[list[str]]) -> dict[str, list[str]]:
    table: dict[str, list[str]] = defaultdict(list)
    for concept_id, term in rows[1:]:
        table[concept_id].append(term)
    return dict(table)


def test_file_is_utf8_and_nfc(raw: bytes) -> None:
    text = raw.decode("utf-8")  # raises on invalid UTF-8
    assert not text.startswith("\ufeff"), "no byte-order mark"
    assert unicodedata.is_normalized("NFC", text)


def test_header_is_exactly_concept_id_term(rows: list[list[str]]) -> None:
    assert rows[0] == ["concept_id", "term"]


def test_rows_have_two_non_empty_fields(rows: list[list[str]]) -> None:
    for number, row in enumerate(rows[1:], start=2):
        assert len(row) == 2, f"line {number}: {row!r}"
        concept_id, term = row
        assert concept_id.strip() and term.strip(), f"line {number}: empty field"
        assert term == term.strip() and "  " not in term, f"line {number}: stray whitespace in {term!r}"
        assert CONCEPT_ID.match(concept_id), f"line {number}: concept id {concept_id!r}"


def test_enough_concepts(concepts: dict[str, list[str]]) -> None:
    assert len(concepts) >= 300


def test_each_concept_has_distinct_terms(concepts: dict[str, list[str]]) -> None:
    for concept_id, terms in concepts.items():
        assert len(terms) == len(set(terms)), f"{concept_id}: repeated term"
        assert len({term_key(term) for term in terms}) >= 2, f"{concept_id}: fewer than 2 distinct terms {terms}"
        assert len(terms) <= 8, f"{concept_id}: more than 8 terms"
    mean = sum(len(terms) for terms in concepts.values()) / len(concepts)
    assert mean >= 3, f"mean terms per concept {mean:.2f}"


def test_no_term_in_two_concepts(concepts: dict[str, list[str]]) -> None:
    owner: dict[str, str] = {}
    clashes = []
    for concept_id, terms in concepts.items():
        for term in terms:
            previous = owner.setdefault(term_key(term), concept_id)
            if previous != concept_id:
                clashes.append(f"{term!r}: {previous} and {concept_id}")
    assert not clashes, clashes


def test_common_abbreviations_present(concepts: dict[str, list[str]]) -> None:
    where = {term: concept_id for concept_id, terms in concepts.items() for term in terms}
    for abbreviation in ("PTH", "PTG", "LCA", "fx"):
        assert abbreviation in where, abbreviation
    # each short form sits with its full name
    assert "prothèse totale de hanche" in concepts[where["PTH"]]
    assert "prothèse totale de genou" in concepts[where["PTG"]]
    assert "ligament croisé antérieur" in concepts[where["LCA"]]
    assert "fracture" in concepts[where["fx"]]


def test_table_is_package_data() -> None:
    pyproject = (PACKAGE / "pyproject.toml").read_text(encoding="utf-8")
    assert '"data/synonyms/*.csv"' in pyproject
