"""bonevlp train on real shards (the `small_build` fixture) with the `tiny` model on CPU: the loss
falls, a killed run resumed from its checkpoint ends with the weights of an uninterrupted run, the
non-finite guard stops and says so, DDP with two gloo processes keeps ranks in sync, and the
exported model loads through open_clip."""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from bonevlp.train.config import TrainConfig

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


def _config(small_build: dict, out: Path, **changes) -> TrainConfig:
    values = dict(data=str(small_build["out"]), out=str(out), model="tiny", batch_size=6, workers=0,
                  log_every=1, save_every=1000, val_fraction=0.2, warmup_steps=3, lr=2e-3, progress=False,
                  vocab_size=2000)
    values.update(changes)
    return TrainConfig(**values)


def _losses(run: Path) -> list[float]:
    return [json.loads(line)["loss"] for line in (run / "metrics.jsonl").read_text().splitlines()]


def _weights(run: Path) -> dict[str, torch.Tensor]:
    return torch.load(run / "checkpoints" / "latest.pt", map_location="cpu", weights_only=False)["model"]


@pytest.fixture(scope="module")
def trained(small_build: dict, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from bonevlp.train.loop import train

    run = tmp_path_factory.mktemp("run") / "tiny"
    summary = train(_config(small_build, run, max_steps=100, val_fraction=0.0, lr=1e-3, batch_size=8))
    assert summary["steps"] == 100
    return run


def _fixed_batch_loss(model, config: TrainConfig, tokenize) -> float:
    """The loss of the model (eval mode) on the first training batch of epoch 0 (fixed data and augmentation)."""
    from bonevlp.data.loader import DataConfig, make_loader
    from bonevlp.losses import ClipLoss
    from bonevlp.train.loop import compute_loss

    data = DataConfig(shards=config.data, batch_size=12, image_size=96, workers=0, val_fraction=config.val_fraction,
                      seed=config.seed)
    loader, _ = make_loader(data, tokenize, split="train")
    loader.set_epoch(0)
    batch = next(iter(loader))
    model.eval()
    with torch.no_grad():
        out = model(batch["images"], batch["study_index"], batch["text"])
        return float(compute_loss(ClipLoss(), out, batch["text"].shape[0]))


def test_loss_falls_and_logs_are_complete(trained: Path, small_build: dict) -> None:
    from bonevlp.train.export import load_run
    from bonevlp.train.loop import build_model

    config = TrainConfig.from_json(trained / "config.json")
    after, _, tokenize, tokenizer_dir = load_run(trained)
    torch.manual_seed(config.seed)  # what train() does before building the model: the same initial weights
    before, _, _ = build_model(config, tokenizer_dir)
    loss_before, loss_after = _fixed_batch_loss(before, config, tokenize), _fixed_batch_loss(after, config, tokenize)
    # Below chance (ln 12: every caption equally likely) and clearly below the start; an optimiser that
    # does not step, or a loss without gradient, stays at the start.
    assert loss_after < min(0.9 * loss_before, math.log(12)), (loss_before, loss_after)
    assert len(_losses(trained)) == 100
    record = json.loads((trained / "metrics.jsonl").read_text().splitlines()[-1])
    assert set(record) >= {"step", "epoch", "loss", "lr", "logit_scale", "samples_per_s"}
    assert (trained / "config.json").is_file() and (trained / "tokenizer" / "tokenizer.json").is_file()
    assert list((trained / "tensorboard").iterdir())


def _train_cmd(config: TrainConfig, resume: bool) -> list[str]:
    args = [sys.executable, "-m", "bonevlp.cli", "train", "--data", config.data, "--out", config.out,
            "--model", config.model, "--batch-size", str(config.batch_size), "--workers", "0",
            "--max-steps", str(config.max_steps), "--save-every", str(config.save_every), "--log-every", "1",
            "--val-fraction", str(config.val_fraction), "--warmup-steps", str(config.warmup_steps),
            "--lr", str(config.lr), "--vocab-size", str(config.vocab_size), "--quiet"]
    return args + (["--resume"] if resume else [])


def test_killed_run_resumes_to_the_same_weights(small_build: dict, tmp_path: Path) -> None:
    from bonevlp.train.loop import train

    reference = _config(small_build, tmp_path / "reference", max_steps=14, save_every=3)
    train(reference)
    killed = _config(small_build, tmp_path / "killed", max_steps=14, save_every=3)
    env = dict(os.environ, PYTHONWARNINGS="ignore")
    process = subprocess.Popen(_train_cmd(killed, resume=False), env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, start_new_session=True)
    checkpoint = Path(killed.out) / "checkpoints" / "latest.pt"
    deadline = time.time() + 240
    while time.time() < deadline and process.poll() is None:
        if checkpoint.exists() and torch.load(checkpoint, weights_only=False)["step"] >= 3:
            break
        time.sleep(0.2)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    state = torch.load(checkpoint, weights_only=False)
    assert 3 <= state["step"] < 14, "the run was not killed between checkpoints and the end"
    assert subprocess.run(_train_cmd(killed, resume=True), env=env, capture_output=True).returncode == 0
    expected, got = _weights(Path(reference.out)), _weights(Path(killed.out))
    assert expected.keys() == got.keys()
    for name in expected:
        torch.testing.assert_close(got[name], expected[name], rtol=0, atol=0, msg=name)
    assert _losses(Path(killed.out)) == pytest.approx(_losses(Path(reference.out)), abs=1e-6)


def test_resume_with_other_settings_is_refused(trained: Path, small_build: dict) -> None:
    from bonevlp.train.loop import train

    with pytest.raises(ValueError, match="batch_size"):
        train(_config(small_build, trained, max_steps=100, val_fraction=0.0, lr=1e-3, batch_size=4), resume=True)


def test_non_finite_loss_stops_the_run_and_says_where(small_build: dict, tmp_path: Path) -> None:
    from bonevlp.train.loop import NonFiniteLossError, train

    with pytest.raises(NonFiniteLossError, match="non-finite loss at step"):
        train(_config(small_build, tmp_path / "nan", max_steps=30, lr=1e12, warmup_steps=0,
                      weight_decay=0.0, optimizer="lion"))


def test_exported_model_loads_through_open_clip(trained: Path, tmp_path: Path) -> None:
    import open_clip

    from bonevlp.train.export import export_run, load_run

    out = export_run(trained, tmp_path / "export")
    model, _, preprocess = open_clip.create_model_and_transforms("local-dir:" + str(out))
    tokenizer = open_clip.get_tokenizer("local-dir:" + str(out))
    ours, _, tokenize, _ = load_run(trained)
    model.eval()
    images = torch.randn(2, 3, 96, 96)
    text = ["fracture du radius distal", "genou normal"]
    with torch.no_grad():
        torch.testing.assert_close(model.encode_image(images), ours.clip.encode_image(images))
        torch.testing.assert_close(model.encode_text(tokenizer(text)), ours.clip.encode_text(tokenize(text)))


def test_two_gloo_processes_under_torchrun_stay_in_sync(small_build: dict, tmp_path: Path) -> None:
    run = tmp_path / "ddp"
    config = _config(small_build, run, max_steps=3, batch_size=3)
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
               "-m", "bonevlp.cli", "train", *(_train_cmd(config, resume=False)[4:])]
    result = subprocess.run(command, capture_output=True, text=True, env=dict(os.environ, OMP_NUM_THREADS="1"),
                            timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert len(_losses(run)) == 3
    assert torch.load(run / "checkpoints" / "latest.pt", weights_only=False)["step"] == 3
