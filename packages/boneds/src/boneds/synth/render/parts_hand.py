"""Bone layouts of the hand and the wrist (right side, thumb on the image's left, fingers up)."""

from __future__ import annotations

from dataclasses import replace

from .layout import (
    Bone,
    Ellipse,
    Layout,
    Part,
    Physis,
    Point,
    Rod,
    Site,
    cross_line,
    long_bone,
    shaft_site,
    shifted_bone,
    shifted_prim,
    shifted_site,
    squeeze_bone,
    squeeze_site,
    unit,
)
from .primitives import Prim

# Rays: metacarpal base, metacarpal angle, lengths (MC, P1, P2, P3; P2 = 0 for the thumb),
# finger angle, shaft radii (MC, P1, P2, P3), soft-tissue radius.
_RAYS: dict[int, tuple[Point, float, tuple[float, ...], float, tuple[float, ...], float]] = {
    1: ((-22.0, 60.0), -126.0, (44.0, 31.0, 0.0, 23.0), -112.0, (4.3, 3.7, 0.0, 3.0), 10.5),
    2: ((-15.0, 58.0), -100.0, (65.0, 40.0, 24.0, 18.0), -96.0, (3.8, 3.3, 2.7, 2.2), 8.5),
    3: ((-3.0, 59.0), -92.0, (63.0, 45.0, 28.0, 19.0), -91.0, (3.9, 3.4, 2.8, 2.2), 9.0),
    4: ((8.0, 61.0), -84.0, (57.0, 42.0, 27.0, 19.0), -85.0, (3.5, 3.2, 2.7, 2.1), 8.5),
    5: ((17.0, 62.0), -74.0, (52.0, 33.0, 19.0, 17.0), -80.0, (3.3, 2.9, 2.4, 2.0), 7.5),
}
_GAP = 2.8  # joint gap between bones of a ray (mm)

# Carpal bones: centre, semi-axes, angle, ossification onset (years).
_CARPALS: dict[str, tuple[Point, float, float, float, float]] = {
    "capitate": ((-2.0, 72.0), 9.5, 6.5, 90.0, 0.2),
    "hamate": ((11.0, 72.5), 8.5, 6.5, 80.0, 0.4),
    "triquetrum": ((10.5, 84.5), 6.5, 5.0, -30.0, 2.5),
    "lunate": ((-4.0, 89.0), 7.5, 6.5, 0.0, 3.5),
    "trapezium": ((-24.0, 68.0), 7.0, 6.5, -40.0, 5.0),
    "trapezoid": ((-13.0, 66.5), 5.5, 5.0, 0.0, 5.5),
    "scaphoid": ((-18.5, 84.0), 10.0, 5.5, 53.0, 5.5),
    "pisiform": ((13.0, 80.0), 4.5, 4.0, 0.0, 9.5),
}

CARPAL_NAMES: tuple[str, ...] = tuple(_CARPALS)


def _ray_bones(ray: int) -> list[Bone]:
    """The metacarpal and phalanges of one ray."""
    base, mc_angle, lengths, finger_angle, radii, _ = _RAYS[ray]
    bones: list[Bone] = []
    ux, uy = unit(mc_angle)
    head = (base[0] + ux * lengths[0], base[1] + uy * lengths[0])
    r = radii[0]
    mc_epi = "0" if ray == 1 else "1"
    bones.append(long_bone(f"mc{ray}", base, head, r, r * 1.65, r * 1.7, epi=mc_epi, onset=2.5 if ray == 1 else 1.5,
                           cortex=0.6, medulla=0.42))
    fx, fy = unit(finger_angle)
    start = (head[0] + fx * _GAP, head[1] + fy * _GAP)
    for level, (length, rs) in enumerate(zip(lengths[1:], radii[1:], strict=True), start=1):
        if length == 0.0:
            continue
        end = (start[0] + fx * length, start[1] + fy * length)
        tip_scale = 1.25 if level == 3 else 1.35
        bones.append(long_bone(f"p{level}_{ray}", start, end, rs, rs * 1.6, rs * tip_scale, epi="0",
                               onset=1.5 + 0.3 * level, cortex=0.58, medulla=0.42, e1=rs * 0.7))
        start = (end[0] + fx * _GAP, end[1] + fy * _GAP)
    return bones


def carpal(name: str) -> Bone:
    """A carpal bone of the hand layout."""
    (cx, cy), a, b, ang, onset = _CARPALS[name]
    p = 3 if name in ("capitate", "hamate", "trapezoid", "trapezium") else 2
    parts = [Part("body", Ellipse(cx, cy, a, b, ang, p))]
    if name == "hamate":
        parts.append(Part("hook", Ellipse(cx + 2.0, cy + 3.0, 3.0, 2.6)))
    return Bone(name, tuple(parts), cortex=0.84, medulla=0.68, onset=onset, span=7.0)


def radius_distal(p0: Point = (-7.0, 260.0)) -> Bone:
    """The radius with its distal end in the hand layout (proximal end at p0)."""
    bone = long_bone("radius", p0, (-10.0, 99.0), 7.8, 9.0, 15.0, e1=5.5, epi="1", onset=1.0,
                     cortex=0.62, medulla=0.48)
    end1 = bone.parts[2].prim
    assert isinstance(end1, Ellipse)
    parts = tuple(p for p in bone.parts if p.name != "end1") + (
        Part("end1", replace(end1, angle=end1.angle + 12.0, p=3), 1.0),
        Part("end1_styloid", Ellipse(-22.5, 100.0, 4.6, 3.6, -60.0), 1.0),
    )
    physis = Physis("end1", (-27.0, 109.5), (7.0, 107.0), (-10.0, 99.0))
    return replace(bone, parts=parts, physes=(physis,))


def ulna_distal(p0: Point = (17.0, 260.0)) -> Bone:
    """The ulna with its distal end in the hand layout (proximal end at p0)."""
    bone = long_bone("ulna", p0, (15.5, 102.0), 5.4, 7.0, 7.4, e1=4.8, epi="1", onset=6.0,
                     cortex=0.62, medulla=0.48)
    parts = bone.parts + (Part("end1_styloid", Rod(19.5, 104.0, 20.5, 96.5, 2.4, 1.6), 7.0),)
    physis = Physis("end1", (6.0, 109.0), (25.0, 109.0), (16.0, 102.0))
    return replace(bone, parts=parts, physes=(physis,))


def hand_soft() -> list[Prim]:
    """Soft tissue of the hand layout."""
    soft: list[Prim] = [Rod(0.0, 260.0, 0.0, 100.0, 31.0, 30.0), Ellipse(-3.0, 84.0, 31.0, 24.0),
                        Ellipse(-2.0, 34.0, 36.0, 37.0, 0.0, 4), Ellipse(-24.0, 45.0, 22.0, 14.0, -55.0)]
    for ray, (base, mc_angle, lengths, finger_angle, _, rs) in _RAYS.items():
        ux, uy = unit(mc_angle)
        head = (base[0] + ux * lengths[0], base[1] + uy * lengths[0])
        fx, fy = unit(finger_angle)
        total = sum(lengths[1:]) + 2 * _GAP + 2.0
        tip = (head[0] + fx * total, head[1] + fy * total)
        start = base if ray == 1 else head
        soft.append(Rod(start[0], start[1], tip[0], tip[1], rs * (1.25 if ray == 1 else 1.0), rs * 0.85))
    return soft


def _hand_bones() -> list[Bone]:
    bones = [radius_distal(), ulna_distal()] + [carpal(n) for n in _CARPALS]
    for ray in _RAYS:
        bones += _ray_bones(ray)
    return bones


def _wrist_sites(bones: dict[str, Bone]) -> dict[str, Site]:
    scaph = _CARPALS["scaphoid"]
    (cx, cy), a = scaph[0], scaph[1]
    ax = unit(scaph[3] + 180.0)  # toward the distal pole (up and radial)
    wa, wb = cross_line((cx - ax[0] * a, cy - ax[1] * a), (cx + ax[0] * a, cy + ax[1] * a), 0.5, 8.0)
    screw = Rod(cx - ax[0] * a * 0.75, cy - ax[1] * a * 0.75, cx + ax[0] * a * 0.75, cy + ax[1] * a * 0.75, 1.6, 1.4)
    return {
        "radius_distal": Site("radius", (-30.0, 114.0), (10.0, 117.0), (-10.0, 99.0), axis=-90.0, plate=(55.0, 10.0)),
        "ulna_styloid": Site("ulna", (15.0, 101.5), (25.0, 100.5), (20.5, 95.0), parts=("end1_styloid",), implant="kwires",
                             axis=-90.0),
        "scaphoid_waist": Site("scaphoid", wa, wb, (cx + ax[0] * a, cy + ax[1] * a), implant="custom", metal=(screw,)),
        "radius_distal_physis": Site("radius", (-28.0, 109.5), (8.0, 107.0), (-10.0, 99.0),
                                     parts=("end1", "end1_styloid"), implant="kwires", axis=-90.0),
    }


def _hand_sites(bones: dict[str, Bone]) -> dict[str, Site]:
    return {
        "metacarpal5_neck": shaft_site(bones["mc5"], 0.8, tilt=8.0, implant="kwires"),
        "metacarpal1_base": shaft_site(bones["mc1"], 0.16, tilt=-25.0, implant="kwires"),
        "phalanx_proximal3": shaft_site(bones["p1_3"], 0.5, tilt=6.0, implant="kwires"),
    }


_HAND_SHIFT = (0.0, -14.0)


def hand(view: str, gap_mm: float) -> Layout:
    """Hand, PA ("frontal") or oblique."""
    bones = {b.name: b for b in _hand_bones()}
    sites = _hand_sites(bones)
    soft = hand_soft()
    if view == "oblique":
        sx = 0.74
        bones = {n: squeeze_bone(b, sx, 4.0) for n, b in bones.items()}
        sites = {k: squeeze_site(s, sx, 4.0) for k, s in sites.items()}
        soft = [shifted_prim(p.squeezed(sx), 4.0, 0.0) for p in soft]
    dx, dy = _HAND_SHIFT
    return Layout(
        fov=(240.0, 300.0),
        soft=tuple(shifted_prim(p, dx, dy) for p in soft),
        bones=tuple(shifted_bone(b, dx, dy) for b in bones.values()),
        sites={k: shifted_site(s, dx, dy) for k, s in sites.items()},
        soft_mu=0.30, bone_mu=0.90,
    )


def _wrist_frontal() -> Layout:
    bones = {b.name: b for b in _hand_bones()}
    dx, dy = 4.0, -84.0
    sites = _wrist_sites(bones)
    return Layout(
        fov=(180.0, 240.0),
        soft=tuple(shifted_prim(p, dx, dy) for p in hand_soft()),
        bones=tuple(shifted_bone(b, dx, dy) for b in bones.values()),
        sites={k: shifted_site(s, dx, dy) for k, s in sites.items()},
        soft_mu=0.30, bone_mu=0.90,
    )


def wrist_lateral_bones(radius_p0: Point = (-1.0, 230.0), ulna_p0: Point = (5.0, 230.0)) -> list[Bone]:
    """Bones of the lateral wrist (volar side left), with the forearm bones starting at p0."""
    radius = long_bone("radius", radius_p0, (0.0, 8.0), 7.5, 9.0, 10.5, e1=5.0, epi="1", onset=1.0)
    end1 = radius.parts[2].prim
    assert isinstance(end1, Ellipse)
    radius = replace(radius, parts=tuple(p for p in radius.parts if p.name != "end1")
                     + (Part("end1", replace(end1, angle=end1.angle - 11.0, p=3), 1.0),))
    ulna = long_bone("ulna", ulna_p0, (4.0, 11.0), 5.2, 6.5, 6.8, e1=4.5, epi="1", onset=6.0, mu=0.8)
    ulna = replace(ulna, parts=ulna.parts + (Part("end1_styloid", Rod(9.0, 12.0, 13.0, 3.0, 2.4, 1.6), 7.0),))
    bones = [radius, ulna]
    for name, (cx, cy, a, b, ang, onset) in _LATERAL_CARPALS.items():
        bones.append(Bone(name, (Part("body", Ellipse(cx, cy, a, b, ang)),), cortex=0.84, medulla=0.68,
                          onset=onset, span=7.0, mu=0.8))
    for ray, (x0, x1, ln) in {2: (-2.0, -3.0, 70.0), 3: (0.0, 0.0, 68.0), 4: (2.0, 3.5, 62.0), 5: (4.0, 7.0, 58.0)}.items():
        bones.append(long_bone(f"mc{ray}", (x0, -35.0), (x1, -35.0 - ln), 3.6, 5.5, 5.0, epi="1", onset=1.5,
                               cortex=0.6, medulla=0.42, mu=0.7))
    bones.append(long_bone("mc1", (-11.0, -33.0), (-31.0, -70.0), 4.2, 6.5, 5.5, epi="0", onset=2.5, cortex=0.6,
                           medulla=0.42))
    return bones


# Carpal bones of the lateral wrist: centre, semi-axes, angle, ossification onset.
_LATERAL_CARPALS = {
    "lunate": (0.0, -2.0, 7.5, 7.0, 0.0, 3.5), "capitate": (0.5, -20.0, 12.0, 7.0, 90.0, 0.2),
    "scaphoid": (-6.0, -10.0, 11.0, 5.0, -115.0, 5.5), "trapezium": (-10.0, -27.0, 7.0, 6.0, 0.0, 5.0),
    "triquetrum": (6.0, -5.0, 6.0, 5.0, 0.0, 2.5), "hamate": (4.0, -22.0, 8.0, 6.0, 90.0, 0.4),
    "pisiform": (-11.0, -2.0, 5.0, 4.5, 0.0, 9.5), "trapezoid": (-4.0, -29.0, 5.0, 4.5, 0.0, 5.5),
}


def wrist_lateral_sites(radius: Bone) -> dict[str, Site]:
    """Fracture sites of the lateral wrist layout."""
    sc = _LATERAL_CARPALS["scaphoid"]
    ax = unit(sc[4])
    wa, wb = cross_line((sc[0] - ax[0] * sc[2], sc[1] - ax[1] * sc[2]), (sc[0] + ax[0] * sc[2], sc[1] + ax[1] * sc[2]),
                        0.5, 7.0)
    screw = Rod(sc[0] - ax[0] * 8.0, sc[1] - ax[1] * 8.0, sc[0] + ax[0] * 8.0, sc[1] + ax[1] * 8.0, 1.6, 1.4)
    ph = radius.physes[0]
    sites = {
        "radius_distal": Site("radius", (-14.0, 21.0), (14.0, 19.0), (0.0, 5.0), axis=-90.0, plate=(55.0, 10.0)),
        "ulna_styloid": Site("ulna", (6.0, 8.5), (17.0, 8.0), (13.0, 2.0), parts=("end1_styloid",), implant="kwires",
                             axis=-90.0),
        "scaphoid_waist": Site("scaphoid", wa, wb, (sc[0] + ax[0] * sc[2], sc[1] + ax[1] * sc[2]), implant="custom",
                               metal=(screw,)),
        "radius_distal_physis": Site("radius", (ph.a[0] - 3, ph.a[1]), (ph.b[0] + 3, ph.b[1]), ph.toward,
                                     parts=("end1",), implant="kwires", axis=-90.0),
    }
    return sites


WRIST_LATERAL_SOFT: tuple[Prim, ...] = (Rod(0.0, 200.0, 0.0, 5.0, 23.0, 22.0), Ellipse(0.0, -60.0, 72.0, 17.0, 90.0, 4),
                                        Rod(-9.0, -30.0, -36.0, -85.0, 10.0, 8.0), Ellipse(0.0, -12.0, 20.0, 22.0))


def _wrist_lateral() -> Layout:
    bones = wrist_lateral_bones()
    sites = wrist_lateral_sites(bones[0])
    return Layout(fov=(180.0, 240.0), soft=WRIST_LATERAL_SOFT, bones=tuple(bones), sites=sites, soft_mu=0.34,
                  bone_mu=0.82)


def wrist(view: str, gap_mm: float) -> Layout:
    """Wrist, PA ("frontal") or lateral."""
    return _wrist_lateral() if view == "lateral" else _wrist_frontal()


def carpal_region_mm() -> tuple[float, float, float, float]:
    """Bounds (x0, y0, x1, y1, mm, right hand PA layout) of the carpus, for bone-age checks."""
    dx, dy = _HAND_SHIFT
    return -33.0 + dx, 58.0 + dy, 22.0 + dx, 96.0 + dy

