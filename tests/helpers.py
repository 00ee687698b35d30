"""Small helpers shared by test modules (imported as `helpers`; pytest puts tests/ on sys.path)."""

from __future__ import annotations

import numpy as np
from pydicom.dataset import Dataset
from pydicom.pixels import apply_modality_lut, apply_voi_lut


def display(ds: Dataset) -> np.ndarray:
    """Reference display pipeline: Modality LUT, VOI (LUT or window), MONOCHROME1 inversion.
    Higher values are brighter."""
    values = apply_modality_lut(ds.pixel_array, ds)
    if "VOILUTSequence" in ds:
        values = apply_voi_lut(np.rint(values).astype(np.int64), ds, prefer_lut=True)
    elif "WindowCenter" in ds:
        values = apply_voi_lut(values, ds, prefer_lut=False)
    values = np.asarray(values, dtype=np.float64)
    if ds.PhotometricInterpretation == "MONOCHROME1":
        values = -values
    return values


def read_csv(path) -> list[dict]:
    """Rows of a CSV file as dicts."""
    import csv

    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))
