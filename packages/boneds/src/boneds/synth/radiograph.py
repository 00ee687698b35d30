"""Procedural radiographs (and burned-in document pages) of the synthetic hospital export.

`render_radiograph` draws one body part in one view: bones with a cortex and a marrow cavity, a
soft-tissue envelope, the study's findings (fracture, osteosynthesis or prosthesis, osteoarthritis
grade, open growth plates), exposure gradient, noise, blur, collimation and a lead marker.
`render_document` draws a secondary-capture page (dose report or scanned request form).

Density conventions (float32 in [0, 1], MONOCHROME2 display: 0 black, 1 white): air ~0.02-0.05,
soft tissue ~0.15-0.35, bone ~0.45-0.85, everything but metal and marker <= 0.91, metal in
[0.93, 0.985], lead marker 0.965, and outside the collimated field exactly 1.0 (unexposed
detector): `masks["field"]` is False exactly there. The DICOM writer may store those pixels as
Pixel Padding Value. Geometry lives in `boneds.synth.render`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .anatomy import body_part as body_part_info
from .model import Findings
from .render.document import render_document
from .render.film import COLLIMATED_DENSITY, develop
from .render.placement import build_scene
from .render.raster import rasterize

__all__ = ["COLLIMATED_DENSITY", "MASK_KEYS", "RenderedRadiograph", "joint_space_width_px", "render_document",
           "render_radiograph"]

MASK_KEYS: tuple[str, ...] = ("bone", "soft_tissue", "fracture", "metal", "physis", "joint_space", "osteophyte",
                              "marker", "field")


@dataclass(frozen=True)
class RenderedRadiograph:
    """A rendered radiograph: densities, label masks and the physical pixel size.

    density: float32 (H, W) in [0, 1]; 0 = air (black on MONOCHROME2), 1 = unexposed (outside the
    field); bone ~0.45-0.85, metal >= 0.93.
    masks: bool (H, W) for every key of MASK_KEYS ("soft_tissue" excludes bone and metal;
    "fracture" the lucent line pixels; "joint_space" the gap of the knee or hip joint).
    """

    density: np.ndarray
    masks: dict[str, np.ndarray]
    pixel_spacing_mm: float


def render_radiograph(body_part: str, view: str, laterality: str, findings: Findings, age_years: float, sex: str,
                      long_side_px: int, marker: str, rng: np.random.Generator) -> RenderedRadiograph:
    """Render one radiograph; deterministic for a given rng state."""
    info = body_part_info(body_part)
    if view not in info.views:
        raise ValueError(f"{body_part} has no {view!r} view (views: {info.views})")
    if findings.fracture is not None:
        info.site(findings.fracture.site)  # KeyError for a site the body part does not have
    seeds = rng.integers(0, 2**63 - 1, size=2)
    scene = build_scene(body_part, view, laterality, findings, float(age_years), sex, int(long_side_px),
                        np.random.default_rng(seeds[0]))
    layers = rasterize(scene)
    density, extra = develop(layers, scene.soft_mu, scene.bone_mu, scene.spacing_mm, marker,
                             np.random.default_rng(seeds[1]))
    field = extra["field"]
    masks = {key: layers.masks[key] for key in MASK_KEYS if key in layers.masks}
    if not field.all():
        for mask in masks.values():
            np.logical_and(mask, field, out=mask)
    masks["marker"] = extra["marker"]
    masks["field"] = field
    return RenderedRadiograph(density.astype(np.float32, copy=False), {k: masks[k] for k in MASK_KEYS},
                              float(scene.spacing_mm))


def joint_space_width_px(rendered: RenderedRadiograph) -> float:
    """Mean height (pixels) of the joint-space mask over the columns it occupies (0 when empty)."""
    mask = rendered.masks["joint_space"]
    heights = mask.sum(axis=0)
    used = heights > 0
    return float(heights[used].mean()) if used.any() else 0.0

