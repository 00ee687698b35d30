"""bonevlp eval: dataset adapters read the public layouts (on the synthetic downstream sets, and a
hand-written GRAZPEDWRI-DX fixture) with counts matching the generator's truth and clear errors for a
wrong path; prompt files; zero-shot and retrieval metrics equal scikit-learn's and exact ranks on
constructed cases; study pooling; and the `eval zeroshot` / `eval retrieval` commands end to end
with a tiny untrained model (exported folder and run directory)."""

from __future__ import annotations

import csv
import io
import json
import math
import tarfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
import torch.nn.functional as F  # noqa: N812 - the usual name
from PIL import Image
from sklearn.metrics import accuracy_score, roc_auc_score, top_k_accuracy_score

from boneds.synth.downstream import generate_downstream
from bonevlp.data.augment import eval_transform
from bonevlp.data.text import report_to_caption
from bonevlp.eval.cli import add_eval_parser, main, run_eval
from bonevlp.eval.datasets import DatasetLayoutError, load_dataset, parse_dataset_spec
from bonevlp.eval.embed import LoadedModel, embed_image_groups, embed_texts, load_model, wrap_model
from bonevlp.eval.prompts import load_prompts, parse_prompts
from bonevlp.eval.results import format_table, write_results
from bonevlp.eval.retrieval import recall_at_k, retrieval_metrics, true_match_ranks
from bonevlp.eval.zeroshot import (
    ZeroShotNotApplicableError,
    binary_metrics,
    class_embeddings,
    class_probabilities,
    evaluate_zeroshot,
    multiclass_metrics,
)
from bonevlp.models.registry import create
from bonevlp.models.study_model import StudyCLIP, export_open_clip

SIZES = {"fracture": 24, "abnormality": 14, "boneage": 8, "kl": 20}
IMAGE_SIZE = 64


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def downstream(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("downstream")
    return {task: (generate_downstream(root / task, task, 5, size=size, image_size=IMAGE_SIZE), root / task)[1]
            for task, size in SIZES.items()}


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> dict:
    """A tiny untrained StudyCLIP (open_clip's bundled tokenizer), exported."""
    torch.manual_seed(0)
    clip, preprocess, tokenize = create("tiny", None)
    model = StudyCLIP(clip, "mean").eval()
    out = export_open_clip(model, None, None, tmp_path_factory.mktemp("model") / "export")
    return {"model": model, "preprocess": preprocess, "tokenize": tokenize, "export": out}


def _csv(path: Path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


# --- adapters on the synthetic downstream layouts -----------------------------------------------------------

def test_fracatlas_adapter_matches_the_generated_truth(downstream):
    rows = _csv(downstream["fracture"] / "dataset.csv")
    data = load_dataset("fracatlas", downstream["fracture"])
    assert len(data) == len(rows) == SIZES["fracture"]
    assert len(data.units()) == len(rows)  # one image per unit
    by_id = {row["image_id"]: row for row in rows}
    for item in data:
        row = by_id[item.path.name]
        assert item.labels == {"fracture": float(row["fractured"]), "hardware": float(row["hardware"])}
        assert item.path.parent.name == ("Fractured" if row["fractured"] == "1" else "Non_fractured")
        assert item.extra["region"] in {"hand", "leg", "hip", "shoulder"} and item.path.is_file()
    summary = data.summary()
    assert summary["fracture_positive"] == sum(row["fractured"] == "1" for row in rows)
    assert summary["hardware_positive"] == sum(row["hardware"] == "1" for row in rows)
    assert data.primary == "fracture" and data.tasks == {"fracture": "binary", "hardware": "binary"}


def test_mura_adapter_groups_images_by_study_with_the_study_label(downstream):
    root = downstream["abnormality"] / "MURA-v1.1"
    truth = {}
    images = 0
    for split in ("train", "valid"):
        for line in (root / f"{split}_labeled_studies.csv").read_text().splitlines():
            study, label = line.rsplit(",", 1)
            truth[study] = (float(label), split)
        images += len((root / f"{split}_image_paths.csv").read_text().splitlines())
    for path in (downstream["abnormality"], root):  # the folder above MURA-v1.1, or MURA-v1.1 itself
        data = load_dataset("mura", path)
        units = data.units()
        assert len(units) == len(truth) == SIZES["abnormality"] and len(data) == images
        for unit in units:
            assert (unit.labels["abnormality"], unit.extra["split"]) == truth[unit.study]
            assert all(p.parent.name + "/" == unit.study.rsplit("/", 2)[-2] + "/" for p in unit.paths)
            assert unit.patient in unit.study and unit.extra["body_part"].startswith("XR_")
    valid = load_dataset("mura", root, split="valid")
    assert {u.study for u in valid.units()} == {s for s, (_, split) in truth.items() if split == "valid"}
    assert data.summary()["abnormality_positive"] == sum(label for label, _ in truth.values())
    with pytest.raises(ValueError, match="splits: train, valid"):
        load_dataset("mura", root, split="test")


def test_rsna_boneage_and_knee_kl_adapters(downstream):
    rows = _csv(downstream["boneage"] / "boneage-training-dataset.csv")
    data = load_dataset("rsna-boneage", downstream["boneage"])
    assert len(data) == len(rows) == SIZES["boneage"]
    truth = {row["id"]: (float(row["boneage"]), "M" if row["male"] == "True" else "F") for row in rows}
    assert {i.path.stem: (i.labels["bone_age_months"], i.extra["sex"]) for i in data} == truth
    assert data.tasks == {"bone_age_months": "regression"}

    kl = load_dataset("knee-kl", downstream["kl"])
    files = sorted(downstream["kl"].glob("*/*/*.png"))
    assert len(kl) == len(files) == SIZES["kl"]
    assert sorted((i.extra["split"], int(i.labels["kl_grade"]), i.path.name) for i in kl) == sorted(
        (f.parent.parent.name, int(f.parent.name), f.name) for f in files)
    counts = kl.summary()["kl_grade_counts"]
    assert counts == {g: sum(f.parent.name == g for f in files) for g in "01234"}
    test = load_dataset("knee-kl", downstream["kl"], split="test")
    assert len(test) == sum(f.parent.parent.name == "test" for f in files)
    assert set(kl.splits) <= {"train", "val", "test"}


def _grazpedwri(root: Path) -> Path:
    """A three-patient GRAZPEDWRI-DX copy: dataset.csv, images/, YOLO labels (class 3 = fracture)."""
    header = ["patient_id", "filestem", "timehash", "diagnosis_uncertain", "gender", "age", "laterality",
              "projection", "ao_classification", "metal", "pcast", "fracture_visible", "cast", "osteopenia"]
    rows = [
        ["0001", "0001_1297860395_01_WRI-L1_M014", "1297860395", "", "M", "14.2", "L", "1", "23r-M/2.1", "", "",
         "1", "", ""],
        ["0001", "0001_1297860395_02_WRI-L2_M014", "1297860395", "", "M", "14.2", "L", "2", "23r-M/2.1", "", "",
         "1", "", ""],
        ["0002", "0002_0354485735_01_WRI-R1_F010", "0354485735", "1", "F", "10.5", "R", "1", "", "", "",
         "", "1", ""],
        ["0003", "0003_0662359165_01_WRI-R1_M011", "0662359165", "", "M", "11.0", "R", "1", "", "1", "",
         "", "", "1"],
    ]
    (root / "images").mkdir(parents=True)
    labels = root / "folder_structure" / "yolov5" / "labels"
    labels.mkdir(parents=True)
    with (root / "dataset.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    for index, row in enumerate(rows):
        Image.fromarray(np.full((40, 30), 60 + 40 * index, np.uint8), "L").save(root / "images" / f"{row[1]}.png")
        boxes = ["3 0.5 0.5 0.1 0.1", "8 0.1 0.1 0.05 0.05"] if row[11] == "1" else ["8 0.1 0.1 0.05 0.05"]
        (labels / f"{row[1]}.txt").write_text("\n".join(boxes) + "\n")
    return root


def test_grazpedwri_adapter_reads_dataset_csv_images_and_yolo_labels(tmp_path):
    data = load_dataset("grazpedwri", _grazpedwri(tmp_path / "GRAZPEDWRI-DX"))
    assert len(data) == len(data.units()) == 4
    assert [i.labels["fracture"] for i in data] == [1.0, 1.0, 0.0, 0.0]  # empty fracture_visible is 0
    assert [i.labels["cast"] for i in data] == [0.0, 0.0, 1.0, 0.0]
    assert [i.labels["metal"] for i in data] == [0.0, 0.0, 0.0, 1.0]
    assert [i.extra["fracture_boxes"] for i in data] == [1, 1, 0, 0]
    assert [i.extra["sex"] for i in data] == ["M", "M", "F", "M"]
    assert [i.patient for i in data] == ["0001", "0001", "0002", "0003"]
    summary = data.summary()
    assert (summary["patients"], summary["fracture_positive"]) == (3, 2)
    assert load_dataset("grazpedwri", tmp_path).summary()["images"] == 4  # the folder above it works too


@pytest.mark.parametrize("kind, task, expected", [
    ("fracatlas", "abnormality", "FracAtlas: PATH/dataset.csv"),
    ("mura", "fracture", "MURA v1.1: PATH/MURA-v1.1/"),
    ("grazpedwri", "kl", "GRAZPEDWRI-DX: PATH/dataset.csv"),
    ("rsna-boneage", "fracture", "RSNA Bone Age: PATH/boneage-training-dataset.csv"),
    ("knee-kl", "boneage", "knee KL folders: PATH/<split>/<grade>/"),
])
def test_a_path_without_the_layout_raises_an_error_naming_the_layout(downstream, kind, task, expected):
    with pytest.raises(DatasetLayoutError, match=f"does not have the {kind} layout") as error:
        load_dataset(kind, downstream[task])
    assert expected in str(error.value)
    with pytest.raises(DatasetLayoutError, match="does not exist"):
        load_dataset(kind, downstream[task] / "nowhere")


def test_missing_or_misfiled_images_and_bad_specs_are_reported(downstream, tmp_path):
    import shutil

    copy = tmp_path / "fracatlas"
    shutil.copytree(downstream["fracture"], copy)
    first = next((copy / "images" / "Non_fractured").iterdir())
    first.rename(copy / "images" / "Fractured" / first.name)
    with pytest.raises(DatasetLayoutError, match=f"{first.name} is labelled fractured=0"):
        load_dataset("fracatlas", copy)
    (copy / "images" / "Fractured" / first.name).unlink()
    with pytest.raises(DatasetLayoutError, match="1 of 24 listed images are missing"):
        load_dataset("fracatlas", copy)
    assert parse_dataset_spec("mura:/data/MURA") == ("mura", Path("/data/MURA"))
    with pytest.raises(ValueError, match="KIND:PATH"):
        parse_dataset_spec("/data/MURA")
    with pytest.raises(ValueError, match="unknown dataset kind 'chexpert'"):
        load_dataset("chexpert", copy)


# --- prompts ------------------------------------------------------------------------------------------------

def test_packaged_prompts_and_prompt_file_checks(tmp_path):
    book = load_prompts()
    assert book.language == "fr"
    fracture = book.get("fracture")
    assert fracture.kind == "binary" and "Pas de fracture." in fracture.negative and fracture.positive
    assert book.get("kl_grade").classes == ("0", "1", "2", "3", "4")
    assert {"abnormality", "hardware"} <= set(book.labels)
    path = tmp_path / "p.json"
    path.write_text(json.dumps({"labels": {"fracture": {"positive": ["Fracture."], "negative": ["Normal."]}}}))
    assert load_prompts(path).get("fracture").positive == ("Fracture.",)
    with pytest.raises(KeyError, match="no prompts for label 'kl_grade'"):
        load_prompts(path).get("kl_grade")
    with pytest.raises(ValueError, match="negative: a non-empty list"):
        parse_prompts({"labels": {"fracture": {"positive": ["Fracture."], "negative": []}}})
    with pytest.raises(ValueError, match="at least two class values"):
        parse_prompts({"labels": {"kl": {"type": "multiclass", "classes": {"0": ["a"]}}}})


# --- metrics on hand-made cases -----------------------------------------------------------------------------

def test_binary_and_multiclass_metrics_equal_scikit_learn():
    y = np.array([0, 0, 1, 1, 1, 0])
    p = np.array([0.1, 0.6, 0.7, 0.4, 0.9, 0.3])
    metrics = binary_metrics(y, p)
    assert metrics["auroc"] == pytest.approx(8 / 9) == roc_auc_score(y, p)  # 8 of 9 pairs in order
    assert metrics["accuracy"] == pytest.approx(4 / 6) == accuracy_score(y, p >= 0.5)
    assert (metrics["n"], metrics["positives"]) == (6, 3)
    assert binary_metrics(np.ones(3), np.array([0.2, 0.6, 0.9]))["auroc"] is None  # undefined, not NaN

    rng = np.random.default_rng(0)
    y = np.array([0, 1, 2, 3, 4, 0, 1, 2, 3, 4, 2, 2])
    logits = rng.normal(size=(12, 5)) + 2.0 * np.eye(5)[y]
    probs = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    classes = ("0", "1", "2", "3", "4")
    metrics = multiclass_metrics(y, probs, classes)
    assert metrics["accuracy"] == pytest.approx(accuracy_score(y, probs.argmax(1)))
    assert metrics["auroc"] == pytest.approx(roc_auc_score(y, probs, multi_class="ovr", average="macro"))
    for c in range(5):
        assert metrics["per_class"][str(c)]["auroc"] == pytest.approx(roc_auc_score(y == c, probs[:, c]))
    absent = y != 4  # a grade absent: the macro AUROC is the mean over the grades present
    metrics = multiclass_metrics(y[absent], probs[absent], classes)
    assert metrics["per_class"]["4"]["auroc"] is None
    assert metrics["auroc"] == pytest.approx(np.mean([roc_auc_score(y[absent] == c, probs[absent, c])
                                                      for c in range(4)]))


def test_chexzero_softmax_over_positive_and_negative_prompts():
    image = torch.tensor([[1.0, 0.0], [0.0, 1.0], [math.sqrt(0.5), math.sqrt(0.5)]])
    classes = torch.tensor([[1.0, 0.0], [0.0, 1.0]])  # positive, negative
    probs = class_probabilities(image, classes, 10.0)
    assert probs[:, 0] == pytest.approx([1 / (1 + math.exp(-10)), 1 / (1 + math.exp(10)), 0.5])
    assert probs.sum(1) == pytest.approx([1, 1, 1])


def test_retrieval_ranks_and_recalls_are_exact_on_constructed_cases():
    embeddings = F.normalize(torch.randn(20, 8, generator=torch.Generator().manual_seed(1)), dim=-1)
    same = retrieval_metrics(embeddings, embeddings)  # identical pairs: every true match ranks first
    assert same["n"] == 20 and same["image_to_text_R@1"] == same["text_to_image_R@1"] == 1.0
    assert same["image_to_text_median_rank"] == same["text_to_image_median_rank"] == 1.0
    assert same["chance_R@5"] == 5 / 20

    # a cyclic shift by s: the true report of study i is ranked s+1 (similarity decreasing with distance)
    n, s = 12, 3
    similarity = np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            similarity[i, j] = -((j - i - s) % n)  # report i+s is the best, then i+s+1, ...
    ranks = true_match_ranks(similarity)
    assert list(ranks) == [n - s + 1] * n
    for k in (1, 5, 9, 10, 11):
        assert recall_at_k(similarity, k) == (1.0 if k >= n - s + 1 else 0.0)
        assert recall_at_k(similarity, k) == top_k_accuracy_score(np.arange(n), similarity, k=k, labels=np.arange(n))

    # ranks 1..n on the diagonal, with ties: scikit-learn's order (higher index first among equals)
    rng = np.random.default_rng(2)
    similarity = rng.integers(0, 4, size=(30, 30)).astype(float)
    ranks = true_match_ranks(similarity)
    for k in (1, 5, 10):
        assert recall_at_k(similarity, k) == pytest.approx((ranks <= k).mean())
        assert recall_at_k(similarity, k) == pytest.approx(
            top_k_accuracy_score(np.arange(30), similarity, k=k, labels=np.arange(30)))
    order = np.argsort(similarity, axis=1, kind="mergesort")[:, ::-1]
    assert list(ranks) == [int(np.where(order[i] == i)[0][0]) + 1 for i in range(30)]
    # two candidates only: counted from the ranks
    assert recall_at_k(np.array([[0.0, 1.0], [0.0, 1.0]]), 1) == 0.5


# --- embeddings and zero-shot glue --------------------------------------------------------------------------

def test_studies_are_pooled_as_the_model_pools(tiny, downstream):
    loaded = wrap_model(tiny["model"], tiny["tokenize"], tiny["preprocess"])
    data = load_dataset("mura", downstream["abnormality"])
    study = max(data.units(), key=lambda u: len(u.paths))
    assert len(study.paths) >= 2
    transform = eval_transform(loaded.image_size, loaded.mean, loaded.std)
    images = torch.stack([transform(Image.open(p)) for p in study.paths])
    with torch.no_grad():
        expected = F.normalize(tiny["model"].encode_images(images).mean(0), dim=-1)
        first = F.normalize(tiny["model"].encode_images(images[:1])[0], dim=-1)
    pooled = embed_image_groups(loaded, [study.paths, study.paths, study.paths[:1]], batch_size=2)
    assert torch.allclose(pooled[0], expected, atol=1e-5) and torch.allclose(pooled[1], expected, atol=1e-5)
    assert torch.allclose(embed_image_groups(loaded, [study.paths], max_images=1)[0], first, atol=1e-5)
    assert torch.allclose(pooled[2], first, atol=1e-5)
    texts = embed_texts(loaded, ["Fracture.", "Pas de fracture."], batch_size=1)
    assert texts.shape == (2, tiny["model"].embed_dim) and torch.allclose(texts.norm(dim=-1), torch.ones(2))


class _PromptOracle(torch.nn.Module):
    """Stands in for a model that knows: a positive prompt embeds as e0, a negative one as e1."""

    embed_dim = 2
    pool = None

    def encode_text(self, tokens: torch.Tensor) -> torch.Tensor:
        return F.one_hot(tokens[:, 0], 2).float()

    def logit_scale(self) -> torch.Tensor:
        return torch.tensor(20.0)


def test_zeroshot_scores_line_up_with_the_labels(downstream, tmp_path):
    prompts = load_prompts()
    negatives = set(prompts.get("fracture").negative)
    loaded = LoadedModel(_PromptOracle(), lambda texts: torch.tensor([[int(t in negatives)] for t in texts]),
                         IMAGE_SIZE, (0.5,), (0.5,), torch.device("cpu"), "<oracle>")
    data = load_dataset("fracatlas", downstream["fracture"])
    y = data.labels("fracture")
    images = torch.stack([torch.tensor([1.0, 0.0]) if label else torch.tensor([0.0, 1.0]) for label in y])
    result = evaluate_zeroshot(loaded, data, prompts, image_embeddings=images, scores_csv=tmp_path / "s.csv")
    assert (result["auroc"], result["accuracy"], result["n"], result["positives"]) == (1.0, 1.0, len(y), y.sum())
    rows = _csv(tmp_path / "s.csv")
    assert [float(r["p_fracture"]) > 0.5 for r in rows] == [bool(v) for v in y]
    assert [r["study"] for r in rows] == [u.study for u in data.units()]
    flipped = evaluate_zeroshot(loaded, data, prompts, image_embeddings=images.flip(1))
    assert (flipped["auroc"], flipped["accuracy"]) == (0.0, 0.0)


def test_zeroshot_refuses_bone_age_and_mismatched_prompts(tiny, downstream):
    loaded = wrap_model(tiny["model"], tiny["tokenize"], tiny["preprocess"])
    with pytest.raises(ZeroShotNotApplicableError, match="not meaningful for bone_age_months"):
        evaluate_zeroshot(loaded, load_dataset("rsna-boneage", downstream["boneage"]), load_prompts())
    kl = load_dataset("knee-kl", downstream["kl"])
    book = parse_prompts({"labels": {"kl_grade": {"type": "multiclass", "classes": {"0": ["a"], "1": ["b"]}}}})
    with pytest.raises(ValueError, match=r"prompts for classes \['0', '1'\]"):
        evaluate_zeroshot(loaded, kl, book)
    embedded = class_embeddings(loaded, load_prompts().get("kl_grade"))
    assert embedded.shape == (5, tiny["model"].embed_dim)
    assert torch.allclose(embedded.norm(dim=-1), torch.ones(5), atol=1e-5)


# --- the commands end to end --------------------------------------------------------------------------------

def test_eval_zeroshot_command_on_synthetic_sets(tiny, downstream, tmp_path, capsys):
    model = str(tiny["export"])
    out = tmp_path / "fracture.json"
    assert main(["eval", "zeroshot", "--model", model, "--dataset", f"fracatlas:{downstream['fracture']}",
                 "--labels", "fracture,hardware", "--workers", "0", "--quiet", "--out", str(out)]) == 0
    result = json.loads(out.read_text())
    assert result["n"] == SIZES["fracture"] and result["dataset"] == "fracatlas"
    assert set(result["per_class"]) == {"fracture", "hardware"}
    assert 0.0 <= result["auroc"] <= 1.0 and 0.0 <= result["accuracy"] <= 1.0
    printed = capsys.readouterr().out
    assert "bonevlp eval zeroshot" in printed and "hardware" in printed

    out = tmp_path / "mura.json"
    assert main(["eval", "zeroshot", "--model", model, "--dataset", f"mura:{downstream['abnormality']}",
                 "--workers", "0", "--quiet", "--out", str(out)]) == 0
    result = json.loads(out.read_text())
    data = load_dataset("mura", downstream["abnormality"])
    assert (result["n"], result["n_images"]) == (SIZES["abnormality"], len(data))  # studies, pooled
    assert result["positives"] == data.summary()["abnormality_positive"]

    out = tmp_path / "kl.json"
    assert main(["eval", "zeroshot", "--model", model, "--dataset", f"knee-kl:{downstream['kl']}",
                 "--workers", "0", "--quiet", "--out", str(out)]) == 0
    result = json.loads(out.read_text())
    assert set(result["per_class"]) == {"0", "1", "2", "3", "4"} and result["n"] == SIZES["kl"]
    assert "auroc" in result and "accuracy" in result

    assert main(["eval", "zeroshot", "--model", model, "--dataset", f"rsna-boneage:{downstream['boneage']}",
                 "--quiet"]) == 2
    assert main(["eval", "zeroshot", "--model", model, "--dataset", f"mura:{downstream['kl']}", "--quiet"]) == 2
    errors = capsys.readouterr().err
    assert "not meaningful for bone_age_months" in errors and "does not have the mura layout" in errors


def _jpeg(value: int, size: tuple[int, int] = (48, 40)) -> bytes:
    pixels = (np.add.outer(np.arange(size[1]), np.arange(size[0])) * value) % 256
    buffer = io.BytesIO()
    Image.fromarray(pixels.astype(np.uint8), "L").save(buffer, "JPEG", quality=95)
    return buffer.getvalue()


REPORTS = [
    "Examen : radiographie du poignet gauche.\nRésultat : Fracture déplacée du radius distal.\nConclusion : "
    "Fracture.",
    "Examen : radiographie du genou.\nRésultat : Pincement de l'interligne fémoro-tibial interne.",
    "Examen : radiographie de la cheville.\nRésultat : Pas de fracture. Pas de luxation.",
    "Examen : radiographie de l'épaule droite.\nRésultat : Prothèse totale en place.",
]


def _shards(root: Path, studies: int = 12) -> dict:
    """A study-layout shard set (docs/shard-format.md) written by hand: 2 shards, 1-3 images a study, half
    the patients in the validation buckets (val_fraction 0.5)."""
    rows, sizes, samples = [], {}, {}
    (root / "shards").mkdir(parents=True)
    for index in range(studies):
        key = f"PAT{index:09d}_STU{index:09d}"
        shard = f"bone-{index % 2:06d}.tar"
        images = 1 + index % 3
        report = REPORTS[index % len(REPORTS)] + f"\nRésultat : lésion numéro {index}."
        members = {"txt": report.encode(), "json": json.dumps({"sex": "F"}).encode()}
        members.update({f"{n}.jpg": _jpeg(index * 3 + n + 1) for n in range(images)})
        samples.setdefault(shard, []).append((key, members))
        rows.append({"key": key, "patient": key.split("_")[0], "shard": shard, "images": images,
                     "body_part": "WRIST", "modality": "DX", "split_bucket": 10 if index % 2 else 70})
    for shard, items in samples.items():
        with tarfile.open(root / "shards" / shard, "w", format=tarfile.USTAR_FORMAT) as tar:
            for key, members in items:
                for field, payload in members.items():
                    info = tarfile.TarInfo(f"{key}.{field}")
                    info.size = len(payload)
                    tar.addfile(info, io.BytesIO(payload))
        sizes[shard] = len(items)
    (root / "sizes.json").write_text(json.dumps(sizes))
    pd.DataFrame(rows).to_parquet(root / "manifest.parquet")
    return {row["key"]: (samples[row["shard"]], row) for row in rows}


def test_eval_retrieval_command_on_handwritten_shards(tiny, tmp_path, capsys):
    shards = tmp_path / "out"
    written = _shards(shards)
    val = {key for key, (_, row) in written.items() if row["split_bucket"] < 50}
    out = tmp_path / "retrieval.json"
    assert main(["eval", "retrieval", "--model", str(tiny["export"]), "--data", str(shards), "--split", "val",
                 "--val-fraction", "0.5", "--max-images", "2", "--batch-size", "4", "--workers", "0", "--quiet",
                 "--out", str(out)]) == 0
    result = json.loads(out.read_text())
    assert result["n"] == len(val) == 6
    for direction in ("image_to_text", "text_to_image"):
        assert [result[f"{direction}_R@{k}"] for k in (1, 5, 10)] == sorted(result[f"{direction}_R@{k}"]
                                                                         for k in (1, 5, 10))
        assert result[f"{direction}_R@10"] == 1.0  # k >= n
        assert 1 <= result[f"{direction}_median_rank"] <= 6
    assert result["chance_R@1"] == pytest.approx(1 / 6)
    assert "study -> report" in capsys.readouterr().out

    # what the command ranked: each validation study pooled over its first 2 images, with its caption
    from bonevlp.eval.retrieval import embed_validation

    loaded = wrap_model(tiny["model"], tiny["tokenize"], tiny["preprocess"])
    embedded = embed_validation(loaded, str(shards), val_fraction=0.5, batch_size=4, max_images=2)
    assert set(embedded["keys"]) == val
    transform = eval_transform(loaded.image_size, loaded.mean, loaded.std)
    for row, key in enumerate(embedded["keys"]):
        members = dict(next(m for k, m in written[key][0] if k == key))
        assert embedded["captions"][row] == report_to_caption(members["txt"].decode())
        images = torch.stack([transform(Image.open(io.BytesIO(members[f"{n}.jpg"])))
                              for n in range(min(2, written[key][1]["images"]))])
        with torch.no_grad():
            expected = F.normalize(tiny["model"].encode_images(images).mean(0), dim=-1)
            text = tiny["model"].encode_text(tiny["tokenize"]([embedded["captions"][row]]))[0]
        assert torch.allclose(embedded["images"][row], expected, atol=1e-5)
        assert torch.allclose(embedded["texts"][row], text, atol=1e-5)
    metrics = retrieval_metrics(embedded["images"], embedded["texts"])
    assert {k: metrics[k] for k in metrics} == {k: result[k] for k in metrics}


def test_a_run_directory_loads_with_its_settings(tiny, tmp_path):
    from bonevlp.train.config import TrainConfig
    from bonevlp.train.loop import build_model

    run = tmp_path / "run"
    config = TrainConfig(data="unused", out=str(run), model="tiny", tokenizer="openclip", val_fraction=0.5,
                         max_image_index=2)
    (run / "checkpoints").mkdir(parents=True)
    (run / "config.json").write_text(config.to_json())
    model, _, _ = build_model(config, None)
    model.load_state_dict(tiny["model"].state_dict())
    torch.save({"model": model.state_dict()}, run / "checkpoints" / "latest.pt")
    from_run, from_export = load_model(run, "cpu"), load_model(tiny["export"], "cpu")
    assert from_run.run_config["val_fraction"] == 0.5 and from_export.run_config is None
    texts = ["Fracture du radius.", "Pas de fracture."]
    assert torch.allclose(embed_texts(from_run, texts), embed_texts(from_export, texts), atol=1e-5)
    assert from_run.logit_scale() == pytest.approx(from_export.logit_scale())
    with pytest.raises(FileNotFoundError, match="neither a run directory"):
        load_model(tmp_path, "cpu")


def test_results_json_and_table(tmp_path):
    result = {"task": "zeroshot", "dataset": "knee-kl", "n": 3, "auroc": float("nan"), "accuracy": np.float64(0.5),
              "per_class": {"0": {"auroc": None, "n": 1}, "1": {"auroc": 0.75, "n": 2}}}
    data = json.loads(write_results(result, tmp_path / "a" / "r.json").read_text())
    assert data["auroc"] is None and data["accuracy"] == 0.5
    table = format_table(result)
    assert "accuracy" in table and "0.7500" in table and "n/a" in table


def test_eval_parser_leaves_room_for_other_tasks():
    import argparse

    parser = argparse.ArgumentParser(prog="bonevlp")
    add_eval_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["eval", "retrieval", "--model", "m", "--data", "d"])
    assert (args.command, args.eval_task, args.split, args.val_fraction) == ("eval", "retrieval", "val", None)
    args.eval_task = "segmentation"  # no such task: refused with exit 2
    assert run_eval(args) == 2
