"""What the §1.K sandbox patients' cards say over HTTP: the clinical content issue 10 asks for
(no duplicate start of a running drug, line 2 after recurrence on adjuvant imatinib, no
'finished', fitness for surgery, two primaries, unknown resection status)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from cds_hooks.config import Settings
from sandbox.patients import load_bundle, manifest_entry, prefetch_for
from tests.support import jwt_tools
from tests.support.fhir_server import Reply, scripted_server
from tests.support.live import LiveService, hook_request, live_service

CdsCall = Callable[[dict[str, Any], str], dict[str, Any]]
EXT = "org.gist-cds"


def cards_for(patient_id: str, cds_call: CdsCall) -> list[dict[str, Any]]:
    prefetch = prefetch_for(load_bundle(patient_id))
    for key in manifest_entry(patient_id).get("prefetch_omit", []):
        del prefetch[key]
    cards: list[dict[str, Any]] = cds_call(prefetch, patient_id)["cards"]
    return cards


def by_rule(cards: list[dict[str, Any]], rule_id: str) -> dict[str, Any]:
    (card,) = [c for c in cards if c["extension"][EXT]["ruleId"] == rule_id]
    return card


def drafted_drugs(cards: list[dict[str, Any]]) -> list[str]:
    """Drug names of every draft MedicationRequest the cards suggest."""
    return [
        json.dumps(action["resource"]["medicationCodeableConcept"]).lower()
        for card in cards
        for suggestion in card.get("suggestions", [])
        for action in suggestion.get("actions", [])
        if action.get("resource", {}).get("resourceType") == "MedicationRequest"
    ]


def test_running_neoadjuvant_imatinib_is_continued_never_started(cds_call: CdsCall) -> None:
    cards = cards_for("sb61-neoadjuvant-stable", cds_call)
    card = by_rule(cards, "D13")
    assert card["summary"].startswith("Continue neoadjuvant imatinib 400 mg daily (month ")
    assert "reassess" in card["summary"]
    assert drafted_drugs(cards) == []
    assert not {"D3", "D4", "G1"} & {c["extension"][EXT]["ruleId"] for c in cards}


def test_growth_on_neoadjuvant_imatinib_is_an_urgent_surgical_card(cds_call: CdsCall) -> None:
    cards = cards_for("sb62-neoadjuvant-growing", cds_call)
    card = by_rule(cards, "D12")
    assert card["indicator"] == "warning"
    assert "urgent surgical re-evaluation" in card["summary"]
    assert drafted_drugs(cards) == []


def test_responding_now_resectable_plans_surgery_and_3_years_in_total(cds_call: CdsCall) -> None:
    card = by_rule(cards_for("sb63-neoadjuvant-now-resectable", cds_call), "D14")
    assert card["extension"][EXT]["category"] == "surgery"
    assert "maximal response" in card["summary"]
    assert "at least 3 years" in card["detail"]


def test_no_shrinkage_after_13_months_is_d11(cds_call: CdsCall) -> None:
    cards = cards_for("sb64-neoadjuvant-no-shrinkage", cds_call)
    card = by_rule(cards, "D11")
    assert "13 months" in card["summary"]
    assert drafted_drugs(cards) == []


def test_recurrence_on_adjuvant_imatinib_is_line_2(cds_call: CdsCall) -> None:
    cards = cards_for("sb65-recurrence-on-adjuvant", cds_call)
    card = by_rule(cards, "G18")
    assert card["extension"][EXT]["category"] == "next-line-tki"
    assert card["summary"].startswith("Line 2: imatinib 800 mg or sunitinib")
    drugs = drafted_drugs(cards)
    assert any("sunitinib" in d for d in drugs)
    assert not any("continue" in c["summary"].lower() for c in cards)


def test_adjuvant_stopped_for_intolerance_is_never_finished(cds_call: CdsCall) -> None:
    cards = cards_for("sb66-adjuvant-stopped-intolerance", cds_call)
    card = by_rule(cards, "F10")
    assert "stopped after 7 months" in card["summary"]
    text = json.dumps(cards).lower()
    assert "finished" not in text
    assert "completed" not in text
    assert drafted_drugs(cards) == []  # no sunitinib or any advanced-disease drug


def test_wild_type_gets_the_work_up_and_no_adjuvant_imatinib(cds_call: CdsCall) -> None:
    cards = cards_for("sb67-wild-type-no-sdh", cds_call)
    card = by_rule(cards, "F11")
    for word in ("SDHB", "germline", "neurofibromatosis", "BRAF V600E", "NTRK"):
        assert word in card["detail"]
    assert drafted_drugs(cards) == []


def test_ecog_3_questions_the_operation(cds_call: CdsCall) -> None:
    card = by_rule(cards_for("sb68-ecog3-resectable", cds_call), "C1")
    assert card["indicator"] == "warning"
    assert "ECOG 3" in card["detail"]
    assert "tolerate the operation" in card["detail"]


def test_two_primaries_are_named_not_conflicting(cds_call: CdsCall) -> None:
    cards = cards_for("sb69-two-primaries", cds_call)
    card = by_rule(cards, "K2")
    assert "stomach (3.2 cm)" in card["summary"]
    assert "jejunum (2.4 cm)" in card["summary"]
    assert "sources disagree" not in json.dumps(cards)  # never a site/size conflict
    assert [c["extension"][EXT]["ruleId"] for c in cards] == ["K2"]


def test_procedure_left_out_of_prefetch_gives_p6_and_no_surgery_or_adjuvant_card(
    cds_call: CdsCall,
) -> None:
    cards = cards_for("sb70-procedure-read-failing", cds_call)
    categories = {c["extension"][EXT]["category"] for c in cards}
    assert categories == {"data-needed"}
    card = by_rule(cards, "P6")
    assert "Procedure" in card["detail"]
    assert "resected → adjuvant" in card["detail"]
    assert "not resected → surgery" in card["detail"]


# --- the same patient when the EHR's FHIR server answers 500 for the Procedure search ---------

TOKEN = "ehr-access-token-p6"


@pytest.fixture(scope="module")
def failing_server() -> Iterator[Any]:
    with scripted_server(lambda path: Reply(status=500, body=b'{"error": "boom"}')) as server:
        yield server


@pytest.fixture(scope="module")
def fetching_service(
    tmp_path_factory: pytest.TempPathFactory, failing_server: Any
) -> Iterator[LiveService]:
    folder = tmp_path_factory.mktemp("p6")
    clients = folder / "clients.json"
    jwt_tools.write_trusted_clients(
        clients,
        [
            {
                "iss": jwt_tools.TEST_ISSUER,
                "jwks": jwt_tools.jwks_for(jwt_tools.make_keys()),
                "fhir_servers": [failing_server.base_url],
            }
        ],
    )

    def settings(base_url: str) -> Settings:
        return Settings(
            public_base_url=base_url,
            trusted_clients_path=str(clients),
            database_url=f"sqlite:///{folder}/db.sqlite3",
        )

    with live_service(settings, lambda aud: jwt_tools.mint(jwt_tools.TEST_ISSUER, aud)) as live:
        yield live


def test_procedure_fetch_answering_500_leaves_resection_status_unknown(
    fetching_service: LiveService, failing_server: Any
) -> None:
    patient = "sb70-procedure-read-failing"
    prefetch = prefetch_for(load_bundle(patient))
    del prefetch["procedures"]
    response = fetching_service.post(
        "cds-services/gist-treatment",
        hook_request(patient, prefetch, fhir_server=failing_server.base_url, access_token=TOKEN),
    )
    assert response.status_code == 200, response.text
    cards = response.json()["cards"]
    assert any("Procedure" in hit.path for hit in failing_server.hits)
    assert {c["extension"][EXT]["category"] for c in cards} == {"data-needed"}
    assert "500" in by_rule(cards, "P6")["detail"]


# --- knowledge version 2026.2.0 everywhere --------------------------------------------------


@pytest.mark.parametrize("rule_id", ["D13", "D14", "E3", "F10", "F11", "G18", "G19", "I8", "K1"])
def test_rule_pages_of_the_2026_2_rules_name_the_version(
    service: LiveService, rule_id: str
) -> None:
    page = service.get(f"rules/{rule_id}", auth=False)
    assert page.status_code == 200
    assert "2026.2.0" in page.text


def test_discovery_and_cards_carry_knowledge_version_2026_2_0(
    service: LiveService, cds_call: CdsCall
) -> None:
    discovery = service.get("cds-services").json()
    versions = {s["extension"][EXT]["knowledgeVersion"] for s in discovery["services"]}
    assert versions == {"2026.2.0"}
    cards = cards_for("sb61-neoadjuvant-stable", cds_call)
    assert {c["extension"][EXT]["knowledgeVersion"] for c in cards} == {"2026.2.0"}
