"""Burned-in text screening on a synthetic export: recall and false-quarantine rate.

Three populations, screened exactly as `frdeid dicom` screens them (header clues, pixel pre-filter,
Tesseract):
- the export's burned-in documents (`truth/burned_in.csv`): must all be quarantined;
- its radiographs: must be written (false-quarantine rate; OCR-trigger rate = pre-filter cost);
- the same radiographs with ONE line of identifying text stamped on them (a name, a date, an ID, at
  1.4-3 % of the image height, somewhere readable): must all be quarantined.

    python benchmarks/burned_in_screening.py [--export DIR] [--patients 100] [--image-size 1024]
"""

from __future__ import annotations

import argparse
import csv
import random
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np
import pydicom
from PIL import Image, ImageDraw, ImageFont

LINES = ["DUPONT Marie 12/03/1950", "VAN DER MEULEN J. 850730", "Pat: Lemaire Jean-Luc",
         "ID 01694390 GROSJEAN", "Née le 05/11/1987", "MARTIN Paul", "Dr Claes - CHU Liège",
         "PEETERS An 85.07.30-033.28"]
FONTS = ["DejaVuSans.ttf", "DejaVuSansMono.ttf", "DejaVuSerif.ttf", "DejaVuSans-Bold.ttf"]


def stamp_line(ds: pydicom.Dataset, rng: random.Random) -> pydicom.Dataset:
    """A copy of an uncompressed-able radiograph with one readable line of text burned into its pixels
    (the brightest or darkest stored value, whichever contrasts with the spot)."""
    from pydicom.uid import ExplicitVRLittleEndian

    pixels = ds.pixel_array.copy()
    rows, cols = pixels.shape
    size = max(10, int(rows * rng.uniform(0.014, 0.03)))
    font = ImageFont.truetype(rng.choice(FONTS), size)
    text = rng.choice(LINES)
    mask = Image.new("L", (cols, rows), 0)
    draw = ImageDraw.Draw(mask)
    x = rng.randint(5, max(6, cols // 3))
    y = rng.choice([5, rows - size - 10, rng.randint(5, max(6, rows - size - 10))])
    draw.text((x, y), text, fill=255, font=font)
    ink = np.asarray(mask) > 127
    lo, hi = np.percentile(pixels, (1, 99))
    spot = pixels[max(0, y - size):y + 2 * size, x:x + size * len(text)]
    high_spot = spot.mean() > (lo + hi) / 2 if spot.size else False
    # Ink at the other end of the stored range contrasts whatever the photometric interpretation.
    pixels[ink] = pixels.min() if high_spot else pixels.max()
    out = ds.copy()
    out.file_meta = ds.file_meta.copy()
    out.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    out.PixelData = pixels.astype(ds.pixel_array.dtype).tobytes()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--export", type=Path, help="an existing synthetic export (else one is generated)")
    parser.add_argument("--patients", type=int, default=100)
    parser.add_argument("--image-size", type=int, default=1024)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    export = args.export
    if export is None:
        from boneds.synth.export import generate_export

        export = Path(tempfile.mkdtemp()) / "export"
        generate_export(export, args.patients, args.seed, args.image_size, workers=None, progress=True)
    from frdeid.dicom.errors import Failure, Quarantine
    from frdeid.dicom.screening import screen_header, screen_pixels

    with open(export / "truth" / "burned_in.csv", encoding="utf-8", newline="") as handle:
        burned = {row["path"] for row in csv.DictReader(handle)}

    def screen(ds) -> tuple[str, bool, float]:
        start = time.perf_counter()
        if screen_header(ds):
            return "quarantined (header)", False, time.perf_counter() - start
        try:
            verdict = screen_pixels(ds)
        except Quarantine as quarantine:
            return f"quarantined ({quarantine})", True, time.perf_counter() - start
        if verdict is not None and verdict.ocr_ran:
            return "written (OCR read too little)", True, time.perf_counter() - start
        return "written", False, time.perf_counter() - start

    rng = random.Random(args.seed)
    results: dict[str, list[tuple[str, bool, float]]] = {"burned-in documents": [], "radiographs": [],
                                                           "radiographs + one stamped line": []}
    for path in sorted(p for p in (export / "dicom").rglob("*") if p.is_file()):
        rel = path.relative_to(export).as_posix()
        try:
            ds = pydicom.dcmread(path)
            ds.pixel_array  # noqa: B018 - broken files of the export are not part of this measure
        except Exception:  # noqa: BLE001
            continue
        if rel in burned:
            results["burned-in documents"].append(screen(ds))
            continue
        try:
            results["radiographs"].append(screen(ds))
            results["radiographs + one stamped line"].append(screen(stamp_line(ds, rng)))
        except Failure:
            continue
    print(f"export: {export}")
    print(f"{'population':<32} {'n':>5} {'quarantined':>12} {'OCR ran':>8} {'ms/file':>8}")  # OCR ran: OCR read it, or a text line quarantined it
    for name, rows in results.items():
        n = len(rows)
        quarantined = sum(not status.startswith("written") for status, _, _ in rows)
        ocr = sum(ran for _, ran, _ in rows)
        ms = 1000 * float(np.mean([t for _, _, t in rows])) if rows else 0.0
        print(f"{name:<32} {n:>5} {quarantined:>5} ({quarantined / max(n, 1):5.1%}) {ocr / max(n, 1):7.1%} {ms:8.1f}")
    n_b = len(results["burned-in documents"])
    recall_b = sum(not s.startswith("written") for s, _, _ in results["burned-in documents"]) / max(n_b, 1)
    stamped = results["radiographs + one stamped line"]
    recall_s = sum(not s.startswith("written") for s, _, _ in stamped) / max(len(stamped), 1)
    false_q = sum(not s.startswith("written") for s, _, _ in results["radiographs"]) / max(len(results["radiographs"]), 1)
    for name, rows in results.items():
        outcomes = Counter(status for status, _, _ in rows)
        print(f"  {name}: " + ", ".join(f"{k} {v}" for k, v in sorted(outcomes.items())))
    print(f"recall burned-in documents {recall_b:.3f}  recall one-line stamps {recall_s:.3f}  "
          f"false-quarantine rate {false_q:.4f}")


if __name__ == "__main__":
    main()
