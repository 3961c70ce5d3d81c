"""§1.G–§1.J for the data request (P5): the cards of advanced disease and the fact whose absence
leaves its systemic decision open.

The rules themselves live one record each in logic/rules/g_systemic.py (systemic therapy),
h_metastatic_surgery.py (surgery in metastatic disease) and j_liver.py (liver-directed therapy);
where the patient stands in systemic therapy is worked out once in advanced_stage.py.
"""

from __future__ import annotations

from logic.case import GistCase
from logic.rule import Plan, Rule
from logic.rules import g_systemic, h_metastatic_surgery, j_liver
from logic.rules.advanced_stage import stage
from logic.rules.common import per_case

#: The card-making records of advanced disease, systemic card first (P5 lists gaps in order).
_CARD_RULES: tuple[Rule, ...] = tuple(
    value
    for module in (g_systemic, h_metastatic_surgery, j_liver)
    for value in vars(module).values()
    if isinstance(value, Rule) and value.categories
)


@per_case
def plan(case: GistCase) -> Plan:
    """The cards of advanced disease and what blocks its systemic decision (P5 reads both)."""
    st = stage(case)
    if st is None:
        return Plan()
    cards = tuple(
        card for rule in _CARD_RULES if rule.applies(case) for card in rule.recommend(case)
    )
    return Plan(cards, (st.gap,) if st.gap is not None else ())
