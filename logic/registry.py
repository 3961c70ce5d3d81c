"""All guideline rules, in knowledge-base order, validated at import (fail fast).

Checks: unique ids; a title, statement and conditions (the rule page shows them); every
citation exists in CITATIONS; every name in `reads` is a GistCase field (tests/logic/test_reads.py
checks they are the fields it really reads); categories are Category members; background rules
fold into registered rules.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterable, Mapping
from types import MappingProxyType, ModuleType

from logic.case import CASE_FIELDS, GistCase
from logic.knowledge.citations import CITATIONS
from logic.orders import checks as order_checks
from logic.orders.rule import OrderCheck
from logic.orders.validation import records as order_records
from logic.orders.validation import validate_checks
from logic.recommendation import Category
from logic.rule import Decision, Rule, hosted
from logic.rules import (
    b_small_gastric,
    c_resectable,
    d_after_resection,
    d_neoadjuvant,
    e_risk,
    f_adjuvant,
    g_systemic,
    h_metastatic_surgery,
    i_emergency,
    j_liver,
    k_fitness,
    k_multiple_primaries,
    p_data,
)

#: Section order of the knowledge base (§1.B … §1.K), then the data requests P5/P6 (§1.1).
_SECTION_ORDER = "BCDEFGHIJKP"


class RegistryError(ValueError):
    """The rule set is inconsistent with the knowledge data or the case model."""


def _order(rule: Rule) -> tuple[int, int]:
    match = re.fullmatch(r"([A-Z])(\d+)", rule.rule_id)
    if match is None:
        raise RegistryError(f"rule id {rule.rule_id!r} is not a knowledge-base id")
    return _SECTION_ORDER.index(match.group(1)), int(match.group(2))


def validate(rules: Iterable[Rule]) -> Mapping[str, Rule]:
    """The rules by id in knowledge-base order, or RegistryError naming the first problem."""
    ordered: dict[str, Rule] = {}
    for rule in sorted(rules, key=_order):
        if rule.rule_id in ordered:
            raise RegistryError(f"duplicate rule id {rule.rule_id}")
        if not rule.title.strip():
            raise RegistryError(f"{rule.rule_id}: no title")
        if not rule.statement.strip():
            raise RegistryError(f"{rule.rule_id}: no statement")
        if not rule.conditions:
            raise RegistryError(f"{rule.rule_id}: no condition")
        if not rule.citations:
            raise RegistryError(f"{rule.rule_id}: no citation")
        for cid in rule.citations:
            if cid not in CITATIONS:
                raise RegistryError(f"{rule.rule_id}: unknown citation {cid}")
        for name in rule.reads:
            if name not in CASE_FIELDS:
                raise RegistryError(f"{rule.rule_id}: reads unknown case field {name!r}")
        for category in rule.categories:
            if not isinstance(category, Category):
                raise RegistryError(f"{rule.rule_id}: invalid category {category!r}")
        if not rule.categories and not rule.folds_into:
            raise RegistryError(f"{rule.rule_id}: background rule folds into no rule")
        if rule.categories and rule.folds_into:
            raise RegistryError(f"{rule.rule_id}: a card-making rule cannot fold into others")
        ordered[rule.rule_id] = rule
    for rule in ordered.values():
        for target in rule.folds_into:
            if target not in ordered or not ordered[target].categories:
                raise RegistryError(f"{rule.rule_id}: folds into unknown rule {target}")
    return MappingProxyType(ordered)


def records(module: ModuleType) -> tuple[Rule, ...]:
    """Every rule record of a one-record-per-rule section module (its module-level Rules)."""
    return tuple(value for value in vars(module).values() if isinstance(value, Rule))


def decisions(module: ModuleType) -> tuple[Decision, ...]:
    return tuple(value for value in vars(module).values() if isinstance(value, Decision))


def validate_decisions(
    found: Iterable[Decision], rules: Mapping[str, Rule], section_records: Iterable[Rule]
) -> None:
    """Each Decision member is a registered rule with a condition; each record with a condition
    sits in exactly one Decision (a `when` nobody consults would be a rule that never fires)."""
    placed: dict[str, str] = {}
    for decision in found:
        for rule in decision.rules:
            if rule.when is None:
                raise RegistryError(f"{rule.rule_id}: in decision {decision.name!r} without `when`")
            if rules.get(rule.rule_id) is not rule:
                raise RegistryError(f"{rule.rule_id}: in decision {decision.name!r} unregistered")
            if rule.rule_id in placed:
                raise RegistryError(f"{rule.rule_id}: in two decisions")
            placed[rule.rule_id] = decision.name
    for rule in section_records:
        if rule.when is not None and rule.rule_id not in placed:
            raise RegistryError(f"{rule.rule_id}: has a `when` but is in no decision")


def bind_hosts(rules: Iterable[Rule]) -> list[Rule]:
    """Give each background rule whose `applies` is `hosted` its real check: one of the rules
    it folds into applies (unknown hosts are left for `validate` to report)."""
    listed = list(rules)
    by_id = {rule.rule_id: rule for rule in listed}

    def any_host(hosts: tuple[Rule, ...]) -> Callable[[GistCase], bool]:
        return lambda case: any(host.applies(case) for host in hosts)

    return [
        dataclasses.replace(
            rule, applies=any_host(tuple(by_id[h] for h in rule.folds_into if h in by_id))
        )
        if rule.applies is hosted
        else rule
        for rule in listed
    ]


#: The one-record-per-rule section modules.
SECTION_MODULES: tuple[ModuleType, ...] = (
    b_small_gastric,
    c_resectable,
    d_neoadjuvant,
    d_after_resection,
    e_risk,
    f_adjuvant,
    g_systemic,
    h_metastatic_surgery,
    i_emergency,
    j_liver,
    k_fitness,
    k_multiple_primaries,
    p_data,
)

RULES: Mapping[str, Rule] = validate(
    bind_hosts(rule for module in SECTION_MODULES for rule in records(module))
)

validate_decisions(
    (d for module in SECTION_MODULES for d in decisions(module)),
    RULES,
    (rule for module in SECTION_MODULES for rule in records(module)),
)

#: The order checks (order-select, order-sign), in the order they run.
ORDER_RULES: Mapping[str, OrderCheck] = validate_checks(
    order_checks.CHECKS,
    (check for module in order_checks.SECTION_MODULES for check in order_records(module)),
    RULES,
)

#: The rule set each CDS hook runs.
RULE_SETS: Mapping[str, Mapping[str, Rule] | Mapping[str, OrderCheck]] = MappingProxyType(
    {"patient-view": RULES, "order-select": ORDER_RULES, "order-sign": ORDER_RULES}
)
