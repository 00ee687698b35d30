"""The detection pipeline: named detectors from a config, their spans merged into disjoint ones."""

from __future__ import annotations

from pathlib import Path

from ..patient import PatientIdentity
from ..spans import TIER_LEXICON, Span, resolve
from . import registry
from .allowlist import is_allowlisted
from .config import load_config
from .detectors._names_common import patient_words
from .document import Document, fold

_SOFT_LABELS = {"PERSON", "PATIENT", "LOCATION", "INSTITUTION"}


class Pipeline:
    """Runs the configured detectors over a text and returns disjoint PHI spans."""

    def __init__(self, config: dict | None = None) -> None:
        self.config = config if config is not None else load_config()
        detector_configs = self.config.get("detectors", {})
        self.detector_names: list[str] = list(self.config["pipeline"]["detectors"])
        self.detectors = [(name, registry.build(name, detector_configs.get(name, {})))
                          for name in self.detector_names]

    @classmethod
    def from_file(cls, path: Path | None = None, overrides: dict | None = None) -> Pipeline:
        """A pipeline from the default config with a user TOML file and overrides merged over it."""
        return cls(load_config(path, overrides))

    def detect(self, text: str, patient: PatientIdentity | None = None) -> list[Span]:
        """Disjoint, sorted PHI spans of `text`."""
        return self.detect_many([(text, patient)])[0]

    def detect_many(self, items: list[tuple[str, PatientIdentity | None]]) -> list[list[Span]]:
        """Spans of many texts; detectors with a `prepare(docs)` method (NER models) batch their work."""
        docs = [Document(text, patient) for text, patient in items]
        for _, detector in self.detectors:
            prepare = getattr(detector, "prepare", None)
            if prepare is not None:
                prepare(docs)
        results = []
        for doc in docs:
            found: list[Span] = []
            for _, detector in self.detectors:
                found.extend(detector(doc))
            results.append(resolve(doc.text, [s for s in found if not _allowlisted(doc, s)]))
            doc.cache.clear()
        return results


def _allowlisted(doc: Document, span: Span) -> bool:
    """Lexicon and NER name/place spans that are medical vocabulary are dropped, unless the span
    holds the known patient's name."""
    if span.tier < TIER_LEXICON or span.label not in _SOFT_LABELS:
        return False
    surface = doc.text[span.start:span.end]
    if not is_allowlisted(surface):
        return False
    known = patient_words(doc.patient)
    return not (set(fold(surface).replace("-", " ").split()) & (known.surname | known.given))
