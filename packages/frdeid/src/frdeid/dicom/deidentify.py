"""De-identification of one DICOM dataset per PS3.15 Annex E (Basic Profile + options, Table E.1-1).

    deid = DicomDeidentifier(key)                      # default options, pixel screening on
    clean = deid.deidentify_dataset(ds)                # raises Quarantine / Failure (fixed reasons)

Rules beyond the table itself (each errs on the side of removal):

* Patient's Name and Patient ID (top level) become the patient pseudonym (`pseudonymize_patient_id`);
  a Patient ID nested in a kept sequence becomes the pseudonym of its own value; a nested Patient's
  Name is emptied.
* Dates: with Retain Longitudinal Temporal Information with Modified Dates, every DA and DT value
  (listed in the table or not) is shifted by `date_offset_days(key, PatientID)` days; times (TM) and
  the time part of DT are kept. A date that cannot be parsed to a full day is emptied (Z).
  Without a date option, unlisted DA/DT attributes are removed.
* Person names (PN) that the table does not list are emptied.
* U: `2.25.` + the 128-bit integer of the first 16 bytes of `derive(key, "uid", uid)`; standard UIDs
  (1.2.840.10008.*) are kept. Applies inside sequences, so references stay consistent.
* C under Clean Descriptors: text is cleaned by the French text de-identifier (patient identity taken
  from the header); C on a sequence: its items are processed by the same rules; C on any other VR: X.
* D: a dummy of the VR ("ANONYMIZED" cut to the VR's length, 0 for numbers, 19000101 / 000000 for
  dates and times, empty sequence or bytes); Z: an empty value.
* Private attributes are removed; the file meta group is rebuilt (no source AE title etc.).
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable

from pydicom.dataelem import DataElement
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.uid import PYDICOM_IMPLEMENTATION_UID

from ..keys import date_offset_days, derive
from ..text.deidentify import pseudonymize_patient_id
from .errors import DicomDeidError, Failure
from .profile import DEFAULT_OPTIONS, Profile
from .screening import screen_header, screen_pixels

PATIENT_NAME, PATIENT_ID = 0x00100010, 0x00100020
SPECIFIC_CHARSET = 0x00080005
TEXT_VRS = {"LO", "SH", "ST", "LT", "UT", "UC"}
STRING_VRS = TEXT_VRS | {"PN", "CS", "AE", "AS", "DA", "DT", "TM", "IS", "DS", "UI", "UR"}
MAX_LEN = {"SH": 16, "AE": 16, "CS": 16, "LO": 64, "PN": 64, "AS": 4}
STANDARD_UID_ROOT = "1.2.840.10008."
METHOD = "frdeid PS3.15 E.1-1 Basic Profile"


def new_uid(key: bytes, uid: str) -> str:
    """The replacement of a UID: deterministic under the key, at most 64 characters."""
    uid = str(uid).strip().rstrip("\x00")
    if not uid or uid.startswith(STANDARD_UID_ROOT):
        return uid
    # 2.25 UIDs hold a 128-bit integer (ISO/IEC 9834-8): the first 16 bytes of the HMAC.
    return "2.25." + str(int.from_bytes(derive(key, "uid", uid)[:16], "big"))


def shift_date(value: str, days: int) -> str | None:
    """A DA value (YYYYMMDD) shifted by `days`; None when it is not a full date."""
    value = value.strip()
    if len(value) != 8 or not value.isdigit():
        return None
    try:
        day = _dt.date(int(value[:4]), int(value[4:6]), int(value[6:8]))
        return (day + _dt.timedelta(days=days)).strftime("%Y%m%d")
    except (ValueError, OverflowError):
        return None


def shift_datetime(value: str, days: int) -> str | None:
    """A DT value with at least a full date, its date part shifted, the rest kept; else None."""
    value = value.strip()
    shifted = shift_date(value[:8], days)
    return None if shifted is None else shifted + value[8:]


def _dummy(vr: str):
    if vr in ("DA",):
        return "19000101"
    if vr == "TM":
        return "000000"
    if vr == "DT":
        return "19000101000000"
    if vr in ("IS", "DS", "US", "SS", "UL", "SL", "FL", "FD", "UV", "SV"):
        return 0 if vr not in ("IS", "DS") else "0"
    if vr == "AS":
        return "000D"
    if vr == "SQ":
        return Sequence()
    if vr in STRING_VRS or vr == "UC":
        return "ANONYMIZED"[: MAX_LEN.get(vr, 64)]
    return b""


def _empty(vr: str):
    if vr == "SQ":
        return Sequence()
    if vr in STRING_VRS or vr in ("UC", "UR"):
        return ""
    if vr in ("US", "SS", "UL", "SL", "FL", "FD", "UV", "SV", "AT"):
        return None
    return b""


def _values(elem: DataElement) -> list:
    if elem.value is None or elem.value == "":
        return []
    if elem.VM > 1:
        return list(elem.value)
    return [elem.value]


def _set_values(vr: str, tag: int, values: list) -> DataElement:
    if not values:
        return DataElement(tag, vr, _empty(vr))
    return DataElement(tag, vr, values if len(values) > 1 else values[0])


class DicomDeidentifier:
    """De-identifies datasets with one key and one set of options (see the module docstring)."""

    def __init__(self, key: bytes, options: tuple[str, ...] | list[str] = DEFAULT_OPTIONS, *,
                 screen_pixels: bool = True, ocr: bool = True,
                 text_cleaner: Callable[[str, Dataset], str] | None = None,
                 text_deidentifier=None) -> None:
        """`text_cleaner` replaces the text de-identifier for Clean Descriptors; `text_deidentifier`
        shares an existing `TextDeidentifier` of the same key (it holds spaCy models: one per process)."""
        if not isinstance(key, bytes | bytearray) or len(key) < 16:
            raise ValueError("a key of at least 16 bytes is required")
        self._key = bytes(key)
        self.profile = Profile(tuple(options))
        self.screen_pixels = screen_pixels
        self.ocr = ocr
        self.modified_dates = "retain-modified-dates" in self.profile.options
        self.full_dates = "retain-full-dates" in self.profile.options
        self._text_cleaner = text_cleaner
        self._text_deid = text_deidentifier
        self._clean_cache: dict[tuple, str] = {}
        self._uid_cache: dict[str, str] = {}

    # -- public API -----------------------------------------------------------------------------
    def patient_pseudonym(self, patient_id: str) -> str:
        return pseudonymize_patient_id(self._key, patient_id)

    def uid(self, uid: str) -> str:
        hit = self._uid_cache.get(uid)
        if hit is None:
            hit = self._uid_cache[uid] = new_uid(self._key, uid)
            if len(self._uid_cache) > 200_000:
                self._uid_cache.clear()
        return hit

    def deidentify_dataset(self, ds: Dataset, *, patient_pseudonym: str | None = None,
                           date_offset: int | None = None) -> Dataset:
        """A new, de-identified dataset (the input is left as it was; Pixel Data is shared, not
        copied). Raises `Quarantine` (burned-in content suspected) or `Failure` (cannot be processed
        safely); both carry a fixed reason phrase only."""
        try:
            reason = screen_header(ds)
            if reason is not None:
                from .errors import Quarantine

                raise Quarantine(reason)
            if self.screen_pixels:
                screen_pixels(ds, ocr=self.ocr)
            return self._deidentify(ds, patient_pseudonym, date_offset)
        except DicomDeidError:
            raise
        except Exception as error:  # noqa: BLE001 - never let a message quoting a value escape
            raise Failure(f"processing error ({type(error).__name__})") from None

    # -- internals ------------------------------------------------------------------------------
    def _deidentify(self, ds: Dataset, pseudonym_: str | None, offset: int | None) -> Dataset:
        patient_id = str(ds.get("PatientID", "") or "").strip()
        if (pseudonym_ is None or (offset is None and self.modified_dates)) and not patient_id:
            raise Failure("missing patient id")
        if pseudonym_ is None:
            pseudonym_ = pseudonymize_patient_id(self._key, patient_id)
        if offset is None:
            offset = date_offset_days(self._key, patient_id) if self.modified_dates else 0
        state = _State(pseudonym_, offset, patient_id, ds)
        out = self._walk(ds, state, top=True)
        out.PatientName = pseudonym_
        out.PatientID = pseudonym_
        out.PatientIdentityRemoved = "YES"
        out.DeidentificationMethod = f"{METHOD}; options: {', '.join(self.profile.options) or 'none'}"[:64]
        items = []
        for value, meaning in self.profile.code_items():
            item = Dataset()
            item.CodeValue, item.CodingSchemeDesignator, item.CodeMeaning = value, "DCM", meaning
            items.append(item)
        out.DeidentificationMethodCodeSequence = Sequence(items)
        out.LongitudinalTemporalInformationModified = (
            "MODIFIED" if self.modified_dates else "UNMODIFIED" if self.full_dates else "REMOVED")
        if state.non_ascii:
            out.SpecificCharacterSet = "ISO_IR 192"
        if "SOPInstanceUID" not in out or "SOPClassUID" not in out:
            raise Failure("missing SOP instance or class UID")
        meta = FileMetaDataset()
        meta.MediaStorageSOPClassUID = out.SOPClassUID
        meta.MediaStorageSOPInstanceUID = out.SOPInstanceUID
        source_meta = getattr(ds, "file_meta", None)
        syntax = source_meta.get("TransferSyntaxUID") if source_meta is not None else None
        if syntax is None:
            raise Failure("missing transfer syntax")
        meta.TransferSyntaxUID = syntax
        meta.ImplementationClassUID = PYDICOM_IMPLEMENTATION_UID
        meta.ImplementationVersionName = "FRDEID"
        out.file_meta = meta
        _verify(out, self.profile)
        return out

    def _walk(self, ds: Dataset, state: _State, top: bool = False) -> Dataset:
        out = Dataset()
        for elem in ds:
            tag = int(elem.tag)
            if tag >> 16 == 0x0002 or elem.tag.is_private:
                continue
            result = self._element(elem, tag, state, top)
            if result is not None:
                out.add(result)
        return out

    def _element(self, elem: DataElement, tag: int, state: _State, top: bool) -> DataElement | None:
        vr = elem.VR
        raw_action, row = self.profile.lookup(tag)
        action = self.profile.action(tag)
        if tag == PATIENT_NAME:
            return DataElement(tag, "PN", state.pseudonym if top else "")
        if tag == PATIENT_ID:
            if top:
                return DataElement(tag, vr, state.pseudonym)
            value = str(elem.value or "").strip()
            return DataElement(tag, vr, pseudonymize_patient_id(self._key, value) if value else "")
        if tag == SPECIFIC_CHARSET:
            return elem
        if row is None and action == "K":
            if vr in ("DA", "DT"):
                action = "C" if self.modified_dates else "K" if self.full_dates else "X"
            elif vr == "PN":
                action = "Z"
        if action == "X":
            return None
        if vr == "SQ":
            if action in ("Z", "D"):
                return DataElement(tag, vr, Sequence())
            # K, U, C: keep the sequence, apply the rules to every item
            return DataElement(tag, vr, Sequence([self._walk(item, state) for item in elem.value]))
        if action == "K":
            return elem
        if action == "Z":
            return DataElement(tag, vr, _empty(vr))
        if action == "D":
            if vr == "UI":
                return _set_values(vr, tag, [self.uid(v) for v in _values(elem)])
            if vr in ("DA", "DT") and self.modified_dates:
                return self._shift(elem, tag, vr, state)
            return DataElement(tag, vr, _dummy(vr))
        if action == "U":
            if vr != "UI":
                return DataElement(tag, vr, _empty(vr))
            return _set_values(vr, tag, [self.uid(v) for v in _values(elem)])
        if action == "C":
            if vr in ("DA", "DT"):
                if self.modified_dates:
                    return self._shift(elem, tag, vr, state)
                return DataElement(tag, vr, _empty(vr))
            if vr == "TM":
                return elem  # Modified Dates keeps times
            if vr in TEXT_VRS:
                cleaned = [self._clean(str(v), state) for v in _values(elem)]
                for text in cleaned:
                    if not text.isascii():
                        state.non_ascii = True
                return _set_values(vr, tag, cleaned)
            return None
        return None  # unknown action: remove

    def _shift(self, elem: DataElement, tag: int, vr: str, state: _State) -> DataElement:
        shift = shift_date if vr == "DA" else shift_datetime
        values = []
        for value in _values(elem):
            shifted = shift(str(value), state.offset)
            if shifted is None:  # partial or malformed: cannot be shifted consistently -> Z
                return DataElement(tag, vr, "")
            values.append(shifted)
        return _set_values(vr, tag, values)

    def _clean(self, text: str, state: _State) -> str:
        if not text.strip():
            return text
        if self._text_cleaner is not None:
            return self._text_cleaner(text, state.source)
        cache_key = (text, state.patient_id, state.identity_key)
        hit = self._clean_cache.get(cache_key)
        if hit is not None:
            return hit
        if self._text_deid is None:
            from ..text.deidentify import TextDeidentifier

            self._text_deid = TextDeidentifier(self._key)
        result = self._text_deid.deidentify(text, state.identity(), patient_id=state.patient_id or None).text
        if len(self._clean_cache) > 100_000:
            self._clean_cache.clear()
        self._clean_cache[cache_key] = result
        return result


class _State:
    """Per-dataset values shared by the walk."""

    def __init__(self, pseudonym_: str, offset: int, patient_id: str, source: Dataset) -> None:
        self.pseudonym = pseudonym_
        self.offset = offset
        self.patient_id = patient_id
        self.source = source
        self.non_ascii = False
        name = source.get("PatientName")
        self._name = str(name) if name is not None else ""
        self._birth = str(source.get("PatientBirthDate", "") or "")
        self.identity_key = (self._name, self._birth)
        self._identity = None

    def identity(self):
        from ..patient import PatientIdentity

        if self._identity is None:
            parts = self._name.split("^")
            family = parts[0].strip() if parts else ""
            given = tuple(" ".join(p for p in parts[1:3] if p).split())
            birth = None
            if len(self._birth) == 8 and self._birth.isdigit():
                try:
                    birth = _dt.date(int(self._birth[:4]), int(self._birth[4:6]), int(self._birth[6:]))
                except ValueError:
                    birth = None
            self._identity = PatientIdentity(first_names=given, last_name=family, birth_date=birth,
                                             patient_id=self.patient_id)
        return self._identity


def _verify(ds: Dataset, profile: Profile) -> None:
    """Last check before anything is written: no private attribute, no attribute the profile removes."""
    def walk(d: Dataset) -> None:
        for elem in d:
            if elem.tag.is_private:
                raise Failure("private attribute left after de-identification")
            if profile.action(elem.tag) == "X":
                raise Failure("removed attribute left after de-identification")
            if elem.VR == "SQ":
                for item in elem.value:
                    walk(item)
    walk(ds)
