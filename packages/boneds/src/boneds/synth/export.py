"""`boneds synth`: writes a complete synthetic PACS + EHR export with its ground truth.

Layout of OUT:
  dicom/...            nested PACS tree (see `layout.py`), with a few broken files
  reports.csv          EHR documents: report_id, patient_id, accession_number, datetime, kind, text
  patients.csv         patient_id, first_names, last_name, birth_date, sex
  truth/phi.jsonl      PHI spans of every document (never read by the pipeline)
  truth/studies.csv    each study's findings and the report it truly pairs with
  truth/images.csv     each radiograph's file, view and encoding
  truth/burned_in.csv  files whose pixels show identifying text
  truth/bad_files.csv  files that are not readable DICOM

Patients are produced independently (one random stream each) and in parallel; the same
arguments always give the same bytes, whatever the number of workers.
"""

from __future__ import annotations

import csv
import json
import os
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
from pydicom.uid import UID
from tqdm import tqdm

from .dicom_file import write_document_image, write_radiograph
from .dicom_header import study_description, study_uids
from .documents import document_lines
from .layout import image_file, patient_folder, series_folder, study_folder
from .model import AnnotatedText, DocumentPlan, StudyPlan
from .planner import HospitalStaff, PatientPlan, patient_seed, plan_patient, plan_staff
from .population import Population
from .radiograph import render_document, render_radiograph
from .reports import write_document

BURNED_IN_SHARE = 0.03
REPORT_COLUMNS = ("report_id", "patient_id", "accession_number", "datetime", "kind", "text")
PATIENT_COLUMNS = ("patient_id", "first_names", "last_name", "birth_date", "sex")
STUDY_COLUMNS = ("study_uid", "patient_id", "accession_number", "study_datetime", "body_part", "laterality",
                 "findings", "kl_grade", "age", "sex", "n_images", "report_id", "burned_in_document")
IMAGE_COLUMNS = ("path", "study_uid", "view", "modality", "transfer_syntax", "photometric", "bits_stored",
                 "rows", "columns")


@dataclass
class PatientOutput:
    """What one worker produced for one patient (rows for the CSV files)."""

    index: int
    documents: list[tuple[DocumentPlan, AnnotatedText]]
    study_rows: list[dict]
    image_rows: list[dict]
    burned_in: list[str]
    files: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ExportSummary:
    """Counts of what an export holds, and where."""

    out: Path
    patients: int
    studies: int
    images: int
    documents: int
    reports_with_study: int
    burned_in: int
    bad_files: int
    seconds: float

    def lines(self) -> list[str]:
        """Human-readable summary lines."""
        return [
            f"patients: {self.patients}",
            f"studies: {self.studies} ({self.images} radiographs)",
            f"documents: {self.documents} ({self.reports_with_study} radiology reports of exported studies)",
            f"burned-in documents: {self.burned_in}, broken files: {self.bad_files}",
            f"written in {self.seconds:.1f} s to {self.out}",
        ]


def generate_export(out: Path, patients: int, seed: int, image_size: int = 1024, workers: int | None = None,
                    progress: bool = True) -> ExportSummary:
    """Write a synthetic export of `patients` patients to `out` (which must be absent or empty)."""
    start = time.perf_counter()
    out = Path(out)
    if out.exists() and any(out.iterdir()):
        raise FileExistsError(f"output folder is not empty: {out}")
    (out / "dicom").mkdir(parents=True, exist_ok=True)
    (out / "truth").mkdir(exist_ok=True)

    plans = plan_export(seed, patients)
    jobs = [(seed, i, plan, image_size, str(out)) for i, plan in enumerate(plans)]
    workers = max(1, min(workers or os.cpu_count() or 1, len(jobs) or 1))
    results: list[PatientOutput] = []
    bar = tqdm(total=len(jobs), desc="synth patients", unit="patient", disable=not progress)
    if workers == 1:
        for job in jobs:
            results.append(_produce_patient(job))
            bar.update()
    else:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            for result in pool.map(_produce_patient, jobs, chunksize=1):
                results.append(result)
                bar.update()
    bar.close()

    bad = _write_bad_files(out, results, seed)
    _write_tables(out, plans, results, bad)
    summary = {"patients": len(plans), **export_summary_counts(out), "burned_in": sum(len(r.burned_in) for r in results),
               "bad_files": len(bad), "seed": seed, "image_size": image_size}
    (out / "truth" / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return ExportSummary(
        out=out,
        patients=len(plans),
        studies=sum(len(p.studies) for p in plans),
        images=sum(len(r.image_rows) for r in results),
        documents=sum(len(r.documents) for r in results),
        reports_with_study=sum(1 for p in plans for d in p.documents if d.study is not None),
        burned_in=sum(len(r.burned_in) for r in results),
        bad_files=len(bad),
        seconds=time.perf_counter() - start,
    )


def plan_export(seed: int, patients: int) -> list[PatientPlan]:
    """Plan every patient, then hide burned-in documents in about 3% of the studies (at least one)."""
    staff: HospitalStaff = plan_staff(seed)
    rng = np.random.default_rng([seed, 1])
    ids = rng.choice(9_000_000, size=patients, replace=False) + 1_000_000
    bases = rng.choice(9_000_000, size=patients, replace=False) + 1_000_000
    plans = [plan_patient(seed, i, f"{int(ids[i]):08d}", int(bases[i]), staff) for i in range(patients)]
    studies = [(i, s.study_number) for i, p in enumerate(plans) for s in p.studies]
    if not studies:
        return plans
    count = max(1, round(BURNED_IN_SHARE * len(studies)))
    chosen = rng.choice(len(studies), size=count, replace=False)
    for k, pick in enumerate(sorted(int(c) for c in chosen)):
        i, number = studies[pick]
        kind = "dose_report" if k % 2 == 0 else "request_form"
        flag = ("YES", "", "YES", "NO")[k % 4]  # half carry no flag or a wrong NO
        plans[i] = _with_document(plans[i], number, kind, flag)
    return plans


def _with_document(plan: PatientPlan, number: int, kind: str, flag: str) -> PatientPlan:
    """The same patient plan with a burned-in document added to study `number`."""
    new = {s.study_number: (replace(s, burned_in_document=kind, burned_in_flag=flag) if s.study_number == number else s)
           for s in plan.studies}
    documents = tuple(replace(d, study=new[d.study.study_number]) if d.study is not None else d for d in plan.documents)
    return PatientPlan(plan.patient, tuple(new.values()), documents)


def _image_rng(seed: int, index: int, study: StudyPlan, k: int) -> np.random.Generator:
    return np.random.default_rng([seed, index, study.study_number, k])


def _produce_patient(job: tuple[int, int, PatientPlan, int, str]) -> PatientOutput:
    """Render, encode and write one patient's files; write their documents' text."""
    seed, index, plan, image_size, out_dir = job
    out = Path(out_dir)
    result = PatientOutput(index, [], [], [], [])
    folder = patient_folder(plan.patient)
    for study in plan.studies:
        rng = _image_rng(seed, index, study, 1000)
        uids = study_uids(study, rng)
        study_dir = Path("dicom") / folder / study_folder(study, study_description(study, rng))
        extension = str(rng.choice([".dcm", ".dcm", ".dcm", "", ".DCM"]))
        for k, image in enumerate(study.images):
            image_rng = _image_rng(seed, index, study, k)
            rendered = render_radiograph(study.body_part, image.view, study.laterality, study.findings,
                                         study.age_years, study.patient.person.sex, image_size, image.marker,
                                         image_rng)
            series = 1 if study.modality == "DX" else k + 1
            instance = k + 1 if study.modality == "DX" else 1
            rel = study_dir / series_folder(series) / image_file(instance, extension)
            syntax = write_radiograph(out / rel, study, image, k, uids, rendered.density, rendered.masks["field"],
                                      rendered.pixel_spacing_mm, image_rng)
            enc = image.encoding
            result.image_rows.append({
                "path": rel.as_posix(), "study_uid": uids.study, "view": image.view, "modality": study.modality,
                "transfer_syntax": syntax, "photometric": enc.photometric,
                "bits_stored": enc.bits_stored, "rows": rendered.density.shape[0],
                "columns": rendered.density.shape[1],
            })
            result.files.append(rel.as_posix())
        if study.burned_in_document:
            doc_rng = _image_rng(seed, index, study, 999)
            page = render_document(document_lines(study, doc_rng), image_size, doc_rng)
            rel = study_dir / series_folder(999) / image_file(1, extension)
            write_document_image(out / rel, study, uids, page, doc_rng)
            result.burned_in.append(rel.as_posix())
            result.files.append(rel.as_posix())
        result.study_rows.append(_study_row(study, uids.study, plan))

    writer_pop = Population(patient_seed(seed, index) ^ 0x5EED)
    for doc in plan.documents:
        result.documents.append((doc, write_document(doc, writer_pop)))
    return result


def _study_row(study: StudyPlan, study_uid: str, plan: PatientPlan) -> dict:
    report_ids = [d.report_id for d in plan.documents if d.study is not None and d.study.study_number == study.study_number]
    return {
        "study_uid": study_uid,
        "patient_id": study.patient.patient_id,
        "accession_number": study.accession_number,
        "study_datetime": study.started.isoformat(sep=" "),
        "body_part": study.body_part,
        "laterality": study.laterality,
        "findings": "|".join(study.findings.labels()),
        "kl_grade": "" if study.findings.kl_grade is None else study.findings.kl_grade,
        "age": f"{study.age_years:.2f}",
        "sex": study.patient.person.sex,
        "n_images": len(study.images),
        "report_id": report_ids[0] if report_ids else "",
        "burned_in_document": study.burned_in_document,
    }


def _write_bad_files(out: Path, results: list[PatientOutput], seed: int) -> list[str]:
    """Three broken files beside real ones: a text file, an empty file and a truncated DICOM."""
    written = sorted(f for r in results for f in r.files if f not in r.burned_in)
    if not written:
        return []
    rng = np.random.default_rng([seed, 2])
    picks = [written[int(i)] for i in rng.choice(len(written), size=3, replace=len(written) < 3)]
    bad: list[str] = []
    text_path = Path(picks[0]).parent / "IM09998.dcm"
    (out / text_path).write_text("Export interrompu - fichier de log PACS\nerreur 0x0042\n", encoding="utf-8")
    bad.append(text_path.as_posix())
    empty_path = Path(picks[1]).parent / "IM09999.dcm"
    (out / empty_path).write_bytes(b"")
    bad.append(empty_path.as_posix())
    source = (out / picks[2]).read_bytes()
    cut_path = Path(picks[2]).parent / "IM09997.dcm"
    (out / cut_path).write_bytes(source[: max(200, len(source) // 3)])
    bad.append(cut_path.as_posix())
    return sorted(bad)


def _write_csv(path: Path, columns: tuple[str, ...], rows: list[dict]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def _write_tables(out: Path, plans: list[PatientPlan], results: list[PatientOutput], bad: list[str]) -> None:
    results = sorted(results, key=lambda r: r.index)
    report_rows, phi_lines = [], []
    for result in results:
        for doc, annotated in result.documents:
            report_rows.append({
                "report_id": doc.report_id,
                "patient_id": doc.patient.patient_id,
                "accession_number": doc.accession_in_export,
                "datetime": doc.written.strftime("%Y-%m-%d %H:%M:%S"),
                "kind": doc.kind,
                "text": annotated.text,
            })
            person = doc.patient.person
            phi_lines.append(json.dumps({
                "id": doc.report_id,
                "patient_id": doc.patient.patient_id,
                "text": annotated.text,
                "patient": {
                    "first_names": " ".join(person.first_names),
                    "last_name": person.last_name,
                    "birth_date": doc.patient.birth_date.isoformat(),
                    "patient_id": doc.patient.patient_id,
                },
                "spans": [{"start": s.start, "end": s.end, "label": s.label} for s in annotated.spans],
            }, ensure_ascii=False))
    _write_csv(out / "reports.csv", REPORT_COLUMNS, report_rows)
    _write_csv(out / "patients.csv", PATIENT_COLUMNS, [
        {"patient_id": p.patient.patient_id, "first_names": " ".join(p.patient.person.first_names),
         "last_name": p.patient.person.last_name, "birth_date": p.patient.birth_date.isoformat(),
         "sex": p.patient.person.sex}
        for p in plans
    ])
    (out / "truth" / "phi.jsonl").write_text("".join(line + "\n" for line in phi_lines), encoding="utf-8")
    _write_csv(out / "truth" / "studies.csv", STUDY_COLUMNS, [row for r in results for row in r.study_rows])
    _write_csv(out / "truth" / "images.csv", IMAGE_COLUMNS, [row for r in results for row in r.image_rows])
    _write_csv(out / "truth" / "burned_in.csv", ("path",), [{"path": p} for r in results for p in sorted(r.burned_in)])
    _write_csv(out / "truth" / "bad_files.csv", ("path",), [{"path": p} for p in bad])


def export_summary_counts(out: Path) -> dict:
    """Counts by body part, finding, transfer syntax, document kind and PHI label, from an export's
    tables and truth (written to truth/summary.json)."""
    with (out / "truth" / "studies.csv").open(encoding="utf-8") as handle:
        studies = list(csv.DictReader(handle))
    with (out / "truth" / "images.csv").open(encoding="utf-8") as handle:
        images = list(csv.DictReader(handle))
    with (out / "reports.csv").open(encoding="utf-8") as handle:
        reports = list(csv.DictReader(handle))
    labels: dict[str, int] = {}
    for line in (out / "truth" / "phi.jsonl").read_text(encoding="utf-8").splitlines():
        for span in json.loads(line)["spans"]:
            labels[span["label"]] = labels.get(span["label"], 0) + 1

    def count(rows: list[dict], key: str, split: str | None = None) -> dict[str, int]:
        result: dict[str, int] = {}
        for row in rows:
            for value in (row[key].split(split) if split else [row[key]]):
                value = value.split(":")[0] if key == "findings" else value
                result[value] = result.get(value, 0) + 1
        return dict(sorted(result.items()))

    return {
        "studies": len(studies),
        "radiographs": len(images),
        "documents": len(reports),
        "studies_with_report": sum(1 for s in studies if s["report_id"]),
        "body_parts": count(studies, "body_part"),
        "findings": count(studies, "findings", "|"),
        "transfer_syntaxes": {UID(uid).name: n for uid, n in count(images, "transfer_syntax").items()},
        "photometric": count(images, "photometric"),
        "document_kinds": count(reports, "kind"),
        "phi_spans": dict(sorted(labels.items())),
    }
