"""The settings of a training run; saved as RUN/config.json and compared on `--resume`."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from pathlib import Path

# Settings that may change between a run and its resumption without changing what it computes.
RESUMABLE = {"time_budget", "workers", "log_every", "save_every", "progress", "device", "epochs", "max_steps"}


@dataclass
class TrainConfig:
    """Everything `bonevlp train` needs. Defaults suit the `tiny` model on a CPU."""

    data: str
    out: str
    model: str = "tiny"
    pooling: str = "mean"                 # mean | gated | none (per image, multi-positive)
    loss: str = "clip"                    # clip | siglip
    images_per_study: int = 1
    max_image_index: int = 12
    image_size: int | None = None         # default: the model's
    batch_size: int = 32
    accum_steps: int = 1
    epochs: int = 1
    max_steps: int | None = None
    time_budget: float | None = None      # seconds; stops cleanly and saves
    lr: float = 5e-4
    weight_decay: float = 0.1
    warmup_steps: int = 20
    optimizer: str = "adamw"              # adamw | lion
    precision: str = "auto"               # auto (bf16 on GPU, fp32 on CPU) | fp32 | bf16 | fp16
    grad_checkpointing: bool = False
    workers: int = 2
    resampled: bool = False               # draw shards with replacement (many workers, few shards)
    epoch_samples: int | None = None      # fixed samples per epoch (default: the training split's size)
    seed: int = 0
    val_fraction: float = 0.1
    shuffle_sentences: bool = True
    group_size: int = 1                   # > 1: batches made of runs of this many studies of one body part
    init_temperature: float | None = None  # default: 0.07 (clip), 0.1 (siglip); the authors used 0.1
    learn_temperature: bool = True
    tokenizer: str = "train"              # train (on the shard texts) | openclip (bundled) | a directory
    vocab_size: int = 8192
    hf_text: str | None = None            # local HF text encoder directory
    pretrained_image: str | None = None   # local image-tower state dict
    pretrained: str | None = None         # local whole-model state dict (e.g. `bonevlp sap` output)
    log_every: int = 10
    save_every: int = 200
    device: str = "auto"
    progress: bool = True

    def to_json(self) -> str:
        """The config as JSON text."""
        return json.dumps(asdict(self), indent=1, sort_keys=True)

    @classmethod
    def from_json(cls, path: Path) -> TrainConfig:
        """Read RUN/config.json (unknown keys are an error)."""
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown settings in {Path(path).name}: {', '.join(sorted(unknown))}")
        return cls(**data)

    def differences(self, other: TrainConfig) -> list[str]:
        """Names of settings that differ and matter for resuming."""
        mine, theirs = asdict(self), asdict(other)
        return sorted(k for k in mine if k not in RESUMABLE and mine[k] != theirs[k])
