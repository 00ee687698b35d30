"""The radiology report ("protocole de radiologie"): header, identity, exam, clinical indication,
technique, result, conclusion, signature and copies, in one of several layouts.

With `plan.study` the report describes that study (body part, side, views, findings, in
`findings.py`); without one it reports an invented exam that is not in the export (an ultrasound, a
CT, an MRI, a densitometry...) from `data/reports/radiology.toml` (`other_exam`).
"""

from __future__ import annotations

from datetime import timedelta

from ..anatomy import body_part
from . import grammar
from .bank import bank
from .findings import register_fields, study_tags, write_conclusion, write_results
from .names import name_form
from .writer import Writer

LAYOUTS = ("classic", "letter", "compact", "ehr", "banner")
LAYOUT_WEIGHTS = (38, 16, 16, 16, 14)


# -- setup -----------------------------------------------------------------------------------------
def _setup_study(w: Writer) -> None:
    study = w.plan.study
    assert study is not None
    w.part = study.body_part
    w.side = study.laterality
    w.findings = study.findings
    w.exam_dt = study.started
    w.institution = study.institution
    if study.findings.fracture is not None:
        w.site = body_part(study.body_part).site(study.findings.fracture.site)
        w.displaced = study.findings.fracture.displaced
    w.tags = study_tags(w) | {"study"}


def _setup_other(w: Writer) -> dict:
    plan = w.plan
    w.exam_dt = plan.written - timedelta(days=w.between(0, 1) if w.chance(0.3) else 0, minutes=w.between(20, 240))
    w.institution = plan.author.practice or w.memo("i:hospital", w.pop.hospital)
    years = w.age_on(w.exam_dt.date())[0]
    tags = {"other_exam", "child" if years < 16 else "adult"}
    if years < 2:
        tags.add("infant")
    entries = [e for e in bank("radiology")["other_exam"] if all(t in tags for t in e.get("need", ()))]
    entry = entries[int(w.rng.integers(0, len(entries)))]
    w.part = entry["part"]
    w.side = w.pick(("L", "R"))
    w.tags = tags | {w.part, "lat", w.person.sex, "ci:other", "no_fracture"}
    return dict(entry, variant=w.between(0, len(entry["result"]) - 1))


# -- exam title ------------------------------------------------------------------------------------
def _views(w: Writer) -> list[str]:
    study = w.plan.study
    if study is not None and study.images:
        return list(dict.fromkeys(image.view for image in study.images))
    return list(w.part_info.views)


def _views_key(views: list[str]) -> str:
    return "_".join(views) if "_".join(views) in bank("radiology")["views_title"] else views[0]


def exam_title(w: Writer) -> str:
    """ "RX poignet gauche F+P", "Radiographie du genou droit face et profil en charge", "Bassin de face"..."""
    rb = bank("radiology")
    views = _views(w)
    view_text = w.pick(rb["views_title"][_views_key(views)])
    if w.part == "shoulder" and "lateral" in views and w.chance(0.35):
        view_text = w.pick(("face + profil de Lamy", "F + Lamy", "face et profil de Lamy"))
    if w.part == "knee" and w.chance(0.4):
        view_text += w.pick((" en charge", " debout", " en charge"))
    label = w.part_label()
    side = w.side_word()
    abbr = {"L": "G", "R": "D"}.get(w.side, "")
    style = w.between(0, 6)
    if w.part == "pelvis":
        title = w.pick(("Bassin de face", "RX bassin F", "Radiographie du bassin (face)", "RX bassin de face",
                        "Bassin face"))
    elif style == 0:
        title = f"RX {label} {side} {view_text}"
    elif style == 1:
        title = f"Radiographie {grammar.de(f'{label} {side}'.strip())} {view_text}"
    elif style == 2:
        title = f"RX {label} {abbr} {view_text}".upper()
    elif style == 3:
        title = f"{label} {side} : {view_text}"
    elif style == 4:
        title = f"Radiographies {grammar.de(f'{label} {side}'.strip())} ({view_text})"
    elif style == 5:
        title = f"Rx {label} {abbr}"
    else:
        title = f"{label.upper()} {side.upper()} {view_text}"
    title = " ".join(title.split())
    return title[:1].upper() + title[1:]


def _register_radiology_fields(w: Writer, other: dict | None) -> None:
    rb = bank("radiology")

    def title(_arg):
        if other is not None:
            return w.memo("title", lambda: w.render_plain(w.pick(other["title"])))
        return w.memo("title", lambda: exam_title(w))

    def title_upper(_arg):
        return title(None).upper()

    def exam_np(_arg):
        if other is not None:
            return w.render_plain(other["np"])
        n = len(_views(w))
        noun = w.pick(("une radiographie", "un bilan radiographique", "des radiographies" if n > 1 else "une radiographie"))
        return f"{noun} {grammar.de(w.part_side())}"

    def views_fr(_arg):
        return w.pick(rb["views_sentence"][_views_key(_views(w))])

    def views_short(_arg):
        return w.pick(rb["views_title"][_views_key(_views(w))])

    def n_img(_arg):
        study = w.plan.study
        n = len(study.images) if study is not None and study.images else len(_views(w))
        return "1 cliché" if n == 1 else f"{n} clichés"

    def pds(_arg):
        return f"{w.between(2, 90) / 100:.2f}".replace(".", ",")

    def staff(_arg):
        parts = [w.physician(role) for role in ("staff1", "staff2", "author", "staff3")[: w.between(2, 4)]]
        sep = w.pick((" – ", " - ", "\n"))
        for i, doc in enumerate(parts):
            if i:
                w.add(sep, typos=False)
            w.builder.add(f"{'Pr' if doc.title == 'Pr' else 'Dr'} ")
            w.phi(name_form(doc.person, w.pick(("init_LAST", "first_LAST", "init_last"))), "PERSON")
        w.builder.add(w.pick(("\nRadiologues", "\nMédecins radiologues", " (radiologues)", "")))
        return None

    w.fields.update({"title": title, "TITLE": title_upper, "exam_np": exam_np, "views_fr": views_fr,
                     "views_short": views_short, "n_img": n_img, "pds": pds, "staff": staff})


# -- pieces ----------------------------------------------------------------------------------------
def _indication(w: Writer, other: dict | None) -> None:
    rb = bank("radiology")
    main = w.pick(other["indication"]) if other is not None else (w.entry(rb["indication"]) or "Bilan.")
    w.render(main)
    chosen = [main]
    for _ in range(w.between(0, 2)):
        extra = w.entry(rb["indication_extra"])
        topics = [t for t in ("{eva}", "{age", "{relative", "Dafalgan", "ATCD") if t in extra]
        if not extra or extra in chosen or any(t in c for t in topics for c in chosen):
            continue  # one pain score, one age, one companion; no repeated sentence
        chosen.append(extra)
        w.add(" ")
        w.render(extra)


def _technique(w: Writer, other: dict | None) -> None:
    rb = bank("radiology")
    if other is not None:
        w.render(w.pick(other["technique"]))
    else:
        w.render(w.entry(rb["technique"]))
    if w.chance(0.45):
        w.add(w.pick((" ", "\n")))
        w.render(w.entry(rb["technique_extra"]))


def _result(w: Writer, other: dict | None, style: str, with_conclusion: bool) -> None:
    if other is not None:  # the result and the conclusion of the same variant
        w.render(other["result"][other["variant"]])
        return
    write_results(w, style, with_conclusion)


def _conclusion(w: Writer, other: dict | None, style: str) -> None:
    if other is not None:
        w.render(other["conclusion"][other["variant"] % len(other["conclusion"])])
        return
    write_conclusion(w, style)


def _body(w: Writer, other: dict | None, compact: bool = False) -> None:
    """Clinical indication, technique, result and conclusion sections."""
    heading_style = w.heading_style()
    result_style = w.pick(("lines", "lines", "paragraph", "dashes"))
    conclusion_style = w.pick(("lines", "paragraph", "dashes"))
    has_indication = w.chance(0.92)
    has_technique = w.chance(0.25 if compact else 0.6)
    has_conclusion = w.chance(0.85)
    technique_first = w.chance(0.2)
    gap = "\n" if compact or w.chance(0.3) else "\n\n"
    headings = bank("radiology")["headings"]
    if other is not None:  # no "Incidences" heading for an ultrasound or an MRI
        headings = dict(headings, technique=["Technique", "Technique", "Protocole d'examen", "Réalisation"])
    if has_technique and technique_first:
        w.heading(headings, "technique", heading_style)
        _technique(w, other)
        w.add(gap)
    if has_indication:
        w.heading(bank("radiology")["headings"], "indication", "colon_inline" if compact else heading_style)
        _indication(w, other)
        w.add(gap)
    if has_technique and not technique_first:
        w.heading(headings, "technique", heading_style)
        _technique(w, other)
        w.add(gap)
    headed = not compact or w.chance(0.5)
    if headed and not w.heading(bank("radiology")["headings"], "result", heading_style) and result_style == "dashes":
        result_style = "lines"
    _result(w, other, "paragraph" if compact else result_style, has_conclusion)
    w.add(gap)
    if has_conclusion:
        if compact:
            w.add(w.pick(("Concl. : ", "Conclusion : ", "=> ", "Ccl : ")))
        elif not w.heading(bank("radiology")["headings"], "conclusion", heading_style) and conclusion_style == "dashes":
            conclusion_style = "lines"
        _conclusion(w, other, "paragraph" if compact else conclusion_style)
        w.add(gap)


def _signature_and_copies(w: Writer) -> None:
    rb = bank("radiology")
    w.line(w.entry(rb["signature"]))
    if w.chance(0.06):
        w.add("\n")
        w.line(w.entry(rb["addendum"]))
    if w.chance(0.75):
        w.add("\n")
        w.line(w.entry(rb["copies"]))
    if w.chance(0.35):
        w.add("\n")
        w.line(w.entry(rb["footer"]))


# -- layouts ---------------------------------------------------------------------------------------
def _classic(w: Writer, other: dict | None) -> None:
    rb = bank("radiology")
    identity_first = w.chance(0.2)
    if identity_first:
        w.line(w.entry(rb["identity"]))
        w.add("\n")
    if w.chance(0.85):
        w.line(w.entry(rb["letterhead"]))
        w.add("\n")
    if not identity_first:
        w.line(w.entry(rb["identity"]))
    w.line(w.entry(rb["exam_meta"]))
    w.add("\n")
    w.line(w.entry(rb["title_line"]))
    w.add("\n")
    _body(w, other)
    _signature_and_copies(w)


def _letter(w: Writer, other: dict | None) -> None:
    rb = bank("radiology")
    w.line(w.entry(rb["letterhead"]))
    w.add("\n")
    w.line(w.entry(rb["letter_place"]))
    w.add("\n")
    if w.chance(0.6):
        w.line(w.entry(rb["letter_recipient"]))
        w.add("\n")
    w.line(w.entry(rb["letter_concerns"]))
    if w.chance(0.5):
        w.line(w.entry(rb["title_line"]))
    w.add("\n")
    doc = w.physician("prescriber")
    plural = w.chance(0.1)
    w.line("Chers Confrères," if plural else ("Chère Consœur," if doc.person.sex == "F" else "Cher Confrère,"))
    w.add("\n")
    w.line(w.entry(rb["letter_open"]))
    w.add("\n")
    _body(w, other)
    w.line(w.entry(rb["letter_close"]))
    if w.chance(0.5):
        w.add("\n")
    _signature_and_copies(w)


def _compact(w: Writer, other: dict | None) -> None:
    w.line(w.pick((
        "{title} du {date:exam} – {patient} ({date:birth}) – {ipp}",
        "{patient} °{numdate:birth} – {title} – {date:exam}",
        "{TITLE} ({numdate:exam})\n{patient} – {age} – dossier {ipp}",
        "{date:exam} – {title}\nPatient : {patient} ({age})",
    )))
    if w.chance(0.6):
        w.line("{Demandeur|Dem.|Prescripteur} : {dr:prescriber}")
    w.add("\n")
    _body(w, other, compact=True)
    w.line(w.pick(("{dr:author}", "{drname:author}", "{dr:author}, radiologue", "{drinitials:author}/{typist}")))
    if w.chance(0.5):
        w.line(w.entry(bank("radiology")["copies"]))


def _ehr(w: Writer, other: dict | None) -> None:
    rb = bank("radiology")
    w.line(w.pick(rb["ehr_banner"]))
    w.add("\n")
    rows = [
        "Patient : {patient}",
        "Date de naissance : {date:birth}" if w.chance(0.85) else "DDN : {dicomdate:birth}",
        "?60 Âge : {age}",
        "?60 Sexe : {sexe}",
        "N° patient : {ipp}",
        "?40 NISS : {niss}",
        "?40 Adresse : {address:patient}",
        "?30 Téléphone : {phone:patient}",
        "?10 E-mail : {email:patient}",
        "?55 N° d'examen : {accession}",
        "Date de l'examen : {numdate:exam} {time:exam}" if w.chance(0.8) else "Date de l'examen : {dicomdate:exam}",
        "Examen : {title}",
        "Prescripteur : {dr:prescriber}",
        "?40 Médecin traitant : {dr:gp}",
        "Radiologue : {dr:author}",
        "?40 Établissement : {inst}",
        "?30 Statut : {Validé|Définitif|Signé}",
    ]
    w.line("\n".join(rows))
    w.add(w.pick(("\n", "\n---\n", "\n====================\n")))
    _body(w, other)
    _signature_and_copies(w)


def _banner(w: Writer, other: dict | None) -> None:
    rb = bank("radiology")
    w.line("{staff}")
    w.line(w.pick(("{inst}\n{address:inst}", "{inst} – {postcity:inst}", "{INST}\nTél. {phone:inst} – {web}")))
    w.add("\n")
    w.line(w.entry(rb["letter_place"]) if w.chance(0.5) else "Date : {date:written}")
    w.add("\n")
    w.line(w.entry(rb["identity"]))
    w.line(w.entry(rb["exam_meta"]))
    w.add("\n")
    w.line(w.entry(rb["title_line"]))
    w.add("\n")
    _body(w, other)
    _signature_and_copies(w)


def write_radiology(w: Writer) -> None:
    """Write a radiology report into the writer."""
    other = None
    if w.plan.study is not None:
        _setup_study(w)
    else:
        other = _setup_other(w)
    register_fields(w)
    _register_radiology_fields(w, other)
    layout = w.weighted(LAYOUTS, LAYOUT_WEIGHTS)
    {"classic": _classic, "letter": _letter, "compact": _compact, "ehr": _ehr, "banner": _banner}[layout](w, other)

