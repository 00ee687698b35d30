"""Report text -> caption: clean the de-identified report, split it into sentences, optionally shuffle
them (a text augmentation), re-join them with spaces.

    clean_report(raw)                 whitespace normalised, boilerplate lines dropped, one line per line
    clinical_body(cleaned)            from the first clinical heading to the signature
    split_sentences(cleaned)          ["Fracture non déplacée du trochiter.", "Pas de luxation.", ...]
    findings_and_context(body)        (findings and conclusion sentences, indication and technique sentences)
    report_to_caption(raw, rng, shuffle=True)   findings first, then the context; each part shuffled

Pure standard library: it runs in the loader's worker processes.
"""

from __future__ import annotations

import random
import re
import unicodedata

# frdeid's placeholders ([ID], [EMAIL], [URL], [TEL], [NOM], [DATE], ...): upper-case words in brackets.
PLACEHOLDER_RE = re.compile(r"\[[A-ZÀ-ÖØ-Þ_]{2,20}\]")
# A line holding no letter or digit once placeholders are gone: "====", "-----", "* * *", "[ID]".
_NO_WORD_RE = re.compile(r"^[\W_]*$")
# What is left of "N° dossier : [ID]", "INAMI : [ID]", "Tél. [TEL]" once the placeholders are gone: one
# word, or a label of at most this many words ending with a colon; no digit.
LABEL_MAX_WORDS = 3
_SPACES_RE = re.compile(r"[ \t\f\v\u00a0\u2000-\u200b\u202f\u205f\u3000]+")
_BULLET_RE = re.compile(r"^(?:[-*•·–—>]+|\d{1,2}[).])\s+")
# A sentence ends at ".", "!" or "?" (possibly repeated, possibly closed by a quote or bracket) followed
# by white space and an upper-case letter, a digit or an opening quote or bracket.
_BOUNDARY_RE = re.compile(r"[.!?]+[\"»)\]]*\s+(?=[A-ZÀ-ÖØ-Þ0-9«\"(\[])")
_LAST_WORD_RE = re.compile(r"(\w+)$")
# Words after which a full stop does not end the sentence (compared lower-case, without the dot; single
# letters are initials and never end one). Not "mm", "m": millimetres and metres end sentences.
ABBREVIATIONS = frozenset({
    "dr", "drs", "pr", "prof", "mme", "mmes", "mlle", "me", "st", "ste", "cf", "etc", "réf", "ref", "tél",
    "tel", "fig", "vol", "no", "nr", "env", "app", "ex", "pp", "resp", "cl", "inc", "av", "bd", "sr", "sté",
    "hôp", "serv", "dept", "dépt", "vs",
})


def _normalise_line(line: str) -> str:
    return _SPACES_RE.sub(" ", line).strip()


def is_boilerplate(line: str) -> bool:
    """True for a line that says nothing about the images: empty, made of separators only, or made of
    placeholders with at most a short label around them ("[ID]", "N° dossier : [ID]", "Tél. [TEL]";
    not "Patient de [AGE] ans")."""
    if _NO_WORD_RE.match(line):
        return True
    if not PLACEHOLDER_RE.search(line):
        return False
    rest = PLACEHOLDER_RE.sub(" ", line)
    if _NO_WORD_RE.match(rest):
        return True
    words = re.findall(r"\w+", rest)
    if any(ch.isdigit() for ch in rest):
        return False
    return len(words) == 1 or (len(words) <= LABEL_MAX_WORDS and rest.rstrip().endswith(":"))


def clean_report(text: str) -> str:
    """The report with Unicode composed (NFC: accents kept as one character), line ends unified, runs
    of spaces (tabs, no-break spaces) made one space, each line stripped, and empty or boilerplate
    lines (see `is_boilerplate`) dropped. Lines stay lines: a line end is a sentence boundary."""
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    lines = (_normalise_line(line) for line in text.split("\n"))
    return "\n".join(line for line in lines if line and not is_boilerplate(line))


# Headings that open the clinical part of a radiology report (indication, technique, findings,
# conclusion), compared without accents or case at the start of a line. What comes before the first one
# is the letterhead (institution, addresses, identity block), which says nothing about the images and
# would fill the text context; the authors likewise dropped PDF headers and footers.
_HEADING_RE = re.compile(
    r"^(?:examen|exam|indications?|clinique|renseignements?|rc|motif|anamnese|contexte|histoire|"
    r"technique|incidences?|protocole|realisation|resultats?|description|compte rendu|analyse|"
    r"observations?|constatations?|rapport|conclusions?|en conclusion|avis|impression|synthese|ccl)"
    r"(?:\b[^:]{0,25}:|(?:\s+cliniques?)?\s*$)")
# "Renseignements cliniques :", "Conclusion" or "Renseignements cliniques" alone; not "Protocole de radiologie"
# Headings of the parts that describe the images (findings, conclusion), as opposed to the request and the
# technique. "Protocole" alone opens the findings in some layouts; "Protocole d'examen" is the technique.
_FINDINGS_HEADING_RE = re.compile(
    r"^(?:resultats?|description|compte rendu|analyse|observations?|constatations?|rapport|conclusions?|"
    r"en conclusion|avis|impression|synthese|ccl|protocole(?=\s*:|\s*$))(?:\b[^:]{0,25}:|\s*$)")
# Lines that close a report: signature, validation, copies.
_FOOTER_RE = re.compile(r"^(?:document valide|valide electroniquement|signe|copies?\b|cc\b|c\.c\.|"
                        r"(?:dr|docteur|pr|professeur)\b|dicte|lecture\b|supervision|double lecture)")


def _folded(line: str) -> str:
    decomposed = unicodedata.normalize("NFD", line.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def clinical_body(cleaned: str) -> str:
    """The clinical part of a cleaned report: from the first line opening with a clinical heading
    ("Examen :", "Indication :", "Technique :", "Résultat :", "Conclusion", ...) up to the first signature or
    copy line after it. A report with no such heading is returned whole."""
    lines = cleaned.split("\n")
    start = next((i for i, line in enumerate(lines) if _HEADING_RE.match(_folded(line))), None)
    if start is None:
        return cleaned
    end = next((i for i in range(start + 1, len(lines)) if _FOOTER_RE.match(_folded(lines[i]))), len(lines))
    return "\n".join(lines[start:end])


def _ends_sentence(text_before: str) -> bool:
    """False when the full stop closing `text_before` belongs to an abbreviation or an initial."""
    match = _LAST_WORD_RE.search(text_before)
    if match is None:
        return True
    word = match.group(1)
    if len(word) == 1 and word.isalpha():  # an initial: "Dr Q. PAQUOT"
        return False
    return word.lower() not in ABBREVIATIONS


def _split_line(line: str) -> list[str]:
    sentences, start = [], 0
    for match in _BOUNDARY_RE.finditer(line):
        end = match.end()
        if match.group(0).startswith(".") and not _ends_sentence(line[start:match.start()]):
            continue
        sentences.append(line[start:end].strip())
        start = end
    sentences.append(line[start:].strip())
    return sentences


def split_sentences(text: str) -> list[str]:
    """Sentences of a (cleaned) report: every line end is a boundary, and within a line a ".", "!" or
    "?" followed by a capital or a digit is one, except after an abbreviation ("Dr.", "cf.", "Réf.")
    or an initial ("Q."). Leading list bullets ("- ", "• ", "1) ") are dropped."""
    sentences = []
    for line in text.split("\n"):
        line = _normalise_line(line)
        if not line:
            continue
        for sentence in _split_line(line):
            sentence = _BULLET_RE.sub("", sentence).strip()
            if sentence and not _NO_WORD_RE.match(sentence):
                sentences.append(sentence)
    return sentences


def findings_and_context(cleaned: str) -> tuple[list[str], list[str]]:
    """The sentences of a cleaned report (or its clinical body) in two parts: what describes the images
    (lines under a findings or conclusion heading, and lines under no heading) and the context (lines
    under an indication, examination or technique heading). A context heading with text on its own line
    ("Contexte clinique : chute.") holds that line only; one alone on its line holds the lines up to the
    next heading. Headings alone on their line ("RÉSULTAT :") are dropped: they say nothing."""
    findings: list[str] = []
    context: list[str] = []
    in_context = False
    for line in cleaned.split("\n"):
        folded = _folded(line)
        heading = _HEADING_RE.match(folded)
        if heading is None:
            (context if in_context else findings).extend(split_sentences(line))
            continue
        is_findings = _FINDINGS_HEADING_RE.match(folded) is not None
        alone = not re.search(r"\w", folded[heading.end():])
        in_context = not is_findings and alone
        if not alone:
            (findings if is_findings else context).extend(split_sentences(line))
    return findings, context


def report_to_caption(text: str, rng: random.Random | None = None, shuffle: bool = False,
                      body_only: bool = True, findings_first: bool = True) -> str:
    """The caption of a report: cleaned, cut to its clinical body (`body_only`), split into
    sentences, re-joined with single spaces. `findings_first`: the findings and conclusion sentences
    come first, then the indication and technique (see `findings_and_context`), so that a text tower's
    context length cuts the request rather than the findings. `shuffle`: the sentences are shuffled
    within each part (with `rng`, else the `random` module)."""
    cleaned = clean_report(text)
    body = clinical_body(cleaned) if body_only else cleaned
    parts = list(findings_and_context(body)) if findings_first else [split_sentences(body)]
    for part in parts:
        if shuffle and len(part) > 1:
            (rng or random).shuffle(part)
    return " ".join(sentence for part in parts for sentence in part)
