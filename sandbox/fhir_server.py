"""The Medplum in-memory FHIR router (`sandbox/fhirserver/server.mjs`, Node.js) and its glue.

The sandbox EHR keeps its patients in it, and the test suite's fetch tests run against it (the
`fhir_server` fixture of tests/support/fhir_server.py), so the service meets real FHIR search
semantics when it reads what prefetch left out. `node_available()` lets the sandbox fall back to
the simulator's built-in read/search endpoint. `FhirTestServer` is a minimal loading client with
the router's test extras (`$reset`, the request log).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

ROUTER_DIR = Path(__file__).resolve().parent / "fhirserver"
READY_PREFIX = "READY "
START_TIMEOUT_S = 30.0
NPM_TIMEOUT_S = 600.0


class FhirServerError(RuntimeError):
    """The FHIR server could not be installed, started or loaded."""


FHIR_JSON = "application/fhir+json"


@dataclass
class FhirTestServer:
    """Handle on a running router: its FHIR base URL and a minimal loading client."""

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


@dataclass
class RunningFhirServer:
    process: subprocess.Popen[bytes]
    base_url: str  # e.g. http://127.0.0.1:41234/fhir

    def stop(self) -> None:
        stop_process(self.process)


def node_available() -> bool:
    return shutil.which("node") is not None and (
        (ROUTER_DIR / "node_modules" / "@medplum" / "fhir-router").is_dir()
        or shutil.which("npm") is not None
    )


def install_router() -> None:
    """`npm ci` in sandbox/fhirserver when its node_modules is missing (first run only)."""
    if (ROUTER_DIR / "node_modules" / "@medplum" / "fhir-router").is_dir():
        return
    npm = shutil.which("npm")
    if npm is None:
        raise FhirServerError("npm is not installed; cannot install the Medplum FHIR router")
    done = subprocess.run(
        [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
        cwd=ROUTER_DIR,
        capture_output=True,
        text=True,
        timeout=NPM_TIMEOUT_S,
        check=False,
    )
    if done.returncode != 0:
        raise FhirServerError(f"npm ci in {ROUTER_DIR} failed:\n{done.stdout}\n{done.stderr}")


def start_router(
    log_path: Path, port: int = 0, *, node_env: str = "production"
) -> RunningFhirServer:
    """Start the router on 127.0.0.1 (`port` 0 = any free port) and wait until it is ready."""
    node = shutil.which("node")
    if node is None:
        raise FhirServerError("node is not installed")
    install_router()
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [node, str(ROUTER_DIR / "server.mjs"), str(port)],
            cwd=ROUTER_DIR,
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "NODE_ENV": node_env},
        )
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        for line in log_path.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith(READY_PREFIX):
                return RunningFhirServer(process, line[len(READY_PREFIX) :].strip().rstrip("/"))
        if process.poll() is not None:
            break
        time.sleep(0.05)
    stop_process(process)
    output = log_path.read_text(encoding="utf-8", errors="replace")
    raise FhirServerError(f"the FHIR server did not become ready:\n{output}")


def load_resources(base_url: str, resources: Iterable[Mapping[str, Any]]) -> int:
    """PUT every resource (each must have an id) into the server; returns how many were stored."""
    stored = 0
    with requests.Session() as http:
        for resource in resources:
            kind, resource_id = resource["resourceType"], resource["id"]
            answer = http.put(f"{base_url}/{kind}/{resource_id}", json=resource, timeout=10)
            if answer.status_code not in (200, 201):
                detail = f"HTTP {answer.status_code} {answer.text[:500]}"
                raise FhirServerError(f"PUT {kind}/{resource_id} failed: {detail}")
            stored += 1
    return stored


def stop_process(process: subprocess.Popen[Any]) -> None:
    """SIGTERM this one child, then SIGKILL it if it does not exit within 10 s."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
