"""Name, place and institution detectors (patient, context_names, name_lexicon, institutions,
locations), the lexicon API and the allow-list data."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from frdeid.patient import PatientIdentity
from frdeid.spans import resolve
from frdeid.text import lexicons
from frdeid.text.allowlist import allowlist_terms, is_allowlisted
from frdeid.text.document import Document
from frdeid.text.pipeline import Pipeline
from frdeid.text.registry import build

NAME_DETECTORS = ["patient", "context_names", "name_lexicon", "institutions", "locations"]
EDS = Path(__file__).resolve().parents[1] / ".." / "shared" / "text" / "eds_pseudo_templates.txt"


def at(text: str, sub: str, nth: int = 0) -> tuple[int, int]:
    """Offsets of the `nth` occurrence of `sub` in `text`."""
    start = -1
    for _ in range(nth + 1):
        start = text.index(sub, start + 1)
    return start, start + len(sub)


def run(name: str, text: str, patient: PatientIdentity | None = None) -> set[tuple[int, int, str]]:
    """(start, end, label) of one detector's spans."""
    detector = build(name, {})
    return {(s.start, s.end, s.label) for s in detector(Document(text, patient))}


def merged(text: str, patient: PatientIdentity | None = None) -> list[tuple[str, str]]:
    """(surface, label) after running the five detectors together through the pipeline (merge
    and allow-list)."""
    pipe = Pipeline({"pipeline": {"detectors": NAME_DETECTORS}, "detectors": {}})
    return [(text[s.start:s.end], s.label) for s in pipe.detect(text, patient)]


def surfaces(text: str, spans: set[tuple[int, int, str]], label: str | None = None) -> set[str]:
    return {text[a:b] for a, b, lab in spans if label is None or lab == label}


JEAN = PatientIdentity(("Jean", "Marie"), "Dupont", date(1950, 3, 12), "12345678")
JP = PatientIdentity(("Jean-Pierre",), "Van der Meulen", None, "A-778899")
GARDEN = PatientIdentity(("Alice",), "Garden", None, "")


# --- patient ---------------------------------------------------------------------------------


@pytest.mark.parametrize("form", [
    "Jean DUPONT", "DUPONT Jean", "Dupont, Jean", "DUPONT, Jean", "J. Dupont", "Dupont J.", "JEAN DUPONT",
    "jean dupont", "DUPONT Jean Marie", "Jean Marie Dupont", "Dupont",
])
def test_patient_full_name_forms_are_one_span(form):
    text = f"Concerne : {form} (12/03/1950)."
    assert run("patient", text, JEAN) >= {(*at(text, form), "PATIENT")}


def test_patient_initials_hyphen_and_particles():
    text = "Patient : J.-P. Van der Meulen. Vu M. VAN DER MEULEN Jean-Pierre, puis Meulen. JP VdM."
    spans = run("patient", text, JP)
    assert (*at(text, "J.-P. Van der Meulen"), "PATIENT") in spans
    assert (*at(text, "VAN DER MEULEN Jean-Pierre"), "PATIENT") in spans
    assert (*at(text, "Meulen", 1), "PATIENT") in spans


def test_patient_letter_initials_only_next_to_context():
    with_context = "Réf. patient : 12345678 – JD – ° 12/03/1950"
    assert (*at(with_context, "JD"), "PATIENT") in run("patient", with_context, JEAN)
    without = "Le JD du service a signé."
    assert not surfaces(without, run("patient", without, JEAN), "PATIENT")


def test_patient_given_name_alone_when_capitalised():
    text = "Jean se plaint du genou. Le jean est déchiré."
    spans = run("patient", text, JEAN)
    assert (*at(text, "Jean"), "PATIENT") in spans
    assert (*at(text, "jean"), "PATIENT") not in spans


@pytest.mark.parametrize("typo", ["Dupond", "Dupontt", "Dpuont", "Dupnt"])
def test_patient_one_edit_misspellings(typo):
    text = f"Madame {typo} est revue ce jour."
    assert (*at(text, typo), "PATIENT") in run("patient", text, JEAN)


def test_patient_misspelled_hyphenated_surname():
    patient = PatientIdentity(("David",), "Colin-Delforge", None, "")
    text = "Monsieur David Colin-Delfogre – né le 12/02/36"
    assert (*at(text, "David Colin-Delfogre"), "PATIENT") in run("patient", text, patient)


def test_patient_married_name_and_accent_insensitive():
    patient = PatientIdentity(("Yvette",), "della Vrancken", None, "")
    text = "Patient : Mme DELLA VRANCKEN épouse ALLARD Yvette\nNée le 20 oct. 1918"
    spans = run("patient", text, patient)
    assert (*at(text, "DELLA VRANCKEN"), "PATIENT") in spans
    assert (*at(text, "ALLARD Yvette"), "PATIENT") in spans
    accented = PatientIdentity(("Hélène",), "Lefèvre", None, "")
    text = "HELENE LEFEVRE, vue le 3/2."
    assert (*at(text, "HELENE LEFEVRE"), "PATIENT") in run("patient", text, accented)


def test_patient_named_like_an_eponym():
    text = "Mme Garden, 82 ans, chute. Fracture du col, classification de Garden III. Alice Garden sort."
    spans = run("patient", text, GARDEN)
    assert (*at(text, "Garden"), "PATIENT") in spans
    assert (*at(text, "Alice Garden"), "PATIENT") in spans
    assert (*at(text, "Garden", 1), "PATIENT") not in spans
    result = merged(text, GARDEN)
    assert ("Garden", "PATIENT") in result and ("Alice Garden", "PATIENT") in result
    assert sum(1 for s, _ in result if s == "Garden") == 1


def test_patient_relatives_and_physicians_sharing_a_name_part():
    text = "Accompagné de sa mère, Marie DUPONT. Dr Jean Martin, radiologue. Dr D. Dupont."
    spans = run("patient", text, JEAN)
    assert (*at(text, "DUPONT"), "PATIENT") not in spans
    assert (*at(text, "Jean"), "PATIENT") not in spans
    assert (*at(text, "Dupont", 0), "PATIENT") not in spans


def test_patient_id_as_id():
    text = "N° patient : 12345678 / dossier 123456789"
    spans = run("patient", text, JEAN)
    assert (*at(text, "12345678"), "ID") in spans
    assert len([s for s in spans if s[2] == "ID"]) == 1


def test_no_patient_no_spans():
    assert run("patient", "Jean DUPONT", None) == set()


# --- context names ---------------------------------------------------------------------------


@pytest.mark.parametrize("text, name", [
    ("Médecin prescripteur : Dr Jean DUPONT", "Jean DUPONT"),
    ("Le radiologue,\nDocteur PEETERS Frank", "PEETERS Frank"),
    ("Vu par Mme Dubois ce matin.", "Dubois"),
    ("Lecture : Pr. Van den Broeck", "Van den Broeck"),
    ("Madame Yvette della Vrancken a bénéficié", "Yvette della Vrancken"),
    ("Aide : Docteur Collin J.-F.", "Collin J.-F."),
    ("Dr H FERDOIN 02.14.11.00.43", "H FERDOIN"),
    ("Dr A.Mariniere", "A.Mariniere"),
    ("Dr L. MARTEAU 01.42.16.40.10", "L. MARTEAU"),
    ("Cher Confrère Lambrecht,", "Lambrecht"),
    ("Infirmière Nathalie Goossens", "Nathalie Goossens"),
])
def test_context_names_after_titles(text, name):
    assert (*at(text, name), "PERSON") in run("context_names", text)


@pytest.mark.parametrize("text, names", [
    ("PATIENT : LECLERCQ SOPHIE", ["LECLERCQ SOPHIE"]),
    ("Nom : DUPONT\nPrénom : Marie", ["DUPONT", "Marie"]),
    ("Signé électroniquement par Dr Bernard Lejeune", ["Bernard Lejeune"]),
    ("Validé le 13 août 2020 par HUART", ["HUART"]),
    ("Double lecture : Dr Anne Claes", ["Anne Claes"]),
    ("Copie à : Dr Ilse Melis (rhumatologue), Dr Matthieu Vidal", ["Ilse Melis", "Matthieu Vidal"]),
    ("Copies : Ilse Melis (rhumatologue), Matthieu Vidal et Luc Peeters", ["Ilse Melis", "Matthieu Vidal", "Luc Peeters"]),
    ("Destinataires :\n- Dr Sarah Marchal\n- Docteur Wouters", ["Sarah Marchal", "Wouters"]),
    ("Accompagné de sa mère, Mme Lucie Renard.", ["Lucie Renard"]),
    ("amené par son papa (Kevin Jacobs).", ["Kevin Jacobs"]),
    ("Mme MARÉCHAL épouse CHARLIER", ["MARÉCHAL", "CHARLIER"]),
    ("Sophie Lambert, née le 3 mai 1960", ["Sophie Lambert"]),
    ("Molécularistes :\nG. TUDORS-PARTERRE, Q. Pinson, Y. Dupoil", ["G. TUDORS-PARTERRE", "Q. Pinson", "Y. Dupoil"]),
    ("N/Réf. : PD/mc", ["PD", "mc"]),
    ("Dr Nicole DUQUESNE – dactylographié par tm le 26-03-2024", ["Nicole DUQUESNE", "tm"]),
])
def test_context_names_after_labels_and_triggers(text, names):
    spans = run("context_names", text)
    for name in names:
        assert (*at(text, name), "PERSON") in spans, name


def test_context_names_label_patient_when_known():
    text = "Patient : DUPONT Jean\nMédecin : Dr Luc Peeters"
    spans = run("context_names", text, JEAN)
    assert (*at(text, "DUPONT Jean"), "PATIENT") in spans
    assert (*at(text, "Luc Peeters"), "PERSON") in spans


@pytest.mark.parametrize("text", [
    "Concerne : Radiographies du genou droit (F/P)",
    "Indication : Fracture de Pouteau-Colles",
    "CHR de Huy – R. Reine Astrid 150B, 4500 Huy",
    "Copie : Dr VERLINDEN Ben, Moniquepad 238, B-8800 Roeselare",
    "Stade III selon Schatzker I. Pincement complet",
    "12 rue du Docteur Gachet 92300 Levallois",
])
def test_context_names_negatives(text):
    found = surfaces(text, run("context_names", text))
    assert not any(w in s for s in found for w in
                   ("Radiographies", "Pouteau", "Reine", "Astrid", "Moniquepad", "Pincement", "Gachet")), found


# --- lexicon names ----------------------------------------------------------------------------


@pytest.mark.parametrize("text, name", [
    ("Vu avec Pierre Lambert ce matin.", "Pierre Lambert"),
    ("Discussion avec LECLERCQ Sophie et son fils.", "LECLERCQ Sophie"),
    ("transmis à Wouter Janssens pour avis", "Wouter Janssens"),
    ("puis MARTIN Denis 9 0 3 2", "MARTIN Denis"),
    ("on a décidé qu’Emilien préviendrait", "Emilien"),
])
def test_lexicon_names(text, name):
    assert (*at(text, name), "PERSON") in run("name_lexicon", text)


@pytest.mark.parametrize("text", [
    "Petit trochanter en place.",
    "Diagnostic :\nBonne évolution après PTE droite.",
    "Fracture de Pouteau-Colles, stade III de Kellgren-Lawrence.",
    "Incidence de Lamy et incidence de Merchant.",
    "Signe de Hill-Sachs. Maladie d'Osgood-Schlatter.",
    "Classification de Garden IV. Type Weber B.",
    "Loi Bertrand du 4 mars 2002.",
    "Voie d'abord postéro-latérale (Moore). Tige Corail taille 9.",
    "CONCLUSION :\nRX POIGNET GAUCHE F+P",
    "Rue Reine Astrid 150B",
    "Blood. 2010 Jan 21;115(3):453-74.",
])
def test_lexicon_negatives(text):
    assert not run("name_lexicon", text)


# --- institutions ---------------------------------------------------------------------------


@pytest.mark.parametrize("text, name", [
    ("Radiologie - CHR de Huy", "CHR de Huy"),
    ("Contrôle de PTH posée à l'Hôpital Erasme.", "Hôpital Erasme"),
    ("transféré aux Cliniques universitaires Saint-Luc", "Cliniques universitaires Saint-Luc"),
    ("suivi au CHU de Liège", "CHU de Liège"),
    ("Réside à la Maison de repos Les Tilleuls depuis 2018.", "Maison de repos Les Tilleuls"),
    ("élève à l'Athénée royal de Ciney", "Athénée royal de Ciney"),
    ("ouvrier à la Commune de Merksplas", "Commune de Merksplas"),
    ("chauffeur chez Garage Dubois SPRL", "Garage Dubois SPRL"),
    ("revu à l'UZ Leuven", "UZ Leuven"),
    ("opéré à l'AZ Groeninge", "AZ Groeninge"),
    ("Cabinet médical des Jonquilles", "Cabinet médical des Jonquilles"),
    ("Réside à la MRS Le Clos des Charmes depuis 2008", "MRS Le Clos des Charmes"),
    ("Service d'Hépatologie du CHU d'Anger", "CHU d'Anger"),
    ("en suivi à Mondor.", "Mondor"),
])
def test_institutions(text, name):
    assert (*at(text, name), "INSTITUTION") in run("institutions", text)


def test_institution_negatives():
    text = "Hôpital de jour. Injection SC d'une dose. Mr Dupont. Clinique : douleur."
    assert not run("institutions", text)


# --- locations ------------------------------------------------------------------------------


@pytest.mark.parametrize("text, place", [
    ("Rue de la Gare 12 – 4500 Huy", "4500 Huy"),
    ("75013 PARIS", "75013 PARIS"),
    ("94010 Créteil Cedex", "94010 Créteil Cedex"),
    ("domicilié à Namur depuis 2010", "Namur"),
    ("Chute à domicile (Fontenelle).", "Fontenelle"),
    ("Huy, le 20 octobre 2015", "Huy"),
    ("Vit seule à Spa.", "Spa"),
    ("Lieu de l'accident : Massemen.", "Massemen"),
    ("originaire de Liège", "Liège"),
    ("Il habite Charleroi.", "Charleroi"),
])
def test_locations(text, place):
    assert (*at(text, place), "LOCATION") in run("locations", text)


@pytest.mark.parametrize("text", [
    "Bouge les orteils.", "Marche avec des cannes.", "Nouvelles alternatives thérapeutiques.",
    "Incidence de Lyon Schuss.", "Né le 22|8|1923 N° d'immatriculation", "On note un spa ancien.",
    "Tours de garde.",
])
def test_location_negatives(text):
    assert not run("locations", text)


def test_place_inside_institution_left_to_institution():
    text = "Hospitalisé au CHR de Namur."
    assert ("CHR de Namur", "INSTITUTION") in merged(text)
    assert ("Namur", "LOCATION") not in merged(text)


# --- all together: hard negatives and a report --------------------------------------------------


def test_report_with_eponyms_has_no_false_names():
    text = (
        "RX POIGNET GAUCHE F+P\n\nINDICATION :\nChute. EVA 3/10.\n\nRÉSULTAT :\n"
        "Fracture de Pouteau-Colles (Goyrand inversée exclue), classification AO 23-A2. Pas de fracture de "
        "Barton ni de Smith. Arthrose stade III de Kellgren-Lawrence. Incidence de Lamy et Schuss. Signe de "
        "Hill-Sachs, lésion de Bankart. Maladie d'Osgood-Schlatter ancienne. Clou gamma, attelle, Dafalgan.\n\n"
        "CONCLUSION :\nFracture de Pouteau-Colles. Classification de Garden II. Lauge-Hansen SER.\n")
    assert merged(text) == []


def test_report_with_phi():
    patient = PatientIdentity(("Sophie",), "Leclercq", None, "00112233")
    text = ("CHR de Huy\nRue Reine Astrid 150B – 4500 Huy\n\nPATIENT : LECLERCQ SOPHIE\nNée le 12/03/1950\n"
            "Médecin prescripteur : Dr Luc PEETERS\n\nFracture de Pouteau-Colles.\n\n"
            "Signé électroniquement par Dr Anne-Sophie Claes\nCopie à : Dr Wouter Janssens, Maison médicale de Bouge")
    result = merged(text, patient)
    for item in [("CHR de Huy", "INSTITUTION"), ("4500 Huy", "LOCATION"), ("LECLERCQ SOPHIE", "PATIENT"),
                 ("Luc PEETERS", "PERSON"), ("Anne-Sophie Claes", "PERSON"), ("Wouter Janssens", "PERSON"),
                 ("Maison médicale de Bouge", "INSTITUTION")]:
        assert item in result, item
    assert not any("Pouteau" in s for s, _ in result)


# --- data and API ---------------------------------------------------------------------------


def test_lexicon_api_shapes():
    firsts = lexicons.first_names()
    assert len(firsts) > 10_000 and all(sex in "MFU" and w > 0 for _, sex, w in firsts[:500])
    assert ("Marie", "F") in {(n, s) for n, s, _ in firsts}
    names = {n for n, _ in lexicons.surnames()}
    assert len(names) > 20_000 and {"Peeters", "Janssens", "Dupont", "Lambert"} <= names
    municipalities = lexicons.municipalities()
    assert ("4500", "Huy") in municipalities and ("1000", "Bruxelles") in municipalities
    assert all(re.fullmatch(r"\d{4}", code) for code, _ in municipalities)
    hospitals = lexicons.institutions()
    assert len(hospitals) > 100 and "Cliniques universitaires Saint-Luc" in hospitals
    assert lexicons.first_names() is firsts  # cached


def test_allowlist_covers_eponyms_not_common_surnames():
    for term in ["Pouteau-Colles", "Kellgren-Lawrence", "incidence de Lamy", "Salter-Harris", "Hill-Sachs",
                 "Osgood-Schlatter", "Legg-Calvé-Perthes", "Lauge-Hansen", "Garden", "Smith", "Barton", "Jones",
                 "Denis", "Evans", "Baker", "Dafalgan", "Clexane", "PFNA", "Conclusion", "Lyon Schuss", "Tönnis"]:
        assert is_allowlisted(term), term
    terms = allowlist_terms()
    for surname in ["peeters", "janssens", "maes", "dupont", "martin", "lambert", "dubois", "thomas", "patrick"]:
        assert surname not in terms, surname


# --- development set (EDS-Pseudo templates, France) ----------------------------------------------


def _eds_documents(path: Path) -> list[tuple[str, list[tuple[int, int, str]]]]:
    mapping = {"NOM": "NAME", "PRENOM": "NAME", "HOPITAL": "INSTITUTION", "VILLE": "LOCATION",
               "ADRESSE": "LOCATION", "ADDRESSE": "LOCATION", "ZIP": "LOCATION"}
    out = []
    for block in re.split(r"\n\s*\n", path.read_text(encoding="utf-8")):
        text, spans, pos = "", [], 0
        for match in re.finditer(r"\[([^\]]*)\]\((\w+)\)", block):
            text += block[pos:match.start()]
            label = mapping.get(match.group(2))
            if label:
                spans.append((len(text), len(text) + len(match.group(1)), label))
            text += match.group(1)
            pos = match.end()
        out.append((text + block[pos:], spans))
    return out


@pytest.mark.skipif(not EDS.exists(), reason="shared/text/eds_pseudo_templates.txt not available")
def test_eds_development_set_names():
    detectors = [build(n, {}) for n in NAME_DETECTORS]
    found_gold = n_gold = ok_pred = n_pred = 0
    for text, gold in _eds_documents(EDS):
        doc = Document(text)
        pred = [s for s in resolve(text, [s for d in detectors for s in d(doc)]) if s.label in ("PATIENT", "PERSON")]
        names = [g for g in gold if g[2] == "NAME"]
        n_gold += len(names)
        found_gold += sum(any(p.start < g[1] and g[0] < p.end for p in pred) for g in names)
        n_pred += len(pred)
        ok_pred += sum(any(p.start < g[1] and g[0] < p.end for g in names) for p in pred)
    assert found_gold / n_gold >= 0.88
    assert ok_pred / n_pred >= 0.92


def test_a_surname_that_is_also_an_eponym_is_found_after_a_title():
    from frdeid.text.pipeline import Pipeline

    text = "Chef de service : Dr W. De Mulder. Pas de signe de Mulder."
    found = [(text[s.start:s.end], s.label) for s in Pipeline().detect(text)]
    assert ("W. De Mulder", "PERSON") in found
    assert all(surface != "Mulder" for surface, _ in found)
