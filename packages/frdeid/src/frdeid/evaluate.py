"""Scoring detected PHI spans against gold spans (`frdeid eval`, benchmarks).

Per label, three views:

* `exact`: span-level precision, recall and F1; a predicted span is correct when a gold span has
  the same start, end and label.
* `overlap`: span-level, character-overlap based; a predicted span is correct when it shares at
  least one character with a gold span of the same label, and a gold span is found when a
  predicted span of the same label shares at least one character with it.
* `char`: character-level precision, recall and F1 over non-blank characters with the same label.

and `char_recall_any`: the share of a label's gold non-blank characters covered by a predicted span
of ANY label — the de-identification recall, since any label gets replaced. The `NAME` group counts
PATIENT and PERSON as one class (a patient's name predicted as PERSON is correct); `ALL` is the
micro-average over every label. Documents are matched by `id`; a gold document without predictions
counts as predicting nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from .spans import LABELS

NAME_GROUP = {"PATIENT": "NAME", "PERSON": "NAME"}
ROWS = (*LABELS, "NAME", "ALL")


@dataclass
class _Counts:
    """Running counts of one row."""

    gold: int = 0
    predicted: int = 0
    exact_tp: int = 0
    overlap_tp_pred: int = 0
    overlap_tp_gold: int = 0
    char_gold: int = 0
    char_pred: int = 0
    char_tp: int = 0
    char_covered_any: int = 0

    def as_dict(self) -> dict:
        """Metrics of this row."""
        return {
            "support": self.gold,
            "predicted": self.predicted,
            "exact": _prf(self.exact_tp, self.predicted, self.exact_tp, self.gold),
            "overlap": _prf(self.overlap_tp_pred, self.predicted, self.overlap_tp_gold, self.gold),
            "char": _prf(self.char_tp, self.char_pred, self.char_tp, self.char_gold),
            "char_recall_any": _ratio(self.char_covered_any, self.char_gold),
        }


def _ratio(num: int, den: int) -> float | None:
    return num / den if den else None


def _prf(tp_pred: int, n_pred: int, tp_gold: int, n_gold: int) -> dict:
    precision, recall = _ratio(tp_pred, n_pred), _ratio(tp_gold, n_gold)
    f1 = (2 * precision * recall / (precision + recall) if precision and recall else
          (0.0 if precision is not None and recall is not None else None))
    return {"precision": precision, "recall": recall, "f1": f1}


def _spans(doc: Mapping) -> list[tuple[int, int, str]]:
    out = []
    for span in doc.get("spans") or []:
        if isinstance(span, Mapping):
            out.append((int(span["start"]), int(span["end"]), str(span["label"])))
        else:
            out.append((span.start, span.end, span.label))
    return out


def score(gold_docs: Iterable[Mapping], predicted_docs: Iterable[Mapping]) -> dict:
    """Per-label, NAME-group and micro (ALL) metrics; see the module docstring for definitions.
    Gold documents are `{"id", "spans", "text"?}` (without text every character counts),
    predicted ones `{"id", "spans"}` (spans as dicts or `Span`s)."""
    predicted = {str(d["id"]): _spans(d) for d in predicted_docs}
    counts = {row: _Counts() for row in ROWS}
    n_docs = missing = 0
    for doc in gold_docs:
        n_docs += 1
        key = str(doc["id"])
        missing += key not in predicted
        _score_doc(doc.get("text"), _spans(doc), predicted.pop(key, []), counts)
    result = {row: counts[row].as_dict() for row in ROWS}
    return {"labels": {label: result[label] for label in LABELS}, "NAME": result["NAME"], "ALL": result["ALL"],
            "documents": n_docs, "documents_without_prediction": missing,
            "predicted_documents_not_in_gold": len(predicted)}


def _score_doc(text: str | None, gold: list, pred: list, counts: dict[str, _Counts]) -> None:
    def blank(i: int) -> bool:
        return text is not None and i < len(text) and text[i].isspace()

    covered = {i for s, e, _ in pred for i in range(s, e)}
    for view, group in (("label", lambda lab: lab), ("name", lambda lab: NAME_GROUP.get(lab))):
        g = [(s, e, group(lab)) for s, e, lab in gold if group(lab)]
        p = [(s, e, group(lab)) for s, e, lab in pred if group(lab)]
        gold_set, pred_set = set(g), set(p)
        for s, e, lab in g:
            row = counts[lab]
            row.gold += 1
            row.exact_tp += (s, e, lab) in pred_set
            row.overlap_tp_gold += any(ps < e and s < pe and pl == lab for ps, pe, pl in p)
            chars = [i for i in range(s, e) if not blank(i)]
            row.char_gold += len(chars)
            row.char_covered_any += sum(i in covered for i in chars)
        for s, e, lab in p:
            row = counts[lab]
            row.predicted += 1
            row.overlap_tp_pred += any(gs < e and s < ge and gl == lab for gs, ge, gl in g)
        gold_chars = {(i, lab) for s, e, lab in gold_set for i in range(s, e) if not blank(i)}
        pred_chars = {(i, lab) for s, e, lab in pred_set for i in range(s, e) if not blank(i)}
        for _, lab in pred_chars:
            counts[lab].char_pred += 1
        for _, lab in pred_chars & gold_chars:
            counts[lab].char_tp += 1
        if view == "label":
            _add_all(counts, g, p, gold_chars, pred_chars, covered, blank)


def _add_all(counts, g, p, gold_chars, pred_chars, covered, blank) -> None:
    row = counts["ALL"]
    row.gold += len(g)
    row.predicted += len(p)
    pred_set = set(p)
    row.exact_tp += sum(span in pred_set for span in g)
    row.overlap_tp_gold += sum(any(ps < e and s < pe and pl == lab for ps, pe, pl in p) for s, e, lab in g)
    row.overlap_tp_pred += sum(any(gs < e and s < ge and gl == lab for gs, ge, gl in g) for s, e, lab in p)
    row.char_gold += len(gold_chars)
    row.char_pred += len(pred_chars)
    row.char_tp += len(gold_chars & pred_chars)
    row.char_covered_any += sum(i in covered for i, _ in gold_chars)


def format_table(result: dict) -> str:
    """A plain-text table of a `score` result."""
    header = (f"{'label':<12}{'gold':>6}{'pred':>6}  {'exact P':>7}{'R':>6}{'F1':>6}  {'overlap P':>9}{'R':>6}"
              f"{'F1':>6}  {'char P':>6}{'R':>6}{'F1':>6}  {'char R(any)':>11}")
    lines = [header, "-" * len(header)]
    rows = [*result["labels"].items(), ("NAME", result["NAME"]), ("ALL", result["ALL"])]
    for name, row in rows:
        if row["support"] == 0 and row["predicted"] == 0:
            continue
        cells = [_fmt(row[v][m]) for v in ("exact", "overlap", "char") for m in ("precision", "recall", "f1")]
        lines.append(f"{name:<12}{row['support']:>6}{row['predicted']:>6}  {cells[0]:>7}{cells[1]:>6}{cells[2]:>6}  "
                     f"{cells[3]:>9}{cells[4]:>6}{cells[5]:>6}  {cells[6]:>6}{cells[7]:>6}{cells[8]:>6}  "
                     f"{_fmt(row['char_recall_any']):>11}")
    lines.append("exact: same start, end and label; overlap: >= 1 shared character, same label; char: non-blank "
                 "characters, same label; char R(any): gold characters covered by a span of any label.")
    return "\n".join(lines)


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"
