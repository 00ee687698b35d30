"""Speed of the synthetic export generator.

Prints: seconds for the demo export (100 patients at 1024 px, both cores), files/s, and the time of
each stage for one radiograph at 1024 and 2500 px (render, encode per transfer syntax).

    .venv/bin/python benchmarks/synth_export.py [--patients 100] [--image-size 1024] [--workers 2]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
from pydicom.dataset import Dataset

from boneds.synth.dicom_file import attach_pixels
from boneds.synth.export import generate_export
from boneds.synth.model import Findings, Fracture, PixelEncoding
from boneds.synth.pixel_encoding import encode_pixels
from boneds.synth.planner import TRANSFER_SYNTAXES
from boneds.synth.radiograph import render_radiograph


def _best_of(fn, repeats: int = 3) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def stage_timings(size: int) -> None:
    """Render and encode one wrist radiograph with a fracture at `size` px, per stage."""
    findings = Findings(fracture=Fracture("radius_distal", True))
    rendered = render_radiograph("wrist", "frontal", "L", findings, 45.0, "F", size, "G", np.random.default_rng(0))
    render_s = _best_of(lambda: render_radiograph("wrist", "frontal", "L", findings, 45.0, "F", size, "G",
                                                  np.random.default_rng(0)))
    print(f"  {size} px ({rendered.density.shape[1]}x{rendered.density.shape[0]}): render {render_s * 1000:.0f} ms")
    for syntax, _ in TRANSFER_SYNTAXES:
        encoding = PixelEncoding(syntax, "MONOCHROME1", 12)

        def encode(encoding: PixelEncoding = encoding, syntax: str = syntax) -> None:
            ds = Dataset()
            ds.SOPClassUID, ds.SOPInstanceUID = "1.2.840.10008.5.1.4.1.1.1", "2.25.1"
            pixels = encode_pixels(rendered.density, rendered.masks["field"], encoding, "CR")
            ds.update(pixels.attributes)
            attach_pixels(ds, pixels.array, syntax)

        print(f"    encode {syntax.name}: {_best_of(encode) * 1000:.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=100)
    parser.add_argument("--image-size", type=int, default=1024)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--skip-export", action="store_true", help="only time the stages")
    args = parser.parse_args()
    print("per-radiograph stages (one core):")
    for size in (1024, 2500):
        stage_timings(size)
    if args.skip_export:
        return
    with tempfile.TemporaryDirectory() as tmp:
        summary = generate_export(Path(tmp) / "export", args.patients, 0, args.image_size, args.workers,
                                  progress=False)
        files = summary.images + summary.burned_in
        print(f"export: {args.patients} patients at {args.image_size} px with {args.workers} workers: "
              f"{summary.seconds:.1f} s, {summary.studies} studies, {files} DICOM files "
              f"({files / summary.seconds:.1f} files/s), {summary.documents} documents")


if __name__ == "__main__":
    main()
