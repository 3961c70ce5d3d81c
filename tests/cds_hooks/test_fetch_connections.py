"""The fetch path's keep-alive connections: kept per worker process and FHIR base, reused by the
next call, and never shared with a forked child."""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from cds_hooks import bounded_http
from cds_hooks.fetch import ResolvedData, resolve
from fhir_mappings.prefetch_templates import PREFETCH_TEMPLATES

ALL_KEYS = frozenset(PREFETCH_TEMPLATES)


class _KeepAliveHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # answers many requests per connection
    server: _CountingServer

    def do_GET(self) -> None:
        if self.path.startswith("/fhir/Patient/"):
            body: dict[str, Any] = {"resourceType": "Patient", "id": self.path.rsplit("/", 1)[1]}
        else:
            body = {"resourceType": "Bundle", "type": "searchset", "entry": []}
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/fhir+json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        return


class _CountingServer(ThreadingHTTPServer):
    daemon_threads = True
    connections = 0

    def process_request(self, request: Any, client_address: Any) -> None:
        self.connections += 1
        super().process_request(request, client_address)


@contextmanager
def keep_alive_server() -> Iterator[tuple[str, _CountingServer]]:
    httpd = _CountingServer(("127.0.0.1", 0), _KeepAliveHandler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/fhir", httpd
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


def fetch_all(base: str, patient: str) -> ResolvedData:
    return resolve(
        None,
        patient_id=patient,
        fhir_server=base,
        access_token="t",
        allowed_servers=[base],
        timeout_s=30.0,
    )


def test_the_next_call_reuses_the_connections_of_the_last() -> None:
    with keep_alive_server() as (base, server):
        first = fetch_all(base, "one")
        second = fetch_all(base, "two")
        third = fetch_all(base, "three")
        opened = server.connections
    # a call sends one request per template at once; without reuse 3 calls would need 3 times
    assert 1 <= opened <= len(PREFETCH_TEMPLATES)
    for resolved, patient in [(first, "one"), (second, "two"), (third, "three")]:
        assert resolved.problems == ()
        assert resolved.fetched == ALL_KEYS
        assert resolved.values["patient"]["id"] == patient


def test_a_deadline_never_shuts_a_connection_that_went_back_to_the_pool() -> None:
    """A straggler reads its answer to the end (its connection goes back to the pool) just as
    its call's deadline passes: the next call must get that connection whole, not shut."""
    with keep_alive_server() as (base, server):
        pool = bounded_http.pool_for(base)
        first = bounded_http.Deadline(time.monotonic() + 60)
        with first.bound():
            answer = pool.urlopen("GET", "/fhir/Patient/a", retries=False, preload_content=False)
            assert json.loads(answer.read())["id"] == "a"  # read to the end: back in the pool
            first.expire()  # the call ends before this thread has left its block
        later = bounded_http.Deadline(time.monotonic() + 60)
        with later.bound():
            again = pool.urlopen("GET", "/fhir/Patient/b", retries=False, preload_content=False)
            assert json.loads(again.read())["id"] == "b"
        assert server.connections == 1  # the same keep-alive connection, not shut and remade


def test_one_pool_per_base_and_a_new_one_in_a_forked_process(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    base = "http://127.0.0.1:9/fhir"
    mine = bounded_http.pool_for(base)
    assert bounded_http.pool_for(base) is mine
    assert bounded_http.pool_for("http://127.0.0.1:9/other") is not mine
    monkeypatch.setattr(os, "getpid", lambda: -54321)
    in_child = bounded_http.pool_for(base)
    assert in_child is not mine
    assert bounded_http.pool_for(base) is in_child


def test_https_bases_verify_certificates_against_the_ca_bundle() -> None:
    pool = bounded_http.pool_for("https://fhir.example.org/r4")
    assert pool.scheme == "https"
    assert pool.cert_reqs == "CERT_REQUIRED"  # type: ignore[attr-defined]
    assert pool.ca_certs == bounded_http.DEFAULT_CA_BUNDLE_PATH  # type: ignore[attr-defined]
