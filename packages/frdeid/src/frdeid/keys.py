"""The secret key and everything derived from it: pseudonyms and per-patient date offsets.

This module is the single home of key handling for the text and the DICOM paths: both call
`date_offset_days` and `pseudonym`, so a patient's reports and images are shifted by the same
number of days and carry the same pseudonym. Derivations are HMAC-SHA256 of the key over a
domain-separated message, so knowing outputs reveals nothing about the key or other values.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

KEY_BYTES = 32
MAX_DATE_SHIFT_DAYS = 1000
_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: pseudonyms are read by people


class KeyFileError(ValueError):
    """A key file is missing, malformed or too short. The message never includes key material."""


def generate_key() -> bytes:
    """A fresh random key."""
    return secrets.token_bytes(KEY_BYTES)


def write_key(path: Path, key: bytes | None = None) -> Path:
    """Write a key as hex to a new file readable by its owner only (mode 0600); never overwrite."""
    path = Path(path)
    key = key if key is not None else generate_key()
    if len(key) < KEY_BYTES:
        raise KeyFileError(f"a key needs at least {KEY_BYTES} bytes")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL
    try:
        fd = os.open(path, flags, 0o600)
    except FileExistsError:
        raise FileExistsError(f"refusing to overwrite an existing key file: {path}") from None
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(key.hex() + "\n")
    os.chmod(path, 0o600)
    return path


def read_key(path: Path) -> bytes:
    """Read a key written by `write_key`."""
    try:
        text = Path(path).read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError) as error:
        raise KeyFileError(f"cannot read key file {path}: {type(error).__name__}") from None
    try:
        key = bytes.fromhex(text)
    except ValueError:
        raise KeyFileError(f"key file {path} does not hold a hex key") from None
    if len(key) < KEY_BYTES:
        raise KeyFileError(f"key file {path} holds fewer than {KEY_BYTES} bytes")
    return key


def derive(key: bytes, domain: str, value: str) -> bytes:
    """HMAC-SHA256 of `value` under `key`, separated by `domain` (e.g. "patient", "uid", "date")."""
    message = domain.encode("utf-8") + b"\x00" + value.encode("utf-8")
    return hmac.new(key, message, hashlib.sha256).digest()


def pseudonym(key: bytes, domain: str, value: str, length: int = 12) -> str:
    """A readable pseudonym (base-32, no ambiguous letters) for `value` in `domain`."""
    number = int.from_bytes(derive(key, domain, value), "big")
    chars = []
    for _ in range(length):
        number, digit = divmod(number, len(_ALPHABET))
        chars.append(_ALPHABET[digit])
    return "".join(chars)


def date_offset_days(key: bytes, patient_id: str) -> int:
    """The patient's date shift: a non-zero number of days in [-1000, +1000], fixed by key and id."""
    number = int.from_bytes(derive(key, "date-offset", patient_id)[:8], "big")
    # 2000 non-zero values: -1000..-1 and 1..1000, equally likely.
    index = number % (2 * MAX_DATE_SHIFT_DAYS)
    return index - MAX_DATE_SHIFT_DAYS if index < MAX_DATE_SHIFT_DAYS else index - MAX_DATE_SHIFT_DAYS + 1
