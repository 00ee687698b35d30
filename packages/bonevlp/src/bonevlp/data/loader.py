"""The training and validation loaders over WebDataset shards (study or image layout).

    loader, samples = make_loader(DataConfig("OUT", batch_size=64, images_per_study=2), tokenizer)
    for batch in loader:            # one epoch; the next `for` is the next epoch (or loader.set_epoch(e))
        batch["images"]             # float32 [N_images, 3, S, S]
        batch["study_index"]        # int64 [N_images]: the study (0..B-1) of each image, for pooling
        batch["text"]               # int64 [B, context]: tokenize(captions)
        batch["keys"], batch["n_images"]  # also "image_index" (number in the study), "captions"

Stages, per worker: this rank's shards (split by node in the main process, so spawned workers need no
process group), this worker's share of them (`wds.split_by_worker`), shard order shuffled per epoch,
`wds.tarfile_samples`, the split's samples only, a shuffle buffer of undecoded samples, optionally
runs of `group_size` studies of one body part (hard negatives: see `grouped`), then decoding and
augmentation of the chosen images only, batching and tokenizing. All randomness comes from one
`random.Random` seeded by (seed, epoch, rank, worker): a run is reproducible and each epoch differs.

Epoch length (`len(loader)`: batches on this rank; `make_loader` also returns samples over all
ranks). Validation, and training on one process without `resampled` or `epoch_samples`: one pass over
the split, the exact sample count from the manifest (or sizes.json), a partial batch at each worker's
end. Otherwise (several ranks, `resampled`, or `epoch_samples`): every rank yields the same
number of full batches, `ceil(ceil(samples_per_rank / batch) / workers) * workers`, cycling over its
shards (or drawing shards with replacement when `resampled`), so DDP ranks never wait on each other.
"""

from __future__ import annotations

import io
import json
import math
import os
import random
import re
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from itertools import islice
from typing import Any

import torch
import webdataset as wds
from PIL import Image
from torch.utils.data import DataLoader, IterableDataset

from .augment import eval_transform, train_transform
from .shards import ShardSet, resolve_shards, split_keys
from .text import report_to_caption

IMAGE_EXTENSIONS = ("jpg", "jpeg", "png", "webp")
_NUMBERED_IMAGE_RE = re.compile(r"^(\d+)\.(?:" + "|".join(IMAGE_EXTENSIONS) + r")$")
_IMAGE_NUMBER_RE = re.compile(r"_(\d+)$")
SHUFFLE_INITIAL = 100  # samples in the shuffle buffer before the first one leaves it


@dataclass
class DataConfig:
    """What `make_loader` reads and how: shards spec (see `resolve_shards`), studies per batch, images per
    study (K, drawn without replacement among images 0 .. max_image_index-1; the first K in validation),
    image side, DataLoader workers, validation fraction (by the manifest's split_bucket), shuffle buffer
    (samples), seed, shard resampling, sentence shuffling, and normalisation (1 or 3 values each).
    `group_size` > 1 (training only): each batch is made of runs of `group_size` studies of one body part,
    so that a study's negatives include same-part studies that differ by their findings (see `grouped`)."""

    shards: str
    batch_size: int = 32
    images_per_study: int = 1
    max_image_index: int = 12
    image_size: int = 224
    workers: int = 2
    val_fraction: float = 0.1
    shuffle_buffer: int = 1000
    seed: int = 0
    resampled: bool = False
    shuffle_sentences: bool = True
    group_size: int = 1
    mean: tuple[float, ...] = (0.5, 0.5, 0.5)
    std: tuple[float, ...] = (0.5, 0.5, 0.5)


def image_fields(sample: dict[str, Any]) -> list[tuple[int, str]]:
    """(image number, field) of every image of a sample, by number: `0.jpg`, `1.jpg`, ... in the study
    layout; the single `jpg` (numbered from the key's last `_<n>`, else 0) in the image layout."""
    numbered = sorted((int(m.group(1)), name) for name in sample if (m := _NUMBERED_IMAGE_RE.match(name)))
    if numbered:
        return numbered
    for extension in IMAGE_EXTENSIONS:
        if extension in sample:
            match = _IMAGE_NUMBER_RE.search(sample.get("__key__", ""))
            return [(int(match.group(1)) if match else 0, extension)]
    return []


def choose_images(fields: Sequence[tuple[int, str]], count: int, max_index: int,
                  rng: random.Random | None) -> list[tuple[int, str]]:
    """`count` images (fewer if the sample has fewer) among those numbered below `max_index`: drawn
    without replacement with `rng`, or the first ones when `rng` is None. Returned by number."""
    candidates = [field for field in fields if field[0] < max_index] or list(fields[:1])
    count = min(count, len(candidates))
    if rng is None:
        return list(candidates[:count])
    return sorted(rng.sample(candidates, count))


@dataclass
class Example:
    key: str
    caption: str
    images: list  # transform.augment outputs (L images), or tensors for a transform without `augment`
    image_numbers: list[int]


class SampleDecoder:
    """Raw WebDataset sample -> `Example`: chooses the images, decodes only those (PIL, grayscale),
    transforms them, and turns the report into a caption. Picklable."""

    def __init__(self, transform: Callable, images_per_study: int, max_image_index: int, train: bool,
                 shuffle_sentences: bool) -> None:
        self.transform = transform
        self.images_per_study = images_per_study
        self.max_image_index = max_image_index
        self.train = train
        self.shuffle_sentences = shuffle_sentences
        self.normalise = getattr(transform, "normalise", None) if hasattr(transform, "augment") else None

    def __call__(self, sample: dict[str, Any], rng: random.Random) -> Example | None:
        key = sample["__key__"]
        chosen = choose_images(image_fields(sample), self.images_per_study, self.max_image_index,
                               rng if self.train else None)
        if not chosen:
            warnings.warn(f"sample {key} has no image: skipped", stacklevel=2)
            return None
        prepare = getattr(self.transform, "augment", self.transform)  # normalised later, into the batch
        try:
            images = [prepare(Image.open(io.BytesIO(sample[name])), rng) for _, name in chosen]
            report = sample.get("txt", b"")
            report = report.decode("utf-8") if isinstance(report, bytes) else str(report)
        except (OSError, ValueError) as error:  # a truncated or corrupt member: skip the sample, go on
            warnings.warn(f"sample {key} could not be decoded ({error}): skipped", stacklevel=2)
            return None
        caption = report_to_caption(report, rng, shuffle=self.train and self.shuffle_sentences)
        return Example(key, caption, images, [number for number, _ in chosen])


def _stack_images(images: list, normalise: Callable | None) -> torch.Tensor:
    """[N, 3, S, S] float32; L images are normalised straight into it. In a DataLoader worker the tensor
    is made in shared memory, so handing it to the main process copies nothing (as default_collate)."""
    if normalise is None:
        return torch.stack(images)
    first = images[0]
    shape = (len(images), 3, first.size[1], first.size[0])
    out = torch.empty(shape, dtype=torch.float32)
    if torch.utils.data.get_worker_info() is not None:
        out.share_memory_()
    for index, image in enumerate(images):
        normalise(image, out[index])
    return out


def collate(examples: Sequence[Example], tokenize: Callable[[list[str]], torch.Tensor],
            normalise: Callable | None = None) -> dict[str, Any]:
    """Examples -> batch dict: images [N, 3, S, S] (`normalise(image, out)` applied to L images),
    study_index [N], image_index [N] (the image's number in its study), n_images [B],
    text [B, context] = tokenize(captions), keys, captions."""
    n_images = torch.tensor([len(example.images) for example in examples], dtype=torch.long)
    captions = [example.caption for example in examples]
    text = tokenize(captions)
    return {
        "images": _stack_images([image for example in examples for image in example.images], normalise),
        "study_index": torch.repeat_interleave(torch.arange(len(examples), dtype=torch.long), n_images),
        "image_index": torch.tensor([n for example in examples for n in example.image_numbers], dtype=torch.long),
        "n_images": n_images,
        "text": text if isinstance(text, torch.Tensor) else torch.as_tensor(text, dtype=torch.long),
        "keys": [example.key for example in examples],
        "captions": captions,
    }


def _shuffled(samples: Iterator, size: int, rng: random.Random) -> Iterator:
    """A shuffle buffer of `size` samples (yielding starts once SHUFFLE_INITIAL are in)."""
    buffer: list = []
    initial = min(SHUFFLE_INITIAL, size)
    for sample in samples:
        if len(buffer) < size:
            buffer.append(sample)
            if len(buffer) < initial:
                continue
            index = rng.randrange(len(buffer))
            buffer[index], buffer[-1] = buffer[-1], buffer[index]
            yield buffer.pop()
        else:
            index = rng.randrange(size)
            buffer[index], sample = sample, buffer[index]
            yield sample
    rng.shuffle(buffer)
    yield from buffer


UNKNOWN_GROUP = ""


def body_part_of(sample: dict[str, Any]) -> str:
    """The study's body part from the sample's `json` member (UNKNOWN_GROUP when absent or unreadable)."""
    raw = sample.get("json")
    if raw is None:
        return UNKNOWN_GROUP
    try:
        meta = json.loads(raw.decode("utf-8") if isinstance(raw, bytes) else raw)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return UNKNOWN_GROUP
    part = meta.get("body_part") if isinstance(meta, dict) else None
    return str(part).upper() if part else UNKNOWN_GROUP


def grouped(samples: Iterator, group_size: int, group_of: Callable[[Any], str] = body_part_of) -> Iterator:
    """The samples reordered into runs of `group_size` consecutive samples of one group (body part), in
    the order the runs fill up; the leftovers, fewer than `group_size` per group, at the end. With a
    batch size that is a multiple of `group_size`, every batch is made of whole runs: each study meets
    `group_size - 1` negatives of its own body part, which the report tells apart only by its findings
    (fracture, side, implant, arthrosis), so the contrastive loss cannot be solved by anatomy alone."""
    if group_size <= 1:
        yield from samples
        return
    pending: dict[str, list] = {}
    for sample in samples:
        run = pending.setdefault(group_of(sample), [])
        run.append(sample)
        if len(run) == group_size:
            yield from run
            run.clear()
    for run in pending.values():
        yield from run


class ShardStream(IterableDataset):
    """The per-worker pipeline (see the module docstring). `urls` are this rank's shards (or, when
    `resampled`, all shards to draw from); `keys`/`exclude` select the split (None: every sample)."""

    def __init__(self, urls: list[str], decoder: SampleDecoder, tokenize: Callable, batch_size: int, *,
                 keys: frozenset[str] | None, exclude: bool, shuffle: bool, shuffle_buffer: int, seed: int,
                 rank: int, resampled: bool, batches_per_worker: int | None, num_batches: int,
                 group_size: int = 1) -> None:
        super().__init__()
        self.urls = list(urls)
        self.decoder = decoder
        self.tokenize = tokenize
        self.batch_size = batch_size
        self.keys = keys
        self.exclude = exclude
        self.shuffle = shuffle
        self.shuffle_buffer = shuffle_buffer
        self.seed = seed
        self.rank = rank
        self.resampled = resampled
        self.batches_per_worker = batches_per_worker
        self.num_batches = num_batches
        self.group_size = group_size
        self.epoch = 0

    def __len__(self) -> int:
        return self.num_batches

    def _selected(self, key: str) -> bool:
        if self.keys is None:
            return True
        return (key in self.keys) != self.exclude

    def _samples(self, rng: random.Random) -> Iterator[dict]:
        if self.resampled:
            shards = ({"url": rng.choice(self.urls)} for _ in iter(int, 1))
            yield from (s for s in wds.tarfile_samples(shards) if self._selected(s["__key__"]))
            return
        mine = list(wds.split_by_worker(iter(self.urls)))
        repeat = self.batches_per_worker is not None
        while True:
            order = list(mine)
            if self.shuffle:
                rng.shuffle(order)
            found = 0
            for sample in wds.tarfile_samples({"url": url} for url in order):
                if self._selected(sample["__key__"]):
                    found += 1
                    yield sample
            if not repeat:
                return
            if not found:
                raise RuntimeError(f"no sample of the split in shards {order}: sizes.json or the manifest "
                                   "does not match the shards")

    def _batches(self, rng: random.Random) -> Iterator[dict[str, Any]]:
        samples = self._samples(rng)
        if self.shuffle and self.shuffle_buffer > 1:
            samples = _shuffled(samples, self.shuffle_buffer, rng)
        samples = grouped(samples, self.group_size)
        batch: list[Example] = []
        for sample in samples:
            example = self.decoder(sample, rng)
            if example is None:
                continue
            batch.append(example)
            if len(batch) == self.batch_size:
                yield collate(batch, self.tokenize, self.decoder.normalise)
                batch = []
        if batch:
            yield collate(batch, self.tokenize, self.decoder.normalise)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        info = torch.utils.data.get_worker_info()
        worker = info.id if info is not None else 0
        rng = random.Random(f"bonevlp/{self.seed}/{self.epoch}/{self.rank}/{worker}")
        batches = self._batches(rng)
        if self.batches_per_worker is not None:
            batches = islice(batches, self.batches_per_worker)
        return batches


class ShardLoader(DataLoader):
    """A DataLoader over a `ShardStream` that advances the stream's epoch (the seed of its shard order,
    shuffle buffer, image choice, augmentation and sentence order) at each `iter()`; `set_epoch(e)`
    sets the next one (call it before each epoch when resuming: iter() counts from 0 otherwise).
    `num_samples`: samples per epoch over all ranks; `num_batches` (= len): this rank's batches."""

    def __init__(self, dataset: ShardStream, num_samples: int, **kwargs: Any) -> None:
        super().__init__(dataset, batch_size=None, **kwargs)
        self.num_samples = num_samples
        self.num_batches = len(dataset)
        self._next_epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self._next_epoch = epoch

    def __iter__(self):
        self.dataset.epoch = self._next_epoch
        self._next_epoch += 1
        return super().__iter__()


def _split_counts(shard_set: ShardSet, split: str, val_fraction: float) -> tuple[dict[str, int], frozenset[str] | None]:
    """Samples of the split per shard file name, and the validation keys (None without a manifest)."""
    manifest = shard_set.manifest
    if manifest is None:
        if split == "val":
            raise ValueError(f"no manifest.parquet found for {shard_set.urls[0]}...: a validation split needs the "
                             "manifest (it holds each patient's split_bucket)")
        return dict(shard_set.sizes), None
    val_keys = frozenset(split_keys(manifest, "val", val_fraction))
    rows = manifest[manifest["key"].isin(val_keys)] if split == "val" else manifest[~manifest["key"].isin(val_keys)]
    if "images" in rows.columns:
        rows = rows[rows["images"] > 0]
    listed = set(manifest["shard"].tolist())
    # a shard the manifest does not list holds training samples only (they are not validation keys)
    counts = {name: (0 if name in listed or split == "val" else size) for name, size in shard_set.sizes.items()}
    counts.update({str(name): int(n) for name, n in rows.groupby("shard").size().items()})
    return counts, val_keys


def _worker_batches(urls: list[str], counts: dict[str, int], workers: int, batch_size: int) -> int:
    """Batches of one pass when worker w reads urls[w::workers] (partial batch at each worker's end)."""
    return sum(math.ceil(sum(counts[os.path.basename(url)] for url in urls[w::workers]) / batch_size)
               for w in range(workers))


def make_loader(config: DataConfig, tokenize: Callable[[list[str]], torch.Tensor], split: str = "train",
                epoch_samples: int | None = None) -> tuple[ShardLoader, int]:
    """The loader of `split` ("train": augmented, shuffled, the manifest's training patients, or every
    sample when there is no manifest; "val": the validation patients, letterboxed, in shard order,
    never split across ranks) and the number of samples per epoch over all ranks (as open_clip's
    `num_samples`; `len(loader)` = `loader.num_batches` is this rank's batches per epoch: use it for
    steps, since each worker ends a one-pass epoch with its own partial batch).
    `epoch_samples` (train only): samples per epoch over all ranks, drawn by cycling (or resampling)
    shards; default: the training split once. `tokenize` runs in the workers: make it picklable.
    Under DDP, call it after `torch.distributed.init_process_group` (or with RANK and WORLD_SIZE set):
    the rank's shards are chosen here, in the main process."""
    if split not in ("train", "val"):
        raise ValueError(f"split must be 'train' or 'val', not {split!r}")
    if config.batch_size < 1 or config.images_per_study < 1 or config.max_image_index < 1 or config.workers < 0:
        raise ValueError("batch_size, images_per_study and max_image_index must be >= 1, workers >= 0")
    if config.group_size < 1 or config.batch_size % config.group_size:
        raise ValueError(f"group_size ({config.group_size}) must be >= 1 and divide batch_size ({config.batch_size})")
    train = split == "train"
    shard_set = resolve_shards(config.shards)
    counts, val_keys = _split_counts(shard_set, split, config.val_fraction)
    urls = [url for url in shard_set.urls if counts[os.path.basename(url)] > 0]
    total = sum(counts[os.path.basename(url)] for url in urls)
    rank, world, _, _ = wds.utils.pytorch_worker_info()
    if not train:
        rank, world = 0, 1
    fixed = train and (world > 1 or config.resampled or epoch_samples is not None)

    if not urls:
        workers, rank_urls = 0, []
    elif config.resampled and train:
        workers, rank_urls = config.workers, urls
    else:
        per_rank = [list(islice(urls, r, None, world)) for r in range(world)]  # = wds.split_by_node
        rank_urls = list(wds.split_by_node(iter(urls))) if train else urls
        fewest = min(len(shards) for shards in per_rank)
        if fewest == 0:
            raise ValueError(f"{len(urls)} shards hold {split} samples for {world} ranks: some rank would get "
                             "none; use resampled=True or more, smaller shards")
        workers = min(config.workers, fewest)  # every rank the same, so every rank the same batch count
    slots = max(workers, 1)

    if not urls:
        batches_per_worker, num_batches, num_samples = None, 0, 0
    elif fixed:
        samples_per_rank = max(1, (epoch_samples if epoch_samples is not None else total) // world)
        batches_per_worker = math.ceil(math.ceil(samples_per_rank / config.batch_size) / slots)
        num_batches = batches_per_worker * slots
        num_samples = num_batches * config.batch_size * world  # every rank the same
    else:
        batches_per_worker = None
        num_batches = _worker_batches(rank_urls, counts, slots, config.batch_size)
        num_samples = sum(counts[os.path.basename(url)] for url in rank_urls)

    if train:
        transform = train_transform(config.image_size, config.mean, config.std)
    else:
        transform = eval_transform(config.image_size, config.mean, config.std)
    decoder = SampleDecoder(transform, config.images_per_study, config.max_image_index, train,
                            config.shuffle_sentences)
    stream = ShardStream(rank_urls, decoder, tokenize, config.batch_size, keys=val_keys, exclude=train,
                         shuffle=train, shuffle_buffer=config.shuffle_buffer, seed=config.seed, rank=rank,
                         resampled=config.resampled and train, batches_per_worker=batches_per_worker,
                         num_batches=num_batches, group_size=config.group_size if train else 1)
    loader = ShardLoader(stream, num_samples, num_workers=workers, pin_memory=torch.cuda.is_available())
    return loader, num_samples
