"""What a build will do, decided up front from the index and the pairing alone: which studies
become samples, in which order and in which shard, and what becomes of every other input.

The plan is deterministic (sorted by pseudonymous keys) so that a build, a resumed build and every
partition of a build agree on it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from frdeid.keys import derive, pseudonym
from frdeid.text.deidentify import pseudonymize_patient_id

from .pairing import PairingResult

STUDY_DOMAIN = "study"
SPLIT_DOMAIN = "split"
PARTITION_DOMAIN = "partition"
SPLIT_BUCKETS = 100


@dataclass(frozen=True)
class StudyTask:
    """Everything a worker needs to turn one paired study into samples (it holds PHI: the worker
    de-identifies it; it is never written anywhere)."""

    key: str                     # <patient pseudonym>_<study pseudonym>
    patient_id: str
    patient: dict                # patients.csv row: first_names, last_name, birth_date, sex
    report_id: str
    report_text: str
    report_datetime: pd.Timestamp
    study_datetime: pd.Timestamp
    sources: tuple[str, ...]     # DICOM files of the study, relative to EXPORT, in series/instance order
    split_bucket: int


@dataclass
class ShardPlan:
    """One shard's name and the studies that go into it, in order."""

    name: str
    tasks: list[StudyTask] = field(default_factory=list)


@dataclass
class BuildPlan:
    """The shards to write and the rows of the build report that are known before any pixel is read."""

    shards: list[ShardPlan]
    report_rows: list[dict]      # source, kind, status, reason
    pseudonyms: dict[str, str]   # patient_id -> pseudonym (PRIVATE only)


def study_key(key: bytes, patient_id: str, study_uid: str) -> str:
    """The sample key of a study: `<patient pseudonym>_<study pseudonym>` (no dots)."""
    return f"{pseudonymize_patient_id(key, patient_id)}_{pseudonym(key, STUDY_DOMAIN, study_uid)}"


def split_bucket(key: bytes, patient_id: str) -> int:
    """A patient's bucket in 0..99, the same for all their studies (patient-disjoint splits)."""
    return int.from_bytes(derive(key, SPLIT_DOMAIN, patient_id)[:8], "big") % SPLIT_BUCKETS


def in_partition(key: bytes, owner: str, partition: tuple[int, int] | None) -> bool:
    """Whether a patient (or, for a file without one, its source path) belongs to partition I of N."""
    if partition is None:
        return True
    part, count = partition
    return int.from_bytes(derive(key, PARTITION_DOMAIN, owner)[:8], "big") % count == part


def report_row(source: str, kind: str, status: str, reason: str = "") -> dict:
    """One row of the build report: what became of one input (a DICOM file or `report:<id>`)."""
    return {"source": source, "kind": kind, "status": status, "reason": reason}


def _report_exclusion(status: pd.DataFrame, report_id: str) -> str | None:
    """Why a report is left out at planning time, or None when it is paired."""
    if report_id not in status.index:
        return "unpaired"
    row = status.loc[report_id]
    if row["status"] == "paired":
        return None
    if row["status"] == "not radiology":
        return "not a radiology report"
    return f"{row['status']}: {row['reason']}" if row["reason"] else str(row["status"])


def make_plan(key: bytes, images: pd.DataFrame, studies: pd.DataFrame, reports: pd.DataFrame,
              patients: pd.DataFrame, pairing: PairingResult, *, layout: str, samples_per_shard: int,
              partition: tuple[int, int] | None, shard_name) -> BuildPlan:
    """The plan of a build (or of one partition). `shard_name(index)` names the shards."""
    owner = images["patient_id"].where(images["patient_id"].fillna("") != "", images["source"])
    images = images[[in_partition(key, o, partition) for o in owner]]
    studies = studies[[in_partition(key, p, partition) for p in studies["patient_id"]]]
    reports = reports[[in_partition(key, p, partition) for p in reports["patient_id"]]]
    people = {str(r["patient_id"]): r for r in patients.to_dict("records")}

    rows: list[dict] = []
    report_rows: dict[str, dict] = {}
    status_of_report = pairing.report_status.set_index("report_id")
    for report_id in reports["report_id"]:
        reason = _report_exclusion(status_of_report, report_id)
        if reason is not None:
            report_rows[report_id] = report_row(f"report:{report_id}", "report", "excluded", reason)

    failed = images[images["status"] != "ok"]
    for source, reason in zip(failed["source"], failed["reason"], strict=True):
        rows.append(report_row(source, "dicom", "excluded", f"failed to index: {reason}"))
    ok = images[images["status"] == "ok"].copy()
    ok["_series"] = ok["series_number"].fillna(0).astype("int64")
    ok["_instance"] = ok["instance_number"].fillna(0).astype("int64")
    ok = ok.sort_values(["study_uid", "_series", "series_uid", "_instance", "sop_uid", "source"])
    sources_of = {uid: tuple(group["source"]) for uid, group in ok.groupby("study_uid", sort=False)}

    pair_of = dict(zip(pairing.pairs["study_uid"], pairing.pairs["report_id"], strict=True))
    study_status = pairing.study_status.set_index("study_uid")
    reports_by_id = reports.set_index("report_id")
    tasks: list[StudyTask] = []
    pseudonyms: dict[str, str] = {}
    for study in studies.to_dict("records"):
        uid, patient_id = study["study_uid"], study["patient_id"]
        sources = sources_of.get(uid, ())
        reason = None
        if study.get("conflict"):
            reason = "images of the study disagree on the patient"
        elif uid not in pair_of:
            status = study_status.loc[uid] if uid in study_status.index else None
            reason = "no paired report" if status is None or status["status"] == "unpaired" \
                else f"ambiguous pairing: {status['reason']}"
        elif patient_id not in people:
            reason = "patient not in patients.csv"
            report_rows[pair_of[uid]] = report_row(f"report:{pair_of[uid]}", "report", "excluded", reason)
        if reason is not None:
            rows.extend(report_row(s, "dicom", "excluded", reason) for s in sources)
            continue
        report = reports_by_id.loc[pair_of[uid]]
        pseudonyms[patient_id] = pseudonymize_patient_id(key, patient_id)
        tasks.append(StudyTask(
            key=study_key(key, patient_id, uid), patient_id=patient_id, patient=dict(people[patient_id]),
            report_id=pair_of[uid], report_text=str(report["text"]), report_datetime=report["datetime"],
            study_datetime=study["study_datetime"], sources=sources,
            split_bucket=split_bucket(key, patient_id)))
    tasks.sort(key=lambda task: task.key)
    if len({task.key for task in tasks}) != len(tasks):
        raise RuntimeError("two studies received the same sample key")

    shards: list[ShardPlan] = []
    filled = samples_per_shard
    for task in tasks:
        weight = len(task.sources) if layout == "image" else 1
        if filled + weight > samples_per_shard and filled > 0:
            shards.append(ShardPlan(shard_name(len(shards))))
            filled = 0
        shards[-1].tasks.append(task)
        filled += weight
    return BuildPlan(shards, rows + [report_rows[r] for r in sorted(report_rows)], pseudonyms)
