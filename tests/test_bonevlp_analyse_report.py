"""bonevlp eval analyse and bonevlp report: the latent-space numbers on constructed embeddings
(alignment 0 for identical pairs, uniformity 0 for collapsed points, the modality gap of known
centroids, leave-one-out kNN equal to scikit-learn's LeaveOneOut cross-validation and never counting a
point as its own neighbour), valid PNG figures, the `analyse` table, an HTML page that embeds its images,
loads nothing from outside and escapes every string, and both commands end to end on the `small_build`
shards with a tiny model trained for two steps."""

from __future__ import annotations

import base64
import io
import json
import math
import re
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F  # noqa: N812 - the usual name
from PIL import Image
from sklearn.model_selection import LeaveOneOut, cross_val_predict
from sklearn.neighbors import KNeighborsClassifier

from bonevlp.cli import main
from bonevlp.eval.analyse import (
    alignment,
    analyse_embeddings,
    knn_accuracy,
    modality_gap,
    project,
    scatter_png,
    uniformity,
)
from bonevlp.eval.results import format_table
from bonevlp.report import build_report, find_results, read_metrics

pytestmark = [pytest.mark.filterwarnings("ignore::UserWarning"), pytest.mark.usefixtures("one_torch_thread")]
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
DATA_URI = re.compile(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"')




def _unit(rows: int, dim: int, seed: int) -> torch.Tensor:
    return F.normalize(torch.randn(rows, dim, generator=torch.Generator().manual_seed(seed)), dim=-1)


def _clusters(per_class: int = 10, dim: int = 16, seed: int = 0) -> tuple[np.ndarray, list[str]]:
    """Three tight clusters around orthogonal directions."""
    rng = np.random.default_rng(seed)
    centres = np.eye(dim)[:3] * 10.0
    points = np.vstack([centre + rng.normal(scale=0.1, size=(per_class, dim)) for centre in centres])
    return points, [name for name in ("KNEE", "WRIST", "ANKLE") for _ in range(per_class)]


def _assert_png(path: Path) -> None:
    data = Path(path).read_bytes()
    assert data.startswith(PNG_MAGIC), path
    with Image.open(io.BytesIO(data)) as image:
        image.verify()
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "PNG" and min(image.size) >= 100


# --- the numbers --------------------------------------------------------------------------------------------

def test_alignment_is_zero_for_identical_pairs_and_grows_as_they_part():
    x = _unit(50, 32, 0)
    assert alignment(x, x) == pytest.approx(0.0, abs=1e-6)
    assert alignment(x, 3.0 * x) == pytest.approx(0.0, abs=1e-6)  # measured after L2 normalisation
    assert alignment(x, -x) == pytest.approx(4.0)
    random_pairs = alignment(x, _unit(50, 32, 1))
    assert 1.0 < random_pairs < 3.0  # about 2 for independent directions
    noisy = alignment(x, F.normalize(x + 0.1 * _unit(50, 32, 2), dim=-1))
    assert 0.0 < noisy < random_pairs
    with pytest.raises(ValueError, match="paired"):
        alignment(x, x[:10])


def test_uniformity_is_zero_when_collapsed_and_negative_when_spread(monkeypatch):
    collapsed = torch.ones(20, 8)
    assert uniformity(collapsed) == pytest.approx(0.0, abs=1e-9)
    spread = _unit(200, 8, 3)
    value = uniformity(spread)
    assert value < -2.0  # random directions spread over the sphere
    # Wang & Isola's reference implementation
    reference = torch.pdist(spread.double(), p=2).pow(2).mul(-2).exp().mean().log().item()
    assert value == pytest.approx(reference, rel=1e-6)
    assert uniformity(F.normalize(spread + 3.0, dim=-1)) > value  # squeezed into a cap: less uniform
    monkeypatch.setattr("bonevlp.eval.analyse._CHUNK", 7)  # computed by blocks of rows: the same value
    assert uniformity(spread) == pytest.approx(value, rel=1e-9)
    assert uniformity(spread[:1]) is None


def test_modality_gap_and_matched_cosines_on_known_centroids():
    x = _unit(30, 16, 4)
    same = modality_gap(x, x)
    assert same["modality_gap"] == pytest.approx(0.0, abs=1e-6) and same["matched_cosine"] == pytest.approx(1.0)
    images = torch.tensor([[1.0, 0.0, 0.0]] * 4)
    texts = torch.tensor([[0.0, 1.0, 0.0]] * 4)
    gap = modality_gap(images, texts)
    assert gap["modality_gap"] == pytest.approx(math.sqrt(2))
    assert gap["matched_cosine"] == pytest.approx(0.0) and gap["unmatched_cosine"] == pytest.approx(0.0)
    # matched pairs closer than the others
    paired = modality_gap(x, F.normalize(x + 0.2 * _unit(30, 16, 5), dim=-1))
    assert paired["matched_cosine"] > 0.9 > abs(paired["unmatched_cosine"]) + 0.5


def test_knn_accuracy_is_leave_one_out_with_scikit_learn():
    points, labels = _clusters()
    result = knn_accuracy(points, labels)
    assert result["accuracy"] == 1.0 and result["n"] == 30 and result["k"] == 5
    assert result["classes"] == ["ANKLE", "KNEE", "WRIST"] and result["majority"] == pytest.approx(1 / 3)

    # on random data it equals LeaveOneOut cross-validation of the same classifier
    rng = np.random.default_rng(1)
    x = rng.normal(size=(40, 6))
    y = rng.choice(["a", "b", "c"], size=40)
    expected = cross_val_predict(KNeighborsClassifier(n_neighbors=5, metric="cosine"),
                                 F.normalize(torch.as_tensor(x), dim=-1).numpy(), y, cv=LeaveOneOut())
    assert knn_accuracy(x, list(y))["accuracy"] == pytest.approx(np.mean(expected == y))
    shuffled = knn_accuracy(points, list(rng.permutation(labels)))
    assert shuffled["accuracy"] < 0.8

    # a point is never its own neighbour: with one label per point, 1-NN is always wrong
    assert knn_accuracy(points, [str(i) for i in range(30)], k=1)["accuracy"] == 0.0
    # missing labels are left out; k shrinks to n - 1
    partial = knn_accuracy(points[:4], ["KNEE", None, "", "KNEE"], k=5)
    assert (partial["n"], partial["k"], partial["accuracy"]) == (2, 1, 1.0)
    assert knn_accuracy(points[:1], ["KNEE"]) is None


def test_analyse_embeddings_gathers_the_numbers():
    points, labels = _clusters()
    images = F.normalize(torch.as_tensor(points, dtype=torch.float32), dim=-1)
    result = analyse_embeddings(images, images, labels)
    assert result["n"] == 30 and result["alignment"] == pytest.approx(0.0, abs=1e-6)
    assert result["uniformity_images"] == pytest.approx(result["uniformity_texts"])
    assert result["knn"]["body_part"]["accuracy"] == 1.0 and result["knn_k"] == 5


def test_projection_figures_are_valid_pngs(tmp_path):
    points, labels = _clusters()
    coordinates = project(points, "pca")
    assert coordinates.shape == (30, 2)
    # PCA keeps the clusters apart: each point's nearest other point is in its cluster
    distances = np.linalg.norm(coordinates[:, None] - coordinates[None], axis=-1) + np.eye(30) * 1e9
    assert all(labels[j] == labels[i] for i, j in enumerate(distances.argmin(1)))
    many = [f"part {i % 15}" for i in range(30)]  # more categories than the legend shows
    for path, colours, continuous in ((tmp_path / "a" / "parts.png", labels, False),
                                      (tmp_path / "many.png", many, False),
                                      (tmp_path / "age.png", list(np.linspace(0, 200, 30)), True)):
        assert scatter_png(coordinates, colours, path, "title <b>", continuous=continuous) == path
        _assert_png(path)
    with pytest.raises(ValueError, match="at least 3 points"):
        project(points[:2])
    with pytest.raises(ValueError, match="unknown projection"):
        project(points, "tsne")


def test_analyse_table_shows_numbers_knn_and_figures():
    result = {"task": "analyse", "model": "m", "data": "d", "split": "val", "n": 30, "alignment": 0.123456,
              "uniformity_images": -1.5, "uniformity_texts": -2.25, "modality_gap": 0.8, "matched_cosine": 0.5,
              "unmatched_cosine": 0.1,
              "knn": {"body_part": {"accuracy": 0.75, "n": 30, "k": 5, "classes": ["A", "B"], "majority": 0.5},
                      "fracatlas:fracture": None},
              "figures": ["f/pca-studies-body-part.png"], "notes": ["UMAP skipped"]}
    table = format_table(result)
    for text in ("bonevlp eval analyse", "0.1235", "-2.2500", "0.8000", "body_part", "0.7500",
                 "fracatlas:fracture", "pca-studies-body-part.png", "UMAP skipped"):
        assert text in table


# --- the report ---------------------------------------------------------------------------------------------

def _fake_run(root: Path, name: str) -> Path:
    run = root / name
    run.mkdir(parents=True)
    (run / "config.json").write_text(json.dumps({"model": "tiny", "data": "<img src=x onerror=alert(1)>",
                                                 "lr": 0.001}))
    records = [{"step": s, "epoch": 0, "loss": 4.0 / s, "lr": 1e-3 * min(1, s / 3), "logit_scale": 14.0 + s,
                "samples_per_s": 100.0 + s} for s in range(1, 9)]
    (run / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records) + "not json\n")
    (run / "summary.json").write_text(json.dumps({"steps": 8, "stop": "max steps"}))
    return run


def _images(html: str) -> list[bytes]:
    return [base64.b64decode(data) for data in DATA_URI.findall(html)]


def test_report_embeds_curves_tables_and_figures_and_escapes_strings(tmp_path):
    run = _fake_run(tmp_path, 'x<script>alert("run")')
    records = read_metrics(run)
    assert len(records) == 8 and records[0]["temperature"] == pytest.approx(1 / 15)
    evals = run / "eval"
    evals.mkdir()
    figure = scatter_png(project(_clusters()[0]), _clusters()[1], evals / "analyse-figures" / "pca.png", "pca")
    (evals / "analyse.json").write_text(json.dumps({
        "task": "analyse", "model": str(run), "data": "shards", "n": 30, "alignment": 0.31416,
        "modality_gap": 0.27183, "knn": {"body_part": {"accuracy": 0.875, "n": 30, "k": 5, "classes": ["A"],
                                                       "majority": 0.5}},
        "figures": [str(figure), "gone.png"]}))
    (evals / "zs.json").write_text(json.dumps({"task": "zeroshot", "dataset": "fracatlas <b>&", "n": 24,
                                               "auroc": 0.61803, "accuracy": 0.5}))
    (evals / "other.json").write_text(json.dumps([1, 2]))  # not a result: skipped in a folder
    assert [p.name for p, _ in find_results(run)] == ["analyse.json", "zs.json"]

    html = build_report(run)
    for value in ("0.3142", "0.2718", "0.8750", "0.6180", "max steps", "0.001"):
        assert value in html
    # escaped: the run name, a config value and a dataset name
    assert "<script" not in html and "x&lt;script&gt;alert(&quot;run&quot;)" in html
    assert "<img src=x" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "fracatlas &lt;b&gt;&amp;" in html
    # offline: no URL to fetch, every image a data URI holding a PNG (5 curves + the analyse figure)
    assert not re.search(r"(src|href)=\"(?!data:)", html) and "http://" not in html and "https://" not in html
    images = _images(html)
    assert len(images) == 6 and all(image.startswith(PNG_MAGIC) for image in images)
    assert figure.read_bytes() in images
    assert "Figures not found: gone.png" in html

    # the figure folder moved along with the result: found next to it
    moved = tmp_path / "moved"
    moved.mkdir()
    (moved / "analyse.json").write_text((evals / "analyse.json").read_text().replace(str(evals), "/elsewhere"))
    (moved / "analyse-figures").mkdir()
    (moved / "analyse-figures" / "pca.png").write_bytes(figure.read_bytes())
    only = build_report(run, [moved / "analyse.json"])
    assert len(_images(only)) == 6 and "0.6180" not in only  # --eval replaces the default RUN/eval


def test_report_command_exit_codes(tmp_path, capsys):
    run = _fake_run(tmp_path, "run")
    out = tmp_path / "site" / "report.html"
    assert main(["report", str(run), "--out", str(out)]) == 0
    assert out.is_file() and "No evaluation result found" in out.read_text()
    assert main(["report", str(tmp_path / "nowhere"), "--out", str(out)]) == 2
    assert main(["report", str(tmp_path / "site"), "--out", str(out)]) == 2  # not a run
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"no": "task"}))
    assert main(["report", str(run), "--out", str(out), "--eval", str(bad)]) == 2
    assert main(["report", str(run), "--out", str(out), "--eval", str(tmp_path / "missing.json")]) == 2
    errors = capsys.readouterr().err
    assert "no run directory" in errors and "not a training run" in errors and "not an evaluation result" in errors


# --- end to end ---------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def trained_run(small_build: dict, tmp_path_factory) -> Path:
    """The tiny model trained for two steps on `small_build` (half the patients held out)."""
    from bonevlp.train.config import TrainConfig
    from bonevlp.train.loop import train

    run = tmp_path_factory.mktemp("analyse") / "run"
    config = TrainConfig(data=str(small_build["out"]), out=str(run), model="tiny", batch_size=6, workers=0,
                         log_every=1, save_every=1000, val_fraction=0.5, warmup_steps=1, lr=1e-3, progress=False,
                         vocab_size=2000, max_steps=2)
    assert train(config)["steps"] == 2
    return run


def test_analyse_and_report_commands_end_to_end(trained_run, small_build, tmp_path, capsys):
    import pandas as pd

    from boneds.synth.downstream import generate_downstream

    manifest = pd.read_parquet(small_build["out"] / "manifest.parquet")
    fracatlas = tmp_path / "fracatlas"
    generate_downstream(fracatlas, "fracture", 3, size=12, image_size=64)
    out = tmp_path / "evals" / "analyse.json"
    # every study (val fraction 1), and the FracAtlas-like set by its fracture label
    assert main(["eval", "analyse", "--model", str(trained_run), "--data", str(small_build["out"]),
                 "--val-fraction", "1.0", "--dataset", f"fracatlas:{fracatlas}", "--workers", "0",
                 "--batch-size", "8", "--quiet", "--out", str(out)]) == 0
    result = json.loads(out.read_text())
    assert result["task"] == "analyse" and result["n"] == len(manifest)
    assert result["body_parts"] == manifest["body_part"].value_counts().sort_index().to_dict()
    knn = result["knn"]["body_part"]
    assert knn["n"] == len(manifest) and 0.0 <= knn["accuracy"] <= 1.0
    assert knn["classes"] == sorted(manifest["body_part"].unique())
    assert 0.0 <= result["alignment"] <= 4.0 and result["uniformity_images"] <= 0.0
    assert result["modality_gap"] >= 0.0 and result["dataset"] == "fracatlas" and result["dataset_n"] == 12
    assert result["knn"]["fracatlas:fracture"]["n"] == 12 and "fracatlas:region" in result["knn"]
    folder = out.parent / "analyse-figures"
    names = {Path(p).name for p in result["figures"]}
    assert {"pca-studies-body-part.png", "pca-studies-reports-modality.png", "pca-fracatlas-fracture.png",
            "pca-fracatlas-region.png"} <= names
    for path in result["figures"]:
        assert Path(path).parent == folder
        _assert_png(Path(path))
    printed = capsys.readouterr().out
    assert "bonevlp eval analyse" in printed and "kNN target" in printed and f"{result['alignment']:.4f}" in printed

    # the report: training curves, config, the analyse table and its figures
    page = tmp_path / "report.html"
    assert main(["report", str(trained_run), "--out", str(page), "--eval", str(out.parent)]) == 0
    html = page.read_text(encoding="utf-8")
    assert f"{result['alignment']:.4f}" in html and "fracatlas:fracture" in html and "tiny" in html
    images = _images(html)
    assert len(images) == 5 + len(result["figures"])  # loss, lr, logit scale, temperature, throughput
    assert all(Path(p).read_bytes() in images for p in result["figures"])

    # --out or --figures is needed; a bad split is refused
    assert main(["eval", "analyse", "--model", str(trained_run), "--data", str(small_build["out"]), "--quiet"]) == 2
    assert main(["eval", "analyse", "--model", str(trained_run), "--data", str(small_build["out"]), "--quiet",
                 "--dataset", f"fracatlas:{fracatlas}", "--label", "kl_grade", "--out", str(out)]) == 2
    assert "--out (or --figures) is needed" in capsys.readouterr().err
