"""The document writer's core: one `TextBuilder`, one random stream, a small template language and the
PHI fields that templates name.

Template language (phrase banks in `data/reports/*.toml`):

* `{name}` or `{name:arg}` calls the field method `f_name(arg)`. A field either returns plain text
  (grammar, body part, exam title...) or writes a PHI span itself and returns None. `{^name}`
  capitalises a plain field.
* `{a|b|c}` picks one of the literal alternatives (an empty alternative is allowed).
* a line starting with `?NN ` is kept with probability NN %.

Every random choice comes from `Population.rng` (or a `Population` method) in the order the text is
written, so a document depends only on the plan and the population's state.

Span rules (the same for every document kind):

* titles (Dr, Pr, Docteur, Mme, M., Mr, Madame, Monsieur) stay outside name spans; a name written as
  first + last name ("Jean DUPONT", "DUPONT, Jean", "J.-P. Dupont", "JD") is ONE span; in "Madame X
  épouse Y" each surname is its own PATIENT span and "épouse"/"née" stays outside.
* an address is split in two LOCATION spans: the street part (street, number and box: "Rue de la
  Gare 12 bte 3") and the postal part ("5000 Namur"); a city written alone is one LOCATION span.
  Commas and dashes between the two parts are outside.
* a date is one DATE span in all its forms, a weekday included ("lundi 12 mars 2021"); the clock
  time that follows ("à 14h30") is not PHI. "en 2019": only "2019" is the span.
* an age is one AGE span ("45 ans", "3 ans et 2 mois", "18 mois", a bone age "10 ans"); "âgé de"
  stays outside; durations ("depuis 3 semaines", "à J15", "il y a 2 ans") are never spans.
* articles and prepositions before institution names stay outside ("à l'" + "Athénée royal de Ciney").
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from ..anatomy import BodyPartInfo, FractureSite, body_part
from ..annotate import TextBuilder
from ..model import AnnotatedText, DocumentPlan, Findings, Institution, Person, Physician
from ..population import Population, ascii_fold
from . import grammar
from .bank import bank, eligible
from .dates import (
    FULL_STYLES,
    FULL_WEIGHTS,
    PARTIAL_STYLES,
    PARTIAL_WEIGHTS,
    TIME_STYLES,
    age_parts,
    age_styles,
    format_age,
    format_date,
    format_time,
)
from .names import HEADER_FORMS, PHYSICIAN_FORMS, TITLED_FORMS, misspell, name_form

_TOKEN = re.compile(r"\{([^{}]*)\}")
# Template field names that are not method names ({Civ} "Madame", {INST} upper-case institution).
_ALIASES = {"Civ": "civ_full", "INST": "inst_upper"}

# When named events happen: (base event, min days before it, max days before it); negative = after.
EVENTS: dict[str, tuple[str, int, int]] = {
    "trauma": ("exam", 0, 3),
    "prior": ("exam", 40, 1400),
    "onset": ("exam", 14, 300),
    "history": ("exam", 400, 8000),
    "history2": ("exam", 700, 12000),
    "surgery": ("exam", 10, 120),
    "old_surgery": ("exam", 180, 3000),
    "next": ("written", -75, -7),
    "work_until": ("written", -45, -5),
    "admission": ("written", 5, 20),
    "stay_surgery": ("admission", -2, 0),
    "discharge": ("written", 0, 2),
}


class Writer:
    """State of one document being written: plan, population, builder and memoised draws."""

    def __init__(self, plan: DocumentPlan, population: Population) -> None:
        self.plan = plan
        self.pop = population
        self.rng = population.rng
        self.patient = plan.patient
        self.person = plan.patient.person
        self.female = self.person.sex == "F"
        self.builder = TextBuilder()
        self.institution: Institution | None = None
        self.part = ""  # body part key of anatomy.toml
        self.side = ""  # "L", "R" or ""
        self.site: FractureSite | None = None
        self.displaced = False
        self.findings: Findings | None = None
        self.exam_dt: datetime = plan.written
        self.tags: set[str] = set()
        self._memo: dict[str, object] = {}
        self.fields: dict[str, object] = {}  # extra template fields registered by the section writers
        # Document-level habits, drawn once in a fixed order.
        self.typos = self.chance(0.3)
        self.misspell_pending = self.chance(0.04)
        self.date_style = self.weighted(FULL_STYLES[:6] + FULL_STYLES[8:], FULL_WEIGHTS[:6] + FULL_WEIGHTS[8:])
        self.time_style = self.pick(TIME_STYLES)
        self.name_upper = self.chance(0.5)  # whether physicians' surnames are written in capitals
        common = bank("common")
        self._typo_map: dict[str, list[str]] = common["typos"]
        self._typo_re = re.compile(r"\b(?:" + "|".join(map(re.escape, self._typo_map)) + r")\b", re.IGNORECASE)

    # -- random draws ----------------------------------------------------------------------
    def chance(self, p: float) -> bool:
        """True with probability p."""
        return bool(self.rng.random() < p)

    def pick(self, items):
        """One element of a sequence, uniformly."""
        return self.pop.choice(items)

    def weighted(self, items, weights):
        """One element of a sequence, by weights."""
        total = float(sum(weights))
        x = float(self.rng.random()) * total
        for item, w in zip(items, weights, strict=True):
            x -= w
            if x < 0:
                return item
        return items[-1]

    def between(self, lo: int, hi: int) -> int:
        """An integer in [lo, hi]."""
        return int(self.rng.integers(lo, hi + 1))

    def entry(self, entries: list, extra: tuple[str, ...] = ()) -> str:
        """One eligible template of a bank list for the document's tags."""
        tags = self.tags | set(extra)
        options = eligible(entries, tags)
        if not options:
            return ""
        return self.weighted([t for t, _ in options], [w for _, w in options])

    def memo_set(self, key: str, value) -> None:
        """Record a per-document value (overwriting)."""
        self._memo[key] = value

    def memo(self, key: str, make):
        """A value drawn once per document (the same relative, fax number, trauma date...)."""
        if key not in self._memo:
            self._memo[key] = make()
        return self._memo[key]

    # -- text ----------------------------------------------------------------------------------
    def add(self, text: str, typos: bool = True) -> None:
        """Plain text, with an occasional typing error in an ordinary word. A full stop right after a
        value that ends with one ("Dr Claessens M.") is not doubled."""
        if text.startswith(".") and not text.startswith("..") and self._ends_with_dot():
            text = text[1:]
        if typos and self.typos and text:
            found = list(self._typo_re.finditer(text))
            if found and self.chance(0.18):
                m = found[int(self.rng.integers(0, len(found)))]
                word = m.group(0)
                wrong = self.pick(self._typo_map[word.lower()])
                if word.isupper() and len(word) > 1:
                    wrong = wrong.upper()
                elif word[0].isupper():
                    wrong = wrong[0].upper() + wrong[1:]
                text = text[: m.start()] + wrong + text[m.end() :]
        self.builder.add(text)

    def _ends_with_dot(self) -> bool:
        return self.builder.endswith(".")

    def phi(self, value: str, label: str) -> None:
        """A PHI value as one span."""
        self.builder.phi(value, label)

    def render(self, template: str) -> None:
        """Write a template (see the module docstring)."""
        first = True
        for line in template.split("\n"):
            if line.startswith("?"):
                head, _, rest = line.partition(" ")
                if not self.chance(int(head[1:]) / 100):
                    continue
                line = rest
            if not first:
                self.builder.add("\n")
            first = False
            self._render_line(line)

    def _render_line(self, line: str) -> None:
        pos = 0
        for m in _TOKEN.finditer(line):
            if m.start() > pos:
                self.add(line[pos : m.start()])
            inner = m.group(1)
            if "|" in inner:
                self.add(self.pick(inner.split("|")))
            else:
                self.field(inner)
            pos = m.end()
        if pos < len(line):
            self.add(line[pos:])

    def field(self, spec: str) -> None:
        """Write one `{name:arg}` field."""
        name, _, arg = spec.partition(":")
        cap = name.startswith("^")
        name = name.lstrip("^")
        name = _ALIASES.get(name, name)
        method = self.fields.get(name) or getattr(self, f"f_{name}", None)
        if method is None:
            raise KeyError(f"unknown template field {name!r}")
        out = method(arg or None)
        if out is not None:
            if cap:
                out = out[:1].upper() + out[1:]
            self.builder.add(out)

    def line(self, template: str) -> None:
        """A template followed by a newline."""
        self.render(template)
        self.builder.add("\n")

    def nl(self, n: int = 1) -> None:
        """Line breaks."""
        self.builder.add("\n" * n)

    def build(self) -> AnnotatedText:
        """The finished document, with trailing blank lines removed."""
        doc = self.builder.build()
        text = doc.text.rstrip() + "\n"
        return AnnotatedText(text, doc.spans)

    # -- people and places ---------------------------------------------------------------------
    def physician(self, role: str) -> Physician:
        """A physician by role: author, prescriber, gp, copyN, or one drawn when first named."""
        plan = self.plan
        if role == "author":
            return plan.author
        if role == "gp":
            return self.patient.general_practitioner
        if role == "prescriber":
            if plan.study is not None:
                return plan.study.referring_physician
            return self.memo("dr:prescriber", lambda: self.pick(
                [self.patient.general_practitioner, *plan.copies_to] if plan.copies_to else [self.patient.general_practitioner]))
        if role.startswith("copy"):
            index = int(role[4:] or 0)
            copies = plan.copies_to or (self.patient.general_practitioner,)
            return copies[min(index, len(copies) - 1)]
        specialty = {
            "second": "radiologue", "staff1": "radiologue", "staff2": "radiologue", "staff3": "radiologue",
            "anesth": "anesthésiste", "assistant": "chirurgien orthopédiste", "surgeon": "chirurgien orthopédiste",
            "ortho": "chirurgien orthopédiste", "urgentist": "urgentiste", "endocrino": "endocrinologue",
            "rheumato": "rhumatologue", "kine": "kinésithérapeute", "cardio": "cardiologue",
            "geriatre": "gériatre", "pediatre": "pédiatre", "resident": "médecin assistant",
        }.get(role, "médecin")
        return self.memo(f"dr:{role}", lambda: self.pop.physician(specialty, self.institution))

    def other_person(self, role: str) -> Person:
        """A non-physician: the radiographer, the typist, a nurse, the relative..."""
        if role == "operator" and self.plan.study is not None:
            return self.plan.study.operator
        if role == "relative":
            if self.patient.relatives:
                return self.patient.relatives[0]
            return self.memo("p:relative", lambda: self.pop.person())
        if role == "relative2" and len(self.patient.relatives) > 1:
            return self.patient.relatives[1]
        return self.memo(f"p:{role}", lambda: self.pop.person())

    def place(self, role: str | None) -> Institution:
        """An institution by role: the document's own, the GP's practice, the school, the employer..."""
        role = role or "main"
        if role == "main":
            assert self.institution is not None
            return self.institution
        if role == "gp_practice":
            practice = self.patient.general_practitioner.practice
            if practice is not None:
                return practice
            return self.memo("i:gp_practice", lambda: self.pop.institution("practice"))
        if role in ("school", "employer"):
            own = self.patient.employer_or_school
            if own is not None and own.kind == role:
                return own
            return self.memo(f"i:{role}", lambda: self.pop.institution(role))
        if role.startswith("dr:"):
            practice = self.physician(role[3:]).practice
            if practice is not None:
                return practice
            return self.memo(f"i:{role}", lambda: self.pop.institution("practice"))
        kind = {"nursing_home": "nursing_home", "clinic": "clinic", "other_hospital": "hospital",
                "practice": "practice"}.get(role, "clinic")
        return self.memo(f"i:{role}", lambda: self.pop.institution(kind))

    def when(self, event: str) -> datetime:
        """The datetime of a named event of the document (drawn once)."""
        if event == "exam":
            return self.exam_dt
        if event == "written":
            return self.plan.written
        if event == "birth":
            return datetime.combine(self.patient.birth_date, datetime.min.time())

        def make() -> datetime:
            base, lo, hi = EVENTS[event]
            days = self.between(min(lo, hi), max(lo, hi))
            minutes = self.between(-240, 240)
            moment = self.when(base) - timedelta(days=days, minutes=minutes)
            if event == "next":  # appointments: office hours, quarter-hour slots
                moment = moment.replace(hour=self.between(8, 16), minute=15 * self.between(0, 3))
            return moment

        return self.memo(f"t:{event}", make)

    def age_on(self, day: date) -> tuple[int, int]:
        """The patient's completed years and months on a day."""
        return age_parts(self.patient.birth_date, day)

    @property
    def child(self) -> bool:
        """Whether the patient is under 16 on the exam day."""
        return self.age_on(self.exam_dt.date())[0] < 16

    # -- grammar fields ------------------------------------------------------------------------
    def f_e(self, _arg) -> str:
        return "e" if self.female else ""

    def f_il(self, _arg) -> str:
        return "elle" if self.female else "il"

    def f_sexe(self, _arg) -> str:
        return self.pick(("F", "féminin", "F")) if self.female else self.pick(("M", "masculin", "M"))

    def f_patient_noun(self, _arg) -> str:
        if self.child:
            return self.pick(("l'enfant", "la jeune patiente" if self.female else "le jeune patient", "l'enfant"))
        return "la patiente" if self.female else "le patient"

    def f_son(self, _arg) -> str:
        """ "votre patiente" / "votre patient"."""
        return "votre patiente" if self.female else "votre patient"

    def f_civ(self, _arg) -> str:
        if self.female:
            return self.pick(("Mme", "Mme", "Madame"))
        return self.pick(("M.", "Mr", "Monsieur", "M."))

    def f_civ_full(self, _arg) -> str:
        return "Madame" if self.female else "Monsieur"

    def f_nl(self, _arg) -> str:
        return "\n"

    def f_eva(self, _arg) -> str:
        return str(self.memo("eva", lambda: self.between(2, 9)))

    def f_n(self, arg) -> str:
        """A small number (a duration count, a session count): `{n:2-6}`."""
        lo, _, hi = (arg or "2-6").partition("-")
        return str(self.between(int(lo), int(hi)))

    # -- body part fields ----------------------------------------------------------------------
    @property
    def part_info(self) -> BodyPartInfo:
        return body_part(self.part)

    def part_label(self) -> str:
        return self.memo("part_label", lambda: self._part_label())

    def _part_label(self) -> str:
        label = self.part_info.label_fr
        if self.part == "spine":
            return self.pick(("rachis lombaire", "rachis lombaire", "colonne lombaire", "rachis lombo-sacré"))
        return label

    def side_word(self) -> str:
        return grammar.side_adj(self.side, grammar.is_feminine(self.part_label()))

    def f_part(self, _arg) -> str:
        return self.part_label()

    def f_side(self, _arg) -> str:
        return self.side_word()

    def f_side_f(self, _arg) -> str:
        """The side agreeing with a feminine noun (fracture, prothèse)."""
        return grammar.side_adj(self.side, True)

    def f_side_m(self, _arg) -> str:
        """The side agreeing with a masculine noun (membre, pouce)."""
        return grammar.side_adj(self.side, False)

    def f_side_abbr(self, _arg) -> str:
        return {"L": "G", "R": "D"}.get(self.side, "")

    def f_contra(self, _arg) -> str:
        """The other side's adjective."""
        other = {"L": "R", "R": "L"}.get(self.side, "")
        return grammar.side_adj(other, grammar.is_feminine(self.part_label())) or "controlatéral"

    def part_side(self) -> str:
        side = self.side_word()
        return f"{self.part_label()} {side}".strip()

    def f_part_side(self, _arg) -> str:
        return self.part_side()

    def f_du_part(self, _arg) -> str:
        return grammar.de(self.part_side())

    def f_le_part(self, _arg) -> str:
        return grammar.le(self.part_side())

    def f_au_part(self, _arg) -> str:
        return grammar.au(self.part_side())

    def f_bone(self, _arg) -> str:
        return self.site.bone_fr if self.site else self.part_label()

    def f_de_bone(self, _arg) -> str:
        return grammar.de(self.f_bone(None))

    def f_la_bone(self, _arg) -> str:
        return grammar.le(self.f_bone(None))

    # -- patient fields ------------------------------------------------------------------------
    def _patient_last(self, allow_misspell: bool) -> str:
        last = self.person.last_name
        if allow_misspell and self.misspell_pending:
            self.misspell_pending = False
            return misspell(last, self.rng)
        return last

    def f_patient(self, arg) -> None:
        """The patient's name: header form, `titled`, `Titled`, `ref` (running text), `first`, `last`,
        `initials`, `married`."""
        person = self.person
        if arg in (None, "header"):
            self.phi(name_form(person, self.pick(HEADER_FORMS)), "PATIENT")
        elif arg in ("titled", "Titled"):
            if self.child:
                self.phi(name_form(person, self.pick(("first_LAST", "first_last", "LAST_first"))), "PATIENT")
                return
            title = self.f_civ_full(None) if arg == "Titled" else self.f_civ(None)
            self.builder.add(f"{title} ")
            self.phi(name_form(person, self.pick(TITLED_FORMS), self._patient_last(True)), "PATIENT")
        elif arg == "ref":
            self._patient_ref()
        elif arg == "first":
            self.phi(person.first_name, "PATIENT")
        elif arg == "firsts":
            self.phi(" ".join(person.first_names), "PATIENT")
        elif arg == "last":
            self.phi(person.last_name.upper() if self.chance(0.7) else person.last_name, "PATIENT")
        elif arg == "initials":
            self.phi(name_form(person, self.pick(("initials", "initials_dotted"))), "PATIENT")
        elif arg == "married":
            self._patient_married()
        else:
            raise KeyError(arg)

    def _patient_ref(self) -> None:
        person = self.person
        last = self._patient_last(True)
        if self.child:
            style = self.between(0, 3)
            if style == 0:
                self.phi(person.first_name, "PATIENT")
            elif style == 1:
                self.builder.add("le jeune " if not self.female else "la jeune ")
                self.phi(name_form(person, "first_last", last), "PATIENT")
            elif style == 2:
                self.builder.add("l'enfant ")
                self.phi(name_form(person, "first_LAST", last), "PATIENT")
            else:
                self.builder.add("le petit " if not self.female else "la petite ")
                self.phi(person.first_name, "PATIENT")
            return
        style = self.between(0, 4)
        if style == 0:
            self.builder.add(f"{self.f_civ_full(None)} ")
            self.phi(last, "PATIENT")
        elif style == 1:
            self.builder.add(f"{self.f_son(None)} {self.f_civ(None)} ")
            self.phi(name_form(person, self.pick(("first_LAST", "LAST_first", "first_last")), last), "PATIENT")
        elif style == 2:
            self.builder.add(f"{self.f_civ(None)} ")
            self.phi(name_form(person, self.pick(("LAST", "last", "init_last")), last), "PATIENT")
        elif style == 3:
            self.builder.add(f"{self.f_son(None)}, {self.f_civ(None)} ")
            self.phi(last, "PATIENT")
        else:
            self.builder.add(f"{self.f_civ_full(None)} ")
            self.phi(name_form(person, "first_last", last), "PATIENT")

    def married_name(self) -> str:
        def make() -> str:
            for rel in self.patient.relatives:
                if rel.sex == "M" and rel.last_name != self.person.last_name:
                    return rel.last_name
            return self.pop.person(sex="M").last_name
        return self.memo("married", make)

    def _patient_married(self) -> None:
        person = self.person
        if not self.female or self.child:
            self.f_patient("titled")
            return
        married = self.married_name()
        if married == person.last_name:
            self.f_patient("titled")
            return
        upper = self.chance(0.6)
        own = person.last_name.upper() if upper else person.last_name
        spouse = married.upper() if upper else married
        first = person.first_name
        style = self.between(0, 2)
        self.builder.add(self.pick(("Madame ", "Mme ")))
        if style == 0:
            self.phi(f"{own} {first}" if upper else f"{first} {own}", "PATIENT")
            self.builder.add(self.pick((" épouse ", " ép. ")))
            self.phi(spouse, "PATIENT")
        elif style == 1:
            self.phi(f"{spouse} {first}" if upper else f"{first} {spouse}", "PATIENT")
            self.builder.add(" née ")
            self.phi(own, "PATIENT")
        else:
            self.phi(own, "PATIENT")
            self.builder.add(" épouse ")
            self.phi(spouse, "PATIENT")
            self.builder.add(" ")
            self.phi(first, "PATIENT")

    def f_age(self, arg) -> None:
        """The patient's age on the exam day (`written`: on the document day; `bone`: bone age)."""
        if arg == "bone":
            years, months = self.bone_age()
            style = "ans" if months == 0 or self.chance(0.5) else self.pick(("ans_et_mois", "ans_mois"))
            self.phi(format_age(years, months, style), "AGE")
            return
        day = (self.plan.written if arg == "written" else self.exam_dt).date()
        years, months = self.age_on(day)
        styles = age_styles(years)
        if arg == "prose":  # after "âgé de": no "45a"
            styles = tuple(st for st in styles if st not in ("a", "a_spaced", "ans_mois_short")) or ("ans",)
        self.phi(format_age(years, months, self.pick(styles)), "AGE")

    def bone_age(self) -> tuple[int, int]:
        def make() -> tuple[int, int]:
            years, months = self.age_on(self.exam_dt.date())
            total = years * 12 + months + self.between(-30, 24)
            total = max(total, 12)
            total = total - total % 6  # atlases step by 6 months
            return total // 12, total % 12
        return self.memo("bone_age", make)

    def f_ipp(self, _arg) -> None:
        self.phi(self.patient.patient_id, "ID")

    def f_niss(self, _arg) -> None:
        niss = self.patient.niss
        if self.chance(0.25):
            niss = niss.replace(".", "").replace("-", "")
        self.phi(niss, "ID")

    def f_accession(self, _arg) -> None:
        study = self.plan.study
        if study is not None:
            self.phi(study.accession_number, "ID")
            return
        self.phi(self.memo("accession", lambda: f"{self.exam_dt:%y%m%d}{self.between(1000, 9999)}{self.between(1, 9):02d}"), "ID")

    def f_dossier(self, _arg) -> None:
        self.phi(self.memo("dossier", lambda: f"{self.between(100000, 9999999)}"), "ID")

    def f_sejour(self, _arg) -> None:
        self.phi(self.memo("sejour", lambda: f"{self.plan.written:%Y}{self.between(10000, 999999):06d}"), "ID")

    def f_reportref(self, _arg) -> None:
        self.phi(self.plan.report_id, "ID")

    def f_request(self, _arg) -> None:
        self.phi(self.memo("request", lambda: f"DEM{self.between(100000, 999999)}"), "ID")

    # -- physician and person fields -----------------------------------------------------------
    def _title(self, doc: Physician) -> str:
        if doc.title == "Pr":
            return self.pick(("Pr", "Pr", "Prof.", "Professeur"))
        return self.pick(("Dr", "Dr", "Dr", "Dr.", "Docteur"))

    def _doc_name(self, doc: Physician, forms=PHYSICIAN_FORMS) -> str:
        form = self.pick(forms)
        if not self.name_upper:
            form = {"first_LAST": "first_last", "LAST": "last", "init_LAST": "init_last",
                    "LAST_first": "last_first", "LAST_init": "last_init"}.get(form, form)
        return name_form(doc.person, form)

    def f_dr(self, arg) -> None:
        """ "Dr " + a physician's name (the title outside the span)."""
        doc = self.physician(arg or "author")
        self.builder.add(f"{self._title(doc)} ")
        self.phi(self._doc_name(doc), "PERSON")

    def f_drfull(self, arg) -> None:
        """ "Dr Prénom NOM" (full name, for signatures and letter addresses)."""
        doc = self.physician(arg or "author")
        self.builder.add(f"{self._title(doc)} ")
        self.phi(self._doc_name(doc, ("first_LAST", "first_last", "LAST_first", "first_LAST")), "PERSON")

    def f_drname(self, arg) -> None:
        """A physician's name without title."""
        self.phi(self._doc_name(self.physician(arg or "author")), "PERSON")

    def f_drinitials(self, arg) -> None:
        self.phi(name_form(self.physician(arg or "author").person, "initials"), "PERSON")

    def f_specialty(self, arg) -> str:
        return self.physician(arg or "author").specialty

    def f_inami(self, arg) -> None:
        inami = self.physician(arg or "author").inami
        if self.chance(0.2):
            inami = inami.replace("-", "")
        self.phi(inami, "ID")

    def f_person(self, arg) -> None:
        """Someone who is not a physician (radiographer, typist, nurse, relative), first + last name."""
        person = self.other_person(arg or "operator")
        form = self.pick(("first_LAST", "first_last", "LAST_first", "init_last", "first_last"))
        self.phi(name_form(person, form), "PERSON")

    def f_typist(self, _arg) -> None:
        """Typist initials, lower case ("mc")."""
        self.phi(name_form(self.other_person("typist"), "initials").lower(), "PERSON")

    def f_relative(self, _arg) -> None:
        rel = self.other_person("relative")
        style = self.between(0, 3)
        if style == 0:
            self.builder.add("Mme " if rel.sex == "F" else self.pick(("M. ", "Mr ")))
            self.phi(name_form(rel, self.pick(("last", "LAST", "first_last"))), "PERSON")
        else:
            self.phi(name_form(rel, self.pick(("first_last", "first_LAST", "LAST_first", "first"))), "PERSON")

    def f_relative_role(self, _arg) -> str:
        rel = self.other_person("relative")
        if self.child:
            return self.pick(("sa maman", "sa mère")) if rel.sex == "F" else self.pick(("son papa", "son père"))
        years = self.age_on(self.exam_dt.date())[0]
        if years >= 70:
            return "sa fille" if rel.sex == "F" else "son fils"
        if self.female:
            return "son compagnon" if rel.sex == "M" else "sa sœur"
        return "son épouse" if rel.sex == "F" else "son frère"

    def f_phone(self, arg) -> None:
        role = arg or "patient"
        if role == "patient":
            value = self.patient.phone
        elif role == "inst":
            value = self.place("main").phone
        elif role in ("author", "gp", "prescriber", "surgeon"):
            value = self.physician(role).phone
        elif role.startswith("inst:"):
            value = self.place(role[5:]).phone
        else:  # fax, secretariat, relative's mobile, direct line
            value = self.memo(f"phone:{role}", lambda: self.pop.phone(mobile=role == "relative"))
        self.phi(value, "PHONE")

    def f_email(self, arg) -> None:
        role = arg or "author"
        if role == "inst":
            inst = self.place("main")
            domain = inst.email_domain or f"{ascii_fold(inst.name).replace(' ', '')[:20]}.be"
            domain = re.sub(r"-+\.", ".", domain)
            local = self.memo("email_local", lambda: self.pick(
                ("radiologie", "secretariat.radiologie", "imagerie", "rdv.imagerie", "info", "secretariat", "rx")))
            value = f"{local}@{domain}"
        elif role == "patient":
            value = self.memo("email:patient", lambda: self.pop.email(self.person))
        else:
            value = self.physician(role).email
        self.phi(value, "EMAIL_URL")

    def f_web(self, arg) -> None:
        inst = self.place(arg if arg and arg != "inst" else "main")
        site = inst.website
        style = self.between(0, 4)
        if style == 1:
            site = f"https://{site}"
        elif style == 2:
            site = f"http://{site}/imagerie-medicale" if self.plan.kind == "radiologie" else f"http://{site}"
        self.phi(site, "EMAIL_URL")

    # -- institution and location fields ---------------------------------------------------------
    def f_inst(self, arg) -> None:
        self.phi(self.place(arg).name, "INSTITUTION")

    def f_inst_upper(self, arg) -> None:
        self.phi(self.place(arg).name.upper(), "INSTITUTION")

    def f_a_inst(self, arg) -> None:
        """ "au CHU de Liège", "à l'Athénée royal de Ciney", "chez Garage Dubois"."""
        inst = self.place(arg)
        self.builder.add(grammar.inst_prep(inst.name, "à", inst.kind))
        self.phi(inst.name, "INSTITUTION")

    def f_de_inst(self, arg) -> None:
        inst = self.place(arg)
        self.builder.add(grammar.inst_prep(inst.name, "de", inst.kind))
        self.phi(inst.name, "INSTITUTION")

    def f_le_inst(self, arg) -> None:
        inst = self.place(arg)
        self.builder.add(grammar.inst_prep(inst.name, "le", inst.kind))
        self.phi(inst.name, "INSTITUTION")

    def _address(self, role: str | None):
        role = role or "patient"
        if role == "patient":
            return self.patient.address
        if role == "inst":
            return self.place("main").address
        if role.startswith("dr:"):
            return self.place(role).address
        return self.place(role).address

    def f_street(self, arg) -> None:
        a = self._address(arg)
        box = f" {self.pick(('bte', 'bte', 'boîte', 'b'))} {a.box}" if a.box else ""
        if self.chance(0.12) and a.street.split()[0] in ("Rue", "Avenue", "Chaussée", "Boulevard", "Place"):
            street = {"Rue": "R.", "Avenue": "Av.", "Chaussée": "Chée", "Boulevard": "Bd", "Place": "Pl."}[a.street.split()[0]]
            street = street + a.street[len(a.street.split()[0]):]
        else:
            street = a.street
        value = f"{street}, {a.number}{box}" if self.chance(0.15) else f"{street} {a.number}{box}"
        self.phi(value, "LOCATION")

    def f_postcity(self, arg) -> None:
        a = self._address(arg)
        city = a.city.upper() if self.chance(0.2) else a.city
        sep = "-" if self.chance(0.08) else " "
        prefix = "B" + sep if sep == "-" else ""
        self.phi(f"{prefix}{a.postcode} {city}", "LOCATION")

    def f_city(self, arg) -> None:
        role = arg or "patient"
        if role == "accident":
            self.phi(self.memo("city:accident", self.pop.city), "LOCATION")
            return
        if role == "other":
            self.phi(self.memo("city:other", self.pop.city), "LOCATION")
            return
        self.phi(self._address(role).city, "LOCATION")

    def f_address(self, arg) -> None:
        """Street part and postal part as two LOCATION spans on one line."""
        self.f_street(arg)
        self.builder.add(self.pick((", ", ", ", " - ", "  ", " – ")))
        self.f_postcity(arg)

    # -- date fields ---------------------------------------------------------------------------
    def _full_style(self) -> str:
        """The document's habitual date style, or now and then another one (DICOM dates only in
        EHR header rows, see `f_dicomdate`)."""
        if self.chance(0.7):
            return self.date_style
        return self.weighted(FULL_STYLES[:7] + FULL_STYLES[8:], FULL_WEIGHTS[:7] + FULL_WEIGHTS[8:])

    def f_date(self, arg) -> None:
        """A complete date of a named event in the document's habitual style (or another one)."""
        style = self._full_style()
        if arg == "birth" and style == "weekday":
            style = "long"
        self.phi(format_date(self.when(arg or "exam").date(), style), "DATE")

    def f_numdate(self, arg) -> None:
        """A complete numeric date (for tables and EHR headers)."""
        style = self.pick(("slash", "slash", "dot", "dash", "iso", "slash_short", "dot_short", "slash_nopad"))
        self.phi(format_date(self.when(arg or "exam").date(), style), "DATE")

    def f_dicomdate(self, arg) -> None:
        """A date as DICOM and some EHR exports write it (20210312)."""
        self.phi(format_date(self.when(arg or "exam").date(), "dicom"), "DATE")

    def f_pdate(self, arg) -> None:
        """A partial date (month + year, day + month, year...) of a named event."""
        style = self.weighted(PARTIAL_STYLES, PARTIAL_WEIGHTS)
        self.phi(format_date(self.when(arg or "history").date(), style), "DATE")

    def _partial(self, arg, prep: str) -> None:
        style = self.weighted(PARTIAL_STYLES, PARTIAL_WEIGHTS)
        day = self.when(arg or "history").date()
        with_day = style in ("day_month", "day_month_num")
        if prep == "en":
            self.builder.add("le " if with_day else "en ")
        else:
            self.builder.add("du " if with_day else "de ")
        self.phi(format_date(day, style), "DATE")

    def f_en_pdate(self, arg) -> None:
        """ "le 12 mars", "en mars 2020", "en 2019" (the preposition outside the span)."""
        self._partial(arg, "en")

    def f_du_pdate(self, arg) -> None:
        """ "du 12 mars", "de mars 2020", "de 2019"."""
        self._partial(arg, "de")

    def f_ldate(self, arg) -> None:
        """A date in words ("12 mars 2021", "1er mars 2021", "12 févr. 2021")."""
        style = self.pick(("long", "long", "abbr", "long_upper", "weekday"))
        self.phi(format_date(self.when(arg or "exam").date(), style), "DATE")

    def f_year(self, arg) -> None:
        self.phi(str(self.when(arg or "history").year), "DATE")

    def f_time(self, arg) -> str:
        style = self.time_style if self.chance(0.7) else self.pick(TIME_STYLES)
        return format_time(self.when(arg or "exam"), style)

    def f_when(self, arg) -> None:
        """When the trauma happened: "ce jour", "hier soir", "le 12/03/2021", "il y a 3 jours"."""
        event = arg or "trauma"
        days = (self.exam_dt.date() - self.when(event).date()).days
        if days == 0:
            choice = self.between(0, 3)
            if choice == 3:
                self.builder.add("le ")
                self.f_date(event)
            else:
                self.builder.add(("ce jour", "ce matin", "aujourd'hui")[choice])
        elif days == 1:
            choice = self.between(0, 2)
            if choice == 2:
                self.builder.add("le ")
                self.f_date(event)
            else:
                self.builder.add(("hier", "hier soir")[choice])
        else:
            if self.chance(0.5):
                self.builder.add(f"il y a {days} jours")
            else:
                self.builder.add("le ")
                self.f_date(event)

    def f_since(self, _arg) -> str:
        """A duration, never PHI: "depuis 3 semaines", "depuis 2 mois"."""
        n = self.between(2, 10)
        unit = self.pick(("jours", "semaines", "semaines", "mois", "mois"))
        return f"depuis {n} {unit}"

    # -- shared document pieces ----------------------------------------------------------------
    HEADING_STYLES = ("colon_nl", "colon_inline", "upper_nl", "plain_nl", "upper_colon_nl", "underline")
    HEADING_WEIGHTS = (30, 25, 15, 10, 12, 8)

    def heading_style(self) -> str:
        """A document's way of writing section headings."""
        return self.weighted(self.HEADING_STYLES, self.HEADING_WEIGHTS)

    def heading(self, names: dict, key: str, style: str, list_follows: bool = False) -> bool:
        """A section heading ("Conclusion :", "CONCLUSION", "RC : "...) drawn from `names[key]`; True when
        it ends with a line break. Before a list, an inline heading ends with the colon."""
        name = self.pick(names[key])
        if name in ("Ccl", "CONCLUSION", "RC", "CAT", "EC", "ATCD") or style == "colon_inline":
            self.add(f"{name} :" if list_follows else f"{name} : ")
            return False
        if style == "colon_nl":
            self.add(f"{name} :\n")
        elif style == "upper_nl":
            self.add(f"{name.upper()}\n")
        elif style == "plain_nl":
            self.add(f"{name}\n")
        elif style == "upper_colon_nl":
            self.add(f"{name.upper()} :\n")
        else:
            self.add(f"{name}\n{'-' * len(name)}\n")
        return True

    def f_copies(self, _arg) -> None:
        """The physicians who receive a copy, in one of several list styles."""
        copies = self.plan.copies_to
        if not copies:
            self.render(" {dr:gp} ({médecin traitant|MT|généraliste})")
            return
        sep = self.pick((", ", " ; ", "\n- ", "\n"))
        self.builder.add(sep if sep in ("\n- ", "\n") else " ")  # templates end with "Copie :"
        for i, doc in enumerate(copies):
            if i:
                self.builder.add(sep)
            role = f"copy{i}"
            is_gp = doc == self.patient.general_practitioner
            style = self.between(0, 4)
            if sep == ", " and style in (2, 3):  # commas inside an entry would blur the list
                style = 1
            if style == 0:
                self.render(f"{{dr:{role}}}")
            elif style == 1:
                self.render(f"{{drfull:{role}}}" + (" ({médecin traitant|MT})" if is_gp else f" ({{specialty:{role}}})"))
            elif style == 2:
                self.render(f"{{drfull:{role}}}, {{inst:dr:{role}}}")
            elif style == 3:
                self.render(f"{{dr:{role}}}, {{street:dr:{role}}}, {{postcity:dr:{role}}}")
            else:
                self.render(f"{{dr:{role}}}" + (f" – {{email:{role}}}" if self.chance(0.5) else ""))

    def render_plain(self, template: str) -> str:
        """A template without PHI fields rendered to a string (exam titles, diagnoses)."""
        out = []
        pos = 0
        for m in _TOKEN.finditer(template):
            out.append(template[pos : m.start()])
            inner = m.group(1)
            if "|" in inner:
                out.append(self.pick(inner.split("|")))
            else:
                name, _, arg = inner.partition(":")
                cap = name.startswith("^")
                name = _ALIASES.get(name.lstrip("^"), name.lstrip("^"))
                method = self.fields.get(name) or getattr(self, f"f_{name}")
                value = method(arg or None)
                if value is None:
                    raise ValueError(f"field {name!r} writes PHI and cannot be rendered to plain text")
                out.append(value[:1].upper() + value[1:] if cap else value)
            pos = m.end()
        out.append(template[pos:])
        text = re.sub(r" {2,}", " ", "".join(out)).strip()
        return text.replace(" ,", ",").replace(" .", ".")
