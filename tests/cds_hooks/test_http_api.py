"""The CDS Hooks HTTP contract: discovery, request validation, error bodies, CORS and health
(checklist section A; each test names the item it covers). Each test gets a fresh app in-process
(the socket does not matter here; tests/reliability covers the real servers)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from cds_hooks.config import Settings
from cds_hooks.validation import schema_errors
from fhir_mappings.prefetch_templates import PREFETCH_TEMPLATES
from tests.support import jwt_tools
from tests.support.live import LiveService, hook_request, in_process_service

SERVICE = "cds-services/gist-treatment"


def mint_for_test_issuer(audience: str) -> str:
    return jwt_tools.mint(jwt_tools.TEST_ISSUER, audience)


@pytest.fixture
def service(tmp_path: Path, trusted_clients_file: Path) -> Iterator[LiveService]:
    """The app with authentication on, fresh for each test (its own database)."""

    def settings(base_url: str) -> Settings:
        return Settings(
            auth="on",
            public_base_url=base_url,
            trusted_clients_path=str(trusted_clients_file),
            database_url=f"sqlite:///{tmp_path / 'gist-cds.sqlite3'}",
        )

    with in_process_service(settings, mint_for_test_issuer) as in_process:
        yield in_process


@pytest.fixture
def demo_service(tmp_path: Path) -> Iterator[LiveService]:
    """The app in demo mode (GIST_CDS_AUTH=off), fresh for each test."""

    def settings(base_url: str) -> Settings:
        database_url = f"sqlite:///{tmp_path / 'demo.sqlite3'}"
        return Settings(auth="off", public_base_url=base_url, database_url=database_url)

    with in_process_service(settings) as in_process:
        yield in_process


def assert_operation_outcome(response: requests.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    body: dict[str, Any] = response.json()
    assert body["resourceType"] == "OperationOutcome"
    assert body["issue"][0]["severity"] == "error"
    assert "Traceback" not in response.text
    return body


def gist_prefetch(patient_id: str = "p1") -> dict[str, Any]:
    return {
        "patient": {"resourceType": "Patient", "id": patient_id, "birthDate": "1961-04-12"},
        "conditions": {
            "resourceType": "Bundle",
            "type": "searchset",
            "entry": [
                {
                    "resource": {
                        "resourceType": "Condition",
                        "id": "gist1",
                        "subject": {"reference": f"Patient/{patient_id}"},
                        "code": {
                            "coding": [{"system": "http://snomed.info/sct", "code": "420120006"}]
                        },
                        "bodySite": [
                            {"coding": [{"system": "http://snomed.info/sct", "code": "69695003"}]}
                        ],
                    }
                }
            ],
        },
        "observations": None,
        "medicationStatements": None,
        "medicationRequests": None,
        "procedures": None,
    }


# --- discovery (A.2 #5–8, #13) ---------------------------------------------------------------


def test_discovery_lists_gist_treatment_with_prefetch(service: LiveService) -> None:
    response = service.get("cds-services")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    body = response.json()
    assert schema_errors("cds-hooks-discovery", body) == []
    (entry,) = [s for s in body["services"] if s["id"] == "gist-treatment"]
    assert entry["hook"] == "patient-view"
    assert entry["prefetch"] == PREFETCH_TEMPLATES
    assert all("{{context.patientId}}" in t for t in entry["prefetch"].values())


def test_discovery_requires_a_jwt_when_auth_is_on(service: LiveService) -> None:
    response = service.get("cds-services", auth=False)
    body = assert_operation_outcome(response, 401)
    assert "diagnostics" not in body["issue"][0]  # bare outcome: no hint for an attacker


# --- service request validation (A.3 #14–22, A.4 #23–25) -------------------------------------


def test_valid_call_answers_200_with_schema_valid_cards(service: LiveService) -> None:
    response = service.post(SERVICE, hook_request("p1", gist_prefetch()))
    assert response.status_code == 200, response.text
    body = response.json()
    assert schema_errors("cds-hooks-response", body) == []
    assert body["cards"], "a GIST patient gets at least one card"


def test_patient_without_gist_gets_empty_cards(service: LiveService) -> None:
    prefetch = gist_prefetch()
    prefetch["conditions"] = {"resourceType": "Bundle", "type": "searchset"}
    response = service.post(SERVICE, hook_request("p1", prefetch))
    assert response.status_code == 200
    assert response.json() == {"cards": []}


def test_malformed_json_is_400(service: LiveService) -> None:
    response = service.post(SERVICE, data=b'{"hook": "patient-view",')
    body = assert_operation_outcome(response, 400)
    assert "not valid JSON" in body["issue"][0]["diagnostics"]


def test_nan_literal_is_rejected(service: LiveService) -> None:
    raw = json.dumps(hook_request("p1", gist_prefetch())).replace('"1961-04-12"', "NaN")
    assert_operation_outcome(service.post(SERVICE, data=raw.encode()), 400)


@pytest.mark.parametrize(
    ("mutate", "fragment"),
    [
        (lambda b: b.pop("hook"), "hook"),
        (lambda b: b.pop("hookInstance"), "hookInstance"),
        (lambda b: b.pop("context"), "context"),
        (lambda b: b["context"].pop("patientId"), "patientId"),
        (lambda b: b["context"].pop("userId"), "userId"),
        (lambda b: b["context"].update(patientId="Patient/p1"), "patientId"),
        (lambda b: b.update(hookInstance=42), "hookInstance"),
        (lambda b: b.update(prefetch=[]), "prefetch"),
        (lambda b: b.update(fhirAuthorization={"access_token": "x"}), "fhirAuthorization"),
    ],
)
def test_invalid_requests_are_400_naming_the_problem(
    service: LiveService, mutate: Any, fragment: str
) -> None:
    body = hook_request("p1", gist_prefetch())
    mutate(body)
    outcome = assert_operation_outcome(service.post(SERVICE, body), 400)
    assert fragment in outcome["issue"][0]["diagnostics"]


def test_body_that_is_not_an_object_is_400(service: LiveService) -> None:
    assert_operation_outcome(service.post(SERVICE, [1, 2, 3]), 400)


def test_wrong_hook_for_the_service_is_400(service: LiveService) -> None:
    body = hook_request("p1", gist_prefetch())
    body["hook"] = "order-sign"
    outcome = assert_operation_outcome(service.post(SERVICE, body), 400)
    assert "patient-view" in outcome["issue"][0]["diagnostics"]


def test_unknown_service_is_404(service: LiveService) -> None:
    response = service.post("cds-services/no-such-service", hook_request("p1", gist_prefetch()))
    assert_operation_outcome(response, 404)


def test_wrong_content_type_is_415(service: LiveService) -> None:
    raw = json.dumps(hook_request("p1", gist_prefetch())).encode()
    response = service.post(SERVICE, data=raw, headers={"Content-Type": "text/plain"})
    assert_operation_outcome(response, 415)


def test_body_over_the_limit_is_413(service: LiveService) -> None:
    body = hook_request("p1", gist_prefetch())
    body["padding"] = "x" * (service.settings.max_body_bytes + 10)
    assert_operation_outcome(service.post(SERVICE, body), 413)


def test_too_many_prefetched_resources_is_413(service: LiveService) -> None:
    prefetch = gist_prefetch()
    entry = {"resource": {"resourceType": "Basic", "id": "x", "code": {"text": "filler"}}}
    prefetch["observations"] = {
        "resourceType": "Bundle",
        "type": "searchset",
        "entry": [entry] * (service.settings.max_resources + 1),
    }
    outcome = assert_operation_outcome(service.post(SERVICE, hook_request("p1", prefetch)), 413)
    assert "resources" in outcome["issue"][0]["diagnostics"]


def test_deep_nesting_is_400(service: LiveService) -> None:
    body = hook_request("p1", gist_prefetch())
    nested: Any = {}
    for _ in range(200):
        nested = {"a": nested}
    body["extension"] = nested
    assert_operation_outcome(service.post(SERVICE, body), 400)


def test_unknown_top_level_field_and_context_key_are_tolerated(service: LiveService) -> None:
    """Inferno CRD v2.2.1 robustness tests: unknown element / unknown context key → same answer."""
    plain = service.post(SERVICE, hook_request("p1", gist_prefetch())).json()
    body = hook_request("p1", gist_prefetch(), someNewElement={"x": 1})
    body["context"]["randomContextKey"] = True
    body["extension"] = {"com.example.vendor": {"flag": True}}
    response = service.post(SERVICE, body)
    assert response.status_code == 200
    categories = [c["extension"]["org.gist-cds"]["category"] for c in response.json()["cards"]]
    assert categories == [c["extension"]["org.gist-cds"]["category"] for c in plain["cards"]]


# --- prefetch without a FHIR server (A.5 #34, #38) -------------------------------------------


def test_missing_required_prefetch_without_fhir_server_is_412(service: LiveService) -> None:
    prefetch = gist_prefetch()
    del prefetch["conditions"]
    outcome = assert_operation_outcome(service.post(SERVICE, hook_request("p1", prefetch)), 412)
    assert "conditions" in outcome["issue"][0]["diagnostics"]


def test_null_prefetch_key_means_no_data(service: LiveService) -> None:
    prefetch = gist_prefetch()
    prefetch["conditions"] = None
    response = service.post(SERVICE, hook_request("p1", prefetch))
    assert response.status_code == 200
    assert response.json() == {"cards": []}


# --- CORS (A.10 #62) --------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["cds-services", SERVICE, SERVICE + "/feedback"])
def test_cors_preflight_needs_no_jwt(service: LiveService, path: str) -> None:
    response = service.session.options(
        service.url(path),
        headers={
            "Origin": "https://sandbox.cds-hooks.org",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type",
        },
        timeout=10,
    )
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] in ("*", "https://sandbox.cds-hooks.org")
    allowed = response.headers["Access-Control-Allow-Headers"].lower()
    assert "authorization" in allowed
    assert "content-type" in allowed


def test_cors_headers_on_service_answers_and_errors(service: LiveService) -> None:
    headers = {"Origin": "https://sandbox.cds-hooks.org"}
    ok = service.post(SERVICE, hook_request("p1", gist_prefetch()), headers=headers)
    denied = service.session.get(service.url("cds-services"), headers=headers, timeout=10)
    assert ok.headers["Access-Control-Allow-Origin"]
    assert denied.status_code == 401
    assert denied.headers["Access-Control-Allow-Origin"]


# --- health and unknown routes ---------------------------------------------------------------


def test_healthz(service: LiveService) -> None:
    response = service.session.get(service.url("healthz"), timeout=10)
    assert response.status_code == 200
    assert response.json()["database"] == "ok"


def test_unknown_route_and_method_answer_operation_outcomes(service: LiveService) -> None:
    assert_operation_outcome(service.session.get(service.url("nope"), timeout=10), 404)
    assert_operation_outcome(service.session.delete(service.url("cds-services"), timeout=10), 405)


# --- demo mode --------------------------------------------------------------------------------


def test_demo_mode_accepts_unsigned_calls(demo_service: LiveService) -> None:
    assert demo_service.get("cds-services").status_code == 200
    response = demo_service.post(SERVICE, hook_request("p1", gist_prefetch()))
    assert response.status_code == 200
    assert schema_errors("cds-hooks-response", response.json()) == []
