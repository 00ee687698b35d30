"""Probes of the image encoder with 1 %, 10 % and 100 % of the training labels: linear heads on frozen
study features (`mode="linear"`) or the encoder fine-tuned end to end with a head (`mode="finetune"`,
in `finetune.py`), both run by the same protocol (`run_protocol`).

Features: the model's study embeddings (images pooled as the model pools; bone age appends sex).
Train / test: the dataset's own splits when it has them (`train` against `valid`/`val`/`test`),
otherwise a deterministic 80/20 split by patient. Label fractions are drawn by PATIENT (a patient's
images are all in or all out), once per seed; each draw keeps at least one unit of each class.
Linear heads (scikit-learn): logistic regression for binary and multiclass labels, ridge regression for
bone age. Metrics: AUROC (binary), MAE in months (bone age), accuracy, macro-F1 and quadratic-weighted
kappa (multiclass, knee KL). Per fraction: the mean over seeds and a 95 % bootstrap interval over
test units (the metric averaged over seeds in each resample). Baselines: the same architecture randomly
initialised (`baseline="random"`) or loaded from a local image-tower state dict (`init_image`).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import accuracy_score, cohen_kappa_score, f1_score, mean_absolute_error, roc_auc_score
from sklearn.preprocessing import StandardScaler

from .datasets import LabeledImages, Unit
from .embed import MAX_IMAGES, LoadedModel, embed_image_groups

if TYPE_CHECKING:
    from .finetune import FinetuneSettings

TEST_SPLITS = ("test", "valid", "val")
BOOTSTRAP = 1000


def train_test_units(data: LabeledImages) -> tuple[list[Unit], list[Unit]]:
    """The dataset's train and test units: its own splits, else 80/20 by a hash of the patient."""
    units = data.units()
    splits = {u.extra.get("split") for u in units}
    test_name = next((name for name in TEST_SPLITS if name in splits), None)
    if "train" in splits and test_name is not None:
        return ([u for u in units if u.extra.get("split") == "train"],
                [u for u in units if u.extra.get("split") == test_name])

    def bucket(patient: str) -> int:
        return int.from_bytes(hashlib.sha256(patient.encode("utf-8")).digest()[:4], "big") % 10

    return [u for u in units if bucket(u.patient) >= 2], [u for u in units if bucket(u.patient) < 2]


def patient_subset(units: list[Unit], y: np.ndarray, fraction: float, seed: int, task: str) -> np.ndarray:
    """Indices of the units of a random `fraction` of the patients (at least one unit per class)."""
    if fraction >= 1:
        return np.arange(len(units))
    rng = np.random.default_rng(seed)
    patients = sorted({u.patient for u in units})
    chosen = set(rng.permutation(patients)[:max(1, math.ceil(fraction * len(patients)))])
    index = [i for i, u in enumerate(units) if u.patient in chosen]
    if task != "regression":
        for value in np.unique(y):
            if not any(y[i] == value for i in index):
                index.append(int(rng.choice(np.flatnonzero(y == value))))
    return np.array(sorted(index))



def extra_features(units: list[Unit], label: str) -> np.ndarray:
    """Columns given to the head besides the image features: the sex (1 male, 0 otherwise) for bone age,
    as in the paper; none for the other labels. `[n, 1]` or `[n, 0]`."""
    if label == "bone_age_months":
        return np.array([[1.0 if str(u.extra.get("sex", "")).upper().startswith("M") else 0.0] for u in units])
    return np.zeros((len(units), 0))


def _features(loaded: LoadedModel, data: LabeledImages, units: list[Unit], task: str, label: str,
              batch_size: int, workers: int, max_images: int) -> np.ndarray:
    features = embed_image_groups(loaded, [list(u.paths) for u in units], batch_size=batch_size, workers=workers,
                                  max_images=max_images).numpy().astype(np.float64)
    return np.hstack([features, extra_features(units, label)])


def _fit_predict(task: str, x_train: np.ndarray, y_train: np.ndarray, x_test: np.ndarray) -> np.ndarray:
    scaler = StandardScaler().fit(x_train)
    x_train, x_test = scaler.transform(x_train), scaler.transform(x_test)
    if task == "regression":
        return Ridge(alpha=1.0).fit(x_train, y_train).predict(x_test)
    head = LogisticRegression(max_iter=2000, C=0.5).fit(x_train, y_train)
    probabilities = head.predict_proba(x_test)
    return probabilities[:, 1] if task == "binary" else probabilities


def metrics(task: str, y_true: np.ndarray, prediction: np.ndarray, classes: np.ndarray | None = None) -> dict:
    """AUROC (binary), MAE (regression), accuracy / macro-F1 / quadratic kappa (multiclass)."""
    if task == "binary":
        return {"auroc": float(roc_auc_score(y_true, prediction)) if len(np.unique(y_true)) > 1 else math.nan}
    if task == "regression":
        return {"mae": float(mean_absolute_error(y_true, prediction))}
    predicted = classes[np.argmax(prediction, axis=1)]
    return {"accuracy": float(accuracy_score(y_true, predicted)),
            "macro_f1": float(f1_score(y_true, predicted, average="macro")),
            "kappa_quadratic": float(cohen_kappa_score(y_true.astype(int), predicted.astype(int), weights="quadratic"))}


# A fit of one seed on one label fraction: (indices of the training units it may use, seed, fraction) ->
# (test predictions, the classes of the prediction's columns for a multiclass label, else None).
Fit = Callable[[np.ndarray, int, float], tuple[np.ndarray, np.ndarray | None]]


@dataclass
class ProbeSplit:
    """The label asked for, its task and the train / test units with their label values."""

    label: str
    task: str
    train_units: list[Unit]
    test_units: list[Unit]
    y_train: np.ndarray
    y_test: np.ndarray


def probe_split(data: LabeledImages, label: str | None = None) -> ProbeSplit:
    """The dataset's train and test units (`train_test_units`) and the values of `label` (default the
    dataset's main one)."""
    label = label or data.primary
    if label not in data.tasks:
        raise ValueError(f"{data.kind} has no label {label!r}; it has {', '.join(data.tasks)}")
    train_units, test_units = train_test_units(data)
    if not train_units or not test_units:
        raise ValueError("the dataset needs units in both its train and test parts")
    return ProbeSplit(label, data.tasks[label], train_units, test_units, data.labels(label, train_units),
                      data.labels(label, test_units))


def _summary(task: str, y_test: np.ndarray, fitted: list[tuple[np.ndarray, np.ndarray | None]],
             resamples: np.ndarray) -> dict:
    """Per metric: the mean over seeds, the 95 % bootstrap interval of that mean (over test units), the
    value of each seed."""
    per_seed = [metrics(task, y_test, prediction, classes) for prediction, classes in fitted]
    names = list(per_seed[0])
    boots: dict[str, list[float]] = {name: [] for name in names}
    for sample in resamples:  # every metric of a resample at once (one call per seed)
        resampled = [metrics(task, y_test[sample], p[sample], c) for p, c in fitted]
        for name in names:
            scores = [m[name] for m in resampled]
            if not any(math.isnan(s) for s in scores):
                boots[name].append(float(np.mean(scores)))
    entry = {}
    for name in names:
        values = [m[name] for m in per_seed]
        boot = boots[name]
        low, high = (np.percentile(boot, [2.5, 97.5]) if boot else (math.nan, math.nan))
        entry[name] = {"mean": float(np.mean(values)), "ci95": [float(low), float(high)], "per_seed": values}
    return entry


def run_protocol(split: ProbeSplit, fit: Fit, fractions: tuple[float, ...] = (0.01, 0.1, 1.0),
                 seeds: int = 3) -> dict[str, dict]:
    """The protocol both modes share: for each label fraction and seed, the training units of a random
    share of the patients (`patient_subset`), `fit` on them, the metrics on the test units; per fraction
    the mean labelled units and, per metric, the mean over seeds with its 95 % bootstrap interval."""
    resamples = np.random.default_rng(0).integers(0, len(split.test_units), size=(BOOTSTRAP, len(split.test_units)))
    out = {}
    for fraction in fractions:
        subsets = [patient_subset(split.train_units, split.y_train, fraction, seed, split.task)
                   for seed in range(seeds)]
        fitted = [fit(index, seed, fraction) for seed, index in enumerate(subsets)]
        out[str(fraction)] = {"n_labelled_mean": float(np.mean([len(index) for index in subsets])),
                              **_summary(split.task, split.y_test, fitted, resamples)}
    return out


def evaluate_probe(loaded: LoadedModel, data: LabeledImages, label: str | None = None,
                   fractions: tuple[float, ...] = (0.01, 0.1, 1.0), seeds: int = 3, batch_size: int = 64,
                   workers: int = 2, max_images: int = MAX_IMAGES, *, mode: str = "linear",
                   finetune: FinetuneSettings | None = None, baseline: str | None = None,
                   init_image: Path | None = None, init_seed: int = 0) -> dict:
    """Probe results per label fraction (mean over seeds, 95 % bootstrap interval): `mode="linear"`, a
    scikit-learn head on frozen study features; `mode="finetune"`, the encoder fine-tuned with a head
    (`finetune` settings, `eval.finetune`). `baseline="random"` or `init_image` probe the same
    architecture randomly initialised (seeded by `init_seed`) or loaded from a local image-tower state
    dict instead of the model's weights; the result's `"init"` says which."""
    if mode not in ("linear", "finetune"):
        raise ValueError(f"unknown probe mode {mode!r}: expected linear or finetune")
    split = probe_split(data, label)
    results: dict = {"task": "probe", "mode": mode, "init": "pretrained", "dataset": data.kind, "label": split.label,
                     "n_train": len(split.train_units), "n_test": len(split.test_units), "seeds": seeds}
    if baseline is not None or init_image is not None:
        from .finetune import initialise

        loaded, info = initialise(loaded, baseline, init_image, init_seed)
        results.update(init=info["init"], init_details={k: v for k, v in info.items() if k != "init"})
    if mode == "linear":
        x_train = _features(loaded, data, split.train_units, split.task, split.label, batch_size, workers, max_images)
        x_test = _features(loaded, data, split.test_units, split.task, split.label, batch_size, workers, max_images)

        def fit(index: np.ndarray, seed: int, fraction: float) -> tuple[np.ndarray, np.ndarray | None]:
            classes = np.unique(split.y_train[index]) if split.task == "multiclass" else None
            return _fit_predict(split.task, x_train[index], split.y_train[index], x_test), classes
    else:
        from .finetune import FinetuneSettings, finetune_predict

        settings = finetune or FinetuneSettings(batch_size=batch_size, workers=workers, max_images=max_images)
        classes = np.unique(split.y_train) if split.task == "multiclass" else None
        training: list[dict] = []
        results.update(finetune=settings.as_dict(), training=training)

        def fit(index: np.ndarray, seed: int, fraction: float) -> tuple[np.ndarray, np.ndarray | None]:
            prediction, log = finetune_predict(loaded, [split.train_units[i] for i in index], split.y_train[index],
                                               split.test_units, split.task, split.label, seed, settings, classes)
            training.append({"fraction": fraction, **log})
            return prediction, classes

    results["fractions"] = run_protocol(split, fit, fractions, seeds)
    return results
