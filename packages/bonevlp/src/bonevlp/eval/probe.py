"""Linear probes on frozen image features, with 1 %, 10 % and 100 % of the training labels.

Features: the model's study embeddings (images pooled as the model pools; bone age appends sex).
Train / test: the dataset's own splits when it has them (`train` against `valid`/`val`/`test`),
otherwise a deterministic 80/20 split by patient. Label fractions are drawn by PATIENT (a patient's
images are all in or all out), once per seed; each draw keeps at least one unit of each class.
Heads (scikit-learn): logistic regression for binary and multiclass labels, ridge regression for
bone age. Metrics: AUROC (binary), MAE in months (bone age), accuracy, macro-F1 and quadratic-weighted
kappa (multiclass, knee KL). Per fraction: the mean over seeds and a 95 % bootstrap interval over
test units (the metric averaged over seeds in each resample).
"""

from __future__ import annotations

import hashlib
import math

import numpy as np
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import accuracy_score, cohen_kappa_score, f1_score, mean_absolute_error, roc_auc_score
from sklearn.preprocessing import StandardScaler

from .datasets import LabeledImages, Unit
from .embed import MAX_IMAGES, LoadedModel, embed_image_groups

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


def _features(loaded: LoadedModel, data: LabeledImages, units: list[Unit], task: str, label: str,
              batch_size: int, workers: int, max_images: int) -> np.ndarray:
    features = embed_image_groups(loaded, [list(u.paths) for u in units], batch_size=batch_size, workers=workers,
                                  max_images=max_images).numpy().astype(np.float64)
    if label == "bone_age_months":  # the paper gives the head the sex too
        sex = np.array([[1.0 if str(u.extra.get("sex", "")).upper().startswith("M") else 0.0] for u in units])
        features = np.hstack([features, sex])
    return features


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


def evaluate_probe(loaded: LoadedModel, data: LabeledImages, label: str | None = None,
                   fractions: tuple[float, ...] = (0.01, 0.1, 1.0), seeds: int = 3, batch_size: int = 64,
                   workers: int = 2, max_images: int = MAX_IMAGES) -> dict:
    """Linear-probe results per label fraction: mean over seeds and 95 % bootstrap interval."""
    label = label or data.primary
    task = data.tasks[label]
    train_units, test_units = train_test_units(data)
    if not train_units or not test_units:
        raise ValueError("the dataset needs units in both its train and test parts")
    y_train, y_test = data.labels(label, train_units), data.labels(label, test_units)
    x_train = _features(loaded, data, train_units, task, label, batch_size, workers, max_images)
    x_test = _features(loaded, data, test_units, task, label, batch_size, workers, max_images)
    results: dict = {"task": "probe", "mode": "linear", "dataset": data.kind, "label": label,
                     "n_train": len(train_units), "n_test": len(test_units), "seeds": seeds, "fractions": {}}
    rng = np.random.default_rng(0)
    resamples = rng.integers(0, len(test_units), size=(BOOTSTRAP, len(test_units)))
    for fraction in fractions:
        predictions, per_seed = [], []
        for seed in range(seeds):
            index = patient_subset(train_units, y_train, fraction, seed, task)
            classes = np.unique(y_train[index])
            prediction = _fit_predict(task, x_train[index], y_train[index], x_test)
            predictions.append((prediction, classes))
            per_seed.append(metrics(task, y_test, prediction, classes))
        names = per_seed[0].keys()
        entry = {"n_labelled_mean": None}
        for name in names:
            values = [m[name] for m in per_seed]
            boot = []
            for sample in resamples:
                scores = [metrics(task, y_test[sample], p[sample], c)[name] for p, c in predictions]
                if not any(math.isnan(s) for s in scores):
                    boot.append(float(np.mean(scores)))
            low, high = (np.percentile(boot, [2.5, 97.5]) if boot else (math.nan, math.nan))
            entry[name] = {"mean": float(np.mean(values)), "ci95": [float(low), float(high)], "per_seed": values}
        entry["n_labelled_mean"] = float(np.mean([len(patient_subset(train_units, y_train, fraction, s, task))
                                                  for s in range(seeds)]))
        results["fractions"][str(fraction)] = entry
    return results
