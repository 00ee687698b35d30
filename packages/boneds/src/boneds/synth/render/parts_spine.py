"""Bone layouts of the lumbar spine, T12 to the sacrum (AP, and lateral with anterior on the left)."""

from __future__ import annotations

from .layout import Bone, Layout, Part, Point, Site, mirrored_prim, shifted_bone, shifted_site, unit
from .primitives import Ellipse, Prim, Rod

# Levels: name, body height, body half-width (AP view), body half-depth (lateral view),
# lordosis offset (mm, anterior negative) and tilt (degrees) in the lateral view.
_LEVELS: tuple[tuple[str, float, float, float, float, float], ...] = (
    ("t12", 23.0, 20.0, 15.5, 8.0, -4.0),
    ("l1", 25.0, 21.0, 16.0, 4.0, -2.0),
    ("l2", 26.0, 22.0, 16.5, 0.0, 0.0),
    ("l3", 27.0, 23.5, 17.0, -3.0, 3.0),
    ("l4", 27.0, 24.5, 17.5, -3.0, 6.0),
    ("l5", 26.0, 25.5, 18.0, 1.0, 12.0),
)
_DISC = (9.0, 10.0, 10.0, 10.5, 11.0)
_TOP = -172.0


def _centres() -> list[float]:
    """Vertical centres of the vertebral bodies."""
    ys = [_TOP + _LEVELS[0][1] / 2]
    for i in range(1, len(_LEVELS)):
        ys.append(ys[-1] + _LEVELS[i - 1][1] / 2 + _DISC[i - 1] + _LEVELS[i][1] / 2)
    return ys


def _vertebra_ap(name: str, y: float, h: float, w: float) -> list[Bone]:
    """Body, pedicle rings and posterior arch of one vertebra, AP view."""
    body = Bone(name, (Part("body", Ellipse(0.0, y, w, h / 2, 0.0, 4)),), cortex=0.86, medulla=0.62)
    pedicles = [Bone(f"{name}_ped{side}", (Part("ring", Ellipse(sx * 0.6 * w, y - 0.22 * h, 4.2, 6.5)),),
                     cortex=0.5, medulla=0.2, mu=0.55) for side, sx in (("r", -1.0), ("l", 1.0))]
    span = 16.0 + (8.0 if name == "l3" else 0.0)
    arch = Bone(f"{name}_arch", (
        Part("lamina", Ellipse(0.0, y + 0.3 * h, 0.55 * w, 0.28 * h, 0.0, 3)),
        Part("spinous", Ellipse(0.0, y + 0.42 * h, 4.0, 9.0)),
        Part("tp_r", Rod(-0.7 * w, y - 0.12 * h, -(w + span), y - 0.18 * h, 4.5, 3.2)),
        Part("tp_l", Rod(0.7 * w, y - 0.12 * h, w + span, y - 0.18 * h, 4.5, 3.2)),
    ), cortex=0.75, medulla=0.5, mu=0.45)
    return [body, *pedicles, arch]


def _vertebra_lat(name: str, y: float, h: float, d: float, x: float, tilt: float) -> list[Bone]:
    """Body and posterior elements of one vertebra, lateral view (anterior on the left)."""
    body = Bone(name, (Part("body", Ellipse(x, y, d, h / 2, tilt, 4)),), cortex=0.86, medulla=0.62)
    ux, uy = unit(tilt)
    px, py = x + ux * d, y + uy * d - 0.2 * h
    post = Bone(f"{name}_post", (
        Part("pedicle", Rod(px - 2.0 * ux, py, px + 16.0 * ux, py + 16.0 * uy, 5.5, 5.0)),
        Part("facets", Ellipse(px + 20.0, py + 6.0, 7.5, 0.55 * h, 90.0 + tilt)),
        Part("spinous", Rod(px + 22.0, py + 8.0, px + 46.0, py + 12.0, 6.0, 5.0)),
    ), cortex=0.75, medulla=0.5, mu=0.6)
    return [body, post]


def _pedicle_screws(view: str, levels: tuple[int, int]) -> tuple[Prim, ...]:
    """Pedicle screws in two levels and the rods joining them."""
    ys = _centres()
    out: list[Prim] = []
    heads: list[Point] = []
    for i in levels:
        name, h, w, d, x, tilt = _LEVELS[i]
        y = ys[i]
        if view == "lateral":
            ux, uy = unit(tilt)
            start = (x + ux * (d + 30.0), y + uy * (d + 30.0) - 0.2 * h)
            out.append(Rod(start[0], start[1], x - 0.5 * d, y, 3.2, 2.8))
            heads.append(start)
        else:
            for sx in (-1.0, 1.0):
                out.append(Rod(sx * 0.62 * w, y - 0.2 * h, sx * 0.2 * w, y - 0.15 * h, 3.4, 3.0))
            heads.append((0.62 * w, y - 0.2 * h))
    (x0, y0), (x1, y1) = heads
    if view == "lateral":
        out.append(Rod(x0, y0, x1, y1, 3.0, 3.0))
    else:
        for sx in (-1.0, 1.0):
            out.append(Rod(sx * x0, y0 - 6.0, sx * x1, y1 + 6.0, 3.0, 3.0))
    return tuple(out)


def _site(view: str, index: int) -> Site:
    """A fracture across a vertebral body at mid-height; the upper half moves."""
    name, h, w, d, x, tilt = _LEVELS[index]
    y = _centres()[index]
    if view == "lateral":
        ux, uy = unit(tilt)
        half = d + 6.0
        a, b = (x - ux * half, y - uy * half), (x + ux * half, y + uy * half)
        toward = (x + uy * h, y - ux * h)
    else:
        a, b, toward = (-w - 6.0, y), (w + 6.0, y), (0.0, y - h)
    metal = _pedicle_screws(view, (index - 1, index + 1))
    return Site(name, a, b, toward, parts=("body",), implant="custom", metal=metal)


def spine(view: str, gap_mm: float) -> Layout:
    """Lumbar spine, AP ("frontal") or lateral."""
    ys = _centres()
    bones: list[Bone] = []
    for (name, h, w, d, x, tilt), y in zip(_LEVELS, ys, strict=True):
        bones += _vertebra_lat(name, y, h, d, x, tilt) if view == "lateral" else _vertebra_ap(name, y, h, w)
    if view == "lateral":
        sacrum = Bone("sacrum", (Part("body", Ellipse(22.0, ys[-1] + 62.0, 45.0, 18.0, 60.0, 3)),), cortex=0.86,
                      medulla=0.6)
        iliac = Bone("ilium", (Part("wing", Ellipse(40.0, ys[-1] + 15.0, 70.0, 42.0, 60.0)),), cortex=0.93,
                     medulla=0.7, mu=0.3)
        ribs = [Bone("rib12", (Part("rib", Rod(25.0, ys[0] - 5.0, 80.0, ys[0] + 30.0, 5.0, 4.0)),), cortex=0.6,
                     medulla=0.45, mu=0.5)]
        soft: tuple[Prim, ...] = (Ellipse(-5.0, 0.0, 135.0, 300.0, 0.0, 4),)
        fov = (240.0, 430.0)
    else:
        sacrum = Bone("sacrum", (Part("body", Ellipse(0.0, ys[-1] + 75.0, 48.0, 50.0, 0.0, 3)),), cortex=0.86,
                      medulla=0.6, mu=0.8)
        wing = Ellipse(-100.0, ys[-1] + 70.0, 62.0, 48.0, 28.0)
        iliac = Bone("ilium", (Part("wing_r", wing), Part("wing_l", mirrored_prim(wing))), cortex=0.9, medulla=0.6,
                     mu=0.7)
        rib = Rod(-22.0, ys[0] - 4.0, -85.0, ys[0] + 22.0, 5.0, 4.0)
        ribs = [Bone("rib12", (Part("r", rib), Part("l", mirrored_prim(rib))), cortex=0.6, medulla=0.45, mu=0.5)]
        psoas = Rod(-30.0, ys[1], -62.0, ys[-1] + 40.0, 20.0, 26.0)
        soft = (Ellipse(0.0, 0.0, 160.0, 300.0, 0.0, 4), psoas, mirrored_prim(psoas))
        fov = (190.0, 430.0)
    bones += [sacrum, iliac, *ribs]
    sites = {"vertebral_body_l1": _site(view, 1), "vertebral_body_l3": _site(view, 3)}
    if view == "lateral":  # centre the column (bodies and posterior elements) in the field
        bones = [shifted_bone(b, -22.0, 0.0) for b in bones]
        sites = {k: shifted_site(s, -22.0, 0.0) for k, s in sites.items()}
    return Layout(fov=fov, soft=soft, bones=tuple(bones), sites=sites, soft_mu=0.34, bone_mu=0.88)
