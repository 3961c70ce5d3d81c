"""Order checks: a later line while earlier standard lines were not given (G9, G10, G11, G12).

Advanced GIST is treated imatinib, then sunitinib, then regorafenib, then ripretinib; sorafenib,
nilotinib, pazopanib and dasatinib come after these. One record per drug: its condition, its
alert builder (the next standard line instead), sources, reads. Genotypes with their own
pathway (D842V, SDH-deficient, NF1, wild type, BRAF, NTRK) are left to their own checks.
"""

from __future__ import annotations

from collections.abc import Callable

from logic.case import Drug, GistCase
from logic.facts import genotype
from logic.orders.draft import DraftTki, SuggestedChange
from logic.orders.reading import (
    OWN_PATHWAY,
    PATHWAY_READS,
    STANDARD_LINES,
    advanced,
    drug_name,
    given_for_disease,
    listed,
    next_line_regimen,
    replace_with,
)
from logic.orders.rule import CheckKind, OrderCheck
from logic.recommendation import Indicator

#: G12: options with limited evidence, after the standard lines.
AFTER_STANDARD_LINES = (Drug.SORAFENIB, Drug.NILOTINIB, Drug.PAZOPANIB, Drug.DASATINIB)
#: The lines that come before each drug.
PREREQUISITES: dict[Drug, tuple[Drug, ...]] = {
    Drug.SUNITINIB: (Drug.IMATINIB,),
    Drug.REGORAFENIB: (Drug.IMATINIB, Drug.SUNITINIB),
    Drug.RIPRETINIB: (Drug.IMATINIB, Drug.SUNITINIB, Drug.REGORAFENIB),
    **dict.fromkeys(AFTER_STANDARD_LINES, STANDARD_LINES),
}
_CONDITION_ADVANCED = (
    "advanced GIST of a genotype without its own pathway (not PDGFRA D842V, SDH-deficient, "
    "NF1, wild type, BRAF V600E or NTRK fusion)"
)


def skipped(case: GistCase, drug: Drug) -> tuple[Drug, ...]:
    """The earlier lines of `drug` the record does not show as given for the disease."""
    given = given_for_disease(case)
    # G11: ripretinib comes after three or more TKIs including imatinib.
    if drug is Drug.RIPRETINIB and Drug.IMATINIB in given and len(given) >= 3:
        return ()
    return tuple(d for d in PREREQUISITES.get(drug, ()) if d not in given)


def _line_skipped(drug: Drug) -> Callable[[GistCase, DraftTki], bool]:
    def applies(case: GistCase, draft: DraftTki) -> bool:
        return (
            draft.drug is drug
            and advanced(case)
            and genotype(case) not in OWN_PATHWAY
            and bool(skipped(case, drug))
        )

    return applies


def _line_skipped_alert(case: GistCase, draft: DraftTki) -> tuple[str, str, SuggestedChange]:
    missing = skipped(case, draft.drug)
    regimen = next_line_regimen(case)
    not_given = listed(missing)
    return (
        f"{drug_name(draft.drug)} before {not_given}: order {regimen.display.lower()} first",
        f"{drug_name(draft.drug)} comes after {listed(PREREQUISITES[draft.drug])} in advanced "
        "GIST (imatinib, then sunitinib, then regorafenib, then ripretinib; other TKIs after "
        f"these). The record shows no {not_given} for advanced disease. If it was given "
        "elsewhere or not tolerated, record it in the TKI history; otherwise the next line is "
        f"{regimen.display.lower()}.",
        replace_with(regimen),
    )


def _line_check(
    drug: Drug,
    rule_id: str,
    citations: tuple[str, ...],
    references: tuple[str, ...],
    given_condition: str,
    design_note: str | None = None,
) -> OrderCheck:
    """The record of one drug's line check (they differ only in drug, rule and sources)."""
    return OrderCheck(
        check_id=f"order-line-skipped-{drug.value}",
        rule_id=rule_id,
        title=f"{drug_name(drug)} while earlier standard lines were not given",
        statement=(
            f"{drug_name(drug)} comes after {listed(PREREQUISITES[drug])} in advanced GIST. "
            "The order is changed to the next standard line not yet given."
        ),
        conditions=(_CONDITION_ADVANCED, f"{drug.value} is ordered", given_condition),
        citations=citations,
        references=references,
        reads=PATHWAY_READS,
        kind=CheckKind.DRUG,
        indicator=Indicator.WARNING,
        when=_line_skipped(drug),
        build=_line_skipped_alert,
        design_note=design_note
        or (
            "A warning, not critical: an earlier line may have been given elsewhere; the card "
            "asks for it to be recorded in the TKI history."
        ),
    )


SUNITINIB_BEFORE_IMATINIB = _line_check(
    Drug.SUNITINIB, "G9", ("S6",), ("SUNITINIB2006",), "no imatinib given for the disease"
)
REGORAFENIB_TOO_EARLY = _line_check(
    Drug.REGORAFENIB,
    "G10",
    ("S6",),
    ("GRID2013",),
    "imatinib or sunitinib not given for the disease",
)
RIPRETINIB_TOO_EARLY = _line_check(
    Drug.RIPRETINIB,
    "G11",
    ("S6", "S24"),
    ("INVICTUS2020",),
    "imatinib, sunitinib or regorafenib not given, unless three TKIs including imatinib were",
)
_AFTER_ALL_FOUR = "one of imatinib, sunitinib, regorafenib and ripretinib not given for the disease"
_G12_SOURCES = ("S6", "S23", "S24b")
SORAFENIB_TOO_EARLY = _line_check(Drug.SORAFENIB, "G12", _G12_SOURCES, (), _AFTER_ALL_FOUR)
NILOTINIB_TOO_EARLY = _line_check(Drug.NILOTINIB, "G12", _G12_SOURCES, (), _AFTER_ALL_FOUR)
PAZOPANIB_TOO_EARLY = _line_check(Drug.PAZOPANIB, "G12", _G12_SOURCES, (), _AFTER_ALL_FOUR)
DASATINIB_TOO_EARLY = _line_check(Drug.DASATINIB, "G12", _G12_SOURCES, (), _AFTER_ALL_FOUR)
