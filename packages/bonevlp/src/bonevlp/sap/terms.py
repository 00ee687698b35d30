"""Synonym tables: concepts and their terms, read from a `concept_id,term` CSV or streamed from a UMLS
MRCONSO.RRF, normalised and deduplicated, with a deterministic held-out split of the concepts.

    table = read_terms_csv("fr_msk_synonyms.csv")             # or read_mrconso(path, ["FRE", "ENG"])
    train, held_out = table.split(held_out_concepts(table, 0.2))

Normalisation: Unicode NFC, whitespace collapsed, ends stripped. A term is a duplicate of another when
both are equal after case folding (the project tokenizer lowercases anyway): within a concept only its
first spelling is kept; a term listed under several concepts is kept under the first one only (an
ambiguous string would make "the nearest other term" ill-defined when scoring).
"""

from __future__ import annotations

import csv
import hashlib
import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path

TERMS_COLUMNS = ("concept_id", "term")
# MRCONSO.RRF columns (UMLS Reference Manual, 3.3.4): pipe-separated, one trailing pipe.
MRCONSO_COLUMNS = ("CUI", "LAT", "TS", "LUI", "STT", "SUI", "ISPREF", "AUI", "SAUI", "SCUI", "SDUI", "SAB", "TTY",
                   "CODE", "STR", "SRL", "SUPPRESS", "CVF")
_CUI, _LAT, _SAB, _STR, _SUPPRESS = (MRCONSO_COLUMNS.index(c) for c in ("CUI", "LAT", "SAB", "STR", "SUPPRESS"))
_SPACES = re.compile(r"\s+")


def default_terms_path() -> Path:
    """The bundled French musculoskeletal synonym table (`bonevlp/data/synonyms/fr_msk_synonyms.csv`)."""
    return Path(str(files("bonevlp") / "data" / "synonyms" / "fr_msk_synonyms.csv"))


def normalise_term(text: str) -> str:
    """NFC, whitespace runs to one space, ends stripped."""
    return _SPACES.sub(" ", unicodedata.normalize("NFC", text)).strip()


def _key(term: str) -> str:
    return term.casefold()


@dataclass
class SynonymTable:
    """Concepts in first-seen order, each with its distinct terms (at least one). `source` says where
    the table came from; `dropped` counts terms left out as duplicates (same concept) or ambiguous
    (already under another concept)."""

    concepts: dict[str, list[str]]
    source: str = "<memory>"
    dropped: dict[str, int] = field(default_factory=lambda: {"duplicate": 0, "ambiguous": 0, "empty": 0})

    @classmethod
    def from_rows(cls, rows: Iterable[tuple[str, str]], source: str = "<memory>") -> SynonymTable:
        """Build from `(concept_id, term)` rows (normalised and deduplicated as the module says)."""
        concepts: dict[str, list[str]] = {}
        owner: dict[str, str] = {}
        dropped = {"duplicate": 0, "ambiguous": 0, "empty": 0}
        for concept, term in rows:
            concept, term = normalise_term(str(concept)), normalise_term(str(term))
            if not concept or not term:
                dropped["empty"] += 1
                continue
            key = _key(term)
            if key in owner:
                dropped["duplicate" if owner[key] == concept else "ambiguous"] += 1
                continue
            owner[key] = concept
            concepts.setdefault(concept, []).append(term)
        return cls(concepts, source, dropped)

    def __len__(self) -> int:
        return len(self.concepts)

    @property
    def n_terms(self) -> int:
        return sum(len(terms) for terms in self.concepts.values())

    def rows(self) -> Iterator[tuple[str, str]]:
        """`(concept_id, term)` in table order."""
        for concept, terms in self.concepts.items():
            for term in terms:
                yield concept, term

    def subset(self, concept_ids: Iterable[str], source: str | None = None) -> SynonymTable:
        """The table restricted to `concept_ids` (table order kept; unknown ids ignored)."""
        keep = set(concept_ids)
        return SynonymTable({c: list(t) for c, t in self.concepts.items() if c in keep}, source or self.source,
                            dict(self.dropped))

    def split(self, held_out: Sequence[str]) -> tuple[SynonymTable, SynonymTable]:
        """(training table without `held_out`, held-out table)."""
        out = set(held_out)
        return self.subset([c for c in self.concepts if c not in out]), self.subset(out)

    def summary(self) -> dict:
        multi = sum(len(t) >= 2 for t in self.concepts.values())
        return {"source": self.source, "concepts": len(self), "concepts_with_synonyms": multi, "terms": self.n_terms,
                "dropped": dict(self.dropped)}

    def write_csv(self, path: str | Path) -> Path:
        """Write `concept_id,term` rows (UTF-8)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(TERMS_COLUMNS)
            writer.writerows(self.rows())
        return path


def read_terms_csv(path: str | Path) -> SynonymTable:
    """A `concept_id,term` CSV (UTF-8, a header naming both columns; other columns ignored)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"synonym table not found: {path}")
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in TERMS_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise ValueError(f"{path}: a header with the columns {', '.join(TERMS_COLUMNS)} is needed "
                             f"(missing {', '.join(missing)}; found {', '.join(reader.fieldnames or []) or 'none'})")
        table = SynonymTable.from_rows(((row["concept_id"] or "", row["term"] or "") for row in reader), str(path))
    if not table.concepts:
        raise ValueError(f"{path}: no term")
    return table


def iter_mrconso(path: str | Path, languages: Sequence[str] = ("FRE", "ENG"), sources: Sequence[str] | None = None,
                 keep_suppressed: bool = False) -> Iterator[tuple[str, str]]:
    """Stream `(CUI, STR)` of a UMLS MRCONSO.RRF whose LAT is in `languages`, SAB in `sources` (None:
    any) and SUPPRESS is "N" (unless `keep_suppressed`: then "O", "E" and "Y" rows too). A line with
    fewer than the 18 MRCONSO fields raises ValueError (with its number)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"MRCONSO file not found: {path}")
    languages = {lang.strip().upper() for lang in languages if lang.strip()}
    wanted_sources = None if not sources else {s.strip() for s in sources if s.strip()}
    with path.open(encoding="utf-8", newline="") as handle:
        for number, line in enumerate(handle, 1):
            line = line.rstrip("\r\n")
            if not line:
                continue
            fields = line.split("|")
            if len(fields) < len(MRCONSO_COLUMNS):
                raise ValueError(f"{path}:{number}: {len(fields)} fields, an MRCONSO.RRF line has "
                                 f"{len(MRCONSO_COLUMNS)} ({'|'.join(MRCONSO_COLUMNS)})")
            if fields[_LAT] not in languages:
                continue
            if wanted_sources is not None and fields[_SAB] not in wanted_sources:
                continue
            if not keep_suppressed and fields[_SUPPRESS] != "N":
                continue
            yield fields[_CUI], fields[_STR]


def read_mrconso(path: str | Path, languages: Sequence[str] = ("FRE", "ENG"), sources: Sequence[str] | None = None,
                 keep_suppressed: bool = False) -> SynonymTable:
    """A synonym table from MRCONSO.RRF (see `iter_mrconso`); concepts are CUIs."""
    table = SynonymTable.from_rows(iter_mrconso(path, languages, sources, keep_suppressed), str(path))
    if not table.concepts:
        raise ValueError(f"{path}: no row with LAT in {', '.join(languages)}"
                         + (f", SAB in {', '.join(sources)}" if sources else "") + " and SUPPRESS = N")
    return table


def concept_hash(concept_id: str, seed: int = 0) -> float:
    """A number in [0, 1) fixed by the concept id and the seed (SHA-256), independent of the table."""
    digest = hashlib.sha256(f"{seed}:{concept_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def held_out_concepts(table: SynonymTable, fraction: float, seed: int = 0) -> list[str]:
    """Concepts kept out of training: those with at least two terms (a single term cannot be scored)
    whose `concept_hash` is below `fraction`. A concept's fate depends on its id and the seed only, so
    a grown or reordered table keeps its held-out concepts held out. Table order."""
    if not 0 <= fraction < 1:
        raise ValueError(f"the held-out fraction must be in [0, 1), not {fraction}")
    return [c for c, terms in table.concepts.items() if len(terms) >= 2 and concept_hash(c, seed) < fraction]
