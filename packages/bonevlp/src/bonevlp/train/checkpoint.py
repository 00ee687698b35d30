"""Checkpoints that a run can resume from exactly: model, optimiser, scheduler, scaler, step,
epoch, position in the epoch and every RNG state. Written atomically (temp file + rename)."""

from __future__ import annotations

import os
import random
from pathlib import Path

import numpy as np
import torch


def rng_state() -> dict:
    """The states of Python's, NumPy's and torch's generators (CUDA too when present)."""
    state = {"python": random.getstate(), "numpy": np.random.get_state(), "torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict) -> None:
    """Restore what `rng_state` returned."""
    random.setstate(state["python"])
    np.random.set_state(state["numpy"])
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def save_checkpoint(path: Path, *, model: torch.nn.Module, optimizer, scheduler, scaler, step: int, epoch: int,
                    batch_in_epoch: int, config: dict) -> None:
    """Write the checkpoint to `path` atomically."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict(),
        "scheduler": scheduler.state_dict(),
        "scaler": scaler.state_dict() if scaler is not None else None,
        "step": step,
        "epoch": epoch,
        "batch_in_epoch": batch_in_epoch,
        "rng": rng_state(),
        "config": config,
    }
    part = path.with_name(path.name + ".part")
    torch.save(payload, part)
    with open(part, "rb") as handle:
        os.fsync(handle.fileno())
    os.replace(part, path)


def load_checkpoint(path: Path, map_location="cpu") -> dict:
    """A checkpoint written by `save_checkpoint` (trusted: written by this project)."""
    return torch.load(Path(path), map_location=map_location, weights_only=False)
