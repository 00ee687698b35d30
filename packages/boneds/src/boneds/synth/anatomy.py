"""The body-part catalogue of the synthetic hospital (`data/anatomy.toml`), loaded once."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources

import tomllib


@dataclass(frozen=True)
class FractureSite:
    """A place where a fracture can be drawn and reported."""

    id: str
    bone_fr: str  # French name of the bone part, as a report writes it
    eponym: str  # an eponym reports may use ("Pouteau-Colles"), "" when none
    child: bool  # typical of children only


@dataclass(frozen=True)
class BodyPartInfo:
    """What can be imaged and found in one body part."""

    name: str
    label_fr: str
    views: tuple[str, ...]
    laterality: bool
    fracture_sites: tuple[FractureSite, ...]
    prosthesis: bool
    prosthesis_fr: str
    kl: bool

    def site(self, site_id: str) -> FractureSite:
        """The fracture site with this id."""
        for site in self.fracture_sites:
            if site.id == site_id:
                return site
        raise KeyError(site_id)


@cache
def catalogue() -> dict[str, BodyPartInfo]:
    """All body parts by name, in the file's order."""
    raw = tomllib.loads(resources.files("boneds.synth").joinpath("data/anatomy.toml").read_text("utf-8"))
    return {
        name: BodyPartInfo(
            name=name,
            label_fr=entry["label_fr"],
            views=tuple(entry["views"]),
            laterality=bool(entry["laterality"]),
            fracture_sites=tuple(
                FractureSite(s["id"], s["bone"], s.get("eponym", ""), bool(s.get("child", False)))
                for s in entry["fracture_sites"]
            ),
            prosthesis=bool(entry.get("prosthesis", False)),
            prosthesis_fr=entry.get("prosthesis_fr", ""),
            kl=bool(entry.get("kl", False)),
        )
        for name, entry in raw.items()
    }


def body_part(name: str) -> BodyPartInfo:
    """One body part's entry."""
    return catalogue()[name]
