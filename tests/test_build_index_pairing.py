"""`boneds build` inventory and pairing: the header index of an export, the EHR tables, and reports
paired with studies on original dates (scored against the synthetic export's truth)."""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

import pandas as pd
import pydicom
import pytest

from boneds.builder.index import (
    INDEX_COLUMNS,
    index_dicom,
    read_patients,
    read_reports,
    studies_table,
)
from boneds.builder.pairing import pair_reports, pairing_scores
from boneds.synth.export import generate_export
from helpers import read_csv

FIXED_REASONS = {"", "not a DICOM Part 10 file", "unreadable header", "missing Patient ID",
                 "missing study/series/SOP UID", "DICOMDIR", "duplicate SOP Instance UID", "truncated file",
                 "no pixel data", "malformed pixel data"}
NATIVE_SYNTAXES = {"1.2.840.10008.1.2", "1.2.840.10008.1.2.1"}
PAIRING_EXPORT = {"patients": 60, "seed": 20240611, "image_size": 64}


@pytest.fixture(scope="module")
def small_index(small_export: Path) -> pd.DataFrame:
    return index_dicom(small_export, workers=2, progress=False)


@pytest.fixture(scope="module")
def pairing_export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """60 patients with thumbnails: pairing reads headers only, so pixel size does not matter."""
    out = tmp_path_factory.mktemp("pairing") / "export"
    generate_export(out, PAIRING_EXPORT["patients"], PAIRING_EXPORT["seed"], PAIRING_EXPORT["image_size"],
                    workers=2, progress=False)
    return out


# --- index ------------------------------------------------------------------------------------------


def test_index_lists_every_file_once_in_path_order(small_export, small_index):
    files = sorted(p.relative_to(small_export).as_posix() for p in (small_export / "dicom").rglob("*") if p.is_file())
    assert list(small_index.columns) == list(INDEX_COLUMNS)
    assert small_index["source"].tolist() == files
    assert small_index["source"].is_unique


def test_index_fails_the_broken_files_and_keeps_every_image(small_export, small_index):
    bad = {row["path"] for row in read_csv(small_export / "truth" / "bad_files.csv")}
    images = {row["path"]: row for row in read_csv(small_export / "truth" / "images.csv")}
    burned_in = {row["path"] for row in read_csv(small_export / "truth" / "burned_in.csv")}
    failed = small_index[small_index["status"] == "failed"]
    ok = small_index[small_index["status"] == "ok"].set_index("source")
    assert set(failed["source"]) == bad
    assert set(ok.index) == set(images) | burned_in
    assert len(ok) == len(images) + len(burned_in)
    assert set(small_index["reason"]) <= FIXED_REASONS
    assert "truncated file" in set(failed["reason"])  # its header is whole: only the pixel length shows it
    for path, row in images.items():
        assert ok.loc[path, "study_uid"] == row["study_uid"]
        assert ok.loc[path, "modality"] == row["modality"]
        assert ok.loc[path, "transfer_syntax"] == row["transfer_syntax"]
        assert (ok.loc[path, "rows"], ok.loc[path, "columns"]) == (int(row["rows"]), int(row["columns"]))


def test_index_keeps_ids_as_strings_with_their_leading_zeros(small_export, small_index):
    ok = small_index[small_index["status"] == "ok"]
    radiographs = ok[ok["source"].isin({row["path"] for row in read_csv(small_export / "truth" / "images.csv")})]
    patients = {row["patient_id"] for row in read_csv(small_export / "patients.csv")}
    assert all(p.startswith("0") and len(p) == 8 for p in patients)  # the synthetic IDs all have one
    assert set(ok["patient_id"]) == patients
    for column in ("patient_id", "study_uid", "series_uid", "sop_uid", "accession_number"):
        assert ok[column].map(lambda v: isinstance(v, str) and v != "" and v == v.strip()).all(), column
    assert ok["sop_uid"].is_unique
    assert radiographs["pixel_spacing"].str.fullmatch(r"[\d.]+\\[\d.]+").all()
    assert str(small_index["study_datetime"].dtype).startswith("datetime64")


def test_index_does_not_depend_on_the_worker_count(small_export, small_index):
    pd.testing.assert_frame_equal(index_dicom(small_export, workers=1), small_index)


def test_studies_table_matches_the_truth(small_export, small_index):
    studies = studies_table(small_index)
    truth = pd.DataFrame(read_csv(small_export / "truth" / "studies.csv")).set_index("study_uid")
    assert sorted(studies["study_uid"]) == sorted(truth.index)
    assert not studies["conflict"].any()
    keys = list(zip(studies["patient_id"], studies["study_datetime"], studies["study_uid"], strict=True))
    assert keys == sorted(keys)
    for row in studies.itertuples():
        expected = truth.loc[row.study_uid]
        assert row.patient_id == expected["patient_id"]
        assert row.accession_number == expected["accession_number"]
        assert row.study_datetime == pd.Timestamp(expected["study_datetime"])
        assert row.n_images == int(expected["n_images"]) + bool(expected["burned_in_document"])
        assert row.body_parts  # every synthetic image has a Body Part Examined


def test_studies_table_flags_a_study_whose_images_disagree_on_the_patient(small_index):
    images = small_index[small_index["status"] == "ok"].copy()
    counts = images["study_uid"].value_counts()
    uid = counts.index[counts > 1][0]
    first = images.index[images["study_uid"] == uid][0]
    images.loc[first, "patient_id"] = "99999999"
    studies = studies_table(images).set_index("study_uid")
    assert studies.loc[uid, "conflict"]
    assert studies["conflict"].sum() == 1


def _sample_files(small_export: Path) -> tuple[Path, Path]:
    """A natively stored radiograph and an encapsulated (compressed) one of the small export."""
    rows = read_csv(small_export / "truth" / "images.csv")
    native = next(r["path"] for r in rows if r["transfer_syntax"] in NATIVE_SYNTAXES)
    packed = next(r["path"] for r in rows if r["transfer_syntax"] not in NATIVE_SYNTAXES)
    return small_export / native, small_export / packed


def _save(ds: pydicom.Dataset, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    ds.save_as(path, enforce_file_format=True)


def test_index_reports_each_kind_of_bad_file_with_a_fixed_reason(small_export, tmp_path, caplog):
    native, packed = _sample_files(small_export)
    export = tmp_path / "export"
    folder = export / "dicom" / "DUPONT_Marie_00012345"  # PHI in folder names, as PACS tools write
    folder.mkdir(parents=True)
    shutil.copy(native, folder / "a_original.dcm")
    shutil.copy(native, folder / "b_same_sop_again.dcm")
    (folder / "c_cut_native.dcm").write_bytes(native.read_bytes()[:-10])
    (folder / "d_cut_packed.dcm").write_bytes(packed.read_bytes()[:-10])
    (folder / "e_notes.txt").write_text("DUPONT Marie 12/03/1950\n", encoding="utf-8")
    (folder / "f_empty").write_bytes(b"")
    (folder / "g_dicm_only.dcm").write_bytes(b"\0" * 128 + b"DICM" + bytes(range(256)))
    edits = {
        "h_no_patient_id.dcm": lambda ds: delattr(ds, "PatientID"),
        "i_blank_patient_id.dcm": lambda ds: setattr(ds, "PatientID", "  "),
        "j_no_series_uid.dcm": lambda ds: delattr(ds, "SeriesInstanceUID"),
        "k_no_pixels.dcm": lambda ds: delattr(ds, "PixelData"),
        "l_dicomdir.dcm": lambda ds: setattr(ds, "SOPClassUID", "1.2.840.10008.1.3.10"),
    }
    for name, edit in edits.items():
        ds = pydicom.dcmread(native)
        ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = pydicom.uid.generate_uid()
        edit(ds)
        _save(ds, folder / name)

    with caplog.at_level(logging.DEBUG):
        index = index_dicom(export).set_index("source")
    reasons = {Path(source).name: reason for source, reason in index["reason"].items()}
    assert reasons == {
        "a_original.dcm": "",
        "b_same_sop_again.dcm": "duplicate SOP Instance UID",
        "c_cut_native.dcm": "truncated file",
        "d_cut_packed.dcm": "truncated file",
        "e_notes.txt": "not a DICOM Part 10 file",
        "f_empty": "not a DICOM Part 10 file",
        "g_dicm_only.dcm": "not a DICOM Part 10 file",
        "h_no_patient_id.dcm": "missing Patient ID",
        "i_blank_patient_id.dcm": "missing Patient ID",
        "j_no_series_uid.dcm": "missing study/series/SOP UID",
        "k_no_pixels.dcm": "no pixel data",
        "l_dicomdir.dcm": "DICOMDIR",
    }
    assert (index["status"] == "ok").sum() == 1
    assert not any("DUPONT" in record.getMessage() or "Marie" in record.getMessage() for record in caplog.records)


def test_index_reads_ids_dates_and_fallbacks_from_the_header(small_export, tmp_path):
    native, _ = _sample_files(small_export)
    export = tmp_path / "export"
    variants = {
        "study_date": lambda ds: None,
        "series_date": lambda ds: (delattr(ds, "StudyDate"), delattr(ds, "StudyTime")),
        "date_only": lambda ds: delattr(ds, "StudyTime"),
        "no_date": lambda ds: [delattr(ds, k) for k in ("StudyDate", "SeriesDate", "AcquisitionDate", "ContentDate")],
        "padded_ids": lambda ds: (setattr(ds, "PatientID", " 000123 "), setattr(ds, "AccessionNumber", "0042 ")),
    }
    for name, edit in variants.items():
        ds = pydicom.dcmread(native)
        ds.StudyDate, ds.StudyTime = "20200102", "081500.250"
        ds.SeriesDate, ds.SeriesTime = "20200103", "0930"
        ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = pydicom.uid.generate_uid()
        edit(ds)
        _save(ds, export / "dicom" / name)
    index = index_dicom(export).set_index("source")
    when = index["study_datetime"]
    assert (index["status"] == "ok").all()
    assert when["dicom/study_date"] == pd.Timestamp("2020-01-02 08:15:00.250")
    assert when["dicom/series_date"] == pd.Timestamp("2020-01-03 09:30")
    assert when["dicom/date_only"] == pd.Timestamp("2020-01-02")
    assert pd.isna(when["dicom/no_date"])
    assert index.loc["dicom/padded_ids", "patient_id"] == "000123"
    assert index.loc["dicom/padded_ids", "accession_number"] == "0042"


def test_index_refuses_an_export_without_a_dicom_folder(tmp_path):
    with pytest.raises(ValueError, match="dicom"):
        index_dicom(tmp_path)


# --- EHR tables -----------------------------------------------------------------------------------


def _table_variants(small_export: Path, tmp_path: Path, stem: str) -> dict[str, Path]:
    """The export's STEM.csv written again as parquet and as JSON lines, each in its own folder."""
    rows = pd.read_csv(small_export / f"{stem}.csv", dtype=str, keep_default_na=False)
    folders = {fmt: tmp_path / fmt for fmt in ("csv", "parquet", "jsonl")}
    for folder in folders.values():
        folder.mkdir()
    shutil.copy(small_export / f"{stem}.csv", folders["csv"] / f"{stem}.csv")
    rows.to_parquet(folders["parquet"] / f"{stem}.parquet", index=False)
    lines = (json.dumps(record, ensure_ascii=False) for record in rows.to_dict(orient="records"))
    (folders["jsonl"] / f"{stem}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folders


def test_read_reports_gives_the_same_table_from_csv_parquet_and_jsonl(small_export, tmp_path):
    tables = {fmt: read_reports(folder) for fmt, folder in _table_variants(small_export, tmp_path, "reports").items()}
    reference = tables["csv"]
    raw = read_csv(small_export / "reports.csv")
    assert len(reference) == len(raw)
    assert list(reference.columns) == ["report_id", "patient_id", "accession_number", "datetime", "kind", "text"]
    assert reference["patient_id"].str.startswith("0").all()
    assert (reference["accession_number"] == "").any() and (reference["accession_number"] != "").any()
    assert reference["datetime"].notna().all()
    assert reference["datetime"].iloc[0] == pd.Timestamp(raw[0]["datetime"])
    assert reference["text"].tolist() == [row["text"] for row in raw]  # multi-line texts come back whole
    for fmt in ("parquet", "jsonl"):
        pd.testing.assert_frame_equal(tables[fmt], reference, check_dtype=False, obj=fmt)


def test_read_patients_gives_the_same_table_from_csv_parquet_and_jsonl(small_export, tmp_path):
    tables = {fmt: read_patients(folder) for fmt, folder in _table_variants(small_export, tmp_path, "patients").items()}
    reference = tables["csv"]
    assert list(reference.columns) == ["patient_id", "first_names", "last_name", "birth_date", "sex"]
    assert reference["patient_id"].tolist() == [row["patient_id"] for row in read_csv(small_export / "patients.csv")]
    for fmt in ("parquet", "jsonl"):
        pd.testing.assert_frame_equal(tables[fmt], reference, obj=fmt)


def test_read_reports_fills_in_missing_values_and_leaves_bad_dates_unparsed(tmp_path):
    lines = [{"report_id": "001", "patient_id": "0042", "datetime": "2021-03-04 10:05", "kind": "radiologie",
              "text": "a"},
             {"report_id": "002", "patient_id": "0042", "accession_number": None, "datetime": "04/03/2021",
              "kind": "radiologie", "text": "b"}]
    (tmp_path / "reports.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines), encoding="utf-8")
    reports = read_reports(tmp_path)
    assert reports["report_id"].tolist() == ["001", "002"]
    assert reports["accession_number"].tolist() == ["", ""]
    assert reports["datetime"].iloc[0] == pd.Timestamp("2021-03-04 10:05")
    assert pd.isna(reports["datetime"].iloc[1])  # day and month order is not guessed


def test_read_tables_refuse_missing_or_incomplete_tables_without_quoting_them(tmp_path):
    with pytest.raises(ValueError, match="no reports.csv"):
        read_reports(tmp_path)
    with pytest.raises(ValueError, match="no patients.csv"):
        read_patients(tmp_path)
    (tmp_path / "patients.csv").write_text("patient_id,first_names,last_name,sex\n0042,Marie,DUPONT,F\n",
                                           encoding="utf-8")
    with pytest.raises(ValueError, match="birth_date") as error:
        read_patients(tmp_path)
    assert "DUPONT" not in str(error.value) and "0042" not in str(error.value)
    (tmp_path / "reports.csv").write_text("report_id,patient_id,datetime,kind\n1,0042,2020-01-01 10:00,radiologie\n",
                                          encoding="utf-8")
    with pytest.raises(ValueError, match="text"):
        read_reports(tmp_path)
    (tmp_path / "reports.jsonl").write_text("{}\n", encoding="utf-8")
    with pytest.raises(ValueError, match="several"):
        read_reports(tmp_path)


# --- pairing: the target on a synthetic export ---------------------------------------------------------------


def test_pairing_reaches_the_target_precision_and_recall(pairing_export):
    studies = studies_table(index_dicom(pairing_export, workers=2))
    result = pair_reports(studies[~studies["conflict"]], read_reports(pairing_export))
    scores = pairing_scores(result.pairs, pairing_export / "truth" / "studies.csv")
    assert scores["precision"] >= 0.99, scores
    assert scores["recall"] >= 0.95, scores
    # The export must exercise more than the easy cases for the target to mean something.
    methods = result.pairs["method"].value_counts()
    assert all(methods.get(m, 0) > 0 for m in ("accession", "same_day", "same_day_order", "next_day")), methods
    assert result.pairs["study_uid"].is_unique and result.pairs["report_id"].is_unique
    assert set(result.study_status["study_uid"]) == set(studies["study_uid"])
    statuses = result.report_status.set_index("report_id")["status"]
    assert set(statuses[statuses == "paired"].index) == set(result.pairs["report_id"])


# --- pairing: hand-built cases ----------------------------------------------------------------------------


def _studies(*rows: tuple) -> pd.DataFrame:
    """(study_uid, patient_id, accession_number, study_datetime[, body_parts])."""
    table = pd.DataFrame([(*r, "")[:5] for r in rows],
                         columns=["study_uid", "patient_id", "accession_number", "study_datetime", "body_parts"])
    table["study_datetime"] = pd.to_datetime(table["study_datetime"])
    return table


def _reports(*rows: tuple) -> pd.DataFrame:
    """(report_id, patient_id, accession_number, datetime[, kind[, text]])."""
    full = [(*r, "radiologie", "")[:6] if len(r) == 4 else (*r, "")[:6] for r in rows]
    table = pd.DataFrame(full, columns=["report_id", "patient_id", "accession_number", "datetime", "kind", "text"])
    table["datetime"] = pd.to_datetime(table["datetime"])
    return table


def _pairs(result) -> dict[str, tuple[str, str]]:
    return {row.study_uid: (row.report_id, row.method) for row in result.pairs.itertuples()}


def _status(result, kind: str) -> dict[str, str]:
    table = result.study_status if kind == "study" else result.report_status
    return dict(zip(table.iloc[:, 0], table["status"], strict=True))


def test_accession_number_wins_over_dates_and_order():
    studies = _studies(("s1", "P", "A1", "2020-05-04 09:00"), ("s2", "P", "A2", "2020-05-04 10:00"))
    reports = _reports(("r_for_s2", "P", "A2", "2020-05-04 09:30"),  # before s2, but its accession says so
                       ("r_for_s1", "P", "", "2020-05-04 12:00"))
    result = pair_reports(studies, reports)
    assert _pairs(result) == {"s2": ("r_for_s2", "accession"), "s1": ("r_for_s1", "same_day")}


def test_different_accession_numbers_are_never_paired():
    result = pair_reports(_studies(("s1", "P", "A1", "2020-05-04 09:00")),
                          _reports(("r1", "P", "A9", "2020-05-04 11:00")))
    assert result.pairs.empty
    assert _status(result, "study") == {"s1": "unpaired"}


def test_an_accession_number_shared_by_two_reports_is_ambiguous():
    result = pair_reports(_studies(("s1", "P", "A1", "2020-05-04 09:00")),
                          _reports(("r1", "P", "A1", "2020-05-04 11:00"), ("r2", "P", "A1", "2020-05-05 11:00")))
    assert result.pairs.empty
    assert _status(result, "study") == {"s1": "ambiguous"}
    assert _status(result, "report") == {"r1": "ambiguous", "r2": "ambiguous"}


def test_two_studies_and_two_reports_of_one_day_pair_in_time_order():
    studies = _studies(("s2", "P", "", "2020-05-04 10:00"), ("s1", "P", "", "2020-05-04 09:00"))
    reports = _reports(("r2", "P", "", "2020-05-04 11:00"), ("r1", "P", "", "2020-05-04 09:40"))
    result = pair_reports(studies, reports)
    assert _pairs(result) == {"s1": ("r1", "same_day_order"), "s2": ("r2", "same_day_order")}


def test_body_regions_named_in_the_reports_override_time_order():
    studies = _studies(("knee", "P", "", "2020-05-04 09:00", "KNEE"), ("hip", "P", "", "2020-05-04 10:00", "HIP"))
    reports = _reports(("r_hip", "P", "", "2020-05-04 10:30", "radiologie", "Concerne : RX HANCHE DROITE F+P"),
                       ("r_knee", "P", "", "2020-05-04 11:00", "radiologie", "Radiographies du genou gauche (F/P)"))
    result = pair_reports(studies, reports)
    assert _pairs(result) == {"knee": ("r_knee", "same_day_order"), "hip": ("r_hip", "same_day_order")}
    without_regions = pair_reports(studies.drop(columns="body_parts"), reports)
    assert _pairs(without_regions) == {"knee": ("r_hip", "same_day_order"), "hip": ("r_knee", "same_day_order")}


def test_a_day_that_stays_ambiguous_is_dropped():
    # One report written after both studies: either could be its study.
    studies = _studies(("s1", "P", "", "2020-05-04 09:00"), ("s2", "P", "", "2020-05-04 10:00"),
                       ("other", "Q", "", "2020-05-04 09:00"))
    reports = _reports(("r1", "P", "", "2020-05-04 11:00"), ("q1", "Q", "", "2020-05-04 09:30"))
    result = pair_reports(studies, reports)
    assert _pairs(result) == {"other": ("q1", "same_day")}
    assert _status(result, "study") == {"s1": "ambiguous", "s2": "ambiguous", "other": "paired"}
    assert _status(result, "report")["r1"] == "ambiguous"


def test_two_reports_in_an_order_that_does_not_fit_are_not_forced_into_time_order():
    # r1 is older than both studies: it cannot be the report of either; r2 could be either's.
    studies = _studies(("s1", "P", "", "2020-05-04 09:00"), ("s2", "P", "", "2020-05-04 10:00"))
    reports = _reports(("r1", "P", "", "2020-05-04 08:00"), ("r2", "P", "", "2020-05-04 11:00"))
    result = pair_reports(studies, reports)
    assert result.pairs.empty
    assert _status(result, "study") == {"s1": "ambiguous", "s2": "ambiguous"}
    assert _status(result, "report") == {"r1": "unpaired", "r2": "ambiguous"}


def test_a_report_of_the_next_day_is_paired_when_nothing_else_is_there():
    studies = _studies(("s1", "P", "", "2020-05-04 15:00"))
    reports = _reports(("r1", "P", "", "2020-05-05 08:30"))
    assert _pairs(pair_reports(studies, reports)) == {"s1": ("r1", "next_day")}
    refused = pair_reports(studies, reports, allow_next_day=False)
    assert refused.pairs.empty
    assert _status(refused, "study") == {"s1": "unpaired"}


def test_a_report_older_than_the_study_of_its_day_goes_to_the_previous_day():
    studies = _studies(("yesterday", "P", "", "2020-05-03 16:00"), ("today", "P", "", "2020-05-04 14:00"))
    reports = _reports(("r1", "P", "", "2020-05-04 08:00"))
    result = pair_reports(studies, reports)
    assert _pairs(result) == {"yesterday": ("r1", "next_day")}
    assert _status(result, "study")["today"] == "unpaired"


def test_the_next_day_is_refused_when_a_same_day_report_exists():
    studies = _studies(("s1", "P", "", "2020-05-04 10:00"))
    reports = _reports(("same_day", "P", "", "2020-05-04 14:00"), ("next_day", "P", "", "2020-05-05 09:00"))
    result = pair_reports(studies, reports)
    assert _pairs(result) == {"s1": ("same_day", "same_day")}
    assert _status(result, "report")["next_day"] == "unpaired"
    # An ambiguous day does not fall back on the next day either.
    studies = _studies(("s1", "P", "", "2020-05-04 09:00"), ("s2", "P", "", "2020-05-04 10:00"))
    reports = _reports(("same_day", "P", "", "2020-05-04 11:00"), ("next_day", "P", "", "2020-05-05 09:00"))
    result = pair_reports(studies, reports)
    assert result.pairs.empty
    assert _status(result, "report") == {"same_day": "ambiguous", "next_day": "unpaired"}


def test_documents_other_than_radiology_reports_are_ignored():
    studies = _studies(("s1", "P", "", "2020-05-04 10:00"), ("s2", "P", "", "2021-01-10 10:00"))
    reports = _reports(("consult", "P", "", "2020-05-04 11:00", "consultation"),
                       ("op", "P", "", "2020-05-04 12:00", "protocole opératoire"),
                       ("rx", "P", "", "2021-01-10 12:00", " Radiologie "))
    result = pair_reports(studies, reports)
    assert _pairs(result) == {"s2": ("rx", "same_day")}
    assert _status(result, "report") == {"consult": "not radiology", "op": "not radiology", "rx": "paired"}
    assert _status(result, "study")["s1"] == "unpaired"


def test_reports_of_another_patient_or_a_conflicted_study_are_not_paired():
    studies = _studies(("s1", "P", "", "2020-05-04 10:00"), ("s2", "Q", "", "2020-05-04 10:00"))
    studies["conflict"] = [False, True]
    reports = _reports(("r1", "R", "", "2020-05-04 11:00"), ("r2", "Q", "", "2020-05-04 11:00"))
    result = pair_reports(studies, reports)
    assert result.pairs.empty
    assert _status(result, "study") == {"s1": "unpaired", "s2": "unpaired"}


def test_pairing_scores_count_right_wrong_and_missed_pairs(tmp_path):
    truth = tmp_path / "studies.csv"
    truth.write_text("study_uid,report_id\ns1,r1\ns2,r2\ns3,\ns4,r4\n", encoding="utf-8")
    pairs = pd.DataFrame({"study_uid": ["s1", "s2", "s3"], "report_id": ["r1", "r4", "r9"],
                          "method": ["accession", "same_day", "same_day"]})
    scores = pairing_scores(pairs, truth)
    assert scores["precision"] == pytest.approx(1 / 3)
    assert scores["recall"] == pytest.approx(1 / 3)
    assert (scores["pairs"], scores["correct"], scores["wrong"], scores["truth_pairs"], scores["missed"]) == (3, 1, 2, 3, 2)
    assert scores["by_method"] == {"accession": {"pairs": 1, "correct": 1}, "same_day": {"pairs": 2, "correct": 0}}
