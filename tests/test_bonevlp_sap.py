"""bonevlp sap (SapBERT-style self-alignment) and `bonevlp eval synonyms`: the multi-similarity loss and
its miner against a brute-force reading of their definitions; the MRCONSO reader's language, source and
suppression filters; term normalisation; the held-out split; synonym pairs; acc@k on constructed
embeddings; and, end to end, alignment of a fresh tiny model on part of the bundled French MSK table
raising acc@1 on held-out concepts, its output loading in `eval`, `eval synonyms` and `bonevlp train
--pretrained`, and a Hugging Face encoder aligned from a UMLS-style file."""

from __future__ import annotations

import io
import itertools
import json
import tarfile
import unicodedata
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F  # noqa: N812 - the usual name
from PIL import Image

from bonevlp.cli import main
from bonevlp.eval.synonyms import synonym_accuracy
from bonevlp.sap.loss import label_masks, mine_hard_pairs, multi_similarity_loss
from bonevlp.sap.pairs import batch_texts, epoch_batches, synonym_pairs
from bonevlp.sap.terms import (
    SynonymTable,
    default_terms_path,
    held_out_concepts,
    iter_mrconso,
    read_mrconso,
    read_terms_csv,
)

pytestmark = [pytest.mark.filterwarnings("ignore::UserWarning"), pytest.mark.usefixtures("one_torch_thread")]




# --- the loss and the miner ---------------------------------------------------------------------------------

def _brute_force_ms(x: torch.Tensor, labels: list[int], margin: float | None, alpha=1.0, beta=60.0, base=0.5):
    """The miner and the MS loss read literally: triplets, kept pairs, per-anchor sums, mean over rows."""
    x = F.normalize(x, dim=-1)
    n = len(labels)
    distance = torch.cdist(x, x)
    sim = x @ x.T
    pos, neg = set(), set()
    if margin is None:  # no miner: every pair (pytorch-metric-learning's get_all_pairs_indices)
        pos = {(a, b) for a, b in itertools.permutations(range(n), 2) if labels[a] == labels[b]}
        neg = {(a, b) for a, b in itertools.permutations(range(n), 2) if labels[a] != labels[b]}
    for a, p, m in itertools.product(range(n), repeat=3) if margin is not None else ():
        if a == p or labels[a] != labels[p] or labels[a] == labels[m]:
            continue
        if distance[a, m] - distance[a, p] <= margin:  # a triplet the miner keeps
            pos.add((a, p))
            neg.add((a, m))
    total = 0.0
    for a in range(n):
        ps = [float(sim[a, p]) for p in range(n) if (a, p) in pos]
        ns = [float(sim[a, m]) for m in range(n) if (a, m) in neg]
        total += np.log1p(sum(np.exp(-alpha * (s - base)) for s in ps)) / alpha if ps else 0.0
        total += np.log1p(sum(np.exp(beta * (s - base)) for s in ns)) / beta if ns else 0.0
    return total / n, pos, neg


def test_miner_and_ms_loss_follow_their_definitions():
    torch.manual_seed(0)
    x = torch.randn(10, 6)
    labels = [0, 0, 1, 1, 1, 2, 2, 3, 4, 4]
    tensor = torch.tensor(labels)
    for margin in (0.2, 0.0, None):
        expected, pos, neg = _brute_force_ms(x, labels, margin)
        if margin is None:
            hard_pos, hard_neg = label_masks(tensor)
        else:
            hard_pos, hard_neg = mine_hard_pairs(x, tensor, margin)
        assert {tuple(i) for i in hard_pos.nonzero().tolist()} == pos
        assert {tuple(i) for i in hard_neg.nonzero().tolist()} == neg
        loss = multi_similarity_loss(x, tensor, hard_pos, hard_neg)
        assert float(loss) == pytest.approx(expected, rel=1e-5)
    easy_pos, _ = mine_hard_pairs(x, tensor, 0.0)
    all_pos, _ = mine_hard_pairs(x, tensor, 10.0)  # a huge margin keeps every pair
    assert easy_pos.sum() < all_pos.sum() == label_masks(tensor)[0].sum()


def test_ms_loss_is_lower_for_aligned_embeddings_and_its_gradient_pulls_synonyms_together():
    torch.manual_seed(1)
    labels = torch.arange(8).repeat_interleave(3)
    centres = F.normalize(torch.randn(8, 32), dim=-1)
    aligned = centres[labels] + 0.1 * torch.randn(24, 32)
    shuffled = aligned[torch.randperm(24, generator=torch.Generator().manual_seed(2))]
    perfect = centres[labels]
    losses = [float(multi_similarity_loss(x, labels)) for x in (perfect, aligned, shuffled)]
    assert losses[0] < losses[1] < losses[2] - 0.5, losses

    x = F.normalize(torch.randn(24, 32), dim=-1).requires_grad_(True)
    positive, negative = label_masks(labels)

    def cosines(v):
        s = F.normalize(v, dim=-1) @ F.normalize(v, dim=-1).T
        return float(s[positive].mean()), float(s[negative].max())

    before = cosines(x.detach())
    optimizer = torch.optim.SGD([x], lr=10.0)
    for _ in range(30):
        optimizer.zero_grad()
        multi_similarity_loss(x, labels).backward()
        optimizer.step()
    after = cosines(x.detach())
    assert before[0] < 0.1 and after[0] > 0.9  # synonyms pulled together
    assert before[1] > 0.5 > after[1]  # the negatives above lambda pushed below it


# --- tables, UMLS, split, pairs -----------------------------------------------------------------------------

def _rrf(*rows: tuple[str, ...]) -> str:
    """MRCONSO lines from (CUI, LAT, SAB, STR, SUPPRESS)."""
    lines = []
    for index, (cui, lat, sab, text, suppress) in enumerate(rows):
        fields = [cui, lat, "P", f"L{index}", "PF", f"S{index}", "Y", f"A{index}", "", "", "", sab, "PT", "C1",
                  text, "0", suppress, "256"]
        lines.append("|".join(fields) + "|")
    return "\n".join(lines) + "\n"


MRCONSO = _rrf(
    ("C0016658", "FRE", "MSHFRE", "Fracture", "N"),
    ("C0016658", "FRE", "MDRFRE", "fracture osseuse", "N"),
    ("C0016658", "FRE", "MSHFRE", "FRACTURE", "N"),          # a case duplicate
    ("C0016658", "ENG", "MSH", "Fractures, Bone", "N"),
    ("C0016658", "FRE", "MSHFRE", "fracture ancienne forme", "O"),  # obsolete
    ("C0016658", "FRE", "MSHFRE", "fracture supprimée", "E"),
    ("C0016658", "GER", "MSHGER", "Knochenbruch", "N"),
    ("C0029408", "FRE", "MSHFRE", "Arthrose", "N"),
    ("C0029408", "FRE", "MSHFRE", "ostéoarthrose", "N"),
    ("C0029408", "ENG", "MSH", "Osteoarthritis", "N"),
    ("C0029408", "FRE", "MDRFRE", "arthrose dégénérative", "Y"),
)


def test_mrconso_reader_filters_language_source_and_suppression(tmp_path):
    path = tmp_path / "MRCONSO.RRF"
    path.write_text(MRCONSO, encoding="utf-8")
    fre = read_mrconso(path, ["FRE"])
    assert fre.concepts == {"C0016658": ["Fracture", "fracture osseuse"], "C0029408": ["Arthrose", "ostéoarthrose"]}
    assert fre.dropped["duplicate"] == 1
    both = read_mrconso(path, ["FRE", "ENG"])
    assert both.concepts["C0016658"] == ["Fracture", "fracture osseuse", "Fractures, Bone"]
    assert both.concepts["C0029408"] == ["Arthrose", "ostéoarthrose", "Osteoarthritis"]
    assert read_mrconso(path, ["FRE"], sources=["MDRFRE"]).concepts == {"C0016658": ["fracture osseuse"]}
    assert len(list(iter_mrconso(path, ["FRE"], keep_suppressed=True))) == 8  # O, E and Y rows too
    assert list(iter_mrconso(path, ["GER"])) == [("C0016658", "Knochenbruch")]
    with pytest.raises(ValueError, match="no row"):
        read_mrconso(path, ["SPA"])
    bad = tmp_path / "bad.RRF"
    bad.write_text(MRCONSO + "C1|FRE|P|L|PF\n", encoding="utf-8")
    with pytest.raises(ValueError, match=":12: 5 fields"):
        read_mrconso(bad, ["FRE"])


def test_terms_csv_is_normalised_and_deduplicated(tmp_path):
    decomposed = unicodedata.normalize("NFD", "ostéophyte")
    path = tmp_path / "terms.csv"
    path.write_text("concept_id,term,note\nA,  Ostéophyte ,x\nA," + decomposed + ",\nA,bec   ostéophytique,\n"
                    "B,ostéophyte,\nB,pincement articulaire,\nC,,\nC,seul,\n", encoding="utf-8")
    table = read_terms_csv(path)
    assert table.concepts == {"A": ["Ostéophyte", "bec ostéophytique"], "B": ["pincement articulaire"],
                              "C": ["seul"]}
    assert table.dropped == {"duplicate": 1, "ambiguous": 1, "empty": 1}
    assert read_terms_csv(table.write_csv(tmp_path / "again.csv")).concepts == table.concepts
    (tmp_path / "wrong.csv").write_text("cui,str\nA,b\n", encoding="utf-8")
    with pytest.raises(ValueError, match="missing concept_id, term"):
        read_terms_csv(tmp_path / "wrong.csv")


def _table(concepts: int = 60, seed: int = 0) -> SynonymTable:
    rng = np.random.default_rng(seed)
    rows = [(f"C{c:03d}", f"terme {c} variante {v}") for c in range(concepts) for v in range(int(rng.integers(1, 5)))]
    return SynonymTable.from_rows(rows)


def test_held_out_split_is_deterministic_disjoint_and_independent_of_order():
    table = _table(200)
    held = held_out_concepts(table, 0.2)
    assert held == held_out_concepts(table, 0.2)
    assert all(len(table.concepts[c]) >= 2 for c in held)
    eligible = sum(len(t) >= 2 for t in table.concepts.values())
    assert 0.1 * eligible < len(held) < 0.3 * eligible
    train, evaluation = table.split(held)
    assert set(train.concepts).isdisjoint(evaluation.concepts)
    assert set(train.concepts) | set(evaluation.concepts) == set(table.concepts)
    reversed_table = SynonymTable.from_rows(reversed(list(table.rows())))
    assert set(held_out_concepts(reversed_table, 0.2)) == set(held)
    assert set(held_out_concepts(table, 0.2, seed=1)) != set(held)
    assert held_out_concepts(table, 0.0) == []
    with pytest.raises(ValueError):
        held_out_concepts(table, 1.0)


def test_synonym_pairs_cover_every_pair_capped_per_concept():
    table = SynonymTable.from_rows([("A", f"a{i}") for i in range(12)] + [("B", "b0"), ("B", "b1"), ("B", "b2"),
                                                                          ("C", "c0")])
    pairs = synonym_pairs(table, max_per_concept=50)
    assert sum(p.label == 0 for p in pairs) == 50 and sum(p.label == 1 for p in pairs) == 3
    assert not any(p.label == 2 for p in pairs)  # a single term gives no pair
    assert {(p.first, p.second) for p in pairs if p.label == 1} == {("b0", "b1"), ("b0", "b2"), ("b1", "b2")}
    assert pairs == synonym_pairs(table, max_per_concept=50)
    assert len(set(synonym_pairs(table, max_per_concept=50, seed=3)) ^ set(pairs)) > 0
    assert len(synonym_pairs(table, max_per_concept=70)) == 66 + 3
    batches = epoch_batches(pairs, 10, epoch=0)
    assert sorted(map(id, itertools.chain(*batches))) == sorted(map(id, pairs))
    assert batches != epoch_batches(pairs, 10, epoch=1) and batches == epoch_batches(pairs, 10, epoch=0)
    texts, labels = batch_texts(batches[0])
    assert len(texts) == 2 * len(batches[0]) and labels.tolist() == [p.label for p in batches[0]] * 2


def test_synonym_accuracy_on_constructed_embeddings():
    # concept a: 0, 1; concept b: 2, 3, 4; concept c: 5 (single: a distractor, never a query)
    x = F.normalize(torch.tensor([[1.0, 0.0, 0.0], [0.9, 0.1, 0.0], [0.0, 1.0, 0.0], [0.1, 0.9, 0.0],
                                  [0.8, 0.0, 0.6], [0.7, 0.0, 0.7]]), dim=-1)
    labels = ["a", "a", "b", "b", "b", "c"]
    result = synonym_accuracy(x, labels)
    # term 4's nearest other term is 5 (concept c), then 0 and 1 (concept a), then 2 or 3: a miss at 1, a hit at 5
    assert (result["n"], result["n_terms"], result["n_concepts"]) == (5, 6, 2)
    assert result["acc@1"] == pytest.approx(4 / 5) and result["acc@5"] == 1.0
    assert result["chance_acc@1"] == pytest.approx((2 * 1 / 5 + 3 * 2 / 5) / 5)
    assert synonym_accuracy(x, ["a", "b", "c", "d", "e", "e"])["n"] == 2
    with pytest.raises(ValueError, match="nothing to score"):
        synonym_accuracy(x, list("abcdef"))


# --- end to end ---------------------------------------------------------------------------------------------

SENTENCES = [
    "Fracture déplacée de l'extrémité distale du radius.", "Pas de fracture. Pas de luxation.",
    "Pincement de l'interligne fémoro-tibial interne avec ostéophytes marginaux.",
    "Prothèse totale de hanche en place, sans liseré péri-prothétique.",
    "Matériel d'ostéosynthèse en place. Consolidation en cours.", "Épanchement intra-articulaire du genou.",
    "Fracture du col du fémur droit. Coxarthrose controlatérale.", "Radiographie du poignet de face et de profil.",
    "Tassement vertébral de L1. Déminéralisation osseuse diffuse.", "Luxation gléno-humérale antérieure.",
]


def _bundled_subset(path: Path, concepts: int = 120) -> Path:
    """Every 7th concept of the bundled table, `concepts` of them: all its categories, a fast test."""
    table = read_terms_csv(default_terms_path())
    keep = list(table.concepts)[::7][:concepts]
    return table.subset(keep).write_csv(path)


@pytest.fixture(scope="module")
def fresh_tiny(tmp_path_factory) -> Path:
    """An untrained tiny StudyCLIP, exported, with a project BPE tokenizer trained on a few report sentences
    and the bundled table's terms: whole words are tokens, as with the demo's tokenizer trained on the
    reports (a byte-level tokenizer of a few hundred pieces would make a random tower compare spellings,
    already good at synonyms, and unlike a trained one)."""
    from bonevlp.models.registry import create
    from bonevlp.models.study_model import StudyCLIP, export_open_clip
    from bonevlp.models.tokenizer import train_tokenizer

    root = tmp_path_factory.mktemp("fresh")
    words = [term for _, term in read_terms_csv(default_terms_path()).rows()]
    tokenizer = train_tokenizer(SENTENCES * 3 + words * 2, root / "tokenizer", vocab_size=3000)
    torch.manual_seed(0)
    clip, _, _ = create("tiny", tokenizer)
    return export_open_clip(StudyCLIP(clip, "mean"), None, tokenizer, root / "export")


def _jpeg(value: int) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(((np.add.outer(np.arange(40), np.arange(48)) * value) % 256).astype(np.uint8), "L").save(
        buffer, "JPEG")
    return buffer.getvalue()


def _shards(root: Path, studies: int = 6) -> Path:
    (root / "shards").mkdir(parents=True)
    with tarfile.open(root / "shards" / "bone-000000.tar", "w", format=tarfile.USTAR_FORMAT) as tar:
        for index in range(studies):
            key = f"PAT{index:09d}_STU{index:09d}"
            for field, payload in (("txt", SENTENCES[index].encode()), ("json", b'{"sex": "F"}'),
                                   ("0.jpg", _jpeg(index + 1))):
                info = tarfile.TarInfo(f"{key}.{field}")
                info.size = len(payload)
                tar.addfile(info, io.BytesIO(payload))
    (root / "sizes.json").write_text(json.dumps({"bone-000000.tar": studies}))
    return root


def test_sap_raises_held_out_acc_and_its_output_loads_everywhere(fresh_tiny, tmp_path, capsys):
    from bonevlp.eval.embed import embed_texts, load_model
    from bonevlp.train.config import TrainConfig
    from bonevlp.train.loop import build_model

    terms = _bundled_subset(tmp_path / "terms.csv")
    out = tmp_path / "aligned"
    assert main(["sap", "--model", str(fresh_tiny), "--out", str(out), "--terms", str(terms), "--device", "cpu",
                 "--held-out-fraction", "0.25", "--quiet"]) == 0
    printed = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    sap = json.loads((out / "sap.json").read_text())
    before, after = sap["before"]["held_out"], sap["after"]["held_out"]
    assert after["n_concepts"] == len(sap["held_out"]) >= 20
    assert after["acc@1"] >= before["acc@1"] + 0.10, (before, after)
    assert after["acc@5"] > before["acc@5"]
    assert sap["after"]["train"]["acc@1"] > sap["before"]["train"]["acc@1"]
    assert printed["held_out_acc@1_after"] == after["acc@1"]
    assert "--model tiny --pretrained" in sap["train_with"] and f"--tokenizer {out}" in sap["train_with"]
    table = read_terms_csv(out / "terms.csv")
    assert set(sap["held_out"]) <= set(table.concepts) and sap["train_concepts"] + len(sap["held_out"]) == len(table)

    # eval synonyms: the held-out concepts of the aligned and the original model give sap.json's numbers
    for model, expected in ((out, after), (fresh_tiny, before)):
        result_path = tmp_path / f"{model.name}.json"
        assert main(["eval", "synonyms", "--model", str(model), "--held-out-only", str(out / "sap.json"),
                     "--device", "cpu", "--out", str(result_path)]) == 0
        result = json.loads(result_path.read_text())
        assert result["task"] == "synonyms" and result["held_out_only"] is True
        assert result["acc@1"] == pytest.approx(expected["acc@1"]) and result["n"] == expected["n"]
    assert "acc@1" in capsys.readouterr().out

    # the output is an export: the image tower and the temperature untouched, the text tower changed
    original, aligned = load_model(fresh_tiny, "cpu"), load_model(out, "cpu")
    state, aligned_state = original.model.state_dict(), aligned.model.state_dict()
    frozen = [name for name in state if name.startswith("clip.visual.") or name == "clip.logit_scale"]
    assert len(frozen) > 10 and all(torch.equal(state[name], aligned_state[name]) for name in frozen)
    assert not torch.equal(state["clip.token_embedding.weight"], aligned_state["clip.token_embedding.weight"])
    assert not torch.equal(state["clip.text_projection"], aligned_state["clip.text_projection"])
    # training embeds terms on their first positions only (causal tower): the same as the model's encode_text
    from bonevlp.sap.towers import BonevlpTower

    terms_batch = ["PTH", "fracture du col du fémur droit", "arthroplastie totale de hanche"]
    with torch.no_grad():
        assert torch.allclose(BonevlpTower(aligned).encode(terms_batch),
                              aligned.model.encode_text(aligned.tokenize(terms_batch)), atol=1e-5)

    # bonevlp train starts from it: --pretrained (whole-model state dict) and --tokenizer (the output folder)
    config = TrainConfig(data="unused", out=str(tmp_path / "unused"), model="tiny", tokenizer=str(out),
                         pretrained=sap["saved"]["pretrained"])
    model, _, tokenize = build_model(config, out)
    report = model.clip.bonevlp_load_report["model"]
    assert not report["missing"] and not report["mismatched"] and not report["unexpected"]
    texts = ["fracture du radius distal", "prothèse totale de hanche"]
    model.eval()
    with torch.no_grad():
        assert torch.allclose(model.encode_text(tokenize(texts)), embed_texts(aligned, texts), atol=1e-5)
    shards = _shards(tmp_path / "data")
    assert main(["train", "--data", str(shards / "shards"), "--out", str(tmp_path / "run"), "--model", "tiny",
                 "--tokenizer", str(out), "--pretrained", sap["saved"]["pretrained"], "--max-steps", "2",
                 "--batch-size", "3", "--workers", "0", "--val-fraction", "0", "--device", "cpu", "--quiet"]) == 0


def test_sap_refuses_bad_inputs(fresh_tiny, tmp_path):
    terms = tmp_path / "terms.csv"
    terms.write_text("concept_id,term\nA,un\nA,une\nB,deux\nB,les deux\n", encoding="utf-8")
    assert main(["sap", "--model", str(tmp_path / "nowhere"), "--out", str(tmp_path / "o"), "--terms",
                 str(terms)]) == 2
    assert main(["sap", "--model", str(fresh_tiny), "--out", str(tmp_path / "o"), "--terms",
                 str(tmp_path / "missing.csv")]) == 2
    assert main(["sap", "--model", str(fresh_tiny), "--out", str(fresh_tiny), "--terms", str(terms),
                 "--held-out-fraction", "0"]) == 2
    assert main(["sap", "--model", str(fresh_tiny), "--out", str(tmp_path / "o"), "--terms", str(terms),
                 "--epochs", "0"]) == 2
    with pytest.raises(SystemExit) as exit_info:
        main(["sap", "--model", str(fresh_tiny), "--out", "o", "--terms", str(terms), "--umls", str(terms)])
    assert exit_info.value.code == 2
    assert main(["eval", "synonyms", "--model", str(fresh_tiny), "--held-out-only", str(tmp_path)]) == 2


def test_a_hugging_face_encoder_is_aligned_from_a_umls_file(tmp_path):
    from transformers import AutoModel, BertConfig, BertModel, PreTrainedTokenizerFast

    from bonevlp.models.tokenizer import train_tokenizer

    tokenizer_dir = train_tokenizer(SENTENCES * 3, tmp_path / "tok", vocab_size=400)
    tokenizer = PreTrainedTokenizerFast.from_pretrained(str(tokenizer_dir))
    torch.manual_seed(0)
    encoder = BertModel(BertConfig(vocab_size=len(tokenizer), hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                                   intermediate_size=64, max_position_embeddings=64), add_pooling_layer=False)
    hf = tmp_path / "hf"
    encoder.save_pretrained(str(hf))
    tokenizer.save_pretrained(str(hf))
    rows = [(f"C{c:07d}", "FRE", "MSHFRE", f"terme {c} forme {v}", "N") for c in range(30) for v in range(3)]
    rrf = tmp_path / "MRCONSO.RRF"
    rrf.write_text(_rrf(*rows, ("C9", "ENG", "MSH", "english only", "N")), encoding="utf-8")
    out = tmp_path / "hf-sap"
    assert main(["sap", "--model", str(hf), "--out", str(out), "--umls", str(rrf), "--languages", "FRE",
                 "--sources", "MSHFRE", "--epochs", "1", "--batch-size", "16", "--device", "cpu", "--quiet"]) == 0
    sap = json.loads((out / "sap.json").read_text())
    assert sap["tower"] == "hf" and sap["settings"]["lr"] == 2e-5 and sap["table"]["concepts"] == 30
    assert "--hf-text" in sap["train_with"]
    aligned = AutoModel.from_pretrained(str(out))
    assert not torch.equal(aligned.embeddings.word_embeddings.weight, encoder.embeddings.word_embeddings.weight)
    assert main(["eval", "synonyms", "--model", str(out), "--held-out-only", str(out), "--device", "cpu"]) == 0
