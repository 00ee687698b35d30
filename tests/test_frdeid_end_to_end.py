"""The default text pipeline, end to end on a synthetic export it did not see: high recall on every
label, the patient's name fully covered, and no name, ID, phone, e-mail or full date left verbatim."""

from __future__ import annotations

import pytest

from frdeid.corpora import read_gold_jsonl
from frdeid.evaluate import score
from frdeid.keys import generate_key
from frdeid.text.deidentify import TextDeidentifier


@pytest.fixture(scope="module")
def outcome(tmp_path_factory):
    from boneds.synth.export import generate_export

    out = tmp_path_factory.mktemp("e2e") / "export"
    generate_export(out, 10, 9191, image_size=64, workers=1, progress=False)
    docs = list(read_gold_jsonl(out / "truth" / "phi.jsonl"))
    deid = TextDeidentifier(generate_key())
    results = [deid.deidentify(d.text, d.patient) for d in docs]
    gold = [{"id": d.id, "text": d.text, "spans": [{"start": a, "end": b, "label": c} for a, b, c in d.spans]}
            for d in docs]
    predicted = [{"id": d.id, "spans": [s.as_dict() for s in r.spans]} for d, r in zip(docs, results, strict=True)]
    return docs, results, score(gold, predicted)


def test_recall_on_every_label(outcome):
    _, _, metrics = outcome
    for label, row in metrics["labels"].items():
        if row["support"]:
            assert row["char_recall_any"] >= 0.95, label
    assert metrics["labels"]["PATIENT"]["char_recall_any"] >= 0.99
    assert metrics["NAME"]["overlap"]["recall"] >= 0.97 and metrics["NAME"]["overlap"]["precision"] >= 0.9


def test_no_identifier_left_verbatim(outcome):
    docs, results, _ = outcome
    for doc, result in zip(docs, results, strict=True):
        for start, end, label in doc.spans:
            surface = doc.text[start:end]
            if label in ("PATIENT", "PERSON", "ID", "PHONE", "EMAIL_URL") and len(surface) >= 4:
                assert surface not in result.text, label
            if label == "DATE" and len(surface) >= 8:
                assert surface not in result.text, label
