"""`boneds synth-downstream`: small labelled sets drawn by the synthetic generator, laid out as the
public datasets that bonevlp's evaluation reads, so the adapters can be tested without them:

- fracture: FracAtlas (`images/Fractured`, `images/Non_fractured`, `dataset.csv`)
- abnormality: MURA v1.1 (`MURA-v1.1/{train,valid}/XR_<PART>/patientNNNNN/studyN_<label>/imageN.png`
  with `*_image_paths.csv` and `*_labeled_studies.csv`)
- boneage: RSNA Bone Age (`boneage-training-dataset.csv` with `id,boneage,male`, images `<id>.png`)
- kl: knee Kellgren-Lawrence folders `{train,val,test}/{0,1,2,3,4}/*.png`
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image

from .anatomy import body_part
from .model import Findings, Fracture
from .radiograph import render_radiograph

DEFAULT_SIZES = {"fracture": 120, "abnormality": 60, "boneage": 120, "kl": 150}
_FRACATLAS_GROUPS = {"hand": "hand", "wrist": "hand", "forearm": "hand", "knee": "leg", "ankle": "leg",
                     "foot": "leg", "hip": "hip", "pelvis": "hip", "shoulder": "shoulder", "elbow": "shoulder"}
_MURA_PARTS = {"elbow": "XR_ELBOW", "forearm": "XR_FOREARM", "hand": "XR_HAND", "shoulder": "XR_SHOULDER",
               "wrist": "XR_WRIST"}


def to_uint8(density: np.ndarray) -> np.ndarray:
    """Display a rendered density map as an 8-bit grayscale image (bone bright)."""
    return np.clip(np.rint(density * 255.0), 0, 255).astype(np.uint8)


def _save(path: Path, density: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    image = Image.fromarray(to_uint8(density), mode="L")
    if path.suffix == ".jpg":
        image.save(path, quality=92)
    else:
        image.save(path, optimize=False)


def _fracture(rng: np.random.Generator, part: str, child: bool) -> Fracture:
    sites = [s for s in body_part(part).fracture_sites if child or not s.child]
    site = sites[int(rng.integers(0, len(sites)))]
    return Fracture(site.id, displaced=bool(rng.random() < 0.4))


def _view(rng: np.random.Generator, part: str) -> str:
    views = body_part(part).views
    return views[int(rng.integers(0, len(views)))]


def _side(rng: np.random.Generator, part: str) -> str:
    return ("L" if rng.random() < 0.5 else "R") if body_part(part).laterality else ""


def write_fracatlas(out: Path, size: int, seed: int, image_size: int) -> str:
    """FracAtlas layout: about 40% fractured images over hand, leg, hip and shoulder regions."""
    rng = np.random.default_rng([seed, 11])
    rows = []
    parts = list(_FRACATLAS_GROUPS)
    for i in range(size):
        part = parts[int(rng.integers(0, len(parts)))]
        fractured = bool(rng.random() < 0.4)
        hardware = bool(rng.random() < 0.08)
        findings = Findings(fracture=_fracture(rng, part, False) if fractured or hardware else None,
                            osteosynthesis=hardware)
        if hardware and not fractured:
            findings = Findings(fracture=None, osteosynthesis=False, prosthesis=body_part(part).prosthesis)
            hardware = findings.prosthesis
        view = _view(rng, part)
        age = float(rng.uniform(18, 90))
        image = render_radiograph(part, view, _side(rng, part), findings, age, "M" if rng.random() < 0.5 else "F",
                                  image_size, "", rng)
        image_id = f"IMG{i:07d}.jpg"
        folder = "Fractured" if fractured else "Non_fractured"
        _save(out / "images" / folder / image_id, image.density)
        group = _FRACATLAS_GROUPS[part]
        rows.append({"image_id": image_id, "hand": int(group == "hand"), "leg": int(group == "leg"),
                     "hip": int(group == "hip"), "shoulder": int(group == "shoulder"), "mixed": 0,
                     "hardware": int(hardware), "multiscan": 0, "fractured": int(fractured),
                     "fracture_count": int(fractured), "frontal": int(view == "frontal"),
                     "lateral": int(view == "lateral"), "oblique": int(view == "oblique")})
    _write_csv(out / "dataset.csv", rows)
    return f"FracAtlas layout: {size} images ({sum(r['fractured'] for r in rows)} fractured) in {out}"


def write_mura(out: Path, size: int, seed: int, image_size: int) -> str:
    """MURA v1.1 layout: `size` studies of 1-3 images, split 80/20 into train and valid by patient."""
    rng = np.random.default_rng([seed, 12])
    root = out / "MURA-v1.1"
    paths: dict[str, list[str]] = {"train": [], "valid": []}
    studies: dict[str, list[str]] = {"train": [], "valid": []}
    patient = 0
    made = 0
    while made < size:
        patient += 1
        split = "valid" if rng.random() < 0.2 else "train"
        part = list(_MURA_PARTS)[int(rng.integers(0, len(_MURA_PARTS)))]
        for study_no in range(1, int(rng.integers(1, 3)) + 1):
            if made >= size:
                break
            abnormal = bool(rng.random() < 0.45)
            findings = _mura_findings(rng, part, abnormal)
            label = "positive" if abnormal else "negative"
            rel = f"MURA-v1.1/{split}/{_MURA_PARTS[part]}/patient{patient:05d}/study{study_no}_{label}/"
            side, age = _side(rng, part), float(rng.uniform(8, 90))
            for k in range(1, int(rng.integers(1, 4)) + 1):
                image = render_radiograph(part, _view(rng, part), side, findings, age, "F", image_size, "", rng)
                _save(out / rel / f"image{k}.png", image.density)
                paths[split].append(f"{rel}image{k}.png")
            studies[split].append(f"{rel},{int(abnormal)}")
            made += 1
    for split in ("train", "valid"):
        (root / f"{split}_image_paths.csv").write_text("".join(p + "\n" for p in paths[split]), encoding="utf-8")
        (root / f"{split}_labeled_studies.csv").write_text("".join(s + "\n" for s in studies[split]), encoding="utf-8")
    return f"MURA layout: {made} studies ({len(paths['train']) + len(paths['valid'])} images) in {root}"


def _mura_findings(rng: np.random.Generator, part: str, abnormal: bool) -> Findings:
    if not abnormal:
        return Findings()
    kind = rng.random()
    if kind < 0.7:
        return Findings(fracture=_fracture(rng, part, False))
    if kind < 0.85 or not body_part(part).prosthesis:
        return Findings(fracture=_fracture(rng, part, False), osteosynthesis=True)
    return Findings(prosthesis=True)


def write_rsna_boneage(out: Path, size: int, seed: int, image_size: int) -> str:
    """RSNA Bone Age layout: hand radiographs of children 1-18 years, bone age in months."""
    rng = np.random.default_rng([seed, 13])
    rows = []
    for i in range(size):
        male = bool(rng.random() < 0.5)
        age = float(rng.uniform(1.0, 18.0))
        open_plates = age < (16.5 if male else 14.5)
        image = render_radiograph("hand", "frontal", "L", Findings(growth_plates_open=open_plates), age,
                                  "M" if male else "F", image_size, "", rng)
        image_id = 1000 + i
        _save(out / "boneage-training-dataset" / f"{image_id}.png", image.density)
        rows.append({"id": image_id, "boneage": int(round(age * 12)), "male": "True" if male else "False"})
    _write_csv(out / "boneage-training-dataset.csv", rows)
    return f"RSNA Bone Age layout: {size} hand radiographs in {out}"


def write_knee_kl(out: Path, size: int, seed: int, image_size: int) -> str:
    """Knee KL layout: frontal knees graded 0-4, split 70/10/20 into train, val and test."""
    rng = np.random.default_rng([seed, 14])
    counts = {"train": 0, "val": 0, "test": 0}
    for i in range(size):
        grade = int(rng.integers(0, 5))
        split = str(rng.choice(["train", "val", "test"], p=[0.7, 0.1, 0.2]))
        age = float(np.clip(rng.normal(45 + 8 * grade, 8), 30, 95))
        image = render_radiograph("knee", "frontal", _side(rng, "knee"), Findings(kl_grade=grade), age,
                                  "M" if rng.random() < 0.5 else "F", image_size, "", rng)
        _save(out / split / str(grade) / f"knee{i:05d}.png", image.density)
        counts[split] += 1
    return f"knee KL layout: {size} knees ({counts}) in {out}"


WRITERS: dict[str, Callable[[Path, int, int, int], str]] = {
    "fracture": write_fracatlas,
    "abnormality": write_mura,
    "boneage": write_rsna_boneage,
    "kl": write_knee_kl,
}


def generate_downstream(out: Path, task: str, seed: int, size: int | None = None, image_size: int = 256) -> str:
    """Write the labelled set of `task` to `out` (absent or empty) and return a one-line summary."""
    out = Path(out)
    if out.exists() and any(out.iterdir()):
        raise FileExistsError(f"output folder is not empty: {out}")
    out.mkdir(parents=True, exist_ok=True)
    return WRITERS[task](out, size or DEFAULT_SIZES[task], seed, image_size)


def _write_csv(path: Path, rows: list[dict]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
