"""Rule pages: every registered rule renders with its citations; risk highlight; 404; links."""

from __future__ import annotations

from collections.abc import Iterator
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from markupsafe import escape

from cds_hooks.cards import render_card
from cds_hooks.rule_pages import bp, parse_risk_key
from logic.knowledge.citations import CITATIONS
from logic.knowledge.primary_references import references_for
from logic.knowledge.risk_tables import AFIP_COLUMNS, AFIP_TABLE, NIH_MODIFIED_ROWS
from logic.knowledge.rule_sections import section_title
from logic.knowledge.version import (
    INTERVENTION_DEVELOPER,
    KNOWLEDGE_RELEASE_DATE,
    KNOWLEDGE_VERSION,
)
from logic.recommendation import AfipRisk, Category, NihRisk, Risk
from logic.registry import RULES
from logic.risk import risk_cell_key
from tests.cds_hooks.card_factory import BASE_URL, CASE, HIGH_RISK, recommendation

ALL_RULE_IDS = list(RULES)
MARKER = "◀ this patient"


class Elements(HTMLParser):
    """Attributes of every element with an id, and every element's classes, from an HTML page."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.by_id: dict[str, dict[str, str | None]] = {}
        self.tags: list[str] = []
        self.hrefs: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        values = dict(attrs)
        if values.get("id"):
            self.by_id[str(values["id"])] = values
        if tag == "a" and values.get("href"):
            self.hrefs.append(str(values["href"]))

    def classes(self, element_id: str) -> set[str]:
        return set((self.by_id[element_id].get("class") or "").split())


@pytest.fixture(scope="module")
def client() -> Iterator[FlaskClient]:
    app = Flask(__name__)
    app.register_blueprint(bp)
    with app.test_client() as test_client:
        yield test_client


def test_the_registry_is_not_empty() -> None:
    assert len(RULES) >= 10


@pytest.mark.parametrize("rule_id", ALL_RULE_IDS)
def test_every_rule_page_renders_with_its_citations(client: FlaskClient, rule_id: str) -> None:
    rule = RULES[rule_id]
    response = client.get(f"/rules/{rule_id}")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert str(escape(rule.title)) in page
    assert str(escape(rule.statement)) in page
    for condition in rule.conditions:
        assert str(escape(condition)) in page
    assert rule.citations
    for cid in rule.citations:
        assert str(escape(CITATIONS[cid].title)) in page
        if CITATIONS[cid].url:
            assert str(escape(CITATIONS[cid].url)) in page
    for number in rule.evidence_numbers:
        assert str(escape(number)) in page
    if rule.design_note:
        assert str(escape(rule.design_note)) in page
    for expected in (KNOWLEDGE_VERSION, str(KNOWLEDGE_RELEASE_DATE), INTERVENTION_DEVELOPER):
        assert str(escape(expected)) in page
    for attribute in ("Intended use", "Target population", "not a substitute for clinical"):
        assert attribute.lower() in page.lower()
    assert "script" not in Elements(page).tags


@pytest.mark.parametrize("rule_id", ALL_RULE_IDS)
def test_risk_tables_appear_on_rules_that_use_them(client: FlaskClient, rule_id: str) -> None:
    rule = RULES[rule_id]
    page = Elements(client.get(f"/rules/{rule_id}").get_data(as_text=True))
    expected = rule.uses_risk_table or rule_id.startswith("F")
    assert ("nih-table" in page.by_id) is expected
    assert ("afip-table" in page.by_id) is expected


def test_index_lists_and_links_every_rule(client: FlaskClient) -> None:
    response = client.get("/rules")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    links = Elements(page).hrefs
    for rule_id, rule in RULES.items():
        assert f"/rules/{rule_id}" in links
        assert str(escape(rule.title)) in page
        for category in rule.categories:
            assert category.value in page


def test_unknown_rule_is_an_html_404(client: FlaskClient) -> None:
    response = client.get("/rules/%3Cscript%3Ealert(1)")
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert "<script>" not in page
    assert "&lt;script&gt;alert(1)" in page
    assert "Rule not found" in page


def test_stylesheet_is_served(client: FlaskClient) -> None:
    with client.get("/rules/assets/rules.css") as response:
        assert response.status_code == 200
        assert response.mimetype == "text/css"
        assert ".patient" in response.get_data(as_text=True)


def _risk_rule() -> str:
    return next(rid for rid, rule in RULES.items() if rule.uses_risk_table or rid.startswith("F"))


def test_risk_key_highlights_the_patients_cell_and_category(client: FlaskClient) -> None:
    risk = Risk(NihRisk.HIGH, AfipRisk("6a", 55, "High (55%)", column="gastric"))
    response = client.get(f"/rules/{_risk_rule()}", query_string={"risk": risk_cell_key(risk)})
    page = Elements(response.get_data(as_text=True))
    cell = page.by_id["afip-6a-gastric"]
    assert "patient" in page.classes("afip-6a-gastric")
    assert cell.get("aria-current") == "true"
    highlighted_cells = [
        element_id
        for element_id in page.by_id
        if element_id.startswith("afip-") and "patient" in page.classes(element_id)
    ]
    assert highlighted_cells == ["afip-6a-gastric"]
    nih_marked = {i for i in page.by_id if i.startswith("nih-") and "patient" in page.classes(i)}
    assert nih_marked
    assert all("high" in page.classes(i) for i in nih_marked)
    assert "nih-very-low" not in nih_marked
    assert response.get_data(as_text=True).count(MARKER) == len(nih_marked) + 1 + 1  # +legend


@pytest.mark.parametrize(
    "bad",
    [
        "nih:extreme",
        "afip:9z:gastric",
        "afip:6a:liver",
        "nih:high:extra",
        "<script>alert(1)</script>",
        "nih:" + "high" * 100,
    ],
)
def test_malformed_risk_keys_are_ignored(client: FlaskClient, bad: str) -> None:
    response = client.get(f"/rules/{_risk_rule()}", query_string={"risk": bad})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert MARKER not in page
    assert "<script>alert" not in page


def test_a_nih_row_key_marks_only_that_row(client: FlaskClient) -> None:
    row = next(r for r in NIH_MODIFIED_ROWS if r.key != r.category.value)
    response = client.get(f"/rules/{_risk_rule()}", query_string={"risk": f"nih:{row.key}"})
    page = Elements(response.get_data(as_text=True))
    marked = [i for i in page.by_id if i.startswith("nih-") and "patient" in page.classes(i)]
    assert marked == [f"nih-{row.key}"]
    assert page.by_id[f"nih-{row.key}"].get("aria-current") == "true"


def test_unknown_parts_are_ignored_but_known_parts_kept() -> None:
    highlight = parse_risk_key("colour:blue|nih:low|afip:2:rectum|zzz")
    assert highlight.nih is NihRisk.LOW
    assert (highlight.afip_group, highlight.afip_column) == ("2", "rectum")


@pytest.mark.parametrize("nih", list(NihRisk))
@pytest.mark.parametrize("group", list(AFIP_TABLE))
def test_every_risk_cell_key_round_trips(nih: NihRisk, group: str) -> None:
    for column in AFIP_COLUMNS:
        key = risk_cell_key(Risk(nih, AfipRisk(group, None, "x", column=column)))
        highlight = parse_risk_key(key)
        assert (highlight.nih, highlight.afip_group, highlight.afip_column) == (nih, group, column)
    assert parse_risk_key(risk_cell_key(Risk(nih))).nih is nih


@pytest.mark.parametrize("rule_id", ALL_RULE_IDS)
def test_card_links_resolve_to_the_rule_page(client: FlaskClient, rule_id: str) -> None:
    rule = RULES[rule_id]
    category = rule.categories[0] if rule.categories else Category.DATA_NEEDED
    uses_risk = rule.uses_risk_table or rule_id.startswith("F")
    rec = recommendation(category, rule_id=rule_id, risk=HIGH_RISK if uses_risk else None)
    (link,) = render_card(rec, case=CASE, public_base_url=BASE_URL)["links"]
    url = urlsplit(link["url"])
    assert link["type"] == "absolute"
    assert f"{url.scheme}://{url.netloc}" == "https://cds.example.org"
    assert url.path == f"/gist/rules/{rule_id}"
    response = client.get(url.path.removeprefix("/gist"), query_string=url.query)
    assert response.status_code == 200
    assert (MARKER in response.get_data(as_text=True)) is uses_risk


# --- index: sections titled, grouped by clinical situation, searchable without JavaScript -------


def test_index_groups_rules_under_titled_sections_and_clinical_situations(
    client: FlaskClient,
) -> None:
    page = client.get("/rules").get_data(as_text=True)
    elements = Elements(page)
    assert "script" not in elements.tags
    for heading in ("Emergencies", "After resection", "Localized GIST before surgery"):
        assert f">{heading}</h2>" in page
    for rule in RULES.values():
        assert f"section-{rule.section}" in elements.by_id
        assert str(escape(section_title(rule.section))) in page
    assert page.index(">Emergencies</h2>") < page.index(">After resection</h2>")
    assert "After resection: adjuvant therapy or surveillance" in page


def test_index_search_is_a_plain_get_form_that_filters(client: FlaskClient) -> None:
    page = client.get("/rules").get_data(as_text=True)
    assert '<form class="search" method="get"' in page
    assert 'name="q"' in page
    found = client.get("/rules?q=rupture").get_data(as_text=True)
    links = set(Elements(found).hrefs)
    assert "/rules/F5" in links
    assert "/rules/G10" not in links
    both = Elements(client.get("/rules?q=third+regorafenib").get_data(as_text=True)).hrefs
    assert "/rules/G10" in both
    none = client.get("/rules?q=zzzz-no-such-rule").get_data(as_text=True)
    assert "No rule matches" in none


def test_index_search_query_is_escaped(client: FlaskClient) -> None:
    page = client.get("/rules?q=%3Cscript%3Ealert(1)%3C/script%3E").get_data(as_text=True)
    assert "<script>" not in page
    assert "&lt;script&gt;" in page


# --- rule page: primary references, "also consulted", how the rule was built ---------------------


@pytest.mark.parametrize("rule_id", ["F1", "F6", "G10", "G11", "G3"])
def test_trial_rules_link_their_primary_papers(client: FlaskClient, rule_id: str) -> None:
    page = client.get(f"/rules/{rule_id}").get_data(as_text=True)
    refs = references_for(rule_id, RULES[rule_id].citations)
    assert refs
    for ref in refs:
        if ref.pubmed_url:
            assert ref.pubmed_url in Elements(page).hrefs
    assert ">Also consulted</h2>" in page


def test_engineering_notes_live_on_the_rule_page(client: FlaskClient) -> None:
    h3 = client.get("/rules/H3").get_data(as_text=True)
    assert ">How this rule was built</h2>" in h3
    assert "translation error" in h3
    h1 = client.get("/rules/H1").get_data(as_text=True)
    assert "not been consulted" in h1 or "not consulted" in h1  # H7, folded into H1
    f1 = client.get("/rules/F1").get_data(as_text=True)
    assert "secondary source" in f1  # S10/S11 are web pages, listed only here
