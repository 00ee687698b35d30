"""The `boneds` command.

Exit codes: 0 success; 1 the work failed (for `audit`: PHI found in OUT); 2 bad arguments or
unusable input/output paths.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
DOWNSTREAM_TASKS = ("fracture", "abnormality", "boneage", "kl")


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be >= 1")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every `boneds` subcommand."""
    parser = argparse.ArgumentParser(prog="boneds", description="Build de-identified WebDataset shards of bone X-rays and French reports from a hospital export; generate synthetic exports.")
    sub = parser.add_subparsers(dest="command", required=True)

    synth = sub.add_parser("synth", help="write a synthetic PACS + EHR export with ground truth",
                           description="Write a deterministic synthetic hospital export (DICOM tree, "
                                       "reports.csv, patients.csv) and its ground truth (truth/).")
    synth.add_argument("out", type=Path, help="output folder (must be absent or empty)")
    synth.add_argument("--patients", type=_positive_int, default=100, help="number of patients (default 100)")
    synth.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    synth.add_argument("--image-size", type=_positive_int, default=1024,
                       help="long side of radiographs in pixels (default 1024; 2500 for full size)")
    synth.add_argument("--workers", type=_positive_int, default=None, help="processes (default: all cores)")
    synth.add_argument("--quiet", action="store_true", help="no progress bar")

    down = sub.add_parser("synth-downstream", help="write a small labelled set in a public dataset's layout",
                          description="Write a labelled downstream set drawn by the synthetic generator, laid "
                                      "out as FracAtlas (fracture), MURA (abnormality), RSNA Bone Age "
                                      "(boneage) or the knee KL folder layout (kl).")
    down.add_argument("out", type=Path, help="output folder (must be absent or empty)")
    down.add_argument("--task", choices=DOWNSTREAM_TASKS, required=True)
    down.add_argument("--seed", type=int, default=0)
    down.add_argument("--size", type=_positive_int, default=None, help="number of images or studies")
    down.add_argument("--image-size", type=_positive_int, default=256, help="long side in pixels (default 256)")

    build = sub.add_parser("build", help="de-identify an export and write paired WebDataset shards",
                           description="Index the export, pair radiology reports with X-ray studies, "
                                       "de-identify both with frdeid under one key, convert images to "
                                       "8-bit JPEG and write deterministic, resumable WebDataset shards. "
                                       "Run it again on the same folders to resume.")
    build.add_argument("export", type=Path, help="the hospital export (docs/export-format.md)")
    build.add_argument("out", type=Path, help="output folder: shards and metadata that may leave the hospital")
    build.add_argument("--key", type=Path, required=True, help="key file (frdeid keygen); the same as for frdeid")
    build.add_argument("--private", type=Path, required=True,
                       help="folder for what links back to patients (index, pseudonyms, build report); not inside OUT")
    build.add_argument("--workers", type=_positive_int, default=1, help="processes (default 1)")
    build.add_argument("--image-size", type=_positive_int, default=512, help="long side of the JPEGs (default 512)")
    build.add_argument("--jpeg-quality", type=int, choices=range(1, 101), metavar="1-100", default=95)
    build.add_argument("--layout", choices=("study", "image"), default="study",
                       help="one sample per study (txt, json, 0.jpg, 1.jpg, ...) or per image (txt, json, jpg)")
    build.add_argument("--samples-per-shard", type=_positive_int, default=1000)
    build.add_argument("--partition", type=_partition, default=None, metavar="I/N",
                       help="build only share I of N (0-based) of the patients; join with `boneds merge`")
    build.add_argument("--no-next-day", action="store_true", help="never pair a report dated the day after a study")
    build.add_argument("--quiet", action="store_true", help="no progress bar")

    merge = sub.add_parser("merge", help="join the outputs of partitioned builds",
                           description="Join sizes, manifests and stats of `--partition` builds written to "
                                       "one OUT folder (and their build reports in PRIVATE).")
    merge.add_argument("out", type=Path)
    merge.add_argument("--private", type=Path, default=None)

    audit = sub.add_parser("audit", help="scan a build's output for PHI of the export",
                           description="An independent leak scan of everything in OUT against the export's "
                                       "PHI (patients, DICOM headers, PHI spans of the reports). Prints where, "
                                       "never what; exits 1 on any finding.")
    audit.add_argument("out", type=Path)
    audit.add_argument("--export", type=Path, required=True)
    audit.add_argument("--private", type=Path, default=None,
                       help="the build's PRIVATE folder: also checks each patient's own name in their samples")
    audit.add_argument("--quiet", action="store_true", help="no progress bar")
    return parser


def _partition(text: str) -> tuple[int, int]:
    try:
        part, count = (int(x) for x in text.split("/"))
    except ValueError:
        raise argparse.ArgumentTypeError("expected I/N, e.g. 0/4") from None
    if count < 1 or not 0 <= part < count:
        raise argparse.ArgumentTypeError("need 0 <= I < N")
    return part, count


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `boneds` console script."""
    args = build_parser().parse_args(argv)
    if args.command == "synth":
        return _synth(args)
    if args.command == "synth-downstream":
        return _synth_downstream(args)
    if args.command == "build":
        return _build(args)
    if args.command == "merge":
        return _merge(args)
    if args.command == "audit":
        return _audit(args)
    return EXIT_USAGE


def _build(args: argparse.Namespace) -> int:
    from frdeid.keys import KeyFileError, read_key

    from .builder.index import TableError
    from .builder.pipeline import BuildDefectError, BuildError, BuildOptions, run_build

    try:
        key = read_key(args.key)
    except (OSError, KeyFileError) as error:
        print(f"boneds build: cannot use the key file ({type(error).__name__})", file=sys.stderr)
        return EXIT_USAGE
    options = BuildOptions(image_size=args.image_size, jpeg_quality=args.jpeg_quality, layout=args.layout,
                           samples_per_shard=args.samples_per_shard, partition=args.partition,
                           allow_next_day=not args.no_next_day, workers=args.workers, progress=not args.quiet)
    try:
        stats = run_build(args.export, args.out, args.private, key, options, key_file=args.key)
    except (BuildError, TableError) as error:
        print(f"boneds build: {error}", file=sys.stderr)
        return EXIT_USAGE
    except BuildDefectError as error:
        print(f"boneds build: {error}", file=sys.stderr)
        return EXIT_FAILED
    inputs = stats["inputs"]
    print(f"{stats['samples']} samples ({stats['images']} images, {stats['patients']} patients) in "
          f"{stats['shards']} shards; DICOM files included {inputs.get('dicom_included', 0)}, excluded "
          f"{inputs.get('dicom_excluded', 0)}; reports included {inputs.get('report_included', 0)}, excluded "
          f"{inputs.get('report_excluded', 0)}; {stats['timings']['total_s']} s")
    return EXIT_OK


def _merge(args: argparse.Namespace) -> int:
    from .builder.pipeline import BuildError, merge_partitions

    try:
        stats = merge_partitions(args.out, args.private)
    except (BuildError, OSError) as error:
        print(f"boneds merge: {error}", file=sys.stderr)
        return EXIT_USAGE
    print(f"{stats['samples']} samples in {stats['shards']} shards from {stats['partitions']} partitions")
    return EXIT_OK


def _audit(args: argparse.Namespace) -> int:
    from .builder.audit import audit, format_findings

    if not args.out.is_dir() or not (args.export / "dicom").is_dir():
        print("boneds audit: OUT must be a folder and EXPORT an export with a dicom/ folder", file=sys.stderr)
        return EXIT_USAGE
    result = audit(args.out, args.export, args.private, progress=not args.quiet)
    print(format_findings(result))
    return EXIT_OK if result.ok else EXIT_FAILED


def _synth(args: argparse.Namespace) -> int:
    from .synth.export import generate_export

    try:
        summary = generate_export(args.out, args.patients, args.seed, args.image_size, args.workers,
                                  progress=not args.quiet)
    except FileExistsError as error:
        print(f"boneds synth: {error}", file=sys.stderr)
        return EXIT_USAGE
    for line in summary.lines():
        print(line)
    return EXIT_OK


def _synth_downstream(args: argparse.Namespace) -> int:
    from .synth.downstream import generate_downstream

    try:
        summary = generate_downstream(args.out, args.task, args.seed, size=args.size, image_size=args.image_size)
    except FileExistsError as error:
        print(f"boneds synth-downstream: {error}", file=sys.stderr)
        return EXIT_USAGE
    print(summary)
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
