"""Burned-in text screening: header clues first, then a cheap pixel pre-filter, then OCR.

    reason = screen_header(ds)            # None, or a fixed phrase -> quarantine
    screen_pixels(ds)                     # raises Quarantine / Failure; returns a PixelVerdict

Header rules (fail closed): Burned In Annotation YES -> quarantine; any value other than YES/NO
(blank included) -> quarantine ("other value"); NO or absent -> the pixels decide. Secondary Capture,
encapsulated document, structured report (dose reports included) SOP classes, Conversion Type
present, Image Type with a document/dose/screen-save term (SECONDARY alone is not
enough: MR/CT post-processing is DERIVED\\SECONDARY; the pixels decide), and Modality SR/DOC/OT -> quarantine.

Pixel rule: each frame is reduced to an 8-bit display image (block mean to at most `WORK_SIDE` px,
percentile stretch, MONOCHROME1 inverted). The pre-filter counts "text-like" connected components
(small, high local contrast, letter-sized, with a neighbour of similar height on the same line).
A lone lead laterality marker (G/D, L/R) has no such neighbour or too few of them. Frames with at
least `PREFILTER_MIN_COMPONENTS` of them go to Tesseract (fra+eng); the frame is quarantined when
OCR reads at least `OCR_MIN_CHARS` letters/digits in words of 3+ characters with confidence >= 50.
If Tesseract is not available, a frame that passes the pre-filter is quarantined (fail closed).
Pixel data that cannot be decoded -> failure (a file that cannot be screened is never written).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from .errors import Failure, Quarantine

WORK_SIDE = 1024
LOCAL_CONTRAST = 45          # grey levels (0..255) above/below the local background
MIN_H, MAX_H = 6, 48         # letter height in work pixels
PREFILTER_MIN_COMPONENTS = 20
OCR_MIN_CHARS = 10

SOP_QUARANTINE_PREFIXES = {
    "1.2.840.10008.5.1.4.1.1.7": "secondary capture SOP class",
    "1.2.840.10008.5.1.4.1.1.104": "encapsulated document SOP class",
    "1.2.840.10008.5.1.4.1.1.88": "structured report SOP class",
    "1.2.840.10008.5.1.4.1.1.11": "presentation state SOP class",
}
IMAGE_TYPE_TERMS = {"SCREEN SAVE", "DOSE", "DOSE_INFO", "DOSE REPORT", "DOCUMENT", "REPORT",
                    "SCANNED", "SCREENSHOT"}
MODALITY_QUARANTINE = {"SR", "DOC", "OT"}


def screen_header(ds) -> str | None:
    """The reason to quarantine from header clues alone, or None."""
    flag = ds.get("BurnedInAnnotation", None)
    if flag is not None:
        value = str(flag).strip().upper()
        if value == "YES":
            return "burned-in annotation flagged YES"
        if value != "NO":
            return "burned-in annotation flag has another value"
    sop = str(ds.get("SOPClassUID", "") or "").strip()
    for prefix, reason in SOP_QUARANTINE_PREFIXES.items():
        if sop == prefix or sop.startswith(prefix + "."):
            return reason
    if "ConversionType" in ds:
        return "conversion type present"
    image_type = ds.get("ImageType", None)
    if image_type is not None:
        items = [image_type] if isinstance(image_type, str) else list(image_type)
        values = [str(v).strip().upper() for v in items]
        if any(v in IMAGE_TYPE_TERMS for v in values):
            return "image type indicates a derived document"
    if str(ds.get("Modality", "") or "").strip().upper() in MODALITY_QUARANTINE:
        return "modality indicates a document"
    return None


@dataclass
class PixelVerdict:
    frames: int
    candidates: int          # text-like components, worst frame
    ocr_chars: int           # OCR letters, worst frame (0 when OCR did not run)
    ocr_ran: bool


def display_image(frame: np.ndarray, monochrome1: bool = False) -> np.ndarray:
    """An 8-bit image, at most WORK_SIDE px on its longest side (block mean)."""
    a = np.asarray(frame)
    if a.ndim == 3:  # colour: luminance
        a = a[..., :3].astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)
    factor = max(1, -(-max(a.shape) // WORK_SIDE))
    if factor > 1:
        h, w = (a.shape[0] // factor) * factor, (a.shape[1] // factor) * factor
        # Block mean: sum the row strides, then the column strides (integers stay integers: faster).
        work = a[:h, :w].astype(np.int32 if a.dtype.kind in "iub" else np.float32)
        rows = work[0::factor].copy()
        for k in range(1, factor):
            rows += work[k::factor]
        acc = rows[:, 0::factor].copy()
        for k in range(1, factor):
            acc += rows[:, k::factor]
        a = acc.astype(np.float32) * (1.0 / (factor * factor))
    else:
        a = a.astype(np.float32)
    sample = a[::4, ::4]
    lo, hi = np.percentile(sample, (0.5, 99.5)) if sample.size else (0.0, 1.0)
    if hi <= lo:
        hi = lo + 1.0
    out = np.clip((a - lo) * (255.0 / (hi - lo)), 0, 255)
    if monochrome1:
        out = 255.0 - out
    return out.astype(np.uint8)


def text_like_components(img: np.ndarray) -> int:
    """Letter-sized, high-contrast components that have a similar neighbour on the same line."""
    return text_like_boxes(img)[0]


def text_like_boxes(img: np.ndarray) -> tuple[int, tuple[int, int, int, int] | None]:
    """(count of text-like components, their bounding box (y0, y1, x0, x1) or None)."""
    f = img.astype(np.int16)
    background = ndimage.uniform_filter(f, size=31)
    boxes = []
    for mask in (f - background > LOCAL_CONTRAST, background - f > LOCAL_CONTRAST):
        labels, n = ndimage.label(mask)
        if n == 0 or n > 50_000:
            if n > 50_000:  # pure noise/texture: undecidable, let OCR look at everything
                return PREFILTER_MIN_COMPONENTS, (0, img.shape[0], 0, img.shape[1])
            continue
        for sl in ndimage.find_objects(labels):
            h = sl[0].stop - sl[0].start
            w = sl[1].stop - sl[1].start
            if MIN_H <= h <= MAX_H and 1 <= w <= 3 * h:
                boxes.append((sl[0].start, sl[0].stop, sl[1].start, sl[1].stop))
    if len(boxes) < 2:
        return 0, None
    b = np.array(boxes, dtype=np.float32)
    cy = (b[:, 0] + b[:, 1]) / 2
    hh = b[:, 1] - b[:, 0]
    x0, x1 = b[:, 2], b[:, 3]
    keep = np.zeros(len(b), dtype=bool)
    # neighbour on the same line: vertical centre within half a height, similar height,
    # horizontal gap under 1.5 heights
    for i in range(len(b)):
        dy = np.abs(cy - cy[i]) < 0.5 * hh[i]
        sim = (hh > 0.6 * hh[i]) & (hh < 1.6 * hh[i])
        gap = np.maximum(x0 - x1[i], x0[i] - x1)
        near = (gap < 1.5 * hh[i]) & (gap > -0.5 * hh[i])
        near[i] = False
        keep[i] = bool(np.any(dy & sim & near))
    if not keep.any():
        return 0, None
    k = b[keep]
    return int(keep.sum()), (int(k[:, 0].min()), int(k[:, 1].max()), int(k[:, 2].min()), int(k[:, 3].max()))


def ocr_chars(img: np.ndarray) -> int:
    """Letters and digits that Tesseract (fra+eng) reads in words of 3+ characters."""
    import pytesseract

    data = pytesseract.image_to_data(img, lang="fra+eng", config="--psm 11",
                                     output_type=pytesseract.Output.DICT)
    total = 0
    for word, conf in zip(data["text"], data["conf"], strict=False):
        alnum = sum(ch.isalnum() for ch in str(word))
        try:
            confidence = float(conf)
        except (TypeError, ValueError):
            confidence = -1
        if alnum >= 3 and confidence >= 50:
            total += alnum
    return total


def _frames(ds) -> list[np.ndarray]:
    try:
        pixels = ds.pixel_array
    except Exception:  # noqa: BLE001 - the type only
        raise Failure("pixel data cannot be decoded") from None
    frames = int(ds.get("NumberOfFrames", 1) or 1)
    spp = int(ds.get("SamplesPerPixel", 1) or 1)
    if frames > 1:
        return list(pixels)
    if spp == 1 and pixels.ndim == 2 or spp > 1 and pixels.ndim == 3:
        return [pixels]
    raise Failure("unsupported pixel layout")


def screen_pixels(ds, ocr: bool = True) -> PixelVerdict | None:
    """Quarantine (raise) when the pixels look like they carry text; None when there are no pixels."""
    if "PixelData" not in ds and "FloatPixelData" not in ds and "DoubleFloatPixelData" not in ds:
        return None
    mono1 = str(ds.get("PhotometricInterpretation", "")).strip() == "MONOCHROME1"
    worst = PixelVerdict(0, 0, 0, False)
    for frame in _frames(ds):
        worst.frames += 1
        img = display_image(frame, mono1)
        n, box = text_like_boxes(img)
        worst.candidates = max(worst.candidates, n)
        if n < PREFILTER_MIN_COMPONENTS or box is None:
            continue
        margin = 2 * MAX_H  # OCR reads only the region of the text-like components
        y0, y1, x0, x1 = box
        img = img[max(0, y0 - margin):y1 + margin, max(0, x0 - margin):x1 + margin]
        if not ocr:
            raise Quarantine("text-like pixels (OCR disabled)")
        try:
            chars = ocr_chars(img)
        except Exception:  # noqa: BLE001 - OCR unavailable or broken: fail closed
            raise Quarantine("text-like pixels (OCR unavailable)") from None
        worst.ocr_ran = True
        worst.ocr_chars = max(worst.ocr_chars, chars)
        if chars >= OCR_MIN_CHARS:
            raise Quarantine("burned-in text detected by OCR")
    return worst
