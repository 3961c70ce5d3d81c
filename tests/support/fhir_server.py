"""Real FHIR servers for tests.

`fhir_server` starts the in-memory Medplum FHIR router (`tests/fhirserver/server.mjs`, node) once
per session so the fetch path meets real FHIR search semantics. `scripted_server` is a tiny
loopback HTTP server whose answers a test scripts (error statuses, slow or dripping bodies, a
foreign host that must never be hit) and which records every request it receives.

Use with `pytest_plugins = ["tests.support.fhir_server"]` in a conftest, or import the fixture.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests

SERVER_DIR = Path(__file__).resolve().parent.parent / "fhirserver"
READY_PREFIX = "READY "
START_TIMEOUT_S = 30.0
NPM_TIMEOUT_S = 300.0
FHIR_JSON = "application/fhir+json"


class FhirServerError(RuntimeError):
    """The test FHIR server refused a load or could not be started."""


@dataclass
class FhirTestServer:
    """Handle on the running Medplum router: its FHIR base URL and a minimal loading client."""

    base_url: str  # e.g. http://127.0.0.1:41234/fhir (no trailing slash)
    http: requests.Session = field(default_factory=requests.Session)

    @property
    def _debug_url(self) -> str:
        return self.base_url.rsplit("/", 1)[0] + "/_debug/requests"

    def put(self, resource: Mapping[str, Any]) -> dict[str, Any]:
        """Store one resource: PUT when it has an id, POST otherwise. Returns what was stored."""
        kind = resource["resourceType"]
        if resource.get("id"):
            answer = self.http.put(
                f"{self.base_url}/{kind}/{resource['id']}", json=resource, timeout=10
            )
        else:
            answer = self.http.post(f"{self.base_url}/{kind}", json=resource, timeout=10)
        if answer.status_code not in (200, 201):
            raise FhirServerError(f"storing {kind} failed: HTTP {answer.status_code} {answer.text}")
        stored: dict[str, Any] = answer.json()
        return stored

    def load(self, bundle_or_list: Mapping[str, Any] | Iterable[Mapping[str, Any]]) -> list[Any]:
        """Store every resource of a Bundle (its entries) or of a list of resources."""
        if isinstance(bundle_or_list, Mapping):
            resources = [entry["resource"] for entry in bundle_or_list.get("entry", [])]
        else:
            resources = list(bundle_or_list)
        return [self.put(resource) for resource in resources]

    def reset(self) -> None:
        """Drop all resources and the request log."""
        answer = self.http.post(f"{self.base_url}/$reset", timeout=10)
        if answer.status_code != 200:
            raise FhirServerError(f"reset failed: HTTP {answer.status_code}")

    def requests_seen(self) -> list[dict[str, Any]]:
        """FHIR requests since the last reset: `method`, `url` (path+query), `authorization`."""
        seen: list[dict[str, Any]] = requests.get(self._debug_url, timeout=10).json()
        return seen


def _require(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        pytest.fail(
            f"`{tool}` is not on PATH: the FHIR fetch tests need Node.js >= 20.19 and npm "
            "(Debian: apt-get install nodejs npm) to run the Medplum FHIR router.",
            pytrace=False,
        )
    return path


def _install_router() -> None:
    if (SERVER_DIR / "node_modules" / "@medplum" / "fhir-router").is_dir():
        return
    npm = _require("npm")
    done = subprocess.run(
        [npm, "ci", "--no-audit", "--no-fund"],
        cwd=SERVER_DIR,
        capture_output=True,
        text=True,
        timeout=NPM_TIMEOUT_S,
        check=False,
    )
    if done.returncode != 0:
        pytest.fail(f"npm ci in {SERVER_DIR} failed:\n{done.stdout}\n{done.stderr}", pytrace=False)


def _wait_ready(process: subprocess.Popen[bytes], log_path: Path) -> str:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        for line in log_path.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith(READY_PREFIX):
                return line[len(READY_PREFIX) :].strip().rstrip("/")
        if process.poll() is not None:
            break
        time.sleep(0.05)
    output = log_path.read_text(encoding="utf-8", errors="replace")
    raise FhirServerError(f"the Medplum FHIR router did not become ready:\n{output}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@pytest.fixture(scope="session")
def fhir_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FhirTestServer]:
    """The Medplum in-memory FHIR router on a free loopback port, for the whole session."""
    node = _require("node")
    _install_router()
    log_path = tmp_path_factory.mktemp("fhirserver") / "server.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [node, str(SERVER_DIR / "server.mjs"), "0"],
            cwd=SERVER_DIR,
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "NODE_ENV": "test"},
        )
    try:
        server = FhirTestServer(base_url=_wait_ready(process, log_path))
        yield server
        server.http.close()
    finally:
        _stop(process)


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
