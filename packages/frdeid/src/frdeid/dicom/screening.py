"""Burned-in text screening: header clues first, then a cheap pixel pre-filter, then OCR.

    reason = screen_header(ds)            # None, or a fixed phrase -> quarantine
    screen_pixels(ds)                     # raises Quarantine / Failure; returns a PixelVerdict

Header rules (fail closed): Burned In Annotation YES -> quarantine; any value other than YES/NO
(blank included) -> quarantine ("other value"); NO or absent -> the pixels decide. Secondary Capture,
encapsulated document, structured report (dose reports included) SOP classes, Conversion Type
present, Image Type with a document/dose/screen-save term (SECONDARY alone is not
enough: MR/CT post-processing is DERIVED\\SECONDARY; the pixels decide), and Modality SR/DOC/OT -> quarantine.

Pixel rule: each frame is reduced to an 8-bit display image (block mean to at most `WORK_SIDE` px,
percentile stretch, MONOCHROME1 inverted). The pre-filter keeps strokes thinner than `STROKE_SE`
pixels that stand out from their surroundings (white top-hat and black-hat: a step edge such as a
cortex border gives no response, a letter does), labels them, keeps letter-sized components and
chains neighbours of similar height on one baseline into text lines. A line of at least
`TEXT_LINE_COMPONENTS` components is text: the frame is quarantined. Otherwise the frame goes to
Tesseract (fra+eng) when one line holds at least `LINE_MIN_COMPONENTS` components or all lines
together at least `PREFILTER_MIN_COMPONENTS`; a lone lead laterality marker (G/D, L/R) or a short
marker word does not. Tesseract reads the candidate lines cropped, enlarged and stacked in one
image (one call per frame), and the frame is quarantined when it reads at least `OCR_MIN_CHARS`
letters/digits in words of 3+ characters with confidence >= 50. If Tesseract is not available, a frame that passes the
pre-filter is quarantined (fail closed). Pixel data that cannot be decoded -> failure (a file that
cannot be screened is never written). Calibration: `benchmarks/burned_in_screening.py`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from .errors import Failure, Quarantine

WORK_SIDE = 1024
LOCAL_CONTRAST = 45          # grey levels (0..255) a stroke stands out from its surroundings
STROKE_SE = 9                # square structuring element (work px): thinner strokes are kept
MIN_H, MAX_H = 6, 48         # letter height in work pixels
LINE_MIN_COMPONENTS = 6      # components in one text line that send a frame to OCR
PREFILTER_MIN_COMPONENTS = 20  # ... or components in all text lines together
TEXT_LINE_COMPONENTS = 12    # one line this long is text: quarantined without asking OCR
OCR_MIN_CHARS = 6
LINE_MAX_HEIGHT = 2.5         # a text line's box, in median letter heights
OCR_LINE_HEIGHT = 40         # px: line crops are enlarged to this height for Tesseract
OCR_MAX_LINES = 8
MAX_COMPONENTS = 50_000      # more than this: pure texture, cannot be screened -> quarantine

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
    candidates: int          # components in text lines, worst frame
    longest_line: int        # components in the longest text line, worst frame
    ocr_chars: int           # OCR letters, worst frame (0 when OCR did not run)
    ocr_ran: bool


@dataclass(frozen=True)
class TextLine:
    """Letter-like components chained on one line, and their bounding box in work pixels."""

    components: int
    y0: int
    y1: int
    x0: int
    x1: int


def display_image(frame: np.ndarray, monochrome1: bool = False) -> np.ndarray:
    """An 8-bit image, at most WORK_SIDE px on its longest side (block mean)."""
    a = np.asarray(frame)
    if a.ndim == 3:  # colour: luminance
        a = a[..., :3].astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)
    factor = max(1, -(-max(a.shape) // WORK_SIDE))
    if factor > 1:
        h, w = (a.shape[0] // factor) * factor, (a.shape[1] // factor) * factor
        # Block sum over row strides, then column strides: only the first stride is copied and
        # widened, so a 2500 x 2000 frame costs a few ms.
        wide = np.float32 if a.dtype.kind == "f" else (np.int64 if a.dtype.kind == "i" else np.uint32)
        rows = a[0:h:factor, :w].astype(wide)
        for k in range(1, factor):
            rows += a[k:h:factor, :w]
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


def _window(a: np.ndarray, size: int, axis: int, op) -> np.ndarray:
    """`op` (np.minimum / np.maximum) over centred windows of `size` along `axis`, edges repeated.
    Doubling spans: log2(size) + 1 array operations instead of `size`."""
    pad = [(0, 0)] * a.ndim
    pad[axis] = (size // 2, size - 1 - size // 2)
    a = np.pad(a, pad, mode="edge")
    n = a.shape[axis] - size + 1

    def part(x: np.ndarray, start: int, stop: int) -> np.ndarray:
        return x[start:stop] if axis == 0 else x[:, start:stop]

    span = 1
    while span * 2 <= size:
        length = a.shape[axis]
        a = op(part(a, 0, length - span), part(a, span, length))
        span *= 2
    return op(part(a, 0, n), part(a, size - span, size - span + n))


def _erode(a: np.ndarray, size: int) -> np.ndarray:
    return _window(_window(a, size, 0, np.minimum), size, 1, np.minimum)


def _dilate(a: np.ndarray, size: int) -> np.ndarray:
    return _window(_window(a, size, 0, np.maximum), size, 1, np.maximum)


def letter_boxes(img: np.ndarray) -> np.ndarray | None:
    """Boxes (y0, y1, x0, x1) of letter-sized thin-stroke components, bright and dark; None when
    the image is so textured that components cannot be told apart."""
    img = np.asarray(img, dtype=np.uint8)
    tophat = img - _dilate(_erode(img, STROKE_SE), STROKE_SE)      # opening <= img: no wrap-around
    blackhat = _erode(_dilate(img, STROKE_SE), STROKE_SE) - img    # closing >= img
    found = []
    for response in (tophat, blackhat):
        labels, n = ndimage.label(response > LOCAL_CONTRAST)
        if n > MAX_COMPONENTS:
            return None
        if n == 0:
            continue
        boxes = np.array([(s[0].start, s[0].stop, s[1].start, s[1].stop)
                          for s in ndimage.find_objects(labels)], dtype=np.int32)
        h, w = boxes[:, 1] - boxes[:, 0], boxes[:, 3] - boxes[:, 2]
        found.append(boxes[(h >= MIN_H) & (h <= MAX_H) & (w <= 3 * h)])
    return np.concatenate(found) if found else np.zeros((0, 4), dtype=np.int32)


def text_lines(boxes: np.ndarray, min_components: int = 3) -> list[TextLine]:
    """Chains of boxes in which each has a neighbour on the same line (vertical centres within
    half a height, heights within 0.6-1.6x, horizontal gap under 1.5 heights); chains of at least
    `min_components` and at most LINE_MAX_HEIGHT letters high, longest first."""
    n = len(boxes)
    if n < 2:
        return []
    b = boxes.astype(np.float32)
    cy, hh, x0, x1 = (b[:, 0] + b[:, 1]) / 2, b[:, 1] - b[:, 0], b[:, 2], b[:, 3]
    order = np.argsort(x0, kind="stable")
    sorted_x0 = x0[order]
    parent = np.arange(n)

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i in range(n):
        lo = np.searchsorted(sorted_x0, x0[i] - 2 * MAX_H)
        hi = np.searchsorted(sorted_x0, x1[i] + 1.5 * hh[i], side="right")
        js = order[lo:hi]
        js = js[js != i]
        gap = np.maximum(x0[js] - x1[i], x0[i] - x1[js])
        near = ((np.abs(cy[js] - cy[i]) < 0.5 * hh[i]) & (hh[js] > 0.6 * hh[i]) & (hh[js] < 1.6 * hh[i])
                & (gap < 1.5 * hh[i]) & (gap > -0.5 * hh[i]))
        for j in js[near]:
            ri, rj = root(i), root(int(j))
            if ri != rj:
                parent[ri] = rj
    roots = np.array([root(i) for i in range(n)])
    lines = []
    for r in np.unique(roots):
        members = boxes[roots == r]
        height = float(np.median(members[:, 1] - members[:, 0]))
        # A line of text is about one letter high; a chain climbing across the image (ribs,
        # trabeculae) is not.
        if len(members) >= min_components and members[:, 1].max() - members[:, 0].min() <= LINE_MAX_HEIGHT * height:
            lines.append(TextLine(len(members), int(members[:, 0].min()), int(members[:, 1].max()),
                                  int(members[:, 2].min()), int(members[:, 3].max())))
    return sorted(lines, key=lambda line: -line.components)


def needs_ocr(lines: list[TextLine]) -> bool:
    """The pre-filter's decision: one long enough text line, or enough text lines together."""
    return bool(lines) and (lines[0].components >= LINE_MIN_COMPONENTS
                            or sum(line.components for line in lines) >= PREFILTER_MIN_COMPONENTS)


def line_sheet(img: np.ndarray, lines: list[TextLine]) -> np.ndarray:
    """The candidate lines cropped from `img`, enlarged to about OCR_LINE_HEIGHT px and stacked on a
    plain background: one Tesseract call reads them all, at a size it reads well."""
    from PIL import Image

    crops = []
    for line in lines[:OCR_MAX_LINES]:
        height = line.y1 - line.y0
        margin = max(4, height // 2)
        crop = Image.fromarray(img[max(0, line.y0 - margin):line.y1 + margin,
                                   max(0, line.x0 - margin):line.x1 + margin])
        scale = max(1.0, OCR_LINE_HEIGHT / max(height, 1))
        if scale > 1:
            crop = crop.resize((round(crop.width * scale), round(crop.height * scale)), Image.LANCZOS)
        crops.append(crop)
    gap = 20
    sheet = Image.new("L", (max(c.width for c in crops) + 2 * gap, sum(c.height + gap for c in crops) + gap),
                      int(np.median(img)))
    y = gap
    for crop in crops:
        sheet.paste(crop, (gap, y))
        y += crop.height + gap
    return np.asarray(sheet)


def ocr_chars(img: np.ndarray) -> int:
    """Letters and digits that Tesseract (fra+eng) reads in words of 3+ characters."""
    import pytesseract

    data = pytesseract.image_to_data(img, lang="fra+eng", config="--psm 6",
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
    worst = PixelVerdict(0, 0, 0, 0, False)
    for frame in _frames(ds):
        worst.frames += 1
        img = display_image(frame, mono1)
        boxes = letter_boxes(img)
        if boxes is None:
            raise Quarantine("pixels too textured to screen for text")
        lines = text_lines(boxes)
        worst.candidates = max(worst.candidates, sum(line.components for line in lines))
        worst.longest_line = max(worst.longest_line, lines[0].components if lines else 0)
        if not needs_ocr(lines):
            continue
        if lines[0].components >= TEXT_LINE_COMPONENTS:
            raise Quarantine("line of text in pixels")
        if not ocr:
            raise Quarantine("text-like pixels (OCR disabled)")
        try:
            chars = ocr_chars(line_sheet(img, lines))
        except Exception:  # noqa: BLE001 - OCR unavailable or broken: fail closed
            raise Quarantine("text-like pixels (OCR unavailable)") from None
        worst.ocr_ran = True
        worst.ocr_chars = max(worst.ocr_chars, chars)
        if chars >= OCR_MIN_CHARS:
            raise Quarantine("burned-in text detected by OCR")
    return worst
