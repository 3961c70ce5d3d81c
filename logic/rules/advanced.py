"""§1.G–§1.J: metastatic, recurrent or otherwise advanced disease.

When the disease is advanced (metastatic, recurrent, R2 after resection, or unresectable with a
genotype that gets no neoadjuvant imatinib): first line by genotype (G1–G6, G16 for recurrence);
on treatment, continue while responding (with elective metastasectomy H1 and liver-directed
options J1/J2), and on progression or intolerance the next line (G7–G15) with surgery decided by
the pattern of progression (H2 focal, H3 multifocal). H4: TKI first, not upfront surgery.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

from logic.case import (
    DiseaseState,
    Drug,
    Genotype,
    GistCase,
    MetastaticSite,
    Resectability,
    ResponseStatus,
    StopReason,
    TherapySetting,
    TkiCourse,
)
from logic.facts import (
    GENOTYPE_TEXT,
    IMATINIB_400_SENSITIVE,
    Pathway,
    courses_in,
    genotype,
    has_metastatic_disease,
    is_live,
    months_on,
    pathway,
    reference_date,
    resectability,
    response_applies_to,
)
from logic.knowledge import evidence as ev
from logic.knowledge import regimens as rx
from logic.recommendation import Category, FactUsed, MissingData, Recommendation, Regimen
from logic.rule import Plan, Rule
from logic.rules.common import (
    background_rule,
    card_rule,
    courses_used,
    emit,
    facts_used,
    metastases_used,
    missing,
    per_case,
)
from logic.rules.sequencing import (
    Step,
    first_step,
    line_count,
    next_step,
)

#: Progressing lesions that still count as focal/limited progression (MSKCC: exactly one; the
#: knowledge base allows 2–3 as a configurable choice) [S3][S6][S1].
LIMITED_MAX_LESIONS = 1

CITES: dict[str, tuple[str, ...]] = {
    "G1": ("S6", "S5"),
    "G2": ("S6", "S25"),
    "G3": ("S6",),
    "G4": ("S13a", "S25", "S6c"),
    "G5": ("S13a", "S25"),
    "G6": ("S6", "S6c"),
    "G7": ("S6", "S5"),
    "G8": ("S6", "S5"),
    "G9": ("S6",),
    "G10": ("S6",),
    "G11": ("S6", "S24"),
    "G12": ("S5", "S6", "S23", "S24b"),
    "G13": ("S6",),
    "G14": ("S13a",),
    "G15": ("S6",),
    "G16": ("S5", "S6"),
    "G17": ("S6",),
    "G18": ("S6", "S5"),
    "G19": ("S5", "S6"),
    "H1": ("S3", "S1", "S6"),
    "H2": ("S3", "S1", "S6", "S13b"),
    "H3": ("S3", "S1", "S6"),
    "H4": ("S1", "S5", "S6"),
    "H6": ("S6", "S2"),
    "H7": ("S6", "S13b"),
    "J1": ("S5", "S6"),
    "J2": ("S5", "S4"),
    "J3": ("S4",),
    "J4": ("S26",),
    "J5": ("S6", "S4"),
}

ABDOMINAL = frozenset({MetastaticSite.LIVER, MetastaticSite.PERITONEUM})
KIT_STANDARD = frozenset({Drug.IMATINIB, Drug.SUNITINIB, Drug.REGORAFENIB})


def _category_for_line(line: int) -> Category:
    return Category.FIRST_LINE_TKI if line == 1 else Category.NEXT_LINE_TKI


def _base_facts(case: GistCase) -> tuple[FactUsed, ...]:
    return (
        *facts_used(case, "disease_state", "genotype", "response", "resectability"),
        *metastases_used(case.metastases),
    )


def _gt_text(gt: Genotype | None) -> str:
    return GENOTYPE_TEXT[gt] if gt else "genotype unknown"


# --- plan ---------------------------------------------------------------------------------------


@per_case
def plan(case: GistCase) -> Plan:
    if pathway(case) is not Pathway.ADVANCED:
        return Plan()
    gt = genotype(case)
    courses = case.advanced_courses
    cards: list[Recommendation] = list(_genotype_testing(case, gt))
    blocked: list[MissingData] = []
    early = [c for c in case.tki_history if is_live(c) and c.setting is not TherapySetting.ADVANCED]
    if not courses and early:
        # G18: advanced disease while a neoadjuvant/adjuvant course still runs is progression
        # on it; never propose starting the drug the patient takes.
        last = early[-1]
        origin = last.setting if last.drug is Drug.IMATINIB else None
        cards += _progressing(case, gt, (last,), StopReason.PROGRESSION, origin=origin)
    elif not courses:
        cards += _first_line(case, gt)
    else:
        more, gaps = _on_treatment(case, gt, courses)
        cards += more
        blocked += gaps
    return Plan(tuple(cards), tuple(blocked))


def _genotype_testing(case: GistCase, gt: Genotype | None) -> list[Recommendation]:
    if gt is None:
        return [
            emit(
                "G1",
                CITES["G1"],
                Category.MUTATION_TESTING,
                "Order KIT/PDGFRA mutation testing: genotype decides the drug and dose",
                "The genotype changes the systemic therapy: KIT exon 9 needs imatinib 800 mg, "
                "PDGFRA D842V needs avapritinib, SDH-deficient/NF1 GIST do not respond to "
                "imatinib. Imatinib may start empirically while the result is awaited.",
                missing=(
                    missing(case, "genotype", "chooses the drug and dose of every line (G1–G6)"),
                ),
            )
        ]
    if gt is Genotype.WILD_TYPE:
        cards = [
            emit(
                "G19",
                CITES["G19"],
                Category.MUTATION_TESTING,
                "KIT/PDGFRA wild type: SDHB IHC, NF1 assessment, BRAF V600E and NTRK testing",
                "No KIT or PDGFRA mutation was found, so imatinib is unlikely to help. The "
                "first-line choice waits for the work-up: SDHB immunohistochemistry (germline "
                "SDH testing if SDHB is lost), clinical assessment for neurofibromatosis type 1, "
                "BRAF V600E and NTRK fusion testing. SDH-deficient or NF1 → G6; NTRK fusion → "
                "G4; BRAF V600E → G5.",
                facts=facts_used(case, "genotype"),
                missing=(
                    MissingData(
                        "genotype",
                        "KIT and PDGFRA wild type; SDH, NF1, BRAF and NTRK status not recorded",
                        "chooses the first-line drug (G4–G6) or a clinical trial",
                    ),
                ),
            )
        ]
        if not case.advanced_courses:
            cards.append(_trial(case, "KIT/PDGFRA wild type while the work-up is done"))
        return cards
    return []


def _first_line(case: GistCase, gt: Genotype | None) -> list[Recommendation]:
    cards: list[Recommendation] = []
    recurrent = case.disease_state.is_known and case.disease_state.value is DiseaseState.RECURRENT
    facts = _base_facts(case)
    step = first_step(gt)
    imatinib_first = gt is None or gt in IMATINIB_400_SENSITIVE or gt is Genotype.KIT_EXON_9
    if recurrent and imatinib_first:
        cards.append(_recurrence(case, gt))
    elif step is not None:
        cards.append(
            emit(
                step.rule_id,
                CITES[step.rule_id],
                Category.FIRST_LINE_TKI,
                f"First line: {step.what} — advanced GIST, {_gt_text(gt)}",
                step.rationale,
                regimens=step.regimens,
                line=1,
                facts=facts,
                numbers=step.numbers,
                notes=step.notes,
                missing=(
                    (missing(case, "genotype", "exon 9 → 800 mg; D842V → avapritinib"),)
                    if gt is None
                    else ()
                ),
            )
        )
    if gt in (Genotype.SDH_DEFICIENT, Genotype.NF1):
        cards.append(_trial(case, f"{_gt_text(gt)} GIST: no effective standard drug"))
    if has_metastatic_disease(case) and resectability(case) is Resectability.RESECTABLE:
        cards.append(
            emit(
                "H4",
                CITES["H4"],
                Category.SURGERY_NOT_INDICATED,
                "Start TKI before any metastasectomy; reassess for surgery once responding (H1)",
                "Metastatic disease judged completely resectable: the Chinese excerpt allows "
                "surgery combined with drug therapy, but PDQ and ACS make the TKI the standard "
                "first step, with surgery considered later for responding disease.",
                facts=facts,
                notes=("DESIGN (knowledge base): first-line TKI first, then re-evaluate for H1.",),
            )
        )
    return cards


def _recurrence(case: GistCase, gt: Genotype | None) -> Recommendation:
    adjuvant = [c for c in courses_in(case, TherapySetting.ADJUVANT) if c.drug is Drug.IMATINIB]
    failed = [c for c in adjuvant if is_live(c) or c.stop_reason is StopReason.PROGRESSION]
    if failed:
        return _progressing(
            case, gt, (failed[-1],), StopReason.PROGRESSION, origin=TherapySetting.ADJUVANT
        )[0]
    notes = [
        "Local treatment suits a well-defined limited recurrence; radiotherapy can palliate "
        "symptoms such as bone pain.",
    ]
    regimens: tuple[Regimen, ...]
    if gt is Genotype.KIT_EXON_9:
        regimens, what = (rx.IMATINIB_800,), "imatinib 800 mg daily"
    else:
        regimens, what = (rx.IMATINIB_400,), "imatinib 400 mg daily"
    verb = "Restart" if adjuvant else "Start"
    return emit(
        "G16",
        CITES["G16"],
        Category.FIRST_LINE_TKI,
        f"{verb} {what} — recurrent GIST, treat as metastatic",
        "Recurrence after resection is treated like metastatic disease: imatinib first "
        "(restarted if stopped), then dose escalation, sunitinib, regorafenib and ripretinib.",
        regimens=regimens,
        line=1,
        facts=(*_base_facts(case), *courses_used(adjuvant)),
        numbers=(ev.IMATINIB_ADVANCED,),
        notes=notes,
        missing=(
            (missing(case, "genotype", "exon 9 → 800 mg; D842V → avapritinib"),)
            if gt is None
            else ()
        ),
    )


def _on_treatment(
    case: GistCase, gt: Genotype | None, courses: tuple[TkiCourse, ...]
) -> tuple[list[Recommendation], list[MissingData]]:
    last = courses[-1]
    if last.started_as is not None and last.drug is Drug.IMATINIB:
        # G18: metastasis/recurrence first recorded on adjuvant/neoadjuvant imatinib.
        return _progressing(case, gt, courses, StopReason.PROGRESSION, origin=last.started_as), []
    if is_live(last):
        if _avapritinib_too_early(gt, courses):
            return [_g13(case, gt, courses)], []
        status = response_applies_to(case, last)
        if status in (ResponseStatus.IMPROVED, ResponseStatus.STABLE):
            return _responding(case, gt, courses), []
        if status is ResponseStatus.WORSENED:
            return _progressing(case, gt, courses, StopReason.PROGRESSION), []
        reason = (
            "latest assessment undetermined or made before the current line started"
            if case.response.is_known
            else None
        )
        gap = missing(
            case,
            "response",
            "progression → next line; response → continue (and consider surgery)",
            reason,
        )
        return [_continue(case, gt, courses, gaps=(gap,))], [gap]
    if last.stop_reason in (StopReason.PROGRESSION, StopReason.INTOLERANCE):
        return _progressing(case, gt, courses, last.stop_reason), []
    gap = MissingData(
        "tkiHistory",
        f"{last.drug.value} stopped without a recorded reason",
        "progression → next line; intolerance → switch drug; otherwise restart",
    )
    return [], [gap]


def _avapritinib_too_early(gt: Genotype | None, courses: Sequence[TkiCourse]) -> bool:
    if courses[-1].drug is not Drug.AVAPRITINIB or gt is None or gt is Genotype.PDGFRA_D842V:
        return False
    return not {c.drug for c in courses[:-1]} >= KIT_STANDARD


def _g13(case: GistCase, gt: Genotype | None, courses: Sequence[TkiCourse]) -> Recommendation:
    prior = [c for c in courses if c.drug is not Drug.AVAPRITINIB]
    step = next_step(gt, prior, StopReason.PROGRESSION) if prior else first_step(gt)
    regimens = step.regimens if step is not None else ()
    return emit(
        "G13",
        CITES["G13"],
        Category.NEXT_LINE_TKI,
        "Review avapritinib: not before imatinib, sunitinib and regorafenib in non-D842V GIST",
        "In disease without PDGFRA D842V, avapritinib is not used before imatinib, sunitinib and "
        "regorafenib: in VOYAGER it did worse than regorafenib. "
        + (f"The standard sequence suggests {step.what}." if step is not None else ""),
        regimens=regimens,
        line=line_count(courses),
        facts=(*facts_used(case, "genotype"), *courses_used(courses)),
        numbers=(ev.VOYAGER,),
    )


def _continue_rule(gt: Genotype | None, course: TkiCourse) -> str:
    drug, dose = course.drug, course.daily_dose_mg or 0
    if drug is Drug.IMATINIB:
        if dose >= 800:
            return "G2" if gt is Genotype.KIT_EXON_9 else "G7"
        return "G1"
    by_drug = {
        Drug.SUNITINIB: "G9",
        Drug.REGORAFENIB: "G10",
        Drug.RIPRETINIB: "G14" if gt is Genotype.PDGFRA_D842V else "G11",
        Drug.AVAPRITINIB: "G3" if gt is Genotype.PDGFRA_D842V else "G13",
        Drug.DASATINIB: "G14" if gt is Genotype.PDGFRA_D842V else "G12",
        Drug.LAROTRECTINIB: "G4",
        Drug.ENTRECTINIB: "G4",
        Drug.DABRAFENIB: "G5",
        Drug.TRAMETINIB: "G5",
    }
    return by_drug.get(drug, "G12")


def regimen_of(course: TkiCourse) -> tuple[Regimen, ...]:
    """The §3 regimen matching a course's drug and daily dose, else the course as prescribed."""
    for regimen in rx.ALL_REGIMENS:
        if regimen.drug == course.drug.value and regimen.dose_mg_per_day == course.daily_dose_mg:
            return (regimen,)
    if course.daily_dose_mg is None:
        return ()
    dose = course.daily_dose_mg
    name = course.drug.value
    return (Regimen(name, dose, "as prescribed", f"{name.capitalize()} {dose:g} mg/day"),)


def _continue(
    case: GistCase,
    gt: Genotype | None,
    courses: tuple[TkiCourse, ...],
    gaps: tuple[MissingData, ...] = (),
) -> Recommendation:
    last = courses[-1]
    line = line_count(courses)
    dose = f" {last.daily_dose_mg:g} mg/day" if last.daily_dose_mg else ""
    state = "responding" if not gaps else "response not assessed"
    rule_id = _continue_rule(gt, last)
    return emit(
        rule_id,
        CITES[rule_id],
        Category.CONTINUE_CURRENT_THERAPY,
        f"Continue {last.drug.value}{dose} (line {line}) — {state}",
        "Advanced-disease TKI therapy continues until progression or unacceptable toxicity. "
        "Early on imatinib, lesions may look larger from haemorrhage or myxoid change while "
        "responding: judge by density (Choi), not size alone.",
        regimens=regimen_of(last),
        line=line,
        facts=(*_base_facts(case), *courses_used(courses)),
        numbers=(ev.IMATINIB_ADVANCED,) if last.drug is Drug.IMATINIB else (),
        missing=gaps,
    )


def _responding(
    case: GistCase, gt: Genotype | None, courses: tuple[TkiCourse, ...]
) -> list[Recommendation]:
    cards = [_continue(case, gt, courses)]
    if not has_metastatic_disease(case):
        return cards
    res = resectability(case)
    facts = (*_base_facts(case), *courses_used(courses))
    if res is Resectability.RESECTABLE:
        months = months_on(courses[-1], reference_date(case))
        timing = (
            f"{months:.0f} months on the current TKI. " if months is not None else ""
        ) + "Most experts operate after 6–12 months of stable disease and before about 2 years."
        cards.append(
            emit(
                "H1",
                CITES["H1"],
                Category.METASTASECTOMY,
                "Consider elective resection of all lesions after MDT; continue TKI afterwards",
                "Disease responding or stable on TKI with every lesion judged completely "
                f"resectable: elective surgery can be considered. {timing} Confirm that the "
                "surgical risk is acceptable.",
                facts=facts,
                numbers=(ev.MSKCC_RESPONSIVE, ev.RAUT_STABLE),
            )
        )
    sites = {m.site for m in case.metastases}
    if (
        MetastaticSite.LIVER in sites
        and sites <= ABDOMINAL
        and res is not Resectability.UNRESECTABLE
    ):
        cards.append(
            emit(
                "J1",
                CITES["J1"],
                Category.LIVER_DIRECTED_THERAPY,
                "MDT: resection of primary and liver metastases may be advised alongside TKI",
                "Metastases are limited to one or two abdominal sites including the liver and "
                "respond to TKI. Discuss the goal (cure, control or symptoms) at the MDT.",
                facts=facts,
                numbers=(ev.NCT06038552, ev.NCT06038552_NED),
                missing=(
                    (missing(case, "resectability", "unresectable → ablation or TACE (J2)"),)
                    if res is None
                    else ()
                ),
            )
        )
    if sites == {MetastaticSite.LIVER} and res is Resectability.UNRESECTABLE:
        cards.append(
            emit(
                "J2",
                CITES["J2"],
                Category.LIVER_DIRECTED_THERAPY,
                "Liver-only metastases not resectable: consider ablation (RFA) or TACE with TKI",
                "For liver-only disease that cannot be resected, ablation such as radiofrequency "
                "ablation or embolisation such as TACE are options, alongside the TKI.",
                facts=facts,
                numbers=(ev.NCT06038552, ev.YANG_ABLATION),
            )
        )
    return cards


def _progressing(
    case: GistCase,
    gt: Genotype | None,
    courses: tuple[TkiCourse, ...],
    trigger: StopReason,
    origin: TherapySetting | None = None,
) -> list[Recommendation]:
    step = next_step(gt, courses, trigger)
    line = line_count(courses) + 1
    facts = (*_base_facts(case), *courses_used(courses))
    cards: list[Recommendation] = []
    notes: list[str] = list(step.notes)
    gaps: list[MissingData] = list(step.missing)
    if trigger is StopReason.PROGRESSION and has_metastatic_disease(case):
        value = case.response.value if case.response.is_known else None
        lesions = value.progressing_lesions if value is not None else None
        if lesions is not None and lesions <= LIMITED_MAX_LESIONS:
            notes.append(
                "Focal progression: continuing the current TKI with local treatment of the "
                "progressing lesion is an alternative to switching (H2)."
            )
            if resectability(case) is not Resectability.UNRESECTABLE:
                cards.append(_h2(case, facts))
        elif lesions is not None:
            cards.append(_h3(case, facts, lesions))
        else:
            gaps.append(
                MissingData(
                    "progressingLesions",
                    "number of progressing lesions not recorded",
                    "one lesion → local treatment may be an option (H2); more → no surgery (H3)",
                )
            )
    if origin is not None:
        cards.insert(0, _g18(case, step, line, facts, origin, notes, gaps))
    else:
        cards.insert(0, _step_card(case, step, line, facts, trigger, notes, gaps))
    if step.exhausted and step.rule_id != "G15":
        cards.append(_trial(case, "standard TKI lines exhausted"))
    return cards


def _step_card(
    case: GistCase,
    step: Step,
    line: int,
    facts: tuple[FactUsed, ...],
    trigger: StopReason,
    notes: list[str],
    gaps: list[MissingData],
) -> Recommendation:
    why = "progression" if trigger is StopReason.PROGRESSION else "intolerance"
    if step.rule_id == "G15":
        return _trial(case, f"{why} after the standard lines for this genotype", gaps=gaps)
    return emit(
        step.rule_id,
        CITES[step.rule_id],
        _category_for_line(line),
        f"Line {line} after {why}: {step.what}",
        step.rationale,
        regimens=step.regimens,
        line=line,
        facts=facts,
        numbers=step.numbers,
        notes=notes,
        missing=gaps,
    )


def _g18(
    case: GistCase,
    step: Step,
    line: int,
    facts: tuple[FactUsed, ...],
    origin: TherapySetting,
    notes: list[str],
    gaps: list[MissingData],
) -> Recommendation:
    """Recurrence or metastasis first recorded while adjuvant/neoadjuvant imatinib ran: it is
    progression on imatinib, so the next step of G7 (or sunitinib after 800 mg), as line 2."""
    return emit(
        "G18",
        CITES["G18"],
        _category_for_line(line),
        f"Line {line}: {step.what} — disease progressed on {origin.value} imatinib",
        f"Metastasis or recurrence appeared while {origin.value} imatinib was being taken (or it "
        "was stopped for progression): this is progression on imatinib, which counts as line "
        f"1. {step.rationale}",
        regimens=step.regimens,
        line=line,
        facts=facts,
        numbers=step.numbers,
        notes=notes,
        missing=gaps,
    )


def _h2(case: GistCase, facts: tuple[FactUsed, ...]) -> Recommendation:
    res = resectability(case)
    return emit(
        "H2",
        CITES["H2"],
        Category.METASTASECTOMY,
        "Focal progression: consider resection or ablation of the progressing lesion (MDT)",
        "Only one lesion is progressing while the rest is controlled. In selected patients in "
        "good condition, resect the progressing lesion (and as much disease as feasible) or "
        "ablate it, with the TKI continued or adjusted.",
        facts=facts,
        numbers=(ev.MSKCC_FOCAL, ev.RAUT_LIMITED),
        missing=(
            (missing(case, "resectability", "unresectable → no surgery for this lesion"),)
            if res is None
            else ()
        ),
    )


def _h3(case: GistCase, facts: tuple[FactUsed, ...], lesions: int) -> Recommendation:
    return emit(
        "H3",
        CITES["H3"],
        Category.SURGERY_NOT_INDICATED,
        f"Multifocal progression ({lesions} lesions): surgery not indicated — change systemic line",
        "Surgery does not help multifocal or generalised progression; move to the next TKI line "
        "or a clinical trial. Palliative surgery only if tolerable and expected to improve "
        "quality of life, or for an emergency.",
        facts=facts,
        numbers=(ev.MSKCC_MULTIFOCAL, ev.RAUT_GENERALISED),
        notes=(
            "The Chinese excerpt's sentence recommending surgery here is a translation error; "
            "encoded as not recommended.",
        ),
    )


def _trial(case: GistCase, reason: str, gaps: Sequence[MissingData] = ()) -> Recommendation:
    return emit(
        "G15",
        CITES["G15"],
        Category.CLINICAL_TRIAL,
        f"Refer for a clinical trial or to a specialised centre — {reason}",
        "When the standard lines are exhausted, or for SDH-deficient and NF1-related GIST, "
        "refer to a clinical trial or a specialised sarcoma centre.",
        facts=(*facts_used(case, "genotype"), *courses_used(case.advanced_courses)),
        missing=gaps,
    )


# --- rules --------------------------------------------------------------------------------------


_rule = functools.partial(card_rule, plan, CITES)


_background = functools.partial(background_rule, plan, CITES)


FIRST, NEXT, CONT = (
    Category.FIRST_LINE_TKI,
    Category.NEXT_LINE_TKI,
    Category.CONTINUE_CURRENT_THERAPY,
)
_TKI_CARDS = (
    *("G1", "G2", "G3", "G4", "G5", "G6", "G7", "G8", "G9", "G10", "G11", "G12", "G14"),
    "G18",
)

RULES: tuple[Rule, ...] = (
    _rule(
        "G1",
        "1.G",
        "First line: imatinib 400 mg (sensitive or pending genotype)",
        "Imatinib 400 mg daily for KIT exon 11, other KIT or PDGFRA non-D842V disease, or while "
        "the genotype is awaited; continue until progression or unacceptable toxicity. Order "
        "mutation testing when the genotype is unknown (or subtyping for wild type).",
        ("advanced disease, no TKI line yet", "genotype sensitive or unknown"),
        (FIRST, NEXT, CONT, Category.MUTATION_TESTING),
        numbers=(ev.IMATINIB_ADVANCED,),
        design_note=(
            "Genotype unknown → provisional imatinib 400 + mutation-testing card. Wild type not "
            "further classified → subtyping card (SDH/NTRK/BRAF) and no drug (KB gives none)."
        ),
        reads=(
            "disease_state",
            "resection",
            "resectability",
            "tumour_size",
            "genotype",
            "metastases",
            "tki_history",
            "response",
        ),
    ),
    _rule(
        "G2",
        "1.G",
        "First line: imatinib 800 mg for KIT exon 9",
        "KIT exon 9: imatinib 800 mg daily (400 mg twice daily).",
        ("advanced disease, no TKI line yet", "KIT exon 9"),
        (FIRST, CONT),
        reads=(
            "disease_state",
            "resectability",
            "genotype",
            "metastases",
            "tki_history",
            "response",
        ),
    ),
    _rule(
        "G3",
        "1.G",
        "First line: avapritinib for PDGFRA D842V",
        "PDGFRA exon 18 D842V: avapritinib 300 mg daily; observation is reasonable if the "
        "disease is asymptomatic and indolent.",
        ("advanced disease", "PDGFRA D842V", "avapritinib not yet given"),
        (FIRST, NEXT, CONT),
        numbers=(ev.NAVIGATOR,),
        reads=(
            "disease_state",
            "resectability",
            "genotype",
            "metastases",
            "tki_history",
            "response",
        ),
    ),
    _rule(
        "G4",
        "1.G",
        "NTRK fusion: TRK inhibitor",
        "NTRK fusion: larotrectinib 100 mg twice daily or entrectinib 600 mg daily (repotrectinib "
        "also listed); ask for pathology review (some are not GIST). SECONDARY.",
        ("advanced disease", "NTRK fusion"),
        (FIRST, NEXT, CONT),
        reads=(
            "disease_state",
            "resectability",
            "genotype",
            "metastases",
            "tki_history",
            "response",
        ),
        design_note=(
            "NTRK options and doses are SECONDARY: NCCN 1.2026 as re-encoded, doses from a public "
            "regimen table; no primary trial reference was verified."
        ),
    ),
    _rule(
        "G5",
        "1.G",
        "BRAF V600E: dabrafenib + trametinib",
        "BRAF V600E: dabrafenib 150 mg twice daily with trametinib 2 mg daily. SECONDARY.",
        ("advanced disease", "BRAF V600E"),
        (FIRST, NEXT, CONT),
        design_note=(
            "One combination Regimen; dose_mg_per_day is the dabrafenib dose. BRAF V600E option "
            "and doses are SECONDARY: NCCN 1.2026 as re-encoded, doses from a public regimen "
            "table; no primary trial reference was verified."
        ),
        reads=(
            "disease_state",
            "resectability",
            "genotype",
            "metastases",
            "tki_history",
            "response",
        ),
    ),
    _rule(
        "G6",
        "1.G",
        "SDH-deficient or NF1-related: no imatinib",
        "Imatinib is not used (high resistance); sunitinib or regorafenib may give modest "
        "responses; the course is often indolent; a clinical trial is encouraged (G15).",
        ("advanced disease", "SDH-deficient or NF1-associated"),
        (FIRST, NEXT),
        reads=(
            "disease_state",
            "resectability",
            "genotype",
            "metastases",
            "tki_history",
            "response",
        ),
    ),
    _rule(
        "G7",
        "1.G",
        "Progression on imatinib 400 mg: escalate to 800 mg or switch to sunitinib",
        "Progression on imatinib 400 mg: either imatinib 800 mg daily or sunitinib.",
        ("progression on imatinib below 800 mg/day",),
        (FIRST, NEXT, CONT),
        numbers=(ev.IMATINIB_ESCALATION, ev.SUNITINIB_PHASE3),
        design_note=(
            "Shown as line 2 (sunitinib option opens line 2; escalation stays in line 1 by the KB "
            "§1.0 convention and does not increase the count later). Unknown imatinib dose → both "
            "options, dose named as missing."
        ),
        reads=(
            "disease_state",
            "resectability",
            "genotype",
            "metastases",
            "tki_history",
            "response",
        ),
    ),
    _rule(
        "G8",
        "1.G",
        "Imatinib intolerance: sunitinib",
        "Imatinib not tolerated: switch to sunitinib.",
        ("last advanced course imatinib, stopped for intolerance",),
        (FIRST, NEXT),
        numbers=(ev.SUNITINIB_PHASE3,),
        reads=(
            "disease_state",
            "resectability",
            "genotype",
            "metastases",
            "tki_history",
            "response",
        ),
    ),
    _rule(
        "G9",
        "1.G",
        "Sunitinib as second-line drug",
        "Sunitinib 50 mg daily 4 weeks on / 2 off, or 37.5 mg continuous daily.",
        (
            "progression on imatinib 800 mg, or sunitinib is the next drug not yet given, or "
            "continuing sunitinib",
        ),
        (NEXT, CONT),
        numbers=(ev.SUNITINIB_PHASE3,),
        design_note=(
            "Progression on imatinib 800 mg (exon 9 or escalated) → sunitinib, under the G9 row."
        ),
        reads=(
            "disease_state",
            "resectability",
            "genotype",
            "metastases",
            "tki_history",
            "response",
        ),
    ),
    _rule(
        "G10",
        "1.G",
        "Third line: regorafenib",
        "After imatinib and sunitinib: regorafenib 160 mg daily, 3 weeks on / 1 off.",
        ("progression or intolerance after imatinib and sunitinib",),
        (NEXT, CONT),
        numbers=(ev.GRID,),
        reads=(
            "disease_state",
            "resectability",
            "genotype",
            "metastases",
            "tki_history",
            "response",
        ),
    ),
    _rule(
        "G11",
        "1.G",
        "Fourth line: ripretinib",
        "After three or more TKIs including imatinib: ripretinib 150 mg daily (not preferred in "
        "second line).",
        ("progression or intolerance after imatinib, sunitinib and regorafenib",),
        (NEXT, CONT),
        numbers=(ev.INVICTUS, ev.INTRIGUE),
        reads=(
            "disease_state",
            "resectability",
            "genotype",
            "metastases",
            "tki_history",
            "response",
        ),
    ),
    _rule(
        "G12",
        "1.G",
        "After the standard lines: limited-evidence options",
        "Sorafenib, nilotinib, pazopanib or dasatinib (limited evidence), and clinical trials.",
        ("progression after imatinib, sunitinib, regorafenib and ripretinib",),
        (NEXT, CONT),
        numbers=(ev.SORAFENIB_PHASE2, ev.NILOTINIB_PHASE3, ev.PAZOGIST),
        reads=(
            "disease_state",
            "resectability",
            "genotype",
            "metastases",
            "tki_history",
            "response",
        ),
    ),
    _rule(
        "G13",
        "1.G",
        "Avapritinib only after imatinib, sunitinib and regorafenib (non-D842V)",
        "In non-D842V disease avapritinib is not used before imatinib, sunitinib and regorafenib.",
        ("current TKI avapritinib", "genotype known, not PDGFRA D842V"),
        (NEXT, CONT),
        numbers=(ev.VOYAGER,),
        design_note=(
            "Patient-view form: active avapritinib in non-D842V disease before imatinib + "
            "sunitinib + regorafenib → warning card proposing the standard sequence."
        ),
        reads=("disease_state", "genotype", "tki_history"),
    ),
    _rule(
        "G14",
        "1.G",
        "PDGFRA D842V after avapritinib: dasatinib, then ripretinib",
        "After avapritinib: dasatinib, later ripretinib. SECONDARY (NCCN 1.2026 re-encoded).",
        ("PDGFRA D842V", "avapritinib given"),
        (NEXT, CONT),
        reads=(
            "disease_state",
            "resectability",
            "genotype",
            "metastases",
            "tki_history",
            "response",
        ),
        design_note=(
            "The D842V sequence after avapritinib is SECONDARY (NCCN 1.2026 as re-encoded)."
        ),
    ),
    _rule(
        "G15",
        "1.G",
        "Clinical trial or specialised centre",
        "Refer to a clinical trial or specialised centre when all standard lines have failed, "
        "and for SDH-deficient or NF1-related GIST.",
        ("standard lines exhausted", "or SDH-deficient / NF1-associated advanced disease"),
        (Category.CLINICAL_TRIAL,),
        reads=(
            "disease_state",
            "resectability",
            "genotype",
            "metastases",
            "tki_history",
            "response",
        ),
    ),
    _rule(
        "G16",
        "1.G",
        "Recurrence after resection: treat as metastatic",
        "Imatinib first (restart if previously stopped), escalate, then sunitinib, regorafenib, "
        "ripretinib; local treatment for a well-defined limited recurrence; radiotherapy for "
        "symptom palliation.",
        ("recurrent disease, no advanced line yet", "imatinib-sensitive or unknown genotype"),
        (FIRST,),
        design_note=(
            "Recurrence after adjuvant imatinib was completed or stopped for another reason → "
            "restart imatinib (line 1)."
        ),
        reads=(
            "disease_state",
            "resectability",
            "genotype",
            "metastases",
            "tki_history",
            "response",
        ),
    ),
    _background(
        "G17",
        "1.G",
        "Interactions and toxicity",
        "CYP3A4-interacting drugs and toxicity may need dose modification or substitution.",
        _TKI_CARDS,
        reads=(
            "disease_state",
            "resection",
            "resectability",
            "tumour_size",
            "genotype",
            "metastases",
            "tki_history",
            "response",
        ),
    ),
    _rule(
        "G19",
        "1.K",
        "Advanced KIT/PDGFRA wild-type GIST: molecular work-up first",
        "Mutation-testing card with SDHB immunohistochemistry (germline SDH if lost), NF1 "
        "assessment, BRAF V600E and NTRK fusion testing; the first-line choice waits for it "
        "(imatinib is unlikely to help); offer a clinical trial or specialised centre (G15).",
        ("advanced disease", "KIT and PDGFRA wild type, no other subtype recorded"),
        (Category.MUTATION_TESTING,),
        reads=(
            "disease_state",
            "resectability",
            "genotype",
            "metastases",
            "tki_history",
            "response",
        ),
    ),
    _rule(
        "G18",
        "1.K",
        "Recurrence during adjuvant or neoadjuvant imatinib: progression on imatinib 400 mg",
        "Metastasis or recurrence first recorded while adjuvant or neoadjuvant imatinib was "
        "running (or after it stopped for progression) is progression on imatinib 400 mg: G7 "
        "applies (800 mg daily or sunitinib; sunitinib if already on 800 mg). The imatinib "
        "course counts as line 1, so the card proposes line 2.",
        (
            "metastatic or recurrent disease",
            "first metastasis/recurrence dated while an adjuvant or neoadjuvant imatinib course "
            "was active, or that course stopped for progression",
        ),
        (NEXT,),
        numbers=(ev.IMATINIB_ESCALATION, ev.SUNITINIB_PHASE3),
        design_note=(
            "(KB §1.K) Metastasis/recurrence first dated while adjuvant or neoadjuvant imatinib "
            "was active (course end after that date or no end), or the course stopped for "
            "progression: the course becomes advanced line 1 (`TkiCourse.started_as` keeps its "
            "origin) and the card is G18, line 2, with the G7 options (sunitinib when 800 mg was "
            "already given). A recurrence recorded on the Condition without any date cannot be "
            "placed and keeps the earlier reading."
        ),
        reads=(
            "disease_state",
            "resectability",
            "genotype",
            "metastases",
            "tki_history",
            "response",
        ),
    ),
    _rule(
        "H1",
        "1.H",
        "Responsive metastatic disease, all lesions resectable: elective surgery",
        "Elective resection after MDT, continuing the TKI afterwards; usually after 6–12 months "
        "of stability and before about 2 years.",
        ("metastatic/recurrent", "on TKI, responding or stable", "resectability: resectable"),
        (Category.METASTASECTOMY,),
        reads=(
            "disease_state",
            "resection",
            "resectability",
            "tumour_size",
            "genotype",
            "metastases",
            "tki_history",
            "response",
        ),
        numbers=(ev.MSKCC_RESPONSIVE, ev.RAUT_STABLE),
        design_note=(
            "The Chinese guideline excerpt (seed) is a machine translation; its surgical "
            "indications were read with the caveats of knowledge-base §0."
        ),
    ),
    _rule(
        "H2",
        "1.H",
        "Focal progression: resect or ablate the progressing lesion",
        "Selected patients: resect the progressing lesion(s) or ablate, with continued or "
        "adjusted TKI.",
        ("metastatic/recurrent", f"≤{LIMITED_MAX_LESIONS} progressing lesion", "not unresectable"),
        (Category.METASTASECTOMY,),
        reads=(
            "disease_state",
            "resectability",
            "genotype",
            "metastases",
            "tki_history",
            "response",
        ),
        numbers=(ev.MSKCC_FOCAL, ev.RAUT_LIMITED),
        design_note=(
            "Focal = 1 progressing lesion (LIMITED_MAX_LESIONS, MSKCC). A next-line card is also "
            "given, noting that continuing the TKI with local treatment is an alternative. "
            "Unknown lesion count → next line + P5 for progressing lesions. The Chinese guideline "
            "excerpt (seed) is a machine translation; its surgical indications were read with the "
            "caveats of knowledge-base §0."
        ),
    ),
    _rule(
        "H3",
        "1.H",
        "Multifocal progression: surgery not indicated",
        "No surgery for multifocal/generalised progression: next TKI line or trial; palliative "
        "surgery only for quality of life or emergencies.",
        ("metastatic/recurrent", "more than one progressing lesion"),
        (Category.SURGERY_NOT_INDICATED,),
        numbers=(ev.MSKCC_MULTIFOCAL, ev.RAUT_GENERALISED),
        reads=(
            "disease_state",
            "resectability",
            "genotype",
            "metastases",
            "tki_history",
            "response",
        ),
        design_note=(
            "(KB §0) Chinese excerpt sentence recommending surgery for extensive progression "
            "encoded as not recommended. The Chinese excerpt's sentence recommending surgery for "
            "extensive progression is a translation error; it is encoded as not recommended, as "
            "in every other source."
        ),
    ),
    _rule(
        "H4",
        "1.H",
        "TKI-naive resectable metastases: TKI first",
        "Start first-line TKI and re-evaluate for surgery (H1) rather than operating first.",
        ("metastatic/recurrent", "no TKI line yet", "resectability: resectable"),
        (Category.SURGERY_NOT_INDICATED,),
        reads=(
            "disease_state",
            "resectability",
            "genotype",
            "metastases",
            "tki_history",
            "response",
        ),
        design_note=(
            "(KB) TKI-naive, resectable metastases → surgery-not-indicated card + first-line TKI."
        ),
    ),
    _background(
        "H6",
        "1.H",
        "Caveat on surgery in advanced disease",
        "Good outcomes after surgery for stable or limited progression may reflect patient "
        "selection; no randomized trial has proven the benefit.",
        ("H1", "H2"),
        reads=(
            "disease_state",
            "resection",
            "resectability",
            "tumour_size",
            "genotype",
            "metastases",
            "tki_history",
            "response",
        ),
    ),
    _background(
        "H7",
        "1.H",
        "Provenance of the surgical indications",
        "PDQ's surgical indications in advanced GIST come from the NCCN Task Force report "
        "(Demetri 2007); NCCN 1.2026 (SECONDARY) likewise continues TKI in responding disease and "
        "considers surgery or ablation for focal progression. ESMO 2022 was not consulted.",
        ("H1", "H2", "H3"),
        reads=(
            "disease_state",
            "resection",
            "resectability",
            "tumour_size",
            "genotype",
            "metastases",
            "tki_history",
            "response",
        ),
    ),
    _rule(
        "J1",
        "1.J",
        "Liver metastases at 1–2 abdominal sites, responding: MDT for resection",
        "Resection of the primary and metastases may be advised; discuss goals at the MDT.",
        (
            "liver metastases, at most two abdominal sites (liver, peritoneum)",
            "responding or stable on TKI",
            "not judged unresectable",
        ),
        (Category.LIVER_DIRECTED_THERAPY,),
        reads=(
            "disease_state",
            "resection",
            "resectability",
            "tumour_size",
            "genotype",
            "metastases",
            "tki_history",
            "response",
        ),
        numbers=(ev.NCT06038552, ev.NCT06038552_NED),
        design_note=(
            "Abdominal sites counted: liver and peritoneum; lung, bone, nodes, other exclude J1."
        ),
    ),
    _rule(
        "J2",
        "1.J",
        "Liver-only metastases not resectable: ablation or embolisation",
        "Ablation (e.g. RFA) or embolisation (e.g. TACE) are options.",
        (
            "metastases in the liver only",
            "resectability: unresectable",
            "responding or stable on TKI",
        ),
        (Category.LIVER_DIRECTED_THERAPY,),
        reads=(
            "disease_state",
            "resectability",
            "genotype",
            "metastases",
            "tki_history",
            "response",
        ),
        numbers=(ev.NCT06038552, ev.YANG_ABLATION),
        design_note=(
            "Only for disease controlled on TKI; in progression H2/H3 decide local treatment."
        ),
    ),
    _background(
        "J3",
        "1.J",
        "Evidence: NCT06038552 (Sun Yat-sen, 238 patients)",
        "Imatinib alone 126, imatinib + hepatic resection 81, imatinib + RFA/TACE 31 patients; "
        "10-year OS 91.9% vs 61.1% vs 55.2%; reaching no evidence of disease was independently "
        "associated with survival (observational).",
        ("J1", "J2"),
        numbers=(ev.NCT06038552, ev.NCT06038552_NED),
        reads=(
            "disease_state",
            "resection",
            "resectability",
            "tumour_size",
            "genotype",
            "metastases",
            "tki_history",
            "response",
        ),
    ),
    _background(
        "J4",
        "1.J",
        "Evidence: ablation vs resection (55 patients)",
        "Similar overall survival with thermal ablation, fewer complications and shorter stay, "
        "but lower progression-free survival (retrospective).",
        ("J1", "J2"),
        numbers=(ev.YANG_ABLATION,),
        reads=(
            "disease_state",
            "resection",
            "resectability",
            "tumour_size",
            "genotype",
            "metastases",
            "tki_history",
            "response",
        ),
    ),
    _background(
        "J5",
        "1.J",
        "Local therapy never replaces the TKI",
        "Local treatment does not replace systemic TKI therapy; oligometastatic surgery only "
        "after multidisciplinary consultation.",
        ("J1", "J2", "H1", "H2"),
        reads=(
            "disease_state",
            "resection",
            "resectability",
            "tumour_size",
            "genotype",
            "metastases",
            "tki_history",
            "response",
        ),
    ),
)
