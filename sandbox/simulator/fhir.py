"""The simulated EHR's FHIR data: the loopback Medplum server, or a tiny in-process fallback.

The simulator reads FHIR for one reason: to build prefetch, as an EHR does before calling a CDS
service. Normally the data lives in the Medplum in-memory router (`sandbox/fhirserver`), which the
service also reads from via `fhirServer`. Without Node.js, `MemoryFhir` answers the same reads
and `?patient=` searches from the synthetic bundles, and the simulator serves it under `/fhir`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import parse_qsl, urlsplit

import requests

TIMEOUT_S = 10.0
RESET_RETRIES = 1
# A relative FHIR read or search: `Patient/123`, `Condition?patient=123`.
RELATIVE_URL = re.compile(r"[A-Z][A-Za-z]{1,63}(/[A-Za-z0-9\-.]{1,64})?(\?[^#\s]*)?")
REFERENCE_PARAMS = ("patient", "subject")


class FhirBackend(Protocol):
    base_url: str

    def get(self, relative_url: str) -> tuple[int, Any]:
        """(HTTP status, parsed JSON body) for a relative read or search."""


def is_relative_fhir_url(value: str) -> bool:
    return RELATIVE_URL.fullmatch(value) is not None


def operation_outcome(code: str, text: str) -> dict[str, Any]:
    issue = {"severity": "error", "code": code, "diagnostics": text}
    return {"resourceType": "OperationOutcome", "issue": [issue]}


@dataclass
class RemoteFhir:
    """A real FHIR server (the Medplum router) reached over loopback HTTP."""

    base_url: str
    session: requests.Session = field(default_factory=requests.Session)

    def get(self, relative_url: str) -> tuple[int, Any]:
        answer = None
        for attempt in range(1 + RESET_RETRIES):
            try:
                answer = self.session.get(
                    f"{self.base_url}/{relative_url}",
                    headers={"Accept": "application/fhir+json"},
                    timeout=TIMEOUT_S,
                )
                break
            except requests.Timeout:
                return 504, operation_outcome("timeout", "the FHIR server did not answer in time")
            except requests.ConnectionError:
                # The server may close a keep-alive connection just as it is reused; a GET is
                # idempotent, so it is sent again on a fresh connection.
                if attempt == RESET_RETRIES:
                    return 502, operation_outcome("exception", "the FHIR server is unreachable")
        assert answer is not None
        try:
            return answer.status_code, answer.json()
        except ValueError:
            return 502, operation_outcome("exception", "the FHIR server did not answer JSON")


class MemoryFhir:
    """Read and patient search over a fixed set of resources (the fallback without Node.js)."""

    def __init__(self, base_url: str, resources: Iterable[Mapping[str, Any]]) -> None:
        self.base_url = base_url
        self._by_key: dict[tuple[str, str], Mapping[str, Any]] = {}
        for resource in resources:
            key = (str(resource.get("resourceType")), str(resource.get("id")))
            self._by_key[key] = resource

    def get(self, relative_url: str) -> tuple[int, Any]:
        if not is_relative_fhir_url(relative_url):
            return 400, operation_outcome("invalid", "not a relative FHIR read or search")
        parts = urlsplit(relative_url)
        kind, _, resource_id = parts.path.partition("/")
        if resource_id:
            found = self._by_key.get((kind, resource_id))
            if found is None:
                return 404, operation_outcome("not-found", f"{kind}/{resource_id} is not here")
            return 200, found
        return 200, self._search(kind, dict(parse_qsl(parts.query)))

    def _search(self, kind: str, params: Mapping[str, str]) -> dict[str, Any]:
        wanted = next((params[name] for name in REFERENCE_PARAMS if name in params), None)
        if wanted is not None and "/" not in wanted:
            wanted = f"Patient/{wanted}"
        matches = [
            resource
            for (resource_kind, _), resource in self._by_key.items()
            if resource_kind == kind and (wanted is None or wanted in _patient_refs(resource))
        ]
        return {
            "resourceType": "Bundle",
            "type": "searchset",
            "total": len(matches),
            "entry": [
                {"fullUrl": f"{self.base_url}/{kind}/{r.get('id')}", "resource": r} for r in matches
            ],
        }


def _patient_refs(resource: Mapping[str, Any]) -> set[str]:
    refs: set[str] = set()
    for name in REFERENCE_PARAMS:
        value = resource.get(name)
        if isinstance(value, Mapping) and isinstance(value.get("reference"), str):
            refs.add(value["reference"])
    return refs
