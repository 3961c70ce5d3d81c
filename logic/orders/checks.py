"""The order checks: each a record naming its knowledge-base rule, its sources, when it fires for a
drafted TKI order and the finding it makes.

The checks read the case through the same helpers as the guideline rules (genotype groups,
pathway, risk, emergencies from `logic.facts`), so an order is judged exactly as the
patient-view cards judge the case. A check whose facts are unknown stays silent: an order is
only flagged for a conflict the record shows. A correct order gets no finding.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from logic.case import (
    Certainty,
    Drug,
    Genotype,
    GistCase,
    StopReason,
    TherapySetting,
    TherapyStatus,
    TkiCourse,
)
from logic.facts import (
    GENOTYPE_TEXT,
    TRIGGER_KINDS,
    Pathway,
    assess_risk,
    courses_in,
    definite_emergency,
    genotype,
    pathway,
)
from logic.knowledge import evidence as numbers
from logic.knowledge import regimens
from logic.orders.draft import ChangeKind, DraftTki, OrderFinding, SuggestedChange
from logic.recommendation import FactUsed, Indicator, NihRisk, Regimen
from logic.rules.common import courses_used


class CheckKind(StrEnum):
    DRUG = "drug"  # the wrong drug (or no drug) for this case
    DOSE = "dose"  # the right drug at a dose far from its regimen, or an unreadable dose
    CONTEXT = "context"  # the order conflicts with what is going on (duplicate, emergency)


Build = Callable[[GistCase, DraftTki], tuple[str, str, SuggestedChange]]


@dataclass(frozen=True, slots=True)
class OrderCheck:
    """One order check. `rule_id` is the knowledge-base rule the order conflicts with;
    `evidence` its source ids and primary-reference keys; `applies` decides whether the draft
    conflicts with the case; `build` gives (summary, rationale, suggested change)."""

    check_id: str
    rule_id: str
    title: str
    evidence: tuple[str, ...]
    kind: CheckKind
    indicator: Indicator
    applies: Callable[[GistCase, DraftTki], bool]
    build: Build

    def finding(self, case: GistCase, draft: DraftTki) -> OrderFinding:
        summary, rationale, change = self.build(case, draft)
        return OrderFinding(
            self.check_id,
            self.rule_id,
            self.evidence,
            self.indicator,
            draft,
            summary,
            rationale,
            change,
            _facts(case, draft),
        )


# --- shared reading of the case ------------------------------------------------------------------

#: The standard sequence for KIT-driven and other non-D842V disease (G1, G9, G10, G11).
STANDARD_LINES = (Drug.IMATINIB, Drug.SUNITINIB, Drug.REGORAFENIB, Drug.RIPRETINIB)
KIT_GENOTYPES = frozenset({Genotype.KIT_EXON_11, Genotype.KIT_EXON_9, Genotype.KIT_OTHER})
#: Genotypes with their own first line (G3–G6, G19): the standard sequence is not assumed.
OWN_PATHWAY = frozenset(
    {
        Genotype.PDGFRA_D842V,
        Genotype.SDH_DEFICIENT,
        Genotype.NF1,
        Genotype.WILD_TYPE,
        Genotype.BRAF_V600E,
        Genotype.NTRK_FUSION,
    }
)
#: F3 / F11: genotypes that gain nothing from adjuvant imatinib.
NO_ADJUVANT_BENEFIT = frozenset(
    {Genotype.PDGFRA_D842V, Genotype.SDH_DEFICIENT, Genotype.NF1, Genotype.WILD_TYPE}
)


def drug_name(drug: Drug) -> str:
    return drug.value.capitalize()


def mg(value: float) -> str:
    return f"{value:g} mg"


def given_for_disease(case: GistCase) -> set[Drug]:
    """Drugs already given against advanced or unresectable disease: advanced-disease lines and
    neoadjuvant courses (D11 continues into the advanced sequence); an adjuvant course only when
    it stopped for progression (G18). A completed adjuvant course is not a line (G16)."""
    given: set[Drug] = set()
    for course in case.tki_history:
        adjuvant = course.setting is TherapySetting.ADJUVANT
        if not adjuvant or course.stop_reason is StopReason.PROGRESSION:
            given.add(course.drug)
    return given


def next_standard_line(case: GistCase) -> Drug:
    """The first drug of the standard sequence not yet given (ripretinib after all three)."""
    given = given_for_disease(case)
    return next((d for d in STANDARD_LINES[:3] if d not in given), Drug.RIPRETINIB)


def standard_regimen(case: GistCase, drug: Drug) -> Regimen | None:
    """The §3 regimen for `drug` in this patient (imatinib 800 mg for KIT exon 9 advanced)."""
    if drug is Drug.IMATINIB:
        exon9 = genotype(case) is Genotype.KIT_EXON_9
        return regimens.IMATINIB_800 if exon9 and _advanced(case) else regimens.IMATINIB_400
    return {
        Drug.SUNITINIB: regimens.SUNITINIB_50_4_2,
        Drug.REGORAFENIB: regimens.REGORAFENIB_160,
        Drug.RIPRETINIB: regimens.RIPRETINIB_150,
        Drug.AVAPRITINIB: regimens.AVAPRITINIB_300,
    }.get(drug)


def _advanced(case: GistCase) -> bool:
    return pathway(case) is Pathway.ADVANCED


def _genotype_text(case: GistCase) -> str:
    gt = genotype(case)
    return GENOTYPE_TEXT[gt] if gt is not None else "unknown"


def _facts(case: GistCase, draft: DraftTki) -> tuple[FactUsed, ...]:
    """The order, then the genotype and the TKI history as the guideline cards show them."""
    dose = mg(draft.daily_mg) + " daily" if draft.daily_mg is not None else "could not be read"
    order = FactUsed("Order", f"{draft.written_as}, dose {dose}", (draft.reference,))
    genotype_fact = FactUsed(
        "genotype", _genotype_text(case), tuple(p.label() for p in case.genotype.sources)
    )
    return (order, genotype_fact, *courses_used(case.tki_history))


def _replace_with(regimen: Regimen) -> SuggestedChange:
    return SuggestedChange(ChangeKind.REPLACE, f"Change the order to {regimen.display}", regimen)


def _withdraw(draft: DraftTki) -> SuggestedChange:
    return SuggestedChange(ChangeKind.WITHDRAW, f"Remove the {draft.drug.value} order")


# --- G3 / D5: PDGFRA D842V ---------------------------------------------------------------------


def _d842v_advanced(case: GistCase, draft: DraftTki) -> bool:
    had_avapritinib = any(c.drug is Drug.AVAPRITINIB for c in case.tki_history)
    return (
        genotype(case) is Genotype.PDGFRA_D842V
        and _advanced(case)
        and draft.drug is not Drug.AVAPRITINIB
        and not had_avapritinib
    )


def _d842v_advanced_build(case: GistCase, draft: DraftTki) -> tuple[str, str, SuggestedChange]:
    name = drug_name(draft.drug)
    return (
        f"{name} does not work in PDGFRA D842V GIST: order avapritinib 300 mg once daily instead",
        f"The tumour carries PDGFRA D842V, which is resistant to {draft.drug.value} and the "
        "other standard TKIs. First-line treatment for advanced D842V GIST is avapritinib "
        f"300 mg once daily ({numbers.NAVIGATOR}). Observation is reasonable if the disease is "
        "asymptomatic and indolent.",
        _replace_with(regimens.AVAPRITINIB_300),
    )


def _neoadjuvant_for(
    genotypes: frozenset[Genotype], *, avapritinib_allowed: bool
) -> Callable[[GistCase, DraftTki], bool]:
    """A TKI for a localized, not yet resected GIST of a genotype that gets no neoadjuvant TKI
    (D5: D842V, where avapritinib may be considered; D6: SDH-deficient or NF1, none at all)."""

    def applies(case: GistCase, draft: DraftTki) -> bool:
        exempt = avapritinib_allowed and draft.drug is Drug.AVAPRITINIB
        return pathway(case) is Pathway.LOCALIZED and genotype(case) in genotypes and not exempt

    return applies


def _neoadjuvant_build(case: GistCase, draft: DraftTki) -> tuple[str, str, SuggestedChange]:
    gt = _genotype_text(case)
    return (
        f"No neoadjuvant {draft.drug.value} for {gt} GIST: proceed to surgery if feasible",
        f"A localized {gt} GIST is not expected to respond to {draft.drug.value}: "
        "neoadjuvant TKI therapy is not given and the patient proceeds to surgery if feasible."
        + (
            " Neoadjuvant avapritinib may be considered but is not validated."
            if genotype(case) is Genotype.PDGFRA_D842V
            else ""
        ),
        _withdraw(draft),
    )


# --- G13: avapritinib in non-D842V disease -----------------------------------------------------


def _avapritinib_early(case: GistCase, draft: DraftTki) -> bool:
    given = given_for_disease(case)
    return (
        draft.drug is Drug.AVAPRITINIB
        and genotype(case) in KIT_GENOTYPES
        and not {Drug.IMATINIB, Drug.SUNITINIB, Drug.REGORAFENIB} <= given
    )


def _avapritinib_early_build(case: GistCase, draft: DraftTki) -> tuple[str, str, SuggestedChange]:
    regimen = standard_regimen(case, next_standard_line(case)) or regimens.IMATINIB_400
    return (
        f"Avapritinib is not for {_genotype_text(case)} GIST before imatinib, sunitinib and "
        f"regorafenib: order {regimen.display.lower()}",
        "In disease without PDGFRA D842V, avapritinib comes only after imatinib, sunitinib and "
        f"regorafenib ({numbers.VOYAGER}). The next standard line for this patient is "
        f"{regimen.display.lower()}.",
        _replace_with(regimen),
    )


def _avapritinib_genotype_unknown(case: GistCase, draft: DraftTki) -> bool:
    given = given_for_disease(case)
    return (
        draft.drug is Drug.AVAPRITINIB
        and _advanced(case)
        and not case.genotype.is_known
        and not {Drug.IMATINIB, Drug.SUNITINIB, Drug.REGORAFENIB} <= given
    )


def _avapritinib_genotype_unknown_build(
    case: GistCase, draft: DraftTki
) -> tuple[str, str, SuggestedChange]:
    regimen = standard_regimen(case, next_standard_line(case)) or regimens.IMATINIB_400
    gap = case.genotype.note or "not recorded"
    return (
        "Genotype unknown: avapritinib is for PDGFRA D842V GIST; order "
        f"{regimen.display.lower()} while KIT/PDGFRA testing is awaited",
        f"The KIT/PDGFRA genotype is unknown ({gap}). Avapritinib is the first-line drug for "
        "PDGFRA D842V only; in other disease it comes after imatinib, sunitinib and regorafenib "
        f"({numbers.VOYAGER}). While the genotype is awaited, the standard choice is "
        f"{regimen.display.lower()}; request KIT/PDGFRA mutation analysis.",
        _replace_with(regimen),
    )


# --- G2: KIT exon 9 at 400 mg --------------------------------------------------------------------


def _exon9_low_dose(case: GistCase, draft: DraftTki) -> bool:
    return (
        draft.drug is Drug.IMATINIB
        and genotype(case) is Genotype.KIT_EXON_9
        and _advanced(case)
        and draft.daily_mg is not None
        and draft.daily_mg < regimens.IMATINIB_800.dose_mg_per_day
    )


def _exon9_build(case: GistCase, draft: DraftTki) -> tuple[str, str, SuggestedChange]:
    dose = mg(draft.daily_mg or 0)
    return (
        f"KIT exon 9 advanced GIST: imatinib {dose} daily is below the 800 mg daily "
        "(400 mg twice daily) dose",
        "Advanced GIST with a KIT exon 9 mutation is treated with imatinib 800 mg daily, given as "
        "400 mg twice daily: progression-free survival is longer than on 400 mg daily in this "
        f"genotype. The order is for {dose} daily.",
        _replace_with(regimens.IMATINIB_800),
    )


# --- F3 / F11 / F7: adjuvant imatinib without benefit ------------------------------------------


def _resected_course_free(case: GistCase) -> bool:
    """After resection with no neoadjuvant course (D10 continues neoadjuvant imatinib)."""
    return pathway(case) is Pathway.RESECTED and not courses_in(case, TherapySetting.NEOADJUVANT)


def _adjuvant_for(genotypes: frozenset[Genotype]) -> Callable[[GistCase, DraftTki], bool]:
    """Imatinib after resection for a genotype that gains nothing from it (F3, F11)."""

    def applies(case: GistCase, draft: DraftTki) -> bool:
        return (
            draft.drug is Drug.IMATINIB
            and pathway(case) is Pathway.RESECTED
            and genotype(case) in genotypes
        )

    return applies


def _adjuvant_no_benefit_build(case: GistCase, draft: DraftTki) -> tuple[str, str, SuggestedChange]:
    gt = _genotype_text(case)
    extra = (
        " A GIST without a KIT or PDGFRA mutation should have SDHB immunohistochemistry, an NF1 "
        "assessment and BRAF and NTRK testing."
        if genotype(case) is Genotype.WILD_TYPE
        else ""
    )
    return (
        f"Adjuvant imatinib is not expected to help {gt} GIST: surveillance instead",
        f"After resection of a {gt} GIST, adjuvant imatinib is unlikely to be of benefit; the "
        f"patient is followed by surveillance.{extra}",
        _withdraw(draft),
    )


def _adjuvant_low_risk(case: GistCase, draft: DraftTki) -> bool:
    if draft.drug is not Drug.IMATINIB or not _resected_course_free(case):
        return False
    if genotype(case) in NO_ADJUVANT_BENEFIT:
        return False  # the genotype check already says so
    return assess_risk(case).nih in (NihRisk.VERY_LOW, NihRisk.LOW)


def _adjuvant_low_risk_build(case: GistCase, draft: DraftTki) -> tuple[str, str, SuggestedChange]:
    nih = assess_risk(case).nih
    category = nih.value.replace("-", " ") if nih is not None else "low"
    return (
        f"{category.capitalize()}-risk resected GIST: no adjuvant imatinib; surveillance instead",
        f"The resected tumour is {category} risk on the modified NIH criteria. Adjuvant imatinib "
        "is given for high-risk tumours; very-low and low-risk tumours are followed with "
        "imaging (abdomen and pelvis every 3–6 months for most).",
        _withdraw(draft),
    )


# --- G9 / G10 / G11: a later line while earlier lines were not given ----------------------------

#: G12: options with limited evidence, after the standard lines.
_AFTER_STANDARD_LINES = (Drug.SORAFENIB, Drug.NILOTINIB, Drug.PAZOPANIB, Drug.DASATINIB)
_PREREQUISITES = {
    Drug.SUNITINIB: (Drug.IMATINIB,),
    Drug.REGORAFENIB: (Drug.IMATINIB, Drug.SUNITINIB),
    Drug.RIPRETINIB: (Drug.IMATINIB, Drug.SUNITINIB, Drug.REGORAFENIB),
    **dict.fromkeys(_AFTER_STANDARD_LINES, STANDARD_LINES),
}
_LINE_RULE = {
    Drug.SUNITINIB: "G9",
    Drug.REGORAFENIB: "G10",
    Drug.RIPRETINIB: "G11",
    **dict.fromkeys(_AFTER_STANDARD_LINES, "G12"),
}
_LINE_EVIDENCE = {
    Drug.SUNITINIB: ("S6", "SUNITINIB2006"),
    Drug.REGORAFENIB: ("S6", "GRID2013"),
    Drug.RIPRETINIB: ("S6", "S24", "INVICTUS2020"),
    **dict.fromkeys(_AFTER_STANDARD_LINES, ("S6", "S23", "S24b")),
}


def _skipped(case: GistCase, drug: Drug) -> tuple[Drug, ...]:
    given = given_for_disease(case)
    # G11: ripretinib comes after three or more TKIs including imatinib.
    if drug is Drug.RIPRETINIB and Drug.IMATINIB in given and len(given) >= 3:
        return ()
    return tuple(d for d in _PREREQUISITES.get(drug, ()) if d not in given)


def _line_skip(drug: Drug) -> Callable[[GistCase, DraftTki], bool]:
    def applies(case: GistCase, draft: DraftTki) -> bool:
        return (
            draft.drug is drug
            and _advanced(case)
            and genotype(case) not in OWN_PATHWAY
            and bool(_skipped(case, drug))
        )

    return applies


def _listed(drugs: Sequence[Drug]) -> str:
    names = [d.value for d in drugs]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _line_skip_build(case: GistCase, draft: DraftTki) -> tuple[str, str, SuggestedChange]:
    missing = _skipped(case, draft.drug)
    regimen = standard_regimen(case, next_standard_line(case)) or regimens.IMATINIB_400
    not_given = _listed(missing)
    return (
        f"{drug_name(draft.drug)} before {not_given}: order {regimen.display.lower()} first",
        f"{drug_name(draft.drug)} comes after {_listed(_PREREQUISITES[draft.drug])} in advanced "
        "GIST (imatinib, then sunitinib, then regorafenib, then ripretinib; other TKIs after "
        f"these). The record shows no {not_given} for advanced disease. If it was given "
        "elsewhere or not tolerated, record it in the TKI history; otherwise the next line is "
        f"{regimen.display.lower()}.",
        _replace_with(regimen),
    )


# --- §3 doses -----------------------------------------------------------------------------------

#: Daily dose limits of §3: (lowest, highest) mg/day that is still the regimen.
DOSE_RANGE: dict[Drug, tuple[float, float]] = {
    Drug.IMATINIB: (400, 800),
    Drug.SUNITINIB: (37.5, 50),
    Drug.REGORAFENIB: (160, 160),
    Drug.RIPRETINIB: (150, 150),
    Drug.AVAPRITINIB: (300, 300),
}
_DOSE_RULE = {
    Drug.IMATINIB: "G1",
    Drug.SUNITINIB: "G9",
    Drug.REGORAFENIB: "G10",
    Drug.RIPRETINIB: "G11",
    Drug.AVAPRITINIB: "G3",
}


def _for(
    drug: Drug, predicate: Callable[[GistCase, DraftTki], bool]
) -> Callable[[GistCase, DraftTki], bool]:
    """`predicate`, for orders of `drug` only (one check record per drug)."""
    return lambda case, draft: draft.drug is drug and predicate(case, draft)


def _above(case: GistCase, draft: DraftTki) -> bool:
    limits = DOSE_RANGE.get(draft.drug)
    return limits is not None and draft.daily_mg is not None and draft.daily_mg > limits[1]


def _below(case: GistCase, draft: DraftTki) -> bool:
    """Below the regimen. Lower doses are a deliberate toxicity reduction for regorafenib,
    sunitinib and avapritinib (G17) and are left alone; ripretinib has one dose (150 mg)."""
    return (
        draft.drug is Drug.RIPRETINIB
        and draft.daily_mg is not None
        and draft.daily_mg < DOSE_RANGE[Drug.RIPRETINIB][0]
    )


def _dose_build(case: GistCase, draft: DraftTki) -> tuple[str, str, SuggestedChange]:
    regimen = standard_regimen(case, draft.drug)
    assert regimen is not None  # every drug in DOSE_RANGE has a regimen
    low, high = DOSE_RANGE[draft.drug]
    dose = mg(draft.daily_mg or 0)
    usual = mg(high) if low == high else f"{mg(low)} to {mg(high)}"
    direction = "above" if (draft.daily_mg or 0) > high else "below"
    return (
        f"{drug_name(draft.drug)} {dose} daily is {direction} the regimen dose: "
        f"{regimen.display.lower()}",
        f"The order is for {drug_name(draft.drug).lower()} {dose} a day; the regimen is "
        f"{regimen.display.lower()} (daily dose {usual}). Check the dose, the number of units "
        "and the frequency.",
        _replace_with(regimen),
    )


def _dose_unknown(case: GistCase, draft: DraftTki) -> bool:
    return draft.daily_mg is None and draft.drug in DOSE_RANGE


def _dose_unknown_build(case: GistCase, draft: DraftTki) -> tuple[str, str, SuggestedChange]:
    regimen = standard_regimen(case, draft.drug)
    assert regimen is not None
    why = draft.dose_problem or "the order gives no dose and frequency"
    return (
        f"The daily dose of the {draft.drug.value} order could not be checked: confirm the dose",
        f"The daily dose could not be worked out: {why}. It was not guessed. The regimen for "
        f"this patient is {regimen.display.lower()}.",
        _replace_with(regimen),
    )


# --- D13 / I8: duplicate and emergency -----------------------------------------------------------


def _running_other_than(course: TkiCourse, draft: DraftTki) -> bool:
    """An active course of the drafted drug that is not the draft itself (when re-signing a
    revised order, the EHR may already hold it as an active MedicationRequest)."""
    itself = f"{course.source.resource_type}/{course.source.resource_id}" == draft.reference
    return course.drug is draft.drug and course.status is TherapyStatus.ACTIVE and not itself


def _duplicate(case: GistCase, draft: DraftTki) -> bool:
    """The drug is already taken at the same dose (a dose change, e.g. imatinib escalation to
    800 mg (G7), is not a duplicate). Unknown doses on either side count as the same order."""
    for course in case.tki_history:
        if _running_other_than(course, draft):
            if course.daily_dose_mg is None or draft.daily_mg is None:
                return True
            if abs(course.daily_dose_mg - draft.daily_mg) < 0.01:
                return True
    return False


def _duplicate_build(case: GistCase, draft: DraftTki) -> tuple[str, str, SuggestedChange]:
    course = next(c for c in case.tki_history if _running_other_than(c, draft))
    since = f" since {course.start.isoformat()}" if course.start else ""
    dose = f" {mg(course.daily_dose_mg)} daily" if course.daily_dose_mg else ""
    return (
        f"The patient already takes {draft.drug.value}{dose}: this order duplicates it",
        f"The record shows {draft.drug.value}{dose}{since}, still active. A second order risks "
        "a double dose. Renew or change the existing prescription instead.",
        _withdraw(draft),
    )


def _emergency(case: GistCase, draft: DraftTki) -> bool:
    return definite_emergency(case)


def _emergency_build(case: GistCase, draft: DraftTki) -> tuple[str, str, SuggestedChange]:
    kinds = sorted(
        {
            f.kind.value.replace("-", " ")
            for f in case.emergencies
            if f.kind in TRIGGER_KINDS and f.certainty is Certainty.DEFINITE
        }
    )
    return (
        f"Active surgical emergency ({', '.join(kinds)}): hold the {draft.drug.value} order",
        f"The record shows an active surgical emergency ({', '.join(kinds)}). Emergency "
        "surgical review comes first; the surgical team manages TKI interruption around an "
        "operation per the drug's label, and the TKI is resumed after recovery when indicated.",
        _withdraw(draft),
    )


# --- the checks ----------------------------------------------------------------------------------

CHECKS: tuple[OrderCheck, ...] = (
    OrderCheck(
        "order-emergency",
        "I8",
        "TKI ordered during an active surgical emergency",
        ("S6",),
        CheckKind.CONTEXT,
        Indicator.CRITICAL,
        _emergency,
        _emergency_build,
    ),
    OrderCheck(
        "order-d842v-not-avapritinib",
        "G3",
        "TKI other than avapritinib for advanced PDGFRA D842V GIST",
        ("S6", "NAVIGATOR2020"),
        CheckKind.DRUG,
        Indicator.CRITICAL,
        _d842v_advanced,
        _d842v_advanced_build,
    ),
    OrderCheck(
        "order-neoadjuvant-d842v",
        "D5",
        "Neoadjuvant TKI other than avapritinib for PDGFRA D842V GIST",
        ("S6",),
        CheckKind.DRUG,
        Indicator.CRITICAL,
        _neoadjuvant_for(frozenset({Genotype.PDGFRA_D842V}), avapritinib_allowed=True),
        _neoadjuvant_build,
    ),
    OrderCheck(
        "order-neoadjuvant-sdh-nf1",
        "D6",
        "Neoadjuvant TKI for SDH-deficient or NF1-associated GIST",
        ("S6",),
        CheckKind.DRUG,
        Indicator.CRITICAL,
        _neoadjuvant_for(
            frozenset({Genotype.SDH_DEFICIENT, Genotype.NF1}), avapritinib_allowed=False
        ),
        _neoadjuvant_build,
    ),
    OrderCheck(
        "order-avapritinib-non-d842v",
        "G13",
        "Avapritinib before imatinib, sunitinib and regorafenib in non-D842V GIST",
        ("S6", "VOYAGER2021"),
        CheckKind.DRUG,
        Indicator.CRITICAL,
        _avapritinib_early,
        _avapritinib_early_build,
    ),
    OrderCheck(
        "order-avapritinib-genotype-unknown",
        "G13",
        "Avapritinib for advanced GIST whose genotype is unknown",
        ("S6", "VOYAGER2021"),
        CheckKind.DRUG,
        Indicator.WARNING,
        _avapritinib_genotype_unknown,
        _avapritinib_genotype_unknown_build,
    ),
    OrderCheck(
        "order-adjuvant-no-benefit",
        "F3",
        "Adjuvant imatinib for PDGFRA D842V, SDH-deficient or NF1 GIST",
        ("S6",),
        CheckKind.DRUG,
        Indicator.CRITICAL,
        _adjuvant_for(NO_ADJUVANT_BENEFIT - {Genotype.WILD_TYPE}),
        _adjuvant_no_benefit_build,
    ),
    OrderCheck(
        "order-adjuvant-wild-type",
        "F11",
        "Adjuvant imatinib for KIT/PDGFRA wild-type GIST",
        ("S5", "S6"),
        CheckKind.DRUG,
        Indicator.CRITICAL,
        _adjuvant_for(frozenset({Genotype.WILD_TYPE})),
        _adjuvant_no_benefit_build,
    ),
    OrderCheck(
        "order-adjuvant-low-risk",
        "F7",
        "Adjuvant imatinib for a very-low or low-risk resected GIST",
        ("S6", "S5", "JOENSUU2008"),
        CheckKind.DRUG,
        Indicator.WARNING,
        _adjuvant_low_risk,
        _adjuvant_low_risk_build,
    ),
    *(
        OrderCheck(
            f"order-line-skipped-{drug.value}",
            _LINE_RULE[drug],
            f"{drug_name(drug)} while earlier standard lines were not given",
            _LINE_EVIDENCE[drug],
            CheckKind.DRUG,
            Indicator.WARNING,
            _line_skip(drug),
            _line_skip_build,
        )
        for drug in _LINE_RULE
    ),
    OrderCheck(
        "order-exon9-dose",
        "G2",
        "Imatinib below 800 mg daily for advanced KIT exon 9 GIST",
        ("S6", "S25", "METAGIST2010", "DEBIEC2006"),
        CheckKind.DOSE,
        Indicator.WARNING,
        _exon9_low_dose,
        _exon9_build,
    ),
    *(
        OrderCheck(
            f"order-dose-above-{drug.value}",
            _DOSE_RULE[drug],
            f"{drug_name(drug)} above its regimen dose",
            ("S6",),
            CheckKind.DOSE,
            Indicator.CRITICAL,
            _for(drug, _above),
            _dose_build,
        )
        for drug in DOSE_RANGE
    ),
    OrderCheck(
        "order-dose-below-ripretinib",
        "G11",
        "Ripretinib below 150 mg once daily",
        ("S6", "INVICTUS2020"),
        CheckKind.DOSE,
        Indicator.WARNING,
        _below,
        _dose_build,
    ),
    *(
        OrderCheck(
            f"order-dose-unreadable-{drug.value}",
            _DOSE_RULE[drug],
            f"{drug_name(drug)} order whose daily dose could not be read",
            ("S6",),
            CheckKind.DOSE,
            Indicator.WARNING,
            _for(drug, _dose_unknown),
            _dose_unknown_build,
        )
        for drug in DOSE_RANGE
    ),
    OrderCheck(
        "order-duplicate",
        "D13",
        "TKI the patient already takes",
        ("S6",),
        CheckKind.CONTEXT,
        Indicator.WARNING,
        _duplicate,
        _duplicate_build,
    ),
)


def check_drafts(case: GistCase, drafts: Sequence[DraftTki]) -> list[OrderFinding]:
    """Every finding for every drafted TKI order; none for a correct order or a non-GIST case.
    A dose finding is dropped when a drug finding already replaces or removes that order."""
    if not case.has_gist or case.deceased:
        return []
    findings: list[OrderFinding] = []
    for draft in drafts:
        fired = [check for check in CHECKS if check.applies(case, draft)]
        if any(check.kind is CheckKind.DRUG for check in fired):
            fired = [check for check in fired if check.kind is not CheckKind.DOSE]
        findings += [check.finding(case, draft) for check in fired]
    return findings
