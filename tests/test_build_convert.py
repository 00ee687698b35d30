"""DICOM radiograph -> JPEG conversion of `boneds build`: agrees with the reference display pipeline
(tests/helpers.display) on every image of the synthetic export and on pydicom's CR files, bone
bright whatever the photometric interpretation, padding black and out of the min-max, aspect ratio
kept, never enlarged, deterministic metadata-free JPEG, fixed rejection reasons."""

from __future__ import annotations

import io
from itertools import product

import numpy as np
import pydicom
import pytest
from PIL import Image
from pydicom.data import get_testdata_file
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.encaps import encapsulate
from pydicom.uid import ExplicitVRLittleEndian, JPEG2000Lossless

from boneds.builder import convert
from boneds.builder.convert import ConversionError, convert_image, display_uint8, output_size
from boneds.synth.dicom_file import attach_pixels
from boneds.synth.model import Findings, PixelEncoding
from boneds.synth.pixel_encoding import encode_pixels
from boneds.synth.radiograph import render_radiograph
from helpers import display, read_csv

REASONS = {convert.NO_PIXEL_DATA, convert.MULTI_FRAME, convert.NOT_GRAYSCALE, convert.UNSUPPORTED_DEPTH,
           convert.UNDECODABLE, convert.INVALID_MODALITY_LUT, convert.CONSTANT}


def make_dataset(stored: np.ndarray, photometric: str = "MONOCHROME2", bits: int = 12, **attributes) -> Dataset:
    """An uncompressed single-frame image dataset holding `stored`, as read back from a file."""
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.1"
    ds.SOPInstanceUID = "2.25.1"
    ds.PatientName = "SECRET^PATIENT"
    ds.Rows, ds.Columns = stored.shape
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = photometric
    ds.BitsAllocated = 16
    ds.BitsStored, ds.HighBit = bits, bits - 1
    ds.PixelRepresentation = 1 if stored.dtype.kind == "i" else 0
    for keyword, value in attributes.items():
        setattr(ds, keyword, value)
    ds.PixelData = stored.astype(stored.dtype.newbyteorder("<")).tobytes()
    return reread(ds)


def reread(ds: Dataset) -> Dataset:
    """The dataset written as a Part 10 file and read back (VRs and values as a reader sees them)."""
    buffer = io.BytesIO()
    ds.save_as(buffer, enforce_file_format=True)
    return pydicom.dcmread(io.BytesIO(buffer.getvalue()))


def ramp(rows: int = 60, columns: int = 80, lo: int = 100, hi: int = 3000) -> np.ndarray:
    """Stored values rising from `lo` (first pixel) to `hi` (last pixel) in raster order."""
    return np.linspace(lo, hi, rows * columns).reshape(rows, columns).round().astype(np.uint16)


def padding_mask(ds: Dataset) -> np.ndarray:
    """Pixels whose stored value is Pixel Padding (Value to Range Limit)."""
    stored = ds.pixel_array
    if "PixelPaddingValue" not in ds:
        return np.zeros(stored.shape, dtype=bool)
    first = int(ds.PixelPaddingValue)
    last = int(ds.get("PixelPaddingRangeLimit", first))
    return (stored >= min(first, last)) & (stored <= max(first, last))


def assert_agrees_with_reference(ds: Dataset) -> None:
    """Same picture as helpers.display up to an increasing affine map (rounding only); padding black."""
    ours = display_uint8(ds)
    pad = padding_mask(ds)
    assert ours.shape == (ds.Rows, ds.Columns) and ours.dtype == np.uint8
    assert np.all(ours[pad] == 0)
    o, r = ours[~pad].astype(np.float64), display(ds)[~pad]
    assert np.corrcoef(o, r)[0, 1] > 0.999
    design = np.column_stack([r, np.ones_like(r)])
    (slope, intercept), *_ = np.linalg.lstsq(design, o, rcond=None)
    assert slope > 0, "brighter in the reference must be brighter here"
    assert np.abs(design @ (slope, intercept) - o).mean() < 0.5, "more than rounding apart"


def test_synthetic_export_agrees_with_reference(small_export):
    rows = read_csv(small_export / "truth" / "images.csv")
    seen = set()
    padded = 0
    for row in rows:
        ds = pydicom.dcmread(small_export / row["path"])
        assert_agrees_with_reference(ds)
        padded += int(padding_mask(ds).any())
        seen.add((ds.PhotometricInterpretation, "VOILUTSequence" in ds, "WindowCenter" in ds,
                  ds.file_meta.TransferSyntaxUID))
    # The export must exercise what this test claims to check.
    assert {s[0] for s in seen} == {"MONOCHROME1", "MONOCHROME2"}
    assert {s[1] for s in seen} == {True, False} and {s[2] for s in seen} == {True, False}
    assert len({s[3] for s in seen}) >= 5
    assert padded > 0


@pytest.mark.parametrize("name", ["RG1_UNCI.dcm", "RG3_UNCI.dcm", "RG3_J2KI.dcm", "CT_small.dcm", "MR_small.dcm",
                                  "mlut_18.dcm", "vlut_04.dcm", "JPGLosslessP14SV1_1s_1f_8b.dcm"])
def test_pydicom_files_agree_with_reference(name):
    path = get_testdata_file(name, download=False)
    if path is None:
        pytest.skip(f"{name} not available offline")
    assert_agrees_with_reference(pydicom.dcmread(path))


def test_monochrome1_cr_shows_direct_exposure_dark_and_collimation_bright():
    # RG3 is a MONOCHROME1 leg: stored 0 is the collimated border, stored ~1023 the open field.
    path = get_testdata_file("RG3_UNCI.dcm", download=False)
    if path is None:
        pytest.skip("RG3_UNCI.dcm not available offline")
    ds = pydicom.dcmread(path)
    ours, stored = display_uint8(ds), ds.pixel_array
    assert ours[stored >= 1015].mean() < 20  # the window (550, 1024) ends at 1062
    assert ours[stored <= 5].mean() > 245


def _synthetic(density: np.ndarray, field: np.ndarray, encoding: PixelEncoding) -> Dataset:
    """A DX file: MONOCHROME1 comes with Presentation LUT Shape INVERSE, which must not invert again."""
    ds = Dataset()
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.1.1"
    ds.SOPInstanceUID = "2.25.1"
    pixels = encode_pixels(density, field, encoding, "DX")
    ds.update(pixels.attributes)
    attach_pixels(ds, pixels.array, encoding.transfer_syntax)
    return reread(ds)


@pytest.fixture(scope="module")
def wrist():
    """A rendered wrist radiograph with its bone / soft tissue / field masks."""
    return render_radiograph("wrist", "frontal", "L", Findings(), 45.0, "F", 160, "", np.random.default_rng(3))


ENCODINGS = [
    PixelEncoding(ExplicitVRLittleEndian, photometric, bits, signed, slope, intercept, window, voi, padding)
    for photometric, (bits, signed), (slope, intercept), window, voi, padding in product(
        ("MONOCHROME1", "MONOCHROME2"), ((10, False), (12, False), (16, True)), ((None, None), (0.5, -1024.0)),
        (None, (0.0, 0.0)), (False, True), (False, True))
]


@pytest.mark.parametrize("encoding", ENCODINGS, ids=lambda e: f"{e.photometric}-{e.bits_stored}-{e.signed}-"
                         f"{e.rescale_slope}-{e.window is not None}-{e.voi_lut}-{e.padding}")
def test_bone_is_brighter_than_soft_tissue_and_air(wrist, encoding):
    field = wrist.masks["field"].copy()
    field[:, :6] = False  # a collimated strip, so that every encoding with padding has some
    density = np.where(field, wrist.density, 1.0)
    ds = _synthetic(density, field, encoding)
    ours = display_uint8(ds)
    bone, soft = wrist.masks["bone"] & field, wrist.masks["soft_tissue"] & field
    air = field & ~wrist.masks["bone"] & ~wrist.masks["soft_tissue"] & ~wrist.masks["metal"] & ~wrist.masks["marker"]
    # margins: the export's sigmoid VOI LUT leaves soft tissue only ~19 levels above air
    assert ours[bone].mean() > ours[soft].mean() + 50
    assert ours[soft].mean() > ours[air].mean() + 10
    if encoding.padding:
        assert np.all(ours[~field] == 0)
    else:
        assert ours[~field].min() > 240  # unexposed detector: white, not padding


def test_monochrome1_is_inverted_exactly_once():
    stored = ramp()
    m2 = display_uint8(make_dataset(stored, "MONOCHROME2", WindowCenter="1500", WindowWidth="2001"))
    m1 = display_uint8(make_dataset(4095 - stored, "MONOCHROME1", WindowCenter="2596", WindowWidth="2001"))
    assert np.array_equal(m1, m2)
    assert m2[0, 0] == 0 and m2[-1, -1] == 255
    # DX files state MONOCHROME1's inversion again as Presentation LUT Shape INVERSE: still one inversion.
    dx = make_dataset(4095 - stored, "MONOCHROME1", WindowCenter="2596", WindowWidth="2001",
                      PresentationLUTShape="INVERSE")
    assert np.array_equal(display_uint8(dx), m2)


def test_min_max_stretch_ignores_padding_and_pads_black():
    stored = ramp(lo=1000, hi=2000)
    stored[:, :10] = 4095
    ds = make_dataset(stored, PixelPaddingValue=4095)
    ours = display_uint8(ds)
    assert np.all(ours[:, :10] == 0)
    assert ours[:, 10:].min() == 0 and ours[:, 10:].max() == 255  # stretched over 1000..2000 only
    ds = make_dataset(stored, "MONOCHROME1", PixelPaddingValue=4095)
    assert np.all(display_uint8(ds)[:, :10] == 0), "padding stays black after the MONOCHROME1 inversion"


def test_padding_range_limit_and_stored_values_before_rescale():
    stored = ramp(lo=500, hi=3000)
    stored[:5] = np.arange(80, dtype=np.uint16) % 40 + 10  # stored 10..49
    ds = make_dataset(stored, PixelPaddingValue=49, PixelPaddingRangeLimit=10, RescaleSlope="2",
                      RescaleIntercept="-1024")
    ours = display_uint8(ds)
    assert np.all(ours[:5] == 0)
    assert ours[5:].min() == 0 and ours[5:].max() == 255


def test_signed_padding_value():
    stored = ramp(lo=0, hi=2000).astype(np.int16) - 1000
    stored[-3:] = -2000
    ds = make_dataset(stored, bits=16, PixelPaddingValue=-2000, RescaleSlope="1", RescaleIntercept="-1024")
    ours = display_uint8(ds)
    assert np.all(ours[-3:] == 0) and ours[:-3].min() == 0 and ours[:-3].max() == 255


@pytest.mark.parametrize("function", ["LINEAR", "LINEAR_EXACT", "SIGMOID"])
def test_window_functions_follow_the_standard(function):
    stored = ramp(lo=0, hi=4095)
    ds = make_dataset(stored, WindowCenter=["1800", "3000"], WindowWidth=["1000", "200"], VOILUTFunction=function)
    expected = np.rint(display(ds) / 4095 * 255)  # pydicom's window output spans 0..2**BitsStored - 1
    assert np.abs(display_uint8(ds).astype(int) - expected).max() <= 1


def test_voi_lut_sequence_takes_precedence_and_is_scaled_by_its_entries():
    stored = ramp(lo=0, hi=1023)
    item = Dataset()
    item.add_new(0x00283002, "US", [512, 256, 16])  # 512 entries from stored 256; descriptor says 16 bits
    item.add_new(0x00283006, "OW", np.linspace(0, 1023, 512).round().astype("<u2").tobytes())  # 10-bit data
    ds = make_dataset(stored, bits=10, WindowCenter="100", WindowWidth="10", VOILUTSequence=[item])
    ours = display_uint8(ds)
    assert ours[stored <= 256].max() == 0 and ours[stored >= 767].min() == 255
    inside = (stored > 300) & (stored < 700)
    assert np.abs(ours[inside] - (stored[inside] - 256) / 511 * 255).max() <= 1


def jpeg_segments(data: bytes) -> list[int]:
    """Marker codes of a JPEG up to the start of scan."""
    assert data[:2] == b"\xff\xd8"
    markers, pos = [], 2
    while True:
        assert data[pos] == 0xFF
        marker = data[pos + 1]
        markers.append(marker)
        if marker == 0xDA:
            return markers
        pos += 2 + int.from_bytes(data[pos + 2:pos + 4], "big")


def test_jpeg_is_grayscale_without_metadata_and_deterministic(small_export):
    path = small_export / read_csv(small_export / "truth" / "images.csv")[0]["path"]
    first = convert_image(pydicom.dcmread(path), image_size=128)
    again = convert_image(pydicom.dcmread(path), image_size=128)
    assert first.jpeg == again.jpeg
    assert convert_image(pydicom.dcmread(path), image_size=128, quality=60).jpeg != first.jpeg
    markers = jpeg_segments(first.jpeg)
    assert not [m for m in markers if 0xE1 <= m <= 0xEF or m == 0xFE], "APPn (EXIF, XMP, ICC) or COM segment"
    image = Image.open(io.BytesIO(first.jpeg))
    assert image.format == "JPEG" and image.mode == "L"
    assert image.size == (first.width, first.height)
    assert not set(image.info) & {"exif", "comment", "icc_profile", "xmp"}


@pytest.mark.parametrize(("rows", "columns", "size", "expected"), [
    (1200, 800, 512, (341, 512)),  # (width, height)
    (800, 1200, 512, (512, 341)),
    (2500, 2000, 512, (410, 512)),
    (300, 200, 512, (200, 300)),  # never enlarged
    (512, 100, 512, (100, 512)),
])
def test_output_size_keeps_aspect_and_never_enlarges(rows, columns, size, expected):
    assert output_size(rows, columns, size) == expected
    stored = np.add.outer(np.arange(rows), np.arange(columns)).astype(np.uint16) % 4000
    result = convert_image(make_dataset(stored), image_size=size)
    assert (result.width, result.height) == expected
    assert (result.original_rows, result.original_columns) == (rows, columns)
    assert Image.open(io.BytesIO(result.jpeg)).size == expected


def test_shrink_antialiases_and_keeps_padding_black():
    stored = np.full((1000, 800), 3000, dtype=np.uint16)
    stored[:, 1::2] = 1000  # one-pixel stripes: must average out, not alias into bands
    stored[:200] = 0
    result = convert_image(make_dataset(stored, PixelPaddingValue=0), image_size=250)
    decoded = np.asarray(Image.open(io.BytesIO(result.jpeg)), dtype=np.int64)
    assert (result.width, result.height) == (200, 250)
    assert decoded[5:45].max() <= 8  # the padded band: black
    body = decoded[60:]
    assert body.std() < 3 and abs(body.mean() - 127) < 6


def test_convert_matches_resized_display():
    stored = ramp(600, 450, lo=0, hi=4000)
    ds = make_dataset(stored, "MONOCHROME1")
    result = convert_image(ds, image_size=200)
    decoded = np.asarray(Image.open(io.BytesIO(result.jpeg)), dtype=np.float64)
    expected = np.asarray(Image.fromarray(display_uint8(ds)).resize((150, 200), Image.Resampling.LANCZOS))
    assert np.abs(decoded - expected).mean() < 1.5
    assert decoded[0].mean() > 240 and decoded[-1].mean() < 15  # MONOCHROME1: low stored values bright


def _error(ds: Dataset) -> ConversionError:
    with pytest.raises(ConversionError) as info:
        convert_image(ds)
    error = info.value
    assert error.reason in REASONS and str(error) == error.reason
    assert error.__cause__ is None and (error.__context__ is None or error.__suppress_context__), \
        "a chained decoder message could quote the file"
    return error


def test_rejections_have_fixed_reasons():
    ds = make_dataset(ramp())
    del ds.PixelData
    assert _error(ds).reason == convert.NO_PIXEL_DATA
    for name, reason in (("emri_small.dcm", convert.MULTI_FRAME), ("SC_rgb.dcm", convert.NOT_GRAYSCALE)):
        path = get_testdata_file(name, download=False)
        if path is not None:
            assert _error(pydicom.dcmread(path)).reason == reason
    ds = make_dataset(ramp())
    ds.NumberOfFrames = 2
    assert _error(ds).reason == convert.MULTI_FRAME
    ds = make_dataset(ramp())
    ds.PhotometricInterpretation = "PALETTE COLOR"
    assert _error(ds).reason == convert.NOT_GRAYSCALE


def test_undecodable_pixels_are_rejected_without_file_content():
    ds = make_dataset(ramp())
    ds.file_meta.TransferSyntaxUID = JPEG2000Lossless
    ds.PixelData = encapsulate([b"SECRET^PATIENT not a codestream"])
    ds["PixelData"].VR = "OB"
    error = _error(reread(ds))
    assert error.reason == convert.UNDECODABLE and "SECRET" not in str(error)
    ds = make_dataset(ramp())
    ds.PixelData = ds.PixelData[:100]  # truncated native pixel data
    assert _error(ds).reason == convert.UNDECODABLE


def test_constant_images_are_rejected():
    assert _error(make_dataset(np.full((40, 30), 700, dtype=np.uint16))).reason == convert.CONSTANT
    stored = np.full((40, 30), 700, dtype=np.uint16)
    stored[:10] = 0
    assert _error(make_dataset(stored, PixelPaddingValue=0)).reason == convert.CONSTANT  # constant but for padding
    assert _error(make_dataset(np.zeros((40, 30), np.uint16), PixelPaddingValue=0)).reason == convert.CONSTANT
    # every value far below the window: a black picture
    assert _error(make_dataset(ramp(lo=0, hi=100), WindowCenter="3000", WindowWidth="200")).reason == convert.CONSTANT
