"""§1.C–§1.D (and H5): a localized primary GIST that has not been resected.

When the primary is localized and not resected, logic.facts.localized_route chooses the decision: a
small tumour goes to §1.B (logic/rules/b_small_gastric.py, one record per rule); any other
resectable tumour is resected (C1, with the operative principles C2/C3); a marginally resectable or
unresectable tumour goes to neoadjuvant TKI chosen by genotype (D1–D7); a course already under way
before any resection is neoadjuvant (D13): continued and reassessed, re-evaluated urgently on
growth (D12), reviewed when not shrinking after 6 months (D11), or operated on at maximal response
(D14, with H5 as its evidence; D8/D9 monitoring and timing).
"""

from __future__ import annotations

import datetime as dt
import functools
import math

from logic.case import (
    Drug,
    Genotype,
    GistCase,
    Resectability,
    ResponseStatus,
    StopReason,
    TherapySetting,
    TkiCourse,
)
from logic.facts import (
    GENOTYPE_TEXT,
    IMATINIB_400_SENSITIVE,
    LocalizedRoute,
    courses_in,
    genotype,
    is_live,
    localized_route,
    months_on,
    reference_date,
    resectability,
    response_applies_to,
)
from logic.knowledge import evidence as ev
from logic.knowledge import regimens as rx
from logic.recommendation import Category, FactUsed, Indicator, MissingData, Recommendation
from logic.rule import Plan, Rule
from logic.rules import b_small_gastric, c_resectable
from logic.rules.common import (
    background_rule,
    card_rule,
    courses_used,
    emit,
    facts_used,
    localized_facts,
    missing,
    per_case,
)
from logic.rules.sequencing import next_step

CITES: dict[str, tuple[str, ...]] = {
    "D1": ("S1", "S5", "S6", "S13b"),
    "D2": ("S5", "S6", "S12"),
    "D3": ("S6",),
    "D4": ("S6",),
    "D5": ("S6",),
    "D6": ("S6",),
    "D7": ("S12",),
    "D8": ("S6", "S12"),
    "D9": ("S6", "S12"),
    "D11": ("S5",),
    "D12": ("S12",),
    "D13": ("S6",),
    "D14": ("S6", "S12", "S2"),
    "H5": ("S2",),
}

#: DESIGN: months of neoadjuvant TKI after which a still-unresectable tumour "does not shrink
#: enough" (D11); maximal response may take 6–12 months (D9).
NEOADJUVANT_MIN_MONTHS = 6.0

SURGERY = Category.SURGERY
NEO = Category.NEOADJUVANT_TKI


# --- plan ---------------------------------------------------------------------------------------


@per_case
def plan(case: GistCase) -> Plan:
    """The §1.B–§1.D decision for a localized, unresected primary, by its route."""
    match localized_route(case):
        case None:
            return Plan()
        case LocalizedRoute.NEOADJUVANT_COURSE:
            return _on_neoadjuvant(case, courses_in(case, TherapySetting.NEOADJUVANT))
        case LocalizedRoute.NEOADJUVANT_START:
            return _neoadjuvant_start(case)
        case LocalizedRoute.RESECTABLE:
            return c_resectable.RESECTABLE.decide(case)
        case LocalizedRoute.SITE_UNKNOWN:
            gap = missing(case, "site", "gastric ≤2 cm may be watched; others resected")
            return Plan(blocked=(gap,))
        case LocalizedRoute.SIZE_UNKNOWN:
            gap = missing(
                case, "tumour_size", "gastric <2 cm may be watched (B1); larger → surgery"
            )
            return Plan(blocked=(gap,))
        case LocalizedRoute.SMALL_GASTRIC:
            return b_small_gastric.SMALL_GASTRIC.decide(case)
        case LocalizedRoute.NON_GASTRIC_SMALL:
            return b_small_gastric.NON_GASTRIC.decide(case)


# --- §1.D neoadjuvant ---------------------------------------------------------------------------


def _neoadjuvant_start(case: GistCase) -> Plan:
    gt = genotype(case)
    res = resectability(case)
    facts = localized_facts(case)
    how = "unresectable" if res is Resectability.UNRESECTABLE else "marginally resectable"
    if gt is None:
        gap = missing(case, "genotype", "chooses the neoadjuvant drug, or no neoadjuvant TKI")
        return Plan(
            (
                emit(
                    "D1",
                    CITES["D1"],
                    NEO,
                    f"Neoadjuvant TKI pathway ({how} GIST): choose the drug once genotype known",
                    "A localized GIST that is unresectable, or resectable only with major "
                    "functional loss, is treated with a TKI before surgery. Confirm the "
                    "diagnosis by biopsy and the genotype first (D2).",
                    facts=facts,
                    missing=(gap,),
                ),
                emit(
                    "D2",
                    CITES["D2"],
                    Category.MUTATION_TESTING,
                    "Biopsy and KIT/PDGFRA mutation analysis before neoadjuvant TKI",
                    "Before neoadjuvant therapy: biopsy to confirm GIST and mutation analysis, "
                    "which excludes insensitive genotypes and identifies KIT exon 9.",
                    facts=facts,
                    missing=(gap,),
                ),
            )
        )
    if gt in IMATINIB_400_SENSITIVE or gt is Genotype.KIT_EXON_9:
        return Plan((_neo_imatinib(case, gt, how, continuing=None),))
    return Plan((_no_neoadjuvant(case, gt),))


def _neo_imatinib(
    case: GistCase, gt: Genotype | None, how: str, continuing: TkiCourse | None
) -> Recommendation:
    exon9 = gt is Genotype.KIT_EXON_9 or (
        gt is None and continuing is not None and (continuing.daily_dose_mg or 0) >= 800
    )
    rule_id = "D4" if exon9 else "D3"
    regimens = (rx.IMATINIB_800, rx.IMATINIB_400) if exon9 else (rx.IMATINIB_400,)
    dose = "800 mg" if exon9 else "400 mg"
    gaps: list[MissingData] = []
    facts = list(localized_facts(case))
    if continuing is not None:
        facts += courses_used((continuing,))
        status = response_applies_to(case, continuing)
        if status is None:
            gaps.append(missing(case, "response", "progression → surgical re-evaluation (D12)"))
        if resectability(case) is None:
            gaps.append(missing(case, "resectability", "now resectable → surgery (H5)"))
        summary = f"Continue neoadjuvant imatinib {dose} daily; resect at maximal response"
    else:
        summary = f"Neoadjuvant imatinib {dose} daily ({how} GIST); resect at maximal response"
    notes = (
        ("Imatinib 800 mg may be offered for exon 9 (extrapolated from advanced disease).",)
        if exon9
        else ()
    )
    return emit(
        rule_id,
        CITES[rule_id],
        NEO,
        summary,
        "Neoadjuvant imatinib shrinks a marginally resectable or unresectable tumour; surgery "
        "follows at maximal response, then imatinib continues to a total of at least 3 years "
        f"(D10). Genotype: {GENOTYPE_TEXT[gt] if gt else 'not recorded'}.",
        regimens=regimens,
        facts=facts,
        missing=gaps,
        numbers=(ev.ASIAN_NEOADJUVANT,),
        notes=notes,
    )


def _no_neoadjuvant(
    case: GistCase, gt: Genotype, running: TkiCourse | None = None
) -> Recommendation:
    facts = localized_facts(case)
    if running is not None:
        return _stop_ineffective_neoadjuvant(case, gt, running)
    if gt is Genotype.PDGFRA_D842V:
        return emit(
            "D5",
            CITES["D5"],
            SURGERY,
            "PDGFRA D842V: no neoadjuvant imatinib — surgery if feasible",
            "PDGFRA D842V does not respond to imatinib. ESMO suggests considering neoadjuvant "
            "avapritinib, but this is not validated; otherwise operate if feasible.",
            facts=facts,
            notes=("Neoadjuvant avapritinib may be discussed at MDT (not validated).",),
        )
    if gt in (Genotype.SDH_DEFICIENT, Genotype.NF1):
        return emit(
            "D6",
            CITES["D6"],
            SURGERY,
            f"{GENOTYPE_TEXT[gt]} GIST: no neoadjuvant TKI — proceed to surgery if feasible",
            "SDH-deficient and NF1-associated GIST (KIT/PDGFRA wild type) do not respond to "
            "neoadjuvant TKI: proceed directly to surgery if feasible.",
            facts=facts,
        )
    return emit(
        "D7",
        CITES["D7"],
        SURGERY,
        f"{GENOTYPE_TEXT[gt]}: forgo neoadjuvant therapy — surgery if feasible",
        "Mutations not expected to respond to imatinib: forgo neoadjuvant therapy (NCCN 1.2025).",
        facts=facts,
        notes=(
            "DESIGN: BRAF V600E, NTRK fusion and wild type without a known subtype are treated "
            "as not expected to respond to neoadjuvant imatinib.",
        ),
    )


def _today(case: GistCase) -> dt.date | None:
    return case.as_of or reference_date(case)


def _stop_ineffective_neoadjuvant(
    case: GistCase, gt: Genotype, running: TkiCourse
) -> Recommendation:
    rule_id = {
        Genotype.PDGFRA_D842V: "D5",
        Genotype.SDH_DEFICIENT: "D6",
        Genotype.NF1: "D6",
    }.get(gt, "D7")
    return emit(
        rule_id,
        CITES[rule_id],
        SURGERY,
        f"{GENOTYPE_TEXT[gt]}: neoadjuvant imatinib is unlikely to help — MDT, surgery if feasible",
        f"The patient is taking neoadjuvant {_drug_dose(running)}, but {GENOTYPE_TEXT[gt]} GIST "
        "is not expected to respond to imatinib. Review the course at the MDT and proceed to "
        "surgery if feasible.",
        facts=(*localized_facts(case), *courses_used((running,))),
    )


def _on_neoadjuvant(case: GistCase, neo: tuple[TkiCourse, ...]) -> Plan:
    """D13: a TKI course is under way before any resection. Never propose starting it again:
    continue and reassess (D8/D9), unless progression (D12), no shrinkage after ≥6 months (D11)
    or a responding tumour ready for surgery (D14) decides otherwise."""
    last = neo[-1]
    gt = genotype(case)
    res = resectability(case)
    status = response_applies_to(case, last)
    months = months_on(last, _today(case))
    facts = (*localized_facts(case), *facts_used(case, "response"), *courses_used(neo))
    if not is_live(last):
        if last.stop_reason is StopReason.INTOLERANCE:
            return Plan((_d11_next(case, gt, neo, StopReason.INTOLERANCE, facts),))
        if last.stop_reason is StopReason.PROGRESSION:
            status = ResponseStatus.WORSENED
        elif res is not Resectability.RESECTABLE:
            gap = MissingData(
                "tkiHistory",
                "neoadjuvant TKI ended without a recorded reason and no resection is recorded",
                "resectable now → surgery (D14); progression → re-evaluation or next drug",
            )
            return Plan(blocked=(gap,))
    if last.drug is Drug.IMATINIB and gt in NOT_IMATINIB_NEO:
        return Plan((_no_neoadjuvant(case, gt, running=last),))
    if status is ResponseStatus.WORSENED:
        if res is Resectability.UNRESECTABLE:
            return Plan((_d11_next(case, gt, neo, StopReason.PROGRESSION, facts),))
        return Plan((_d12(case, last, facts),))
    long_enough = months is not None and months >= NEOADJUVANT_MIN_MONTHS
    if res is Resectability.RESECTABLE or (
        long_enough and status is ResponseStatus.IMPROVED and res is not Resectability.UNRESECTABLE
    ):
        return Plan((_d14(case, gt, last, months, facts),))
    if (
        long_enough
        and status is not None
        and (res is Resectability.UNRESECTABLE or status is not ResponseStatus.IMPROVED)
    ):
        return Plan((_d11_continue(case, last, months, facts),))
    return Plan((_d13_continue(case, gt, last, months, status, facts),))


#: Genotypes for which neoadjuvant imatinib is not given (D5–D7).
NOT_IMATINIB_NEO = frozenset(
    {
        Genotype.PDGFRA_D842V,
        Genotype.SDH_DEFICIENT,
        Genotype.NF1,
        Genotype.BRAF_V600E,
        Genotype.NTRK_FUSION,
        Genotype.WILD_TYPE,
    }
)


def _drug_dose(course: TkiCourse) -> str:
    dose = f" {course.daily_dose_mg:g} mg daily" if course.daily_dose_mg else ""
    return f"{course.drug.value}{dose}"


def _month_text(months: float | None) -> str:
    return f"month {max(1, math.ceil(months))}" if months is not None else "duration not recorded"


_RESPONSE_WORDS = {
    ResponseStatus.IMPROVED: "responding",
    ResponseStatus.STABLE: "stable",
    ResponseStatus.UNDETERMINED: "response undetermined",
}


def _d13_continue(
    case: GistCase,
    gt: Genotype | None,
    last: TkiCourse,
    months: float | None,
    status: ResponseStatus | None,
    facts: tuple[FactUsed, ...],
) -> Recommendation:
    gaps: list[MissingData] = []
    notes: list[str] = []
    if status is None:
        gaps.append(missing(case, "response", "growth → urgent surgical re-evaluation (D12)"))
    if resectability(case) is None:
        gaps.append(missing(case, "resectability", "now resectable → surgery (D14)"))
    if gt is None:
        gaps.append(
            missing(
                case,
                "genotype",
                "PDGFRA D842V, SDH-deficient or NF1 → imatinib does not help: surgery if "
                "feasible (D5/D6); KIT exon 9 → 800 mg may be offered (D4)",
            )
        )
    if gt is Genotype.KIT_EXON_9 and last.drug is Drug.IMATINIB and (last.daily_dose_mg or 0) < 800:
        notes.append("KIT exon 9: imatinib 800 mg daily may be offered (D4).")
    state = (
        _RESPONSE_WORDS.get(status, "response not yet assessed")
        if status
        else "response not yet assessed"
    )
    return emit(
        "D13",
        CITES["D13"],
        NEO,
        f"Continue neoadjuvant {_drug_dose(last)} ({_month_text(months)}, {state}); "
        "reassess by CT/PET",
        "The TKI started while the GIST was localized and before any resection, so it is "
        "neoadjuvant treatment already under way: do not start it again. Continue, reassess "
        "by CT or PET-CT at close intervals and plan surgery at maximal response (often 6–12 "
        "months).",
        facts=facts,
        missing=gaps,
        notes=notes,
        numbers=(ev.ASIAN_NEOADJUVANT,),
    )


def _d12(case: GistCase, last: TkiCourse, facts: tuple[FactUsed, ...]) -> Recommendation:
    return emit(
        "D12",
        CITES["D12"],
        SURGERY,
        f"Growth on neoadjuvant {_drug_dose(last)}: urgent surgical re-evaluation",
        "The tumour is growing during neoadjuvant therapy while it may still be resectable; "
        "some tumours rapidly become unresectable, so re-evaluate for surgery urgently (MDT).",
        indicator=Indicator.WARNING,
        facts=facts,
        notes=(
            "If surgery is not possible, treat as progression on the TKI: dose increase, then "
            "sunitinib (D11, §1.G).",
        ),
    )


def _d14(
    case: GistCase,
    gt: Genotype | None,
    last: TkiCourse,
    months: float | None,
    facts: tuple[FactUsed, ...],
) -> Recommendation:
    status = response_applies_to(case, last)
    res = resectability(case)
    why = (
        "now judged resectable"
        if res is Resectability.RESECTABLE
        else f"responding after {_month_text(months)}"
    )
    gaps: list[MissingData] = []
    if status is None:
        gaps.append(missing(case, "response", "growth → urgent surgical re-evaluation (D12)"))
    if res is None:
        gaps.append(missing(case, "resectability", "confirm resectability at the MDT"))
    return emit(
        "D14",
        CITES["D14"],
        SURGERY,
        f"Plan surgery at maximal response (MDT): {why} on neoadjuvant {last.drug.value}",
        f"The tumour is responding or stable on neoadjuvant {_drug_dose(last)} "
        f"({_month_text(months)}). Operate at maximal response after MDT review; continue the "
        "TKI until shortly before surgery and resume it afterwards, to a total of at least 3 "
        "years (D10).",
        facts=facts,
        missing=gaps,
        numbers=(ev.ASIAN_NEOADJUVANT,),
    )


def _d11_continue(
    case: GistCase, last: TkiCourse, months: float | None, facts: tuple[FactUsed, ...]
) -> Recommendation:
    res = resectability(case)
    where = "still unresectable" if res is Resectability.UNRESECTABLE else "no shrinkage"
    return emit(
        "D11",
        CITES["D11"],
        Category.CONTINUE_CURRENT_THERAPY,
        f"{where.capitalize()} after {months or 0:.0f} months of neoadjuvant {last.drug.value}: "
        "MDT review",
        f"The tumour has not shrunk enough for surgery after {months or 0:.0f} months: maximal "
        "response has probably been reached. Review at the MDT whether surgery is now feasible; "
        f"otherwise continue {_drug_dose(last)} while it helps, and on progression increase "
        "the dose, then sunitinib, regorafenib and ripretinib as in advanced disease.",
        facts=facts,
    )


def _d11_next(
    case: GistCase,
    gt: Genotype | None,
    neo: tuple[TkiCourse, ...],
    trigger: StopReason,
    facts: tuple[FactUsed, ...],
) -> Recommendation:
    step = next_step(gt, neo, trigger)
    why = "progression" if trigger is StopReason.PROGRESSION else "intolerance"
    return emit(
        "D11",
        CITES["D11"],
        Category.NEXT_LINE_TKI,
        f"Neoadjuvant TKI {why}, not resectable: {step.what}",
        "When the tumour does not become resectable, treatment follows the advanced-disease "
        f"sequence: dose increase, then sunitinib, regorafenib, ripretinib. {step.rationale}",
        regimens=step.regimens,
        facts=facts,
        numbers=step.numbers,
        notes=step.notes,
        missing=step.missing,
    )


# --- rules --------------------------------------------------------------------------------------


_rule = functools.partial(card_rule, plan, CITES)


_background = functools.partial(background_rule, plan, CITES)


RULES_D: tuple[Rule, ...] = (
    _rule(
        "D1",
        "1.D",
        "Marginally resectable or unresectable localized GIST: neoadjuvant TKI pathway",
        "Neoadjuvant TKI before surgery.",
        (
            "localized, not resected",
            "marginally resectable or unresectable",
            "genotype not yet known (drug chosen by D3–D7 once known)",
        ),
        (NEO,),
        (
            "site",
            "disease_state",
            "resection",
            "resected",
            "resection_unknown",
            "resectability",
            "tumour_size",
            "mitotic_count",
            "eus",
            "genotype",
            "metastases",
            "tki_history",
            "primaries",
        ),
        design_note=(
            "Pathway card only while the genotype is unknown (no drug before genotyping, D2); "
            "with a genotype D3–D7 carry the decision."
        ),
    ),
    _rule(
        "D2",
        "1.D",
        "Before neoadjuvant therapy: biopsy and mutation analysis",
        "Biopsy to confirm GIST and KIT/PDGFRA mutation analysis.",
        ("neoadjuvant pathway", "genotype unknown or conflicting"),
        (Category.MUTATION_TESTING,),
        (
            "site",
            "disease_state",
            "resection",
            "resected",
            "resection_unknown",
            "resectability",
            "tumour_size",
            "mitotic_count",
            "eus",
            "genotype",
            "metastases",
            "tki_history",
            "primaries",
        ),
    ),
    _rule(
        "D3",
        "1.D",
        "Neoadjuvant imatinib 400 mg (KIT exon 11 / other sensitive)",
        "Imatinib 400 mg daily before surgery.",
        ("neoadjuvant pathway", "KIT exon 11, other KIT or PDGFRA non-D842V"),
        (NEO,),
        (
            "site",
            "disease_state",
            "resection",
            "resected",
            "resection_unknown",
            "resectability",
            "tumour_size",
            "mitotic_count",
            "eus",
            "genotype",
            "metastases",
            "tki_history",
            "primaries",
        ),
        numbers=(ev.ASIAN_NEOADJUVANT,),
        design_note="Also the 'continue neoadjuvant imatinib' card while it is under way.",
    ),
    _rule(
        "D4",
        "1.D",
        "Neoadjuvant imatinib 800 mg may be offered for KIT exon 9",
        "Imatinib 800 mg daily may be offered (extrapolated from advanced disease).",
        ("neoadjuvant pathway", "KIT exon 9"),
        (NEO,),
        (
            "site",
            "disease_state",
            "resection",
            "resected",
            "resection_unknown",
            "resectability",
            "tumour_size",
            "mitotic_count",
            "eus",
            "genotype",
            "metastases",
            "tki_history",
            "primaries",
        ),
        design_note=(
            'KIT exon 9: 800 mg listed first, 400 mg as alternative ("may be offered/used").'
        ),
    ),
    _rule(
        "D5",
        "1.D",
        "PDGFRA D842V: no neoadjuvant imatinib",
        "No neoadjuvant imatinib; neoadjuvant avapritinib may be considered (not validated); "
        "otherwise surgery if feasible.",
        ("marginally resectable localized GIST", "PDGFRA D842V"),
        (SURGERY,),
        (
            "site",
            "disease_state",
            "resection",
            "resected",
            "resection_unknown",
            "resectability",
            "tumour_size",
            "mitotic_count",
            "eus",
            "genotype",
            "metastases",
            "tki_history",
            "primaries",
        ),
        design_note=(
            "Unresectable localized disease with a genotype that gets no neoadjuvant imatinib "
            "(D842V, SDH, NF1, BRAF, NTRK, wild type) → advanced pathway (G3–G6), because "
            '"surgery if feasible" is not feasible; marginally resectable → surgery card.'
        ),
    ),
    _rule(
        "D6",
        "1.D",
        "SDH-deficient or NF1: no neoadjuvant TKI",
        "Proceed directly to surgery if feasible.",
        ("marginally resectable localized GIST", "SDH-deficient or NF1-associated"),
        (SURGERY,),
        (
            "site",
            "disease_state",
            "resection",
            "resected",
            "resection_unknown",
            "resectability",
            "tumour_size",
            "mitotic_count",
            "eus",
            "genotype",
            "metastases",
            "tki_history",
            "primaries",
        ),
        design_note=(
            "Unresectable localized disease with a genotype that gets no neoadjuvant imatinib "
            "(D842V, SDH, NF1, BRAF, NTRK, wild type) → advanced pathway (G3–G6), because "
            '"surgery if feasible" is not feasible; marginally resectable → surgery card.'
        ),
    ),
    _rule(
        "D7",
        "1.D",
        "Mutations not expected to respond: forgo neoadjuvant therapy",
        "Forgo neoadjuvant therapy; surgery if feasible.",
        ("marginally resectable localized GIST", "BRAF V600E, NTRK fusion or wild type"),
        (SURGERY,),
        (
            "site",
            "disease_state",
            "resection",
            "resected",
            "resection_unknown",
            "resectability",
            "tumour_size",
            "mitotic_count",
            "eus",
            "genotype",
            "metastases",
            "tki_history",
            "primaries",
        ),
        design_note=(
            "Unresectable localized disease with a genotype that gets no neoadjuvant imatinib "
            "(D842V, SDH, NF1, BRAF, NTRK, wild type) → advanced pathway (G3–G6), because "
            '"surgery if feasible" is not feasible; marginally resectable → surgery card. BRAF '
            'V600E, NTRK fusion and unclassified wild type count as "not expected to respond".'
        ),
    ),
    _background(
        "D8",
        "1.D",
        "Monitoring during neoadjuvant TKI",
        "CT or PET-CT at close intervals; PET-CT helps judge early response if the genotype is "
        "unknown; some tumours can rapidly become unresectable, so monitor closely.",
        ("D1", "D3", "D4", "D11", "D13"),
        (
            "site",
            "disease_state",
            "resection",
            "resected",
            "resection_unknown",
            "resectability",
            "tumour_size",
            "mitotic_count",
            "eus",
            "genotype",
            "metastases",
            "tki_history",
            "response",
            "primaries",
            "as_of",
        ),
    ),
    _background(
        "D9",
        "1.D",
        "Timing of surgery after neoadjuvant TKI",
        "Operate at maximal response, which can take 6–12 months (PDQ; NCCN: at least 6 months).",
        ("D1", "D3", "D4", "D13", "D14"),
        (
            "site",
            "disease_state",
            "resection",
            "resected",
            "resection_unknown",
            "resectability",
            "tumour_size",
            "mitotic_count",
            "eus",
            "genotype",
            "metastases",
            "tki_history",
            "response",
            "primaries",
            "as_of",
        ),
        numbers=(ev.ASIAN_NEOADJUVANT,),
    ),
    _rule(
        "D11",
        "1.D",
        "Tumour not shrinking enough for surgery",
        "Continue imatinib while it helps; then dose increase, sunitinib, regorafenib, "
        "ripretinib (as §1.G).",
        (
            "on neoadjuvant TKI",
            "after ≥6 months still unresectable or not shrinking, or progression while "
            "unresectable, or intolerance",
        ),
        (Category.CONTINUE_CURRENT_THERAPY, Category.NEXT_LINE_TKI),
        (
            "site",
            "disease_state",
            "resection",
            "resected",
            "resection_unknown",
            "resectability",
            "tumour_size",
            "mitotic_count",
            "eus",
            "genotype",
            "metastases",
            "tki_history",
            "response",
            "primaries",
            "as_of",
        ),
        design_note=(
            '"Does not shrink enough" = after 6 months of neoadjuvant TKI still unresectable, or '
            "stable rather than shrinking (2026.2) → MDT review, continue while it helps; "
            "progression or intolerance while unresectable → the §1.G next step (no line number: "
            "neoadjuvant is not an advanced line)."
        ),
    ),
    _rule(
        "D12",
        "1.D",
        "Progression during neoadjuvant TKI: urgent surgical re-evaluation",
        "Flag for urgent surgical re-evaluation.",
        ("on neoadjuvant TKI", "progression", "not judged unresectable"),
        (SURGERY,),
        (
            "site",
            "disease_state",
            "resection",
            "resected",
            "resection_unknown",
            "resectability",
            "tumour_size",
            "mitotic_count",
            "eus",
            "genotype",
            "metastases",
            "tki_history",
            "response",
            "primaries",
            "as_of",
        ),
        design_note=(
            "(KB) Progression on neoadjuvant TKI, not unresectable → urgent surgical "
            "re-evaluation; surgery card raised to warning."
        ),
    ),
)

RULES_D_2026: tuple[Rule, ...] = (
    _rule(
        "D13",
        "1.K",
        "Neoadjuvant TKI already under way: continue and reassess",
        "A TKI course that started while the GIST was localized and before any resection is "
        "neoadjuvant, also when no resection has happened yet. It is never proposed again (no "
        "start card, no draft order): continue it and reassess by CT/PET (D8/D9), unless D11, "
        "D12 or D14 applies.",
        (
            "localized, not resected",
            "a TKI course running that started before any metastasis or resection",
            "no progression, not yet ready for surgery, under 6 months or response unknown",
        ),
        (NEO,),
        (
            "site",
            "disease_state",
            "resection",
            "resected",
            "resection_unknown",
            "resectability",
            "tumour_size",
            "mitotic_count",
            "eus",
            "genotype",
            "metastases",
            "tki_history",
            "response",
            "primaries",
            "as_of",
        ),
        design_note=(
            "(KB §1.K) A course that started while localized and before any resection is "
            "neoadjuvant, also with no resection yet (fhir_mappings/therapy_lines.py). The "
            'running course is never proposed again: the D13 card says "continue … (month N); '
            'reassess" and carries no regimen, so no draft order duplicates the prescription. '
            "Neoadjuvant imatinib with a genotype that gets none (D842V, SDH, NF1, BRAF, NTRK, "
            "wild type) → the D5/D6/D7 card says it is unlikely to help."
        ),
    ),
    _rule(
        "D14",
        "1.K",
        "Responding on neoadjuvant TKI and resectable: surgery at maximal response",
        "Surgery at maximal response after MDT review (D9); continue the TKI until shortly "
        "before surgery and resume it after, to a total of at least 3 years (D10).",
        (
            "neoadjuvant course running, no progression",
            "now judged resectable, or responding after ≥6 months of therapy",
        ),
        (SURGERY,),
        (
            "site",
            "disease_state",
            "resection",
            "resected",
            "resection_unknown",
            "resectability",
            "tumour_size",
            "mitotic_count",
            "eus",
            "genotype",
            "metastases",
            "tki_history",
            "response",
            "primaries",
            "as_of",
        ),
        numbers=(ev.ASIAN_NEOADJUVANT,),
        design_note=(
            "(KB §1.K) Running course, no progression, and resectable — or improved after ≥6 "
            "months and not unresectable → surgery at maximal response after MDT; response "
            "unknown while resectable → the same card with the response named as missing."
        ),
    ),
)

RULES_H5: tuple[Rule, ...] = (
    _background(
        "H5",
        "1.H",
        "Primary became resectable on TKI: secondary surgery",
        "Secondary surgery may benefit an advanced primary that became resectable on imatinib, "
        "or a necrotic bleeding tumour with local progression (2007 review).",
        ("D12", "D14"),
        (
            "site",
            "disease_state",
            "resection",
            "resected",
            "resection_unknown",
            "resectability",
            "tumour_size",
            "mitotic_count",
            "eus",
            "genotype",
            "metastases",
            "tki_history",
            "response",
            "primaries",
            "as_of",
        ),
        design_note=(
            "(2026.2) Background to D14 and D12: one surgery card per decision (D14 carries the "
            "referral, H5 its supporting evidence)."
        ),
    ),
)
