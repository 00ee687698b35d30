"""Shared fixtures: a small synthetic export generated once per test session."""

from __future__ import annotations

from pathlib import Path

import pytest

SMALL_EXPORT = {"patients": 12, "seed": 7, "image_size": 256}


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--runslow", action="store_true", default=False, help="run tests marked slow")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--runslow"):
        return
    skip = pytest.mark.skip(reason="slow: run with --runslow (make test-all)")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def small_export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 12-patient export at 256 px, written with two worker processes."""
    from boneds.synth.export import generate_export

    out = tmp_path_factory.mktemp("export") / "export"
    generate_export(out, SMALL_EXPORT["patients"], SMALL_EXPORT["seed"], SMALL_EXPORT["image_size"],
                    workers=2, progress=False)
    return out


@pytest.fixture(scope="session")
def small_build(small_export: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """`boneds build` of `small_export` (study layout, 256 px images, 8 samples per shard):
    {"export", "out", "private", "key"} paths. Shared, read-only: copy before changing anything."""
    from boneds.builder.pipeline import BuildOptions, run_build
    from frdeid.keys import write_key

    root = tmp_path_factory.mktemp("build")
    key_path = write_key(root / "site.key", bytes(range(32)))  # fixed: the same build in every run
    from frdeid.keys import read_key

    out, private = root / "out", root / "private"
    run_build(small_export, out, private, read_key(key_path),
              BuildOptions(image_size=256, samples_per_shard=8, workers=1, progress=False))
    return {"export": small_export, "out": out, "private": private, "key": key_path}


@pytest.fixture
def one_torch_thread():
    """One intra-op torch thread for the test (restored after): on a shared 2-core machine two threads
    are many times slower. Test modules opt in with `pytest.mark.usefixtures("one_torch_thread")`."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
