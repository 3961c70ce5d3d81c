"""The order checks are a validated rule set of the registry, like the guideline rules: each
record runs once in CHECKS, and a record inconsistent with the knowledge data fails at import."""

from __future__ import annotations

import dataclasses

import pytest

from cds_hooks.hooks import services
from logic.orders import CHECKS, OrderCheck
from logic.orders import checks as order_checks
from logic.orders.validation import OrderCheckError, records, validate_checks
from logic.registry import ORDER_RULES, RULE_SETS, RULES

SECTION_RECORDS = tuple(
    check for module in order_checks.SECTION_MODULES for check in records(module)
)


def _validate(
    checks: tuple[OrderCheck, ...], written: tuple[OrderCheck, ...] | None = None
) -> None:
    validate_checks(checks, checks if written is None else written, RULES)


def test_order_rule_set_is_every_section_record_in_run_order() -> None:
    assert list(ORDER_RULES) == [check.check_id for check in CHECKS]
    assert {check.check_id for check in SECTION_RECORDS} == set(ORDER_RULES)


def test_every_hook_of_a_registered_service_has_a_rule_set() -> None:
    assert {service.hook for service in services()} <= set(RULE_SETS)
    assert RULE_SETS["patient-view"] is RULES
    assert RULE_SETS["order-select"] is RULE_SETS["order-sign"] is ORDER_RULES


def test_inconsistent_order_checks_are_refused() -> None:
    check = ORDER_RULES["order-d842v-not-avapritinib"]
    with pytest.raises(OrderCheckError, match="duplicate"):
        _validate((check, check))
    with pytest.raises(OrderCheckError, match="unknown citation S99"):
        _validate((dataclasses.replace(check, citations=("S99",)),))
    with pytest.raises(OrderCheckError, match="no citation"):
        _validate((dataclasses.replace(check, citations=()),))
    with pytest.raises(OrderCheckError, match="unknown primary reference"):
        _validate((dataclasses.replace(check, references=("NAVIGATOR1999",)),))
    with pytest.raises(OrderCheckError, match="unknown knowledge-base rule G99"):
        _validate((dataclasses.replace(check, rule_id="G99"),))
    with pytest.raises(OrderCheckError, match="unknown case field"):
        _validate((dataclasses.replace(check, reads=("mitoses",)),))
    with pytest.raises(OrderCheckError, match="no condition"):
        _validate((dataclasses.replace(check, conditions=()),))


def test_a_record_that_never_runs_or_a_stray_check_is_refused() -> None:
    check = ORDER_RULES["order-duplicate"]
    stray = dataclasses.replace(check, check_id="order-stray")
    with pytest.raises(OrderCheckError, match="order-stray: a record that never runs"):
        _validate((check,), (check, stray))
    with pytest.raises(OrderCheckError, match="order-stray: runs but is in no section module"):
        _validate((check, stray), (check,))
