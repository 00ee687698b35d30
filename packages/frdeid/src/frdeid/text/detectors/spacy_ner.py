"""Statistical NER with a French spaCy model (`fr_core_news_sm` or `fr_core_news_md`).

Only the model's NER component runs (its tok2vec is its own in these models), which is what makes
the whole frdeid pipeline faster than spaCy's default pipeline on the same text. PER, LOC and ORG
entities map to PERSON, LOCATION and INSTITUTION (MISC is dropped); titles and punctuation at the
edges are trimmed; entities without a capital letter or digit are dropped (the models tag lower-case
medical words now and then).
"""

from __future__ import annotations

from functools import cache

from ...spans import TIER_STATISTICAL, Span
from ..document import Document
from ..registry import register

_TITLES = frozenset({"dr", "dr.", "docteur", "pr", "pr.", "prof", "prof.", "professeur", "m.", "mr", "mr.", "mme",
                     "mme.", "madame", "monsieur", "mlle", "mademoiselle", "melle", "confrère", "consœur"})
_OTHER_COMPONENTS = ("tok2vec", "morphologizer", "parser", "attribute_ruler", "lemmatizer", "senter")


@cache
def load_ner_model(name: str):
    """The spaCy model with everything but its NER component excluded (loaded once per process)."""
    import spacy

    return spacy.load(name, exclude=list(_OTHER_COMPONENTS))


class SpacyNer:
    """Runs a spaCy NER model; results of `prepare` (a batch run) are reused by `__call__`."""

    def __init__(self, model: str, labels: dict[str, str], batch_size: int = 32) -> None:
        self.model_name = model
        self.labels = dict(labels)
        self.batch_size = batch_size

    @property
    def nlp(self):
        """The loaded model."""
        return load_ner_model(self.model_name)

    def prepare(self, docs: list[Document]) -> None:
        """Run the model over many documents at once (faster than one by one)."""
        todo = [d for d in docs if "spacy" not in d.cache]
        for doc, parsed in zip(todo, self.nlp.pipe((d.text for d in todo), batch_size=self.batch_size),
                               strict=True):
            doc.cache["spacy"] = parsed

    def __call__(self, doc: Document) -> list[Span]:
        if "spacy" not in doc.cache:
            self.prepare([doc])
        spans = []
        for ent in doc.cache["spacy"].ents:
            label = self.labels.get(ent.label_)
            if not label:  # unmapped, or mapped to "" to switch it off in a user config
                continue
            tokens = list(ent)
            while tokens and (tokens[0].lower_ in _TITLES or not any(c.isalnum() for c in tokens[0].text)):
                tokens.pop(0)
            while tokens and not any(c.isalnum() for c in tokens[-1].text):
                tokens.pop()
            if not tokens:
                continue
            start, end = tokens[0].idx, tokens[-1].idx + len(tokens[-1].text)
            surface = doc.text[start:end]
            if not any(c.isupper() or c.isdigit() for c in surface):
                continue
            spans.append(Span(start, end, label, "spacy_ner", TIER_STATISTICAL))
        return spans


@register("spacy_ner")
def make_spacy_ner(config: dict) -> SpacyNer:
    """`model` (default fr_core_news_md), `labels` (spaCy label -> frdeid label), `batch_size`."""
    return SpacyNer(config.get("model", "fr_core_news_md"),
                    config.get("labels", {"PER": "PERSON", "LOC": "LOCATION", "ORG": "INSTITUTION"}),
                    int(config.get("batch_size", 32)))
