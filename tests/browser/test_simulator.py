"""The EHR simulator in real headless Chromium, against the real service and FHIR server.

Nothing is intercepted: the page calls the service cross-origin exactly as `make run` serves it,
so a CORS, JWT-header or rendering problem fails here. Feedback is read back from the database.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Page, expect
from werkzeug.serving import make_server

from cds_hooks.config import Settings
from cds_hooks.storage import Storage, StoredFeedback
from sandbox.fhir_server import FhirTestServer
from sandbox.simulator.app import DUMMY_ACCESS_TOKEN, SimulatorConfig, create_simulator_app
from sandbox.simulator.catalog import PatientListing, load_catalog
from sandbox.simulator.fhir import RemoteFhir
from tests.browser.conftest import PageProblems
from tests.support.live import LiveService, live_service

pytestmark = [pytest.mark.browser, pytest.mark.fhirserver]

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
ADJUVANT_PATIENT = "sb10-resected-high-risk-kit11"
EMERGENCY_PATIENT = "sb34-emergency-perforation"
CALL_TIMEOUT_MS = 20_000
# The service reads the omitted prefetch key from the FHIR server within this budget; generous
# here so a loaded CI machine cannot turn a slow read into different cards.
FHIR_TIMEOUT_S = 10.0
PageFactory = Callable[..., tuple[Page, PageProblems]]
INDICATOR_COLOURS = {  # --critical, --warning, --info in simulator.css
    "critical": "rgb(198, 40, 40)",
    "warning": "rgb(230, 149, 0)",
    "info": "rgb(21, 101, 192)",
}


class _Deferred:
    """Binds the simulator's port before its app exists: the service must know its origin."""

    app: Flask | None = None

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        assert self.app is not None
        return self.app(environ, start_response)


@dataclass
class Sandbox:
    url: str
    service: LiveService
    fhir: FhirTestServer
    storage: Storage
    patients: dict[str, PatientListing]


@pytest.fixture(scope="module")
def sandbox(
    fhir_server: FhirTestServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Sandbox]:
    listings, resources = load_catalog()
    fhir_server.load(resources)
    database_url = f"sqlite:///{tmp_path_factory.mktemp('sandbox-db') / 'gist-cds.sqlite3'}"
    deferred = _Deferred()
    http = make_server("127.0.0.1", 0, deferred, threaded=True)
    origin = f"http://127.0.0.1:{http.server_port}"

    def settings(base_url: str) -> Settings:
        return Settings(
            auth="off",
            public_base_url=base_url,
            fhir_allowlist=(fhir_server.base_url,),
            cors_origins=(origin,),
            database_url=database_url,
            fhir_timeout_s=FHIR_TIMEOUT_S,
        )

    with live_service(settings) as service:
        config = SimulatorConfig(
            origin=origin,
            service_base_url=service.base_url,
            fhir=RemoteFhir(fhir_server.base_url),
            patients=listings,
        )
        deferred.app = create_simulator_app(config)
        thread = threading.Thread(target=http.serve_forever, name="simulator", daemon=True)
        thread.start()
        storage = Storage(database_url)
        try:
            yield Sandbox(origin, service, fhir_server, storage, {p.key: p for p in listings})
        finally:
            http.shutdown()
            http.server_close()
            thread.join(timeout=5)
            storage.dispose()


def open_chart(page: Page, sandbox: Sandbox, key: str) -> None:
    """Load the simulator, wait for discovery, and open one patient's chart."""
    page.goto(sandbox.url + "/")
    expect(page.locator("body[data-ready='true']")).to_have_count(1)
    expect(page.get_by_test_id("discovery-status")).to_have_attribute("data-state", "ok")
    page.get_by_test_id(f"patient-{key}").click()
    status = page.get_by_test_id("call-status")
    expect(status).to_have_attribute("data-state", "done", timeout=CALL_TIMEOUT_MS)


def rendered_categories(page: Page) -> list[str]:
    values = page.get_by_test_id("card").evaluate_all("cards => cards.map(c => c.dataset.category)")
    return sorted(str(value) for value in values)


def feedback_for(storage: Storage, card_uuid: str) -> list[StoredFeedback]:
    return [row for row in storage.feedback_rows() if row.card == card_uuid]


def test_accepting_a_suggestion_stores_feedback_linked_to_the_rule(
    sandbox: Sandbox, page_factory: PageFactory
) -> None:
    page, problems = page_factory()
    page.set_viewport_size({"width": 1280, "height": 1100})
    patient = sandbox.patients[ADJUVANT_PATIENT]
    open_chart(page, sandbox, patient.key)

    assert rendered_categories(page) == sorted(patient.expected_categories)
    card = page.get_by_test_id("card").filter(has=page.locator("[data-testid=accept-suggestion]"))
    card = card.first
    card_uuid = card.get_attribute("data-card-uuid")
    rule_id = card.get_attribute("data-rule-id")
    assert card_uuid
    assert rule_id
    expect(card.get_by_test_id("card-summary")).not_to_be_empty()
    expect(card.locator(".detail p").first).to_be_visible()  # markdown rendered as HTML
    source = card.locator(".source a")
    expect(source).to_have_attribute("href", re.compile(r"^https://"))
    rule_link = card.get_by_test_id("card-link").first
    rule_page = f"{sandbox.service.base_url}/rules/{rule_id}"
    expect(rule_link).to_have_attribute("href", re.compile("^" + re.escape(rule_page) + r"(\?|$)"))
    with page.context.expect_page() as opened:
        rule_link.click()  # the rule page opens in a new tab, served by the service
    opened.value.wait_for_load_state()
    assert opened.value.url.startswith(rule_page)
    expect(opened.value.locator("body")).to_contain_text(rule_id)
    opened.value.close()

    # The service read the prefetch key the simulator left out (procedures) from fhirServer,
    # with the access token from fhirAuthorization.
    fetched = [
        seen
        for seen in sandbox.fhir.requests_seen()
        if seen["url"].startswith("/fhir/Procedure?")
        and patient.patient_id in seen["url"]
        and seen["authorization"] == f"Bearer {DUMMY_ACCESS_TOKEN}"
    ]
    assert fetched

    accept = card.get_by_test_id("accept-suggestion").first
    suggestion_uuid = accept.get_attribute("data-suggestion-uuid")
    assert suggestion_uuid
    accept.click()
    confirmation = card.get_by_test_id("feedback-status")
    expect(confirmation).to_have_attribute("data-state", "sent")
    expect(confirmation).to_contain_text("feedback recorded")
    expect(accept).to_be_disabled()

    rows = feedback_for(sandbox.storage, card_uuid)
    assert len(rows) == 1
    assert rows[0].outcome == "accepted"
    assert rows[0].accepted_suggestions == (suggestion_uuid,)
    assert rows[0].rule_id == rule_id
    assert rows[0].service_id == "gist-treatment"

    page.get_by_test_id("exchange").locator("summary").first.click()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "simulator.png"), full_page=True)
    assert problems.items == []


def test_dismissing_a_critical_card_sends_the_override_reason(
    sandbox: Sandbox, page_factory: PageFactory
) -> None:
    page, problems = page_factory()
    patient = sandbox.patients[EMERGENCY_PATIENT]
    open_chart(page, sandbox, patient.key)

    assert rendered_categories(page) == sorted(patient.expected_categories)
    card = page.locator("[data-testid=card][data-indicator=critical]").first
    border = card.evaluate("c => getComputedStyle(c).borderLeftColor")
    assert border == INDICATOR_COLOURS["critical"]
    card_uuid = card.get_attribute("data-card-uuid")
    assert card_uuid
    reasons = card.get_by_test_id("override-reason").locator("option")
    assert reasons.count() >= 2  # the placeholder plus the card's overrideReasons
    card.get_by_test_id("override-reason").select_option(index=1)
    card.get_by_test_id("dismiss").click()
    expect(card.get_by_test_id("feedback-status")).to_have_attribute("data-state", "sent")

    rows = feedback_for(sandbox.storage, card_uuid)
    assert len(rows) == 1
    assert rows[0].outcome == "overridden"
    assert rows[0].override_reason_code
    assert rows[0].user_comment == "Dismissed in the gist-cds EHR simulator"
    assert rows[0].rule_id == card.get_attribute("data-rule-id")
    assert problems.items == []


def test_every_synthetic_patient_shows_its_expected_cards(
    sandbox: Sandbox, page_factory: PageFactory
) -> None:
    page, problems = page_factory()
    page.goto(sandbox.url + "/")
    expect(page.locator("body[data-ready='true']")).to_have_count(1)
    expect(page.locator("#patient-list button")).to_have_count(len(sandbox.patients))
    mismatches = {}
    for key, patient in sandbox.patients.items():
        page.get_by_test_id(f"patient-{key}").click()
        expect(page.get_by_test_id("patient-title")).to_have_text(patient.title)
        status = page.get_by_test_id("call-status")
        expect(status).to_have_attribute("data-state", "done", timeout=CALL_TIMEOUT_MS)
        cards = page.get_by_test_id("card").evaluate_all(
            "cards => cards.map(c => [c.dataset.category, c.dataset.indicator,"
            " getComputedStyle(c).borderLeftColor])"
        )
        shown = sorted(category for category, _, _ in cards)
        if shown != sorted(patient.expected_categories):
            mismatches[key] = shown
        assert all(INDICATOR_COLOURS[indicator] == colour for _, indicator, colour in cards)
    assert mismatches == {}
    assert problems.items == []


HOSTILE_MARKDOWN = (
    "# Title\n\n"
    "<script>window.pwned = 1</script> <img src=x onerror=alert(1)>\n\n"
    "- **bold** and *italic* and `code <b>`\n"
    "- [ok](https://example.org/a_b_c) [bad](javascript:alert(1)) [data](data:text/html,x)\n\n"
    "1. first\n2. second\n\n"
    "Escaped \\*not bold\\* and &lt;kept entity&gt; & bare ampersand."
)


def test_markdown_renderer_escapes_html_and_allows_only_safe_links(
    sandbox: Sandbox, page_factory: PageFactory
) -> None:
    page, problems = page_factory()
    page.goto(sandbox.url + "/")
    html = page.evaluate(
        "source => import('/static/markdown.js').then(m => m.renderMarkdown(source))",
        HOSTILE_MARKDOWN,
    )
    page.evaluate("html => { document.getElementById('cards').innerHTML = html; }", html)
    cards = page.locator("#cards")

    assert cards.locator("script, img").count() == 0
    assert page.evaluate("() => window.pwned") is None
    expect(cards.locator("h3")).to_have_text("Title")
    expect(cards.locator("ul > li")).to_have_count(2)
    expect(cards.locator("ol > li")).to_have_count(2)
    expect(cards.locator("strong")).to_have_text("bold")
    expect(cards.locator("em")).to_have_text("italic")
    expect(cards.locator("code")).to_have_text("code <b>")
    links = cards.locator("a")
    expect(links).to_have_count(1)
    expect(links).to_have_attribute("href", "https://example.org/a_b_c")
    expect(links).to_have_attribute("rel", "noopener noreferrer")
    text = cards.inner_text()
    assert "<script>window.pwned = 1</script>" in text  # shown as text, not run
    assert "*not bold*" in text
    assert "<kept entity> & bare ampersand." in text
    assert problems.items == []
