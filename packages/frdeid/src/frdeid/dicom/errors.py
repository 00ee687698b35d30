"""The two ways a file is refused. Messages are fixed phrases: they never carry a value read from a file."""

from __future__ import annotations


class DicomDeidError(Exception):
    """Base class; `reason` is a fixed phrase safe for logs and reports."""

    status = "failed"

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Quarantine(DicomDeidError):  # noqa: N818 - the name the API promises
    """The file may show identifying content that header de-identification cannot remove (burned-in
    text, documents, screenshots): it is never written."""

    status = "quarantined"


class Failure(DicomDeidError):  # noqa: N818 - the name the API promises
    """The file cannot be processed safely (unreadable, unsupported, an unexpected error)."""

    status = "failed"
