"""Replacement of PHI spans (`frdeid.text.replace`): key-derived surrogates of the same kind and form,
consistent across documents and runs, never equal to the original; shifted dates; text outside the
spans untouched."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from frdeid.keys import date_offset_days
from frdeid.patient import PatientIdentity
from frdeid.spans import LABELS, Span
from frdeid.text.datetimes import date_of, parse_date_text, shift_date_text
from frdeid.text.document import fold
from frdeid.text.lexicons import first_names, institutions, municipalities
from frdeid.text.replace import PLACEHOLDERS, ReplacePolicy, Replacer, placeholder

KEY = bytes(range(32))
OTHER_KEY = bytes(range(1, 33))
PATIENT = PatientIdentity(first_names=("Julie", "Nadine"), last_name="Thys", birth_date=date(1939, 5, 12),
                          patient_id="04072308")


@pytest.fixture(scope="module")
def replacer() -> Replacer:
    return Replacer(KEY)


def rewrite_one(rep: Replacer, surface: str, label: str, patient=None, patient_id=None, before: str = "Vu: ",
                after: str = ".") -> str:
    """The replacement of one span written between `before` and `after`."""
    text = before + surface + after
    out = rep.replace(text, [Span(len(before), len(before) + len(surface), label)], patient, patient_id)
    assert out.startswith(before) and out.endswith(after)
    return out[len(before):len(out) - len(after)]


def doc_with(*items: tuple[str, str], sep: str = " ; ") -> tuple[str, list[Span]]:
    """A text made of labelled surfaces joined by `sep`, and its spans."""
    text, spans = "", []
    for surface, label in items:
        if text:
            text += sep
        spans.append(Span(len(text), len(text) + len(surface), label))
        text += surface
    return text, spans


def pieces(rep: Replacer, items, patient=None, patient_id=None) -> list[str]:
    text, spans = doc_with(*items)
    return rep.rewrite(text, spans, patient, patient_id)


# -- consistency ------------------------------------------------------------------------------------

def test_same_original_same_surrogate_across_documents_and_runs(replacer):
    first = pieces(replacer, [("Joris Standaert", "PERSON"), ("Rue des Prés 200", "LOCATION"),
                              ("5000 Namur", "LOCATION"), ("Garage Piette", "INSTITUTION")])
    other_doc = pieces(replacer, [("Garage Piette", "INSTITUTION"), ("Pr Bodson", "PERSON"),
                                  ("Joris Standaert", "PERSON"), ("Rue des Prés 200", "LOCATION"),
                                  ("5000 Namur", "LOCATION")])
    assert [first[3], first[0], first[1], first[2]] == [other_doc[0], other_doc[2], other_doc[3], other_doc[4]]
    new_run = Replacer(bytes(KEY))  # another replacer, same key: another run
    assert pieces(new_run, [("Joris Standaert", "PERSON"), ("Rue des Prés 200", "LOCATION"),
                            ("5000 Namur", "LOCATION"), ("Garage Piette", "INSTITUTION")]) == first
    other_key = pieces(Replacer(OTHER_KEY), [("Joris Standaert", "PERSON"), ("Rue des Prés 200", "LOCATION"),
                                             ("5000 Namur", "LOCATION"), ("Garage Piette", "INSTITUTION")])
    assert all(a != b for a, b in zip(first, other_key, strict=True))


def test_same_word_same_surrogate_in_every_form(replacer):
    alone, full, caps = pieces(replacer, [("Standaert", "PERSON"), ("Joris Standaert", "PERSON"),
                                          ("STANDAERT Joris", "PERSON")])
    assert full.split()[1] == alone
    assert caps.split()[0] == alone.upper() and caps.split()[1] == full.split()[0]
    # The folded value is the key: case and accents do not change the surrogate.
    assert rewrite_one(replacer, "Mélanie", "PERSON") == rewrite_one(replacer, "Melanie", "PERSON")


def test_patient_name_forms_map_through_the_patient_id(replacer):
    forms = ["Julie Thys", "THYS", "Thys", "THYS Julie Nadine", "J. Thys", "Julie", "JT", "Thys, Julie"]
    out = pieces(replacer, [(f, "PATIENT") for f in forms], PATIENT)
    first, last = out[0].split()
    assert out[1] == last.upper() and out[2] == last
    assert out[3].split()[0] == last.upper() and out[3].split()[1] == first
    assert out[4] == f"{first[0]}. {last}" and out[5] == first
    assert out[6] == (first[0] + last[0]).upper() and out[7] == f"{last}, {first}"
    assert first not in ("Julie", "Nadine") and last != "Thys"
    assert first[0] != "J" and last[0] != "T"  # initials change too
    second_first = out[3].split()[2]
    assert second_first not in (first, "Nadine")
    # Another document of the same patient (without the identity: the id alone fixes the surrogate
    # only with the identity, so give it again) gives the same surrogates...
    again = pieces(replacer, [("Thys", "PATIENT"), ("Nadine", "PATIENT")], PATIENT)
    assert again == [last, second_first]
    # ...and a misspelling of the surname maps to the same surrogate.
    assert rewrite_one(replacer, "Thyss", "PATIENT", PATIENT) == last
    # The same name under another patient id is another surrogate.
    namesake = PatientIdentity(("Julie", "Nadine"), "Thys", None, "99999999")
    assert pieces(replacer, [("Julie Thys", "PATIENT")], namesake) != [out[0]]


def test_surrogate_never_equals_original(replacer):
    names = [n for n, _, _ in first_names()[:300]]
    for name in names:
        for label in ("PERSON", "PATIENT"):
            out = rewrite_one(replacer, name, label)
            assert fold(out) != fold(name) and fold(name) not in fold(out)


# -- forms ------------------------------------------------------------------------------------------

def shape(text: str) -> str:
    """Upper-case letters as "A", lower-case as "a", runs collapsed; other characters kept."""
    marks = "".join("A" if c.isupper() else "a" if c.islower() else c for c in text)
    return re.sub(r"a+", "a", re.sub(r"A+", "A", marks))


@pytest.mark.parametrize("surface", ["J.-P. Dupont", "Jean DUPONT", "DUPONT, Jean", "JEAN DUPONT",
                                     "Marie-Claire Beaujean-Wéry", "Lemmens P.-S.", "JD", "lb", "Dupont J.",
                                     "M.-A. Van der Berg"[:5] + "Peeters"])
def test_name_forms_are_kept(replacer, surface):
    out = rewrite_one(replacer, surface, "PERSON")
    assert shape(out) == shape(surface), out
    assert out != surface


def test_particles(replacer):
    out = rewrite_one(replacer, "Owen de Simon", "PERSON")
    assert re.fullmatch(r"[A-Z]\w+ [a-z]+( [a-z]+)* [A-Z][\w' -]+|[A-Z]\w+ [a-z]+'[A-Z][\w -]+", out), out
    caps = rewrite_one(replacer, "VAN DE VELDE-CHEVALIER", "PERSON")
    assert caps.isupper() and caps.count("-") == 1 and "VELDE" not in caps and "CHEVALIER" not in caps
    assert "HONDT" not in rewrite_one(replacer, "D'HONDT Charlotte", "PERSON")


def test_first_names_keep_their_sex(replacer):
    sex = {fold(n): s for n, s, _ in first_names()}
    for name, expected in (("Marie", "F"), ("Sophie", "F"), ("Jean", "M"), ("Michel", "M")):
        out = rewrite_one(replacer, f"{name} Peeters", "PERSON").split()[0]
        assert sex[fold(out)] == expected, out
    # The patient's surrogate first names follow the sex of the patient's first name.
    patient_first = rewrite_one(replacer, "Julie", "PATIENT", PATIENT)
    assert sex[fold(patient_first)] == "F"


def test_addresses_and_places(replacer):
    places = {(code, fold(name)) for code, name in municipalities()}
    street = rewrite_one(replacer, "Rue des Prés 200 bte 3", "LOCATION")
    assert re.fullmatch(r"Rue .+ \d{3} bte \d", street) and "Prés" not in street
    assert re.fullmatch(r"R\. .+, \d{3}", rewrite_one(replacer, "R. des Prés, 200", "LOCATION"))
    assert re.fullmatch(r"[A-Z][a-z ]+straat \d{3}", rewrite_one(replacer, "Jozefstraat 190", "LOCATION"))
    postal = rewrite_one(replacer, "B-1100 Robelmont", "LOCATION")
    code, name = re.fullmatch(r"B-(\d{4}) (.+)", postal).groups()
    assert (code, fold(name)) in places and code != "1100"
    caps = rewrite_one(replacer, "9900 ABOLENS", "LOCATION")
    assert caps == caps.upper() and (caps[:4], fold(caps[5:])) in places
    french = rewrite_one(replacer, "59000 Lille", "LOCATION")
    assert re.fullmatch(r"\d{5} \S.*", french) and french != "59000 Lille"
    city = rewrite_one(replacer, "Leuven", "LOCATION")
    assert fold(city) in {n for _, n in places} and city != "Leuven"
    # The city alone and in a postal part get the same municipality.
    assert rewrite_one(replacer, "3000 Leuven", "LOCATION").split(" ", 1)[1] == city


def test_institutions(replacer):
    hospitals = set(institutions())
    assert rewrite_one(replacer, "CHU de Liège", "INSTITUTION") in hospitals
    assert rewrite_one(replacer, "UZ Leuven", "INSTITUTION").startswith("UZ ")
    clinic = rewrite_one(replacer, "Clinique Saint-Jean", "INSTITUTION")
    assert clinic.startswith("Clinique") and clinic != "Clinique Saint-Jean"
    garage = rewrite_one(replacer, "Garage Piette", "INSTITUTION")
    assert garage.startswith("Garage ") and "Piette" not in garage
    school = rewrite_one(replacer, "Athénée royal de Ciney", "INSTITUTION")
    assert school.startswith("Athénée royal d") and "Ciney" not in school
    assert rewrite_one(replacer, "UZ LEUVEN", "INSTITUTION").isupper()


# -- dates, ages, placeholders ----------------------------------------------------------------------

def date_surfaces() -> list[tuple[str, str]]:
    from boneds.synth.reports.dates import FULL_STYLES, PARTIAL_STYLES, format_date

    days = [date(1939, 5, 12), date(2021, 3, 1), date(2015, 12, 31), date(2024, 2, 29)]
    return [(style, format_date(d, style)) for style in FULL_STYLES + PARTIAL_STYLES for d in days]


def test_dates_shift_by_the_patient_offset_in_every_format(replacer):
    offset = date_offset_days(KEY, PATIENT.patient_id)
    for style, surface in date_surfaces():
        out = rewrite_one(replacer, surface, "DATE", PATIENT)
        assert out == shift_date_text(surface, offset), style
        before, after = parse_date_text(surface), parse_date_text(out)
        assert (before.year is None, before.month is None, before.day is None) == \
               (after.year is None, after.month is None, after.day is None), style  # partial stays partial
        if before.is_full:  # two-digit years are compared modulo 100 (their century is a guess)
            expected = date_of(before) + timedelta(days=offset)
            assert (after.day, after.month, after.year % 100) == (expected.day, expected.month, expected.year % 100)
            back = parse_date_text(shift_date_text(out, -offset))  # round trip
            assert (back.day, back.month, back.year % 100) == (before.day, before.month, before.year % 100)
    assert rewrite_one(replacer, "32/13/2021", "DATE", PATIENT) == "[DATE]"  # fail closed


def test_dates_without_patient_id_use_a_key_derived_document_offset(replacer):
    text, spans = doc_with(("12/03/2021", "DATE"))
    first = replacer.replace(text, spans)
    assert first == replacer.replace(text, spans) != text
    assert first == shift_date_text(text, replacer.date_offset(text, None))
    assert replacer.date_offset(text, None) != Replacer(OTHER_KEY).date_offset(text, None)


def test_ages_are_kept_or_bucketed():
    keep = Replacer(KEY, {"bucket_ages_over": 0})
    bucket = Replacer(KEY, {"bucket_ages_over": 90})
    assert rewrite_one(keep, "94 ans", "AGE") == "94 ans"
    assert rewrite_one(bucket, "94 ans", "AGE") == "90 ans ou plus"
    assert rewrite_one(bucket, "90a", "AGE") == "90 ans ou plus"
    assert rewrite_one(bucket, "3 ans et 2 mois", "AGE") == "3 ans et 2 mois"
    assert rewrite_one(bucket, "18 mois", "AGE") == "18 mois"
    assert rewrite_one(bucket, "Dupont", "AGE") == "[AGE]"  # not an age: fail closed


def test_placeholders_and_same_shape_surrogates():
    default = Replacer(KEY)
    assert rewrite_one(default, "0486/82 68 77", "PHONE") == "[TEL]"
    assert rewrite_one(default, "jean.dupont@uz-leuven.be", "EMAIL_URL") == "[EMAIL]"
    assert rewrite_one(default, "www.chr-de-huy.be", "EMAIL_URL") == "[URL]"
    assert rewrite_one(default, "44.02.21-388.17", "ID") == "[ID]"
    shaped = Replacer(KEY, {"ID": "surrogate", "PHONE": "surrogate", "EMAIL_URL": "surrogate"})
    phone = rewrite_one(shaped, "0486/82 68 77", "PHONE")
    assert re.fullmatch(r"04\d\d/\d\d \d\d \d\d", phone) and phone != "0486/82 68 77"
    assert re.fullmatch(r"\+32 \d\d \d{3} \d\d \d\d", rewrite_one(shaped, "+32 67 416 82 56", "PHONE"))
    niss = rewrite_one(shaped, "44.02.21-388.17", "ID")
    assert re.fullmatch(r"\d\d\.\d\d\.\d\d-\d{3}\.\d\d", niss) and niss != "44.02.21-388.17"
    mail = rewrite_one(shaped, "jean.dupont@uz-leuven.be", "EMAIL_URL")
    assert re.fullmatch(r"[a-z]{4}\.[a-z]{6}@[a-z]{2}-[a-z]{6}\.be", mail) and "dupont" not in mail
    placeholders = Replacer(KEY, {label: "placeholder" for label in LABELS})
    assert [rewrite_one(placeholders, "Dupont", label) for label in LABELS] == \
           [placeholder(label, "Dupont") for label in LABELS]


def test_policy_refuses_unknown_labels_and_modes():
    with pytest.raises(ValueError):
        ReplacePolicy.from_config({"PERSON": "keep"})
    with pytest.raises(ValueError):
        ReplacePolicy.from_config({"NAME": "surrogate"})
    with pytest.raises(ValueError):
        ReplacePolicy.from_config({"bucket_ages_over": -1})


def test_overlapping_or_outside_spans_are_refused(replacer):
    with pytest.raises(ValueError):
        replacer.replace("Jean Dupont", [Span(0, 6, "PERSON"), Span(5, 11, "PERSON")])
    with pytest.raises(ValueError):
        replacer.replace("Jean", [Span(0, 6, "PERSON")])


def test_text_outside_spans_is_unchanged(replacer):
    text = ("PATIENT : Julie Thys\nNée le 12/05/1939 à Leuven, Rue des Prés 200 bte 3, 5000 Namur.\n"
            "Dr J. Standaert (UZ Leuven) — tél 0486/82 68 77 — 83 ans.\n")
    spans = [Span(m.start(), m.end(), label) for label, m in (
        ("PATIENT", re.search("Julie Thys", text)), ("DATE", re.search("12/05/1939", text)),
        ("LOCATION", re.search("Leuven", text)), ("LOCATION", re.search("Rue des Prés 200 bte 3", text)),
        ("LOCATION", re.search("5000 Namur", text)), ("PERSON", re.search("J. Standaert", text)),
        ("INSTITUTION", re.search("UZ Leuven", text)), ("PHONE", re.search("0486/82 68 77", text)),
        ("AGE", re.search("83 ans", text)))]
    assert_outside_unchanged(replacer, text, spans, PATIENT)


def assert_outside_unchanged(rep: Replacer, text: str, spans: list[Span], patient=None) -> str:
    """The output is exactly the input's non-span segments, in order, around the replacements."""
    spans = sorted(spans, key=lambda s: s.start)
    out = rep.replace(text, spans, patient)
    replaced = rep.rewrite(text, spans, patient)
    cursor, position = 0, 0
    for span, piece in zip(spans, replaced, strict=True):
        segment = text[cursor:span.start]
        assert out[position:position + len(segment)] == segment
        position += len(segment)
        assert out[position:position + len(piece)] == piece
        position += len(piece)
        cursor = span.end
    assert out[position:] == text[cursor:]
    return out


# -- property ---------------------------------------------------------------------------------------

REALISTIC = ["Jean DUPONT", "J.-P. Dupont", "Van der Berg", "D'Hondt", "de Simon", "Marie-Claire", "JD", "lb",
             "Rue des Prés 12 bte 3", "B-1100 Robelmont", "Jozefstraat 190", "CHU de Liège", "Garage Piette",
             "Athénée royal de Ciney", "0486/82 68 77", "jean.dupont@mail.be", "45 ans", "Julie Thys", "THYS",
             "Nadine", "75014 Paris", "Clinique", "Rue", "Saint-Luc"]
LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZéèàçÉÖ"
SPAN_TEXT = st.one_of(st.sampled_from(REALISTIC),
                      st.text(LETTERS + " -'.0123456789", min_size=1, max_size=18).filter(
                          lambda s: any(c.isalnum() for c in s)))
GAP = st.text(" ,;:\n()/0123456789", min_size=1, max_size=6)
NON_DATE = [label for label in LABELS if label != "DATE"]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(items=st.lists(st.tuples(SPAN_TEXT, st.sampled_from(NON_DATE)), min_size=1, max_size=8),
       gaps=st.lists(GAP, min_size=9, max_size=9), with_patient=st.booleans(),
       surrogates=st.booleans())
def test_property_no_original_value_survives_and_outside_text_is_identical(replacer, items, gaps, with_patient,
                                                                          surrogates):
    rep = Replacer(KEY, {"ID": "surrogate", "PHONE": "surrogate", "EMAIL_URL": "surrogate"}) if surrogates \
        else replacer
    text, spans = gaps[0], []
    for (surface, label), gap in zip(items, gaps[1:], strict=False):
        spans.append(Span(len(text), len(text) + len(surface), label))
        text += surface + gap
    patient = PATIENT if with_patient else None
    out = assert_outside_unchanged(rep, text, spans, patient)
    # Gaps hold no letters, so an alphabetic value can only appear inside a replacement: never as a
    # word of its own, and inside a longer word only if that word was copied from the input (a street
    # type or a kind of institution that surrogates keep, such as "Rue" or "Garage").
    visible = out
    for constant in (*PLACEHOLDERS.values(), "[URL]"):
        visible = visible.replace(constant, "[]")
    input_words = set(re.findall(r"[^\W\d_]+", text))
    for span in spans:
        value = text[span.start:span.end]
        if len(value) >= 3 and value.isalpha():
            for match in re.finditer(re.escape(value), visible):
                start, end = match.start(), match.end()
                while start > 0 and visible[start - 1].isalpha():
                    start -= 1
                while end < len(visible) and visible[end].isalpha():
                    end += 1
                word = visible[start:end]
                assert word != value and word in input_words, (value, span.label, out)
