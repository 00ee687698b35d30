"""DICOM radiograph -> 8-bit grayscale JPEG, MIMIC-CXR-JPG style.

Pipeline: decode the stored values; mark Pixel Padding (on stored values, before any LUT); apply the
Modality LUT (rescale or Modality LUT Sequence); apply the first VOI LUT Sequence item, else the
first window (LINEAR, LINEAR_EXACT or SIGMOID), else a min-max stretch over the non-padding pixels;
invert MONOCHROME1 once so that bone is bright; padding becomes black; scale to 8 bits; shrink so the
long side is at most `image_size` (never enlarge); encode a JPEG with no metadata.

Every step up to 8 bits depends on the stored value alone, so it is folded into one lookup table over
all stored values (at most 2**16 entries) and the image is indexed once. Error reasons are fixed
phrases: they never carry a value read from the file.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
from PIL import Image
from pydicom.dataset import Dataset
from pydicom.multival import MultiValue
from pydicom.pixels import apply_modality_lut, apply_voi_lut

NO_PIXEL_DATA = "no pixel data"
MULTI_FRAME = "multi-frame image"
NOT_GRAYSCALE = "not a grayscale image"
UNSUPPORTED_DEPTH = "unsupported bit depth"
UNDECODABLE = "undecodable pixel data"
INVALID_MODALITY_LUT = "invalid modality LUT"
CONSTANT = "constant image"

_LOOKUP_CHUNK = 2**17  # pixels per np.take call: its intp copy of the indices stays in cache (2-3x faster)


class ConversionError(ValueError):
    """An image that cannot be converted; `reason` is one of this module's fixed phrases."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class ConvertedImage:
    """A converted radiograph: JPEG bytes, the JPEG's size and the DICOM image's size."""

    jpeg: bytes
    width: int
    height: int
    original_rows: int
    original_columns: int


def convert_image(ds: Dataset, image_size: int = 512, quality: int = 95) -> ConvertedImage:
    """Convert one single-frame grayscale DICOM image to a JPEG whose long side is at most `image_size`.

    Raises ConversionError for images without pixel data, multi-frame, colour, undecodable or constant.
    """
    if image_size < 1:
        raise ValueError("image_size must be positive")
    pixels = display_uint8(ds)
    small = shrink(pixels, image_size)
    return ConvertedImage(encode_jpeg(small, quality), small.shape[1], small.shape[0], pixels.shape[0],
                          pixels.shape[1])


def display_uint8(ds: Dataset) -> np.ndarray:
    """The image as displayed, full size, uint8 (0 black, 255 white; bone bright; padding 0)."""
    stored = decode_stored(ds)
    table = display_table(ds, stored)
    return _lookup(table, _as_index(stored))


def decode_stored(ds: Dataset) -> np.ndarray:
    """Stored pixel values of a single-frame grayscale image, (rows, columns), 8 or 16-bit integers."""
    if "PixelData" not in ds:
        raise ConversionError(NO_PIXEL_DATA)
    if _int_attr(ds, "NumberOfFrames", 1) > 1:
        raise ConversionError(MULTI_FRAME)
    if _int_attr(ds, "SamplesPerPixel", 1) != 1 or ds.get("PhotometricInterpretation") not in (
            "MONOCHROME1", "MONOCHROME2"):
        raise ConversionError(NOT_GRAYSCALE)
    if not 1 <= _int_attr(ds, "BitsStored", 0) <= 16:
        raise ConversionError(UNSUPPORTED_DEPTH)
    try:
        stored = ds.pixel_array
    except Exception:
        # `from None`: decoder messages may quote file content.
        raise ConversionError(UNDECODABLE) from None
    if stored.ndim != 2 or stored.size == 0:
        raise ConversionError(UNDECODABLE)
    if stored.dtype.kind not in "ui" or stored.dtype.itemsize > 2:
        raise ConversionError(UNSUPPORTED_DEPTH)
    return stored


def display_table(ds: Dataset, stored: np.ndarray) -> np.ndarray:
    """uint8 display value of every stored value, indexed by the stored value's unsigned bit pattern.

    `stored` is only read for the range of its non-padding values (min-max stretch, constant check).
    """
    values = _table_domain(stored.dtype)
    bounds = _padding_bounds(ds, stored.dtype)
    padding = np.zeros(values.shape, dtype=bool) if bounds is None else (values >= bounds[0]) & (values <= bounds[1])
    lo, hi = _stored_range(stored, bounds)
    if lo == hi:
        raise ConversionError(CONSTANT)
    try:
        modality = np.asarray(apply_modality_lut(values, ds), dtype=np.float64)
    except Exception:
        raise ConversionError(INVALID_MODALITY_LUT) from None
    used = (values >= lo) & (values <= hi) & ~padding
    shown = _voi(ds, modality, used)
    if ds.PhotometricInterpretation == "MONOCHROME1":
        shown = 1.0 - shown
    table = np.rint(np.clip(shown, 0.0, 1.0) * 255.0).astype(np.uint8)
    table[padding] = 0
    used_out = table[used]
    if used_out.min() == used_out.max():
        raise ConversionError(CONSTANT)
    return table


def shrink(image: np.ndarray, image_size: int) -> np.ndarray:
    """Resize a uint8 image so its long side is at most `image_size`, keeping the aspect ratio.

    Never enlarges. Box-reduces by an integer factor, then Lanczos for the last step (at least 2x).
    """
    height, width = image.shape
    target = output_size(height, width, image_size)
    if target == (width, height):
        return image
    # reducing_gap=2: the Lanczos step still shrinks at least 2x, close to a full Lanczos at a
    # fraction of its cost.
    resized = Image.fromarray(image).resize(target, Image.Resampling.LANCZOS, reducing_gap=2.0)
    return np.asarray(resized)


def output_size(rows: int, columns: int, image_size: int) -> tuple[int, int]:
    """(width, height) of the output: long side min(long side, image_size), aspect ratio kept."""
    long_side = max(rows, columns)
    if long_side <= image_size:
        return columns, rows
    scale = image_size / long_side
    return max(1, round(columns * scale)), max(1, round(rows * scale))


def encode_jpeg(image: np.ndarray, quality: int) -> bytes:
    """Baseline grayscale JPEG: JFIF header only (no EXIF, no comment), same bytes for the same input."""
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="JPEG", quality=quality, optimize=True)
    return buffer.getvalue()


def _int_attr(ds: Dataset, keyword: str, default: int) -> int:
    """An integer attribute, `default` when absent, -1 when unreadable."""
    try:
        return int(ds.get(keyword, default))
    except (TypeError, ValueError):
        return -1


def _table_domain(dtype: np.dtype) -> np.ndarray:
    """Every value of an 8 or 16-bit integer type, at the position of its unsigned bit pattern."""
    bits = dtype.itemsize * 8
    patterns = np.arange(2**bits, dtype=np.uint8 if bits == 8 else np.uint16)
    return patterns.view(dtype).astype(np.int64)


def _as_index(stored: np.ndarray) -> np.ndarray:
    """Table index of each pixel: signed values reinterpreted as their unsigned bit pattern."""
    if stored.dtype.kind == "i":
        return stored.view(np.dtype(f"u{stored.dtype.itemsize}"))
    return stored


def _lookup(table: np.ndarray, index: np.ndarray) -> np.ndarray:
    """table[index], in chunks: np.take first copies the indices to intp, cheap only while cached."""
    flat = np.ascontiguousarray(index).reshape(-1)
    out = np.empty(flat.shape, dtype=table.dtype)
    for start in range(0, flat.size, _LOOKUP_CHUNK):
        stop = start + _LOOKUP_CHUNK
        np.take(table, flat[start:stop], out=out[start:stop], mode="clip")  # the table covers every index
    return out.reshape(index.shape)


def _padding_bounds(ds: Dataset, dtype: np.dtype) -> tuple[int, int] | None:
    """Inclusive stored-value range of Pixel Padding Value (and Pixel Padding Range Limit), if any."""
    if "PixelPaddingValue" not in ds:
        return None
    try:
        first = _as_stored_int(ds.PixelPaddingValue, dtype)
        last = _as_stored_int(ds.get("PixelPaddingRangeLimit", ds.PixelPaddingValue), dtype)
    except (TypeError, ValueError):
        return None
    return min(first, last), max(first, last)


def _as_stored_int(value: object, dtype: np.dtype) -> int:
    """A padding attribute as a stored value: an US/SS value read with the wrong sign is reinterpreted."""
    if isinstance(value, bytes):  # implicit VR read before the VR was resolved
        return int.from_bytes(value[:dtype.itemsize], "little", signed=dtype.kind == "i")
    number = int(value)
    info = np.iinfo(dtype)
    if number > info.max:  # read as US, stored as SS
        number -= 2 ** (dtype.itemsize * 8)
    elif number < info.min:  # read as SS, stored as US
        number += 2 ** (dtype.itemsize * 8)
    return number


def _stored_range(stored: np.ndarray, bounds: tuple[int, int] | None) -> tuple[int, int]:
    """Smallest and largest non-padding stored value; raises ConversionError when every pixel is padding."""
    lo, hi = int(stored.min()), int(stored.max())
    if bounds is None or bounds[1] < lo or bounds[0] > hi:
        return lo, hi
    keep = (stored < bounds[0]) | (stored > bounds[1])
    if not keep.any():
        raise ConversionError(CONSTANT)
    info = np.iinfo(stored.dtype)
    return (int(np.min(stored, where=keep, initial=info.max)),
            int(np.max(stored, where=keep, initial=info.min)))


def _voi(ds: Dataset, modality: np.ndarray, used: np.ndarray) -> np.ndarray:
    """VOI transform of modality values into [0, 1]: VOI LUT, else window, else min-max over `used`."""
    if "VOILUTSequence" in ds:
        shown = _voi_lut(ds, modality)
        if shown is not None:
            return shown
    window = _window(ds)
    if window is not None:
        return _apply_window(modality, *window)
    lo, hi = float(modality[used].min()), float(modality[used].max())
    if lo == hi:
        raise ConversionError(CONSTANT)
    return (modality - lo) / (hi - lo)


def _voi_lut(ds: Dataset, modality: np.ndarray) -> np.ndarray | None:
    """First VOI LUT, scaled by the range of its own entries (descriptors often misstate the output
    bits). None when the LUT is unusable: the window or the min-max stretch applies instead."""
    try:
        descriptor = ds.VOILUTSequence[0].LUTDescriptor
        count = int(descriptor[0]) or 2**16  # PS3.3 C.11.2.1.1: 0 means 65536 entries
        first = int(descriptor[1])
        shown = apply_voi_lut(np.rint(modality).astype(np.int64), ds, prefer_lut=True)
        entries = apply_voi_lut(np.arange(first, first + count, dtype=np.int64), ds, prefer_lut=True)
    except Exception:
        return None
    lo, hi = float(np.min(entries)), float(np.max(entries))
    if lo == hi:
        return None
    return (np.asarray(shown, dtype=np.float64) - lo) / (hi - lo)


def _window(ds: Dataset) -> tuple[float, float, str] | None:
    """(center, width, function) of the first window, or None when absent or unusable."""
    try:
        center = _first_number(ds.WindowCenter)
        width = _first_number(ds.WindowWidth)
    except (AttributeError, TypeError, ValueError, IndexError):
        return None
    function = str(ds.get("VOILUTFunction") or "LINEAR").strip().upper()
    if function not in ("LINEAR", "LINEAR_EXACT", "SIGMOID"):
        function = "LINEAR"
    if not (np.isfinite(center) and np.isfinite(width)) or width <= 0 or (function == "LINEAR" and width < 1):
        return None
    return center, width, function


def _first_number(value: object) -> float:
    if isinstance(value, (MultiValue, list, tuple)):
        value = value[0]
    return float(value)


def _apply_window(x: np.ndarray, center: float, width: float, function: str) -> np.ndarray:
    """PS3.3 C.11.2.1.2 and C.11.2.1.3 window functions, output in [0, 1]."""
    if function == "SIGMOID":
        return 0.5 * (1.0 + np.tanh(2.0 * (x - center) / width))  # = 1 / (1 + exp(-4 (x - c) / w)), no overflow
    if function == "LINEAR_EXACT":
        return np.clip((x - center) / width + 0.5, 0.0, 1.0)
    if width == 1:
        return (x > center - 0.5).astype(np.float64)
    return np.clip((x - (center - 0.5)) / (width - 1) + 0.5, 0.0, 1.0)
