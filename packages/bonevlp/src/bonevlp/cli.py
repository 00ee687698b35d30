"""The `bonevlp` command.

Exit codes: 0 success; 1 the work failed; 2 bad arguments.
"""

from __future__ import annotations

import argparse
import json
import sys

from . import __version__

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every `bonevlp` subcommand."""
    parser = argparse.ArgumentParser(prog="bonevlp", description="Pretrain and evaluate vision-language models "
                                                                 "on bone X-ray shards.")
    parser.add_argument("--version", action="version", version=f"bonevlp {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("env", help="print the versions of torch, torchvision and open_clip, and the devices seen (JSON)")
    return parser


def environment() -> dict:
    """Versions of the libraries bonevlp runs on and the accelerators torch sees."""
    import open_clip
    import torch
    import torchvision

    return {
        "bonevlp": __version__,
        "torch": torch.__version__,
        "torchvision": torchvision.__version__,
        "open_clip": open_clip.__version__,
        "cuda_available": torch.cuda.is_available(),
        "cuda_devices": [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())],
    }


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `bonevlp` console script."""
    args = build_parser().parse_args(argv)
    if args.command == "env":
        print(json.dumps(environment(), indent=2))
        return EXIT_OK
    return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
