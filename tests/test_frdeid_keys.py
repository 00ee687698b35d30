"""The secret key and its derivations: the one place pseudonyms and date shifts come from."""

from __future__ import annotations

import stat

import pytest

from frdeid.cli import main as frdeid_main
from frdeid.keys import (
    MAX_DATE_SHIFT_DAYS,
    KeyFileError,
    date_offset_days,
    pseudonym,
    read_key,
    write_key,
)


def test_keygen_writes_owner_only_file_and_refuses_to_overwrite(tmp_path):
    path = tmp_path / "site.key"
    assert frdeid_main(["keygen", str(path)]) == 0
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    first = path.read_bytes()
    assert frdeid_main(["keygen", str(path)]) == 2
    assert path.read_bytes() == first
    assert len(read_key(path)) == 32


def test_two_keygens_differ(tmp_path):
    a = read_key(write_key(tmp_path / "a.key"))
    b = read_key(write_key(tmp_path / "b.key"))
    assert a != b


@pytest.mark.parametrize("content", ["", "zz" * 32, "ab" * 8])
def test_malformed_key_is_rejected_without_echoing_it(tmp_path, content):
    path = tmp_path / "bad.key"
    path.write_text(content)
    with pytest.raises(KeyFileError) as info:
        read_key(path)
    if content:
        assert content not in str(info.value)


def test_date_offset_is_nonzero_bounded_and_stable():
    key = bytes(range(32))
    offsets = [date_offset_days(key, f"P{i:06d}") for i in range(5000)]
    assert all(o != 0 and -MAX_DATE_SHIFT_DAYS <= o <= MAX_DATE_SHIFT_DAYS for o in offsets)
    assert min(offsets) < -900 and max(offsets) > 900  # the whole range is used
    assert offsets == [date_offset_days(key, f"P{i:06d}") for i in range(5000)]
    other = [date_offset_days(bytes(32), f"P{i:06d}") for i in range(100)]
    assert sum(a != b for a, b in zip(offsets[:100], other, strict=True)) > 95  # another key, other shifts


def test_pseudonyms_depend_on_key_domain_and_value():
    key = bytes(range(32))
    other = bytes(32)
    assert pseudonym(key, "patient", "123") == pseudonym(key, "patient", "123")
    assert pseudonym(key, "patient", "123") != pseudonym(key, "patient", "124")
    assert pseudonym(key, "patient", "123") != pseudonym(key, "study", "123")
    assert pseudonym(key, "patient", "123") != pseudonym(other, "patient", "123")
    assert len({pseudonym(key, "patient", str(i)) for i in range(10_000)}) == 10_000
