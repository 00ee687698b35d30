"""`bonevlp eval probe`: label fractions drawn by patient, heads and metrics from scikit-learn, the
protocol's results on features that do or do not carry the label, the command end to end on a synthetic
FracAtlas-layout set with a tiny untrained model; fine-tuning (the loss falls and an easy set is learnt,
the loaded model is left alone, a seed gives one result, binary / multiclass / regression heads) and the
baselines (a seeded random initialisation, a local image-tower state dict)."""

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
    monkeypatch.setattr(probe, "BOOTSTRAP", 200)  # the intervals' resamples dominate the time
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


def test_probe_command_end_to_end(fracatlas, tmp_path, monkeypatch):
    from bonevlp.cli import main
    from bonevlp.models.registry import create
    from bonevlp.models.study_model import StudyCLIP, export_open_clip

    torch.manual_seed(0)
    clip, _, _ = create("tiny", None)
    model_dir = export_open_clip(StudyCLIP(clip, "mean").eval(), None, None, tmp_path / "model")
    monkeypatch.setattr(probe, "BOOTSTRAP", 200)
    out = tmp_path / "probe.json"
    code = main(["eval", "probe", "--model", str(model_dir), "--dataset", f"fracatlas:{fracatlas}",
                 "--fractions", "0.5,1", "--seeds", "2", "--workers", "0", "--quiet", "--out", str(out)])
    assert code == 0
    result = json.loads(out.read_text())
    assert set(result["fractions"]) == {"0.5", "1.0"} and result["label"] == "fracture"
    assert result["n_train"] + result["n_test"] == 80
    assert main(["eval", "probe", "--model", str(model_dir), "--dataset", f"fracatlas:{fracatlas}",
                 "--baseline", "random", "--init-image", str(tmp_path / "tower.pt"), "--quiet"]) == 2


# ------------------------------------------------------------------------------------------ fine-tuning


def _easy_images(folder: Path, values: list[float], seed: int) -> list[Path]:
    """64 px noisy gray images with a bright disc whose brightness grows with `value` (0 to 1): an easy
    signal that survives the training augmentation (crops, flips, jitter, blur)."""
    from PIL import Image

    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:64, :64]
    disc = (yy - 32) ** 2 + (xx - 32) ** 2 < 22 ** 2
    paths = []
    folder.mkdir(parents=True, exist_ok=True)
    for i, value in enumerate(values):
        pixels = rng.normal(50, 12, size=(64, 64)) + disc * (20 + 180 * value)
        path = folder / f"img{i:04d}.png"
        Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), mode="L").save(path)
        paths.append(path)
    return paths


def _easy_fracatlas(root: Path, n: int = 40) -> Path:
    """A FracAtlas-layout set where `fractured` is a bright disc (patients split 80/20 by hash)."""
    import csv

    labels = [i % 2 for i in range(n)]
    rows = []
    for label in (0, 1):
        index = [i for i in range(n) if labels[i] == label]
        folder = root / "images" / ("Fractured" if label else "Non_fractured")
        for i, path in zip(index, _easy_images(folder, [float(label)] * len(index), label), strict=True):
            name = f"IMG{i:07d}.png"
            path.rename(folder / name)
            rows.append({"image_id": name, "fractured": label, "hardware": 0})
    with (root / "dataset.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return root


@pytest.fixture(scope="module")
def easy(tmp_path_factory) -> Path:
    return _easy_fracatlas(tmp_path_factory.mktemp("easy") / "fracatlas")


@pytest.fixture()
def tiny():
    """A tiny StudyCLIP (96 px ViT), seeded, in a LoadedModel on the CPU: the 'pretrained' model."""
    from bonevlp.eval.embed import wrap_model
    from bonevlp.models.registry import create
    from bonevlp.models.study_model import StudyCLIP

    torch.manual_seed(123)
    clip, preprocess, tokenize = create("tiny", None)
    return wrap_model(StudyCLIP(clip, "mean").eval(), tokenize, preprocess, "cpu")


def _settings(**kw):
    from bonevlp.eval.finetune import FinetuneSettings

    return FinetuneSettings(**({"epochs_frozen": 2, "epochs": 3, "lr": 1e-4, "head_lr": 1e-2, "batch_size": 8,
                                "workers": 0, "max_images": 1} | kw))


def test_finetune_learns_an_easy_set_leaves_the_model_alone_and_is_seeded(easy, tiny):
    data = load_dataset("fracatlas", easy)
    before = {k: v.clone() for k, v in tiny.model.state_dict().items()}
    grads = {k: p.requires_grad for k, p in tiny.model.named_parameters()}
    result = probe.evaluate_probe(tiny, data, fractions=(1.0,), seeds=1, mode="finetune", finetune=_settings())
    assert result["mode"] == "finetune" and result["init"] == "pretrained"
    (log,) = result["training"]
    assert log["steps_frozen"] > 0 and log["steps_full"] > 0
    assert log["epoch_phase"] == ["frozen"] * 2 + ["full"] * 3
    assert log["epoch_loss"][-1] < 0.7 * log["epoch_loss"][0]
    assert result["fractions"]["1.0"]["auroc"]["mean"] > 0.9  # chance: 0.5

    after = tiny.model.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)
    assert {k: p.requires_grad for k, p in tiny.model.named_parameters()} == grads and not tiny.model.training

    again = probe.evaluate_probe(tiny, data, fractions=(1.0,), seeds=1, mode="finetune", finetune=_settings())
    assert again["fractions"] == result["fractions"] and again["training"] == result["training"]


def test_finetune_seeds_differ_and_every_head_kind_predicts(tmp_path, tiny):
    from bonevlp.eval.finetune import finetune_predict, initialise

    values = np.linspace(0, 1, 16)
    paths = _easy_images(tmp_path / "img", list(values), seed=3)
    units = [Unit(f"s{i}", (p,), {}, f"p{i}", {"sex": "M" if i % 2 else "F"}) for i, p in enumerate(paths)]
    train, test = units[::2] + units[1::4], units[3::4]
    settings = _settings(epochs_frozen=2, epochs=2, max_steps=3)  # 1 batch an epoch: 2 frozen, 1 full
    months = 12 + 200 * values
    y_train = np.array([months[int(u.study[1:])] for u in train])
    prediction, log = finetune_predict(tiny, train, y_train, test, "regression", "bone_age_months", 0, settings)
    assert prediction.shape == (len(test),) and np.all(np.abs(prediction - y_train.mean()) < 200)
    assert log["steps_frozen"] + log["steps_full"] == 3
    _, other = finetune_predict(tiny, train, y_train, test, "regression", "bone_age_months", 1, settings)
    assert other["epoch_loss"] != log["epoch_loss"]
    assert "mae" in probe.metrics("regression", months[3::4], prediction)

    grades = np.array([float(int(u.study[1:]) % 5) for u in train])
    classes = np.arange(5.0)
    prediction, _ = finetune_predict(tiny, train, grades, test, "multiclass", "kl_grade", 0, settings, classes)
    assert prediction.shape == (len(test), 5) and np.allclose(prediction.sum(axis=1), 1)
    assert set(probe.metrics("multiclass", np.arange(len(test)) % 5.0, prediction, classes)) == {
        "accuracy", "macro_f1", "kappa_quadratic"}

    random_init, _ = initialise(tiny, baseline="random")  # a baseline's encoder fine-tunes the same way
    prediction, _ = finetune_predict(random_init, train, (grades > 1).astype(float), test, "binary", "fracture", 0,
                                     settings)
    assert prediction.shape == (len(test),) and np.all((prediction >= 0) & (prediction <= 1))


def test_random_baseline_is_seeded_and_differs_from_the_weights(tiny, easy):
    from bonevlp.eval.embed import embed_image_groups
    from bonevlp.eval.finetune import initialise

    own = {k: v.clone() for k, v in tiny.model.clip.visual.state_dict().items()}
    first, info = initialise(tiny, baseline="random", seed=0)
    same, _ = initialise(tiny, baseline="random", seed=0)
    other, _ = initialise(tiny, baseline="random", seed=1)
    assert info["init"] == "random" and initialise(tiny)[0] is tiny
    state = first.model.visual.state_dict()
    assert state.keys() == own.keys() and all(state[k].shape == own[k].shape for k in own)
    matrices = [k for k in own if own[k].ndim >= 2]
    assert matrices and all(not torch.equal(state[k], own[k]) for k in matrices)
    assert all(torch.equal(state[k], v) for k, v in same.model.visual.state_dict().items())
    assert not all(torch.equal(state[k], v) for k, v in other.model.visual.state_dict().items())
    assert all(torch.equal(own[k], v) for k, v in tiny.model.clip.visual.state_dict().items())
    image = next((easy / "images" / "Fractured").iterdir())
    assert embed_image_groups(first, [[image]]).shape == (1, tiny.model.embed_dim)


def test_init_image_loads_a_saved_image_tower(tiny, tmp_path):
    from bonevlp.eval.finetune import initialise
    from bonevlp.models.registry import create

    torch.manual_seed(5)
    source, _, _ = create("tiny", None)
    torch.save(source.visual.state_dict(), tmp_path / "tower.pt")
    torch.save(source.state_dict(), tmp_path / "clip.pt")  # a whole CLIP checkpoint: its visual.* are taken
    for name in ("tower.pt", "clip.pt"):
        loaded, info = initialise(tiny, init_image=tmp_path / name)
        assert info["init"] == f"image-checkpoint:{name}"
        assert info["image_checkpoint"]["missing"] == [] and info["image_checkpoint"]["mismatched"] == []
        state = loaded.model.visual.state_dict()
        assert all(torch.equal(state[k], v) for k, v in source.visual.state_dict().items())
    torch.save({"unrelated": torch.zeros(3)}, tmp_path / "bad.pt")
    with pytest.raises(ValueError, match="no tensor"):
        initialise(tiny, init_image=tmp_path / "bad.pt")
    with pytest.raises(ValueError, match="exclude"):
        initialise(tiny, baseline="random", init_image=tmp_path / "tower.pt")


def test_finetune_and_baseline_commands_end_to_end(easy, tmp_path, monkeypatch):
    from bonevlp.cli import main
    from bonevlp.models.registry import create
    from bonevlp.models.study_model import StudyCLIP, export_open_clip

    torch.manual_seed(0)
    clip, _, _ = create("tiny", None)
    model_dir = export_open_clip(StudyCLIP(clip, "mean").eval(), None, None, tmp_path / "model")
    torch.save(clip.visual.state_dict(), tmp_path / "tower.pt")
    monkeypatch.setattr(probe, "BOOTSTRAP", 200)  # the intervals' resamples dominate the time of tiny runs
    common = ["eval", "probe", "--model", str(model_dir), "--dataset", f"fracatlas:{easy}", "--workers", "0",
              "--quiet", "--batch-size", "8", "--max-images", "1"]
    out = tmp_path / "finetune.json"
    assert main([*common, "--mode", "finetune", "--fractions", "0.5,1", "--seeds", "2", "--epochs-frozen", "1",
                 "--epochs", "1", "--max-steps", "2", "--out", str(out)]) == 0
    result = json.loads(out.read_text())
    assert result["mode"] == "finetune" and result["init"] == "pretrained"
    assert set(result["fractions"]) == {"0.5", "1.0"} and "auroc" in result["fractions"]["1.0"]
    assert len(result["fractions"]["0.5"]["auroc"]["per_seed"]) == 2
    assert [(t["fraction"], t["seed"]) for t in result["training"]] == [(0.5, 0), (0.5, 1), (1.0, 0), (1.0, 1)]
    assert all(t["steps_frozen"] + t["steps_full"] == 2 for t in result["training"])
    assert result["finetune"]["max_steps"] == 2 and result["finetune"]["max_images"] == 1

    for extra, init in ((["--baseline", "random"], "random"),
                        (["--init-image", str(tmp_path / "tower.pt")], "image-checkpoint:tower.pt")):
        out = tmp_path / f"{init.replace(':', '_')}.json"
        assert main([*common, "--fractions", "1", "--seeds", "1", *extra, "--out", str(out)]) == 0
        assert json.loads(out.read_text())["init"] == init
    assert main([*common, "--mode", "finetune", "--epochs-frozen", "0", "--epochs", "0"]) == 2
    assert main([*common, "--init-image", str(tmp_path / "absent.pt")]) == 2
