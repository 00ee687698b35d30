"""The phrase banks (`data/reports/*.toml`), loaded once, and the rule that filters their entries.

An entry is either a plain template string or a table `{ t = "...", need = [...], not = [...], w = 1.0 }`:
it is eligible when the document has every tag in `need` and none in `not`; `w` weighs the draw.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

import tomllib


@cache
def bank(name: str) -> dict:
    """One phrase bank by file stem ("common", "radiology", "findings", "clinical")."""
    path = resources.files("boneds.synth").joinpath(f"data/reports/{name}.toml")
    return tomllib.loads(path.read_text("utf-8"))


def eligible(entries: list, tags: set[str] | frozenset[str]) -> list[tuple[str, float]]:
    """(template, weight) of the entries whose tag conditions hold."""
    out: list[tuple[str, float]] = []
    for entry in entries:
        if isinstance(entry, str):
            out.append((entry, 1.0))
            continue
        need = entry.get("need", ())
        avoid = entry.get("not", ())
        if all(t in tags for t in need) and not any(t in tags for t in avoid):
            out.append((entry["t"], float(entry.get("w", 1.0))))
    return out
