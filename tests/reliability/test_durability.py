"""Nothing accepted is lost: feedback and audit rows survive a worker killed with SIGKILL in the
middle of a request and a full restart, and concurrent feedback for one card stays consistent —
on SQLite and on a real PostgreSQL server.

The kill test runs `gist-cds serve` (gunicorn, 2 sync workers); a FHIR server that answers slowly
keeps one hook call in flight, and the worker holding the connection to it is killed with
SIGKILL. Every post the service acknowledged with a 200 must be in the database afterwards (count
equality), before and after a restart on the same database.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests
import sqlalchemy as sa

from cds_hooks.config import Settings
from cds_hooks.storage import Storage
from tests.fhir_mappings import fhir as F
from tests.reliability.served import (
    Served,
    free_port,
    gist_cds_serve,
    pid_connected_to,
    service_env,
)
from tests.support import jwt_tools
from tests.support.fhir_server import Reply, scripted_server
from tests.support.live import hook_request, live_service

SERVICE = "cds-services/gist-treatment"
SLOW_FHIR_S = 8.0
rows_checked: dict[str, int] = {}


def full_prefetch() -> dict[str, Any]:
    return {
        "patient": F.patient(),
        "conditions": F.searchset(F.gist("gist-1", bodySite=[F.cc(F.SNOMED, "69695003")])),
        "observations": F.searchset(F.size("size-1", 6.5), F.mitoses("mit-1", 7)),
        "medicationStatements": None,
        "medicationRequests": None,
        "procedures": F.searchset(F.resection("op-1")),
    }


def feedback_item(card: str, minute: int, outcome: str = "overridden") -> dict[str, Any]:
    stamp = dt.datetime(2026, 1, 1, tzinfo=dt.UTC) + dt.timedelta(minutes=minute)
    item: dict[str, Any] = {"card": card, "outcome": outcome, "outcomeTimestamp": stamp.isoformat()}
    if outcome == "overridden":
        item["overrideReason"] = {"userComment": f"note {minute}"}
    return item


class Client:
    """Posts to a service with a fresh JWT per request (thread-safe: a session per thread)."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self._local = threading.local()

    def post(self, path: str, body: Any, timeout: float = 30) -> requests.Response:
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
        url = f"{self.base_url}/{path}"
        token = jwt_tools.mint(jwt_tools.TEST_ISSUER, url)
        return session.post(
            url, json=body, headers={"Authorization": f"Bearer {token}"}, timeout=timeout
        )


def _settings(database_url: str, clients: str) -> Callable[[str], Settings]:
    def make(base_url: str) -> Settings:
        return Settings(
            public_base_url=base_url, trusted_clients_path=clients, database_url=database_url
        )

    return make


# --- concurrency ---------------------------------------------------------------------------


def test_concurrent_feedback_for_one_card_stays_consistent(
    database_url: str, tmp_path: Path
) -> None:
    """One outcome per card and client (issue 13, finding 5), also under concurrency: of six
    different reports for one card, each sent five times at once, exactly one is stored (its
    copies are acknowledged duplicates, the others conflicts); reports on other cards are
    untouched."""
    clients = jwt_tools.write_trusted_clients(tmp_path / "c.json", [jwt_tools.client_entry()])
    with live_service(_settings(database_url, clients)) as live:
        client = Client(live.base_url)
        card, *others = _cards(client, 21)
        posts = [feedback_item(card, minute) for minute in range(6) for _ in range(5)]
        posts += [feedback_item(other, 100 + n) for n, other in enumerate(others[:20])]
        with ThreadPoolExecutor(max_workers=16) as pool:
            answers = list(
                pool.map(lambda i: client.post(SERVICE + "/feedback", {"feedback": [i]}), posts)
            )
        live.app.extensions["gist_cds"].storage.close()  # no pooled connection outlives the test
    statuses = [a.status_code for a in answers]
    assert sorted(set(statuses)) == [200, 409], statuses
    assert statuses[30:] == [200] * 20
    winners = {posts[n]["outcomeTimestamp"] for n in range(30) if statuses[n] == 200}
    assert len(winners) == 1  # all five copies of one report, no other
    assert statuses[:30].count(200) == 5
    assert sum(a.json()["stored"] for a in answers if a.status_code == 200) == 21
    storage = Storage(database_url)
    rows = storage.feedback_rows()
    assert len(rows) == 21
    assert [r.outcome_timestamp.isoformat() for r in rows if r.card == card] == list(winners)
    assert {r.card for r in rows} == {card, *others[:20]}
    assert all(r.rule_id for r in rows)  # linked to the card's rule through the audit
    rows_checked[f"concurrent-{storage.dialect}"] = len(rows)
    storage.close()


# --- SIGKILL and restart -------------------------------------------------------------------


def _hook_calls(client: Client, count: int) -> list[str]:
    """Hook calls answered 200; returns their hookInstances."""
    done: list[str] = []
    for _ in range(count):
        body = hook_request(F.PATIENT, full_prefetch())
        if client.post(SERVICE, body).status_code == 200:
            done.append(body["hookInstance"])
    return done


def _cards(client: Client, count: int) -> list[str]:
    """Uuids of `count` cards the service returned to this client (hook calls as needed)."""
    cards: list[str] = []
    while len(cards) < count:
        answer = client.post(SERVICE, hook_request(F.PATIENT, full_prefetch()))
        assert answer.status_code == 200, answer.text
        cards += [card["uuid"] for card in answer.json()["cards"]]
    return cards[:count]


def _feedback(client: Client, cards: list[str]) -> int:
    """Posts one feedback per card concurrently; returns how many were acknowledged as new."""

    def post(index: int) -> int:
        item = feedback_item(cards[index], index)
        answer = client.post(SERVICE + "/feedback", {"feedback": [item]})
        return answer.json()["stored"] if answer.status_code == 200 else 0

    with ThreadPoolExecutor(max_workers=4) as pool:
        return sum(pool.map(post, range(len(cards))))


def _assert_durable(database_url: str, accepted: int, hooks: list[str]) -> None:
    storage = Storage(database_url)
    try:
        assert storage.count_feedback() == accepted
        audited = {row.hook_instance for row in storage.audit_rows()}
        assert set(hooks) <= audited
        if storage.dialect == "sqlite":
            with storage.engine.connect() as conn:
                assert conn.execute(sa.text("PRAGMA integrity_check")).scalar_one() == "ok"
    finally:
        storage.close()


def _kill_worker_mid_request(served: Served, fhir_port: int, client: Client) -> dict[str, Any]:
    """Start a hook call that waits on the slow FHIR server, SIGKILL its worker."""
    outcome: dict[str, Any] = {}
    body = hook_request(F.PATIENT, {"conditions": full_prefetch()["conditions"]})
    body["fhirServer"] = f"http://127.0.0.1:{fhir_port}/fhir"
    body["fhirAuthorization"] = hook_request(F.PATIENT, access_token="t" * 20)["fhirAuthorization"]

    def call() -> None:
        try:
            outcome["status"] = client.post(SERVICE, body, timeout=60).status_code
        except requests.RequestException as exc:
            outcome["error"] = type(exc).__name__

    thread = threading.Thread(target=call)
    thread.start()
    deadline = time.monotonic() + 15
    victim = None
    while victim is None and time.monotonic() < deadline:
        victim = pid_connected_to(served.worker_pids(), fhir_port)
        time.sleep(0.05)
    assert victim is not None, "no worker is fetching from the slow FHIR server"
    os.kill(victim, signal.SIGKILL)
    outcome["killed"] = victim
    thread.join(timeout=60)
    outcome["hook_instance"] = body["hookInstance"]
    return outcome


def _reaped(served: Served, pid: int, within_s: float = 30.0) -> bool:
    """Whether the master has reaped the killed worker. Its pid stays listed (a zombie) until
    the master handles SIGCHLD, which on a loaded machine can lag the failed call."""
    deadline = time.monotonic() + within_s
    while pid in served.worker_pids():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def test_rows_survive_a_sigkilled_worker_and_a_restart(database_url: str, tmp_path: Path) -> None:
    with scripted_server(
        lambda path: Reply(200, b'{"resourceType": "Bundle", "entry": []}', delay_s=SLOW_FHIR_S)
    ) as slow_fhir:
        fhir_port = int(slow_fhir.base_url.split(":")[2].split("/")[0])
        port = free_port()
        env = service_env(
            tmp_path,
            database_url=database_url,
            public_base_url=f"http://127.0.0.1:{port}",
            fhir_servers=[slow_fhir.base_url],
            fhir_timeout_s=str(SLOW_FHIR_S + 2),
        )
        log = tmp_path / "serve.log"
        with gist_cds_serve(env, log, port=port, workers=2) as served:
            client = Client(served.base_url)
            hooks = _hook_calls(client, 10)
            assert len(hooks) == 10
            cards = _cards(client, 60)
            accepted = _feedback(client, cards[0:20])
            killed: dict[str, Any] = {}
            kill = threading.Thread(
                target=lambda: killed.update(_kill_worker_mid_request(served, fhir_port, client))
            )
            kill.start()
            accepted += _feedback(client, cards[20:40])  # while the kill happens
            kill.join(timeout=90)
            assert killed.get("killed"), killed
            assert "error" in killed, killed  # the call died with its worker: no answer
            assert _reaped(served, killed["killed"]), "the master did not replace the worker"
            hooks += _hook_calls(client, 5)  # the master replaced the worker
            accepted += _feedback(client, cards[40:50])
        _assert_durable(database_url, accepted, hooks)

        with gist_cds_serve(env, log, port=port, workers=2) as served:  # full restart
            client = Client(served.base_url)
            _assert_durable(database_url, accepted, hooks)
            hooks += _hook_calls(client, 5)
            accepted += _feedback(client, cards[50:60])
            resent = _feedback(client, cards[0:10])  # duplicates of stored items
        assert resent == 0
    assert accepted == 60
    assert len(hooks) == 20
    _assert_durable(database_url, accepted, hooks)
    storage = Storage(database_url)
    assert killed["hook_instance"] not in {row.hook_instance for row in storage.audit_rows()}
    storage.close()
    dialect = "sqlite" if database_url.startswith("sqlite") else "postgresql"
    rows_checked[f"sigkill-restart-{dialect}"] = accepted + len(hooks)


@pytest.fixture(scope="module", autouse=True)
def _report() -> Any:
    yield
    print(f"\ndurability rows written and found: {rows_checked}")
