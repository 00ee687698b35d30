"""The known identity of a document's patient, as the hospital's EHR gives it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class PatientIdentity:
    """First names (usual first), last name, birth date and patient number; any may be missing."""

    first_names: tuple[str, ...] = ()
    last_name: str = ""
    birth_date: date | None = None
    patient_id: str = ""

    @classmethod
    def from_dict(cls, data: dict | None) -> PatientIdentity | None:
        """From the JSONL `patient` object: `first_names` (string or list), `last_name`,
        `birth_date` (YYYY-MM-DD), `patient_id`. None stays None."""
        if not data:
            return None
        first = data.get("first_names") or ()
        if isinstance(first, str):
            first = tuple(first.split())
        born = data.get("birth_date") or None
        return cls(
            first_names=tuple(first),
            last_name=str(data.get("last_name") or ""),
            birth_date=date.fromisoformat(born) if born else None,
            patient_id=str(data.get("patient_id") or ""),
        )
