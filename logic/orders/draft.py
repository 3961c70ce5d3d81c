"""What an order check reads (a drafted TKI order) and what it returns (a finding)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from logic.case import Drug
from logic.recommendation import FactUsed, Indicator, Regimen


@dataclass(frozen=True, slots=True)
class DraftTki:
    """One drafted (unsigned) order for a TKI, as the clinician wrote it.

    `reference` is the order's `Type/id` in the hook's draftOrders; `daily_mg` is the daily dose
    when it could be computed (count × product strength × frequency, or mg × frequency);
    otherwise `dose_problem` says why it is unknown (None with no dose: none was given)."""

    reference: str
    drug: Drug
    daily_mg: float | None
    written_as: str  # the drug as the order names it, e.g. "imatinib 400 MG [Gleevec]"
    dose_problem: str | None = None


class ChangeKind(StrEnum):
    """How a suggestion acts on the draft."""

    REPLACE = "replace"  # update the draft to another drug or dose (the draft keeps its id)
    WITHDRAW = "withdraw"  # delete the draft


@dataclass(frozen=True, slots=True)
class SuggestedChange:
    kind: ChangeKind
    label: str  # what the clinician sees on the button
    regimen: Regimen | None = None  # the drug and dose to order instead (REPLACE)


@dataclass(frozen=True, slots=True)
class OrderFinding:
    """One conflict between a drafted order and the case: one `order-alert` card."""

    check_id: str
    rule_id: str  # the knowledge-base rule the order conflicts with
    evidence: tuple[str, ...]  # source ids and primary-reference keys
    indicator: Indicator
    draft: DraftTki
    summary: str  # ≤ 139 characters, names the drug and what to do
    rationale: str  # markdown, plain clinical words
    change: SuggestedChange
    facts: tuple[FactUsed, ...] = ()  # what the check relied on, with sources and dates
