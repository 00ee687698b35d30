"""`boneds build`: index -> pair -> plan -> de-identify, convert and write shards -> outputs.

    summary = run_build(export, out, private, key, BuildOptions(workers=4))

Outputs (the contract is `docs/shard-format.md`):

    OUT/shards/bone-000000.tar ...     samples (nothing in OUT links back to a patient)
    OUT/sizes.json                     samples per shard (as open_clip reads it)
    OUT/manifest.parquet               one row per sample: key, patient, shard, images, body part, ...
    OUT/stats.json                     counts, pairing figures, exclusions by reason, timings
    PRIVATE/index.parquet              the header index of the export (PHI)
    PRIVATE/pairs.parquet              study <-> report pairs and methods (PHI)
    PRIVATE/pseudonyms.csv             patient_id -> pseudonym (PHI)
    PRIVATE/build-report.csv           one row per DICOM file and per report: source, kind, status, reason
    PRIVATE/progress/<shard>.json      per-shard record: what a resumed build needs

Resume: a shard counts as done when its tar (renamed from `.part` only when complete) and its
record both exist; any other shard is written again from scratch. The plan is deterministic and
so is every byte of a shard, so a build killed at any point and run again ends with the same
shards as an uninterrupted one. With `partition=(I, N)`, outputs carry a `.pIIofNN` suffix and
`merge_partitions` joins them.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import json
import multiprocessing
import os
import time
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd
from tqdm import tqdm

from .index import index_dicom, read_patients, read_reports, studies_table
from .pairing import PairingResult, pair_reports
from .plan import BuildPlan, ShardPlan, StudyTask, in_partition, make_plan
from .samples import SampleSettings, StudyOutcome, StudyProcessor
from .shards import ShardWriter, remove_partial, shard_name

REPORT_FIELDS = ("source", "kind", "status", "reason")
MANIFEST_COLUMNS = ("key", "patient", "shard", "images", "body_part", "modality", "split_bucket")
FORMAT_VERSION = 1


class BuildError(RuntimeError):
    """The build cannot start or cannot go on (bad paths, a previous build with other settings)."""


class BuildDefectError(RuntimeError):
    """An internal check failed (an input accounted for twice): a defect of the build, not of the input."""


@dataclass(frozen=True)
class BuildOptions:
    """The settings of a build; all but `workers` and `progress` change what is written."""

    image_size: int = 512
    jpeg_quality: int = 95
    layout: str = "study"
    samples_per_shard: int = 1000
    partition: tuple[int, int] | None = None
    allow_next_day: bool = True
    workers: int = 1
    progress: bool = True

    def fingerprint(self, key: bytes) -> str:
        """What must match for a build to resume another, or for partitions to be joined (the key
        is hashed, never stored)."""
        settings = {k: v for k, v in asdict(self).items() if k not in ("workers", "progress", "partition")}
        settings["key"] = hashlib.sha256(b"boneds-build-key" + key).hexdigest()[:16]
        settings["format"] = FORMAT_VERSION
        return json.dumps(settings, sort_keys=True)


def suffix(partition: tuple[int, int] | None) -> str:
    """`""`, or `.p03of08` for the outputs of partition 3 of 8."""
    if partition is None:
        return ""
    width = max(2, len(str(partition[1])))
    return f".p{partition[0]:0{width}d}of{partition[1]:0{width}d}"


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def check_paths(export: Path, out: Path, private: Path, key_file: Path | None = None) -> None:
    """Everything in OUT leaves the hospital: neither PRIVATE, the export nor the key may be inside
    it; OUT and PRIVATE may not be inside the export either."""
    export, out, private = (Path(p).resolve() for p in (export, out, private))
    if not (export / "dicom").is_dir():
        raise BuildError("the export has no dicom/ folder")
    if _inside(private, out):
        raise BuildError("PRIVATE must not be inside OUT")
    if _inside(export, out):
        raise BuildError("the export must not be inside OUT")
    if key_file is not None and _inside(Path(key_file).resolve(), out):
        raise BuildError("the key file must not be inside OUT")
    if _inside(out, export):
        raise BuildError("OUT must not be inside the export")
    if _inside(private, export):
        raise BuildError("PRIVATE must not be inside the export")


# -- worker processes --------------------------------------------------------------------------
_PROCESSOR: StudyProcessor | None = None


def _init_worker(key: bytes, export: Path, settings: SampleSettings) -> None:
    global _PROCESSOR
    _PROCESSOR = StudyProcessor(key, export, settings)


def _process(task: StudyTask) -> StudyOutcome:
    assert _PROCESSOR is not None
    return _PROCESSOR.process(task)


# -- the build ---------------------------------------------------------------------------------
def run_build(export: Path, out: Path, private: Path, key: bytes, options: BuildOptions,
              key_file: Path | None = None) -> dict:
    """Build (or resume) the shards of an export; returns the stats written to OUT/stats.json."""
    export, out, private = Path(export), Path(out), Path(private)
    check_paths(export, out, private, key_file)
    started = time.perf_counter()
    tag = suffix(options.partition)
    progress_dir = private / "progress"
    _check_settings(out, progress_dir, options.fingerprint(key))
    remove_partial(out / "shards")
    remove_partial(progress_dir)

    timings: dict[str, float] = {}
    clock = time.perf_counter()
    images = index_dicom(export, workers=options.workers, progress=options.progress)
    reports, patients = read_reports(export), read_patients(export)
    timings["index_s"] = time.perf_counter() - clock
    with _atomic(private / f"index{tag}.parquet") as part:
        images.to_parquet(part, index=False)

    clock = time.perf_counter()
    studies = studies_table(images)
    pairing = pair_reports(studies, reports, allow_next_day=options.allow_next_day)
    with _atomic(private / f"pairs{tag}.parquet") as part:
        pairing.pairs.to_parquet(part, index=False)
    plan = make_plan(key, images, studies, reports, patients, pairing, layout=options.layout,
                     samples_per_shard=options.samples_per_shard, partition=options.partition,
                     shard_name=lambda i: shard_name(i, options.partition))
    timings["pair_and_plan_s"] = time.perf_counter() - clock
    pairing_counts = _partition_counts(pairing, studies, reports, key, options.partition)

    clock = time.perf_counter()
    records = _write_shards(plan, export, out, progress_dir, key, options)
    timings["shards_s"] = time.perf_counter() - clock
    timings["total_s"] = time.perf_counter() - started
    digest = hashlib.sha256(options.fingerprint(key).encode("utf-8")).hexdigest()
    return _finish(plan, records, pairing_counts, out, private, tag, timings, options, digest)


def _check_settings(out: Path, progress_dir: Path, fingerprint: str) -> None:
    """Refuse folders that hold a build made with other settings or another key (any partition):
    its shards would mix with this build's. OUT keeps a digest of the settings, PRIVATE the settings."""
    digest = json.dumps({"settings_sha256": hashlib.sha256(fingerprint.encode("utf-8")).hexdigest()})
    marks = ((out / "build.json", digest), (progress_dir / "settings.json", fingerprint))
    for path, expected in marks:
        if path.exists() and path.read_text(encoding="utf-8") != expected:
            raise BuildError("OUT or PRIVATE holds a build made with other settings or another key; use new folders")
    if not (out / "build.json").exists() and (out / "shards").is_dir() and any((out / "shards").iterdir()):
        raise BuildError("OUT holds shards of another build; use a new folder")
    for folder in (out / "shards", progress_dir):
        folder.mkdir(parents=True, exist_ok=True)
    for path, expected in marks:
        if not path.exists():
            _write_atomic(path, expected.encode("utf-8"))


def _partition_counts(pairing: PairingResult, studies: pd.DataFrame, reports: pd.DataFrame, key: bytes,
                      partition: tuple[int, int] | None) -> dict:
    """The pairing figures of this partition's patients only (so that merged figures add up)."""
    if partition is None:
        return pairing.counts()
    mine = {p for p in set(studies["patient_id"]) | set(reports["patient_id"]) if in_partition(key, p, partition)}
    study_ids = set(studies.loc[studies["patient_id"].isin(mine), "study_uid"])
    report_ids = set(reports.loc[reports["patient_id"].isin(mine), "report_id"])
    return PairingResult(pairs=pairing.pairs[pairing.pairs["study_uid"].isin(study_ids)],
                         study_status=pairing.study_status[pairing.study_status["study_uid"].isin(study_ids)],
                         report_status=pairing.report_status[pairing.report_status["report_id"].isin(report_ids)]
                         ).counts()


@contextlib.contextmanager
def _atomic(path: Path):
    """Yield a temporary path next to `path`; rename it to `path` when the block succeeds."""
    part = path.with_name(path.name + ".part")
    try:
        yield part
        os.replace(part, path)
    finally:
        part.unlink(missing_ok=True)


def _write_atomic(path: Path, data: bytes) -> None:
    with _atomic(path) as part, open(part, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def _record_path(progress_dir: Path, shard: ShardPlan) -> Path:
    return progress_dir / f"{shard.name}.json"


def _done(out: Path, progress_dir: Path, shard: ShardPlan) -> dict | None:
    record_path = _record_path(progress_dir, shard)
    if not record_path.exists():
        return None
    record = json.loads(record_path.read_text(encoding="utf-8"))
    if record["samples"] and not (out / "shards" / shard.name).exists():
        return None
    return record


def _write_shards(plan: BuildPlan, export: Path, out: Path, progress_dir: Path, key: bytes,
                  options: BuildOptions) -> list[dict]:
    settings = SampleSettings(options.image_size, options.jpeg_quality, options.layout)
    records: dict[str, dict] = {}
    todo = []
    for shard in plan.shards:
        record = _done(out, progress_dir, shard)
        if record is None:
            todo.append(shard)
        else:
            records[shard.name] = record
    total = sum(len(s.tasks) for s in todo)
    bar = tqdm(total=total, desc="studies", unit="study", disable=not options.progress)
    pool = None
    try:
        if options.workers > 1 and total > 1:
            context = multiprocessing.get_context("spawn")  # no fork of a process holding spaCy/threads
            pool = context.Pool(options.workers, initializer=_init_worker, initargs=(key, export, settings))
            outcomes_of = lambda tasks: pool.imap(_process, tasks, chunksize=1)  # noqa: E731
        elif total:
            processor = StudyProcessor(key, export, settings)
            outcomes_of = lambda tasks: map(processor.process, tasks)  # noqa: E731
        for shard in todo:
            records[shard.name] = _write_one(shard, outcomes_of(shard.tasks), out, progress_dir, bar)
    finally:
        bar.close()
        if pool is not None:
            pool.terminate()
            pool.join()
    return [records[s.name] for s in plan.shards]


def _write_one(shard: ShardPlan, outcomes, out: Path, progress_dir: Path, bar: tqdm) -> dict:
    rows: list[dict] = []
    manifest: list[dict] = []
    writer = None
    try:
        for outcome in outcomes:
            rows.extend(outcome.rows)
            for sample in outcome.samples:
                if writer is None:
                    writer = ShardWriter(out / "shards" / shard.name)
                writer.write(sample)
            manifest.extend(row | {"shard": shard.name} for row in outcome.manifest)
            bar.update(1)
        if writer is not None:
            writer.close()
    except BaseException:
        if writer is not None:
            writer.abort()
        raise
    record = {"shard": shard.name, "samples": writer.count if writer else 0, "rows": rows, "manifest": manifest}
    _write_atomic(_record_path(progress_dir, shard), json.dumps(record, ensure_ascii=False).encode("utf-8"))
    return record


def _finish(plan: BuildPlan, records: list[dict], pairing_counts: dict, out: Path, private: Path, tag: str,
            timings: dict, options: BuildOptions, digest: str) -> dict:
    rows = plan.report_rows + [row for record in records for row in record["rows"]]
    rows.sort(key=lambda r: (r["kind"], r["source"]))
    sources = [r["source"] for r in rows]
    if len(set(sources)) != len(sources):
        raise BuildDefectError("an input was accounted for twice (a defect of the build)")
    with _atomic(private / f"build-report{tag}.csv") as part, open(part, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=REPORT_FIELDS)
        writer.writeheader()
        writer.writerows(rows)
    pseudonyms = pd.DataFrame(sorted(plan.pseudonyms.items()), columns=["patient_id", "patient_pseudonym"])
    with _atomic(private / f"pseudonyms{tag}.csv") as part:
        pseudonyms.to_csv(part, index=False)

    sizes = {r["shard"]: r["samples"] for r in records if r["samples"]}
    _write_atomic(out / f"sizes{tag}.json", json.dumps(sizes, indent=1, sort_keys=True).encode("utf-8"))
    manifest = pd.DataFrame([m for r in records for m in r["manifest"]], columns=list(MANIFEST_COLUMNS))
    with _atomic(out / f"manifest{tag}.parquet") as part:
        manifest.to_parquet(part, index=False)
    stats = _stats(rows, sizes, manifest, pairing_counts, timings, options) | {"settings_sha256": digest}
    _write_atomic(out / f"stats{tag}.json", json.dumps(stats, indent=1, sort_keys=True).encode("utf-8"))
    return stats


def _stats(rows: list[dict], sizes: dict, manifest: pd.DataFrame, pairing_counts: dict, timings: dict,
           options: BuildOptions) -> dict:
    by_kind = Counter((r["kind"], r["status"]) for r in rows)
    reasons = Counter((r["kind"], r["reason"]) for r in rows if r["status"] == "excluded")
    shards_s = timings.get("shards_s", 0.0)
    images = int(manifest["images"].sum()) if len(manifest) else 0
    return {
        "format_version": FORMAT_VERSION,
        "layout": options.layout,
        "image_size": options.image_size,
        "jpeg_quality": options.jpeg_quality,
        "partition": list(options.partition) if options.partition else None,
        "shards": len(sizes),
        "samples": int(sum(sizes.values())),
        "images": images,
        "patients": int(manifest["patient"].nunique()) if len(manifest) else 0,
        "inputs": {f"{kind}_{status}": n for (kind, status), n in sorted(by_kind.items())},
        "exclusions": {kind: {reason: n for (k, reason), n in sorted(reasons.items()) if k == kind}
                       for kind in ("dicom", "report")},
        "pairing": pairing_counts,
        "timings": {k: round(v, 2) for k, v in timings.items()}
                   | {"studies_per_s": round(len(manifest) / shards_s, 2) if shards_s else None},
    }


def merge_partitions(out: Path, private: Path | None = None) -> dict:
    """Join the per-partition sizes, manifests and stats in OUT (and build reports and pseudonyms in
    PRIVATE) into sizes.json, manifest.parquet, stats.json (build-report.csv, pseudonyms.csv).
    Refuses when the partitions do not form one complete set 0..N-1."""
    out = Path(out)
    parts = sorted(out.glob("sizes.p*of*.json"))
    if not parts:
        raise BuildError("no partition outputs to merge")
    tags = [p.name[len("sizes"):-len(".json")] for p in parts]
    counts = {tag.split("of")[1] for tag in tags}
    if len(counts) != 1 or len(tags) != int(counts.pop()):
        raise BuildError("the partitions present do not form one complete set")
    sizes: dict[str, int] = {}
    for path in parts:
        sizes.update(json.loads(path.read_text(encoding="utf-8")))
    _write_atomic(out / "sizes.json", json.dumps(sizes, indent=1, sort_keys=True).encode("utf-8"))
    manifest = pd.concat([pd.read_parquet(out / f"manifest{t}.parquet") for t in tags], ignore_index=True)
    manifest = manifest.sort_values(["shard", "key"], kind="stable").reset_index(drop=True)
    with _atomic(out / "manifest.parquet") as part:
        manifest.to_parquet(part, index=False)
    stats = [json.loads((out / f"stats{t}.json").read_text(encoding="utf-8")) for t in tags]
    merged = _merge_stats(stats)
    _write_atomic(out / "stats.json", json.dumps(merged, indent=1, sort_keys=True).encode("utf-8"))
    if private is not None:
        private = Path(private)
        reports = pd.concat([pd.read_csv(private / f"build-report{t}.csv", dtype=str, keep_default_na=False)
                             for t in tags], ignore_index=True).sort_values(["kind", "source"])
        with _atomic(private / "build-report.csv") as part:
            reports.to_csv(part, index=False)
        pseudonyms = pd.concat([pd.read_csv(private / f"pseudonyms{t}.csv", dtype=str) for t in tags])
        with _atomic(private / "pseudonyms.csv") as part:
            pseudonyms.sort_values("patient_id").to_csv(part, index=False)
    return merged


SETTINGS_KEYS = ("format_version", "layout", "image_size", "jpeg_quality", "settings_sha256")


def _merge_stats(stats: list[dict]) -> dict:
    for name in SETTINGS_KEYS:
        if len({json.dumps(s.get(name)) for s in stats}) != 1:
            raise BuildError(f"the partitions were built with different settings or keys ({name})")

    def add(a, b):
        if isinstance(a, dict) and isinstance(b, dict):
            return {k: add(a.get(k), b.get(k)) for k in sorted(set(a) | set(b))}
        if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
            return a + b
        return a if b is None else b if a is None else a

    merged = stats[0]
    for other in stats[1:]:
        merged = add(merged, other)
    for name in SETTINGS_KEYS:
        merged[name] = stats[0].get(name)
    merged["partition"] = None
    merged["partitions"] = len(stats)
    merged["timings"].pop("studies_per_s", None)
    return merged
