"""Text lines of the burned-in documents that hide among radiographs: dose reports and scanned
request forms, both showing the patient's name and birth date."""

from __future__ import annotations

import numpy as np

from .anatomy import body_part
from .model import StudyPlan


def document_lines(study: StudyPlan, rng: np.random.Generator) -> list[str]:
    """The lines printed on the study's burned-in document."""
    patient = study.patient
    name = f"{patient.person.last_name.upper()} {patient.person.first_name}"
    born = f"{patient.birth_date:%d/%m/%Y}"
    exam = f"RX {body_part(study.body_part).label_fr.upper()}"
    if study.burned_in_document == "dose_report":
        dap = float(rng.uniform(0.5, 40.0))
        return [
            "RAPPORT DE DOSE",
            f"Patient : {name}",
            f"Né(e) le : {born}",
            f"ID : {patient.patient_id}",
            f"Examen : {exam}",
            f"Date : {study.started:%d/%m/%Y %H:%M}",
            f"PDS : {dap:.2f} dGy.cm2   kV : {int(rng.integers(50, 80))}   mAs : {rng.uniform(1, 20):.1f}",
            f"Nombre d'expositions : {len(study.images)}",
        ]
    return [
        "DEMANDE D'EXAMEN RADIOLOGIQUE",
        f"Nom : {patient.person.last_name.upper()}",
        f"Prénom : {patient.person.first_name}",
        f"Date de naissance : {born}",
        f"Adresse : {patient.address.one_line()}",
        f"Examen demandé : {exam}",
        f"Médecin : Dr {study.referring_physician.person.last_name}",
        f"Date : {study.started:%d/%m/%Y}",
    ]
