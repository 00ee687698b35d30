"""Zero-shot prompt sets: French prompt ensembles per label (CheXzero-style).

A prompts file (JSON; the packaged default is `bonevlp/data/prompts/prompts_fr.json`):

    {"format_version": 1, "language": "fr",
     "labels": {
        "fracture": {"type": "binary", "positive": ["Fracture.", ...], "negative": ["Pas de fracture.", ...]},
        "kl_grade": {"type": "multiclass", "classes": {"0": ["Pas d'arthrose (KL 0).", ...], "1": [...], ...}}}}

Label names are those the dataset adapters give (`bonevlp.eval.datasets`): `fracture`, `hardware`,
`abnormality`, `metal`, `cast`, `osteopenia`, `kl_grade`. A binary label is scored by its positive
against its negative prompts; a multiclass label by its classes' prompts, one set per class value.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

DEFAULT_PROMPTS = "prompts_fr.json"
FORMAT_VERSION = 1


@dataclass(frozen=True)
class PromptSet:
    """The prompts of one label: `classes` names the prompt groups, `prompts[i]` the prompts of class i.
    Binary: classes ("positive", "negative"); multiclass: the class values ("0", ..., "4")."""

    label: str
    kind: str  # "binary" or "multiclass"
    classes: tuple[str, ...]
    prompts: tuple[tuple[str, ...], ...]

    @property
    def positive(self) -> tuple[str, ...]:
        return self.prompts[self.classes.index("positive")]

    @property
    def negative(self) -> tuple[str, ...]:
        return self.prompts[self.classes.index("negative")]


@dataclass(frozen=True)
class PromptBook:
    """Every label's prompts, and where they came from."""

    source: str
    language: str
    labels: dict[str, PromptSet]

    def get(self, label: str) -> PromptSet:
        if label not in self.labels:
            raise KeyError(f"no prompts for label {label!r} in {self.source} (it has {', '.join(self.labels)})")
        return self.labels[label]


def _strings(value, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v.strip() for v in value):
        raise ValueError(f"{where}: a non-empty list of non-empty strings is needed")
    return tuple(v.strip() for v in value)


def parse_prompts(data: dict, source: str = "<dict>") -> PromptBook:
    """A `PromptBook` from the parsed JSON of a prompts file (checked: clear errors for what is wrong)."""
    if not isinstance(data, dict) or not isinstance(data.get("labels"), dict) or not data["labels"]:
        raise ValueError(f"{source}: a prompts file needs a non-empty \"labels\" object")
    version = data.get("format_version", FORMAT_VERSION)
    if version != FORMAT_VERSION:
        raise ValueError(f"{source}: format_version {version} is not supported (expected {FORMAT_VERSION})")
    labels = {}
    for name, entry in data["labels"].items():
        where = f"{source}: label {name!r}"
        if not isinstance(entry, dict):
            raise ValueError(f"{where}: an object is needed")
        kind = entry.get("type", "binary")
        if kind == "binary":
            prompts = (_strings(entry.get("positive"), f"{where} positive"),
                       _strings(entry.get("negative"), f"{where} negative"))
            labels[name] = PromptSet(name, kind, ("positive", "negative"), prompts)
        elif kind == "multiclass":
            classes = entry.get("classes")
            if not isinstance(classes, dict) or len(classes) < 2:
                raise ValueError(f"{where}: \"classes\" must map at least two class values to prompt lists")
            labels[name] = PromptSet(name, kind, tuple(str(c) for c in classes),
                                     tuple(_strings(v, f"{where} class {c!r}") for c, v in classes.items()))
        else:
            raise ValueError(f"{where}: type must be \"binary\" or \"multiclass\", not {kind!r}")
    return PromptBook(source, str(data.get("language", "")), labels)


def load_prompts(path: str | Path | None = None) -> PromptBook:
    """The prompts of `path` (None: the packaged French defaults)."""
    if path is None:
        resource = resources.files("bonevlp.data").joinpath("prompts", DEFAULT_PROMPTS)
        return parse_prompts(json.loads(resource.read_text(encoding="utf-8")), f"bonevlp:{DEFAULT_PROMPTS}")
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"prompts file not found: {path}")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise ValueError(f"{path}: not valid JSON ({error})") from error
    return parse_prompts(data, str(path))
