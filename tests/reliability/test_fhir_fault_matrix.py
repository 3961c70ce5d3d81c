"""A FHIR server that misbehaves on purpose, on every prefetch key the service has to fetch.

For each fault × key (the key left out of prefetch, so the service fetches it from the EHR's
FHIR server with the `fhirAuthorization` token): the answer arrives within the configured budget
plus slack, is a schema-valid 200 whose data-needed card names what could not be read, and no
request ever reaches the second loopback server standing in for a host outside the allowlist
(redirects and `next` links point at it; it records every request it receives).
"""

from __future__ import annotations

import gzip
import json
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests

from cds_hooks.config import Settings
from cds_hooks.validation import schema_errors
from fhir_mappings.prefetch_templates import PREFETCH_TEMPLATES
from tests.fhir_mappings import fhir as F
from tests.reliability.conftest import SecretLedger
from tests.support import hostile, jwt_tools
from tests.support.fhir_server import Reply, ScriptedServer, scripted_server
from tests.support.live import LiveService, hook_request, live_service

SERVICE = "cds-services/gist-treatment"
BUDGET_S = 1.5  # GIST_CDS_FHIR_TIMEOUT_S for this suite
SLACK_S = 2.0  # JSON, cards, audit and a busy 2-core machine
EHR_TOKEN = "ehr-access-" + uuid.uuid4().hex
RESOURCE_TYPE = {
    "patient": "Patient",
    "conditions": "Condition",
    "observations": "Observation",
    "medicationStatements": "MedicationStatement",
    "medicationRequests": "MedicationRequest",
    "procedures": "Procedure",
}
COLUMNS = [*PREFETCH_TEMPLATES, "every-key"]
FIFTY_MB = 50 * 1024 * 1024
injected: Counter[str] = Counter()

Json = dict[str, Any]


def _json(value: Any) -> bytes:
    return json.dumps(value).encode()


def _page(next_url: str | None) -> bytes:
    bundle: Json = {"resourceType": "Bundle", "type": "searchset", "entry": []}
    if next_url is not None:
        bundle["link"] = [{"relation": "next", "url": next_url}]
    return _json(bundle)


_OUTCOME = _json(
    {"resourceType": "OperationOutcome", "issue": [{"severity": "error", "code": "exception"}]}
)
_VALID_PAGE = _page(None)
_HUGE = (
    b'{"resourceType": "Bundle", "type": "searchset", "entry": [], "x": "'
    + (b"y" * FIFTY_MB)
    + b'"}'
)
_BOMB = gzip.compress(_HUGE, compresslevel=9)
_HOSTILE_TYPE = _json({"resourceType": "eyJ" * 100_000, "id": "x"})
_HUGE_PAGE = _json(
    {
        "resourceType": "Bundle",
        "type": "searchset",
        "entry": [{"resource": {"resourceType": "Basic", "id": f"b{i}"}} for i in range(21_000)],
    }
)


@dataclass(frozen=True)
class Fault:
    name: str
    reply: Callable[[str, str, str], Reply]  # (request path, own origin, foreign base) -> Reply
    #: False where the data itself arrives whole and only the connection misbehaves afterwards
    #: (endless trailers): the answer must still come within the budget, but nothing is missing.
    data_lost: bool = True


def _status(code: int) -> Fault:
    return Fault(f"http-{code}", lambda path, own, foreign: Reply(code, _OUTCOME))


FAULTS = [
    Fault("timeout", lambda p, o, f: Reply(200, _VALID_PAGE, delay_s=BUDGET_S + 2)),
    Fault("slow-drip", lambda p, o, f: Reply(200, _VALID_PAGE, drip_s=0.05)),
    _status(401),
    _status(403),
    _status(404),
    _status(500),
    _status(503),
    Fault(
        "not-json",
        lambda p, o, f: Reply(200, b"<html>gateway</html>", {"Content-Type": "text/html"}),
    ),
    Fault("truncated-json", lambda p, o, f: Reply(200, _VALID_PAGE[:25])),
    Fault("cut-short", lambda p, o, f: Reply(200, _VALID_PAGE[:25], length=len(_VALID_PAGE))),
    Fault("operation-outcome-200", lambda p, o, f: Reply(200, _OUTCOME)),
    Fault("body-50mb", lambda p, o, f: Reply(200, _HUGE)),
    Fault(
        "gzip-bomb-50mb",
        lambda p, o, f: Reply(
            200, _BOMB, {"Content-Type": "application/fhir+json", "Content-Encoding": "gzip"}
        ),
    ),
    Fault(
        "redirect-302-foreign",
        lambda p, o, f: Reply(302, b"", {"Location": f + p.removeprefix("/fhir")}),
    ),
    Fault(
        "redirect-307-foreign",
        lambda p, o, f: Reply(307, b"", {"Location": f + p.removeprefix("/fhir")}),
    ),
    Fault("next-link-foreign", lambda p, o, f: Reply(200, _page(f + "/Observation?page=2"))),
    Fault(
        "next-link-userinfo",
        lambda p, o, f: Reply(200, _page(o.replace("://", "://user:pw@") + p + "&page=2")),
    ),
    Fault("pagination-loop", lambda p, o, f: Reply(200, _page(o + p))),
    Fault("pagination-endless", lambda p, o, f: Reply(200, _page(o + p + "&more=" + p[-40:]))),
    Fault("next-link-dot-segments", lambda p, o, f: Reply(200, _page(o + "/fhir/../secret/x"))),
    Fault("next-link-encoded-dots", lambda p, o, f: Reply(200, _page(o + "/fhir/%2e%2e/secret/x"))),
    Fault("next-link-encoded-backslash", lambda p, o, f: Reply(200, _page(o + "/fhir/..%5Cs/x"))),
    Fault("hostile-resource-type", lambda p, o, f: Reply(200, _HOSTILE_TYPE)),
    Fault("huge-page-21000-entries", lambda p, o, f: Reply(200, _HUGE_PAGE)),
    Fault("slow-headers", lambda p, o, f: Reply(stream=hostile.dripped_headers)),
    Fault("slow-gzip-header", lambda p, o, f: Reply(stream=hostile.dripped_gzip_header)),
    Fault(
        "endless-trailers", lambda p, o, f: Reply(stream=hostile.endless_trailers), data_lost=False
    ),
]


@dataclass
class Rig:
    live: LiveService
    ehr: ScriptedServer  # the allowlisted FHIR server, misbehaving as `fault` says
    foreign: ScriptedServer  # a host outside the allowlist: must never be hit
    fault: list[Fault]


@pytest.fixture(scope="module")
def rig(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rig]:
    holder: list[Fault] = [FAULTS[0]]
    with scripted_server(lambda path: Reply(200, b"{}")) as foreign:
        foreign_base = foreign.base_url

        def script(path: str) -> Reply:
            origin = ehr_origin[0]
            return holder[0].reply(path, origin, foreign_base)

        ehr_origin = [""]
        with scripted_server(script) as ehr:
            ehr_origin[0] = ehr.base_url.removesuffix("/fhir")
            clients = tmp_path_factory.mktemp("fault-clients") / "clients.json"
            jwt_tools.write_trusted_clients(
                clients, [jwt_tools.client_entry(fhir_servers=[ehr.base_url])]
            )
            database = tmp_path_factory.mktemp("fault-db") / "gist.sqlite3"

            def settings(base_url: str) -> Settings:
                return Settings(
                    public_base_url=base_url,
                    trusted_clients_path=str(clients),
                    database_url=f"sqlite:///{database}",
                    fhir_timeout_s=BUDGET_S,
                )

            mint: Callable[[str], str] = lambda aud: jwt_tools.mint(jwt_tools.TEST_ISSUER, aud)  # noqa: E731
            with live_service(settings, mint) as live:
                yield Rig(live, ehr, foreign, holder)
    print(
        f"\nFHIR faults injected: {sum(injected.values())} ({len(FAULTS)} faults × {len(COLUMNS)})"
    )


def full_prefetch(patient_id: str) -> Json:
    """Everything the EHR could send for a GIST patient with a resected gastric tumour."""
    text = json.dumps(
        {
            "patient": F.patient(),
            "conditions": F.searchset(F.gist("gist-1", bodySite=[F.cc(F.SNOMED, "69695003")])),
            "observations": F.searchset(F.size("size-1", 6.2), F.mitoses("mit-1", 3)),
            "medicationStatements": F.searchset(),
            "medicationRequests": F.searchset(),
            "procedures": F.searchset(F.resection("op-1")),
        }
    )
    prefetch: Json = json.loads(text.replace(F.PATIENT, patient_id))
    return prefetch


def data_needed_text(cards: list[Json]) -> str:
    return "\n".join(
        card["detail"]
        for card in cards
        if card["extension"]["org.gist-cds"]["category"] == "data-needed"
    )


#: Words every fetch problem reason uses (cds_hooks/fetch.py), none of which a card about a
#: merely absent fact uses: a line naming the type with one of them reports the failed read.
PROBLEM_WORDS = ("FHIR server", "incomplete", "could not read", "time budget")


def names_fetch_problem(line: str, resource_type: str) -> bool:
    return resource_type in line and any(word in line for word in PROBLEM_WORDS)


def stays_under_base(path: str) -> bool:
    """The request path as the server sees it lies under /fhir/, with nothing left to resolve."""
    only = path.split("?", 1)[0]
    lowered = only.lower()
    return (
        only.startswith("/fhir/")
        and ".." not in only.split("/")
        and not any(bad in lowered for bad in ("%2e", "%2f", "%5c", "\\"))
    )


@pytest.fixture(scope="module", autouse=True)
def _never_foreign(rig: Rig) -> Iterator[None]:
    yield
    assert rig.foreign.hits == [], "a request left the allowlist"


@pytest.mark.parametrize("column", COLUMNS)
@pytest.mark.parametrize("fault", FAULTS, ids=[f.name for f in FAULTS])
def test_fault_answered_in_budget_naming_what_is_missing(
    rig: Rig, secrets_ledger: SecretLedger, fault: Fault, column: str
) -> None:
    rig.fault[0] = fault
    patient_id = "pt-" + uuid.uuid4().hex[:16]
    secrets_ledger.add(EHR_TOKEN, patient_id)
    prefetch = full_prefetch(patient_id)
    absent = list(PREFETCH_TEMPLATES) if column == "every-key" else [column]
    for key in absent:
        del prefetch[key]
    hits_before = len(rig.ehr.hits)
    body = hook_request(patient_id, prefetch, fhir_server=rig.ehr.base_url, access_token=EHR_TOKEN)

    started = time.monotonic()
    response = rig.live.post(SERVICE, body)
    elapsed = time.monotonic() - started
    injected[fault.name] += 1

    assert elapsed <= BUDGET_S + SLACK_S, f"{elapsed:.2f}s"
    assert response.status_code in (200, 412), response.text
    assert rig.foreign.hits == []
    fetched = rig.ehr.hits[hits_before:]
    assert fetched, "the service did not fetch the missing key"
    assert all(hit.authorization == f"Bearer {EHR_TOKEN}" for hit in fetched)
    assert [h.path for h in fetched if not stays_under_base(h.path)] == [], "token left the base"
    if response.status_code == 412:
        assert response.json()["resourceType"] == "OperationOutcome"
        return
    answer = response.json()
    assert schema_errors("cds-hooks-response", answer) == []
    assert "eyJeyJ" not in response.text
    if not fault.data_lost:
        return
    lines = data_needed_text(answer["cards"]).splitlines()
    for key in absent:
        naming = [line for line in lines if names_fetch_problem(line, RESOURCE_TYPE[key])]
        assert naming, (key, [c["summary"] for c in answer["cards"]], lines)
    assert EHR_TOKEN not in response.text


def test_the_foreign_host_is_reachable_so_zero_hits_mean_something(rig: Rig) -> None:
    before = len(rig.foreign.hits)
    requests.get(rig.foreign.base_url + "/metadata", timeout=5)
    assert len(rig.foreign.hits) == before + 1
    del rig.foreign.hits[before:]  # the probe is ours, not the service's


def test_budget_includes_the_whole_call_with_a_healthy_server(rig: Rig) -> None:
    """Sanity for the matrix: a prompt server gives full data within the budget, no problem."""
    rig.fault[0] = Fault("healthy", lambda p, o, f: Reply(200, _VALID_PAGE))
    prefetch = full_prefetch("pt-healthy-0001")
    del prefetch["procedures"]
    body = hook_request(
        "pt-healthy-0001", prefetch, fhir_server=rig.ehr.base_url, access_token=EHR_TOKEN
    )
    started = time.monotonic()
    response = rig.live.post(SERVICE, body)
    assert time.monotonic() - started <= BUDGET_S
    assert response.status_code == 200
    lines = data_needed_text(response.json()["cards"]).splitlines()
    assert not [line for line in lines if names_fetch_problem(line, "Procedure")]
