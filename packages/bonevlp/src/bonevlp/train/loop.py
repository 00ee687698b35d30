"""The training loop of `bonevlp train`.

    summary = train(TrainConfig(data="shards/", out="runs/tiny"), resume=False)

One process per device (torchrun launches several; DDP averages gradients and the loss gathers
features across ranks). Each epoch's data order and augmentation are fixed by (seed, epoch, rank,
worker) inside the loader (`loader.set_epoch`), and torch's generator is reseeded before each
batch (dropout and anything else drawn in the step). A resumed run restores the checkpoint and
replays the epoch's iterator up to its position, so it continues with exactly the batches an
uninterrupted run would have seen.
"""

from __future__ import annotations

import contextlib
import json
import math
import time
from pathlib import Path

import torch
from torch.nn.parallel import DistributedDataParallel
from tqdm import tqdm

from ..data.loader import DataConfig, make_loader
from ..data.shards import resolve_shards, split_keys
from ..data.text import clean_report
from ..losses import ClipLoss, SigLipLoss, positives_from_study_index
from ..models.registry import create
from ..models.study_model import StudyCLIP
from ..models.tokenizer import train_tokenizer
from .checkpoint import load_checkpoint, save_checkpoint, set_rng_state
from .config import TrainConfig
from .distributed import World, any_rank, close_world, init_world
from .metrics import MetricsLog
from .optim import make_optimizer, warmup_cosine


def _forward_backward(ddp, loss_fn, batch: dict, world: World, autocast, scaler, config: TrainConfig,
                      sync: bool) -> float:
    """Forward and backward of one micro-batch; the loss value (before scaling)."""
    images = batch["images"].to(world.device, non_blocking=True)
    study_index = batch["study_index"].to(world.device, non_blocking=True)
    text = batch["text"].to(world.device, non_blocking=True)
    context = ddp.no_sync() if (world.size > 1 and not sync) else contextlib.nullcontext()
    with context:
        with autocast():
            out = ddp(images, study_index, text)
            loss = compute_loss(loss_fn, out, text.shape[0])
        if not torch.isfinite(loss):
            return math.inf
        scaled = loss / config.accum_steps
        (scaler.scale(scaled) if scaler is not None else scaled).backward()
    return float(loss.detach())


def _optimizer_step(model, optimizer, scheduler, scaler) -> None:
    if scaler is not None:
        scaler.unscale_(optimizer)
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    if scaler is not None:
        scaler.step(optimizer)
        scaler.update()
    else:
        optimizer.step()
    optimizer.zero_grad(set_to_none=True)
    scheduler.step()
    model.clamp_temperature()


def compute_loss(loss_fn, out: dict, n_texts: int) -> torch.Tensor:
    """The contrastive loss of a model output: study-level features (one per text) or per-image
    features with their study's text as positive."""
    image_features, text_features = out["image_features"], out["text_features"]
    positives = positives_from_study_index(out["study_index"], n_texts) if out.get("per_image") else None
    if isinstance(loss_fn, SigLipLoss):
        return loss_fn(image_features, text_features, out["logit_scale"], out["logit_bias"], positives=positives)
    return loss_fn(image_features, text_features, out["logit_scale"], positives=positives)


class NonFiniteLossError(RuntimeError):
    """The loss became NaN or infinite: training stops and says at which step."""


def _seed(*parts: int) -> int:
    value = 0
    for part in parts:
        value = (value * 1_000_003 + part) % (2**63 - 1)
    return value


def _texts_for_tokenizer(shards: str, val_fraction: float) -> list[str]:
    """The cleaned reports of the training split (never the validation split)."""
    import tarfile

    shard_set = resolve_shards(shards)
    val = split_keys(shard_set.manifest, "val", val_fraction) if shard_set.manifest is not None else set()
    texts = []
    for url in shard_set.urls:
        with tarfile.open(url) as tar:
            for member in tar:
                if member.name.endswith(".txt") and member.name.split(".", 1)[0] not in val:
                    texts.append(clean_report(tar.extractfile(member).read().decode("utf-8")))
    return texts


def tokenizer_dir_of(config: TrainConfig, run: Path) -> Path | None:
    """Where a run's tokenizer lives: None for open_clip's bundled one or an HF text tower's own."""
    if config.tokenizer == "openclip" or config.hf_text:
        return None
    if config.tokenizer != "train":
        return Path(config.tokenizer)
    return run / "tokenizer"


def _tokenizer_dir(config: TrainConfig, run: Path, world: World) -> Path | None:
    target = tokenizer_dir_of(config, run)
    if target is None or config.tokenizer != "train":
        return target
    if world.is_main and not (target / "tokenizer.json").exists():
        train_tokenizer(_texts_for_tokenizer(config.data, config.val_fraction), target, vocab_size=config.vocab_size)
    if world.size > 1:
        torch.distributed.barrier()
    return target


def _autocast(config: TrainConfig, device: torch.device):
    precision = config.precision
    if precision == "auto":
        precision = "bf16" if device.type == "cuda" else "fp32"
    if precision == "fp32":
        return contextlib.nullcontext, None
    dtype = torch.bfloat16 if precision == "bf16" else torch.float16
    scaler = torch.amp.GradScaler("cuda") if precision == "fp16" else None
    return (lambda: torch.autocast(device_type=device.type, dtype=dtype)), scaler


def build_model(config: TrainConfig, tokenizer_dir: Path | None):
    """The StudyCLIP model, its preprocessing settings and its tokenizer."""
    clip, preprocess, tokenize = create(
        config.model, tokenizer_dir,
        pretrained_image=Path(config.pretrained_image) if config.pretrained_image else None,
        pretrained=Path(config.pretrained) if config.pretrained else None,
        hf_text_dir=Path(config.hf_text) if config.hf_text else None, image_size=config.image_size)
    init = dict(SigLipLoss.default_init if config.loss == "siglip" else ClipLoss.default_init)
    if config.init_temperature is not None:
        init["init_temperature"] = config.init_temperature
    model = StudyCLIP(clip, pooling=config.pooling, learn_temperature=config.learn_temperature, **init)
    return model, preprocess, tokenize


def train(config: TrainConfig, resume: bool = False) -> dict:
    """Run (or resume) training; returns a summary (steps, last loss, samples/s, stop reason)."""
    world = init_world(config.device)
    try:
        return _train(config, resume, world)
    finally:
        close_world()


def _train(config: TrainConfig, resume: bool, world: World) -> dict:
    run = Path(config.out)
    checkpoint_path = run / "checkpoints" / "latest.pt"
    if world.is_main:
        run.mkdir(parents=True, exist_ok=True)
        saved = run / "config.json"
        if resume and saved.exists():
            changed = TrainConfig.from_json(saved).differences(config)
            if changed:
                raise ValueError(f"--resume with other settings: {', '.join(changed)}")
        saved.write_text(config.to_json(), encoding="utf-8")
    torch.manual_seed(config.seed)
    tokenizer_dir = _tokenizer_dir(config, run, world)
    model, preprocess, tokenize = build_model(config, tokenizer_dir)
    if config.grad_checkpointing:
        model.set_grad_checkpointing(True)
    model.to(world.device)
    image_size = config.image_size or int(preprocess["size"] if isinstance(preprocess["size"], int)
                                          else preprocess["size"][0])
    data = DataConfig(shards=config.data, batch_size=config.batch_size, images_per_study=config.images_per_study,
                      max_image_index=config.max_image_index, image_size=image_size, workers=config.workers,
                      val_fraction=config.val_fraction, seed=config.seed, shuffle_sentences=config.shuffle_sentences,
                      mean=tuple(preprocess["mean"]), std=tuple(preprocess["std"]), resampled=config.resampled,
                      group_size=config.group_size)
    tokenize(["warm-up"])  # load the tokenizer here: forked loader workers inherit it instead of loading it each epoch
    loader, epoch_samples = make_loader(data, tokenize, split="train", epoch_samples=config.epoch_samples)
    batches_per_epoch = max(1, len(loader))
    steps_per_epoch = max(1, batches_per_epoch // config.accum_steps)
    total_steps = config.max_steps or config.epochs * steps_per_epoch
    loss_fn = SigLipLoss() if config.loss == "siglip" else ClipLoss()
    optimizer = make_optimizer(model, config.optimizer, config.lr, config.weight_decay)
    scheduler = warmup_cosine(optimizer, config.warmup_steps, total_steps)
    autocast, scaler = _autocast(config, world.device)
    ddp = DistributedDataParallel(model) if world.size > 1 else model

    step, epoch, skip = 0, 0, 0
    metrics = MetricsLog(run, enabled=world.is_main)
    if resume and checkpoint_path.exists():
        state = load_checkpoint(checkpoint_path)
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        if scaler is not None and state["scaler"] is not None:
            scaler.load_state_dict(state["scaler"])
        step, epoch, skip = state["step"], state["epoch"], state["batch_in_epoch"]
        set_rng_state(state["rng"])
        metrics.truncate_after(step)

    def save(batch_in_epoch: int) -> None:
        if world.is_main:
            save_checkpoint(checkpoint_path, model=model, optimizer=optimizer, scheduler=scheduler, scaler=scaler,
                            step=step, epoch=epoch, batch_in_epoch=batch_in_epoch, config=json.loads(config.to_json()))

    started = time.perf_counter()
    stop_reason = "max steps" if config.max_steps else "epochs"
    epoch_limit = config.epochs if not config.max_steps else 10**9
    last_loss = math.nan
    position = skip
    bar = tqdm(total=total_steps, initial=step, desc="train", unit="step",
               disable=not (config.progress and world.is_main))
    window_samples, window_start = 0, time.perf_counter()
    model.train()
    while step < total_steps and epoch < epoch_limit:
        loader.set_epoch(epoch)  # data order and augmentation are fixed by (seed, epoch, rank, worker)
        iterator = iter(loader)
        position, micro, stopped = 0, 0, False
        optimizer.zero_grad(set_to_none=True)
        while step < total_steps:
            torch.manual_seed(_seed(config.seed, epoch, position, world.rank, 1))
            try:
                batch = next(iterator)
            except StopIteration:
                break
            position += 1
            if position <= skip:  # resuming: replay the epoch up to the checkpoint
                continue
            sync = (micro + 1) % config.accum_steps == 0
            loss = _forward_backward(ddp, loss_fn, batch, world, autocast, scaler, config, sync)
            micro += 1
            window_samples += len(batch["keys"]) * world.size
            if any_rank(not math.isfinite(loss), world):
                raise NonFiniteLossError(f"non-finite loss at step {step + 1} (epoch {epoch}, batch {position}); the "
                                    "last checkpoint is intact: resume with a lower learning rate or bf16/fp32")
            if not sync:
                continue
            _optimizer_step(model, optimizer, scheduler, scaler)
            step += 1
            last_loss = loss
            bar.update(1)
            if step % config.log_every == 0 or step == total_steps:
                elapsed = time.perf_counter() - window_start
                metrics.log({"step": step, "epoch": epoch, "loss": last_loss, "lr": scheduler.get_last_lr()[0],
                             "logit_scale": float(model.logit_scale().detach()),
                             "samples_per_s": round(window_samples / elapsed, 2) if elapsed > 0 else None})
                bar.set_postfix(loss=f"{last_loss:.3f}")
                window_samples, window_start = 0, time.perf_counter()
            if step % config.save_every == 0:
                save(position)
            budget_hit = config.time_budget is not None and time.perf_counter() - started > config.time_budget
            if any_rank(budget_hit, world):
                stop_reason, stopped = "time budget", True
                break
        skip = 0
        if stopped or step >= total_steps:
            break
        epoch, position = epoch + 1, 0
    bar.close()
    save(position)
    metrics.close()
    summary = {"steps": step, "epochs_started": epoch + 1, "last_loss": last_loss, "stop": stop_reason,
               "seconds": round(time.perf_counter() - started, 1), "epoch_samples": epoch_samples}
    if world.is_main:
        (run / "summary.json").write_text(json.dumps(summary, indent=1), encoding="utf-8")
    return summary
