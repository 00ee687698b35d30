"""Draws what happens to each synthetic patient: studies, images, encodings and documents.

Everything is planned before anything is drawn or written, from per-patient random streams, so a
patient's plan depends only on the export seed and the patient's index (patients can be produced
in any order, by any number of processes, with the same bytes).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

import numpy as np
from pydicom.uid import (
    JPEG2000,
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
    JPEG2000Lossless,
    JPEGLosslessSV1,
    RLELossless,
)

from .anatomy import body_part
from .model import (
    BODY_PARTS,
    DocumentPlan,
    Findings,
    Fracture,
    ImagePlan,
    Institution,
    Patient,
    Person,
    Physician,
    PixelEncoding,
    StudyPlan,
)
from .population import Population

FIRST_STUDY_DAY = date(2015, 1, 1)
LAST_STUDY_DAY = date(2024, 12, 31)

# Transfer syntaxes written, with their share of images.
TRANSFER_SYNTAXES: tuple[tuple[str, float], ...] = (
    (ExplicitVRLittleEndian, 0.30),
    (ImplicitVRLittleEndian, 0.10),
    (JPEGLosslessSV1, 0.20),
    (RLELossless, 0.15),
    (JPEG2000Lossless, 0.17),
    (JPEG2000, 0.08),
)

_ADULT_PARTS = {"hand": 6, "wrist": 10, "forearm": 3, "elbow": 4, "shoulder": 9, "knee": 14, "ankle": 9,
                "foot": 6, "hip": 11, "pelvis": 6, "spine": 8}
_CHILD_PARTS = {"hand": 14, "wrist": 12, "forearm": 8, "elbow": 8, "shoulder": 2, "knee": 6, "ankle": 9,
                "foot": 5, "hip": 2, "pelvis": 1, "spine": 2}
_SAME_DAY_PAIRS = {"wrist": "hand", "hand": "wrist", "ankle": "foot", "foot": "ankle", "knee": "hip",
                   "hip": "pelvis", "pelvis": "hip", "elbow": "forearm", "forearm": "wrist",
                   "shoulder": "elbow", "spine": "pelvis"}


@dataclass(frozen=True)
class HospitalStaff:
    """The export's own hospital and the people who work there or send patients to it."""

    hospital: Institution
    radiologists: tuple[Physician, ...]
    referrers: tuple[Physician, ...]  # urgentists, orthopaedists, rheumatologists, paediatricians
    surgeons: tuple[Physician, ...]
    radiographers: tuple[Person, ...]
    stations: tuple[tuple[str, str, str], ...]  # (station name, device serial, modality)


@dataclass(frozen=True)
class PatientPlan:
    """Everything the export holds about one patient."""

    patient: Patient
    studies: tuple[StudyPlan, ...]
    documents: tuple[DocumentPlan, ...]


def plan_staff(seed: int) -> HospitalStaff:
    """The export's hospital and staff, drawn from the export seed."""
    pop = Population(seed)
    hospital = pop.hospital()
    radiologists = tuple(pop.physician("radiologue", hospital) for _ in range(6))
    specialties = ("urgentiste", "chirurgien orthopédiste", "rhumatologue", "pédiatre", "médecin du sport")
    referrers = tuple(pop.physician(specialties[i % len(specialties)], hospital) for i in range(15))
    surgeons = tuple(pop.physician("chirurgien orthopédiste", hospital) for _ in range(4))
    radiographers = tuple(pop.person() for _ in range(8))
    stations = tuple(
        (f"{code}{i + 1:02d}", f"{int(pop.rng.integers(10**6, 10**7))}", modality)
        for i, (code, modality) in enumerate((("RXURG", "DX"), ("RX", "CR"), ("DRX", "DX"), ("CRPED", "CR")))
    )
    return HospitalStaff(hospital, radiologists, referrers, surgeons, radiographers, stations)


def patient_seed(export_seed: int, index: int) -> int:
    """The seed of one patient's random stream."""
    return int(np.random.SeedSequence([export_seed, index]).generate_state(1)[0])


def plan_patient(export_seed: int, index: int, patient_id: str, id_base: int, staff: HospitalStaff) -> PatientPlan:
    """Plan one patient: identity, 1-3 studies (sometimes two on one day), and their documents."""
    pop = Population(patient_seed(export_seed, index))
    rng = pop.rng
    child = rng.random() < 0.25
    first_day = FIRST_STUDY_DAY
    age_at_first = float(rng.uniform(0.5, 17.0)) if child else float(min(rng.gamma(6.0, 9.5) + 18.0, 97.0))
    study_day = first_day + timedelta(days=int(rng.integers(0, (LAST_STUDY_DAY - first_day).days - 800)))
    birth_date = study_day - timedelta(days=int(age_at_first * 365.25))
    sex = "M" if rng.random() < 0.5 else "F"
    patient = pop.patient(patient_id, birth_date, sex)

    studies: list[StudyPlan] = []
    n_episodes = int(rng.choice([1, 2, 3], p=[0.55, 0.3, 0.15]))
    day = study_day
    for _ in range(n_episodes):
        started = datetime.combine(day, datetime.min.time()) + timedelta(minutes=int(rng.integers(7 * 60 + 30, 19 * 60)))
        part = _draw_body_part(rng, patient, day)
        studies.append(_plan_study(pop, patient, len(studies) + 1, part, started, staff, id_base))
        if rng.random() < 0.18:  # a second study on the same day, later
            other = _SAME_DAY_PAIRS[part]
            later = started + timedelta(minutes=int(rng.integers(10, 180)))
            studies.append(_plan_study(pop, patient, len(studies) + 1, other, later, staff, id_base))
        day = day + timedelta(days=int(rng.integers(20, 700)))
        if day > LAST_STUDY_DAY:
            break

    documents = _plan_documents(pop, patient, studies, staff, id_base)
    return PatientPlan(patient, tuple(studies), tuple(documents))


def _age_on(patient: Patient, day: date) -> float:
    return (day - patient.birth_date).days / 365.25


def _draw_body_part(rng: np.random.Generator, patient: Patient, day: date) -> str:
    weights = _CHILD_PARTS if _age_on(patient, day) < 16 else _ADULT_PARTS
    parts = list(BODY_PARTS)
    p = np.array([weights[b] for b in parts], dtype=float)
    return str(rng.choice(parts, p=p / p.sum()))


def _draw_findings(rng: np.random.Generator, part: str, age: float, sex: str) -> tuple[Findings, str]:
    """Findings of a study and the clinical reason for it."""
    info = body_part(part)
    growth_open = age < (14.5 if sex == "F" else 16.5)
    kl = None
    if info.kl and age >= 30 and not growth_open:
        kl = int(np.clip(rng.normal((age - 35) / 12.0, 1.0), 0, 4).round())
    if info.prosthesis and age >= 55 and rng.random() < 0.18:
        return Findings(prosthesis=True, growth_plates_open=False), "follow_up"
    if rng.random() < 0.4:
        sites = [s for s in info.fracture_sites if growth_open or not s.child]
        if not growth_open:
            sites = [s for s in sites if not s.child]
        site = sites[int(rng.integers(0, len(sites)))]
        fracture = Fracture(site.id, displaced=bool(rng.random() < 0.4))
        fixed = bool(rng.random() < 0.2) and not growth_open
        reason = "follow_up" if fixed else "trauma"
        return Findings(fracture=fracture, osteosynthesis=fixed, kl_grade=kl, growth_plates_open=growth_open), reason
    if part == "hand" and growth_open and rng.random() < 0.6:
        return Findings(growth_plates_open=True), "bone_age"
    reason = "arthrosis" if kl is not None and kl >= 2 else str(rng.choice(["pain", "trauma", "pain"]))
    return Findings(kl_grade=kl, growth_plates_open=growth_open), reason


def _draw_encoding(rng: np.random.Generator, modality: str) -> PixelEncoding:
    names = [uid for uid, _ in TRANSFER_SYNTAXES]
    weights = np.array([w for _, w in TRANSFER_SYNTAXES])
    syntax = names[int(rng.choice(len(names), p=weights / weights.sum()))]
    photometric = "MONOCHROME1" if rng.random() < (0.5 if modality == "CR" else 0.25) else "MONOCHROME2"
    bits = int(rng.choice([10, 12, 12, 14, 15, 16]))
    signed = bits == 16 and syntax != JPEGLosslessSV1 and rng.random() < 0.3
    slope = intercept = None
    if rng.random() < 0.5:
        slope = float(rng.choice([1.0, 1.0, 0.5, 2.0]))
        intercept = float(rng.choice([0.0, 0.0, -1024.0, 100.0]))
    window = None
    if rng.random() < 0.7:
        window = (0.0, 0.0)  # the writer fills in values that fit the stored range
    voi_lut = rng.random() < 0.15
    padding = rng.random() < 0.3
    return PixelEncoding(syntax, photometric, bits, signed, slope, intercept, window, voi_lut, padding)


def _plan_study(pop: Population, patient: Patient, number: int, part: str, started: datetime,
                staff: HospitalStaff, id_base: int) -> StudyPlan:
    rng = pop.rng
    info = body_part(part)
    age = _age_on(patient, started.date())
    findings, reason = _draw_findings(rng, part, age, patient.person.sex)
    laterality = str(rng.choice(["L", "R"])) if info.laterality else ""
    station = staff.stations[int(rng.integers(0, len(staff.stations)))]
    modality = station[2]
    encoding = _draw_encoding(rng, modality)
    views = list(info.views)
    if rng.random() < 0.2:  # retakes or extra projections
        views += [views[int(rng.integers(0, len(views)))] for _ in range(int(rng.integers(1, 4)))]
    views = views[:6]
    marker_style = str(rng.choice(["FR", "EN"]))
    side = laterality or str(rng.choice(["L", "R"]))
    marker = {"FR": {"L": "G", "R": "D"}, "EN": {"L": "L", "R": "R"}}[marker_style][side]
    images = []
    for k, view in enumerate(views):
        acquired = started + timedelta(seconds=int(40 * k + rng.integers(5, 40)))
        image_encoding = replace(encoding, padding=encoding.padding and rng.random() < 0.8)
        images.append(ImagePlan(view, acquired, image_encoding, marker if rng.random() < 0.95 else ""))
    accession = f"{started:%y%m%d}{id_base % 10000:04d}{number:02d}"
    return StudyPlan(
        patient=patient,
        study_number=number,
        body_part=part,
        laterality=laterality,
        findings=findings,
        started=started,
        modality=modality,
        accession_number=accession,
        institution=staff.hospital,
        referring_physician=_pick(rng, staff.referrers) if rng.random() < 0.7 else patient.general_practitioner,
        operator=_pick(rng, staff.radiographers),
        station_name=station[0],
        device_serial=station[1],
        clinical_info=reason,
        images=tuple(images),
    )


def _pick(rng: np.random.Generator, items):
    return items[int(rng.integers(0, len(items)))]


def _plan_documents(pop: Population, patient: Patient, studies: list[StudyPlan], staff: HospitalStaff,
                    id_base: int) -> list[DocumentPlan]:
    rng = pop.rng
    docs: list[DocumentPlan] = []

    def next_id() -> str:
        return f"{id_base:07d}{len(docs) + 1:02d}"

    for study in studies:
        if rng.random() < 0.08:  # a study whose report never reached the EHR export
            continue
        delay = timedelta(minutes=int(rng.integers(20, 300)))
        if rng.random() < 0.1:  # dictated the next day
            delay = timedelta(days=1, minutes=int(rng.integers(0, 300)))
        accession = study.accession_number if rng.random() < 0.4 else ""
        copies = tuple(dict.fromkeys((study.referring_physician, patient.general_practitioner)))
        docs.append(DocumentPlan(next_id(), patient, "radiologie", study.started + delay, study, accession,
                                 _pick(rng, staff.radiologists), copies))
        if (study.findings.osteosynthesis or study.findings.prosthesis) and rng.random() < 0.6:
            surgery = study.started - timedelta(days=int(rng.integers(2, 90)))
            docs.append(DocumentPlan(next_id(), patient, "protocole opératoire", surgery, None, "",
                                     _pick(rng, staff.surgeons), (patient.general_practitioner,)))
        if study.findings.fracture is not None and rng.random() < 0.35:
            visit = study.started + timedelta(days=int(rng.integers(5, 45)))
            docs.append(DocumentPlan(next_id(), patient, "consultation", visit, None, "",
                                     _pick(rng, staff.referrers), (patient.general_practitioner,)))

    if studies and rng.random() < 0.15:  # a radiology report of an exam that is not in the export
        when = studies[0].started - timedelta(days=int(rng.integers(30, 400)), minutes=int(rng.integers(0, 600)))
        docs.append(DocumentPlan(next_id(), patient, "radiologie", when, None, "",
                                 _pick(rng, staff.radiologists), (patient.general_practitioner,)))
    if rng.random() < 0.25:
        when = (studies[0].started if studies else datetime(2020, 1, 1)) + timedelta(days=int(rng.integers(-300, 300)))
        docs.append(DocumentPlan(next_id(), patient, "consultation", when, None, "",
                                 _pick(rng, staff.referrers), (patient.general_practitioner,)))
    if rng.random() < 0.12:
        when = (studies[-1].started if studies else datetime(2020, 1, 1)) + timedelta(days=int(rng.integers(-200, 200)))
        docs.append(DocumentPlan(next_id(), patient, "hospitalisation", when, None, "",
                                 _pick(rng, staff.referrers), (patient.general_practitioner,)))
    return docs
