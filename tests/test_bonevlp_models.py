"""bonevlp models and losses: offline tokenizer, project configs, study pooling, StudyCLIP, export to
open_clip's local-dir format, a local Hugging Face text tower, CLIP and SigLIP losses (also across two
processes)."""

from __future__ import annotations

import math
import pickle
import socket
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F  # noqa: N812 - the usual name

from bonevlp.losses import ClipLoss, SigLipLoss, positives_for, positives_from_study_index
from bonevlp.models import (
    GatedAttentionPool,
    MeanPool,
    StudyCLIP,
    create,
    export_open_clip,
    load_study_model,
    load_tokenizer,
    register_project_configs,
    resolve_model_config,
    train_tokenizer,
)

REPORTS = [
    "Fracture déplacée du col fémoral gauche. Pas d'autre lésion osseuse décelable.",
    "Genou droit : ostéophytose fémoro-tibiale interne, pincement articulaire modéré.",
    "Cheville gauche : œdème des parties molles malléolaires, pas de fracture.",
    "Rachis lombaire : discopathie L4-L5, tassement de L1 déjà connu, arthrose inter-apophysaire.",
    "Épaule droite : calcification du tendon supra-épineux, pas d'anomalie de l'interligne.",
    "Poignet : fracture de l'extrémité distale du radius avec bascule postérieure de 15°.",
    "Bassin : prothèse totale de hanche droite en place, pas de descellement ni liseré péri-prothétique.",
    "Main gauche : arthrose digitale, érosions des interphalangiennes distales, à corréler à la clinique.",
]
STUDY_INDEX = torch.tensor([0, 0, 1, 2, 2, 2, 3])  # 4 studies, 7 images


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture
def offline(monkeypatch):
    """No socket may connect: anything that tries the network fails."""
    def refuse(*args, **kwargs):
        raise OSError("network access attempted in an offline test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


@pytest.fixture(scope="module")
def tokenizer_dir(tmp_path_factory) -> Path:
    return train_tokenizer(REPORTS * 5, tmp_path_factory.mktemp("tok") / "tokenizer", vocab_size=1000)


def _images(n: int = 7, size: int = 96, seed: int = 0) -> torch.Tensor:
    """Normalised grayscale images repeated to 3 channels, as the loader gives them."""
    gray = torch.randn(n, 1, size, size, generator=torch.Generator().manual_seed(seed))
    return gray.repeat(1, 3, 1, 1)


# --- tokenizer ---------------------------------------------------------------------------------------------

def test_tokenizer_trains_deterministically_and_round_trips_through_open_clip_offline(tmp_path, offline):
    import open_clip

    first = train_tokenizer(REPORTS * 3, tmp_path / "a", vocab_size=600)
    second = train_tokenizer(REPORTS * 3, tmp_path / "b", vocab_size=600)
    assert (first / "tokenizer.json").read_bytes() == (second / "tokenizer.json").read_bytes()

    hf = open_clip.tokenizer.HFTokenizer(str(first), context_length=64)
    ids = hf(REPORTS[:4])
    assert ids.shape == (4, 64) and ids.dtype == torch.long
    ours = load_tokenizer(first, 64)
    assert torch.equal(ours(REPORTS[:4]), ids)
    for row, text in zip(ids, REPORTS[:4], strict=True):
        tokens = row[row != 0].tolist()
        assert tokens[0] == 2 and tokens[-1] == 3  # [CLS] ... [SEP], then [PAD] = 0
        assert hf.tokenizer.decode(tokens, skip_special_tokens=True).strip() == text.lower()  # accents kept
        assert ours.decode(row) == text.lower()

    truncated = ours([" ".join(REPORTS)])[0]
    assert truncated.shape == (64,) and truncated[-1] == 3  # the end token survives truncation
    assert torch.equal(pickle.loads(pickle.dumps(ours))(REPORTS[:2]), ids[:2])


def test_bundled_tokenizer_is_used_without_a_tokenizer_dir():
    cfg = resolve_model_config("tiny")
    assert cfg["text_cfg"]["vocab_size"] == 49408 and cfg["text_cfg"]["pool_type"] == "argmax"
    ids = load_tokenizer(None, 77)(REPORTS[:2])
    assert ids.shape == (2, 77) and int(ids.max()) < 49408


# --- configs and creation ----------------------------------------------------------------------------------

def test_project_configs_register_once_and_follow_the_tokenizer(tokenizer_dir):
    import open_clip

    register_project_configs()
    register_project_configs()
    names = open_clip.list_models()
    assert names.count("tiny") == 1 and names.count("vit-b-16-fr") == 1

    vocab = len(__import__("transformers").AutoTokenizer.from_pretrained(str(tokenizer_dir)))
    fr = resolve_model_config("vit-b-16-fr", tokenizer_dir)
    assert fr["vision_cfg"] == open_clip.get_model_config("ViT-B-16")["vision_cfg"]
    assert fr["text_cfg"]["context_length"] == 256 and fr["text_cfg"]["vocab_size"] == vocab
    assert (fr["text_cfg"]["pad_id"], fr["text_cfg"]["eos_id"], fr["text_cfg"]["pool_type"]) == (0, 3, "eos")
    vit = resolve_model_config("ViT-B-16", tokenizer_dir, context_length=128)
    assert vit["text_cfg"]["vocab_size"] == vocab and vit["text_cfg"]["context_length"] == 128
    assert resolve_model_config("RN50")["text_cfg"]["vocab_size"] == 49408
    with pytest.raises(ValueError, match="unknown model"):
        resolve_model_config("no-such-model")


def test_tiny_model_is_small_and_encodes_a_batch_of_studies(tokenizer_dir, offline):
    model, preprocess_cfg, tokenize = create("tiny", tokenizer_dir)
    assert sum(p.numel() for p in model.parameters()) < 5_000_000
    assert tuple(preprocess_cfg["size"]) == (96, 96)
    text = tokenize(REPORTS[:4])
    assert text.shape == (4, 128)
    for pooling in ("mean", "gated", "none"):
        study = StudyCLIP(model, pooling)
        out = study(_images(), STUDY_INDEX, text)
        n_rows = 7 if pooling == "none" else 4
        assert out["image_features"].shape == (n_rows, 128) and out["text_features"].shape == (4, 128)
        assert torch.allclose(out["image_features"].norm(dim=-1), torch.ones(n_rows), atol=1e-5)
        assert out["logit_scale"].item() == pytest.approx(1 / 0.07, rel=1e-4) and out["logit_bias"] is None
        positives = positives_for(out)
        assert out["per_image"] == (pooling == "none")
        assert positives is None if pooling != "none" else torch.equal(positives, positives_from_study_index(STUDY_INDEX, 4))
    with torch.no_grad():
        model.logit_scale.fill_(7.0)
    study.clamp_temperature()
    assert study(_images(), STUDY_INDEX, text)["logit_scale"].item() == pytest.approx(100.0)
    study.set_grad_checkpointing(True)
    assert model.visual.transformer.grad_checkpointing


def test_image_size_override_reaches_the_model_its_preprocessing_and_its_export(tokenizer_dir, tmp_path, offline):
    model, preprocess_cfg, _ = create("tiny", tokenizer_dir, image_size=128)
    assert tuple(preprocess_cfg["size"]) == (128, 128)
    assert model.bonevlp_model_cfg["vision_cfg"]["image_size"] == 128
    assert model.visual.positional_embedding.shape[0] == (128 // 16) ** 2 + 1  # an 8 x 8 grid and the class token
    assert model.encode_image(torch.zeros(2, 3, 128, 128)).shape == (2, 128)
    assert create("tiny", tokenizer_dir)[0].visual.positional_embedding.shape[0] == (96 // 16) ** 2 + 1
    reloaded, preprocess_again, _ = load_study_model(export_open_clip(StudyCLIP(model, "mean"), None, tokenizer_dir,
                                                                      tmp_path / "export"))
    assert tuple(preprocess_again["size"]) == (128, 128)


def test_tiny_resnet_is_a_max_pooled_cnn_built_offline_that_exports_and_reloads(tokenizer_dir, tmp_path, offline):
    import open_clip
    from open_clip.timm_model import TimmModel

    model, preprocess_cfg, tokenize = create("tiny-resnet", tokenizer_dir)
    assert isinstance(model.visual, TimmModel) and tuple(preprocess_cfg["size"]) == (96, 96)
    assert model.visual.trunk.global_pool.pool_type == "max"  # a small local sign (a fracture) is not averaged away
    assert sum(p.numel() for p in model.visual.parameters()) < 1_000_000
    study = StudyCLIP(model, "mean")
    study.train()
    study(_images(), STUDY_INDEX, tokenize(REPORTS[:4]))  # one training forward moves the batch-norm statistics
    out_dir = export_open_clip(study, None, tokenizer_dir, tmp_path / "export")
    reloaded, _, _ = open_clip.create_model_and_transforms("local-dir:" + str(out_dir))
    model.eval(), reloaded.eval()
    with torch.no_grad():
        assert torch.equal(reloaded.encode_image(_images()), model.encode_image(_images()))
    assert create("tiny-resnet", tokenizer_dir, image_size=128)[0].encode_image(torch.zeros(2, 3, 128, 128)).shape == (2, 128)


def test_a_few_steps_on_a_fixed_batch_reduce_the_loss(tokenizer_dir):
    torch.manual_seed(0)
    model, _, tokenize = create("tiny", tokenizer_dir)
    study = StudyCLIP(model, "gated", init_temperature=0.1, learn_temperature=False)
    assert not model.logit_scale.requires_grad
    images, text, loss_fn = _images(), tokenize(REPORTS[:4]), ClipLoss()
    optimizer = torch.optim.AdamW([p for p in study.parameters() if p.requires_grad], lr=2e-3)
    losses = []
    for _ in range(10):
        out = study(images, STUDY_INDEX, text)
        loss = loss_fn(out["image_features"], out["text_features"], out["logit_scale"])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]
    assert model.logit_scale.exp().item() == pytest.approx(10.0)


# --- pooling -----------------------------------------------------------------------------------------------

def test_pooling_equals_a_loop_over_studies():
    torch.manual_seed(1)
    features = torch.randn(9, 16, requires_grad=True)
    study_index = torch.tensor([2, 0, 2, 2, 1, 0, 4, 4, 2])  # study 3 has no image
    gated = GatedAttentionPool(16, hidden=8)
    mean_out = MeanPool()(features, study_index, 5)
    gated_out = gated(features, study_index, 5)
    weights = gated.attention_weights(features, study_index, 5)
    for study in range(5):
        rows = features[study_index == study]
        if len(rows) == 0:
            assert torch.equal(mean_out[study], torch.zeros(16)) and torch.equal(gated_out[study], torch.zeros(16))
            continue
        attention = torch.softmax(gated.scores(rows), dim=0)
        assert torch.allclose(mean_out[study], rows.mean(0), atol=1e-6)
        assert torch.allclose(gated_out[study], (attention[:, None] * rows).sum(0), atol=1e-6)
        assert torch.allclose(weights[study_index == study], attention, atol=1e-6)
        assert weights[study_index == study].sum().item() == pytest.approx(1.0)
    gated_out.sum().backward()
    assert features.grad is not None and gated.attention_v.weight.grad is not None
    order = torch.randperm(9)
    assert torch.allclose(gated(features[order], study_index[order], 5), gated_out, atol=1e-6)


# --- losses ------------------------------------------------------------------------------------------------

def _unit(*shape, seed=0):
    return F.normalize(torch.randn(*shape, generator=torch.Generator().manual_seed(seed)), dim=-1)


def test_losses_equal_open_clip_on_the_identity():
    import open_clip

    images, texts = _unit(6, 32, seed=1), _unit(6, 32, seed=2)
    scale, bias = torch.tensor(1 / 0.07), torch.tensor(-10.0)
    assert torch.allclose(ClipLoss()(images, texts, scale), open_clip.ClipLoss()(images, texts, scale))
    assert torch.allclose(SigLipLoss()(images, texts, 10.0, bias), open_clip.loss.SigLipLoss()(images, texts, 10.0, bias))


def test_aligned_features_give_a_lower_loss_than_random_ones():
    texts = _unit(8, 32, seed=3)
    for loss in (lambda i, t: ClipLoss()(i, t, 10.0), lambda i, t: SigLipLoss()(i, t, 10.0, -5.0)):
        assert loss(texts.clone(), texts) < loss(_unit(8, 32, seed=4), texts)


def test_multi_positive_targets_per_image():
    images, texts = _unit(7, 32, seed=5), _unit(4, 32, seed=6)
    positives = positives_from_study_index(STUDY_INDEX, 4)
    assert positives.sum(1).tolist() == [1] * 7 and positives.sum(0).tolist() == [2, 1, 3, 1]
    logits = 10.0 * images @ texts.T
    image_to_text = F.cross_entropy(logits, STUDY_INDEX)
    log_probs = F.log_softmax(logits.T, dim=1)
    text_to_image = torch.stack([-log_probs[study, positives[:, study]].mean() for study in range(4)]).mean()
    assert torch.allclose(ClipLoss()(images, texts, 10.0, positives), (image_to_text + text_to_image) / 2)

    labels = torch.where(positives, 1.0, -1.0)
    expected = -F.logsigmoid(labels * (logits - 10.0)).sum() / 7
    assert torch.allclose(SigLipLoss()(images, texts, 10.0, -10.0, positives), expected)
    with pytest.raises(ValueError, match="positives"):
        ClipLoss()(images, texts, 10.0)


# two processes: each holds part of the batch (of different sizes); gathered, the loss and the
# DDP-averaged gradient equal one process's on the concatenated batch
_IMAGE_SPLIT, _TEXT_SPLIT = (slice(0, 3), slice(3, 7)), (slice(0, 2), slice(2, 4))  # studies 0-1 | 2-3


def _distributed_problem():
    torch.manual_seed(7)
    layer = torch.nn.Linear(12, 8)
    raw_images, raw_texts = torch.randn(7, 12), torch.randn(4, 12)
    log_scale = torch.nn.Parameter(torch.tensor(math.log(10.0)))
    bias = torch.nn.Parameter(torch.tensor(-5.0))
    return layer, raw_images, raw_texts, log_scale, bias


def _losses(layer, raw_images, raw_texts, log_scale, bias, positives):
    images, texts = F.normalize(layer(raw_images), dim=-1), F.normalize(layer(raw_texts), dim=-1)
    return [ClipLoss()(images, texts, log_scale.exp(), positives),
            SigLipLoss()(images, texts, log_scale.exp(), bias, positives)]


def _params(layer, log_scale, bias):
    return [layer.weight, layer.bias, log_scale, bias]


def _distributed_worker(rank: int, world: int, init_file: str, out_dir: str) -> None:
    import torch.distributed as dist

    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=f"file://{init_file}", rank=rank, world_size=world)
    try:
        layer, raw_images, raw_texts, log_scale, bias = _distributed_problem()
        local_index = STUDY_INDEX[_IMAGE_SPLIT[rank]] - _TEXT_SPLIT[rank].start
        positives = positives_from_study_index(local_index, _TEXT_SPLIT[rank].stop - _TEXT_SPLIT[rank].start)
        results = {}
        for name, loss in zip(("clip", "siglip"), _losses(layer, raw_images[_IMAGE_SPLIT[rank]],
                                                          raw_texts[_TEXT_SPLIT[rank]], log_scale, bias, positives),
                              strict=True):
            grads = torch.autograd.grad(loss, _params(layer, log_scale, bias), retain_graph=True, allow_unused=True)
            grads = [torch.zeros(()) if g is None else g for g in grads]
            for grad in grads:  # what DDP does: average the gradients of the ranks
                dist.all_reduce(grad)
                grad /= world
            results[name] = (loss.detach(), [g.detach() for g in grads])
        torch.save(results, Path(out_dir) / f"rank{rank}.pt")
    finally:
        dist.destroy_process_group()


def test_gather_across_two_processes_matches_one_process(tmp_path):
    import torch.multiprocessing as mp

    mp.spawn(_distributed_worker, args=(2, str(tmp_path / "init"), str(tmp_path)), nprocs=2, join=True)
    layer, raw_images, raw_texts, log_scale, bias = _distributed_problem()
    expected = _losses(layer, raw_images, raw_texts, log_scale, bias, positives_from_study_index(STUDY_INDEX, 4))
    for rank in range(2):
        results = torch.load(tmp_path / f"rank{rank}.pt")
        for name, loss in zip(("clip", "siglip"), expected, strict=True):
            grads = torch.autograd.grad(loss, _params(layer, log_scale, bias), retain_graph=True, allow_unused=True)
            got_loss, got_grads = results[name]
            assert torch.allclose(got_loss, loss.detach(), atol=1e-6), name
            for got, want in zip(got_grads, grads, strict=True):
                want = torch.zeros(()) if want is None else want
                assert torch.allclose(got, want, atol=1e-6), name


# --- export, local weights, Hugging Face text tower ------------------------------------------------------

def _same_outputs(a: StudyCLIP, b: StudyCLIP, text: torch.Tensor) -> None:
    a.eval(), b.eval()
    with torch.no_grad():
        out_a, out_b = a(_images(), STUDY_INDEX, text), b(_images(), STUDY_INDEX, text)
    for key in ("image_features", "text_features", "logit_scale"):
        assert torch.equal(out_a[key], out_b[key]), key
    assert (out_a["logit_bias"] is None) == (out_b["logit_bias"] is None)


def test_export_reloads_in_open_clip_with_identical_outputs(tokenizer_dir, tmp_path, offline):
    import open_clip

    model, _, tokenize = create("tiny", tokenizer_dir)
    study = StudyCLIP(model, "gated", **SigLipLoss.default_init)
    out_dir = export_open_clip(study, None, tokenizer_dir, tmp_path / "export")
    assert {"open_clip_config.json", "open_clip_model.safetensors", "tokenizer.json"} <= {
        p.name for p in out_dir.iterdir()}

    reloaded, _, preprocess = open_clip.create_model_and_transforms("local-dir:" + str(out_dir))
    text = tokenize(REPORTS[:4])
    assert torch.equal(open_clip.get_tokenizer("local-dir:" + str(out_dir))(REPORTS[:4]), text)
    model.eval(), reloaded.eval()
    with torch.no_grad():
        assert torch.equal(reloaded.encode_image(_images()), model.encode_image(_images()))
        assert torch.equal(reloaded.encode_text(text), model.encode_text(text))
    assert reloaded.logit_bias.item() == pytest.approx(-10.0)

    study_again, _, tokenize_again = load_study_model(out_dir)
    assert study_again.pooling == "gated"
    assert torch.equal(tokenize_again(REPORTS[:4]), text)
    _same_outputs(study, study_again, text)


def test_local_weight_files_load_into_a_tower_or_the_whole_model(tokenizer_dir, tmp_path, tmp_path_factory):
    torch.manual_seed(3)
    source, _, tokenize = create("tiny", tokenizer_dir)
    torch.save(source.visual.state_dict(), tmp_path / "visual.pt")
    torch.save(source.state_dict(), tmp_path / "full.pt")
    text = tokenize(REPORTS[:4])
    source.eval()

    image_only, _, _ = create("tiny", tokenizer_dir, pretrained_image=tmp_path / "visual.pt")
    text_only, _, _ = create("tiny", tokenizer_dir, pretrained_text=tmp_path / "full.pt")
    for model in (image_only, text_only):
        model.eval()
    with torch.no_grad():
        assert torch.equal(image_only.encode_image(_images()), source.encode_image(_images()))
        assert not torch.equal(image_only.encode_text(text), source.encode_text(text))
        assert torch.equal(text_only.encode_text(text), source.encode_text(text))
    assert image_only.bonevlp_load_report["image"]["missing"] == []

    # another tokenizer, another vocabulary: everything but the token embedding loads, and is reported
    other_dir = train_tokenizer(REPORTS, tmp_path_factory.mktemp("tok") / "other", vocab_size=400)
    other, _, _ = create("tiny", other_dir, pretrained=tmp_path / "full.pt")
    report = other.bonevlp_load_report["model"]
    assert report["mismatched"] == ["token_embedding.weight"] and report["missing"] == [] and report["unexpected"] == []
    assert torch.equal(other.visual.conv1.weight, source.visual.conv1.weight)


def test_hugging_face_text_tower_from_a_local_directory(tmp_path, offline):
    import open_clip
    from transformers import BertConfig, BertModel

    hf_dir = train_tokenizer(REPORTS * 3, tmp_path / "tiny-bert", vocab_size=500)
    vocab = len(__import__("transformers").AutoTokenizer.from_pretrained(str(hf_dir)))
    torch.manual_seed(0)
    BertModel(BertConfig(vocab_size=vocab, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                         intermediate_size=64, max_position_embeddings=96, pad_token_id=0)).save_pretrained(hf_dir)

    model, _, tokenize = create("tiny", hf_text_dir=hf_dir)
    assert isinstance(model, open_clip.CustomTextCLIP)
    assert model.bonevlp_model_cfg["text_cfg"]["context_length"] == 96  # capped at the encoder's positions
    text = tokenize(REPORTS[:4])
    assert text.shape == (4, 96) and text[0, 0] == 2
    reference = BertModel.from_pretrained(hf_dir, add_pooling_layer=False).eval()
    model.eval()
    with torch.no_grad():
        features = model.encode_text(text)
        cls = reference(input_ids=text, attention_mask=(text != 0).long()).last_hidden_state[:, 0]
        assert torch.allclose(features, model.text.proj(cls), atol=1e-5)  # local weights, [CLS], linear projection
    assert features.shape == (4, 128)

    study = StudyCLIP(model, "mean")
    out_dir = export_open_clip(study, None, None, tmp_path / "export")
    study_again, _, tokenize_again = load_study_model(out_dir)
    assert torch.equal(tokenize_again(REPORTS[:4]), text)
    _same_outputs(study, study_again, text)
    reloaded, _, _ = open_clip.create_model_and_transforms("local-dir:" + str(out_dir))
    reloaded.eval()
    with torch.no_grad():
        assert torch.equal(reloaded.encode_text(text), features)
