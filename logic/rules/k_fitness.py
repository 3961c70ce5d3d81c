"""K1 (knowledge base §1.K): performance status and elective surgery.

When ECOG is 3 or more, or Karnofsky 40 or less: every elective surgery card says so and asks to
confirm the patient can tolerate the operation (indicator at least warning), and metastasectomy
and liver resection (H1, H2, J1), which need good general condition [S1], are not proposed.
Emergency review is unchanged; an unknown performance status changes nothing (optional input).
"""

from __future__ import annotations

import dataclasses

from logic.case import GistCase, PerformanceScale, PerformanceStatus
from logic.recommendation import ELECTIVE_SURGERY, Category, Indicator, Recommendation
from logic.rule import Rule
from logic.rules.common import nothing

POOR_ECOG = 3
POOR_KARNOFSKY = 40
#: Operations for advanced disease that need good general condition [S1].
NOT_PROPOSED_WHEN_UNFIT = frozenset({"H1", "H2", "J1"})
#: Every rule that can make an elective surgery card.
_DRUG_CARDS = frozenset(
    {Category.CONTINUE_CURRENT_THERAPY, Category.FIRST_LINE_TKI, Category.NEXT_LINE_TKI}
)
SURGERY_RULES = (
    *("B2", "B4", "B5", "B6", "B7", "C1", "D5", "D6", "D7", "D12", "D14"),
    *("H1", "H2", "J1", "J2"),
)


def poor_performance(case: GistCase) -> PerformanceStatus | None:
    """The performance status when it is poor enough to question surgery, else None."""
    ps = case.performance_status.value if case.performance_status.is_known else None
    if ps is None:
        return None
    poor = (
        ps.score >= POOR_ECOG if ps.scale is PerformanceScale.ECOG else ps.score <= POOR_KARNOFSKY
    )
    return ps if poor else None


def fitness_line(case: GistCase) -> str | None:
    ps = poor_performance(case)
    if ps is None:
        return None
    when = f" ({ps.date.isoformat()})" if ps.date else ""
    return (
        f"fitness for surgery: {ps.label()}{when} — confirm the patient can tolerate the operation."
    )


def apply_fitness(case: GistCase, cards: list[Recommendation]) -> list[Recommendation]:
    """Withhold H1/H2/J1 and raise elective surgery cards to at least a warning (K1)."""
    ps = poor_performance(case)
    if ps is None:
        return cards
    kept = [c for c in cards if c.rule_id not in NOT_PROPOSED_WHEN_UNFIT]
    withheld = len(kept) < len(cards)
    result = []
    for card in kept:
        if card.category in ELECTIVE_SURGERY and card.indicator is Indicator.INFO:
            card = dataclasses.replace(card, indicator=Indicator.WARNING)
        result.append(card)
    if withheld:
        note = (
            f"Metastasectomy and liver resection are not proposed: {ps.label()} (they need good "
            "general condition)."
        )
        result = [
            dataclasses.replace(c, notes=(*c.notes, note)) if c.category in _DRUG_CARDS else c
            for c in result
        ]
    return result


K1 = Rule(
    rule_id="K1",
    section="1.K",
    title="Performance status",
    statement=(
        "ECOG 3 or more, or Karnofsky 40 or less: every elective surgery card asks to confirm "
        "the patient can tolerate the operation (warning); metastasectomy and liver resection "
        "(H1, H2, J1) are not proposed; emergency review is unchanged. Unknown performance "
        "status changes nothing."
    ),
    conditions=("ECOG (LOINC 89247-1) ≥ 3 or Karnofsky (LOINC 89243-0) ≤ 40",),
    citations=("S1", "S5"),
    reads=("performance_status",),
    categories=(),
    applies=lambda case: poor_performance(case) is not None,
    recommend=nothing,
    folds_into=SURGERY_RULES,
    fold_text=fitness_line,
    design_note=(
        '(KB §1.K) ECOG ≥3 / Karnofsky ≤40 (latest final Observation): folded line "fitness '
        'for surgery: ECOG n (date) — confirm…" on every elective surgery card, raised to '
        "warning; H1, H2 and J1 are withheld and the drug card says why. A poor score older "
        "than 6 months is listed as stale by P5. Unknown or better scores change nothing."
    ),
)
