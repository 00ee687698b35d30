"""The `frdeid` command.

Exit codes: 0 success; 1 the work failed; 2 bad arguments or unusable paths.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import __version__
from .keys import write_key

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every `frdeid` subcommand."""
    parser = argparse.ArgumentParser(prog="frdeid", description="De-identify French clinical text and DICOM files.")
    parser.add_argument("--version", action="version", version=f"frdeid {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    keygen = sub.add_parser("keygen", help="write a new random secret key (file mode 0600)",
                            description="Write a new random secret key. Every pseudonym and date shift "
                                        "derives from it: keep it inside the hospital. Never overwrites.")
    keygen.add_argument("key", type=Path, help="path of the key file to create")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `frdeid` console script."""
    args = build_parser().parse_args(argv)
    if args.command == "keygen":
        try:
            write_key(args.key)
        except (FileExistsError, OSError) as error:
            print(f"frdeid keygen: {error}", file=sys.stderr)
            return EXIT_USAGE
        print(f"key written to {args.key}")
        return EXIT_OK
    return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
