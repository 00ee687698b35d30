"""Folder and file names of the PACS export tree, as a PACS export tool lays them out: patient
folders named after the patient, study folders after the date, accession and description.
"""

from __future__ import annotations

import re

from .model import Patient, StudyPlan
from .population import ascii_fold

_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")


def _safe(text: str) -> str:
    return _UNSAFE.sub("_", text).strip("_")


def patient_folder(patient: Patient) -> str:
    """`DUPONT_Marie_01234567`: real exports put names in folder names (this is PHI)."""
    last = _safe(ascii_fold(patient.person.last_name).upper())
    first = _safe(ascii_fold(patient.person.first_name).capitalize())
    return f"{last}_{first}_{patient.patient_id}"


def study_folder(study: StudyPlan, description: str) -> str:
    """`20210312_2103120412_RX_POIGNET_G`."""
    return f"{study.started:%Y%m%d}_{study.accession_number}_{_safe(ascii_fold(description).upper())[:24]}"


def series_folder(series_number: int) -> str:
    """`SE001`."""
    return f"SE{series_number:03d}"


def image_file(instance_number: int, extension: str) -> str:
    """`IM00001.dcm`, `IM00001` or `IM00001.DCM`: exports differ, readers must not rely on it."""
    return f"IM{instance_number:05d}{extension}"
