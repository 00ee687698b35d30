"""Maps a rendered radiograph (densities in [0, 1]) to stored DICOM pixel values and the attributes
that say how to display them: Modality LUT (rescale), VOI window or VOI LUT Sequence, photometric
interpretation and pixel padding.

The mapping is exactly invertible by a reader that applies, in order, the Modality LUT, the VOI
transform and the MONOCHROME1 inversion: bright stays bright, whatever the encoding.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from pydicom.dataset import Dataset

from .model import PixelEncoding

_MARGIN = 0.02  # fraction of the stored range kept free at both ends


@dataclass(frozen=True)
class StoredPixels:
    """Stored values plus the dataset attributes that describe them."""

    array: np.ndarray  # uint16 or int16, (rows, columns)
    attributes: Dataset  # Image Pixel, Modality LUT, VOI LUT, padding, Presentation LUT Shape


def stored_range(encoding: PixelEncoding) -> tuple[int, int]:
    """Smallest and largest stored value allowed by bits stored and pixel representation."""
    bits = encoding.bits_stored
    if encoding.signed:
        return -(2 ** (bits - 1)), 2 ** (bits - 1) - 1
    return 0, 2**bits - 1


def density_to_stored(density: np.ndarray | float, encoding: PixelEncoding) -> np.ndarray:
    """Stored values for densities (before padding): MONOCHROME1 stores bright as low values."""
    lo, hi = stored_range(encoding)
    frac = np.asarray(density, dtype=np.float64)
    if encoding.photometric == "MONOCHROME1":
        frac = 1.0 - frac
    span = (hi - lo) * (1.0 - 2 * _MARGIN)
    return np.rint(lo + (hi - lo) * _MARGIN + frac * span)


def encode_pixels(density: np.ndarray, field: np.ndarray, encoding: PixelEncoding, modality: str) -> StoredPixels:
    """Stored pixel values and display attributes for one radiograph."""
    lo, hi = stored_range(encoding)
    dtype = np.int16 if encoding.signed else np.uint16
    stored = density_to_stored(np.clip(density, 0.0, 1.0), encoding)
    ds = Dataset()
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = encoding.photometric
    ds.Rows, ds.Columns = density.shape
    ds.BitsAllocated = 16
    ds.BitsStored = encoding.bits_stored
    ds.HighBit = encoding.bits_stored - 1
    ds.PixelRepresentation = 1 if encoding.signed else 0
    if encoding.padding and not field.all():
        stored[~field] = lo  # never used by image pixels: the margin keeps them above lo
        ds.PixelPaddingValue = lo
    slope = encoding.rescale_slope
    intercept = encoding.rescale_intercept
    if slope is not None and intercept is not None:
        ds.RescaleSlope = f"{slope:g}"
        ds.RescaleIntercept = f"{intercept:g}"
        ds.RescaleType = "US"
    else:
        slope, intercept = 1.0, 0.0
    # Display range in modality units: densities 0.03 (air) to 0.98 (metal).
    ends = density_to_stored(np.array([0.03, 0.98]), encoding) * slope + intercept
    m_lo, m_hi = float(ends.min()), float(ends.max())
    if encoding.window is not None:
        ds.WindowCenter = f"{(m_lo + m_hi) / 2:.1f}"
        ds.WindowWidth = f"{m_hi - m_lo:.1f}"
        ds.VOILUTFunction = "LINEAR"
    # A VOI LUT is indexed by integer modality values: only written when the rescale keeps them integers.
    if encoding.voi_lut and slope == 1.0 and m_lo >= 0 and m_hi - m_lo < 65535:
        ds.VOILUTSequence = [_voi_lut_item(int(m_lo), int(m_hi))]
    if modality == "DX":
        ds.PresentationLUTShape = "INVERSE" if encoding.photometric == "MONOCHROME1" else "IDENTITY"
    return StoredPixels(np.clip(stored, lo, hi).astype(dtype), ds)


def _voi_lut_item(first: int, last: int) -> Dataset:
    """A sigmoid VOI LUT over [first, last] with 12-bit output, as CR vendors ship."""
    n = last - first + 1
    x = np.linspace(-4.0, 4.0, n)
    curve = 1.0 / (1.0 + np.exp(-x))
    curve = (curve - curve[0]) / (curve[-1] - curve[0])
    item = Dataset()
    # Explicit VRs: both attributes are "US or SS"/"US or OW" in the dictionary.
    item.add_new(0x00283002, "US", [n, first, 12])  # LUT Descriptor
    item.LUTExplanation = "SIGMOID"
    item.add_new(0x00283006, "OW", np.rint(curve * 4095).astype("<u2").tobytes())  # LUT Data
    return item
