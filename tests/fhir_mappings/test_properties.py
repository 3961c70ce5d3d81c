"""Property tests: build_case never raises, unit and order do not change the case."""

from __future__ import annotations

import copy
import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from fhir_mappings import build_case, flatten_resources
from logic.case import GistCase
from tests.fhir_mappings import fhir as f
from tests.support.hypothesis_profiles import examples

TODAY = dt.date(2024, 6, 1)
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "fhir"
SETTINGS = settings(max_examples=examples(0.5))

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)


def fixture_resources() -> list[dict[str, Any]]:
    resources: list[dict[str, Any]] = []
    for path in sorted(FIXTURES.glob("*.json")):
        resources += flatten_resources([json.loads(path.read_text(encoding="utf-8"))])
    return resources


RESOURCES = fixture_resources()
FIELD_NAMES = sorted(
    {k for r in RESOURCES for k in r} | {"valueQuantity", "component", "code", "status"}
)


def assert_clean(case: GistCase) -> None:
    """No extractor crashed: such crashes are reported as internal/mapping errors."""
    assert isinstance(case, GistCase)
    for note in case.unreadable:
        assert "internal mapping error" not in note.reason
        assert "could not be mapped" not in note.reason


@SETTINGS
@given(st.lists(json_values, max_size=5))
def test_random_json_never_raises(items: list[Any]) -> None:
    assert_clean(build_case(items, today=TODAY))


@SETTINGS
@given(json_values)
def test_any_single_json_value_never_raises(item: Any) -> None:
    assert_clean(build_case(item, today=TODAY))


def _mutate(value: Any, data: st.DataObject, depth: int = 0) -> Any:
    """Replace, drop or recurse into one random element of a JSON value."""
    if isinstance(value, dict) and value and depth < 6:
        key = data.draw(st.sampled_from(sorted(value)))
        action = data.draw(st.sampled_from(["replace", "drop", "recurse", "add"]))
        out = dict(value)
        if action == "replace":
            out[key] = data.draw(json_values)
        elif action == "drop":
            del out[key]
        elif action == "add":
            out[data.draw(st.sampled_from(FIELD_NAMES))] = data.draw(json_values)
        else:
            out[key] = _mutate(value[key], data, depth + 1)
        return out
    if isinstance(value, list) and value and depth < 6:
        i = data.draw(st.integers(0, len(value) - 1))
        out_list = list(value)
        out_list[i] = _mutate(value[i], data, depth + 1)
        return out_list
    return data.draw(json_values)


@SETTINGS
@given(st.data())
def test_mutated_real_resources_never_raise(data: st.DataObject) -> None:
    resources = copy.deepcopy(RESOURCES)
    for _ in range(data.draw(st.integers(1, 6))):
        i = data.draw(st.integers(0, len(resources) - 1))
        resources[i] = _mutate(resources[i], data)
    bundle = {
        "resourceType": "Bundle",
        "type": "searchset",
        "entry": [{"resource": r} for r in resources],
    }
    assert_clean(build_case([bundle], today=TODAY))


dates = st.dates(dt.date(2015, 1, 1), dt.date(2024, 1, 1)).map(dt.date.isoformat)
drug_texts = st.sampled_from(
    ["imatinib", "Sutent", "Stivarga 40 mg", "Qinlock", "Ayvakit", "metformin"]
)
statuses = st.sampled_from(["active", "completed", "stopped", "on-hold", "unknown", "not-taken"])


@st.composite
def valid_resources(draw: st.DrawFn) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = [f.patient(), f.gist(onsetDateTime=draw(dates))]
    for i in range(draw(st.integers(0, 4))):
        out.append(
            f.size(
                f"s{i}", draw(st.integers(1, 300)), draw(st.sampled_from(["mm", "cm"])), draw(dates)
            )
        )
    for i in range(draw(st.integers(0, 2))):
        unit = draw(st.sampled_from(["/5.mm2", "/50.[HPF]", "/10.[HPF]"]))
        out.append(f.mitoses(f"m{i}", draw(st.integers(0, 50)), unit, draw(dates)))
    for i in range(draw(st.integers(0, 4))):
        start = draw(dates)
        out.append(
            f.med_statement(f"t{i}", f.named(draw(drug_texts)), start, status=draw(statuses))
        )
    if draw(st.booleans()):
        out.append(f.resection(date=draw(dates)))
    if draw(st.booleans()):
        out.append(f.metastasis("met", f.cc(f.SNOMED, "94381002"), draw(dates)))
    if draw(st.booleans()):
        out.append(f.kit(hgvs=draw(st.sampled_from(["p.V560D", "p.A502_Y503dup", "p.K642E"]))))
    return out


@SETTINGS
@given(valid_resources(), st.randoms(use_true_random=False))
def test_shuffling_resources_never_changes_the_case(
    resources: list[dict[str, Any]], rnd: Any
) -> None:
    expected = build_case(resources, today=TODAY)
    assert_clean(expected)
    shuffled = list(resources)
    rnd.shuffle(shuffled)
    assert build_case(shuffled, today=TODAY) == expected
    assert build_case([f.searchset(*shuffled)], today=TODAY) == expected


@SETTINGS
@given(st.permutations(RESOURCES))
def test_shuffling_the_fixture_patients_never_changes_the_case(
    resources: list[dict[str, Any]],
) -> None:
    assert build_case(resources, today=TODAY) == build_case(RESOURCES, today=TODAY)


@SETTINGS
@given(
    st.lists(
        st.tuples(st.decimals(Decimal("0.1"), Decimal("40"), places=2), dates, st.booleans()),
        min_size=1,
        max_size=4,
    )
)
def test_same_sizes_in_mm_or_cm_give_the_same_case(sizes: list[tuple[Decimal, str, bool]]) -> None:
    def case(in_mm: bool) -> GistCase:
        resources = [f.gist()]
        for i, (cm, day, pathology) in enumerate(sizes):
            value = float(cm * 10) if in_mm else float(cm)
            extra = {"specimen": {"reference": "Specimen/x"}} if pathology else {}
            resources.append(f.size(f"s{i}", value, "mm" if in_mm else "cm", day, **extra))
        return build_case(resources, today=TODAY)

    in_cm = case(False)
    assert in_cm.tumour_size.status.value in ("known", "conflicting")
    assert case(True) == in_cm
