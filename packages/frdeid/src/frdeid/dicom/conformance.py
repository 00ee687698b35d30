"""An independent Table E.1-1 conformance checker for de-identified outputs (tests and audits).

`check(pairs, profile)` takes (original dataset, output path) pairs and returns findings (strings
holding tags and file indices only, never values). It verifies, walking every sequence item:

* no private attribute; no attribute whose action is X;
* no original value of an attribute the profile replaces (D, Z, U, and C on dates) left at the same
  attribute (text cleaned under C may legitimately stay the same when it held no PHI);
* UIDs at the same place map one-to-one across all files (one original -> one replacement, and
  back); DA values move by one offset per original patient, never 0 when dates are modified;
* no original patient name part (4+ characters) or patient id (including Other Patient IDs and
  private copies) in any string value of the output, nor in the raw bytes of the output file;
* PatientIdentityRemoved YES and the Deidentification Method Code Sequence present.
"""

from __future__ import annotations

import datetime as _dt
from collections import defaultdict
from pathlib import Path

import pydicom

from .profile import Profile

PATIENT_ID_TAGS = {0x00100020, 0x00101000}
NAME_TAGS = {0x00100010, 0x00101001}


def _walk(ds, prefix=()):
    for elem in ds:
        path = (*prefix, int(elem.tag))
        yield path, elem
        if elem.VR == "SQ" and elem.value is not None:
            for i, item in enumerate(elem.value):
                yield from _walk(item, (*path, i))


def _strings(value) -> list[str]:
    if value is None:
        return []
    if isinstance(value, bytes | bytearray):
        return []
    if isinstance(value, str):
        return [value]
    try:
        return [str(v) for v in value] if not hasattr(value, "family_name") else [str(value)]
    except TypeError:
        return [str(value)]


def identifiers(ds) -> set[str]:
    """The patient's name parts and ids found anywhere in a dataset (private attributes included)."""
    found: set[str] = set()
    for _path, elem in _walk(ds):
        tag = int(elem.tag)
        if elem.VR == "PN" and tag in NAME_TAGS or tag in PATIENT_ID_TAGS:
            for text in _strings(elem.value):
                for part in text.replace("^", " ").split():
                    if len(part) >= 4:
                        found.add(part)
                if tag in PATIENT_ID_TAGS and text.strip():
                    found.add(text.strip())
    return found


def _date(text: str) -> _dt.date | None:
    try:
        return _dt.date(int(text[:4]), int(text[4:6]), int(text[6:8]))
    except (ValueError, TypeError):
        return None


def check(pairs: list[tuple[pydicom.Dataset, Path]], profile: Profile, *, dates_modified: bool = True) -> list[str]:
    findings: list[str] = []
    forward: dict[str, str] = {}
    backward: dict[str, str] = {}
    offsets: dict[str, set[int]] = defaultdict(set)
    for index, (orig, out_path) in enumerate(pairs):
        out = pydicom.dcmread(out_path)
        where = f"file {index}"
        raw = Path(out_path).read_bytes()
        if str(out.get("PatientIdentityRemoved", "")) != "YES":
            findings.append(f"{where}: PatientIdentityRemoved is not YES")
        if not out.get("DeidentificationMethodCodeSequence"):
            findings.append(f"{where}: no Deidentification Method Code Sequence")
        replaced: dict[tuple, set[str]] = defaultdict(set)
        orig_uids: dict[tuple, list[str]] = {}
        orig_dates: dict[tuple, str] = {}
        for path, elem in _walk(orig):
            tag = path[-1]
            action = profile.action(tag)
            if elem.tag.is_private:
                continue
            if action in ("D", "Z", "U") or action == "C" and elem.VR in ("DA", "DT"):
                for text in _strings(elem.value):
                    if text.strip() and not text.startswith("1.2.840.10008."):
                        replaced[tag].add(text.strip())
            if elem.VR == "UI" and action == "U":
                orig_uids[path] = _strings(elem.value)
            if elem.VR == "DA" and isinstance(elem.value, str) and len(elem.value.strip()) == 8:
                orig_dates[path] = elem.value.strip()
        secrets = identifiers(orig)
        for path, elem in _walk(out):
            tag = path[-1]
            name = f"({tag >> 16:04X},{tag & 0xFFFF:04X})"
            if elem.tag.is_private:
                findings.append(f"{where}: private attribute {name}")
                continue
            if profile.action(tag) == "X":
                findings.append(f"{where}: removed attribute {name} present")
            values = _strings(elem.value)
            if tag in replaced and any(v.strip() in replaced[tag] for v in values if v.strip()):
                findings.append(f"{where}: original value of {name} kept")
            for text in values:
                for secret in secrets:
                    if secret.lower() in text.lower():
                        findings.append(f"{where}: patient identifier in {name}")
            if path in orig_uids:
                for old, new in zip(orig_uids[path], _strings(elem.value), strict=False):
                    if forward.setdefault(old, new) != new or backward.setdefault(new, old) != old:
                        findings.append(f"{where}: inconsistent UID mapping at {name}")
            if path in orig_dates and isinstance(elem.value, str) and elem.value.strip():
                before, after = _date(orig_dates[path]), _date(elem.value.strip())
                if before and after:
                    offsets[str(orig.get("PatientID", "")).strip()].add((after - before).days)
        for secret in secrets:
            for encoded in {secret.encode("utf-8", "ignore"), secret.encode("latin-1", "ignore"),
                            secret.upper().encode("latin-1", "ignore")}:
                if encoded and encoded in raw:
                    findings.append(f"{where}: patient identifier in the raw bytes")
    for days in offsets.values():
        if len(days) > 1:
            findings.append("inconsistent date offsets for one patient")
        if dates_modified and 0 in days:
            findings.append("dates not shifted for one patient")
    return sorted(set(findings))
