"""DICOM de-identification per DICOM PS3.15 Annex E (Basic Application Level Confidentiality
Profile, Table E.1-1 as data), with burned-in text screening. See `deidentify.py` and `screening.py`."""

from .deidentify import DicomDeidentifier, new_uid
from .errors import DicomDeidError, Failure, Quarantine
from .profile import DEFAULT_OPTIONS, OPTIONS, Profile
from .screening import screen_header, screen_pixels

__all__ = ["DEFAULT_OPTIONS", "OPTIONS", "DicomDeidError", "DicomDeidentifier", "Failure", "Profile", "Quarantine",
           "new_uid", "screen_header", "screen_pixels"]
