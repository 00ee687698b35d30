"""`bonevlp export RUN --out DIR`: a run's latest checkpoint as an open_clip `local-dir:` model."""

from __future__ import annotations

from pathlib import Path

from ..models.study_model import export_open_clip
from .checkpoint import load_checkpoint
from .config import TrainConfig


def load_run(run: Path):
    """(StudyCLIP with the latest checkpoint's weights, preprocess config, tokenizer, tokenizer dir) of a run."""
    from .loop import build_model, tokenizer_dir_of

    run = Path(run)
    checkpoint = run / "checkpoints" / "latest.pt"
    if not checkpoint.exists():
        raise FileNotFoundError(f"no checkpoint in {run}")
    config = TrainConfig.from_json(run / "config.json")
    tokenizer_dir = tokenizer_dir_of(config, run)
    model, preprocess, tokenize = build_model(config, tokenizer_dir)
    model.load_state_dict(load_checkpoint(checkpoint)["model"])
    model.eval()
    return model, preprocess, tokenize, tokenizer_dir


def export_run(run: Path, out: Path) -> Path:
    """Write RUN's latest weights, config and tokenizer to OUT; returns OUT."""
    model, _, _, tokenizer_dir = load_run(run)
    return export_open_clip(model, None, tokenizer_dir, Path(out))
