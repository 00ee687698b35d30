"""Annotated corpora: the gold JSONL format, inline `[surface](LABEL)` markup and BRAT standoff.

Gold JSONL (the synthetic export's `truth/phi.jsonl` is one): one document per line,
`{"id", "text", "spans": [{"start", "end", "label"}], "patient": {...} | null, "patient_id"}`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from .patient import PatientIdentity
from .spans import LABELS

# Labels of AP-HP's EDS-Pseudo templates mapped to this project's labels (names are scored as one
# class there: the templates do not say who the patient is).
EDS_PSEUDO_LABELS = {
    "NOM": "PERSON", "PRENOM": "PERSON", "ADRESSE": "LOCATION", "ZIP": "LOCATION", "VILLE": "LOCATION",
    "HOPITAL": "INSTITUTION", "DATE": "DATE", "DATE_NAISSANCE": "DATE", "TEL": "PHONE", "MAIL": "EMAIL_URL",
    "IPP": "ID", "NDA": "ID", "SECU": "ID",
}
# Adjacent markup spans that form one span in this project: a full name, a postal code + municipality.
_JOINED = {("PRENOM", "NOM"), ("NOM", "PRENOM"), ("NOM", "NOM"), ("PRENOM", "PRENOM"), ("ZIP", "VILLE")}
_MARKUP = re.compile(r"\[([^\[\]]+?)\]\(([A-Z_]+)\)")


@dataclass
class GoldDocument:
    """A text with its gold PHI spans (`(start, end, label)` tuples) and optional patient."""

    id: str
    text: str
    spans: list[tuple[int, int, str]]
    patient: PatientIdentity | None = None
    patient_id: str = ""
    extra: dict = field(default_factory=dict)


def read_gold_jsonl(path: Path) -> Iterator[GoldDocument]:
    """Documents of a gold JSONL file."""
    with Path(path).open(encoding="utf-8") as handle:
        for line in handle:
            if not line.strip():
                continue
            data = json.loads(line)
            yield GoldDocument(
                id=str(data.get("id", "")),
                text=data["text"],
                spans=[(s["start"], s["end"], s["label"]) for s in data.get("spans", [])],
                patient=PatientIdentity.from_dict(data.get("patient")),
                patient_id=str(data.get("patient_id") or ""),
            )


def write_gold_jsonl(path: Path, docs: Iterable[GoldDocument]) -> None:
    """Write documents in the gold JSONL format."""
    with Path(path).open("w", encoding="utf-8") as handle:
        for doc in docs:
            patient = None
            if doc.patient is not None:
                patient = {"first_names": " ".join(doc.patient.first_names), "last_name": doc.patient.last_name,
                           "birth_date": doc.patient.birth_date.isoformat() if doc.patient.birth_date else "",
                           "patient_id": doc.patient.patient_id}
            handle.write(json.dumps({"id": doc.id, "patient_id": doc.patient_id, "text": doc.text,
                                     "patient": patient,
                                     "spans": [{"start": a, "end": b, "label": c} for a, b, c in doc.spans]},
                                    ensure_ascii=False) + "\n")


def parse_markup(marked: str, label_map: dict[str, str]) -> tuple[str, list[tuple[int, int, str]]]:
    """Text and spans of a string with inline `[surface](LABEL)` markup. Adjacent name parts
    (first name + last name) and a postal code followed by its municipality merge into one span,
    as this project annotates them."""
    text_parts: list[str] = []
    spans: list[tuple[int, int, str]] = []
    position = 0
    length = 0
    previous_raw = ""
    for match in _MARKUP.finditer(marked):
        before = marked[position:match.start()]
        text_parts.append(before)
        length += len(before)
        surface, raw = match.group(1), match.group(2)
        label = label_map.get(raw)
        if label is not None:
            if spans and before in (" ", "") and (previous_raw, raw) in _JOINED:
                spans[-1] = (spans[-1][0], length + len(surface), label)
            else:
                spans.append((length, length + len(surface), label))
        previous_raw = raw
        text_parts.append(surface)
        length += len(surface)
        position = match.end()
    text_parts.append(marked[position:])
    return "".join(text_parts), spans


def read_markup_corpus(path: Path, label_map: dict[str, str] | None = None) -> list[GoldDocument]:
    """A file of markup documents separated by blank lines (EDS-Pseudo's `templates.txt` layout)."""
    label_map = label_map if label_map is not None else EDS_PSEUDO_LABELS
    blocks = [b.strip("\n") for b in Path(path).read_text(encoding="utf-8").split("\n\n")]
    docs = []
    for i, block in enumerate(b for b in blocks if b.strip()):
        text, spans = parse_markup(block, label_map)
        docs.append(GoldDocument(id=f"{Path(path).stem}-{i}", text=text, spans=spans))
    return docs


def read_brat(folder: Path, label_map: dict[str, str] | None = None) -> list[GoldDocument]:
    """BRAT standoff annotations: `name.txt` + `name.ann` pairs (text-bound `T` lines only;
    discontinuous spans become one span per fragment). Labels not in the map nor in LABELS are dropped."""
    docs = []
    for txt in sorted(Path(folder).glob("*.txt")):
        text = txt.read_text(encoding="utf-8")
        spans = []
        ann = txt.with_suffix(".ann")
        lines = ann.read_text(encoding="utf-8").splitlines() if ann.exists() else []
        for line in lines:
            if not line.startswith("T"):
                continue
            _, info, _surface = line.split("\t", 2)
            kind, _, offsets = info.partition(" ")
            label = (label_map or {}).get(kind, kind if kind in LABELS else None)
            if label is None:
                continue
            for fragment in offsets.split(";"):
                start, end = (int(x) for x in fragment.split())
                spans.append((start, end, label))
        docs.append(GoldDocument(id=txt.stem, text=text, spans=sorted(spans)))
    return docs
