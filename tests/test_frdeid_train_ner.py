"""`frdeid train-ner`: a real flair tagger trained offline on annotated documents; its loss falls,
it loads as the `flair_ner` detector, and its vocabulary holds no annotated identifier."""

from __future__ import annotations

import pytest

from frdeid.cli import main as frdeid_main
from frdeid.corpora import read_gold_jsonl
from frdeid.ner.train import TrainSettings, train_tagger
from frdeid.text.config import load_config
from frdeid.text.pipeline import Pipeline


@pytest.fixture(scope="module")
def gold(tmp_path_factory):
    from boneds.synth.export import generate_export

    out = tmp_path_factory.mktemp("ner") / "export"
    generate_export(out, 6, 21, image_size=64, workers=1, progress=False)
    return out / "truth" / "phi.jsonl"


def test_training_lowers_the_loss_and_the_saved_model_loads_as_a_detector(gold, tmp_path):
    docs = list(read_gold_jsonl(gold))
    result = train_tagger(docs, tmp_path / "tagger.pt", TrainSettings(epochs=3, max_sentences=80, hidden_size=24))
    assert result.path.is_file()
    assert len(result.train_loss) == 3 and result.train_loss[-1] < result.train_loss[0]

    from frdeid.text.detectors.flair_ner import load_tagger

    tagger = load_tagger(str(result.path))
    vocabulary = set(tagger.embeddings.list_embedding_1.vocab_dictionary.get_items())
    assert len(vocabulary) > 50
    phi_words = {doc.text[a:b] for doc in docs for a, b, label in doc.spans if label in ("PATIENT", "PERSON")}
    assert not vocabulary & {w for phrase in phi_words for w in phrase.split() if len(w) > 3}

    config = load_config(overrides={"pipeline": {"detectors": ["flair_ner"]},
                                    "detectors": {"flair_ner": {"model": str(result.path)}}})
    spans = Pipeline(config).detect(docs[0].text)
    assert all(0 <= s.start < s.end <= len(docs[0].text) for s in spans)


def test_cli_refuses_missing_sources(tmp_path, capsys):
    assert frdeid_main(["train-ner", "--out", str(tmp_path / "m.pt")]) == 2
    assert frdeid_main(["train-ner", "--train", str(tmp_path / "none.jsonl"), "--out", str(tmp_path / "m.pt")]) == 2


def test_a_reloaded_tagger_finds_names_it_was_trained_on(tmp_path):
    """Regression: with the one-hot embedding stacked first, flair 0.15 restored the embeddings under
    other names after `load`, swapped the features and the reloaded tagger tagged only O."""
    from frdeid.text.detectors.flair_ner import packaged_model

    if not packaged_model().is_file():
        pytest.skip("no packaged tagger")
    text = "Compte rendu adressé au Dr Jean Dupont, Clinique Saint-Luc, le 12/03/2021."
    config = load_config(overrides={"pipeline": {"detectors": ["flair_ner"]}})
    found = {text[s.start:s.end]: s.label for s in Pipeline(config).detect(text)}
    assert found, "the packaged tagger must tag something in a plain report sentence"
