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
