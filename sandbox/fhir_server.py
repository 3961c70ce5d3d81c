"""Launches the loopback FHIR server the sandbox EHR keeps its patients in.

It is the same Medplum in-memory router the fetch tests use (`tests/fhirserver/server.mjs`), so the
service meets real FHIR search semantics when it reads what prefetch left out. Needs Node.js;
`node_available()` lets the caller fall back to the simulator's built-in read/search endpoint.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

ROUTER_DIR = Path(__file__).resolve().parent.parent / "tests" / "fhirserver"
READY_PREFIX = "READY "
START_TIMEOUT_S = 30.0
NPM_TIMEOUT_S = 600.0


class FhirServerError(RuntimeError):
    """The FHIR server could not be installed, started or loaded."""


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
    """`npm ci` in tests/fhirserver when its node_modules is missing (first run only)."""
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


def start_router(log_path: Path, port: int = 0) -> RunningFhirServer:
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
            env={**os.environ, "NODE_ENV": "production"},
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
