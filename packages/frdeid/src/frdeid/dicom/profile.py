"""PS3.15 Table E.1-1 as data: which action applies to which attribute under which options.

The table (`frdeid/data/dicom/confidentiality_profile_attributes.json`, 2024b, innolitics extraction)
is the single source of truth; nothing here lists tags by hand.

Resolution of one attribute (`Profile.action(tag)`):

1. Private attributes (odd group): `X` (the table's "(GGGG,EEEE) where GGGG is odd" row). The Retain
   Safe Private option needs Table E.3.10-1, which is not shipped: selecting it is refused.
2. A row of the table (exact tag, or a masked row such as `(50XX,XXXX)`, `(60XX,3000)`):
   the action of the first selected option whose column is filled for that row (`K` or `C`), else the
   Basic Profile action.
3. Compound actions are narrowed by one documented, conservative rule (`narrow`):
   `X/Z/U*` -> `U` (the reference sequence is kept and every UID inside is replaced: keeping the
   references is what makes the set consistent), `Z/D` -> `D` for Patient ID (the pseudonym) and `Z`
   otherwise, every other compound (`X/Z`, `X/D`, `X/Z/D`) -> `X` (removal is the strongest choice; the
   resulting objects may lack Type 2 attributes, which readers tolerate).
4. Anything else: `K` (the Basic Profile keeps attributes it does not list).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

TABLE_PATH = Path(__file__).resolve().parent.parent / "data" / "dicom" / "confidentiality_profile_attributes.json"

# Option name (CLI spelling) -> (table column, CID 7050 code value, code meaning)
OPTIONS: dict[str, tuple[str, str, str]] = {
    "retain-safe-private": ("rtnSafePrivOpt", "113111", "Retain Safe Private Option"),
    "retain-uids": ("rtnUIDsOpt", "113110", "Retain UIDs Option"),
    "retain-device-identity": ("rtnDevIdOpt", "113109", "Retain Device Identity Option"),
    "retain-institution-identity": ("rtnInstIdOpt", "113112", "Retain Institution Identity Option"),
    "retain-patient-characteristics": ("rtnPatCharsOpt", "113108", "Retain Patient Characteristics Option"),
    "retain-full-dates": ("rtnLongFullDatesOpt", "113106", "Retain Longitudinal Temporal Information Full Dates Option"),
    "retain-modified-dates": ("rtnLongModifDatesOpt", "113107",
                              "Retain Longitudinal Temporal Information Modified Dates Option"),
    "clean-descriptors": ("cleanDescOpt", "113105", "Clean Descriptors Option"),
    "clean-structured-content": ("cleanStructContOpt", "113104", "Clean Structured Content Option"),
    "clean-graphics": ("cleanGraphOpt", "113103", "Clean Graphics Option"),
}
DEFAULT_OPTIONS = ("retain-modified-dates", "retain-patient-characteristics", "clean-descriptors")
# Options whose column cannot be implemented safely here: selecting them is refused (fail closed).
UNSUPPORTED_OPTIONS = {
    "retain-safe-private": "Table E.3.10-1 (safe private attributes) is not available",
    "clean-structured-content": "structured content cleaning is not implemented",
    "clean-graphics": "graphics cleaning is not implemented",
}
BASIC_PROFILE_CODE = ("113100", "Basic Application Confidentiality Profile")

PATIENT_ID_TAG = 0x00100020


@dataclass(frozen=True)
class Row:
    """One row of Table E.1-1."""

    name: str
    tag: str
    std_comp_iod: bool
    basic: str
    options: dict[str, str]


def narrow(action: str, tag: int) -> str:
    """A compound action narrowed to one action (see the module docstring)."""
    if "/" not in action:
        return action
    if action.startswith("X/Z/U"):
        return "U"
    if action == "Z/D":
        return "D" if tag == PATIENT_ID_TAG else "Z"
    return "X"


@cache
def load_rows(path: Path = TABLE_PATH) -> tuple[Row, ...]:
    rows = json.loads(Path(path).read_text(encoding="utf-8"))
    columns = {column for column, _, _ in OPTIONS.values()}
    return tuple(Row(r["name"], r["tag"], r.get("stdCompIOD") == "Y", r["basicProfile"],
                     {k: v for k, v in r.items() if k in columns}) for r in rows)


def _mask(tag_text: str) -> tuple[int, int] | None:
    """(mask, value) of a "(gggg,eeee)" pattern where x/X are wildcards; None for non-tag rows."""
    text = tag_text.strip()
    if not (text.startswith("(") and len(text) == 11 and text[5] == ","):
        return None
    digits = text[1:5] + text[6:10]
    mask = value = 0
    for char in digits:
        mask <<= 4
        value <<= 4
        if char in "xX":
            continue
        mask |= 0xF
        value |= int(char, 16)
    return mask, value


class Profile:
    """The Basic Profile plus a set of options, as a tag -> action function."""

    def __init__(self, options: tuple[str, ...] | list[str] = DEFAULT_OPTIONS, table: Path = TABLE_PATH) -> None:
        unknown = [o for o in options if o not in OPTIONS]
        if unknown:
            raise ValueError(f"unknown option(s): {', '.join(sorted(unknown))}; known: {', '.join(OPTIONS)}")
        refused = [o for o in options if o in UNSUPPORTED_OPTIONS]
        if refused:
            raise ValueError(f"option {refused[0]} is not supported: {UNSUPPORTED_OPTIONS[refused[0]]}")
        if "retain-full-dates" in options and "retain-modified-dates" in options:
            raise ValueError("retain-full-dates and retain-modified-dates exclude each other")
        self.options = tuple(o for o in OPTIONS if o in options)  # canonical order
        self.rows = load_rows(table)
        self._columns = [OPTIONS[o][0] for o in self.options]
        self._exact: dict[int, tuple[str, Row]] = {}
        self._masked: list[tuple[int, int, str, Row]] = []
        for row in self.rows:
            mv = _mask(row.tag)
            if mv is None:  # the private-attributes row: handled by group parity
                continue
            action = self._row_action(row)
            if mv[0] == 0xFFFFFFFF:
                self._exact[mv[1]] = (action, row)
            else:
                self._masked.append((mv[0], mv[1], action, row))
        if not self._exact:
            raise ValueError("the confidentiality profile table is empty")

    def _row_action(self, row: Row) -> str:
        for column in self._columns:
            if column in row.options:
                return row.options[column]
        return row.basic

    def lookup(self, tag: int) -> tuple[str, Row | None]:
        """(raw action from the table, row) for a tag; ("K", None) when the table does not list it."""
        tag = int(tag)
        if tag >> 16 & 1:
            return "X", None
        hit = self._exact.get(tag)
        if hit is not None:
            return hit
        for mask, value, action, row in self._masked:
            if tag & mask == value:
                return action, row
        return "K", None

    def action(self, tag: int) -> str:
        """The single action applied to a tag: X, Z, D, U, C or K."""
        return narrow(self.lookup(tag)[0], int(tag))

    def code_items(self) -> list[tuple[str, str]]:
        """(code value, meaning) of the profile and its options, for the Deidentification Method Code
        Sequence (CID 7050, scheme DCM)."""
        return [BASIC_PROFILE_CODE] + [OPTIONS[o][1:] for o in self.options]
