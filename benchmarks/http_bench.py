"""HTTP latency and throughput of `POST /cds-services/gist-treatment`, next to a trivial Flask
endpoint measured in the same run on the same gunicorn settings (the ratio is the figure that
survives a noisy 2-core machine).

    .venv/bin/python benchmarks/http_bench.py [--seconds 10] [--connections 4] [--patient FILE]

Prints p50/p95/p99 latency, requests per second and the ratio. Loopback only; bounded in time.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import requests

from fhir_mappings.prefetch_templates import KEY_OF_RESOURCE_TYPE

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PATIENT = ROOT / "sandbox" / "patients"

_TRIVIAL_APP = """
from flask import Flask, jsonify, request
app = Flask(__name__)
@app.post("/trivial")
def trivial():
    request.get_json()
    return jsonify({"cards": [{"summary": "ok", "indicator": "info", "source": {"label": "x"}}]})
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def request_body(bundle: dict[str, Any]) -> dict[str, Any]:
    """A patient-view request whose prefetch holds the bundle's resources as searchsets."""
    prefetch: dict[str, Any] = {
        key: {"resourceType": "Bundle", "type": "searchset", "entry": []}
        for key in KEY_OF_RESOURCE_TYPE.values()
        if key != "patient"
    }
    patient_id = "bench"
    for entry in bundle.get("entry", []):
        resource = entry.get("resource", {})
        key = KEY_OF_RESOURCE_TYPE.get(resource.get("resourceType"))
        if key == "patient":
            prefetch["patient"] = resource
            patient_id = resource.get("id", patient_id)
        elif key:
            prefetch[key]["entry"].append({"resource": resource})
    return {
        "hook": "patient-view",
        "hookInstance": str(uuid.uuid4()),
        "context": {"userId": "Practitioner/bench", "patientId": patient_id},
        "prefetch": prefetch,
    }


def pick_bundle(path: Path) -> dict[str, Any]:
    if path.is_dir():
        files = sorted(p for p in path.glob("*.json") if p.name != "manifest.json")
        if not files:
            raise SystemExit(f"no patient bundles in {path}")
        path = next((p for p in files if "adjuvant" in p.name), files[0])
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def wait_ready(url: str, deadline_s: float = 30) -> None:
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        try:
            requests.get(url, timeout=1)
            return
        except requests.ConnectionError:
            time.sleep(0.2)
    raise SystemExit(f"server at {url} did not start")


def load(url: str, body: bytes, seconds: float, connections: int) -> tuple[list[float], int]:
    """Closed-loop load: `connections` threads post back to back for `seconds`."""
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def worker() -> None:
        nonlocal errors
        session = requests.Session()
        headers = {"Content-Type": "application/json"}
        while time.monotonic() < stop:
            started = time.perf_counter()
            response = session.post(url, data=body, headers=headers, timeout=30)
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                latencies.append(elapsed)
                if response.status_code != 200:
                    errors += 1

    threads = [threading.Thread(target=worker) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, errors


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def report(name: str, latencies: list[float], errors: int, seconds: float) -> float:
    rps = len(latencies) / seconds
    print(
        f"{name:<14} n={len(latencies):>6}  errors={errors}  req/s={rps:8.1f}  "
        f"p50={statistics.median(latencies):6.2f} ms  p95={percentile(latencies, 95):6.2f} ms  "
        f"p99={percentile(latencies, 99):6.2f} ms"
    )
    return rps


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--patient", type=Path, default=DEFAULT_PATIENT)
    args = parser.parse_args()

    body = json.dumps(request_body(pick_bundle(args.patient))).encode()
    gist_port, trivial_port = free_port(), free_port()
    procs: list[subprocess.Popen[bytes]] = []
    with tempfile.TemporaryDirectory() as tmp:
        env = os.environ | {
            "GIST_CDS_AUTH": "off",
            "GIST_CDS_PUBLIC_BASE_URL": f"http://127.0.0.1:{gist_port}",
            "GIST_CDS_DATABASE_URL": f"sqlite:///{tmp}/bench.sqlite3",
            "GIST_CDS_LOG_LEVEL": "WARNING",
        }
        (Path(tmp) / "trivial_app.py").write_text(_TRIVIAL_APP)
        bin_dir = Path(sys.executable).parent
        try:
            procs.append(
                subprocess.Popen(
                    [
                        str(bin_dir / "gist-cds"),
                        "serve",
                        "--port",
                        str(gist_port),
                        "--workers",
                        str(args.workers),
                    ],
                    env=env,
                )
            )
            procs.append(
                subprocess.Popen(
                    [
                        str(bin_dir / "gunicorn"),
                        "-w",
                        str(args.workers),
                        "-k",
                        "sync",
                        "-b",
                        f"127.0.0.1:{trivial_port}",
                        "--log-level",
                        "warning",
                        "trivial_app:app",
                    ],
                    cwd=tmp,
                )
            )
            gist_url = f"http://127.0.0.1:{gist_port}/cds-services/gist-treatment"
            trivial_url = f"http://127.0.0.1:{trivial_port}/trivial"
            wait_ready(f"http://127.0.0.1:{gist_port}/healthz")
            wait_ready(f"http://127.0.0.1:{trivial_port}/")
            load(gist_url, body, 2, args.connections)  # warm-up, discarded
            load(trivial_url, body, 2, args.connections)
            print(f"body {len(body)} bytes, {args.connections} connections, {args.workers} workers")
            trivial = report(
                "trivial", *load(trivial_url, body, args.seconds, args.connections), args.seconds
            )
            gist = report(
                "gist-treatment",
                *load(gist_url, body, args.seconds, args.connections),
                args.seconds,
            )
            single, errors = load(gist_url, body, args.seconds / 2, 1)
            report("gist (1 conn)", single, errors, args.seconds / 2)
            print(f"throughput ratio gist/trivial = {gist / trivial:.3f}")
        finally:
            for proc in procs:
                proc.terminate()
            for proc in procs:
                proc.wait(timeout=10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
