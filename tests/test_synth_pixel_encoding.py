"""Stored pixel values of the synthetic export display as drawn: after the Modality LUT, the VOI
transform and the MONOCHROME1 inversion, brighter densities stay brighter, in every encoding and
transfer syntax the generator writes."""

from __future__ import annotations

from io import BytesIO
from itertools import product

import numpy as np
import pydicom
import pytest
from pydicom.dataset import Dataset
from pydicom.uid import JPEG2000, ExplicitVRLittleEndian

from boneds.synth.dicom_file import attach_pixels
from boneds.synth.model import PixelEncoding
from boneds.synth.pixel_encoding import encode_pixels, stored_range
from boneds.synth.planner import TRANSFER_SYNTAXES
from helpers import display


def _density(shape=(64, 48)) -> np.ndarray:
    ramp = np.linspace(0.05, 0.97, shape[0] * shape[1]).reshape(shape)
    return ramp.astype(np.float32)


def _roundtrip(density: np.ndarray, encoding: PixelEncoding, field: np.ndarray | None = None) -> Dataset:
    field = np.ones(density.shape, bool) if field is None else field
    ds = Dataset()
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.1"
    ds.SOPInstanceUID = "2.25.1"
    pixels = encode_pixels(density, field, encoding, "CR")
    ds.update(pixels.attributes)
    attach_pixels(ds, pixels.array, encoding.transfer_syntax)
    buffer = BytesIO()
    ds.save_as(buffer, enforce_file_format=True)
    buffer.seek(0)
    return pydicom.dcmread(buffer)


ENCODINGS = [
    PixelEncoding(ExplicitVRLittleEndian, photometric, bits, signed, slope, intercept, window, voi)
    for photometric, bits, signed, (slope, intercept), window, voi in product(
        ("MONOCHROME1", "MONOCHROME2"), (10, 12, 16), (False, True), ((None, None), (0.5, -1024.0), (2.0, 100.0)),
        (None, (0.0, 0.0)), (False, True))
    if not (signed and bits != 16)
]


@pytest.mark.parametrize("encoding", ENCODINGS, ids=lambda e: f"{e.photometric}-{e.bits_stored}-{e.signed}-"
                         f"{e.rescale_slope}-{e.window is not None}-{e.voi_lut}")
def test_bright_stays_bright(encoding):
    density = _density()
    shown = display(_roundtrip(density, encoding))
    flat_d, flat_s = density.ravel(), shown.ravel()
    order = np.argsort(flat_d, kind="stable")
    assert np.all(np.diff(flat_s[order]) >= -1e-9), "display must be monotonic in density"
    assert flat_s[order][-1] > flat_s[order][0]


@pytest.mark.parametrize("syntax", [uid for uid, _ in TRANSFER_SYNTAXES])
def test_every_transfer_syntax_decodes(syntax):
    density = _density((128, 96))
    encoding = PixelEncoding(syntax, "MONOCHROME1", 12)
    ds = _roundtrip(density, encoding)
    stored = encode_pixels(density, np.ones(density.shape, bool), encoding, "CR").array
    if syntax == JPEG2000:  # lossy: close, not equal
        assert np.abs(ds.pixel_array.astype(int) - stored).mean() < 40
    else:
        assert np.array_equal(ds.pixel_array, stored)


def test_padding_value_marks_exactly_the_pixels_outside_the_field():
    density = _density()
    field = np.zeros(density.shape, bool)
    field[5:-5, 4:-4] = True
    for photometric in ("MONOCHROME1", "MONOCHROME2"):
        encoding = PixelEncoding(ExplicitVRLittleEndian, photometric, 12, padding=True)
        ds = _roundtrip(density, encoding, field)
        pad = ds.PixelPaddingValue
        assert pad == stored_range(encoding)[0]
        assert np.array_equal(ds.pixel_array == pad, ~field)
