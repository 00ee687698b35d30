"""Header-only inventory of a hospital export (see docs/export-format.md).

`index_dicom` lists every file under EXPORT/dicom with the header attributes the build needs, or
why the file cannot be used; `read_reports` and `read_patients` load the EHR tables with every
identifier as a string; `studies_table` folds the image rows into one row per study.

Nothing read from a file ever reaches a `reason`, an exception message or a log: file contents and
exception texts can hold patient names (PACS export tools put them in folder names too).
"""

from __future__ import annotations

import json
import os
import re
import warnings
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from datetime import date, datetime, time
from pathlib import Path
from typing import Any, BinaryIO

import pandas as pd
import pydicom
from pydicom.dataset import Dataset
from pydicom.errors import InvalidDicomError
from pydicom.multival import MultiValue
from tqdm import tqdm

INDEX_COLUMNS = ("source", "status", "reason", "patient_id", "study_uid", "series_uid", "sop_uid", "sop_class_uid",
                 "accession_number", "study_datetime", "modality", "body_part", "view_position", "laterality",
                 "patient_sex", "patient_age", "pixel_spacing", "rows", "columns", "series_number", "instance_number",
                 "transfer_syntax")
INT_COLUMNS = ("rows", "columns", "series_number", "instance_number")
REPORT_COLUMNS = ("report_id", "patient_id", "accession_number", "datetime", "kind", "text")
PATIENT_COLUMNS = ("patient_id", "first_names", "last_name", "birth_date", "sex")
STUDY_COLUMNS = ("patient_id", "study_uid", "accession_number", "study_datetime", "modalities", "body_parts", "n_images",
                 "conflict")

DICOMDIR_CLASS = "1.2.840.10008.1.3.10"
DEFLATED_SYNTAX = "1.2.840.10008.1.2.1.99"
IMPLICIT_LITTLE = "1.2.840.10008.1.2"
EXPLICIT_BIG = "1.2.840.10008.1.2.2"
CHUNK_SIZE = 64
DATETIME_DTYPE = "datetime64[us]"  # microseconds: any DICOM date (years 1-9999) fits
# Study date first, then the dates a PACS fills in when the study's own are missing.
DATE_TIME_PAIRS = (("StudyDate", "StudyTime"), ("SeriesDate", "SeriesTime"),
                   ("AcquisitionDate", "AcquisitionTime"), ("ContentDate", "ContentTime"))
_ITEM, _SEQUENCE_END = 0xFFFEE000, 0xFFFEE0DD
_ISO_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?)?")


class UnusableFileError(Exception):
    """A file that cannot be used, with a fixed reason phrase (never a value read from the file)."""


class TableError(ValueError):
    """An EHR table that cannot be used; the message names no value read from it."""


def index_dicom(export: Path, workers: int = 1, progress: bool = False) -> pd.DataFrame:
    """One row per regular file under EXPORT/dicom (sorted by path): its header attributes and
    status "ok", or status "failed" with a fixed `reason`. Columns: INDEX_COLUMNS.

    The result does not depend on `workers` (> 1 reads chunks of files in a process pool)."""
    export = Path(export)
    root = export / "dicom"
    if not root.is_dir():
        raise ValueError("the export has no dicom/ folder")
    sources = list(_dicom_sources(root, export))
    chunks = [sources[i : i + CHUNK_SIZE] for i in range(0, len(sources), CHUNK_SIZE)]
    jobs = [[(str(export / source), source) for source in chunk] for chunk in chunks]
    rows: list[dict[str, Any]] = []
    with tqdm(total=len(sources), desc="index dicom", unit="file", disable=not progress) as bar:
        for chunk_rows in _map_chunks(jobs, workers):
            rows.extend(chunk_rows)
            bar.update(len(chunk_rows))
    return _mark_duplicates(_index_frame(rows))


def _dicom_sources(root: Path, export: Path) -> list[str]:
    """Paths (relative to the export, posix) of the regular files under `root`, sorted.
    Symbolic links are not followed: a link loop or a link out of the export must not be walked."""
    found: list[str] = []
    for folder, dirs, files in os.walk(root):
        dirs.sort()
        for name in files:
            path = Path(folder) / name
            if path.is_file() and not path.is_symlink():
                found.append(path.relative_to(export).as_posix())
    return sorted(found)


def _map_chunks(jobs: list[list[tuple[str, str]]], workers: int) -> Iterator[list[dict[str, Any]]]:
    if workers <= 1 or len(jobs) <= 1:
        yield from map(_index_chunk, jobs)
        return
    with ProcessPoolExecutor(max_workers=min(workers, len(jobs))) as pool:
        yield from pool.map(_index_chunk, jobs)


def _index_chunk(job: list[tuple[str, str]]) -> list[dict[str, Any]]:
    return [index_file(Path(path), source) for path, source in job]


def index_file(path: Path, source: str) -> dict[str, Any]:
    """The index row of one file (see `index_dicom`); never raises for a bad file."""
    row: dict[str, Any] = {"source": source, "status": "failed", "reason": ""}
    try:
        with warnings.catch_warnings():
            # pydicom's warnings quote element values, which may be identifying.
            warnings.simplefilter("ignore")
            row.update(_read_header(path))
        row["status"] = "ok"
    except UnusableFileError as problem:
        row["reason"] = str(problem)
    except InvalidDicomError:
        row["reason"] = "not a DICOM Part 10 file"
    except Exception:  # any reader failure: its message may quote a value or a path, so it is dropped
        row["reason"] = "unreadable header"
    return row


def _read_header(path: Path) -> dict[str, Any]:
    with path.open("rb") as handle:
        ds = pydicom.dcmread(handle, stop_before_pixels=True, force=False)
        meta = getattr(ds, "file_meta", Dataset())
        if header_text(meta, "MediaStorageSOPClassUID") == DICOMDIR_CLASS or "DirectoryRecordSequence" in ds:
            raise UnusableFileError("DICOMDIR")
        syntax = header_text(meta, "TransferSyntaxUID")
        if not syntax:  # "DICM" alone: no File Meta Information to say how the rest is encoded
            raise UnusableFileError("not a DICOM Part 10 file")
        values = _header_values(ds, syntax)
        if not values["patient_id"]:
            raise UnusableFileError("missing Patient ID")
        if not (values["study_uid"] and values["series_uid"] and values["sop_uid"]):
            raise UnusableFileError("missing study/series/SOP UID")
        if syntax != DEFLATED_SYNTAX:  # a deflated body is read from a decompressed copy, not `handle`
            _check_pixel_data(handle, syntax)
    return values


def _header_values(ds: Dataset, syntax: str) -> dict[str, Any]:
    return {
        "patient_id": header_text(ds, "PatientID"),
        "study_uid": header_text(ds, "StudyInstanceUID"),
        "series_uid": header_text(ds, "SeriesInstanceUID"),
        "sop_uid": header_text(ds, "SOPInstanceUID"),
        "sop_class_uid": header_text(ds, "SOPClassUID"),
        "accession_number": header_text(ds, "AccessionNumber"),
        "study_datetime": study_datetime(ds),
        "modality": header_text(ds, "Modality"),
        "body_part": header_text(ds, "BodyPartExamined"),
        "view_position": header_text(ds, "ViewPosition"),
        "laterality": header_text(ds, "ImageLaterality") or header_text(ds, "Laterality"),
        "patient_sex": header_text(ds, "PatientSex"),
        "patient_age": header_text(ds, "PatientAge"),
        "pixel_spacing": header_text(ds, "PixelSpacing") or header_text(ds, "ImagerPixelSpacing"),
        "rows": _integer(ds, "Rows"),
        "columns": _integer(ds, "Columns"),
        "series_number": _integer(ds, "SeriesNumber"),
        "instance_number": _integer(ds, "InstanceNumber"),
        "transfer_syntax": syntax,
    }


def _check_pixel_data(handle: BinaryIO, syntax: str) -> None:
    """`handle` stands where pydicom stopped, before Pixel Data: check that the element is there and
    that its value (or every fragment of it) ends inside the file, without reading the pixels."""
    size = os.fstat(handle.fileno()).st_size
    head = handle.read(8)
    if len(head) < 8:
        raise UnusableFileError("no pixel data")
    order = "big" if syntax == EXPLICIT_BIG else "little"
    if syntax == IMPLICIT_LITTLE:
        length = int.from_bytes(head[4:8], order)
    else:
        length = int.from_bytes(handle.read(4), order)  # OB/OW/OF/OD: 2 reserved bytes, then 4
    if length != 0xFFFFFFFF:
        if handle.tell() + length > size:
            raise UnusableFileError("truncated file")
        return
    while True:  # encapsulated: items up to the sequence delimiter, always little endian
        item = handle.read(8)
        if len(item) < 8:
            raise UnusableFileError("truncated file")
        tag = int.from_bytes(item[0:2], "little") << 16 | int.from_bytes(item[2:4], "little")
        length = int.from_bytes(item[4:8], "little")
        if tag == _SEQUENCE_END:
            return
        if tag != _ITEM or handle.tell() + length > size:
            raise UnusableFileError("truncated file" if tag == _ITEM else "malformed pixel data")
        handle.seek(length, os.SEEK_CUR)


def header_text(ds: Dataset, keyword: str) -> str:
    """An attribute as a string without DICOM padding; multiple values joined with a backslash;
    "" when absent or unreadable."""
    try:
        value = ds.get(keyword)
    except Exception:  # a badly encoded value is treated as absent
        return ""
    if value is None:
        return ""
    if isinstance(value, (list, tuple, MultiValue)):
        return "\\".join(str(v).strip(" \x00") for v in value)
    return str(value).strip(" \x00")


def _integer(ds: Dataset, keyword: str) -> int | None:
    text = header_text(ds, keyword)
    try:
        return int(float(text)) if text else None
    except ValueError:
        return None


def study_datetime(ds: Dataset) -> pd.Timestamp:
    """Study Date + Time, else Series, Acquisition or Content Date + Time (time optional); NaT
    when no date parses."""
    for date_keyword, time_keyword in DATE_TIME_PAIRS:
        day = parse_da(header_text(ds, date_keyword))
        if day is not None:
            return pd.Timestamp(datetime.combine(day, parse_tm(header_text(ds, time_keyword)) or time()))
    return pd.NaT


def parse_da(text: str) -> date | None:
    """A DICOM DA value (`YYYYMMDD`, or the old `YYYY.MM.DD`) as a date; None when invalid."""
    digits = text.strip().replace(".", "").replace("-", "")
    if not re.fullmatch(r"\d{8}", digits):
        return None
    try:
        return date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    except ValueError:
        return None


def parse_tm(text: str) -> time | None:
    """A DICOM TM value (`HH`, `HHMM`, `HHMMSS[.F...]`, or the old `HH:MM:SS`); None when invalid."""
    match = re.fullmatch(r"(\d{2})(\d{2})?(\d{2})?(?:\.(\d{1,6}))?", text.strip().replace(":", ""))
    if not match:
        return None
    hour, minute, second = (int(g) if g else 0 for g in match.groups()[:3])
    fraction = match.group(4) or ""
    if hour > 23 or minute > 59 or second > 60:
        return None
    return time(hour, minute, min(second, 59), int(fraction.ljust(6, "0")) if fraction else 0)


def _index_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    frame = pd.DataFrame.from_records(rows, columns=list(INDEX_COLUMNS))
    for column in INDEX_COLUMNS:
        if column == "study_datetime":
            frame[column] = pd.to_datetime(frame[column]).astype(DATETIME_DTYPE)
        elif column in INT_COLUMNS:
            frame[column] = pd.array([None if _missing(v) else int(v) for v in frame[column]], dtype="Int64")
        else:
            frame[column] = frame[column].map(lambda v: "" if _missing(v) else str(v)).astype(object)
    return frame


def _mark_duplicates(frame: pd.DataFrame) -> pd.DataFrame:
    """Second and later files (in path order) holding an SOP Instance UID already seen fail."""
    ok = frame["status"] == "ok"
    repeated = ok & frame["sop_uid"].where(ok).duplicated(keep="first") & frame["sop_uid"].ne("")
    frame.loc[repeated, "status"] = "failed"
    frame.loc[repeated, "reason"] = "duplicate SOP Instance UID"
    return frame


def _missing(value: Any) -> bool:
    return pd.api.types.is_scalar(value) and bool(pd.isna(value))


def studies_table(images: pd.DataFrame) -> pd.DataFrame:
    """One row per Study Instance UID of the "ok" images: patient_id, study_uid, accession_number
    (first non-empty), study_datetime (earliest), modalities and body_parts (each "|"-joined,
    sorted; body parts let pairing tell apart two studies of one day), n_images and
    `conflict` (the images disagree on the Patient ID: the study must not be used). Sorted by
    patient, date and UID."""
    ok = images[images["status"] == "ok"]
    rows = [_study_row(uid, group) for uid, group in ok.groupby("study_uid", sort=True)]
    table = pd.DataFrame.from_records(rows, columns=list(STUDY_COLUMNS))
    table["study_datetime"] = pd.to_datetime(table["study_datetime"]).astype(DATETIME_DTYPE)
    table["n_images"] = table["n_images"].astype(int)
    table["conflict"] = table["conflict"].astype(bool)
    table = table.sort_values(["patient_id", "study_datetime", "study_uid"], na_position="last", kind="stable")
    return table.reset_index(drop=True)


def _study_row(study_uid: str, group: pd.DataFrame) -> dict[str, Any]:
    patients = [p for p in dict.fromkeys(group["patient_id"]) if p]
    accessions = [a for a in group["accession_number"] if a]
    return {
        "patient_id": patients[0] if patients else "",
        "study_uid": study_uid,
        "accession_number": accessions[0] if accessions else "",
        "study_datetime": group["study_datetime"].min(),
        "modalities": "|".join(sorted({m for m in group["modality"] if m})),
        "body_parts": "|".join(sorted({b for b in group["body_part"] if b})),
        "n_images": len(group),
        "conflict": len(patients) > 1,
    }


def read_reports(export: Path) -> pd.DataFrame:
    """The EHR documents (reports.csv, .parquet or .jsonl): report_id, patient_id, accession_number
    ("" when missing), datetime (Timestamp, NaT when it does not parse), kind, text; every other
    column as a string. Raises ValueError when no table (or several) or a required column is
    missing, or when report_id is empty or repeated."""
    table = _read_table(Path(export), "reports")
    if "accession_number" not in table.columns:
        table["accession_number"] = ""
    _require_columns(table, REPORT_COLUMNS, "reports")
    if (table["report_id"] == "").any():
        raise ValueError(f"reports: {int((table['report_id'] == '').sum())} rows have no report_id")
    if table["report_id"].duplicated().any():
        raise ValueError(f"reports: {int(table['report_id'].duplicated().sum())} report_id values are repeated")
    table["datetime"] = _parse_datetimes(table["datetime"])
    columns = [*REPORT_COLUMNS, *(c for c in table.columns if c not in REPORT_COLUMNS)]
    return table[columns].reset_index(drop=True)


def read_patients(export: Path) -> pd.DataFrame:
    """The patients' identities (patients.csv, .parquet or .jsonl): patient_id, first_names,
    last_name, birth_date, sex, all strings. Raises ValueError as `read_reports` does."""
    table = _read_table(Path(export), "patients")
    _require_columns(table, PATIENT_COLUMNS, "patients")
    if (table["patient_id"] == "").any():
        raise ValueError(f"patients: {int((table['patient_id'] == '').sum())} rows have no patient_id")
    if table["patient_id"].duplicated().any():
        raise ValueError(f"patients: {int(table['patient_id'].duplicated().sum())} patient_id values are repeated")
    columns = [*PATIENT_COLUMNS, *(c for c in table.columns if c not in PATIENT_COLUMNS)]
    return table[columns].reset_index(drop=True)


def _read_table(export: Path, stem: str) -> pd.DataFrame:
    """STEM.csv, STEM.parquet or STEM.jsonl with every value a string ("" for missing values);
    identifiers are stripped of surrounding blanks."""
    present = [export / f"{stem}.{ext}" for ext in ("csv", "parquet", "jsonl") if (export / f"{stem}.{ext}").is_file()]
    if not present:
        raise ValueError(f"the export has no {stem}.csv, {stem}.parquet or {stem}.jsonl")
    if len(present) > 1:
        raise ValueError(f"the export has several {stem} tables ({', '.join(p.name for p in present)}): keep one")
    path = present[0]
    try:
        if path.suffix == ".csv":
            table = pd.read_csv(path, dtype=str, keep_default_na=False, na_filter=False, encoding="utf-8-sig")
        elif path.suffix == ".parquet":
            table = pd.read_parquet(path)
        else:
            table = pd.DataFrame.from_records(list(_json_lines(path)))
    except TableError:
        raise
    except Exception as error:
        # The reader's message could quote a cell: replace it with a fixed one.
        raise ValueError(f"{path.name} could not be read ({type(error).__name__})") from None
    table.columns = [str(c).strip() for c in table.columns]
    for column in table.columns:
        if not (column == "datetime" and pd.api.types.is_datetime64_any_dtype(table[column])):
            table[column] = _as_strings(table[column], strip=column != "text")
    return table


def _json_lines(path: Path) -> Iterable[dict]:
    with path.open(encoding="utf-8-sig") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                raise TableError(f"{path.name}: line {number} is not valid JSON") from None
            if not isinstance(record, dict):
                raise TableError(f"{path.name}: line {number} is not a JSON object")
            yield record


def _as_strings(values: pd.Series, strip: bool) -> pd.Series:
    def one(value: Any) -> str:
        if _missing(value):
            return ""
        if isinstance(value, float) and value.is_integer():
            value = int(value)  # an ID stored as a float by a lossy exporter
        text = str(value)
        return text.strip() if strip else text

    return values.map(one).astype(object)


def _require_columns(table: pd.DataFrame, required: tuple[str, ...], name: str) -> None:
    missing = [c for c in required if c not in table.columns]
    if missing:
        raise ValueError(f"{name}: missing required column(s): {', '.join(missing)}")


def _parse_datetimes(values: pd.Series) -> pd.Series:
    """Local ISO 8601 date-times; anything that does not parse becomes NaT."""
    if pd.api.types.is_datetime64_any_dtype(values):
        values = values.dt.tz_localize(None) if values.dt.tz is not None else values
        return values.astype(DATETIME_DTYPE)
    return pd.to_datetime(values.map(_parse_datetime)).astype(DATETIME_DTYPE)


def _parse_datetime(text: str) -> pd.Timestamp:
    """`YYYY-MM-DD[ HH:MM[:SS[.ffffff]]]` (a `T` may separate date and time). Other forms are not
    guessed at: `05/10/2015` is May 10 in one country and October 5 in the other."""
    if not _ISO_DATETIME.fullmatch(text):
        return pd.NaT
    try:
        return pd.Timestamp(datetime.fromisoformat(text))
    except ValueError:
        return pd.NaT
