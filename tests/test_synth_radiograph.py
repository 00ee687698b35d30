"""Measurable properties of the procedural radiographs of `boneds.synth.radiograph`.

Every finding the renderer draws is checked on the pixels: fracture lines are lucent, displaced
fragments move, implants are the brightest thing in the image, the joint space narrows with the
Kellgren-Lawrence grade, growth plates are open in children only, carpal bones ossify with age.
Images are small (384-512 px) and seeds fixed, to stay fast.
"""

from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pytest
from PIL import Image

from boneds.synth.anatomy import catalogue
from boneds.synth.model import BODY_PARTS, Findings, Fracture
from boneds.synth.radiograph import (
    COLLIMATED_DENSITY,
    MASK_KEYS,
    RenderedRadiograph,
    joint_space_width_px,
    render_document,
    render_radiograph,
)

SIZE = 384
VIEWS = [(bp, view) for bp, info in catalogue().items() for view in info.views]
SITES = [(bp, view, site.id, site.child) for bp, info in catalogue().items() for view in info.views
         for site in info.fracture_sites]


def render(body_part: str, view: str, findings: Findings | None = None, *, age: float = 40.0,
           laterality: str | None = None, size: int = SIZE, marker: str = "", seed: int = 0,
           sex: str = "M") -> RenderedRadiograph:
    """Render with the body part's usual laterality (right side, or none)."""
    findings = findings if findings is not None else Findings()
    if laterality is None:
        laterality = "R" if catalogue()[body_part].laterality else ""
    return render_radiograph(body_part, view, laterality, findings, age, sex, size, marker, np.random.default_rng(seed))


def dilate(mask: np.ndarray, r: int) -> np.ndarray:
    """Square dilation by r pixels."""
    out = mask.copy()
    for s in range(1, r + 1):
        out[s:] |= mask[:-s]
        out[:-s] |= mask[s:]
    rows = out.copy()
    for s in range(1, r + 1):
        out[:, s:] |= rows[:, :-s]
        out[:, :-s] |= rows[:, s:]
    return out


def ring_contrast(rendered: RenderedRadiograph, key: str, mask: np.ndarray | None = None) -> float:
    """Mean density of bone pixels in a ring around a mask (default: rendered.masks[key]) minus
    the mean density on the mask."""
    mask = rendered.masks[key] if mask is None else mask
    ring = dilate(mask, 6) & ~dilate(mask, 2) & rendered.masks["bone"] & ~rendered.masks["metal"]
    assert mask.sum() > 0 and ring.sum() > 0
    return float(rendered.density[ring].mean() - rendered.density[mask].mean())


# --- geometry, determinism, laterality --------------------------------------------------------


def test_every_body_part_has_a_layout():
    assert set(catalogue()) == set(BODY_PARTS)


@pytest.mark.parametrize("body_part,view", VIEWS)
def test_render_shape_range_and_masks(body_part, view):
    r = render(body_part, view, marker="G")
    assert r.density.dtype == np.float32 and r.density.ndim == 2
    assert max(r.density.shape) == SIZE
    assert float(r.density.min()) >= 0.0 and float(r.density.max()) <= 1.0
    assert set(r.masks) == set(MASK_KEYS)
    for key, mask in r.masks.items():
        assert mask.dtype == bool and mask.shape == r.density.shape, key
    assert r.masks["bone"].sum() > 0.02 * r.density.size
    assert r.masks["soft_tissue"].sum() > 0
    # a plausible detector: 15 to 45 cm on the long side
    assert 150.0 <= r.pixel_spacing_mm * SIZE <= 450.0
    # outside the collimated field: one constant value, inside: never that value
    field = r.masks["field"]
    assert np.all(r.density[~field] == COLLIMATED_DENSITY)
    assert float(r.density[field].max()) < COLLIMATED_DENSITY
    # bone is brighter than soft tissue, which is brighter than air
    assert r.density[r.masks["bone"]].mean() > r.density[r.masks["soft_tissue"]].mean() + 0.15


def test_aspect_ratios_follow_the_body_part():
    hand = render("hand", "frontal").density.shape
    spine = render("spine", "frontal").density.shape
    pelvis = render("pelvis", "frontal").density.shape
    assert 0.7 <= hand[1] / hand[0] <= 0.9
    assert spine[1] / spine[0] < 0.6
    assert pelvis[1] / pelvis[0] > 1.1


def test_same_seed_same_image():
    f = Findings(fracture=Fracture("radius_distal", True), osteosynthesis=True)
    a = render("wrist", "frontal", f, marker="D", seed=3)
    b = render("wrist", "frontal", f, marker="D", seed=3)
    c = render("wrist", "frontal", f, marker="D", seed=4)
    assert np.array_equal(a.density, b.density)
    assert all(np.array_equal(a.masks[k], b.masks[k]) for k in MASK_KEYS)
    assert not np.array_equal(a.density, c.density)


@pytest.mark.parametrize("body_part", [bp for bp, info in catalogue().items() if info.laterality])
def test_left_is_the_mirror_of_right(body_part):
    view = catalogue()[body_part].views[0]
    right = render(body_part, view, laterality="R").masks["bone"]
    left = render(body_part, view, laterality="L").masks["bone"]

    def iou(a: np.ndarray, b: np.ndarray) -> float:
        return float((a & b).sum() / (a | b).sum())

    assert iou(left, right[:, ::-1]) > 0.5
    assert iou(left, right[:, ::-1]) > iou(left, right) + 0.05


# --- fractures --------------------------------------------------------------------------------


@pytest.mark.parametrize("body_part,view,site,child", SITES)
def test_fracture_line_is_lucent_and_displacement_moves_bone(body_part, view, site, child):
    age = 10.0 if child else 45.0
    plain = render(body_part, view, Findings(fracture=Fracture(site, False)), age=age, seed=1)
    line = plain.masks["fracture"]
    assert 0 < line.sum() < 0.05 * plain.density.size
    # the same pixels of the intact bone are not lucent: the line is what makes the difference
    intact = render(body_part, view, age=age, seed=1)
    assert intact.masks["fracture"].sum() == 0
    control = ring_contrast(intact, "fracture", line)
    assert ring_contrast(plain, "fracture") > max(control, 0.0) + 0.04
    moved = render(body_part, view, Findings(fracture=Fracture(site, True)), age=age, seed=1)
    assert ring_contrast(moved, "fracture") > 0.03
    # same seed: only the fracture differs, and the displaced fragment changes many pixels
    changed = np.abs(moved.density - plain.density) > 0.05
    assert changed.sum() > max(40, 3 * line.sum())


@pytest.mark.parametrize("body_part,view,site,child", SITES)
def test_acute_fracture_swells_the_soft_tissue_around_it(body_part, view, site, child):
    age = 10.0 if child else 45.0
    fractured = render(body_part, view, Findings(fracture=Fracture(site, False)), age=age, seed=1)
    intact = render(body_part, view, age=age, seed=1)
    operated = render(body_part, view, Findings(fracture=Fracture(site, False), osteosynthesis=True), age=age, seed=1)
    hard = intact.masks["bone"] | fractured.masks["bone"] | operated.masks["metal"]
    near = (dilate(fractured.masks["fracture"], 12) & ~dilate(hard, 1) & intact.masks["field"]
            & intact.masks["soft_tissue"])
    if near.sum() < 5:  # the line lies under another bone (patella on a frontal knee)
        pytest.skip("no soft tissue next to this fracture line")
    assert fractured.density[near].mean() - intact.density[near].mean() > 0.012
    # an operated (older) fracture has no swelling: the soft tissue is that of the intact limb
    assert abs(float(operated.density[near].mean() - intact.density[near].mean())) < 0.005


# --- implants ---------------------------------------------------------------------------------


def _metal_is_brightest(r: RenderedRadiograph) -> None:
    metal = r.masks["metal"]
    assert metal.sum() > 20
    bone = r.masks["bone"] & ~metal
    assert float(r.density[metal].min()) > float(np.percentile(r.density[bone], 99))


@pytest.mark.parametrize("body_part,site", [(bp, info.fracture_sites[i % len(info.fracture_sites)].id)
                                           for bp, info in catalogue().items() for i in range(2)])
def test_osteosynthesis_is_bright_metal(body_part, site):
    view = catalogue()[body_part].views[-1]
    r = render(body_part, view, Findings(fracture=Fracture(site, False), osteosynthesis=True), seed=2)
    _metal_is_brightest(r)
    assert render(body_part, view, Findings(fracture=Fracture(site, False)), seed=2).masks["metal"].sum() == 0


def test_osteosynthesis_without_fracture_is_drawn():
    _metal_is_brightest(render("forearm", "frontal", Findings(osteosynthesis=True)))


@pytest.mark.parametrize("body_part,view", [(bp, v) for bp in ("hip", "knee", "shoulder") for v in ("frontal", "lateral")])
def test_prosthesis_is_bright_metal(body_part, view):
    r = render(body_part, view, Findings(prosthesis=True), age=72.0)
    _metal_is_brightest(r)
    assert r.masks["joint_space"].sum() == 0
    assert render(body_part, view, age=72.0).masks["metal"].sum() == 0


# --- osteoarthritis ---------------------------------------------------------------------------


@pytest.mark.parametrize("body_part,view", [(bp, v) for bp in ("knee", "hip") for v in ("frontal", "lateral")])
def test_joint_space_narrows_with_kl_grade(body_part, view):
    widths, spurs = [], []
    for grade in range(5):
        r = render(body_part, view, Findings(kl_grade=grade), age=65.0, size=512, seed=5)
        widths.append(joint_space_width_px(r))
        spurs.append(int(r.masks["osteophyte"].sum()))
    assert np.all(np.diff(widths) < 0), widths
    mm = [w * r.pixel_spacing_mm for w in widths]
    assert 4.0 <= mm[0] <= 7.5 and mm[4] <= 1.5, mm
    assert spurs[0] == 0 and spurs[1] == 0
    assert all(s > 0 for s in spurs[2:]) and spurs[4] > spurs[2], spurs


def test_subchondral_sclerosis_from_grade_3():
    def band(grade: int) -> float:
        r = render("knee", "frontal", Findings(kl_grade=grade), age=65.0, size=512, seed=5)
        below = dilate(r.masks["joint_space"], 5) & r.masks["bone"]
        return float(r.density[below].mean())

    assert band(4) > band(1) + 0.01


def test_joint_space_only_on_graded_joints():
    assert render("knee", "frontal").masks["joint_space"].sum() > 0
    assert render("ankle", "frontal").masks["joint_space"].sum() == 0


# --- growth -----------------------------------------------------------------------------------


@pytest.mark.parametrize("body_part,view", [(bp, catalogue()[bp].views[0]) for bp in BODY_PARTS if bp != "spine"])
def test_growth_plates_open_in_children_only(body_part, view):
    child = render(body_part, view, Findings(growth_plates_open=True), age=8.0, seed=4)
    assert child.masks["physis"].sum() > 10
    assert ring_contrast(child, "physis") > 0.05
    adult = render(body_part, view, Findings(), age=40.0, seed=4)
    assert adult.masks["physis"].sum() == 0


def test_growth_plates_narrow_with_age():
    def width(age: float) -> float:
        r = render("knee", "frontal", Findings(growth_plates_open=True), age=age, size=512, seed=4)
        return float(r.masks["physis"].sum() / max(1, r.masks["physis"].any(axis=0).sum()))

    assert width(6.0) > width(15.0)


def test_carpal_bones_ossify_with_age():
    from boneds.synth.render.parts_hand import CARPAL_NAMES, carpal_region_mm
    from boneds.synth.render.placement import build_scene

    def carpus(age: float) -> tuple[int, float]:
        findings = Findings(growth_plates_open=True)
        seeds = np.random.default_rng(7).integers(0, 2**63 - 1, size=2)
        scene = build_scene("hand", "frontal", "R", findings, age, "F", SIZE, np.random.default_rng(seeds[0]))
        count = sum(b.name in CARPAL_NAMES for b in scene.bones)
        r = render("hand", "frontal", findings, age=age, seed=7, sex="F", laterality="R")
        x0, y0, x1, y1 = carpal_region_mm()
        corners = np.array([scene.to_px.point(x, y) for x in (x0, x1) for y in (y0, y1)])
        (c0, r0), (c1, r1) = corners.min(axis=0).astype(int), corners.max(axis=0).astype(int)
        return count, float(r.masks["bone"][r0:r1, c0:c1].mean())

    n1, _ = carpus(0.5)
    n3, f3 = carpus(3.0)
    n12, f12 = carpus(12.0)
    assert n1 <= 2 and n3 <= 4 and n12 >= 7
    assert f12 > f3 + 0.1


def test_children_are_smaller():
    def bone_px(age: float) -> int:
        return int(render("hand", "frontal", Findings(growth_plates_open=age < 16), age=age).masks["bone"].sum())

    assert bone_px(4.0) < bone_px(10.0) < bone_px(30.0)


# --- marker -----------------------------------------------------------------------------------


def test_marker_is_burned_in_brightly():
    r = render("knee", "frontal", marker="G")
    marker = r.masks["marker"]
    assert 20 < marker.sum() < 0.02 * r.density.size
    assert float(r.density[marker].mean()) > 0.9
    ys, xs = np.nonzero(marker)
    assert ys.max() - ys.min() < 0.08 * SIZE
    assert render("knee", "frontal", marker="").masks["marker"].sum() == 0


# --- document pages ---------------------------------------------------------------------------

LINES = ["RAPPORT DE DOSE", "Patient: DUPONT Marie", "Date: 12/03/2021", "DAP total: 1.52 dGy.cm2",
         "Temps de scopie: 00:00:00", "Nombre d'expositions: 3"]


@pytest.mark.parametrize("seed", range(4))
def test_document_text_has_high_contrast(seed):
    page = render_document(LINES, 1024, np.random.default_rng(seed))
    assert page.dtype == np.float32 and max(page.shape) == 1024
    assert float(page.min()) >= 0.0 and float(page.max()) <= 1.0
    background = float(np.median(page))
    text = np.abs(page - background) > 0.4
    assert 0.002 < text.mean() < 0.2
    assert abs(float(page[text].mean()) - background) > 0.6


def test_document_styles_differ():
    backgrounds = {round(float(np.median(render_document(LINES, 512, np.random.default_rng(s))))) for s in range(8)}
    assert backgrounds == {0, 1}  # dark screens and light paper


@pytest.mark.skipif(shutil.which("tesseract") is None, reason="tesseract not installed")
def test_document_is_readable_by_ocr(tmp_path):
    for seed in (0, 2):  # seed 0: a scanned form (dark on light), seed 2: a dose screen (light on dark)
        page = render_document(LINES, 1024, np.random.default_rng(seed))
        png = tmp_path / f"page{seed}.png"
        Image.fromarray((page * 255).astype(np.uint8)).save(png)
        out = subprocess.run(["tesseract", str(png), "stdout"], capture_output=True, text=True, timeout=60).stdout
        assert "DUPONT" in out and "DOSE" in out, out
