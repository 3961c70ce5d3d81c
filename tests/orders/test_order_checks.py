"""The order-check records are consistent with the knowledge data, and the draft reader computes
the daily dose as count × product strength × frequency (never guessing a missing strength)."""

from __future__ import annotations

from collections.abc import Mapping

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fhir_mappings.draft_orders import read_draft_orders
from fhir_mappings.jsonpath import number
from logic.case import Drug
from logic.knowledge.citations import CITATIONS
from logic.knowledge.primary_references import PRIMARY_REFERENCES
from logic.orders import CHECKS
from logic.registry import RULES
from tests.scenarios.test_order_hooks import GLEEVEC_400, SUTENT_50, draft


def test_every_check_names_a_registered_rule_and_known_sources() -> None:
    ids = [check.check_id for check in CHECKS]
    assert len(ids) == len(set(ids))
    for check in CHECKS:
        assert check.rule_id in RULES, check.check_id
        assert check.evidence[0] in CITATIONS, check.check_id
        for key in check.evidence:
            assert key in CITATIONS or key in PRIMARY_REFERENCES, (check.check_id, key)


def _bundle(*resources: Mapping[str, object]) -> dict[str, object]:
    return {"resourceType": "Bundle", "entry": [{"resource": r} for r in resources]}


@given(count=st.integers(1, 4), per_day=st.integers(1, 3))
def test_daily_dose_is_count_times_strength_times_frequency(count: int, per_day: int) -> None:
    orders = _bundle(
        draft("a", GLEEVEC_400, count, "{tbl}", per_day),
        draft("b", SUTENT_50, count, "{capsule}", per_day),
    )
    drafts = {d.reference: d for d in read_draft_orders(orders, None).tkis}
    assert drafts["MedicationRequest/a"].drug is Drug.IMATINIB
    assert drafts["MedicationRequest/a"].daily_mg == 400 * count * per_day
    assert drafts["MedicationRequest/b"].drug is Drug.SUNITINIB
    assert drafts["MedicationRequest/b"].daily_mg == 50 * count * per_day


def test_unknown_strength_or_frequency_leaves_the_dose_unknown_with_a_reason() -> None:
    no_strength = draft("a", {"text": "Gleevec tablet"}, 2)
    no_frequency = draft("b", GLEEVEC_400, 1)
    del no_frequency["dosageInstruction"][0]["timing"]
    tkis = read_draft_orders(_bundle(no_strength, no_frequency), None).tkis
    reasons = {d.reference: (d.daily_mg, d.dose_problem) for d in tkis}
    assert reasons["MedicationRequest/a"][0] is None
    assert "product strength is unknown" in str(reasons["MedicationRequest/a"][1])
    assert reasons["MedicationRequest/b"] == (None, "the order gives a dose but no frequency")


def test_medication_reference_inside_the_bundle_is_resolved() -> None:
    medication = {"resourceType": "Medication", "id": "m1", "code": GLEEVEC_400}
    order = draft("a", GLEEVEC_400, 1)
    del order["medicationCodeableConcept"]
    order["medicationReference"] = {"reference": "Medication/m1"}
    (tki,) = read_draft_orders(_bundle(medication, order), ["MedicationRequest/a"]).tkis
    assert (tki.drug, tki.daily_mg) == (Drug.IMATINIB, 400)


_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-5, 5)
    | st.floats(allow_nan=False)
    | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=10,
)
_FIELDS = st.fixed_dictionaries(
    {},
    optional={
        "status": st.sampled_from(["draft", "active", "cancelled"]) | _JSON,
        "medicationCodeableConcept": st.sampled_from([GLEEVEC_400, SUTENT_50]) | _JSON,
        "medicationReference": _JSON,
        "dosageInstruction": _JSON,
        "contained": _JSON,
    },
)


@given(fields=_FIELDS, count=_JSON)
def test_any_draft_shape_is_read_or_refused_never_crashes(
    fields: dict[str, object], count: object
) -> None:
    """EHR drafts vary: whatever the fields hold, reading never fails, and a tablet count gives
    400 mg × count when it is a positive number, else no dose and the reason."""
    order = {"resourceType": "MedicationRequest", "id": "x", **fields}
    tablet = draft("t", GLEEVEC_400, 1)
    tablet["dosageInstruction"][0]["doseAndRate"][0]["doseQuantity"]["value"] = count
    drafts = {d.reference: d for d in read_draft_orders(_bundle(order, tablet), None).tkis}
    read = drafts["MedicationRequest/t"]
    value = number(count)
    if value is not None and value > 0:
        assert read.daily_mg == pytest.approx(400 * float(value))
    else:
        assert read.daily_mg is None
        assert read.dose_problem
