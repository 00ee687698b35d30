"""Finding shards and their metadata (docs/shard-format.md), and the patient-disjoint split.

    shard_set = resolve_shards("OUT")                       # a `boneds build` folder
    shard_set = resolve_shards("OUT/shards/bone-{000000..000003}.tar")
    shard_set = resolve_shards("OUT/shards/*.tar::other/shards/*.tar")
    val_keys = split_keys(shard_set.manifest, "val", 0.1)

Local files only (webdataset itself reads more, but sizes and the manifest are read here).
"""

from __future__ import annotations

import glob
import json
import os
import tarfile
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from braceexpand import braceexpand

SHARDS_DIR = "shards"
SIZES = "sizes.json"
MANIFEST = "manifest.parquet"
SPLITS = ("train", "val")
_GLOB_CHARS = set("*?[")


@dataclass
class ShardSet:
    """Shard paths (sorted within each part of the spec), samples per shard, the manifest restricted to
    those shards (None when no manifest was found) and the folder the metadata came from."""

    urls: list[str]
    sizes: dict[str, int] = field(default_factory=dict)  # keyed by shard file name, as sizes.json
    manifest: pd.DataFrame | None = None
    root: Path | None = None

    @property
    def samples(self) -> int:
        return sum(self.sizes.get(os.path.basename(url), 0) for url in self.urls)


def _expand_part(part: str) -> list[str]:
    path = Path(part).expanduser()
    if path.is_dir():
        folder = path / SHARDS_DIR if (path / SHARDS_DIR).is_dir() else path
        return sorted(str(p) for p in folder.glob("*.tar"))
    if "{" in part:
        names = [name for pattern in braceexpand(str(path)) for name in _expand_part(pattern)]
        return names
    if _GLOB_CHARS & set(part):
        return sorted(glob.glob(str(path)))
    return [str(path)]


def _metadata_root(urls: list[str]) -> Path | None:
    """The folder holding sizes.json / manifest.parquet: the shards' folder or the one above it."""
    parents = sorted({Path(url).parent for url in urls})
    for parent in parents:
        for folder in (parent, parent.parent):
            if any(folder.glob("sizes*.json")) or any(folder.glob("manifest*.parquet")):
                return folder
    return None


def _read_sizes(folder: Path) -> dict[str, int]:
    """sizes.json, else the union of the partial sizes.pIIofNN.json files of a split build."""
    whole = folder / SIZES
    paths = [whole] if whole.is_file() else sorted(folder.glob("sizes.*.json"))
    sizes: dict[str, int] = {}
    for path in paths:
        sizes.update({name: int(count) for name, count in json.loads(path.read_text(encoding="utf-8")).items()})
    return sizes


def _read_manifest(folder: Path) -> pd.DataFrame | None:
    """manifest.parquet, else the partial manifest.pIIofNN.parquet files of a split build, joined."""
    whole = folder / MANIFEST
    paths = [whole] if whole.is_file() else sorted(folder.glob("manifest.*.parquet"))
    if not paths:
        return None
    frames = [pd.read_parquet(path) for path in paths]
    return pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]


def count_samples(path: str | os.PathLike) -> int:
    """Samples in one tar shard: distinct keys (member name up to its first dot)."""
    keys = set()
    with tarfile.open(path, mode="r:") as tar:
        for member in tar:
            if member.isfile():
                name = os.path.basename(member.name)
                keys.add((os.path.dirname(member.name), name.split(".", 1)[0]))
    return len(keys)


def resolve_shards(spec: str | os.PathLike) -> ShardSet:
    """Shards named by `spec`: a `boneds build` folder (OUT, holding shards/), a folder of .tar files, a
    glob, a brace pattern ("dir/bone-{000000..000003}.tar") or a single file; several joined by "::".
    Sizes come from sizes.json next to the shards or one folder up (missing shards are counted by
    reading them); the manifest from manifest.parquet there, restricted to the shards found."""
    urls: list[str] = []
    for part in str(spec).split("::"):
        if part:
            urls.extend(_expand_part(part))
    if not urls:
        raise FileNotFoundError(f"no shard matches {str(spec)!r}")
    missing = [url for url in urls if not os.path.isfile(url)]
    if missing:
        raise FileNotFoundError(f"shard not found: {missing[0]}" + (f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""))
    names = [os.path.basename(url) for url in urls]
    if len(set(names)) != len(names):
        raise ValueError("two shards share a file name: sizes.json and the manifest could not tell them apart")
    root = _metadata_root(urls)
    known = _read_sizes(root) if root is not None else {}
    sizes = {name: known[name] if name in known else count_samples(url) for name, url in zip(names, urls, strict=True)}
    manifest = _read_manifest(root) if root is not None else None
    if manifest is not None and "shard" in manifest.columns:
        manifest = manifest[manifest["shard"].isin(set(names))].reset_index(drop=True)
    return ShardSet(urls=urls, sizes=sizes, manifest=manifest, root=root)


def val_bucket_limit(val_fraction: float) -> int:
    """Buckets 0 .. limit-1 (of 0-99) are validation."""
    if not 0.0 <= val_fraction <= 1.0:
        raise ValueError("val_fraction must be within [0, 1]")
    return round(100 * val_fraction)


def split_keys(manifest: pd.DataFrame, split: str, val_fraction: float = 0.1) -> set[str]:
    """Keys of the `split` ("train" or "val") samples: validation holds the samples whose patient's
    `split_bucket` is below round(100 * val_fraction), training the others; a bucket belongs to a patient,
    so no patient is on both sides."""
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, not {split!r}")
    if "split_bucket" not in manifest.columns:
        raise ValueError("the manifest has no split_bucket column")
    is_val = manifest["split_bucket"].to_numpy() < val_bucket_limit(val_fraction)
    chosen = manifest["key"][is_val if split == "val" else ~is_val]
    return set(chosen.tolist())
