"""Shape primitives of the renderer: ellipses (and superellipses), tapered rods and arcs.

Every primitive gives a normalised radial coordinate `rho` on a pixel window: 0 on its axis or
centre, 1 on its outline, > 1 outside. Bones, soft tissue and implants are unions of primitives
(`smin` of their rho), and their projected thickness is a profile of rho (`bone_profile`).

Coordinates are (x, y) with y pointing down (image rows). Angles are in degrees, measured from +x
towards +y. Layout tables use millimetres; the scene transforms them into pixels (`Affine`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

BIG = np.float32(9.0)  # rho of "far outside": finite, so arithmetic stays cheap and exact

Box = tuple[int, int, int, int]  # x0, y0, x1, y1 (pixels, half-open)


@dataclass(frozen=True)
class Affine:
    """x' = a x + b y + tx, y' = c x + d y + ty: a similarity, possibly with a reflection."""

    a: float = 1.0
    b: float = 0.0
    c: float = 0.0
    d: float = 1.0
    tx: float = 0.0
    ty: float = 0.0

    @staticmethod
    def similarity(scale: float, angle_deg: float, tx: float, ty: float, mirror: bool = False) -> Affine:
        """Mirror x (when asked), scale, rotate by angle, then translate."""
        cs, sn = math.cos(math.radians(angle_deg)), math.sin(math.radians(angle_deg))
        mx = -1.0 if mirror else 1.0
        return Affine(scale * cs * mx, -scale * sn, scale * sn * mx, scale * cs, tx, ty)

    @staticmethod
    def rotation_about(px: float, py: float, angle_deg: float, dx: float = 0.0, dy: float = 0.0) -> Affine:
        """Rotation about (px, py), followed by a translation (dx, dy)."""
        cs, sn = math.cos(math.radians(angle_deg)), math.sin(math.radians(angle_deg))
        return Affine(cs, -sn, sn, cs, px - cs * px + sn * py + dx, py - sn * px - cs * py + dy)

    @property
    def scale(self) -> float:
        """The isotropic scale factor."""
        return math.sqrt(abs(self.a * self.d - self.b * self.c))

    @property
    def reflects(self) -> bool:
        """True when the transform mirrors."""
        return self.a * self.d - self.b * self.c < 0

    def point(self, x: float, y: float) -> tuple[float, float]:
        """The image of a point."""
        return self.a * x + self.b * y + self.tx, self.c * x + self.d * y + self.ty

    def angle(self, angle_deg: float) -> float:
        """The image of a direction, as an angle in degrees."""
        ux, uy = math.cos(math.radians(angle_deg)), math.sin(math.radians(angle_deg))
        return math.degrees(math.atan2(self.c * ux + self.d * uy, self.a * ux + self.b * uy))

    def then(self, other: Affine) -> Affine:
        """`other` applied after `self`."""
        return Affine(
            other.a * self.a + other.b * self.c,
            other.a * self.b + other.b * self.d,
            other.c * self.a + other.d * self.c,
            other.c * self.b + other.d * self.d,
            other.a * self.tx + other.b * self.ty + other.tx,
            other.c * self.tx + other.d * self.ty + other.ty,
        )


def grid(box: Box) -> tuple[np.ndarray, np.ndarray]:
    """Pixel-centre coordinates of a window: xs of shape (1, w), ys of shape (h, 1), float32."""
    x0, y0, x1, y1 = box
    xs = np.arange(x0, x1, dtype=np.float32)[None, :] + np.float32(0.5)
    ys = np.arange(y0, y1, dtype=np.float32)[:, None] + np.float32(0.5)
    return xs, ys


@dataclass(frozen=True)
class Ellipse:
    """An ellipse (p = 2) or rounded rectangle (superellipse, p = 3 or 4) of semi-axes a (along
    `angle`) and b."""

    cx: float
    cy: float
    a: float
    b: float
    angle: float = 0.0
    p: int = 2

    def transformed(self, m: Affine) -> Ellipse:
        """The ellipse under a similarity."""
        cx, cy = m.point(self.cx, self.cy)
        return replace(self, cx=cx, cy=cy, a=self.a * m.scale, b=self.b * m.scale, angle=m.angle(self.angle))

    def squeezed(self, sx: float) -> Ellipse:
        """Approximate image under x -> sx * x (oblique views)."""
        cs, sn = math.cos(math.radians(self.angle)), math.sin(math.radians(self.angle))
        a = self.a * math.hypot(cs * sx, sn)
        b = self.b * math.hypot(sn * sx, cs)
        ang = math.degrees(math.atan2(sn, cs * sx))
        return replace(self, cx=self.cx * sx, a=a, b=b, angle=ang)

    def scaled(self, f: float) -> Ellipse:
        """Scaled about its own centre."""
        return replace(self, a=self.a * f, b=self.b * f)

    def bbox(self, margin: float = 0.0) -> tuple[float, float, float, float]:
        """Axis-aligned bounds (float pixels)."""
        cs, sn = math.cos(math.radians(self.angle)), math.sin(math.radians(self.angle))
        k = 1.0 if self.p == 2 else 1.26  # a superellipse reaches further along the diagonals
        hx = k * math.hypot(self.a * cs, self.b * sn) + margin
        hy = k * math.hypot(self.a * sn, self.b * cs) + margin
        return self.cx - hx, self.cy - hy, self.cx + hx, self.cy + hy

    def rho(self, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
        """Normalised radius on a grid."""
        cs, sn = np.float32(math.cos(math.radians(self.angle))), np.float32(math.sin(math.radians(self.angle)))
        dx, dy = xs - np.float32(self.cx), ys - np.float32(self.cy)
        u = (dx * cs + dy * sn) * np.float32(1.0 / self.a)
        v = (dy * cs - dx * sn) * np.float32(1.0 / self.b)
        if self.p == 2:
            return np.sqrt(u * u + v * v)
        if self.p == 4:
            u2, v2 = u * u, v * v
            return np.sqrt(np.sqrt(u2 * u2 + v2 * v2))
        return np.cbrt(np.abs(u * u * u) + np.abs(v * v * v))

    @property
    def size(self) -> float:
        """A typical half-thickness (the smaller semi-axis)."""
        return min(self.a, self.b)


@dataclass(frozen=True)
class Rod:
    """A capsule from (x0, y0) to (x1, y1) whose radius goes from r0 to r1."""

    x0: float
    y0: float
    x1: float
    y1: float
    r0: float
    r1: float

    def transformed(self, m: Affine) -> Rod:
        """The rod under a similarity."""
        x0, y0 = m.point(self.x0, self.y0)
        x1, y1 = m.point(self.x1, self.y1)
        return Rod(x0, y0, x1, y1, self.r0 * m.scale, self.r1 * m.scale)

    def squeezed(self, sx: float) -> Rod:
        """Image under x -> sx * x."""
        return replace(self, x0=self.x0 * sx, x1=self.x1 * sx)

    def scaled(self, f: float) -> Rod:
        """Scaled about its midpoint."""
        mx, my = (self.x0 + self.x1) / 2, (self.y0 + self.y1) / 2
        return Rod(mx + (self.x0 - mx) * f, my + (self.y0 - my) * f, mx + (self.x1 - mx) * f,
                   my + (self.y1 - my) * f, self.r0 * f, self.r1 * f)

    def bbox(self, margin: float = 0.0) -> tuple[float, float, float, float]:
        """Axis-aligned bounds (float pixels)."""
        r = max(self.r0, self.r1) + margin
        return min(self.x0, self.x1) - r, min(self.y0, self.y1) - r, max(self.x0, self.x1) + r, max(self.y0, self.y1) + r

    def rho(self, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
        """Distance to the axis segment divided by the local radius."""
        ux, uy = self.x1 - self.x0, self.y1 - self.y0
        length2 = max(ux * ux + uy * uy, 1e-9)
        dx, dy = xs - np.float32(self.x0), ys - np.float32(self.y0)
        s = np.clip((dx * np.float32(ux) + dy * np.float32(uy)) * np.float32(1.0 / length2), 0.0, 1.0)
        ex, ey = dx - s * np.float32(ux), dy - s * np.float32(uy)
        radius = np.float32(self.r0) + s * np.float32(self.r1 - self.r0)
        return np.sqrt(ex * ex + ey * ey) / radius

    @property
    def size(self) -> float:
        """The mean radius."""
        return (self.r0 + self.r1) / 2


@dataclass(frozen=True)
class Arc:
    """A band of half-width `half` along a circular arc of centre (cx, cy) and radius `radius`,
    from angle `start` over `span` degrees (increasing angle), with round ends."""

    cx: float
    cy: float
    radius: float
    half: float
    start: float
    span: float

    def transformed(self, m: Affine) -> Arc:
        """The arc under a similarity (a reflection reverses the direction of travel)."""
        cx, cy = m.point(self.cx, self.cy)
        a0, a1 = m.angle(self.start), m.angle(self.start + self.span)
        return Arc(cx, cy, self.radius * m.scale, self.half * m.scale, a1 if m.reflects else a0, self.span)

    def squeezed(self, sx: float) -> Arc:
        """Approximate image under x -> sx * x (centre only)."""
        return replace(self, cx=self.cx * sx)

    def scaled(self, f: float) -> Arc:
        """Scaled about its centre."""
        return replace(self, radius=self.radius * f, half=self.half * f)

    def _points(self, n: int = 17) -> tuple[np.ndarray, np.ndarray]:
        t = np.radians(self.start + self.span * np.linspace(0.0, 1.0, n))
        return self.cx + self.radius * np.cos(t), self.cy + self.radius * np.sin(t)

    def bbox(self, margin: float = 0.0) -> tuple[float, float, float, float]:
        """Axis-aligned bounds (float pixels, from points along the arc)."""
        px, py = self._points()
        r = self.half + margin + self.radius * (1 - math.cos(math.radians(self.span / 32)))
        return float(px.min()) - r, float(py.min()) - r, float(px.max()) + r, float(py.max()) + r

    def rho(self, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
        """Distance to the arc divided by the half-width."""
        dx, dy = xs - np.float32(self.cx), ys - np.float32(self.cy)
        dist = np.sqrt(dx * dx + dy * dy)
        s0, c0 = math.sin(math.radians(self.start)), math.cos(math.radians(self.start))
        s1, c1 = math.sin(math.radians(self.start + self.span)), math.cos(math.radians(self.start + self.span))
        after_start = (dy * np.float32(c0) - dx * np.float32(s0)) >= 0  # cross(start direction, p) >= 0
        before_end = (dx * np.float32(s1) - dy * np.float32(c1)) >= 0  # cross(p, end direction) >= 0
        inside = (after_start & before_end) if self.span <= 180.0 else (after_start | before_end)
        (ax, ay), (bx, by) = self.endpoints()
        end_a = (xs - np.float32(ax)) ** 2 + (ys - np.float32(ay)) ** 2
        end_b = (xs - np.float32(bx)) ** 2 + (ys - np.float32(by)) ** 2
        d = np.where(inside, np.abs(dist - np.float32(self.radius)), np.sqrt(np.minimum(end_a, end_b)))
        return d * np.float32(1.0 / self.half)

    def endpoints(self) -> tuple[tuple[float, float], tuple[float, float]]:
        """The two end points of the centre line."""
        a0, a1 = math.radians(self.start), math.radians(self.start + self.span)
        return ((self.cx + self.radius * math.cos(a0), self.cy + self.radius * math.sin(a0)),
                (self.cx + self.radius * math.cos(a1), self.cy + self.radius * math.sin(a1)))

    @property
    def size(self) -> float:
        """The half-width."""
        return self.half


Prim = Ellipse | Rod | Arc


def clip_box(bounds: tuple[float, float, float, float], shape: tuple[int, int]) -> Box | None:
    """Integer window of float bounds, clipped to an image of `shape` (None when empty)."""
    h, w = shape
    x0, y0 = max(int(math.floor(bounds[0])), 0), max(int(math.floor(bounds[1])), 0)
    x1, y1 = min(int(math.ceil(bounds[2])) + 1, w), min(int(math.ceil(bounds[3])) + 1, h)
    if x1 <= x0 or y1 <= y0:
        return None
    return x0, y0, x1, y1


def union_box(boxes: list[Box]) -> Box | None:
    """Smallest window holding all windows."""
    if not boxes:
        return None
    return min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes)


def sub(box: Box, inner: Box) -> tuple[slice, slice]:
    """Slices of `inner` inside an array covering `box` (inner must lie within box)."""
    return slice(inner[1] - box[1], inner[3] - box[1]), slice(inner[0] - box[0], inner[2] - box[0])


def smin(a: np.ndarray, b: np.ndarray, k: float) -> np.ndarray:
    """Smooth minimum (polynomial): unions of shapes blend over a width k of rho."""
    if k <= 0:
        return np.minimum(a, b)
    kk = np.float32(k)
    h = np.clip(np.float32(0.5) + np.float32(0.5) * (b - a) / kk, 0.0, 1.0)
    return b + (a - b) * h - kk * h * (np.float32(1.0) - h)


def bone_profile(rho: np.ndarray, cortex: float, medulla: float) -> np.ndarray:
    """Projected bone thickness (0..1) from rho: a bright cortical rim at rho in [cortex, 1], a
    medullary cavity of relative density `medulla` inside, a steep fall-off at the outline."""
    inside = np.clip(np.float32(1.0) - rho * rho, 0.0, 1.0)
    edge = np.sqrt(np.sqrt(inside))
    rim = np.clip((rho - np.float32(cortex)) * np.float32(1.0 / 0.07) + np.float32(1.0), 0.0, 1.0)
    return edge * (np.float32(medulla) + np.float32(1.0 - medulla) * rim)


def soft_profile(rho: np.ndarray) -> np.ndarray:
    """Projected soft-tissue thickness (0..1) of a rounded limb or trunk."""
    inside = np.clip(np.float32(1.0) - rho * rho, 0.0, 1.0)
    return np.sqrt(inside)
