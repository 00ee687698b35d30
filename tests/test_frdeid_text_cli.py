"""`frdeid text` end to end on a real synthetic export, with a detector that returns the gold spans
(so the replacement and the CLI are tested, not detection quality): exit codes, order, workers, the
API, and no PHI in outputs, stderr or exception messages."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from frdeid.cli import main
from frdeid.keys import date_offset_days, write_key
from frdeid.patient import PatientIdentity
from frdeid.spans import TIER_VALIDATED, Span
from frdeid.text import registry
from frdeid.text.datetimes import shift_date_text
from frdeid.text.deidentify import TextDeidentifier, pseudonymize_patient_id

GOLD: dict[str, list[Span]] = {}  # text -> gold spans, read by the test detector (and forked workers)
FAIL_MARK = "FORCE-DETECTOR-FAILURE"
SECRET_NAME = "Zéphyrine Quatremarre"


def _gold_detector(config: dict):
    def detect(doc) -> list[Span]:
        if FAIL_MARK in doc.text:
            raise RuntimeError(f"detector crashed on {SECRET_NAME}")  # a message quoting PHI
        return list(GOLD.get(doc.text, []))

    return detect


def _broken_detector(config: dict):
    raise RuntimeError(f"cannot start: {SECRET_NAME}")


for _name, _factory in (("test_gold", _gold_detector), ("test_broken", _broken_detector)):
    if _name not in registry._FACTORIES:
        registry.register(_name)(_factory)


@pytest.fixture(scope="module")
def export(tmp_path_factory) -> Path:
    from boneds.synth.export import generate_export

    out = tmp_path_factory.mktemp("frdeid-text") / "export"
    generate_export(out, patients=6, seed=3, image_size=64, workers=1, progress=False)
    return out


@pytest.fixture(scope="module")
def docs(export) -> list[dict]:
    lines = [json.loads(line) for line in (export / "truth" / "phi.jsonl").read_text(encoding="utf-8").splitlines()]
    for doc in lines:
        GOLD[doc["text"]] = [Span(s["start"], s["end"], s["label"], "gold", TIER_VALIDATED) for s in doc["spans"]]
    return lines


@pytest.fixture(scope="module")
def cli_env(tmp_path_factory, docs) -> dict:
    """A key, a config running the gold detector, and a folder for outputs."""
    folder = tmp_path_factory.mktemp("frdeid-cli")
    key = write_key(folder / "site.key")
    config = folder / "gold.toml"
    config.write_text('[pipeline]\ndetectors = ["test_gold"]\n', encoding="utf-8")
    return {"folder": folder, "key": key, "config": config}


def run_text(cli_env, input_path: Path, name: str, *extra: str) -> tuple[int, Path, Path]:
    out, spans = cli_env["folder"] / f"{name}.jsonl", cli_env["folder"] / f"{name}.spans.jsonl"
    code = main(["text", str(input_path), str(out), "--key", str(cli_env["key"]), "--spans", str(spans),
                 "--config", str(cli_env["config"]), *extra])
    return code, out, spans


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="module")
def phi_input(cli_env, export) -> Path:
    return export / "truth" / "phi.jsonl"


@pytest.fixture(scope="module")
def serial_run(cli_env, phi_input):
    code, out, spans = run_text(cli_env, phi_input, "serial")
    return code, read_jsonl(out), read_jsonl(spans)


def test_text_cli_replaces_every_gold_span(cli_env, docs, serial_run):
    code, out, spans = serial_run
    assert code == 0
    assert [o["id"] for o in out] == [d["id"] for d in docs] == [s["id"] for s in spans]
    key = (cli_env["key"]).read_text().strip()
    deid = TextDeidentifier(bytes.fromhex(key), {"pipeline": {"detectors": ["test_gold"]}})
    for doc, result, audit in zip(docs, out, spans, strict=True):
        assert result["patient_id"] == pseudonymize_patient_id(bytes.fromhex(key), doc["patient_id"])
        assert result["patient_id"] != doc["patient_id"] and set(result) == {"id", "patient_id", "text"}
        assert audit["spans"] == doc["spans"]  # offsets into the input text
        patient = PatientIdentity.from_dict(doc["patient"])
        # The CLI and the API agree.
        api = deid.deidentify(doc["text"], patient, doc["patient_id"])
        assert api.text == result["text"] and [s.as_dict() for s in api.spans] == doc["spans"]
        for span in doc["spans"]:
            surface = doc["text"][span["start"]:span["end"]]
            if span["label"] not in ("DATE", "AGE") and len(surface) >= 3:
                assert surface not in result["text"], (span["label"], surface)


def test_text_outside_spans_and_dates_through_the_cli(cli_env, docs, serial_run):
    key = bytes.fromhex(cli_env["key"].read_text().strip())
    replacer = TextDeidentifier(key, {"pipeline": {"detectors": ["test_gold"]}}).replacer
    _, out, _ = serial_run
    n_dates = 0
    for doc, result in zip(docs, out, strict=True):
        spans = sorted(GOLD[doc["text"]], key=lambda s: s.start)
        patient = PatientIdentity.from_dict(doc["patient"])
        pieces = replacer.rewrite(doc["text"], spans, patient, doc["patient_id"])
        rebuilt, cursor = [], 0
        for span, piece in zip(spans, pieces, strict=True):
            rebuilt += [doc["text"][cursor:span.start], piece]
            cursor = span.end
            if span.label == "DATE":  # every synthetic date form is shifted by the patient's offset
                surface = doc["text"][span.start:span.end]
                offset = date_offset_days(key, doc["patient_id"])
                assert piece == shift_date_text(surface, offset)  # a year alone may keep its year
                assert shift_date_text(piece, -offset) is not None
                n_dates += 1
        assert "".join(rebuilt + [doc["text"][cursor:]]) == result["text"]
    assert n_dates > 20


def test_workers_give_identical_output(cli_env, phi_input, serial_run):
    code, out, spans = run_text(cli_env, phi_input, "parallel", "--workers", "2")
    assert code == 0
    assert read_jsonl(out) == serial_run[1] and read_jsonl(spans) == serial_run[2]


def _bad_input(cli_env, docs) -> Path:
    good = [json.dumps(d, ensure_ascii=False) for d in docs[:3]]
    failing = dict(docs[3], text=f"{docs[3]['text']} {FAIL_MARK} {SECRET_NAME}")
    lines = [
        good[0],
        '{"id": "x1", "text": "Patient ' + SECRET_NAME + ', broken json',  # 2: not JSON
        json.dumps({"id": "x2", "patient_id": "1", "note": SECRET_NAME}),  # 3: no text
        json.dumps({"id": "x3", "patient_id": "1", "text": 12, "patient": SECRET_NAME}),  # 4: wrong types
        good[1],
        json.dumps(failing, ensure_ascii=False),  # 6: the detector raises, quoting the name
        json.dumps({"id": "x4", "text": SECRET_NAME, "patient": {"birth_date": "1939-13-45"}}),  # 7: bad date
        good[2],
    ]
    path = cli_env["folder"] / "bad.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("workers", ["1", "2"])
def test_malformed_and_failing_lines_are_skipped_without_phi(cli_env, docs, capfd, workers):
    code, out, spans = run_text(cli_env, _bad_input(cli_env, docs), f"bad{workers}", "--workers", workers)
    captured = capfd.readouterr()
    assert code == 3
    assert [o["id"] for o in read_jsonl(out)] == [docs[0]["id"], docs[1]["id"], docs[2]["id"]]
    for line_no in (2, 3, 4, 6, 7):
        assert f"line {line_no}:" in captured.err
    assert "line 6: document skipped (RuntimeError)" in captured.err
    assert not re.search(r"line [158]:", captured.err)
    for text in (captured.err, captured.out, out.read_text(encoding="utf-8"), spans.read_text(encoding="utf-8")):
        assert "Zéphyrine" not in text and "Quatremarre" not in text


def test_usage_errors_exit_2(cli_env, docs, phi_input, tmp_path, capfd):
    missing_key = tmp_path / "missing.key"
    assert main(["text", str(phi_input), str(tmp_path / "o.jsonl"), "--key", str(missing_key)]) == 2
    garbage = tmp_path / "garbage.key"
    garbage.write_text(f"not a key {SECRET_NAME}\n", encoding="utf-8")
    assert main(["text", str(phi_input), str(tmp_path / "o.jsonl"), "--key", str(garbage)]) == 2
    short = tmp_path / "short.key"
    short.write_text("00ff\n", encoding="ascii")
    assert main(["text", str(phi_input), str(tmp_path / "o.jsonl"), "--key", str(short)]) == 2
    key = str(cli_env["key"])
    assert main(["text", str(tmp_path / "nope.jsonl"), str(tmp_path / "o.jsonl"), "--key", key]) == 2
    assert main(["text", str(phi_input), str(tmp_path / "no" / "o.jsonl"), "--key", key]) == 2
    assert main(["text", str(phi_input), str(phi_input), "--key", key]) == 2
    assert main(["text", str(phi_input), str(tmp_path / "o.jsonl"), "--key", key, "--workers", "0"]) == 2
    bad_config = tmp_path / "bad.toml"
    bad_config.write_text('[replace]\nPERSON = "keep"\n', encoding="utf-8")
    assert main(["text", str(phi_input), str(tmp_path / "o.jsonl"), "--key", key, "--config", str(bad_config)]) == 2
    bad_config.write_text('[pipeline]\ndetectors = ["no_such_detector"]\n', encoding="utf-8")
    assert main(["text", str(phi_input), str(tmp_path / "o.jsonl"), "--key", key, "--config", str(bad_config)]) == 2
    with pytest.raises(SystemExit) as exit_info:
        main(["text", str(phi_input)])
    assert exit_info.value.code == 2
    assert not (tmp_path / "o.jsonl").exists()
    assert SECRET_NAME not in capfd.readouterr().err


def test_failure_exits_1_and_writes_nothing(cli_env, phi_input, tmp_path, capfd):
    config = tmp_path / "broken.toml"
    config.write_text('[pipeline]\ndetectors = ["test_broken"]\n', encoding="utf-8")
    out = tmp_path / "o.jsonl"
    assert main(["text", str(phi_input), str(out), "--key", str(cli_env["key"]), "--config", str(config)]) == 1
    err = capfd.readouterr().err
    assert "RuntimeError" in err and SECRET_NAME not in err
    assert list(tmp_path.iterdir()) == [config]


def test_keygen_then_text(tmp_path, cli_env, phi_input):
    key = tmp_path / "new.key"
    assert main(["keygen", str(key)]) == 0
    assert main(["keygen", str(key)]) == 2  # never overwritten
    code = main(["text", str(phi_input), str(tmp_path / "o.jsonl"), "--key", str(key),
                 "--config", str(cli_env["config"])])
    assert code == 0


@pytest.mark.slow
def test_default_pipeline_end_to_end(cli_env, phi_input, tmp_path):
    """The packaged pipeline (all detectors, spaCy) through `frdeid text` and `frdeid eval`."""
    from frdeid.text.config import load_config

    missing = set(load_config()["pipeline"]["detectors"]) - set(registry.names())
    if missing:
        pytest.skip(f"detectors not available yet: {sorted(missing)}")
    out, spans, metrics = tmp_path / "out.jsonl", tmp_path / "spans.jsonl", tmp_path / "metrics.json"
    assert main(["text", str(phi_input), str(out), "--key", str(cli_env["key"]), "--spans", str(spans),
                 "--workers", "2"]) == 0
    assert main(["eval", str(phi_input), str(spans), "--json", str(metrics)]) == 0
    result = json.loads(metrics.read_text())
    assert result["documents"] == len(read_jsonl(out)) and result["documents_without_prediction"] == 0
    assert result["ALL"]["char_recall_any"] >= 0.8
