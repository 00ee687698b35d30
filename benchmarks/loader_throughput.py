"""Throughput of the bonevlp training loader: decoded + augmented images/s per worker.

Without --shards, writes synthetic study-layout shards (grayscale JPEG, long side 512 px, quality 95,
1 to 5 images per study, as `boneds build` writes them) to a temporary folder. Runs the training loader
(full ConVIRT-style augmentation, shuffle buffer, captions, a cheap tokenizer) with 0, 1 and 2 workers
and prints images/s overall and per worker (workers=0: the main process is the worker), timed from the
first batch to the last (worker start-up excluded), and images per CPU second of a worker (the rate a
worker reaches on a core of its own, whatever else the machine runs). Also prints the per-image cost of each step on one
core. Target: >= 110 images/s per worker.

    .venv/bin/python benchmarks/loader_throughput.py [--shards OUT] [--studies 600] [--images-per-study 2]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import tarfile
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from bonevlp.data.augment import eval_transform, train_transform
from bonevlp.data.loader import DataConfig, make_loader

REPORT = ("Renseignements cliniques :\nChute de sa hauteur. Douleur du poignet droit. Exclure une fracture.\n"
          "Résultats :\n- Fracture non déplacée de l'extrémité distale du radius.\n- Pas de luxation.\n"
          "Conclusion : Fracture du radius distal.\nN° dossier : [ID]\n")


def tokenize(texts: list[str], context: int = 77) -> torch.Tensor:
    """A cheap stand-in tokenizer (words hashed to ids): the benchmark times images, not BPE."""
    out = torch.zeros(len(texts), context, dtype=torch.long)
    for row, text in enumerate(texts):
        ids = [1 + (sum(map(ord, word)) % 30000) for word in text.split()][:context]
        out[row, :len(ids)] = torch.tensor(ids, dtype=torch.long)
    return out


def synthetic_radiograph(rng: np.random.Generator, size: int = 512) -> bytes:
    """A grayscale JPEG with radiograph-like content (smooth anatomy, edges, noise), long side `size`."""
    height, width = size, int(size * rng.uniform(0.7, 0.85))
    if rng.random() < 0.5:
        height, width = width, height
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    image = 30 + 40 * np.sin(x / rng.uniform(20, 60)) * np.cos(y / rng.uniform(30, 80))
    for _ in range(4):  # bones: bright bands with a cortex
        cx, angle, half = rng.uniform(0, width), rng.uniform(-0.4, 0.4), rng.uniform(15, 45)
        distance = np.abs((x - cx) * np.cos(angle) - (y - height / 2) * np.sin(angle))
        image += np.where(distance < half, 90 + 60 * (distance > half * 0.7), 0)
    image += rng.normal(0, 6, image.shape)
    buffer = io.BytesIO()
    Image.fromarray(np.clip(image, 0, 255).astype(np.uint8), "L").save(buffer, "JPEG", quality=95)
    return buffer.getvalue()


def write_shards(folder: Path, studies: int, per_shard: int = 100, seed: int = 0) -> Path:
    """Study-layout shards of `studies` synthetic studies in folder/shards (no manifest: all train)."""
    rng = np.random.default_rng(seed)
    pool = [synthetic_radiograph(rng) for _ in range(64)]  # encoding is slow; reuse 64 distinct images
    (folder / "shards").mkdir(parents=True)
    sizes: dict[str, int] = {}
    for start in range(0, studies, per_shard):
        name = f"bone-{start // per_shard:06d}.tar"
        with tarfile.open(folder / "shards" / name, "w", format=tarfile.USTAR_FORMAT) as tar:
            for study in range(start, min(start + per_shard, studies)):
                key = f"P{study:011d}_S{study:011d}"
                members = {"txt": REPORT.encode(), "json": json.dumps({"images": []}).encode()}
                for index in range(int(rng.integers(1, 6))):
                    members[f"{index}.jpg"] = pool[int(rng.integers(len(pool)))]
                for field, data in members.items():
                    info = tarfile.TarInfo(f"{key}.{field}")
                    info.size = len(data)
                    tar.addfile(info, io.BytesIO(data))
        sizes[name] = min(per_shard, studies - start)
    (folder / "sizes.json").write_text(json.dumps(sizes))
    return folder


def step_costs(jpeg: bytes, image_size: int) -> None:
    """Milliseconds per image of decoding, training transform and eval transform, in this process."""
    train, evaluate = train_transform(image_size, (0.5,) * 3, (0.5,) * 3), eval_transform(image_size, (0.5,) * 3, (0.5,) * 3)
    rng = random.Random(0)
    steps = {"decode (PIL, L)": lambda: Image.open(io.BytesIO(jpeg)).convert("L"),
             "decode + train transform": lambda: train(Image.open(io.BytesIO(jpeg)), rng),
             "decode + eval transform": lambda: evaluate(Image.open(io.BytesIO(jpeg)))}
    for name, step in steps.items():
        step()
        start, repeats = time.perf_counter(), 200
        for _ in range(repeats):
            step()
        print(f"  {name}: {(time.perf_counter() - start) / repeats * 1000:.2f} ms/image")


def loader_rate(shards: str, workers: int, args: argparse.Namespace) -> tuple[float, float, int]:
    """(images/s of wall time from the first batch to the last, images per CPU second of the process
    doing the work (the main process for workers=0, else the workers together, whole epoch), images)."""
    config = DataConfig(shards, batch_size=args.batch_size, images_per_study=args.images_per_study,
                        image_size=args.image_size, workers=workers, shuffle_buffer=args.shuffle_buffer)
    loader, _ = make_loader(config, tokenize, "train", epoch_samples=args.studies)
    cpu_before, own_before = os.times(), time.process_time()
    images, timed, start = 0, 0, None
    batches = iter(loader)
    for batch in batches:
        images += batch["images"].shape[0]
        if start is None:
            start = time.perf_counter()
        else:
            timed += batch["images"].shape[0]
    wall = time.perf_counter() - start
    del batches  # workers joined: their CPU time is in os.times()
    cpu_after = os.times()
    if workers:
        cpu = (cpu_after.children_user + cpu_after.children_system
               - cpu_before.children_user - cpu_before.children_system)
    else:
        cpu = time.process_time() - own_before
    return timed / wall, images / cpu, images


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shards", help="shard spec (default: synthetic 512 px shards in a temporary folder)")
    parser.add_argument("--studies", type=int, default=600, help="studies per timed epoch")
    parser.add_argument("--images-per-study", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--image-size", type=int, default=224)
    parser.add_argument("--shuffle-buffer", type=int, default=200)
    parser.add_argument("--workers", type=int, nargs="+", default=[0, 1, 2])
    args = parser.parse_args()
    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as tmp:
        shards = args.shards or str(write_shards(Path(tmp) / "out", max(args.studies, 200)))
        print(f"shards: {shards}; studies/epoch {args.studies}, K={args.images_per_study}, "
              f"{args.image_size} px, batch {args.batch_size}")
        print("per-image cost, one core:")
        step_costs(synthetic_radiograph(np.random.default_rng(1)), args.image_size)
        print(f"load average before the loader runs: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs "
              "(other processes slow the wall-clock figures, not the CPU-time ones)")
        for workers in args.workers:
            rate, cpu_rate, images = loader_rate(shards, workers, args)
            print(f"workers={workers}: wall {rate:.0f} images/s overall = {rate / max(workers, 1):.0f} per worker; "
                  f"CPU {cpu_rate:.0f} images per worker CPU-second ({images} images)")


if __name__ == "__main__":
    main()
