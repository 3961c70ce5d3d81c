"""The order checks' consistency with the knowledge data and the case model, checked when
`logic.registry` builds the order rule set at import (fail fast, like the guideline rules).

Checks: unique check ids; a title, statement and conditions; at least one `[Sx]` source and every
source in CITATIONS; every reference in PRIMARY_REFERENCES; the knowledge-base rule registered;
every name in `reads` a GistCase field (tests/orders/test_order_reads.py checks they are the
fields the check really reads); each record of a section module runs exactly once in CHECKS.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from types import MappingProxyType, ModuleType

from logic.case import CASE_FIELDS
from logic.knowledge.citations import CITATIONS
from logic.knowledge.primary_references import PRIMARY_REFERENCES
from logic.orders.rule import CheckKind, OrderCheck
from logic.recommendation import Indicator


class OrderCheckError(ValueError):
    """An order check is inconsistent with the knowledge data or the case model."""


def records(module: ModuleType) -> tuple[OrderCheck, ...]:
    """Every order-check record of a section module (its module-level OrderChecks)."""
    return tuple(value for value in vars(module).values() if isinstance(value, OrderCheck))


def _check_record(check: OrderCheck, known_rules: Collection[str]) -> None:
    name = check.check_id
    if not check.title.strip():
        raise OrderCheckError(f"{name}: no title")
    if not check.statement.strip():
        raise OrderCheckError(f"{name}: no statement")
    if not check.conditions:
        raise OrderCheckError(f"{name}: no condition")
    if check.rule_id not in known_rules:
        raise OrderCheckError(f"{name}: unknown knowledge-base rule {check.rule_id}")
    if not check.citations:
        raise OrderCheckError(f"{name}: no citation")
    for cid in check.citations:
        if cid not in CITATIONS:
            raise OrderCheckError(f"{name}: unknown citation {cid}")
    for key in check.references:
        if key not in PRIMARY_REFERENCES:
            raise OrderCheckError(f"{name}: unknown primary reference {key}")
    for field in check.reads:
        if field not in CASE_FIELDS:
            raise OrderCheckError(f"{name}: reads unknown case field {field!r}")
    if not isinstance(check.kind, CheckKind):
        raise OrderCheckError(f"{name}: invalid kind {check.kind!r}")
    if check.indicator not in (Indicator.CRITICAL, Indicator.WARNING):
        raise OrderCheckError(f"{name}: an order alert is critical or a warning")


def validate_checks(
    checks: Iterable[OrderCheck],
    section_records: Iterable[OrderCheck],
    known_rules: Collection[str],
) -> Mapping[str, OrderCheck]:
    """The checks by id in run order, or OrderCheckError naming the first problem."""
    ordered: dict[str, OrderCheck] = {}
    for check in checks:
        if check.check_id in ordered:
            raise OrderCheckError(f"duplicate order check id {check.check_id}")
        _check_record(check, known_rules)
        ordered[check.check_id] = check
    written = list(section_records)
    for check in written:
        if ordered.get(check.check_id) is not check:
            raise OrderCheckError(f"{check.check_id}: a record that never runs (not in CHECKS)")
    for check_id, check in ordered.items():
        if not any(record is check for record in written):
            raise OrderCheckError(f"{check_id}: runs but is in no section module")
    return MappingProxyType(ordered)
