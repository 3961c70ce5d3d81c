"""The fetch threads a worker process shares between its calls: concurrent calls run side by side,
a call's unstarted work is cancelled when it ends, nothing of one call reaches another, and a
forked worker makes threads of its own."""

from __future__ import annotations

import json
import os
import threading
import warnings
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from cds_hooks import fetch_threads
from cds_hooks.fetch import ResolvedData, resolve
from cds_hooks.fetch_threads import MAX_WORKERS
from fhir_mappings.prefetch_templates import PREFETCH_TEMPLATES
from tests.support.fhir_server import Reply, scripted_server

pytestmark = pytest.mark.fhirserver

ALL_KEYS = frozenset(PREFETCH_TEMPLATES)
#: Safety bound for waits on events a test itself sets; never reached when the code is right.
SAFETY_S = 20.0


def answer_for(path: str) -> Reply:
    """A Patient for a read (its id taken from the path), an empty searchset for a search."""
    if path.startswith("/fhir/Patient/"):
        body: dict[str, Any] = {"resourceType": "Patient", "id": path.rsplit("/", 1)[1]}
    else:
        body = {"resourceType": "Bundle", "type": "searchset", "entry": []}
    return Reply(body=json.dumps(body).encode())


def fetch_all(server: str, patient: str, token: str) -> ResolvedData:
    return resolve(
        None,
        patient_id=patient,
        fhir_server=server,
        access_token=token,
        allowed_servers=[server],
        timeout_s=SAFETY_S + 10,
    )


# --- one call's share of the threads -----------------------------------------------------


def test_closing_a_call_cancels_its_unstarted_jobs_and_does_not_wait_for_running_ones() -> None:
    shared = ThreadPoolExecutor(max_workers=4)
    calls = fetch_threads.CallPool(shared, limit=2)
    gate = threading.Event()
    started = [threading.Event() for _ in range(5)]
    ran: list[int] = []

    def job(n: int) -> int:
        ran.append(n)
        started[n].set()
        gate.wait(SAFETY_S)
        return n

    futures = [calls.submit(job, n) for n in range(5)]
    assert started[0].wait(SAFETY_S)
    assert started[1].wait(SAFETY_S)
    assert not any(f.running() or f.done() for f in futures[2:])  # over the call's limit
    assert fetch_threads.jobs_at_work() >= 2

    calls.close()
    assert not futures[0].done()
    assert not futures[1].done()
    assert all(f.cancelled() for f in futures[2:])
    gate.set()
    assert [futures[0].result(SAFETY_S), futures[1].result(SAFETY_S)] == [0, 1]
    shared.shutdown(wait=True)  # every job ever handed to the shared threads has now run
    assert sorted(ran) == [0, 1]


def test_a_closed_call_starts_nothing() -> None:
    shared = ThreadPoolExecutor(max_workers=2)
    calls = fetch_threads.CallPool(shared)
    calls.close()
    ran: list[str] = []
    late = calls.submit(ran.append, "late")
    shared.shutdown(wait=True)
    assert late.cancelled()
    assert ran == []


def test_results_and_exceptions_stay_with_the_call_that_asked() -> None:
    shared = ThreadPoolExecutor(max_workers=1)  # the very same thread runs both calls' jobs
    first, second = fetch_threads.CallPool(shared), fetch_threads.CallPool(shared)

    def fail() -> None:
        raise ValueError("first call's failure")

    failed = first.submit(fail)
    worked = second.submit(lambda: "second call's result")
    assert worked.result(SAFETY_S) == "second call's result"
    with pytest.raises(ValueError, match="first call's failure"):
        failed.result(SAFETY_S)
    first.close()
    second.close()
    shared.shutdown(wait=True)


# --- calls of one worker side by side ------------------------------------------------------


def test_concurrent_calls_all_fetch_at_once_and_each_gets_its_own_patient() -> None:
    """Every request of four calls must be in flight together before any is answered: a pool
    that made one call queue behind another would break the barrier and fail the call."""
    calls = 4
    everyone_in = threading.Barrier(calls * len(PREFETCH_TEMPLATES), timeout=SAFETY_S)

    def script(path: str) -> Reply:
        try:
            everyone_in.wait()
        except threading.BrokenBarrierError:
            return Reply(status=503)
        return answer_for(path)

    results: dict[str, ResolvedData] = {}
    with scripted_server(script) as ehr:

        def call(patient: str) -> None:
            results[patient] = fetch_all(ehr.base_url, patient, f"token-of-{patient}")

        threads = [threading.Thread(target=call, args=(f"pat{n}",)) for n in range(calls)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        hits = list(ehr.hits)
    assert sorted(results) == [f"pat{n}" for n in range(calls)]
    for patient, resolved in results.items():
        assert resolved.problems == ()
        assert resolved.fetched == ALL_KEYS
        assert resolved.values["patient"]["id"] == patient
        mine = [hit for hit in hits if hit.authorization == f"Bearer token-of-{patient}"]
        assert len(mine) == len(PREFETCH_TEMPLATES)
        assert all(patient in hit.path for hit in mine)


def test_a_call_cut_at_its_budget_leaves_nothing_to_the_next_call() -> None:
    """The first call's reads hang until after it has ended; the next call on the same threads
    and the same keep-alive connections gets complete answers and none of the first's problems."""
    release = threading.Event()

    def script(path: str) -> Reply:
        if "hung" in path:
            release.wait(SAFETY_S)
        return answer_for(path)

    with scripted_server(script) as ehr:
        cut = resolve(
            None,
            patient_id="hung",
            fhir_server=ehr.base_url,
            access_token="first-token",
            allowed_servers=[ehr.base_url],
            timeout_s=1.0,
        )
        release.set()
        later = fetch_all(ehr.base_url, "fine", "second-token")
    assert {p.key for p in cut.problems} == ALL_KEYS
    assert all("time budget" in p.reason for p in cut.problems)
    assert later.problems == ()
    assert later.fetched == ALL_KEYS
    assert later.values["patient"]["id"] == "fine"


def test_a_call_runs_at_most_max_workers_requests_at_once() -> None:
    """Twenty referenced Medications that hang: only MAX_WORKERS reads ever reach the server,
    the rest are cancelled when the call ends at its budget."""
    release = threading.Event()
    uses = [
        {
            "resourceType": "MedicationStatement",
            "id": f"ms{n}",
            "status": "active",
            "subject": {"reference": "Patient/pm"},
            "medicationReference": {"reference": f"Medication/med{n}"},
        }
        for n in range(20)
    ]
    empty: dict[str, Any] = {"resourceType": "Bundle", "type": "searchset", "entry": []}
    prefetch: dict[str, Any] = dict.fromkeys(PREFETCH_TEMPLATES, empty)
    prefetch["patient"] = {"resourceType": "Patient", "id": "pm"}
    prefetch["medicationStatements"] = {**empty, "entry": [{"resource": r} for r in uses]}

    def script(path: str) -> Reply:
        release.wait(SAFETY_S)
        return Reply(status=404)

    with scripted_server(script) as ehr:
        resolved = resolve(
            prefetch,
            patient_id="pm",
            fhir_server=ehr.base_url,
            access_token="t",
            allowed_servers=[ehr.base_url],
            timeout_s=1.0,
        )
        release.set()
        reached = len(ehr.hits)
    assert len(resolved.problems) == 20
    assert all("time budget" in p.reason for p in resolved.problems)
    assert 0 < reached <= MAX_WORKERS


# --- one pool per process --------------------------------------------------------------------


def test_a_process_keeps_one_pool_and_a_new_pid_gets_a_new_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    mine = fetch_threads.shared_pool()
    assert fetch_threads.shared_pool() is mine
    monkeypatch.setattr(os, "getpid", lambda: -12345)
    forked = fetch_threads.shared_pool()
    assert forked is not mine
    assert fetch_threads.shared_pool() is forked


def test_a_forked_child_fetches_with_threads_of_its_own() -> None:
    """The parent's fetch threads do not exist in a forked child (gunicorn forks workers after
    importing the app): the child must make its own, not queue on the parent's pool forever."""
    with scripted_server(answer_for) as ehr:
        assert fetch_all(ehr.base_url, "parent", "t").problems == ()  # the parent's pool exists
        parent_pool = fetch_threads.shared_pool()
        with scripted_server(answer_for) as child_ehr:
            read_end, write_end = os.pipe()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)  # fork with threads (3.12+)
                pid = os.fork()
            if pid == 0:  # the child: report and leave without running pytest's teardown
                try:
                    resolved = resolve(
                        None,
                        patient_id="child",
                        fhir_server=child_ehr.base_url,
                        access_token="t",
                        allowed_servers=[child_ehr.base_url],
                        timeout_s=10.0,
                    )
                    report = {
                        "fetched": sorted(resolved.fetched),
                        "problems": [str(p) for p in resolved.problems],
                        "own_pool": fetch_threads.shared_pool() is not parent_pool,
                    }
                    os.write(write_end, json.dumps(report).encode())
                finally:
                    os._exit(0)
            os.close(write_end)
            os.waitpid(pid, 0)
            with os.fdopen(read_end, "rb") as answer:
                report = json.loads(answer.read() or b"{}")
    assert report == {"fetched": sorted(ALL_KEYS), "problems": [], "own_pool": True}
