"""The per-case plan cache: one computation per case object, never an answer for another case."""

from __future__ import annotations

import dataclasses

from logic.case import GistCase
from logic.rules.common import CACHED_CASES, per_case


def test_a_plan_is_computed_once_per_case_object_and_never_shared() -> None:
    calls: list[GistCase] = []

    @per_case
    def plan(case: GistCase) -> str | None:
        calls.append(case)
        return case.patient_id

    first, second = GistCase(patient_id="a"), GistCase(patient_id="b")
    assert [plan(first), plan(first), plan(second), plan(first)] == ["a", "a", "b", "a"]
    assert calls == [first, second]
    copy = dataclasses.replace(first)
    assert plan(copy) == "a"
    assert len(calls) == 3  # an equal but distinct case object is computed afresh


def test_the_cache_forgets_old_cases() -> None:
    calls: list[GistCase] = []

    @per_case
    def plan(case: GistCase) -> int:
        calls.append(case)
        return len(calls)

    cases = [GistCase(patient_id=str(i)) for i in range(CACHED_CASES + 1)]
    for case in cases:
        plan(case)
    plan(cases[-1])
    plan(cases[0])
    assert len(calls) == CACHED_CASES + 2  # the newest is remembered, the oldest recomputed
