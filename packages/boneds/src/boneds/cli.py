"""The `boneds` command.

Exit codes: 0 success; 1 the work failed; 2 bad arguments or unusable input/output paths.
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
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `boneds` console script."""
    args = build_parser().parse_args(argv)
    if args.command == "synth":
        return _synth(args)
    if args.command == "synth-downstream":
        return _synth_downstream(args)
    return EXIT_USAGE


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
