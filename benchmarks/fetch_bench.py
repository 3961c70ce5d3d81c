"""How long prefetch resolution takes against the Medplum in-memory FHIR router.

Run: `.venv/bin/python -m benchmarks.fetch_bench [--rounds N] [--per-type N] [--latency-ms N]`
(needs node and `npm ci` in tests/fhirserver). Prints median and p95 for: all six keys prefetched
(no request), all six fetched in parallel, and all six fetched one at a time. `--latency-ms` puts
a loopback forwarder that waits that long per request in front of the router, standing in for
the network distance to a real EHR (the router itself is one single-threaded node process).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import requests

from cds_hooks import fetch
from fhir_mappings.prefetch_templates import PREFETCH_TEMPLATES

SERVER = Path(__file__).resolve().parent.parent / "tests" / "fhirserver" / "server.mjs"
TYPES = ("Condition", "Observation", "MedicationStatement", "MedicationRequest", "Procedure")


@contextmanager
def medplum() -> Iterator[str]:
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(["node", str(SERVER), "0"], stdout=log, stderr=log)
        try:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                log.seek(0)
                ready = [ln for ln in log.read().decode().splitlines() if ln.startswith("READY ")]
                if ready:
                    yield ready[0].split()[1]
                    return
                time.sleep(0.05)
            raise RuntimeError("FHIR server did not start")
        finally:
            process.terminate()
            process.wait(timeout=10)


@contextmanager
def delayed(base: str, latency_s: float) -> Iterator[str]:
    """A forwarder to `base` that waits `latency_s` before each answer."""
    origin = base.rsplit("/", 1)[0]

    class Forward(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            time.sleep(latency_s)
            answer = requests.get(origin + self.path, headers=dict(self.headers), timeout=10)
            self.send_response(answer.status_code)
            self.send_header("Content-Type", answer.headers["Content-Type"])
            self.send_header("Content-Length", str(len(answer.content)))
            self.end_headers()
            self.wfile.write(answer.content)

        def log_message(self, format: str, *args: Any) -> None:
            return

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Forward)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/fhir"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


def load(base: str, per_type: int) -> None:
    with requests.Session() as http:
        http.put(f"{base}/Patient/bench", json={"resourceType": "Patient", "id": "bench"})
        for kind in TYPES:
            for i in range(per_type):
                body: dict[str, Any] = {
                    "resourceType": kind,
                    "id": f"{kind}-{i}",
                    "subject": {"reference": "Patient/bench"},
                }
                http.put(f"{base}/{kind}/{kind}-{i}", json=body, timeout=10)


def timed(rounds: int, call: Callable[[], Any]) -> tuple[float, float]:
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return statistics.median(samples), samples[max(0, int(len(samples) * 0.95) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=50)
    parser.add_argument("--per-type", type=int, default=10)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    args = parser.parse_args()
    with medplum() as router:
        load(router, args.per_type)
        with delayed(router, args.latency_ms / 1000) as base:
            results = measure(base, args.rounds)
    print(f"{args.rounds} rounds, {args.per_type} resources per search type, ", end="")
    print(f"{args.latency_ms:g} ms added latency per request")
    for name, (median, p95) in results.items():
        print(f"{name:32s} median {median:7.2f} ms   p95 {p95:7.2f} ms")


def measure(base: str, rounds: int) -> dict[str, tuple[float, float]]:
    def resolve(prefetch: dict[str, Any] | None = None) -> fetch.ResolvedData:
        return fetch.resolve(
            prefetch or {}, patient_id="bench", fhir_server=base, access_token="bench-token",
            allowed_servers=[base], timeout_s=3.0,
        )  # fmt: skip

    full = resolve().values
    assert len(full) == len(PREFETCH_TEMPLATES)
    resolve()  # warm up node's JIT and the router
    results = {"all prefetched (no request)": timed(rounds, lambda: resolve(full))}
    results["6 keys fetched, parallel"] = timed(rounds, resolve)
    workers, fetch.MAX_WORKERS = fetch.MAX_WORKERS, 1
    try:
        results["6 keys fetched, one at a time"] = timed(rounds, resolve)
    finally:
        fetch.MAX_WORKERS = workers
    return results


if __name__ == "__main__":
    main()
