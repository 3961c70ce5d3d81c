"""Hand-built Recommendations and cases for the card tests (one plausible card per category)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from logic.registry import RULES

from logic.case import GistCase
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

BASE_URL = "https://cds.example.org/gist"
CASE = GistCase(patient_id="pat-1", gist_condition_id="cond-1")
NO_PATIENT = GistCase()

IMATINIB_400 = Regimen("imatinib", 400, "daily", "Imatinib 400 mg once daily", 36, "282388")
IMATINIB_800 = Regimen(
    "imatinib",
    800,
    "400 mg twice daily",
    "Imatinib 800 mg daily (400 mg twice daily)",
    None,
    "282388",
)
SUNITINIB_CYCLE = Regimen(
    "sunitinib",
    50,
    "4 weeks on / 2 weeks off",
    "Sunitinib 50 mg daily, 4 weeks on / 2 weeks off",
    None,
    "357977",
)
SUNITINIB_CONT = Regimen(
    "sunitinib", 37.5, "continuous daily", "Sunitinib 37.5 mg continuous daily", None, "357977"
)
DAB_TRAM = Regimen(
    "dabrafenib+trametinib",
    302,
    "150 mg twice daily + 2 mg once daily",
    "Dabrafenib 150 mg twice daily + trametinib 2 mg once daily",
)
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
