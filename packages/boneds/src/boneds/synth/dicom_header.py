"""Builds the header of a synthetic radiograph or burned-in document: realistic and full of PHI
(names, IDs, dates, institution, physicians, devices, French descriptions, private elements and
nested sequences), as a hospital PACS writes it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache
from importlib import resources

import numpy as np
import tomllib
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import PYDICOM_IMPLEMENTATION_UID

from .anatomy import body_part
from .model import ImagePlan, Person, StudyPlan

CR_STORAGE = "1.2.840.10008.5.1.4.1.1.1"
DX_STORAGE = "1.2.840.10008.5.1.4.1.1.1.1"  # Digital X-Ray Image Storage - For Presentation
SC_STORAGE = "1.2.840.10008.5.1.4.1.1.7"  # Secondary Capture Image Storage
PRIVATE_CREATOR = "SYNTHPACS 1.0"


@cache
def terms() -> dict:
    """The DICOM terms table (`data/dicom_terms.toml`)."""
    return tomllib.loads(resources.files("boneds.synth").joinpath("data/dicom_terms.toml").read_text("utf-8"))


def make_uid(rng: np.random.Generator) -> str:
    """A random UID under the 2.25 root (a 128-bit number, as ISO/IEC 9834-8 allows)."""
    value = int.from_bytes(rng.bytes(16), "big")
    return f"2.25.{value}"


@dataclass(frozen=True)
class StudyUids:
    """The UIDs of one study: the study, its series, its instances and frames of reference."""

    study: str
    series: tuple[str, ...]  # one per image for CR, one shared for DX
    instances: tuple[str, ...]
    frame_of_reference: tuple[str, ...]
    document_series: str
    document_instance: str


def study_uids(study: StudyPlan, rng: np.random.Generator) -> StudyUids:
    """Draw every UID of a study."""
    n = len(study.images)
    if study.modality == "DX":
        one = make_uid(rng)
        series = (one,) * n
        frames = (make_uid(rng),) * n
    else:
        series = tuple(make_uid(rng) for _ in range(n))
        frames = tuple(make_uid(rng) for _ in range(n))
    return StudyUids(make_uid(rng), series, tuple(make_uid(rng) for _ in range(n)), frames,
                     make_uid(rng), make_uid(rng))


def dicom_person_name(person: Person) -> str:
    """`LAST^First Middle` as PACS store names."""
    return f"{person.last_name.upper()}^{' '.join(person.first_names)}"


def dicom_date(moment: datetime) -> str:
    """DA value."""
    return f"{moment:%Y%m%d}"


def dicom_time(moment: datetime) -> str:
    """TM value with fractional seconds."""
    return f"{moment:%H%M%S}.{moment.microsecond // 1000:03d}000"


def dicom_age(study: StudyPlan) -> str:
    """Patient's Age (AS): months under two years, years after."""
    years = study.age_years
    return f"{int(years * 12):03d}M" if years < 2 else f"{int(years):03d}Y"


def _pick(rng: np.random.Generator, items):
    return items[int(rng.integers(0, len(items)))]


def study_description(study: StudyPlan, rng: np.random.Generator) -> str:
    """French study description, e.g. `RX POIGNET GAUCHE` or `Genou D F+P`."""
    info = body_part(study.body_part)
    side = _pick(rng, terms()["side_fr"][study.laterality]) if study.laterality else ""
    style = int(rng.integers(0, 3))
    if style == 0:
        return f"RX {info.label_fr.upper()} {side.upper()}".strip()
    if style == 1:
        return f"{info.label_fr.capitalize()} {side} F+P".replace("  ", " ")
    return f"RADIOGRAPHIE {info.label_fr.upper()}{' ' + side.upper() if side else ''}"


def base_dataset(study: StudyPlan, uids: StudyUids, rng: np.random.Generator) -> Dataset:
    """Patient, study and equipment attributes shared by every file of a study."""
    patient = study.patient
    ds = Dataset()
    ds.SpecificCharacterSet = "ISO_IR 100"
    ds.PatientName = dicom_person_name(patient.person)
    ds.PatientID = patient.patient_id
    ds.IssuerOfPatientID = study.institution.name[:64]
    ds.PatientBirthDate = f"{patient.birth_date:%Y%m%d}"
    ds.PatientSex = patient.person.sex
    ds.PatientAge = dicom_age(study)
    if rng.random() < 0.4:
        weight = rng.normal(70, 14) if study.age_years >= 16 else 4 + 3 * study.age_years
        ds.PatientWeight = f"{float(np.clip(weight, 3, 140)):.0f}"
    if rng.random() < 0.5:
        ds.PatientAddress = study.patient.address.one_line()[:64]
    if rng.random() < 0.5:
        phone = patient.phone if len(patient.phone) <= 16 else patient.phone.replace(" ", "")
        ds.PatientTelephoneNumbers = phone[:16]  # SH: 16 characters at most
    other = Dataset()
    other.PatientID = patient.niss
    other.IssuerOfPatientID = "RN"
    other.TypeOfPatientID = "TEXT"
    ds.OtherPatientIDsSequence = [other]

    ds.StudyInstanceUID = uids.study
    ds.StudyDate = dicom_date(study.started)
    ds.StudyTime = dicom_time(study.started)
    ds.StudyID = study.accession_number[-8:]
    ds.AccessionNumber = study.accession_number
    ds.StudyDescription = study_description(study, rng)
    ds.ReferringPhysicianName = dicom_person_name(study.referring_physician.person)
    ds.InstitutionName = study.institution.name
    ds.InstitutionAddress = study.institution.address.one_line()
    ds.InstitutionalDepartmentName = "Imagerie médicale"
    ds.StationName = study.station_name
    ds.OperatorsName = dicom_person_name(study.operator)
    maker, model_name, software = _pick(rng, terms()["manufacturers"][study.modality])
    ds.Manufacturer = maker
    ds.ManufacturerModelName = model_name
    ds.SoftwareVersions = software
    ds.DeviceSerialNumber = study.device_serial

    request = Dataset()
    request.RequestedProcedureID = study.accession_number
    request.ScheduledProcedureStepID = f"SPS{study.accession_number}"
    request.RequestedProcedureDescription = ds.StudyDescription
    request.ReasonForTheRequestedProcedure = _pick(rng, terms()["request_reason"][study.clinical_info])
    ds.RequestAttributesSequence = [request]
    ds.RequestingPhysician = ds.ReferringPhysicianName
    ds.PerformedProcedureStepStartDate = ds.StudyDate
    ds.PerformedProcedureStepStartTime = ds.StudyTime
    ds.PerformedProcedureStepID = f"PPS{study.accession_number}"

    # A private block holding identity, as many PACS vendors keep one.
    block = ds.private_block(0x0009, PRIVATE_CREATOR, create=True)
    block.add_new(0x10, "LO", f"{patient.person.last_name.upper()} {patient.person.first_name}")
    block.add_new(0x11, "LO", patient.patient_id)
    item = Dataset()
    item.PatientBirthDate = ds.PatientBirthDate
    item.PatientName = ds.PatientName
    block.add_new(0x12, "SQ", [item])
    return ds


def image_dataset(study: StudyPlan, image: ImagePlan, index: int, uids: StudyUids,
                  pixel_spacing_mm: float, rng: np.random.Generator) -> Dataset:
    """The full header of one radiograph (pixel attributes excluded)."""
    ds = base_dataset(study, uids, rng)
    sop_class = DX_STORAGE if study.modality == "DX" else CR_STORAGE
    ds.SOPClassUID = sop_class
    ds.SOPInstanceUID = uids.instances[index]
    ds.Modality = study.modality
    ds.ImageType = ["ORIGINAL", "PRIMARY", ""] if study.modality == "DX" else ["ORIGINAL", "PRIMARY"]
    ds.SeriesInstanceUID = uids.series[index]
    ds.FrameOfReferenceUID = uids.frame_of_reference[index]
    ds.SeriesNumber = 1 if study.modality == "DX" else index + 1
    ds.InstanceNumber = index + 1 if study.modality == "DX" else 1
    ds.SeriesDate = ds.ContentDate = ds.AcquisitionDate = dicom_date(image.acquired)
    ds.SeriesTime = ds.ContentTime = ds.AcquisitionTime = dicom_time(image.acquired)
    ds.AcquisitionDateTime = f"{image.acquired:%Y%m%d%H%M%S}.000000"
    info = body_part(study.body_part)
    view_fr = _pick(rng, terms()["view_fr"][image.view])
    side = _pick(rng, terms()["side_fr"][study.laterality]) if study.laterality else ""
    ds.SeriesDescription = f"{info.label_fr} {view_fr}".upper() if rng.random() < 0.5 else f"{info.label_fr.capitalize()} {view_fr}"
    ds.ProtocolName = f"{info.label_fr} {side}".upper().strip()
    ds.BodyPartExamined = terms()["body_part_examined"][study.body_part]
    ds.ViewPosition = _view_position(study, image, rng)
    ds.ImageLaterality = study.laterality or "U"
    if study.laterality:
        ds.Laterality = study.laterality
    ds.PatientOrientation = ["A", "F"] if image.view == "lateral" else ["L" if study.laterality != "L" else "R", "F"]
    ds.ImagerPixelSpacing = [f"{pixel_spacing_mm:.4f}", f"{pixel_spacing_mm:.4f}"]
    if study.modality == "DX":
        ds.PixelSpacing = ds.ImagerPixelSpacing
        ds.PresentationIntentType = "FOR PRESENTATION"
    ds.KVP = f"{int(rng.integers(50, 85))}"
    ds.ExposureTime = f"{int(rng.integers(5, 60))}"
    ds.XRayTubeCurrent = f"{int(rng.integers(100, 500))}"
    ds.DistanceSourceToDetector = "1150"
    if rng.random() < 0.7:
        ds.BurnedInAnnotation = "NO"
    if rng.random() < 0.3:
        ds.ImageComments = f"Technicien: {study.operator.first_name} {study.operator.last_name[:1]}."
    return ds


def _view_position(study: StudyPlan, image: ImagePlan, rng: np.random.Generator) -> str:
    if rng.random() < 0.08:
        return ""
    side = study.laterality or "R"
    if image.view == "frontal":
        return "PA" if study.body_part in ("hand", "wrist", "forearm") else "AP"
    if image.view == "lateral":
        return _pick(rng, (f"{side}L", "LAT", f"{side}L"))
    return _pick(rng, (f"{side}LO", "OBL"))


def document_dataset(study: StudyPlan, uids: StudyUids, rng: np.random.Generator) -> Dataset:
    """The header of a burned-in secondary capture (dose report or scanned request form).

    Half of them carry a header clue (Secondary Capture SOP class, DERIVED/SECONDARY image type,
    Conversion Type); the others pose as an ordinary radiograph of the study.
    """
    ds = base_dataset(study, uids, rng)
    disguised = rng.random() < 0.4
    if disguised:
        ds.SOPClassUID = DX_STORAGE if study.modality == "DX" else CR_STORAGE
        ds.ImageType = ["ORIGINAL", "PRIMARY"]
        ds.Modality = study.modality
        ds.SeriesDescription = ""
    else:
        ds.SOPClassUID = SC_STORAGE
        ds.ImageType = ["DERIVED", "SECONDARY"]
        ds.Modality = "OT"
        ds.ConversionType = "WSD" if study.burned_in_document == "dose_report" else "SD"
        ds.SeriesDescription = "Rapport de dose" if study.burned_in_document == "dose_report" else "Document scanné"
    ds.SOPInstanceUID = uids.document_instance
    ds.SeriesInstanceUID = uids.document_series
    ds.SeriesNumber = 999
    ds.InstanceNumber = 1
    ds.SeriesDate = ds.ContentDate = ds.StudyDate
    ds.SeriesTime = ds.ContentTime = ds.StudyTime
    ds.BodyPartExamined = terms()["body_part_examined"][study.body_part]
    if study.burned_in_flag:
        ds.BurnedInAnnotation = study.burned_in_flag
    return ds


def file_meta(ds: Dataset, transfer_syntax: str) -> FileMetaDataset:
    """File Meta Information for a dataset about to be saved."""
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = ds.SOPClassUID
    meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    meta.TransferSyntaxUID = transfer_syntax
    meta.ImplementationClassUID = PYDICOM_IMPLEMENTATION_UID
    meta.ImplementationVersionName = "BONEDS_SYNTH"
    return meta
