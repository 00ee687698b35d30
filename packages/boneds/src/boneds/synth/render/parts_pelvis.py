"""Bone layouts of the hip and the pelvis (right hip: greater trochanter on the image's left)."""

from __future__ import annotations

import math

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
    cross_line,
    heading,
    mirrored_bone,
    mirrored_prim,
    mirrored_site,
    unit,
)
from .primitives import Arc, Ellipse, Prim, Rod

HEAD_R = 24.0  # femoral head radius (mm)


def _femur(h: Point, view: str) -> tuple[Bone, Point]:
    """The proximal femur around head centre h; also returns the base of the neck."""
    hx, hy = h
    if view == "lateral":  # frog-leg: short neck, trochanter over the neck base, oblique shaft
        base = (hx - 23.0, hy + 25.0)
        parts = (Part("gt", Ellipse(hx - 32.0, hy + 28.0, 18.0, 14.0, 60.0), 3.0),
                 Part("itr", Rod(hx - 26.0, hy + 30.0, hx - 38.0, hy + 80.0, 24.0, 17.0)),
                 Part("lt", Ellipse(hx - 20.0, hy + 78.0, 7.0, 6.0), 10.0),
                 Part("shaft", Rod(hx - 38.0, hy + 80.0, hx - 63.0, hy + 315.0, 15.0, 15.0)))
    else:
        base = (hx - 30.0, hy + 37.0)
        parts = (Part("gt", Ellipse(hx - 54.0, hy + 25.0, 22.0, 15.0, 80.0), 3.0),
                 Part("itr", Rod(hx - 34.0, hy + 33.0, hx - 38.0, hy + 80.0, 24.0, 17.0)),
                 Part("lt", Ellipse(hx - 16.0, hy + 73.0, 8.0, 7.0), 10.0),
                 Part("shaft", Rod(hx - 38.0, hy + 80.0, hx - 44.0, hy + 315.0, 15.0, 15.0)))
    ux, uy = unit(heading(base, h))
    neck = Part("neck", Rod(hx - 4.0 * ux, hy - 4.0 * uy, base[0], base[1], 15.0, 15.0))
    head = Part("epi_head", Ellipse(hx, hy, HEAD_R, HEAD_R), 0.5)
    t = 16.5 / math.dist(h, base)
    a, b = cross_line(h, base, t, 27.0)
    return Bone("femur", (head, neck) + parts, physes=(Physis("epi_", a, b, h),)), base


def _hemipelvis(h: Point, g: float, wing: Prim) -> Bone:
    """The right hemipelvis around the acetabulum of head centre h, with joint space g mm: the
    acetabular block (with the socket cut out), the iliac wing, the obturator ring (pubic rami and
    ischium around the foramen) and the acetabular roof's dense subchondral plate."""
    hx, hy = h
    socket = Ellipse(hx, hy, HEAD_R + g, HEAD_R + g)
    parts = (
        Part("acetabulum", Ellipse(hx + 12.0, hy - 30.0, 50.0, 36.0, -15.0), holes=(socket,)),
        Part("wing", wing),
        Part("column", Ellipse(hx + 2.0, hy - 64.0, 44.0, 30.0, -5.0), holes=(socket,)),
        Part("wall", Rod(hx + 27.0, hy - 5.0, hx + 31.0, hy + 30.0, 6.5, 6.0)),
        Part("teardrop", Ellipse(hx + 24.0, hy + 32.0, 4.5, 8.0)),
        Part("obturator", Ellipse(hx + 40.0, hy + 62.0, 44.0, 36.0, 15.0),
             holes=(Ellipse(hx + 41.0, hy + 64.0, 27.0, 18.0, 18.0),)),
        Part("ischium", Ellipse(hx + 10.0, hy + 82.0, 18.0, 14.0, 60.0)),
    )
    roof = Arc(hx, hy, HEAD_R + g + 2.5, 2.5, 195.0, 150.0)
    triradiate = Physis("", (hx + 22.0, hy - 30.0), (hx + 30.0, hy + 28.0), (hx + 40.0, hy))
    return Bone("pelvis", parts, cortex=0.82, medulla=0.55, mu=0.85, physes=(triradiate,), blend=0.4,
                dense=((roof, 0.5),))


def _joint(h: Point, g: float) -> Joint:
    """The hip joint: the gap between the acetabular roof and the femoral head."""
    hx, hy = h
    rim = HEAD_R + g + 1.0
    return Joint("pelvis", "femur", ((hx - 13.0, hx + 13.0),), y=hy - HEAD_R - g / 2, osteophytes=(
        Osteophyte("pelvis", hx + rim * math.cos(math.radians(195)), hy + rim * math.sin(math.radians(195)), 195.0),
        Osteophyte("femur", hx + HEAD_R * 0.5, hy + HEAD_R * 0.866, 60.0),
        Osteophyte("femur", hx + HEAD_R * math.cos(math.radians(215)), hy + HEAD_R * math.sin(math.radians(215)), 215.0),
    ), sclerosis=(("pelvis", Arc(hx, hy, HEAD_R + g + 2.5, 3.0, 225.0, 90.0)),
                  ("femur", Arc(hx, hy, HEAD_R - 2.0, 2.5, 230.0, 80.0))))


def _prosthesis(h: Point, base: Point) -> Prosthesis:
    """Total hip: cup, ball, neck and stem; the native head and neck are removed."""
    hx, hy = h
    ux, uy = unit(heading(base, h))
    stem_top = (base[0] - 6.0 * ux, base[1] - 6.0 * uy)
    return Prosthesis(remove=(("femur", "epi_head"), ("femur", "neck")), metal=(
        Arc(hx, hy, HEAD_R, 4.0, 160.0, 190.0), Ellipse(hx, hy, 14.0, 14.0),
        Rod(hx, hy, stem_top[0], stem_top[1], 6.0, 6.0),
        Rod(stem_top[0], stem_top[1], base[0] - 10.0, base[1] + 165.0, 9.0, 4.5)))


def _hip_sites(h: Point, base: Point) -> dict[str, Site]:
    """Femoral neck (three cannulated screws) and intertrochanteric (sliding hip screw)."""
    hx, hy = h
    ux, uy = unit(heading(base, h))
    vx, vy = -uy, ux
    a, b = cross_line(base, h, 0.5, 19.0)
    bx, by = base[0] - 18.0 * ux, base[1] - 18.0 * uy
    screws = tuple(Rod(bx + k * vx, by + k * vy, bx + k * vx + 60.0 * ux, by + k * vy + 60.0 * uy, 3.2, 3.0)
                   for k in (-7.0, 0.0, 7.0))
    lag0 = (hx - 80.0 * ux, hy - 80.0 * uy)
    plate_x = hx - 62.0
    dhs = (Rod(lag0[0], lag0[1], hx - 6.0 * ux, hy - 6.0 * uy, 4.0, 3.5),
           Rod(lag0[0], lag0[1], hx - 55.0 * ux, hy - 55.0 * uy, 6.5, 6.5),
           Rod(plate_x, hy + 60.0, plate_x - 3.0, hy + 170.0, 5.0, 5.0),
           *(Rod(plate_x - 3.0, hy + y, hx - 26.0, hy + y, 2.3, 2.3) for y in (95.0, 115.0, 135.0, 155.0)))
    return {
        "femoral_neck": Site("femur", a, b, h, parts=("epi_head", "neck"), implant="custom", metal=screws),
        "intertrochanteric": Site("femur", (hx - 74.0, hy + 8.0), (hx - 6.0, hy + 86.0), (hx - 44.0, hy + 200.0),
                                  implant="custom", metal=dhs),
    }


def hip(view: str, gap_mm: float) -> Layout:
    """Hip, AP ("frontal") or frog-leg lateral, with a joint space of gap_mm."""
    h = (22.0, -55.0)
    femur, base = _femur(h, view)
    pelvis = _hemipelvis(h, gap_mm, Ellipse(h[0] - 14.0, h[1] - 91.0, 70.0, 46.0, 14.0))
    soft = (Ellipse(60.0, 20.0, 190.0, 260.0, 0.0, 4),)
    return Layout(fov=(240.0, 300.0), soft=soft, bones=(femur, pelvis), sites=_hip_sites(h, base),
                  joint=_joint(h, gap_mm), prosthesis=_prosthesis(h, base), soft_mu=0.36, bone_mu=0.86)


def pelvis(view: str, gap_mm: float) -> Layout:
    """Pelvis AP: both hips, sacrum, L5; the patient's right on the image's left."""
    h = (-88.0, 5.0)
    femur, _ = _femur(h, "frontal")
    hemi = _hemipelvis(h, 4.6, Ellipse(h[0] - 14.0, h[1] - 91.0, 70.0, 46.0, 14.0))
    bones = [Bone("femur_r", femur.parts, physes=femur.physes), mirrored_bone(femur, "femur_l"),
             Bone("pelvis_r", hemi.parts, hemi.cortex, hemi.medulla, hemi.mu, physes=hemi.physes, blend=hemi.blend),
             mirrored_bone(hemi, "pelvis_l"),
             Bone("sacrum", (Part("body", Ellipse(0.0, -62.0, 44.0, 60.0, 0.0, 3)),
                             Part("coccyx", Rod(0.0, -5.0, 0.0, 22.0, 7.0, 4.0))), cortex=0.88, medulla=0.6, mu=0.7),
             Bone("l5", (Part("body", Ellipse(0.0, -150.0, 25.0, 13.0, 0.0, 4)),
                         Part("tp_r", Rod(-20.0, -150.0, -48.0, -146.0, 6.0, 4.0)),
                         Part("tp_l", Rod(20.0, -150.0, 48.0, -146.0, 6.0, 4.0))), cortex=0.86, medulla=0.6)]
    sites = {
        "pubic_ramus": Site("pelvis_r", (h[0] + 50.0, h[1] + 18.0), (h[0] + 60.0, h[1] + 52.0),
                            (h[0] + 85.0, h[1] + 60.0), parts=("obturator",), axis=20.0, plate=(35.0, 35.0)),
        "iliac_wing": Site("pelvis_r", (-110.0, -142.0), (-170.0, -50.0), (-175.0, -110.0), parts=("wing",),
                           implant="plate", axis=-110.0, plate=(40.0, 40.0)),
    }
    for key in list(sites):
        sites[key + ":left"] = mirrored_site(sites[key], "pelvis_l")
    soft = (Ellipse(0.0, -30.0, 205.0, 190.0, 0.0, 4), Rod(-110.0, 60.0, -120.0, 300.0, 75.0, 70.0),
            mirrored_prim(Rod(-110.0, 60.0, -120.0, 300.0, 75.0, 70.0)))
    return Layout(fov=(430.0, 350.0), soft=soft, bones=tuple(bones), sites=sites, soft_mu=0.37, bone_mu=0.86)
