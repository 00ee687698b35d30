"""The `frdeid` command.

    frdeid keygen KEY
    frdeid text IN.jsonl OUT.jsonl --key KEY [--spans SPANS.jsonl] [--workers N] [--config C]
    frdeid eval GOLD.jsonl SPANS.jsonl [--json OUT.json]
    frdeid dicom IN_DIR OUT_DIR --key KEY --report REPORT.csv [--workers N] [--options ...]

`text` de-identifies one document per line (format: `frdeid.text.jsonl`); the document `id` is kept
(it is the hospital's document id), the patient id is pseudonymised, the SPANS file (offsets into
the input text) is an audit file that stays in the hospital. Problems are reported on stderr by line
number (and exception type) only, never with any document content.

Exit codes: 0 success; 1 the work failed; 2 bad arguments or unusable paths (missing input,
unreadable key, bad config); 3 success except that some input lines were skipped (malformed, or
their processing failed) and are absent from the output.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from . import __version__
from .keys import KeyFileError, read_key, write_key

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_PARTIAL = 0, 1, 2, 3


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every `frdeid` subcommand."""
    parser = argparse.ArgumentParser(prog="frdeid", description="De-identify French clinical text and DICOM files.")
    parser.add_argument("--version", action="version", version=f"frdeid {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    keygen = sub.add_parser("keygen", help="write a new random secret key (file mode 0600)",
                            description="Write a new random secret key. Every pseudonym and date shift "
                                        "derives from it: keep it inside the hospital. Never overwrites.")
    keygen.add_argument("key", type=Path, help="path of the key file to create")

    text = sub.add_parser("text", help="de-identify a JSONL file of documents",
                          description="De-identify one document per line: {id, patient_id, text, patient}. "
                                      "Writes {id, patient_id (pseudonymised), text}. Exit 3 when some lines "
                                      "were skipped (reported by line number only).")
    text.add_argument("input", type=Path, help="input JSONL")
    text.add_argument("output", type=Path, help="output JSONL (written at the end, atomically)")
    text.add_argument("--key", type=Path, required=True, help="key file written by `frdeid keygen`")
    text.add_argument("--spans", type=Path, help="also write the detected spans (offsets into the input; "
                                                 "an audit file that must stay in the hospital)")
    text.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    text.add_argument("--config", type=Path, help="TOML merged over the default pipeline config")

    evaluate = sub.add_parser("eval", help="score detected spans against gold spans",
                              description="Per-label precision, recall and F1 (exact span match and "
                                          "character-overlap based), character-level recall, NAME group.")
    evaluate.add_argument("gold", type=Path, help="gold JSONL: {id, text, spans} (e.g. truth/phi.jsonl)")
    evaluate.add_argument("predicted", type=Path, help="spans JSONL written by `frdeid text --spans`")
    evaluate.add_argument("--json", type=Path, help="also write the metrics as JSON")

    train = sub.add_parser("train-ner", help="train the project's flair tagger on annotated documents",
                           description="Train a flair BiLSTM-CRF tagger (offline: one-hot word and corpus "
                                       "character embeddings) on annotated documents and save it as one file; "
                                       "use it with the `flair_ner` detector. The synthetic export's "
                                       "truth/phi.jsonl is the default training set; add a hospital's own "
                                       "annotations with --train, --brat or --markup.")
    train.add_argument("--train", type=Path, action="append", default=[], help="gold JSONL (repeatable)")
    train.add_argument("--brat", type=Path, action="append", default=[], help="BRAT folder (repeatable)")
    train.add_argument("--markup", type=Path, action="append", default=[],
                       help="inline [surface](LABEL) markup file, EDS-Pseudo labels (repeatable)")
    train.add_argument("--out", type=Path, required=True, help="model file to write (.pt)")
    train.add_argument("--epochs", type=int, default=8)
    train.add_argument("--max-sentences", type=int, default=0, help="cap on training sentences (0: all)")

    from .dicom.cli import add_parser as add_dicom_parser

    add_dicom_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `frdeid` console script."""
    args = build_parser().parse_args(argv)
    if args.command == "keygen":
        return _keygen(args)
    if args.command == "text":
        return _text(args)
    if args.command == "eval":
        return _eval(args)
    if args.command == "train-ner":
        return _train_ner(args)
    if args.command == "dicom":
        from .dicom.cli import run_cli

        return run_cli(args)
    return EXIT_USAGE


def _train_ner(args: argparse.Namespace) -> int:
    from .corpora import read_brat, read_gold_jsonl, read_markup_corpus
    from .ner.train import TrainSettings, train_tagger

    sources = [*args.train, *args.brat, *args.markup]
    if not sources:
        return _fail("train-ner", "give at least one --train, --brat or --markup source", EXIT_USAGE)
    missing = [p for p in sources if not p.exists()]
    if missing:
        return _fail("train-ner", f"not found: {missing[0]}", EXIT_USAGE)
    if args.epochs < 1:
        return _fail("train-ner", "--epochs must be at least 1", EXIT_USAGE)
    docs = [doc for path in args.train for doc in read_gold_jsonl(path)]
    docs += [doc for path in args.brat for doc in read_brat(path)]
    docs += [doc for path in args.markup for doc in read_markup_corpus(path)]
    try:
        result = train_tagger(docs, args.out, TrainSettings(epochs=args.epochs, max_sentences=args.max_sentences))
    except Exception as error:  # noqa: BLE001  (never print the message: it may quote training text)
        return _fail("train-ner", f"training failed ({type(error).__name__})", EXIT_FAILED)
    for epoch, (loss, f1) in enumerate(zip(result.train_loss, result.dev_f1, strict=False), start=1):
        print(f"epoch {epoch}: train loss {loss:.4f}, dev F1 {f1:.4f}")
    print(f"tagger trained on {len(docs)} documents, saved to {args.out}")
    return EXIT_OK


def _keygen(args: argparse.Namespace) -> int:
    try:
        write_key(args.key)
    except (FileExistsError, OSError) as error:
        print(f"frdeid keygen: {error}", file=sys.stderr)
        return EXIT_USAGE
    print(f"key written to {args.key}")
    return EXIT_OK


def _fail(command: str, message: str, code: int) -> int:
    print(f"frdeid {command}: {message}", file=sys.stderr)
    return code


def _text(args: argparse.Namespace) -> int:
    try:
        return _text_checked(args)
    except Exception as error:  # noqa: BLE001 - the type only: a message may quote a document
        return _fail("text", f"failed ({type(error).__name__}); no output written", EXIT_FAILED)


def _text_checked(args: argparse.Namespace) -> int:
    if not args.input.is_file():
        return _fail("text", f"input file not found: {args.input}", EXIT_USAGE)
    for path in filter(None, (args.output, args.spans)):
        if not path.parent.is_dir():
            return _fail("text", f"output folder not found: {path.parent}", EXIT_USAGE)
        if path.resolve() == args.input.resolve():
            return _fail("text", "an output path is the input file", EXIT_USAGE)
    if args.spans is not None and args.spans.resolve() == args.output.resolve():
        return _fail("text", "--spans and the output are the same file", EXIT_USAGE)
    if args.workers < 1:
        return _fail("text", "--workers must be at least 1", EXIT_USAGE)
    try:
        key = read_key(args.key)
    except KeyFileError as error:
        return _fail("text", str(error), EXIT_USAGE)
    config, problem = _load_text_config(args.config)
    if problem:
        return _fail("text", problem, EXIT_USAGE)
    from .text.jsonl import run

    stats = run(args.input, args.output, key, config, args.spans, args.workers)
    print(f"frdeid text: {stats.written} documents written, {len(stats.skipped)} lines skipped", file=sys.stderr)
    return EXIT_PARTIAL if stats.skipped else EXIT_OK


def _load_text_config(path: Path | None) -> tuple[dict | None, str]:
    """The user config (merged later over the default) and a usage problem, if any."""
    import tomllib

    from .text import registry
    from .text.config import load_config
    from .text.replace import ReplacePolicy

    user: dict | None = None
    if path is not None:
        try:
            user = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
            return None, f"cannot read config {path} ({type(error).__name__})"
    try:
        merged = load_config(overrides=user)
        ReplacePolicy.from_config(merged.get("replace"))
        unknown = set(merged["pipeline"]["detectors"]) - set(registry.names())
    except (KeyError, TypeError, ValueError) as error:
        return None, f"invalid config: {error}"
    if unknown:
        return None, f"invalid config: unknown detectors {', '.join(sorted(unknown))}"
    return user, ""


def _eval(args: argparse.Namespace) -> int:
    from .evaluate import format_table, score

    for path in (args.gold, args.predicted):
        if not path.is_file():
            return _fail("eval", f"file not found: {path}", EXIT_USAGE)
    if args.json is not None and not args.json.parent.is_dir():
        return _fail("eval", f"output folder not found: {args.json.parent}", EXIT_USAGE)
    try:
        gold, predicted = _read_docs(args.gold), _read_docs(args.predicted)
    except ValueError as error:
        return _fail("eval", str(error), EXIT_FAILED)
    result = score(gold, predicted)
    print(format_table(result))
    if args.json is not None:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return EXIT_OK


def _read_docs(path: Path) -> list[dict]:
    """JSONL documents with an id and a list of {start, end, label} spans; ValueError naming the
    line number only."""
    docs = []
    with open(path, "rb") as handle:
        for line_no, raw in enumerate(handle, 1):
            if not raw.strip():
                continue
            try:
                doc = json.loads(raw.decode("utf-8"))
                spans = doc["spans"]
                if "id" not in doc or not isinstance(spans, list) or not all(
                        isinstance(s["start"], int) and isinstance(s["end"], int) and isinstance(s["label"], str)
                        for s in spans):
                    raise ValueError
            except (ValueError, UnicodeDecodeError, KeyError, TypeError):
                raise ValueError(f"{path.name} line {line_no} is malformed") from None
            docs.append(doc)
    return docs


if __name__ == "__main__":
    sys.exit(main())
