"""The resected pathway as one plan, for the data request P5 (logic/rules/p_data.py).

The rules themselves live in their section modules: C4 (c_resectable), D10 (d_after_resection),
E3 (e_risk), F1–F11 (f_adjuvant). logic.facts.resected_route picks the one decision a resected
case reaches; `plan` is that decision's cards (or the facts that leave it unmade) with the
companion cards beside it (C4, F11, F4).
"""

from __future__ import annotations

from logic.case import GistCase
from logic.facts import ResectedRoute, resected_route
from logic.recommendation import Recommendation
from logic.rule import Decision, Plan
from logic.rules.c_resectable import C4
from logic.rules.common import per_case
from logic.rules.d_after_resection import AFTER_NEOADJUVANT
from logic.rules.f_adjuvant import ADJUVANT_FINISHED, BY_RISK, F4, F11

BY_ROUTE: dict[ResectedRoute, Decision] = {
    ResectedRoute.AFTER_NEOADJUVANT: AFTER_NEOADJUVANT,
    ResectedRoute.ADJUVANT_FINISHED: ADJUVANT_FINISHED,
    ResectedRoute.BY_RISK: BY_RISK,
}

#: Cards made beside the decision's card when their own condition holds.
COMPANIONS = (C4, F11, F4)


@per_case
def plan(case: GistCase) -> Plan:
    route = resected_route(case)
    if route is None:
        return Plan()
    decided = BY_ROUTE[route].decide(case)
    beside: list[Recommendation] = [
        card for rule in COMPANIONS if rule.applies(case) for card in rule.recommend(case)
    ]
    return Plan((*beside, *decided.cards), decided.blocked)
