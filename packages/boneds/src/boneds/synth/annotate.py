"""Build a document's text piece by piece while recording exact PHI offsets."""

from __future__ import annotations

from .model import PHI_LABELS, AnnotatedText, Span


class TextBuilder:
    """Appends plain text and PHI values; each PHI value becomes a `Span` over its exact characters.

    Offsets are Python string indices into the final text, so `text[span.start:span.end]` is the
    value that was added. Adjacent PHI values stay separate spans.
    """

    def __init__(self) -> None:
        self._parts: list[str] = []
        self._spans: list[Span] = []
        self._length = 0

    def add(self, text: str) -> TextBuilder:
        """Append text that holds no PHI."""
        self._parts.append(text)
        self._length += len(text)
        return self

    def phi(self, value: str, label: str) -> TextBuilder:
        """Append a PHI value and record its span (an empty value adds nothing)."""
        if label not in PHI_LABELS:
            raise ValueError(f"unknown PHI label {label!r}")
        if value:
            self._spans.append(Span(self._length, self._length + len(value), label))
            self.add(value)
        return self

    def extend(self, other: AnnotatedText) -> TextBuilder:
        """Append an already annotated piece, shifting its spans."""
        offset = self._length
        self._spans.extend(Span(s.start + offset, s.end + offset, s.label) for s in other.spans)
        return self.add(other.text)

    def endswith(self, suffix: str) -> bool:
        """Whether the text built so far ends with `suffix`."""
        tail = ""
        for part in reversed(self._parts):
            tail = part + tail
            if len(tail) >= len(suffix):
                break
        return tail.endswith(suffix)

    def __len__(self) -> int:
        return self._length

    def build(self) -> AnnotatedText:
        """The text and its spans, sorted by start."""
        return AnnotatedText("".join(self._parts), tuple(sorted(self._spans, key=lambda s: s.start)))
