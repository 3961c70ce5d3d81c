"""Order checks: a TKI the genotype or the setting gives no benefit from (G3, D5, D6, G13, F3,
F11, F7). One record per check: its condition, its alert builder, sources, reads and design
note. A check whose facts are unknown stays silent.
"""

from __future__ import annotations

from collections.abc import Callable

from logic.case import Drug, Genotype, GistCase
from logic.facts import Pathway, assess_risk, genotype, pathway
from logic.knowledge import evidence as numbers
from logic.knowledge import regimens
from logic.orders.draft import DraftTki, SuggestedChange
from logic.orders.reading import (
    KIT_GENOTYPES,
    NO_ADJUVANT_BENEFIT,
    PATHWAY_READS,
    RISK_READS,
    advanced,
    drug_name,
    genotype_text,
    given_for_disease,
    next_line_regimen,
    replace_with,
    resected_course_free,
    summary_ordering,
    withdraw,
)
from logic.orders.rule import CheckKind, OrderCheck
from logic.recommendation import Indicator, NihRisk

_EARLIER_THAN_AVAPRITINIB = frozenset({Drug.IMATINIB, Drug.SUNITINIB, Drug.REGORAFENIB})


# --- G3: advanced PDGFRA D842V -------------------------------------------------------------------


def _d842v_advanced(case: GistCase, draft: DraftTki) -> bool:
    had_avapritinib = any(c.drug is Drug.AVAPRITINIB for c in case.tki_history)
    return (
        genotype(case) is Genotype.PDGFRA_D842V
        and advanced(case)
        and draft.drug is not Drug.AVAPRITINIB
        and not had_avapritinib
    )


def _d842v_advanced_alert(case: GistCase, draft: DraftTki) -> tuple[str, str, SuggestedChange]:
    name = drug_name(draft.drug)
    return (
        f"{name} does not work in PDGFRA D842V GIST: order avapritinib 300 mg once daily instead",
        f"The tumour carries PDGFRA D842V, which is resistant to {draft.drug.value} and the "
        "other standard TKIs. First-line treatment for advanced D842V GIST is avapritinib "
        f"300 mg once daily ({numbers.NAVIGATOR}). Observation is reasonable if the disease is "
        "asymptomatic and indolent.",
        replace_with(regimens.AVAPRITINIB_300),
    )


D842V_NOT_AVAPRITINIB = OrderCheck(
    check_id="order-d842v-not-avapritinib",
    rule_id="G3",
    title="TKI other than avapritinib for advanced PDGFRA D842V GIST",
    statement=(
        "PDGFRA D842V resists imatinib and the other standard TKIs: advanced disease is "
        "treated with avapritinib 300 mg once daily. The order is changed to avapritinib."
    ),
    conditions=(
        "advanced (metastatic or unresectable) GIST with PDGFRA D842V",
        "any TKI but avapritinib is ordered",
        "no avapritinib course in the record",
    ),
    citations=("S6",),
    references=("NAVIGATOR2020",),
    reads=PATHWAY_READS,
    kind=CheckKind.DRUG,
    indicator=Indicator.CRITICAL,
    when=_d842v_advanced,
    build=_d842v_advanced_alert,
    design_note=(
        "Silent once avapritinib was given: what follows avapritinib in D842V disease is not a "
        "standard sequence, so no drug is called wrong there."
    ),
)


# --- D5 / D6: neoadjuvant TKI for a genotype that gets none --------------------------------------


def _neoadjuvant_for(
    genotypes: frozenset[Genotype], *, avapritinib_allowed: bool
) -> Callable[[GistCase, DraftTki], bool]:
    """A TKI for a localized, not yet resected GIST of a genotype that gets no neoadjuvant TKI
    (D5: D842V, where avapritinib may be considered; D6: SDH-deficient or NF1, none at all)."""

    def applies(case: GistCase, draft: DraftTki) -> bool:
        exempt = avapritinib_allowed and draft.drug is Drug.AVAPRITINIB
        return pathway(case) is Pathway.LOCALIZED and genotype(case) in genotypes and not exempt

    return applies


def _neoadjuvant_alert(case: GistCase, draft: DraftTki) -> tuple[str, str, SuggestedChange]:
    gt = genotype_text(case)
    return (
        f"No neoadjuvant {draft.drug.value} for {gt} GIST: proceed to surgery if feasible",
        f"A localized {gt} GIST is not expected to respond to {draft.drug.value}: "
        "neoadjuvant TKI therapy is not given and the patient proceeds to surgery if feasible."
        + (
            " Neoadjuvant avapritinib may be considered but is not validated."
            if genotype(case) is Genotype.PDGFRA_D842V
            else ""
        ),
        withdraw(draft),
    )


NEOADJUVANT_D842V = OrderCheck(
    check_id="order-neoadjuvant-d842v",
    rule_id="D5",
    title="Neoadjuvant TKI other than avapritinib for PDGFRA D842V GIST",
    statement=(
        "A localized PDGFRA D842V GIST gets no neoadjuvant imatinib: surgery if feasible "
        "(neoadjuvant avapritinib may be considered but is not validated). The draft is removed."
    ),
    conditions=(
        "localized GIST, not yet resected",
        "PDGFRA D842V",
        "any TKI but avapritinib is ordered",
    ),
    citations=("S6",),
    references=(),
    reads=PATHWAY_READS,
    kind=CheckKind.DRUG,
    indicator=Indicator.CRITICAL,
    when=_neoadjuvant_for(frozenset({Genotype.PDGFRA_D842V}), avapritinib_allowed=True),
    build=_neoadjuvant_alert,
)

NEOADJUVANT_SDH_NF1 = OrderCheck(
    check_id="order-neoadjuvant-sdh-nf1",
    rule_id="D6",
    title="Neoadjuvant TKI for SDH-deficient or NF1-associated GIST",
    statement=(
        "A localized SDH-deficient or NF1-associated GIST gets no neoadjuvant TKI: surgery if "
        "feasible. The draft is removed."
    ),
    conditions=("localized GIST, not yet resected", "SDH-deficient or NF1", "any TKI is ordered"),
    citations=("S6",),
    references=(),
    reads=PATHWAY_READS,
    kind=CheckKind.DRUG,
    indicator=Indicator.CRITICAL,
    when=_neoadjuvant_for(
        frozenset({Genotype.SDH_DEFICIENT, Genotype.NF1}), avapritinib_allowed=False
    ),
    build=_neoadjuvant_alert,
)


# --- G13: avapritinib before imatinib, sunitinib and regorafenib ---------------------------------


def _avapritinib_early(case: GistCase, draft: DraftTki) -> bool:
    return (
        draft.drug is Drug.AVAPRITINIB
        and genotype(case) in KIT_GENOTYPES
        and not given_for_disease(case) >= _EARLIER_THAN_AVAPRITINIB
    )


def _avapritinib_early_alert(case: GistCase, draft: DraftTki) -> tuple[str, str, SuggestedChange]:
    regimen = next_line_regimen(case)
    return (
        summary_ordering(
            f"Avapritinib is not for {genotype_text(case)} GIST before imatinib, sunitinib and "
            "regorafenib: order ",
            regimen,
        ),
        "In disease without PDGFRA D842V, avapritinib comes only after imatinib, sunitinib and "
        f"regorafenib ({numbers.VOYAGER}). The next standard line for this patient is "
        f"{regimen.display.lower()}.",
        replace_with(regimen),
    )


AVAPRITINIB_NON_D842V = OrderCheck(
    check_id="order-avapritinib-non-d842v",
    rule_id="G13",
    title="Avapritinib before imatinib, sunitinib and regorafenib in non-D842V GIST",
    statement=(
        "In KIT-mutant GIST avapritinib comes only after imatinib, sunitinib and regorafenib "
        "(it did worse than regorafenib in VOYAGER). The order is changed to the next standard "
        "line."
    ),
    conditions=(
        "KIT-mutant GIST (exon 11, exon 9 or another exon)",
        "avapritinib is ordered",
        "imatinib, sunitinib and regorafenib not all given for the disease",
    ),
    citations=("S6",),
    references=("VOYAGER2021",),
    reads=PATHWAY_READS,
    kind=CheckKind.DRUG,
    indicator=Indicator.CRITICAL,
    when=_avapritinib_early,
    build=_avapritinib_early_alert,
)


def _avapritinib_genotype_unknown(case: GistCase, draft: DraftTki) -> bool:
    return (
        draft.drug is Drug.AVAPRITINIB
        and advanced(case)
        and not case.genotype.is_known
        and not given_for_disease(case) >= _EARLIER_THAN_AVAPRITINIB
    )


def _avapritinib_genotype_unknown_alert(
    case: GistCase, draft: DraftTki
) -> tuple[str, str, SuggestedChange]:
    regimen = next_line_regimen(case)
    gap = case.genotype.note or "not recorded"
    return (
        summary_ordering(
            "Genotype unknown: avapritinib is for PDGFRA D842V GIST; order ",
            regimen,
            " while KIT/PDGFRA testing is awaited",
        ),
        f"The KIT/PDGFRA genotype is unknown ({gap}). Avapritinib is the first-line drug for "
        "PDGFRA D842V only; in other disease it comes after imatinib, sunitinib and regorafenib "
        f"({numbers.VOYAGER}). While the genotype is awaited, the standard choice is "
        f"{regimen.display.lower()}; request KIT/PDGFRA mutation analysis.",
        replace_with(regimen),
    )


AVAPRITINIB_GENOTYPE_UNKNOWN = OrderCheck(
    check_id="order-avapritinib-genotype-unknown",
    rule_id="G13",
    title="Avapritinib for advanced GIST whose genotype is unknown",
    statement=(
        "Avapritinib is first line only for PDGFRA D842V; while the genotype is awaited the "
        "standard choice is the next standard line (imatinib 400 mg daily first). The order is "
        "changed to it and KIT/PDGFRA testing is asked for."
    ),
    conditions=(
        "advanced GIST, KIT/PDGFRA genotype unknown",
        "avapritinib is ordered",
        "imatinib, sunitinib and regorafenib not all given for the disease",
    ),
    citations=("S6",),
    references=("VOYAGER2021",),
    reads=PATHWAY_READS,
    kind=CheckKind.DRUG,
    indicator=Indicator.WARNING,
    when=_avapritinib_genotype_unknown,
    build=_avapritinib_genotype_unknown_alert,
    design_note=(
        "A warning, not critical: the genotype may yet turn out to be D842V, for which "
        "avapritinib is the right drug."
    ),
)


# --- F3 / F11 / F7: adjuvant imatinib without benefit --------------------------------------------


def _adjuvant_for(genotypes: frozenset[Genotype]) -> Callable[[GistCase, DraftTki], bool]:
    """Imatinib after resection for a genotype that gains nothing from it (F3, F11)."""

    def applies(case: GistCase, draft: DraftTki) -> bool:
        return (
            draft.drug is Drug.IMATINIB
            and pathway(case) is Pathway.RESECTED
            and genotype(case) in genotypes
        )

    return applies


def _adjuvant_no_benefit_alert(case: GistCase, draft: DraftTki) -> tuple[str, str, SuggestedChange]:
    gt = genotype_text(case)
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
        withdraw(draft),
    )


ADJUVANT_NO_BENEFIT = OrderCheck(
    check_id="order-adjuvant-no-benefit",
    rule_id="F3",
    title="Adjuvant imatinib for PDGFRA D842V, SDH-deficient or NF1 GIST",
    statement=(
        "Adjuvant imatinib is unlikely to help a resected PDGFRA D842V, SDH-deficient or "
        "NF1-associated GIST: surveillance instead. The draft is removed."
    ),
    conditions=("resected GIST", "PDGFRA D842V, SDH-deficient or NF1", "imatinib is ordered"),
    citations=("S6",),
    references=(),
    reads=PATHWAY_READS,
    kind=CheckKind.DRUG,
    indicator=Indicator.CRITICAL,
    when=_adjuvant_for(NO_ADJUVANT_BENEFIT - {Genotype.WILD_TYPE}),
    build=_adjuvant_no_benefit_alert,
)

ADJUVANT_WILD_TYPE = OrderCheck(
    check_id="order-adjuvant-wild-type",
    rule_id="F11",
    title="Adjuvant imatinib for KIT/PDGFRA wild-type GIST",
    statement=(
        "Adjuvant imatinib is unlikely to help a resected GIST without a KIT or PDGFRA "
        "mutation; it needs SDHB, NF1, BRAF and NTRK testing instead. The draft is removed."
    ),
    conditions=("resected GIST", "KIT and PDGFRA wild type", "imatinib is ordered"),
    citations=("S5", "S6"),
    references=(),
    reads=PATHWAY_READS,
    kind=CheckKind.DRUG,
    indicator=Indicator.CRITICAL,
    when=_adjuvant_for(frozenset({Genotype.WILD_TYPE})),
    build=_adjuvant_no_benefit_alert,
)


def _adjuvant_low_risk(case: GistCase, draft: DraftTki) -> bool:
    if draft.drug is not Drug.IMATINIB or not resected_course_free(case):
        return False
    if genotype(case) in NO_ADJUVANT_BENEFIT:
        return False  # the genotype check already says so
    return assess_risk(case).nih in (NihRisk.VERY_LOW, NihRisk.LOW)


def _adjuvant_low_risk_alert(case: GistCase, draft: DraftTki) -> tuple[str, str, SuggestedChange]:
    nih = assess_risk(case).nih
    category = nih.value.replace("-", " ") if nih is not None else "low"
    return (
        f"{category.capitalize()}-risk resected GIST: no adjuvant imatinib; surveillance instead",
        f"The resected tumour is {category} risk on the modified NIH criteria. Adjuvant imatinib "
        "is given for high-risk tumours; very-low and low-risk tumours are followed with "
        "imaging (abdomen and pelvis every 3–6 months for most).",
        withdraw(draft),
    )


ADJUVANT_LOW_RISK = OrderCheck(
    check_id="order-adjuvant-low-risk",
    rule_id="F7",
    title="Adjuvant imatinib for a very-low or low-risk resected GIST",
    statement=(
        "A very-low or low-risk resected GIST (modified NIH) is followed by surveillance, not "
        "adjuvant imatinib. The draft is removed."
    ),
    conditions=(
        "resected GIST, no neoadjuvant course",
        "modified NIH risk very low or low",
        "a genotype that is not one of F3/F11 (those checks speak instead)",
        "imatinib is ordered",
    ),
    citations=("S6", "S5"),
    references=("JOENSUU2008",),
    reads=(*PATHWAY_READS, *RISK_READS),
    kind=CheckKind.DRUG,
    indicator=Indicator.WARNING,
    when=_adjuvant_low_risk,
    build=_adjuvant_low_risk_alert,
    design_note=(
        "Silent after a neoadjuvant course (D10: imatinib started before surgery continues "
        "after it) and when the risk cannot be decided from the record."
    ),
)
