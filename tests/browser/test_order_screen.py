"""The simulator's order screen in real headless Chromium against the real service: draft a TKI
order, see the alert on order-select, apply its suggestion and see the draft change, then sign
with no alert (issue 15). Nothing is intercepted."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.test_simulator import (
    CALL_TIMEOUT_MS,
    PageFactory,
    Sandbox,
    feedback_for,
    open_chart,
    sandbox,
)

__all__ = ["sandbox"]  # the module-scoped simulator fixture, shared with the simulator tests

D842V_PATIENT = "sb20-metastatic-naive-d842v"


def test_order_screen_alerts_on_select_applies_the_suggestion_and_signs(
    sandbox: Sandbox, page_factory: PageFactory
) -> None:
    page, problems = page_factory()
    page.set_viewport_size({"width": 1280, "height": 1400})
    open_chart(page, sandbox, sandbox.patients[D842V_PATIENT].key)

    page.get_by_test_id("order-drug").select_option("imatinib")
    page.get_by_test_id("order-count").fill("1")
    page.get_by_test_id("order-count").dispatch_event("change")
    page.get_by_test_id("order-frequency").select_option("1")
    draft = page.get_by_test_id("order-draft")
    expect(draft).to_contain_text("imatinib 400 MG Oral Tablet")

    page.get_by_test_id("order-select").click()
    status = page.get_by_test_id("order-status")
    expect(status).to_have_attribute("data-state", "done", timeout=CALL_TIMEOUT_MS)
    expect(status).to_contain_text("order-select")
    card = page.get_by_test_id("order-cards").get_by_test_id("card")
    expect(card).to_have_count(1)
    expect(card).to_have_attribute("data-indicator", "critical")
    expect(card).to_have_attribute("data-category", "order-alert")
    expect(card.get_by_test_id("card-summary")).to_contain_text("avapritinib 300 mg")
    card_uuid = card.get_attribute("data-card-uuid")
    assert card_uuid

    card.get_by_test_id("accept-suggestion").click()
    expect(draft).to_contain_text("Avapritinib 300 mg once daily")
    expect(draft).to_contain_text("MedicationRequest/sim-draft-1")
    expect(card.get_by_test_id("feedback-status")).to_have_attribute("data-state", "sent")
    (row,) = feedback_for(sandbox.storage, card_uuid)
    assert (row.outcome, row.rule_id, row.service_id) == ("accepted", "G3", "gist-order-select")

    page.get_by_test_id("order-sign").click()
    expect(status).to_contain_text("No order alerts on order-sign", timeout=CALL_TIMEOUT_MS)
    expect(page.get_by_test_id("order-cards").get_by_test_id("card")).to_have_count(0)
    assert problems.items == []
