"""Synonym retrieval of a model's text tower before and after `bonevlp sap`, on the bundled table's
held-out concepts and on an independently written table (never trained on).

`benchmarks/data/fr_msk_synonyms_independent.csv` (100 French musculoskeletal concepts, 316 terms) was
written separately from the bundled table `bonevlp/data/synonyms/fr_msk_synonyms.csv`, before seeing
it; some concepts overlap in meaning (both cover "fracture"), the wording of their terms was not
shared. It stands in for the issue's "independently written" set.

    .venv/bin/python benchmarks/sap_synonyms.py --model demo-output/runs/tiny
    .venv/bin/python benchmarks/sap_synonyms.py --model RUN --out /tmp/tiny-sap --epochs 6

Prints acc@1 and acc@5 before and after, for both tables, and the alignment's wall time.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

INDEPENDENT = Path(__file__).resolve().parent / "data" / "fr_msk_synonyms_independent.csv"


def bonevlp(*args: str) -> None:
    """Run the bonevlp command of this interpreter's environment; stop on failure."""
    subprocess.run([sys.executable, "-m", "bonevlp.cli", *args], check=True, stdout=subprocess.DEVNULL)


def synonyms(model: Path, out: Path, *selection: str) -> dict:
    """`bonevlp eval synonyms` on `model` with `selection` (--terms or --held-out-only), as a dict."""
    bonevlp("eval", "synonyms", "--model", str(model), *selection, "--out", str(out))
    return json.loads(out.read_text(encoding="utf-8"))


def main(argv: list[str] | None = None) -> int:
    """Align, score, print."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, required=True, help="a run or export folder (the start)")
    parser.add_argument("--out", type=Path, default=None, help="where the aligned model goes (default: a temp dir)")
    parser.add_argument("--terms", type=Path, default=INDEPENDENT, help="the independent table")
    parser.add_argument("--epochs", type=int, default=None)
    parser.add_argument("--lr", type=float, default=None)
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        out = args.out or work / "sap"
        extra = [*(["--epochs", str(args.epochs)] if args.epochs else []), *(["--lr", str(args.lr)] if args.lr else [])]
        start = time.perf_counter()
        bonevlp("sap", "--model", str(args.model), "--out", str(out), "--quiet", *extra)
        seconds = time.perf_counter() - start
        held_out = ("--held-out-only", str(out / "sap.json"))
        independent = ("--terms", str(args.terms))
        rows = []
        for name, selection in (("bundled, held-out concepts", held_out), ("independent table", independent)):
            before = synonyms(args.model, work / "before.json", *selection)
            after = synonyms(out, work / "after.json", *selection)
            rows.append((name, before, after))
    print(f"bonevlp sap on {args.model}: {seconds:.0f} s")
    print(f"{'table':28s} {'concepts':>8s} {'acc@1 before':>13s} {'after':>7s} {'acc@5 before':>13s} {'after':>7s}")
    for name, before, after in rows:
        print(f"{name:28s} {before['n_concepts']:>8} {before['acc@1']:13.3f} {after['acc@1']:7.3f} "
              f"{before['acc@5']:13.3f} {after['acc@5']:7.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
