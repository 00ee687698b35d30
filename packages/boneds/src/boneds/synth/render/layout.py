"""Layout records: the anatomy of one body part and view in millimetres (right side, adult size,
origin at the centre of the detector field, y pointing down), with its fracture sites, graded
joint and prosthesis. The tables themselves live in `render.parts_*` modules.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace

from .primitives import Ellipse, Prim, Rod

Point = tuple[float, float]


@dataclass(frozen=True)
class Part:
    """One primitive of a bone. `onset`: age (years) at which it ossifies (None: at birth); a part
    with an onset is drawn small at first and reaches full size `span` years later. `holes` are
    primitives cut out of this part (the acetabulum around the femoral head, a foramen)."""

    name: str
    prim: Prim
    onset: float | None = None
    span: float = 6.0
    holes: tuple[Prim, ...] = ()


@dataclass(frozen=True)
class Physis:
    """An open growth plate: a line (a -> b) across the bone between the epiphysis (the parts whose
    names start with `epiphysis`, on the side of point `toward`) and the metaphysis. An empty
    `epiphysis` draws the band only (a cartilage line such as the triradiate cartilage)."""

    epiphysis: str
    a: Point
    b: Point
    toward: Point


@dataclass(frozen=True)
class Bone:
    """A bone: the smooth union of its parts. `cortex` is the inner radius of the cortical rim
    (fraction of rho), `medulla` the relative density of the marrow cavity, `mu` a relative
    attenuation, `onset` the age (years) at which the whole bone ossifies (carpals, patella),
    `blend` the smoothness of the union (rho units)."""

    name: str
    parts: tuple[Part, ...]
    cortex: float = 0.68
    medulla: float = 0.55
    mu: float = 1.0
    onset: float | None = None
    span: float = 6.0
    physes: tuple[Physis, ...] = ()
    blend: float = 0.18
    dense: tuple[tuple[Prim, float], ...] = ()  # denser bands (subchondral bone plates), extra attenuation


@dataclass(frozen=True)
class Site:
    """A fracture site: the fracture line runs from a to b (just beyond the outline); the fragment
    on the side of `toward` moves when displaced (only the parts named in `parts`, all when None).
    `implant` says which osteosynthesis fits: "plate", "kwires", "screw", or "custom" (then
    `metal` holds the implant shapes). `axis` is the bone axis (degrees), for implants; `plate`
    the plate's extent (mm) back from and along `axis` from the line's centre (default: symmetric,
    from the bone's width)."""

    bone: str
    a: Point
    b: Point
    toward: Point
    parts: tuple[str, ...] | None = None
    implant: str = "plate"
    axis: float | None = None
    metal: tuple[Prim, ...] = ()
    plate: tuple[float, float] | None = None


@dataclass(frozen=True)
class Osteophyte:
    """A marginal spur of the graded joint: from (x, y) on `bone`, pointing along `angle`."""

    bone: str
    x: float
    y: float
    angle: float


@dataclass(frozen=True)
class Joint:
    """The graded joint: the gap between `upper` and `lower` bones, measured over the columns
    spans `columns` (mm, x ranges, at height `y`); osteophytes and subchondral sclerosis bands."""

    upper: str
    lower: str
    columns: tuple[tuple[float, float], ...]
    y: float = 0.0  # the joint line's height (mm)
    osteophytes: tuple[Osteophyte, ...] = ()
    sclerosis: tuple[tuple[str, Prim], ...] = ()


@dataclass(frozen=True)
class Prosthesis:
    """A joint replacement: the bone parts it removes and its metal shapes."""

    remove: tuple[tuple[str, str], ...]
    metal: tuple[Prim, ...]


@dataclass(frozen=True)
class Layout:
    """One body part and view: field of view (mm), soft tissue, bones, findings geometry."""

    fov: tuple[float, float]  # width, height (mm), adult
    soft: tuple[Prim, ...]
    bones: tuple[Bone, ...]
    sites: dict[str, Site]
    joint: Joint | None = None
    prosthesis: Prosthesis | None = None
    soft_mu: float = 0.32
    bone_mu: float = 0.75

    def bone(self, name: str) -> Bone:
        """The bone with this name."""
        for bone in self.bones:
            if bone.name == name:
                return bone
        raise KeyError(name)


# ---------------------------------------------------------------------------------------------
# Builders shared by the tables.


def unit(angle_deg: float) -> Point:
    """The unit vector of an angle."""
    return math.cos(math.radians(angle_deg)), math.sin(math.radians(angle_deg))


def heading(p0: Point, p1: Point) -> float:
    """The angle (degrees) of the direction p0 -> p1."""
    return math.degrees(math.atan2(p1[1] - p0[1], p1[0] - p0[0]))


def along(p0: Point, p1: Point, t: float, off: float = 0.0) -> Point:
    """The point at fraction t of p0 -> p1, moved `off` mm to the right of the direction."""
    ux, uy = p1[0] - p0[0], p1[1] - p0[1]
    n = math.hypot(ux, uy) or 1.0
    return p0[0] + ux * t - uy / n * off, p0[1] + uy * t + ux / n * off


def cross_line(p0: Point, p1: Point, t: float, half: float, tilt: float = 0.0) -> tuple[Point, Point]:
    """A line across the axis p0 -> p1 at fraction t, `half` mm each side, tilted by `tilt` deg."""
    cx, cy = along(p0, p1, t)
    ang = heading(p0, p1) + 90.0 + tilt
    ux, uy = unit(ang)
    return (cx - ux * half, cy - uy * half), (cx + ux * half, cy + uy * half)


def long_bone(name: str, p0: Point, p1: Point, r_shaft: float, r0: float, r1: float, *,
              e0: float | None = None, e1: float | None = None, epi: str = "", onset: float = 1.0,
              cortex: float = 0.66, medulla: float = 0.5, mu: float = 1.0) -> Bone:
    """A tubular bone from p0 (proximal) to p1 (distal): a shaft of radius r_shaft and two end
    ellipses of half-widths r0 and r1 and axial half-lengths e0 and e1. `epi` names the ends that
    are separate epiphyses in children ("0", "1" or "01"), ossifying at `onset` years."""
    e0 = e0 if e0 is not None else 0.55 * r0
    e1 = e1 if e1 is not None else 0.55 * r1
    ang = heading(p0, p1)
    length = math.dist(p0, p1)
    c0 = along(p0, p1, e0 / length)
    c1 = along(p0, p1, 1.0 - e1 / length)
    m0 = along(p0, p1, min(0.48, (e0 + 2.4 * r0) / length))  # where the metaphyseal flare starts
    m1 = along(p0, p1, max(0.52, 1.0 - (e1 + 2.4 * r1) / length))
    parts = [
        Part("shaft", Rod(m0[0], m0[1], m1[0], m1[1], r_shaft, r_shaft)),
        Part("end0", Ellipse(c0[0], c0[1], e0, r0, ang), onset if "0" in epi else None),
        Part("end1", Ellipse(c1[0], c1[1], e1, r1, ang), onset if "1" in epi else None),
        # flares end short of the end ellipses' centres so that their round caps stay inside the bone
        Part("meta0", Rod(m0[0], m0[1], *along(c0, m0, (0.9 * r0 - 0.5 * e0) / math.dist(c0, m0)), r_shaft, 0.9 * r0)),
        Part("meta1", Rod(m1[0], m1[1], *along(c1, m1, (0.9 * r1 - 0.5 * e1) / math.dist(c1, m1)), r_shaft, 0.9 * r1)),
    ]
    physes = []
    for end, (c, r, tip) in {"0": (c0, r0, p0), "1": (c1, r1, p1)}.items():
        if end in epi:
            a, b = cross_line(tip, c, 1.56, r * 1.25)  # 78 % of the epiphysis' length from the tip
            physes.append(Physis("end" + end, a, b, tip))
    return Bone(name, tuple(parts), cortex=cortex, medulla=medulla, mu=mu, physes=tuple(physes))


def shaft_site(bone: Bone, t: float, tilt: float = 0.0, half: float | None = None, *,
               implant: str = "plate", toward_end: int = 1) -> Site:
    """A fracture across a long bone's shaft at fraction t of its length (0 proximal, 1 distal);
    the fragment toward end `toward_end` moves."""
    shaft, end0, end1 = (part.prim for part in bone.parts[:3])
    assert isinstance(shaft, Rod) and isinstance(end0, Ellipse) and isinstance(end1, Ellipse)
    u = unit(end0.angle)
    tip0 = (end0.cx - u[0] * end0.a, end0.cy - u[1] * end0.a)
    tip1 = (end1.cx + u[0] * end1.a, end1.cy + u[1] * end1.a)
    h = half if half is not None else max(shaft.r0, end0.b * 0.8, end1.b * 0.8) * 1.35
    if 0.12 < t < 0.88:
        h = half if half is not None else shaft.r0 * 1.45 / math.cos(math.radians(tilt))
    a, b = cross_line(tip0, tip1, t, h, tilt)
    return Site(bone.name, a, b, tip1 if toward_end == 1 else tip0, implant=implant, axis=heading(tip0, tip1))


def map_bone(bone: Bone, prim_fn: Callable[[Prim], Prim], point_fn: Callable[[Point], Point],
             name: str | None = None) -> Bone:
    """A bone with every primitive mapped by prim_fn and every point by point_fn."""
    parts = tuple(replace(part, prim=prim_fn(part.prim), holes=tuple(prim_fn(h) for h in part.holes))
                  for part in bone.parts)
    physes = tuple(Physis(ph.epiphysis, point_fn(ph.a), point_fn(ph.b), point_fn(ph.toward)) for ph in bone.physes)
    dense = tuple((prim_fn(p), amount) for p, amount in bone.dense)
    return replace(bone, name=name or bone.name, parts=parts, physes=physes, dense=dense)


def squeeze_bone(bone: Bone, sx: float, dx: float = 0.0) -> Bone:
    """A bone under x -> sx * x + dx (oblique views)."""
    return map_bone(bone, lambda p: _shift(p.squeezed(sx), dx), lambda q: _sqp(q, sx, dx))


def squeeze_site(site: Site, sx: float, dx: float = 0.0) -> Site:
    """A fracture site under x -> sx * x + dx."""
    axis = site.axis
    if axis is not None:
        ux, uy = unit(axis)
        axis = math.degrees(math.atan2(uy, ux * sx))
    return replace(site, a=_sqp(site.a, sx, dx), b=_sqp(site.b, sx, dx), toward=_sqp(site.toward, sx, dx),
                   axis=axis, metal=tuple(_shift(m.squeezed(sx), dx) for m in site.metal))


def _sqp(p: Point, sx: float, dx: float) -> Point:
    return p[0] * sx + dx, p[1]


def _shift(p: Prim, dx: float, dy: float = 0.0) -> Prim:
    if isinstance(p, Rod):
        return replace(p, x0=p.x0 + dx, x1=p.x1 + dx, y0=p.y0 + dy, y1=p.y1 + dy)
    return replace(p, cx=p.cx + dx, cy=p.cy + dy)


def shifted_bone(bone: Bone, dx: float, dy: float) -> Bone:
    """A bone translated by (dx, dy) mm."""
    return map_bone(bone, lambda p: _shift(p, dx, dy), lambda q: (q[0] + dx, q[1] + dy))


def shifted_site(site: Site, dx: float, dy: float) -> Site:
    """A fracture site translated by (dx, dy) mm."""
    def mv(p: Point) -> Point:
        return p[0] + dx, p[1] + dy
    return replace(site, a=mv(site.a), b=mv(site.b), toward=mv(site.toward),
                   metal=tuple(_shift(m, dx, dy) for m in site.metal))


def shifted_prim(prim: Prim, dx: float, dy: float) -> Prim:
    """A primitive translated by (dx, dy) mm."""
    return _shift(prim, dx, dy)


def mirrored_prim(prim: Prim) -> Prim:
    """A primitive under x -> -x."""
    if isinstance(prim, Rod):
        return replace(prim, x0=-prim.x0, x1=-prim.x1)
    if isinstance(prim, Ellipse):
        return replace(prim, cx=-prim.cx, angle=180.0 - prim.angle)
    return replace(prim, cx=-prim.cx, start=180.0 - prim.start - prim.span)


def mirrored_bone(bone: Bone, name: str) -> Bone:
    """A bone under x -> -x, renamed."""
    return map_bone(bone, mirrored_prim, lambda q: (-q[0], q[1]), name)


def mirrored_site(site: Site, bone: str) -> Site:
    """A fracture site under x -> -x, on the renamed bone."""
    def mv(p: Point) -> Point:
        return -p[0], p[1]
    axis = None if site.axis is None else 180.0 - site.axis
    return replace(site, bone=bone, a=mv(site.a), b=mv(site.b), toward=mv(site.toward), axis=axis,
                   metal=tuple(mirrored_prim(m) for m in site.metal))
