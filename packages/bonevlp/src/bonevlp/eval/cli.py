"""`bonevlp eval <task>`: the evaluation subcommands (results as JSON with `--out`, a table on stdout).

    bonevlp eval zeroshot  --model RUN_OR_EXPORT --dataset fracatlas:/data/FracAtlas --out zs.json
    bonevlp eval retrieval --model RUN_OR_EXPORT --data SHARDS --split val --out retrieval.json
    bonevlp eval probe     --model RUN_OR_EXPORT --dataset mura:/data/MURA-v1.1 --mode linear --out probe.json
    bonevlp eval analyse   --model RUN_OR_EXPORT --data SHARDS --out analyse.json
    bonevlp eval synonyms  --model RUN_OR_EXPORT --terms TERMS.csv --out synonyms.json

Wire it into the main parser with `add_eval_parser(subparsers)` and dispatch `args.command == "eval"`
to `run_eval(args)`. Exit codes: 0 done; 1 the evaluation failed; 2 bad arguments or inputs (a path
without the expected layout, zero-shot asked for a regression label, ...).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
TASKS = ("zeroshot", "retrieval", "probe", "analyse", "synonyms")


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", required=True, type=Path,
                        help="a run directory (checkpoints/latest.pt) or a `bonevlp export` folder")
    parser.add_argument("--out", type=Path, default=None, help="write the results here (JSON)")
    parser.add_argument("--batch-size", type=int, default=64, help="studies (or images) per batch")
    parser.add_argument("--workers", type=int, default=2, help="image decoding processes")
    parser.add_argument("--max-images", type=int, default=None,
                        help="images pooled per study at most (default: the run's max_image_index, else 12)")
    device_options(parser)
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def device_options(parser: argparse.ArgumentParser) -> None:
    """`--device` and `--precision`, as every command that runs a model takes them."""
    parser.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:N")
    parser.add_argument("--precision", default="auto", choices=("auto", "fp32", "bf16", "fp16"),
                        help="auto: bf16 on a GPU, fp32 on the CPU")


def comma_list(text: str | None) -> list[str]:
    """The non-empty, stripped items of a comma-separated option value ([] for None or "")."""
    return [item.strip() for item in (text or "").split(",") if item.strip()]


def _shard_split(parser: argparse.ArgumentParser) -> None:
    """The shards and their validation split (`--data`, `--split`, `--val-fraction`)."""
    parser.add_argument("--data", required=True, help="shards: a boneds build folder, glob or brace pattern")
    parser.add_argument("--split", default="val", choices=("val",))
    parser.add_argument("--val-fraction", type=float, default=None,
                        help="validation share of the split buckets (default: the run's, else 0.1)")


def _val_fraction(args: argparse.Namespace, loaded) -> float:
    """`--val-fraction`, else the one the run trained with, else 0.1."""
    if args.val_fraction is not None:
        return args.val_fraction
    saved = (loaded.run_config or {}).get("val_fraction")
    return 0.1 if saved is None else float(saved)


def add_eval_parser(subparsers) -> argparse.ArgumentParser:
    """Add `eval` (with `zeroshot` and `retrieval`) to the main parser's subparsers; returns its parser."""
    from .datasets import KINDS

    parser = subparsers.add_parser("eval", help="evaluate a trained model (zero-shot, retrieval)",
                                   description="Evaluate a run or an exported model: JSON results (--out) and a "
                                               "table on stdout.")
    tasks = parser.add_subparsers(dest="eval_task", required=True)
    zeroshot = tasks.add_parser(
        "zeroshot", help="zero-shot classification with French prompt ensembles (AUROC, accuracy)",
        description="CheXzero-style zero-shot classification: per label, positive against negative prompts "
                    "(or one prompt set per class), softmax of the scaled similarities. Datasets are read in "
                    "their own layout from a local path.")
    _common(zeroshot)
    zeroshot.add_argument("--dataset", required=True, metavar="KIND:PATH",
                          help=f"KIND one of {', '.join(KINDS)}; PATH the dataset's local copy")
    zeroshot.add_argument("--split", default=None,
                          help="the dataset's own split (MURA: train/valid; knee KL: train/val/test); default all")
    zeroshot.add_argument("--labels", default=None,
                          help="comma-separated labels to evaluate (default: the dataset's main one, e.g. "
                               "fracture; FracAtlas also has hardware, GRAZPEDWRI-DX metal, cast, osteopenia)")
    zeroshot.add_argument("--prompts", type=Path, default=None,
                          help="prompts file (JSON, see bonevlp/data/prompts/prompts_fr.json); default the "
                               "packaged French prompts")
    zeroshot.add_argument("--scores", type=Path, default=None, help="also write each unit's probabilities (CSV)")

    retrieval = tasks.add_parser(
        "retrieval", help="report-to-study and study-to-report retrieval (R@1/5/10, median rank)",
        description="Embed every validation study of the shards (its images pooled) and its report caption, "
                    "then rank: R@K both ways, median rank, pool size n.")
    _common(retrieval)
    _shard_split(retrieval)
    probe = tasks.add_parser(
        "probe", help="linear probes or fine-tuning of the image encoder with 1/10/100 %% of the labels",
        description="--mode linear: fit a linear head (logistic or ridge regression) on the frozen study "
                    "embeddings of the dataset's training part. --mode finetune: train a head on the study "
                    "embedding with the encoder frozen (--epochs-frozen), then everything at a low learning "
                    "rate (--epochs, --lr, --head-lr; AdamW, cosine, training augmentation). Label fractions "
                    "are drawn by patient, several seeds; the mean and a 95 % bootstrap interval on the "
                    "test part are reported. A fair comparison runs the same command three times: as is "
                    "(the pretrained model), with --baseline random (the same architecture, randomly "
                    "initialised) and with --init-image PATH (e.g. ImageNet weights of the image tower); the "
                    "JSON's \"init\" says which.")
    _common(probe)
    probe.add_argument("--dataset", required=True, help="KIND:PATH (fracatlas, mura, grazpedwri, rsna-boneage, knee-kl)")
    probe.add_argument("--label", default=None, help="the label to predict (default: the dataset's main one)")
    probe.add_argument("--mode", choices=("linear", "finetune"), default="linear",
                       help="linear: heads on frozen features (default); finetune: the encoder trained with a head")
    probe.add_argument("--fractions", default="0.01,0.1,1", help="comma-separated label fractions")
    probe.add_argument("--seeds", type=int, default=3)
    probe.add_argument("--baseline", choices=("random",), default=None,
                       help="probe the model's architecture randomly initialised (seeded by --init-seed) instead "
                            "of its weights")
    probe.add_argument("--init-image", type=Path, default=None, metavar="PATH",
                       help="probe the architecture with this local image-tower state dict (or a CLIP checkpoint's "
                            "visual.* tensors; what it lacks stays random); never downloaded")
    probe.add_argument("--init-seed", type=int, default=0, help="seed of the random initialisation of the baselines (0)")
    tune = probe.add_argument_group("fine-tuning (--mode finetune)")
    tune.add_argument("--epochs-frozen", type=int, default=3, help="epochs training the head, encoder frozen (3)")
    tune.add_argument("--epochs", type=int, default=10, help="epochs then training everything (10)")
    tune.add_argument("--lr", type=float, default=3e-5, help="encoder learning rate, second phase (3e-5)")
    tune.add_argument("--head-lr", type=float, default=1e-3, help="head learning rate, both phases (1e-3)")
    tune.add_argument("--weight-decay", type=float, default=0.01, help="AdamW weight decay (0.01)")
    tune.add_argument("--max-steps", type=int, default=None, help="cap on the optimiser steps of one fit")
    tune.add_argument("--regression-loss", choices=("l1", "mse"), default="l1",
                      help="loss on the standardised target, bone age (l1)")
    _add_analyse_parser(tasks)
    _add_synonyms_parser(tasks)
    return parser


def run_eval(args: argparse.Namespace) -> int:
    """Run the `eval` subcommand parsed into `args`; prints the table, writes `--out`; returns the exit code."""
    from .datasets import DatasetLayoutError
    from .zeroshot import ZeroShotNotApplicableError

    task = getattr(args, "eval_task", None)
    runners = {"zeroshot": _zeroshot, "retrieval": _retrieval, "probe": _probe, "analyse": _analyse,
               "synonyms": _synonyms}
    if task not in runners:
        print(f"bonevlp eval: unknown task {task!r} (expected {', '.join(TASKS)})", file=sys.stderr)
        return EXIT_USAGE
    try:
        result = runners[task](args)
    except (DatasetLayoutError, ZeroShotNotApplicableError, FileNotFoundError, KeyError, ValueError) as error:
        message = error.args[0] if isinstance(error, KeyError) and error.args else error
        print(f"bonevlp eval {task}: {message}", file=sys.stderr)
        return EXIT_USAGE
    except RuntimeError as error:
        print(f"bonevlp eval {task}: {error}", file=sys.stderr)
        return EXIT_FAILED
    from .results import format_table, write_results

    print(format_table(result))
    if args.out is not None:
        print(f"results written: {write_results(result, args.out)}")
    return EXIT_OK


def _load(args: argparse.Namespace):
    from .embed import load_model

    if args.batch_size < 1 or args.workers < 0 or (args.max_images is not None and args.max_images < 1):
        raise ValueError("--batch-size and --max-images must be >= 1, --workers >= 0")
    return load_model(args.model, args.device, args.precision)


def _max_images(args: argparse.Namespace, loaded) -> int:
    from .embed import MAX_IMAGES

    if args.max_images is not None:
        return args.max_images
    return int((loaded.run_config or {}).get("max_image_index") or MAX_IMAGES)


def _zeroshot(args: argparse.Namespace) -> dict:
    from .datasets import load_dataset, parse_dataset_spec
    from .prompts import load_prompts
    from .zeroshot import check_labels, evaluate_zeroshot

    kind, path = parse_dataset_spec(args.dataset)
    data = load_dataset(kind, path, args.split)
    labels = comma_list(args.labels) or None
    labels = check_labels(data, labels)  # refuse bone age before loading a model
    prompts = load_prompts(args.prompts)
    for label in labels:
        prompts.get(label)
    loaded = _load(args)
    return evaluate_zeroshot(loaded, data, prompts, labels, batch_size=args.batch_size, workers=args.workers,
                             max_images=_max_images(args, loaded), progress=not args.quiet, scores_csv=args.scores)


def _retrieval(args: argparse.Namespace) -> dict:
    from .retrieval import evaluate_retrieval

    loaded = _load(args)
    val_fraction = _val_fraction(args, loaded)
    return evaluate_retrieval(loaded, args.data, split=args.split, val_fraction=val_fraction,
                              batch_size=args.batch_size, workers=args.workers, max_images=_max_images(args, loaded),
                              progress=not args.quiet)


def _probe(args: argparse.Namespace) -> dict:
    from dataclasses import replace

    from .datasets import load_dataset, parse_dataset_spec
    from .finetune import FinetuneSettings, init_name
    from .probe import evaluate_probe

    fractions = tuple(float(f) for f in comma_list(args.fractions))
    if not fractions or any(not 0 < f <= 1 for f in fractions) or args.seeds < 1:
        raise ValueError("--fractions must be in (0, 1] and --seeds >= 1")
    init_name(args.baseline, args.init_image)  # both at once is refused before anything loads
    if args.init_image is not None and not args.init_image.is_file():
        raise FileNotFoundError(f"--init-image: no such file {args.init_image}")
    settings = None
    if args.mode == "finetune":
        settings = FinetuneSettings(epochs_frozen=args.epochs_frozen, epochs=args.epochs, lr=args.lr,
                                    head_lr=args.head_lr, weight_decay=args.weight_decay, batch_size=args.batch_size,
                                    max_steps=args.max_steps, regression_loss=args.regression_loss,
                                    workers=args.workers, progress=not args.quiet)
    kind, path = parse_dataset_spec(args.dataset)
    data = load_dataset(kind, path)
    if args.label is not None and args.label not in data.tasks:
        raise ValueError(f"{kind} has no label {args.label!r}; it has {', '.join(data.tasks)}")
    loaded = _load(args)
    max_images = _max_images(args, loaded)
    result = evaluate_probe(loaded, data, args.label, fractions, args.seeds, batch_size=args.batch_size,
                            workers=args.workers, max_images=max_images, mode=args.mode,
                            finetune=settings and replace(settings, max_images=max_images), baseline=args.baseline,
                            init_image=args.init_image, init_seed=args.init_seed)
    return {"model": str(args.model), "path": str(path)} | result


def _add_analyse_parser(tasks) -> None:
    """The `eval analyse` subparser (latent-space numbers and figures)."""
    analyse = tasks.add_parser(
        "analyse", help="latent space: alignment, uniformity, modality gap, kNN accuracy, PCA/UMAP figures",
        description="Embed the validation studies of the shards and their reports (and a downstream dataset "
                    "with --dataset): alignment and uniformity (Wang & Isola 2020), modality gap, leave-one-out "
                    "5-NN accuracy of the body part (and of the dataset's label), 2-D projections as PNG.")
    _common(analyse)
    _shard_split(analyse)
    analyse.add_argument("--dataset", default=None, metavar="KIND:PATH",
                         help="also analyse a downstream dataset (kNN accuracy and figures by its label)")
    analyse.add_argument("--dataset-split", default=None, help="the dataset's own split (default all)")
    analyse.add_argument("--label", default=None, help="the dataset's label (default: its main one)")
    analyse.add_argument("--k", type=int, default=5, help="neighbours of the kNN accuracy")
    analyse.add_argument("--figures", type=Path, default=None,
                         help="folder of the PNG figures (default: <out stem>-figures next to --out)")


def _analyse(args: argparse.Namespace) -> dict:
    from .analyse import evaluate_analyse
    from .datasets import load_dataset, parse_dataset_spec

    out, figures = getattr(args, "out", None), getattr(args, "figures", None)
    if figures is None:
        if out is None:
            raise ValueError("--out (or --figures) is needed: the figures are written next to the results")
        figures = Path(out).parent / f"{Path(out).stem}-figures"
    if getattr(args, "k", 5) < 1:
        raise ValueError("--k must be >= 1")
    data = None
    if getattr(args, "dataset", None):
        kind, path = parse_dataset_spec(args.dataset)
        data = load_dataset(kind, path, args.dataset_split)
        if args.label is not None and args.label not in data.tasks:
            raise ValueError(f"{kind} has no label {args.label!r}; it has {', '.join(data.tasks)}")
    loaded = _load(args)
    val_fraction = _val_fraction(args, loaded)
    return evaluate_analyse(loaded, args.data, figures, split=args.split, val_fraction=val_fraction, dataset=data,
                            label=getattr(args, "label", None), k=getattr(args, "k", 5), batch_size=args.batch_size,
                            workers=args.workers, max_images=_max_images(args, loaded), progress=not args.quiet)


def _add_synonyms_parser(tasks) -> None:
    synonyms = tasks.add_parser(
        "synonyms", help="text-tower synonym retrieval on a concept_id,term table (acc@1, acc@5)",
        description="Embed every term of a synonym table with the text tower (a bonevlp model's projected "
                    "text embedding, or a Hugging Face encoder directory's [CLS]); for each term of a concept "
                    "with two terms or more: is the nearest other term (acc@1), or one of the 5 nearest "
                    "(acc@5), a synonym? Cosine similarity, the term itself excluded.")
    synonyms.add_argument("--model", required=True, type=Path,
                          help="a run directory, a `bonevlp export` or `bonevlp sap` folder, or a Hugging Face "
                               "encoder directory")
    synonyms.add_argument("--terms", type=Path, default=None,
                          help="concept_id,term CSV (default: the table next to --held-out-only's sap.json, else "
                               "the bundled French MSK table)")
    synonyms.add_argument("--held-out-only", type=Path, default=None, metavar="SAP_JSON",
                          help="score only the concepts this `bonevlp sap` run held out of training (its sap.json "
                               "or folder)")
    synonyms.add_argument("--out", type=Path, default=None, help="write the results here (JSON)")
    synonyms.add_argument("--batch-size", type=int, default=256, help="terms per batch")
    device_options(synonyms)
    synonyms.add_argument("--quiet", action="store_true", help="(no progress bar is shown anyway)")


def _synonyms(args: argparse.Namespace) -> dict:
    from .synonyms import run_synonyms

    return run_synonyms(args.model, args.terms, args.held_out_only, args.device, args.precision, args.batch_size)


def main(argv: list[str] | None = None) -> int:
    """`python -m bonevlp.eval.cli eval ...` (the same as `bonevlp eval ...` once wired)."""
    parser = argparse.ArgumentParser(prog="bonevlp")
    add_eval_parser(parser.add_subparsers(dest="command", required=True))
    return run_eval(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
