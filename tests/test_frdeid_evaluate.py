"""Span scoring (`frdeid.evaluate.score`) and `frdeid eval`."""

from __future__ import annotations

import json

import pytest

from frdeid.cli import main
from frdeid.evaluate import format_table, score
from frdeid.spans import Span

TEXT = "Jean Dupont vu le 12/03/2021 a Namur par Dr Marc Lenoir."
GOLD = [{"id": "d1", "text": TEXT, "spans": [
    {"start": 0, "end": 11, "label": "PATIENT"},
    {"start": 18, "end": 28, "label": "DATE"},
    {"start": 31, "end": 36, "label": "LOCATION"},
    {"start": 44, "end": 55, "label": "PERSON"},
]}]
PRED = [{"id": "d1", "spans": [
    {"start": 0, "end": 11, "label": "PERSON"},  # the patient found as PERSON
    {"start": 18, "end": 28, "label": "DATE"},  # exact
    {"start": 44, "end": 48, "label": "PERSON"},  # "Marc" only: overlap, not exact
    {"start": 5, "end": 11, "label": "LOCATION"},  # a false location overlapping the patient
]}]


def test_score_exact_overlap_and_character_metrics():
    result = score(GOLD, PRED)
    labels = result["labels"]
    assert labels["DATE"]["exact"] == {"precision": 1.0, "recall": 1.0, "f1": 1.0}
    assert labels["PATIENT"]["support"] == 1 and labels["PATIENT"]["exact"]["recall"] == 0.0
    assert labels["PATIENT"]["char_recall_any"] == 1.0  # covered (as PERSON): it would be replaced
    person = labels["PERSON"]
    assert person["exact"]["precision"] == 0.0 and person["overlap"]["precision"] == 0.5
    assert person["overlap"]["recall"] == 1.0
    assert person["char"]["recall"] == pytest.approx(4 / 10)  # "Marc" of "Marc Lenoir" (blank excluded)
    assert labels["LOCATION"]["char_recall_any"] == 0.0 and labels["LOCATION"]["exact"]["precision"] == 0.0
    name = result["NAME"]  # PATIENT and PERSON as one class
    assert name["support"] == 2 and name["exact"]["precision"] == 0.5 and name["exact"]["recall"] == 0.5
    assert name["overlap"]["recall"] == 1.0
    assert result["ALL"]["support"] == 4 and result["ALL"]["exact"]["recall"] == 0.25
    assert labels["ID"]["exact"] == {"precision": None, "recall": None, "f1": None}


def test_score_counts_missing_documents_as_empty_and_accepts_spans():
    gold = GOLD + [{"id": "d2", "text": "Tel 0486", "spans": [{"start": 4, "end": 8, "label": "PHONE"}]}]
    pred = [{"id": "d1", "spans": [Span(18, 28, "DATE")]}, {"id": "other", "spans": []}]
    result = score(gold, pred)
    assert result["documents"] == 2 and result["documents_without_prediction"] == 1
    assert result["predicted_documents_not_in_gold"] == 1
    assert result["labels"]["PHONE"]["exact"]["recall"] == 0.0
    assert result["labels"]["DATE"]["exact"]["f1"] == 1.0
    assert "DATE" in format_table(result)


def test_perfect_prediction_scores_one():
    result = score(GOLD, [{"id": "d1", "spans": GOLD[0]["spans"]}])
    for row in (*[result["labels"][k] for k in ("PATIENT", "DATE", "LOCATION", "PERSON")], result["NAME"],
                result["ALL"]):
        for view in ("exact", "overlap", "char"):
            assert row[view]["f1"] == 1.0
        assert row["char_recall_any"] == 1.0


def _write(path, docs) -> str:
    path.write_text("".join(json.dumps(d) + "\n" for d in docs), encoding="utf-8")
    return str(path)


def test_eval_cli_prints_a_table_and_writes_json(tmp_path, capsys):
    gold, pred = _write(tmp_path / "gold.jsonl", GOLD), _write(tmp_path / "pred.jsonl", PRED)
    out = tmp_path / "metrics.json"
    assert main(["eval", gold, pred, "--json", str(out)]) == 0
    table = capsys.readouterr().out
    assert "PATIENT" in table and "NAME" in table and "exact" in table
    assert json.loads(out.read_text())["labels"]["DATE"]["exact"]["f1"] == 1.0


def test_eval_cli_errors(tmp_path, capsys):
    gold = _write(tmp_path / "gold.jsonl", GOLD)
    assert main(["eval", gold, str(tmp_path / "missing.jsonl")]) == 2
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps(GOLD[0]) + "\n{not json: Jean Dupont\n", encoding="utf-8")
    assert main(["eval", str(bad), gold]) == 1
    err = capsys.readouterr().err
    assert "line 2" in err and "Dupont" not in err
