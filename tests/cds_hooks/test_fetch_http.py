"""The fetch path through the whole service over HTTP: data the EHR did not prefetch is read
from a real FHIR server (the Medplum in-memory router) with the EHR's access token, and only
from servers allowlisted for the calling client (checklist A.5 #36–38, A.6 #41–45, A.10 #68)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cds_hooks.config import Settings
from cds_hooks.validation import schema_errors
from sandbox.fhir_server import FhirTestServer
from tests.cds_hooks.test_http_api import gist_prefetch
from tests.support import jwt_tools
from tests.support.fhir_server import Reply, scripted_server
from tests.support.live import LiveService, hook_request, live_service

SERVICE = "cds-services/gist-treatment"
EHR_TOKEN = "ehr-access-token-7f3a9c"
PATIENT = "fetch-p1"


def categories(response: dict[str, Any]) -> list[str]:
    return sorted(c["extension"]["org.gist-cds"]["category"] for c in response["cards"])


@pytest.fixture(scope="module")
def flaky_server() -> Iterator[Any]:
    with scripted_server(lambda path: Reply(status=500, body=b'{"oops": true}')) as server:
        yield server


@pytest.fixture(scope="module")
def fetch_service(
    tmp_path_factory: pytest.TempPathFactory, fhir_server: FhirTestServer, flaky_server: Any
) -> Iterator[LiveService]:
    folder = tmp_path_factory.mktemp("fetch")
    clients = folder / "clients.json"
    jwt_tools.write_trusted_clients(
        clients,
        [
            {
                "iss": jwt_tools.TEST_ISSUER,
                "jwks": jwt_tools.jwks_for(jwt_tools.make_keys()),
                "fhir_servers": [fhir_server.base_url, flaky_server.base_url],
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


@pytest.fixture
def loaded(fhir_server: FhirTestServer) -> FhirTestServer:
    fhir_server.reset()
    prefetch = gist_prefetch(PATIENT)
    fhir_server.put(prefetch["patient"])
    for entry in prefetch["conditions"]["entry"]:
        fhir_server.put(entry["resource"])
    return fhir_server


def test_everything_fetched_gives_the_same_cards_as_prefetch(
    fetch_service: LiveService, loaded: FhirTestServer
) -> None:
    prefetched = fetch_service.post(SERVICE, hook_request(PATIENT, gist_prefetch(PATIENT)))
    fetched = fetch_service.post(
        SERVICE, hook_request(PATIENT, None, fhir_server=loaded.base_url, access_token=EHR_TOKEN)
    )
    assert fetched.status_code == 200, fetched.text
    assert schema_errors("cds-hooks-response", fetched.json()) == []
    assert categories(fetched.json()) == categories(prefetched.json())
    seen = [r for r in loaded.requests_seen() if r["method"] == "GET"]
    assert {r["url"].split("?")[0].rsplit("/", 1)[-1] for r in seen} >= {"Condition", "Observation"}
    assert all(r["authorization"] == f"Bearer {EHR_TOKEN}" for r in seen)


def test_partial_prefetch_fetches_only_the_missing_keys(
    fetch_service: LiveService, loaded: FhirTestServer
) -> None:
    prefetch = gist_prefetch(PATIENT)
    del prefetch["procedures"]
    response = fetch_service.post(
        SERVICE,
        hook_request(PATIENT, prefetch, fhir_server=loaded.base_url, access_token=EHR_TOKEN),
    )
    assert response.status_code == 200
    paths = [r["url"] for r in loaded.requests_seen() if r["method"] == "GET"]
    assert len(paths) == 1
    assert paths[0].startswith("/fhir/Procedure") or "Procedure?" in paths[0]


def test_operation_outcome_in_prefetch_is_refetched(
    fetch_service: LiveService, loaded: FhirTestServer
) -> None:
    prefetch = gist_prefetch(PATIENT)
    prefetch["conditions"] = {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": "timeout"}],
    }
    response = fetch_service.post(
        SERVICE,
        hook_request(PATIENT, prefetch, fhir_server=loaded.base_url, access_token=EHR_TOKEN),
    )
    assert response.status_code == 200
    assert response.json()["cards"], "the refetched GIST Condition produced cards"
    assert any("Condition?" in r["url"] for r in loaded.requests_seen() if r["method"] == "GET")


def test_server_outside_the_clients_allowlist_never_sees_the_token(
    fetch_service: LiveService,
) -> None:
    with scripted_server(lambda path: Reply(body=b"{}")) as foreign:
        response = fetch_service.post(
            SERVICE,
            hook_request(PATIENT, None, fhir_server=foreign.base_url, access_token=EHR_TOKEN),
        )
        assert response.status_code == 412
        assert response.json()["resourceType"] == "OperationOutcome"
        assert foreign.hits == []


def test_fhir_server_answering_500_gives_a_200_naming_what_could_not_be_read(
    fetch_service: LiveService, flaky_server: Any
) -> None:
    response = fetch_service.post(
        SERVICE,
        hook_request(PATIENT, None, fhir_server=flaky_server.base_url, access_token=EHR_TOKEN),
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert schema_errors("cds-hooks-response", body) == []
    assert categories(body) == ["data-needed"]
    assert "500" in json.dumps(body)


def test_token_never_reaches_the_logs(
    fetch_service: LiveService,
    loaded: FhirTestServer,
    caplog: pytest.LogCaptureFixture,
    tmp_path: Path,
) -> None:
    with caplog.at_level("DEBUG"):
        fetch_service.post(
            SERVICE,
            hook_request(PATIENT, None, fhir_server=loaded.base_url, access_token=EHR_TOKEN),
        )
    assert EHR_TOKEN not in caplog.text


def _metastatic_on_referenced_imatinib(patient: str) -> dict[str, Any]:
    prefetch = gist_prefetch(patient)
    prefetch["conditions"]["entry"].append(
        {
            "resource": {
                "resourceType": "Condition",
                "id": "met1",
                "subject": {"reference": f"Patient/{patient}"},
                "code": {"coding": [{"system": "http://snomed.info/sct", "code": "94381002"}]},
            }
        }
    )
    prefetch["medicationRequests"] = {
        "resourceType": "Bundle",
        "type": "searchset",
        "entry": [
            {
                "resource": {
                    "resourceType": "MedicationRequest",
                    "id": "mr1",
                    "status": "active",
                    "intent": "order",
                    "subject": {"reference": f"Patient/{patient}"},
                    "medicationReference": {"reference": "Medication/med-ima"},
                    "authoredOn": "2025-01-10",
                }
            }
        ],
    }
    return prefetch


def test_a_referenced_medication_is_read_from_the_fhir_server(
    fetch_service: LiveService, loaded: FhirTestServer
) -> None:
    """EHRs often send only `medicationReference`: the service reads the Medication itself."""
    loaded.put(
        {
            "resourceType": "Medication",
            "id": "med-ima",
            "code": {
                "coding": [
                    {
                        "system": "http://www.nlm.nih.gov/research/umls/rxnorm",
                        "code": "282388",
                        "display": "imatinib",
                    }
                ]
            },
        }
    )
    prefetch = _metastatic_on_referenced_imatinib(PATIENT)
    response = fetch_service.post(
        SERVICE,
        hook_request(PATIENT, prefetch, fhir_server=loaded.base_url, access_token=EHR_TOKEN),
    )
    assert response.status_code == 200, response.text
    reads = [r for r in loaded.requests_seen() if r["method"] == "GET"]
    assert [r["url"] for r in reads] == ["/fhir/Medication/med-ima"]
    assert reads[0]["authorization"] == f"Bearer {EHR_TOKEN}"
    cards = response.json()["cards"]
    assert "first-line-tki" not in categories(response.json())  # imatinib is known to be running
    assert "med-ima" not in json.dumps(cards)


def test_a_referenced_medication_that_cannot_be_read_is_named(
    fetch_service: LiveService, loaded: FhirTestServer
) -> None:
    prefetch = _metastatic_on_referenced_imatinib(PATIENT)
    response = fetch_service.post(
        SERVICE,
        hook_request(PATIENT, prefetch, fhir_server=loaded.base_url, access_token=EHR_TOKEN),
    )
    assert response.status_code == 200
    body = json.dumps(response.json())
    assert "Medication/med-ima" in body
    assert "data-needed" in categories(response.json())
