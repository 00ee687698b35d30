"""Scene records: a body part's layout placed on the detector, in pixels, with what the findings
do to each bone. `placement.build_scene` fills them; `raster.rasterize` draws them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from .layout import Point
from .primitives import Affine, Prim

HalfPlane = tuple[float, float, float, float]  # point (x, y) and normal (nx, ny): keep (q - p).n >= 0


@dataclass
class ScenePart:
    """A bone part in pixels, kept only on the inner side of its half-planes."""

    name: str
    prim: Prim
    clips: tuple[HalfPlane, ...] = ()
    rim: float = 0.0  # inner radius (rho) of this part's cortex; 0: the bone's
    holes: tuple[Prim, ...] = ()


@dataclass
class Cut:
    """A fracture in pixels: the line a -> b, the unit normal toward the moving fragment, the
    lucent width, the parts that can move (None: all) and the fragment's displacement."""

    a: Point
    b: Point
    normal: Point
    width: float
    parts: frozenset[str] | None
    move: Affine


@dataclass
class SceneBone:
    """A bone in pixels, with what the findings do to it."""

    name: str
    parts: list[ScenePart]
    cortex: float
    medulla: float
    mu: float
    blend: float
    physes: list[tuple[Point, Point, float]] = field(default_factory=list)  # a, b, width (px)
    cut: Cut | None = None
    sclerosis: list[tuple[Prim, float]] = field(default_factory=list)
    osteophyte: bool = False


@dataclass
class Scene:
    """Everything the rasteriser needs, in pixels."""

    shape: tuple[int, int]
    spacing_mm: float
    to_px: Affine
    soft: list[Prim]
    soft_mu: float
    bone_mu: float
    bones: list[SceneBone]
    metal: list[Prim]
    joint: tuple[str, str, list[tuple[float, float]]] | None  # upper bone, lower bone, column spans (px)
    age_years: float
    # soft-tissue swellings (e.g. around an acute fracture): (shape, extra thickness), added to the limb's
    swellings: list[tuple[Prim, float]] = field(default_factory=list)


def normal_toward(a: Point, b: Point, toward: Point) -> Point:
    """Unit normal of the line a -> b pointing to the side of `toward`."""
    dx, dy = b[0] - a[0], b[1] - a[1]
    n = math.hypot(dx, dy) or 1.0
    nx, ny = -dy / n, dx / n
    if (toward[0] - a[0]) * nx + (toward[1] - a[1]) * ny < 0:
        nx, ny = -nx, -ny
    return nx, ny
