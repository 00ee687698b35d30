"""`boneds audit`: the independent leak scan of a build's output.

A fake build output is written here from the small export: pseudonymous keys, made-up texts that
hold no PHI, real JPEG, tar and Parquet files. The clean output must pass; then one leak at a time
is planted and must be found with its kind and location, and never shown in the report.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import tarfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pydicom
import pytest
from PIL import Image

from boneds.builder.audit import (
    AuditResult,
    Finding,
    PhiIndex,
    audit,
    build_index,
    format_findings,
    is_common_word,
    read_pseudonyms,
    scan_output,
)
from frdeid.text.document import fold
from helpers import read_csv

ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
PER_SHARD = 6
CLEAN_TEXT = ("Radiographie de la main gauche, face et profil.\n"
              "Pas de fracture ni de luxation. Cartilages de croissance ouverts.\n"
              "Conclusion : examen normal.\n")

Samples = dict[str, dict[str, bytes]]  # key -> member suffix ("txt", "json", "0.jpg") -> content


@dataclass(frozen=True)
class Facts:
    """What the tests read from the export themselves, to plant leaks."""

    patients: list[dict]
    dicom: dict[str, pydicom.Dataset]  # one header per patient id

    def key(self, patient: dict) -> str:
        return f"{_pseudonym('patient', patient['patient_id'])}_{_pseudonym('study', patient['patient_id'])}"


def _pseudonym(domain: str, value: str) -> str:
    digest = hashlib.sha256(f"{domain}:{value}".encode()).digest()
    return "".join(ALPHABET[b % len(ALPHABET)] for b in digest[:12])


def _jpeg(seed: int) -> bytes:
    pixels = np.random.default_rng(seed).integers(0, 256, (48, 40), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


def _with_comment(jpeg: bytes, comment: bytes) -> bytes:
    """A JPEG with a COM segment right after its start-of-image marker."""
    return jpeg[:2] + b"\xff\xfe" + (len(comment) + 2).to_bytes(2, "big") + comment + jpeg[2:]


@pytest.fixture(scope="module")
def facts(small_export: Path) -> Facts:
    headers: dict[str, pydicom.Dataset] = {}
    for path in sorted((small_export / "dicom").rglob("*")):
        try:
            ds = pydicom.dcmread(path, stop_before_pixels=True)
        except Exception:  # noqa: BLE001 -- the export holds deliberately broken files
            continue
        if ds.get("AccessionNumber") and "OtherPatientIDsSequence" in ds:
            headers.setdefault(str(ds.PatientID), ds)
    return Facts(read_csv(small_export / "patients.csv"), headers)


@pytest.fixture(scope="module")
def phi_index(small_export: Path) -> PhiIndex:
    return build_index(small_export)[0]


def clean_samples(facts: Facts) -> Samples:
    samples: Samples = {}
    for number, patient in enumerate(facts.patients):
        key = facts.key(patient)
        meta = {"key": key, "study_date": f"2031-05-{number + 1:02d}", "body_part": "HAND", "age_years": 11.5,
                "sex": patient["sex"], "views": ["PA", "OBL"],
                "study_uid": "2.25." + str(int.from_bytes(hashlib.sha256(key.encode()).digest()[:16], "big"))}
        samples[key] = {"txt": CLEAN_TEXT.encode(), "json": json.dumps(meta).encode(), "0.jpg": _jpeg(number)}
    return samples


def shard_of(samples: Samples, key: str) -> str:
    return f"shards/bone-{sorted(samples).index(key) // PER_SHARD:06d}.tar"


def write_out(root: Path, samples: Samples, notes: dict[str, str] | None = None,
              stats: dict | None = None, renamed: dict[str, str] | None = None) -> Path:
    """A build output: tar shards, manifest.parquet (with a free `note` column), sizes.json,
    stats.json. `renamed` maps a member name to the name it is written under."""
    out = root / "out"
    (out / "shards").mkdir(parents=True)
    keys = sorted(samples)
    sizes = {}
    for start in range(0, len(keys), PER_SHARD):
        name = f"shards/bone-{start // PER_SHARD:06d}.tar"
        with tarfile.open(out / name, "w") as shard:
            for key in keys[start:start + PER_SHARD]:
                for suffix, data in samples[key].items():
                    info = tarfile.TarInfo((renamed or {}).get(f"{key}.{suffix}", f"{key}.{suffix}"))
                    info.size = len(data)
                    shard.addfile(info, io.BytesIO(data))
        sizes[name] = len(keys[start:start + PER_SHARD])
    rows = [{"key": key, "body_part": "HAND", "n_images": 1, "note": (notes or {}).get(key, "")} for key in keys]
    pd.DataFrame(rows).to_parquet(out / "manifest.parquet")
    (out / "sizes.json").write_text(json.dumps(sizes))
    (out / "stats.json").write_text(json.dumps(stats or {"samples": len(keys), "body_parts": {"HAND": len(keys)}}))
    return out


def write_private(root: Path, facts: Facts) -> Path:
    private = root / "private"
    private.mkdir()
    with (private / "pseudonyms.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["patient_id", "patient_pseudonym"])
        writer.writerows((p["patient_id"], _pseudonym("patient", p["patient_id"])) for p in facts.patients)
    return private


def _scan(tmp_path: Path, facts: Facts, index: PhiIndex, samples: Samples, private: bool = True,
          **out_options) -> AuditResult:
    out = write_out(tmp_path, samples, **out_options)
    pseudonyms = read_pseudonyms(write_private(tmp_path, facts)) if private else None
    return scan_output(out, index, pseudonyms)


def _assert_value_hidden(result: AuditResult, value: str) -> None:
    shown = [format_findings(result)] + [f"{f.location} {f.kind}" for f in result.findings]
    forms = {fold(value), "".join(ch for ch in value if ch.isdigit())} - {""}
    for text in shown:
        for form in forms:
            assert len(form) < 4 or form not in fold(text)


def _dmy(iso: str) -> str:
    year, month, day = iso.split("-")
    return f"{day}/{month}/{year}"


def _uncommon_single_surname(facts: Facts, other_than: str = "") -> dict:
    for patient in facts.patients:
        last = fold(patient["last_name"])
        if last.isalpha() and not is_common_word(last) and last != other_than:
            return patient
    pytest.skip("the small export has no patient with an uncommon one-word surname")


def _common_word_surname(facts: Facts) -> dict:
    for patient in facts.patients:
        last = fold(patient["last_name"])
        if last.isalpha() and is_common_word(last):
            return patient
    pytest.skip("the small export has no patient whose surname is a common word")


# --- the clean output -------------------------------------------------------------------------


def test_clean_output_passes_end_to_end(small_export, facts, tmp_path):
    out = write_out(tmp_path, clean_samples(facts))
    result = audit(out, small_export, write_private(tmp_path, facts))
    assert result.ok, format_findings(result)
    assert result.findings == []
    assert result.files_scanned == 5
    assert result.members_scanned == 3 * len(facts.patients)
    assert result.phi_terms > 100
    assert "passed, no PHI found" in format_findings(result)


def test_clean_output_passes_without_private_and_says_what_was_not_checked(facts, phi_index, tmp_path):
    result = _scan(tmp_path, facts, phi_index, clean_samples(facts), private=False)
    assert result.ok
    assert any("pseudonyms.csv" in note for note in result.notes)


# --- one leak at a time -----------------------------------------------------------------------

# A leak plants a value in the samples (or in the other files through `out_options`) and returns
# the location, the kind and the value.
Leak = Callable[[Facts, Samples, dict], tuple[str, str, str]]


def _full_name(patient: dict) -> str:
    return f"{patient['first_names'].split()[0]} {patient['last_name'].upper()}"


def full_name_in_own_text(facts: Facts, samples: Samples, _: dict) -> tuple[str, str, str]:
    patient = facts.patients[0]
    key = facts.key(patient)
    samples[key]["txt"] += f"Vu ce jour avec {_full_name(patient)}.\n".encode()
    return f"{shard_of(samples, key)}:{key}.txt", "patient name", _full_name(patient)


def full_name_in_another_patients_json(facts: Facts, samples: Samples, _: dict) -> tuple[str, str, str]:
    key = facts.key(facts.patients[3])
    meta = json.loads(samples[key]["json"])
    meta["operator"] = _full_name(facts.patients[0])
    samples[key]["json"] = json.dumps(meta).encode()
    return f"{shard_of(samples, key)}:{key}.json", "patient name", _full_name(facts.patients[0])


def patient_id_in_json(facts: Facts, samples: Samples, _: dict) -> tuple[str, str, str]:
    patient = facts.patients[1]
    key = facts.key(patient)
    meta = json.loads(samples[key]["json"])
    meta["source"] = f"dossier {patient['patient_id']}"
    samples[key]["json"] = json.dumps(meta).encode()
    return f"{shard_of(samples, key)}:{key}.json", "patient id", patient["patient_id"]


def accession_in_member_name(facts: Facts, samples: Samples, options: dict) -> tuple[str, str, str]:
    patient_id, header = next(iter(facts.dicom.items()))
    key = next(facts.key(p) for p in facts.patients if p["patient_id"] == patient_id)
    accession = str(header.AccessionNumber)
    options["renamed"] = {f"{key}.0.jpg": f"{key}.{accession}.jpg"}
    position = 3 * (sorted(samples).index(key) % PER_SHARD) + 3  # txt, json, then the jpg
    return f"{shard_of(samples, key)}:member #{position} (name)", "accession number", accession


def birth_date_in_own_text(facts: Facts, samples: Samples, _: dict) -> tuple[str, str, str]:
    patient = facts.patients[2]
    key = facts.key(patient)
    value = _dmy(patient["birth_date"])
    samples[key]["txt"] += f"Patient né(e) le {value}.\n".encode()
    return f"{shard_of(samples, key)}:{key}.txt", "birth date", value


def birth_date_outside_samples(facts: Facts, _: Samples, options: dict) -> tuple[str, str, str]:
    value = _dmy(facts.patients[4]["birth_date"]).replace("/", ".")
    options["stats"] = {"samples": 12, "example": f"DDN {value}"}
    return "stats.json", "birth date", value


def study_uid_in_jpeg_comment(facts: Facts, samples: Samples, _: dict) -> tuple[str, str, str]:
    patient_id, header = next(iter(facts.dicom.items()))
    key = next(facts.key(p) for p in facts.patients if p["patient_id"] == patient_id)
    value = str(header.StudyInstanceUID)
    samples[key]["0.jpg"] = _with_comment(samples[key]["0.jpg"], f"StudyInstanceUID={value}".encode())
    return f"{shard_of(samples, key)}:{key}.0.jpg", "DICOM UID", value


def study_uid_after_jpeg_end(facts: Facts, samples: Samples, _: dict) -> tuple[str, str, str]:
    patient_id, header = list(facts.dicom.items())[-1]
    key = next(facts.key(p) for p in facts.patients if p["patient_id"] == patient_id)
    value = str(header.StudyInstanceUID)
    samples[key]["0.jpg"] += b"\x00" + value.encode() + b"\x00"
    return f"{shard_of(samples, key)}:{key}.0.jpg", "DICOM UID", value


def niss_without_separators(facts: Facts, samples: Samples, _: dict) -> tuple[str, str, str]:
    patient_id, header = next(iter(facts.dicom.items()))
    niss = str(header.OtherPatientIDsSequence[0].PatientID)
    value = "".join(ch for ch in niss if ch.isdigit())
    assert value != niss, "the export's NISS is written with separators"
    key = facts.key(facts.patients[5])
    samples[key]["txt"] += f"NISS {value}\n".encode()
    return f"{shard_of(samples, key)}:{key}.txt", "other patient id", value


def full_name_in_manifest(facts: Facts, samples: Samples, options: dict) -> tuple[str, str, str]:
    patient = facts.patients[6]
    value = f"{patient['last_name']}, {patient['first_names'].split()[0]}"
    key = facts.key(facts.patients[7])
    options["notes"] = {key: f"relu pour {value}"}
    return f"manifest.parquet:row {sorted(samples).index(key)} column note", "patient name", value


def uncommon_surname_in_own_sample(facts: Facts, samples: Samples, _: dict) -> tuple[str, str, str]:
    patient = _uncommon_single_surname(facts)
    key = facts.key(patient)
    samples[key]["txt"] += f"Revu avec Mme {patient['last_name']}.\n".encode()
    return f"{shard_of(samples, key)}:{key}.txt", "patient name", patient["last_name"]


LEAKS: list[Leak] = [full_name_in_own_text, full_name_in_another_patients_json, patient_id_in_json, accession_in_member_name, birth_date_in_own_text,
                     birth_date_outside_samples, study_uid_in_jpeg_comment, study_uid_after_jpeg_end,
                     niss_without_separators, full_name_in_manifest, uncommon_surname_in_own_sample]


@pytest.mark.parametrize("leak", LEAKS, ids=lambda leak: leak.__name__)
def test_a_planted_leak_is_found_with_its_kind_and_location_and_never_shown(leak, facts, phi_index, tmp_path):
    samples = clean_samples(facts)
    options: dict = {}
    location, kind, value = leak(facts, samples, options)
    result = _scan(tmp_path, facts, phi_index, samples, **options)
    assert result.findings == [Finding(location, kind)], format_findings(result)
    assert not result.ok
    assert "FAILED" in format_findings(result)
    _assert_value_hidden(result, value)


# --- what must not count ----------------------------------------------------------------------


def test_a_full_name_in_another_patients_report_text_counts_only_without_the_pseudonym_map(facts, phi_index,
                                                                                           tmp_path):
    samples = clean_samples(facts)
    key = facts.key(facts.patients[3])
    samples[key]["txt"] += f"Copie au Dr {_full_name(facts.patients[0])}.\n".encode()
    assert _scan(tmp_path / "mapped", facts, phi_index, samples).ok
    unmapped = _scan(tmp_path / "unmapped", facts, phi_index, samples, private=False)
    assert unmapped.findings == [Finding(f"{shard_of(samples, key)}:{key}.txt", "patient name")]


def test_a_surname_alone_in_another_patients_sample_does_not_count(facts, phi_index, tmp_path):
    patient = _uncommon_single_surname(facts)
    surname = fold(patient["last_name"])
    other = next(p for p in facts.patients if surname not in fold(f"{p['first_names']} {p['last_name']}").split())
    samples = clean_samples(facts)
    samples[facts.key(other)]["txt"] += f"Avis du Dr {patient['last_name']}.\n".encode()
    assert _scan(tmp_path, facts, phi_index, samples).ok


def test_a_surname_that_is_a_common_word_does_not_count_even_in_the_own_sample(facts, phi_index, tmp_path):
    patient = _common_word_surname(facts)
    samples = clean_samples(facts)
    samples[facts.key(patient)]["txt"] += f"Aspect {patient['last_name'].lower()} de la corticale.\n".encode()
    assert _scan(tmp_path, facts, phi_index, samples).ok


def test_a_surname_alone_is_not_checked_without_the_pseudonym_map(facts, phi_index, tmp_path):
    patient = _uncommon_single_surname(facts)
    samples = clean_samples(facts)
    samples[facts.key(patient)]["txt"] += f"Revu avec Mme {patient['last_name']}.\n".encode()
    assert _scan(tmp_path, facts, phi_index, samples, private=False).ok


def test_a_birth_date_in_another_patients_sample_is_a_coincidence(facts, phi_index, tmp_path):
    samples = clean_samples(facts)
    samples[facts.key(facts.patients[1])]["txt"] += f"Contrôle du {_dmy(facts.patients[0]['birth_date'])}.\n".encode()
    assert _scan(tmp_path, facts, phi_index, samples).ok


def test_a_full_name_inside_a_longer_compound_name_does_not_count(facts, phi_index, tmp_path):
    patient = facts.patients[0]
    samples = clean_samples(facts)
    written = f"{patient['first_names'].split()[0]} {patient['last_name']}-Vandermeersch"
    samples[facts.key(facts.patients[3])]["txt"] += f"Copie au Dr {written}.\n".encode()
    assert _scan(tmp_path, facts, phi_index, samples).ok


@pytest.mark.parametrize("cut", ["in a member's data", "in a member's header"])
def test_a_damaged_shard_fails_closed(cut, facts, phi_index, tmp_path):
    out = write_out(tmp_path, clean_samples(facts))
    shard = out / "shards" / "bone-000000.tar"
    with tarfile.open(shard) as archive:
        member = archive.getmembers()[4]
    size = member.offset_data + 100 if cut == "in a member's data" else member.offset + 100
    shard.write_bytes(shard.read_bytes()[:size])
    result = scan_output(out, phi_index, read_pseudonyms(write_private(tmp_path, facts)))
    assert [f.location for f in result.findings] == ["shards/bone-000000.tar"]
    assert result.findings[0].kind.startswith("unreadable file")
