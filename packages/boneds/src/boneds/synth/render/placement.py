"""Placement: a body part's layout put on the detector for one patient (age, sex, side) and the
study's findings. Age sets the size, which ossification centres exist and how wide the growth
plates are; a small positioning jitter varies every image.
"""

from __future__ import annotations

import numpy as np

from ..model import Findings
from .findings import add_fracture, add_implants, add_joint, choose_site, joint_gap_mm
from .layout import Bone, Point
from .primitives import Affine, Prim, Rod
from .scene import Scene, SceneBone, ScenePart, normal_toward
from .tables import layout_for


def age_scale(age_years: float) -> float:
    """Linear size of a child's skeleton relative to an adult's."""
    return float(np.interp(age_years, [0, 1, 3, 6, 10, 14, 17], [0.34, 0.45, 0.57, 0.68, 0.8, 0.94, 1.0]))


def physis_width_mm(age_years: float) -> float:
    """Width of an open growth plate: wide in young children, thin near skeletal maturity."""
    return 1.9 * float(np.clip((17.0 - age_years) / 12.0, 0.15, 1.0))


def image_shape(fov: tuple[float, float], long_side_px: int) -> tuple[int, int]:
    """(H, W) of an image whose long side is long_side_px, with the field's aspect ratio."""
    w, h = fov
    if w >= h:
        return max(8, round(long_side_px * h / w)), long_side_px
    return long_side_px, max(8, round(long_side_px * w / h))


def build_scene(body_part: str, view: str, laterality: str, findings: Findings, age_years: float, sex: str,
                long_side_px: int, rng: np.random.Generator) -> Scene:
    """Place a body part's layout on the detector for this patient and these findings."""
    layout = layout_for(body_part, view, joint_gap_mm(body_part, findings))
    grow = age_scale(age_years)
    adult_f = 1.0 - (0.06 if sex == "F" else 0.0) * min(1.0, age_years / 14.0)
    fov_scale = 0.55 + 0.45 * grow
    fov = (layout.fov[0] * fov_scale, layout.fov[1] * fov_scale)
    shape = image_shape(fov, long_side_px)
    spacing = max(fov) / long_side_px
    jitter_deg = 2.5 if layout.joint is not None else 4.0
    angle = float(rng.uniform(-jitter_deg, jitter_deg))
    scale = grow * adult_f * float(rng.uniform(0.96, 1.04)) / spacing
    tx = shape[1] / 2 + float(rng.uniform(-0.03, 0.03)) * shape[1]
    ty = shape[0] / 2 + float(rng.uniform(-0.03, 0.03)) * shape[0]
    to_px = Affine.similarity(scale, angle, tx, ty, mirror=(laterality == "L"))
    scene = Scene(shape, spacing, to_px, [p.transformed(to_px) for p in layout.soft], layout.soft_mu,
                  layout.bone_mu, [], [], None, age_years)
    removed = set(layout.prosthesis.remove) if (findings.prosthesis and layout.prosthesis) else set()
    site = choose_site(layout, findings, float(rng.uniform()))
    # a fractured bone is always drawn, even before its usual ossification age (labels stay true)
    forced = (site.bone, site.parts or ()) if (site is not None and findings.fracture is not None) else None
    for bone in layout.bones:
        force = forced[1] if (forced is not None and bone.name == forced[0]) else None
        placed = _place_bone(bone, to_px, age_years, findings.growth_plates_open, removed, force)
        if placed is not None:
            scene.bones.append(placed)
    add_fracture(scene, site, findings, rng)
    add_implants(scene, layout, site, findings)
    add_joint(scene, layout, findings)
    return scene


def _place_bone(bone: Bone, to_px: Affine, age: float, plates_open: bool, removed: set[tuple[str, str]],
                force: tuple[str, ...] | None = None) -> SceneBone | None:
    """A layout bone in pixels for this age (None when not yet ossified or fully removed).
    `force` (the fractured bone): draw the bone, and these parts, even when not yet ossified."""
    if bone.onset is not None and age < bone.onset and force is None:
        return None
    bone_f = 1.0 if bone.onset is None else _growth(age, bone.onset, bone.span)
    cx = float(np.mean([_centre(p.prim)[0] for p in bone.parts]))
    cy = float(np.mean([_centre(p.prim)[1] for p in bone.parts]))
    parts: list[ScenePart] = []
    present: set[str] = set()
    for part in bone.parts:
        unossified = part.onset is not None and age < part.onset and not (force and part.name in force)
        if (bone.name, part.name) in removed or unossified:
            continue
        prim = part.prim
        holes = part.holes
        if bone_f < 1.0:
            prim = _scale_about(prim, bone_f, cx, cy)
            holes = tuple(_scale_about(h, bone_f, cx, cy) for h in holes)
        if part.onset is not None:
            forced = age < part.onset  # only a fractured part gets here before its onset
            prim = prim.scaled(0.7 if forced else _growth(age, part.onset, part.span))
        parts.append(ScenePart(part.name, prim.transformed(to_px), rim=part_rim(part.prim, bone.cortex),
                               holes=tuple(h.transformed(to_px) for h in holes)))
        present.add(part.name)
    if not parts:
        return None
    placed = SceneBone(bone.name, parts, bone.cortex, bone.medulla, bone.mu, bone.blend,
                       sclerosis=[(p.transformed(to_px), amount) for p, amount in bone.dense])
    child = age < 16.5
    for ph in bone.physes:
        if ph.epiphysis and not any(name.startswith(ph.epiphysis) for name in present):
            continue
        a, b, toward = to_px.point(*ph.a), to_px.point(*ph.b), to_px.point(*ph.toward)
        if child and ph.epiphysis:
            _clip_at_physis(placed, ph.epiphysis, a, b, toward)
        if plates_open and age < 18.0:
            width = physis_width_mm(age) * to_px.scale
            placed.physes.append((a, b, max(width, 1.3)))
    return placed


def part_rim(prim: Prim, cortex: float) -> float:
    """Inner radius (rho) of a part's cortex: thick-walled shafts keep the bone's value, large ends
    and flat bones get a thin shell of a few millimetres."""
    thickness = 4.0 if isinstance(prim, Rod) else 2.0
    return max(cortex, 1.0 - thickness / max(prim.size, 1e-6))


def _growth(age: float, onset: float, span: float) -> float:
    """Size of an ossification centre relative to its mature size."""
    g = float(np.clip((age - onset) / span, 0.0, 1.0))
    return 0.35 + 0.65 * g


def _centre(prim: Prim) -> Point:
    if isinstance(prim, Rod):
        return (prim.x0 + prim.x1) / 2, (prim.y0 + prim.y1) / 2
    return prim.cx, prim.cy


def _scale_about(prim: Prim, f: float, cx: float, cy: float) -> Prim:
    m = Affine(f, 0.0, 0.0, f, cx * (1 - f), cy * (1 - f))
    return prim.transformed(m)


def _clip_at_physis(bone: SceneBone, epiphysis: str, a: Point, b: Point, toward: Point) -> None:
    """Keep the epiphysis on its side of the growth plate and the metaphysis on the other."""
    nx, ny = normal_toward(a, b, toward)
    for part in bone.parts:
        if part.name.startswith(epiphysis):
            part.clips += ((a[0], a[1], nx, ny),)
        else:
            part.clips += ((a[0], a[1], -nx, -ny),)
