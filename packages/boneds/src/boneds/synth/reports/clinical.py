"""The other EHR documents: consultation notes (urgences, orthopédie, rhumatologie, pédiatrie, médecine
du sport, médecine générale), operative reports and discharge letters.

These documents have no study (`plan.study is None`): each draws a clinical scenario (a fracture and
its treatment, an arthroplasty, osteoarthritis, a sprain, a painful joint) consistent within the
document, and writes it with as much PHI as real notes carry (names of the patient, relatives,
surgeons, anaesthetists, nurses; dates of injury, surgery, admission, discharge and follow-up;
schools, employers, nursing homes...).
"""

from __future__ import annotations

from datetime import timedelta

from ..anatomy import catalogue
from ..model import Findings, Fracture
from .bank import bank
from .findings import age_tags, limb, register_fields
from .writer import Writer

_CONSULT_SCENARIOS = {
    "urgentiste": (("fracture", "sprain", "pain"), (45, 35, 20)),
    "chirurgien orthopédiste": (("fracture", "arthrosis", "pain", "arthroplasty"), (40, 30, 10, 20)),
    "rhumatologue": (("arthrosis", "pain"), (55, 45)),
    "pédiatre": (("fracture", "sprain", "pain"), (55, 25, 20)),
    "médecin du sport": (("sprain", "pain", "fracture"), (45, 35, 20)),
    "médecin généraliste": (("fracture", "arthrosis", "sprain", "pain"), (25, 25, 25, 25)),
}
_NOT_OPERATED = {"ulna_styloid", "metatarsal2_shaft", "pubic_ramus", "iliac_wing", "phalanx_proximal3"}
_PAIN_PARTS = ("shoulder", "knee", "spine", "foot", "elbow", "hip", "wrist")
_SPRAIN_PARTS = ("ankle", "ankle", "ankle", "knee", "knee", "wrist")
_CONSULT_HEADINGS = {
    "motif": ["Motif de consultation", "Motif", "Motif de la consultation", "Plainte"],
    "anamnese": ["Anamnèse", "Histoire de la maladie", "Anamnèse", "Contexte"],
    "atcd": ["ATCD", "Antécédents", "Antécédents personnels", "ATCD médico-chirurgicaux"],
    "treatment": ["Traitement habituel", "Traitement", "Médication", "Médicaments"],
    "exam": ["Examen clinique", "Examen physique", "EC", "Status"],
    "imaging": ["Imagerie", "Examens complémentaires", "Mise au point", "RX"],
    "conclusion": ["Conclusion", "Diagnostic", "Impression", "Synthèse"],
    "attitude": ["Attitude", "Proposition", "Plan", "Conduite à tenir", "CAT", "Traitement proposé"],
    "followup": ["Suivi", "Rendez-vous", "Contrôle"],
    "history": ["Anamnèse", "Histoire", "Motif d'admission"],
    "exams": ["Examens complémentaires", "Mise au point", "Biologie et imagerie"],
    "course": ["Évolution", "Évolution dans le service", "Déroulement du séjour"],
    "discharge": ["Traitement de sortie", "Médication à la sortie", "Traitement à domicile"],
    "destination": ["Destination", "Devenir", "Sortie"],
    "diagnosis": ["Diagnostic", "Diagnostic pré-opératoire", "Indication"],
    "intervention": ["Intervention", "Intervention réalisée", "Geste"],
    "anesthesia": ["Anesthésie", "Type d'anesthésie"],
    "installation": ["Installation", "Position"],
    "description": ["Description", "Déroulement", "Technique opératoire", "Compte rendu"],
    "implants": ["Implants", "Matériel"],
    "closure": ["Fermeture"],
    "postop": ["Consignes post-opératoires", "Suites", "Prescriptions post-opératoires"],
}


# -- scenario --------------------------------------------------------------------------------------
def _setup(w: Writer) -> None:
    plan = w.plan
    kind = plan.kind
    author = plan.author
    w.exam_dt = plan.written
    w.institution = author.practice or w.memo("i:hospital", w.pop.hospital)
    years = w.age_on(plan.written.date())[0]
    child = years < 16
    if kind == "protocole opératoire":
        scenario = "fracture" if child or years < 45 or w.chance(0.55) else "arthroplasty"
    elif kind == "hospitalisation":
        scenario = "fracture" if child or years < 45 or w.chance(0.6) else "arthroplasty"
    else:
        names, weights = _CONSULT_SCENARIOS.get(author.specialty, (("fracture", "pain"), (60, 40)))
        scenario = w.weighted(names, weights)
        if child and scenario in ("arthrosis", "arthroplasty"):
            scenario = "fracture"
        if years < 45 and scenario in ("arthrosis", "arthroplasty"):
            scenario = "pain"
    parts = list(catalogue())
    if child:
        parts = ["wrist", "forearm", "elbow", "hand", "ankle", "foot", "knee", "wrist", "forearm"]
        if kind != "consultation":
            parts = ["wrist", "forearm", "elbow", "elbow", "ankle"]
    if scenario in ("arthrosis",):
        w.part = w.pick(("knee", "knee", "hip"))
    elif scenario == "arthroplasty":
        w.part = w.pick(("hip", "hip", "knee", "knee", "shoulder"))
    elif scenario == "sprain":
        w.part = w.pick(_SPRAIN_PARTS)
    elif scenario == "pain":
        w.part = w.pick(_PAIN_PARTS)
    elif years >= 70 and kind == "hospitalisation" and w.chance(0.7):
        w.part = "hip"
    else:
        w.part = w.pick(parts)
    info = w.part_info
    w.side = w.pick(("L", "R")) if info.laterality else ""
    fracture = None
    treat = ""
    if scenario == "fracture":
        growth = years < 16
        sites = [s for s in info.fracture_sites if growth or not s.child]
        if kind != "consultation":  # sites that are operated on
            sites = [s for s in sites if s.id not in _NOT_OPERATED] or sites
        w.site = sites[int(w.rng.integers(0, len(sites)))]
        w.displaced = w.chance(0.5 if kind != "consultation" else 0.35)
        fracture = Fracture(w.site.id, w.displaced)
        operated = kind != "consultation" or (not child and w.chance(0.35))
        treat = "os" if operated else "ortho"
    kl = w.pick((3, 4)) if scenario in ("arthrosis", "arthroplasty") else None
    w.findings = Findings(fracture=fracture, osteosynthesis=treat == "os", prosthesis=scenario == "arthroplasty",
                          kl_grade=kl, growth_plates_open=child)
    tags = {f"sc:{scenario}", w.part, "lat" if w.side else "nolat", w.person.sex, limb(w.part),
            {"consultation": "kind:consultation", "protocole opératoire": "kind:protocole",
             "hospitalisation": "kind:hospitalisation"}[kind],
            bank("clinical")["spec_tag"].get(author.specialty, "spec:other")}
    tags.add("child" if child else "adult")
    tags |= age_tags(years)
    if treat:
        tags.add(f"treat:{treat}")
    if fracture is not None:
        tags |= {"fracture", "displaced" if w.displaced else "nondisplaced", f"site:{w.site.id}"}
        if w.part == "spine":
            tags.add("vertebra")
    if kl is not None:
        tags |= {"kl", f"kl{kl}", "kl_pos"}
    w.tags = tags
    # Dates specific to the scenario.
    written = plan.written
    if "spec:urgences" in tags or scenario == "sprain" or (kind == "consultation" and treat == "" and scenario == "fracture"):
        injury = written - timedelta(days=w.between(0, 1), minutes=w.between(30, 600))
    else:
        injury = written - timedelta(days=w.between(10, 60), minutes=w.between(0, 600))
    w._memo["t:injury"] = injury
    w._memo["t:xray"] = injury + timedelta(minutes=w.between(40, 300))
    w._memo["t:op_end"] = written + timedelta(minutes=w.between(40, 160))


def _register_clinical_fields(w: Writer) -> None:
    cb = bank("clinical")
    scenario = next(t[3:] for t in w.tags if t.startswith("sc:"))
    specialty = w.plan.author.specialty

    def dept(_arg):
        if w.plan.kind == "hospitalisation":
            return w.memo("dept", lambda: w.pick(
                ("Service de gériatrie", "Service d'orthopédie-traumatologie") if "elderly" in w.tags
                else ("Service d'orthopédie-traumatologie", "Service de chirurgie orthopédique", "Traumatologie")))
        key = specialty if specialty != "pédiatre" or "child" in w.tags else "default"
        return w.memo("dept", lambda: w.pick(cb["dept"].get(key, cb["dept"]["default"])))

    def dept_short(_arg):
        text = dept(None)
        for prefix in ("Service d'", "Service de ", "Service des "):
            if text.startswith(prefix):
                return ("l'" if prefix.endswith("'") else "") + text[len(prefix):]
        return text.lower()

    def diag(_arg):
        if scenario == "fracture":
            if "vertebra" in w.tags:
                return w.render_plain(w.pick(("fracture-tassement {de_bone} {disp}", "fracture {de_bone}, {disp}")))
            return w.render_plain(w.pick(("fracture {disp} {de_bone} {bone_side}", "fracture {de_bone} {bone_side}, {disp}",
                                          "fracture {disp} {de_bone} {bone_side}")))
        if scenario in ("arthrosis", "arthroplasty"):
            return w.render_plain("{arthrose_low} {side_f}")
        if scenario == "sprain":
            return w.render_plain(w.pick(("entorse {du_part}", "entorse {du_part} de gravité moyenne")))
        return w.render_plain("douleurs {du_part}")

    def treatment_text(_arg):
        if "treat:os" in w.tags:
            return w.render_plain(w.pick(("chirurgicalement ({material})", "par ostéosynthèse")))
        return w.pick(("orthopédiquement", "par plâtre", "par attelle", "par immobilisation plâtrée"))

    def motif_short(_arg):
        if scenario == "fracture":
            return "une " + diag(None)
        if scenario == "arthroplasty":
            return w.render_plain("une {arthrose_low} {side_f}, traitée par {prosthesis_abbr}")
        if scenario == "arthrosis":
            return "une " + diag(None)
        if scenario == "sprain":
            return "une " + diag(None)
        return "des " + diag(None)

    def intervention(_arg):
        if scenario == "fracture":
            if "vertebra" in w.tags:
                return w.render_plain("ostéosynthèse {de_bone} par {material}")
            return w.memo("intervention", lambda: w.render_plain(w.pick((
                "ostéosynthèse {de_bone} {bone_side} par {material}",
                "réduction et ostéosynthèse par {material} {de_bone} {bone_side}"))))
        return w.memo("intervention", lambda: w.render_plain(w.pick((
            "arthroplastie totale {du_part} ({prosthesis_abbr})", "mise en place d'une {prosthesis} {side_f}",
            "{prosthesis_abbr} {side_f}"))))

    def intervention_planned(_arg):
        return w.render_plain(w.pick(("{prosthesis_abbr} {side_f}", "arthroplastie totale {du_part}")))

    w.fields.update({"dept": dept, "dept_short": dept_short, "diag": diag, "treatment_text": treatment_text,
                     "motif_short": motif_short, "intervention": intervention,
                     "intervention_planned": intervention_planned})


# -- pieces ----------------------------------------------------------------------------------------
def _letterhead(w: Writer) -> None:
    if "spec:mg" in w.tags:
        w.line(w.pick((
            "{inst}\n{drfull:author} – Médecine générale\n{address:inst}\nTél. {phone:author}\n?50 {email:author}",
            "{drfull:author}\nMédecin généraliste – INAMI {inami:author}\n{street:inst}\n{postcity:inst}\n{phone:author}",
            "{inst} – {dr:author}\n{address:inst} – {phone:inst}",
        )))
        return
    w.line(w.pick((
        "{inst}\n{dept}\n{address:inst}\nTél. : {phone:inst}\n?40 {web}",
        "{INST} – {dept}\n{street:inst}, {postcity:inst}\nSecrétariat : {phone:secretariat}",
        "{dept}\n{inst}\n{postcity:inst}",
        "{drfull:author}\n{^specialty:author}\n?60 INAMI {inami:author}\n{inst}\n{address:inst}\nTél. {phone:author} – {email:author}",
        "{inst} | {dept} | {street:inst} | {postcity:inst}\n?50 Secrétariat : {phone:secretariat} – {email:inst}",
    )))


def _recipient(w: Writer) -> None:
    w.line(w.pick((
        "{drfull:gp}\n{inst:gp_practice}\n{street:dr:gp}\n{postcity:dr:gp}",
        "À l'attention du {dr:gp}\n{address:dr:gp}",
        "{drfull:gp}\n{address:dr:gp}",
    )))


def _section(w: Writer, key: str, style: str, body, bullets: bool = False) -> None:
    w.memo_set("heading_nl", w.heading(_CONSULT_HEADINGS, key, style, list_follows=bullets))
    body()
    w.add("\n" if style == "colon_inline" or w.chance(0.5) else "\n\n")


def _items(w: Writer, entries: list, lo: int, hi: int, bullets: bool, joiner: str = " ") -> None:
    """Several distinct entries: as "- " bullet lines, or joined on one line."""
    chosen: list[str] = []
    for _ in range(w.between(lo, hi)):
        item = w.entry(entries)
        if item and item not in chosen:
            chosen.append(item)
    if not chosen:
        chosen = [w.entry(entries)]
    for i, item in enumerate(chosen):
        if bullets:
            w.add("- " if i == 0 and w._memo.get("heading_nl", True) else "\n- ")
        elif i:
            w.add(joiner)
        w.render(item)


def _closing_block(w: Writer, letter: bool) -> None:
    cb = bank("clinical")
    if letter:
        w.line(w.entry(cb["closing"]))
        w.add("\n")
    w.line(w.entry(cb["signature"]))
    if w.chance(0.8):
        w.add("\n")
        w.line(w.entry(cb["copies"]))


# -- documents -------------------------------------------------------------------------------------
def _consultation(w: Writer) -> None:
    cb = bank("clinical")
    style = w.heading_style()
    bullets = w.chance(0.6)
    _letterhead(w)
    w.add("\n")
    letter = w.chance(0.55)
    if letter and w.chance(0.6):
        w.line("{city:inst}, le {date:written}")
        w.add("\n")
        _recipient(w)
        w.add("\n")
    w.line(w.entry(cb["consult_title"]))
    w.line(w.entry(cb["identity"]))
    w.add("\n")
    if letter:
        gp = w.physician("gp")
        w.line("Chère Consœur," if gp.person.sex == "F" and w.chance(0.7) else w.pick(cb["letter_open_gp"][::2]))
        w.add("\n")
        w.line(w.entry(cb["consult_open"]))
        w.add("\n")
    _section(w, "motif", style, lambda: w.render(w.entry(cb["motif"])))
    _section(w, "anamnese", style, lambda: _items(w, cb["anamnese"], 1, 3, False))
    if w.chance(0.7):
        _section(w, "atcd", style, lambda: _items(w, cb["atcd_child"] if "child" in w.tags else cb["atcd"], 1, 4, bullets, ", "), bullets)
    if "child" not in w.tags and w.chance(0.5):
        _section(w, "treatment", style, lambda: _items(w, cb["treatment_items"], 1, 4, bullets, ", "), bullets)
    def exam() -> None:
        w.render(w.entry(cb["exam_general"]))
        w.add(" ")
        _items(w, cb["exam_clinique"], 1, 2, False)

    _section(w, "exam", style, exam)
    imaging = w.entry(cb["imaging"])
    if imaging:
        def imaging_body() -> None:
            w.render(imaging)
            if "sc:fracture" in w.tags and w.chance(0.6):
                w.add(" ")
                w.render(w.entry(bank("findings")["eponym"]))

        _section(w, "imaging", style, imaging_body)
    _section(w, "conclusion", style, lambda: w.render(w.entry(cb["conclusion"])))
    _section(w, "attitude", style, lambda: _items(w, cb["attitude"], 1, 3, bullets), bullets)
    if w.chance(0.7):
        _section(w, "followup", style, lambda: w.render(w.entry(cb["followup"])))
    _closing_block(w, letter)


def _operative(w: Writer) -> None:
    cb = bank("clinical")
    style = w.heading_style()
    _letterhead(w)
    w.add("\n")
    w.line(w.entry(cb["op_title"]))
    w.add("\n")
    w.line(w.entry(cb["identity"]))
    if w.chance(0.5):
        w.line(w.pick(("N° séjour : {sejour}", "Séjour {sejour} – chambre {n:101-450}", "Admission : {numdate:written}")))
    w.add("\n")
    w.line(w.entry(cb["op_header"]))
    w.add("\n")
    _section(w, "anesthesia", style, lambda: w.render(w.entry(cb["op_anesthesia"])))
    _section(w, "diagnosis", style, lambda: w.render(w.entry(cb["op_diagnosis"])))
    _section(w, "intervention", style, lambda: w.render(w.entry(cb["op_intervention"])))
    _section(w, "installation", style, lambda: w.render(w.entry(cb["op_installation"])))
    def description() -> None:
        w.render(w.entry(cb["op_description_main"]))
        w.add(" ")
        _items(w, cb["op_description_extra"], 1, 3, False)

    _section(w, "description", style, description)
    implants = w.entry(cb["op_implants"])
    if implants:
        w.render(implants)
        w.add("\n\n")
    _section(w, "closure", style, lambda: w.render(w.entry(cb["op_closure"])))
    _section(w, "postop", style, lambda: _items(w, cb["op_postop"], 2, 5, True), True)
    _closing_block(w, False)


def _discharge(w: Writer) -> None:
    cb = bank("clinical")
    style = w.heading_style()
    bullets = w.chance(0.6)
    _letterhead(w)
    w.add("\n")
    if w.chance(0.6):
        w.line("{city:inst}, le {date:written}")
        w.add("\n")
    if w.chance(0.6):
        _recipient(w)
        w.add("\n")
    w.line(w.entry(cb["hosp_title"]))
    w.line(w.entry(cb["identity"]))
    w.line(w.entry(cb["hosp_stay"]))
    w.add("\n")
    gp = w.physician("gp")
    w.line("Chère Consœur," if gp.person.sex == "F" and w.chance(0.7) else w.pick(cb["letter_open_gp"][::2]))
    w.add("\n")
    w.line(w.entry(cb["hosp_open"]))
    w.add("\n")
    history = w.entry(cb["hosp_history"])
    if history:
        _section(w, "history", style, lambda: w.render(history))
    _section(w, "atcd", style, lambda: _items(w, cb["atcd_child"] if "child" in w.tags else cb["atcd"], 2, 5, bullets, ", "), bullets)
    _section(w, "exams", style, lambda: _items(w, cb["hosp_exams"], 1, 3, bullets), bullets)
    def course() -> None:
        w.render(w.entry(cb["hosp_course_main"]))
        w.add(" ")
        _items(w, cb["hosp_course"], 1, 3, False)

    _section(w, "course", style, course)
    _section(w, "discharge", style, lambda: _items(
        w, cb["treatment_child"] if "child" in w.tags else cb["treatment_items"], 2, 4, bullets, ", "), bullets)
    _section(w, "destination", style, lambda: w.render(w.entry(cb["hosp_discharge"])))
    _section(w, "followup", style, lambda: _items(w, cb["hosp_followup"], 1, 3, bullets), bullets)
    _closing_block(w, True)


def write_clinical(w: Writer) -> None:
    """Write a consultation note, an operative report or a discharge letter into the writer."""
    _setup(w)
    register_fields(w)
    _register_clinical_fields(w)
    kind = w.plan.kind
    if kind == "consultation":
        _consultation(w)
    elif kind == "protocole opératoire":
        _operative(w)
    else:
        _discharge(w)
