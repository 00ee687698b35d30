"""Bone layouts of the knee, ankle and foot (right side: fibula / lateral side on the image's left
in frontal views, anterior on the left in lateral views, toes up in foot views)."""

from __future__ import annotations

from .layout import (
    Bone,
    Joint,
    Layout,
    Osteophyte,
    Part,
    Physis,
    Point,
    Prosthesis,
    Site,
    heading,
    long_bone,
    shaft_site,
    shifted_prim,
    squeeze_bone,
    squeeze_site,
    unit,
)
from .primitives import Arc, Ellipse, Prim, Rod

# --- knee ------------------------------------------------------------------------------------


def _knee_frontal(g: float) -> Layout:
    """Knee AP; the joint line is y = 0 and the joint space is g mm."""
    top, bot = -g / 2, g / 2
    femur = Bone("femur", (
        Part("shaft", Rod(0.0, -260.0, 0.0, -75.0, 14.0, 14.0)),
        Part("meta", Rod(0.0, -80.0, 0.0, top - 45.0, 14.0, 33.0)),
        Part("epi_block", Ellipse(0.0, top - 19.0, 38.0, 11.0, 0.0, 3)),
        Part("epi_lat", Ellipse(-20.0, top - 15.0, 18.5, 15.0, 0.0, 3)),
        Part("epi_med", Ellipse(21.0, top - 15.0, 19.0, 15.0, 0.0, 3)),
    ), physes=(Physis("epi_", (-42.0, top - 24.0), (42.0, top - 24.0), (0.0, 0.0)),), blend=0.35)
    tibia = Bone("tibia", (
        Part("epi_plateau", Ellipse(0.0, bot + 9.0, 41.0, 9.0, 0.0, 4)),
        Part("epi_sp1", Ellipse(-4.0, bot + 1.0, 2.5, 4.0)),
        Part("epi_sp2", Ellipse(4.0, bot + 1.0, 2.5, 4.0)),
        Part("meta_top", Ellipse(0.0, bot + 24.0, 39.0, 18.0)),
        Part("meta", Rod(1.0, bot + 36.0, 2.0, 95.0, 26.0, 16.0)),
        Part("shaft", Rod(2.0, 95.0, 4.0, 260.0, 15.0, 15.0)),
    ), physes=(Physis("epi_", (-42.0, bot + 19.0), (42.0, bot + 19.0), (0.0, 0.0)),), blend=0.35)
    fibula = Bone("fibula", (
        Part("epi_head", Ellipse(-37.0, bot + 30.0, 8.0, 10.0), 3.0),
        Part("shaft", Rod(-37.0, bot + 36.0, -40.0, 260.0, 7.0, 6.0)),
    ), physes=(Physis("epi_", (-48.0, bot + 36.0), (-26.0, bot + 36.0), (-37.0, bot + 25.0)),))
    patella = Bone("patella", (Part("body", Ellipse(0.0, top - 38.0, 21.0, 24.0)),), cortex=0.9, medulla=0.75,
                   mu=0.75, onset=4.0, span=8.0)
    joint = Joint("femur", "tibia", ((-27.0, -13.0), (14.0, 28.0)), y=0.0, osteophytes=(
        Osteophyte("femur", -38.0, top - 7.0, 195.0), Osteophyte("femur", 40.0, top - 7.0, -15.0),
        Osteophyte("tibia", -39.0, bot + 3.0, 170.0), Osteophyte("tibia", 39.0, bot + 3.0, 10.0),
    ), sclerosis=(("tibia", Ellipse(-20.0, bot + 5.0, 17.0, 4.5)), ("tibia", Ellipse(20.0, bot + 5.0, 17.0, 4.5)),
                  ("femur", Ellipse(-20.0, top - 4.0, 14.0, 4.0)), ("femur", Ellipse(21.0, top - 4.0, 14.0, 4.0))))
    prosthesis = Prosthesis(remove=(("tibia", "epi_sp1"), ("tibia", "epi_sp2")), metal=(
        Ellipse(-20.0, top - 13.0, 19.5, 13.0, 0.0, 3), Ellipse(21.0, top - 13.0, 20.0, 13.0, 0.0, 3),
        Rod(-37.0, bot + 8.0, 37.0, bot + 8.0, 3.0, 3.0), Rod(0.0, bot + 9.0, 1.0, 60.0, 6.5, 5.0)))
    sites = {
        "tibial_plateau": Site("tibia", (-14.0, bot - 1.0), (-33.0, bot + 43.0), (-36.0, bot + 8.0), axis=90.0,
                               plate=(14.0, 90.0)),
        "patella": Site("patella", (-26.0, top - 36.0), (26.0, top - 36.0), (0.0, top - 10.0), implant="kwires",
                        axis=90.0),
        "femur_distal": Site("femur", (-36.0, -60.0), (36.0, -57.0), (0.0, 0.0), axis=90.0, plate=(120.0, 45.0)),
    }
    soft = (Rod(0.0, -300.0, 0.0, -40.0, 62.0, 55.0), Ellipse(0.0, 0.0, 56.0, 60.0), Rod(0.0, 30.0, 2.0, 300.0, 52.0, 44.0))
    return Layout(fov=(240.0, 300.0), soft=soft, bones=(femur, tibia, fibula, patella), sites=sites, joint=joint,
                  prosthesis=prosthesis, soft_mu=0.36, bone_mu=0.82)


def _knee_lateral(g: float) -> Layout:
    """Knee lateral, patella on the left; the joint line is y = 0 and the joint space is g mm."""
    top, bot = -g / 2, g / 2
    femur = Bone("femur", (
        Part("shaft", Rod(12.0, -260.0, 6.0, -70.0, 14.0, 14.0)),
        Part("meta", Rod(6.0, -70.0, 6.0, top - 32.0, 14.0, 24.0)),
        Part("epi_cond", Ellipse(8.0, top - 24.0, 26.0, 24.0, 0.0, 3)),
    ), physes=(Physis("epi_", (-22.0, top - 40.0), (36.0, top - 40.0), (8.0, 0.0)),))
    tibia = Bone("tibia", (
        Part("epi_plateau", Ellipse(8.0, bot + 8.0, 29.0, 8.0, 0.0, 4)),
        Part("epi_spine", Ellipse(10.0, bot + 0.5, 3.0, 4.5)),
        Part("tub", Ellipse(-17.0, bot + 38.0, 11.0, 6.0, 80.0)),
        Part("meta", Rod(8.0, bot + 30.0, 2.0, 85.0, 26.0, 16.0)),
        Part("shaft", Rod(2.0, 80.0, -2.0, 260.0, 15.0, 15.0)),
    ), physes=(Physis("epi_", (-24.0, bot + 19.0), (40.0, bot + 19.0), (8.0, 0.0)),))
    fibula = Bone("fibula", (
        Part("epi_head", Ellipse(30.0, bot + 32.0, 8.0, 10.0), 3.0),
        Part("shaft", Rod(31.0, bot + 40.0, 26.0, 260.0, 7.0, 6.0)),
    ), physes=(Physis("epi_", (20.0, bot + 40.0), (42.0, bot + 40.0), (30.0, bot + 25.0)),))
    patella = Bone("patella", (Part("body", Ellipse(-28.0, -30.0, 23.0, 10.0, 80.0)),), cortex=0.82, medulla=0.6,
                   mu=0.9, onset=4.0, span=8.0)
    joint = Joint("femur", "tibia", ((-1.0, 5.0), (15.0, 20.0)), y=0.0, osteophytes=(
        Osteophyte("femur", -15.0, top - 12.0, 200.0), Osteophyte("femur", 32.0, top - 10.0, -20.0),
        Osteophyte("tibia", -19.0, bot + 3.0, 185.0), Osteophyte("tibia", 36.0, bot + 4.0, -5.0),
        Osteophyte("patella", -30.0, -53.0, 260.0), Osteophyte("patella", -26.0, -7.0, 100.0),
    ), sclerosis=(("tibia", Ellipse(8.0, bot + 4.0, 22.0, 4.0)), ("femur", Ellipse(8.0, top - 4.0, 18.0, 4.0))))
    prosthesis = Prosthesis(remove=(("tibia", "epi_spine"),), metal=(
        Arc(8.0, top - 24.0, 25.0, 3.0, -20.0, 220.0), Rod(-18.0, -30.0, -16.0, -62.0, 3.0, 3.0),
        Rod(-20.0, bot + 8.0, 36.0, bot + 11.0, 3.0, 3.0), Rod(8.0, bot + 10.0, 6.0, 60.0, 6.0, 5.0)))
    sites = {
        "tibial_plateau": Site("tibia", (24.0, bot - 1.0), (-6.0, bot + 40.0), (30.0, bot + 20.0), axis=90.0,
                               plate=(18.0, 90.0)),
        "patella": Site("patella", (-44.0, -30.0), (-12.0, -30.0), (-28.0, -8.0), implant="kwires", axis=90.0),
        "femur_distal": Site("femur", (-20.0, -62.0), (32.0, -64.0), (8.0, 0.0), axis=90.0, plate=(120.0, 45.0)),
    }
    soft = (Rod(10.0, -300.0, 5.0, -20.0, 60.0, 55.0), Ellipse(0.0, 0.0, 55.0, 68.0), Rod(5.0, 20.0, 5.0, 300.0, 50.0, 44.0))
    return Layout(fov=(240.0, 300.0), soft=soft, bones=(femur, tibia, fibula, patella), sites=sites, joint=joint,
                  prosthesis=prosthesis, soft_mu=0.37, bone_mu=0.82)


def knee(view: str, gap_mm: float) -> Layout:
    """Knee, AP ("frontal") or lateral, with a joint space of gap_mm."""
    return _knee_lateral(gap_mm) if view == "lateral" else _knee_frontal(gap_mm)


# --- ankle -----------------------------------------------------------------------------------


def _ankle_frontal() -> Layout:
    """Ankle AP (mortise): fibula on the left, tibial plafond at y = 0."""
    tibia = Bone("tibia", (
        Part("shaft", Rod(2.0, -260.0, 0.0, -60.0, 13.0, 13.0)),
        Part("meta", Rod(0.0, -62.0, 0.0, -28.0, 13.0, 24.0)),
        Part("epi", Ellipse(0.0, -9.0, 25.0, 8.0, 0.0, 4), 0.5),
        Part("epi_mm", Rod(20.0, -10.0, 22.0, 14.0, 7.0, 5.5), 0.5),
    ), physes=(Physis("epi", (-27.0, -17.0), (27.0, -17.0), (0.0, 0.0)),))
    fibula = Bone("fibula", (
        Part("shaft", Rod(-27.0, -260.0, -29.0, -40.0, 7.0, 7.0)),
        Part("meta", Rod(-29.0, -40.0, -30.0, -14.0, 7.0, 9.0)),
        Part("epi", Ellipse(-31.0, 4.0, 17.0, 8.5, 95.0), 1.0),
    ), physes=(Physis("epi", (-42.0, -12.0), (-20.0, -12.0), (-30.0, 10.0)),))
    talus = Bone("talus", (Part("dome", Ellipse(-2.0, 13.0, 18.5, 11.0, 0.0, 3)),
                           Part("body", Ellipse(-2.0, 26.0, 19.0, 13.0, 0.0, 3))), cortex=0.85, medulla=0.65)
    calcaneus = Bone("calcaneus", (Part("body", Ellipse(-4.0, 40.0, 24.0, 13.0, 0.0, 3)),), cortex=0.88, medulla=0.7,
                     mu=0.5)
    sites = {
        "lateral_malleolus": Site("fibula", (-42.0, -10.0), (-18.0, 8.0), (-34.0, 20.0), axis=90.0, plate=(70.0, 18.0)),
        "medial_malleolus": Site("tibia", (11.0, -2.0), (32.0, -1.0), (22.0, 14.0), parts=("epi_mm",),
                                 implant="screw"),
        "tibia_distal_physis": Site("tibia", (-29.0, -17.0), (29.0, -17.0), (0.0, 0.0), parts=("epi", "epi_mm"),
                                    implant="kwires", axis=90.0),
    }
    soft = (Rod(0.0, -300.0, -2.0, 0.0, 38.0, 36.0), Ellipse(-3.0, 22.0, 47.0, 50.0, 0.0, 3))
    return Layout(fov=(200.0, 250.0), soft=soft, bones=(tibia, fibula, talus, calcaneus), sites=sites, soft_mu=0.35,
                  bone_mu=0.82)


def _ankle_lateral() -> Layout:
    """Ankle lateral: anterior on the left, heel on the right."""
    tibia = Bone("tibia", (
        Part("shaft", Rod(0.0, -260.0, 0.0, -55.0, 14.0, 14.0)),
        Part("meta", Rod(0.0, -58.0, 0.0, -26.0, 14.0, 21.0)),
        Part("epi", Ellipse(0.0, -9.0, 22.0, 8.0, 0.0, 3), 0.5),
        Part("epi_mm", Ellipse(-2.0, 2.0, 9.0, 12.0), 0.5),
    ), physes=(Physis("epi", (-24.0, -17.0), (24.0, -17.0), (0.0, 0.0)),))
    fibula = Bone("fibula", (
        Part("shaft", Rod(14.0, -260.0, 18.0, -30.0, 6.5, 6.5)),
        Part("epi", Ellipse(19.0, 2.0, 18.0, 8.0, 95.0), 1.0),
    ), physes=(Physis("epi", (9.0, -14.0), (29.0, -14.0), (19.0, 5.0)),))
    talus = Bone("talus", (Part("dome", Ellipse(0.0, 14.0, 22.0, 12.0)), Part("body", Ellipse(2.0, 22.0, 20.0, 12.0)),
                           Part("neck", Rod(-10.0, 18.0, -38.0, 24.0, 9.0, 9.0)),
                           Part("head", Ellipse(-40.0, 25.0, 10.0, 11.0))), cortex=0.85, medulla=0.65)
    calcaneus = Bone("calcaneus", (Part("body", Ellipse(25.0, 45.0, 40.0, 17.0, 8.0, 3)),
                                   Part("tuber", Ellipse(55.0, 48.0, 14.0, 17.0))), cortex=0.85, medulla=0.65)
    navicular = Bone("navicular", (Part("body", Ellipse(-55.0, 27.0, 6.0, 12.0, 10.0)),), cortex=0.85, medulla=0.65,
                     onset=3.0)
    cuboid = Bone("cuboid", (Part("body", Ellipse(-45.0, 50.0, 14.0, 11.0, 0.0, 3)),), cortex=0.85, medulla=0.65)
    cuneiform = Bone("cuneiforms", (Part("body", Ellipse(-71.0, 29.0, 12.0, 11.0, 0.0, 3)),), cortex=0.85,
                     medulla=0.65, onset=1.0)
    metatarsals = [long_bone(f"mt{i}", (-80.0, 36.0 + 6 * i), (-150.0, 52.0 + 6 * i), 4.5, 7.0, 6.0, epi="1",
                             onset=3.0, mu=0.7) for i in range(3)]
    sites = {
        "lateral_malleolus": Site("fibula", (8.0, 6.0), (30.0, -16.0), (22.0, 16.0), axis=90.0, plate=(70.0, 18.0)),
        "medial_malleolus": Site("tibia", (-13.0, -3.0), (9.0, -3.0), (-2.0, 12.0), parts=("epi_mm",),
                                 implant="screw"),
        "tibia_distal_physis": Site("tibia", (-24.0, -17.0), (24.0, -17.0), (0.0, 0.0), parts=("epi", "epi_mm"),
                                    implant="kwires", axis=90.0),
    }
    soft = (Rod(5.0, -300.0, 5.0, -10.0, 38.0, 36.0), Ellipse(-20.0, 45.0, 95.0, 30.0, 0.0, 3),
            Ellipse(45.0, 40.0, 30.0, 36.0), Ellipse(0.0, 12.0, 42.0, 36.0))
    return Layout(fov=(250.0, 200.0), soft=soft,
                  bones=(tibia, fibula, talus, calcaneus, navicular, cuboid, cuneiform, *metatarsals), sites=sites,
                  soft_mu=0.36, bone_mu=0.82)


def ankle(view: str, gap_mm: float) -> Layout:
    """Ankle, AP ("frontal") or lateral."""
    return _ankle_lateral() if view == "lateral" else _ankle_frontal()


# --- foot ------------------------------------------------------------------------------------

# Metatarsals: base, head, shaft radius, base and head half-widths; toe phalanx lengths and radius.
_MT: dict[int, tuple[Point, Point, float, float, float, tuple[float, ...], float]] = {
    1: ((-26.0, 14.0), (-32.0, -50.0), 6.0, 9.0, 8.5, (30.0, 22.0), 5.5),
    2: ((-12.0, 18.0), (-17.0, -57.0), 3.8, 6.0, 5.5, (26.0, 10.0, 8.0), 3.2),
    3: ((0.0, 20.0), (-2.0, -52.0), 3.8, 6.0, 5.5, (22.0, 9.0, 8.0), 3.1),
    4: ((11.0, 26.0), (12.0, -44.0), 3.7, 5.8, 5.2, (20.0, 8.0, 7.0), 3.0),
    5: ((21.0, 36.0), (30.0, -35.0), 4.0, 6.0, 5.0, (17.0, 7.0, 6.0), 3.0),
}


def _foot_bones() -> list[Bone]:
    tarsal = dict(cortex=0.85, medulla=0.65)
    bones = [
        Bone("calcaneus", (Part("body", Ellipse(8.0, 120.0, 38.0, 21.0, 84.0)),), mu=0.55, **tarsal),
        Bone("talus", (Part("head", Ellipse(-6.0, 72.0, 14.0, 12.0)), Part("body", Ellipse(0.0, 92.0, 18.0, 14.0, 70.0))),
             mu=0.8, **tarsal),
        Bone("navicular", (Part("body", Ellipse(-14.0, 50.0, 17.0, 7.5, -20.0)),), onset=3.0, **tarsal),
        Bone("cuboid", (Part("body", Ellipse(16.0, 60.0, 12.0, 14.0, 10.0, 3)),), **tarsal),
        Bone("cuneiform1", (Part("body", Ellipse(-24.0, 28.0, 8.5, 12.0, 0.0, 3)),), onset=2.0, **tarsal),
        Bone("cuneiform2", (Part("body", Ellipse(-11.0, 30.0, 6.0, 9.0, 0.0, 3)),), onset=3.0, **tarsal),
        Bone("cuneiform3", (Part("body", Ellipse(1.0, 32.0, 7.0, 10.0, 0.0, 3)),), onset=1.0, **tarsal),
        Bone("sesamoids", (Part("a", Ellipse(-28.0, -42.0, 4.0, 5.0)), Part("b", Ellipse(-37.0, -40.0, 4.0, 5.0))),
             onset=10.0, **tarsal),
    ]
    for ray, (base, head, rs, rb, rh, toes, rt) in _MT.items():
        mt = long_bone(f"mt{ray}", base, head, rs, rb, rh, epi="0" if ray == 1 else "1", onset=2.5, cortex=0.6,
                       medulla=0.45)
        if ray == 5:
            mt = Bone(mt.name, mt.parts + (Part("tuberosity", Ellipse(28.0, 37.0, 8.0, 6.0, -30.0)),), mt.cortex,
                      mt.medulla, physes=mt.physes)
        bones.append(mt)
        ux, uy = unit(heading(base, head))
        start = (head[0] + ux * 3.0, head[1] + uy * 3.0)
        for level, length in enumerate(toes, start=1):
            r = rt * (1.0 if level == 1 else 0.85)
            end = (start[0] + ux * length, start[1] + uy * length)
            bones.append(long_bone(f"t{ray}_{level}", start, end, r, r * 1.5, r * 1.3, epi="0", onset=2.0,
                                   cortex=0.6, medulla=0.45))
            start = (end[0] + ux * 2.5, end[1] + uy * 2.5)
    return bones


def _foot_soft() -> list[Prim]:
    soft: list[Prim] = [Ellipse(-3.0, -10.0, 45.0, 68.0), Ellipse(4.0, 95.0, 34.0, 62.0)]
    for base, head, _, _, _, toes, rt in _MT.values():
        ux, uy = unit(heading(base, head))
        total = sum(toes) + 8.0
        soft.append(Rod(head[0], head[1], head[0] + ux * total, head[1] + uy * total, rt * 2.6, rt * 2.2))
    return soft


def foot(view: str, gap_mm: float) -> Layout:
    """Foot, dorsoplantar ("frontal") or oblique."""
    bones = {b.name: b for b in _foot_bones()}
    sites = {
        "metatarsal5_base": shaft_site(bones["mt5"], 0.2, tilt=-10.0, implant="screw"),
        "metatarsal2_shaft": shaft_site(bones["mt2"], 0.5, tilt=15.0, implant="kwires"),
        "calcaneus": Site("calcaneus", (-22.0, 116.0), (36.0, 126.0), (8.0, 150.0), axis=90.0, plate=(25.0, 25.0)),
    }
    soft = _foot_soft()
    if view == "oblique":
        bones = {n: squeeze_bone(b, 0.78, 3.0) for n, b in bones.items()}
        sites = {k: squeeze_site(s, 0.78, 3.0) for k, s in sites.items()}
        soft = [shifted_prim(p.squeezed(0.78), 3.0, 0.0) for p in soft]
    return Layout(fov=(200.0, 300.0), soft=tuple(soft), bones=tuple(bones.values()), sites=sites, soft_mu=0.32,
                  bone_mu=0.84)
