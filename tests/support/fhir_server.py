"""Real FHIR servers for tests.

`fhir_server` starts the in-memory Medplum FHIR router once per session (its glue lives in
`sandbox/fhir_server.py`, the node project in `sandbox/fhirserver/`) so the fetch path meets real
FHIR search semantics. `scripted_server` is a tiny loopback HTTP server whose answers a test
scripts (error statuses, slow or dripping bodies, a foreign host that must never be hit) and
which records every request it receives.

Use with `pytest_plugins = ["tests.support.fhir_server"]` in a conftest, or import the fixture.
"""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from sandbox.fhir_server import (
    FHIR_JSON,
    FhirServerError,
    FhirTestServer,
    install_router,
    start_router,
)


def _require(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        pytest.fail(
            f"`{tool}` is not on PATH: the FHIR fetch tests need Node.js >= 20.19 and npm "
            "(Debian: apt-get install nodejs npm) to run the Medplum FHIR router.",
            pytrace=False,
        )
    return path


@pytest.fixture(scope="session")
def fhir_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FhirTestServer]:
    """The Medplum in-memory FHIR router on a free loopback port, for the whole session."""
    _require("node")
    try:
        install_router()
    except FhirServerError as exc:
        pytest.fail(str(exc), pytrace=False)
    log_path = tmp_path_factory.mktemp("fhirserver") / "server.log"
    router = start_router(log_path, node_env="test")
    try:
        server = FhirTestServer(base_url=router.base_url)
        yield server
        server.http.close()
    finally:
        router.stop()


# --- scripted loopback server -------------------------------------------------------------


@dataclass(frozen=True)
class Reply:
    """One scripted answer. `drip_s` > 0 sends the body one byte at a time with that pause;
    `length` declares a Content-Length other than the body's (a connection cut short)."""

    status: int = 200
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=lambda: {"Content-Type": FHIR_JSON})
    delay_s: float = 0.0
    drip_s: float = 0.0
    length: int | None = None
    #: Writes the whole raw answer itself (status line included) to the socket's file: for
    #: faults plain HTTP replies cannot express (dripped headers, endless trailers).
    stream: Callable[[Any], None] | None = None


@dataclass(frozen=True)
class Hit:
    method: str
    path: str  # path + query
    authorization: str | None


@dataclass
class ScriptedServer:
    base_url: str
    hits: list[Hit]
    aborted: list[str]  # paths whose client hung up before the whole answer was sent


Script = Callable[[str], Reply]


class _Handler(BaseHTTPRequestHandler):
    server: _ScriptedHTTPServer

    def do_GET(self) -> None:
        self.server.hits.append(Hit("GET", self.path, self.headers.get("Authorization")))
        reply = self.server.script(self.path)
        if reply.delay_s:
            time.sleep(reply.delay_s)
        if reply.stream is not None:
            try:
                reply.stream(self.wfile)
            except OSError:
                self.server.aborted.append(self.path)
            self.close_connection = True
            return
        try:
            self.send_response(reply.status)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            length = len(reply.body) if reply.length is None else reply.length
            self.send_header("Content-Length", str(length))
            self.end_headers()
            if reply.drip_s:
                for byte in reply.body:
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
                    time.sleep(reply.drip_s)
            else:
                self.wfile.write(reply.body)
        except (BrokenPipeError, ConnectionResetError):
            self.server.aborted.append(self.path)  # the client gave up (what timeout tests check)

    def log_message(self, format: str, *args: Any) -> None:
        return


class _ScriptedHTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, script: Script) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.script = script
        self.hits: list[Hit] = []
        self.aborted: list[str] = []


@contextmanager
def scripted_server(script: Script, *, base_path: str = "/fhir") -> Iterator[ScriptedServer]:
    """A loopback server answering every GET with `script(path)`; records each hit."""
    httpd = _ScriptedHTTPServer(script)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        host, port = httpd.server_address[:2]
        yield ScriptedServer(
            base_url=f"http://{host!s}:{port}{base_path}", hits=httpd.hits, aborted=httpd.aborted
        )
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)
