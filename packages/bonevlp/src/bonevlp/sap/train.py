"""Self-alignment of a text tower on a synonym table (SapBERT, Liu et al. 2021), then its evaluation on
the concepts held out of training.

    summary = align("runs/tiny", "models/tiny-sap", read_terms_csv("terms.csv"), SapConfig())

Steps: split the concepts (`terms.held_out_concepts`, by a hash of the concept id), score synonym
retrieval (`eval.synonyms`) on the held-out and the training concepts, train on every synonym pair of
the training concepts (at most `max_pairs_per_concept` each) with the in-batch miner and the
multi-similarity loss (`loss.SapLoss`), AdamW at a constant rate, score again, write the model and
`sap.json`. Runs are deterministic for a given table, settings and device (torch seeded, batch
order fixed by (seed, epoch)).
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import torch

from .loss import ALPHA, BASE, BETA, MINER_MARGIN, SapLoss
from .pairs import MAX_PAIRS_PER_CONCEPT, batch_texts, epoch_batches, synonym_pairs
from .terms import SynonymTable, concept_hash, held_out_concepts
from .towers import HF_MAX_LENGTH, TextTower, load_tower

SAP_JSON = "sap.json"
TERMS_CSV = "terms.csv"
HF_LR = 2e-5             # SapBERT's, for a pretrained transformer encoder
FROM_SCRATCH_LR = 3e-4   # bonevlp text towers (the tiny one is small and trained from scratch)


@dataclass
class SapConfig:
    """The settings of one alignment (saved in sap.json). `lr` None: `HF_LR` for a Hugging Face
    encoder, `FROM_SCRATCH_LR` for a bonevlp model's text tower."""

    lr: float | None = None
    epochs: int = 3
    batch_size: int = 64                  # synonym pairs per step (2x terms)
    max_pairs_per_concept: int = MAX_PAIRS_PER_CONCEPT
    held_out_fraction: float = 0.2
    seed: int = 0
    weight_decay: float = 0.01
    alpha: float = ALPHA
    beta: float = BETA
    base: float = BASE
    miner_margin: float | None = MINER_MARGIN
    max_length: int = HF_MAX_LENGTH       # Hugging Face encoders: tokens per term
    max_eval_concepts: int = 2000         # scored before/after: at most this many concepts per side
    device: str = "auto"
    precision: str = "auto"
    progress: bool = True

    def check(self) -> None:
        if (self.epochs < 1 or self.batch_size < 2 or self.max_pairs_per_concept < 1 or self.max_length < 2
                or self.max_eval_concepts < 2):
            raise ValueError("--epochs and --max-pairs-per-concept must be >= 1, --batch-size, --max-length and "
                             "--max-eval-concepts >= 2")
        if self.lr is not None and not self.lr > 0:
            raise ValueError(f"--lr must be > 0, not {self.lr}")
        if not 0 <= self.held_out_fraction < 1:
            raise ValueError(f"--held-out-fraction must be in [0, 1), not {self.held_out_fraction}")


def _sha256(path: str) -> str | None:
    file = Path(path)
    if not file.is_file():
        return None
    digest = hashlib.sha256()
    with file.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _scores(tower: TextTower, table: SynonymTable) -> dict | None:
    from ..eval.synonyms import evaluate_synonyms

    if not any(len(t) >= 2 for t in table.concepts.values()):
        return None
    result = evaluate_synonyms(tower.embed, table)
    return {k: result[k] for k in ("acc@1", "acc@5", "chance_acc@1", "n", "n_terms", "n_concepts")}


def _scored_part(table: SynonymTable, limit: int, seed: int) -> SynonymTable:
    """The whole table, or `limit` of its concepts chosen by hash (a UMLS-sized table is not scored whole:
    the similarity matrix grows with the square of the terms)."""
    if len(table) <= limit:
        return table
    return table.subset(sorted(table.concepts, key=lambda c: concept_hash(c, seed + 1))[:limit])


def _progress(total: int, enabled: bool):
    if not enabled:
        return None
    from tqdm import tqdm

    return tqdm(total=total, desc="self-alignment", unit="step", leave=False)


def train_tower(tower: TextTower, table: SynonymTable, config: SapConfig, lr: float) -> dict:
    """Align `tower` on every synonym pair of `table`; returns steps, pairs and losses."""
    pairs = synonym_pairs(table, config.max_pairs_per_concept, config.seed)
    if not pairs:
        raise ValueError(f"{table.source}: no concept with two terms or more among the training concepts")
    if len(table) < 2:
        raise ValueError(f"{table.source}: one training concept only; negatives need two or more")
    torch.manual_seed(config.seed)
    loss_fn = SapLoss(config.alpha, config.beta, config.base, config.miner_margin)
    optimizer = torch.optim.AdamW(tower.parameters(), lr=lr, weight_decay=config.weight_decay)
    schedule = [epoch_batches(pairs, config.batch_size, epoch, config.seed) for epoch in range(config.epochs)]
    bar = _progress(sum(len(b) for b in schedule), config.progress)
    module = tower.module()
    module.train()
    losses: list[float] = []
    try:
        for epoch, batches in enumerate(schedule):
            for batch in batches:
                texts, labels = batch_texts(batch)
                with tower.autocast():
                    embeddings = tower.encode(texts)
                loss = loss_fn(embeddings.float(), labels.to(embeddings.device))
                if not torch.isfinite(loss):
                    raise RuntimeError(f"non-finite loss at epoch {epoch}, step {len(losses)} (lower --lr?)")
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                torch.nn.utils.clip_grad_norm_(tower.parameters(), 1.0)
                optimizer.step()
                losses.append(float(loss.detach()))
                if bar is not None:
                    bar.update(1)
                    bar.set_postfix(epoch=epoch, loss=f"{losses[-1]:.4f}")
    finally:
        if bar is not None:
            bar.close()
        module.eval()
    per_epoch = [len(b) for b in schedule]
    epoch_means, start = [], 0
    for count in per_epoch:
        epoch_means.append(sum(losses[start:start + count]) / count)
        start += count
    return {"steps": len(losses), "pairs": len(pairs), "first_loss": losses[0], "last_loss": losses[-1],
            "epoch_loss": epoch_means}


def _config_name(model_cfg: dict | None) -> str | None:
    """The model config name (`tiny`, `ViT-B-16`, ...) whose towers have the shapes of `model_cfg`, when
    exactly one has (an export keeps the config, not its name)."""
    if not model_cfg or model_cfg.get("text_cfg", {}).get("hf_model_name"):
        return None
    import open_clip

    from ..models.registry import model_names

    keys = ("width", "layers", "heads", "mlp_ratio")
    text = model_cfg.get("text_cfg", {})
    found = []
    for name in model_names():
        cfg = open_clip.get_model_config(name) or {}
        if (cfg.get("embed_dim") == model_cfg.get("embed_dim") and cfg.get("vision_cfg") == model_cfg.get("vision_cfg")
                and all(cfg.get("text_cfg", {}).get(k) == text.get(k) for k in keys)):
            found.append(name)
    return found[0] if len(found) == 1 else None


def _train_hint(tower: TextTower, out: Path, saved: dict, model_name: str | None) -> str:
    if tower.kind == "hf":
        return f"bonevlp train --hf-text {out} --data SHARDS --out RUN ..."
    if model_name is None:
        model_name = _config_name(getattr(tower.loaded.model.clip, "bonevlp_model_cfg", None))
    name = model_name or "MODEL (the aligned model's config name, e.g. tiny)"
    tokenizer = f"--tokenizer {out}" if saved.get("tokenizer") else "--tokenizer openclip"
    return f"bonevlp train --model {name} --pretrained {saved['pretrained']} {tokenizer} --data SHARDS --out RUN ..."


def align(model: str | Path, out: str | Path, table: SynonymTable, config: SapConfig | None = None) -> dict:
    """Align the text tower of `model` (a bonevlp run or export, or a Hugging Face encoder directory)
    on `table`, write the aligned model, `terms.csv` (the table used) and `sap.json` to `out`; returns
    the sap.json content."""
    config = config or SapConfig()
    config.check()
    model, out = Path(model), Path(out)
    if out.resolve() == model.resolve():
        raise ValueError("--out must not be the model's own folder")
    started = time.time()
    held_out = held_out_concepts(table, config.held_out_fraction, config.seed)
    training, evaluation = table.split(held_out)
    if config.held_out_fraction > 0 and not held_out:
        raise ValueError(f"{table.source}: no concept held out at fraction {config.held_out_fraction}; "
                         "use a larger table or fraction, or --held-out-fraction 0")
    tower = load_tower(model, config.device, config.precision)
    if tower.kind == "hf":
        tower.max_length = config.max_length
    lr = config.lr if config.lr is not None else (HF_LR if tower.kind == "hf" else FROM_SCRATCH_LR)
    scored = {"held_out": _scored_part(evaluation, config.max_eval_concepts, config.seed),
              "train": _scored_part(training, config.max_eval_concepts, config.seed)}
    before = {part: _scores(tower, t) for part, t in scored.items()}
    trained = train_tower(tower, training, config, lr)
    after = {part: _scores(tower, t) for part, t in scored.items()}
    out.mkdir(parents=True, exist_ok=True)
    saved = tower.save(out)
    table.write_csv(out / TERMS_CSV)
    run_config = getattr(getattr(tower, "loaded", None), "run_config", None) or {}
    summary = {
        "format_version": 1,
        "model": str(model),
        "tower": tower.kind,
        "embedding": tower.embedding,
        "table": table.summary() | {"sha256": _sha256(table.source), "copy": str(out / TERMS_CSV)},
        "held_out_fraction": config.held_out_fraction,
        "held_out": held_out,
        "train_concepts": len(training),
        "settings": asdict(config) | {"lr": lr},
        "training": trained,
        "before": before,
        "after": after,
        "saved": saved,
        "train_with": _train_hint(tower, out, saved, run_config.get("model")),
        "seconds": round(time.time() - started, 1),
    }
    (out / SAP_JSON).write_text(json.dumps(_finite(summary), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return summary


def _finite(value):
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
