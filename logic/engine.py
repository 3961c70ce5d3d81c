"""`evaluate(case)`: every applicable rule's Recommendations, with §1.1 precedence applied.

Pure and deterministic: the same case always gives the same list. Background rules fold their
text into the cards of the rules they support; while a definite emergency is active no elective
surgery is proposed; cards are sorted critical, warning, info, then by rule order.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from logic.case import GistCase, ResectionStatus
from logic.facts import definite_emergency
from logic.recommendation import ELECTIVE_SURGERY, Category, Indicator, Recommendation
from logic.registry import RULES
from logic.rule import Rule
from logic.rules.k_fitness import apply_fitness

#: Cards that assume the disease is quiet (I8): not shown beside a definite emergency.
CALM_COURSE = frozenset({Category.SURVEILLANCE})

_RANK = {Indicator.CRITICAL: 0, Indicator.WARNING: 1, Indicator.INFO: 2}


def evaluate(case: GistCase, rules: Mapping[str, Rule] = RULES) -> list[Recommendation]:
    """The Recommendations for a case ([] for a deceased patient or one without GIST, except the
    data request P5 when the Conditions could not be read)."""
    if case.deceased:
        return []
    active = rules if case.has_gist else {k: r for k, r in rules.items() if k == "P5"}
    cards: list[Recommendation] = []
    for rule in active.values():
        if rule.categories and rule.applies(case):
            cards += rule.recommend(case)
    if case.has_gist:
        cards = _fold(case, cards, rules)
        if "K1" in rules:
            cards = apply_fitness(case, cards)
    if case.resection_status is ResectionStatus.UNKNOWN:
        # P6: every elective operation depends on whether the primary is still in place.
        cards = [c for c in cards if c.category not in ELECTIVE_SURGERY]
    if definite_emergency(case):
        # §1.1 item 1 and I8: nothing elective, and nothing that assumes a calm course.
        cards = [c for c in cards if c.category not in ELECTIVE_SURGERY | CALM_COURSE]
    order = {rule_id: i for i, rule_id in enumerate(rules)}
    indexed = sorted(
        enumerate(cards),
        key=lambda pair: (
            _RANK[pair[1].indicator],
            order.get(pair[1].rule_id, len(order)),
            pair[0],
        ),
    )
    return [card for _, card in indexed]


def _fold(
    case: GistCase, cards: list[Recommendation], rules: Mapping[str, Rule]
) -> list[Recommendation]:
    """Append each applicable background rule's statement, citations and numbers to its hosts."""
    background = [r for r in rules.values() if not r.categories and r.applies(case)]
    result = []
    for card in cards:
        for rule in background:
            if card.rule_id not in rule.folds_into:
                continue
            text = (rule.fold_text(case) if rule.fold_text else None) or rule.statement
            card = dataclasses.replace(
                card,
                evidence=_merge(card.evidence, rule.citations),
                evidence_numbers=_merge(card.evidence_numbers, rule.evidence_numbers),
                notes=_merge(card.notes, (f"{rule.title} ({rule.rule_id}): {text}",)),
            )
        result.append(card)
    return result


def _merge(first: tuple[str, ...], more: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys((*first, *more)))
