"""The French document writer of the synthetic hospital export.

`write_document(plan, population)` writes one EHR document (a radiology report, a consultation note,
an operative report or a discharge letter) as an `AnnotatedText` whose spans mark every PHI value
with one of `model.PHI_LABELS`. All random choices come from `population.rng` (and `Population`
methods) in a fixed order, so the same plan and population state give the same text and spans.

Modules: `dates` (French dates, times, ages), `names` (name forms), `grammar` (articles and
agreement), `bank` (phrase banks in `data/reports/*.toml`), `writer` (template engine and PHI
fields; its docstring states the span rules), `findings` (finding statements, `FINDING_PATTERNS`,
`stated_findings`), `radiology` (radiology reports), `clinical` (the other document kinds).
"""

from __future__ import annotations

from ..model import AnnotatedText, DocumentPlan
from ..population import Population
from .clinical import write_clinical
from .findings import FINDING_KINDS, FINDING_PATTERNS, stated_findings, stated_kl_grade
from .radiology import write_radiology
from .writer import Writer

DOCUMENT_KINDS = ("radiologie", "consultation", "protocole opératoire", "hospitalisation")


def write_document(plan: DocumentPlan, population: Population) -> AnnotatedText:
    """The text of one EHR document with its PHI spans."""
    if plan.kind not in DOCUMENT_KINDS:
        raise ValueError(f"unknown document kind {plan.kind!r}")
    w = Writer(plan, population)
    if plan.kind == "radiologie":
        write_radiology(w)
    else:
        write_clinical(w)
    return w.build()


__all__ = ["DOCUMENT_KINDS", "FINDING_KINDS", "FINDING_PATTERNS", "stated_findings", "stated_kl_grade",
           "write_document"]
