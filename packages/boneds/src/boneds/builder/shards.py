"""The shard format, written: deterministic, atomic WebDataset tar files (the contract is in
`docs/shard-format.md`; bonevlp reads it without importing this module).

    with ShardWriter(out / "shards" / "bone-000000.tar") as shard:
        shard.write(Sample("k3f9..._7hq2...", {"txt": b"...", "json": b"{...}", "0.jpg": b"..."}))

A shard is written to `<name>.part` and renamed when complete, so a shard name that exists is a
whole shard. Members carry fixed metadata (mtime 0, uid/gid 0, no user or group name, mode 0644,
USTAR format) and come in a fixed order, so the same samples give the same bytes.
"""

from __future__ import annotations

import io
import os
import re
import tarfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

SHARD_PREFIX = "bone"
KEY_RE = re.compile(r"^[A-Za-z0-9_-]+$")  # no dots: WebDataset splits a member name at the first dot
PART_SUFFIX = ".part"


def shard_name(index: int, partition: tuple[int, int] | None = None) -> str:
    """`bone-000012.tar`, or `bone-p03of08-000012.tar` for partition 3 of 8 (names never collide)."""
    if partition is None:
        return f"{SHARD_PREFIX}-{index:06d}.tar"
    part, count = partition
    width = max(2, len(str(count)))
    return f"{SHARD_PREFIX}-p{part:0{width}d}of{count:0{width}d}-{index:06d}.tar"


def member_order(field: str) -> tuple[int, int, str]:
    """Sort key of a sample's fields: txt, json, then images by number, then anything else."""
    if field == "txt":
        return (0, 0, field)
    if field == "json":
        return (1, 0, field)
    stem = field.split(".", 1)[0]
    if stem.isdigit():
        return (2, int(stem), field)
    return (3, 0, field)


@dataclass(frozen=True)
class Sample:
    """One WebDataset sample: its key and its fields (extension -> bytes)."""

    key: str
    fields: Mapping[str, bytes]

    def __post_init__(self) -> None:
        if not KEY_RE.match(self.key):
            raise ValueError("a sample key may hold letters, digits, '_' and '-' only")
        if not self.fields:
            raise ValueError("a sample needs at least one field")


class ShardWriter:
    """Writes samples to one tar shard, atomically (`.part` then rename on `close`)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.part = self.path.with_name(self.path.name + PART_SUFFIX)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._handle = open(self.part, "wb")  # noqa: SIM115 - closed in close()/abort()
        self._tar = tarfile.open(fileobj=self._handle, mode="w", format=tarfile.USTAR_FORMAT)  # noqa: SIM115
        self.count = 0
        self._keys: set[str] = set()

    def write(self, sample: Sample) -> None:
        """Append one sample; keys must be unique within the shard."""
        if sample.key in self._keys:
            raise ValueError("duplicate sample key in shard")
        self._keys.add(sample.key)
        for field in sorted(sample.fields, key=member_order):
            data = sample.fields[field]
            info = tarfile.TarInfo(f"{sample.key}.{field}")
            info.size = len(data)
            info.mtime = 0
            info.mode = 0o644
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            self._tar.addfile(info, io.BytesIO(data))
        self.count += 1

    def close(self) -> None:
        """Finish the tar, flush it to disk and give it its final name."""
        self._tar.close()
        self._handle.flush()
        os.fsync(self._handle.fileno())
        self._handle.close()
        os.replace(self.part, self.path)

    def abort(self) -> None:
        """Drop the partial shard."""
        self._tar.close()
        self._handle.close()
        self.part.unlink(missing_ok=True)

    def __enter__(self) -> ShardWriter:
        return self

    def __exit__(self, kind, value, traceback) -> None:
        if kind is None:
            self.close()
        else:
            self.abort()


def remove_partial(folder: Path) -> int:
    """Delete `.part` files left by an interrupted build; the number removed."""
    removed = 0
    for part in Path(folder).glob(f"*{PART_SUFFIX}"):
        part.unlink()
        removed += 1
    return removed
