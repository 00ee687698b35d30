"""Findings geometry: the fracture cut and displacement, osteosynthesis and prosthesis metal, and
the graded joint (space, osteophytes, subchondral sclerosis)."""

from __future__ import annotations

import math

import numpy as np

from ..model import Findings
from .layout import Layout, Osteophyte, Site, unit
from .primitives import Affine, Ellipse, Prim, Rod
from .scene import Cut, Scene, SceneBone, ScenePart, normal_toward

KNEE_GAP_MM = (5.6, 4.5, 3.2, 1.9, 0.6)  # joint space width by Kellgren-Lawrence grade
HIP_GAP_MM = (4.6, 3.8, 2.8, 1.7, 0.5)
OSTEOPHYTE_MM = (0.0, 0.0, 3.5, 6.0, 9.0)  # spur length by grade
SCLEROSIS = (0.0, 0.0, 0.0, 0.55, 0.85)  # extra subchondral attenuation by grade


def joint_gap_mm(body_part: str, findings: Findings) -> float:
    """Joint space width of the graded joint (knee, hip)."""
    table = KNEE_GAP_MM if body_part == "knee" else HIP_GAP_MM
    grade = findings.kl_grade if findings.kl_grade is not None else 0
    return table[int(np.clip(grade, 0, 4))]


def choose_site(layout: Layout, findings: Findings, draw: float) -> Site | None:
    """The fracture site, or the site whose bone carries an osteosynthesis without fracture. Sites
    with a ":left" variant (pelvis) fall on either side."""
    if findings.fracture is not None:
        site_id = findings.fracture.site
    elif findings.osteosynthesis and layout.sites:
        site_id = next(iter(layout.sites))
    else:
        return None
    if draw < 0.5 and f"{site_id}:left" in layout.sites:
        return layout.sites[f"{site_id}:left"]
    return layout.sites[site_id]


def add_fracture(scene: Scene, site: Site | None, findings: Findings, rng: np.random.Generator) -> None:
    """Cut the fractured bone along the site's line and displace the distal fragment."""
    fr = findings.fracture
    draws = rng.uniform(0.0, 1.0, size=6)  # drawn always: other findings keep the same stream
    if fr is None or site is None:
        return
    bone = next((b for b in scene.bones if b.name == site.bone), None)
    if bone is None:
        return
    t = scene.to_px
    a, b, toward = t.point(*site.a), t.point(*site.b), t.point(*site.toward)
    normal = normal_toward(a, b, toward)
    side = max(scene.shape) / 1024.0
    width = max((2.4 + 1.4 * draws[0]) * side, 1.5)
    move = Affine()
    if fr.displaced:
        width *= 1.5
        half = math.dist(a, b) / 2
        tangent = ((b[0] - a[0]) / (2 * half), (b[1] - a[1]) / (2 * half))
        hinge, end = (a, b) if draws[1] < 0.5 else (b, a)
        angle = 5.0 + 7.0 * draws[2]
        # open the fracture away from the hinge: the far end moves toward the moving side
        vx, vy = end[0] - hinge[0], end[1] - hinge[1]
        if (-vy * normal[0] + vx * normal[1]) < 0:
            angle = -angle
        shift_t = (0.2 + 0.2 * draws[3]) * half * (1 if draws[4] < 0.5 else -1)
        shift_n = (0.02 + 0.04 * draws[5]) * half + width * 0.3
        dx = tangent[0] * shift_t + normal[0] * shift_n
        dy = tangent[1] * shift_t + normal[1] * shift_n
        move = Affine.rotation_about(hinge[0], hinge[1], angle, dx, dy)
    parts = frozenset(site.parts) if site.parts is not None else None
    bone.cut = Cut(a, b, normal, width, parts, move)
    if not findings.osteosynthesis:
        scene.swellings.append(fracture_swelling(a, b, fr.displaced, draws[0]))


# Soft-tissue swelling around an acute fracture (haematoma, oedema): an ellipse centred on the fracture
# line, longer along the bone than across it, that thickens the soft tissue and bulges the limb's outline.
SWELLING_ACROSS = 3.2   # semi-axis across the bone, in bone half-widths
SWELLING_ALONG = 4.5    # semi-axis along the bone, in bone half-widths
SWELLING_THICKNESS = (0.45, 0.75)  # extra soft-tissue thickness at the centre: non-displaced, displaced


def fracture_swelling(a: tuple[float, float], b: tuple[float, float], displaced: bool,
                      draw: float) -> tuple[Ellipse, float]:
    """The swelling of a fracture whose line crosses the bone from `a` to `b` (pixels): its shape and
    its extra thickness (a displaced fracture swells more; `draw` in [0, 1) varies it by +-20 %)."""
    half_width = math.dist(a, b) / 2 / 1.35  # the site's line overhangs the bone by about 35 %
    along_line = math.degrees(math.atan2(b[1] - a[1], b[0] - a[0]))
    shape = Ellipse((a[0] + b[0]) / 2, (a[1] + b[1]) / 2, SWELLING_ACROSS * half_width,
                    SWELLING_ALONG * half_width, along_line)
    return shape, SWELLING_THICKNESS[int(displaced)] * (0.8 + 0.4 * draw)


def add_implants(scene: Scene, layout: Layout, site: Site | None, findings: Findings) -> None:
    """Metal: osteosynthesis along the fractured bone, or the layout's prosthesis."""
    shapes: list[Prim] = []
    if findings.prosthesis and layout.prosthesis is not None:
        shapes += layout.prosthesis.metal
    if findings.osteosynthesis and site is not None:
        shapes += osteosynthesis_shapes(site)
    scene.metal += [p.transformed(scene.to_px) for p in shapes]


def osteosynthesis_shapes(site: Site) -> list[Prim]:
    """Implant shapes (mm) for a fracture site: a plate with screws, crossed K-wires or a screw."""
    if site.implant == "custom":
        return list(site.metal)
    mx, my = (site.a[0] + site.b[0]) / 2, (site.a[1] + site.b[1]) / 2
    half_width = math.dist(site.a, site.b) / 2 / 1.35
    axis = site.axis
    if axis is None:
        n = normal_toward(site.a, site.b, site.toward)
        axis = math.degrees(math.atan2(n[1], n[0]))
    ux, uy = unit(axis)
    vx, vy = -uy, ux
    r = half_width
    if site.implant == "kwires":
        out: list[Prim] = []
        for sgn in (1.0, -1.0):
            dx, dy = unit(axis + sgn * 24.0)
            out.append(Rod(mx - dx * 3.2 * r + vx * sgn * 0.2 * r, my - dy * 3.2 * r + vy * sgn * 0.2 * r,
                           mx + dx * 2.6 * r, my + dy * 2.6 * r, 0.75, 0.7))
        return out
    if site.implant == "screw":
        return [Rod(mx - ux * 1.3 * r, my - uy * 1.3 * r, mx + ux * 1.3 * r, my + uy * 1.3 * r, 1.9, 1.7)]
    plate_off = 0.6 * r
    plate_half = float(np.clip(0.3 * r, 2.2, 6.0))
    back, fwd = site.plate if site.plate is not None else (3.4 * r, 3.4 * r)
    px, py = mx + vx * plate_off, my + vy * plate_off
    out = [Rod(px - ux * back, py - uy * back, px + ux * fwd, py + uy * fwd, plate_half, plate_half)]
    screw_r = float(np.clip(0.09 * r, 0.9, 2.4))
    gap = max(0.7 * r, 5.0)  # no screw right next to the fracture
    pitch = max(9.0, 1.1 * r)
    spots: list[float] = []
    for side, length in ((-1.0, back), (1.0, fwd)):
        n = int(np.clip((length - gap - plate_half) // pitch + 1, 1, 4))
        spots += [side * float(k) for k in np.linspace(gap, max(gap, length - plate_half), n)]
    for k in spots:
        sx, sy = px + ux * k, py + uy * k
        out.append(Rod(sx + vx * 0.55 * r, sy + vy * 0.55 * r, sx - vx * 1.5 * r, sy - vy * 1.5 * r, screw_r * 1.15,
                       screw_r))
    return out


def add_joint(scene: Scene, layout: Layout, findings: Findings) -> None:
    """Graded joint: measured columns, osteophytes and sclerosis (no joint left under a prosthesis)."""
    joint = layout.joint
    if joint is None or (findings.prosthesis and layout.prosthesis is not None):
        return
    t = scene.to_px
    spans = []
    for x0, x1 in joint.columns:
        p0, p1 = t.point(x0, joint.y), t.point(x1, joint.y)
        spans.append((min(p0[0], p1[0]), max(p0[0], p1[0])))
    scene.joint = (joint.upper, joint.lower, spans)
    grade = findings.kl_grade
    if grade is None:
        return
    length = OSTEOPHYTE_MM[grade]
    if length > 0:
        for i, spur in enumerate(joint.osteophytes):
            scene.bones.append(_osteophyte(spur, length, i, t))
    if SCLEROSIS[grade] > 0:
        by_name = {b.name: b for b in scene.bones}
        for name, prim in joint.sclerosis:
            if name in by_name:
                by_name[name].sclerosis.append((prim.transformed(t), SCLEROSIS[grade]))


def _osteophyte(spur: Osteophyte, length: float, index: int, t: Affine) -> SceneBone:
    """A marginal osteophyte: a small spur of bone pointing away from the joint."""
    ux, uy = unit(spur.angle)
    prim = Ellipse(spur.x + ux * length * 0.35, spur.y + uy * length * 0.35, length * 0.65, length * 0.36, spur.angle)
    return SceneBone(f"osteophyte_{index}_{spur.bone}", [ScenePart("spur", prim.transformed(t))], 0.75, 0.75, 0.9,
                     0.1, osteophyte=True)
