"""Secondary-capture pages: a dose report screen or a scanned request form, as density images."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PIL import Image, ImageDraw, ImageFont


def render_document(lines: Sequence[str], long_side_px: int, rng: np.random.Generator) -> np.ndarray:
    """A page whose text lines are legible: float32 (H, W) in [0, 1] (MONOCHROME2 brightness)."""
    draws = rng.uniform(0.0, 1.0, size=6)
    screen = draws[0] < 0.5
    if screen:  # a modality's dose screen: landscape 4:3, light text on a dark background
        w, h = long_side_px, round(long_side_px * 0.75)
        paper, ink = 0.04 + 0.04 * draws[1], 0.88 + 0.08 * draws[2]
    else:  # a scanned A4 form: portrait, dark text on light paper
        h, w = long_side_px, round(long_side_px / 1.414)
        paper, ink = 0.86 + 0.08 * draws[1], 0.05 + 0.08 * draws[2]
    text = [str(line) for line in lines] or [""]
    longest = max(len(line) for line in text) or 1
    size = int(min(long_side_px / 38, 0.86 * w / (0.56 * longest), 0.86 * h / (1.45 * len(text))))
    size = max(size, 12)
    font = ImageFont.load_default(size=size)
    img = Image.new("L", (w, h), int(round(paper * 255)))
    draw = ImageDraw.Draw(img)
    x = int(w * (0.06 + 0.02 * draws[3]))
    y = int(h * (0.06 + 0.02 * draws[4]))
    step = int(size * 1.45)
    fill = int(round(ink * 255))
    for line in text:
        draw.text((x, y), line, fill=fill, font=font)
        y += step
    if not screen:
        img = img.rotate((draws[5] - 0.5) * 1.6, resample=Image.BILINEAR, fillcolor=int(round(paper * 255)))
    page = np.asarray(img, dtype=np.float32) / np.float32(255.0)
    page += rng.standard_normal(page.shape, dtype=np.float32) * np.float32(0.012)
    return np.clip(page, 0.0, 1.0)
