"""`reads` is honest: every rule declares exactly the case fields it reads to make its card.

The rule page shows `reads` as "Patient data it reads", so a reviewer relies on it. Every
scenario (tests/logic, the FHIR scenarios, the sandbox patients) runs through a recording proxy
of the case; a rule that reads a field it does not declare, or declares one no scenario makes it
read, fails here.
"""

from __future__ import annotations

import pytest

from logic.case import GistCase
from logic.registry import RULES
from tests.logic.reading import every_scenario_case, observed_reads, reads_of

CASES = every_scenario_case()
OBSERVED = observed_reads(RULES, CASES)


@pytest.mark.parametrize("rule_id", list(RULES))
def test_rule_declares_exactly_the_fields_it_reads(rule_id: str) -> None:
    declared = set(RULES[rule_id].reads)
    read = OBSERVED[rule_id]
    assert not read - declared, f"{rule_id} reads undeclared fields {sorted(read - declared)}"
    assert not declared - read, (
        f"{rule_id} declares fields it never reads {sorted(declared - read)}"
    )


def test_the_recording_proxy_sees_reads_through_derived_properties() -> None:
    """`resection_status` is a property of the case: its field reads must be recorded too."""
    p6 = RULES["P6"]
    case = next(c for c in CASES if p6.applies(c))
    assert {"resected", "resection", "resection_unknown"} <= reads_of(p6, case)


def test_a_rule_that_does_not_apply_reads_nothing() -> None:
    assert reads_of(RULES["B1"], GistCase()) == set()
