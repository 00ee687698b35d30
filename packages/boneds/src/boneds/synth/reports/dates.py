"""French renderings of dates, times and ages, as Belgian hospital documents write them.

Pure functions: the writer draws the style, these functions only format. Every string returned by
`format_date` is one DATE span; `format_age` gives one AGE span; `format_time` is never PHI.
"""

from __future__ import annotations

from datetime import date, datetime

MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
          "novembre", "décembre")
# Abbreviations used in letters and EHR headers (mars, mai, juin, août have none).
MONTHS_ABBR = ("janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc.")
WEEKDAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")

# Styles of a complete date (day, month, year).
FULL_STYLES = ("slash", "dash", "dot", "dot_short", "slash_short", "slash_nopad", "iso", "dicom", "long",
               "long_upper", "abbr", "weekday")
# Their weights in headers and dated lines (numeric day/month/year dominates in Belgian documents).
FULL_WEIGHTS = (30, 6, 8, 5, 5, 4, 4, 2, 16, 3, 5, 4)
# Styles of a partial date: month + year, day + month, year alone, numeric month/year, numeric day/month.
PARTIAL_STYLES = ("month_year", "day_month", "year", "month_num_year", "day_month_num")
PARTIAL_WEIGHTS = (5, 4, 4, 1, 2)

TIME_STYLES = ("h", "colon", "h_spaced", "H")


def day_text(d: date) -> str:
    """The day number as written in words dates: "1er" for the first of the month."""
    return "1er" if d.day == 1 else str(d.day)


def format_date(d: date, style: str) -> str:
    """One date in a named style, e.g. `slash` 12/03/2021, `long` 12 mars 2021, `year` 2021."""
    month = MONTHS[d.month - 1]
    if style == "slash":
        return f"{d:%d/%m/%Y}"
    if style == "dash":
        return f"{d:%d-%m-%Y}"
    if style == "dot":
        return f"{d:%d.%m.%Y}"
    if style == "dot_short":
        return f"{d:%d.%m.%y}"
    if style == "slash_short":
        return f"{d:%d/%m/%y}"
    if style == "slash_nopad":
        return f"{d.day}/{d.month}/{d:%y}"
    if style == "iso":
        return d.isoformat()
    if style == "dicom":
        return f"{d:%Y%m%d}"
    if style == "long":
        return f"{day_text(d)} {month} {d.year}"
    if style == "long_upper":
        return f"{day_text(d)} {month} {d.year}".upper()
    if style == "abbr":
        return f"{day_text(d)} {MONTHS_ABBR[d.month - 1]} {d.year}"
    if style == "weekday":
        return f"{WEEKDAYS[d.weekday()]} {day_text(d)} {month} {d.year}"
    if style == "month_year":
        return f"{month} {d.year}"
    if style == "day_month":
        return f"{day_text(d)} {month}"
    if style == "year":
        return str(d.year)
    if style == "month_num_year":
        return f"{d:%m/%Y}"
    if style == "day_month_num":
        return f"{d:%d/%m}"
    raise ValueError(f"unknown date style {style!r}")


def format_time(t: datetime, style: str) -> str:
    """A clock time: `h` 14h30, `colon` 14:30, `h_spaced` 14 h 30, `H` 14H30."""
    if style == "h":
        return f"{t.hour}h{t.minute:02d}"
    if style == "colon":
        return f"{t:%H:%M}"
    if style == "h_spaced":
        return f"{t.hour} h {t.minute:02d}"
    if style == "H":
        return f"{t.hour:02d}H{t.minute:02d}"
    raise ValueError(f"unknown time style {style!r}")


def age_parts(birth: date, on: date) -> tuple[int, int]:
    """Completed years and months between a birth date and a day."""
    months = (on.year - birth.year) * 12 + on.month - birth.month - (1 if on.day < birth.day else 0)
    months = max(months, 0)
    return months // 12, months % 12


# Age styles by age band; the writer draws one of those that apply.
ADULT_AGE_STYLES = ("ans", "ans", "ans", "a", "a_spaced")
CHILD_AGE_STYLES = ("ans", "ans_mois", "ans_et_mois", "ans_mois_short")
INFANT_AGE_STYLES = ("mois",)


def age_styles(years: int) -> tuple[str, ...]:
    """The age styles that fit a person of this many completed years."""
    if years < 2:
        return INFANT_AGE_STYLES
    if years < 12:
        return CHILD_AGE_STYLES
    return ADULT_AGE_STYLES


def format_age(years: int, months: int, style: str) -> str:
    """An age: `ans` 45 ans, `a` 45a, `ans_et_mois` 3 ans et 2 mois, `mois` 18 mois..."""
    if style == "mois":
        total = years * 12 + months
        return f"{max(total, 1)} mois"
    if style == "ans" or (months == 0 and style.startswith("ans_")):
        return f"{years} an" if years == 1 else f"{years} ans"
    if style == "a":
        return f"{years}a"
    if style == "a_spaced":
        return f"{years} a"
    if style == "ans_mois":
        return f"{years} ans {months} mois"
    if style == "ans_et_mois":
        return f"{years} ans et {months} mois"
    if style == "ans_mois_short":
        return f"{years}a{months}m"
    raise ValueError(f"unknown age style {style!r}")
