"""Soak test: steady mixed load on a real `gist-cds serve` for N minutes (`make soak`).

    .venv/bin/python benchmarks/soak.py [--minutes 10] [--rate 15] [--database-url URL]

Authentication is on, with a trusted client generated for the run (ES384 key, static JWKS); every
request carries a fresh JWT for the exact URL called. The mix: patient-view calls built from the
sandbox patients' bundles (read as JSON), discovery, and feedback posts on the cards received.
The run is bounded in time and in request count, on loopback only. It reports, per minute, the
latency p50/p95/p99 and the drift of the last minute against the first, the RSS of the gunicorn
master and workers (VmRSS from /proc), and compares the feedback rows in the database with the
feedback posts acknowledged. Exit status 1 when a bound is broken: any error, RSS growth of 10 %
or more, feedback rows != acknowledged posts, or a p50 drift over `--max-drift`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jwt
import requests
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm

from cds_hooks.storage import Storage

ROOT = Path(__file__).resolve().parent.parent
PATIENTS = ROOT / "sandbox" / "patients"
ISSUER = "https://soak.example.test/cds-client"
KID = "soak-1"
SERVICE = "cds-services/gist-treatment"
MAX_RSS_GROWTH = 0.10
RSS_SAMPLE_S = 5.0
KEYS = {
    "Patient": "patient",
    "Condition": "conditions",
    "Observation": "observations",
    "MedicationStatement": "medicationStatements",
    "MedicationRequest": "medicationRequests",
    "Procedure": "procedures",
}


# --- auth and data ---------------------------------------------------------------------------


class Client:
    """A CDS client: an ES384 key published as a static JWKS; mints a JWT per request."""

    def __init__(self) -> None:
        self.key = ec.generate_private_key(ec.SECP384R1())

    def trusted_clients(self) -> list[dict[str, Any]]:
        jwk = ECAlgorithm.to_jwk(self.key.public_key(), as_dict=True)
        jwks = {"keys": [{**jwk, "kid": KID, "alg": "ES384", "use": "sig"}]}
        return [{"iss": ISSUER, "jwks": jwks, "fhir_servers": []}]

    def token(self, audience: str) -> str:
        now = int(time.time())
        claims = {
            "iss": ISSUER,
            "aud": audience,
            "iat": now,
            "exp": now + 300,
            "jti": str(uuid.uuid4()),
        }
        return jwt.encode(claims, self.key, algorithm="ES384", headers={"kid": KID, "typ": "JWT"})


def hook_bodies() -> list[dict[str, Any]]:
    """One patient-view request per sandbox patient: prefetch built from its bundle entries."""
    bodies = []
    for path in sorted(PATIENTS.glob("sb*.json")):
        bundle = json.loads(path.read_text(encoding="utf-8"))
        prefetch: dict[str, Any] = {
            key: {"resourceType": "Bundle", "type": "searchset", "entry": []}
            for key in KEYS.values()
            if key != "patient"
        }
        patient_id = path.stem[:4]
        for entry in bundle.get("entry", []):
            resource = entry.get("resource", {})
            key = KEYS.get(resource.get("resourceType"))
            if key == "patient":
                prefetch["patient"] = resource
                patient_id = str(resource.get("id", patient_id))
            elif key is not None:
                prefetch[key]["entry"].append({"resource": resource})
        bodies.append(
            {
                "hook": "patient-view",
                "context": {"userId": "Practitioner/soak", "patientId": patient_id},
                "prefetch": prefetch,
            }
        )
    if not bodies:
        raise SystemExit(f"no sandbox patients found in {PATIENTS}")
    return bodies


# --- the server ------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def start_server(
    work: Path, client: Client, database_url: str, workers: int
) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    clients = work / "trusted-clients.json"
    clients.write_text(json.dumps(client.trusted_clients()), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIST_CDS_")}
    env |= {
        "GIST_CDS_AUTH": "on",
        "GIST_CDS_TRUSTED_CLIENTS": str(clients),
        "GIST_CDS_DATABASE_URL": database_url,
        "GIST_CDS_PUBLIC_BASE_URL": base_url,
        "GIST_CDS_LOG_LEVEL": "WARNING",
    }
    command = [str(Path(sys.executable).parent / "gist-cds"), "serve", "--host", "127.0.0.1"]
    command += ["--port", str(port), "--workers", str(workers)]
    with (work / "serve.log").open("wb") as log:
        process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if requests.get(f"{base_url}/healthz", timeout=2).status_code == 200:
                return process, base_url
        except requests.RequestException:
            pass
        time.sleep(0.2)
    stop_server(process)
    raise SystemExit("gist-cds serve did not become healthy:\n" + (work / "serve.log").read_text())


def stop_server(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def process_tree(pid: int) -> list[int]:
    """The master and its direct children (the workers), from /proc."""
    pids = [pid]
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid and fields[0] != "Z":
                pids.append(int(entry.name))
    return pids


def rss_kib(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total


# --- the load --------------------------------------------------------------------------------


@dataclass
class Tally:
    started: float
    latencies: dict[int, list[float]] = field(default_factory=lambda: defaultdict(list))
    counts: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    errors: list[str] = field(default_factory=list)
    feedback_stored: int = 0
    cards: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, kind: str, sent_at: float, seconds: float) -> None:
        """Latency by the minute the request was sent in (so the last one stays in the run)."""
        minute = int((sent_at - self.started) // 60)
        with self.lock:
            self.latencies[minute].append(seconds * 1000)
            self.counts[kind] += 1


def one_request(
    http: requests.Session,
    base_url: str,
    client: Client,
    bodies: list[dict[str, Any]],
    tally: Tally,
    rng: random.Random,
    sequence: int,
) -> None:
    roll = rng.random()
    body: dict[str, Any] | None
    card = None
    if 0.10 <= roll < 0.30:  # one outcome per card and client: each card is reported once
        with tally.lock:
            card = tally.cards.pop(rng.randrange(len(tally.cards))) if tally.cards else None
    if roll < 0.10:
        kind, path, body = "discovery", "cds-services", None
    elif roll < 0.30 and card is not None:
        stamp = dt.datetime(2026, 1, 1, tzinfo=dt.UTC) + dt.timedelta(seconds=sequence)
        item: dict[str, Any] = {
            "card": card,
            "outcome": "overridden",
            "outcomeTimestamp": stamp.isoformat(),
            "overrideReason": {"userComment": f"soak {sequence}"},
        }
        kind, path, body = "feedback", SERVICE + "/feedback", {"feedback": [item]}
    else:
        kind, path = "patient-view", SERVICE
        body = {**rng.choice(bodies), "hookInstance": str(uuid.uuid4())}
    url = f"{base_url}/{path}"
    headers = {"Authorization": f"Bearer {client.token(url)}", "Accept": "application/json"}
    started = time.monotonic()
    try:
        if body is None:
            response = http.get(url, headers=headers, timeout=30)
        else:
            response = http.post(url, json=body, headers=headers, timeout=30)
    except requests.RequestException as exc:
        with tally.lock:
            tally.errors.append(f"{kind}: {type(exc).__name__}")
        return
    tally.record(kind, started, time.monotonic() - started)
    if response.status_code != 200:
        with tally.lock:
            tally.errors.append(f"{kind}: HTTP {response.status_code} {response.text[:200]}")
        return
    answer = response.json()
    with tally.lock:
        if kind == "feedback":
            tally.feedback_stored += int(answer["stored"])
        elif kind == "patient-view" and answer["cards"] and len(tally.cards) < 500:
            tally.cards.append(answer["cards"][0]["uuid"])


def run_load(
    base_url: str, client: Client, seconds: float, rate: float, threads: int, tally: Tally
) -> None:
    """`threads` clients, each on its own schedule, together `rate` requests per second."""
    bodies = hook_bodies()
    deadline = tally.started + seconds
    limit = int(rate * seconds * 1.05) + threads  # the count bound
    issued = [0]
    issue_lock = threading.Lock()

    def worker(index: int) -> None:
        rng = random.Random(index)
        http = requests.Session()
        interval = threads / rate
        next_at = time.monotonic() + index * interval / threads
        while True:
            now = time.monotonic()
            if now >= deadline:
                break
            if next_at > now:
                time.sleep(min(next_at - now, deadline - now))
                continue
            with issue_lock:
                if issued[0] >= limit:
                    break
                issued[0] += 1
                sequence = issued[0]
            one_request(http, base_url, client, bodies, tally, rng, sequence)
            next_at += interval
        http.close()

    pool = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(timeout=seconds + 60)


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def feedback_rows(database_url: str) -> int:
    storage = Storage(database_url)
    try:
        return storage.count_feedback()
    finally:
        storage.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--rate", type=float, default=15.0, help="requests per second, in all")
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--database-url", help="default: a new SQLite file for the run")
    parser.add_argument("--max-drift", type=float, default=2.0, help="last/first minute p50")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args(argv)

    client = Client()
    with tempfile.TemporaryDirectory(prefix="gist-soak-") as tmp:
        work = Path(tmp)
        database_url = args.database_url or f"sqlite:///{work / 'soak.sqlite3'}"
        rows_before = feedback_rows(database_url) if args.database_url else 0
        process, base_url = start_server(work, client, database_url, args.workers)
        seconds = args.minutes * 60
        tally = Tally(started=time.monotonic())
        rss: list[tuple[float, int]] = []
        stop = threading.Event()

        def sample() -> None:
            while not stop.is_set():
                rss.append((time.monotonic() - tally.started, rss_kib(process_tree(process.pid))))
                stop.wait(RSS_SAMPLE_S)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        try:
            run_load(base_url, client, seconds, args.rate, args.threads, tally)
        finally:
            stop.set()
            sampler.join(timeout=10)
            stop_server(process)
        rows = feedback_rows(database_url) - rows_before

    return report(args, tally, rss, rows)


def report(args: argparse.Namespace, tally: Tally, rss: list[tuple[float, int]], rows: int) -> int:
    minutes = sorted(tally.latencies)
    per_minute = [
        {
            "minute": minute + 1,
            "requests": len(tally.latencies[minute]),
            "p50_ms": round(percentile(tally.latencies[minute], 50), 1),
            "p95_ms": round(percentile(tally.latencies[minute], 95), 1),
            "p99_ms": round(percentile(tally.latencies[minute], 99), 1),
        }
        for minute in minutes
    ]
    # RSS baseline once the workers are warm (a fifth into the run), against the last sample
    warm = [kib for at, kib in rss if at >= args.minutes * 60 / 5] or [kib for _, kib in rss]
    growth = (warm[-1] - warm[0]) / warm[0] if warm else 0.0
    drift = per_minute[-1]["p50_ms"] / per_minute[0]["p50_ms"] if per_minute else 0.0
    figures = {
        "minutes": args.minutes,
        "requests": dict(tally.counts),
        "errors": len(tally.errors),
        "latency_per_minute": per_minute,
        "p50_drift_last_vs_first": round(drift, 2),
        "rss_kib_warm_first_last": [warm[0], warm[-1]] if warm else [],
        "rss_growth_pct": round(growth * 100, 2),
        "feedback_posts_acknowledged": tally.feedback_stored,
        "feedback_posts_sent": tally.counts.get("feedback", 0),
        "feedback_rows": rows,
        "all_latencies_p50_p95_p99_ms": [
            round(percentile(all_ms, p), 1)
            for all_ms in [[v for m in minutes for v in tally.latencies[m]]]
            for p in (50, 95, 99)
        ]
        if minutes
        else [],
    }
    print(json.dumps(figures, indent=2))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2), encoding="utf-8")
    broken = []
    if tally.errors:
        broken.append(f"{len(tally.errors)} errors, e.g. {tally.errors[:3]}")
    if growth >= MAX_RSS_GROWTH:
        broken.append(f"RSS grew {growth:.1%} (bound {MAX_RSS_GROWTH:.0%})")
    if not (rows == tally.feedback_stored == tally.counts.get("feedback", 0)):
        broken.append(f"feedback rows {rows} != posts {tally.feedback_stored}")
    if drift > args.max_drift:
        broken.append(f"p50 drift {drift:.2f}x over {args.max_drift}x")
    if not tally.counts.get("patient-view"):
        broken.append("no patient-view call was made")
    for problem in broken:
        print(f"SOAK FAILED: {problem}", file=sys.stderr)
    if not broken:
        print(f"soak passed: {sum(tally.counts.values())} requests, 0 errors", file=sys.stderr)
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
