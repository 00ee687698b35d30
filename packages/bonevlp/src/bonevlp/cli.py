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
    _add_sap(sub)
    from .eval.cli import add_eval_parser

    add_eval_parser(sub)
    export = sub.add_parser("export", help="write a trained run as an open_clip local-dir model",
                            description="Write RUN's latest checkpoint as an open_clip `local-dir:` model "
                                        "(open_clip_config.json, weights, tokenizer).")
    export.add_argument("run", type=Path)
    export.add_argument("--out", type=Path, required=True)
    report = sub.add_parser("report", help="one self-contained HTML page: training curves, config, evaluations",
                            description="Write RUN's training curves (metrics.jsonl), settings, evaluation tables "
                                        "and analyse figures as one HTML page readable offline (images embedded).")
    report.add_argument("run", type=Path)
    report.add_argument("--out", type=Path, required=True, help="the HTML file to write")
    report.add_argument("--eval", dest="evals", nargs="+", action="extend", type=Path, default=None,
                        metavar="DIR_OR_JSON", help="results of `bonevlp eval ... --out` (files or folders of "
                                                    "them; default RUN/eval/*.json)")
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
                 "epoch_samples", "group_size"):
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
    if args.command == "sap":
        return _sap(args)
    if args.command == "report":
        return _report(args)
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


def _add_sap(sub) -> None:
    from .eval.cli import device_options
    from .sap.train import FROM_SCRATCH_LR, HF_LR, SapConfig

    defaults = SapConfig()
    sap = sub.add_parser("sap", help="SapBERT-style self-alignment of the text tower on a synonym table",
                         description="Train the text tower so that synonyms of a concept embed close together "
                                     "(every synonym pair of a concept, at most 50; in-batch hard-pair mining; "
                                     "multi-similarity loss, alpha 1, beta 60, lambda 0.5; AdamW), score synonym "
                                     "retrieval on concepts held out of training before and after, and write a "
                                     "model that `bonevlp train --pretrained` starts from and `bonevlp eval` reads, "
                                     "with sap.json (settings, held-out concepts, scores).")
    sap.add_argument("--model", required=True, type=Path,
                     help="a run directory, a `bonevlp export` folder, or a Hugging Face encoder directory (local)")
    sap.add_argument("--out", required=True, type=Path, help="output folder (an export-like model folder)")
    table = sap.add_mutually_exclusive_group()
    table.add_argument("--terms", type=Path, default=None,
                       help="concept_id,term CSV (default: the bundled French MSK table)")
    table.add_argument("--umls", type=Path, default=None, metavar="MRCONSO.RRF",
                       help="a UMLS MRCONSO.RRF (licensed: bring your own copy), read as a stream")
    sap.add_argument("--languages", default="FRE,ENG", help="with --umls: LAT values kept (FRE,ENG)")
    sap.add_argument("--sources", default=None, help="with --umls: SAB values kept, comma-separated (default all)")
    sap.add_argument("--lr", type=float, default=None,
                     help=f"learning rate (default {FROM_SCRATCH_LR:g} for a bonevlp text tower, {HF_LR:g} for a "
                          "Hugging Face encoder)")
    helps = {"epochs": "passes over the synonym pairs", "batch_size": "synonym pairs per step (2x terms)",
             "max_pairs_per_concept": "synonym pairs of one concept at most (SapBERT: 50)",
             "seed": "seeds the held-out split, the pair sample and the batch order",
             "max_length": "tokens per term for a Hugging Face encoder",
             "max_eval_concepts": "concepts scored before/after at most, per side",
             "held_out_fraction": "share of the concepts kept out of training and scored",
             "weight_decay": "AdamW weight decay"}
    for name, help_text in helps.items():
        kind = float if name in ("held_out_fraction", "weight_decay") else int
        sap.add_argument(f"--{name.replace('_', '-')}", type=kind, default=getattr(defaults, name),
                         help=f"{help_text} ({getattr(defaults, name)})")
    device_options(sap)
    sap.add_argument("--quiet", action="store_true", help="no progress bar")


def _sap(args: argparse.Namespace) -> int:
    from .eval.cli import comma_list
    from .sap.terms import default_terms_path, read_mrconso, read_terms_csv
    from .sap.train import SapConfig, align

    names = set(SapConfig.__dataclass_fields__)
    config = SapConfig(**{k: v for k, v in vars(args).items() if k in names}, progress=not args.quiet)
    try:
        if args.umls is None and args.sources:
            raise ValueError("--sources filters a UMLS file: give --umls MRCONSO.RRF")
        if args.umls is not None:
            table = read_mrconso(args.umls, comma_list(args.languages), comma_list(args.sources) or None)
        else:
            table = read_terms_csv(args.terms or default_terms_path())
        summary = align(args.model, args.out, table, config)
    except (ValueError, FileNotFoundError) as error:
        print(f"bonevlp sap: {error}", file=sys.stderr)
        return EXIT_USAGE
    except RuntimeError as error:
        print(f"bonevlp sap: {error}", file=sys.stderr)
        return EXIT_FAILED
    scores = {when: (summary[when]["held_out"] or {}) for when in ("before", "after")}
    print(json.dumps({"out": str(args.out), "held_out_concepts": len(summary["held_out"]),
                      "steps": summary["training"]["steps"],
                      **{f"held_out_{k}_{when}": scores[when].get(k) for when in ("before", "after")
                         for k in ("acc@1", "acc@5")}, "train_with": summary["train_with"]}))
    return EXIT_OK


def _report(args: argparse.Namespace) -> int:
    from .report import write_report

    try:
        path = write_report(args.run, args.out, args.evals)
    except (ValueError, FileNotFoundError) as error:
        print(f"bonevlp report: {error}", file=sys.stderr)
        return EXIT_USAGE
    print(f"report written: {path}")
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
