"""Adapters for the public downstream datasets, each read from a local copy in its own layout:

    fracatlas      FracAtlas: dataset.csv (image_id, ..., hardware, fractured, ...), images/Fractured/*.jpg,
                   images/Non_fractured/*.jpg
    mura           MURA v1.1: MURA-v1.1/{train,valid}_image_paths.csv and {train,valid}_labeled_studies.csv,
                   MURA-v1.1/{train,valid}/XR_<PART>/patientNNNNN/studyN_<label>/imageN.png (labels per study)
    grazpedwri     GRAZPEDWRI-DX: dataset.csv (patient_id, filestem, ..., gender, age, ..., fracture_visible,
                   metal, cast, osteopenia), images/<filestem>.png (or images_part*/), YOLO labels
                   (folder_structure/yolov5/labels/<filestem>.txt, optional)
    rsna-boneage   RSNA Bone Age: boneage-training-dataset.csv (id, boneage, male), images
                   boneage-training-dataset/<id>.png (also the Kaggle copy's nested folder)
    knee-kl        knee Kellgren-Lawrence folders: {train,val,test,...}/{0,1,2,3,4}/*.png (or {0,...,4}/ alone)

    data = load_dataset("mura", "/data/mura", split="valid")
    data.units()        # evaluation units: a MURA study (its images pooled), otherwise one image
    data.labels("abnormality")

Every adapter gives a `LabeledImages`: a list of `LabeledImage` (image path, labels, study and patient
ids, extras such as sex, age, split, body part) with the label names and kinds of the dataset. A path
that does not hold the layout raises `DatasetLayoutError` naming the layout it expected.
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")
KL_GRADES = ("0", "1", "2", "3", "4")
# GRAZPEDWRI-DX's YOLO class list (meta.yaml): the index of "fracture".
GRAZPEDWRI_YOLO_CLASSES = ("boneanomaly", "bonelesion", "foreignbody", "fracture", "metal", "periostealreaction",
                           "pronatorsign", "softtissue", "text")

LAYOUTS = {
    "fracatlas": "FracAtlas: PATH/dataset.csv (columns image_id, hardware, fractured, ...) with the images in "
                 "PATH/images/Fractured/ and PATH/images/Non_fractured/",
    "mura": "MURA v1.1: PATH/MURA-v1.1/ (or PATH itself) holding {train,valid}_image_paths.csv, "
            "{train,valid}_labeled_studies.csv and {train,valid}/XR_<PART>/patientNNNNN/studyN_<label>/imageN.png",
    "grazpedwri": "GRAZPEDWRI-DX: PATH/dataset.csv (columns filestem, patient_id, ..., fracture_visible) with the "
                  "images PATH/images/<filestem>.png (or PATH/images_part*/) and, optionally, YOLO labels in "
                  "PATH/folder_structure/yolov5/labels/ (or PATH/labels/)",
    "rsna-boneage": "RSNA Bone Age: PATH/boneage-training-dataset.csv (columns id, boneage, male) with the images "
                    "PATH/boneage-training-dataset/<id>.png",
    "knee-kl": "knee KL folders: PATH/<split>/<grade>/*.png for splits such as train, val, test and grades 0-4 "
               "(or PATH/<grade>/*.png)",
}
KINDS = tuple(LAYOUTS)


class DatasetLayoutError(ValueError):
    """A path that does not hold the layout of the dataset asked for."""

    def __init__(self, kind: str, path: Path, reason: str):
        self.kind, self.path, self.reason = kind, Path(path), reason
        super().__init__(f"{path} does not have the {kind} layout: {reason}. Expected {LAYOUTS[kind]}")


@dataclass(frozen=True)
class LabeledImage:
    """One image: its `labels` (name -> value; a MURA image carries its study's label), the `study` it is
    evaluated with (images sharing a study are pooled; otherwise the study is the image's own id), its
    `patient` (the image id where the dataset gives none) and `extra` fields (sex, age, split, ...)."""

    path: Path
    labels: dict[str, float]
    study: str
    patient: str
    extra: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Unit:
    """An evaluation unit: a study's images (one for an image-level dataset), labels, patient, extras."""

    study: str
    paths: tuple[Path, ...]
    labels: dict[str, float]
    patient: str
    extra: dict


@dataclass
class LabeledImages:
    """The images of a dataset (`items`) and what its labels are: `tasks` maps each label name to
    "binary", "multiclass" (its `classes` then list the values as strings) or "regression"; `primary`
    is the label the dataset is known for."""

    kind: str
    root: Path
    items: list[LabeledImage]
    primary: str
    tasks: dict[str, str]
    classes: dict[str, tuple[str, ...]] = field(default_factory=dict)
    split: str | None = None
    splits: tuple[str, ...] = ()

    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self) -> Iterator[LabeledImage]:
        return iter(self.items)

    def __getitem__(self, index: int) -> LabeledImage:
        return self.items[index]

    def units(self) -> list[Unit]:
        """The images grouped by study, in order of first appearance."""
        grouped: dict[str, list[LabeledImage]] = {}
        for item in self.items:
            grouped.setdefault(item.study, []).append(item)
        return [Unit(study, tuple(i.path for i in images), images[0].labels, images[0].patient, images[0].extra)
                for study, images in grouped.items()]

    def labels(self, name: str, units: list[Unit] | None = None) -> np.ndarray:
        """The values of label `name` per unit (float; NaN where a unit lacks it)."""
        if name not in self.tasks:
            raise KeyError(f"{self.kind} has no label {name!r}; it has {', '.join(self.tasks)}")
        units = self.units() if units is None else units
        return np.array([u.labels.get(name, math.nan) for u in units], dtype=np.float64)

    def select_split(self, split: str | None) -> LabeledImages:
        """The images of one split (the dataset's own names: MURA train/valid, knee KL train/val/test)."""
        if split is None:
            return self
        if split not in self.splits:
            have = ", ".join(self.splits) if self.splits else "none (the dataset has no splits)"
            raise ValueError(f"{self.kind} has no split {split!r}; its splits: {have}")
        return replace(self, items=[i for i in self.items if i.extra.get("split") == split], split=split)

    def summary(self) -> dict:
        """Counts: images, units (studies), patients, and per label its positives (binary), values per
        class (multiclass) or range (regression)."""
        units = self.units()
        out: dict = {"kind": self.kind, "root": str(self.root), "split": self.split, "images": len(self.items),
                     "units": len(units), "patients": len({u.patient for u in units})}
        for name, task in self.tasks.items():
            values = self.labels(name, units)
            values = values[~np.isnan(values)]
            if task == "binary":
                out[f"{name}_positive"] = int((values == 1).sum())
            elif task == "multiclass":
                out[f"{name}_counts"] = {c: int((values == float(c)).sum()) for c in self.classes[name]}
            elif len(values):
                out[f"{name}_range"] = [float(values.min()), float(values.max())]
        return out


# --------------------------------------------------------------------------------------------- helpers


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def _flag(value: str | None) -> float:
    """A 0/1 column (also "1.0", "True"; empty means 0, as in GRAZPEDWRI-DX)."""
    text = (value or "").strip().lower()
    if text in ("", "nan", "0", "0.0", "false", "no"):
        return 0.0
    if text in ("1", "1.0", "true", "yes"):
        return 1.0
    raise ValueError(f"not a 0/1 value: {value!r}")


def _number(value: str | None) -> float | None:
    try:
        number = float((value or "").strip())
    except ValueError:
        return None
    return None if math.isnan(number) else number


def _find_root(path: Path, kind: str, marker: str, names: tuple[str, ...] = ()) -> Path:
    """`path`, or its one subfolder holding `marker` (those named in `names` first)."""
    path = Path(path).expanduser()
    if not path.exists():
        raise DatasetLayoutError(kind, path, "the path does not exist")
    if not path.is_dir():
        raise DatasetLayoutError(kind, path, "not a folder")
    if (path / marker).exists():
        return path
    for candidates in ([path / name for name in names], sorted(p for p in path.iterdir() if p.is_dir())):
        found = [c for c in candidates if (c / marker).exists()]
        if len(found) == 1:
            return found[0]
    raise DatasetLayoutError(kind, path, f"no {marker} found")


def _require_columns(kind: str, path: Path, rows: list[dict], columns: tuple[str, ...]) -> None:
    if not rows:
        raise DatasetLayoutError(kind, path, f"{path.name} holds no row")
    missing = [c for c in columns if c not in rows[0]]
    if missing:
        raise DatasetLayoutError(kind, path, f"{path.name} lacks the column(s) {', '.join(missing)}")


def _missing_images(kind: str, root: Path, missing: list[str], total: int) -> None:
    if missing:
        raise DatasetLayoutError(kind, root, f"{len(missing)} of {total} listed images are missing "
                                             f"(first: {missing[0]})")


# --------------------------------------------------------------------------------------------- adapters


def load_fracatlas(path: Path) -> LabeledImages:
    """FracAtlas: one image per row of dataset.csv, `fracture` from `fractured` (checked against the
    folder), `hardware`; extras: body region, view."""
    kind = "fracatlas"
    root = _find_root(path, kind, "dataset.csv", ("FracAtlas",))
    images = root / "images"
    if not (images / "Fractured").is_dir() or not (images / "Non_fractured").is_dir():
        raise DatasetLayoutError(kind, Path(path), "no images/Fractured and images/Non_fractured folders")
    rows = _read_csv(root / "dataset.csv")
    _require_columns(kind, root / "dataset.csv", rows, ("image_id", "fractured"))
    items, missing = [], []
    for row in rows:
        image_id = row["image_id"].strip()
        fractured = _flag(row["fractured"])
        image = images / ("Fractured" if fractured else "Non_fractured") / image_id
        if not image.is_file():
            other = images / ("Non_fractured" if fractured else "Fractured") / image_id
            if other.is_file():
                raise DatasetLayoutError(kind, root, f"{image_id} is labelled fractured={int(fractured)} in "
                                                     f"dataset.csv but lies in {other.parent.name}/")
            missing.append(image_id)
            continue
        labels = {"fracture": fractured}
        if "hardware" in row:
            labels["hardware"] = _flag(row["hardware"])
        region = next((r for r in ("hand", "leg", "hip", "shoulder", "mixed") if _flag(row.get(r)) == 1), "")
        view = next((v for v in ("frontal", "lateral", "oblique") if _flag(row.get(v)) == 1), "")
        items.append(LabeledImage(image, labels, image_id, image_id, {"region": region, "view": view}))
    _missing_images(kind, root, missing, len(rows))
    tasks = {name: "binary" for name in items[0].labels} if items else {"fracture": "binary"}
    return LabeledImages(kind, root, items, "fracture", tasks)


_MURA_STUDY_RE = re.compile(r"^(?:.*/)?(train|valid)/(XR_[A-Z]+)/(patient\d+)/(study\d+)_(positive|negative)/?$")


def load_mura(path: Path) -> LabeledImages:
    """MURA v1.1: every image of the `*_image_paths.csv` files, labelled `abnormality` by its study's row
    of `*_labeled_studies.csv`; the study (folder) is the evaluation unit. Extras: split, body part."""
    kind = "mura"
    path = Path(path).expanduser()
    root = _find_root(path, kind, "valid_labeled_studies.csv", ("MURA-v1.1",))
    base = root.parent  # the csv paths start with "MURA-v1.1/"
    items, missing, splits = [], [], []
    for split in ("train", "valid"):
        studies_csv, images_csv = root / f"{split}_labeled_studies.csv", root / f"{split}_image_paths.csv"
        if not studies_csv.is_file() or not images_csv.is_file():
            if split == "valid":
                raise DatasetLayoutError(kind, path, f"no {images_csv.name}")
            continue
        splits.append(split)
        labels: dict[str, float] = {}
        for line in studies_csv.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            study, _, label = line.strip().rpartition(",")
            if not _MURA_STUDY_RE.match(study):
                raise DatasetLayoutError(kind, path, f"{studies_csv.name}: {study!r} is not a MURA study path")
            labels[study.rstrip("/") + "/"] = _flag(label)
        lines = [line.strip() for line in images_csv.read_text(encoding="utf-8").splitlines() if line.strip()]
        for line in lines:
            study = line.rsplit("/", 1)[0] + "/"
            match = _MURA_STUDY_RE.match(study)
            if match is None or study not in labels:
                raise DatasetLayoutError(kind, path, f"{images_csv.name}: {line!r} is in no labelled study")
            image = base / line
            if not image.is_file():
                missing.append(line)
                continue
            _, part, patient, _, _ = match.groups()
            items.append(LabeledImage(image, {"abnormality": labels[study]}, study, patient,
                                      {"split": split, "body_part": part}))
        _missing_images(kind, root, missing, len(lines))
    return LabeledImages(kind, root, items, "abnormality", {"abnormality": "binary"}, splits=tuple(splits))


def _find_yolo_labels(root: Path) -> Path | None:
    for candidate in ("folder_structure/yolov5/labels", "yolov5/labels", "labels"):
        if (root / candidate).is_dir():
            return root / candidate
    return None


def _yolo_fracture_boxes(labels_dir: Path, stem: str) -> int | None:
    """Boxes of class "fracture" in a YOLO label file (None when the image has no file); a split
    labels folder (train/, valid/, test/) is searched too."""
    for candidate in (labels_dir / f"{stem}.txt", *labels_dir.glob(f"*/{stem}.txt")):
        if candidate.is_file():
            fracture = GRAZPEDWRI_YOLO_CLASSES.index("fracture")
            return sum(1 for line in candidate.read_text(encoding="utf-8").splitlines()
                       if line.split() and line.split()[0] == str(fracture))
    return None


def load_grazpedwri(path: Path) -> LabeledImages:
    """GRAZPEDWRI-DX: one image per row of dataset.csv, `fracture` from `fracture_visible` (empty is 0),
    also `metal`, `cast`, `osteopenia` when present; extras: sex, age, laterality, projection,
    AO classification, diagnosis_uncertain and, with the YOLO labels, the fracture boxes counted there."""
    kind = "grazpedwri"
    root = _find_root(path, kind, "dataset.csv", ("GRAZPEDWRI-DX", "GRAZPEDWRI-DX_dataset"))
    rows = _read_csv(root / "dataset.csv")
    _require_columns(kind, root / "dataset.csv", rows, ("filestem", "fracture_visible"))
    folders = [p for p in sorted(root.glob("images*")) if p.is_dir()]
    if not folders:
        raise DatasetLayoutError(kind, Path(path), "no images/ folder")
    index = {p.stem: p for folder in folders for p in folder.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES}
    labels_dir = _find_yolo_labels(root)
    items, missing = [], []
    for row in rows:
        stem = row["filestem"].strip()
        image = index.get(stem)
        if image is None:
            missing.append(stem)
            continue
        labels = {"fracture": _flag(row["fracture_visible"])}
        for name in ("metal", "cast", "osteopenia"):
            if name in row:
                labels[name] = _flag(row[name])
        extra = {"sex": (row.get("gender") or "").strip().upper()[:1], "age": _number(row.get("age")),
                 "laterality": (row.get("laterality") or "").strip(),
                 "projection": (row.get("projection") or "").strip(),
                 "ao_classification": (row.get("ao_classification") or "").strip(),
                 "diagnosis_uncertain": _flag(row.get("diagnosis_uncertain"))}
        if labels_dir is not None:
            extra["fracture_boxes"] = _yolo_fracture_boxes(labels_dir, stem)
        patient = (row.get("patient_id") or stem).strip()
        items.append(LabeledImage(image, labels, stem, patient, extra))
    _missing_images(kind, root, missing, len(rows))
    return LabeledImages(kind, root, items, "fracture", {name: "binary" for name in items[0].labels})


def load_rsna_boneage(path: Path) -> LabeledImages:
    """RSNA Bone Age (training set): `bone_age_months` (regression); extras: sex (from `male`)."""
    kind = "rsna-boneage"
    root = _find_root(path, kind, "boneage-training-dataset.csv", ("rsna-bone-age", "boneage"))
    folder = root / "boneage-training-dataset"
    if not folder.is_dir():
        raise DatasetLayoutError(kind, Path(path), "no boneage-training-dataset/ image folder")
    rows = _read_csv(root / "boneage-training-dataset.csv")
    _require_columns(kind, root / "boneage-training-dataset.csv", rows, ("id", "boneage", "male"))
    index = {p.stem: p for p in folder.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES}
    items, missing = [], []
    for row in rows:
        image_id = row["id"].strip()
        image = index.get(image_id)
        if image is None:
            missing.append(image_id)
            continue
        sex = "M" if _flag(row["male"]) else "F"
        items.append(LabeledImage(image, {"bone_age_months": float(row["boneage"])}, image_id, image_id,
                                  {"sex": sex}))
    _missing_images(kind, root, missing, len(rows))
    return LabeledImages(kind, root, items, "bone_age_months", {"bone_age_months": "regression"})


def load_knee_kl(path: Path) -> LabeledImages:
    """Knee KL folders: `kl_grade` 0-4 from the folder name (multiclass); extras: split."""
    kind = "knee-kl"
    root = Path(path).expanduser()
    if not root.is_dir():
        raise DatasetLayoutError(kind, root, "the path does not exist" if not root.exists() else "not a folder")

    def grade_dirs(folder: Path) -> list[Path]:
        return [folder / g for g in KL_GRADES if (folder / g).is_dir()]

    if grade_dirs(root):
        groups = [(None, root)]
    else:
        groups = [(p.name, p) for p in sorted(root.iterdir()) if p.is_dir() and grade_dirs(p)]
    if not groups:
        raise DatasetLayoutError(kind, root, "no grade folder 0-4 under the path or its split folders")
    items = []
    for split, folder in groups:
        for grade_dir in grade_dirs(folder):
            for image in sorted(grade_dir.iterdir()):
                if image.suffix.lower() in IMAGE_SUFFIXES and image.is_file():
                    study = f"{split}/{grade_dir.name}/{image.stem}" if split else f"{grade_dir.name}/{image.stem}"
                    items.append(LabeledImage(image, {"kl_grade": float(grade_dir.name)}, study, image.stem,
                                              {"split": split}))
    if not items:
        raise DatasetLayoutError(kind, root, "the grade folders hold no image")
    splits = tuple(name for name, _ in groups if name is not None)
    return LabeledImages(kind, root, items, "kl_grade", {"kl_grade": "multiclass"}, {"kl_grade": KL_GRADES},
                         splits=splits)


LOADERS = {
    "fracatlas": load_fracatlas,
    "mura": load_mura,
    "grazpedwri": load_grazpedwri,
    "rsna-boneage": load_rsna_boneage,
    "knee-kl": load_knee_kl,
}


def load_dataset(kind: str, path: str | Path, split: str | None = None) -> LabeledImages:
    """The dataset `kind` (one of `KINDS`) read from `path` in its own layout, restricted to `split`
    (None: every image)."""
    if kind not in LOADERS:
        raise ValueError(f"unknown dataset kind {kind!r}: expected one of {', '.join(KINDS)}")
    return LOADERS[kind](Path(path)).select_split(split)


def parse_dataset_spec(spec: str) -> tuple[str, Path]:
    """`KIND:PATH` -> (kind, path)."""
    kind, sep, path = spec.partition(":")
    if not sep or not path:
        raise ValueError(f"--dataset takes KIND:PATH (KIND one of {', '.join(KINDS)}), not {spec!r}")
    if kind not in LOADERS:
        raise ValueError(f"unknown dataset kind {kind!r}: expected one of {', '.join(KINDS)}")
    return kind, Path(path)
