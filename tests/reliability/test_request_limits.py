"""Request limits: body size, JSON depth, resource count (the app), header sizes and slow
uploads (the real gunicorn server started by `gist-cds serve`).

Slow-loris: gunicorn's sync workers hold one connection each, so a client that trickles its
body holds a worker until the worker timeout (`gist-cds serve --timeout`) has the master kill and
replace it. The tests measure both sides: other requests are still served while one worker is
held, a trickling connection is cut within the timeout, and even with every worker held the
service answers again after the timeout. The README documents the reverse-proxy settings that
keep slow clients away from the workers altogether.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests

from cds_hooks.config import Settings
from cds_hooks.validation import FAST_MAX_BYTES
from tests.fhir_mappings import fhir as F
from tests.reliability.served import Served, free_port, gist_cds_serve, service_env
from tests.support import jwt_tools
from tests.support.live import LiveService, hook_request, live_service

SERVICE = "cds-services/gist-treatment"
WORKER_TIMEOUT_S = 4
RESPAWN_S = 30.0  # a replacement worker builds its app and warms up before it serves
attacks: list[str] = []


def prefetch(observations: list[Any] | None = None, extension: Any = None) -> dict[str, Any]:
    gist = F.gist("gist-1", bodySite=[F.cc(F.SNOMED, "69695003")])
    if extension is not None:
        gist["extension"] = [extension]
    return {
        "patient": F.patient(),
        "conditions": F.searchset(gist),
        "observations": F.searchset(*(observations or [])),
        "medicationStatements": None,
        "medicationRequests": None,
        "procedures": None,
    }


def assert_outcome(response: requests.Response, status: int, words: str = "") -> None:
    assert response.status_code == status, response.text[:500]
    body = response.json()
    assert body["resourceType"] == "OperationOutcome"
    assert words in body["issue"][0].get("diagnostics", "")


# --- the app: body size, depth, resource count ----------------------------------------------


def test_body_over_the_limit_is_413_with_content_length(service: LiveService) -> None:
    limit = service.settings.max_body_bytes
    body = json.dumps(hook_request(F.PATIENT, prefetch())).encode()
    padded = body[:-1] + b', "pad": "' + b"x" * (limit - len(body)) + b'"}'
    assert len(padded) > limit
    attacks.append("body-over-limit")
    assert_outcome(service.post(SERVICE, data=padded), 413)


def test_body_over_the_limit_is_413_when_chunked(service: LiveService) -> None:
    """No Content-Length to check up front: the read itself must stop at the limit."""
    limit = service.settings.max_body_bytes

    def chunks() -> Iterator[bytes]:
        yield b'{"hook": "patient-view", "pad": "'
        for _ in range(limit // 65536 + 2):
            yield b"x" * 65536
        yield b'"}'

    attacks.append("chunked-body-over-limit")
    response = service.session.post(
        service.url(SERVICE), data=chunks(), headers=service.headers(SERVICE), timeout=60
    )
    assert_outcome(response, 413)


def _nested(levels: int, *, odd: bool = False) -> Any:
    """An extension chain: each level adds an object and an array; `odd` adds one more level
    at the bottom (a CodeableConcept value instead of a string)."""
    value: Any = {"url": "http://example.org/x", "valueString": "bottom"}
    if odd:
        value = {"url": "http://example.org/x", "valueCodeableConcept": {"text": "bottom"}}
    for _ in range(levels - 1):
        value = {"url": "http://example.org/x", "extension": [value]}
    return value


def depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max((depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((depth(v) for v in value), default=0)
    return 0


def body_of_depth(target: int) -> dict[str, Any]:
    """A valid hook request whose nesting depth is exactly `target` (an extension chain)."""
    for levels in range(1, target):
        for odd in (False, True):
            body = hook_request(F.PATIENT, prefetch(extension=_nested(levels, odd=odd)))
            if depth(body) == target:
                return body
    raise AssertionError(f"no extension chain gives depth {target}")


def test_nesting_at_the_limit_is_accepted_and_one_deeper_is_400(service: LiveService) -> None:
    limit = service.settings.max_json_depth
    at_limit = body_of_depth(limit)
    assert depth(at_limit) == limit
    assert service.post(SERVICE, at_limit).status_code == 200
    deeper = body_of_depth(limit + 1)
    assert depth(deeper) == limit + 1
    attacks.append("nesting-limit-plus-one")
    assert_outcome(service.post(SERVICE, deeper), 400, "nests deeper")


def _padded(body: dict[str, Any], size: int) -> dict[str, Any]:
    """`body` with a context field of spaces making it `size` bytes or more: a body that large is
    read by the json module after its bytes are let go (cds_hooks.views.read_json_body)."""
    return body | {"context": body["context"] | {"padding": " " * size}}


def test_a_large_body_is_read_like_a_small_one(service: LiveService) -> None:
    body = hook_request(F.PATIENT, prefetch())
    small = service.post(SERVICE, body)
    large = service.post(SERVICE, _padded(body, FAST_MAX_BYTES + 1))
    assert small.status_code == large.status_code == 200
    summaries = [[card["summary"] for card in a.json()["cards"]] for a in (small, large)]
    assert summaries[0]
    assert summaries[0] == summaries[1]


def test_a_large_body_that_is_not_utf8_is_400(service: LiveService) -> None:
    raw = json.dumps(_padded(hook_request(F.PATIENT, prefetch()), FAST_MAX_BYTES + 1)).encode()
    raw = raw.replace(b"   ", b" \xff ", 1)
    assert len(raw) > FAST_MAX_BYTES
    answer = service.post(SERVICE, data=raw, headers={"Content-Type": "application/json"})
    assert_outcome(answer, 400, "not UTF-8")


def test_a_large_body_one_level_too_deep_is_400(service: LiveService) -> None:
    deeper = body_of_depth(service.settings.max_json_depth + 1)
    assert_outcome(service.post(SERVICE, _padded(deeper, FAST_MAX_BYTES + 1)), 400, "nests deeper")


def test_nesting_far_past_the_parser_recursion_limit_is_400(service: LiveService) -> None:
    attacks.append("nesting-100000")
    raw = b"[" * 100_000 + b"]" * 100_000
    assert_outcome(service.post(SERVICE, data=raw), 400)
    attacks.append("nesting-100000-objects")
    raw = b'{"a":' * 100_000 + b"1" + b"}" * 100_000
    assert_outcome(service.post(SERVICE, data=raw), 400)


@pytest.fixture(scope="module")
def small_resource_limit(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveService]:
    clients = tmp_path_factory.mktemp("limit-clients") / "clients.json"
    jwt_tools.write_trusted_clients(clients, [jwt_tools.client_entry()])
    database = tmp_path_factory.mktemp("limit-db") / "gist.sqlite3"

    def settings(base_url: str) -> Settings:
        return Settings(
            public_base_url=base_url,
            trusted_clients_path=str(clients),
            database_url=f"sqlite:///{database}",
            max_resources=50,
        )

    mint: Callable[[str], str] = lambda aud: jwt_tools.mint(jwt_tools.TEST_ISSUER, aud)  # noqa: E731
    with live_service(settings, mint) as live:
        yield live


def _observations(count: int) -> list[Any]:
    return [F.observation(f"o{i}", F.cc(F.LOINC, "8302-2")) for i in range(count)]


def test_resources_up_to_the_limit_are_accepted(small_resource_limit: LiveService) -> None:
    body = hook_request(F.PATIENT, prefetch(_observations(48)))  # + Patient + GIST = 50
    assert small_resource_limit.post(SERVICE, body).status_code == 200


def test_one_resource_over_the_limit_is_refused(small_resource_limit: LiveService) -> None:
    attacks.append("resources-over-limit")
    body = hook_request(F.PATIENT, prefetch(_observations(49)))
    response = small_resource_limit.post(SERVICE, body)
    assert_outcome(response, 413, "the limit is 50")


def test_the_default_limit_refuses_twenty_thousand_and_one(service: LiveService) -> None:
    attacks.append("resources-20001")
    body = hook_request(F.PATIENT, prefetch([{"resourceType": "Basic"}] * 20_000))
    assert_outcome(service.post(SERVICE, body), 413, "the limit is 20000")


# --- the real server: headers and slow clients ----------------------------------------------


@pytest.fixture(scope="module")
def gunicorn(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    work = tmp_path_factory.mktemp("limits-serve")
    port = free_port()
    env = service_env(
        work,
        database_url=f"sqlite:///{work / 'gist.sqlite3'}",
        public_base_url=f"http://127.0.0.1:{port}",
    )
    with gist_cds_serve(
        env, work / "serve.log", port=port, workers=2, timeout_s=WORKER_TIMEOUT_S
    ) as served:
        yield served


def raw_exchange(served: Served, request: bytes, timeout_s: float = 10.0) -> tuple[int, float]:
    """Send raw bytes; return the status code gunicorn answers with and how long it took."""
    port = int(served.base_url.rsplit(":", 1)[1])
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=timeout_s) as sock:
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            sock.sendall(request)  # the server may answer and close before reading it all
        reply = b""
        while b"\r\n" not in reply:
            chunk = sock.recv(4096)
            if not chunk:
                break
            reply += chunk
    status = int(reply.split(b" ", 2)[1]) if reply.startswith(b"HTTP/") else 0
    return status, time.monotonic() - started


def _get(path: str, headers: list[tuple[str, str]]) -> bytes:
    lines = [f"GET {path} HTTP/1.1", "Host: 127.0.0.1", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def test_chunked_body_over_the_limit_is_413_under_gunicorn(gunicorn: Served) -> None:
    attacks.append("chunked-body-over-limit-gunicorn")
    limit = 10 * 1024 * 1024  # Settings.max_body_bytes default

    def chunks() -> Iterator[bytes]:
        yield b'{"hook": "patient-view", "pad": "'
        for _ in range(limit // 65536 + 2):
            yield b"x" * 65536
        yield b'"}'

    response = requests.post(
        gunicorn.url(SERVICE), data=chunks(), headers=gunicorn.headers(SERVICE), timeout=60
    )
    assert_outcome(response, 413)


@pytest.mark.parametrize(
    ("attack", "request_bytes"),
    [
        ("header-field-20kb", _get("/healthz", [("X-Big", "a" * 20_000)])),
        (
            "authorization-64kb",
            _get("/cds-services", [("Authorization", "Bearer " + "a" * 65_536)]),
        ),
        ("header-fields-150", _get("/healthz", [(f"X-F{i}", "v") for i in range(150)])),
        ("request-line-10kb", _get("/rules/" + "a" * 10_000, [])),
        ("header-without-colon", b"GET /healthz HTTP/1.1\r\nHost: x\r\nnonsense\r\n\r\n"),
        ("request-line-garbage", b"\x00\x01\x02 / HTTP/1.1\r\n\r\n"),
    ],
)
def test_oversized_or_malformed_headers_get_a_prompt_4xx(
    gunicorn: Served, attack: str, request_bytes: bytes
) -> None:
    attacks.append(attack)
    status, elapsed = raw_exchange(gunicorn, request_bytes)
    assert 400 <= status < 500, status
    assert elapsed < 5.0


class SlowClient(threading.Thread):
    """Sends a POST's headers, then its body one byte per `pause_s`; records when the server
    cut the connection (or None if it never did within `give_up_s`)."""

    def __init__(self, served: Served, pause_s: float = 0.5, give_up_s: float = 30.0) -> None:
        super().__init__(daemon=True)
        self.port = int(served.base_url.rsplit(":", 1)[1])
        self.headers = served.headers(SERVICE)
        self.pause_s = pause_s
        self.give_up_s = give_up_s
        self.connected = threading.Event()
        self.cut_after_s: float | None = None

    def run(self) -> None:
        head = [f"POST /{SERVICE} HTTP/1.1", "Host: 127.0.0.1", "Content-Length: 100000"]
        head += [f"{name}: {value}" for name, value in self.headers.items()]
        started = time.monotonic()
        with socket.create_connection(("127.0.0.1", self.port), timeout=2) as sock:
            sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode())
            self.connected.set()
            while time.monotonic() - started < self.give_up_s:
                try:
                    sock.sendall(b" ")
                    sock.settimeout(self.pause_s)
                    if sock.recv(1024) == b"":
                        break
                except TimeoutError:
                    continue  # nothing from the server yet: keep trickling
                except OSError:
                    break
                else:
                    break  # the server answered (an error page) and will close
            else:
                return
        self.cut_after_s = time.monotonic() - started


def test_a_slow_upload_holds_one_worker_only_until_the_worker_timeout(gunicorn: Served) -> None:
    attacks.append("slow-loris-one")
    slow = SlowClient(gunicorn)
    slow.start()
    assert slow.connected.wait(5)
    time.sleep(0.5)
    started = time.monotonic()
    answer = requests.get(gunicorn.url("healthz"), timeout=10)  # the other worker serves it
    assert answer.status_code == 200
    assert time.monotonic() - started < 2.0
    slow.join(timeout=40)
    assert slow.cut_after_s is not None, "the trickling connection was never cut"
    assert slow.cut_after_s <= WORKER_TIMEOUT_S + 6
    print(f"\nslow upload cut after {slow.cut_after_s:.1f}s (worker timeout {WORKER_TIMEOUT_S}s)")


def test_with_every_worker_held_the_service_recovers_after_the_timeout(gunicorn: Served) -> None:
    attacks.append("slow-loris-all-workers")
    slow = [SlowClient(gunicorn) for _ in range(2)]
    for client in slow:
        client.start()
        assert client.connected.wait(5)
    time.sleep(0.5)
    started = time.monotonic()
    answer = requests.get(gunicorn.url("healthz"), timeout=WORKER_TIMEOUT_S + RESPAWN_S)
    assert answer.status_code == 200
    recovered = time.monotonic() - started
    assert recovered <= WORKER_TIMEOUT_S + RESPAWN_S
    print(f"\nevery worker held: served again after {recovered:.1f}s")
    for client in slow:
        client.join(timeout=40)
        assert client.cut_after_s is not None
    assert "WORKER TIMEOUT" in gunicorn.log_text()


def test_slow_headers_are_cut_too(gunicorn: Served) -> None:
    """A client that never finishes its headers (classic slow-loris) is cut by the timeout."""
    attacks.append("slow-headers")
    port = int(gunicorn.base_url.rsplit(":", 1)[1])
    started = time.monotonic()
    cut_after: float | None = None
    with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        while time.monotonic() - started < 30:
            try:
                sock.sendall(b"X-a: b\r\n")
                if sock.recv(1024) == b"":
                    cut_after = time.monotonic() - started
                    break
            except TimeoutError:
                continue
            except OSError:
                cut_after = time.monotonic() - started
                break
    assert cut_after is not None
    assert cut_after <= WORKER_TIMEOUT_S + 6
    print(f"\nslow headers cut after {cut_after:.1f}s")


@pytest.fixture(scope="module", autouse=True)
def _attack_count() -> Iterator[None]:
    yield
    print(f"\nrequest-limit attacks tried: {len(attacks)} {attacks}")


def test_resources_nested_in_an_inner_bundle_count_too(small_resource_limit: LiveService) -> None:
    """A Bundle inside an entry is flattened by the mapping: its entries must count as well."""
    attacks.append("resources-in-nested-bundle")
    entries = [{"resource": r} for r in _observations(60)]
    inner = {"resourceType": "Bundle", "type": "collection", "entry": entries}
    body = hook_request(F.PATIENT, prefetch([inner]))
    assert_outcome(small_resource_limit.post(SERVICE, body), 413)
