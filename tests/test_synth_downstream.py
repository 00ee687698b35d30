"""`boneds synth-downstream`: labelled sets in the layouts of FracAtlas, MURA, RSNA Bone Age and
the knee KL folders, with labels that match what is drawn."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from boneds.cli import main as boneds_main
from helpers import read_csv


def _run(tmp_path, task, size, seed=3):
    out = tmp_path / task
    assert boneds_main(["synth-downstream", str(out), "--task", task, "--seed", str(seed), "--size", str(size),
                        "--image-size", "128"]) == 0
    return out


def test_fracatlas_layout(tmp_path):
    out = _run(tmp_path, "fracture", 20)
    rows = read_csv(out / "dataset.csv")
    assert len(rows) == 20
    assert {"image_id", "hand", "leg", "hip", "shoulder", "hardware", "fractured"} <= set(rows[0])
    for row in rows:
        folder = "Fractured" if row["fractured"] == "1" else "Non_fractured"
        image = Image.open(out / "images" / folder / row["image_id"])
        assert image.mode == "L" and max(image.size) == 128
        assert sum(int(row[g]) for g in ("hand", "leg", "hip", "shoulder")) == 1
    assert {row["fractured"] for row in rows} == {"0", "1"}


def test_mura_layout(tmp_path):
    out = _run(tmp_path, "abnormality", 16) / "MURA-v1.1"
    studies = []
    for split in ("train", "valid"):
        for line in (out / f"{split}_labeled_studies.csv").read_text().splitlines():
            path, label = line.rsplit(",", 1)
            assert path.startswith(f"MURA-v1.1/{split}/XR_") and path.endswith("/")
            assert path.rstrip("/").endswith("_positive" if label == "1" else "_negative")
            studies.append(path)
        for line in (out / f"{split}_image_paths.csv").read_text().splitlines():
            assert (out.parent / line).is_file() and line.endswith(".png")
    assert len(studies) == 16 and len(set(studies)) == 16


def test_rsna_boneage_layout_and_labels_follow_age(tmp_path):
    out = _run(tmp_path, "boneage", 24)
    rows = read_csv(out / "boneage-training-dataset.csv")
    assert list(rows[0]) == ["id", "boneage", "male"]
    ages = np.array([int(r["boneage"]) for r in rows])
    assert ages.min() >= 12 and ages.max() <= 18 * 12
    bright = [np.asarray(Image.open(out / "boneage-training-dataset" / f"{r['id']}.png")).mean() for r in rows]
    assert all(b > 0 for b in bright)
    assert {r["male"] for r in rows} == {"True", "False"}


def test_knee_kl_layout(tmp_path):
    out = _run(tmp_path, "kl", 30)
    found = {(p.parent.parent.name, p.parent.name) for p in out.rglob("*.png")}
    assert {split for split, _ in found} <= {"train", "val", "test"}
    assert {grade for _, grade in found} == {"0", "1", "2", "3", "4"}
    assert len(list(out.rglob("*.png"))) == 30


def test_same_seed_same_bytes(tmp_path):
    a = _run(tmp_path / "a", "kl", 6)
    b = _run(tmp_path / "b", "kl", 6)
    files_a = sorted(p.relative_to(a) for p in a.rglob("*.png"))
    assert files_a == sorted(p.relative_to(b) for p in b.rglob("*.png"))
    assert all((a / f).read_bytes() == (b / f).read_bytes() for f in files_a)


def test_refuses_non_empty_output(tmp_path):
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "f").write_text("keep")
    assert boneds_main(["synth-downstream", str(tmp_path / "x"), "--task", "kl"]) == 2


@pytest.mark.parametrize("task", ["fracture", "abnormality", "boneage", "kl"])
def test_cli_prints_a_summary(tmp_path, capsys, task):
    _run(tmp_path, task, 4)
    assert "layout" in capsys.readouterr().out
