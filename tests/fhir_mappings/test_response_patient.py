"""Latest response with focal vs multifocal progression; resection; age and deceased."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from fhir_mappings import build_case
from logic.case import FactStatus, Resection, ResponseAssessment, ResponseStatus
from tests.fhir_mappings import fhir as f

TODAY = dt.date(2024, 6, 1)
CODES = {
    "improved": "268910001",
    "stable": "359746009",
    "worsened": "271299001",
    "undetermined": "709137006",
}


def status_obs(
    rid: str, value: str, date: str, lesion: str | None = None, count: int | None = None
) -> dict[str, Any]:
    extra: dict[str, Any] = {"valueCodeableConcept": f.cc(f.SNOMED, CODES[value])}
    if lesion:
        extra["focus"] = [{"reference": f"BodyStructure/{lesion}"}]
    else:
        extra["focus"] = [{"reference": "Condition/gist"}]
    if count is not None:
        extra["component"] = [
            {"code": f.cc(f.GIST, "progressing-lesion-count"), "valueInteger": count}
        ]
    return f.observation(rid, f.cc(f.LOINC, "97509-4"), date, **extra)


def response_of(*resources: dict[str, Any]) -> Any:
    return build_case([f.gist(), *resources], today=TODAY).response


@pytest.mark.parametrize("value", list(CODES))
def test_overall_status_latest_wins(value: str) -> None:
    fact = response_of(
        status_obs("old", "worsened", "2021-01-01"), status_obs("new", value, "2022-01-01")
    )
    assert fact.get() == ResponseAssessment(ResponseStatus(value), dt.date(2022, 1, 1), None)
    assert [s.resource_id for s in fact.sources] == ["new"]


def test_per_lesion_focal_progression() -> None:
    fact = response_of(
        status_obs("a", "worsened", "2022-01-01", lesion="L1"),
        status_obs("b", "stable", "2022-01-01", lesion="L2"),
        status_obs("c", "improved", "2022-01-01", lesion="L3"),
        status_obs("old", "worsened", "2021-01-01", lesion="L2"),
    )
    assert fact.get() == ResponseAssessment(ResponseStatus.WORSENED, dt.date(2022, 1, 1), 1)


def test_per_lesion_multifocal_progression() -> None:
    fact = response_of(
        status_obs("a", "worsened", "2022-01-01", lesion="L1"),
        status_obs("b", "worsened", "2022-01-01", lesion="L2"),
    )
    assert fact.get().progressing_lesions == 2


def test_per_lesion_all_stable_or_improved_is_stable_with_zero() -> None:
    fact = response_of(
        status_obs("a", "improved", "2022-01-01", lesion="L1"),
        status_obs("b", "stable", "2022-01-01", lesion="L2"),
    )
    assert fact.get() == ResponseAssessment(ResponseStatus.STABLE, dt.date(2022, 1, 1), 0)


def test_overall_with_progressing_lesion_count_component() -> None:
    fact = response_of(status_obs("a", "worsened", "2022-01-01", count=3))
    assert fact.get().progressing_lesions == 3


def test_same_day_disagreement_conflicts() -> None:
    fact = response_of(
        status_obs("a", "worsened", "2022-01-01"), status_obs("b", "stable", "2022-01-01")
    )
    assert fact.status is FactStatus.CONFLICTING
    overall_vs_lesion = response_of(
        status_obs("a", "stable", "2022-01-01"),
        status_obs("b", "worsened", "2022-01-01", lesion="L1"),
    )
    assert overall_vs_lesion.status is FactStatus.CONFLICTING


def test_unknown_response_value_is_unreadable() -> None:
    obs = f.observation(
        "a", f.cc(f.LOINC, "97509-4"), valueCodeableConcept=f.cc(f.SNOMED, "103338009")
    )
    case = build_case([f.gist(), obs], today=TODAY)
    assert case.response.status is FactStatus.UNKNOWN
    assert case.unreadable[0].resource_id == "a"


def test_resection_by_reason_reference_and_surgical_category() -> None:
    proc = {
        "resourceType": "Procedure",
        "id": "op",
        "status": "completed",
        "category": f.cc(f.SNOMED, "387713003"),
        "code": f.cc(f.SNOMED, "112831000", "Partial gastrectomy"),
        "subject": {"reference": "Patient/p1"},
        "performedPeriod": {
            "start": "2020-03-01T08:00:00-05:00",
            "end": "2020-03-01T12:00:00-05:00",
        },
        "reasonReference": [{"reference": "https://ehr.example.org/fhir/Condition/gist"}],
    }
    case = build_case([f.gist(), proc], today=TODAY)
    assert case.resected
    assert case.resection.get() == Resection(dt.date(2020, 3, 1), "op")
    other = dict(proc, reasonReference=[{"reference": "Condition/appendicitis"}])
    assert not build_case([f.gist(), other], today=TODAY).resected
    not_done = dict(proc, status="not-done")
    assert not build_case([f.gist(), not_done], today=TODAY).resected


def test_earliest_of_several_resections() -> None:
    case = build_case(
        [f.gist(), f.resection("b", "2022-01-01"), f.resection("a", "2020-03-01")], today=TODAY
    )
    assert case.resection.get().procedure_id == "a"
    assert case.resection.note == "earliest of 2 resections"


@pytest.mark.parametrize(
    ("birth", "age"), [("1960-06-15", 63), ("1960-06-01", 64), ("1960-05-31", 64), ("1960", 64)]
)
def test_age_from_birth_date(birth: str, age: int) -> None:
    case = build_case([f.patient(birthDate=birth), f.gist()], today=TODAY)
    assert case.age_years.get() == age
    assert case.age_years.sources[0].resource_id == "p1"


def test_missing_birth_date_is_unknown() -> None:
    p = f.patient()
    del p["birthDate"]
    assert build_case([p], today=TODAY).age_years.note == "Patient.birthDate missing or unreadable"


@pytest.mark.parametrize(
    ("extra", "dead"),
    [
        ({"deceasedBoolean": True}, True),
        ({"deceasedDateTime": "2024-01-01T10:00:00"}, True),
        ({"deceasedBoolean": False}, False),
        ({}, False),
    ],
)
def test_deceased(extra: dict[str, Any], dead: bool) -> None:
    assert build_case([f.patient(**extra), f.gist()], today=TODAY).deceased is dead
