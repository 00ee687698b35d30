"""Belgian and French identifier formats: national numbers, INAMI numbers, phone numbers.

Pure functions of their inputs and an `np.random.Generator`; the check-digit rules are the public
ones (NISS/INSZ: 97 - number mod 97, with a leading 2 for births from 2000 on).
"""

from __future__ import annotations

from datetime import date

import numpy as np


def niss_check_digits(birth_date: date, serial: int) -> int:
    """Check digits of a Belgian national register number for this birth date and serial (1-998)."""
    base = int(f"{birth_date:%y%m%d}{serial:03d}")
    if birth_date.year >= 2000:
        base += 2_000_000_000
    return 97 - base % 97


def make_niss(birth_date: date, sex: str, rng: np.random.Generator) -> str:
    """A valid NISS/INSZ formatted `YY.MM.DD-XXX.CC` (odd serial for men, even for women)."""
    serial = int(rng.integers(1, 499)) * 2 - (1 if sex == "M" else 0)
    check = niss_check_digits(birth_date, serial)
    return f"{birth_date:%y.%m.%d}-{serial:03d}.{check:02d}"


def make_inami(rng: np.random.Generator, qualification: str = "") -> str:
    """An INAMI/RIZIV physician number `1-XXXXX-CC-QQQ` (check digits 97 - number mod 97)."""
    number = int(rng.integers(0, 100_000))
    check = 97 - int(f"1{number:05d}") % 97
    qual = qualification or f"{int(rng.integers(0, 1000)):03d}"
    return f"1-{number:05d}-{check:02d}-{qual}"


_BE_ZONES = ("02", "03", "04", "09", "010", "011", "013", "014", "015", "016", "019", "050",
             "056", "060", "061", "063", "064", "065", "067", "069", "071", "080", "081", "082",
             "083", "084", "085", "086", "087")


def make_phone(rng: np.random.Generator, country: str = "BE", mobile: bool | None = None) -> str:
    """A Belgian or French phone number in one of the forms people write."""
    if mobile is None:
        mobile = bool(rng.random() < 0.5)
    if country == "FR":
        digits = f"0{int(rng.integers(1, 8))}" + "".join(str(d) for d in rng.integers(0, 10, 8))
        pairs = [digits[i : i + 2] for i in range(0, 10, 2)]
        style = int(rng.integers(0, 3))
        if style == 0:
            return " ".join(pairs)
        if style == 1:
            return ".".join(pairs)
        return "+33 " + digits[1] + " " + " ".join(pairs[1:])
    if mobile:
        prefix = f"04{int(rng.integers(60, 100))}"
    else:
        prefix = str(rng.choice(_BE_ZONES))
    rest_len = 9 - (len(prefix) - 1)
    rest = "".join(str(d) for d in rng.integers(0, 10, rest_len))
    return _format_be(prefix, rest, int(rng.integers(0, 5)))


def _format_be(prefix: str, rest: str, style: int) -> str:
    """Belgian number as `0478 12 34 56`, `0478/12.34.56`, `+32 478 12 34 56`, `081/72 11 11`..."""
    groups = [rest[i : i + 2] for i in range(0, len(rest) - len(rest) % 2, 2)]
    if len(rest) % 2:
        groups = [rest[:3]] + [rest[i : i + 2] for i in range(3, len(rest), 2)]
    if style == 0:
        return f"{prefix} {' '.join(groups)}"
    if style == 1:
        return f"{prefix}/{'.'.join(groups)}"
    if style == 2:
        return f"+32 {prefix[1:]} {' '.join(groups)}"
    if style == 3:
        return f"{prefix}/{' '.join(groups)}"
    return f"{prefix}{rest}"
