"""JSONL batch de-identification (`frdeid text`): one document per line, in input order.

Input lines: `{"id", "patient_id", "text", "patient": {first_names, last_name, birth_date,
patient_id} | null}`. Output lines: `{"id", "patient_id", "text"}` with the patient id pseudonymised
and the text de-identified; the document `id` is kept as is (it is the hospital's document id, not
PHI of the patient). The optional spans file has `{"id", "spans": [{"start", "end", "label"}]}` with
offsets into the input text: an audit file that stays in the hospital.

Fail closed: a malformed line, or a document whose processing raises, is reported by line number
(and exception type) only — never its content or the exception message, which may quote PHI — and
nothing of it is written. Outputs are written to temporary files renamed at the end, so a failed run
leaves no partial file.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import ExitStack, suppress
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from ..patient import PatientIdentity

CHUNK_LINES = 8  # lines sent to a worker at once
IN_FLIGHT_PER_WORKER = 4  # chunks queued per worker (bounds memory on large inputs)


class MalformedLineError(ValueError):
    """An input line that is not a valid document; the message is a fixed reason, never content."""


@dataclass(frozen=True)
class InputDoc:
    """One parsed input line."""

    id: str | int
    patient_id: str
    text: str
    patient: PatientIdentity | None


@dataclass(frozen=True)
class Outcome:
    """What became of one line: output and spans records, or a problem (a fixed reason)."""

    line_no: int
    output: str | None = None
    spans: str | None = None
    problem: str | None = None


@dataclass
class RunStats:
    """Counts of one run and the line numbers of skipped lines."""

    written: int = 0
    skipped: list[int] = field(default_factory=list)


def parse_line(raw: bytes | str) -> InputDoc:
    """Validate one input line (MalformedLineError with a fixed reason otherwise)."""
    try:
        line = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        data = json.loads(line)
    except (UnicodeDecodeError, ValueError):
        raise MalformedLineError("not valid UTF-8 JSON") from None
    if not isinstance(data, dict):
        raise MalformedLineError("not a JSON object")
    text, doc_id, patient_id = data.get("text"), data.get("id"), data.get("patient_id")
    if not isinstance(text, str):
        raise MalformedLineError("missing or non-string text")
    if not isinstance(doc_id, str | int) or isinstance(doc_id, bool) or doc_id == "":
        raise MalformedLineError("missing or invalid id")
    if patient_id is not None and (not isinstance(patient_id, str | int) or isinstance(patient_id, bool)):
        raise MalformedLineError("invalid patient_id")
    patient = _patient(data.get("patient"))
    patient_id = str(patient_id if patient_id is not None else (patient.patient_id if patient else "")).strip()
    return InputDoc(doc_id, patient_id, text, patient)


def _patient(data: object) -> PatientIdentity | None:
    if data is None:
        return None
    if not isinstance(data, dict):
        raise MalformedLineError("invalid patient")
    first = data.get("first_names")
    if not (first is None or isinstance(first, str) or (isinstance(first, list)
                                                        and all(isinstance(f, str) for f in first))):
        raise MalformedLineError("invalid patient first_names")
    for name in ("last_name", "birth_date"):
        if data.get(name) is not None and not isinstance(data[name], str):
            raise MalformedLineError(f"invalid patient {name}")
    if data.get("patient_id") is not None and not isinstance(data["patient_id"], str | int):
        raise MalformedLineError("invalid patient patient_id")
    try:
        if data.get("birth_date"):
            date.fromisoformat(data["birth_date"])
        return PatientIdentity.from_dict(data)
    except (ValueError, TypeError):
        raise MalformedLineError("invalid patient birth_date") from None


def output_record(doc_id: str | int, patient_pseudonym: str, text: str) -> str:
    """One output line (without newline)."""
    return json.dumps({"id": doc_id, "patient_id": patient_pseudonym or None, "text": text}, ensure_ascii=False)


def spans_record(doc_id: str | int, spans) -> str:
    """One spans line (without newline)."""
    return json.dumps({"id": doc_id, "spans": [s.as_dict() for s in spans]}, ensure_ascii=False)


# -- processing (the same code in the main process and in workers) --------------------------------
_WORKER = None  # the TextDeidentifier of a worker process


def init_worker(key: bytes, config: dict | None) -> None:
    """Pool initializer: build the pipeline once per worker."""
    global _WORKER
    from .deidentify import TextDeidentifier

    _WORKER = TextDeidentifier(key, config)


def process_chunk(deid, chunk: list[tuple[int, bytes]]) -> list[Outcome]:
    """Parse and de-identify lines, batched; if the batch fails, each document is retried alone so
    that only the failing ones are skipped. Failures name their exception type only."""
    parsed: list[tuple[int, InputDoc]] = []
    outcomes: dict[int, Outcome] = {}
    for line_no, raw in chunk:
        try:
            parsed.append((line_no, parse_line(raw)))
        except MalformedLineError as error:
            outcomes[line_no] = Outcome(line_no, problem=f"malformed line ({error})")
    try:
        results = deid.deidentify_many([(d.text, d.patient, d.patient_id) for _, d in parsed])
        for (line_no, doc), result in zip(parsed, results, strict=True):
            outcomes[line_no] = _success(line_no, doc, result)
    except Exception:  # noqa: BLE001 - isolate the failing document(s) below
        for line_no, doc in parsed:
            outcomes[line_no] = _one(deid, line_no, doc)
    return [outcomes[line_no] for line_no, _ in chunk]


def _one(deid, line_no: int, doc: InputDoc) -> Outcome:
    try:
        return _success(line_no, doc, deid.deidentify(doc.text, doc.patient, doc.patient_id))
    except Exception as error:  # noqa: BLE001 - reported by type only: the message may quote PHI
        return Outcome(line_no, problem=f"document skipped ({type(error).__name__})")


def _success(line_no: int, doc: InputDoc, result) -> Outcome:
    return Outcome(line_no, output_record(doc.id, result.patient_pseudonym, result.text),
                   spans_record(doc.id, result.spans))


def _process_chunk(chunk: list[tuple[int, bytes]]) -> list[Outcome]:
    return process_chunk(_WORKER, chunk)


def _chunks(path: Path) -> Iterator[list[tuple[int, bytes]]]:
    chunk: list[tuple[int, bytes]] = []
    with open(path, "rb") as handle:
        for line_no, raw in enumerate(handle, 1):
            if raw.strip():
                chunk.append((line_no, raw))
            if len(chunk) >= CHUNK_LINES:
                yield chunk
                chunk = []
    if chunk:
        yield chunk


def count_lines(path: Path) -> int:
    """Non-blank lines of a file (for the progress bar)."""
    with open(path, "rb") as handle:
        return sum(1 for raw in handle if raw.strip())


def _outcomes(path: Path, key: bytes, config: dict | None, workers: int) -> Iterator[Outcome]:
    """Outcomes in input order; with workers > 1 a process pool, at most a few chunks ahead."""
    if workers <= 1:
        from .deidentify import TextDeidentifier

        deid = TextDeidentifier(key, config)
        for chunk in _chunks(path):
            yield from process_chunk(deid, chunk)
        return
    with ProcessPoolExecutor(workers, initializer=init_worker, initargs=(key, config)) as pool:
        pending: deque[Future] = deque()
        for chunk in _chunks(path):
            pending.append(pool.submit(_process_chunk, chunk))
            while len(pending) >= workers * IN_FLIGHT_PER_WORKER:
                yield from pending.popleft().result()
        while pending:
            yield from pending.popleft().result()


def run(input_path: Path, output_path: Path, key: bytes, config: dict | None = None,
        spans_path: Path | None = None, workers: int = 1, progress: bool = True,
        report: Callable[[str], None] | None = None) -> RunStats:
    """De-identify a JSONL file. Problems go to `report` (stderr by default) by line number only."""
    stats = RunStats()
    targets = [Path(output_path)] + ([Path(spans_path)] if spans_path else [])
    with ExitStack() as stack:
        temps = [stack.enter_context(_AtomicFile(t)) for t in targets]
        bar = _progress(count_lines(input_path) if progress else 0, progress)
        stack.callback(bar.close)
        report = report or (lambda message: bar.write(message, file=sys.stderr))
        for outcome in _outcomes(Path(input_path), key, config, workers):
            if outcome.problem is not None:
                stats.skipped.append(outcome.line_no)
                report(f"line {outcome.line_no}: {outcome.problem}")
            else:
                temps[0].write(outcome.output + "\n")
                if len(temps) > 1:
                    temps[1].write(outcome.spans + "\n")
                stats.written += 1
            bar.update(1)
            bar.set_postfix(skipped=len(stats.skipped), refresh=False)
        for temp in temps:
            temp.commit()
    return stats


def _progress(total: int, enabled: bool):
    """A tqdm bar on stderr showing counts only (never any text of a document)."""
    from tqdm import tqdm

    return tqdm(total=total or None, unit="doc", desc="frdeid text", file=sys.stderr, disable=not enabled,
                dynamic_ncols=True)


class _AtomicFile:
    """A temporary file beside `target`, renamed onto it by `commit`, removed otherwise."""

    def __init__(self, target: Path) -> None:
        self.target = target
        self._handle = None
        self._committed = False

    def __enter__(self) -> _AtomicFile:
        fd, self._temp = tempfile.mkstemp(prefix=f".{self.target.name}.", suffix=".partial",
                                          dir=self.target.parent)
        self._handle = os.fdopen(fd, "w", encoding="utf-8", newline="\n")
        return self

    def write(self, text: str) -> None:
        """Append text."""
        self._handle.write(text)

    def commit(self) -> None:
        """Flush and move onto the target."""
        self._handle.close()
        os.replace(self._temp, self.target)
        self._committed = True

    def __exit__(self, *exc) -> None:
        if not self._committed:
            self._handle.close()
            with suppress(OSError):
                os.unlink(self._temp)
