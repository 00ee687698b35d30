"""DICOM de-identification (PS3.15 Annex E): profile, conformance on synthetic and real files,
burned-in screening, report and determinism."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pydicom
import pytest

from frdeid.dicom import DicomDeidentifier, Failure, Profile, Quarantine, new_uid, screen_header
from frdeid.dicom.batch import run
from frdeid.dicom.conformance import check
from frdeid.keys import date_offset_days
from frdeid.text.deidentify import pseudonymize_patient_id

KEY = bytes(range(32))
OTHER_KEY = bytes(range(1, 33))
SHARED = Path("/work/shared/dicom/testdata")


def _read_csv(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def export(tmp_path_factory) -> Path:
    from boneds.synth.export import generate_export

    out = tmp_path_factory.mktemp("dcmexp") / "export"
    generate_export(out, 4, 3, 128, workers=1, progress=False)
    return out


@pytest.fixture(scope="module")
def processed(export, tmp_path_factory):
    out = tmp_path_factory.mktemp("dcmout") / "out"
    report = out.parent / "report.csv"
    run(export / "dicom", out, KEY, report)
    return out, _read_csv(report)


# -- profile ---------------------------------------------------------------------------------------
def test_profile_actions_come_from_the_table():
    profile = Profile()
    assert profile.action(0x00100010) == "Z"          # Patient's Name (replaced by the pseudonym)
    assert profile.action(0x00100020) == "D"          # Patient ID, Z/D -> D
    assert profile.action(0x00080020) == "C"          # Study Date under Modified Dates
    assert profile.action(0x00101010) == "K"          # Patient's Age under Patient Characteristics
    assert profile.action(0x00081140) == "U"          # Referenced Image Sequence, X/Z/U*
    assert profile.action(0x00080080) == "X"          # Institution Name, X/Z/D
    assert profile.action(0x60023000) == "X"          # Overlay Data (60xx,3000)
    assert profile.action(0x00091010) == "X"          # private
    assert profile.action(0x00280010) == "K"          # Rows: not listed
    assert Profile(()).action(0x00080020) == "Z"
    assert Profile(()).action(0x00101010) == "X"
    with pytest.raises(ValueError):
        Profile(("no-such-option",))
    with pytest.raises(ValueError):
        Profile(("retain-safe-private",))


def test_new_uid_is_deterministic_and_keyed():
    uid = "1.2.3.4.5.6789"
    a, b = new_uid(KEY, uid), new_uid(KEY, uid)
    assert a == b and a.startswith("2.25.") and len(a) <= 64
    assert new_uid(OTHER_KEY, uid) != a
    assert new_uid(KEY, "1.2.840.10008.5.1.4.1.1.2") == "1.2.840.10008.5.1.4.1.1.2"


# -- synthetic export -----------------------------------------------------------------------------
def test_report_has_one_row_per_input_and_broken_files_fail(export, processed):
    out, rows = processed
    inputs = sorted(p.relative_to(export / "dicom").as_posix() for p in (export / "dicom").rglob("*") if p.is_file())
    assert sorted(r["source"] for r in rows) == inputs
    bad = {r["path"].removeprefix("dicom/") for r in _read_csv(export / "truth" / "bad_files.csv")}
    burned = {r["path"].removeprefix("dicom/") for r in _read_csv(export / "truth" / "burned_in.csv")}
    by_source = {r["source"]: r for r in rows}
    assert bad and all(by_source[p]["status"] == "failed" for p in bad)
    assert burned and all(by_source[p]["status"] == "quarantined" for p in burned)
    for row in rows:
        assert row["status"] in {"written", "quarantined", "failed"}
        assert (row["status"] == "written") == bool(row["output"])
        if row["source"] not in bad | burned:
            assert row["status"] == "written", row["reason"]
    written = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert written == sorted(r["output"] for r in rows if r["output"])


def test_synthetic_outputs_conform_to_table_e11(export, processed):
    out, rows = processed
    pairs = [(pydicom.dcmread(export / "dicom" / r["source"]), out / r["output"]) for r in rows if r["output"]]
    assert len(pairs) >= 8
    assert check(pairs, Profile()) == []
    # output names carry no original identifier
    for orig, path in pairs:
        rel = path.relative_to(out).as_posix()
        for value in (str(orig.PatientID), str(orig.PatientName.family_name), str(orig.StudyInstanceUID)):
            assert value not in rel
        clean = pydicom.dcmread(path)
        pid = str(orig.PatientID).strip()
        assert clean.PatientID == clean.PatientName == pseudonymize_patient_id(KEY, pid) == rel.split("/")[0]
        assert clean.PatientIdentityRemoved == "YES"
        assert clean.LongitudinalTemporalInformationModified == "MODIFIED"
        codes = [item.CodeValue for item in clean.DeidentificationMethodCodeSequence]
        assert sorted(codes) == ["113100", "113105", "113107", "113108"]
        import datetime as dt
        shift = dt.timedelta(days=date_offset_days(KEY, pid))
        before = dt.datetime.strptime(orig.StudyDate, "%Y%m%d") + shift
        assert clean.StudyDate == before.strftime("%Y%m%d")
        assert clean.StudyTime == orig.StudyTime
        assert clean.PixelData == orig.PixelData
        assert clean.PatientSex == orig.PatientSex


def test_checker_catches_leaks(export, processed, tmp_path):
    out, rows = processed
    row = next(r for r in rows if r["output"])
    orig = pydicom.dcmread(export / "dicom" / row["source"])
    bad = pydicom.dcmread(out / row["output"])
    bad.InstitutionName = "X"
    bad.add_new(0x00091010, "LO", "leak")
    bad.ImageComments = str(orig.PatientName.family_name)
    bad.SOPInstanceUID = orig.SOPInstanceUID
    path = tmp_path / "bad.dcm"
    bad.save_as(path)
    findings = "\n".join(check([(orig, path)], Profile()))
    for expected in ("private attribute", "removed attribute (0008,0080)", "patient identifier",
                     "original value of (0008,0018)", "raw bytes"):
        assert expected in findings


def test_same_key_same_outputs_other_key_different(export, processed, tmp_path):
    _, rows = processed
    options = ("retain-modified-dates", "retain-patient-characteristics")  # no text model: faster
    run(export / "dicom", tmp_path / "a", KEY, tmp_path / "a.csv", options=options, workers=2)
    run(export / "dicom", tmp_path / "b", OTHER_KEY, tmp_path / "b.csv", options=options)
    again = {r["source"]: r["output"] for r in _read_csv(tmp_path / "a.csv")}
    other = {r["source"]: r["output"] for r in _read_csv(tmp_path / "b.csv")}
    first = {r["source"]: r["output"] for r in rows}
    assert again == first
    written = [s for s, o in first.items() if o]
    assert all(other[s] and other[s] != first[s] for s in written)
    for source in written:
        a = pydicom.dcmread(tmp_path / "a" / again[source])
        b = pydicom.dcmread(tmp_path / "b" / other[source])
        assert a.StudyInstanceUID != b.StudyInstanceUID and a.PatientID != b.PatientID


# -- real files from other projects ----------------------------------------------------------------
def _real_files() -> list[Path]:
    from pydicom.data import get_testdata_file

    names = ["CT_small.dcm", "MR_small.dcm", "MR_small_jp2klossless.dcm", "MR_small_RLE.dcm",
             "RG1_UNCR.dcm", "RG1_J2KR.dcm", "RG3_UNCR.dcm", "RG3_J2KR.dcm"]
    files = [Path(get_testdata_file(n, download=False)) for n in names]
    return files


def _deid_data(rel: str) -> Path:
    import deid_data

    return Path(deid_data.__path__[0]) / "data" / rel


@pytest.fixture(scope="module")
def deid():
    return DicomDeidentifier(KEY)


def test_real_files_conform(deid, tmp_path):
    files = _real_files() + [_deid_data("animals/cat.dcm"), SHARED / "highdicom_dx_image.dcm"]
    pairs = []
    for i, path in enumerate(files):
        orig = pydicom.dcmread(path)
        clean = deid.deidentify_dataset(orig)
        target = tmp_path / f"{i}.dcm"
        clean.save_as(target, enforce_file_format=True)
        pairs.append((pydicom.dcmread(path), target))
    assert check(pairs, Profile()) == []
    # the re-read output decodes to the same pixels
    assert (pydicom.dcmread(pairs[2][1]).pixel_array == pydicom.dcmread(files[2]).pixel_array).all()


def test_nested_private_sequences_are_removed():
    from pydicom.data import get_testdata_file

    deid = DicomDeidentifier(KEY, screen_pixels=False)  # these files hold 2 bytes of pixel data

    for name in ("nested_priv_SQ.dcm", "priv_SQ.dcm"):
        ds = pydicom.dcmread(get_testdata_file(name, download=False))
        with pytest.raises(Failure):  # no patient id: fail closed
            deid.deidentify_dataset(ds)
        ds.SOPClassUID, ds.SOPInstanceUID = "1.2.840.10008.5.1.4.1.1.2", "1.2.3.4"
        clean = deid.deidentify_dataset(ds, patient_pseudonym="PSEUDO", date_offset=10)
        found: list = []
        clean.walk(lambda d, e, found=found: found.append(e.tag))
        assert not any(t.is_private for t in found)


# -- burned-in screening ---------------------------------------------------------------------------
def test_burned_in_flag_values(deid):
    assert screen_header(pydicom.dcmread(SHARED / "dicognito_burned_in_yes.dcm")) is not None
    assert screen_header(pydicom.dcmread(SHARED / "dicognito_burned_in_other.dcm")) is not None  # fail closed
    for name in ("dicognito_burned_in_yes.dcm", "dicognito_burned_in_other.dcm"):
        with pytest.raises(Quarantine):
            deid.deidentify_dataset(pydicom.dcmread(SHARED / name))
    for name in ("dicognito_burned_in_no.dcm", "dicognito_burned_in_missing.dcm"):
        ds = pydicom.dcmread(SHARED / name)
        if "SOPClassUID" in ds and str(ds.SOPClassUID).startswith("1.2.840.10008.5.1.4.1.1.7"):
            continue  # secondary capture: quarantined on its SOP class, not on the flag
        assert screen_header(ds) is None or "burned-in" not in screen_header(ds)


def test_ultrasound_with_burned_in_name_is_quarantined(deid):
    with pytest.raises(Quarantine):
        deid.deidentify_dataset(pydicom.dcmread(_deid_data("ultrasounds/GREYSCALE_IMAGE.dcm")))


def test_header_clues_quarantine(deid):
    from pydicom.data import get_testdata_file

    ds = pydicom.dcmread(get_testdata_file("CT_small.dcm"))
    ds.ConversionType = "DI"
    with pytest.raises(Quarantine):
        deid.deidentify_dataset(ds)
    for name in ("SC_rgb_rle.dcm", "JPEG2000.dcm", "JPEG-LL.dcm"):  # secondary capture SOP class
        with pytest.raises(Quarantine):
            deid.deidentify_dataset(pydicom.dcmread(get_testdata_file(name, download=False)))


def test_pixel_only_burned_in_document_is_quarantined(tmp_path):
    """A scanned form posing as a radiograph (no header clue): only the pixels give it away."""
    import numpy as np
    from PIL import Image, ImageDraw, ImageFont

    from frdeid.dicom.screening import screen_pixels

    img = Image.new("L", (800, 1000), 235)
    draw = ImageDraw.Draw(img)
    try:
        font = ImageFont.truetype("DejaVuSans.ttf", 28)
    except OSError:
        font = ImageFont.load_default()
    for i, line in enumerate(["RAPPORT DE DOSE", "Patient : DUPONT Marie", "Né le 12/03/1950",
                              "Examen : Radiographie du genou", "Dose totale : 0.12 mGy"]):
        draw.text((60, 80 + 60 * i), line, fill=20, font=font)
    ds = pydicom.dcmread(get_cr())
    arr = np.asarray(img, dtype=np.uint16) * 16
    ds.Rows, ds.Columns = arr.shape
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.file_meta.TransferSyntaxUID = pydicom.uid.ExplicitVRLittleEndian
    ds.PixelData = arr.tobytes()
    with pytest.raises(Quarantine):
        screen_pixels(ds)


def get_cr() -> str:
    from pydicom.data import get_testdata_file

    return get_testdata_file("RG1_UNCR.dcm", download=False)


def test_radiographs_with_laterality_markers_are_written(deid):
    for path in [_deid_data("animals/cat.dcm"), Path(get_cr())]:
        deid.deidentify_dataset(pydicom.dcmread(path))  # does not raise


# -- CLI -------------------------------------------------------------------------------------------
def test_cli(export, tmp_path, capsys):
    from frdeid.cli import main
    from frdeid.keys import write_key

    key = write_key(tmp_path / "key")
    src = tmp_path / "in"
    shutil.copytree(export / "dicom", src)
    code = main(["dicom", str(src), str(tmp_path / "out"), "--key", str(key), "--report", str(tmp_path / "r.csv"),
                 "--options", "retain-modified-dates"])
    assert code == 3  # broken and burned-in files
    rows = _read_csv(tmp_path / "r.csv")
    assert len(rows) == sum(1 for p in src.rglob("*") if p.is_file())
    err = capsys.readouterr()
    for row in rows:
        assert row["source"].split("/")[0] not in err.out + err.err
    assert main(["dicom", str(src), str(tmp_path / "out"), "--key", str(key), "--report",
                 str(tmp_path / "r2.csv")]) == 2  # output not empty
    assert main(["dicom", str(src), str(tmp_path / "o3"), "--key", str(key), "--report", str(tmp_path / "r3.csv"),
                 "--options", "bogus"]) == 2


def test_no_path_is_printed_when_pydicom_complains(tmp_path, capfd):
    """pydicom's warnings quote the file path; export paths hold patient names."""
    import warnings

    from pydicom import examples
    from pydicom.uid import RLELossless

    from frdeid.dicom.batch import run
    from frdeid.keys import write_key

    folder = tmp_path / "in" / "DUPONT_Jeanne_123"
    folder.mkdir(parents=True)
    source = folder / "IM1.dcm"
    ds = examples.ct
    ds.compress(RLELossless, encoding_plugin="pylibjpeg", generate_instance_uid=False)
    ds.save_as(source, enforce_file_format=True)
    data = source.read_bytes()
    (folder / "IM2.dcm").write_bytes(data[: len(data) * 7 // 10])  # pydicom warns, quoting the path
    key = write_key(tmp_path / "k.key")
    from frdeid.keys import read_key

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        run(tmp_path / "in", tmp_path / "out", read_key(key), tmp_path / "report.csv", workers=1)
    captured = capfd.readouterr()
    assert "DUPONT" not in captured.out + captured.err
    assert not any("DUPONT" in str(w.message) for w in caught)


@pytest.mark.parametrize("text", ["DUPONT Marie 12/03/1950", "ID 01694390 GROSJEAN", "MARTIN Paul"])
@pytest.mark.parametrize("corner", ["top", "bottom"])
def test_one_line_of_burned_in_text_on_a_real_radiograph_is_quarantined(text, corner):
    """A single line of identifying text burned into a real CR (pydicom-data RG1), in the collimated
    border or over the image, must not pass; the same radiograph without it is written."""
    import numpy as np
    from PIL import Image, ImageDraw, ImageFont

    from frdeid.dicom.screening import screen_pixels

    ds = pydicom.dcmread(get_cr())
    pixels = ds.pixel_array.copy()
    assert screen_pixels(ds) is not None  # the clean radiograph passes
    mask = Image.new("L", (ds.Columns, ds.Rows), 0)
    size = int(ds.Rows * 0.025)
    y = 20 if corner == "top" else ds.Rows - size - 30
    ImageDraw.Draw(mask).text((40, y), text, fill=255, font=ImageFont.truetype("DejaVuSans.ttf", size))
    ink = np.asarray(mask) > 127
    spot = pixels[max(0, y - size):y + 2 * size, 40:40 + size * len(text)]
    pixels[ink] = pixels.min() if spot.mean() > pixels.mean() else pixels.max()
    ds.PixelData = pixels.tobytes()
    with pytest.raises(Quarantine):
        screen_pixels(ds)
