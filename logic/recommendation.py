"""What the guideline logic returns: Recommendations, ready to be rendered as cards.

A Recommendation is transport-neutral (no CDS Hooks, no FHIR): `cds_hooks/` turns it into a card
per `shared/specs/card-contract.md`. Every Recommendation names its rule, the evidence ids of the
knowledge base and the knowledge version; the registry checks this at start-up.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Category(StrEnum):
    """Card categories of the card contract (`extension["org.gist-cds"].category`)."""

    EMERGENCY_SURGICAL_REVIEW = "emergency-surgical-review"
    SURGERY = "surgery"
    SURVEILLANCE = "surveillance"
    NEOADJUVANT_TKI = "neoadjuvant-tki"
    ADJUVANT_TKI = "adjuvant-tki"
    FIRST_LINE_TKI = "first-line-tki"
    NEXT_LINE_TKI = "next-line-tki"
    CONTINUE_CURRENT_THERAPY = "continue-current-therapy"
    METASTASECTOMY = "metastasectomy"
    SURGERY_NOT_INDICATED = "surgery-not-indicated"
    LIVER_DIRECTED_THERAPY = "liver-directed-therapy"
    MUTATION_TESTING = "mutation-testing"
    CLINICAL_TRIAL = "clinical-trial"
    DATA_NEEDED = "data-needed"
    ORDER_ALERT = "order-alert"


class Indicator(StrEnum):
    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"


#: The indicator the card contract assigns to each category (emergency: critical when definite,
#: warning when possible; order alerts are decided by their rule).
DEFAULT_INDICATOR: dict[Category, Indicator] = {
    Category.EMERGENCY_SURGICAL_REVIEW: Indicator.CRITICAL,
    Category.SURGERY: Indicator.INFO,
    Category.SURVEILLANCE: Indicator.INFO,
    Category.NEOADJUVANT_TKI: Indicator.INFO,
    Category.ADJUVANT_TKI: Indicator.INFO,
    Category.FIRST_LINE_TKI: Indicator.INFO,
    Category.NEXT_LINE_TKI: Indicator.WARNING,
    Category.CONTINUE_CURRENT_THERAPY: Indicator.INFO,
    Category.METASTASECTOMY: Indicator.INFO,
    Category.SURGERY_NOT_INDICATED: Indicator.WARNING,
    Category.LIVER_DIRECTED_THERAPY: Indicator.INFO,
    Category.MUTATION_TESTING: Indicator.WARNING,
    Category.CLINICAL_TRIAL: Indicator.INFO,
    Category.DATA_NEEDED: Indicator.WARNING,
    Category.ORDER_ALERT: Indicator.WARNING,
}

#: Categories that propose elective surgery; suppressed while a definite emergency is active.
ELECTIVE_SURGERY: frozenset[Category] = frozenset(
    {Category.SURGERY, Category.METASTASECTOMY, Category.LIVER_DIRECTED_THERAPY}
)


class NihRisk(StrEnum):
    VERY_LOW = "very-low"
    LOW = "low"
    INTERMEDIATE = "intermediate"
    HIGH = "high"


@dataclass(frozen=True, slots=True)
class AfipRisk:
    """AFIP (Miettinen & Lasota 2006) group and the published % progression (§2.2).
    `progression_pct` is None where the table has no data even after the fallback;
    `fallback` is True when the jejunum/ileum column stood in for the patient's site."""

    group: str  # "1", "2", "3a", "3b", "4", "5", "6a", "6b"
    progression_pct: float | None
    label: str  # e.g. "High (55%)"
    fallback: bool = False
    column: str | None = None  # AFIP column used: gastric, jejunum-ileum, duodenum, rectum


@dataclass(frozen=True, slots=True)
class Risk:
    nih_modified: NihRisk
    afip: AfipRisk | None = None
    nih_row: str | None = None  # deciding row of the modified NIH table, when inputs were known


@dataclass(frozen=True, slots=True)
class Regimen:
    """A drug regimen of knowledge-base section 3."""

    drug: str  # lower-case ingredient name, e.g. "imatinib"; combinations "dabrafenib+trametinib"
    dose_mg_per_day: float
    schedule: str  # e.g. "daily", "400 mg twice daily", "4 weeks on / 2 weeks off"
    display: str  # e.g. "Imatinib 400 mg once daily"
    duration_months: int | None = None
    rxnorm: str | None = None  # RxNorm ingredient code where confirmed (§5.5)


@dataclass(frozen=True, slots=True)
class FactUsed:
    """A case fact the rule relied on, rendered in the card detail with its source and date."""

    name: str  # case field name, e.g. "tumour_size"
    value: str  # human-readable, e.g. "6.0 cm (pathology)"
    sources: tuple[str, ...] = ()  # Provenance.label() strings


@dataclass(frozen=True, slots=True)
class MissingData:
    """A fact that is unknown, unreadable or conflicting, and what knowing it would change."""

    fact: str  # contract name, camelCase: "mitoticCount", "genotype", "tumourSize", ...
    reason: str  # "not recorded", "conflicting values 4.0 cm vs 6.0 cm on 2025-03-01", ...
    impact: str  # what it would change


@dataclass(frozen=True, slots=True)
class Recommendation:
    category: Category
    indicator: Indicator
    rule_id: str
    evidence: tuple[str, ...]  # knowledge-base source ids, e.g. ("S6", "S10")
    knowledge_version: str
    summary: str  # one sentence, ≤ 139 characters, states the action
    rationale: str  # markdown paragraph(s): why, in plain clinical words
    risk: Risk | None = None
    regimens: tuple[Regimen, ...] = ()  # alternatives: the clinician picks at most one
    line: int | None = None  # advanced-disease line number, when a line is recommended
    facts_used: tuple[FactUsed, ...] = ()
    missing_data: tuple[MissingData, ...] = ()
    evidence_numbers: tuple[str, ...] = ()  # e.g. "SSG XVIII: 5-y OS 92% vs 81.7% (HR 0.45)"
    notes: tuple[str, ...] = ()  # caveats, DESIGN notes shown to the clinician
