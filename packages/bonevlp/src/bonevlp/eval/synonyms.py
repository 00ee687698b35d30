"""`bonevlp eval synonyms`: synonym retrieval with the text tower alone.

Every term of a synonym table (`concept_id,term` CSV) is embedded (`embed.embed_texts` for a bonevlp
model: the projected, L2-normalised text feature the CLIP similarity uses; [CLS] for a Hugging Face
encoder directory). Each term whose concept has another term in the table is a query; the candidates
are all the other terms of the table (cosine similarity, the query itself excluded; terms of
single-term concepts stay in as distractors but are not queries).

    acc@1  the nearest other term belongs to the query's concept
    acc@5  one of the 5 nearest does
    chance_acc@1  what a random ranking gets on average: (terms of the concept - 1) / (terms - 1)

`--held-out-only SAP_JSON` keeps only the concepts `bonevlp sap` held out of training (the table then
is the one next to sap.json unless `--terms` names another), so the score measures what alignment
taught beyond the concepts it saw. Ties between equal similarities go to the lower index (torch.topk).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

import torch

KS = (1, 5)
_CHUNK = 1024  # query rows scored at once (fewer for large tables: at most 2**26 similarities)


def synonym_accuracy(embeddings: torch.Tensor, labels: Sequence, ks: Sequence[int] = KS) -> dict:
    """acc@k of L2-normalised `embeddings [N, D]` whose concept is `labels[i]`: the share of queries
    (terms whose concept has another term) with a term of their concept among their k nearest other
    terms. Also `n` (queries), `n_terms`, `n_concepts` (concepts scored) and `chance_acc@1`."""
    n = len(labels)
    if embeddings.shape[0] != n:
        raise ValueError(f"{embeddings.shape[0]} embeddings for {n} labels")
    index = {label: i for i, label in enumerate(dict.fromkeys(labels))}
    ids = torch.tensor([index[label] for label in labels], dtype=torch.long)
    counts = Counter(ids.tolist())
    queries = torch.tensor([i for i in range(n) if counts[int(ids[i])] >= 2], dtype=torch.long)
    result: dict = {"n": int(len(queries)), "n_terms": n, "n_concepts": sum(c >= 2 for c in counts.values())}
    if len(queries) == 0:
        raise ValueError("no concept with two terms or more: nothing to score")
    x = embeddings.float()
    depth = min(max(ks), n - 1)
    hits = {k: 0 for k in ks}
    chunk = max(1, min(_CHUNK, 2**26 // n))
    for start in range(0, len(queries), chunk):
        rows = queries[start:start + chunk]
        similarity = x[rows] @ x.T
        similarity[torch.arange(len(rows)), rows] = float("-inf")
        nearest = similarity.topk(depth, dim=1).indices
        same = ids[nearest] == ids[rows][:, None]
        for k in ks:
            hits[k] += int(same[:, :k].any(dim=1).sum())
    for k in ks:
        result[f"acc@{k}"] = hits[k] / len(queries)
    result["chance_acc@1"] = float(sum((counts[int(ids[q])] - 1) / (n - 1) for q in queries) / len(queries))
    return result


def evaluate_synonyms(embed: Callable[[list[str]], torch.Tensor], table, ks: Sequence[int] = KS) -> dict:
    """`synonym_accuracy` of `table` (a `sap.terms.SynonymTable`) embedded by `embed(texts)`."""
    labels, texts = zip(*table.rows(), strict=True) if table.n_terms else ((), ())
    return synonym_accuracy(embed(list(texts)), list(labels), ks)


def held_out_ids(sap_json: str | Path) -> list[str]:
    """The held-out concept ids recorded by `bonevlp sap` in its sap.json."""
    path = Path(sap_json)
    if path.is_dir():
        path = path / "sap.json"
    if not path.is_file():
        raise FileNotFoundError(f"sap.json not found: {path}")
    held = json.loads(path.read_text(encoding="utf-8")).get("held_out")
    if not held:
        raise ValueError(f"{path} records no held-out concept (was --held-out-fraction 0?)")
    return list(held)


def run_synonyms(model: str | Path, terms: str | Path | None = None, held_out_only: str | Path | None = None,
                 device: str = "auto", precision: str = "auto", batch_size: int = 256) -> dict:
    """The `eval synonyms` result: load the table (`terms`, else the table next to `held_out_only`'s
    sap.json, else the bundled French MSK table), keep the held-out concepts if asked, embed, score."""
    from ..sap.terms import default_terms_path, read_terms_csv
    from ..sap.towers import load_tower

    if batch_size < 1:
        raise ValueError("--batch-size must be >= 1")
    if terms is None and held_out_only is not None:
        sap_dir = Path(held_out_only)
        sap_dir = sap_dir if sap_dir.is_dir() else sap_dir.parent
        terms = sap_dir / "terms.csv"
    table = read_terms_csv(terms if terms is not None else default_terms_path())
    if held_out_only is not None:
        held = held_out_ids(held_out_only)
        table = table.subset(held)
        if not table.concepts:
            raise ValueError(f"none of the {len(held)} held-out concepts of {held_out_only} is in {table.source}")
    tower = load_tower(model, device, precision)
    result = {"task": "synonyms", "model": str(model), "terms": table.source,
              "held_out_only": held_out_only is not None, "embedding": tower.embedding}
    return result | evaluate_synonyms(lambda texts: tower.embed(texts, batch_size), table)
