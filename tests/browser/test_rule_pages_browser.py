"""Rule pages in real headless Chromium: they load cleanly and the patient's risk cell shows."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from playwright.sync_api import expect

from logic.recommendation import AfipRisk, NihRisk, Risk
from logic.registry import RULES
from logic.risk import risk_cell_key
from tests.support.live import LiveService

pytestmark = pytest.mark.browser

RISK = Risk(NihRisk.HIGH, AfipRisk("6a", 55, "High (55%)", column="gastric"))
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
HIGHLIGHT_BACKGROUND = "rgb(255, 243, 191)"  # --mark in rules.css


def risk_rule() -> str:
    return next(rid for rid, rule in RULES.items() if rule.uses_risk_table or rid.startswith("F"))


def rule_url(service: LiveService, rule_id: str) -> str:
    return service.url(f"/rules/{rule_id}?risk={quote(risk_cell_key(RISK), safe='')}")


@pytest.mark.parametrize("javascript", [True, False])
def test_highlighted_risk_cell_is_visible_without_console_errors(
    demo_service: LiveService, page_factory: Any, javascript: bool
) -> None:
    page, problems = page_factory(javascript=javascript)
    response = page.goto(rule_url(demo_service, risk_rule()))
    assert response is not None
    assert response.status == 200
    cell = page.locator("#afip-table td.patient[aria-current='true']")
    expect(cell).to_have_count(1)
    expect(cell).to_be_visible()
    expect(cell).to_have_id("afip-6a-gastric")
    expect(cell).to_contain_text("55%")
    expect(cell).to_contain_text("this patient")
    expect(page.locator("#nih-table tr.patient").first).to_be_visible()
    page.wait_for_load_state("load")
    assert problems.items == []


def test_highlight_is_styled_by_the_stylesheet(
    demo_service: LiveService, page_factory: Any
) -> None:
    page, problems = page_factory()
    page.goto(rule_url(demo_service, risk_rule()))
    page.wait_for_load_state("load")
    background = page.locator("#afip-6a-gastric").evaluate(
        "element => getComputedStyle(element).backgroundColor"
    )
    assert background == HIGHLIGHT_BACKGROUND
    plain = page.locator("#afip-6a-rectum").evaluate(
        "element => getComputedStyle(element).backgroundColor"
    )
    assert plain != HIGHLIGHT_BACKGROUND
    assert problems.items == []


def test_index_links_open_each_rule_page(demo_service: LiveService, page_factory: Any) -> None:
    page, problems = page_factory(javascript=False)
    page.goto(demo_service.url("/rules"))
    first = next(iter(RULES.values()))
    page.get_by_role("link", name=first.rule_id, exact=True).click()
    expect(page).to_have_url(demo_service.url(f"/rules/{first.rule_id}"))
    expect(page.locator("h1")).to_contain_text(first.title)
    assert problems.items == []


def test_rule_index_search_works_with_javascript_off(
    demo_service: LiveService, page_factory: Any
) -> None:
    """The index is grouped by clinical situation and its search is a plain form: with
    JavaScript disabled, typing a word and pressing Enter lists only the matching rules."""
    page, problems = page_factory(javascript=False)
    page.goto(demo_service.url("/rules"))
    expect(page.locator("h2", has_text="After resection")).to_be_visible()
    expect(page.locator("h3", has_text="After resection: adjuvant therapy")).to_be_visible()
    everything = page.locator("table.rules tbody tr").count()
    page.get_by_label("Search the rules").fill("ripretinib")
    page.get_by_label("Search the rules").press("Enter")
    page.wait_for_url("**/rules?q=ripretinib")
    rows = page.locator("table.rules tbody tr")
    expect(rows.first).to_be_visible()
    assert 0 < rows.count() < everything
    expect(page.get_by_role("link", name="G11", exact=True)).to_be_visible()
    expect(page.locator(".count")).to_contain_text("match “ripretinib”")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "rule-index-search.png"), full_page=True)
    assert problems.items == []
