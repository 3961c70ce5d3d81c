"""A hostile (allowlisted) FHIR server cannot steer the token, stall a worker or flood memory.

Real processes throughout: the service under gunicorn (`served.py`) or the real app on a loopback
HTTP server, the scripted loopback FHIR server, raw sockets for the slow-drip answers. Every test
is bounded: the hostile writers give up after `hostile.GIVE_UP_S`, and the assertions allow the
configured budget plus generous slack for a loaded 2-core machine.
"""

from __future__ import annotations

import json
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from cds_hooks import fetch_threads
from cds_hooks.config import Settings
from sandbox.simulator.fhir import RemoteFhir
from tests.fhir_mappings import fhir as F
from tests.reliability.served import Served, free_port, gist_cds_serve, service_env
from tests.support import hostile, jwt_tools
from tests.support.fhir_server import Reply, ScriptedServer, scripted_server
from tests.support.live import LiveService, hook_request, live_service

SERVICE = "cds-services/gist-treatment"
BUDGET_S = 1.5
SLACK_S = 3.0
TOKEN = "ehr-access-" + uuid.uuid4().hex
Json = dict[str, Any]


def prefetch_without(*keys: str) -> Json:
    everything: Json = {
        "patient": F.patient(),
        "conditions": F.searchset(F.gist("gist-1", bodySite=[F.cc(F.SNOMED, "69695003")])),
        "observations": F.searchset(F.size("size-1", 6.2), F.mitoses("mit-1", 3)),
        "medicationStatements": F.searchset(),
        "medicationRequests": F.searchset(),
        "procedures": F.searchset(F.resection("op-1")),
    }
    return {k: v for k, v in everything.items() if k not in keys}


def card_text(answer: Json) -> str:
    return json.dumps(answer["cards"], ensure_ascii=False)


def bundle(*resources: Json, next_url: str | None = None) -> bytes:
    value: Json = {
        "resourceType": "Bundle",
        "type": "searchset",
        "entry": [{"resource": r} for r in resources],
    }
    if next_url is not None:
        value["link"] = [{"relation": "next", "url": next_url}]
    return json.dumps(value).encode()


class Switch:
    """The scripted server's current behaviour, changed per test."""

    def __init__(self) -> None:
        self.script: Callable[[str], Reply] = lambda path: Reply(200, bundle())

    def __call__(self, path: str) -> Reply:
        return self.script(path)


@pytest.fixture(scope="module")
def ehr() -> Iterator[tuple[ScriptedServer, Switch]]:
    switch = Switch()
    with scripted_server(switch) as server:
        yield server, switch


@pytest.fixture(scope="module")
def live(
    ehr: tuple[ScriptedServer, Switch], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveService]:
    server, _ = ehr
    clients = tmp_path_factory.mktemp("hostile-clients") / "clients.json"
    jwt_tools.write_trusted_clients(
        clients, [jwt_tools.client_entry(fhir_servers=[server.base_url])]
    )
    database = tmp_path_factory.mktemp("hostile-db") / "gist.sqlite3"

    def settings(base_url: str) -> Settings:
        return Settings(
            public_base_url=base_url,
            trusted_clients_path=str(clients),
            database_url=f"sqlite:///{database}",
            fhir_timeout_s=BUDGET_S,
        )

    with live_service(settings, lambda aud: jwt_tools.mint(jwt_tools.TEST_ISSUER, aud)) as svc:
        yield svc


def call(
    live: LiveService, server: ScriptedServer, prefetch: Json
) -> tuple[requests.Response, float]:
    body = hook_request(F.PATIENT, prefetch, fhir_server=server.base_url, access_token=TOKEN)
    started = time.monotonic()
    response = live.post(SERVICE, body)
    return response, time.monotonic() - started


# --- 1. the token stays under the FHIR base ---

ESCAPES = {
    "dot-segments": "{base}/../secret/Condition?p=1",
    "encoded-dots": "{base}/%2e%2e/secret/Condition?p=1",
    "encoded-dots-upper": "{base}/%2E%2E/secret/Condition?p=1",
    "encoded-backslash": "{base}/..%5Csecret/Condition?p=1",
    "backslash": "{base}/..\\secret/Condition?p=1",
    "encoded-slash": "{base}/..%2Fsecret/Condition?p=1",
    "relative-dots": "../secret/Condition?p=1",
}


def hits_outside_base(server: ScriptedServer, since: int) -> list[str]:
    outside = []
    for hit in server.hits[since:]:
        path = hit.path.split("?", 1)[0]
        lowered = path.lower()
        segments = path.split("/")
        if (
            not path.startswith("/fhir/")
            or ".." in segments
            or any(bad in lowered for bad in ("%2e", "%2f", "%5c", "\\"))
        ):
            outside.append(hit.path)
    return outside


@pytest.mark.parametrize("where", ["fetched", "prefetched"])
@pytest.mark.parametrize("escape", ESCAPES, ids=list(ESCAPES))
def test_next_links_leaving_the_base_are_not_followed(
    ehr: tuple[ScriptedServer, Switch], live: LiveService, escape: str, where: str
) -> None:
    server, switch = ehr
    link = ESCAPES[escape].format(base=server.base_url)
    switch.script = lambda path: Reply(200, bundle(next_url=link))
    prefetch = prefetch_without("conditions")
    if where == "prefetched":
        prefetch["conditions"] = json.loads(
            bundle(F.gist("gist-1", bodySite=[F.cc(F.SNOMED, "69695003")]), next_url=link)
        )
    before = len(server.hits)
    response, _ = call(live, server, prefetch)
    assert response.status_code == 200, response.text
    assert hits_outside_base(server, before) == []
    assert "outside the FHIR server" in card_text(response.json())


# --- 2. a hostile resourceType is neither echoed nor expensive ---

HOSTILE_TYPE = "eyJ" * 100_000  # 300 KB of JWT-looking text


@pytest.fixture(scope="module")
def served_with_limits(
    ehr: tuple[ScriptedServer, Switch], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Served]:
    """gunicorn with a short worker timeout (a stuck worker would be killed: no answer)."""
    server, _ = ehr
    tmp = tmp_path_factory.mktemp("hostile-served")
    env = service_env(
        tmp,
        database_url=f"sqlite:///{tmp / 'gist.sqlite3'}",
        public_base_url=f"http://127.0.0.1:{(port := free_port())}",
        fhir_servers=[server.base_url],
        fhir_timeout_s=str(BUDGET_S),
        max_resources="200",
        max_fhir_bytes="400000",
    )
    with gist_cds_serve(env, tmp / "serve.log", port=port, workers=1, timeout_s=8) as served:
        yield served


def served_call(
    served: Served, server: ScriptedServer, prefetch: Json
) -> tuple[requests.Response, float]:
    body = hook_request(F.PATIENT, prefetch, fhir_server=server.base_url, access_token=TOKEN)
    started = time.monotonic()
    response = requests.post(
        served.url(SERVICE), json=body, headers=served.headers(SERVICE), timeout=60
    )
    return response, time.monotonic() - started


@pytest.mark.parametrize("key", ["patient", "conditions"])
def test_hostile_resource_type_is_neither_echoed_nor_slow(
    ehr: tuple[ScriptedServer, Switch], served_with_limits: Served, key: str
) -> None:
    server, switch = ehr
    hostile_body = json.dumps({"resourceType": HOSTILE_TYPE, "id": "x"}).encode()
    switch.script = lambda path: Reply(200, hostile_body)
    log_before = len(served_with_limits.log_text())
    response, elapsed = served_call(served_with_limits, server, prefetch_without(key))
    assert response.status_code in (200, 412), response.text[:300]
    assert elapsed < BUDGET_S + SLACK_S, f"{elapsed:.1f}s"
    assert "eyJeyJ" not in response.text
    if response.status_code == 200:
        assert "another resource type" in card_text(response.json())
    new_log = served_with_limits.log_text()[log_before:]
    assert "eyJeyJeyJ" not in new_log
    assert max(len(line) for line in new_log.splitlines()) < 20_000


# --- 3. one resource limit and one byte budget per call ---


def test_fetched_pages_stop_at_the_resource_limit_and_the_card_says_so(
    ehr: tuple[ScriptedServer, Switch], served_with_limits: Served
) -> None:
    server, switch = ehr
    page = [F.size(f"size-{i}", 3.0) for i in range(60)]  # 4 pages = 240 > the limit of 200

    def pages(path: str) -> Reply:
        number = int(path.rsplit("page=", 1)[1]) if "page=" in path else 0
        return Reply(
            200, bundle(*page, next_url=f"{server.base_url}/Observation?page={number + 1}")
        )

    switch.script = pages
    response, elapsed = served_call(served_with_limits, server, prefetch_without("observations"))
    assert response.status_code == 200, response.text[:300]
    assert elapsed < BUDGET_S + SLACK_S
    assert "limit of 200 resources" in card_text(response.json())


def test_contained_resources_count_against_the_prefetch_limit(
    served_with_limits: Served, ehr: tuple[ScriptedServer, Switch]
) -> None:
    server, _ = ehr
    gist = F.gist("gist-1", bodySite=[F.cc(F.SNOMED, "69695003")])
    gist["contained"] = [F.size(f"c-{i}", 1.0) for i in range(250)]
    prefetch = prefetch_without()
    prefetch["conditions"] = F.searchset(gist)
    response, _ = served_call(served_with_limits, server, prefetch)
    assert response.status_code == 413, response.text[:300]
    assert response.json()["resourceType"] == "OperationOutcome"


def test_medication_reads_share_the_byte_budget(
    ehr: tuple[ScriptedServer, Switch], served_with_limits: Served
) -> None:
    """50 referenced Medications of 200 KB each: the 400 kB budget stops them, the card names it."""
    server, switch = ehr
    big = json.dumps({"resourceType": "Medication", "id": "m", "text": {"div": "x" * 200_000}})
    statements = [
        {
            "resourceType": "MedicationStatement",
            "id": f"ms-{i}",
            "status": "active",
            "subject": {"reference": f"Patient/{F.PATIENT}"},
            "medicationReference": {"reference": f"Medication/med-{i}"},
        }
        for i in range(50)
    ]
    switch.script = lambda path: Reply(200, big.encode())
    prefetch = prefetch_without()
    prefetch["medicationStatements"] = F.searchset(*statements)
    response, elapsed = served_call(served_with_limits, server, prefetch)
    assert response.status_code == 200, response.text[:300]
    assert elapsed < BUDGET_S + SLACK_S
    assert "400000 bytes per call" in card_text(response.json())


def test_a_medication_body_is_capped(ehr: tuple[ScriptedServer, Switch], live: LiveService) -> None:
    server, switch = ehr
    huge = json.dumps({"resourceType": "Medication", "id": "m", "x": "y" * 600_000}).encode()
    switch.script = lambda path: Reply(200, huge)
    prefetch = prefetch_without()
    prefetch["medicationStatements"] = F.searchset(
        {
            "resourceType": "MedicationStatement",
            "id": "ms-1",
            "status": "active",
            "subject": {"reference": f"Patient/{F.PATIENT}"},
            "medicationReference": {"reference": "Medication/med-1"},
        }
    )
    response, _ = call(live, server, prefetch)
    assert response.status_code == 200
    assert "larger than 262144 bytes" in card_text(response.json())


# --- 4. no fetch work or socket outlives the budget ---


def fetch_jobs_at_work() -> int:
    """The worker's fetch threads are shared and stay (idle) between calls; what must not
    outlive a call's budget is a job still at work on one of them."""
    return fetch_threads.jobs_at_work()


@pytest.mark.parametrize("fault", hostile.SLOW_FAULTS, ids=list(hostile.SLOW_FAULTS))
def test_slow_drip_answers_end_with_the_budget(
    ehr: tuple[ScriptedServer, Switch], live: LiveService, fault: str
) -> None:
    server, switch = ehr
    switch.script = lambda path: Reply(stream=hostile.SLOW_FAULTS[fault])
    aborted_before, hits_before = len(server.aborted), len(server.hits)
    calls = 3
    for _ in range(calls):
        response, elapsed = call(live, server, prefetch_without("conditions", "procedures"))
        assert response.status_code == 200, response.text[:300]
        assert elapsed < BUDGET_S + SLACK_S, f"{elapsed:.1f}s"
        if fault != "endless-trailers":  # there the Bundle itself arrives whole
            assert "Condition" in card_text(response.json())
    deadline = time.monotonic() + 5.0  # the shut sockets end the reads at once; allow a busy CPU
    while fetch_jobs_at_work() and time.monotonic() < deadline:
        time.sleep(0.05)
    print(f"\n{fault}: last answer in {elapsed:.2f}s, fetch jobs left: {fetch_jobs_at_work()}")
    assert fetch_jobs_at_work() == 0
    requested = len(server.hits) - hits_before
    settle = time.monotonic() + 5.0  # the server notices the hang-up on its next write
    while len(server.aborted) - aborted_before < requested and time.monotonic() < settle:
        time.sleep(0.05)
    assert requested >= calls
    assert len(server.aborted) - aborted_before == requested, "a socket was left open"


# --- 7. a keep-alive connection reset by the server is retried ---


class ResettingServer:
    """Answers the first request on each connection (keep-alive), then resets the connection
    when a second request arrives on it: what a server closing idle sockets looks like."""

    def __init__(self, body: bytes) -> None:
        self.body = body
        self.answered = 0
        self.resets = 0
        self._sock = socket.create_server(("127.0.0.1", 0))
        self.base_url = f"http://127.0.0.1:{self._sock.getsockname()[1]}/fhir"
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        self._sock.settimeout(0.1)
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        conn.settimeout(10)
        with conn:
            buffer = b""
            served = 0
            while True:
                try:
                    data = conn.recv(65536)
                except OSError:
                    return
                if not data:
                    return
                buffer += data
                while b"\r\n\r\n" in buffer:
                    _, buffer = buffer.split(b"\r\n\r\n", 1)
                    if served:
                        self.resets += 1
                        conn.setsockopt(
                            socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00"
                        )
                        return  # close with RST, unanswered
                    served += 1
                    self.answered += 1
                    head = (
                        "HTTP/1.1 200 OK\r\nContent-Type: application/fhir+json\r\n"
                        f"Content-Length: {len(self.body)}\r\nConnection: keep-alive\r\n\r\n"
                    )
                    conn.sendall(head.encode() + self.body)

    def close(self) -> None:
        self._stop.set()
        self._sock.close()
        self._thread.join(timeout=5)


@pytest.fixture
def resetting() -> Iterator[ResettingServer]:
    server = ResettingServer(bundle())
    try:
        yield server
    finally:
        server.close()


def test_the_simulator_proxy_retries_a_reset_keep_alive_connection(
    resetting: ResettingServer,
) -> None:
    fhir = RemoteFhir(resetting.base_url)
    statuses = [fhir.get(f"Condition?patient=p{i}")[0] for i in range(4)]
    assert statuses == [200, 200, 200, 200]
    assert resetting.resets >= 1  # the reset really happened (and was retried)


def test_the_service_fetch_retries_a_reset_keep_alive_connection(
    resetting: ResettingServer, tmp_path: Path
) -> None:
    clients = tmp_path / "clients.json"
    jwt_tools.write_trusted_clients(
        clients, [jwt_tools.client_entry(fhir_servers=[resetting.base_url])]
    )

    def settings(base_url: str) -> Settings:
        return Settings(
            public_base_url=base_url,
            trusted_clients_path=str(clients),
            database_url=f"sqlite:///{tmp_path / 'gist.sqlite3'}",
            fhir_timeout_s=5.0,
        )

    with live_service(settings, lambda aud: jwt_tools.mint(jwt_tools.TEST_ISSUER, aud)) as svc:
        for _ in range(4):
            body = hook_request(
                F.PATIENT,
                prefetch_without("procedures"),
                fhir_server=resetting.base_url,
                access_token=TOKEN,
            )
            answer = svc.post(SERVICE, body)
            assert answer.status_code == 200
            lines = card_text(answer.json()).split("\\n")
            unread = [line for line in lines if "Procedure" in line and "FHIR server" in line]
            assert unread == [], "a reset read was not retried"
    assert resetting.resets >= 1
