"""The generator's JPEG Lossless (Process 14, SV1) encoder: an independent decoder
(pylibjpeg-libjpeg, through pydicom) gives back every pixel exactly. Precisions 9-16 are tested:
pydicom cannot hand back a 16-bit-allocated image whose JPEG precision is 8 bits or less."""

from __future__ import annotations

from io import BytesIO

import numpy as np
import pydicom
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.encaps import encapsulate
from pydicom.uid import JPEGLosslessSV1

from boneds.synth.jpeg_lossless import encode_jpeg_lossless


def _decode(data: bytes, image: np.ndarray, bits: int) -> np.ndarray:
    ds = Dataset()
    ds.Rows, ds.Columns = image.shape
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, bits, bits - 1, 0
    ds.SOPClassUID, ds.SOPInstanceUID = "1.2.840.10008.5.1.4.1.1.1", "2.25.7"
    ds.PixelData = encapsulate([data])
    ds["PixelData"].VR = "OB"
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = JPEGLosslessSV1
    buffer = BytesIO()
    ds.save_as(buffer, enforce_file_format=True)
    buffer.seek(0)
    return pydicom.dcmread(buffer).pixel_array


@pytest.mark.parametrize("bits", [9, 10, 12, 13, 14, 15, 16])
def test_random_images_round_trip(bits):
    rng = np.random.default_rng(bits)
    image = rng.integers(0, 1 << bits, size=(37, 53)).astype(np.uint16)
    assert np.array_equal(_decode(encode_jpeg_lossless(image, bits), image, bits), image)


def test_extreme_differences_and_flat_images_round_trip():
    image = np.zeros((8, 8), np.uint16)
    image[:, 1::2] = 65535  # differences of +-32767/32768 (category 16)
    image[3, 3] = 32768
    assert np.array_equal(_decode(encode_jpeg_lossless(image, 16), image, 16), image)
    flat = np.full((16, 16), 1234, np.uint16)
    assert np.array_equal(_decode(encode_jpeg_lossless(flat, 12), flat, 12), flat)


def test_smooth_radiograph_like_images_compress():
    ramp = np.add.outer(np.arange(256), np.arange(200)).astype(np.uint16) * 8
    assert len(encode_jpeg_lossless(ramp, 12)) < ramp.nbytes / 3


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 12), st.integers(1, 12), st.integers(9, 16), st.integers(0, 2**32 - 1))
def test_any_shape_and_precision_round_trips(rows, columns, bits, seed):
    image = np.random.default_rng(seed).integers(0, 1 << bits, size=(rows, columns)).astype(np.uint16)
    assert np.array_equal(_decode(encode_jpeg_lossless(image, bits), image, bits), image)
