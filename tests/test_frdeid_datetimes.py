"""Tests of the French date API (`frdeid.text.datetimes`): parsing, shifting in the original form, and the
round trip with the `dates` detector."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from frdeid.text import registry
from frdeid.text.datetimes import int_to_words, parse_date_text, shift_date_text, words_to_int
from frdeid.text.document import Document

MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
          "novembre", "décembre")
MONTHS_ABBR = ("janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc.")
WEEKDAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")


def _day(d: date) -> str:
    return "1er" if d.day == 1 else str(d.day)


# Every full-date form, written independently of the module under test.
FULL_FORMS = {
    "slash": lambda d: f"{d:%d/%m/%Y}",
    "dash": lambda d: f"{d:%d-%m-%Y}",
    "dot": lambda d: f"{d:%d.%m.%Y}",
    "dot_short": lambda d: f"{d:%d.%m.%y}",
    "slash_short": lambda d: f"{d:%d/%m/%y}",
    "slash_nopad": lambda d: f"{d.day}/{d.month}/{d:%y}",
    "slash_nopad4": lambda d: f"{d.day}/{d.month}/{d.year}",
    "iso": lambda d: d.isoformat(),
    "dicom": lambda d: f"{d:%Y%m%d}",
    "long": lambda d: f"{_day(d)} {MONTHS[d.month - 1]} {d.year}",
    "long_upper": lambda d: f"{_day(d)} {MONTHS[d.month - 1]} {d.year}".upper(),
    "long_title": lambda d: f"{_day(d)} {MONTHS[d.month - 1].capitalize()} {d.year}",
    "abbr": lambda d: f"{_day(d)} {MONTHS_ABBR[d.month - 1]} {d.year}",
    "weekday": lambda d: f"{WEEKDAYS[d.weekday()]} {_day(d)} {MONTHS[d.month - 1]} {d.year}",
    "weekday_title": lambda d: f"{WEEKDAYS[d.weekday()].capitalize()} {_day(d)} {MONTHS[d.month - 1]} {d.year}",
}
# Two-digit years are read as 1941-2040.
TWO_DIGIT = {"dot_short", "slash_short", "slash_nopad"}
UNPADDED = {"slash_nopad", "slash_nopad4"}
FULL_AS_ABBR = {3, 5, 6, 8}
dates = st.dates(min_value=date(1945, 1, 1), max_value=date(2035, 12, 31))


@pytest.mark.parametrize(("surface", "expected"), [
    ("12/03/2021", (2021, 3, 12)), ("12-03-2021", (2021, 3, 12)), ("12.03.21", (2021, 3, 12)),
    ("12/3/21", (2021, 3, 12)), ("3/12/2021", (2021, 12, 3)), ("2021-03-12", (2021, 3, 12)),
    ("20210312", (2021, 3, 12)), ("12 mars 2021", (2021, 3, 12)), ("12 MARS 2021", (2021, 3, 12)),
    ("1er mars 2021", (2021, 3, 1)), ("12 févr. 2021", (2021, 2, 12)), ("12 fev 2021", (2021, 2, 12)),
    ("lundi 12 mars 2021", (2021, 3, 12)), ("mars 2020", (2020, 3, None)), ("12 mars", (None, 3, 12)),
    ("12/03", (None, 3, 12)), ("2019", (2019, None, None)), ("14.01.76", (1976, 1, 14)),
    ("10 / 03 | 2020", (2020, 3, 10)), ("21 novembre, 2012", (2012, 11, 21)), ("12, Mai 1973", (1973, 5, 12)),
    ("Sept 01,2026", (2026, 9, 1)), ("18X2027", (2027, 10, 18)), ("dec1993", (1993, 12, None)),
    ("28nov", (None, 11, 28)), ("01sep2018", (2018, 9, 1)), ("2013 janvier", (2013, 1, None)),
    ("décembre 93", (1993, 12, None)), ("1 2 . 0 6 . 1 9 8 1", (1981, 6, 12)), ("0 7 0 8 1 9 8 3", (1983, 8, 7)),
    ("vingt-six 02 2012", (2012, 2, 26)), ("deux janvier mille neuf cent soixante dix huit", (1978, 1, 2)),
    ("Jeudi dix-sept Octobre deux mille dix huit", (2018, 10, 17)), ("deux mille dix sept", (2017, None, None)),
    ("25 janv. 2020", (2020, 1, 25)), ("12 march 2020", (2020, 3, 12)), ("3 mei 2019", (2019, 5, 3)),
])
def test_parse_date_text(surface, expected):
    parsed = parse_date_text(surface)
    assert parsed is not None
    assert (parsed.year, parsed.month, parsed.day) == expected


@pytest.mark.parametrize("surface", ["31/02/2021", "45/13/2020", "00/01/2020", "12/13/2020", "hello", "", "  ",
                                     "2 9 0 2 1 9 9 5", "12 mars 2021 à 14h", "1850", "L4-L5"])
def test_parse_date_text_rejects_non_dates(surface):
    assert parse_date_text(surface) is None
    assert shift_date_text(surface, 10) is None


@pytest.mark.parametrize(("surface", "days", "expected"), [
    ("12/03/2021", 17, "29/03/2021"),
    ("12-03-2021", -300, "16-05-2020"),
    ("12.03.21", 17, "29.03.21"),
    ("12/3/21", 17, "29/3/21"),
    ("09/08/07", 1, "10/08/07"),
    ("2021-03-12", 17, "2021-03-29"),
    ("20210312", 17, "20210329"),
    ("12 mars 2021", 17, "29 mars 2021"),
    ("12 MARS 2021", 60, "11 MAI 2021"),
    ("28 févr. 2021", 1, "1er mars 2021"),
    ("12 févr. 2021", 60, "13 avr. 2021"),
    ("12 fev 2021", 17, "1er mar 2021"),
    ("12 Janvier 2021", 31, "12 Février 2021"),
    ("1er mars 2021", 1, "2 mars 2021"),
    ("05 Juin 2051", 1, "06 Juin 2051"),
    ("lundi 12 mars 2021", 1, "samedi 13 mars 2021"),
    ("Lundi 1er mars 2021", 7, "Lundi 8 mars 2021"),
    ("mars 2020", 31, "avril 2020"),
    ("12 mars", 20, "1er avril"),
    ("12/03", 20, "01/04"),
    ("2019", 200, "2020"),
    ("dec1993", 20, "janv1994"),
    ("Sept 01,2026", 30, "Oct 01,2026"),
    ("18X2027", 14, "1XI2027"),
    ("2 9 0 2 2 0 2 0", 1, "0 1 0 3 2 0 2 0"),
    ("deux janvier mille neuf cent soixante dix huit", 17, "dix neuf janvier mille neuf cent soixante dix huit"),
    (" 12/03/2021 ", 1, " 13/03/2021 "),
])
def test_shift_date_text_keeps_the_form(surface, days, expected):
    assert shift_date_text(surface, days) == expected  # "lundi 12 mars 2021": the weekday is recomputed


def test_partial_dates_stay_partial():
    assert shift_date_text("mars 2020", 20) == "avril 2020"  # 15 March + 20 days
    assert shift_date_text("mars 2020", 10) == "avril 2020"  # too small to leave March: moved a month
    assert shift_date_text("2019", 183) == "2020"  # 1 July + 183 days is still 2019: moved a year
    assert shift_date_text("2019", 184) == "2020"


def test_french_number_words():
    assert [words_to_int(w) for w in ("dix-sept", "quatre-vingt-dix-neuf", "soixante et onze", "septante",
                                      "mille neuf cent soixante-dix-huit", "deux-milles vingts troiss")] == \
        [17, 99, 71, 70, 1978, 2023]
    for n in (1, 17, 21, 31, 71, 80, 99, 1900, 1978, 2000, 2023):
        assert words_to_int(int_to_words(n)) == n


@settings(max_examples=150, deadline=None)
@given(day=dates, form=st.sampled_from(sorted(FULL_FORMS)), offset=st.integers(-3000, 3000))
def test_full_dates_round_trip(day, form, offset):
    surface = FULL_FORMS[form](day)
    new = day + timedelta(days=offset)
    assume(form not in TWO_DIGIT or date(1941, 1, 1) <= new <= date(2040, 12, 31))
    parsed = parse_date_text(surface)
    assert parsed is not None and (parsed.year, parsed.month, parsed.day) == (day.year, day.month, day.day)
    shifted = shift_date_text(surface, offset)
    again = parse_date_text(shifted)
    assert (again.year, again.month, again.day) == (new.year, new.month, new.day)
    if form in UNPADDED and not _shows_padding(day) or form in UNPADDED and not _shows_padding(new):
        return  # "10/10/00" does not say whether "9/10/00" or "09/10/00" is its form
    if form == "abbr" and (day.month in FULL_AS_ABBR or new.month in FULL_AS_ABBR):
        return  # "mars" is both the name and its abbreviation: "1er mars" does not say which list it is from
    assert shifted == FULL_FORMS[form](new)
    assert shift_date_text(shifted, -offset) == surface


def _shows_padding(day: date) -> bool:
    return day.day < 10 or day.month < 10


@settings(max_examples=150, deadline=None)
@given(day=dates, form=st.sampled_from(sorted(FULL_FORMS)))
def test_detector_finds_every_rendered_date(day, form):
    surface = FULL_FORMS[form](day)
    detector = registry.build("dates", {})
    for template in ("Examen du {} à 14h30.", "Né le {}, EVA 3/10.", "({})", "Date : {}\nIPP : 12345678"):
        text = template.format(surface)
        start = text.index(surface)
        spans = [(s.start, s.end) for s in detector(Document(text))]
        assert spans == [(start, start + len(surface))], (form, text)


@pytest.mark.parametrize("surface", ["2019", "mars 2020", "MARS 2020", "12 mars", "03/2020", "décembre 2020"])
@pytest.mark.parametrize("offset", [-400, -30, -5, -1, 1, 5, 30, 366])
def test_a_shifted_partial_date_is_never_written_as_before(surface, offset):
    shifted = shift_date_text(surface, offset)
    assert shifted is not None and shifted != surface
    assert parse_date_text(shifted) is not None
