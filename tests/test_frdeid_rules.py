"""Tests of the rule detectors of `frdeid.text.detectors`: dates, ages, phones, emails_urls, ids, addresses.

Hard positives with exact surfaces, hard negatives (scores, levels, doses, durations...), invariants on
random text (hypothesis), and per-label precision/recall on two development sets: the EDS-Pseudo
templates (`../shared/text/`, skipped when absent) and a synthetic export's truth (generated here).
Run with `-s` to see the precision/recall tables.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from frdeid.spans import LABELS, TIER_CONTEXT, TIER_VALIDATED
from frdeid.text import registry
from frdeid.text.document import Document

ROOT = Path(__file__).resolve().parents[1]
EDS_TEMPLATES = ROOT.parent / "shared" / "text" / "eds_pseudo_templates.txt"
RULES = {"dates": "DATE", "ages": "AGE", "phones": "PHONE", "emails_urls": "EMAIL_URL", "ids": "ID",
         "addresses": "LOCATION"}


def detect(name: str, text: str) -> list[str]:
    """Surfaces of the spans the detector `name` finds in `text` (checking their label)."""
    spans = registry.build(name, {})(Document(text))
    assert all(s.label == RULES[name] for s in spans)
    return [text[s.start:s.end] for s in spans]


def _cases(name: str, rows: list[tuple[str, list[str]]]) -> list:
    return [pytest.param(name, text, expected, id=f"{name}:{text[:40]}") for text, expected in rows]


# -- hard positives: exact surfaces -------------------------------------------------------------------
POSITIVES = _cases("dates", [
    ("Examen du 12/03/2021 à 14h30.", ["12/03/2021"]),
    ("le 12-03-2021", ["12-03-2021"]),
    ("le 12.03.21 et le 12/3/21", ["12.03.21", "12/3/21"]),
    ("né le 3/12/2021", ["3/12/2021"]),
    ("Date ISO 2021-03-12, DICOM 20210312", ["2021-03-12", "20210312"]),
    ("Le 12 mars 2021, le 12 MARS 2021 et le 1er mars 2021.", ["12 mars 2021", "12 MARS 2021", "1er mars 2021"]),
    ("reçu le 12 févr. 2021, revu le 12 fev 2021", ["12 févr. 2021", "12 fev 2021"]),
    ("Consultation du lundi 12 mars 2021.", ["lundi 12 mars 2021"]),
    ("RX du genou (août 2018) puis le 12 mars, contrôle le 12/03.", ["août 2018", "12 mars", "12/03"]),
    ("Appendicectomie en 2019, suivi depuis 2015.", ["2019", "2015"]),
    ("Cholécystectomie (2003). Né en 1952. Année 2018.", ["2003", "1952", "2018"]),
    ("- 1954 Appendicectomie\n- 1968-1970 : corticothérapie", ["1954", "1968", "1970"]),
    ("Sept 01,2026 ; 18X2027 ; dec1993 ; rdv le 05nov.", ["Sept 01,2026", "18X2027", "dec1993", "05nov"]),
    ("Jeudi dix-sept Octobre deux mille dix huit", ["Jeudi dix-sept Octobre deux mille dix huit"]),
    ("né le deux janvier mille neuf cent soixante dix huit", ["deux janvier mille neuf cent soixante dix huit"]),
    ("de mai à juin 2029, fin septembre", ["mai", "juin 2029", "septembre"]),
    ("du 10 au 11 mars 2023, les 18 et 19/01/2018", ["10", "11 mars 2023", "18", "19/01/2018"]),
    ("C1 3/4/19 C2 1/7/19 C3 2/8 C4 16/09", ["3/4/19", "1/7/19", "2/8", "16/09"]),
    ("| F | 10/05/1986 | 9056297478 |", ["10/05/1986"]),
    ("Date de naissance : 1 2 0 5 1 9 7 8", ["1 2 0 5 1 9 7 8"]),
    ("Le 23022018, reprise ; depuis le 211017.", ["23022018", "211017"]),
    ("(°29.05.1949, 69 ans)", ["29.05.1949"]),
]) + _cases("ages", [
    ("Patient de 45 ans, chute.", ["45 ans"]),
    ("Âge : 61a\nN° patient : 07541130", ["61a"]),
    ("Angélique Janssens (°29.05.1949, 39 a)", ["39 a"]),
    ("âgé de 45 ans et 3 mois", ["45 ans et 3 mois"]),
    ("Âge : 10 ans 3 mois", ["10 ans 3 mois"]),
    ("le jeune David, 5a6m, pour un bilan", ["5a6m"]),
    ("Né le 15/11/1936 (84a)", ["84a"]),
    ("un nourrisson de 3 semaines, un bébé âgé de 18 mois", ["3 semaines", "18 mois"]),
    ("enfant de 7 ans ; (45 ans) ; a 45-year-old man", ["7 ans", "45 ans", "45-year-old"]),
    ("Âge osseux selon Greulich et Pyle : 10 ans", ["10 ans"]),
    ("M. DUFRASNE, 81 ans, pour une fracture", ["81 ans"]),
]) + _cases("phones", [
    ("Tél : 0478 12 34 56", ["0478 12 34 56"]),
    ("GSM 0478/12.34.56 - fixe 04 123 45 67", ["0478/12.34.56", "04 123 45 67"]),
    ("Secrétariat : 081/72.11.11 ou 02 555 12 34", ["081/72.11.11", "02 555 12 34"]),
    ("+32 478 12 34 56 / +32(0)4 366 77 11", ["+32 478 12 34 56", "+32(0)4 366 77 11"]),
    ("0032 478 12 34 56", ["0032 478 12 34 56"]),
    ("Paris : 01 23 45 67 89, mobile +33 6 12 34 56 78.", ["01 23 45 67 89", "+33 6 12 34 56 78"]),
    ("appeler le 0102553316", ["0102553316"]),
    ("bip 7339, tél. 73389, poste 4521", ["7339", "73389", "4521"]),
    ("Dr X 01.42.21.32.74 Dr Y O1.42.15.93.30", ["01.42.21.32.74", "O1.42.15.93.30"]),
    ("01.41.29.00.35 01 41 29 00 37", ["01.41.29.00.35", "01 41 29 00 37"]),
    ("Tel : 01 24 70 00 00 / 02", ["01 24 70 00 00"]),
]) + _cases("emails_urls", [
    ("Contact : dr.x@chu-liege.be.", ["dr.x@chu-liege.be"]),
    ("voir www.chu.be/rx, ou https://www.x.be/a/b?c=1.", ["www.chu.be/rx", "https://www.x.be/a/b?c=1"]),
    ("(http://vivalia.be/imagerie-medicale)", ["http://vivalia.be/imagerie-medicale"]),
    ("Joseph ARNOULDarnould@institute.org", ["arnould@institute.org"]),
    ("tlabelle @ medimail . com", ["tlabelle @ medimail . com"]),
]) + _cases("ids", [
    ("NISS : 85.07.30-033.28", ["85.07.30-033.28"]),
    ("NISS 49052910094\n", ["49052910094"]),
    ("Médecin du sport – INAMI 10166786324", ["10166786324"]),
    ("Prescrit par : Dr. Marion (INAMI 1-41656-61-230)", ["1-41656-61-230"]),
    ("N° patient : DEM977287\nID : 220509459401", ["DEM977287", "220509459401"]),
    ("Dossier : P-2021-00123 ; Réf. : 340024603", ["P-2021-00123", "340024603"]),
    ("N° d'examen : 191227460903\nDate de l'examen : 20210203", ["191227460903"]),
    ("DE WITTE Michel – 19-02-1974 (41 ans) – 08348796", ["08348796"]),
    ("IPP: 5820136284, NDA : 10294842612", ["5820136284", "10294842612"]),
    ("Numéro de sécurité sociale 173 2857 4932.", ["173 2857 4932"]),
    ("Assuré : 1 84 12 76 451 089 46", ["1 84 12 76 451 089 46"]),
]) + _cases("addresses", [
    ("Rue de la Gare 12 bte 3, 5000 Namur", ["Rue de la Gare 12 bte 3", "5000 Namur"]),
    ("domicilié 12, rue des Prés à Ciney", ["12, rue des Prés"]),
    ("Rue des Prés, 200\n1348 Louvain-la-Neuve", ["Rue des Prés, 200", "1348 Louvain-la-Neuve"]),
    ("Av. Louise 54 bus 4 – B-4000 Liège", ["Av. Louise 54 bus 4", "B-4000 Liège"]),
    ("Chée de Louvain 430, 94010 Créteil Cedex", ["Chée de Louvain 430", "94010 Créteil Cedex"]),
    ("Kerkstraat 5 bus 2, 3000 Leuven", ["Kerkstraat 5 bus 2", "3000 Leuven"]),
    ("Place Saint-Lambert 1 ; Drève des Châtaigniers 8", ["Place Saint-Lambert 1", "Drève des Châtaigniers 8"]),
    ("Leoboulevard 93 – 2000 WEZEMAAL", ["Leoboulevard 93", "2000 WEZEMAAL"]),
    ("Roelpad 74, 5000 Le Roeulx", ["Roelpad 74", "5000 Le Roeulx"]),
    ("Birgitring, 36\n6750 Morialmé", ["Birgitring, 36", "6750 Morialmé"]),
    ("18 rue de la Palombière, 33000, Bordeaux CEDEX", ["18 rue de la Palombière", "33000, Bordeaux CEDEX"]),
    ("42 avenue du G.al de Gaulle, 31020 TOULOUSE", ["42 avenue du G.al de Gaulle", "31020 TOULOUSE"]),
])


@pytest.mark.parametrize(("name", "text", "expected"), POSITIVES)
def test_hard_positives(name, text, expected):
    assert detect(name, text) == expected


# -- hard negatives: nothing from any rule detector ---------------------------------------------------
NEGATIVES = [
    "EVA 3/10", "EVA à 7/10", "force 3/5", "fracture du 1/3 moyen", "au 1/3 inférieur", "L4-L5", "C5-C6",
    "hernie L5-S1", "T12", "2 x 3 mm", "12°", "5 mg/kg", "à 14h30", "à 14:30", "grade 2/4", "1/2 comprimé",
    "à J15", "à J+15", "Weber B", "acuité 10/12", "TA 120/80 mmHg", "score 17/21", "45/13/2020", "5000 UI",
    "2021 Le patient", "L5 S1", "depuis 3 ans", "il y a 2 ans", "pendant 6 mois", "à 3 mois post-op",
    "3 ans plus tard", "Amygdalectomie à 4 ans", "stade 3a de Gustilo", "dans 2 semaines", "3 fois par semaine",
    "1,5 mois", "Kellgren-Lawrence grade 3", "Salter-Harris II", "2000 mg", "0.94 g/L", "12.8 mmol/l", "19.94",
    "mise en place d'une voie veineuse", "voie percutanée", "plaque 3.5 mm à 7 trous", "dilution 1/2000",
    "IMC 24.5", "Version 4/10", "2 comprimés 3x/j", "réévaluation à 6 semaines", "Loi du 18 août 2013",
    "Décret n°2013-1066 du 3 juin 2013", "0 0 0 0 0 0 0 0 0 0 0 0", "1111111111111111", "un patient de plus",
    "Dr R. CUSTINE", "en place depuis", "la cour d'école", "Blood. 2010 Jan 21;115(3):453-74",
]


@pytest.mark.parametrize("text", NEGATIVES)
def test_hard_negatives(text):
    assert {name: detect(name, text) for name in RULES} == {name: [] for name in RULES}


def test_tiers_and_sources():
    doc = Document("Tél 0478 12 34 56, NISS 85.07.30-033.28, Rue de la Gare 12, 5000 Namur, le 12/03/2021")
    spans = [s for name in RULES for s in registry.build(name, {})(doc)]
    assert {s.source for s in spans} == {"phones", "ids", "addresses", "dates"}
    assert all(s.tier == (TIER_CONTEXT if s.label == "LOCATION" else TIER_VALIDATED) for s in spans)


# -- invariants on random text ------------------------------------------------------------------------
PIECES = ["12", "03", "2021", "/", ".", "-", " ", "\n", "mars", "Rue", "de la", "Gare", "ans", "a", "mois", "0478",
          "+32", "@", "www.", ".be", "NISS", "IPP :", "N°", ",", "(", ")", "lundi", "1er", "5000", "Namur", "bte",
          "2 9", "0", "1", "9", "é", "É", "x", "en", "depuis", "le", "du", "Tél", ":", "http://", "a.b"]
texts = st.one_of(st.lists(st.sampled_from(PIECES), max_size=30).map("".join),
                  st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=80))


@settings(max_examples=50, deadline=None)
@given(text=texts)
def test_spans_are_sorted_disjoint_and_in_bounds(text):
    doc = Document(text)
    for name, label in RULES.items():
        spans = registry.build(name, {})(doc)
        assert all(0 <= s.start < s.end <= len(text) and s.label == label for s in spans)
        assert all(a.end <= b.start for a, b in zip(spans, spans[1:], strict=False))


# -- development sets: per-label precision and recall ------------------------------------------------
EDS_LABELS = {"DATE": "DATE", "DATE_NAISSANCE": "DATE", "TEL": "PHONE", "MAIL": "EMAIL_URL", "IPP": "ID",
              "NDA": "ID", "SECU": "ID", "ADRESSE": "LOCATION", "ADDRESSE": "LOCATION", "ZIP": "LOCATION",
              "VILLE": "LOCATION", "NOM": "PERSON", "PRENOM": "PERSON", "HOPITAL": "INSTITUTION"}
_MARKUP = re.compile(r"\[([^\]]*)\]\(([A-Z_]+)\)")


def eds_documents(path: Path) -> list[dict]:
    """Blocks of the EDS-Pseudo templates with markup stripped: text and gold spans (with raw labels)."""
    docs = []
    for block in path.read_text(encoding="utf-8").split("\n\n"):
        text, spans, last = "", [], 0
        for m in _MARKUP.finditer(block):
            text += block[last:m.start()]
            spans.append({"start": len(text), "end": len(text) + len(m.group(1)), "raw": m.group(2),
                          "label": EDS_LABELS.get(m.group(2), m.group(2))})
            text += m.group(1)
            last = m.end()
        docs.append({"text": text + block[last:], "spans": spans})
    return docs


def eds_address_like(doc: dict, span: dict) -> bool:
    """ADRESSE and ZIP spans, and VILLE spans right after a ZIP (cities alone are not addresses)."""
    if span["raw"] in ("ADRESSE", "ADDRESSE", "ZIP"):
        return True
    return span["raw"] == "VILLE" and any(o["raw"] == "ZIP" and 0 <= span["start"] - o["end"] <= 3
                                          for o in doc["spans"])


def synth_address_like(doc: dict, span: dict) -> bool:
    """Street parts and postal parts (they hold a digit); cities alone are not addresses."""
    return any(c.isdigit() for c in doc["text"][span["start"]:span["end"]])


def evaluate(docs: list[dict], address_like: Callable[[dict, dict], bool],
             counted: Callable[[str, str], bool] = lambda label, surface: True
             ) -> dict[str, tuple[float | None, float | None]]:
    """Per-label (precision, recall), a span matching when it overlaps one of the same label (None for
    a label without gold spans in the set). Recall of LOCATION counts address-like gold spans only;
    `counted` says which predictions precision counts."""
    detectors = {label: registry.build(name, {}) for name, label in RULES.items()}
    counts = {label: [0, 0, 0, 0] for label in RULES.values()}  # predicted ok, predicted, gold found, gold
    for doc in docs:
        document = Document(doc["text"])
        for label, detector in detectors.items():
            predicted = detector(document)
            gold = [g for g in doc["spans"] if g["label"] == label]
            for p in predicted:
                if counted(label, doc["text"][p.start:p.end]):
                    counts[label][1] += 1
                    counts[label][0] += any(p.start < g["end"] and g["start"] < p.end for g in gold)
            for g in gold:
                if label != "LOCATION" or address_like(doc, g):
                    counts[label][3] += 1
                    counts[label][2] += any(p.start < g["end"] and g["start"] < p.end for p in predicted)
    return {label: (ok / n if n else 1.0, found / total) if total else (None, None)
            for label, (ok, n, found, total) in counts.items()}


def _report(title: str, scores: dict[str, tuple[float | None, float | None]]) -> None:
    print(f"\n{title}")
    for label, (precision, recall) in scores.items():
        if precision is None:
            print(f"  {label:10s} no gold span")
        else:
            print(f"  {label:10s} precision {precision:.3f}  recall {recall:.3f}")


@pytest.mark.skipif(not EDS_TEMPLATES.exists(), reason="../shared/text/eds_pseudo_templates.txt is absent")
def test_eds_pseudo_templates_precision_recall():
    # EDS-Pseudo labels e-mails only (not web addresses), nor FINESS/RPPS numbers, nor ages: precision
    # of EMAIL_URL counts e-mail predictions only; AGE has no gold there.
    scores = evaluate(eds_documents(EDS_TEMPLATES), eds_address_like,
                      counted=lambda label, surface: label != "EMAIL_URL" or "@" in surface)
    _report("EDS-Pseudo templates (overlap match)", scores)
    assert scores["DATE"][0] >= 0.97 and scores["DATE"][1] >= 0.975
    assert scores["PHONE"][0] >= 0.97 and scores["PHONE"][1] >= 0.975
    assert scores["EMAIL_URL"][0] >= 0.97 and scores["EMAIL_URL"][1] >= 0.98
    assert scores["ID"][1] >= 0.95
    assert scores["LOCATION"][1] >= 0.9


@pytest.fixture(scope="module")
def synthetic_truth() -> list[dict]:
    """The documents of `boneds synth OUT --patients 60 --seed 5` with their gold spans (no images)."""
    from boneds.synth.export import plan_export
    from boneds.synth.planner import patient_seed
    from boneds.synth.population import Population
    from boneds.synth.reports import write_document

    docs = []
    for index, plan in enumerate(plan_export(5, 60)):
        population = Population(patient_seed(5, index) ^ 0x5EED)
        for document in plan.documents:
            written = write_document(document, population)
            docs.append({"text": written.text, "spans": [
                {"start": s.start, "end": s.end, "label": s.label} for s in written.spans]})
    return docs


def test_synthetic_truth_precision_recall(synthetic_truth):
    assert {s["label"] for d in synthetic_truth for s in d["spans"]} <= set(LABELS)
    scores = evaluate(synthetic_truth, synth_address_like)
    _report("Synthetic export, 60 patients, seed 5 (overlap match)", scores)
    for label in ("DATE", "PHONE", "EMAIL_URL"):
        assert scores[label][0] >= 0.97 and scores[label][1] >= 0.98, label
    assert scores["ID"][1] >= 0.95 and scores["AGE"][1] >= 0.95 and scores["LOCATION"][1] >= 0.95


def test_a_year_after_an_earlier_exam_is_a_date():
    from frdeid.text.pipeline import Pipeline

    text = "Comparer avec les clichés de 2015 et la radiographie de 2017. Bilan de 2000 UI."
    found = [text[s.start:s.end] for s in Pipeline().detect(text) if s.label == "DATE"]
    assert found == ["2015", "2017"]
