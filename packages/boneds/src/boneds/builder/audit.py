"""`boneds audit`: an independent leak scan of a build's output against the export it came from.

The audit trusts nothing the build wrote. It re-derives the PHI from the export itself:

* `patients.csv` (or .parquet / .jsonl): patient ids, first and last names, birth dates;
* every readable DICOM header under `dicom/` (sequences walked): patient name and ids, other
  patient ids, accession numbers, study ids, instance UIDs (every UI value outside the DICOM
  standard's own `1.2.840.10008.` root), institution name and address, patient phone and address,
  every person name (physicians, operators), private string values that look like names or ids;
* the report texts (`reports.csv` / .parquet / .jsonl): `report_id`, `accession_number`, and the
  spans that frdeid's default detection pipeline finds with the patient's identity (names, ids,
  phone numbers, e-mails and URLs, street addresses, institutions).

Then it reads every file under OUT: tar shards member by member (member names too; text members
decoded as UTF-8, JSON with its escapes undone; binary members read as raw bytes, of which the
printable ASCII / UTF-8 runs are scanned). In a JPEG every marker segment (APPn, COM, tables) and
anything after the end of image is read, the entropy-coded image data is not: text inside the
pixels is burned-in text, which the build screens by OCR. Parquet is read cell by cell (rows
counted from 0), other text files as text, any other file as raw bytes.

Matching is case- and accent-insensitive on whole tokens (runs of letters or of digits, joined by
at most three non-alphanumeric characters on one line). Identifiers of at least 6 digits are also
found with their separators removed or changed ("85.07.30-033.28" vs "85073003328"). Lookups are a
token trie and a hash table, so the cost grows with the text scanned, not with the PHI terms.

Policy (what makes a finding), chosen so that a correct build passes and a real leak fails.
Surrogate names, streets and hospitals come from the same kind of pools as the real ones (for the
synthetic export, the very same pools), and dates are shifted at random, so coincidences between
the output and some real value are certain at scale. Each rule says where a term counts so that
a coincidence does not. The figures come from the demo export (100 patients, 257 reports)
de-identified by frdeid with random keys and scanned: with these rules, 50 of 50 builds passed,
and so did a `boneds build` of it.

(a) Identifiers (patient, other patient, report, study, accession and procedure numbers, NISS and
    the other ids of the reports), UIDs, phone numbers, e-mails and URLs, street addresses:
    anywhere.
(b) A patient's full name (the usual, first, given name next to the last name in either order, a
    double last name alone, and the patient's name as the reports write it, when it has two words
    or more besides particles): anywhere except in the report text of another patient's sample,
    where surrogates are written (8 of 50 builds had a surrogate equal to another patient's
    name there).
(c) In the patient's own samples only: the other given names with the last name, the initial
    forms ("Dupont J.", "J. Dupont"; not "M. Dupont", which is "Monsieur"), and single name tokens
    of 3 letters or more that are not common words (French vocabulary from frdeid's lexicon,
    frdeid's medical allow-list, titles, particles, a few report abbreviations), since many
    surnames are words ("Petit", "Blanc", "Martin").
(d) Other persons (physicians and relatives in the reports and DICOM headers, name-like private
    DICOM values, words of a patient span that are not the patient's names, such as a married
    name): their full names, and their single tokens that frdeid's first-name and surname
    lexicons do not list and that the reports do not use outside PHI spans, in the own samples
    of the patients whose records name them. Counted anywhere, their full names matched a
    surrogate in 3 of 10 builds; their listed single tokens did for 8 of 100 patients. A
    surrogate is drawn from the lexicons, so an unlisted name in the output has been copied.
(e) Institution names (DICOM and report spans): outside report text members only; surrogate
    institutions are real hospitals, as the synthetic ones are.
(f) Birth dates (2019-03-05, 05/03/2019, 5/3/2019, 05.03.19, 20190305, 5 mars 2019, 1er mars
    2019): in the patient's own samples; outside samples (other files, a manifest without a key
    column) only after a birth word ("né le", "DDN", "°", "naissance", "birth"). A shifted date
    of another patient equals a real birth date by chance: anywhere, 44 % of simulated builds
    had one; after a birth word, where shifted birth dates are written, still 2 in 12.

A name glued by a hyphen to another word ("Anne Janssens" inside "Anne Janssens-Léonard") is
another name and does not count. In binary data a name counts from 5 letters on.

Which patient a sample belongs to is known only through PRIVATE/pseudonyms.csv (`patient_id,
patient_pseudonym`; sample keys are `<patient pseudonym>_<study pseudonym>`). Without it, (b)
counts anywhere (8 of 50 builds then had a coincidence), (c), (d) and birth dates in samples
are not checked, and the result says so in its notes.

Findings name a location and a kind, never the matched value. Member and file names are
pseudonymous and are shown, except a name that itself holds PHI: its position is shown instead.
"""

from __future__ import annotations

import csv
import json
import logging
import re
import tarfile
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import NamedTuple

import pandas as pd
import pyarrow.parquet as pq
import pydicom
from pydicom.dataelem import DataElement
from pydicom.dataset import Dataset
from tqdm import tqdm

from frdeid.patient import PatientIdentity
from frdeid.text.allowlist import allowlist_terms
from frdeid.text.config import load_config
from frdeid.text.document import fold
from frdeid.text.lexicons import first_name_index, is_french_word, surname_index
from frdeid.text.pipeline import Pipeline

# --- results ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    """One leak: where (file, member, row and column) and what kind of PHI; never the value."""

    location: str
    kind: str


@dataclass
class AuditResult:
    """Findings of one audit, with how much was scanned and how many PHI terms were looked for."""

    findings: list[Finding] = field(default_factory=list)
    files_scanned: int = 0
    members_scanned: int = 0
    phi_terms: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when nothing was found."""
        return not self.findings


# --- tokens -----------------------------------------------------------------------------------

# Letter runs and digit runs of the folded text: "PPS2011" gives "pps", "2011".
_TOKEN_RE = re.compile(r"[^\W\d_]+|[0-9]+")
_MAX_GAP = 3
_DIGIT_CHAIN_RE = re.compile(r"(?<![0-9])[0-9]+(?:[ ./-]{1,3}[0-9]+)*")
_DIGIT_SEPARATOR_RE = re.compile(r"([ ./-]{1,3})")
_MIN_ID_DIGITS = 6
_MAX_ID_DIGITS = 24
_MAX_UID_PARTS = 40
_BINARY_MIN_NAME = 5
_MIN_NAME_TOKEN = 3
# Printable ASCII (with tabs and newlines) and well-formed 2- and 3-byte UTF-8 sequences.
_STRINGS_RE = re.compile(rb"(?:[\t\n\r\x20-\x7e]|[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}){4,}")
_TEXT_SUFFIXES = frozenset({".txt", ".csv", ".tsv", ".md", ".yaml", ".yml", ".toml", ".xml", ".html", ".cls",
                            ".log", ".ini", ".cfg"})
_JSON_SUFFIXES = frozenset({".json", ".jsonl", ".ndjson"})
_TAR_SUFFIXES = (".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tar.xz")

_TITLES_TEXT = """dr dre drs docteur doctoresse pr pre prof professeur m mr mme mmes madame monsieur mlle
mademoiselle melle mevr dhr me maitre epouse epoux nee ne veuve vve"""
_TITLES = frozenset(_TITLES_TEXT.split())
_PARTICLES_TEXT = """de du des d van von der den vande vanden vander della di da dos das del ten ter le la
mac mc el al ben abou ait op t"""
_PARTICLES = frozenset(_PARTICLES_TEXT.split())
# Abbreviations of French reports that are also given names or surnames ("Max", "Min").
_REPORT_ABBREVIATIONS = frozenset({"max", "min", "sup", "inf", "ant", "post", "lat", "med", "ext", "int", "env", "dim",
                                   "sem", "ref", "tel", "fax", "obs", "rdv", "ccl", "ddn", "ipp", "niss", "inami",
                                   "riziv", "inss", "bis"})
_MONTHS = ("janvier", "fevrier", "mars", "avril", "mai", "juin", "juillet", "aout", "septembre", "octobre",
           "novembre", "decembre")
_MONTH_ABBREVIATIONS = {1: ("janv",), 2: ("fev", "fevr"), 4: ("avr",), 7: ("juil",), 9: ("sept",), 10: ("oct",),
                        11: ("nov",), 12: ("dec",)}


def _tokens(text: str) -> list[str]:
    """Folded letter and digit runs of `text`."""
    return _TOKEN_RE.findall(fold(text))


def _links(folded: str) -> tuple[list[str], list[str]]:
    """Tokens of a folded text and the gaps around them (`gaps[i]` precedes `tokens[i]`)."""
    return _TOKEN_RE.findall(folded), _TOKEN_RE.split(folded)


def _linked(gap: str) -> bool:
    return len(gap) <= _MAX_GAP and "\n" not in gap


def _digits(value: str) -> str:
    return "".join(ch for ch in value if ch.isdigit())


# --- PHI terms --------------------------------------------------------------------------------

ANYWHERE = "anywhere"
OUTSIDE_REPORTS = "outside report text"
OWN = "own samples"
NOT_OTHERS_TEXT = "anywhere but the report texts of other patients' samples"
BIRTH = "own samples, or after a birth word outside samples"


@dataclass(frozen=True)
class Term:
    """A PHI phrase: its kind, where it counts, the patient it belongs to ("" if none or unknown)
    and whether it is a name."""

    kind: str
    scope: str = ANYWHERE
    owner: str = ""
    name: bool = False


_END = ""  # trie key of the terms ending at a node (tokens are never empty)


def _covers(wider: Term, term: Term) -> bool:
    """Whether `wider` counts wherever `term` does."""
    return (wider.scope == ANYWHERE or (wider.scope, wider.owner) == (term.scope, term.owner)
            or (wider.scope == NOT_OTHERS_TEXT and term.scope == OWN and wider.owner == term.owner))


class PhiIndex:
    """Everything looked for: a token trie of phrases and a table of digit identifiers."""

    def __init__(self) -> None:
        self.trie: dict = {}
        self.digit_ids: dict[str, str] = {}
        self.uids: dict[str, str] = {}
        self.uid_lengths: set[int] = set()
        # Words of the export's reports outside PHI spans: another person's single token among
        # them is report vocabulary ("Addendum", "Rhumatologue"), not a name.
        self.report_vocabulary: frozenset[str] = frozenset()
        self._count = 0

    @property
    def size(self) -> int:
        """How many distinct terms are indexed."""
        return self._count + len(self.digit_ids) + len(self.uids)

    def add_phrase(self, tokens: Iterable[str], term: Term) -> None:
        """Index a token sequence. A phrase keeps its first kind wherever it already counts, so
        one occurrence gives one finding."""
        tokens = [t for t in tokens if t]
        if not tokens:
            return
        node = self.trie
        for token in tokens:
            node = node.setdefault(token, {})
        terms = node.setdefault(_END, [])
        if not terms:
            self._count += 1
        if any(_covers(t, term) for t in terms):
            return
        terms[:] = [t for t in terms if not _covers(term, t)]
        terms.append(term)

    def add_id(self, value: str, kind: str) -> None:
        """Index an identifier: digits with separators dropped when it has >= 6 digits and nothing
        else, its alphanumeric tokens otherwise (pure digit ids shorter than 6 are not indexed)."""
        value = str(value or "").strip()
        if not value:
            return
        digits = _digits(value)
        rest = [t for t in _tokens(value) if not t.isdigit()]
        if not rest and len(digits) >= _MIN_ID_DIGITS:
            self.digit_ids.setdefault(digits, kind)
            if len(digits.lstrip("0")) >= _MIN_ID_DIGITS:  # as a number, leading zeros are lost
                self.digit_ids.setdefault(digits.lstrip("0"), kind)
        elif rest and len(value) >= 4 and digits:
            self.add_phrase(_tokens(value), Term(kind))

    def add_phone(self, value: str, kind: str) -> None:
        """Index a phone number in its written digits and, for +32 / +33 numbers, national form."""
        digits = _digits(value)
        if len(digits) < _MIN_ID_DIGITS:
            return
        self.digit_ids.setdefault(digits, kind)
        for prefix in ("0032", "0033", "32", "33"):
            if digits.startswith(prefix) and len(digits) - len(prefix) >= 8:
                self.digit_ids.setdefault("0" + digits[len(prefix):], kind)

    def add_uid(self, value: str, kind: str) -> None:
        """Index a DICOM UID (the UIDs of the DICOM standard itself are left out)."""
        value = str(value or "").strip().rstrip("\x00")
        if not re.fullmatch(r"[0-9]+(?:\.[0-9]+)+", value) or value.startswith("1.2.840.10008."):
            return
        self.uids.setdefault(value, kind)
        self.uid_lengths.add(value.count(".") + 1)


# --- names ------------------------------------------------------------------------------------


def is_common_word(token: str) -> bool:
    """Whether a folded token is common vocabulary: French words, frdeid's medical allow-list,
    titles, particles and a few report abbreviations."""
    return (token in _TITLES or token in _PARTICLES or token in _REPORT_ABBREVIATIONS
            or token in allowlist_terms() or is_french_word(token)
            or (token[-1:] in ("s", "x") and is_french_word(token[:-1])))


def _is_listed_name(token: str) -> bool:
    return token in first_name_index() or token in surname_index()


def _name_units(name: str) -> list[list[str]]:
    """The written name and, for a compound one, each part that is not a particle."""
    tokens = [t for t in _tokens(name) if not t.isdigit()]
    if not tokens:
        return []
    units = [tokens]
    parts = [t for t in tokens if t not in _PARTICLES and len(t) >= _MIN_NAME_TOKEN]
    if len(tokens) > 1:
        units.extend([p] for p in parts)
    return units


def _add_name(index: PhiIndex, tokens: list[str], kind: str, scope: str, owner: str) -> None:
    """Index a name phrase; one that counts in its owner's samples only needs an owner."""
    if scope != OWN or owner:
        index.add_phrase(tokens, Term(kind, scope, owner, name=True))


def _add_name_tokens(index: PhiIndex, tokens: Iterable[str], kind: str, owner: str, patient: bool) -> None:
    """Single name tokens, counted in the owner's samples (c); another person's only when no
    lexicon lists it and the reports do not use it outside PHI spans (d)."""
    for token in set(tokens):
        if len(token) < _MIN_NAME_TOKEN or token.isdigit() or is_common_word(token):
            continue
        if patient or not (_is_listed_name(token) or token in index.report_vocabulary):
            _add_name(index, [token], kind, OWN, owner)


def add_person(index: PhiIndex, first_names: Iterable[str], last_name: str, kind: str, owner: str = "",
               patient: bool = True) -> None:
    """Index a person with known given names (usual one first) and last name: for a patient, the
    usual given name next to the last name, either order, and a double last name alone, anywhere
    but other patients' report texts (b), the other given names and the initial forms in the
    owner's samples; for another person, the full names in the owner's samples; single tokens as
    (c) or (d)."""
    given = [name for name in first_names if name.strip()]
    lasts = _name_units(last_name)
    firsts = [units for name in given for units in _name_units(name)]
    if lasts and sum(t not in _PARTICLES for t in lasts[0]) >= 2:  # a double name is a full name
        _add_name(index, lasts[0], kind, NOT_OTHERS_TEXT if patient else OWN, owner)
    for position, name in enumerate(given):
        scope = NOT_OTHERS_TEXT if position == 0 and patient else OWN
        for first in _name_units(name):
            initial = first[0][0]
            for last in lasts:
                _add_name(index, first + last, kind, scope, owner)
                _add_name(index, last + first, kind, scope, owner)
                if patient and not all(is_common_word(t) for t in last):
                    _add_name(index, [*last, initial], kind, OWN, owner)
                    if initial != "m":
                        _add_name(index, [initial, *last], kind, OWN, owner)
    _add_name_tokens(index, (t for units in (*firsts, *lasts) for t in units), kind, owner, patient)


def add_written_name(index: PhiIndex, surface: str, kind: str, owner: str = "", patient: bool = False) -> None:
    """Index a name as written in a report or a DICOM value (leading titles dropped), `patient`
    when it is the patient's: two words or more besides particles, as written and, for two tokens,
    reversed, with the scope of a full name (b); a patient's word with initials in the patient's
    samples; single words as (d). Only the first line holding a word counts: a span that runs over
    a line break has taken the next line's heading."""
    for line in surface.splitlines():
        tokens = [t for t in _tokens(line) if not t.isdigit()]
        while tokens and tokens[0] in _TITLES:
            tokens = tokens[1:]
        words = [t for t in tokens if len(t) > 1 and t not in _PARTICLES]
        if not words:
            continue
        if all(is_common_word(w) for w in words):
            return
        if len(words) >= 2:
            scope = NOT_OTHERS_TEXT if patient else OWN
            _add_name(index, tokens, kind, scope, owner)
            if len(tokens) == 2:
                _add_name(index, tokens[::-1], kind, scope, owner)
        elif patient and len(tokens) > 1 and any(len(t) == 1 for t in tokens):
            _add_name(index, tokens, kind, OWN, owner)
        # The patient's own words come from the identity; other words of a patient span (a married
        # name, a misspelling) follow rule (d).
        _add_name_tokens(index, words, kind, owner, patient=False)
        return


# --- dates ------------------------------------------------------------------------------------


def date_forms(day: date) -> list[list[str]]:
    """Token sequences of the ways a date is written in French reports and metadata."""
    d, m, y = day.day, day.month, day.year
    days = {f"{d:02d}", str(d)}
    months = {f"{m:02d}", str(m)}
    years = (str(y), f"{y % 100:02d}")
    forms = [[str(y), f"{m:02d}", f"{d:02d}"], [f"{y}{m:02d}{d:02d}"], [f"{d:02d}{m:02d}{y}"]]
    forms += [[dd, mm, yy] for dd in days for mm in months for yy in years]
    words = (_MONTHS[m - 1], *_MONTH_ABBREVIATIONS.get(m, ()))
    day_forms = [[dd] for dd in days] + ([["1", "er"]] if d == 1 else [])
    forms += [[*dd, word, str(y)] for dd in day_forms for word in words]
    return forms


def _parse_date(value: object) -> date | None:
    text = str(value or "").strip()
    for pattern in (r"(\d{4})-(\d{2})-(\d{2})", r"(\d{4})(\d{2})(\d{2})"):
        match = re.fullmatch(pattern, text[:10] if "-" in pattern else text[:8])
        if match:
            try:
                return date(int(match[1]), int(match[2]), int(match[3]))
            except ValueError:
                return None
    return None


def add_birth_date(index: PhiIndex, value: object, owner: str) -> None:
    """Index a birth date (YYYY-MM-DD or DICOM YYYYMMDD) in all its written forms, as the birth
    date of patient `owner`."""
    day = _parse_date(value)
    if day is not None:
        for form in date_forms(day):
            index.add_phrase(form, Term("birth date", BIRTH, owner))


# --- reading the export -----------------------------------------------------------------------


def _read_table(folder: Path, stem: str) -> pd.DataFrame | None:
    """`stem`.csv, .parquet or .jsonl of the export, every value a string ("" for missing)."""
    for suffix in (".csv", ".parquet", ".jsonl"):
        path = folder / f"{stem}{suffix}"
        if not path.is_file():
            continue
        if suffix == ".csv":
            frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        elif suffix == ".parquet":
            frame = pd.read_parquet(path)
        else:
            frame = pd.read_json(path, lines=True, dtype=False)
        return frame.astype(object).where(frame.notna(), "").map(lambda v: str(v).strip())
    return None


def _identity(row: dict) -> PatientIdentity:
    born = _parse_date(row.get("birth_date"))
    return PatientIdentity(first_names=tuple(str(row.get("first_names", "")).split()),
                           last_name=str(row.get("last_name", "")), birth_date=born,
                           patient_id=str(row.get("patient_id", "")))


def collect_patients(index: PhiIndex, export: Path) -> dict[str, PatientIdentity]:
    """Index the patients table; returns the identities by patient id."""
    frame = _read_table(export, "patients")
    if frame is None:
        return {}
    identities: dict[str, PatientIdentity] = {}
    for row in frame.to_dict("records"):
        patient = _identity(row)
        identities[patient.patient_id] = patient
        index.add_id(patient.patient_id, "patient id")
        add_birth_date(index, row.get("birth_date"), patient.patient_id)
        add_person(index, patient.first_names, patient.last_name, "patient name", patient.patient_id)
    return identities


# Elements whose values are identifiers, with the kind a finding names.
_DICOM_IDS = {"PatientID": "patient id", "OtherPatientIDs": "other patient id", "AccessionNumber": "accession number",
              "StudyID": "study id", "RequestedProcedureID": "procedure id",
              "ScheduledProcedureStepID": "procedure id", "PerformedProcedureStepID": "procedure id"}
# UI elements naming a kind of thing (SOP class, transfer syntax, coding scheme), not an instance.
_CLASS_UID_ENDINGS = ("ClassUID", "TransferSyntaxUID", "CodingSchemeUID", "CreatorUID", "MappingResourceUID",
                      "ContextGroupExtensionCreatorUID")
_DECIMAL_RE = re.compile(r"[-+]?\d+\.\d+(?:[eE][-+]?\d+)?")
_DATE_TIME_RE = re.compile(r"(\d{8})?(?:(\d{2})(\d{2})(\d{2})(?:\.\d{1,6})?)?")
_DICOM_INSTITUTIONS = frozenset({"InstitutionName", "IssuerOfPatientID"})
_DICOM_ADDRESSES = {"InstitutionAddress": "institution address", "PatientAddress": "patient address"}
_STRING_VRS = frozenset({"AE", "CS", "LO", "LT", "PN", "SH", "ST", "UC", "UT"})
_ADDRESS_PARTS_RE = re.compile(r"\s*[,;\n\r^–—]\s*|\s+-\s+")
_TRAILING_POSTAL_RE = re.compile(r"\s(?:[A-Za-z]{1,2}-)?\d{4,5}\s+[^\d,]+$")
_POSTAL_RE = re.compile(r"(?:[a-z]{1,2}\s?-\s?)?\d{4,5}(?:\s+\D*)?")


def _walk(dataset: Dataset, sequence: str = "") -> Iterator[tuple[DataElement, str]]:
    """Every element of a dataset, items of sequences included, with the keyword of the sequence
    holding it ("" at the top level)."""
    for element in dataset:
        if element.VR == "SQ":
            for item in element.value or ():
                yield from _walk(item, element.keyword or "private sequence")
        else:
            yield element, sequence


def _values(element: DataElement) -> list[str]:
    value = element.value
    if value is None:
        return []
    if isinstance(value, bytes):
        return [value.decode("utf-8", "replace")]
    if isinstance(value, str) or not isinstance(value, Iterable):
        return [str(value)]
    return [str(v) for v in value]


def add_address(index: PhiIndex, address: str, kind: str) -> None:
    """Index the street part of an address: what precedes the postal code and town, when it holds
    a house number and a word. Postal codes with their town are left out: surrogate addresses use
    real municipalities."""
    street: list[str] = []
    for part in _ADDRESS_PARTS_RE.split(address):
        if _POSTAL_RE.fullmatch(fold(part).strip()):
            break
        street.extend(_tokens(_TRAILING_POSTAL_RE.sub("", part)))
    if any(t.isdigit() for t in street) and any(not t.isdigit() and len(t) >= 3 for t in street):
        index.add_phrase(street, Term(kind))


def add_institution(index: PhiIndex, name: str, kind: str) -> None:
    """Index an institution name, counted outside report texts (e); short or generic names
    ("RN", "Imagerie médicale") are left out."""
    tokens = _tokens(name)
    if sum(len(t) for t in tokens) >= 4 and not all(is_common_word(t) or t.isdigit() for t in tokens):
        index.add_phrase(tokens, Term(kind, OUTSIDE_REPORTS))


def _looks_like_name(value: str) -> bool:
    words = _tokens(value)
    return (2 <= len(words) <= 5 and not any(t.isdigit() for t in words)
            and any(_is_listed_name(t) for t in words) and not all(is_common_word(t) for t in words))


def _index_element(index: PhiIndex, element: DataElement, sequence: str, owner: str) -> None:
    keyword = element.keyword
    if keyword == "PatientID" and sequence == "OtherPatientIDsSequence":
        for value in _values(element):
            index.add_id(value, "other patient id")
    elif keyword == "PatientBirthDate":
        for value in _values(element):
            add_birth_date(index, value, owner)
    elif keyword in _DICOM_IDS:
        for value in _values(element):
            index.add_id(value, _DICOM_IDS[keyword])
    elif keyword == "PatientTelephoneNumbers":
        for value in _values(element):
            index.add_phone(value, "patient phone number")
    elif keyword in _DICOM_ADDRESSES:
        for value in _values(element):
            add_address(index, value, _DICOM_ADDRESSES[keyword])
    elif keyword in _DICOM_INSTITUTIONS:
        for value in _values(element):
            add_institution(index, value, "institution name")
    elif element.VR == "UI":
        if not keyword.endswith(_CLASS_UID_ENDINGS):
            for value in _values(element):
                index.add_uid(value, "DICOM UID")
    elif element.VR == "PN":
        for name in element.value if element.VM > 1 else [element.value]:
            if name is None:
                continue
            family = str(getattr(name, "family_name", ""))
            given = f"{getattr(name, 'given_name', '')} {getattr(name, 'middle_name', '')}".split()
            if not family and not given:
                continue
            own = keyword == "PatientName"
            add_person(index, given, family, "patient name" if own else "person name", owner, patient=own)
    elif element.tag.is_private and element.tag.element >= 0x1000 and element.VR in _STRING_VRS:
        for value in _values(element):
            _index_private(index, value, owner)


def _is_date_time_or_decimal(value: str) -> bool:
    """A DICOM date (YYYYMMDD), time (HHMMSS.ffffff), date-time, or a decimal number."""
    if _DECIMAL_RE.fullmatch(value):
        return True
    match = _DATE_TIME_RE.fullmatch(value)
    if match is None or not (match[1] or match[2]):
        return False
    date_ok = match[1] is None or (1800 <= int(match[1][:4]) <= 2200 and _parse_date(match[1]) is not None)
    time_ok = match[2] is None or (int(match[2]) < 24 and int(match[3]) < 60 and int(match[4]) < 60)
    return date_ok and time_ok


def _index_private(index: PhiIndex, value: str, owner: str) -> None:
    """A private string: an identifier when it has >= 6 digits and few letters and is no date, time
    or decimal number; a name when it is two to five words one of which is a listed name."""
    value = value.strip()
    digits = _digits(value)
    letters = sum(ch.isalpha() for ch in value)
    if len(digits) >= _MIN_ID_DIGITS and letters <= 4 and not _is_date_time_or_decimal(value):
        index.add_id(value, "DICOM private element")
    elif _looks_like_name(value.replace("^", " ")):
        add_written_name(index, value.replace("^", " "), "DICOM private element", owner)


def _dicom_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else []


def collect_dicom(index: PhiIndex, export: Path, progress: bool = False) -> tuple[int, int]:
    """Index every readable DICOM header under EXPORT/dicom; returns (read, skipped). pydicom's
    log and warnings are silenced: they may quote values or paths holding patient names."""
    logging.getLogger("pydicom").setLevel(logging.CRITICAL)
    read = skipped = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for path in tqdm(_dicom_files(export / "dicom"), desc="audit: DICOM headers", unit="file",
                         disable=not progress):
            try:
                dataset = pydicom.dcmread(path, stop_before_pixels=True)
                owner = str(dataset.get("PatientID", "") or "").strip()
                for element, sequence in _walk(dataset):
                    _index_element(index, element, sequence, owner)
            except Exception:  # noqa: BLE001 - unreadable or malformed files are skipped, as the build does
                skipped += 1
                continue
            read += 1
    return read, skipped


def _index_span(index: PhiIndex, label: str, source: str, surface: str, owner: str) -> None:
    kind = f"report PHI span: {'NAME' if label in ('PATIENT', 'PERSON') else label}"
    if label == "PATIENT":
        add_written_name(index, surface, kind, owner, patient=True)
    elif label == "PERSON":
        add_written_name(index, surface, kind, owner)
    elif label == "ID":
        index.add_id(surface, kind)
    elif label == "PHONE":
        index.add_phone(surface, kind)
    elif label == "EMAIL_URL":
        index.add_phrase(_tokens(surface), Term(kind))
    elif label == "LOCATION" and source == "addresses":
        add_address(index, surface, "report PHI span: ADDRESS")
    elif label == "INSTITUTION":
        add_institution(index, surface, kind)


@dataclass(frozen=True)
class ReportPhi:
    """What the reports give: their rows, the PHI spans frdeid detects in them as (label, detector,
    surface, patient id), and the words written outside those spans."""

    rows: list[dict]
    spans: list[tuple[str, str, str, str]]
    vocabulary: frozenset[str]


def _outside(text: str, spans: Iterable) -> str:
    """The text with its spans cut out (one line break in place of each)."""
    parts, position = [], 0
    for span in sorted(spans, key=lambda s: s.start):
        parts.append(text[position:span.start])
        position = max(position, span.end)
    parts.append(text[position:])
    return "\n".join(parts)


def detect_report_phi(export: Path, identities: dict[str, PatientIdentity], progress: bool = False,
                      batch: int = 64) -> ReportPhi | None:
    """Run frdeid's default detection over every report of the export (None: no reports table)."""
    frame = _read_table(export, "reports")
    if frame is None:
        return None
    rows = frame.to_dict("records")
    pipeline = Pipeline(load_config())
    found: list[tuple[str, str, str, str]] = []
    vocabulary: set[str] = set()
    bar = tqdm(total=len(rows), desc="audit: report PHI", unit="report", disable=not progress)
    for start in range(0, len(rows), batch):
        chunk = rows[start:start + batch]
        items = [(str(r.get("text", "")), identities.get(str(r.get("patient_id", "")))) for r in chunk]
        for row, (text, _), spans in zip(chunk, items, pipeline.detect_many(items), strict=True):
            owner = str(row.get("patient_id", ""))
            found.extend((s.label, s.source, text[s.start:s.end], owner) for s in spans)
            vocabulary.update(_tokens(_outside(text, spans)))
        bar.update(len(chunk))
    bar.close()
    return ReportPhi(rows, found, frozenset(vocabulary))


def collect_reports(index: PhiIndex, reports: ReportPhi) -> None:
    """Index report ids, accession numbers, patient ids and the detected PHI spans."""
    for row in reports.rows:
        index.add_id(row.get("report_id", ""), "report id")
        index.add_id(row.get("accession_number", ""), "accession number")
        index.add_id(row.get("patient_id", ""), "patient id")
    for label, source, surface, owner in reports.spans:
        _index_span(index, label, source, surface, owner)


def read_pseudonyms(private: Path | None) -> dict[str, str] | None:
    """PRIVATE/pseudonyms.csv as patient pseudonym -> patient id, or None when absent."""
    path = Path(private) / "pseudonyms.csv" if private is not None else None
    if path is None or not path.is_file():
        return None
    with path.open(encoding="utf-8", newline="") as handle:
        return {row["patient_pseudonym"].strip(): row["patient_id"].strip() for row in csv.DictReader(handle)
                if row.get("patient_pseudonym") and row.get("patient_id")}


def build_index(export: Path, progress: bool = False) -> tuple[PhiIndex, list[str]]:
    """Every PHI term of the export, and notes on what could not be read."""
    index = PhiIndex()
    notes = []
    identities = collect_patients(index, export)
    if not identities:
        notes.append("no patients table in the export")
    reports = detect_report_phi(export, identities, progress)
    if reports is None:
        notes.append("no reports table in the export")
    else:
        index.report_vocabulary = reports.vocabulary
    read, skipped = collect_dicom(index, export, progress)
    if skipped:
        notes.append(f"{skipped} unreadable file(s) under dicom/ skipped ({read} read)")
    if reports is not None:
        collect_reports(index, reports)
    return index, notes


# --- scanning ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Context:
    """Where a text was read: in a sample (a shard member, a manifest row with a key) or not, the
    sample's patient ("" when unknown), whether it is a report text member, whether it came from
    binary data."""

    owner: str = ""
    in_sample: bool = False
    report_text: bool = False
    binary: bool = False


class Match(NamedTuple):
    """A term found in a text, with what the context rules need to know about the occurrence."""

    chars: int  # matched characters, separators excluded
    glued: bool  # a hyphen joins it to a neighbouring word ("Anne Janssens" in "Anne Janssens-Léonard")
    birth_context: bool  # a birth word or "°" precedes it ("né le", "DDN", "date de naissance", "birth")
    term: Term


_BIRTH_WORDS = frozenset({"ne", "nee", "naissance", "naiss", "ddn", "dob", "born", "birth", "geboren", "geb"})
_BIRTH_WINDOW = 4


def _glued(tokens: list[str], gaps: list[str], first: int, last: int) -> bool:
    before = first > 0 and gaps[first] == "-" and not tokens[first - 1].isdigit()
    after = last + 1 < len(tokens) and gaps[last + 1] == "-" and not tokens[last + 1].isdigit()
    return before or after


def _birth_context(tokens: list[str], gaps: list[str], first: int) -> bool:
    if "°" in gaps[first]:
        return True
    return any(t in _BIRTH_WORDS or "birth" in t or "naiss" in t for t in tokens[max(0, first - _BIRTH_WINDOW):first])


def _phrase_matches(index: PhiIndex, tokens: list[str], gaps: list[str]) -> Iterator[Match]:
    """Every indexed phrase found in a token sequence."""
    trie = index.trie
    count = len(tokens)
    heads = trie.keys() & set(tokens)
    if not heads:
        return
    for i in [i for i, token in enumerate(tokens) if token in heads]:
        node = trie[tokens[i]]
        j = i
        chars = len(tokens[i])
        while node is not None:
            terms = node.get(_END)
            if terms:
                glued = _glued(tokens, gaps, i, j)
                birth = any(t.scope == BIRTH for t in terms) and _birth_context(tokens, gaps, i)
                for term in terms:
                    yield Match(chars, glued, birth, term)
            j += 1
            if j >= count or not _linked(gaps[j]):
                break
            node = node.get(tokens[j])
            chars += len(tokens[j])


def _digit_chains(folded: str) -> Iterator[tuple[list[str], list[str]]]:
    """Runs of digit groups joined by short separators ("85.07.30-033.28"), as their groups and
    the separators between them; runs of fewer than 6 digits are left out."""
    for match in _DIGIT_CHAIN_RE.finditer(folded):
        if sum(ch.isdigit() for ch in match[0]) >= _MIN_ID_DIGITS:
            pieces = _DIGIT_SEPARATOR_RE.split(match[0])
            yield pieces[0::2], pieces[1::2]


def _id_kinds(index: PhiIndex, folded: str) -> Iterator[str]:
    """Kinds of the digit identifiers and UIDs found, separators ignored for identifiers."""
    if not index.digit_ids and not index.uids:
        return
    for run, seps in _digit_chains(folded):
        for start in range(len(run)):
            joined = ""
            uid = ""
            dotted = True
            for end in range(start, min(len(run), start + _MAX_UID_PARTS)):
                joined += run[end]
                if end > start:
                    dotted = dotted and seps[end - 1] == "."
                uid = f"{uid}.{run[end]}" if end > start else run[end]
                if _MIN_ID_DIGITS <= len(joined) <= _MAX_ID_DIGITS and joined in index.digit_ids:
                    yield index.digit_ids[joined]
                if dotted and end > start and end - start + 1 in index.uid_lengths and uid in index.uids:
                    yield index.uids[uid]
                if len(joined) > _MAX_ID_DIGITS and not dotted:
                    break


def scan_text(index: PhiIndex, text: str) -> list[Match]:
    """Every match in a text, before the context rules are applied."""
    folded = fold(text)
    tokens, gaps = _links(folded)
    found = list(_phrase_matches(index, tokens, gaps))
    found.extend(Match(_MIN_ID_DIGITS, False, False, Term(kind)) for kind in _id_kinds(index, folded))
    return found


def counted_kinds(found: Iterable[Match], context: Context) -> list[str]:
    """The kinds that count as findings in this context (the policy in the module docstring)."""
    kinds: list[str] = []
    for chars, glued, birth_context, term in found:
        if term.name and (glued or (context.binary and chars < _BINARY_MIN_NAME)):
            continue
        if term.scope == OUTSIDE_REPORTS and context.report_text:
            continue
        if term.scope == OWN and (not context.owner or term.owner != context.owner):
            continue
        if term.scope == NOT_OTHERS_TEXT and context.report_text and context.owner and term.owner != context.owner:
            continue
        if term.scope == BIRTH and not (term.owner == context.owner if context.owner
                                        else not context.in_sample and birth_context):
            continue
        if term.kind not in kinds:
            kinds.append(term.kind)
    return kinds


_NEXT_MARKER_RE = re.compile(rb"\xff[^\x00\xd0-\xd7]")


def jpeg_metadata(data: bytes) -> list[bytes] | None:
    """The parts of a JPEG file that can hold text: every marker segment (APPn, COM, tables) and
    whatever follows the end of image; the entropy-coded image data is left out. None when the
    data is not a well-formed JPEG."""
    if not data.startswith(b"\xff\xd8"):
        return None
    parts = []
    position, size = 2, len(data)
    while position + 1 < size:
        if data[position] != 0xFF:
            return None
        marker = data[position + 1]
        if marker == 0xFF:
            position += 1
        elif marker == 0xD9:
            parts.append(data[position + 2:])
            return parts
        elif 0xD0 <= marker <= 0xD7 or marker == 0x01:
            position += 2
        else:
            length = int.from_bytes(data[position + 2:position + 4], "big")
            if length < 2 or position + 2 + length > size:
                return None
            parts.append(data[position + 4:position + 2 + length])
            position += 2 + length
            if marker == 0xDA:
                following = _NEXT_MARKER_RE.search(data, position)
                if following is None:
                    return None
                position = following.start()
    return None


def binary_strings(data: bytes) -> str:
    """The printable ASCII / UTF-8 runs of binary data, one per line."""
    return "\n".join(m.decode("utf-8", "replace") for m in _STRINGS_RE.findall(data))


def _json_text(data: bytes) -> str | None:
    """A JSON or JSON Lines document re-serialised without escapes ("\\u00e9" becomes "é")."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    try:
        return json.dumps(json.loads(text), ensure_ascii=False)
    except ValueError:
        pass
    try:
        return "\n".join(json.dumps(json.loads(line), ensure_ascii=False) for line in text.splitlines() if line.strip())
    except ValueError:
        return None


def _suffix(name: str) -> str:
    return "." + name.rsplit(".", 1)[-1].lower() if "." in name.rsplit("/", 1)[-1] else ""


def content_text(name: str, data: bytes) -> tuple[str, bool]:
    """The text to scan for a file or member of this name, and whether it was read as binary."""
    suffix = _suffix(name)
    if suffix in _JSON_SUFFIXES:
        text = _json_text(data)
        if text is not None:
            return text + "\n" + data.decode("utf-8", "replace"), False
    if suffix in _JSON_SUFFIXES or suffix in _TEXT_SUFFIXES:
        try:
            return data.decode("utf-8"), False
        except UnicodeDecodeError:
            pass
    parts = jpeg_metadata(data)
    return "\n".join(binary_strings(part) for part in (parts if parts is not None else [data])), True


class Scanner:
    """Scans the files of OUT against a PHI index and collects findings."""

    def __init__(self, index: PhiIndex, pseudonyms: dict[str, str] | None, progress: bool = False) -> None:
        self.index = index
        self.pseudonyms = pseudonyms or {}
        self.progress = progress
        self.result = AuditResult(phi_terms=index.size)
        self._seen: set[tuple[str, str]] = set()

    def report(self, location: str, kinds: Iterable[str]) -> None:
        """Record findings (one per location and kind)."""
        for kind in kinds:
            if (location, kind) not in self._seen:
                self._seen.add((location, kind))
                self.result.findings.append(Finding(location, kind))

    def owner_of(self, name: str) -> str:
        """The patient id of a sample key `<patient pseudonym>_<study pseudonym>`, or of a member
        name `<key>.<extension>` ("" if unknown)."""
        key = name.rsplit("/", 1)[-1].split(".", 1)[0]
        return self.pseudonyms.get(key.split("_", 1)[0], "")

    def kinds(self, text: str, context: Context) -> list[str]:
        """The kinds found in a text under the policy."""
        return counted_kinds(scan_text(self.index, text), context)

    def shown_name(self, name: str, position: str, container: str = "", owner: str = "",
                   in_sample: bool = False) -> str:
        """`name` when it holds no PHI, else `position`, after reporting what the name holds
        (`container`: the location the name is shown in, as "shards/bone-000000.tar:")."""
        kinds = self.kinds(name, Context(owner, in_sample))
        if not kinds:
            return name
        self.report(f"{container}{position} (name)", kinds)
        return position

    def scan_tar(self, path: Path, shown: str) -> None:
        """Every member of a tar shard: its name, then its content."""
        with tarfile.open(path, "r:*") as archive:
            for number, member in enumerate(archive, start=1):
                self.result.members_scanned += 1
                owner = self.owner_of(member.name)
                where = f"{shown}:" + self.shown_name(member.name, f"member #{number}", f"{shown}:", owner, True)
                if not member.isfile():
                    continue
                handle = archive.extractfile(member)
                data = handle.read() if handle is not None else b""
                text, binary = content_text(member.name, data)
                context = Context(owner, True, report_text=_suffix(member.name) == ".txt", binary=binary)
                self.report(where, self.kinds(text, context))
            end = archive.offset
        if path.name.lower().endswith(".tar"):
            self._check_tar_end(path, shown, end)

    def _check_tar_end(self, path: Path, shown: str, end: int) -> None:
        """tarfile stops quietly at a damaged header: whatever follows the last readable member,
        besides the end-of-archive zeros, is scanned as bytes and reported as unreadable."""
        with path.open("rb") as handle:
            handle.seek(end)
            rest = handle.read()
        if rest.strip(b"\x00"):
            self.report(shown, ["unreadable file (data after the last readable tar member)"])
            self.report(shown, self.kinds(binary_strings(rest), Context(in_sample=True, binary=True)))

    def scan_parquet(self, path: Path, shown: str) -> None:
        """Every cell of a Parquet file as a string; a key column gives the row's patient."""
        table = pq.read_table(path)
        columns = {name: self.shown_name(name, f"column #{i}", f"{shown}:")
                   for i, name in enumerate(table.column_names, 1)}
        key_column = next((c for c in ("__key__", "key", "sample_key", "patient_pseudonym") if c in columns), None)
        keys = [str(v or "") for v in table.column(key_column).to_pylist()] if key_column else []
        owners = [self.owner_of(k) for k in keys] if keys else [""] * table.num_rows
        for name in table.column_names:
            cache: dict[str, list[Match]] = {}
            for row, value in enumerate(table.column(name).to_pylist()):
                if value is None:
                    continue
                text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
                found = cache.get(text)
                if found is None:
                    found = cache[text] = scan_text(self.index, text)
                if found:
                    context = Context(owners[row], in_sample=key_column is not None)
                    self.report(f"{shown}:row {row} column {columns[name]}", counted_kinds(found, context))

    def scan_file(self, path: Path, shown: str) -> None:
        """One file of OUT, by its kind."""
        name = path.name.lower()
        if name.endswith(_TAR_SUFFIXES) and tarfile.is_tarfile(path):
            self.scan_tar(path, shown)
        elif name.endswith(".parquet"):
            try:
                self.scan_parquet(path, shown)
                return
            except Exception:  # noqa: BLE001 -- not readable as Parquet: scanned as bytes below
                self.result.notes.append(f"{shown}: unreadable Parquet, scanned as bytes")
            self._scan_bytes(path, shown)
        else:
            self._scan_bytes(path, shown)

    def _scan_bytes(self, path: Path, shown: str) -> None:
        text, binary = content_text(path.name, path.read_bytes())
        self.report(shown, self.kinds(text, Context(binary=binary, report_text=_suffix(path.name) == ".txt")))

    def scan_tree(self, out: Path) -> None:
        """Every file under OUT, recursively, in name order."""
        files = sorted(p for p in Path(out).rglob("*") if p.is_file())
        for number, path in enumerate(tqdm(files, desc="audit: scanning", unit="file", disable=not self.progress), 1):
            relative = path.relative_to(out).as_posix()
            shown = self.shown_name(relative, f"file #{number}")
            self.result.files_scanned += 1
            try:
                self.scan_file(path, shown)
            except Exception as error:  # noqa: BLE001 - fail closed: what cannot be read is not known clean
                self.report(shown, [f"unreadable file ({type(error).__name__})"])


# --- entry points -----------------------------------------------------------------------------


def scan_output(out: Path, index: PhiIndex, pseudonyms: dict[str, str] | None,
                progress: bool = False) -> AuditResult:
    """Scan every file under `out` against a PHI index; `pseudonyms` (patient pseudonym ->
    patient id, from `read_pseudonyms`) turns on the own-sample rules."""
    scanner = Scanner(index, pseudonyms, progress)
    if pseudonyms is None:
        scanner.result.notes.append("no PRIVATE/pseudonyms.csv: single name tokens, other given names, initials "
                                    "and birth dates were not checked inside samples")
    scanner.scan_tree(Path(out))
    return scanner.result


def audit(out: Path, export: Path, private: Path | None = None, progress: bool = False) -> AuditResult:
    """Scan every file of a build's output `out` for PHI re-derived from `export`. `private` is the
    build's private folder; its `pseudonyms.csv` lets the own-sample rules run. Findings never hold
    the PHI value."""
    out, export = Path(out), Path(export)
    if not out.is_dir():
        raise FileNotFoundError(f"no output folder: {out}")
    if not export.is_dir():
        raise FileNotFoundError(f"no export folder: {export}")
    index, notes = build_index(export, progress)
    result = scan_output(out, index, read_pseudonyms(private), progress)
    result.notes[:0] = notes
    return result


def format_findings(result: AuditResult, limit: int | None = None) -> str:
    """A report for the console: counts, notes, then one line per finding (location: kind)."""
    lines = [f"audit: {result.files_scanned} file(s), {result.members_scanned} shard member(s) scanned "
             f"for {result.phi_terms} PHI term(s)"]
    lines.extend(f"note: {note}" for note in result.notes)
    shown = result.findings if limit is None else result.findings[:limit]
    lines.extend(f"  {finding.location}: {finding.kind}" for finding in shown)
    if len(shown) < len(result.findings):
        lines.append(f"  ... and {len(result.findings) - len(shown)} more")
    lines.append("audit: passed, no PHI found" if result.ok
                 else f"audit: FAILED, {len(result.findings)} finding(s) of PHI or unreadable output")
    return "\n".join(lines)

