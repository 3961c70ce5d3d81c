"""How the order checks read the case and write their suggestions (shared by every check).

The checks read the case through the same helpers as the guideline rules (genotype groups,
pathway, risk, emergencies from `logic.facts`), so an order is judged exactly as the
patient-view cards judge the case.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from logic.case import Drug, Genotype, GistCase, StopReason, TherapySetting
from logic.facts import GENOTYPE_TEXT, Pathway, courses_in, genotype, pathway
from logic.knowledge import regimens
from logic.orders.draft import ChangeKind, DraftTki, SuggestedChange
from logic.recommendation import FactUsed, Regimen
from logic.rules.common import SUMMARY_MAX, courses_used

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
#: Daily dose limits of §3: (lowest, highest) mg/day that is still the regimen.
DOSE_RANGE: dict[Drug, tuple[float, float]] = {
    Drug.IMATINIB: (400, 800),
    Drug.SUNITINIB: (37.5, 50),
    Drug.REGORAFENIB: (160, 160),
    Drug.RIPRETINIB: (150, 150),
    Drug.AVAPRITINIB: (300, 300),
}
#: What every finding reads for its facts (the genotype and the TKI history, see `order_facts`).
FINDING_READS = ("genotype", "tki_history")
#: What placing the patient on a pathway can read (logic.facts.pathway; which fields depends on
#: the route that decides: metastases, a gross-residual margin, an unresectable tumour, …).
PATHWAY_READS = (
    *FINDING_READS,
    "disease_state",
    "metastases",
    "primaries",
    "resected",
    "resection",
    "resection_unknown",
    "margin",
    "resectability",
)
#: What the modified NIH risk reads (logic.facts.assess_risk).
RISK_READS = ("site", "tumour_size", "mitotic_count", "rupture")


def drug_name(drug: Drug) -> str:
    return drug.value.capitalize()


def mg(value: float) -> str:
    return f"{value:g} mg"


def listed(drugs: Sequence[Drug]) -> str:
    names = [d.value for d in drugs]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


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


def advanced(case: GistCase) -> bool:
    return pathway(case) is Pathway.ADVANCED


def resected_course_free(case: GistCase) -> bool:
    """After resection with no neoadjuvant course (D10 continues neoadjuvant imatinib)."""
    return pathway(case) is Pathway.RESECTED and not courses_in(case, TherapySetting.NEOADJUVANT)


def standard_regimen(case: GistCase, drug: Drug) -> Regimen | None:
    """The §3 regimen for `drug` in this patient (imatinib 800 mg for KIT exon 9 advanced)."""
    if drug is Drug.IMATINIB:
        exon9 = genotype(case) is Genotype.KIT_EXON_9
        return regimens.IMATINIB_800 if exon9 and advanced(case) else regimens.IMATINIB_400
    return {
        Drug.SUNITINIB: regimens.SUNITINIB_50_4_2,
        Drug.REGORAFENIB: regimens.REGORAFENIB_160,
        Drug.RIPRETINIB: regimens.RIPRETINIB_150,
        Drug.AVAPRITINIB: regimens.AVAPRITINIB_300,
    }.get(drug)


def next_line_regimen(case: GistCase) -> Regimen:
    """The regimen of the next standard line for this patient."""
    return standard_regimen(case, next_standard_line(case)) or regimens.IMATINIB_400


def genotype_text(case: GistCase) -> str:
    gt = genotype(case)
    return GENOTYPE_TEXT[gt] if gt is not None else "unknown"


def order_facts(case: GistCase, draft: DraftTki) -> tuple[FactUsed, ...]:
    """The order, then the genotype and the TKI history as the guideline cards show them."""
    dose = mg(draft.daily_mg) + " daily" if draft.daily_mg is not None else "could not be read"
    order = FactUsed("Order", f"{draft.written_as}, dose {dose}", (draft.reference,))
    genotype_fact = FactUsed(
        "genotype", genotype_text(case), tuple(p.label() for p in case.genotype.sources)
    )
    return (order, genotype_fact, *courses_used(case.tki_history))


def replace_with(regimen: Regimen) -> SuggestedChange:
    return SuggestedChange(ChangeKind.REPLACE, f"Change the order to {regimen.display}", regimen)


def withdraw(draft: DraftTki) -> SuggestedChange:
    return SuggestedChange(ChangeKind.WITHDRAW, f"Remove the {draft.drug.value} order")


_CYCLE = re.compile(r"(\d+) weeks? on / (\d+) weeks? off")


def summary_ordering(prefix: str, regimen: Regimen, suffix: str = "") -> str:
    """`prefix` + the regimen to order + `suffix`, in the fullest wording that keeps the summary
    within the card limit (full schedule, then a compact one, then the drug alone — the detail
    always carries the full regimen), so no summary is cut mid-schedule."""
    cycle = _CYCLE.search(regimen.schedule)
    compact = f"{regimen.drug} {regimen.dose_mg_per_day:g} mg/day" + (
        f", {cycle[1]} wk on/{cycle[2]} off" if cycle else ""
    )
    for text in (regimen.display.lower(), compact):
        if len(prefix + text + suffix) <= SUMMARY_MAX:
            return prefix + text + suffix
    return prefix + regimen.drug + suffix
