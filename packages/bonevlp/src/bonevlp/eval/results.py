"""Evaluation results: a JSON file (NaN written as null) and a readable table for the terminal."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np


def _clean(value):
    """JSON-safe: numpy scalars to Python, NaN and infinities to None, paths to strings."""
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Path):
        return str(value)
    return value


def write_results(result: dict, path: str | Path) -> Path:
    """Write `result` as indented UTF-8 JSON (parent folders made); returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(_clean(result), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def _fmt(value) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return f"{value:.4f}" if abs(value) < 1000 else f"{value:.1f}"
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return str(value)


def _rank(value) -> str:
    return "n/a" if value is None else f"{value:g}"


def _rows(pairs: list[tuple[str, str]]) -> list[str]:
    width = max((len(k) for k, _ in pairs), default=0)
    return [f"  {k.ljust(width)}  {v}" for k, v in pairs]


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(header[i]), *(len(r[i]) for r in rows)) for i in range(len(header))]
    line = "  " + "  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))
    out = [line, "  " + "  ".join("-" * w for w in widths)]
    out += ["  " + "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    return out


RETRIEVAL_DIRECTIONS = (("image_to_text", "study -> report"), ("text_to_image", "report -> study"))


def format_table(result: dict) -> str:
    """A readable summary of a result (`zeroshot`, `retrieval`, `probe`, `analyse` or any flat dict of metrics)."""
    task = result.get("task", "result")
    lines = [f"bonevlp eval {task}"]
    context = [(k, _fmt(result[k])) for k in ("model", "dataset", "data", "path", "split", "prompts", "n",
                                               "n_images") if result.get(k) is not None]
    lines += _rows(context)
    if task == "probe":
        lines += _rows([(k, _fmt(result[k])) for k in ("label", "mode", "init", "n_train", "n_test", "seeds")
                        if k in result])
        fractions = result["fractions"]
        names = [k for k in next(iter(fractions.values())) if k != "n_labelled_mean"]
        rows = [[f, _fmt(v["n_labelled_mean"]),
                 *(f"{_fmt(v[n]['mean'])} [{_fmt(v[n]['ci95'][0])}, {_fmt(v[n]['ci95'][1])}]" for n in names)]
                for f, v in fractions.items()]
        lines += [""] + _table(["fraction", "labelled", *(f"{n} (95% CI)" for n in names)], rows)
        return "\n".join(lines)
    if task == "retrieval":
        ks = sorted({int(k.split("@")[1]) for k in result if k.startswith("image_to_text_R@")})
        header = ["direction", *(f"R@{k}" for k in ks), "median rank"]
        rows = [[label, *(_fmt(result.get(f"{d}_R@{k}")) for k in ks), _rank(result.get(f"{d}_median_rank"))]
                for d, label in RETRIEVAL_DIRECTIONS]
        rows.append(["chance", *(_fmt(result.get(f"chance_R@{k}")) for k in ks), _rank((result.get("n", 0) + 1) / 2)])
        lines += [""] + _table(header, rows)
        return "\n".join(lines)
    if task == "analyse":
        return "\n".join(lines + _analyse_lines(result))
    if task == "synonyms":
        lines = lines[:1] + _rows([(k, _fmt(result[k])) for k in ("model", "terms", "held_out_only", "embedding", "n",
                                                                   "n_terms", "n_concepts") if k in result])
        ks = sorted(int(k.split("@")[1]) for k in result if k.startswith("acc@"))
        rows = [["model", *(_fmt(result[f"acc@{k}"]) for k in ks)],
                ["chance", *(_fmt(result.get(f"chance_acc@{k}")) for k in ks)]]
        return "\n".join(lines + [""] + _table(["", *(f"acc@{k}" for k in ks)], rows))
    shown = {"task", "model", "dataset", "data", "path", "split", "prompts", "n", "n_images", "per_class"}
    metrics = [(k, _fmt(v)) for k, v in result.items() if k not in shown and not isinstance(v, dict)]
    lines += [""] + _rows(metrics)
    per_class = result.get("per_class")
    if per_class:
        columns = sorted({k for v in per_class.values() for k in v if not isinstance(v[k], dict)},
                         key=lambda c: ("auroc", "accuracy", "n", "positives").index(c)
                         if c in ("auroc", "accuracy", "n", "positives") else 99)
        rows = [[str(name), *(_fmt(values.get(c)) for c in columns)] for name, values in per_class.items()]
        lines += [""] + _table(["class", *columns], rows)
    return "\n".join(lines)


ANALYSE_METRICS = ("alignment", "uniformity_images", "uniformity_texts", "uniformity_dataset", "modality_gap",
                   "matched_cosine", "unmatched_cosine")


def _analyse_lines(result: dict) -> list[str]:
    """The `analyse` part of the table: the latent-space numbers, kNN accuracies, figures and notes."""
    lines = [""] + _rows([(k, _fmt(result.get(k))) for k in ANALYSE_METRICS if k in result])
    knn = result.get("knn") or {}
    if knn:
        rows = [[name, *((_fmt(v.get("accuracy")), _fmt(v.get("majority")), _fmt(v.get("n")),
                          _fmt(len(v.get("classes", ()))), _fmt(v.get("k"))) if v else ("n/a",) * 5)]
                for name, v in knn.items()]
        lines += [""] + _table(["kNN target", "accuracy", "majority", "n", "classes", "k"], rows)
    if result.get("figures"):
        lines += ["", "  figures:"] + [f"    {path}" for path in result["figures"]]
    lines += [f"  note: {note}" for note in result.get("notes", [])]
    return lines
