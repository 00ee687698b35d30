"""`boneds synth`: a deterministic, realistic and fully documented synthetic hospital export."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from pathlib import Path

import numpy as np
import pydicom
import pydicom.errors
import pytest

from boneds.cli import main as boneds_main
from boneds.synth.export import _image_rng, generate_export, plan_export
from boneds.synth.model import PHI_LABELS
from boneds.synth.radiograph import render_radiograph
from boneds.synth.reports import stated_findings
from conftest import SMALL_EXPORT
from helpers import display, read_csv


def _tree_digest(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def _dicom_files(export: Path) -> list[Path]:
    return sorted(p for p in (export / "dicom").rglob("*") if p.is_file())


def test_same_arguments_give_identical_files_whatever_the_worker_count(small_export, tmp_path):
    again = tmp_path / "again"
    generate_export(again, SMALL_EXPORT["patients"], SMALL_EXPORT["seed"], SMALL_EXPORT["image_size"],
                    workers=1, progress=False)
    assert _tree_digest(again) == _tree_digest(small_export)


def test_another_seed_gives_another_export(small_export, tmp_path):
    other = tmp_path / "other"
    generate_export(other, 2, SMALL_EXPORT["seed"] + 1, 128, workers=1, progress=False)
    assert read_csv(other / "patients.csv")[0] not in read_csv(small_export / "patients.csv")


def test_every_dicom_reads_and_decodes_except_the_broken_ones(small_export):
    bad = {row["path"] for row in read_csv(small_export / "truth" / "bad_files.csv")}
    assert len(bad) == 3
    syntaxes, photometric = Counter(), Counter()
    for path in _dicom_files(small_export):
        rel = path.relative_to(small_export).as_posix()
        if rel in bad:
            with pytest.raises((pydicom.errors.InvalidDicomError, ValueError, EOFError, OSError)):
                pydicom.dcmread(path).pixel_array  # noqa: B018
            continue
        ds = pydicom.dcmread(path)
        assert ds.pixel_array.shape == (ds.Rows, ds.Columns)
        syntaxes[ds.file_meta.TransferSyntaxUID] += 1
        photometric[ds.PhotometricInterpretation] += 1
    assert set(photometric) == {"MONOCHROME1", "MONOCHROME2"}
    assert len(syntaxes) >= 3


def test_headers_carry_phi_as_a_pacs_writes_it(small_export):
    patients = {row["patient_id"]: row for row in read_csv(small_export / "patients.csv")}
    images = read_csv(small_export / "truth" / "images.csv")
    ds = pydicom.dcmread(small_export / images[0]["path"])
    patient = patients[ds.PatientID]
    assert str(ds.PatientName).startswith(patient["last_name"].upper())
    assert ds.PatientBirthDate == patient["birth_date"].replace("-", "")
    for keyword in ("AccessionNumber", "InstitutionName", "InstitutionAddress", "ReferringPhysicianName",
                    "OperatorsName", "StationName", "DeviceSerialNumber", "StudyDescription", "SeriesDescription",
                    "ProtocolName", "BodyPartExamined", "FrameOfReferenceUID", "OtherPatientIDsSequence",
                    "RequestAttributesSequence", "AcquisitionDateTime"):
        assert keyword in ds, keyword
    private = [e for e in ds.iterall() if e.tag.is_private and e.VR in ("LO", "PN")]
    assert any(patient["last_name"].upper() in str(e.value).upper() for e in private)
    assert ds.OtherPatientIDsSequence[0].PatientID  # a nested sequence holding the national number


def test_reports_and_truth_agree_and_spans_are_exact(small_export):
    reports = {row["report_id"]: row for row in read_csv(small_export / "reports.csv")}
    lines = [json.loads(line) for line in (small_export / "truth" / "phi.jsonl").read_text("utf-8").splitlines()]
    assert [d["id"] for d in lines] == list(reports)
    labels = Counter()
    for doc in lines:
        text = doc["text"]
        assert text == reports[doc["id"]]["text"]
        assert doc["patient_id"] == reports[doc["id"]]["patient_id"] == doc["patient"]["patient_id"]
        previous_end = 0
        for span in doc["spans"]:
            value = text[span["start"]:span["end"]]
            assert span["start"] >= previous_end and value and value == value.strip()
            assert span["label"] in PHI_LABELS
            labels[span["label"]] += 1
            previous_end = span["end"]
    assert set(labels) == set(PHI_LABELS)


def test_tables_link_up(small_export):
    patients = {row["patient_id"] for row in read_csv(small_export / "patients.csv")}
    reports = {row["report_id"]: row for row in read_csv(small_export / "reports.csv")}
    studies = read_csv(small_export / "truth" / "studies.csv")
    assert {row["patient_id"] for row in reports.values()} <= patients
    assert {row["patient_id"] for row in studies} == patients
    for study in studies:
        if study["report_id"]:
            report = reports[study["report_id"]]
            assert report["kind"] == "radiologie" and report["patient_id"] == study["patient_id"]
            assert report["accession_number"] in ("", study["accession_number"])
    burned = read_csv(small_export / "truth" / "burned_in.csv")
    assert burned and all((small_export / row["path"]).is_file() for row in burned)
    images = read_csv(small_export / "truth" / "images.csv")
    assert sum(int(s["n_images"]) for s in studies) == len(images)


def test_pairing_is_as_hard_as_in_real_life():
    plans = plan_export(0, 100)
    studies = [s for p in plans for s in p.studies]
    reports = [d for p in plans for d in p.documents if d.kind == "radiologie"]
    same_day = Counter((s.patient.patient_id, s.started.date()) for s in studies)
    assert any(n >= 2 for n in same_day.values())
    assert any(d.study is not None and d.written.date() > d.study.started.date() for d in reports)
    assert any(d.study is None for d in reports)  # reports without a study in the export
    reported = {id(d.study) for d in reports if d.study is not None}
    assert any(id(s) not in reported for s in studies)  # studies without a report
    assert 0.3 < sum(1 for d in reports if not d.accession_in_export) / len(reports) < 0.9
    assert {d.kind for p in plans for d in p.documents} == {"radiologie", "consultation", "protocole opératoire",
                                                            "hospitalisation"}


def _written_images(export: Path):
    """(study plan, image index, written dataset, rendering) for every radiograph, in write order."""
    plans = plan_export(SMALL_EXPORT["seed"], SMALL_EXPORT["patients"])
    rows = iter(read_csv(export / "truth" / "images.csv"))
    for index, plan in enumerate(plans):
        for study in plan.studies:
            for k, image in enumerate(study.images):
                row = next(rows)
                rendered = render_radiograph(study.body_part, image.view, study.laterality, study.findings,
                                             study.age_years, study.patient.person.sex, SMALL_EXPORT["image_size"],
                                             image.marker, _image_rng(SMALL_EXPORT["seed"], index, study, k))
                yield study, k, pydicom.dcmread(export / row["path"]), rendered


def _ring(mask: np.ndarray, width: int = 4) -> np.ndarray:
    grown = mask.copy()
    for _ in range(width):
        grown[1:] |= grown[:-1]
        grown[:-1] |= grown[1:]
        grown[:, 1:] |= grown[:, :-1]
        grown[:, :-1] |= grown[:, 1:]
    return grown & ~mask


def test_drawn_findings_are_visible_in_the_written_pixels(small_export):
    """Decode every written radiograph and measure each finding against its surroundings."""
    checked = Counter()
    for study, _, ds, rendered in _written_images(small_export):
        shown = display(ds)
        shown = (shown - shown.min()) / max(np.ptp(shown), 1e-9)
        masks = rendered.masks
        bone = masks["bone"]
        if study.findings.fracture is not None and masks["fracture"].any():
            ring = _ring(masks["fracture"]) & bone & ~masks["fracture"] & ~masks["metal"]
            if ring.sum() > 10:
                assert shown[masks["fracture"]].mean() < shown[ring].mean() - 0.03
                checked["fracture"] += 1
        if study.findings.osteosynthesis or study.findings.prosthesis:
            metal = masks["metal"]
            assert metal.any()
            assert shown[metal].mean() > np.percentile(shown[bone & ~metal], 95)
            checked["metal"] += 1
        if masks["marker"].any():
            assert shown[masks["marker"]].mean() > np.percentile(shown[masks["field"]], 90)
            checked["marker"] += 1
    assert checked["fracture"] >= 2 and checked["marker"] >= 10


def test_findings_are_stated_in_the_paired_report(small_export):
    reports = {row["report_id"]: row["text"] for row in read_csv(small_export / "reports.csv")}
    paired = 0
    for study in read_csv(small_export / "truth" / "studies.csv"):
        if not study["report_id"]:
            continue
        stated = stated_findings(reports[study["report_id"]])
        labels = study["findings"].split("|")
        kinds = {label.split(":")[0] for label in labels}
        for kind in kinds - {"kl"}:
            assert kind in stated, (kind, study["report_id"])
        if "kl" in kinds:
            assert "kl" in stated
        for label in labels:
            if label.startswith("fracture:"):
                assert label.split(":")[2] in stated
        paired += 1
    assert paired >= 10


def test_cli_refuses_a_non_empty_output_folder(tmp_path, capsys):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "keep.txt").write_text("x")
    assert boneds_main(["synth", str(tmp_path / "out"), "--patients", "1", "--quiet"]) == 2
    assert (tmp_path / "out" / "keep.txt").read_text() == "x"


def test_uids_are_unique_consistent_and_match_the_truth(small_export):
    seen = set()
    for row in read_csv(small_export / "truth" / "images.csv"):
        ds = pydicom.dcmread(small_export / row["path"], stop_before_pixels=True)
        assert ds.file_meta.MediaStorageSOPInstanceUID == ds.SOPInstanceUID
        assert ds.StudyInstanceUID == row["study_uid"]
        assert ds.SOPInstanceUID not in seen
        seen.add(ds.SOPInstanceUID)
