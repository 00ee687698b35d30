"""`frdeid train-ner`: trains a flair BiLSTM-CRF tagger on annotated documents and saves it as one
file. Everything runs offline: word embeddings are one-hot vectors learnt from the corpus and
character embeddings use a character dictionary built from the corpus (flair's default one would
be downloaded)."""

from __future__ import annotations

import hashlib
import random
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from ..corpora import GoldDocument
from .tokens import bioes_tags, sentences


@dataclass(frozen=True)
class TrainSettings:
    """Size and schedule of the tagger."""

    epochs: int = 8
    hidden_size: int = 128
    word_dim: int = 64
    batch_size: int = 32
    learning_rate: float = 0.1
    dev_share: float = 0.1
    seed: int = 0
    max_sentences: int = 0  # 0: all


def write_column_files(docs: list[GoldDocument], folder: Path, settings: TrainSettings) -> tuple[Counter, list[str]]:
    """train.txt and dev.txt in CoNLL column format (token, BIOES tag); documents split by id hash.

    Returns the character counts (for the character dictionary) and the word vocabulary: words seen
    at least twice OUTSIDE every gold PHI span, so the saved model's vocabulary holds no annotated
    identifier (a model trained on real reports must still stay in the hospital: weights can
    memorise)."""
    chars: Counter = Counter()
    non_phi: Counter = Counter()
    rng = random.Random(settings.seed)
    rows = {"train": [], "dev": []}
    for doc in docs:
        digest = int(hashlib.sha256(doc.id.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
        split = "dev" if digest < settings.dev_share else "train"
        for tokens in sentences(doc.text):
            tags = bioes_tags(tokens, doc.spans)
            words = [doc.text[a:b] for a, b in tokens]
            chars.update("".join(words))
            non_phi.update(w for w, t in zip(words, tags, strict=True) if t == "O")
            rows[split].append("\n".join(f"{w} {t}" for w, t in zip(words, tags, strict=True)))
    for split, sents in rows.items():
        rng.shuffle(sents)
        if settings.max_sentences and split == "train":
            sents = sents[: settings.max_sentences]
        (folder / f"{split}.txt").write_text("\n\n".join(sents) + "\n", encoding="utf-8")
    return chars, sorted(w for w, n in non_phi.items() if n >= 2)


@dataclass(frozen=True)
class TrainResult:
    """Where the tagger was saved and how training went (one value per epoch)."""

    path: Path
    train_loss: list[float]
    dev_f1: list[float]


def train_tagger(docs: list[GoldDocument], out: Path, settings: TrainSettings | None = None) -> TrainResult:
    """Train a tagger on `docs` and save it to `out` (a `.pt` file)."""
    from .quiet import quiet_flair

    quiet_flair()
    import flair
    import torch
    from flair.datasets import ColumnCorpus
    from flair.embeddings import CharacterEmbeddings, OneHotEmbeddings, StackedEmbeddings
    from flair.models import SequenceTagger
    from flair.trainers import ModelTrainer
    from flair.trainers.plugins import MetricHistoryPlugin

    settings = settings or TrainSettings()
    flair.set_seed(settings.seed)
    flair.device = torch.device("cpu")
    out = Path(out)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        chars, vocabulary = write_column_files(docs, folder, settings)
        char_dict = flair.data.Dictionary(add_unk=True)
        for char, _ in chars.most_common():
            char_dict.add_item(char)
        char_path = folder / "chars.pkl"
        char_dict.save(str(char_path))
        corpus = ColumnCorpus(folder, {0: "text", 1: "ner"}, train_file="train.txt", dev_file="dev.txt",
                              test_file=None, sample_missing_splits=False, in_memory=True)
        tag_dictionary = corpus.make_label_dictionary(label_type="ner", add_unk=False)
        words = flair.data.Dictionary(add_unk=True)
        for word in vocabulary:
            words.add_item(word)
        # Characters first: flair 0.15 names stacked embeddings "<index>-<name>" but restores a
        # one-hot embedding as plain "one-hot-text", and tokens concatenate embeddings in name order,
        # so with one-hot first a reloaded tagger would read its features swapped (and tag only O).
        embeddings = StackedEmbeddings([
            CharacterEmbeddings(path_to_char_dict=str(char_path)),
            OneHotEmbeddings(words, field="text", embedding_length=settings.word_dim),
        ])
        tagger = SequenceTagger(hidden_size=settings.hidden_size, embeddings=embeddings,
                                tag_dictionary=tag_dictionary, tag_type="ner", tag_format="BIOES", use_crf=True)
        trainer = ModelTrainer(tagger, corpus)
        history = trainer.train(str(folder / "run"), plugins=[MetricHistoryPlugin()], learning_rate=settings.learning_rate,
                      mini_batch_size=settings.batch_size, max_epochs=settings.epochs,
                      save_final_model=True, create_file_logs=False, create_loss_file=False,
                      monitor_test=False, monitor_train_sample=0.0)
        out.parent.mkdir(parents=True, exist_ok=True)
        tagger.save(str(out))
    return TrainResult(out, [float(v) for v in history.get("train_loss_history", [])],
                       [float(v) for v in history.get("dev_score_history", [])])
