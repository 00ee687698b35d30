"""`bonevlp eval probe` (linear mode): label fractions drawn by patient, heads and metrics from
scikit-learn, the protocol's results on features that do or do not carry the label, and the command
end to end on a synthetic FracAtlas-layout set with a tiny untrained model."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from sklearn.metrics import cohen_kappa_score

from bonevlp.eval import probe
from bonevlp.eval.datasets import Unit, load_dataset


def _units(patients: int, per_patient: int) -> list[Unit]:
    return [Unit(f"s{p}-{i}", (Path(f"{p}-{i}.png"),), {}, f"p{p}", {}) for p in range(patients)
            for i in range(per_patient)]


def test_fractions_are_drawn_by_patient_deterministically_with_every_class():
    units = _units(50, 3)
    y = np.array([1.0 if u.patient == "p7" else 0.0 for u in units])  # one positive patient only
    subset = probe.patient_subset(units, y, 0.1, seed=1, task="binary")
    assert np.array_equal(subset, probe.patient_subset(units, y, 0.1, seed=1, task="binary"))
    assert not np.array_equal(subset, probe.patient_subset(units, y, 0.1, seed=2, task="binary"))
    chosen = {units[i].patient for i in subset}
    assert 5 <= len(chosen) <= 6 and set(y[subset]) == {0.0, 1.0}
    for patient in chosen - {"p7"}:  # a chosen patient comes with all of their units
        assert sum(units[i].patient == patient for i in subset) == 3
    assert len(probe.patient_subset(units, y, 1.0, seed=0, task="binary")) == len(units)


def test_multiclass_metrics_include_quadratic_kappa():
    y = np.array([0, 1, 2, 3, 4, 4, 2])
    probabilities = np.eye(5)[[0, 1, 2, 4, 4, 3, 2]]
    result = probe.metrics("multiclass", y.astype(float), probabilities, np.arange(5.0))
    expected = cohen_kappa_score(y, [0, 1, 2, 4, 4, 3, 2], weights="quadratic")
    assert result["kappa_quadratic"] == pytest.approx(expected) and result["accuracy"] == pytest.approx(5 / 7)


@pytest.fixture(scope="module")
def fracatlas(tmp_path_factory) -> Path:
    from boneds.synth.downstream import generate_downstream

    root = tmp_path_factory.mktemp("probe") / "fracatlas"
    generate_downstream(root, "fracture", 3, size=80, image_size=96)
    return root


def test_probe_separates_informative_from_noise_features(fracatlas, monkeypatch):
    data = load_dataset("fracatlas", fracatlas)
    rng = np.random.default_rng(0)

    def informative(loaded, data_, units, task, label, *args):
        y = data_.labels(label, units)
        return np.hstack([y[:, None] + 0.1 * rng.normal(size=(len(units), 1)), rng.normal(size=(len(units), 7))])

    monkeypatch.setattr(probe, "_features", informative)
    good = probe.evaluate_probe(None, data, fractions=(0.1, 1.0), seeds=2)
    assert good["fractions"]["1.0"]["auroc"]["mean"] > 0.95
    low, high = good["fractions"]["1.0"]["auroc"]["ci95"]
    assert low <= good["fractions"]["1.0"]["auroc"]["mean"] <= high
    monkeypatch.setattr(probe, "_features", lambda loaded, data_, units, *a: rng.normal(size=(len(units), 8)))
    noise = probe.evaluate_probe(None, data, fractions=(1.0,), seeds=2)
    assert noise["fractions"]["1.0"]["auroc"]["mean"] < 0.8


def test_probe_command_end_to_end(fracatlas, tmp_path):
    from bonevlp.cli import main
    from bonevlp.models.registry import create
    from bonevlp.models.study_model import StudyCLIP, export_open_clip

    torch.manual_seed(0)
    clip, _, _ = create("tiny", None)
    model_dir = export_open_clip(StudyCLIP(clip, "mean").eval(), None, None, tmp_path / "model")
    out = tmp_path / "probe.json"
    code = main(["eval", "probe", "--model", str(model_dir), "--dataset", f"fracatlas:{fracatlas}",
                 "--fractions", "0.5,1", "--seeds", "2", "--workers", "0", "--quiet", "--out", str(out)])
    assert code == 0
    result = json.loads(out.read_text())
    assert set(result["fractions"]) == {"0.5", "1.0"} and result["label"] == "fracture"
    assert result["n_train"] + result["n_test"] == 80
    assert main(["eval", "probe", "--model", str(model_dir), "--dataset", f"fracatlas:{fracatlas}",
                 "--mode", "finetune", "--quiet"]) == 2
