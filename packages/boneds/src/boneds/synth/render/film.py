"""Exposure and detector: attenuation to density, trabecular texture, metal, blur, heel effect,
quantum noise, collimation and the burned-in lead marker.

Density conventions (MONOCHROME2 display: 0 black, 1 white):
- air (direct exposure) ~0.02-0.05, soft tissue ~0.15-0.35, bone ~0.45-0.85 (capped at
  `BODY_MAX`), metal in [METAL_MIN, METAL_MAX], the lead marker `MARKER_DENSITY`;
- outside the collimated field: exactly `COLLIMATED_DENSITY` (unexposed detector, white).
"""

from __future__ import annotations

import math

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from .film_utils import triangular_noise, upsample
from .raster import Layers

COLLIMATED_DENSITY = 1.0  # every pixel outside the exposure field, and only those
BODY_MAX = 0.91  # air, soft tissue and bone never exceed this
METAL_MIN, METAL_MAX = 0.93, 0.985
MARKER_DENSITY = 0.965


def develop(layers: Layers, soft_mu: float, bone_mu: float, spacing_mm: float, marker: str,
            rng: np.random.Generator) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """The final density image and the masks it adds ("field", "marker"). Consumes the layers'
    arrays as work buffers (large fresh arrays are slow: every page faults on first touch)."""
    h, w = layers.bone.shape
    draws = rng.uniform(0.0, 1.0, size=8)
    mu, soft = layers.bone, layers.soft
    work = _texture((h, w), max(2.0, 1.2 / spacing_mm), rng)
    mu *= work
    mu *= np.float32(bone_mu * (0.92 + 0.16 * draws[1]))
    soft *= np.float32(soft_mu * (0.9 + 0.2 * draws[0]))
    mu += soft
    density = _film_curve(mu, 0.02 + 0.03 * draws[2], out=work)
    metal = layers.masks["metal"]
    np.copyto(density, layers.metal, where=metal)
    density = _blur(density, out=mu, scratch=soft)  # the result lands in `mu`; `work` is free
    heel = np.float32(0.05 * (draws[3] - 0.5) * 2)
    ramp = np.linspace(-0.5, 0.5, h, dtype=np.float32)[:, None] if draws[4] < 0.7 else \
        np.linspace(-0.5, 0.5, w, dtype=np.float32)[None, :]
    density += heel * ramp
    noise = triangular_noise(rng, (h, w), 0.006 + 0.009 * draws[5], out=soft)
    quantum = np.add(density, np.float32(0.5), out=work)  # noisier where fewer photons arrive
    quantum *= noise
    density += quantum
    np.clip(density, 0.0, BODY_MAX, out=density)
    if metal.any():
        density[metal] = np.clip(density[metal], METAL_MIN, METAL_MAX)
    field = _field((h, w), rng)
    marker_mask = _marker(density, field, marker, rng)
    density[~field] = np.float32(COLLIMATED_DENSITY)
    return density, {"field": field, "marker": marker_mask}


def _film_curve(mu: np.ndarray, air: float, out: np.ndarray) -> np.ndarray:
    """Density from attenuation: air at mu = 0, saturating toward BODY_MAX. The transmitted
    fraction is 1 / (1 + mu + mu^2 / 2 + mu^3 / 6), a cheap stand-in for exp(-mu)."""
    poly = np.multiply(mu, np.float32(1.0 / 6.0), out=out)
    poly += np.float32(0.5)
    poly *= mu
    poly += np.float32(1.0)
    poly *= mu
    poly += np.float32(1.0)
    np.reciprocal(poly, out=poly)
    poly *= np.float32(-(BODY_MAX - air))
    poly += np.float32(BODY_MAX)
    return poly


def _texture(shape: tuple[int, int], cell_px: float, rng: np.random.Generator) -> np.ndarray:
    """Smooth multiplicative texture around 1 (trabecular pattern), ~1 mm blobs."""
    h, w = shape
    f = max(1, int(round(cell_px)))
    small = rng.standard_normal((-(-h // f) + 1, -(-w // f) + 1), dtype=np.float32)
    small *= np.float32(0.09)
    small += np.float32(1.0)
    return upsample(small, f, (h, w))


def _blur(a: np.ndarray, out: np.ndarray, scratch: np.ndarray) -> np.ndarray:
    """Slight detector blur: a separable [1, 4, 1] / 6 kernel (edge rows and columns kept).
    Writes into `out`; `scratch` is overwritten."""
    rows = np.multiply(a, np.float32(4.0), out=scratch)
    side = np.add(a[:-2], a[2:], out=out[1:-1])
    rows[1:-1] += side
    rows[0] += a[0] * np.float32(2.0)
    rows[-1] += a[-1] * np.float32(2.0)
    res = np.multiply(rows, np.float32(4.0 / 36.0), out=a)
    side = np.add(rows[:, :-2], rows[:, 2:], out=out[:, 1:-1])
    side *= np.float32(1.0 / 36.0)
    res[:, 1:-1] += side
    res[:, 0] += rows[:, 0] * np.float32(2.0 / 36.0)
    res[:, -1] += rows[:, -1] * np.float32(2.0 / 36.0)
    np.copyto(out, res)
    return out


def _field(shape: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """The collimated exposure field: a rectangle inset from the edges, sometimes slightly rotated;
    sometimes the whole detector."""
    h, w = shape
    draws = rng.uniform(0.0, 1.0, size=7)
    field = np.ones((h, w), bool)
    if draws[0] < 0.25:
        return field
    x0, x1 = w * 0.05 * draws[1], w * (1 - 0.05 * draws[2])
    y0, y1 = h * 0.05 * draws[3], h * (1 - 0.05 * draws[4])
    if draws[5] < 0.35:
        ang = math.radians((draws[6] - 0.5) * 4.0)
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        xs = np.arange(w, dtype=np.float32)[None, :] + np.float32(0.5 - cx)
        ys = np.arange(h, dtype=np.float32)[:, None] + np.float32(0.5 - cy)
        u = xs * np.float32(math.cos(ang)) + ys * np.float32(math.sin(ang))
        v = ys * np.float32(math.cos(ang)) - xs * np.float32(math.sin(ang))
        return (np.abs(u) <= (x1 - x0) / 2) & (np.abs(v) <= (y1 - y0) / 2)
    field[:] = False
    field[int(round(y0)):int(round(y1)), int(round(x0)):int(round(x1))] = True
    return field


def _marker(density: np.ndarray, field: np.ndarray, text: str, rng: np.random.Generator) -> np.ndarray:
    """Burn in the lead laterality marker (bright letters) in a corner of the field."""
    h, w = density.shape
    mask = np.zeros((h, w), bool)
    draws = rng.uniform(0.0, 1.0, size=4)
    if not text:
        return mask
    size = max(8, int(round(max(h, w) * (0.05 + 0.02 * draws[0]))))
    font = ImageFont.load_default(size=size)
    left, top, right, bottom = font.getbbox(text)
    tw, th = right - left, bottom - top
    ys_f, xs_f = np.nonzero(field[:: max(1, h // 64), :: max(1, w // 64)])
    step_y, step_x = max(1, h // 64), max(1, w // 64)
    fy0, fy1 = ys_f.min() * step_y, ys_f.max() * step_y
    fx0, fx1 = xs_f.min() * step_x, xs_f.max() * step_x
    margin = int(0.035 * max(h, w))
    corner = int(draws[1] * 4)
    x = fx0 + margin if corner in (0, 2) else fx1 - margin - tw
    y = fy0 + margin if corner in (0, 1) else fy1 - margin - th
    x = int(np.clip(x, 0, max(0, w - tw)))
    y = int(np.clip(y, 0, max(0, h - th)))
    img = Image.new("L", (tw + 2, th + 2), 0)
    ImageDraw.Draw(img).text((1 - left, 1 - top), text, fill=255, font=font, stroke_width=max(1, size // 14),
                             stroke_fill=255)
    alpha = np.asarray(img, dtype=np.float32)[: h - y, : w - x] / np.float32(255.0)
    sl = (slice(y, y + alpha.shape[0]), slice(x, x + alpha.shape[1]))
    alpha = alpha * field[sl]
    density[sl] = density[sl] * (1 - alpha) + np.float32(MARKER_DENSITY) * alpha
    mask[sl] = alpha > 0.5
    return mask
