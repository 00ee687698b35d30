"""Written forms of a person's name: "Jean DUPONT", "DUPONT Jean", "J.-P. Dupont", "JD", ...

Pure functions. A form returned here is always one PATIENT or PERSON span (titles such as Dr, Mme,
Monsieur are added by the writer outside the span).
"""

from __future__ import annotations

import numpy as np

from ..model import Person

# Forms of a full name in headers and identity blocks, with their weights.
HEADER_FORMS = ("LAST_first", "LAST_first", "first_LAST", "LAST_firsts", "LAST_comma_first", "last_first",
                "first_last", "ALL_CAPS", "LAST_first_upper")
# Forms used after a title in running text ("Mme Dupont", "M. Jean DUPONT").
TITLED_FORMS = ("last", "last", "LAST", "first_last", "first_LAST", "init_last", "LAST_first")
# Forms of a physician's name after "Dr".
PHYSICIAN_FORMS = ("first_LAST", "first_LAST", "LAST", "last", "first_last", "init_LAST", "init_last",
                   "LAST_first", "last_init", "LAST_init")


def upper(name: str) -> str:
    """Upper case as French documents write surnames (accents kept)."""
    return name.upper()


def initial(first: str) -> str:
    """Initial of a given name: "Jean" -> "J.", "Jean-Pierre" -> "J.-P.", "Marie Anne" -> "M."."""
    parts = [p for p in first.split("-") if p]
    return "-".join(f"{p[0]}." for p in parts)


def initials(person: Person, dotted: bool = False) -> str:
    """Initials of first and last name: "JD", "JPD" or "J.D." (particles ignored)."""
    letters = [p[0] for p in person.first_name.split("-") if p]
    last_words = [w for w in person.last_name.replace("-", " ").split() if w[:1].isupper()]
    if not last_words:
        last_words = person.last_name.split()
    letters.append(last_words[0][0].upper() if last_words else "X")
    if dotted:
        return "".join(f"{c.upper()}." for c in letters)
    return "".join(c.upper() for c in letters)


def name_form(person: Person, form: str, last: str | None = None) -> str:
    """One written form of a name. `last` overrides the surname (a misspelled one, a married name)."""
    last = person.last_name if last is None else last
    first = person.first_name
    firsts = " ".join(person.first_names)
    if form == "first_LAST":
        return f"{first} {upper(last)}"
    if form == "LAST_first":
        return f"{upper(last)} {first}"
    if form == "LAST_firsts":
        return f"{upper(last)} {firsts}"
    if form == "LAST_comma_first":
        return f"{upper(last)}, {first}"
    if form == "first_last":
        return f"{first} {last}"
    if form == "last_first":
        return f"{last} {first}"
    if form == "ALL_CAPS":
        return f"{first} {last}".upper()
    if form == "LAST_first_upper":
        return f"{last} {first}".upper()
    if form == "LAST":
        return upper(last)
    if form == "last":
        return last
    if form == "first":
        return first
    if form == "init_LAST":
        return f"{initial(first)} {upper(last)}"
    if form == "init_last":
        return f"{initial(first)} {last}"
    if form == "last_init":
        return f"{last} {initial(first)}"
    if form == "LAST_init":
        return f"{upper(last)} {initial(first)}"
    if form == "initials":
        return initials(person)
    if form == "initials_dotted":
        return initials(person, dotted=True)
    raise ValueError(f"unknown name form {form!r}")


def misspell(name: str, rng: np.random.Generator) -> str:
    """A plausible typing error in a surname: swapped, doubled or dropped letter, or a lost accent."""
    folded = name.translate(str.maketrans("éèêëàâäîïôöûüçÉÈ", "eeeeaaaiioouucEE"))
    letters = [i for i, c in enumerate(name) if c.isalpha()]
    if len(letters) < 4:
        return name + name[-1]
    kind = int(rng.integers(0, 4))
    if kind == 0 and folded != name:
        return folded
    pos = letters[int(rng.integers(1, len(letters) - 1))]
    if kind <= 1 and name[pos + 1 : pos + 2].isalpha() and name[pos] != name[pos + 1]:
        return name[:pos] + name[pos + 1] + name[pos] + name[pos + 2 :]
    if kind == 2:
        return name[:pos] + name[pos] + name[pos:]
    out = name[:pos] + name[pos + 1 :]
    return out if out != name else name + "e"
