"""Report-to-study and study-to-report retrieval on the validation split of the shards.

Every validation study is embedded (its first `max_images` images, pooled as the model pools, through
the evaluation transform) with its caption (`report_to_caption`, sentences in order). In the cosine
similarity matrix S (studies x reports) the true pair of study i is report i. Study-to-report
("image_to_text") ranks row i, report-to-study ("text_to_image") column i.

Metrics: R@K, the share of queries whose true match is among the K most similar
(`sklearn.metrics.top_k_accuracy_score`), the median rank of the true match (1 = first), and the pool
size `n`; `chance_R@K` = K / n is what a random ranking gets. Ties are broken as scikit-learn does
(among equal scores the candidate with the higher index ranks first), so ranks and R@K agree.
"""

from __future__ import annotations

import warnings

import numpy as np
import torch
from sklearn.metrics import top_k_accuracy_score

from .embed import MAX_IMAGES, LoadedModel, encode_study_batch

KS = (1, 5, 10)
_CHUNK = 1024  # query rows scored at once (bounds memory: the ranking sorts chunk x n)


def true_match_ranks(similarity: np.ndarray) -> np.ndarray:
    """Rank (1 = most similar) of candidate i for query row i: 1 + the candidates scoring higher + the
    candidates of higher index scoring the same (scikit-learn's tie order)."""
    similarity = np.asarray(similarity)
    n = similarity.shape[0]
    if similarity.ndim != 2 or similarity.shape[1] != n:
        raise ValueError(f"a square similarity matrix is needed, got {similarity.shape}")
    ranks = np.empty(n, dtype=np.int64)
    columns = np.arange(n)
    for start in range(0, n, _CHUNK):
        rows = similarity[start:start + _CHUNK]
        index = np.arange(start, start + len(rows))
        true = rows[np.arange(len(rows)), index][:, None]
        ties_after = (rows == true) & (columns[None, :] > index[:, None])
        ranks[start:start + len(rows)] = 1 + (rows > true).sum(1) + ties_after.sum(1)
    return ranks


def recall_at_k(similarity: np.ndarray, k: int) -> float:
    """Share of rows i whose column i is among the row's k highest scores (top-k accuracy)."""
    similarity = np.asarray(similarity, dtype=np.float64)
    n = similarity.shape[0]
    if n == 0:
        raise ValueError("no query to rank")
    if k >= n:
        return 1.0
    if n <= 2:  # scikit-learn reads two labels as a binary task: count from the ranks
        return float((true_match_ranks(similarity) <= k).mean())
    labels = np.arange(n)
    hits = 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for start in range(0, n, _CHUNK):
            hits += top_k_accuracy_score(labels[start:start + _CHUNK], similarity[start:start + _CHUNK], k=k,
                                         labels=labels, normalize=False)
    return hits / n


def retrieval_metrics(image_embeddings: torch.Tensor | np.ndarray, text_embeddings: torch.Tensor | np.ndarray,
                      ks: tuple[int, ...] = KS) -> dict:
    """R@K both ways, median (and mean) rank both ways, `n` and chance levels, for paired rows of
    L2-normalised study and report embeddings."""
    images = torch.as_tensor(image_embeddings).float()
    texts = torch.as_tensor(text_embeddings).float()
    if images.shape != texts.shape or images.ndim != 2:
        raise ValueError(f"paired [n, D] embeddings are needed, got {tuple(images.shape)} and {tuple(texts.shape)}")
    similarity = (images @ texts.T).numpy()
    n = similarity.shape[0]
    out: dict = {"n": int(n)}
    for direction, matrix in (("image_to_text", similarity), ("text_to_image", similarity.T)):
        ranks = true_match_ranks(matrix)
        for k in ks:
            out[f"{direction}_R@{k}"] = recall_at_k(matrix, k)
        out[f"{direction}_median_rank"] = float(np.median(ranks))
        out[f"{direction}_mean_rank"] = float(np.mean(ranks))
    for k in ks:
        out[f"chance_R@{k}"] = min(k, n) / n if n else None
    return out


@torch.no_grad()
def embed_validation(loaded: LoadedModel, shards: str, *, val_fraction: float = 0.1, batch_size: int = 64,
                     workers: int = 0, max_images: int = MAX_IMAGES, progress: bool = False) -> dict:
    """Study embeddings, report embeddings, keys and captions of the validation split of `shards` (the
    training loader's split: the manifest's low split buckets)."""
    from ..data.loader import DataConfig, make_loader

    config = DataConfig(shards=shards, batch_size=batch_size, images_per_study=max_images,
                        max_image_index=max_images, image_size=loaded.image_size, workers=workers,
                        val_fraction=val_fraction, shuffle_sentences=False, mean=loaded.mean, std=loaded.std)
    loader, samples = make_loader(config, loaded.tokenize, split="val")
    if samples == 0:
        raise ValueError(f"no validation sample in {shards} (val_fraction {val_fraction})")
    images, texts, keys, captions = [], [], [], []
    batches = loader
    if progress:
        from tqdm import tqdm

        batches = tqdm(loader, desc="embedding val studies", unit="batch", leave=False)
    for batch in batches:
        images.append(encode_study_batch(loaded, batch["images"], batch["study_index"], len(batch["keys"])))
        tokens = batch["text"].to(loaded.device)
        with loaded.autocast():
            features = loaded.model.encode_text(tokens)
        texts.append(torch.nn.functional.normalize(features.float(), dim=-1).cpu())
        keys.extend(batch["keys"])
        captions.extend(batch["captions"])
    return {"images": torch.cat(images), "texts": torch.cat(texts), "keys": keys, "captions": captions}


def evaluate_retrieval(loaded: LoadedModel, shards: str, *, split: str = "val", val_fraction: float = 0.1,
                       batch_size: int = 64, workers: int = 0, max_images: int = MAX_IMAGES,
                       progress: bool = False) -> dict:
    """Retrieval results of `loaded` on the validation split of `shards`."""
    if split != "val":
        raise ValueError(f"retrieval runs on the validation split only (split 'val'), not {split!r}")
    embedded = embed_validation(loaded, shards, val_fraction=val_fraction, batch_size=batch_size, workers=workers,
                                max_images=max_images, progress=progress)
    result = {"task": "retrieval", "data": str(shards), "split": split, "val_fraction": val_fraction,
              "model": loaded.source, "max_images": max_images}
    result.update(retrieval_metrics(embedded["images"], embedded["texts"]))
    result["unique_captions"] = len(set(embedded["captions"]))
    return result
