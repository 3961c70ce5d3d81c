"""Card rendering: shape per category, contract extension, ordering, caps, escaping, no empties."""

from __future__ import annotations

import logging
import uuid
from dataclasses import replace
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cds_hooks.cards import (
    CATEGORY_SYSTEM,
    EXTENSION_KEY,
    SUMMARY_MAX,
    empty_values,
    has_empty_value,
    render_card,
    render_cards,
)
from cds_hooks.validation import schema_errors
from logic.knowledge.primary_references import PRIMARY_REFERENCES, references_for
from logic.recommendation import (
    ELECTIVE_SURGERY,
    AfipRisk,
    Category,
    FactUsed,
    Indicator,
    MissingData,
    NihRisk,
    Risk,
)
from logic.registry import RULES
from logic.risk import risk_cell_key
from tests.cds_hooks.card_factory import (
    BASE_URL,
    CASE,
    HIGH_RISK,
    IMATINIB_400,
    recommendation,
)

CONTRACT_FIELDS = {
    "category",
    "ruleId",
    "knowledgeVersion",
    "evidence",
    "risk",
    "regimen",
    "line",
    "missingData",
}


def card_for(category: Category, **changes: Any) -> dict[str, Any]:
    return render_card(recommendation(category, **changes), case=CASE, public_base_url=BASE_URL)


@pytest.mark.parametrize("category", list(Category))
def test_every_category_renders_a_valid_cds_hooks_card(category: Category) -> None:
    rec = recommendation(category)
    card = card_for(category)

    assert uuid.UUID(card["uuid"]).version == 4
    # a drug summary without a dose gets the regimen's dose and schedule (§1.K)
    assert card["summary"].startswith(rec.summary.rstrip(". "))
    assert not rec.regimens or "mg" in card["summary"]
    assert card["indicator"] == rec.indicator.value
    assert "Because the **guideline** says so." in card["detail"]
    assert card["source"]["topic"] == {
        "system": CATEGORY_SYSTEM,
        "code": category.value,
        "display": card["source"]["topic"]["display"],
    }
    assert card["source"]["topic"]["display"]
    assert all(reason["display"] and reason["system"] for reason in card["overrideReasons"])
    assert empty_values(card) == []
    assert schema_errors("cds-hooks-response", {"cards": [card]}) == []


@pytest.mark.parametrize("category", list(Category))
def test_extension_has_exactly_the_contract_fields(category: Category) -> None:
    rec = recommendation(category)
    ext = card_for(category)["extension"][EXTENSION_KEY]

    assert set(ext) <= CONTRACT_FIELDS
    assert ext["category"] == category.value
    assert ext["ruleId"] == rec.rule_id
    assert ext["knowledgeVersion"] == rec.knowledge_version
    # the S-ids first, then (knowledge 2026.2) the primary-reference keys the card cites
    assert ext["evidence"][: len(rec.evidence)] == list(rec.evidence)
    assert set(ext["evidence"][len(rec.evidence) :]) <= set(PRIMARY_REFERENCES)
    assert ("regimen" in ext) == bool(rec.regimens)
    assert ("line" in ext) == (rec.line is not None)


def test_minimal_recommendation_has_only_the_always_present_fields() -> None:
    ext = card_for(Category.SURVEILLANCE, facts_used=(), notes=())["extension"][EXTENSION_KEY]
    assert set(ext) == {"category", "ruleId", "knowledgeVersion", "evidence"}


def test_full_extension_matches_the_contract_example() -> None:
    rec = recommendation(
        Category.ADJUVANT_TKI,
        risk=HIGH_RISK,
        regimens=(IMATINIB_400,),
        line=1,
        missing_data=(
            MissingData("mitoticCount", "not recorded", "could lower the risk group"),
            MissingData("mitoticCount", "second source", "same fact twice"),
        ),
    )
    ext = render_card(rec, case=CASE, public_base_url=BASE_URL)["extension"][EXTENSION_KEY]
    assert ext == {
        "category": "adjuvant-tki",
        "ruleId": rec.rule_id,
        "knowledgeVersion": rec.knowledge_version,
        "evidence": [*rec.evidence, *ext["evidence"][len(rec.evidence) :]],
        "risk": {"nihModified": "high", "afip": {"group": "6a", "progressionPct": 55}},
        "regimen": {
            "drug": "imatinib",
            "doseMgPerDay": 400,
            "schedule": IMATINIB_400.schedule,
            "durationMonths": 36,
        },
        "line": 1,
        "missingData": ["mitoticCount"],
    }
    assert isinstance(ext["risk"]["afip"]["progressionPct"], int)


def test_afip_fallback_and_missing_percentage_are_rendered_per_contract() -> None:
    risk = Risk(NihRisk.HIGH, AfipRisk("3a", None, "Insufficient data", fallback=True))
    card = card_for(Category.ADJUVANT_TKI, risk=risk)
    assert card["extension"][EXTENSION_KEY]["risk"] == {
        "nihModified": "high",
        "afip": {"group": "3a", "fallback": "jejunum-ileum"},
    }
    assert "jejunum/ileum column used" in card["detail"]


def test_fractional_percentage_is_kept() -> None:
    risk = Risk(NihRisk.VERY_LOW, AfipRisk("2", 1.9, "Very low (1.9%)"))
    card = card_for(Category.SURVEILLANCE, risk=risk)
    assert card["extension"][EXTENSION_KEY]["risk"]["afip"]["progressionPct"] == 1.9
    assert "1.9%" in card["detail"]


def test_cards_are_ordered_critical_warning_info_and_stable() -> None:
    recs = [
        recommendation(Category.SURVEILLANCE, summary="info one"),
        recommendation(Category.EMERGENCY_SURGICAL_REVIEW, summary="critical"),
        recommendation(Category.DATA_NEEDED, summary="warning"),
        recommendation(Category.CLINICAL_TRIAL, summary="info two"),
    ]
    cards = render_cards(recs, case=CASE, public_base_url=BASE_URL)
    assert [c["summary"] for c in cards] == ["critical", "warning", "info one", "info two"]
    assert len({c["uuid"] for c in cards}) == 4


@pytest.mark.parametrize(
    ("indicator", "kept"), [(Indicator.CRITICAL, False), (Indicator.WARNING, True)]
)
def test_elective_surgery_is_suppressed_only_during_a_definite_emergency(
    indicator: Indicator, kept: bool
) -> None:
    recs = [
        recommendation(Category.EMERGENCY_SURGICAL_REVIEW, indicator=indicator),
        *(recommendation(c) for c in sorted(ELECTIVE_SURGERY)),
        recommendation(Category.ADJUVANT_TKI),
    ]
    cards = render_cards(recs, case=CASE, public_base_url=BASE_URL)
    categories = [c["extension"][EXTENSION_KEY]["category"] for c in cards]
    rules = [c["extension"][EXTENSION_KEY]["ruleId"] for c in cards]
    assert "adjuvant-tki" in categories
    # the factory's metastasectomy (H1) and liver (J1) cards become one referral (§1.K)
    surviving = {Category.SURGERY, Category.METASTASECTOMY}
    assert all((c in categories) is kept for c in surviving)
    assert ("H1" in rules) is kept
    assert "J1" not in rules


def test_h1_and_j1_become_one_referral_with_j1_as_second_reason() -> None:
    h1 = replace(recommendation(Category.METASTASECTOMY), rule_id="H1", rationale="All resectable.")
    j1 = replace(
        recommendation(Category.LIVER_DIRECTED_THERAPY), rule_id="J1", rationale="Liver MDT."
    )
    cards = render_cards([h1, j1], case=CASE, public_base_url=BASE_URL)
    assert len(cards) == 1
    detail = cards[0]["detail"]
    assert detail.index("All resectable.") < detail.index("Second reason, liver metastases")
    assert "Liver MDT." in detail
    assert set(j1.evidence) <= set(cards[0]["extension"][EXTENSION_KEY]["evidence"])


def test_no_recommendations_give_no_cards() -> None:
    assert render_cards([], case=CASE, public_base_url=BASE_URL) == []


def test_overlong_summary_is_capped_with_an_ellipsis_and_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    long = "Adjuvant imatinib " + "very " * 40 + "long"
    with caplog.at_level(logging.WARNING, logger="gist_cds.cards"):
        card = card_for(Category.ADJUVANT_TKI, summary=long)
    assert SUMMARY_MAX - 5 < len(card["summary"]) <= SUMMARY_MAX
    assert card["summary"].endswith("…")
    assert card["summary"].startswith("Adjuvant imatinib very")
    assert any("truncated" in record.getMessage() for record in caplog.records)


def test_summary_of_exactly_139_characters_is_untouched() -> None:
    summary = "x" * SUMMARY_MAX
    assert card_for(Category.SURGERY, summary=summary)["summary"] == summary


def test_source_names_the_rules_main_primary_reference_with_its_link() -> None:
    rec = recommendation(Category.ADJUVANT_TKI)
    refs = references_for(rec.rule_id, rec.evidence)
    main = next(r for r in refs if r.link)
    source = card_for(Category.ADJUVANT_TKI)["source"]
    assert source["label"] == main.short()
    assert source["url"] == main.link
    assert source["url"].startswith(("https://pubmed.ncbi.nlm.nih.gov/", "https://doi.org/"))


def test_link_points_to_the_rule_page_with_the_risk_cell() -> None:
    rec = recommendation(Category.ADJUVANT_TKI, risk=HIGH_RISK)
    link = render_card(rec, case=CASE, public_base_url=BASE_URL + "/")["links"][0]
    assert link["type"] == "absolute"
    assert link["url"] == (
        f"{BASE_URL}/rules/{rec.rule_id}?risk={quote(risk_cell_key(HIGH_RISK), safe='')}"
    )
    assert link["label"] == f"Why? Rule {rec.rule_id} — {RULES[rec.rule_id].title}"


def test_link_without_risk_has_no_query() -> None:
    rec = recommendation(Category.SURGERY)
    link = render_card(rec, case=CASE, public_base_url=BASE_URL)["links"][0]
    assert link["url"] == f"{BASE_URL}/rules/{rec.rule_id}"


def test_detail_lists_facts_risk_missing_data_evidence_and_notes() -> None:
    rec = recommendation(
        Category.ADJUVANT_TKI,
        risk=HIGH_RISK,
        missing_data=(MissingData("genotype", "not recorded", "D842V would rule out imatinib"),),
    )
    detail = render_card(rec, case=CASE, public_base_url=BASE_URL)["detail"]
    for expected in (
        "**Facts used**",
        "6.0 cm (pathology)",
        "Observation, 2025-03-01",  # type and date; the id stays off the card (§1.K)
        "**Risk:**",
        "modified NIH",
        "**high**",
        "group **6a**",
        "55%",
        "**Missing data**",
        "D842V would rule out imatinib",
        "**Evidence**",
        "SSG XVIII: 5-y OS 92% vs 81.7% (HR 0.45)",
        "https://pubmed.ncbi.nlm.nih.gov/",
        "Discuss at the MDT.",
        "Imatinib 800 mg daily",
        "(preferred)",
    ):
        assert expected in detail, expected


@pytest.mark.parametrize(
    ("hostile", "forbidden"),
    [
        ("<img src=x onerror=alert(1)>", "<img"),
        ("[click me](https://evil.example)", "[click me]("),
        ("**loud** _quiet_", "**loud**"),
        ("`code` | cell |", "`code`"),
        ("![pixel](https://evil.example/p.png)", "!["),
        ("visit www.evil.example now", "www.evil"),
    ],
)
def test_record_text_cannot_inject_markdown_or_html(hostile: str, forbidden: str) -> None:
    rec = recommendation(
        Category.SURGERY,
        facts_used=(FactUsed("site", hostile, (f"Condition/{hostile}",)),),
        missing_data=(MissingData("mitoticCount", hostile, "changes risk"),),
    )
    detail = render_card(rec, case=CASE, public_base_url=BASE_URL)["detail"]
    assert forbidden not in detail


def test_rule_evidence_numbers_fill_in_when_the_recommendation_has_none() -> None:
    rec = recommendation(Category.ADJUVANT_TKI, evidence_numbers=())
    numbers = RULES[rec.rule_id].evidence_numbers
    detail = render_card(rec, case=CASE, public_base_url=BASE_URL)["detail"]
    assert numbers
    for number in numbers:
        assert number in detail


def test_empty_values_finds_every_kind_of_empty_value() -> None:
    value: dict[str, Any] = {
        "a": None,
        "b": "",
        "c": [],
        "d": {},
        "e": [{"f": ""}],
        "ok": [1, "x", {"g": 0}],
    }
    assert sorted(empty_values(value)) == ["$.a", "$.b", "$.c", "$.d", "$.e[0].f"]
    assert empty_values({"fine": [0, False, "x"]}) == []


@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=2),
        lambda inner: (
            st.lists(inner, max_size=3)
            | st.tuples(inner, inner)
            | st.dictionaries(st.text(max_size=2), inner, max_size=3)
        ),
        max_leaves=25,
    )
)
def test_the_quick_check_agrees_with_empty_values(value: Any) -> None:
    assert has_empty_value(value) == bool(empty_values(value))


def test_a_card_never_contains_empty_values_even_when_the_recommendation_is_sparse() -> None:
    rec = recommendation(
        Category.DATA_NEEDED,
        rationale="",
        facts_used=(),
        evidence_numbers=(),
        notes=(),
        regimens=(),
    )
    card = render_card(rec, case=CASE, public_base_url=BASE_URL)
    assert empty_values(card) == []


def test_data_needed_cards_offer_data_reasons_and_actions_offer_action_reasons() -> None:
    data_codes = {r["code"] for r in card_for(Category.DATA_NEEDED)["overrideReasons"]}
    action_codes = {r["code"] for r in card_for(Category.ADJUVANT_TKI)["overrideReasons"]}
    assert "data-unavailable" in data_codes
    assert "patient-declined" not in data_codes
    assert {"patient-declined", "contraindicated", "disagree-with-evidence"} <= action_codes


def test_indicator_comes_from_the_recommendation() -> None:
    card = card_for(Category.EMERGENCY_SURGICAL_REVIEW, indicator=Indicator.WARNING)
    assert card["indicator"] == "warning"


def test_sparse_recommendation_without_risk_omits_risk_from_detail() -> None:
    rec = replace(recommendation(Category.SURGERY), risk=None)
    detail = render_card(rec, case=CASE, public_base_url=BASE_URL)["detail"]
    assert "**Risk:**" not in detail
