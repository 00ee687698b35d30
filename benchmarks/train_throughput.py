"""Throughput of bonevlp's training step against a plain open_clip step on the same model and data.

Both steps run in one process, on one device, from the same initial weights and the same batch
(random images with a fixed seed, one image per sample; captions tokenized once by the model's
tokenizer, open_clip's bundled BPE), under the same autocast:

- bonevlp: `StudyCLIP` (mean pooling) built by the loop's `build_model`, bonevlp's `ClipLoss`, AdamW from
  `make_optimizer` with the warmup-cosine schedule, timed through the loop's own `_forward_backward` and
  `_optimizer_step` (gradient clipping, scheduler and temperature clamp included, as in training);
- open_clip: the same open_clip model type, built by the same factory and loaded with the same
  weights, called directly (`model(images, text)`), `open_clip.loss.ClipLoss()`, `torch.optim.AdamW`
  with the same hyper-parameters, backward, step, zero_grad.

The two steps alternate (their order flips every step, so that a loaded machine slows both alike);
each step is timed alone (the GPU synchronised before and after), the warm-up steps are left out and
the median is reported, with the ratio bonevlp / open_clip (target: >= 0.95).

`--loader SHARDS` also measures bonevlp's training loader (`make_loader`: decoding and full augmentation,
1 and 2 workers) in decoded + augmented images/s per worker, timed from the first batch to the last.

    .venv/bin/python benchmarks/train_throughput.py                      # CPU, tiny, batch 32, 20 steps
    .venv/bin/python benchmarks/train_throughput.py --device cuda --model ViT-B-16 --batch-size 256 --precision bf16
    .venv/bin/python benchmarks/train_throughput.py --loader OUT         # also the loader, on OUT's shards
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import tarfile
import time
from collections.abc import Callable

import open_clip
import torch
from PIL import Image

from bonevlp.data.loader import DataConfig, make_loader
from bonevlp.data.shards import resolve_shards
from bonevlp.losses import ClipLoss
from bonevlp.models.registry import create
from bonevlp.train.config import TrainConfig
from bonevlp.train.distributed import World
from bonevlp.train.loop import _autocast, _forward_backward, _optimizer_step, build_model
from bonevlp.train.optim import make_optimizer, warmup_cosine

CAPTIONS = (
    "Fracture non déplacée de l'extrémité distale du radius droit. Pas de luxation.",
    "Pas de lésion osseuse traumatique visible. Interlignes articulaires conservés.",
    "Fracture spiroïde du tiers moyen de la diaphyse tibiale gauche, déplacée.",
    "Arthrose fémoro-tibiale médiale modérée avec pincement de l'interligne.",
)
LR, WEIGHT_DECAY, BETAS, EPS = 5e-4, 0.1, (0.9, 0.98), 1e-6  # bonevlp's defaults (TrainConfig, make_optimizer)


def default_threads() -> int:
    """Every core this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def make_batch(batch_size: int, image_size: int, tokenize: Callable, device: torch.device, seed: int) -> dict:
    """One image per sample: random normalised images, captions tokenized once, study i = image i."""
    generator = torch.Generator().manual_seed(seed)
    images = torch.randn(batch_size, 3, image_size, image_size, generator=generator)
    captions = [f"{CAPTIONS[i % len(CAPTIONS)]} Examen {i}." for i in range(batch_size)]
    return {"images": images.to(device), "study_index": torch.arange(batch_size, device=device),
            "text": tokenize(captions).to(device), "keys": [str(i) for i in range(batch_size)]}


def bonevlp_step(config: TrainConfig, device: torch.device,
                 steps: int) -> tuple[torch.nn.Module, Callable, Callable, dict]:
    """The StudyCLIP model, the loop's step on it (`step(batch) -> loss`), its tokenizer and preprocessing."""
    model, preprocess, tokenize = build_model(config, None)
    model.to(device).train()
    loss_fn = ClipLoss()
    optimizer = make_optimizer(model, config.optimizer, config.lr, config.weight_decay)
    scheduler = warmup_cosine(optimizer, config.warmup_steps, steps)
    autocast, scaler = _autocast(config, device)
    world = World(rank=0, local_rank=0, size=1, device=device)

    def step(batch: dict) -> float:
        loss = _forward_backward(model, loss_fn, batch, world, autocast, scaler, config, sync=True)
        _optimizer_step(model, optimizer, scheduler, scaler)
        return loss

    return model, step, tokenize, preprocess


def open_clip_step(config: TrainConfig, device: torch.device, weights: dict) -> Callable:
    """The same open_clip model type, made by the same factory with the same weights, trained plainly."""
    model, _, _ = create(config.model, None)
    model.load_state_dict(weights)
    model.to(device).train()
    loss_fn = open_clip.loss.ClipLoss()
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.lr, betas=BETAS, eps=EPS,
                                  weight_decay=config.weight_decay)
    autocast, scaler = _autocast(config, device)

    def step(batch: dict) -> float:
        with autocast():
            image_features, text_features, logit_scale = model(batch["images"], batch["text"])[:3]
            loss = loss_fn(image_features, text_features, logit_scale)
        if scaler is not None:
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
        else:
            loss.backward()
            optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        return float(loss.detach())

    return step


def timed(step: Callable, batch: dict, device: torch.device) -> tuple[float, float, float]:
    """(wall seconds, CPU seconds of this process, loss) of one step, the device synchronised before and
    after."""
    synchronize(device)
    start, cpu_start = time.perf_counter(), time.process_time()
    loss = step(batch)
    synchronize(device)
    return time.perf_counter() - start, time.process_time() - cpu_start, loss


def compare_steps(args: argparse.Namespace, device: torch.device) -> None:
    total = args.warmup + args.steps
    config = TrainConfig(data="", out="", model=args.model, pooling="mean", loss="clip", batch_size=args.batch_size,
                         lr=LR, weight_decay=WEIGHT_DECAY, optimizer="adamw", precision=args.precision,
                         tokenizer="openclip", device=str(device), seed=args.seed, max_steps=total)
    torch.manual_seed(args.seed)
    study, bone_step, tokenize, preprocess = bonevlp_step(config, device, total)
    plain_step = open_clip_step(config, device, {k: v.detach().clone() for k, v in study.clip.state_dict().items()})
    size = preprocess["size"]
    image_size = int(size if isinstance(size, int) else size[0])
    batch = make_batch(args.batch_size, image_size, tokenize, device, args.seed)
    parameters = sum(p.numel() for p in study.parameters())
    print(f"model {args.model} ({type(study.clip).__name__}, {parameters / 1e6:.1f} M parameters), {image_size} px, "
          f"context {batch['text'].shape[1]}, batch {args.batch_size}, precision {args.precision}, "
          f"{args.warmup} warm-up + {args.steps} timed steps each, alternating")

    names = ("bonevlp", "open_clip")
    times: dict[str, list[float]] = {name: [] for name in names}
    cpu_times: dict[str, list[float]] = {name: [] for name in names}
    first_loss: dict[str, float] = {}
    steps = {"bonevlp": bone_step, "open_clip": plain_step}
    for index in range(total):
        for name in (names if index % 2 == 0 else names[::-1]):
            seconds, cpu_seconds, loss = timed(steps[name], batch, device)
            first_loss.setdefault(name, loss)
            if index >= args.warmup:
                times[name].append(seconds)
                cpu_times[name].append(cpu_seconds)
    print(f"first-step loss (same weights and batch): bonevlp {first_loss['bonevlp']:.5f}, "
          f"open_clip {first_loss['open_clip']:.5f}")
    rates = {name: args.batch_size / statistics.median(times[name]) for name in names}
    for name in names:
        wall, cpu = statistics.median(times[name]), statistics.median(cpu_times[name])
        print(f"{name:>9}: {rates[name]:8.1f} samples/s  (median step {wall * 1000:.1f} ms, min "
              f"{min(times[name]) * 1000:.1f}, max {max(times[name]) * 1000:.1f}; median CPU time {cpu * 1000:.1f} ms)")
    ratio = rates["bonevlp"] / rates["open_clip"]
    print(f"ratio bonevlp / open_clip (median wall time): {ratio:.3f} "
          f"(target >= 0.95: {'met' if ratio >= 0.95 else 'NOT met'})")
    paired = statistics.median(o / b for b, o in zip(times["bonevlp"], times["open_clip"], strict=True))
    print(f"ratio, median of step pairs run back to back: {paired:.3f}; of the fastest steps: "
          f"{min(times['open_clip']) / min(times['bonevlp']):.3f}")
    if device.type == "cpu":
        cpu_ratio = statistics.median(cpu_times["open_clip"]) / statistics.median(cpu_times["bonevlp"])
        print(f"ratio by median CPU time per step: {cpu_ratio:.3f} (less sensitive to other processes on the machine)")
    if device.type == "cuda":
        print(f"peak GPU memory (both models): {torch.cuda.max_memory_allocated(device) / 2**30:.1f} GiB")


def first_image_size(shards: str) -> tuple[str, tuple[int, int]] | None:
    """(member name, (width, height)) of the first image of the first shard."""
    with tarfile.open(resolve_shards(shards).urls[0]) as tar:
        for member in tar:
            if member.name.rsplit(".", 1)[-1].lower() in ("jpg", "jpeg", "png", "webp"):
                with Image.open(io.BytesIO(tar.extractfile(member).read())) as image:
                    return member.name, image.size
    return None


def measure_loader(args: argparse.Namespace) -> None:
    """Decoded + augmented images/s per worker of the training loader, with 1 and 2 workers."""
    _, preprocess, tokenize = create(args.model, None)
    size = args.image_size or preprocess["size"]
    image_size = int(size if isinstance(size, int) else size[0])
    first = first_image_size(args.loader)
    print(f"loader on {args.loader}: first image {first[0]} {first[1][0]}x{first[1][1]} px" if first
          else f"loader on {args.loader}: no image found in the first shard")
    print(f"  training split, full augmentation, 1 image per sample, {image_size} px output, batch "
          f"{args.batch_size}, {args.loader_samples} samples per run, tokenizer: the model's")
    for workers in (1, 2):
        config = DataConfig(args.loader, batch_size=args.batch_size, images_per_study=1, image_size=image_size,
                            workers=workers, seed=args.seed, mean=tuple(preprocess["mean"]),
                            std=tuple(preprocess["std"]))
        loader, _ = make_loader(config, tokenize, "train", epoch_samples=args.loader_samples)
        workers = loader.num_workers
        before = os.times()
        images, timed_images, start = 0, 0, None
        iterator = iter(loader)
        for batch in iterator:
            images += batch["images"].shape[0]
            if start is None:
                start = time.perf_counter()  # worker start-up and the first batch left out
            else:
                timed_images += batch["images"].shape[0]
        wall = time.perf_counter() - start
        del iterator  # workers joined: their CPU time is in os.times()
        after = os.times()
        cpu = after.children_user + after.children_system - before.children_user - before.children_system
        rate = timed_images / wall if wall > 0 else float("nan")
        print(f"  workers={workers}: {rate:.0f} images/s = {rate / max(workers, 1):.0f} per worker (wall, "
              f"{timed_images} images); {images / cpu if cpu > 0 else float('nan'):.0f} images per worker CPU-second")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu", help="cpu or cuda (default: cpu)")
    parser.add_argument("--model", default="tiny", help="project or open_clip config name (default: tiny)")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--steps", type=int, default=20, help="timed steps of each kind")
    parser.add_argument("--warmup", type=int, default=3, help="untimed steps of each kind first")
    parser.add_argument("--precision", default="fp32", choices=("auto", "fp32", "bf16", "fp16"),
                        help="autocast of both steps, as bonevlp's --precision (default: fp32)")
    parser.add_argument("--threads", type=int, default=default_threads(), help="torch threads (default: all cores)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--loader", metavar="SHARDS", help="also measure the training loader on these shards")
    parser.add_argument("--loader-only", action="store_true", help="with --loader: skip the step comparison")
    parser.add_argument("--loader-samples", type=int, default=512, help="samples per loader run")
    parser.add_argument("--image-size", type=int, help="loader output side (default: the model's)")
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    if device.type == "cuda" and device.index is None:
        device = torch.device("cuda", torch.cuda.current_device())
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else f"CPU, {os.cpu_count()} cores"
    print(f"device {device} ({name}); torch {torch.__version__}, open_clip {open_clip.__version__}; "
          f"torch threads {torch.get_num_threads()}; load average {os.getloadavg()[0]:.2f}")
    if not args.loader_only:
        compare_steps(args, device)
    if args.loader:
        measure_loader(args)


if __name__ == "__main__":
    main()
