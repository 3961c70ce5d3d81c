"""Hand-built Recommendations and cases for the card tests (one plausible card per category)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from logic.case import GistCase
from logic.knowledge import regimens
from logic.knowledge.regimens import for_months
from logic.knowledge.version import KNOWLEDGE_VERSION
from logic.recommendation import (
    DEFAULT_INDICATOR,
    AfipRisk,
    Category,
    FactUsed,
    NihRisk,
    Recommendation,
    Regimen,
    Risk,
)
from logic.registry import RULES

BASE_URL = "https://cds.example.org/gist"
CASE = GistCase(patient_id="pat-1", gist_condition_id="cond-1")
NO_PATIENT = GistCase()

IMATINIB_400 = for_months(regimens.IMATINIB_400, 36)
IMATINIB_800 = regimens.IMATINIB_800
SUNITINIB_CYCLE = regimens.SUNITINIB_50_4_2
SUNITINIB_CONT = regimens.SUNITINIB_37_5
DAB_TRAM = regimens.DABRAFENIB_TRAMETINIB
HIGH_RISK = Risk(NihRisk.HIGH, AfipRisk("6a", 55.0, "High (55%)"))

TKI_CATEGORIES = (
    Category.NEOADJUVANT_TKI,
    Category.ADJUVANT_TKI,
    Category.FIRST_LINE_TKI,
    Category.NEXT_LINE_TKI,
)
REFERRAL_CATEGORIES = (
    Category.SURGERY,
    Category.METASTASECTOMY,
    Category.EMERGENCY_SURGICAL_REVIEW,
    Category.LIVER_DIRECTED_THERAPY,
)


def rule_for(category: Category) -> str:
    """A registered rule that can produce `category` (any registered rule if none does)."""
    for rule_id, rule in RULES.items():
        if category in rule.categories:
            return rule_id
    return next(iter(RULES))


def recommendation(category: Category, **changes: Any) -> Recommendation:
    """A complete, plausible Recommendation of `category`; keyword arguments override fields."""
    regimens: tuple[Regimen, ...] = ()
    if category in TKI_CATEGORIES:
        regimens = (IMATINIB_800, SUNITINIB_CYCLE)
    rule_id = rule_for(category)
    rec = Recommendation(
        category=category,
        indicator=DEFAULT_INDICATOR[category],
        rule_id=rule_id,
        evidence=tuple(RULES[rule_id].citations),
        knowledge_version=KNOWLEDGE_VERSION,
        summary=f"{category.value}: do the right thing for this GIST",
        rationale="Because the **guideline** says so.",
        regimens=regimens,
        line=2 if category is Category.NEXT_LINE_TKI else None,
        facts_used=(
            FactUsed("tumour_size", "6.0 cm (pathology)", ("Observation/size-1 (2025-03-01)",)),
        ),
        evidence_numbers=("SSG XVIII: 5-y OS 92% vs 81.7% (HR 0.45)",),
        notes=("Discuss at the MDT.",),
    )
    return replace(rec, **changes)
