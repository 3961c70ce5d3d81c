"""Tumour size, mitotic count, rupture, margin, resectability, EUS (input profile)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from fhir_mappings import build_case
from logic.case import (
    EusFeature,
    FactStatus,
    Margin,
    MitoticCount,
    Resectability,
    SizeSource,
    TumourSize,
)
from tests.fhir_mappings import fhir as f

TODAY = dt.date(2024, 6, 1)


@pytest.mark.parametrize(
    ("value", "unit", "cm"),
    [(45, "mm", 4.5), (4.5, "cm", 4.5), (33.3, "mm", 3.33), ("61", "mm", 6.1)],
)
def test_size_component_in_cm_or_mm(value: object, unit: str, cm: float) -> None:
    case = build_case([f.gist(), f.size("s", value, unit)], today=TODAY)
    assert case.tumour_size.get() == TumourSize(cm, SizeSource.IMAGING, dt.date(2021, 1, 1))
    assert case.tumour_size.sources[0].resource_id == "s"


def test_size_on_the_observation_itself_with_code_33728_7() -> None:
    obs = f.observation("s", f.cc(f.LOINC, "33728-7"), valueQuantity=f.quantity(21, "mm"))
    assert build_case([f.gist(), obs], today=TODAY).tumour_size.get().cm == 2.1


@pytest.mark.parametrize("unit", ["in", "[in_i]", "mm2"])
def test_size_in_another_unit_is_unreadable(unit: str) -> None:
    case = build_case([f.gist(), f.size("s", 3, unit)], today=TODAY)
    assert case.tumour_size.status is FactStatus.UNKNOWN
    assert case.tumour_size.note == "only unreadable tumour size data (see unreadable inputs)"
    assert case.unreadable[0].reason == f"tumour size unit {unit!r} is not cm or mm"


def test_latest_size_wins_and_same_day_disagreement_conflicts() -> None:
    older, newer = f.size("a", 3, date="2021-01-01"), f.size("b", 40, "mm", date="2021-06-01")
    assert build_case([f.gist(), older, newer], today=TODAY).tumour_size.get().cm == 4.0
    rival = f.size("c", 5, date="2021-06-01T12:00:00+02:00")
    fact = build_case([f.gist(), older, newer, rival], today=TODAY).tumour_size
    assert fact.status is FactStatus.CONFLICTING
    assert {c.cm for c in fact.candidates} == {4.0, 5.0}
    assert {s.resource_id for s in fact.sources} == {"b", "c"}
    assert fact.note is not None
    assert "2021-06-01" in fact.note


def test_same_day_agreement_is_known_with_both_sources() -> None:
    fact = build_case([f.gist(), f.size("a", 4), f.size("b", 40, "mm")], today=TODAY).tumour_size
    assert fact.get().cm == 4
    assert [s.resource_id for s in fact.sources] == ["a", "b"]


def test_effective_period_start_then_issued_order_observations() -> None:
    period = f.size("p", 3, effectivePeriod={"start": "2021-03-01", "end": "2021-03-02"})
    del period["effectiveDateTime"]
    issued = f.observation(
        "i",
        f.cc(f.LOINC, "33728-7"),
        None,
        valueQuantity=f.quantity(5, "cm"),
        issued="2021-04-01T10:00:00Z",
    )
    assert build_case([f.gist(), period, issued], today=TODAY).tumour_size.get().cm == 5


def test_pathology_beats_later_imaging_after_resection_only() -> None:
    path = f.size("path", 6, date="2020-03-02", specimen={"reference": "Specimen/1"})
    ct = f.size("ct", 7, date="2020-09-01")
    resected = build_case([f.gist(), f.resection(date="2020-03-01"), path, ct], today=TODAY)
    assert resected.tumour_size.get() == TumourSize(6, SizeSource.PATHOLOGY, dt.date(2020, 3, 2))
    assert resected.tumour_size.note == "pathology size preferred after resection"
    assert [s.cm for s in resected.size_history] == [6, 7]
    not_resected = build_case([f.gist(), path, ct], today=TODAY)
    assert not_resected.tumour_size.get().source is SizeSource.IMAGING


@pytest.mark.parametrize(
    ("unit", "expected"),
    [
        ("/5.mm2", MitoticCount(6, True, None)),
        ("/50.[HPF]", MitoticCount(6, True, None)),
        ("{mitoses}/50.[HPF]", MitoticCount(6, True, None)),
        ("/10.[HPF]", MitoticCount(6, False, "/10.[HPF]")),
        ("/mm2", MitoticCount(6, False, "/mm2")),
    ],
)
def test_mitotic_denominators(unit: str, expected: MitoticCount) -> None:
    assert (
        build_case([f.gist(), f.mitoses("m", 6, unit)], today=TODAY).mitotic_count.get() == expected
    )


def test_mitotic_count_by_code_text() -> None:
    obs = f.observation(
        "m",
        {
            "coding": [{"system": "urn:oid:1.2.3", "code": "MIT5"}],
            "text": "Mitotic rate (per 5 mm2)",
        },
        valueQuantity=f.quantity(3, "/5.mm2"),
    )
    assert build_case([f.gist(), obs], today=TODAY).mitotic_count.get() == MitoticCount(3)


def test_mitotic_count_with_data_absent_reason_is_named() -> None:
    obs = f.gist_obs(
        "m",
        "mitotic-count",
        dataAbsentReason=f.cc(
            "http://terminology.hl7.org/CodeSystem/data-absent-reason", "not-performed"
        ),
    )
    case = build_case([f.gist(), obs], today=TODAY)
    assert case.mitotic_count.status is FactStatus.UNKNOWN
    assert case.unreadable[0].reason == "no value (not-performed)"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"valueBoolean": True}, True),
        ({"valueBoolean": False}, False),
        ({"valueCodeableConcept": f.cc(f.LOINC, "LA9633-4")}, True),
        ({"valueCodeableConcept": f.cc(f.LOINC, "LA9634-2")}, False),
    ],
)
def test_rupture_observation(value: dict[str, Any], expected: bool) -> None:
    case = build_case([f.gist(), f.gist_obs("r", "tumor-rupture", **value)], today=TODAY)
    assert case.rupture.get() is expected


@pytest.mark.parametrize("code", ["R0", "R1", "R2"])
def test_margin(code: str) -> None:
    obs = f.gist_obs("m", "resection-margin", valueCodeableConcept=f.cc(f.GIST, code))
    assert build_case([f.gist(), obs], today=TODAY).margin.get() is Margin(code)


@pytest.mark.parametrize("code", ["resectable", "marginally-resectable", "unresectable"])
def test_resectability(code: str) -> None:
    obs = f.gist_obs("r", "resectability", valueCodeableConcept=f.cc(f.GIST, code))
    assert build_case([f.gist(), obs], today=TODAY).resectability.get() is Resectability(code)


def test_resectability_absent_is_unknown_with_reason() -> None:
    fact = build_case([f.gist()], today=TODAY).resectability
    assert fact.status is FactStatus.UNKNOWN
    assert fact.note == "no Observation gist#resectability"


def test_eus_components() -> None:
    comps = [
        {"code": f.cc(f.GIST, "irregular-border"), "valueBoolean": True},
        {"code": f.cc(f.GIST, "cystic-spaces"), "valueBoolean": False},
        {"code": f.cc(f.GIST, "ulceration"), "valueBoolean": False},
        {"code": f.cc(f.GIST, "echogenic-foci"), "valueBoolean": True},
        {"code": f.cc(f.GIST, "heterogeneity"), "valueBoolean": False},
    ]
    eus = build_case(
        [f.gist(), f.gist_obs("e", "eus-high-risk-features", component=comps)], today=TODAY
    ).eus.get()
    assert eus.assessed == frozenset(EusFeature)
    assert eus.present == {EusFeature.IRREGULAR_BORDER, EusFeature.ECHOGENIC_FOCI}


def test_eus_all_false_means_no_feature_and_missing_means_unknown() -> None:
    comps = [{"code": f.cc(f.GIST, x.value), "valueBoolean": False} for x in EusFeature]
    eus = build_case(
        [f.gist(), f.gist_obs("e", "eus-high-risk-features", component=comps)], today=TODAY
    ).eus.get()
    assert eus.present == frozenset()
    assert build_case([f.gist()], today=TODAY).eus.status is FactStatus.UNKNOWN


@pytest.mark.parametrize("status", ["entered-in-error", "cancelled"])
def test_cancelled_or_erroneous_observations_are_ignored(status: str) -> None:
    obs = f.size("s", 3)
    obs["status"] = status
    assert build_case([f.gist(), obs], today=TODAY).tumour_size.status is FactStatus.UNKNOWN
