"""The project's own flair sequence tagger (trained with `frdeid train-ner`, loaded from a local file).

Tags are this project's labels directly (BIOES). The model file is a path in the config; nothing is
ever downloaded. flair is imported only when the detector is built.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path

from ...ner.tokens import sentences
from ...spans import LABELS, TIER_STATISTICAL, Span
from ..document import Document
from ..registry import register


@cache
def load_tagger(path: str):
    """A flair SequenceTagger from a local file (once per process), on the CPU unless CUDA is there."""
    from ...ner.quiet import quiet_flair

    quiet_flair()
    from flair.models import SequenceTagger

    return SequenceTagger.load(path)


def packaged_model() -> Path:
    """The tagger shipped with frdeid, trained by `frdeid train-ner` on the synthetic export's truth."""
    return Path(str(resources.files("frdeid").joinpath("data/models/flair-synthetic.pt")))


class FlairNer:
    """Tags every sentence of a document; spans are the tagged token ranges."""

    def __init__(self, model: str, batch_size: int = 64) -> None:
        model = model or str(packaged_model())
        if not Path(model).is_file():
            raise ValueError("flair_ner needs `model`, the path of a tagger file made by `frdeid train-ner`")
        self.tagger = load_tagger(str(model))
        self.batch_size = batch_size

    def prepare(self, docs: list[Document]) -> None:
        """Tag the sentences of many documents in batches."""
        from flair.data import Sentence

        todo = [d for d in docs if "flair" not in d.cache]
        items = []
        for doc in todo:
            doc.cache["flair"] = []
            for tokens in sentences(doc.text):
                sentence = Sentence([doc.text[a:b] for a, b in tokens])
                items.append((doc, tokens, sentence))
        if items:
            self.tagger.predict([s for _, _, s in items], mini_batch_size=self.batch_size)
        for doc, tokens, sentence in items:
            for entity in sentence.get_spans("ner"):
                label = entity.get_label("ner").value
                if label not in LABELS:
                    continue
                first, last = entity.tokens[0].idx - 1, entity.tokens[-1].idx - 1
                doc.cache["flair"].append(Span(tokens[first][0], tokens[last][1], label, "flair_ner",
                                               TIER_STATISTICAL))

    def __call__(self, doc: Document) -> list[Span]:
        if "flair" not in doc.cache:
            self.prepare([doc])
        return list(doc.cache["flair"])


@register("flair_ner")
def make_flair_ner(config: dict) -> FlairNer:
    """`model`: path of a tagger file (empty: the packaged one); `batch_size`."""
    return FlairNer(config.get("model", ""), int(config.get("batch_size", 64)))
