"""Order checks: a dose far from the §3 regimen, or a dose that cannot be read (G1, G2, G3, G9,
G10, G11). One record per check and drug: its condition, its alert builder (the regimen dose
instead), sources, reads. Doses below the regimen are left alone except for ripretinib (one
dose) and imatinib for KIT exon 9: a lower dose is a deliberate toxicity reduction (G17).
"""

from __future__ import annotations

from collections.abc import Callable

from logic.case import Drug, Genotype, GistCase
from logic.facts import genotype
from logic.knowledge import regimens
from logic.orders.draft import DraftTki, SuggestedChange
from logic.orders.reading import (
    DOSE_RANGE,
    FINDING_READS,
    PATHWAY_READS,
    advanced,
    drug_name,
    mg,
    replace_with,
    standard_regimen,
)
from logic.orders.rule import CheckKind, OrderCheck
from logic.recommendation import Indicator

#: The knowledge-base rule that gives each drug's regimen.
DOSE_RULE = {
    Drug.IMATINIB: "G1",
    Drug.SUNITINIB: "G9",
    Drug.REGORAFENIB: "G10",
    Drug.RIPRETINIB: "G11",
    Drug.AVAPRITINIB: "G3",
}


# --- G2: KIT exon 9 at 400 mg --------------------------------------------------------------------


def _exon9_low_dose(case: GistCase, draft: DraftTki) -> bool:
    return (
        draft.drug is Drug.IMATINIB
        and genotype(case) is Genotype.KIT_EXON_9
        and advanced(case)
        and draft.daily_mg is not None
        and draft.daily_mg < regimens.IMATINIB_800.dose_mg_per_day
    )


def _exon9_alert(case: GistCase, draft: DraftTki) -> tuple[str, str, SuggestedChange]:
    dose = mg(draft.daily_mg or 0)
    return (
        f"KIT exon 9 advanced GIST: imatinib {dose} daily is below the 800 mg daily "
        "(400 mg twice daily) dose",
        "Advanced GIST with a KIT exon 9 mutation is treated with imatinib 800 mg daily, given as "
        "400 mg twice daily: progression-free survival is longer than on 400 mg daily in this "
        f"genotype. The order is for {dose} daily.",
        replace_with(regimens.IMATINIB_800),
    )


EXON9_DOSE = OrderCheck(
    check_id="order-exon9-dose",
    rule_id="G2",
    title="Imatinib below 800 mg daily for advanced KIT exon 9 GIST",
    statement=(
        "Advanced KIT exon 9 GIST is treated with imatinib 800 mg daily (400 mg twice daily). "
        "The order is changed to that dose."
    ),
    conditions=("advanced GIST with KIT exon 9", "imatinib ordered below 800 mg a day"),
    citations=("S6", "S25"),
    references=("METAGIST2010", "DEBIEC2006"),
    reads=PATHWAY_READS,
    kind=CheckKind.DOSE,
    indicator=Indicator.WARNING,
    when=_exon9_low_dose,
    build=_exon9_alert,
)


# --- §3 doses -----------------------------------------------------------------------------------


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


def _dose_alert(case: GistCase, draft: DraftTki) -> tuple[str, str, SuggestedChange]:
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
        replace_with(regimen),
    )


def _dose_above(drug: Drug) -> OrderCheck:
    """The record of one drug's highest-dose check."""
    high = mg(DOSE_RANGE[drug][1])
    return OrderCheck(
        check_id=f"order-dose-above-{drug.value}",
        rule_id=DOSE_RULE[drug],
        title=f"{drug_name(drug)} above its regimen dose",
        statement=(
            f"{drug_name(drug)} above {high} a day is beyond its regimen: check the dose, the "
            "number of units and the frequency. The order is changed to the regimen."
        ),
        conditions=(f"{drug.value} ordered at more than {high} a day",),
        citations=("S6",),
        references=(),
        reads=_DOSE_READS[drug],
        kind=CheckKind.DOSE,
        indicator=Indicator.CRITICAL,
        when=_for(drug, _above),
        build=_dose_alert,
    )


#: Only imatinib's regimen depends on the case (800 mg for advanced KIT exon 9 disease).
_DOSE_READS = dict.fromkeys(DOSE_RANGE, FINDING_READS) | {Drug.IMATINIB: PATHWAY_READS}

IMATINIB_ABOVE = _dose_above(Drug.IMATINIB)
SUNITINIB_ABOVE = _dose_above(Drug.SUNITINIB)
REGORAFENIB_ABOVE = _dose_above(Drug.REGORAFENIB)
RIPRETINIB_ABOVE = _dose_above(Drug.RIPRETINIB)
AVAPRITINIB_ABOVE = _dose_above(Drug.AVAPRITINIB)

RIPRETINIB_BELOW = OrderCheck(
    check_id="order-dose-below-ripretinib",
    rule_id="G11",
    title="Ripretinib below 150 mg once daily",
    statement=("Ripretinib has one dose, 150 mg once daily. The order is changed to that dose."),
    conditions=("ripretinib ordered at less than 150 mg a day",),
    citations=("S6",),
    references=("INVICTUS2020",),
    reads=FINDING_READS,
    kind=CheckKind.DOSE,
    indicator=Indicator.WARNING,
    when=_below,
    build=_dose_alert,
    design_note=(
        "Lower doses of sunitinib, regorafenib and avapritinib are a deliberate toxicity "
        "reduction (G17) and get no alert."
    ),
)


def _dose_unknown(case: GistCase, draft: DraftTki) -> bool:
    return draft.daily_mg is None and draft.drug in DOSE_RANGE


def _dose_unknown_alert(case: GistCase, draft: DraftTki) -> tuple[str, str, SuggestedChange]:
    regimen = standard_regimen(case, draft.drug)
    assert regimen is not None
    why = draft.dose_problem or "the order gives no dose and frequency"
    return (
        f"The daily dose of the {draft.drug.value} order could not be checked: confirm the dose",
        f"The daily dose could not be worked out: {why}. It was not guessed. The regimen for "
        f"this patient is {regimen.display.lower()}.",
        replace_with(regimen),
    )


def _dose_unreadable(drug: Drug) -> OrderCheck:
    """The record of one drug's unreadable-dose check."""
    return OrderCheck(
        check_id=f"order-dose-unreadable-{drug.value}",
        rule_id=DOSE_RULE[drug],
        title=f"{drug_name(drug)} order whose daily dose could not be read",
        statement=(
            f"The daily dose of a {drug.value} order could not be worked out (the card says "
            "why); it is not guessed. The clinician confirms the dose; the regimen is offered."
        ),
        conditions=(
            f"{drug.value} is ordered",
            "no dose, no frequency, or a unit count whose product strength is unknown",
        ),
        citations=("S6",),
        references=(),
        reads=_DOSE_READS[drug],
        kind=CheckKind.DOSE,
        indicator=Indicator.WARNING,
        when=_for(drug, _dose_unknown),
        build=_dose_unknown_alert,
    )


IMATINIB_UNREADABLE = _dose_unreadable(Drug.IMATINIB)
SUNITINIB_UNREADABLE = _dose_unreadable(Drug.SUNITINIB)
REGORAFENIB_UNREADABLE = _dose_unreadable(Drug.REGORAFENIB)
RIPRETINIB_UNREADABLE = _dose_unreadable(Drug.RIPRETINIB)
AVAPRITINIB_UNREADABLE = _dose_unreadable(Drug.AVAPRITINIB)
