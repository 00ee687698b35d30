"""DICOM de-identification throughput: frdeid header-only, frdeid with burned-in screening, and the
`deid` default recipe (get_identifiers + replace_identifiers), on the same synthetic 2500 px files in
the same run, one core.

    python benchmarks/dicom_deid.py [--export DIR] [--patients 3] [--repeat 3]
"""

from __future__ import annotations

import argparse
import contextlib
import tempfile
import time
from pathlib import Path

import pydicom


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--export", type=Path, help="an existing synthetic export (else one is generated)")
    parser.add_argument("--patients", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    export = args.export
    if export is None:
        from boneds.synth.export import generate_export

        export = Path(tempfile.mkdtemp()) / "export"
        generate_export(export, args.patients, 5, 2500, workers=1, progress=False)
    from frdeid.dicom import DicomDeidentifier, DicomDeidError

    files, datasets = [], []
    for path in sorted((export / "dicom").rglob("*")):
        try:
            ds = pydicom.dcmread(path)
        except Exception:  # noqa: BLE001 - broken files of the export
            continue
        if ds.file_meta.TransferSyntaxUID.is_encapsulated or "PixelData" not in ds:
            continue  # the throughput target is about uncompressed radiographs
        files.append(path)
        datasets.append(ds)
    print(f"{len(files)} uncompressed files, {datasets[0].Rows}x{datasets[0].Columns} px and similar")
    key = bytes(range(32))
    header = DicomDeidentifier(key, screen_pixels=False)
    screened = DicomDeidentifier(key)
    for ds in datasets:  # warm-up: text model, caches
        with contextlib.suppress(DicomDeidError):
            header.deidentify_dataset(ds)

    def bench(label: str, func) -> None:
        best = float("inf")
        for _ in range(args.repeat):
            start = time.perf_counter()
            for ds in datasets:
                with contextlib.suppress(DicomDeidError):
                    func(ds)
            best = min(best, time.perf_counter() - start)
        per = best / len(datasets)
        print(f"{label:<44} {per * 1000:8.2f} ms/file {1 / per:8.1f} files/s")

    bench("frdeid header-only (in memory)", header.deidentify_dataset)
    bench("frdeid header + pixel screening (in memory)", screened.deidentify_dataset)

    start = time.perf_counter()
    for path in files:
        with contextlib.suppress(DicomDeidError):
            screened.deidentify_dataset(pydicom.dcmread(path))
    per = (time.perf_counter() - start) / len(files)
    print(f"{'frdeid read + header + screening':<44} {per * 1000:8.2f} ms/file {1 / per:8.1f} files/s")

    from deid.dicom import get_identifiers, replace_identifiers

    start = time.perf_counter()
    out = Path(tempfile.mkdtemp())
    for _ in range(1):
        items = get_identifiers([str(p) for p in files])
        replace_identifiers(dicom_files=[str(p) for p in files], ids=items, save=True, output_folder=str(out),
                            overwrite=True)
    per = (time.perf_counter() - start) / len(files)
    print(f"{'deid default recipe (read + write)':<44} {per * 1000:8.2f} ms/file {1 / per:8.1f} files/s")


if __name__ == "__main__":
    main()
