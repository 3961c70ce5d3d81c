"""Which case fields each rule reads, observed by running it on a recording proxy of the case.

A rule "reads" a field when looking at it is part of producing its card (or its folded line):
the proxy records every GistCase field touched while the rule's `applies`, `recommend` and
`fold_text` run for a case it applies to. Each rule and case gets a fresh proxy, so a plan cached
for another rule (the per-case cache is keyed by the case object) never hides a read.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable, Mapping
from typing import Any, cast

from logic.case import CASE_FIELDS, GistCase
from logic.rule import Rule


class RecordingCase:
    """Stands in for a GistCase and notes the name of every field read through it."""

    __hash__ = None  # type: ignore[assignment]  # like a case, never a dict key by value

    def __init__(self, case: GistCase) -> None:
        object.__setattr__(self, "_case", case)
        object.__setattr__(self, "read", set())

    def __getattr__(self, name: str) -> Any:
        case: GistCase = object.__getattribute__(self, "_case")
        static = inspect.getattr_static(type(case), name, None)
        if isinstance(static, property) and static.fget is not None:
            return static.fget(self)  # derived property: its own reads go through the proxy
        if inspect.isfunction(static):
            return static.__get__(self)
        if name in CASE_FIELDS:
            self.read.add(name)
        return getattr(case, name)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("a case is read-only")


def reads_of(rule: Rule, case: GistCase) -> set[str]:
    """The fields `rule` reads to produce its output for `case` (empty when it does not apply)."""
    proxy = RecordingCase(case)
    as_case = cast(GistCase, proxy)
    if not rule.applies(as_case):
        return set()
    rule.recommend(as_case)
    if rule.fold_text is not None:
        rule.fold_text(as_case)
    read: set[str] = proxy.read
    return read


def observed_reads(rules: Mapping[str, Rule], cases: Iterable[GistCase]) -> dict[str, set[str]]:
    """For each rule, the union of the fields it read over all cases."""
    found: dict[str, set[str]] = {rule_id: set() for rule_id in rules}
    for case in cases:
        for rule_id, rule in rules.items():
            found[rule_id] |= reads_of(rule, case)
    return found


def every_scenario_case() -> list[GistCase]:
    """The cases of every scenario: tests/logic, the FHIR scenarios and the sandbox patients
    (the last two built from their FHIR resources as the service builds them)."""
    from fhir_mappings import build_case
    from sandbox.patients import load_bundle, load_manifest, prefetch_for
    from tests.fhir_mappings.fhir import PATIENT
    from tests.logic.scenarios import SCENARIOS as LOGIC_SCENARIOS
    from tests.scenarios.fhir_cases import SCENARIOS as FHIR_SCENARIOS

    cases = [case for case, _ in LOGIC_SCENARIOS.values()]
    cases += [build_case(s.resources(), patient_id=PATIENT) for s in FHIR_SCENARIOS.values()]
    for entry in load_manifest():
        prefetch = prefetch_for(load_bundle(entry["id"]))
        cases.append(build_case(list(prefetch.values()), patient_id=entry["id"]))
    return cases
