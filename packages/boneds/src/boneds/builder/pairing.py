"""Pairs radiology reports with X-ray studies, on the original (not yet shifted) dates.

Rules, applied in this order; each study gets at most one report and each report at most one study:

0. Only documents whose `kind` is "radiologie" (case and accents ignored) take part; the others get
   the status "not radiology". Studies flagged `conflict` (images disagreeing on the Patient ID)
   are left unpaired.
1. Accession number. A study and a report of the same patient with the same non-empty accession
   number are paired ("accession"). When one accession number is carried by several studies or
   several reports of the patient, all of them are "ambiguous" and take no further part. A study
   and a report that both have an accession number, and different ones, are never paired.
2. Same day. The remaining studies and reports of one patient on one calendar day form a group. A
   report is a possible partner of a study when
   - it was written no earlier than the study started (unless one of the two times is unknown:
     00:00:00, a date alone), and
   - when the day has several studies, each with body regions of its own (Body Part Examined, the
     optional `body_parts` column) and the report's text (optional `text` column) names the
     regions of exactly one of them: it is that one.
   With k studies and k reports (for k > 1: all times known and distinct), the i-th study in time
   order is paired with the i-th report when every such pair is possible ("same_day" for k = 1,
   "same_day_order" for k > 1). Otherwise (k studies and m != k reports, unknown or equal times, an
   order that does not fit) a study and a report are paired when each is the other's only possible
   partner in the group, repeatedly ("same_day_order"). Whatever still has a possible partner is
   "ambiguous"; whatever has none stays free for rule 3.
   Time order alone is weak evidence: in the synthetic export, report delays (20-300 min) overlap
   the gaps between two exams of one day (10-180 min), and time order alone paired about a third
   of those groups wrongly. The body region settles them.
3. Next day (`allow_next_day`). The patient's free studies of day D and free reports of day D + 1
   are paired ("next_day") when each is the other's only possible partner (accession numbers and
   body regions as in rule 2; any time of D + 1 is after D); what still has several is "ambiguous".
   A study or report that had a possible partner on its own day never gets here: a same-day report
   always wins over a next-day one.

Ambiguous groups are dropped, never guessed at, and counted in the status tables.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import combinations
from pathlib import Path

import pandas as pd

METHODS = ("accession", "same_day", "same_day_order", "next_day")
RADIOLOGY_KIND = "radiologie"
STUDY_INPUT = ("study_uid", "patient_id", "accession_number", "study_datetime")
REPORT_INPUT = ("report_id", "patient_id", "accession_number", "datetime", "kind")

# Body regions: the Body Part Examined values (DICOM defined terms, or the French word itself) that
# mean one, and the French words that name it in a report (accents and case folded away). Words that
# other regions' reports use too (humérus, fémur, dorsal) are left out on purpose.
REGIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "hand": (("HAND", "FINGER", "THUMB", "MAIN"), r"mains?|doigts?|pouces?"),
    "wrist": (("WRIST", "POIGNET"), r"poignets?"),
    "forearm": (("FOREARM", "AVANT-BRAS"), r"avant-bras"),
    "elbow": (("ELBOW", "COUDE"), r"coudes?"),
    "arm": (("ARM", "HUMERUS", "BRAS"), r"bras"),
    "shoulder": (("SHOULDER", "EPAULE"), r"epaules?"),
    "clavicle": (("CLAVICLE", "CLAVICULE"), r"clavicules?"),
    "knee": (("KNEE", "PATELLA", "GENOU"), r"genoux?"),
    "leg": (("LEG", "TIBIA", "JAMBE"), r"jambes?"),
    "thigh": (("THIGH", "FEMUR", "CUISSE"), r"cuisses?"),
    "ankle": (("ANKLE", "CHEVILLE"), r"chevilles?"),
    "foot": (("FOOT", "TOE", "HEEL", "PIED"), r"pieds?|orteils?"),
    "hip": (("HIP", "HANCHE"), r"hanches?"),
    "pelvis": (("PELVIS", "BASSIN"), r"bassin"),
    "spine": (("SPINE", "CSPINE", "TSPINE", "LSPINE", "SSPINE", "COCCYX", "RACHIS", "COLONNE"),
              r"rachis|colonne|lombaires?|cervicales?"),
    "chest": (("CHEST", "THORAX"), r"thorax"),
    "skull": (("SKULL", "HEAD", "CRANE"), r"cranes?"),
}
_REGION_OF_CODE = {code: region for region, (codes, _) in REGIONS.items() for code in codes}
_REGION_WORDS = {region: re.compile(rf"(?<![\w-])(?:{words})(?![\w-])") for region, (_, words) in REGIONS.items()}

SHARED_ACCESSION = "accession number shared by several studies or reports"
SAME_DAY_AMBIGUOUS = "several possible partners on the same day"
NEXT_DAY_AMBIGUOUS = "several possible partners on the next day"


@dataclass(frozen=True)
class _Item:
    """A study or a report, as far as pairing is concerned."""

    key: str  # study_uid or report_id
    patient: str
    accession: str
    when: pd.Timestamp  # NaT when unknown
    regions: frozenset[str] = field(default_factory=frozenset)  # a study's body regions, when known
    text: str = ""  # a report's text

    @property
    def day(self) -> date | None:
        return None if pd.isna(self.when) else self.when.date()

    @property
    def time_known(self) -> bool:
        return not pd.isna(self.when) and (self.when.hour, self.when.minute, self.when.second,
                                           self.when.microsecond) != (0, 0, 0, 0)


@dataclass
class PairingResult:
    """The pairs and what became of every study and every report."""

    pairs: pd.DataFrame  # study_uid, report_id, method
    study_status: pd.DataFrame  # study_uid, status ("paired", "unpaired", "ambiguous"), reason
    report_status: pd.DataFrame  # report_id, status (... or "not radiology"), reason

    def counts(self) -> dict[str, dict[str, int]]:
        """How many pairs per method, studies per status and reports per status."""
        return {
            "pairs": {m: int((self.pairs["method"] == m).sum()) for m in METHODS},
            "studies": self.study_status["status"].value_counts().sort_index().to_dict(),
            "reports": self.report_status["status"].value_counts().sort_index().to_dict(),
        }


class _Ledger:
    """Statuses and pairs as the rules decide them; undecided items are free."""

    def __init__(self, studies: Iterable[str], reports: Iterable[str]) -> None:
        self.study: dict[str, tuple[str, str]] = dict.fromkeys(studies, ("", ""))
        self.report: dict[str, tuple[str, str]] = dict.fromkeys(reports, ("", ""))
        self.pairs: list[tuple[str, str, str]] = []

    def pair(self, study: _Item, report: _Item, method: str) -> None:
        self.pairs.append((study.key, report.key, method))
        self.study[study.key] = ("paired", method)
        self.report[report.key] = ("paired", method)

    def set_study(self, item: _Item, status: str, reason: str) -> None:
        self.study[item.key] = (status, reason)

    def set_report(self, item: _Item, status: str, reason: str) -> None:
        self.report[item.key] = (status, reason)

    def free_studies(self, items: Iterable[_Item]) -> list[_Item]:
        return [s for s in items if not self.study[s.key][0]]

    def free_reports(self, items: Iterable[_Item]) -> list[_Item]:
        return [r for r in items if not self.report[r.key][0]]


def pair_reports(studies: pd.DataFrame, reports: pd.DataFrame, *, allow_next_day: bool = True) -> PairingResult:
    """Pair radiology reports with studies (rules in the module docstring).

    `studies` needs study_uid, patient_id, accession_number, study_datetime (and may have
    `conflict`); `reports` needs report_id, patient_id, accession_number, datetime, kind. Both keys
    must be unique."""
    _require(studies, STUDY_INPUT, "studies")
    _require(reports, REPORT_INPUT, "reports")
    study_items = _study_items(studies)
    report_items = _report_items(reports)
    ledger = _Ledger((s.key for s in study_items), (r.key for r in report_items))

    radiology = dict(zip(reports["report_id"].astype(str), reports["kind"].map(is_radiology_kind), strict=True))
    for report in report_items:
        if not radiology[report.key]:
            ledger.set_report(report, "not radiology", "not a radiology report")
    if "conflict" in studies.columns:
        conflicted = set(studies.loc[studies["conflict"].astype(bool), "study_uid"].astype(str))
        for study in study_items:
            if study.key in conflicted:
                ledger.set_study(study, "unpaired", "images disagree on the Patient ID")

    by_patient_studies = _by_patient(s for s in study_items if s.patient)
    by_patient_reports = _by_patient(r for r in report_items if r.patient and radiology[r.key])
    for patient, patient_studies in by_patient_studies.items():
        patient_reports = by_patient_reports.get(patient, [])
        _pair_by_accession(ledger, patient_studies, patient_reports)
        _pair_same_day(ledger, patient_studies, patient_reports)
        if allow_next_day:
            _pair_next_day(ledger, patient_studies, patient_reports)
    _close(ledger, study_items, report_items, allow_next_day)
    return _result(ledger, study_items, report_items)


def is_radiology_kind(kind: object) -> bool:
    """Whether a document kind means a radiology report ("radiologie", "Radiologie", "RADIOLOGIE ")."""
    return isinstance(kind, str) and _fold(kind) == RADIOLOGY_KIND


def _require(table: pd.DataFrame, columns: tuple[str, ...], name: str) -> None:
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise ValueError(f"{name}: missing column(s): {', '.join(missing)}")
    key = table[columns[0]].astype(str)
    if key.duplicated().any():
        raise ValueError(f"{name}: {int(key.duplicated().sum())} repeated {columns[0]} values")


def _study_items(studies: pd.DataFrame) -> list[_Item]:
    moments = pd.to_datetime(studies["study_datetime"], errors="coerce")
    parts = studies["body_parts"] if "body_parts" in studies.columns else [""] * len(studies)
    return [_Item(str(k), _clean(p), _clean(a), m, body_regions(_clean(b)))
            for k, p, a, m, b in zip(studies["study_uid"], studies["patient_id"], studies["accession_number"], moments,
                                     parts, strict=True)]


def _report_items(reports: pd.DataFrame) -> list[_Item]:
    moments = pd.to_datetime(reports["datetime"], errors="coerce")
    texts = reports["text"] if "text" in reports.columns else [""] * len(reports)
    return [_Item(str(k), _clean(p), _clean(a), m, text=_clean(t))
            for k, p, a, m, t in zip(reports["report_id"], reports["patient_id"], reports["accession_number"], moments,
                                     texts, strict=True)]


def body_regions(body_parts: str) -> frozenset[str]:
    """The body regions of "|"-joined Body Part Examined values (unknown values are ignored)."""
    return frozenset(_REGION_OF_CODE[code] for code in (_fold(p).upper() for p in body_parts.split("|"))
                     if code in _REGION_OF_CODE)


def named_regions(text: str) -> frozenset[str]:
    """The body regions a report's text names."""
    folded = _fold(text)
    return frozenset(region for region, words in _REGION_WORDS.items() if words.search(folded))


def _fold(text: str) -> str:
    """Lower case without accents."""
    decomposed = unicodedata.normalize("NFKD", text.strip().casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _clean(value: object) -> str:
    return "" if pd.api.types.is_scalar(value) and pd.isna(value) else str(value).strip()


def _by_patient(items: Iterable[_Item]) -> dict[str, list[_Item]]:
    groups: dict[str, list[_Item]] = defaultdict(list)
    for item in items:
        groups[item.patient].append(item)
    return groups


def _compatible(study: _Item, report: _Item) -> bool:
    """Two different accession numbers say the report is about another exam."""
    return not (study.accession and report.accession and study.accession != report.accession)


def _written_after(study: _Item, report: _Item) -> bool:
    """A report is written after its exam started; an unknown time does not rule anything out."""
    return not (study.time_known and report.time_known) or report.when >= study.when


def _pair_by_accession(ledger: _Ledger, studies: list[_Item], reports: list[_Item]) -> None:
    by_number: dict[str, tuple[list[_Item], list[_Item]]] = defaultdict(lambda: ([], []))
    for study in ledger.free_studies(studies):
        if study.accession:
            by_number[study.accession][0].append(study)
    for report in ledger.free_reports(reports):
        if report.accession:
            by_number[report.accession][1].append(report)
    for group_studies, group_reports in by_number.values():
        if not group_studies or not group_reports:
            continue
        if len(group_studies) == 1 and len(group_reports) == 1:
            ledger.pair(group_studies[0], group_reports[0], "accession")
            continue
        for study in group_studies:
            ledger.set_study(study, "ambiguous", SHARED_ACCESSION)
        for report in group_reports:
            ledger.set_report(report, "ambiguous", SHARED_ACCESSION)


def _by_day(items: Iterable[_Item]) -> dict[date, list[_Item]]:
    groups: dict[date, list[_Item]] = defaultdict(list)
    for item in items:
        if item.day is not None:
            groups[item.day].append(item)
    return groups


def _pair_same_day(ledger: _Ledger, studies: list[_Item], reports: list[_Item]) -> None:
    reports_by_day = _by_day(ledger.free_reports(reports))
    for day, day_studies in sorted(_by_day(ledger.free_studies(studies)).items()):
        day_reports = reports_by_day.get(day, [])
        if day_reports:
            _resolve_day(ledger, day_studies, day_reports)


def _resolve_day(ledger: _Ledger, studies: list[_Item], reports: list[_Item]) -> None:
    """Rule 2 on one patient's studies and reports of one day."""
    named = _named_studies(studies, reports)

    def possible(study: _Item, report: _Item) -> bool:
        return (_compatible(study, report) and _written_after(study, report)
                and named.get(report.key, study.key) == study.key)

    method = "same_day" if len(studies) == len(reports) == 1 else "same_day_order"
    ordered_studies, ordered_reports = _in_time_order(studies), _in_time_order(reports)
    if (len(studies) == len(reports) and ordered_studies is not None and ordered_reports is not None
            and all(possible(s, r) for s, r in zip(ordered_studies, ordered_reports, strict=True))):
        for study, report in zip(ordered_studies, ordered_reports, strict=True):
            ledger.pair(study, report, method)
        return
    _pair_only_partners(ledger, studies, reports, possible, method, SAME_DAY_AMBIGUOUS)


def _pair_only_partners(ledger: _Ledger, studies: list[_Item], reports: list[_Item],
                        possible: Callable[[_Item, _Item], bool], method: str, ambiguous: str) -> None:
    """Pair a study and a report while each is the other's only possible partner; what still has a
    possible partner afterwards is ambiguous, the rest stays free."""
    free_studies, free_reports = list(studies), list(reports)
    while True:
        forced = next(((s, r) for s in free_studies for r in free_reports
                       if possible(s, r) and _only(free_reports, lambda x, s=s: possible(s, x)) is r
                       and _only(free_studies, lambda x, r=r: possible(x, r)) is s), None)
        if forced is None:
            break
        ledger.pair(*forced, method)
        free_studies.remove(forced[0])
        free_reports.remove(forced[1])
    for study in free_studies:
        if any(possible(study, r) for r in free_reports):
            ledger.set_study(study, "ambiguous", ambiguous)
    for report in free_reports:
        if any(possible(s, report) for s in free_studies):
            ledger.set_report(report, "ambiguous", ambiguous)


def _named_studies(studies: list[_Item], reports: list[_Item]) -> dict[str, str]:
    """report_id -> study_uid, for the reports that name the body region of exactly one of the day's
    studies, when each study has its own known regions (no evidence otherwise)."""
    regions = [s.regions for s in studies]
    if len(studies) < 2 or not all(regions) or any(a & b for a, b in combinations(regions, 2)):
        return {}
    named: dict[str, str] = {}
    for report in reports:
        mentioned = named_regions(report.text)
        hits = [s.key for s in studies if s.regions & mentioned]
        if len(hits) == 1:
            named[report.key] = hits[0]
    return named


def _in_time_order(items: list[_Item]) -> list[_Item] | None:
    """The items sorted by time, or None when their order is not known (an unknown or shared time)."""
    if len(items) == 1:
        return list(items)
    if not all(i.time_known for i in items) or len({i.when for i in items}) < len(items):
        return None
    return sorted(items, key=lambda i: i.when)


def _only(items: list[_Item], keep) -> _Item | None:
    kept = [i for i in items if keep(i)]
    return kept[0] if len(kept) == 1 else None


def _pair_next_day(ledger: _Ledger, studies: list[_Item], reports: list[_Item]) -> None:
    """Rule 3: the free studies of a day and the free reports of the day after."""
    reports_by_day = _by_day(ledger.free_reports(reports))
    for day, day_studies in sorted(_by_day(ledger.free_studies(studies)).items()):
        day_reports = reports_by_day.get(day + timedelta(days=1), [])
        if not day_reports:
            continue
        named = _named_studies(day_studies, day_reports)

        def possible(study: _Item, report: _Item, named: dict[str, str] = named) -> bool:
            return _compatible(study, report) and named.get(report.key, study.key) == study.key

        _pair_only_partners(ledger, day_studies, day_reports, possible, "next_day", NEXT_DAY_AMBIGUOUS)


def _close(ledger: _Ledger, studies: list[_Item], reports: list[_Item], allow_next_day: bool) -> None:
    """Give every item still free the status "unpaired" and the reason."""
    window = "on the same day or the next" if allow_next_day else "on the same day"
    for study in ledger.free_studies(studies):
        if not study.patient:
            reason = "no Patient ID"
        elif study.day is None:
            reason = "no study date and no matching accession number"
        else:
            reason = f"no radiology report {window}"
        ledger.set_study(study, "unpaired", reason)
    window = "on the same day or the day before" if allow_next_day else "on the same day"
    for report in ledger.free_reports(reports):
        if not report.patient:
            reason = "no Patient ID"
        elif report.day is None:
            reason = "no date and no matching accession number"
        else:
            reason = f"no study {window}"
        ledger.set_report(report, "unpaired", reason)


def _result(ledger: _Ledger, studies: list[_Item], reports: list[_Item]) -> PairingResult:
    pairs = pd.DataFrame(ledger.pairs, columns=["study_uid", "report_id", "method"], dtype=object)
    study_status = pd.DataFrame([(s.key, *ledger.study[s.key]) for s in studies],
                                columns=["study_uid", "status", "reason"], dtype=object)
    report_status = pd.DataFrame([(r.key, *ledger.report[r.key]) for r in reports],
                                 columns=["report_id", "status", "reason"], dtype=object)
    return PairingResult(pairs.sort_values("study_uid", kind="stable").reset_index(drop=True),
                         study_status, report_status)


def pairing_scores(pairs: pd.DataFrame, truth_studies_csv: Path | str) -> dict:
    """Precision and recall of `pairs` against a synthetic export's truth/studies.csv (its
    `report_id` column is the true report of each study, empty when none), with the counts and,
    per method, how many pairs were right."""
    truth = pd.read_csv(truth_studies_csv, dtype=str, keep_default_na=False)
    true_report = dict(zip(truth["study_uid"], truth["report_id"], strict=True))
    right = [true_report.get(str(s), "") == str(r) for s, r in zip(pairs["study_uid"], pairs["report_id"], strict=True)]
    truth_pairs = sum(1 for r in true_report.values() if r)
    correct = sum(right)
    by_method: dict[str, dict[str, int]] = {}
    for method, ok in zip(pairs["method"], right, strict=True):
        counts = by_method.setdefault(str(method), {"pairs": 0, "correct": 0})
        counts["pairs"] += 1
        counts["correct"] += int(ok)
    return {
        "precision": correct / len(right) if right else float("nan"),
        "recall": correct / truth_pairs if truth_pairs else float("nan"),
        "pairs": len(right),
        "correct": correct,
        "wrong": len(right) - correct,
        "truth_pairs": truth_pairs,
        "missed": truth_pairs - correct,
        "by_method": by_method,
    }
