"""De-identify a folder of DICOM files: one report row per input file, nothing unsafe written.

Output layout: OUT/<patient pseudonym>/<study pseudonym>/<series pseudonym>/<instance pseudonym>.dcm,
each pseudonym `keys.pseudonym(key, "dicom-…", original UID)` (the patient's is
`pseudonymize_patient_id`), so names carry no original identifier and are the same on every run.
A file is written to a temporary name in its folder, then linked to its final name (which must not
exist: a second input with the same SOP Instance UID fails as a duplicate) and the temporary removed.

REPORT.csv columns: source (path relative to IN, an audit column that stays in the hospital),
output (relative to OUT, empty unless written), status (written|quarantined|failed), reason (a fixed
phrase). Nothing read from a file is ever printed.
"""

from __future__ import annotations

import csv
import logging
import os
import uuid
import warnings
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from ..keys import pseudonym
from .deidentify import DicomDeidentifier
from .errors import DicomDeidError, Failure
from .profile import DEFAULT_OPTIONS

REPORT_FIELDS = ("source", "output", "status", "reason")


@dataclass(frozen=True)
class Row:
    source: str
    output: str
    status: str
    reason: str


def output_relpath(key: bytes, patient_pseudonym: str, original: dict[str, str]) -> str:
    """OUT-relative path of an instance, from its original study/series/instance UIDs."""
    parts = [patient_pseudonym]
    for domain, attr in (("dicom-study", "study"), ("dicom-series", "series"), ("dicom-instance", "sop")):
        value = original.get(attr, "").strip()
        if not value:
            raise Failure(f"missing {attr} instance uid")
        parts.append(pseudonym(key, domain, value, 16))
    return "/".join(parts[:-1]) + f"/{parts[-1]}.dcm"


def _read(path: Path):
    import pydicom
    from pydicom.errors import InvalidDicomError

    try:
        if path.stat().st_size == 0:
            raise Failure("empty file")
        ds = pydicom.dcmread(path, force=False)
        # touch every element now: a truncated or corrupt file fails here, not half-way through
        ds.walk(lambda d, e: None)
        if "PixelData" in ds:
            pixel = ds["PixelData"].value  # noqa: F841 - forces the read of the whole value
            if pixel is None:
                raise Failure("pixel data missing or truncated")
            if not ds.file_meta.TransferSyntaxUID.is_encapsulated:
                expected = (int(ds.Rows) * int(ds.Columns) * int(ds.get("SamplesPerPixel", 1))
                            * int(ds.get("NumberOfFrames", 1) or 1) * int(ds.BitsAllocated)) // 8
                if len(pixel) < expected:
                    raise Failure("pixel data truncated")
        elif "Rows" in ds:
            raise Failure("pixel data missing or truncated")
    except InvalidDicomError:
        raise Failure("not a DICOM file") from None
    except DicomDeidError:
        raise
    except Exception as error:  # noqa: BLE001
        raise Failure(f"unreadable DICOM ({type(error).__name__})") from None
    if getattr(ds, "file_meta", None) is None or "TransferSyntaxUID" not in ds.file_meta:
        raise Failure("no file meta information")
    return ds


_WORKER: dict = {}


def _init_worker(key: bytes, options: tuple[str, ...], screen: bool, ocr: bool) -> None:
    silence_pydicom()
    _WORKER["deid"] = DicomDeidentifier(key, options, screen_pixels=screen, ocr=ocr)
    _WORKER["key"] = key


def silence_pydicom() -> None:
    """pydicom warns and logs with the file path (`... found in file <path>`), and export paths hold
    patient names: its logger is silenced here and `process_file` ignores warnings while it works."""
    logging.getLogger("pydicom").setLevel(logging.CRITICAL)


def process_file(path: Path, source: str, out_dir: Path) -> Row:
    """De-identify one file with the worker's deidentifier; never raises, never prints."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return _process_file(path, source, out_dir)


def _process_file(path: Path, source: str, out_dir: Path) -> Row:
    deid: DicomDeidentifier = _WORKER["deid"]
    key: bytes = _WORKER["key"]
    try:
        ds = _read(path)
        original = {"study": str(ds.get("StudyInstanceUID", "") or ""),
                    "series": str(ds.get("SeriesInstanceUID", "") or ""),
                    "sop": str(ds.get("SOPInstanceUID", "") or "")}
        clean = deid.deidentify_dataset(ds)
        rel = output_relpath(key, str(clean.PatientID), original)
        _write(clean, out_dir, rel)
        return Row(source, rel, "written", "de-identified")
    except DicomDeidError as error:
        return Row(source, "", error.status, error.reason)
    except Exception as error:  # noqa: BLE001 - the type only
        return Row(source, "", "failed", f"processing error ({type(error).__name__})")


def _write(ds, out_dir: Path, rel: str) -> None:
    final = out_dir / rel
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = final.parent / f".tmp-{uuid.uuid4().hex}.dcm"
    try:
        ds.save_as(tmp, enforce_file_format=True)
        try:
            os.link(tmp, final)
        except FileExistsError:
            raise Failure("duplicate output (same instance uid)") from None
        except OSError:
            raise Failure("cannot write output") from None
    except DicomDeidError:
        raise
    except Exception as error:  # noqa: BLE001
        raise Failure(f"cannot write output ({type(error).__name__})") from None
    finally:
        tmp.unlink(missing_ok=True)


def list_inputs(in_dir: Path) -> list[Path]:
    """Every regular file under IN (hidden ones included), sorted: the report has one row each."""
    return sorted(p for p in Path(in_dir).rglob("*") if p.is_file() and not p.is_symlink())


def run(in_dir: Path, out_dir: Path, key: bytes, report: Path, *, options: Iterable[str] = DEFAULT_OPTIONS,
        workers: int = 1, screen: bool = True, ocr: bool = True) -> list[Row]:
    """De-identify every file under IN into OUT and write REPORT.csv; returns the rows."""
    in_dir, out_dir = Path(in_dir), Path(out_dir)
    options = tuple(options)
    inputs = list_inputs(in_dir)
    sources = [p.relative_to(in_dir).as_posix() for p in inputs]
    out_dir.mkdir(parents=True, exist_ok=True)
    if workers <= 1:
        _init_worker(key, options, screen, ocr)
        rows = [process_file(p, s, out_dir) for p, s in zip(inputs, sources, strict=True)]
    else:
        with ProcessPoolExecutor(workers, initializer=_init_worker, initargs=(key, options, screen, ocr)) as pool:
            rows = list(pool.map(process_file, inputs, sources, [out_dir] * len(inputs), chunksize=4))
    # duplicates: the second writer of an output path failed; check nothing else collided
    write_report(report, rows)
    return rows


def write_report(path: Path, rows: list[Row]) -> None:
    tmp = Path(path).with_name(Path(path).name + ".tmp")
    with open(tmp, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(REPORT_FIELDS)
        for row in rows:
            writer.writerow([row.source, row.output, row.status, row.reason])
    os.replace(tmp, path)
