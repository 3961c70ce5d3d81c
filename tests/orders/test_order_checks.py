"""The order-check records are consistent with the knowledge data, and the draft reader computes
the daily dose as count × product strength × frequency (never guessing a missing strength)."""

from __future__ import annotations

from collections.abc import Mapping

from hypothesis import given
from hypothesis import strategies as st

from fhir_mappings.draft_orders import read_draft_orders
from logic.case import Drug
from logic.knowledge.citations import CITATIONS
from logic.orders import CHECKS
from logic.orders.references import PRIMARY_REFERENCES
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
