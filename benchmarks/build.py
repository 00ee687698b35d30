"""Speed of `boneds build`: the image conversion step (DICOM radiograph -> 512 px JPEG, one core) and,
with --end-to-end, a whole build (index, pairing, text and DICOM de-identification with burned-in
screening, conversion, shards) of a synthetic export: studies/s and images/s.

Prints images/s for: decode only (read + pixel_array) and conversion total (read, decode, display
table, resize, JPEG) of an uncompressed Explicit VR Little Endian file and of a JPEG 2000 lossless one.
Files are read from memory, so disk speed does not count; times are CPU times of this process. With --export, the uncompressed and
JPEG 2000 figures are replaced by one figure over every DICOM file of that export.

    .venv/bin/python benchmarks/build.py [--rows 2500] [--columns 2000] [--repeats 20]
    .venv/bin/python benchmarks/build.py --export EXPORT
    .venv/bin/python benchmarks/build.py --end-to-end [--patients 20] [--export-size 1024] [--workers 1 2]
"""

from __future__ import annotations

import argparse
import io
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, JPEG2000Lossless, generate_uid

from boneds.builder.convert import ConversionError, convert_image


def radiograph(rows: int, columns: int, seed: int = 0) -> np.ndarray:
    """A 12-bit MONOCHROME1-like image: smooth anatomy-sized structures, noise, a collimated border."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:rows, 0:columns].astype(np.float32)
    body = np.exp(-(((x - columns / 2) / (columns / 3)) ** 2))
    bone = np.exp(-(((x - columns / 2) / (columns / 12)) ** 2)) * (0.6 + 0.4 * np.sin(y / (rows / 9)))
    density = 0.05 + 0.3 * body + 0.45 * bone + rng.normal(0.0, 0.01, (rows, columns)).astype(np.float32)
    border = rows // 25
    density[:border], density[-border:] = 1.0, 1.0
    stored = 4095 * (1.0 - np.clip(density, 0.0, 1.0))
    return np.rint(stored).astype(np.uint16)


def dicom_bytes(stored: np.ndarray, transfer_syntax: str) -> bytes:
    """A CR file, MONOCHROME1, 12 bits stored, rescale and window, in the given transfer syntax."""
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.1"  # CR Image Storage
    ds.SOPInstanceUID = generate_uid(entropy_srcs=["build_convert benchmark"])
    ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    ds.Modality = "CR"
    ds.Rows, ds.Columns = stored.shape
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME1"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
    ds.RescaleSlope, ds.RescaleIntercept, ds.RescaleType = "1", "0", "US"
    ds.WindowCenter, ds.WindowWidth = "2048", "3600"
    if transfer_syntax == ExplicitVRLittleEndian:
        ds.PixelData = stored.tobytes()
        ds["PixelData"].VR = "OW"
    else:
        ds.compress(transfer_syntax, stored, generate_instance_uid=False)
    buffer = io.BytesIO()
    ds.save_as(buffer, enforce_file_format=True)
    return buffer.getvalue()


def per_second(fn: Callable[[], object], repeats: int) -> float:
    """Calls per CPU second of this process, from the median of `repeats` calls after one warm-up.

    CPU time rather than wall time: the figure is per core, and stays meaningful on a busy machine
    (every step is single-threaded)."""
    fn()
    times = []
    for _ in range(repeats):
        start = time.process_time()
        fn()
        times.append(time.process_time() - start)
    return 1.0 / max(statistics.median(times), 1e-9)


def read(data: bytes) -> Dataset:
    """Parse a DICOM file held in memory."""
    return pydicom.dcmread(io.BytesIO(data))


def export_files(export: Path) -> list[bytes]:
    """Every DICOM file under EXPORT/dicom that converts."""
    files = []
    for path in sorted(p for p in (export / "dicom").rglob("*") if p.is_file()):
        data = path.read_bytes()
        try:
            convert_image(read(data))
        except (ConversionError, pydicom.errors.InvalidDicomError):
            continue
        files.append(data)
    return files


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2500)
    parser.add_argument("--columns", type=int, default=2000)
    parser.add_argument("--image-size", type=int, default=512)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--export", type=Path, help="benchmark the files of this export instead")
    parser.add_argument("--end-to-end", action="store_true", help="also time whole builds")
    parser.add_argument("--patients", type=int, default=20, help="synthetic export size for --end-to-end")
    parser.add_argument("--export-size", type=int, default=1024, help="radiograph size for --end-to-end")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="worker counts for --end-to-end")
    args = parser.parse_args()
    if args.end_to_end:
        end_to_end(args)

    stored = radiograph(args.rows, args.columns)
    uncompressed = dicom_bytes(stored, ExplicitVRLittleEndian)
    print(f"{args.columns} x {args.rows}, 12 bits, output {args.image_size} px, one process, "
          f"median of {args.repeats} runs ({max(3, args.repeats // 4)} for JPEG 2000)")
    rate = per_second(lambda: read(uncompressed).pixel_array, args.repeats)
    print(f"decode only (uncompressed): {rate:.1f} images/s")
    if args.export is not None:
        files = export_files(args.export)

        def convert_all() -> None:
            for data in files:
                convert_image(read(data), args.image_size)

        rate = per_second(convert_all, max(1, args.repeats // 10)) * len(files)
        print(f"conversion total ({len(files)} files of {args.export}): {rate:.1f} images/s")
        return
    rate = per_second(lambda: convert_image(read(uncompressed), args.image_size), args.repeats)
    print(f"conversion total (uncompressed): {rate:.1f} images/s")
    j2k = dicom_bytes(stored, JPEG2000Lossless)
    rate = per_second(lambda: read(j2k).pixel_array, max(3, args.repeats // 4))
    print(f"decode only (JPEG 2000 lossless): {rate:.2f} images/s")
    rate = per_second(lambda: convert_image(read(j2k), args.image_size), max(3, args.repeats // 4))
    print(f"conversion total (JPEG 2000 lossless): {rate:.2f} images/s")


def end_to_end(args: argparse.Namespace) -> None:
    """Whole builds of one synthetic export (generated unless --export), once per worker count."""
    import json
    import tempfile

    from boneds.builder.pipeline import BuildOptions, run_build
    from frdeid.keys import generate_key

    work = Path(tempfile.mkdtemp(prefix="boneds-bench-"))
    export = args.export
    if export is None:
        from boneds.synth.export import generate_export

        export = work / "export"
        generate_export(export, args.patients, 11, args.export_size, workers=None, progress=False)
    key = generate_key()
    for workers in args.workers:
        out, private = work / f"out-{workers}", work / f"private-{workers}"
        stats = run_build(export, out, private, key, BuildOptions(image_size=args.image_size, workers=workers,
                                                                   progress=False))
        seconds = stats["timings"]["total_s"]
        print(f"end to end, {workers} worker(s): {stats['samples']} studies, {stats['images']} images in "
              f"{seconds:.1f} s = {stats['samples'] / seconds:.2f} studies/s, {stats['images'] / seconds:.2f} "
              f"images/s (shard stage alone {stats['timings']['studies_per_s']} studies/s)")
    print(json.dumps(stats["exclusions"], indent=1))


if __name__ == "__main__":
    main()
