"""`frdeid dicom IN_DIR OUT_DIR --key KEY --report REPORT.csv [--workers N] [--options ...]`.

Exit codes as the other subcommands: 0 every file written; 3 some files quarantined or failed (see
the report); 2 bad arguments; 1 the run itself failed. Only counts are printed.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

from .profile import DEFAULT_OPTIONS, OPTIONS, UNSUPPORTED_OPTIONS, Profile

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_PARTIAL = 0, 1, 2, 3


def add_parser(sub) -> argparse.ArgumentParser:
    parser = sub.add_parser(
        "dicom", help="de-identify a folder of DICOM files (PS3.15 Basic Profile, Table E.1-1)",
        description="De-identify every file under IN_DIR into OUT_DIR/<patient>/<study>/<series>/<instance>.dcm "
                    "(all pseudonyms). Files with suspected burned-in text are quarantined (not written); "
                    "unreadable files fail. REPORT.csv has one row per input file.")
    parser.add_argument("input", type=Path, help="input folder")
    parser.add_argument("output", type=Path, help="output folder (absent or empty)")
    parser.add_argument("--key", type=Path, required=True, help="key file written by `frdeid keygen`")
    parser.add_argument("--report", type=Path, required=True, help="CSV report: source, output, status, reason")
    parser.add_argument("--workers", type=int, default=1)
    supported = [o for o in OPTIONS if o not in UNSUPPORTED_OPTIONS]
    parser.add_argument("--options", nargs="*", default=list(DEFAULT_OPTIONS), metavar="OPTION",
                        help=f"profile options (default: {' '.join(DEFAULT_OPTIONS)}; "
                             f"available: {' '.join(supported)}); give none for the bare Basic Profile")
    parser.add_argument("--no-pixel-screening", action="store_true",
                        help="header clues only (NOT for data leaving the hospital)")
    return parser


def run_cli(args: argparse.Namespace) -> int:
    from ..keys import KeyFileError, read_key

    def fail(message: str, code: int) -> int:
        print(f"frdeid dicom: {message}", file=sys.stderr)
        return code

    if not args.input.is_dir():
        return fail("input folder not found", EXIT_USAGE)
    if args.output.exists() and (not args.output.is_dir() or any(args.output.iterdir())):
        return fail("output folder must be absent or empty", EXIT_USAGE)
    if args.output.resolve().is_relative_to(args.input.resolve()):
        return fail("output folder is inside the input folder", EXIT_USAGE)
    if not args.report.parent.is_dir():
        return fail("report folder not found", EXIT_USAGE)
    if args.report.resolve().is_relative_to(args.output.resolve()):
        return fail("the report must not be written inside the output folder", EXIT_USAGE)
    if args.workers < 1:
        return fail("--workers must be at least 1", EXIT_USAGE)
    try:
        Profile(tuple(args.options))
    except ValueError as error:
        return fail(str(error), EXIT_USAGE)
    try:
        key = read_key(args.key)
    except KeyFileError as error:
        return fail(str(error), EXIT_USAGE)
    from .batch import run

    try:
        rows = run(args.input, args.output, key, args.report, options=args.options, workers=args.workers,
                   screen=not args.no_pixel_screening)
    except Exception as error:  # noqa: BLE001 - the type only
        return fail(f"failed ({type(error).__name__})", EXIT_FAILED)
    counts = Counter(row.status for row in rows)
    print(f"frdeid dicom: {len(rows)} files: {counts['written']} written, {counts['quarantined']} quarantined, "
          f"{counts['failed']} failed", file=sys.stderr)
    return EXIT_OK if counts["written"] == len(rows) else EXIT_PARTIAL
