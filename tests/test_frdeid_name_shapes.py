"""Names found by their written shape alone: an initial with a surname, upper-case runs holding a
given name, and the "SURNAME, SURNAME Given" header form; vocabulary in capitals is left alone."""

from __future__ import annotations

import pytest

from frdeid.text.detectors.name_shapes import NameShapes
from frdeid.text.document import Document


def _found(text: str) -> list[tuple[str, str]]:
    return [(text[s.start:s.end], s.label) for s in NameShapes()(Document(text))]


@pytest.mark.parametrize("text, names", [
    ("Auteurs : N. Boissel, X. Krysteik.", ["N. Boissel", "X. Krysteik"]),
    ("Vu par J.-P. DUPONT ce jour", ["J.-P. DUPONT"]),
    ("30/05/2017 10:10: CAVALIER S MARION (PHC)", ["CAVALIER S MARION"]),
    ("TAILLARD, TAILLARD PIERRE\n08.04.1941", ["TAILLARD", "TAILLARD PIERRE"]),
    ("03 - IVANKA PRIGOSIEV deux bd", ["IVANKA PRIGOSIEV"]),
])
def test_names_by_shape(text, names):
    assert [surface for surface, _ in _found(text)] == names


@pytest.mark.parametrize("text", [
    "RX POIGNET GAUCHE F+P", "CONCLUSION : FRACTURE DU RADIUS DISTAL", "RADIOGRAPHIE DU BASSIN DE FACE",
    "SOL INJ SER 10 ML", "Stade III de Kellgren-Lawrence.", "PTH G. Contrôle.", "L. Fracture du scaphoïde",
    "EXAMEN DU GENOU DROIT EN CHARGE",
])
def test_vocabulary_in_capitals_is_not_a_name(text):
    assert _found(text) == []


def test_the_known_patient_is_labelled_patient():
    from frdeid.patient import PatientIdentity

    doc = Document("PATIENT : LECLERCQ SOPHIE", PatientIdentity(("Sophie",), "Leclercq"))
    assert [(doc.text[s.start:s.end], s.label) for s in NameShapes()(doc)] == [("LECLERCQ SOPHIE", "PATIENT")]
