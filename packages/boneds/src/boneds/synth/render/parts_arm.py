"""Bone layouts of the forearm, elbow and shoulder (right side: lateral on the image's left in
frontal views, anterior on the left in lateral views)."""

from __future__ import annotations

from dataclasses import replace

from .layout import (
    Bone,
    Layout,
    Part,
    Physis,
    Point,
    Prosthesis,
    Site,
    cross_line,
    heading,
    long_bone,
    shifted_bone,
    shifted_prim,
    shifted_site,
)
from .parts_hand import (
    CARPAL_NAMES,
    WRIST_LATERAL_SOFT,
    carpal,
    hand_soft,
    radius_distal,
    ulna_distal,
    wrist_lateral_bones,
)
from .primitives import Arc, Ellipse, Rod


def _with_parts(bone: Bone, drop: tuple[str, ...], add: tuple[Part, ...], physes: tuple[Physis, ...] = ()) -> Bone:
    """A bone with some parts replaced and growth plates added."""
    parts = tuple(p for p in bone.parts if p.name not in drop) + add
    return replace(bone, parts=parts, physes=bone.physes + physes)


# --- forearm ---------------------------------------------------------------------------------


def _forearm_frontal() -> Layout:
    """Forearm AP, wrist at the top (as in the hand layout), elbow at the bottom."""
    r0, r1 = (-14.0, 328.0), (-10.0, 99.0)
    radius = _with_parts(radius_distal(r0), ("end0", "meta0"), (
        Part("end0", Ellipse(-14.0, 323.5, 4.5, 10.5, -90.0), 4.0),
        Part("neck", Rod(-14.0, 324.0, -13.6, 300.0, 6.0, 6.2)),
        Part("tuberosity", Ellipse(-10.0, 296.0, 6.0, 4.0, 90.0)),
    ), (Physis("end0", (-27.0, 318.0), (-1.0, 318.0), r0),))
    u0, u1 = (11.0, 345.0), (15.5, 102.0)
    ulna = _with_parts(ulna_distal(u0), ("end0", "meta0"), (
        Part("olecranon", Ellipse(11.0, 337.0, 9.0, 10.0, -90.0), 9.0),
        Part("body", Rod(11.5, 333.0, 12.5, 290.0, 10.0, 6.5)),
        Part("coronoid", Ellipse(5.0, 327.0, 6.0, 5.0)),
    ), (Physis("olecranon", (0.0, 331.0), (22.0, 331.0), u0),))
    humerus = Bone("humerus", (
        Part("shaft", Rod(0.0, 560.0, 0.0, 385.0, 11.0, 11.0)),
        Part("meta", Rod(0.0, 390.0, 0.0, 366.0, 11.0, 24.0)),
        Part("block", Ellipse(-1.0, 347.0, 28.0, 8.0, 0.0, 3)),
        Part("epi_cap", Ellipse(-14.0, 338.0, 9.0, 8.0), 1.0),
        Part("epi_tro", Ellipse(8.0, 339.0, 12.0, 8.0), 8.0),
        Part("apo_me", Ellipse(31.0, 352.0, 7.0, 6.0), 5.0),
        Part("apo_le", Ellipse(-28.0, 351.0, 5.0, 4.5), 11.0),
    ), physes=(Physis("epi_", (-31.0, 344.0), (27.0, 344.0), (0.0, 330.0)),))
    bones = [radius, ulna, humerus] + [carpal(n) for n in CARPAL_NAMES]
    soft = hand_soft()[:3] + [Rod(0.0, 90.0, 0.0, 340.0, 30.0, 37.0), Ellipse(0.0, 350.0, 44.0, 32.0),
                              Rod(0.0, 350.0, 0.0, 560.0, 40.0, 42.0)]
    sites = {
        "radius_shaft": _shaft(radius.name, r0, r1, 0.5, 11.0, 8.0),
        "ulna_shaft": _shaft(ulna.name, u0, u1, 0.45, 9.5, -6.0),
    }
    dy = -220.0
    return Layout(fov=(150.0, 350.0), soft=tuple(shifted_prim(p, 0.0, dy) for p in soft),
                  bones=tuple(shifted_bone(b, 0.0, dy) for b in bones),
                  sites={k: shifted_site(s, 0.0, dy) for k, s in sites.items()}, soft_mu=0.32, bone_mu=0.86)


def _shaft(bone: str, p0: Point, p1: Point, t: float, half: float, tilt: float) -> Site:
    """A transverse or oblique shaft fracture between p0 (proximal) and p1 (distal), plated."""
    a, b = cross_line(p0, p1, t, half, tilt)
    return Site(bone, a, b, p1, axis=heading(p0, p1), plate=(45.0, 45.0))


def _forearm_lateral() -> Layout:
    """Forearm lateral: wrist at the top, elbow flexed at the bottom."""
    r0, u0 = (-4.0, 236.0), (6.0, 254.0)
    bones = wrist_lateral_bones(r0, u0)
    radius = _with_parts(bones[0], ("end0", "meta0"), (
        Part("end0", Ellipse(-4.0, 231.5, 4.5, 10.0, -90.0), 4.0),
        Part("neck", Rod(-4.0, 232.0, -3.5, 208.0, 5.8, 6.0)),
        Part("tuberosity", Ellipse(-8.0, 204.0, 6.0, 4.0, 90.0)),
    ), (Physis("end0", (-16.0, 226.0), (8.0, 226.0), r0),))
    ulna = _with_parts(bones[1], ("end0", "meta0"), (
        Part("olecranon", Ellipse(12.0, 248.0, 11.0, 9.0, 60.0), 9.0),
        Part("body", Rod(6.0, 246.0, 5.0, 205.0, 9.5, 6.0)),
        Part("coronoid", Ellipse(-5.0, 238.0, 5.0, 4.0)),
    ))
    humerus = Bone("humerus", (
        Part("epi", Ellipse(4.0, 252.0, 13.0, 13.0), 1.0),
        Part("meta", Rod(12.0, 265.0, 30.0, 290.0, 15.0, 11.0)),
        Part("shaft", Rod(30.0, 290.0, 120.0, 420.0, 11.0, 11.0)),
    ), physes=(Physis("epi", (-8.0, 268.0), (22.0, 250.0), (0.0, 245.0)),))
    bones = [radius, ulna, humerus] + bones[2:]
    p1r, p1u = (0.0, 8.0), (4.0, 11.0)
    sites = {
        "radius_shaft": _shaft("radius", r0, p1r, 0.5, 10.5, 6.0),
        "ulna_shaft": _shaft("ulna", u0, p1u, 0.42, 9.0, -8.0),
    }
    soft = WRIST_LATERAL_SOFT[:3] + (Rod(0.0, -10.0, 2.0, 250.0, 22.0, 30.0), Ellipse(5.0, 252.0, 36.0, 34.0),
                                     Rod(10.0, 262.0, 120.0, 420.0, 40.0, 42.0))
    dy = -128.0
    return Layout(fov=(150.0, 350.0), soft=tuple(shifted_prim(p, 0.0, dy) for p in soft),
                  bones=tuple(shifted_bone(b, 0.0, dy) for b in bones),
                  sites={k: shifted_site(s, 0.0, dy) for k, s in sites.items()}, soft_mu=0.34, bone_mu=0.84)


def forearm(view: str, gap_mm: float) -> Layout:
    """Forearm, AP ("frontal") or lateral."""
    return _forearm_lateral() if view == "lateral" else _forearm_frontal()


# --- elbow -----------------------------------------------------------------------------------


def _elbow_frontal() -> Layout:
    """Elbow AP: humerus at the top, radius on the lateral (left) side."""
    fossa = Ellipse(5.0, -21.0, 9.0, 7.5)  # the olecranon fossa: the olecranon shows through it
    humerus = Bone("humerus", (
        Part("shaft", Rod(0.0, -260.0, 0.0, -58.0, 11.5, 11.5)),
        Part("meta", Rod(0.0, -62.0, 0.0, -36.0, 11.5, 25.0), holes=(fossa,)),
        Part("block", Ellipse(-1.0, -17.0, 29.0, 8.0, 0.0, 3), holes=(fossa,)),
        Part("epi_cap", Ellipse(-14.0, -7.0, 9.5, 8.0), 1.0),
        Part("epi_tro", Ellipse(8.0, -6.0, 12.0, 8.0), 8.0),
        Part("apo_me", Ellipse(29.0, -19.0, 7.0, 6.0, -30.0), 5.0),
        Part("apo_le", Ellipse(-27.0, -18.0, 5.0, 4.5), 11.0),
    ), physes=(Physis("epi_", (-31.0, -13.0), (27.0, -13.0), (0.0, 0.0)),), blend=0.35)
    r0 = (-14.0, 3.5)
    radius = long_bone("radius", r0, (-19.0, 250.0), 6.5, 10.5, 9.0, e0=4.5, epi="0", onset=4.0)
    radius = _with_parts(radius, ("meta0",), (Part("neck", Rod(-14.0, 8.0, -14.5, 29.0, 5.8, 6.0)),
                                              Part("tuberosity", Ellipse(-10.0, 34.0, 6.0, 4.0, 90.0))))
    ulna = Bone("ulna", (
        Part("olecranon", Ellipse(7.0, -18.0, 10.0, 9.0), 9.0),
        Part("notch", Rod(7.0, -12.0, 8.0, 6.0, 8.0, 9.0)),
        Part("body", Ellipse(8.0, 10.0, 12.0, 6.0)),
        Part("shaft", Rod(8.0, 12.0, 13.0, 250.0, 9.0, 6.0)),
    ), physes=(Physis("olecranon", (-4.0, -11.0), (18.0, -11.0), (7.0, -25.0)),))
    sites = {
        "radial_head": Site("radius", (-16.0, 0.0), (-12.5, 16.0), (-30.0, 8.0), parts=("end0",), implant="screw"),
        "olecranon": Site("ulna", (-6.0, -18.5), (20.0, -18.5), (7.0, -30.0), parts=("olecranon", "notch"),
                          implant="kwires", axis=-90.0),
        "humerus_supracondylar": Site("humerus", (-33.0, -32.0), (33.0, -32.0), (0.0, 0.0), implant="kwires",
                                      axis=90.0),
    }
    soft = (Rod(0.0, -260.0, 0.0, -20.0, 42.0, 44.0), Ellipse(0.0, 0.0, 48.0, 40.0),
            Rod(-2.0, 10.0, 0.0, 250.0, 40.0, 34.0))
    return Layout(fov=(180.0, 240.0), soft=soft, bones=(humerus, radius, ulna), sites=sites, soft_mu=0.34,
                  bone_mu=0.86)


def _elbow_lateral() -> Layout:
    """Elbow lateral, flexed 90 degrees: humerus from the top, forearm to the left."""
    humerus = Bone("humerus", (
        Part("shaft", Rod(35.0, -220.0, 9.0, -38.0, 11.5, 11.5)),
        Part("meta", Rod(9.0, -38.0, 4.0, -14.0, 11.5, 17.0)),
        Part("epi_cond", Ellipse(2.0, 0.0, 13.5, 13.0), 1.0),
    ), physes=(Physis("epi_", (-14.0, -12.0), (18.0, -9.0), (2.0, 2.0)),))
    ulna = Bone("ulna", (
        Part("olecranon", Ellipse(17.0, 6.0, 12.0, 8.0, 70.0), 9.0),
        Part("body", Rod(14.0, 16.0, -12.0, 19.0, 9.0, 9.0)),
        Part("coronoid", Ellipse(-10.0, 11.0, 5.0, 4.0)),
        Part("shaft", Rod(-12.0, 19.0, -210.0, 28.0, 8.0, 6.0)),
    ), physes=(Physis("olecranon", (9.0, -2.0), (24.0, 12.0), (24.0, -4.0)),))
    radius = Bone("radius", (
        Part("end0", Ellipse(-17.5, -1.0, 4.5, 10.0, 180.0), 4.0),
        Part("neck", Rod(-20.0, -1.0, -40.0, 2.0, 5.5, 5.8)),
        Part("tuberosity", Ellipse(-44.0, 7.0, 5.0, 4.0)),
        Part("shaft", Rod(-40.0, 2.0, -210.0, 10.0, 6.5, 7.5)),
    ), physes=(Physis("end0", (-21.0, -12.0), (-21.0, 10.0), (-10.0, 0.0)),))
    sites = {
        "radial_head": Site("radius", (-24.0, -12.0), (-12.0, 10.0), (-12.0, -10.0), parts=("end0",),
                            implant="screw"),
        "olecranon": Site("ulna", (12.0, -10.0), (13.0, 26.0), (26.0, 4.0), parts=("olecranon", "body"),
                          implant="kwires", axis=0.0),
        "humerus_supracondylar": Site("humerus", (-13.0, -30.0), (25.0, -25.0), (2.0, 0.0), implant="kwires",
                                      axis=heading((35.0, -220.0), (4.0, -14.0))),
    }
    soft = (Rod(40.0, -250.0, 5.0, -10.0, 40.0, 40.0), Rod(0.0, 10.0, -250.0, 25.0, 36.0, 32.0),
            Ellipse(3.0, 5.0, 42.0, 38.0))
    return Layout(fov=(240.0, 200.0), soft=soft, bones=(humerus, ulna, radius), sites=sites, soft_mu=0.36,
                  bone_mu=0.86)


def elbow(view: str, gap_mm: float) -> Layout:
    """Elbow, AP ("frontal") or lateral."""
    return _elbow_lateral() if view == "lateral" else _elbow_frontal()


# --- shoulder --------------------------------------------------------------------------------


def _ribs(centres: list[Point], radius: float, start: float, span: float) -> list[Bone]:
    """Ribs drawn as thin arcs (flat bones of low attenuation)."""
    return [Bone(f"rib{i}", (Part("arc", Arc(cx, cy, radius, 4.5, start, span)),), cortex=0.6, medulla=0.45, mu=0.32)
            for i, (cx, cy) in enumerate(centres)]


def _shoulder_frontal() -> Layout:
    """Shoulder AP: humerus on the lateral (left) side, thorax on the right."""
    humerus = Bone("humerus", (
        Part("end0", Ellipse(-55.0, -8.0, 25.0, 24.0), 0.5),
        Part("end0_gt", Ellipse(-80.0, -12.0, 14.0, 9.0, 90.0), 2.0),
        Part("meta", Rod(-62.0, 8.0, -69.0, 45.0, 21.0, 13.0)),
        Part("shaft", Rod(-69.0, 45.0, -78.0, 260.0, 12.5, 12.5)),
    ), physes=(Physis("end0", (-94.0, 8.0), (-33.0, 18.0), (-55.0, -10.0)),))
    scapula = Bone("scapula", (
        Part("glenoid", Ellipse(-25.0, -4.0, 20.0, 5.5, 90.0)),
        Part("neck", Rod(-22.0, -2.0, 0.0, 14.0, 14.0, 14.0)),
        Part("body", Ellipse(30.0, 55.0, 75.0, 35.0, 70.0)),
        Part("lat_border", Rod(-14.0, 15.0, 25.0, 130.0, 5.0, 5.0)),
        Part("acromion", Rod(-33.0, -50.0, -78.0, -42.0, 8.5, 8.5)),
        Part("spine", Rod(25.0, -40.0, -33.0, -50.0, 5.0, 6.0)),
        Part("coracoid", Rod(-12.0, -22.0, -38.0, -28.0, 6.0, 6.0)),
    ), cortex=0.8, medulla=0.55, mu=0.75)
    clavicle = Bone("clavicle", (
        Part("medial", Rod(150.0, -48.0, 50.0, -64.0, 8.5, 8.5)),
        Part("lateral", Rod(50.0, -64.0, -16.0, -60.0, 8.0, 8.0)),
        Part("end", Ellipse(-14.0, -60.0, 7.0, 9.0)),
    ), cortex=0.62, medulla=0.5)
    ribs = _ribs([(120.0, -40.0 + 32.0 * i + 120.0) for i in range(6)], 150.0, 215.0, 50.0)
    sites = {
        "humerus_surgical_neck": Site("humerus", (-92.0, 48.0), (-48.0, 44.0), (-74.0, 130.0), axis=92.0,
                                      plate=(40.0, 80.0)),
        "greater_tuberosity": Site("humerus", (-77.0, -30.0), (-74.0, 8.0), (-92.0, -12.0), parts=("end0_gt",),
                                   implant="screw"),
        "clavicle_midshaft": _shaft("clavicle", (150.0, -48.0), (-16.0, -60.0), 0.45, 13.0, 10.0),
    }
    prosthesis = Prosthesis(remove=(("humerus", "end0"),), metal=(
        Ellipse(-52.0, -8.0, 22.0, 22.0), Rod(-56.0, -2.0, -64.0, 18.0, 8.0, 8.0), Rod(-64.0, 18.0, -74.0, 150.0, 7.5, 4.5),
        Rod(-26.0, -4.0, -12.0, -2.0, 2.5, 2.0), Rod(-28.0, -14.0, -28.0, 6.0, 1.5, 1.5)))
    soft = (Ellipse(-62.0, 10.0, 48.0, 70.0), Rod(-74.0, 60.0, -80.0, 300.0, 46.0, 46.0),
            Ellipse(100.0, 110.0, 130.0, 190.0, 0.0, 3), Rod(60.0, -200.0, 40.0, -60.0, 60.0, 60.0))
    return Layout(fov=(300.0, 240.0), soft=soft, bones=(humerus, scapula, clavicle, *ribs), sites=sites,
                  prosthesis=prosthesis, soft_mu=0.36, bone_mu=0.84)


def _shoulder_lateral() -> Layout:
    """Scapular Y view: the scapula as a Y, the humeral head over its junction."""
    scapula = Bone("scapula", (
        Part("junction", Ellipse(2.0, -2.0, 14.0, 14.0)),
        Part("body", Rod(4.0, 8.0, 14.0, 150.0, 8.0, 4.5)),
        Part("coracoid", Rod(-4.0, -10.0, -48.0, -50.0, 6.0, 6.0)),
        Part("acromion", Rod(8.0, -12.0, 48.0, -78.0, 8.0, 8.0)),
    ), cortex=0.7, medulla=0.55, mu=0.85)
    humerus = Bone("humerus", (
        Part("end0", Ellipse(0.0, 4.0, 25.0, 24.0), 0.5),
        Part("end0_gt", Ellipse(-20.0, -14.0, 13.0, 9.0, 70.0), 2.0),
        Part("meta", Rod(-3.0, 25.0, -6.0, 55.0, 20.0, 13.0)),
        Part("shaft", Rod(-6.0, 55.0, -12.0, 300.0, 12.5, 12.5)),
    ), physes=(Physis("end0", (-30.0, 22.0), (24.0, 20.0), (0.0, 0.0)),))
    clavicle = Bone("clavicle", (Part("shaft", Rod(-80.0, -95.0, 20.0, -82.0, 8.5, 8.0)),), cortex=0.62, medulla=0.5)
    ribs = _ribs([(60.0, 150.0 + 40.0 * i) for i in range(4)], 170.0, 225.0, 55.0)
    sites = {
        "humerus_surgical_neck": Site("humerus", (-26.0, 55.0), (16.0, 52.0), (-8.0, 150.0), axis=92.0,
                                      plate=(40.0, 80.0)),
        "greater_tuberosity": Site("humerus", (-2.6, -17.4), (-21.4, 3.4), (-24.0, -20.0), parts=("end0_gt",),
                                   implant="screw"),
        "clavicle_midshaft": _shaft("clavicle", (-80.0, -95.0), (20.0, -82.0), 0.5, 12.0, 8.0),
    }
    prosthesis = Prosthesis(remove=(("humerus", "end0"),), metal=(
        Ellipse(2.0, 4.0, 22.0, 22.0), Rod(-1.0, 15.0, -4.0, 30.0, 8.0, 8.0), Rod(-4.0, 30.0, -10.0, 160.0, 7.0, 4.5)))
    soft = (Ellipse(0.0, 10.0, 70.0, 90.0), Rod(-6.0, 40.0, -12.0, 320.0, 45.0, 45.0),
            Ellipse(40.0, 60.0, 110.0, 200.0, 0.0, 3))
    return Layout(fov=(240.0, 300.0), soft=soft, bones=(scapula, humerus, clavicle, *ribs), sites=sites,
                  prosthesis=prosthesis, soft_mu=0.37, bone_mu=0.84)


def shoulder(view: str, gap_mm: float) -> Layout:
    """Shoulder, AP ("frontal") or scapular Y ("lateral")."""
    return _shoulder_lateral() if view == "lateral" else _shoulder_frontal()

