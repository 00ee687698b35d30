"""The `bonevlp` command.

Exit codes: 0 success; 1 the work failed; 2 bad arguments.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from . import __version__

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every `bonevlp` subcommand."""
    parser = argparse.ArgumentParser(prog="bonevlp", description="Pretrain and evaluate vision-language models "
                                                                 "on bone X-ray shards.")
    parser.add_argument("--version", action="version", version=f"bonevlp {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("env", help="print the versions of torch, torchvision and open_clip, and the devices seen (JSON)")
    _add_train(sub)
    from .eval.cli import add_eval_parser

    add_eval_parser(sub)
    export = sub.add_parser("export", help="write a trained run as an open_clip local-dir model",
                            description="Write RUN's latest checkpoint as an open_clip `local-dir:` model "
                                        "(open_clip_config.json, weights, tokenizer).")
    export.add_argument("run", type=Path)
    export.add_argument("--out", type=Path, required=True)
    return parser


def _add_train(sub) -> None:
    from .train.config import TrainConfig

    defaults = TrainConfig(data="", out="")
    train = sub.add_parser("train", help="CLIP-style pretraining on study shards (open_clip models)",
                           description="Pretrain an image encoder aligned with French reports on shards written "
                                       "by `boneds build`. Launch with torchrun for several GPUs or nodes.")
    train.add_argument("--data", required=True, help="shard directory (OUT of boneds build), glob or brace pattern")
    train.add_argument("--out", required=True, help="run directory (checkpoints, metrics.jsonl, config.json)")
    train.add_argument("--model", default=defaults.model, help="open_clip model name or a project config "
                                                               "(tiny, vit-b-16-fr)")
    train.add_argument("--resume", action="store_true", help="continue from RUN/checkpoints/latest.pt")
    choices = {"pooling": ("mean", "gated", "none"), "loss": ("clip", "siglip"), "optimizer": ("adamw", "lion"),
               "precision": ("auto", "fp32", "bf16", "fp16")}
    for name, values in choices.items():
        train.add_argument(f"--{name}", choices=values, default=getattr(defaults, name))
    for name in ("images_per_study", "max_image_index", "image_size", "batch_size", "accum_steps", "epochs",
                 "max_steps", "warmup_steps", "workers", "seed", "vocab_size", "log_every", "save_every",
                 "epoch_samples"):
        train.add_argument(f"--{name.replace('_', '-')}", type=int, default=getattr(defaults, name))
    for name in ("time_budget", "lr", "weight_decay", "val_fraction", "init_temperature"):
        train.add_argument(f"--{name.replace('_', '-')}", type=float, default=getattr(defaults, name))
    train.add_argument("--tokenizer", default=defaults.tokenizer,
                       help="train (a BPE trained on the shard texts, saved in RUN/tokenizer), openclip, or a directory")
    for name in ("hf_text", "pretrained_image", "pretrained"):
        train.add_argument(f"--{name.replace('_', '-')}", default=None, help="local path (never downloaded)")
    train.add_argument("--fixed-temperature", action="store_true", help="do not learn the temperature")
    train.add_argument("--no-sentence-shuffle", action="store_true")
    train.add_argument("--grad-checkpointing", action="store_true")
    train.add_argument("--resampled", action="store_true", help="draw shards with replacement (many workers)")
    train.add_argument("--device", default="auto", help="auto, cpu or cuda")
    train.add_argument("--quiet", action="store_true", help="no progress bar")


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
    if args.command == "train":
        return _train(args)
    if args.command == "export":
        return _export(args)
    if args.command == "eval":
        from .eval.cli import run_eval

        return run_eval(args)
    return EXIT_USAGE


def _train(args: argparse.Namespace) -> int:
    from .train.config import TrainConfig
    from .train.loop import NonFiniteLossError, train

    names = set(TrainConfig.__dataclass_fields__)
    values = {k: v for k, v in vars(args).items() if k in names}
    values.update(learn_temperature=not args.fixed_temperature, shuffle_sentences=not args.no_sentence_shuffle,
                  progress=not args.quiet)
    config = TrainConfig(**values)
    try:
        summary = train(config, resume=args.resume)
    except NonFiniteLossError as error:
        print(f"bonevlp train: {error}", file=sys.stderr)
        return EXIT_FAILED
    except (ValueError, FileNotFoundError) as error:
        print(f"bonevlp train: {error}", file=sys.stderr)
        return EXIT_USAGE
    print(json.dumps(summary))
    return EXIT_OK


def _export(args: argparse.Namespace) -> int:
    from .train.export import export_run

    try:
        path = export_run(args.run, args.out)
    except (ValueError, FileNotFoundError) as error:
        print(f"bonevlp export: {error}", file=sys.stderr)
        return EXIT_USAGE
    print(f"open_clip model written: local-dir:{path}")
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
