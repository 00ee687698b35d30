"""Small image helpers shared by the rasteriser and the film stage."""

from __future__ import annotations

import numpy as np


def _offsets(f: int) -> list[tuple[int, float]]:
    """For each phase k of an integer zoom f: the padded start index and the weight of the next."""
    out = []
    for k in range(f):
        d = (k + 0.5) / f - 0.5  # position of output pixel k relative to its source pixel
        out.append((0, 1.0 + d) if d < 0 else (1, d))
    return out


def upsample(small: np.ndarray, f: int, shape: tuple[int, int]) -> np.ndarray:
    """Bilinear zoom of a float32 array by an integer factor f (pixel centres aligned, edges
    clamped), cropped to `shape` (H, W). Columns first (on the small array), then whole rows."""
    if f == 1:
        return np.ascontiguousarray(small[: shape[0], : shape[1]], dtype=np.float32)
    hl, wl = small.shape
    h, w = shape
    pad = np.pad(small.astype(np.float32, copy=False), 1, mode="edge")
    cols = np.empty((hl + 2, wl * f), np.float32)
    for k, (lo, t) in enumerate(_offsets(f)):
        cols[:, k::f] = pad[:, lo:lo + wl] * np.float32(1.0 - t) + pad[:, lo + 1:lo + 1 + wl] * np.float32(t)
    cols = cols[:, :w]
    out = np.empty((hl * f, w), np.float32)
    for k, (lo, t) in enumerate(_offsets(f)):
        dst = out[k::f]
        np.multiply(cols[lo:lo + hl], np.float32(1.0 - t), out=dst)
        dst += cols[lo + 1:lo + 1 + hl] * np.float32(t)
    return out[:h]


def triangular_noise(rng: np.random.Generator, shape: tuple[int, int], sigma: float,
                     out: np.ndarray | None = None) -> np.ndarray:
    """Zero-mean noise of standard deviation sigma (sum of two uniform bytes: nearly Gaussian,
    several times faster than a normal draw), written into `out` when given."""
    n = shape[0] * shape[1]
    raw = np.frombuffer(rng.bytes(2 * n), dtype=np.uint8)
    total = raw[:n].astype(np.int16)
    total += raw[n:]
    noise = out if out is not None else np.empty(shape, np.float32)
    k = np.float32(sigma / 104.52)  # std of the sum of two uniform bytes
    np.multiply(total.reshape(shape), k, out=noise)
    noise -= np.float32(255.0) * k
    return noise
