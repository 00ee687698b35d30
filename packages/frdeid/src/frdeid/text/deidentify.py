"""The text de-identification API: detection (`Pipeline`) then replacement (`Replacer`).

    deid = TextDeidentifier(read_key(path))            # packaged default config
    result = deid.deidentify(text, patient, patient_id)
    result.text, result.spans, result.patient_pseudonym

`pseudonymize_patient_id` is the one function that turns a hospital patient id into its pseudonym;
the DICOM path uses it too, so a patient's reports and images stay linked.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..keys import pseudonym
from ..patient import PatientIdentity
from ..spans import Span
from .config import load_config
from .pipeline import Pipeline
from .replace import ReplacePolicy, Replacer
from .replace.pools import Lexicons

PATIENT_DOMAIN = "patient"


def pseudonymize_patient_id(key: bytes, patient_id: str) -> str:
    """The pseudonym of a hospital patient id (surrounding blanks ignored, as DICOM pads them)."""
    patient_id = str(patient_id).strip()
    if not patient_id:
        raise ValueError("an empty patient id has no pseudonym")
    return pseudonym(key, PATIENT_DOMAIN, patient_id)


@dataclass(frozen=True)
class DeidResult:
    """The de-identified text, the detected spans (offsets into the input text) and the patient's
    pseudonym ("" when the document has no patient id)."""

    text: str
    spans: list[Span]
    patient_pseudonym: str


class TextDeidentifier:
    """Detects PHI spans and replaces them. `config` (a dict shaped like `data/pipeline.toml`) is
    merged over the packaged default; its `[replace]` table is checked here (ValueError)."""

    def __init__(self, key: bytes, config: dict | None = None, *, lexicons: Lexicons | None = None) -> None:
        self.config = load_config(overrides=config)
        self.policy = ReplacePolicy.from_config(self.config.get("replace"))
        self.replacer = Replacer(key, self.policy, lexicons)
        self.pipeline = Pipeline(self.config)
        self._key = key

    def deidentify(self, text: str, patient: PatientIdentity | None, patient_id: str | None = None) -> DeidResult:
        """De-identify one document. `patient_id` defaults to the patient's own id; it fixes the date
        offset and the surrogate of the patient's name."""
        return self.deidentify_many([(text, patient, patient_id)])[0]

    def deidentify_many(self, items: list[tuple[str, PatientIdentity | None, str | None]]) -> list[DeidResult]:
        """De-identify several documents at once (NER detectors batch their work)."""
        for text, _, _ in items:
            if not isinstance(text, str):
                raise TypeError("text must be a string")
        pairs = [(text, patient) for text, patient, _ in items]
        detect_many = getattr(self.pipeline, "detect_many", None)
        all_spans = detect_many(pairs) if detect_many else [self.pipeline.detect(*pair) for pair in pairs]
        results = []
        for (text, patient, patient_id), spans in zip(items, all_spans, strict=True):
            patient_id = _patient_id(patient, patient_id)
            pseudonym_ = pseudonymize_patient_id(self._key, patient_id) if patient_id else ""
            results.append(DeidResult(self.replacer.replace(text, spans, patient, patient_id), spans, pseudonym_))
        return results

    def replace(self, text: str, spans: list[Span], patient: PatientIdentity | None,
                patient_id: str | None = None) -> str:
        """Replacement only, for spans found elsewhere (gold spans, another detector)."""
        return self.replacer.replace(text, spans, patient, _patient_id(patient, patient_id))


def _patient_id(patient: PatientIdentity | None, patient_id: str | None) -> str:
    """The explicit patient id, else the patient's own; blanks stripped."""
    return str(patient_id or (patient.patient_id if patient is not None else "") or "").strip()
