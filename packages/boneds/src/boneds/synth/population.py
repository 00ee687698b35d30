"""People, addresses and institutions of the synthetic hospital, drawn from Faker's Belgian and French
locales (`fr_BE`, `nl_BE`, `fr_FR`) and the project's institution table.

A `Population` owns one random stream: the same seed always gives the same people.
"""

from __future__ import annotations

import unicodedata
from datetime import date
from functools import cache
from importlib import resources

import numpy as np
import tomllib
from faker import Faker

from .identifiers import make_inami, make_niss, make_phone
from .model import Address, Institution, Patient, Person, Physician

# Language communities of the patients: French-speaking Belgians, Flemish, French nationals.
COMMUNITIES = ("fr_BE", "nl_BE", "fr_FR")
COMMUNITY_WEIGHTS = (0.6, 0.3, 0.1)
_EMAIL_HOSTS = ("skynet.be", "gmail.com", "hotmail.com", "outlook.be", "proximus.be", "telenet.be", "yahoo.fr")
_COMPOUND_STARTS = {"M": ("Jean", "Pierre", "Paul", "Marc"), "F": ("Marie", "Anne", "Marie", "Rose")}


@cache
def _faker(locale: str) -> Faker:
    return Faker(locale)


@cache
def _institution_table() -> dict:
    text = resources.files("boneds.synth").joinpath("data/institutions.toml").read_text("utf-8")
    return tomllib.loads(text)


def ascii_fold(text: str) -> str:
    """Lower-case ASCII form of a name, as used in e-mail addresses and web domains."""
    decomposed = unicodedata.normalize("NFKD", text)
    kept = "".join(c for c in decomposed if c.isascii() and (c.isalnum() or c in "-. "))
    return kept.lower().replace(" ", "").replace("'", "")


class Population:
    """Draws people, addresses, phone numbers and institutions from one seeded stream."""

    def __init__(self, seed: int) -> None:
        self.rng = np.random.default_rng(seed)
        # Faker instances are shared per process and reseeded here, so results depend on `seed` only.
        for i, locale in enumerate(COMMUNITIES):
            _faker(locale).seed_instance(seed * 7 + i)

    # -- small draws -------------------------------------------------------------------------
    def choice(self, items):
        """One element of a sequence."""
        return items[int(self.rng.integers(0, len(items)))]

    def community(self) -> str:
        """A language community for a new person."""
        return str(self.rng.choice(COMMUNITIES, p=COMMUNITY_WEIGHTS))

    def city(self) -> str:
        """A real Belgian municipality or locality."""
        return _faker("nl_BE").city()

    # -- people ------------------------------------------------------------------------------
    def person(self, sex: str | None = None, community: str | None = None, n_first: int = 1) -> Person:
        """A person with 1 to `n_first` given names; surnames may carry particles or hyphens."""
        sex = sex or ("M" if self.rng.random() < 0.5 else "F")
        community = community or self.community()
        fake = _faker(community)
        draw_first = fake.first_name_male if sex == "M" else fake.first_name_female
        count = int(self.rng.integers(1, n_first + 1))
        first = [draw_first() for _ in range(count)]
        if community != "nl_BE" and self.rng.random() < 0.12:
            first[0] = f"{self.choice(_COMPOUND_STARTS[sex])}-{draw_first()}"
        last = fake.last_name()
        roll = self.rng.random()
        if roll < 0.07:
            last = f"{last}-{_faker(self.community()).last_name()}"
        elif roll < 0.11 and community != "nl_BE":
            particle = self.choice(("de", "d'", "Le", "De", "della"))
            if particle == "d'":
                last = f"d'{last}" if last[0] in "AEIOUÉ" else f"de {last}"
            else:
                last = f"{particle} {last}"
        return Person(tuple(dict.fromkeys(first)), last, sex)

    def address(self, community: str | None = None) -> Address:
        """A Belgian address (French or Dutch street names) with a 4-digit postcode."""
        community = community or self.community()
        table = _institution_table()
        if community == "nl_BE":
            street = _faker("nl_BE").street_name()
        else:
            street = f"{self.choice(table['street_types'])} {self.choice(table['street_names'])}"
        number = str(int(self.rng.integers(1, 250)))
        if self.rng.random() < 0.08:
            number += self.choice(("A", "B", "/2", "bis"))
        box = str(int(self.rng.integers(1, 40))) if self.rng.random() < 0.12 else ""
        postcode = str(int(self.rng.integers(10, 100)) * 100 + int(self.rng.choice((0, 0, 0, 20, 30, 40, 50, 70))))
        return Address(street, number, postcode, self.city(), box)

    def phone(self, mobile: bool | None = None, country: str = "BE") -> str:
        """A phone number in a written form."""
        return make_phone(self.rng, country=country, mobile=mobile)

    def email(self, person: Person, domain: str = "") -> str:
        """An e-mail address built from a person's name."""
        host = domain or self.choice(_EMAIL_HOSTS)
        first, last = ascii_fold(person.first_name), ascii_fold(person.last_name)
        style = int(self.rng.integers(0, 3))
        local = (f"{first}.{last}", f"{first[0]}{last}", f"{last}.{first}")[style]
        return f"{local}@{host}"

    def physician(self, specialty: str, practice: Institution | None = None) -> Physician:
        """A physician with INAMI number, phone and e-mail (at the practice's domain when it has one)."""
        person = self.person()
        title = "Pr" if self.rng.random() < 0.08 else "Dr"
        domain = practice.email_domain if practice is not None and practice.email_domain else ""
        return Physician(
            person=person,
            title=title,
            specialty=specialty,
            inami=make_inami(self.rng),
            phone=self.phone(mobile=False),
            email=self.email(person, domain),
            practice=practice,
        )

    def patient(self, patient_id: str, birth_date: date, sex: str) -> Patient:
        """A patient with address, phone, NISS, GP and possibly a school/employer and relatives."""
        community = self.community()
        person = self.person(sex=sex, community=community, n_first=3)
        practice = self.institution("practice")
        gp = self.physician("médecin généraliste", practice)
        age = (date(2024, 1, 1) - birth_date).days / 365.25
        occupation = self.institution("school" if age < 20 else "employer") if self.rng.random() < 0.5 else None
        relatives = tuple(self.person(community=community) for _ in range(int(self.rng.integers(0, 3))))
        country = "FR" if community == "fr_FR" and self.rng.random() < 0.5 else "BE"
        return Patient(
            patient_id=patient_id,
            person=person,
            birth_date=birth_date,
            address=self.address(community),
            phone=self.phone(country=country),
            niss=make_niss(birth_date, sex, self.rng),
            general_practitioner=gp,
            employer_or_school=occupation,
            relatives=relatives,
        )

    # -- institutions ------------------------------------------------------------------------
    def hospital(self) -> Institution:
        """A real Belgian hospital name with a random street address in its municipality."""
        entry = self.choice(_institution_table()["hospitals"])
        return self._institution(entry["name"], "hospital", entry["city"], entry["postcode"])

    def institution(self, kind: str) -> Institution:
        """A clinic, practice, nursing home, school or employer with a generated name."""
        if kind == "hospital":
            return self.hospital()
        table = _institution_table()
        pattern = self.choice(table[f"{kind}_patterns"])
        city = self.city()
        name = pattern.format(
            city=city,
            saint=self.choice(table["saints"]),
            plant=self.choice(table["plants"]),
            surname=_faker(self.community()).last_name(),
        )
        address = self.address()
        return self._institution(name, kind, city, address.postcode)

    def _institution(self, name: str, kind: str, city: str, postcode: str) -> Institution:
        base = self.address()
        address = Address(base.street, base.number, postcode, city)
        words = ascii_fold(name.replace("'", " ").replace("-", " ").replace(" ", "-")).split("-")
        slug = "-".join(w for w in words if w)[:40].rstrip("-")
        return Institution(
            name=name,
            kind=kind,
            address=address,
            phone=self.phone(mobile=False),
            website=f"www.{slug}.be",
            email_domain=f"{slug}.be",
        )
