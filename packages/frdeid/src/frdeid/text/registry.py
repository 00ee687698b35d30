"""Detectors by name. A detector is any callable `Document -> list[Span]`; a factory builds one
from its config table. Pipelines name the detectors they run (`data/pipeline.toml`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from ..spans import Span
from .document import Document


class Detector(Protocol):
    """Finds PHI spans in a document; never edits it."""

    def __call__(self, doc: Document) -> list[Span]: ...


Factory = Callable[[dict], Detector]
_FACTORIES: dict[str, Factory] = {}


def register(name: str) -> Callable[[Factory], Factory]:
    """Class or function decorator: `@register("dates")` makes `name` usable in a pipeline config."""

    def decorate(factory: Factory) -> Factory:
        if name in _FACTORIES:
            raise ValueError(f"detector {name!r} registered twice")
        _FACTORIES[name] = factory
        return factory

    return decorate


def build(name: str, config: dict) -> Detector:
    """The detector registered as `name`, built with its config table."""
    _load_builtin()
    try:
        factory = _FACTORIES[name]
    except KeyError:
        raise ValueError(f"unknown detector {name!r}; known: {', '.join(sorted(_FACTORIES))}") from None
    return factory(config)


def names() -> list[str]:
    """Every registered detector name."""
    _load_builtin()
    return sorted(_FACTORIES)


def _load_builtin() -> None:
    from . import detectors  # noqa: F401  (importing the package registers its detectors)
