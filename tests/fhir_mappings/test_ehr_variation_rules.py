"""Focused mapping tests for the input profile's "Real EHR variations" rules that the HTTP
variation suite cannot reach (dispenses are not prefetched) or that need exact values."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from fhir_mappings import build_case, dates, drug_codes
from fhir_mappings.jsonpath import icd10_dotted
from fhir_mappings.observations import (
    MITOSES_BOUNDARIES,
    SIZE_BOUNDARIES_CM,
    SIZE_EXACT_CM,
    comparator_problem,
)
from logic.case import Drug, FactStatus, TherapySetting, TherapyStatus
from tests.fhir_mappings import fhir as f

TODAY = dt.date(2026, 12, 1)
IMATINIB_SCD = {"coding": [{"system": f.RXNORM, "code": "403879"}]}


def dispense(rid: str, day: str, *, days_supply: int = 30, **extra: Any) -> dict[str, Any]:
    return {
        "resourceType": "MedicationDispense",
        "id": rid,
        "status": "completed",
        "medicationCodeableConcept": IMATINIB_SCD,
        "subject": {"reference": f"Patient/{f.PATIENT}"},
        "whenHandedOver": day,
        "daysSupply": {"value": days_supply, "unit": "d", "system": f.UCUM, "code": "d"},
        **extra,
    }


def test_dispenses_alone_make_one_running_imatinib_course() -> None:
    items = [
        f.gist(),
        dispense("d1", "2026-09-01"),
        dispense("d2", "2026-10-01"),
        dispense("d3", "2026-11-01"),
    ]
    (course,) = build_case(items, today=TODAY).tki_history
    assert (course.drug, course.start, course.status) == (
        Drug.IMATINIB,
        dt.date(2026, 9, 1),
        TherapyStatus.ACTIVE,
    )


def test_old_dispenses_make_a_completed_course() -> None:
    (course,) = build_case([f.gist(), dispense("d1", "2024-01-10")], today=TODAY).tki_history
    assert (course.status, course.end) == (TherapyStatus.COMPLETED, dt.date(2024, 2, 9))


def test_administration_is_course_evidence() -> None:
    admin = {
        "resourceType": "MedicationAdministration",
        "id": "a1",
        "status": "completed",
        "medicationCodeableConcept": {"text": "Sutent 50 mg"},
        "subject": {"reference": f"Patient/{f.PATIENT}"},
        "effectiveDateTime": "2026-11-20",
    }
    (course,) = build_case([f.gist(), admin], today=TODAY).tki_history
    assert course.drug is Drug.SUNITINIB


def test_a_dispense_beside_a_statement_only_confirms_it() -> None:
    statement = f.med_statement(
        "s1", {"medicationCodeableConcept": IMATINIB_SCD}, "2026-01-01", status="active"
    )
    case = build_case([f.gist(), statement, dispense("d1", "2026-11-01")], today=TODAY)
    assert [c.source.resource_id for c in case.tki_history] == ["s1"]


@pytest.mark.parametrize(
    ("unit", "count", "timing", "expected"),
    [
        ("{tbl}", 1, {"repeat": {"frequency": 1, "period": 1, "periodUnit": "d"}}, 400.0),
        ("{pill}", 2, {"repeat": {"frequency": 1, "period": 1, "periodUnit": "d"}}, 800.0),
        ("{tbl}", 1, {"code": {"coding": [{"code": "BID"}]}}, 800.0),
        ("{capsule}", 1, {"code": {"coding": [{"code": "qd"}]}}, 400.0),
    ],
)
def test_dose_as_a_count_of_the_product_strength(
    unit: str, count: int, timing: dict[str, Any], expected: float
) -> None:
    statement = f.med_statement(
        "s1", {"medicationCodeableConcept": IMATINIB_SCD}, "2026-01-01", status="active"
    )
    statement["dosage"] = [
        {"timing": timing, "doseAndRate": [{"doseQuantity": {"value": count, "code": unit}}]}
    ]
    (course,) = build_case([f.gist(), statement], today=TODAY).tki_history
    assert course.daily_dose_mg == expected


def test_request_with_intent_plan_or_proposal_is_not_a_course() -> None:
    base = {
        "resourceType": "MedicationRequest",
        "status": "active",
        "medicationCodeableConcept": {"text": "sunitinib"},
        "subject": {"reference": f"Patient/{f.PATIENT}"},
        "authoredOn": "2026-11-01",
    }
    plan = {**base, "id": "r1", "intent": "plan"}
    proposal = {**base, "id": "r2", "intent": "proposal"}
    order = {**base, "id": "r3", "intent": "instance-order"}
    case = build_case([f.gist(), plan, proposal, order], today=TODAY)
    assert [c.source.resource_id for c in case.tki_history] == ["r3"]


def test_every_tki_has_a_code_or_is_declared_name_only_and_each_code_says_its_source() -> None:
    coded = {entry.drug for entry in drug_codes.INGREDIENTS.values()}
    assert coded | drug_codes.NAME_ONLY == set(Drug)
    assert not coded & drug_codes.NAME_ONLY
    sources = [e.source for e in drug_codes.INGREDIENTS.values()]
    sources += [e.source for e in drug_codes.PRODUCTS.values()]
    assert all(sources)
    assert all(not e.verified for e in drug_codes.INGREDIENTS.values() if "UNCONFIRMED" in e.source)


@pytest.mark.parametrize(
    ("comparator", "value", "ambiguous"),
    [(">", 5, True), (">=", 6, True), (">", 10, True), (">", 12, False), ("<", 2, True),
     ("<=", 2, True), ("<", "1.5", False), (None, 5, False)],
)  # fmt: skip
def test_size_comparators_are_read_only_inside_one_band(
    comparator: str | None, value: Any, ambiguous: bool
) -> None:
    problem = comparator_problem(comparator, Decimal(value), SIZE_BOUNDARIES_CM, SIZE_EXACT_CM)
    assert (problem is not None) is ambiguous


@pytest.mark.parametrize(
    ("comparator", "value", "ambiguous"),
    [(">", 5, True), (">", 10, True), (">", 11, False), ("<", 5, False), ("<", 6, True)],
)
def test_mitotic_count_comparators(comparator: str, value: int, ambiguous: bool) -> None:
    problem = comparator_problem(comparator, Decimal(value), MITOSES_BOUNDARIES)
    assert (problem is not None) is ambiguous


def test_newer_ambiguous_size_does_not_let_the_older_size_through() -> None:
    old = f.size("s1", 3, date="2025-01-01")
    new = f.size("s2", 5, date="2026-01-01")
    new["component"][0]["valueQuantity"]["comparator"] = ">"
    case = build_case([f.gist(), old, new], today=TODAY)
    assert case.tumour_size.status is FactStatus.UNKNOWN
    assert "which risk band" in (case.tumour_size.note or "")


@pytest.mark.parametrize(
    ("raw", "dotted"),
    [("C49A2", "C49.A2"), ("c49.a2", "C49.A2"), ("C7800", "C78.00"), ("C78", "C78")],
)
def test_icd10_codes_are_normalised(raw: str, dotted: str) -> None:
    assert icd10_dotted(raw) == dotted


def test_partial_date_span() -> None:
    assert dates.span("2024-02") == (dt.date(2024, 2, 1), dt.date(2024, 2, 29))
    assert dates.span("2024") == (dt.date(2024, 1, 1), dt.date(2024, 12, 31))
    assert dates.span("2024-02-03") is None


def test_instants_in_different_zones_are_compared_as_instants() -> None:
    resection = {
        "resourceType": "Procedure",
        "id": "op",
        "status": "completed",
        "code": f.cc(f.GIST, "primary-resection"),
        "subject": {"reference": f"Patient/{f.PATIENT}"},
        "performedDateTime": "2026-03-09T01:00:00+14:00",  # 2026-03-08T11:00Z
    }
    # Written the day before, but 14 hours after the resection as an instant: adjuvant.
    statement = f.med_statement(
        "s1",
        {"medicationCodeableConcept": IMATINIB_SCD},
        "2026-03-08T20:00:00-05:00",
        status="active",
    )
    (course,) = build_case(
        [f.gist(onsetDateTime="2026-01-10"), resection, statement], today=TODAY
    ).tki_history
    assert course.setting is TherapySetting.ADJUVANT


def test_partial_start_straddling_the_resection_is_named() -> None:
    resection = {
        "resourceType": "Procedure",
        "id": "op",
        "status": "completed",
        "code": f.cc(f.GIST, "primary-resection"),
        "subject": {"reference": f"Patient/{f.PATIENT}"},
        "performedDateTime": "2026-03-09",
    }
    statement = f.med_statement(
        "s1", {"medicationCodeableConcept": IMATINIB_SCD}, "2026-03", status="active"
    )
    case = build_case([f.gist(onsetDateTime="2026-01-10"), resection, statement], today=TODAY)
    assert any("straddles the resection date" in u.reason for u in case.unreadable)
