"""Pipeline configuration: the packaged default (`data/pipeline.toml`) with a user file merged over it."""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path

import tomllib


@cache
def _default_text() -> str:
    return resources.files("frdeid").joinpath("data/pipeline.toml").read_text(encoding="utf-8")


def default_config() -> dict:
    """A fresh copy of the default configuration."""
    return tomllib.loads(_default_text())


def merge(base: dict, override: dict) -> dict:
    """`override` over `base`: tables merge key by key, other values replace."""
    out = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = value
    return out


def load_config(path: Path | None = None, overrides: dict | None = None) -> dict:
    """The default configuration, with the TOML file at `path` and then `overrides` merged over it."""
    config = default_config()
    if path is not None:
        config = merge(config, tomllib.loads(Path(path).read_text(encoding="utf-8")))
    if overrides:
        config = merge(config, overrides)
    return config
