"""The `[replace]` table of the pipeline config: what replaces each label. Unknown labels, modes or
values are refused (a typo must not let PHI through)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from ...spans import LABELS

PLACEHOLDERS: dict[str, str] = {
    "PATIENT": "[PATIENT]", "PERSON": "[NOM]", "LOCATION": "[LIEU]", "INSTITUTION": "[INSTITUTION]",
    "DATE": "[DATE]", "AGE": "[AGE]", "ID": "[ID]", "PHONE": "[TEL]", "EMAIL_URL": "[EMAIL]",
}
URL_PLACEHOLDER = "[URL]"

# The modes each label accepts; the first is the default when the label is absent from the table.
ALLOWED_MODES: dict[str, tuple[str, ...]] = {
    "PATIENT": ("surrogate", "placeholder"),
    "PERSON": ("surrogate", "placeholder"),
    "LOCATION": ("surrogate", "placeholder"),
    "INSTITUTION": ("surrogate", "placeholder"),
    "DATE": ("shift", "placeholder"),
    "AGE": ("keep", "placeholder"),
    "ID": ("placeholder", "surrogate"),
    "PHONE": ("placeholder", "surrogate"),
    "EMAIL_URL": ("placeholder", "surrogate"),
}
_OPTIONS = {"bucket_ages_over"}


def placeholder(label: str, surface: str = "") -> str:
    """The placeholder of a label; e-mail/URL spans without "@" read `[URL]`."""
    if label == "EMAIL_URL" and "@" not in surface:
        return URL_PLACEHOLDER
    return PLACEHOLDERS[label]


@dataclass(frozen=True)
class ReplacePolicy:
    """Mode per label ("surrogate", "placeholder", "shift" for dates, "keep" for ages) and the age
    above which ages are written as "N ans ou plus" (0: never)."""

    modes: Mapping[str, str] = field(default_factory=lambda: {k: v[0] for k, v in ALLOWED_MODES.items()})
    bucket_ages_over: int = 0

    def __post_init__(self) -> None:
        for label, mode in self.modes.items():
            if label not in ALLOWED_MODES:
                raise ValueError(f"[replace]: unknown label {label!r}")
            if mode not in ALLOWED_MODES[label]:
                raise ValueError(f"[replace]: {label} = {mode!r} is not one of {', '.join(ALLOWED_MODES[label])}")
        if not isinstance(self.bucket_ages_over, int) or isinstance(self.bucket_ages_over, bool) \
                or self.bucket_ages_over < 0:
            raise ValueError("[replace]: bucket_ages_over must be a non-negative integer")

    @classmethod
    def from_config(cls, table: Mapping | None) -> ReplacePolicy:
        """From the `[replace]` table; absent labels take their first allowed mode."""
        table = dict(table or {})
        unknown = set(table) - set(LABELS) - _OPTIONS
        if unknown:
            raise ValueError(f"[replace]: unknown keys {', '.join(sorted(unknown))}")
        modes = {label: table.get(label, ALLOWED_MODES[label][0]) for label in LABELS}
        return cls(modes=modes, bucket_ages_over=table.get("bucket_ages_over", 0))

    def mode(self, label: str) -> str:
        """The mode of a label."""
        return self.modes.get(label, ALLOWED_MODES[label][0])
