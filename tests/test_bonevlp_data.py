"""bonevlp's data side on real tar shards: shard specs resolve (folder, glob, brace, "::"), the split
is patient-disjoint and covers the manifest, batches carry K images per study drawn among the first
12 with a study index to pool them, validation is deterministic and unaugmented, the image layout
works, DDP ranks read disjoint shards with equal batch counts, reports become clean French captions,
and the augmentation is random, grayscale-aware and normalised."""

from __future__ import annotations

import io
import json
import random
import shutil
import tarfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from PIL import Image

from bonevlp.data.augment import eval_transform, train_transform
from bonevlp.data.loader import UNKNOWN_GROUP, DataConfig, body_part_of, choose_images, grouped, make_loader
from bonevlp.data.shards import resolve_shards, split_keys
from bonevlp.data.text import clean_report, clinical_body, findings_and_context, report_to_caption, split_sentences

CONTEXT = 12
REPORT = ("Dr Q. PAQUOT – Dr M. LAMBERT\nN° dossier : [ID]\n[EMAIL]  [URL]\n====\n"
          "Traumatisme de l'épaule le 14.09.16. Patient de [AGE] ans.\n"
          "Résultats :\n- Fracture déplacée du col (3 mm). Pas de luxation.\n"
          "CONCLUSION : Fracture non déplacée du trochiter.\nINAMI : [ID]\n")


def tokenize(texts: list[str]) -> torch.Tensor:
    """A module-level (picklable) stand-in tokenizer: word lengths, padded to CONTEXT."""
    out = torch.zeros(len(texts), CONTEXT, dtype=torch.long)
    for row, text in enumerate(texts):
        ids = [len(word) for word in text.split()][:CONTEXT]
        out[row, :len(ids)] = torch.tensor(ids, dtype=torch.long)
    return out


def patient(key: str) -> str:
    return key.split("_", 1)[0]


def epoch(loader) -> list[dict]:
    return list(loader)


def jpeg(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array.astype(np.uint8), "L").save(buffer, "JPEG", quality=95)
    return buffer.getvalue()


def write_tar(path: Path, samples: list[tuple[str, dict[str, bytes]]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(path, "w", format=tarfile.USTAR_FORMAT) as tar:
        for key, fields in samples:
            for field, data in fields.items():
                info = tarfile.TarInfo(f"{key}.{field}")
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))


def read_tar(path: Path) -> list[tuple[str, dict[str, bytes]]]:
    samples: dict[str, dict[str, bytes]] = {}
    with tarfile.open(path) as tar:
        for member in tar:
            key, field = member.name.split(".", 1)
            samples.setdefault(key, {})[field] = tar.extractfile(member).read()
    return list(samples.items())


def level(index: int) -> int:
    """The gray level that encodes image number `index` (0..14)."""
    return 8 + 16 * index


@pytest.fixture(scope="module")
def out(small_build) -> Path:
    return small_build["out"]


@pytest.fixture(scope="module")
def manifest(out) -> pd.DataFrame:
    return pd.read_parquet(out / "manifest.parquet")


@pytest.fixture(scope="module")
def fifteen(tmp_path_factory) -> Path:
    """A study-layout build folder: 4 studies of 15 uniform images whose gray level encodes their number;
    its manifest puts patients P0, P1 in validation bucket 0 and P2, P3 in bucket 50."""
    root = tmp_path_factory.mktemp("fifteen") / "out"
    samples, rows = [], []
    for study in range(4):
        key = f"P{study}_S{study}"
        fields = {"txt": REPORT.encode(), "json": b"{}"}
        fields.update({f"{n}.jpg": jpeg(np.full((48, 64), level(n))) for n in range(15)})
        samples.append((key, fields))
        rows.append({"key": key, "patient": f"P{study}", "shard": "bone-000000.tar", "images": 15,
                     "body_part": "KNEE", "modality": "DX", "split_bucket": 0 if study < 2 else 50})
    write_tar(root / "shards" / "bone-000000.tar", samples)
    (root / "sizes.json").write_text(json.dumps({"bone-000000.tar": 4}))
    pd.DataFrame(rows).to_parquet(root / "manifest.parquet")
    return root


@pytest.fixture(scope="module")
def image_layout(out, manifest, tmp_path_factory) -> Path:
    """The small build rewritten in the image layout (one sample per image, key `<study key>_<n>`), with
    sizes.json and a manifest carrying the studies' split buckets."""
    root = tmp_path_factory.mktemp("image_layout") / "out"
    buckets = dict(zip(manifest["key"], manifest["split_bucket"], strict=True))
    sizes, rows = {}, []
    for shard in sorted((out / "shards").glob("*.tar")):
        samples = []
        for key, fields in read_tar(shard):
            for name in sorted(f for f in fields if f.endswith(".jpg")):
                image_key = f"{key}_{name.split('.')[0]}"
                samples.append((image_key, {"jpg": fields[name], "txt": fields["txt"], "json": fields["json"]}))
                rows.append({"key": image_key, "patient": patient(key), "shard": shard.name, "images": 1,
                             "split_bucket": buckets[key]})
        write_tar(root / "shards" / shard.name, samples)
        sizes[shard.name] = len(samples)
    (root / "sizes.json").write_text(json.dumps(sizes))
    pd.DataFrame(rows).to_parquet(root / "manifest.parquet")
    return root


# --- shards and split ---------------------------------------------------------------------------

def test_resolve_shards_reads_a_build_folder_a_glob_a_brace_pattern_and_joined_specs(out, manifest):
    sizes = json.loads((out / "sizes.json").read_text())
    whole = resolve_shards(out)
    assert [Path(u).name for u in whole.urls] == sorted(sizes) and len(whole.urls) >= 3
    assert whole.sizes == sizes and whole.root == out and len(whole.manifest) == len(manifest)
    globbed = resolve_shards(f"{out}/shards/*.tar")
    assert globbed.urls == whole.urls and globbed.root == out and globbed.sizes == sizes
    braced = resolve_shards(f"{out}/shards/bone-{{000000..000001}}.tar")
    assert [Path(u).name for u in braced.urls] == ["bone-000000.tar", "bone-000001.tar"]
    assert set(braced.manifest["shard"]) == {"bone-000000.tar", "bone-000001.tar"}
    assert braced.samples == sizes["bone-000000.tar"] + sizes["bone-000001.tar"]
    joined = resolve_shards(f"{out}/shards/bone-000000.tar::{out}/shards/bone-00000[12].tar")
    assert joined.urls == whole.urls
    with pytest.raises(FileNotFoundError):
        resolve_shards(f"{out}/shards/bone-{{000000..000009}}.tar")


def test_shards_without_sizes_json_are_counted_and_have_no_manifest(out, tmp_path):
    shutil.copy(out / "shards" / "bone-000000.tar", tmp_path / "bone-000000.tar")
    found = resolve_shards(tmp_path)
    assert found.sizes == {"bone-000000.tar": json.loads((out / "sizes.json").read_text())["bone-000000.tar"]}
    assert found.manifest is None and found.root is None


@pytest.mark.parametrize("fraction", [0.0, 0.1, 0.3, 0.5, 1.0])
def test_split_keys_are_disjoint_patient_disjoint_and_cover_the_manifest(manifest, fraction):
    train, val = split_keys(manifest, "train", fraction), split_keys(manifest, "val", fraction)
    assert not train & val and train | val == set(manifest["key"])
    assert not {patient(k) for k in train} & {patient(k) for k in val}
    expected_val = set(manifest.loc[manifest["split_bucket"] < round(100 * fraction), "key"])
    assert val == expected_val
    with pytest.raises(ValueError):
        split_keys(manifest, "test", fraction)


def test_train_and_val_loaders_read_the_manifest_split_exactly(out, manifest):
    fraction = 0.5
    assert split_keys(manifest, "val", fraction), "the synthetic build should put some patient in validation"
    config = DataConfig(str(out), batch_size=4, image_size=32, workers=0, val_fraction=fraction)
    seen = {}
    for split in ("train", "val"):
        loader, samples = make_loader(config, tokenize, split)
        batches = epoch(loader)
        seen[split] = [key for batch in batches for key in batch["keys"]]
        assert samples == len(seen[split]) == len(set(seen[split])) and len(batches) == len(loader)
    assert set(seen["train"]) == split_keys(manifest, "train", fraction)
    assert set(seen["val"]) == split_keys(manifest, "val", fraction)
    assert not {patient(k) for k in seen["train"]} & {patient(k) for k in seen["val"]}


# --- batches ----------------------------------------------------------------------------------

def test_training_batches_hold_k_images_per_study_with_a_study_index(out, manifest):
    images_in = dict(zip(manifest["key"], manifest["images"], strict=True))
    config = DataConfig(str(out), batch_size=4, images_per_study=2, image_size=32, workers=2, val_fraction=0.0)
    loader, samples = make_loader(config, tokenize, "train")
    batches = epoch(loader)
    assert len(batches) == len(loader) == loader.num_batches
    assert sum(len(b["keys"]) for b in batches) == samples == len(manifest)
    for batch in batches:
        size, count = len(batch["keys"]), batch["images"].shape[0]
        assert batch["images"].shape == (count, 3, 32, 32) and batch["images"].dtype == torch.float32
        assert batch["text"].shape == (size, CONTEXT) and batch["text"].dtype == torch.long
        assert batch["n_images"].tolist() == [min(2, images_in[k]) for k in batch["keys"]]
        assert batch["study_index"].dtype == torch.long and batch["study_index"].shape == (count,)
        assert batch["study_index"].tolist() == sorted(batch["study_index"].tolist())
        assert torch.bincount(batch["study_index"], minlength=size).tolist() == batch["n_images"].tolist()
        assert batch["images"].min() >= -1.0 and batch["images"].max() <= 1.0
        assert all(caption and "\n" not in caption for caption in batch["captions"])


def test_training_images_are_drawn_without_replacement_among_the_first_twelve(fifteen):
    config = DataConfig(str(fifteen), batch_size=4, images_per_study=3, image_size=24, workers=0, val_fraction=0.0)
    loader, _ = make_loader(config, tokenize, "train")
    drawn = set()
    for _ in range(5):
        for batch in loader:
            assert batch["n_images"].tolist() == [3] * 4
            for study in range(4):
                numbers = batch["image_index"][batch["study_index"] == study].tolist()
                assert len(set(numbers)) == 3 and max(numbers) < 12
                drawn.update(numbers)
    assert len(drawn) >= 10  # random, not the first three
    picks = [choose_images([(n, f"{n}.jpg") for n in range(15)], 4, 12, random.Random(seed)) for seed in range(300)]
    assert {n for pick in picks for n, _ in pick} == set(range(12))
    assert choose_images([(0, "0.jpg"), (1, "1.jpg")], 4, 12, random.Random(0)) == [(0, "0.jpg"), (1, "1.jpg")]


def test_validation_takes_the_first_k_images_unaugmented_and_is_deterministic(fifteen):
    config = DataConfig(str(fifteen), batch_size=3, images_per_study=4, image_size=32, workers=2,
                        val_fraction=0.1, mean=(0.2, 0.4, 0.6), std=(0.25, 0.5, 0.75))
    loader, samples = make_loader(config, tokenize, "val")
    first, second = epoch(loader), epoch(loader)
    assert samples == 2 and [b["keys"] for b in first] == [["P0_S0", "P1_S1"]]
    assert first[0]["image_index"].tolist() == [0, 1, 2, 3, 0, 1, 2, 3]
    assert torch.equal(first[0]["images"], second[0]["images"]) and first[0]["captions"] == second[0]["captions"]
    mean, std = torch.tensor(config.mean).view(3, 1, 1), torch.tensor(config.std).view(3, 1, 1)
    pixels = (first[0]["images"] * std + mean) * 255  # undo the normalisation: every channel the gray level
    for image, number in zip(pixels, first[0]["image_index"].tolist(), strict=True):
        centre = image[:, 16, 16]
        assert torch.allclose(centre, torch.full((3,), float(level(number))), atol=3)


def test_training_shuffles_differently_each_epoch_and_reproducibly_per_seed(out):
    config = DataConfig(str(out), batch_size=32, image_size=16, workers=0, val_fraction=0.0, shuffle_buffer=50)
    first, _ = make_loader(config, tokenize, "train")
    again, _ = make_loader(config, tokenize, "train")
    epoch_0, epoch_1 = epoch(first)[0], epoch(first)[0]
    replay = epoch(again)[0]
    assert epoch_0["keys"] == replay["keys"] and torch.equal(epoch_0["images"], replay["images"])
    assert epoch_0["keys"] != epoch_1["keys"] and sorted(epoch_0["keys"]) == sorted(epoch_1["keys"])
    again.set_epoch(1)
    assert epoch(again)[0]["keys"] == epoch_1["keys"]


def test_grouped_makes_runs_of_one_body_part_and_loses_no_sample():
    parts = ["KNEE"] * 7 + ["WRIST"] * 5 + ["HIP"] * 2 + ["KNEE"] * 3
    random.Random(3).shuffle(parts)
    samples = [{"__key__": f"s{i}", "json": json.dumps({"body_part": p}).encode()} for i, p in enumerate(parts)]
    out = list(grouped(iter(samples), 4))
    assert sorted(s["__key__"] for s in out) == sorted(s["__key__"] for s in samples)
    runs = [out[i:i + 4] for i in range(0, 12, 4)]  # 10 knees and 5 wrists make 2 + 1 full runs of 4
    assert sorted(body_part_of(run[0]) for run in runs) == ["KNEE", "KNEE", "WRIST"]
    assert all(len({body_part_of(s) for s in run}) == 1 for run in runs)
    assert [body_part_of(s) for s in out[12:]].count("HIP") == 2  # the leftovers come last
    assert list(grouped(iter(samples), 1)) == samples
    assert body_part_of({"json": b"{not json"}) == body_part_of({}) == UNKNOWN_GROUP


def test_group_size_batches_hold_whole_runs_of_one_body_part(out, manifest):
    config = DataConfig(str(out), batch_size=8, image_size=16, workers=0, val_fraction=0.0, group_size=4)
    loader, _ = make_loader(config, tokenize, "train", epoch_samples=64)
    part = dict(zip(manifest["key"], manifest["body_part"], strict=True))
    runs = [batch["keys"][i:i + 4] for batch in epoch(loader) for i in range(0, 8, 4)]
    assert len(runs) == 16
    # the stream cycles over the shards, so only the runs left over at a pass's end may mix body parts
    mixed = [run for run in runs if len({part[k] for k in run}) > 1]
    assert len(mixed) <= 2 and len(runs) - len(mixed) >= 14
    plain, _ = make_loader(DataConfig(str(out), batch_size=8, image_size=16, workers=0, val_fraction=0.0),
                           tokenize, "train", epoch_samples=64)
    plain_runs = [batch["keys"][i:i + 4] for batch in epoch(plain) for i in range(0, 8, 4)]
    assert sum(len({part[k] for k in run}) > 1 for run in plain_runs) > len(mixed)
    with pytest.raises(ValueError, match="group_size"):
        make_loader(DataConfig(str(out), batch_size=8, group_size=3), tokenize, "train")


def test_image_layout_gives_one_image_per_sample_and_splits_by_patient(image_layout, manifest):
    config = DataConfig(str(image_layout), batch_size=8, images_per_study=3, image_size=32, workers=2,
                        val_fraction=0.5)
    seen = {}
    for split in ("train", "val"):
        loader, samples = make_loader(config, tokenize, split)
        batches = epoch(loader)
        seen[split] = {key for batch in batches for key in batch["keys"]}
        assert samples == len(seen[split]) > 0
        for batch in batches:
            assert batch["n_images"].tolist() == [1] * len(batch["keys"])
            assert batch["study_index"].tolist() == list(range(len(batch["keys"])))
            assert batch["image_index"].tolist() == [int(k.rsplit("_", 1)[1]) for k in batch["keys"]]
    assert len(seen["train"]) + len(seen["val"]) == int(manifest["images"].sum())
    assert not {patient(k) for k in seen["train"]} & {patient(k) for k in seen["val"]}


# --- epochs, workers and ranks -----------------------------------------------------------------

def test_ddp_ranks_read_disjoint_shards_and_the_same_number_of_full_batches(out, monkeypatch):
    config = DataConfig(str(out), batch_size=4, image_size=16, workers=2, val_fraction=0.0)
    ranks = []
    monkeypatch.setenv("WORLD_SIZE", "2")
    for rank in (0, 1):
        monkeypatch.setenv("RANK", str(rank))
        loader, samples = make_loader(config, tokenize, "train")
        batches = epoch(loader)
        assert len(batches) == len(loader) and samples == 2 * len(batches) * 4  # over both ranks
        assert all(len(batch["keys"]) == 4 for batch in batches)
        ranks.append((set(loader.dataset.urls), {k for b in batches for k in b["keys"]}, len(batches)))
    (shards_0, keys_0, count_0), (shards_1, keys_1, count_1) = ranks
    assert not shards_0 & shards_1 and shards_0 | shards_1 == set(resolve_shards(out).urls)
    assert not keys_0 & keys_1 and count_0 == count_1
    monkeypatch.setenv("WORLD_SIZE", "4")  # 3 shards for 4 ranks: only resampling can feed them all
    with pytest.raises(ValueError, match="resampled"):
        make_loader(config, tokenize, "train")
    loader, samples = make_loader(DataConfig(str(out), batch_size=4, image_size=16, workers=2, val_fraction=0.0,
                                             resampled=True), tokenize, "train", epoch_samples=40)
    # 40 // 4 ranks = 10 samples -> 3 batches -> 2 per worker: 4 batches of 4 on each of the 4 ranks
    assert len(epoch(loader)) == len(loader) == 4 and samples == 4 * 4 * 4


@pytest.mark.filterwarnings("ignore:This DataLoader will create:UserWarning")
def test_fewer_shards_than_workers_uses_fewer_workers_and_epoch_samples_fixes_the_length(out):
    loader, samples = make_loader(DataConfig(str(out), batch_size=4, image_size=16, workers=8, val_fraction=0.0),
                                  tokenize, "train")
    assert loader.num_workers == len(resolve_shards(out).urls)
    assert sum(len(b["keys"]) for b in epoch(loader)) == samples
    loader, samples = make_loader(DataConfig(str(out), batch_size=4, image_size=16, workers=2, val_fraction=0.0),
                                  tokenize, "train", epoch_samples=50)
    batches = epoch(loader)  # ceil(ceil(50 / 4) / 2) * 2 = 14 full batches, shards cycled
    assert len(batches) == len(loader) == 14 and samples == 56 and {len(b["keys"]) for b in batches} == {4}


def test_without_a_manifest_everything_trains_and_validation_is_refused(out, tmp_path):
    for shard in (out / "shards").glob("*.tar"):
        shutil.copy(shard, tmp_path / shard.name)
    config = DataConfig(f"{tmp_path}/*.tar", batch_size=64, image_size=16, workers=0)
    loader, samples = make_loader(config, tokenize, "train")
    assert samples == sum(json.loads((out / "sizes.json").read_text()).values()) == len(epoch(loader)[0]["keys"])
    with pytest.raises(ValueError, match="manifest"):
        make_loader(config, tokenize, "val")


# --- text --------------------------------------------------------------------------------------

def test_clean_report_drops_placeholder_and_separator_lines_and_keeps_accents():
    cleaned = clean_report(REPORT.replace("é", "e\u0301") + "\tTuméfaction\u00a0  des   parties molles.\r\n")
    lines = cleaned.split("\n")
    assert "[ID]" not in cleaned and "[EMAIL]" not in cleaned and "====" not in cleaned
    assert "Patient de [AGE] ans." in cleaned  # a placeholder inside a sentence stays
    assert "Traumatisme de l'épaule le 14.09.16. Patient de [AGE] ans." in lines
    assert lines[-1] == "Tuméfaction des parties molles."
    assert "déplacée" in cleaned and "\u0301" not in cleaned


def test_split_sentences_respects_abbreviations_initials_and_bullets():
    sentences = split_sentences(clean_report(REPORT))
    assert sentences == [
        "Dr Q. PAQUOT – Dr M. LAMBERT",
        "Traumatisme de l'épaule le 14.09.16.",
        "Patient de [AGE] ans.",
        "Résultats :",
        "Fracture déplacée du col (3 mm).",
        "Pas de luxation.",
        "CONCLUSION : Fracture non déplacée du trochiter.",
    ]
    assert split_sentences("Voir cf. Fig. 2 ci-dessous. Lésion osseuse ? Non.") == [
        "Voir cf. Fig. 2 ci-dessous.", "Lésion osseuse ?", "Non."]


def test_report_to_caption_joins_sentences_and_shuffles_them_reproducibly():
    plain = report_to_caption(REPORT, findings_first=False)
    assert plain == " ".join(split_sentences(clinical_body(clean_report(REPORT)))) and "\n" not in plain
    shuffled = [report_to_caption(REPORT, random.Random(seed), shuffle=True) for seed in range(5)]
    assert shuffled[0] == report_to_caption(REPORT, random.Random(0), shuffle=True)
    assert len(set(shuffled)) > 1
    ordered = report_to_caption(REPORT)
    assert all(sorted(s.split()) == sorted(ordered.split()) for s in shuffled)


def test_caption_puts_the_findings_before_the_request_and_shuffles_each_part_apart():
    report = ("Renseignements cliniques\nChute de vélo. Fracture ?\nTechnique : face et profil.\n"
              "RÉSULTAT :\nFracture du radius distal. Pas de luxation.\nConclusion : fracture du radius distal.\n"
              "Dr Martin, radiologue\nDicté par Dr Martin")
    findings = ["Fracture du radius distal.", "Pas de luxation.", "Conclusion : fracture du radius distal."]
    context = ["Chute de vélo.", "Fracture ?", "Technique : face et profil."]
    assert findings_and_context(clinical_body(clean_report(report))) == (findings, context)
    assert report_to_caption(report) == " ".join(findings + context)  # headings alone and signature dropped
    for seed in range(10):
        words = report_to_caption(report, random.Random(seed), shuffle=True)
        assert sorted(words[:len(" ".join(findings))].split()) == sorted(" ".join(findings).split())
    # a context heading with its text on the line holds that line only: what follows is findings
    inline = "Contexte clinique : douleur.\nStructures osseuses normales.\nPas de fracture."
    assert findings_and_context(inline) == (["Structures osseuses normales.", "Pas de fracture."],
                                            ["Contexte clinique : douleur."])


def test_clinical_body_drops_the_letterhead_and_the_signature():
    report = ("CHU Ambroise Paré\nService d'imagerie médicale\nPROTOCOLE DE RADIOLOGIE\nPatient : Jean Dupont\n"
              "Examen : RX poignet gauche F + P\nIndication : chute.\nConclusion : fracture du radius distal.\n"
              "Document validé électroniquement par le Dr Martin\nCopie : Dr Peeters")
    assert clinical_body(report) == ("Examen : RX poignet gauche F + P\nIndication : chute.\n"
                                     "Conclusion : fracture du radius distal.")
    assert clinical_body("Pas de fracture.\nDr Martin") == "Pas de fracture.\nDr Martin"  # no heading: whole
    caption = report_to_caption(report, findings_first=False)
    assert caption.startswith("Examen : RX poignet") and "Dupont" not in caption and "Peeters" not in caption
    assert "Dupont" in report_to_caption(report, body_only=False)


# --- augmentation ------------------------------------------------------------------------------

def radiograph(width: int = 120, height: int = 160) -> Image.Image:
    rng = np.random.default_rng(0)
    y, x = np.mgrid[0:height, 0:width]
    return Image.fromarray((40 + 150 * (np.abs(x - width / 2) < 15) + rng.normal(0, 5, (height, width))).clip(0, 255).astype(np.uint8), "L")


def test_train_transform_is_normalised_grayscale_random_and_seedable():
    transform = train_transform(48, (0.5,) * 3, (0.5,) * 3)
    source = jpeg(np.asarray(radiograph()))
    first = transform(Image.open(io.BytesIO(source)))
    second = transform(Image.open(io.BytesIO(source)))
    assert first.shape == (3, 48, 48) and first.dtype == torch.float32
    assert first.min() >= -1.0 and first.max() <= 1.0
    assert torch.equal(first[0], first[1]) and torch.equal(first[0], first[2])  # gray repeated
    assert not torch.equal(first, second)
    rgb = radiograph().convert("RGB")
    assert torch.equal(transform(rgb, random.Random(3)), transform(rgb, random.Random(3)))


def test_eval_transform_letterboxes_the_whole_image_deterministically():
    mean, std = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
    transform = eval_transform(64, mean, std)
    image = Image.new("L", (32, 64), 200)  # portrait: scaled to 32x64, black bands left and right
    out = transform(image)
    assert out.shape == (3, 64, 64) and torch.equal(out, transform(image))
    expected_inside = (200 / 255 - torch.tensor(mean)) / torch.tensor(std)
    expected_border = -torch.tensor(mean) / torch.tensor(std)
    assert torch.allclose(out[:, 32, 32], expected_inside, atol=1e-5)
    assert torch.allclose(out[:, 32, 2], expected_border, atol=1e-5)
    assert torch.allclose(out[:, 0, 32], expected_inside, atol=1e-5)  # top to bottom: nothing cropped
