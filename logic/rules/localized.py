"""§1.B–§1.D routing: which decision a localized primary GIST that has not been resected goes to.

logic.facts.localized_route chooses it: a small tumour goes to §1.B
(logic/rules/b_small_gastric.py); any other resectable tumour is resected (§1.C,
logic/rules/c_resectable.py); a marginally
resectable or unresectable tumour, or a TKI course already under way before any resection, goes to
the neoadjuvant decision (§1.D, logic/rules/d_neoadjuvant.py). The rules themselves live in those
modules, one record each; this route only serves the data request P5 (logic/rules/p_data.py),
which collects the facts whose absence leaves a decision unmade.
"""

from __future__ import annotations

from logic.case import GistCase
from logic.facts import LocalizedRoute, localized_route
from logic.rule import Plan
from logic.rules import b_small_gastric, c_resectable, d_neoadjuvant
from logic.rules.common import missing, per_case


@per_case
def plan(case: GistCase) -> Plan:
    """The §1.B–§1.D decision for a localized, unresected primary, by its route (companion cards
    such as D2 are not part of it: they add no blocked or repeated facts)."""
    match localized_route(case):
        case None:
            return Plan()
        case LocalizedRoute.NEOADJUVANT_COURSE | LocalizedRoute.NEOADJUVANT_START:
            return d_neoadjuvant.NEOADJUVANT.decide(case)
        case LocalizedRoute.RESECTABLE:
            return c_resectable.RESECTABLE.decide(case)
        case LocalizedRoute.SITE_UNKNOWN:
            gap = missing(case, "site", "gastric ≤2 cm may be watched; others resected")
            return Plan(blocked=(gap,))
        case LocalizedRoute.SIZE_UNKNOWN:
            gap = missing(
                case, "tumour_size", "gastric <2 cm may be watched (B1); larger → surgery"
            )
            return Plan(blocked=(gap,))
        case LocalizedRoute.SMALL_GASTRIC:
            return b_small_gastric.SMALL_GASTRIC.decide(case)
        case LocalizedRoute.NON_GASTRIC_SMALL:
            return b_small_gastric.NON_GASTRIC.decide(case)
