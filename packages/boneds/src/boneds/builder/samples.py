"""Turns one planned study into WebDataset samples: de-identify the report and every image with
frdeid under one key (same patient pseudonym and date offset on both sides), screen and convert
the images, and write the study metadata. Runs in worker processes.

Nothing that leaves this module carries PHI except `StudyOutcome.rows` (source paths, for the
build report in PRIVATE).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pydicom

from frdeid.dicom import DicomDeidentifier
from frdeid.dicom.errors import DicomDeidError
from frdeid.keys import date_offset_days
from frdeid.patient import PatientIdentity
from frdeid.text.deidentify import TextDeidentifier, pseudonymize_patient_id

from .convert import ConversionError, convert_image
from .index import header_text
from .plan import StudyTask, report_row
from .shards import Sample

MAX_AGE = 90  # ages above are reported as 90 (HIPAA Safe Harbor groups them)


@dataclass(frozen=True)
class SampleSettings:
    """How images are converted and samples laid out."""

    image_size: int = 512
    jpeg_quality: int = 95
    layout: str = "study"  # "study": one sample per study; "image": one per image


@dataclass
class StudyOutcome:
    """The samples of one study (none when it was excluded), its manifest rows and its build-report rows."""

    samples: list[Sample] = field(default_factory=list)
    manifest: list[dict] = field(default_factory=list)
    rows: list[dict] = field(default_factory=list)


class StudyProcessor:
    """Holds the de-identifiers of one process (loading spaCy takes seconds: once per worker)."""

    def __init__(self, key: bytes, export: Path, settings: SampleSettings) -> None:
        self.key = key
        self.export = Path(export)
        self.settings = settings
        self.text = TextDeidentifier(key)
        self.dicom = DicomDeidentifier(key, text_deidentifier=self.text)

    def process(self, task: StudyTask) -> StudyOutcome:
        """The samples of one study, or the reasons it has none."""
        outcome = StudyOutcome()
        report_source = f"report:{task.report_id}"
        identity = _identity(task)
        try:
            text = self.text.deidentify(task.report_text, identity, task.patient_id).text
        except Exception as error:  # noqa: BLE001 - fail closed, the type name only
            reason = f"report de-identification failed ({type(error).__name__})"
            outcome.rows = [report_row(s, "dicom", "excluded", reason) for s in task.sources]
            outcome.rows.append(report_row(report_source, "report", "excluded", reason))
            return outcome
        patient_pseudonym = pseudonymize_patient_id(self.key, task.patient_id)
        offset = date_offset_days(self.key, task.patient_id)
        images: list[tuple[bytes, dict]] = []
        study_meta: dict | None = None
        for source in task.sources:
            status = self._image(source, patient_pseudonym, offset)
            if isinstance(status, str):
                outcome.rows.append(report_row(source, "dicom", "excluded", status))
                continue
            jpeg, image_meta, header = status
            images.append((jpeg, image_meta))
            outcome.rows.append(report_row(source, "dicom", "included"))
            if study_meta is None:
                study_meta = _study_meta(header, task, offset, identity)
        if not images:
            outcome.rows.append(report_row(report_source, "report", "excluded", "no image of the study left"))
            return outcome
        outcome.rows.append(report_row(report_source, "report", "included"))
        study_meta["images"] = [meta for _, meta in images]
        txt = text.encode("utf-8")
        if self.settings.layout == "study":
            fields = {"txt": txt, "json": _json(study_meta)}
            fields.update({f"{i}.jpg": jpeg for i, (jpeg, _) in enumerate(images)})
            outcome.samples.append(Sample(task.key, fields))
            outcome.manifest.append(_manifest(task.key, study_meta, len(images), task))
        else:
            for i, (jpeg, image_meta) in enumerate(images):
                meta = {k: v for k, v in study_meta.items() if k != "images"} | {"image": image_meta}
                key = f"{task.key}_{i}"
                outcome.samples.append(Sample(key, {"txt": txt, "json": _json(meta), "jpg": jpeg}))
                outcome.manifest.append(_manifest(key, study_meta, 1, task))
        return outcome

    def _image(self, source: str, patient_pseudonym: str, offset: int):
        """(jpeg, image metadata, de-identified header) or the reason the image is excluded."""
        try:
            ds = pydicom.dcmread(self.export / source)
        except Exception:  # noqa: BLE001 - fixed phrase, never the message (it quotes paths)
            return "failed to read"
        try:
            clean = self.dicom.deidentify_dataset(ds, patient_pseudonym=patient_pseudonym, date_offset=offset)
        except DicomDeidError as error:
            return f"{error.status}: {error.reason}"
        try:
            # frdeid never alters Pixel Data or the pixel module, and `ds` holds the pixels the
            # screening decoded: converting it spares a second decode.
            image = convert_image(ds, self.settings.image_size, self.settings.jpeg_quality)
        except ConversionError as error:
            return f"failed to convert: {error.reason}"
        meta = {
            "view_position": header_text(clean, "ViewPosition"),
            "laterality": header_text(clean, "ImageLaterality") or header_text(clean, "Laterality"),
            "pixel_spacing": _spacing(clean),
            "original_size": [image.original_rows, image.original_columns],
            "size": [image.height, image.width],
        }
        return image.jpeg, meta, clean


def _identity(task: StudyTask) -> PatientIdentity:
    born = task.patient.get("birth_date") or None
    try:
        birth = date.fromisoformat(str(born)) if born else None
    except ValueError:
        birth = None
    return PatientIdentity(first_names=tuple(str(task.patient.get("first_names") or "").split()),
                           last_name=str(task.patient.get("last_name") or ""), birth_date=birth,
                           patient_id=task.patient_id)


def _age_years(task: StudyTask, identity: PatientIdentity) -> float | None:
    if identity.birth_date is None or pd.isna(task.study_datetime):
        return None
    age = (task.study_datetime.date() - identity.birth_date).days / 365.25
    return round(min(max(age, 0.0), MAX_AGE), 2)


def _study_meta(header, task: StudyTask, offset: int, identity: PatientIdentity) -> dict:
    shifted = None
    if not pd.isna(task.study_datetime):
        shifted = (task.study_datetime.date() + timedelta(days=offset)).isoformat()
    sex = str(task.patient.get("sex") or "").strip().upper() or header_text(header, "PatientSex")
    return {
        "study_date": shifted,
        "age_years": _age_years(task, identity),
        "sex": sex if sex in ("M", "F", "O") else "",
        "body_part": header_text(header, "BodyPartExamined"),
        "modality": header_text(header, "Modality"),
    }


def _manifest(key: str, meta: dict, images: int, task: StudyTask) -> dict:
    return {"key": key, "patient": key.split("_", 1)[0], "images": images, "body_part": meta["body_part"],
            "modality": meta["modality"], "split_bucket": task.split_bucket}


def _spacing(ds) -> list[float] | None:
    for keyword in ("PixelSpacing", "ImagerPixelSpacing"):
        value = ds.get(keyword)
        if value is not None and len(value) == 2:
            try:
                return [float(value[0]), float(value[1])]
            except (TypeError, ValueError):
                continue
    return None


def _json(meta: dict) -> bytes:
    return json.dumps(meta, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")

