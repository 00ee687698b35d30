"""Tests of the French document writer of the synthetic export (`boneds.synth.reports`).

Plans are built by a small factory here (Population-drawn patients, physicians and institutions,
StudyPlan/DocumentPlan records made directly), so these tests do not depend on the planner.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from difflib import SequenceMatcher
from functools import cache
from importlib import resources

import pytest

from boneds.synth.anatomy import body_part, catalogue
from boneds.synth.model import PHI_LABELS, AnnotatedText, DocumentPlan, Findings, Fracture, StudyPlan
from boneds.synth.population import Population
from boneds.synth.reports import (
    DOCUMENT_KINDS,
    FINDING_KINDS,
    FINDING_PATTERNS,
    stated_findings,
    stated_kl_grade,
    write_document,
)

# Hard negatives: classifications, eponyms and incidences that must never be PHI spans.
EPONYMS = ("Pouteau-Colles", "Salter-Harris", "Kellgren-Lawrence", "Kellgren", "Garden", "Neer", "Weber",
           "Schatzker", "Bennett", "Monteggia", "Jones", "Lisfranc", "Maisonneuve", "Segond", "Hill-Sachs",
           "Osgood-Schlatter", "Scheuermann", "Sudeck", "Paget", "Perthes", "Ahlbäck", "Greulich et Pyle",
           "Lamy", "Schuss", "schuss", "Lequesne", "Judet", "Rosenberg", "Böhler", "Galeazzi", "Shenton")
_EPONYM_RE = re.compile(r"(?<![\w-])(" + "|".join(map(re.escape, EPONYMS)) + r")(?![\w-])")
# An eponym used as a medical term: "de Pouteau-Colles", "type Weber", "selon Neer", "d'Ahlbäck".
_EPONYM_CONTEXT_RE = re.compile(r"(?:\b(?:de|du|type|selon|stade|zone|dite?)\s|d')(" + "|".join(map(re.escape, EPONYMS)) + r")\b")
EVA_RE = re.compile(r"\bEVA (?:à )?\d+/10")
LEVEL_RE = re.compile(r"\b(?:C[1-7]|D(?:1[0-2]|[1-9])|L[1-5]|S1)(?:-(?:C[1-7]|D(?:1[0-2]|[1-9])|L[1-5]|S1))?\b")
DURATION_RE = re.compile(r"\b(?:depuis \d+ (?:jours|semaines|mois)|à J\d+|il y a \d+ jours)\b")
TITLE_RE = re.compile(r"^(?:Dr\.?|Pr\.?|Prof\.|Docteur|Professeur|Mme|Madame|Monsieur|Mr|Mlle)(?:\s|$)")


# -- plan factory -------------------------------------------------------------------------------------
@cache
def _bank_text() -> str:
    """All phrase-bank and anatomy text, lower case: patients whose surname occurs there are skipped."""
    root = resources.files("boneds.synth").joinpath("data")
    parts = [root.joinpath("anatomy.toml").read_text("utf-8")]
    parts += [root.joinpath(f"reports/{n}.toml").read_text("utf-8") for n in ("common", "radiology", "findings", "clinical")]
    return "\n".join(parts).lower() + "\n" + " ".join(EPONYMS).lower()


def _surname_ok(person) -> bool:
    """Whether a patient's surname is usable: not a phrase-bank word, not also a given name."""
    last = person.last_name.lower()
    if any(last == first.lower() for first in person.first_names):
        return False
    text = _bank_text()
    return last not in text or re.search(r"(?<!\w)" + re.escape(last) + r"(?!\w)", text) is None


@dataclass
class Case:
    plan: DocumentPlan
    doc: AnnotatedText


def make_plan(seed: int, kind: str, with_study: bool = True) -> tuple[DocumentPlan, Population]:
    """A document plan drawn from `seed` (patients whose surname is a phrase-bank word are redrawn)."""
    for attempt in range(20):
        pop = Population(seed * 31 + attempt)
        rng = pop.rng
        child = rng.random() < 0.3
        age = float(rng.uniform(0.8, 16.0)) if child else float(rng.uniform(18.0, 96.0))
        exam_day = date(2015, 1, 1) + timedelta(days=int(rng.integers(0, 3600)))
        birth = exam_day - timedelta(days=int(age * 365.25))
        sex = "M" if rng.random() < 0.5 else "F"
        patient = pop.patient(f"{1000000 + seed}", birth, sex)
        if _surname_ok(patient.person):
            break
    hospital = pop.hospital()
    specialty = {"radiologie": "radiologue", "protocole opératoire": "chirurgien orthopédiste"}.get(
        kind, pop.choice(("urgentiste", "chirurgien orthopédiste", "rhumatologue", "pédiatre", "médecin du sport")))
    author = pop.physician(specialty, hospital)
    referrer = pop.physician(pop.choice(("urgentiste", "chirurgien orthopédiste", "pédiatre")), hospital)
    started = datetime.combine(exam_day, datetime.min.time()) + timedelta(minutes=int(rng.integers(450, 1140)))
    parts = list(catalogue())
    part = parts[seed % len(parts)]
    info = body_part(part)
    growth = age < (14.5 if sex == "F" else 16.5)
    kl = int(rng.integers(0, 5)) if info.kl and age >= 30 else None
    roll = rng.random()
    if info.prosthesis and age >= 55 and roll < 0.2:
        findings, reason = Findings(prosthesis=True), "follow_up"
    elif roll < 0.55:
        sites = [s for s in info.fracture_sites if growth or not s.child]
        site = sites[int(rng.integers(0, len(sites)))]
        fixed = bool(rng.random() < 0.25) and not growth
        findings = Findings(fracture=Fracture(site.id, bool(rng.random() < 0.45)), osteosynthesis=fixed,
                            kl_grade=kl, growth_plates_open=growth)
        reason = "follow_up" if fixed else "trauma"
    elif part == "hand" and growth and rng.random() < 0.7:
        findings, reason = Findings(growth_plates_open=True), "bone_age"
    else:
        findings = Findings(kl_grade=kl, growth_plates_open=growth)
        reason = "arthrosis" if kl is not None and kl >= 2 else pop.choice(("pain", "trauma"))
    side = pop.choice(("L", "R")) if info.laterality else ""
    study = StudyPlan(
        patient=patient, study_number=1, body_part=part, laterality=side, findings=findings, started=started,
        modality="DX", accession_number=f"{started:%y%m%d}{seed % 10000:04d}01", institution=hospital,
        referring_physician=referrer if rng.random() < 0.7 else patient.general_practitioner, operator=pop.person(),
        station_name="RXURG01", device_serial="1234567", clinical_info=reason, images=())
    written = started + timedelta(minutes=int(rng.integers(20, 300)))
    if rng.random() < 0.1:
        written += timedelta(days=1)
    copies = tuple(dict.fromkeys((study.referring_physician, patient.general_practitioner)))
    plan = DocumentPlan(f"{seed:07d}01", patient, kind, written,
                        study if kind == "radiologie" and with_study else None,
                        study.accession_number if rng.random() < 0.4 else "", author, copies)
    return plan, pop


def _corpus_specs() -> list[tuple[int, str, bool]]:
    specs = [(seed, "radiologie", True) for seed in range(440)]
    specs += [(1000 + seed, "radiologie", False) for seed in range(60)]
    specs += [(2000 + seed, "consultation", False) for seed in range(90)]
    specs += [(3000 + seed, "protocole opératoire", False) for seed in range(60)]
    specs += [(4000 + seed, "hospitalisation", False) for seed in range(60)]
    return specs


@pytest.fixture(scope="module")
def corpus() -> list[Case]:
    cases = []
    for seed, kind, with_study in _corpus_specs():
        plan, pop = make_plan(seed, kind, with_study)
        cases.append(Case(plan, write_document(plan, pop)))
    return cases


def _covering(doc: AnnotatedText, start: int, end: int):
    return [s for s in doc.spans if s.start < end and start < s.end]


def _span_texts(corpus: list[Case], label: str) -> list[str]:
    return [c.doc.text[s.start : s.end] for c in corpus for s in c.doc.spans if s.label == label]


# -- spans ----------------------------------------------------------------------------------------------
def test_spans_are_exact_sorted_and_disjoint(corpus):
    for case in corpus:
        doc = case.doc
        assert doc.text.strip(), case.plan.report_id
        previous_end = 0
        for span in doc.spans:
            value = doc.text[span.start : span.end]
            assert span.label in PHI_LABELS
            assert value and value == value.strip(), (case.plan.report_id, span, repr(value))
            assert span.start >= previous_end, (case.plan.report_id, span)
            previous_end = span.end
        assert any(s.label == "PATIENT" for s in doc.spans), doc.text


def test_every_phi_label_occurs(corpus):
    counts = Counter(s.label for c in corpus for s in c.doc.spans)
    for label in PHI_LABELS:
        assert counts[label] >= 20, (label, counts)
    for kind in DOCUMENT_KINDS:
        kind_counts = Counter(s.label for c in corpus if c.plan.kind == kind for s in c.doc.spans)
        assert {"PATIENT", "PERSON", "DATE", "LOCATION", "INSTITUTION"} <= set(kind_counts), (kind, kind_counts)


def test_titles_stay_outside_spans(corpus):
    for case in corpus:
        for span in case.doc.spans:
            value = case.doc.text[span.start : span.end]
            assert not TITLE_RE.match(value), (case.plan.report_id, value)
    # and titled names do occur
    text = "\n".join(c.doc.text for c in corpus)
    for title in ("Dr ", "Docteur ", "Mme ", "Madame ", "Monsieur "):
        assert title in text


def test_patient_surname_never_outside_patient_spans(corpus):
    for case in corpus:
        person = case.plan.patient.person
        doc = case.doc
        pattern = re.compile(r"(?<!\w)" + re.escape(person.last_name) + r"(?!\w)", re.IGNORECASE)
        for m in pattern.finditer(doc.text):
            covering = _covering(doc, m.start(), m.end())
            assert covering, ("surname outside any span", case.plan.report_id, doc.text[m.start() - 60 : m.end() + 20])
            labels = {s.label for s in covering}
            if "PATIENT" in labels:
                continue
            # a homonym (a physician, a relative), the patient's e-mail, a practice named after someone
            assert labels <= {"PERSON", "EMAIL_URL", "INSTITUTION", "LOCATION"}, (case.plan.report_id, labels)
            for span in covering:
                if span.label == "PERSON":
                    value = doc.text[span.start : span.end]
                    assert person.first_name.lower() not in value.lower().split(), (case.plan.report_id, value)


def test_hard_negatives_stay_outside_spans_and_are_frequent(corpus):
    found = Counter()
    for case in corpus:
        doc = case.doc
        for m in _EPONYM_RE.finditer(doc.text):
            covering = _covering(doc, m.start(), m.end())
            if covering:  # only a single-word eponym that is also someone's name ("Dr Paul Lamy")
                assert " " not in m.group(1) and "-" not in m.group(1), (case.plan.report_id, m.group(1))
                assert {s.label for s in covering} <= {"PERSON", "PATIENT", "INSTITUTION", "LOCATION", "EMAIL_URL"}
            else:
                found["eponym"] += 1
        for m in _EPONYM_CONTEXT_RE.finditer(doc.text):
            assert not _covering(doc, m.start(1), m.end(1)), (case.plan.report_id, m.group(0))
        for name, regex in (("eva", EVA_RE), ("level", LEVEL_RE), ("duration", DURATION_RE)):
            for m in regex.finditer(doc.text):
                assert not _covering(doc, m.start(), m.end()), (case.plan.report_id, name, m.group(0))
                found[name] += 1
        for word in ("Dafalgan", "Ibuprofène", "attelle", "plâtre"):
            found["drug_device"] += doc.text.count(word)
        for m in re.finditer(r"\b\d{1,2}h\d\d\b|\b\d+ mm\b|\b\d+°", doc.text):
            assert not _covering(doc, m.start(), m.end()), (case.plan.report_id, m.group(0))
            found["time_measure"] += 1
    assert found["eponym"] >= 300, found
    assert found["eva"] >= 100, found
    assert found["level"] >= 40, found
    assert found["duration"] >= 50, found
    assert found["drug_device"] >= 50, found
    assert found["time_measure"] >= 100, found


# -- findings -----------------------------------------------------------------------------------------------
def _expected(findings: Findings) -> set[str]:
    out = set()
    if findings.fracture is not None:
        out |= {"fracture", "displaced" if findings.fracture.displaced else "nondisplaced"}
    if findings.osteosynthesis:
        out.add("osteosynthesis")
    if findings.prosthesis:
        out.add("prosthesis")
    if findings.kl_grade is not None:
        out.add("kl")
    if findings.growth_plates_open:
        out.add("growth_plates_open")
    if findings.labels() == ("normal",):
        out.add("normal")
    return out


def test_reports_state_exactly_the_drawn_findings(corpus):
    assert set(FINDING_PATTERNS) == set(FINDING_KINDS)
    seen = Counter()
    for case in corpus:
        study = case.plan.study
        if study is None:
            continue
        text = case.doc.text
        findings = study.findings
        expected = _expected(findings)
        stated = stated_findings(text)
        seen.update(expected)
        assert expected <= stated, (findings.labels(), stated, text)
        positive = {"fracture", "displaced", "nondisplaced", "osteosynthesis", "prosthesis", "kl", "growth_plates_open"}
        assert not (stated & positive) - expected, (findings.labels(), stated, text)
        if findings.fracture is not None:
            assert "normal" not in stated, text
            bone = body_part(study.body_part).site(findings.fracture.site).bone_fr
            assert bone.lower() in text.lower(), (bone, text)
        if findings.kl_grade is not None:
            assert stated_kl_grade(text) == findings.kl_grade, (findings.kl_grade, text)
        if findings.prosthesis:
            assert re.search(r"prothèse|PT[HGE]|arthroplastie", text, re.IGNORECASE), text
    for kind in FINDING_KINDS:
        assert seen[kind] >= 5, seen


def test_finding_patterns_respect_negation():
    assert stated_findings("Pas de fracture ni de luxation.") == {"normal"}
    assert stated_findings("Chute. Fracture ?") == set()
    assert stated_findings("Suspicion de fracture du scaphoïde.") == set()
    assert stated_findings("Fracture non déplacée de la styloïde ulnaire.") == {"fracture", "nondisplaced"}
    assert stated_findings("Fracture déplacée de l'extrémité distale du radius.") == {"fracture", "displaced"}
    assert "displaced" not in stated_findings("Pas de fracture déplacée.")
    assert stated_findings("PTH gauche en place.") == {"prosthesis"}
    assert stated_findings("Gonarthrose stade III de Kellgren-Lawrence.") == {"kl"}
    assert stated_findings("Cartilages de croissance ouverts.") == {"growth_plates_open"}
    assert stated_kl_grade("Coxarthrose (KL 2).") == 2
    assert stated_kl_grade("Stade IV de Kellgren-Lawrence.") == 4


# -- determinism and variety ---------------------------------------------------------------------------
@pytest.mark.parametrize("kind", DOCUMENT_KINDS)
def test_same_seed_same_document(kind):
    for seed in (3, 17, 2024):
        first = write_document(*make_plan(seed, kind))
        second = write_document(*make_plan(seed, kind))
        assert first == second
        assert first != write_document(*make_plan(seed + 1, kind))


def test_unknown_kind_is_rejected():
    plan, pop = make_plan(1, "radiologie")
    from dataclasses import replace

    with pytest.raises(ValueError):
        write_document(replace(plan, kind="ordonnance"), pop)


def _skeleton(doc: AnnotatedText, lines: int) -> str:
    """The document's first lines with PHI replaced by labels and digits by 0: its layout."""
    out, pos = [], 0
    for span in doc.spans:
        out.append(doc.text[pos : span.start])
        out.append(f"<{span.label}>")
        pos = span.end
    out.append(doc.text[pos:])
    text = re.sub(r"\d", "0", "".join(out))
    return "\n".join([ln for ln in text.splitlines() if ln.strip()][:lines])


def test_layouts_and_first_lines_vary(corpus):
    radiology = [c for c in corpus if c.plan.kind == "radiologie"]
    assert len({_skeleton(c.doc, 3) for c in radiology}) >= 80
    assert len({c.doc.text.splitlines()[0] for c in radiology}) >= 80
    for kind in ("consultation", "protocole opératoire", "hospitalisation"):
        docs = [c for c in corpus if c.plan.kind == kind]
        assert len({_skeleton(c.doc, 4) for c in docs}) >= 10, kind
    heads = Counter()
    for c in radiology:
        for word in ("Renseignements cliniques", "RC :", "Indication", "Technique", "Résultat", "Protocole",
                     "Conclusion", "CONCLUSION", "Copie", "Cher Confrère", "Chère Consœur", "Signé électroniquement",
                     "Bien confraternellement", "F+P", "face et profil", "en charge"):
            heads[word] += word in c.doc.text
    assert all(n >= 3 for n in heads.values()), heads


DATE_FORMATS = {
    "12/03/2021": r"\d\d/\d\d/\d{4}",
    "12-03-2021": r"\d\d-\d\d-\d{4}",
    "12.03.21": r"\d\d\.\d\d\.\d\d",
    "12/3/21": r"\d{1,2}/\d/\d\d",
    "2021-03-12": r"\d{4}-\d\d-\d\d",
    "20210312": r"(?:19|20)\d{6}",
    "12 mars 2021": r"\d{1,2} [a-zéû]+ \d{4}",
    "1er mars 2021": r"1er [a-zéû]+ \d{4}",
    "12 févr. 2021": r"(?:\d{1,2}|1er) [a-zéû]+\. \d{4}",
    "mars 2020": r"[a-zéû]+ \d{4}",
    "12 mars": r"(?:\d{1,2}|1er) [a-zéû]+",
    "2019": r"(?:19|20)\d\d",
    "12 MARS 2021": r"(?:\d{1,2}|1ER) [A-ZÉÛ]+ \d{4}",
    "lundi 12 mars 2021": r"[a-z]+di (?:\d{1,2}|1er) [a-zéû]+ \d{4}",
}


def test_all_date_formats_occur(corpus):
    dates = _span_texts(corpus, "DATE")
    for example, regex in DATE_FORMATS.items():
        assert any(re.fullmatch(regex, d) for d in dates), example
    text = "\n".join(c.doc.text for c in corpus)
    assert re.search(r"\ben (?:19|20)\d\d\b", text)  # "en 2019", the year alone


def test_name_and_age_forms(corpus):
    patients = _span_texts(corpus, "PATIENT")
    persons = _span_texts(corpus, "PERSON")
    names = patients + persons
    assert any(re.fullmatch(r"[A-ZÀ-Ý'\- ]+ [A-Z][a-zà-ÿ\-]+", n) for n in names)  # NOM Prénom
    assert any(re.fullmatch(r"[A-Z][a-zà-ÿ\-]+ [A-ZÀ-Ý'\- ]+", n) for n in names)  # Prénom NOM
    assert any(re.fullmatch(r"[A-Z]\. [A-ZÀ-Ý][\w'\- ]+", n) for n in names)  # J. DUPONT
    assert any(re.fullmatch(r"[A-Z]\.-[A-Z]\. \S.*", n) for n in names)  # J.-P. Dupont
    assert any(re.fullmatch(r"[A-Z]{2,3}", n) for n in names)  # JD
    assert any(re.search(r"\b(?:Van|Vanden|De|de|Le|d')\b", n) for n in names)  # particles
    assert any(n.isupper() and " " in n for n in patients)  # all caps
    text = "\n".join(c.doc.text for c in corpus)
    assert re.search(r"Madame \S+ (?:épouse|ép\.|née) \S+", text)
    ages = _span_texts(corpus, "AGE")
    for regex in (r"\d+ ans", r"\d+a", r"\d+ ans et \d+ mois", r"\d+ mois", r"\d+a\d+m"):
        assert any(re.fullmatch(regex, a) for a in ages), regex
    assert re.search(r"[Ââ]ge osseux[^\n]{0,60}\d+ ans", text)
    assert "âgé" in text


def test_identifiers_contacts_and_places(corpus):
    ids = _span_texts(corpus, "ID")
    assert any(re.fullmatch(r"\d\d\.\d\d\.\d\d-\d{3}\.\d\d", i) for i in ids)  # NISS
    assert any(re.fullmatch(r"1-\d{5}-\d\d-\d{3}", i) for i in ids)  # INAMI
    emails = _span_texts(corpus, "EMAIL_URL")
    assert any("@" in e for e in emails) and any(e.startswith(("www.", "http")) for e in emails)
    locations = _span_texts(corpus, "LOCATION")
    assert any(re.fullmatch(r"\d{4} \S.*", loc) for loc in locations)  # 5000 Namur
    assert any(re.search(r"\d", loc) is None for loc in locations)  # a city alone
    institutions = set(_span_texts(corpus, "INSTITUTION"))
    kinds = {c.plan.patient.employer_or_school.kind for c in corpus if c.plan.patient.employer_or_school is not None}
    assert kinds and len(institutions) > 100
    text = "\n".join(c.doc.text for c in corpus)
    for word in ("École", "Maison de repos", "Copie", "INAMI", "N° séjour", "NISS"):
        assert word.lower() in text.lower(), word


def test_typos_and_misspelled_surnames_occur(corpus):
    misspelled = 0
    for case in corpus:
        last = case.plan.patient.person.last_name
        for span in case.doc.spans:
            if span.label != "PATIENT":
                continue
            value = case.doc.text[span.start : span.end]
            for token in re.split(r"[ ,]+", value):
                close = SequenceMatcher(None, token.lower(), last.lower()).ratio() >= 0.75
                if close and token.lower() != last.lower() and len(last) >= 4 and " " not in last:
                    misspelled += 1  # still labelled PATIENT
    assert misspelled >= 3
    text = "\n".join(c.doc.text for c in corpus).lower()
    assert sum(text.count(t) for t in ("douleure", "traumatime", "controle", "rensignements", "consulation", "atelle")) >= 5


def test_other_document_kinds_read_like_their_kind(corpus):
    by_kind = {k: [c.doc.text for c in corpus if c.plan.kind == k] for k in DOCUMENT_KINDS}
    assert sum("Anesthésiste" in t or "anesthésie" in t.lower() for t in by_kind["protocole opératoire"]) >= 50
    assert sum(bool(re.search(r"Cher|Chère", t)) for t in by_kind["hospitalisation"]) >= 55
    assert sum("consultation" in t.lower() or "urgences" in t.lower() for t in by_kind["consultation"]) >= 80
    no_study = [c.doc.text for c in corpus if c.plan.kind == "radiologie" and c.plan.study is None]
    exam = re.compile(r"écho|\bIRM\b|\bCT\b|scanner|\bTDM\b|DEXA|DXA|densitom|résonance|\bRX\b|radiograph", re.I)
    assert sum(bool(exam.search(t)) for t in no_study) >= 55
