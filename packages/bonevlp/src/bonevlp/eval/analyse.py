"""The latent space of a trained model: alignment, uniformity, modality gap, kNN accuracy, 2-D maps.

Embeddings: every validation study of the shards (its images pooled, `retrieval.embed_validation`) with
its report caption; the study's body part comes from the shards' manifest. With a downstream dataset
(`datasets.load_dataset`) its units are embedded too (`embed.embed_image_groups`).

Numbers, on L2-normalised embeddings (Wang & Isola 2020; Liang et al. 2022 for the gap):

    alignment          mean ||f(x) - g(y)||^2 over the matched study/report pairs (0 = identical)
    uniformity         log mean exp(-2 ||u - v||^2) over the distinct pairs of studies (and of reports);
                       0 when everything collapses to one point, more negative = more spread
    modality_gap       ||mean of the study embeddings - mean of the report embeddings||
    matched_cosine     mean cosine of matched pairs; unmatched_cosine the mean over the other pairs
    knn                leave-one-out k-nearest-neighbour accuracy (cosine, scikit-learn's
                       KNeighborsClassifier; a point is not its own neighbour) of the study body part,
                       and of the dataset's label (and body part, when it has one) with --dataset;
                       `majority` is the share of the most frequent class (what always guessing it gets)

Figures (PNG, matplotlib's Agg renderer, written under `figures`): PCA (scikit-learn) of the study
embeddings coloured by body part, of studies and reports together coloured by modality (the gap made
visible), and of the dataset's units coloured by label; the same with UMAP when the `umap` package is
importable (it is optional and not a dependency).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from sklearn.decomposition import PCA
from sklearn.metrics.pairwise import euclidean_distances
from sklearn.neighbors import KNeighborsClassifier

from .datasets import LabeledImages
from .embed import MAX_IMAGES, LoadedModel, embed_image_groups

KNN_K = 5
UNIFORMITY_T = 2.0
MAX_LEGEND = 12  # categories named in a figure's legend; the rarer ones are drawn as "other"
UNKNOWN = "?"
_CHUNK = 1024  # rows of the pairwise distances computed at once (bounds memory)


def _normalised(x: torch.Tensor | np.ndarray) -> np.ndarray:
    x = np.asarray(torch.as_tensor(x).float().numpy(), dtype=np.float64)
    if x.ndim != 2:
        raise ValueError(f"[n, D] embeddings are needed, got shape {x.shape}")
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.where(norms > 0, norms, 1.0)


def _paired(images, texts) -> tuple[np.ndarray, np.ndarray]:
    images, texts = _normalised(images), _normalised(texts)
    if images.shape != texts.shape:
        raise ValueError(f"paired [n, D] embeddings are needed, got {images.shape} and {texts.shape}")
    return images, texts


def alignment(images: torch.Tensor | np.ndarray, texts: torch.Tensor | np.ndarray) -> float | None:
    """Mean squared distance between matched rows of L2-normalised embeddings (0 = every pair identical,
    4 = every pair opposite); None without any pair."""
    images, texts = _paired(images, texts)
    if len(images) == 0:
        return None
    return float(np.mean(np.sum((images - texts) ** 2, axis=1)))


def uniformity(embeddings: torch.Tensor | np.ndarray, t: float = UNIFORMITY_T) -> float | None:
    """log mean exp(-t ||u - v||^2) over the distinct pairs of L2-normalised rows (a log-sum-exp, by
    blocks of rows); 0 for collapsed embeddings, negative when they spread; None with fewer than 2 rows."""
    x = _normalised(embeddings)
    n = len(x)
    if n < 2:
        return None
    parts = []
    for start in range(0, n - 1, _CHUNK):  # the pairs (i, j > i), a block of rows i at a time
        squared = euclidean_distances(x[start:start + _CHUNK], x, squared=True)
        upper = np.arange(n)[None, :] > np.arange(start, start + len(squared))[:, None]
        parts.append(np.logaddexp.reduce(-t * squared[upper]))
    return float(np.logaddexp.reduce(parts) - math.log(n * (n - 1) / 2))


def modality_gap(images: torch.Tensor | np.ndarray, texts: torch.Tensor | np.ndarray) -> dict:
    """`modality_gap`: the norm of the difference of the two centroids; `matched_cosine` and
    `unmatched_cosine`: the mean cosine of matched pairs and of all other (image, text) pairs."""
    images, texts = _paired(images, texts)
    n = len(images)
    if n == 0:
        return {"modality_gap": None, "matched_cosine": None, "unmatched_cosine": None}
    diagonal = np.sum(images * texts, axis=1)
    matched = float(np.mean(diagonal))
    total = float(images.sum(0) @ texts.sum(0))  # the sum of all n x n cosines, without the matrix
    unmatched = (total - float(diagonal.sum())) / (n * n - n) if n > 1 else None
    return {"modality_gap": float(np.linalg.norm(images.mean(0) - texts.mean(0))), "matched_cosine": matched,
            "unmatched_cosine": unmatched}


def knn_accuracy(embeddings: torch.Tensor | np.ndarray, labels: Sequence, k: int = KNN_K) -> dict | None:
    """Leave-one-out k-NN accuracy (cosine distance, majority vote, scikit-learn) of `labels` from
    `embeddings`; rows whose label is None, NaN or empty are left out. Also the number of rows used,
    the classes, `k` (at most n - 1) and the majority-class share. None with fewer than 2 rows."""
    x = _normalised(embeddings)
    if len(x) != len(labels):
        raise ValueError(f"{len(x)} embeddings but {len(labels)} labels")
    keep = np.array([not _missing(label) for label in labels], dtype=bool)
    y = np.array([str(label) for label, kept in zip(labels, keep, strict=True) if kept], dtype=object)
    x = x[keep]
    if len(x) < 2:
        return None
    k = max(1, min(k, len(x) - 1))
    classifier = KNeighborsClassifier(n_neighbors=k, metric="cosine", algorithm="brute").fit(x, y)
    predicted = classifier.predict(None)  # each point's neighbours among the others: leave-one-out
    counts = Counter(y.tolist())
    return {"accuracy": float(np.mean(predicted == y)), "n": int(len(y)), "k": k,
            "classes": sorted(counts), "majority": max(counts.values()) / len(y)}


def _missing(label) -> bool:
    if label is None:
        return True
    if isinstance(label, float) and math.isnan(label):
        return True
    return isinstance(label, str) and not label.strip()


def study_body_parts(shards: str, keys: Sequence[str]) -> list[str | None]:
    """The manifest's `body_part` of each study key (None when the shards have no manifest, no such
    column, or the key is not listed)."""
    from ..data.shards import resolve_shards

    manifest = resolve_shards(shards).manifest
    if manifest is None or "body_part" not in manifest.columns or "key" not in manifest.columns:
        return [None] * len(keys)
    parts = dict(zip(manifest["key"].astype(str), manifest["body_part"], strict=True))
    return [None if _missing(parts.get(key)) else str(parts[key]) for key in keys]


def umap_available() -> bool:
    """Whether the optional `umap` package (umap-learn) can be imported."""
    try:
        import umap  # noqa: F401
    except ImportError:
        return False
    return True


def project(embeddings: np.ndarray, method: str = "pca", seed: int = 0) -> np.ndarray:
    """[n, 2] coordinates: PCA (scikit-learn) or UMAP (the optional `umap` package)."""
    x = _normalised(embeddings)
    if len(x) < 3:
        raise ValueError("a 2-D projection needs at least 3 points")
    if method == "pca":
        return PCA(n_components=2, random_state=seed).fit_transform(x)
    if method == "umap":
        import umap

        reducer = umap.UMAP(n_components=2, n_neighbors=min(15, len(x) - 1), metric="cosine", random_state=seed)
        return np.asarray(reducer.fit_transform(x))
    raise ValueError(f"unknown projection {method!r} (pca or umap)")


def scatter_png(coordinates: np.ndarray, colours: Sequence, path: str | Path, title: str,
                continuous: bool = False) -> Path:
    """Save a 2-D scatter plot as PNG: one colour per category (the `MAX_LEGEND` most frequent named in
    the legend, the rest as "other"), or a colour scale for a continuous value."""
    from matplotlib import colormaps
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure = Figure(figsize=(6.4, 5.2), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    if continuous:
        values = np.array([np.nan if _missing(v) else float(v) for v in colours])
        points = axes.scatter(coordinates[:, 0], coordinates[:, 1], c=values, cmap="viridis", s=14)
        figure.colorbar(points, ax=axes)
    else:
        names = [UNKNOWN if _missing(v) else str(v) for v in colours]
        shown = [name for name, _ in Counter(names).most_common(MAX_LEGEND)]
        names = [name if name in shown else "other" for name in names]
        palette = colormaps["tab20"]
        for index, name in enumerate([*sorted(shown), "other"]):
            mask = np.array([n == name for n in names])
            if mask.any():
                axes.scatter(coordinates[mask, 0], coordinates[mask, 1], s=14, label=name,
                             color=palette((2 * index) % 20 + (2 * index // 20) % 2))  # dark shades first
        axes.legend(fontsize="small", markerscale=1.5, loc="best")
    axes.set_title(title)
    axes.set_xticks([])
    axes.set_yticks([])
    figure.tight_layout()
    figure.savefig(path, format="png")
    return path


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower() or "label"


def _figures(embedded: dict, dataset: dict | None, folder: Path) -> list[Path]:
    methods = ["pca"] + (["umap"] if umap_available() else [])
    paths: list[Path] = []
    images, texts = embedded["images"], embedded["texts"]
    for method in methods:
        name = method.upper()
        if len(images) >= 3:
            paths.append(scatter_png(project(images, method), embedded["body_parts"],
                                     folder / f"{method}-studies-body-part.png",
                                     f"{name} of the validation studies, by body part"))
            both = project(np.vstack([_normalised(images), _normalised(texts)]), method)
            paths.append(scatter_png(both, ["study"] * len(images) + ["report"] * len(texts),
                                     folder / f"{method}-studies-reports-modality.png",
                                     f"{name} of studies and reports, by modality"))
        if dataset is not None and len(dataset["images"]) >= 3:
            coordinates = project(dataset["images"], method)
            for label, (values, continuous) in dataset["colours"].items():
                paths.append(scatter_png(coordinates, values, folder / f"{method}-{_slug(dataset['kind'])}-"
                                                                      f"{_slug(label)}.png",
                                         f"{name} of {dataset['kind']}, by {label}", continuous=continuous))
    return paths


def embed_dataset(loaded: LoadedModel, data: LabeledImages, label: str | None = None, *, batch_size: int = 64,
                  workers: int = 0, max_images: int = MAX_IMAGES, progress: bool = False) -> dict:
    """The dataset's units embedded, with the values to colour and classify them by: its `label`
    (default the primary one) and its body part (`body_part` or `region` extra) when it has one."""
    label = label or data.primary
    if label not in data.tasks:
        raise ValueError(f"{data.kind} has no label {label!r}; it has {', '.join(data.tasks)}")
    units = data.units()
    if not units:
        raise ValueError(f"{data.kind} at {data.root}: no image to analyse")
    images = embed_image_groups(loaded, [u.paths for u in units], batch_size, workers, max_images, progress)
    values = data.labels(label, units)
    task = data.tasks[label]
    if task == "regression":
        colours = {label: (values.tolist(), True)}
    else:
        colours = {label: ([None if math.isnan(v) else f"{v:g}" for v in values], False)}
    for extra in ("body_part", "region"):
        if any(not _missing(u.extra.get(extra)) for u in units):
            colours[extra] = ([u.extra.get(extra) for u in units], False)
            break
    return {"kind": data.kind, "root": str(data.root), "split": data.split, "label": label, "task": task,
            "images": images, "colours": colours}


def analyse_embeddings(images, texts, body_parts: Sequence, k: int = KNN_K) -> dict:
    """The numbers of the module docstring for paired study/report embeddings and the studies' body parts."""
    result: dict = {"n": int(len(images)), "alignment": alignment(images, texts),
                    "uniformity_images": uniformity(images), "uniformity_texts": uniformity(texts)}
    result.update(modality_gap(images, texts))
    result["knn_k"] = k
    result["knn"] = {"body_part": knn_accuracy(images, list(body_parts), k)}
    return result


def evaluate_analyse(loaded: LoadedModel, shards: str, figures: str | Path, *, split: str = "val",
                     val_fraction: float = 0.1, dataset: LabeledImages | None = None, label: str | None = None,
                     k: int = KNN_K, batch_size: int = 64, workers: int = 0, max_images: int = MAX_IMAGES,
                     progress: bool = False) -> dict:
    """Latent-space numbers of `loaded` on the validation split of `shards` (and on `dataset` when
    given), with the PNG figures written under `figures` and listed in the result's `figures`."""
    from .retrieval import embed_validation

    if split != "val":
        raise ValueError(f"analyse runs on the validation split only (split 'val'), not {split!r}")
    if k < 1:
        raise ValueError("k must be >= 1")
    if dataset is not None and label is not None and label not in dataset.tasks:  # before embedding anything
        raise ValueError(f"{dataset.kind} has no label {label!r}; it has {', '.join(dataset.tasks)}")
    embedded = embed_validation(loaded, shards, val_fraction=val_fraction, batch_size=batch_size, workers=workers,
                                max_images=max_images, progress=progress)
    embedded["body_parts"] = study_body_parts(shards, embedded["keys"])
    result: dict = {"task": "analyse", "model": loaded.source, "data": str(shards), "split": split,
                    "val_fraction": val_fraction, "max_images": max_images}
    result.update(analyse_embeddings(embedded["images"], embedded["texts"], embedded["body_parts"], k))
    result["body_parts"] = dict(sorted(Counter(p or UNKNOWN for p in embedded["body_parts"]).items()))
    embedded_dataset = None
    if dataset is not None:
        embedded_dataset = embed_dataset(loaded, dataset, label, batch_size=batch_size, workers=workers,
                                         max_images=max_images, progress=progress)
        result.update(dataset=dataset.kind, dataset_path=str(dataset.root), dataset_split=dataset.split,
                      dataset_n=int(len(embedded_dataset["images"])), dataset_label=embedded_dataset["label"])
        result["uniformity_dataset"] = uniformity(embedded_dataset["images"])
        for name, (values, continuous) in embedded_dataset["colours"].items():
            key = f"{dataset.kind}:{name}"
            if continuous:
                result.setdefault("notes", []).append(f"no kNN accuracy for {key}: a continuous label")
            else:
                result["knn"][key] = knn_accuracy(embedded_dataset["images"], values, k)
    result["projections"] = ["pca"] + (["umap"] if umap_available() else [])
    if not umap_available():
        result.setdefault("notes", []).append("UMAP skipped: the umap package is not installed")
    result["figures"] = [str(p) for p in _figures(embedded, embedded_dataset, Path(figures))]
    return result
