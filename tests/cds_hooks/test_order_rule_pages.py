"""Order-check pages: every order check of the registry has a page with its statement,
conditions, guideline rule, sources and the data it reads; the index lists them in run order."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from markupsafe import escape

from cds_hooks.rule_pages import bp
from logic.case import CASE_FIELDS
from logic.knowledge.citations import CITATIONS
from logic.knowledge.primary_references import PRIMARY_REFERENCES
from logic.registry import ORDER_RULES, RULES
from tests.support.live import LiveService


@pytest.fixture(scope="module")
def client() -> Iterator[FlaskClient]:
    app = Flask(__name__)
    app.register_blueprint(bp)
    with app.test_client() as test_client:
        yield test_client


@pytest.mark.parametrize("check_id", list(ORDER_RULES))
def test_every_order_check_has_a_page(client: FlaskClient, check_id: str) -> None:
    check = ORDER_RULES[check_id]
    response = client.get(f"/rules/orders/{check_id}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert str(escape(check.statement)) in page
    for condition in check.conditions:
        assert str(escape(condition)) in page
    assert f'href="/rules/{check.rule_id}"' in page
    assert str(escape(RULES[check.rule_id].title)) in page
    for cid in check.citations:
        assert str(escape(CITATIONS[cid].title)) in page
    for key in check.references:
        assert f'id="ref-{key}"' in page
        assert str(escape(PRIMARY_REFERENCES[key].title)) in page
    for field in check.reads:
        assert field in CASE_FIELDS
        assert f"<li>{field.replace('_', ' ')}</li>" in page
    if check.design_note:
        assert str(escape(check.design_note)) in page


def test_order_index_lists_every_check_in_run_order(client: FlaskClient) -> None:
    page = client.get("/rules/orders").get_data(as_text=True)
    positions = [page.index(f'href="/rules/orders/{check_id}"') for check_id in ORDER_RULES]
    assert positions == sorted(positions)
    assert f"{len(ORDER_RULES)} order checks" in page


def test_unknown_order_check_is_a_404(client: FlaskClient) -> None:
    response = client.get("/rules/orders/order-nonexistent")
    assert response.status_code == 404
    assert "order-nonexistent" in response.get_data(as_text=True)


def test_landing_page_links_the_order_checks(service: LiveService) -> None:
    html = service.get("/", auth=False).text
    assert 'href="/rules/orders"' in html
    assert f"{len(ORDER_RULES)} checks a drafted TKI order goes through" in html
    page = service.get("/rules/orders", auth=False)
    assert page.status_code == 200
    assert page.headers["Content-Type"].startswith("text/html")
