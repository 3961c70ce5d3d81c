"""TKI courses: drug recognition, daily dose, stop reason, setting and line numbering."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from fhir_mappings import build_case
from logic.case import Drug, StopReason, TherapySetting, TherapyStatus
from tests.fhir_mappings import fhir as f

TODAY = dt.date(2024, 6, 1)
LIVER = f.cc(f.SNOMED, "94381002")


def history(*resources: dict[str, Any]) -> Any:
    return build_case([f.gist(), *resources], today=TODAY).tki_history


@pytest.mark.parametrize(
    ("medication", "drug"),
    [
        (f.rx("282388", "x"), Drug.IMATINIB),
        (f.rx("357977", "x"), Drug.SUNITINIB),
        (f.rx("662281", "x"), Drug.NILOTINIB),
        (f.rx("714438", "x"), Drug.PAZOPANIB),
        (f.rx("1424911", "x"), Drug.DABRAFENIB),
        (f.named("Gleevec 400 mg tablet"), Drug.IMATINIB),
        (f.named("GLIVEC"), Drug.IMATINIB),
        (f.named("Sutent 50 MG Oral Capsule"), Drug.SUNITINIB),
        (f.named("Stivarga"), Drug.REGORAFENIB),
        (f.named("Qinlock 50 mg"), Drug.RIPRETINIB),
        (f.named("Ayvakit"), Drug.AVAPRITINIB),
        (f.named("Nexavar"), Drug.SORAFENIB),
        (f.named("Sprycel"), Drug.DASATINIB),
        (f.named("Tasigna"), Drug.NILOTINIB),
        (f.named("Votrient"), Drug.PAZOPANIB),
        (f.named("Vitrakvi"), Drug.LAROTRECTINIB),
        (f.named("Rozlytrek"), Drug.ENTRECTINIB),
        (f.named("Tafinlar"), Drug.DABRAFENIB),
        (f.named("Mekinist"), Drug.TRAMETINIB),
        (f.rx("1234", "regorafenib 40 MG Oral Tablet"), Drug.REGORAFENIB),
        (f.named("Ripretinib"), Drug.RIPRETINIB),
    ],
)
def test_drug_recognition(medication: dict[str, Any], drug: Drug) -> None:
    (course,) = history(f.med_statement("ms", medication, "2021-01-01"))
    assert course.drug is drug
    assert course.source.resource_id == "ms"


def test_non_tki_medication_is_ignored() -> None:
    assert history(f.med_statement("ms", f.named("metformin 500 mg"), "2021-01-01")) == ()


def test_contained_medication_is_resolved() -> None:
    ms = f.med_statement(
        "ms",
        {"medicationReference": {"reference": "#m1"}},
        "2021-01-01",
        contained=[
            {
                "resourceType": "Medication",
                "id": "m1",
                "code": f.cc(f.RXNORM, "357977", "sunitinib"),
            }
        ],
    )
    assert [c.drug for c in history(ms)] == [Drug.SUNITINIB]


def test_referenced_medication_is_resolved_by_id_or_full_url() -> None:
    med = {"resourceType": "Medication", "id": "med-9", "code": {"text": "Stivarga 40 mg tablet"}}
    by_id = f.med_statement(
        "a", {"medicationReference": {"reference": "Medication/med-9"}}, "2021-01-01"
    )
    assert [c.drug for c in history(med, by_id)] == [Drug.REGORAFENIB]
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {"fullUrl": "urn:uuid:6b3f", "resource": med},
            {
                "resource": f.med_statement(
                    "b", {"medicationReference": {"reference": "urn:uuid:6b3f"}}, "2021-01-01"
                )
            },
        ],
    }
    assert [c.drug for c in build_case([f.gist(), bundle], today=TODAY).tki_history] == [
        Drug.REGORAFENIB
    ]


def test_unresolvable_reference_uses_its_display() -> None:
    ms = f.med_statement(
        "a",
        {"medicationReference": {"reference": "Medication/x", "display": "Imatinib 100 mg"}},
        "2021-01-01",
    )
    assert [c.drug for c in history(ms)] == [Drug.IMATINIB]


def test_unresolvable_reference_without_display_is_reported_not_dropped() -> None:
    ms = f.med_statement("a", {"medicationReference": {"reference": "Medication/x"}}, "2021-01-01")
    case = build_case([f.gist(), ms], today=TODAY)
    assert case.tki_history == ()
    (unreadable,) = case.unreadable
    assert (unreadable.resource_type, unreadable.resource_id) == ("MedicationStatement", "a")
    assert "Medication/x" in unreadable.reason


def test_medication_request_is_accepted() -> None:
    mr = {
        "resourceType": "MedicationRequest",
        "id": "mr",
        "status": "active",
        "intent": "order",
        "medicationCodeableConcept": f.cc(f.RXNORM, "282388", "imatinib"),
        "subject": {"reference": "Patient/p1"},
        "authoredOn": "2021-02-01",
        "dosageInstruction": [
            {
                "timing": {
                    "repeat": {
                        "frequency": 2,
                        "period": 1,
                        "periodUnit": "d",
                        "boundsPeriod": {"start": "2021-02-03"},
                    }
                },
                "doseAndRate": [{"doseQuantity": f.quantity(400, "mg")}],
            }
        ],
        "statusReason": f.cc(f.SNOMED, "407563006"),
    }
    (course,) = history(mr)
    assert (course.drug, course.daily_dose_mg, course.start, course.status) == (
        Drug.IMATINIB,
        800,
        dt.date(2021, 2, 3),
        TherapyStatus.ACTIVE,
    )
    assert course.stop_reason is StopReason.INTOLERANCE


@pytest.mark.parametrize(
    ("dosage", "mg"),
    [
        (
            {
                "timing": {"repeat": {"frequency": 2, "period": 1, "periodUnit": "d"}},
                "doseAndRate": [{"doseQuantity": f.quantity(400, "mg")}],
            },
            800,
        ),
        (
            {
                "timing": {"repeat": {"frequency": 1, "period": 1, "periodUnit": "d"}},
                "doseAndRate": [{"doseQuantity": f.quantity(0.4, "g")}],
            },
            400,
        ),
        (
            {
                "timing": {"repeat": {"frequency": 1, "period": 12, "periodUnit": "h"}},
                "doseAndRate": [{"doseQuantity": f.quantity(75, "mg")}],
            },
            150,
        ),
        (
            {
                "timing": {
                    "code": f.cc("http://terminology.hl7.org/CodeSystem/v3-GTSAbbreviation", "BID")
                },
                "doseAndRate": [{"doseQuantity": f.quantity(70, "mg")}],
            },
            140,
        ),
        (
            {
                "timing": {"repeat": {"frequency": 1, "period": 1, "periodUnit": "d"}},
                "doseAndRate": [{"doseQuantity": {"value": 1, "unit": "tablet"}}],
            },
            None,
        ),
        ({"doseAndRate": [{"doseQuantity": f.quantity(400, "mg")}]}, None),
    ],
)
def test_daily_dose(dosage: dict[str, Any], mg: float | None) -> None:
    ms = f.med_statement(
        "ms", f.rx("282388", "imatinib"), "2021-01-01", dose_mg=None, dosage=[dosage]
    )
    assert history(ms)[0].daily_dose_mg == mg


@pytest.mark.parametrize(
    ("reason", "expected"),
    [
        ("266721009", StopReason.PROGRESSION),
        ("407563006", StopReason.INTOLERANCE),
        ("182992009", StopReason.OTHER),
    ],
)
def test_stop_reason(reason: str, expected: StopReason) -> None:
    ms = f.med_statement(
        "ms",
        f.rx("282388", "imatinib"),
        "2021-01-01",
        "2021-06-01",
        status="stopped",
        statusReason=[f.cc(f.SNOMED, reason)],
    )
    (course,) = history(ms)
    assert (course.status, course.stop_reason) == (TherapyStatus.STOPPED, expected)


@pytest.mark.parametrize("status", ["not-taken", "intended", "entered-in-error"])
def test_courses_never_taken_are_not_history(status: str) -> None:
    assert (
        history(f.med_statement("ms", f.rx("282388", "imatinib"), "2021-01-01", status=status))
        == ()
    )


def test_unknown_status_without_end_is_unreadable() -> None:
    case = build_case(
        [
            f.gist(),
            f.med_statement("ms", f.rx("282388", "imatinib"), "2021-01-01", status="unknown"),
        ],
        today=TODAY,
    )
    assert case.tki_history == ()
    assert case.unreadable[0].reason == "therapy status 'unknown' without an end date"


def test_neoadjuvant_adjuvant_and_advanced_lines() -> None:
    neo = f.med_statement("neo", f.rx("282388", "imatinib"), "2019-09-01", "2020-02-20")
    adj = f.med_statement("adj", f.rx("282388", "imatinib"), "2020-04-01", "2021-04-01")
    first = f.med_statement(
        "l1", f.rx("282388", "imatinib"), "2022-01-10", "2022-08-01", status="stopped"
    )
    escalated = f.med_statement(
        "l1b",
        f.rx("282388", "imatinib"),
        "2022-08-01",
        "2023-01-01",
        per_day=2,
        status="stopped",
        statusReason=[f.cc(f.SNOMED, "266721009")],
    )
    second = f.med_statement("l2", f.named("Sutent"), "2023-01-10", status="active", dose_mg=50)
    case = build_case(
        [
            f.gist(),
            f.resection(date="2020-03-01"),
            f.metastasis("m", LIVER, "2022-01-01"),
            second,
            escalated,
            first,
            adj,
            neo,
        ],
        today=TODAY,
    )
    got = [(c.source.resource_id, c.setting, c.line, c.daily_dose_mg) for c in case.tki_history]
    assert got == [
        ("neo", TherapySetting.NEOADJUVANT, None, 400),
        ("adj", TherapySetting.ADJUVANT, None, 400),
        ("l1", TherapySetting.ADVANCED, 1, 400),
        ("l1b", TherapySetting.ADVANCED, 1, 800),
        ("l2", TherapySetting.ADVANCED, 2, 50),
    ]
    assert case.current_course is not None
    assert case.current_course.drug is Drug.SUNITINIB


def test_adjuvant_course_still_running_without_recurrence() -> None:
    adj = f.med_statement("adj", f.rx("282388", "imatinib"), "2020-04-01", status="active")
    (course,) = history(f.resection(date="2020-03-01"), adj)
    assert (course.setting, course.line) == (TherapySetting.ADJUVANT, None)


def test_course_running_into_recurrence_is_an_advanced_line() -> None:
    ms = f.med_statement(
        "ms", f.rx("282388", "imatinib"), "2020-04-01", "2022-06-01", status="stopped"
    )
    (course,) = history(f.resection(date="2020-03-01"), f.metastasis("m", LIVER, "2022-01-01"), ms)
    assert (course.setting, course.line) == (TherapySetting.ADVANCED, 1)


def test_metastatic_at_diagnosis_all_courses_are_lines_and_rechallenge_is_new() -> None:
    meds = [
        f.med_statement("a", f.rx("282388", "imatinib"), "2020-01-01", "2021-01-01"),
        f.med_statement("b", f.rx("357977", "sunitinib"), "2021-01-05", "2021-09-01"),
        f.med_statement("c", f.named("Stivarga"), "2021-09-05", "2022-03-01"),
        f.med_statement("d", f.named("Qinlock"), "2022-03-05", "2022-09-01"),
        f.med_statement("e", f.rx("282388", "imatinib"), "2022-09-05", status="active"),
    ]
    lines = [c.line for c in history(f.metastasis("m", LIVER, "2019-12-01"), *meds)]
    assert lines == [1, 2, 3, 4, 5]


def test_combination_started_together_is_one_line() -> None:
    combo = [
        f.med_statement(
            "d", f.named("Tafinlar"), "2022-01-01", status="active", dose_mg=150, per_day=2
        ),
        f.med_statement("t", f.named("Mekinist"), "2022-01-01", status="active", dose_mg=2),
    ]
    courses = history(f.metastasis("m", LIVER, "2021-12-01"), *combo)
    assert [(c.drug, c.line) for c in courses] == [(Drug.DABRAFENIB, 1), (Drug.TRAMETINIB, 1)]


def test_statement_and_request_for_the_same_course_are_kept_once() -> None:
    ms = f.med_statement("ms", f.rx("282388", "imatinib"), "2021-01-01", "2021-06-01", dose_mg=400)
    mr = {
        "resourceType": "MedicationRequest",
        "id": "mr",
        "status": "completed",
        "intent": "order",
        "medicationCodeableConcept": f.cc(f.RXNORM, "282388"),
        "subject": {"reference": "Patient/p1"},
        "dosageInstruction": [
            {
                "timing": {
                    "repeat": {
                        "frequency": 1,
                        "period": 1,
                        "periodUnit": "d",
                        "boundsPeriod": {"start": "2021-01-01", "end": "2021-06-01"},
                    }
                },
                "doseAndRate": [{"doseQuantity": f.quantity(400, "mg")}],
            }
        ],
    }
    (course,) = history(ms, mr)
    assert course.source.resource_type == "MedicationStatement"
