"""French statements of a study's findings (result and conclusion sections), and the patterns that
recognise them in a written report.

The writer states exactly what `StudyPlan.findings` holds: a fracture names its bone part and whether
it is displaced, osteosynthesis material, a prosthesis, a Kellgren-Lawrence grade, open growth
plates, or a normal study. Things that are not drawn are only ever mentioned negated ("pas de
fracture") or as a question ("fracture ?").

`stated_findings(text)` returns the finding kinds that a text asserts: a match of
`FINDING_PATTERNS[kind]` counts unless its clause is negated before the match ("pas de", "absence
de", "sans", "suspicion de", "bilan de"...) or is a question or a doubt ("?", "à exclure",
"douteux"). The kinds "nondisplaced" and "normal" are negative statements by nature and are
counted as matched.
"""

from __future__ import annotations

import re

from ..anatomy import body_part
from . import grammar
from .bank import bank
from .writer import Writer

FINDING_KINDS = ("fracture", "displaced", "nondisplaced", "osteosynthesis", "prosthesis", "kl",
                 "growth_plates_open", "normal")

FINDING_PATTERNS: dict[str, str] = {
    "fracture": r"\bfractures?\b|\bfx\b",
    "displaced": (r"(?<!non )(?<!non-)\bdéplacée?s?\b|\bavec (?:un )?déplacement\b|\bdéplacement (?:résiduel|secondaire)\b"
                  r"|\bbascule (?:postérieure|antérieure|dorsale|palmaire)\b|\bchevauchement\b"
                  r"|\bavec recul du mur postérieur\b"),
    "nondisplaced": r"\bnon[- ]déplacée?s?\b|\bsans déplacement\b|\bsans recul du mur postérieur\b",
    "osteosynthesis": (r"ostéosynth[eè]s|\bplaque (?:vissée|palmaire|de soutien|LCP|PHILOS|anatomique|verrouillée)"
                       r"|\bembrochage\b|\bbroches?\b|\bclou (?:centromédullaire|gamma|verrouillé)\b|\bvissage\b"
                       r"|\bcerclage\b|\bhaubanage\b|\bvis (?:canulées|pédiculaires|compressive)"),
    "prosthesis": r"\bprothèses?\b|\bPT[HGE]\b|\barthroplastie\b|(?<!pré-)\bprothétiques?\b",
    "kl": (r"Kellgren|\bKL ?[0-4I]|\b(?:gon|cox)?arthrose\b|\bpincement\b(?! discal)|\bostéophyt"
           r"|\binterlignes?\b[^.\n]{0,45}?\b(?:conservée?s?|préservée?s?|respectée?s?)\b|Ahlb[aä]ck"),
    "growth_plates_open": (r"(?:cartilages?|plaques?) de (?:croissance|conjugaison)[^.\n]{0,25}?"
                           r"(?:ouvert|perméable|non fusionné|non soudé)|\bphyses? ouvertes?\b|\bsquelette immature\b"),
    "normal": (r"\b(?:pas|absence) d(?:e |')(?:lésion|fracture|anomalie|trait de fracture)\b"
               r"|\baucune (?:lésion|anomalie|fracture)\b"
               r"|\b(?:examen|radiographie|bilan|cliché)s?\b[^.\n]{0,40}?\bnormale?s?\b"
               r"|\bexamen (?:radiologique |radiographique )?(?:sans particularité|dans les limites de la normale)"
               r"|\bstructures osseuses (?:d'aspect )?normale?s?\b|(?-i:\bRAS\b)"),
}
_COMPILED = {k: re.compile(v, re.IGNORECASE) for k, v in FINDING_PATTERNS.items()}
_NEG_BEFORE = re.compile(
    r"\b(?:pas|absence|aucune?|ni|sans|exclure|exclue?|éliminer|suspicion|recherche|bilan|doute|possible"
    r"|probable|évoque|évoquer)\b", re.IGNORECASE)
_NEG_CLAUSE = re.compile(r"\?|à exclure|à éliminer|douteu|suspect", re.IGNORECASE)
_NOT_NEGATED = {"nondisplaced", "normal"}
_BOUNDARY = re.compile(r"[.;:\n!?]")


def _asserted(text: str, m: re.Match) -> bool:
    start = max((b.end() for b in _BOUNDARY.finditer(text, 0, m.start())), default=0)
    after = _BOUNDARY.search(text, m.end())
    end = after.end() if after else len(text)
    return not (_NEG_BEFORE.search(text, start, m.start()) or _NEG_CLAUSE.search(text[start:end]))


def stated_findings(text: str) -> set[str]:
    """The finding kinds a report asserts (see the module docstring)."""
    out: set[str] = set()
    for kind, pattern in _COMPILED.items():
        for m in pattern.finditer(text):
            if kind in _NOT_NEGATED or _asserted(text, m):
                out.add(kind)
                break
    return out


def stated_kl_grade(text: str) -> int | None:
    """The Kellgren-Lawrence grade a report states ("stade III de Kellgren-Lawrence", "KL 2"), if any."""
    roman = {"0": 0, "I": 1, "II": 2, "III": 3, "IV": 4}
    m = re.search(r"(?:[Ss]tade|[Gg]rade) (0|IV|I{1,3}|[0-4])\b[^.\n]{0,12}Kellgren|Kellgren[- ](?:et )?Lawrence"
                  r"(?: : stade)? (0|IV|I{1,3}|[0-4])\b|\bKL ?(0|IV|I{1,3}|[0-4])\b", text)
    if not m:
        return None
    value = next(g for g in m.groups() if g is not None)
    return roman[value] if value in roman else int(value)


# -- tags ------------------------------------------------------------------------------------------
def age_tags(years: float) -> set[str]:
    """Age-group tags that phrase-bank entries may require: infant, teen, elderly, working_age."""
    tags = set()
    if years < 3:
        tags.add("infant")
    if 10 <= years < 20:
        tags.add("teen")
    if years >= 70:
        tags.add("elderly")
    if 20 <= years < 65:
        tags.add("working_age")
    return tags


def limb(part: str) -> str:
    """ "upper", "lower" or "axial" for a body part."""
    if part in ("hand", "wrist", "forearm", "elbow", "shoulder"):
        return "upper"
    if part in ("knee", "ankle", "foot", "hip"):
        return "lower"
    return "axial"


CLINICAL_KEYS = ("trauma", "pain", "follow_up", "arthrosis", "bone_age")


def study_tags(w: Writer) -> set[str]:
    """Tags of a radiology study: body part, age group, clinical reason, findings, site, context."""
    study = w.plan.study
    assert study is not None
    f = study.findings
    tags = {w.part, "lat" if w.side else "nolat", w.person.sex, limb(w.part)}
    years = w.age_on(study.started.date())[0]
    tags.add("child" if years < 16 else "adult")
    tags |= age_tags(years)
    ci = study.clinical_info if study.clinical_info in CLINICAL_KEYS else ""
    if not ci:
        ci = "follow_up" if (f.osteosynthesis or f.prosthesis) else ("arthrosis" if (f.kl_grade or 0) >= 2 else "trauma")
    tags.add(f"ci:{ci}")
    if f.fracture is not None:
        tags |= {"fracture", "displaced" if f.fracture.displaced else "nondisplaced", f"site:{f.fracture.site}"}
        site = body_part(study.body_part).site(f.fracture.site)
        if site.eponym:
            tags.add(f"eponym:{site.eponym}")
        if study.body_part == "spine":
            tags.add("vertebra")
        if site.bone_fr.startswith("physe"):
            tags.add("physis")
    else:
        tags.add("no_fracture")
    if f.osteosynthesis:
        tags.add("osteosynthesis")
    if f.prosthesis:
        tags.add("prosthesis")
    if f.kl_grade is not None:
        tags |= {"kl", f"kl{f.kl_grade}"}
        if f.kl_grade >= 1:
            tags.add("kl_pos")
    if f.growth_plates_open:
        tags.add("growth_open")
    elif years < 22:
        tags.add("growth_closed")
    if f.labels() == ("normal",):
        tags.add("normal")
    if not (f.fracture or f.osteosynthesis or f.prosthesis):
        tags.add("no_hardware")
    occupation = w.patient.employer_or_school
    if occupation is not None:
        tags.add(occupation.kind)
    return tags


# -- fields ----------------------------------------------------------------------------------------
_ROMAN = ("0", "I", "II", "III", "IV")


def register_fields(w: Writer) -> None:
    """Template fields of finding phrases: displacement, materials, prosthesis names, KL wording."""
    fb = bank("findings")
    f = w.findings
    displaced = w.displaced
    vertebra = "vertebra" in w.tags
    key = "displaced" if displaced else "nondisplaced"

    def disp(_arg):
        return w.pick(fb["disp"][f"{key}_vertebra" if vertebra else f"{key}_f"])

    def disp_end(_arg):
        if vertebra:
            return w.pick(fb["disp"][f"{key}_vertebra"])
        return w.pick(fb["disp"][f"{key}_f"] + fb["disp"][f"{key}_end"])

    def disp_m(_arg):
        return w.pick(fb["disp"][f"{key}_vertebra" if vertebra else f"{key}_m"])

    def disp_os(_arg):
        return w.pick(fb["disp"][f"{key}_os"])

    def measure(_arg):
        if not displaced:
            return w.pick(("", "", "", " (diastasis inférieur à 1 mm)"))
        if w.site is not None and w.site.id == "radius_distal":
            return f" avec bascule postérieure de l'épiphyse de {w.between(10, 35)}°"
        return w.pick((f", avec un déplacement de {w.between(2, 9)} mm",
                       f" avec angulation de {w.between(8, 30)}°",
                       f", chevauchement de {w.between(3, 12)} mm", ""))

    def material(_arg):
        site = w.site.id if w.site is not None else ""
        options = fb["os_material"].get(site, fb["os_material"]["default"])
        return w.memo("material", lambda: w.pick(options))

    def prosthesis(_arg):
        return w.part_info.prosthesis_fr or "prothèse"

    def prosthesis_abbr(_arg):
        return {"hip": "PTH", "knee": "PTG", "shoulder": "PTE"}.get(w.part, "prothèse")

    def joint(_arg):
        return {"hip": "coxo-fémoral", "knee": "fémoro-tibial"}.get(w.part, "articulaire")

    def interligne(_arg):
        options = fb["interligne"].get(w.part, ["articulaire"])
        return w.memo("interligne", lambda: w.pick(options))

    def arthrose(_arg):
        options = fb["arthrose"].get(w.part, ["Arthrose"])
        return w.memo("arthrose", lambda: w.pick(options))

    def arthrose_low(_arg):
        text = arthrose(None)
        return text[:1].lower() + text[1:]

    def osteo_site(_arg):
        return w.pick(fb["osteo_site"].get(w.part, ["marginal"]))

    grade = f.kl_grade if f is not None and f.kl_grade is not None else 0

    def kl_n(_arg):
        return str(grade)

    def kl_roman(_arg):
        return _ROMAN[grade]

    def severity(_arg):
        return w.pick(fb["severity"][str(grade)])

    def ahl(_arg):
        return w.memo("ahl", lambda: str(3 if grade >= 4 else w.between(1, 2)))

    def garden(_arg):
        return w.memo("garden", lambda: w.pick(("III", "IV") if displaced else ("I", "II")))

    def schatzker(_arg):
        return "II" if displaced else "I"

    def weber(_arg):
        return w.memo("weber", lambda: w.pick(("A", "B", "B", "C")))

    def sh(_arg):
        return w.memo("sh", lambda: "II" if displaced else w.pick(("I", "II")))

    def bone_side(_arg):
        if not w.side or w.site is None:
            return ""
        return grammar.side_adj(w.side, grammar.side_noun_feminine(w.site.bone_fr))

    def fragments(_arg):
        return w.memo("fragments", lambda: str(w.between(2, 3)))

    w.fields.update({
        "disp": disp, "disp_end": disp_end, "disp_m": disp_m, "disp_os": disp_os, "measure": measure, "material": material,
        "prosthesis": prosthesis, "prosthesis_abbr": prosthesis_abbr, "joint": joint, "interligne": interligne,
        "arthrose": arthrose, "arthrose_low": arthrose_low, "osteo_site": osteo_site, "kl_n": kl_n,
        "kl_roman": kl_roman, "severity": severity, "ahl": ahl, "garden": garden, "schatzker": schatzker,
        "weber": weber, "sh": sh, "bone_side": bone_side, "fragments": fragments,
    })


# -- sections --------------------------------------------------------------------------------------
def _sentences(w: Writer, with_conclusion: bool) -> list[str]:
    """Templates of the result section, in reading order."""
    fb = bank("findings")
    study = w.plan.study
    assert study is not None
    f = study.findings
    out: list[str] = []
    if f.fracture is not None and f.osteosynthesis:
        out.append(w.entry(fb["osteosynthesis"]))
        out.append(w.entry(fb["os_fracture"]))
    elif f.fracture is not None:
        out.append(w.entry(fb["fracture"]))
        if w.chance(0.85):
            out.append(w.entry(fb["eponym"]))
    elif f.osteosynthesis:
        out.append(w.entry(fb["osteosynthesis"]))
    if f.prosthesis:
        out.append(w.entry(fb["prosthesis"]))
    if f.fracture is not None and w.chance(0.5):
        out.append(w.entry(fb["after_fracture"]))
    if f.kl_grade is not None:
        out.append(w.entry(fb["kl"]))
        if w.chance(0.5) or not with_conclusion:  # the grade is always stated somewhere
            out.append(w.entry(fb["kl_grade"]))
        if w.part == "knee" and f.kl_grade >= 3 and w.chance(0.2):
            out.append("Stade {ahl} d'Ahlbäck.")
    if f.growth_plates_open:
        out.append(w.entry(fb["growth"]))
    elif "growth_closed" in w.tags and "teen" in w.tags and w.chance(0.4):
        out.append(w.entry(fb["growth_closed"]))
    if "ci:bone_age" in w.tags:
        out.append(w.entry(fb["bone_age"]))
    if f.fracture is None and ("normal" in w.tags or w.chance(0.7 if "ci:trauma" in w.tags else 0.25)):
        out.append(w.entry(fb["normal"]))
    for _ in range(w.between(1, 3)):
        extra = w.entry(fb["context"])
        if extra and extra not in out:
            out.append(extra)
    if "ci:trauma" in w.tags and w.chance(0.35):
        out.append(w.entry(fb["soft_tissue"]))
    kept: list[str] = []
    for sentence in out:  # no sentence twice, nor two that start alike ("Pas de luxation.")
        if sentence and not any(sentence[:15] == k[:15] for k in kept):
            kept.append(sentence)
    return kept


def write_results(w: Writer, style: str, with_conclusion: bool = True) -> None:
    """The result section body: sentences on lines, in a paragraph or as dashes."""
    sentences = _sentences(w, with_conclusion)
    for i, template in enumerate(sentences):
        if style == "dashes":
            w.add("- ")
        w.render(template)
        if i < len(sentences) - 1:
            w.add(" " if style == "paragraph" else "\n")


def conclusion_items(w: Writer) -> list[str]:
    """Templates of the conclusion, most important first."""
    fb = bank("findings")
    study = w.plan.study
    assert study is not None
    f = study.findings
    out: list[str] = []
    if f.fracture is not None and f.osteosynthesis:
        out.append(w.entry(fb["os_concl"]))
    elif f.fracture is not None:
        out.append(w.entry(fb["fracture_concl"]))
    elif f.osteosynthesis:
        out.append(w.entry(fb["os_concl"]))
    if f.prosthesis:
        out.append(w.entry(fb["prosthesis_concl"]))
    if f.kl_grade is not None:
        out.append(w.entry(fb["kl_concl"]))
    if "ci:bone_age" in w.tags:
        years, months = w.age_on(study.started.date())
        bone_years, bone_months = w.bone_age()
        delta = (bone_years * 12 + bone_months) - (years * 12 + months)
        key = "bone_age_advance" if delta > 12 else "bone_age_delay" if delta < -12 else "bone_age_normal"
        out.append(w.entry(fb[key]))
        if f.growth_plates_open and w.chance(0.3):
            out.append(w.entry(fb["growth"]))
    if f.fracture is None and ("normal" in w.tags or ("ci:trauma" in w.tags and w.chance(0.7))):
        out.append(w.entry(fb["normal_concl"]))
    return [s for s in out if s]


def write_conclusion(w: Writer, style: str) -> None:
    """The conclusion body."""
    items = conclusion_items(w)
    if not items:
        items = ["Pas d'anomalie osseuse décelable."]
    if len(items) == 1 and style == "dashes" and w.chance(0.7):
        style = "lines"
    numbered = style == "dashes" and len(items) > 1 and w.chance(0.4)
    for i, template in enumerate(items):
        if numbered:
            w.add(f"{i + 1}. ")
        elif style == "dashes":
            w.add("- ")
        w.render(template)
        if i < len(items) - 1:
            w.add(" " if style == "paragraph" else "\n")
