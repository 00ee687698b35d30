"""The layout table: which builder draws each body part, for every view of `anatomy.toml`."""

from __future__ import annotations

from collections.abc import Callable

from .layout import Layout
from .parts_arm import elbow, forearm, shoulder
from .parts_hand import hand, wrist
from .parts_leg import ankle, foot, knee
from .parts_pelvis import hip, pelvis
from .parts_spine import spine

Builder = Callable[[str, float], Layout]

BUILDERS: dict[str, Builder] = {
    "hand": hand,
    "wrist": wrist,
    "forearm": forearm,
    "elbow": elbow,
    "shoulder": shoulder,
    "knee": knee,
    "ankle": ankle,
    "foot": foot,
    "hip": hip,
    "pelvis": pelvis,
    "spine": spine,
}


def layout_for(body_part: str, view: str, gap_mm: float) -> Layout:
    """The layout of a body part and view; `gap_mm` is the graded joint's space (knee, hip)."""
    try:
        builder = BUILDERS[body_part]
    except KeyError:
        raise ValueError(f"unknown body part {body_part!r}") from None
    return builder(view, gap_mm)
