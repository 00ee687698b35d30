"""Plain data records of the synthetic hospital: people, studies, images, documents.

The planner (`boneds.synth.planner`) draws these records from a seed; the radiograph renderer,
the DICOM writer and the report writer only read them. Nothing here draws random numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

# PHI labels shared by the whole project (truth files, frdeid detectors, evaluation).
PHI_LABELS: tuple[str, ...] = (
    "PATIENT",  # the patient's own name, in any form
    "PERSON",  # anyone else's name
    "LOCATION",  # addresses, postal code + municipality, cities
    "INSTITUTION",  # hospitals, clinics, nursing homes, practices, schools, employers
    "DATE",  # any date or date part, a birth year
    "AGE",
    "ID",  # patient, dossier, accession, NISS/INSZ, INAMI numbers
    "PHONE",
    "EMAIL_URL",
)

BODY_PARTS: tuple[str, ...] = (
    "hand",
    "wrist",
    "forearm",
    "elbow",
    "shoulder",
    "knee",
    "ankle",
    "foot",
    "hip",
    "pelvis",
    "spine",
)


@dataclass(frozen=True)
class Address:
    """A postal address; `street` holds the street type and name ("Rue de la Station")."""

    street: str
    number: str
    postcode: str
    city: str
    box: str = ""  # Belgian "bte" (boîte), empty when none

    def one_line(self) -> str:
        """Street, number, box, postcode and city as one comma-separated line."""
        box = f" bte {self.box}" if self.box else ""
        return f"{self.street} {self.number}{box}, {self.postcode} {self.city}"


@dataclass(frozen=True)
class Person:
    """A named person. `first_names` lists all given names, the usual one first."""

    first_names: tuple[str, ...]
    last_name: str
    sex: str  # "M" or "F"

    @property
    def first_name(self) -> str:
        """The given name people use."""
        return self.first_names[0]


@dataclass(frozen=True)
class Physician:
    """A doctor who prescribes, performs, reads or receives a copy of an exam."""

    person: Person
    title: str  # "Dr", "Pr", ...
    specialty: str  # French, e.g. "radiologue", "médecin généraliste"
    inami: str  # Belgian INAMI/RIZIV number, formatted "1-23456-78-901"
    phone: str
    email: str
    practice: Institution | None = None  # a GP's practice, a specialist's hospital


@dataclass(frozen=True)
class Institution:
    """A hospital, clinic, practice, nursing home, school or employer."""

    name: str
    kind: str  # "hospital", "clinic", "practice", "nursing_home", "school", "employer"
    address: Address
    phone: str
    website: str = ""
    email_domain: str = ""


@dataclass(frozen=True)
class Patient:
    """A patient as the hospital's EHR knows them."""

    patient_id: str  # the hospital's patient number (IPP)
    person: Person
    birth_date: date
    address: Address
    phone: str
    niss: str  # Belgian national register number, "YY.MM.DD-XXX.CC"
    general_practitioner: Physician
    employer_or_school: Institution | None = None
    relatives: tuple[Person, ...] = ()  # spouse, parent of a child, ...


@dataclass(frozen=True)
class Fracture:
    """A fracture drawn in the pixels and described in the report."""

    site: str  # a fracture site id of `anatomy.toml` (e.g. "radius_distal")
    displaced: bool


@dataclass(frozen=True)
class Findings:
    """What a study shows. Everything here is both drawn and reported."""

    fracture: Fracture | None = None
    osteosynthesis: bool = False  # plate, screws, nail or wires on the fractured bone
    prosthesis: bool = False  # joint replacement (hip, knee, shoulder)
    kl_grade: int | None = None  # Kellgren-Lawrence 0-4 (knee, hip); None when not graded
    growth_plates_open: bool = False  # a child's physes, drawn with a width that follows age

    def labels(self) -> tuple[str, ...]:
        """Short finding labels, as written to truth/studies.csv."""
        out: list[str] = []
        if self.fracture is not None:
            kind = "displaced" if self.fracture.displaced else "nondisplaced"
            out.append(f"fracture:{self.fracture.site}:{kind}")
        if self.osteosynthesis:
            out.append("osteosynthesis")
        if self.prosthesis:
            out.append("prosthesis")
        if self.kl_grade is not None:
            out.append(f"kl:{self.kl_grade}")
        if self.growth_plates_open:
            out.append("growth_plates_open")
        return tuple(out) or ("normal",)


@dataclass(frozen=True)
class PixelEncoding:
    """How one image's pixels are stored in its DICOM file."""

    transfer_syntax: str  # UID
    photometric: str  # "MONOCHROME1" or "MONOCHROME2"
    bits_stored: int  # 10..16 (bits allocated is always 16)
    signed: bool = False
    rescale_slope: float | None = None  # None: no Modality LUT attributes
    rescale_intercept: float | None = None
    window: tuple[float, float] | None = None  # (center, width) in modality units
    voi_lut: bool = False  # a VOI LUT Sequence instead of (or beside) the window
    padding: bool = False  # area outside the collimator stored as Pixel Padding Value


@dataclass(frozen=True)
class ImagePlan:
    """One radiograph of a study."""

    view: str  # "frontal", "lateral", "oblique" (renderer terms; the writer maps them to DICOM)
    acquired: datetime
    encoding: PixelEncoding
    marker: str  # burned-in laterality marker letter(s) ("G", "D", "L", "R"), "" for none


@dataclass(frozen=True)
class StudyPlan:
    """One X-ray study (exam) of a patient: what was imaged, found and recorded."""

    patient: Patient
    study_number: int  # 1-based index among the patient's studies
    body_part: str  # one of BODY_PARTS
    laterality: str  # "L", "R" or "" (pelvis, spine)
    findings: Findings
    started: datetime
    modality: str  # "CR" or "DX"
    accession_number: str
    institution: Institution
    referring_physician: Physician
    operator: Person  # the radiographer
    station_name: str
    device_serial: str
    clinical_info: str  # "renseignements cliniques" key, e.g. "trauma", "pain", "follow_up"
    images: tuple[ImagePlan, ...]
    burned_in_document: str = ""  # "", "dose_report" or "request_form": an extra secondary capture
    burned_in_flag: str = ""  # the document's Burned In Annotation value: "YES", "NO" or "" (absent)

    @property
    def age_years(self) -> float:
        """The patient's age on the study date, in years."""
        return (self.started.date() - self.patient.birth_date).days / 365.25


@dataclass(frozen=True)
class DocumentPlan:
    """One EHR document: a radiology report (with or without a study) or another clinical note."""

    report_id: str
    patient: Patient
    kind: str  # "radiologie", "consultation", "protocole opératoire", "hospitalisation"
    written: datetime
    study: StudyPlan | None  # the study it truly reports on (radiologie only), None otherwise
    accession_in_export: str  # the accession number as the EHR export gives it ("" when missing)
    author: Physician
    copies_to: tuple[Physician, ...] = ()
    extra: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Span:
    """A PHI span: `text[start:end]` of the document, with one of PHI_LABELS."""

    start: int
    end: int
    label: str


@dataclass(frozen=True)
class AnnotatedText:
    """A document's text with its PHI spans (sorted, non-overlapping)."""

    text: str
    spans: tuple[Span, ...]
