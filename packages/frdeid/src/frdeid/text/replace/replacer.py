"""The replacer: rewrites exactly the given spans of a text (it never detects anything) and leaves
every other character as it was."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from ...keys import date_offset_days
from ...patient import PatientIdentity
from ...spans import Span
from .casing import key_norm
from .context import Context
from .institutions import render_institution
from .keyed import Keyed, NoSurrogateError
from .names import PatientNames, render_name
from .places import render_location
from .policy import ReplacePolicy, placeholder
from .pools import Lexicons, default_lexicons, pools_for
from .shapes import render_shape
from .temporal import DateShifter, default_date_shifter, keep_age, shift_date
from .vocab import STRUCTURE_WORDS

MAX_ATTEMPTS = 8  # whole-span redraws before a span falls back to its placeholder
_RENDERERS = {
    "PATIENT": lambda surface, ctx: render_name(surface, "PATIENT", ctx),
    "PERSON": lambda surface, ctx: render_name(surface, "PERSON", ctx),
    "LOCATION": render_location,
    "INSTITUTION": render_institution,
    "ID": lambda surface, ctx: render_shape(surface, "ID", ctx),
    "PHONE": lambda surface, ctx: render_shape(surface, "PHONE", ctx),
    "EMAIL_URL": lambda surface, ctx: render_shape(surface, "EMAIL_URL", ctx),
}
# Labels whose words (not only whole surfaces) no other surrogate may contain.
_WORDED = frozenset({"PATIENT", "PERSON", "LOCATION", "INSTITUTION"})


class Replacer:
    """Rewrites PHI spans by policy. Every surrogate derives from `key` and the folded original
    value, so the same original gives the same surrogate in every document and run."""

    def __init__(self, key: bytes, policy: ReplacePolicy | Mapping | None = None,
                 lexicons: Lexicons | None = None, date_shifter: DateShifter | None = None) -> None:
        self._key = key
        self.keyed = Keyed(key)
        self.policy = policy if isinstance(policy, ReplacePolicy) else ReplacePolicy.from_config(policy)
        self.pools = pools_for(lexicons if lexicons is not None else default_lexicons())
        needs_shift = self.policy.mode("DATE") == "shift"
        self.date_shifter = date_shifter if date_shifter is not None or not needs_shift else default_date_shifter()

    def date_offset(self, text: str, patient_id: str | None) -> int:
        """The patient's offset; without a patient id, an offset fixed by the key and the document."""
        if patient_id:
            return date_offset_days(self._key, patient_id)
        return date_offset_days(self._key, "\x00document\x00" + text)

    def replace(self, text: str, spans: Sequence[Span], patient: PatientIdentity | None = None,
                patient_id: str | None = None) -> str:
        """`text` with every span rewritten; spans must be disjoint and inside the text."""
        ordered = sorted(spans, key=lambda s: s.start)
        pieces = self.rewrite(text, ordered, patient, patient_id)
        out: list[str] = []
        cursor = 0
        for span, piece in zip(ordered, pieces, strict=True):
            out.append(text[cursor:span.start])
            out.append(piece)
            cursor = span.end
        out.append(text[cursor:])
        return "".join(out)

    def rewrite(self, text: str, spans: Sequence[Span], patient: PatientIdentity | None = None,
                patient_id: str | None = None) -> list[str]:
        """The replacement of each span (sorted by start), in order."""
        ordered = sorted(spans, key=lambda s: s.start)
        _check(text, ordered)
        patient_id = patient_id or (patient.patient_id if patient is not None else "") or ""
        ctx = self._context(text, ordered, patient, patient_id)
        offset = self.date_offset(text, patient_id)
        return [self._render(text[s.start:s.end], s.label, ctx, offset) for s in ordered]

    def _context(self, text: str, spans: Sequence[Span], patient: PatientIdentity | None,
                 patient_id: str) -> Context:
        names = PatientNames(patient, patient_id, self.pools) if patient is not None else None
        forbidden = {key_norm(text[s.start:s.end]) for s in spans}
        worded = [text[s.start:s.end] for s in spans if s.label in _WORDED]
        for surface in worded + (names.words() if names else []):
            forbidden.update(key_norm(w) for w in re.findall(r"[^\W\d_]+", surface)
                             if key_norm(w) not in STRUCTURE_WORDS)
        return Context(self.keyed, self.pools, frozenset(f for f in forbidden if len(f) >= 3), names)

    def _render(self, surface: str, label: str, ctx: Context, offset: int) -> str:
        mode = self.policy.mode(label)
        if mode == "placeholder":
            return placeholder(label, surface)
        if mode == "shift":
            shifted = shift_date(surface, offset, self.date_shifter)
            return shifted if shifted is not None else placeholder(label)
        if mode == "keep":
            kept = keep_age(surface, self.policy.bucket_ages_over)
            return kept if kept is not None else placeholder(label)
        for attempt in range(MAX_ATTEMPTS):
            trial = ctx.with_attempt(attempt)
            try:
                out = _RENDERERS[label](surface, trial)
            except NoSurrogateError:
                continue
            if trial.acceptable(surface, out):
                return out
        return placeholder(label, surface)


def _check(text: str, spans: Sequence[Span]) -> None:
    end = 0
    for span in spans:
        if span.start < end or span.end > len(text):
            raise ValueError("spans must be disjoint and inside the text")
        end = span.end
