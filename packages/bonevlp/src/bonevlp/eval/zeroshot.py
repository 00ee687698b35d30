"""Zero-shot classification with prompt ensembles (CheXzero-style), scored with scikit-learn.

Each class's prompts are embedded, L2-normalised, averaged and normalised again. A binary label
compares its positive with its negative prompts: p(positive) = softmax(s * [cos(x, pos), cos(x, neg)])[0],
s the model's logit scale. A multiclass label (knee KL 0-4) takes the softmax over its classes.

Metrics: binary: AUROC (`sklearn.metrics.roc_auc_score`) and accuracy at p >= 0.5 (`accuracy_score`);
multiclass: accuracy of the most probable class, macro one-vs-rest AUROC and the AUROC of each class.
Several binary labels at once (FracAtlas fracture and hardware): `auroc` and `accuracy` are their
means and `per_class` holds each one. A regression label (bone age) is refused.
"""

from __future__ import annotations

import csv
import math
import warnings
from pathlib import Path

import numpy as np
import torch
from sklearn.metrics import accuracy_score, roc_auc_score

from .datasets import LabeledImages, Unit
from .embed import MAX_IMAGES, LoadedModel, embed_image_groups, embed_texts
from .prompts import PromptBook, PromptSet


class ZeroShotNotApplicableError(ValueError):
    """Zero-shot classification makes no sense for this label (a regression target such as bone age)."""


def class_embeddings(loaded: LoadedModel, prompt_set: PromptSet, batch_size: int = 256) -> torch.Tensor:
    """`[C, D]`: per class, the normalised mean of its prompts' normalised embeddings."""
    flat = [prompt for group in prompt_set.prompts for prompt in group]
    embedded = embed_texts(loaded, flat, batch_size)
    out, start = [], 0
    for group in prompt_set.prompts:
        out.append(torch.nn.functional.normalize(embedded[start:start + len(group)].mean(0), dim=-1))
        start += len(group)
    return torch.stack(out)


def class_probabilities(image_embeddings: torch.Tensor, class_embeddings_: torch.Tensor,
                        logit_scale: float) -> np.ndarray:
    """`[N, C]`: softmax over classes of the scaled cosine similarities."""
    logits = logit_scale * image_embeddings.float() @ class_embeddings_.float().T
    return torch.softmax(logits, dim=-1).numpy().astype(np.float64)


def _auroc(y_true: np.ndarray, score: np.ndarray) -> float | None:
    """ROC AUC, None when only one class is present (undefined)."""
    if len(np.unique(y_true)) < 2:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return float(roc_auc_score(y_true, score))


def binary_metrics(y_true: np.ndarray, p_positive: np.ndarray, threshold: float = 0.5) -> dict:
    """AUROC, accuracy at `threshold`, count and positives of one binary label."""
    y_true = np.asarray(y_true).astype(int)
    p_positive = np.asarray(p_positive, dtype=np.float64)
    return {"auroc": _auroc(y_true, p_positive),
            "accuracy": float(accuracy_score(y_true, (p_positive >= threshold).astype(int))),
            "n": int(len(y_true)), "positives": int(y_true.sum())}


def multiclass_metrics(y_true: np.ndarray, probabilities: np.ndarray, classes: tuple[str, ...]) -> dict:
    """Accuracy (argmax), macro one-vs-rest AUROC over the classes present, and per class AUROC."""
    y_true = np.asarray(y_true).astype(int)
    values = np.arange(len(classes))
    accuracy = float(accuracy_score(y_true, probabilities.argmax(1)))
    per_class = {name: {"auroc": _auroc((y_true == value).astype(int), probabilities[:, value]),
                        "n": int((y_true == value).sum())} for name, value in zip(classes, values, strict=True)}
    present = np.unique(y_true)
    if len(present) < 2:
        macro = None
    else:
        # one-vs-rest over the classes present (an absent class has no AUROC): the mean of their AUROCs
        indicator = (y_true[:, None] == present[None, :]).astype(int)  # one column per class present
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            macro = float(roc_auc_score(indicator, probabilities[:, present], average="macro"))
    return {"auroc": macro, "accuracy": accuracy, "n": int(len(y_true)), "per_class": per_class}


def check_labels(data: LabeledImages, labels: list[str] | None) -> list[str]:
    labels = labels or [data.primary]
    for label in labels:
        if label not in data.tasks:
            raise ValueError(f"{data.kind} has no label {label!r}; it has {', '.join(data.tasks)}")
        if data.tasks[label] == "regression":
            raise ZeroShotNotApplicableError(
                f"zero-shot classification is not meaningful for {label} of {data.kind} (a continuous target); "
                "evaluate it with a linear probe instead")
    if len({data.tasks[label] for label in labels}) > 1 or (data.tasks[labels[0]] == "multiclass" and len(labels) > 1):
        raise ValueError("evaluate one multiclass label alone, or binary labels only")
    return labels


def _prompt_set(data: LabeledImages, label: str, prompts: PromptBook) -> PromptSet:
    prompt_set = prompts.get(label)
    task = data.tasks[label]
    if prompt_set.kind != task:
        raise ValueError(f"{prompts.source}: label {label!r} has {prompt_set.kind} prompts, {data.kind} needs {task}")
    if task == "multiclass":
        want = data.classes[label]
        if set(prompt_set.classes) != set(want):
            raise ValueError(f"{prompts.source}: label {label!r} has prompts for classes {list(prompt_set.classes)}, "
                             f"{data.kind} has {list(want)}")
        order = [prompt_set.classes.index(c) for c in want]
        prompt_set = PromptSet(label, task, tuple(want), tuple(prompt_set.prompts[i] for i in order))
    return prompt_set


def evaluate_zeroshot(loaded: LoadedModel, data: LabeledImages, prompts: PromptBook, labels: list[str] | None = None,
                      *, batch_size: int = 64, workers: int = 0, max_images: int = MAX_IMAGES, progress: bool = False,
                      image_embeddings: torch.Tensor | None = None, scores_csv: Path | None = None) -> dict:
    """Zero-shot results of `loaded` on `data` for `labels` (default: the dataset's primary label).
    `image_embeddings` ([units, D], in `data.units()` order) skips embedding the images again.
    `scores_csv`: also write each unit's probabilities there."""
    labels = check_labels(data, labels)
    units = data.units()
    if not units:
        where = f" (split {data.split})" if data.split else ""
        raise ValueError(f"{data.kind} at {data.root}{where}: no image to evaluate")
    sets = {label: _prompt_set(data, label, prompts) for label in labels}
    if image_embeddings is None:
        image_embeddings = embed_image_groups(loaded, [u.paths for u in units], batch_size, workers, max_images,
                                              progress)
    scale = loaded.logit_scale()
    per_label: dict[str, dict] = {}
    scores: dict[str, np.ndarray] = {}
    for label, prompt_set in sets.items():
        probabilities = class_probabilities(image_embeddings, class_embeddings(loaded, prompt_set), scale)
        y = data.labels(label, units)
        known = ~np.isnan(y)
        if prompt_set.kind == "binary":
            scores[label] = probabilities[:, 0]
            per_label[label] = binary_metrics(y[known], probabilities[known, 0])
        else:
            scores.update({f"{label}={c}": probabilities[:, i] for i, c in enumerate(prompt_set.classes)})
            per_label[label] = multiclass_metrics(y[known], probabilities[known], prompt_set.classes)

    result: dict = {"task": "zeroshot", "dataset": data.kind, "path": str(data.root), "split": data.split,
                    "model": loaded.source, "prompts": prompts.source, "n": len(units), "n_images": len(data),
                    "labels": labels, "logit_scale": scale}
    if data.tasks[labels[0]] == "multiclass":
        metrics = per_label[labels[0]]
        result.update(auroc=metrics["auroc"], accuracy=metrics["accuracy"], per_class=metrics["per_class"])
    elif len(labels) == 1:
        result.update({k: v for k, v in per_label[labels[0]].items() if k != "n"})
    else:
        aurocs = [m["auroc"] for m in per_label.values() if m["auroc"] is not None]
        result.update(auroc=float(np.mean(aurocs)) if aurocs else None,
                      accuracy=float(np.mean([m["accuracy"] for m in per_label.values()])), per_class=per_label)
    if scores_csv is not None:
        write_scores(scores_csv, data, units, scores)
    return result


def write_scores(path: Path, data: LabeledImages, units: list[Unit], scores: dict[str, np.ndarray]) -> None:
    """One row per unit: study, patient, its labels, then each score column."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    names = list(data.tasks)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["study", "patient", "images", *names, *(f"p_{name}" for name in scores)])
        for index, unit in enumerate(units):
            values = [unit.labels.get(name, math.nan) for name in names]
            writer.writerow([unit.study, unit.patient, len(unit.paths), *values,
                             *(f"{column[index]:.6f}" for column in scores.values())])
