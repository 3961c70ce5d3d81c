"""Referenced Medications on the fetch path: each is read once, as soon as a reference to it is
known, so the read overlaps the searches still running instead of following the slowest one."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from cds_hooks.fetch import MEDICATIONS_KEY, ResolvedData, resolve
from sandbox.fhir_server import FhirTestServer
from tests.support.fhir_server import Reply, scripted_server

pytestmark = pytest.mark.fhirserver

PATIENT = "pm1"
TOKEN = "tok-med-42"
#: How long the held search waits for the Medication read before it answers anyway. Only a
#: bound for the old order (reads after every search), never reached when the read overlaps.
GATE_S = 4.0


def medication(med_id: str, name: str) -> dict[str, Any]:
    return {"resourceType": "Medication", "id": med_id, "code": {"text": name}}


def use(kind: str, rid: str, med_id: str) -> dict[str, Any]:
    found: dict[str, Any] = {
        "resourceType": kind,
        "id": rid,
        "status": "active",
        "subject": {"reference": f"Patient/{PATIENT}"},
        "medicationReference": {"reference": f"Medication/{med_id}"},
    }
    if kind == "MedicationRequest":
        found["intent"] = "order"
    return found


def searchset(*resources: dict[str, Any]) -> dict[str, Any]:
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "entry": [{"resource": r} for r in resources],
    }


def fetch(prefetch: dict[str, Any] | None, server: str) -> ResolvedData:
    return resolve(
        prefetch,
        patient_id=PATIENT,
        fhir_server=server,
        access_token=TOKEN,
        allowed_servers=[server],
        timeout_s=GATE_S + 4.0,
    )


def medication_ids(resolved: ResolvedData) -> list[str]:
    return [e["resource"]["id"] for e in resolved.values[MEDICATIONS_KEY]["entry"]]


@pytest.fixture
def fhir(fhir_server: FhirTestServer) -> Iterator[FhirTestServer]:
    fhir_server.reset()
    fhir_server.load(
        [
            {"resourceType": "Patient", "id": PATIENT},
            medication("m-ima", "imatinib"),
            medication("m-sun", "sunitinib"),
            use("MedicationStatement", "ms1", "m-sun"),
            use("MedicationStatement", "ms2", "m-ima"),
            use("MedicationRequest", "mr1", "m-ima"),
        ]
    )
    yield fhir_server
    fhir_server.reset()


def test_each_referenced_medication_is_read_once_from_the_fhir_server(
    fhir: FhirTestServer,
) -> None:
    resolved = fetch(None, fhir.base_url)
    assert resolved.problems == ()
    assert MEDICATIONS_KEY in resolved.fetched
    assert sorted(medication_ids(resolved)) == ["m-ima", "m-sun"]
    reads = [
        r
        for r in fhir.requests_seen()
        if r["method"] == "GET" and r["url"].startswith("/fhir/Medication/")
    ]
    assert sorted(r["url"] for r in reads) == ["/fhir/Medication/m-ima", "/fhir/Medication/m-sun"]
    assert {r["authorization"] for r in reads} == {f"Bearer {TOKEN}"}


def test_medications_come_in_the_order_of_the_data_not_of_the_answers(
    fhir: FhirTestServer,
) -> None:
    """The Medications follow the statements' references (then the requests'), whichever read
    finished first."""
    for _ in range(3):
        resolved = fetch(None, fhir.base_url)
        statements = resolved.values["medicationStatements"]["entry"]
        expected = [e["resource"]["medicationReference"]["reference"] for e in statements]
        assert [f"Medication/{i}" for i in medication_ids(resolved)] == expected


class _HeldObservations:
    """A scripted EHR whose Observation search answers only once the Medication was asked for
    (or after GATE_S): it tells whether the read waited for the slowest search."""

    def __init__(self, statements: dict[str, Any]) -> None:
        self.read_asked = threading.Event()
        self.read_overlapped = False
        self.statements = statements

    def __call__(self, path: str) -> Reply:
        if path.startswith("/fhir/Observation?"):
            self.read_overlapped = self.read_asked.wait(GATE_S)
            return self._json(searchset())
        if path == "/fhir/Medication/m-ima":
            self.read_asked.set()
            return self._json(medication("m-ima", "imatinib"))
        if path.startswith("/fhir/MedicationStatement?"):
            return self._json(self.statements)
        if path.startswith("/fhir/Patient/"):
            return self._json({"resourceType": "Patient", "id": PATIENT})
        return self._json(searchset())

    @staticmethod
    def _json(body: Any) -> Reply:
        return Reply(body=json.dumps(body).encode())


def test_a_fetched_reference_is_read_while_the_slowest_search_still_runs() -> None:
    ehr = _HeldObservations(searchset(use("MedicationStatement", "ms1", "m-ima")))
    with scripted_server(ehr) as server:
        resolved = fetch(None, server.base_url)
    assert ehr.read_overlapped, "the Medication read waited for the Observation search"
    assert resolved.problems == ()
    assert medication_ids(resolved) == ["m-ima"]
    assert {"observations", "medicationStatements", MEDICATIONS_KEY} <= resolved.fetched


def test_a_prefetched_reference_is_read_at_once() -> None:
    """The EHR sent the MedicationRequest (reference only) but not the Observations."""
    ehr = _HeldObservations(searchset())
    prefetch = {"medicationRequests": searchset(use("MedicationRequest", "mr1", "m-ima"))}
    with scripted_server(ehr) as server:
        resolved = fetch(prefetch, server.base_url)
        medication_reads = [h for h in server.hits if h.path.startswith("/fhir/Medication/")]
    assert ehr.read_overlapped
    assert resolved.problems == ()
    assert medication_ids(resolved) == ["m-ima"]
    assert len(medication_reads) == 1
    assert "medicationRequests" in resolved.prefetched


def test_a_failed_medication_search_is_named_and_the_other_references_read() -> None:
    def script(path: str) -> Reply:
        if path.startswith("/fhir/MedicationStatement?"):
            return Reply(status=500, body=b"{}")
        if path.startswith("/fhir/Patient/"):
            return Reply(body=json.dumps({"resourceType": "Patient", "id": PATIENT}).encode())
        if path.startswith("/fhir/Medication/"):
            return Reply(body=json.dumps(medication("m-ima", "imatinib")).encode())
        body = searchset(use("MedicationRequest", "mr1", "m-ima"))
        return Reply(body=json.dumps(body if "MedicationRequest" in path else searchset()).encode())

    with scripted_server(script) as server:
        resolved = fetch(None, server.base_url)
        reads = [h.path for h in server.hits if h.path.startswith("/fhir/Medication/")]
    assert reads == ["/fhir/Medication/m-ima"]  # the request's reference, not the failed search's
    assert [str(p) for p in resolved.problems] == [
        "medicationStatements: FHIR server answered HTTP 500"
    ]
    assert medication_ids(resolved) == ["m-ima"]
