"""The test FHIR server itself: the glue around the Medplum router must give the fetch tests
real search semantics, bare-id patient search, `next`-link paging, a reset and a request log."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from sandbox.fhir_server import FhirTestServer

pytestmark = pytest.mark.fhirserver


def condition(cid: str, patient: str) -> dict[str, Any]:
    return {
        "resourceType": "Condition",
        "id": cid,
        "subject": {"reference": f"Patient/{patient}"},
        "code": {"text": f"condition {cid}"},
    }


@pytest.fixture
def fhir(fhir_server: FhirTestServer) -> Iterator[FhirTestServer]:
    fhir_server.reset()
    yield fhir_server
    fhir_server.reset()


def search(fhir: FhirTestServer, query: str) -> dict[str, Any]:
    answer = requests.get(f"{fhir.base_url}/{query}", timeout=10)
    assert answer.status_code == 200, answer.text
    assert answer.headers["Content-Type"].startswith("application/fhir+json")
    body: dict[str, Any] = answer.json()
    return body


def ids(bundle: dict[str, Any]) -> list[str]:
    return [entry["resource"]["id"] for entry in bundle.get("entry", [])]


def test_read_and_not_found(fhir: FhirTestServer) -> None:
    fhir.put({"resourceType": "Patient", "id": "p1", "gender": "female"})
    assert requests.get(f"{fhir.base_url}/Patient/p1", timeout=10).json()["gender"] == "female"
    assert requests.get(f"{fhir.base_url}/Patient/nope", timeout=10).status_code == 404


def test_post_assigns_an_id(fhir: FhirTestServer) -> None:
    stored = fhir.put({"resourceType": "Patient", "gender": "male"})
    assert stored["id"]
    assert search(fhir, f"Patient?_id={stored['id']}")["total"] == 1


@pytest.mark.parametrize(
    "query",
    ["Condition?patient=p1", "Condition?patient=Patient/p1", "Condition?subject=p1"],
)
def test_patient_search_accepts_bare_and_typed_ids(fhir: FhirTestServer, query: str) -> None:
    fhir.load([condition("a", "p1"), condition("b", "p1"), condition("x", "p2")])
    assert sorted(ids(search(fhir, query))) == ["a", "b"]


def test_load_takes_a_bundle(fhir: FhirTestServer) -> None:
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"resource": condition(f"c{i}", "p1")} for i in range(3)],
    }
    assert len(fhir.load(bundle)) == 3
    assert search(fhir, "Condition?patient=p1")["total"] == 3


def test_count_pages_with_absolute_next_links_on_the_same_base(fhir: FhirTestServer) -> None:
    fhir.load([condition(f"c{i}", "p1") for i in range(7)] + [condition("other", "p2")])
    seen: list[str] = []
    url: str | None = f"{fhir.base_url}/Condition?patient=p1&_count=3"
    pages = 0
    while url:
        page = requests.get(url, timeout=10).json()
        assert page["total"] == 7
        seen += ids(page)
        pages += 1
        url = next((li["url"] for li in page["link"] if li["relation"] == "next"), None)
        assert url is None or url.startswith(fhir.base_url + "/Condition?")
    assert pages == 3
    assert sorted(seen) == sorted(f"c{i}" for i in range(7))


def test_without_count_everything_comes_in_one_page(fhir: FhirTestServer) -> None:
    fhir.load([condition(f"c{i}", "p1") for i in range(25)])  # beyond the router's default 20
    page = search(fhir, "Condition?patient=p1")
    assert len(page["entry"]) == 25
    assert all(link["relation"] != "next" for link in page["link"])


def test_reset_drops_data_and_the_request_log(fhir: FhirTestServer) -> None:
    fhir.put(condition("a", "p1"))
    fhir.reset()
    assert search(fhir, "Condition?patient=p1").get("entry", []) == []
    assert fhir.requests_seen() == [
        {"method": "GET", "url": "/fhir/Condition?patient=p1", "authorization": None}
    ]


def test_request_log_records_the_authorization_header(fhir: FhirTestServer) -> None:
    requests.get(
        f"{fhir.base_url}/Patient?_id=p1", headers={"Authorization": "Bearer t0k"}, timeout=10
    )
    assert fhir.requests_seen()[-1]["authorization"] == "Bearer t0k"
