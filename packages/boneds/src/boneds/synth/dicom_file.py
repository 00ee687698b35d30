"""Writes synthetic DICOM files: header + stored pixels, in the planned transfer syntax."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from pydicom.dataset import Dataset
from pydicom.encaps import encapsulate
from pydicom.uid import (
    JPEG2000,
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
    JPEG2000Lossless,
    JPEGLosslessSV1,
    RLELossless,
)

from .dicom_header import StudyUids, document_dataset, file_meta, image_dataset
from .jpeg_lossless import encode_jpeg_lossless
from .model import ImagePlan, PixelEncoding, StudyPlan
from .pixel_encoding import encode_pixels

_NATIVE = (ExplicitVRLittleEndian, ImplicitVRLittleEndian)


J2K_MIN_SIDE = 64  # OpenJPEG's default six resolution levels need at least this many pixels a side


def attach_pixels(ds: Dataset, stored: np.ndarray, transfer_syntax: str) -> str:
    """Put stored values into the dataset, compressing them when the transfer syntax asks for it.
    Returns the transfer syntax used: thumbnails too small for JPEG 2000 are stored uncompressed."""
    if transfer_syntax in (JPEG2000, JPEG2000Lossless) and min(stored.shape) < J2K_MIN_SIDE:
        transfer_syntax = ExplicitVRLittleEndian
    ds.file_meta = file_meta(ds, ExplicitVRLittleEndian)
    if transfer_syntax in _NATIVE:
        ds.PixelData = stored.tobytes()
        ds["PixelData"].VR = "OW"
        ds.file_meta.TransferSyntaxUID = transfer_syntax
    # pydicom's compress() gives the dataset a new random SOP Instance UID unless told not to:
    # keep the planned one (determinism, and UIDs consistent with the truth tables).
    elif transfer_syntax == RLELossless:
        ds.compress(RLELossless, stored, encoding_plugin="pylibjpeg", generate_instance_uid=False)
    elif transfer_syntax == JPEG2000Lossless:
        ds.compress(JPEG2000Lossless, stored, generate_instance_uid=False)
    elif transfer_syntax == JPEG2000:
        ds.compress(JPEG2000, stored, j2k_cr=[12], generate_instance_uid=False)
        ds.LossyImageCompression = "01"
        ds.LossyImageCompressionRatio = "12"
        ds.LossyImageCompressionMethod = "ISO_15444_1"
    elif transfer_syntax == JPEGLosslessSV1:
        if stored.dtype.kind != "u":
            raise ValueError("the JPEG Lossless writer takes unsigned pixels only")
        ds.PixelData = encapsulate([encode_jpeg_lossless(stored, int(ds.BitsStored))])
        ds["PixelData"].VR = "OB"
        ds.file_meta.TransferSyntaxUID = JPEGLosslessSV1
    else:
        raise ValueError(f"unsupported transfer syntax {transfer_syntax}")
    return transfer_syntax


def write_radiograph(path: Path, study: StudyPlan, image: ImagePlan, index: int, uids: StudyUids,
                     density: np.ndarray, field: np.ndarray, pixel_spacing_mm: float,
                     rng: np.random.Generator) -> str:
    """Write one radiograph file; returns the transfer syntax written."""
    ds = image_dataset(study, image, index, uids, pixel_spacing_mm, rng)
    pixels = encode_pixels(density, field, image.encoding, study.modality)
    ds.update(pixels.attributes)
    syntax = attach_pixels(ds, pixels.array, image.encoding.transfer_syntax)
    path.parent.mkdir(parents=True, exist_ok=True)
    ds.save_as(path, enforce_file_format=True)
    return syntax


def write_document_image(path: Path, study: StudyPlan, uids: StudyUids, page: np.ndarray,
                         rng: np.random.Generator) -> None:
    """Write a burned-in document (dose report or scanned form) as an 8-bit or 12-bit image."""
    ds = document_dataset(study, uids, rng)
    bits = 8 if ds.SOPClassUID.endswith(".7") else 12
    encoding = PixelEncoding(ExplicitVRLittleEndian, "MONOCHROME2", bits)
    field = np.ones(page.shape, dtype=bool)
    pixels = encode_pixels(page, field, encoding, "OT")
    ds.update(pixels.attributes)
    stored = pixels.array
    if bits == 8:
        ds.BitsAllocated = 8
        stored = stored.astype(np.uint8)
    attach_pixels(ds, stored, ExplicitVRLittleEndian)
    path.parent.mkdir(parents=True, exist_ok=True)
    ds.save_as(path, enforce_file_format=True)
