"""Bundle flattening, OperationOutcome notes, entry-by-entry validation, zone-less dates."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fhir_mappings import build_case, flatten_resources, intake
from logic.case import FactStatus, UnreadableInput
from tests.fhir_mappings import fhir as f
from tests.support.hypothesis_profiles import examples

TODAY = dt.date(2024, 6, 1)


def test_flatten_nested_bundles_keeps_order_and_drops_none() -> None:
    inner = f.searchset(f.gist(), f.size("s1", 3))
    outer = {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": inner}]}
    flat = flatten_resources([None, f.patient(), outer])
    assert [r["resourceType"] for r in flat] == ["Patient", "Condition", "Observation"]


def test_flatten_transaction_response_outcomes_and_odd_entries() -> None:
    bundle = {
        "resourceType": "Bundle",
        "type": "transaction-response",
        "entry": [
            {"response": {"status": "201", "outcome": {"resourceType": "OperationOutcome"}}},
            "not an entry",
            {"resource": None},
        ],
    }
    assert [r["resourceType"] for r in flatten_resources([bundle])] == ["OperationOutcome"]


def test_flatten_accepts_a_single_resource_instead_of_a_list() -> None:
    assert flatten_resources(f.patient()) == [f.patient()]


def test_error_outcome_is_named_and_warning_is_not() -> None:
    warning = {
        "resourceType": "OperationOutcome",
        "id": "w",
        "issue": [{"severity": "warning", "code": "processing", "diagnostics": "some data hidden"}],
    }
    error = {
        "resourceType": "OperationOutcome",
        "id": "e",
        "issue": [
            {
                "severity": "fatal",
                "code": "exception",
                "details": {"text": "Observation search timed out"},
            }
        ],
    }
    bundle = {
        "resourceType": "Bundle",
        "type": "searchset",
        "entry": [
            {"resource": warning, "search": {"mode": "outcome"}},
            {"resource": error, "search": {"mode": "outcome"}},
        ],
    }
    case = build_case([bundle], today=TODAY)
    assert case.unreadable == (
        UnreadableInput(
            "OperationOutcome", "e", "the EHR reported fatal: Observation search timed out"
        ),
    )


def test_outcome_mode_entries_that_are_not_outcomes_are_not_facts() -> None:
    bundle = {
        "resourceType": "Bundle",
        "type": "searchset",
        "entry": [{"resource": f.gist(), "search": {"mode": "outcome"}}],
    }
    assert not build_case([bundle], today=TODAY).has_gist


def test_invalid_relevant_resource_is_reported_and_the_others_still_map() -> None:
    bad = f.size("bad-size", 4)
    bad["status"] = "final "  # trailing space: R4B rejects it
    case = build_case([f.gist(), bad, f.size("good", 3, date="2020-01-01")], today=TODAY)
    assert case.has_gist
    assert case.tumour_size.get().cm == 3
    (note,) = case.unreadable
    assert (note.resource_type, note.resource_id) == ("Observation", "bad-size")
    assert note.reason.startswith("invalid FHIR R4: status")


def test_irrelevant_invalid_resources_are_not_validated_or_reported() -> None:
    noise = f.observation("bp", f.cc(f.LOINC, "8480-6"), unknownField=1)
    assert build_case([f.gist(), noise], today=TODAY).unreadable == ()


@pytest.mark.parametrize(
    "stamp",
    [
        "2021-04-20T14:22:00",
        "2021-04-20T14:22",
        "2021-04-20T14:22:00.123",
        "2021-04-20T23:59:00-08:00",
        "2021-04-20T00:10:00+09:00",
        "2021-04-20",
    ],
)
def test_dates_with_and_without_zone_give_the_written_calendar_day(stamp: str) -> None:
    case = build_case([f.gist(), f.mitoses("m", 4, date=stamp)], today=TODAY)
    assert case.unreadable == ()
    assert case.mitotic_count.sources[0].date == dt.date(2021, 4, 20)


def test_zone_less_date_in_a_nested_element_is_accepted() -> None:
    ms = f.med_statement(
        "ms", f.rx("282388", "imatinib"), "2021-05-20T09:00:00", "2022-01-01T10:00:00"
    )
    case = build_case([f.gist(), ms], today=TODAY)
    assert case.unreadable == ()
    assert case.tki_history[0].start == dt.date(2021, 5, 20)


def test_non_object_items_are_reported_not_fatal() -> None:
    case = build_case([f.gist(), "text", 3, None], today=TODAY)
    assert case.has_gist
    assert {u.reason for u in case.unreadable} == {
        "not a JSON object: str",
        "not a JSON object: int",
    }


def test_resources_of_another_patient_are_skipped_and_named() -> None:
    other = f.size("other", 9)
    other["subject"] = {"reference": "Patient/p2"}
    case = build_case([f.patient(), f.gist(), other], "p1", today=TODAY)
    assert case.tumour_size.status is FactStatus.UNKNOWN
    assert case.unreadable == (
        UnreadableInput(
            "Observation", "other", "is recorded for another patient, not the patient in view"
        ),
    )


def test_patient_id_is_taken_from_the_patient_resource() -> None:
    case = build_case([f.patient(), f.gist()], today=TODAY)
    assert case.patient_id == "p1"
    assert case.gist_condition_id == "gist"


def test_several_patients_without_an_id_give_an_empty_case_with_a_note() -> None:
    second = f.patient("p2")
    case = build_case([f.patient(), second, f.gist()], today=TODAY)
    assert not case.has_gist
    assert "several patients" in case.unreadable[0].reason


def test_duplicate_resource_ids_keep_the_latest_version() -> None:
    old = f.size("s", 3, meta={"lastUpdated": "2021-01-01T00:00:00Z"})
    new = f.size("s", 4, meta={"lastUpdated": "2021-02-01T00:00:00Z"})
    for order in ([old, new], [new, old]):
        assert build_case([f.gist(), *order], today=TODAY).tumour_size.get().cm == 4


def test_a_prefetch_value_that_is_an_operation_outcome_is_named() -> None:
    outcome = {
        "resourceType": "OperationOutcome",
        "issue": [
            {
                "severity": "error",
                "code": "forbidden",
                "details": {"text": "Access denied to MedicationStatement"},
            }
        ],
    }
    case = build_case([f.searchset(f.gist()), outcome, None], today=TODAY)
    assert case.has_gist
    assert case.unreadable == (
        UnreadableInput(
            "OperationOutcome", None, "the EHR reported error: Access denied to MedicationStatement"
        ),
    )


@pytest.mark.parametrize(
    "code",
    [
        420120006,
        "420120006",
        [{"coding": [{"system": "http://snomed.info/sct", "code": "420120006"}]}],
        {"coding": {"system": "http://snomed.info/sct", "code": "420120006"}},
        {"coding": [{"system": "http://snomed.info/sct", "code": 420120006}]},
    ],
)
def test_condition_with_an_unreadable_code_is_reported_not_taken_for_no_gist(code: object) -> None:
    condition = f.gist()
    condition["code"] = code
    case = build_case([condition])
    assert not case.has_gist
    assert [u.resource_type for u in case.unreadable] == ["Condition"]


def test_condition_with_an_unrelated_readable_code_is_ignored() -> None:
    condition = f.gist()
    condition["code"] = {"coding": [{"system": "http://snomed.info/sct", "code": "38341003"}]}
    case = build_case([condition])
    assert not case.has_gist
    assert case.unreadable == ()


_stamps = st.from_regex(
    r"\A[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,3})?)?(Z|\+01:00|\n)?\Z"
)
_json_with_stamps = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(max_size=20)
    | _stamps
    | st.sampled_from(["2024-01-01T10:30", "٢٠٢٤-01-01T10:30", "2024-01-01T10:30:00\n"]),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=examples(0.5))
@given(_json_with_stamps)
def test_the_pre_scan_skips_the_zone_walk_only_when_the_walk_changes_nothing(value: Any) -> None:
    """What R4B validates is the same with and without the pre-scan (any JSON, zone-less
    dateTimes anywhere, Unicode digits and the trailing newline `$` accepts included)."""
    resource = {"resourceType": "Observation", "value": value}
    assert intake._for_validation(resource) == intake._zone_fixed(resource)
