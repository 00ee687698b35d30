"""Statistical NER with a French spaCy model (`fr_core_news_sm` or `fr_core_news_md`).

Only the model's NER component runs (its tok2vec is its own in these models), which is what makes
the whole frdeid pipeline faster than spaCy's default pipeline on the same text. PER, LOC and ORG
entities map to PERSON, LOCATION and INSTITUTION (MISC is dropped); titles and punctuation at the
edges are trimmed; entities without a capital letter or digit are dropped (the models tag lower-case
medical words now and then).
"""

from __future__ import annotations

from functools import cache

import regex

from ...spans import TIER_STATISTICAL, Span
from ..allowlist import is_allowlisted
from ..document import Document, fold
from ..lexicons import first_name_index, is_french_word, surname_index
from ..registry import register
from ._names_common import patient_words

_WORD = regex.compile(r"\p{L}[\p{L}'’]*")
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

    def __init__(self, model: str, labels: dict[str, str], batch_size: int = 32,
                 person_needs_lexicon: bool = True) -> None:
        self.model_name = model
        self.labels = dict(labels)
        self.batch_size = batch_size
        self.person_needs_lexicon = person_needs_lexicon

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
            if label == "PERSON" and self.person_needs_lexicon:
                core = _name_core(doc, start, end)
                if core is None:
                    continue
                start, end = core
            spans.append(Span(start, end, label, "spacy_ner", TIER_STATISTICAL))
        return spans


def _name_like(word: str, patient_names: frozenset[str]) -> bool:
    folded = fold(word)
    if folded in patient_names:
        return True
    if len(folded) < 2 or is_french_word(folded) or is_allowlisted(word):
        return False
    return folded in first_name_index() or folded in surname_index()


def _name_core(doc: Document, start: int, end: int) -> tuple[int, int] | None:
    """The part of a PER entity from its first to its last name-like word (a known first name or
    surname that is not French vocabulary, or the known patient's name), or None when it has none.
    The models also tag capitalised clinical words and header labels ("DATE DE NAISSANCE : DUPONT
    Jean") as persons."""
    known = patient_words(doc.patient)
    words = list(_WORD.finditer(doc.text, start, end))
    hits = [m.span() for m in words if _name_like(m.group(), known.surname | known.given)]
    unknown = [m.span() for m in words if _unknown_capitalised(m.group())]
    if len(hits) + len(unknown) >= 2:  # two name-like words: unknown names count too ("Patrique Pizzila")
        hits = sorted(set(hits) | set(unknown))
    if not hits:
        return None
    return hits[0][0], hits[-1][1]


def _unknown_capitalised(word: str) -> bool:
    folded = fold(word)
    return (len(folded) >= 3 and word[0].isupper() and not is_french_word(folded) and not is_allowlisted(word)
            and folded not in first_name_index() and folded not in surname_index())


@register("spacy_ner")
def make_spacy_ner(config: dict) -> SpacyNer:
    """`model` (default fr_core_news_md), `labels` (spaCy label -> frdeid label; map a label to "" to
    drop it), `batch_size`, `person_needs_lexicon` (keep PER entities only around known names)."""
    return SpacyNer(config.get("model", "fr_core_news_md"),
                    config.get("labels", {"PER": "PERSON"}),
                    int(config.get("batch_size", 32)),
                    bool(config.get("person_needs_lexicon", True)))
