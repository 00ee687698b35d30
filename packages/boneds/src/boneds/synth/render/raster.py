"""Rasteriser: draws a `Scene` into attenuation layers (soft tissue, bone, metal) and masks.

Each bone is drawn on its own bounding window only. A fractured bone is drawn as two fields: the
stationary fragment and the moving fragment (displaced by the cut's transform), each cut along the
fracture line; their attenuations add, so overlapping fragments look denser.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from .film_utils import upsample
from .primitives import BIG, Affine, Box, Prim, Rod, bone_profile, clip_box, grid, smin, soft_profile, sub, union_box
from .scene import Cut, HalfPlane, Scene, SceneBone

PHYSIS_KEEP = 0.2  # fraction of bone attenuation left in an open growth plate (cartilage)


@dataclass
class Layers:
    """Attenuation layers and masks of a scene, before exposure and noise."""

    soft: np.ndarray  # float32, soft-tissue thickness profile (0..~1.4)
    bone: np.ndarray  # float32, bone attenuation (already scaled by the bone's mu)
    metal: np.ndarray  # float32, metal density (0 outside metal)
    masks: dict[str, np.ndarray]


Shape = tuple[Prim, tuple[HalfPlane, ...], float, tuple[Prim, ...]]  # primitive, half-planes kept, rim, holes


def rasterize(scene: Scene) -> Layers:
    """Draw every layer of a scene."""
    h, w = scene.shape
    soft, envelope = _draw_soft(scene)
    bone = np.zeros((h, w), np.float32)
    masks = {k: np.zeros((h, w), bool) for k in ("bone", "fracture", "physis", "osteophyte", "joint_space")}
    joint_bones: dict[str, tuple[Box, np.ndarray]] = {}
    wanted = set(scene.joint[:2]) if scene.joint else set()
    for sb in scene.bones:
        drawn = _draw_bone(sb, scene.shape)
        if drawn is None:
            continue
        box, mu, mask, frac, phys = drawn
        sl = (slice(box[1], box[3]), slice(box[0], box[2]))
        bone[sl] += mu * np.float32(sb.mu)
        masks["bone"][sl] |= mask
        if frac is not None:
            masks["fracture"][sl] |= frac
        if phys is not None:
            masks["physis"][sl] |= phys
        if sb.osteophyte:
            masks["osteophyte"][sl] |= mask
        if sb.name in wanted:
            joint_bones[sb.name] = (box, mask)
    metal, metal_mask = _draw_metal(scene)
    masks["metal"] = metal_mask
    masks["fracture"] &= ~metal_mask
    masks["physis"] &= ~metal_mask
    masks["soft_tissue"] = envelope & ~masks["bone"] & ~metal_mask
    if scene.joint and all(n in joint_bones for n in scene.joint[:2]):
        _joint_space(masks["joint_space"], joint_bones[scene.joint[0]], joint_bones[scene.joint[1]], scene.joint[2],
                     scene.spacing_mm)
    return Layers(soft, bone, metal, masks)


def _draw_soft(scene: Scene) -> tuple[np.ndarray, np.ndarray]:
    """Soft-tissue thickness: the union (max) of rounded limb and trunk shapes, plus the scene's
    swellings, drawn at a reduced resolution (it is smooth) and upsampled."""
    h, w = scene.shape
    f = max(1, round(max(h, w) / 400))
    hl, wl = -(-h // f), -(-w // f)
    soft = np.zeros((hl, wl), np.float32)
    down = Affine(1.0 / f, 0.0, 0.0, 1.0 / f, 0.0, 0.0)
    for prim in scene.soft:
        low = prim.transformed(down)
        box = clip_box(low.bbox(), (hl, wl))
        if box is None:
            continue
        xs, ys = grid(box)
        rho = low.rho(xs, ys)
        size_mm = prim.size * scene.spacing_mm
        weight = np.float32(np.clip((size_mm / 25.0) ** 0.35, 0.55, 1.5))
        sl = (slice(box[1], box[3]), slice(box[0], box[2]))
        np.maximum(soft[sl], soft_profile(rho) * weight, out=soft[sl])
    for prim, amount in scene.swellings:  # added on top: the limb's outline bulges and thickens there
        low = prim.transformed(down)
        box = clip_box(low.bbox(), (hl, wl))
        if box is None:
            continue
        xs, ys = grid(box)
        sl = (slice(box[1], box[3]), slice(box[0], box[2]))
        soft[sl] += np.float32(amount) * soft_profile(low.rho(xs, ys))
    soft = upsample(soft, f, (h, w))
    return soft, soft > np.float32(0.02)


def _box_of(shapes: list[Shape], shape: tuple[int, int], margin: float = 0.3) -> Box | None:
    boxes = [b for b in (clip_box(p.bbox(margin=p.size * margin), shape) for p, _, _, _ in shapes) if b is not None]
    return union_box(boxes)


def _union(shapes: list[Shape], box: Box, k: float, cortex: float) -> np.ndarray:
    """rho of the smooth union of clipped primitives on a window; each part's rho is remapped so
    that its own cortex rim lands on the bone's `cortex`."""
    out = np.full((box[3] - box[1], box[2] - box[0]), BIG, dtype=np.float32)
    for prim, clips, rim, holes in shapes:
        pb = clip_box(prim.bbox(margin=prim.size * 0.3), (box[3], box[2]))
        if pb is None:
            continue
        pb = (max(pb[0], box[0]), max(pb[1], box[1]), pb[2], pb[3])
        if pb[2] <= pb[0] or pb[3] <= pb[1]:
            continue
        xs, ys = grid(pb)
        rho = prim.rho(xs, ys)
        if rim > cortex + 0.01:
            rho = np.where(rho < rim, rho * np.float32(cortex / rim),
                           np.float32(cortex) + (rho - np.float32(rim)) * np.float32((1 - cortex) / (1 - rim)))
        for hole in holes:
            rho = np.where(hole.rho(xs, ys) < 1.0, BIG, rho)
        for px, py, nx, ny in clips:
            rho = np.where((xs - np.float32(px)) * np.float32(nx) + (ys - np.float32(py)) * np.float32(ny) < 0, BIG, rho)
        sl = sub(box, pb)
        out[sl] = smin(out[sl], rho, k)
    return out


def _band(box: Box, a: tuple[float, float], b: tuple[float, float], width: float) -> np.ndarray:
    """Pixels of a window within width/2 of the segment a-b (square ends)."""
    xs, ys = grid(box)
    mx, my = (a[0] + b[0]) / 2, (a[1] + b[1]) / 2
    half = math.dist(a, b) / 2 or 1.0
    tx, ty = (b[0] - a[0]) / (2 * half), (b[1] - a[1]) / (2 * half)
    dx, dy = xs - np.float32(mx), ys - np.float32(my)
    s = np.abs(dx * np.float32(-ty) + dy * np.float32(tx))
    t = np.abs(dx * np.float32(tx) + dy * np.float32(ty))
    return (s < np.float32(width / 2)) & (t < np.float32(half))


def _move_clip(clip: HalfPlane, m: Affine) -> HalfPlane:
    px, py = m.point(clip[0], clip[1])
    ox, oy = m.point(0.0, 0.0)
    nx, ny = m.point(clip[2], clip[3])
    return px, py, nx - ox, ny - oy


def _draw_bone(sb: SceneBone, shape: tuple[int, int]) -> tuple[Box, np.ndarray, np.ndarray, np.ndarray | None,
                                                               np.ndarray | None] | None:
    """One bone's attenuation profile, mask, fracture lucency and physis bands on its window."""
    cut = sb.cut
    if cut is None:
        shapes = [(p.prim, p.clips, p.rim, p.holes) for p in sb.parts]
        box = _box_of(shapes, shape)
        if box is None:
            return None
        rho = _union(shapes, box, sb.blend, sb.cortex)
        mu = bone_profile(rho, sb.cortex, sb.medulla)
        mask = rho < 1.0
        frac = None
    else:
        box, mu, mask, frac = _draw_fractured(sb, cut, shape) or (None, None, None, None)
        if box is None:
            return None
    phys = _draw_physes(sb, box, mu, mask)
    for prim, amount in sb.sclerosis:
        pb = clip_box(prim.bbox(), (box[3], box[2]))
        if pb is None:
            continue
        pb = (max(pb[0], box[0]), max(pb[1], box[1]), pb[2], pb[3])
        if pb[2] <= pb[0] or pb[3] <= pb[1]:
            continue
        xs, ys = grid(pb)
        sl = sub(box, pb)
        mu[sl] += np.float32(amount) * soft_profile(prim.rho(xs, ys)) * mask[sl]
    return box, mu, mask, frac, phys


def _draw_fractured(sb: SceneBone, cut: Cut, shape: tuple[int, int]):
    """Stationary and moving fragments of a fractured bone, with the lucent line."""
    moving = [p for p in sb.parts if cut.parts is None or p.name in cut.parts]
    staying = [p for p in sb.parts if not (cut.parts is None or p.name in cut.parts)]
    a, b, (nx, ny) = cut.a, cut.b, cut.normal
    keep_stay = (a[0], a[1], -nx, -ny)
    keep_move = _move_clip((a[0], a[1], nx, ny), cut.move)
    stay_shapes = [(p.prim, p.clips, p.rim, p.holes) for p in staying] + [
        (p.prim, p.clips + (keep_stay,), p.rim, p.holes) for p in moving]
    move_shapes = [(p.prim.transformed(cut.move), tuple(_move_clip(c, cut.move) for c in p.clips) + (keep_move,),
                    p.rim, tuple(h.transformed(cut.move) for h in p.holes)) for p in moving]
    box = _box_of(stay_shapes + move_shapes, shape)
    if box is None:
        return None
    rho_s = _union(stay_shapes, box, sb.blend, sb.cortex)
    band_s = _band(box, a, b, cut.width)
    frac = band_s & (rho_s < 1.0)
    rho_s[band_s] = BIG
    ma, mb = cut.move.point(*a), cut.move.point(*b)
    rho_m = _union(move_shapes, box, sb.blend, sb.cortex)
    band_m = _band(box, ma, mb, cut.width)
    frac |= band_m & (rho_m < 1.0)
    rho_m[band_m] = BIG
    mu = bone_profile(rho_s, sb.cortex, sb.medulla) + bone_profile(rho_m, sb.cortex, sb.medulla)
    mask = (rho_s < 1.0) | (rho_m < 1.0)
    return box, mu, mask, frac & ~mask


def _draw_physes(sb: SceneBone, box: Box, mu: np.ndarray, mask: np.ndarray) -> np.ndarray | None:
    """Open growth plates: lucent bands across the bone; removed from the bone mask."""
    if not sb.physes:
        return None
    phys = np.zeros_like(mask)
    for a, b, width in sb.physes:
        phys |= _band(box, a, b, width) & mask
    mu[phys] *= np.float32(PHYSIS_KEEP)
    mask &= ~phys
    return phys


def _draw_metal(scene: Scene) -> tuple[np.ndarray, np.ndarray]:
    """Metal density (0.935 at the edge to 0.98 on the axis) and mask."""
    h, w = scene.shape
    metal = np.zeros((h, w), np.float32)
    mask = np.zeros((h, w), bool)
    for prim in scene.metal:
        if isinstance(prim, Rod) and min(prim.r0, prim.r1) < 0.7:  # thin wires stay about a pixel wide
            prim = replace(prim, r0=max(prim.r0, 0.7), r1=max(prim.r1, 0.7))
        box = clip_box(prim.bbox(), scene.shape)
        if box is None:
            continue
        xs, ys = grid(box)
        rho = prim.rho(xs, ys)
        inside = rho < 1.0
        sl = (slice(box[1], box[3]), slice(box[0], box[2]))
        val = np.where(inside, np.float32(0.935) + np.float32(0.045) * soft_profile(rho), np.float32(0.0))
        np.maximum(metal[sl], val, out=metal[sl])
        mask[sl] |= inside
    return metal, mask


def _joint_space(out: np.ndarray, upper: tuple[Box, np.ndarray], lower: tuple[Box, np.ndarray],
                 spans: list[tuple[float, float]], spacing_mm: float) -> None:
    """The gap between two bone ends, column by column, over the measured column spans."""
    box = union_box([upper[0], lower[0]])
    assert box is not None
    h, w = box[3] - box[1], box[2] - box[0]
    up = np.zeros((h, w), bool)
    lo = np.zeros((h, w), bool)
    up[sub(box, upper[0])] = upper[1]
    lo[sub(box, lower[0])] = lower[1]
    cols = np.arange(box[0], box[2], dtype=np.float32) + np.float32(0.5)
    valid = np.zeros(w, bool)
    for x0, x1 in spans:
        valid |= (cols >= x0) & (cols <= x1)
    rows = np.arange(h)[:, None]
    has_lo = lo.any(axis=0)
    lo_top = np.where(has_lo, lo.argmax(axis=0), h)
    above = up & (rows < lo_top[None, :])
    has_up = above.any(axis=0)
    up_bottom = np.where(has_up, h - 1 - above[::-1].argmax(axis=0), -1)
    height = lo_top - up_bottom - 1
    valid &= has_lo & has_up & (height <= 14.0 / spacing_mm)
    gap = (rows > up_bottom[None, :]) & (rows < lo_top[None, :]) & valid[None, :]
    out[box[1]:box[3], box[0]:box[2]] |= gap
