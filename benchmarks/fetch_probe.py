"""Where the fetch path's time goes, between "the slowest single search" and the service.

Against the suite's Medplum router on loopback (4 synthetic patients, as `make bench`), the
median of `--rounds` rounds of, in turn:

1. each template search alone on a warm keep-alive connection (bench.py's "slowest search");
2. all six searches sent together from six warm connections (what the service asks the router
   for; the router is one node process, so this is the floor for any client);
3. `cds_hooks.fetch.resolve` in-process with its per-worker pooled session (the service's fetch);
4. the whole service call over HTTP (gunicorn, `gist-cds serve` settings).

The differences: 2 - 1 is the router answering concurrent searches in turn (not the service);
3 - 2 is the service's fetch machinery; 4 - 3 is the rest of the call (case, rules, cards, HTTP).
"""

from __future__ import annotations

import argparse
import http.client
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any

from benchmarks import procs
from benchmarks.bench import SERVICE_PATH, fetch_body, fetch_patients, post
from cds_hooks import fetch
from fhir_mappings.prefetch_templates import PREFETCH_TEMPLATES, render

Json = dict[str, Any]


def _median_ms(samples: list[float]) -> float:
    return round(statistics.median(samples) * 1000, 1)


def _connections(base: str, count: int) -> list[http.client.HTTPConnection]:
    host, port = base.split("://", 1)[1].split("/", 1)[0].split(":")
    return [http.client.HTTPConnection(host, int(port), timeout=10) for _ in range(count)]


def _get(conn: http.client.HTTPConnection, path: str) -> None:
    conn.request("GET", path, headers={"Accept": "application/fhir+json"})
    reply = conn.getresponse()
    reply.read()
    if reply.status != 200:
        raise RuntimeError(f"GET {path}: {reply.status}")


def _timed(call: Callable[[], object]) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def _together(
    pool: ThreadPoolExecutor, conns: list[http.client.HTTPConnection], urls: list[str]
) -> None:
    list(pool.map(_get, conns, urls))


def _resolve(base: str, patient_id: str) -> None:
    fetch.resolve(
        None,
        patient_id=patient_id,
        fhir_server=base,
        access_token="probe",
        allowed_servers=[base],
        timeout_s=10,
    )


def probe(base: str, patients: list[list[Json]], rounds: int) -> Json:
    ids = [p[0]["id"] for p in patients]
    paths = {k: "/fhir/" + render(t, "{}") for k, t in PREFETCH_TEMPLATES.items()}
    conns = _connections(base, len(paths))
    pool = ThreadPoolExecutor(max_workers=len(paths))
    alone: dict[str, list[float]] = {k: [] for k in paths}
    together: list[float] = []
    resolved: list[float] = []
    service: list[float] = []
    with procs.gunicorn("service", env={"GIST_CDS_FHIR_ALLOWLIST": base}) as server:
        for i in range(rounds + 2):  # two warm-up rounds
            pid = ids[i % len(ids)]
            one = {k: _timed(partial(_get, conns[0], p.format(pid))) for k, p in paths.items()}
            urls = [p.format(pid) for p in paths.values()]
            both = _timed(partial(_together, pool, conns, urls))
            res = _timed(partial(_resolve, base, pid))
            status, ms = post(server.port, SERVICE_PATH, fetch_body(patients[i % len(ids)], base))
            if status != 200:
                raise RuntimeError(f"service answered {status}")
            if i < 2:
                continue
            for k, t in one.items():
                alone[k].append(t)
            together.append(both)
            resolved.append(res)
            service.append(ms / 1000)
    pool.shutdown()
    for c in conns:
        c.close()
    medians = {k: _median_ms(v) for k, v in alone.items()}
    return {
        "alone_ms": medians,
        "slowest_alone_ms": max(medians.values()),
        "sum_alone_ms": round(sum(medians.values()), 1),
        "together_ms": _median_ms(together),
        "resolve_ms": _median_ms(resolved),
        "service_ms": _median_ms(service),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--patients", type=int, default=4)
    args = parser.parse_args(argv)
    with procs.medplum() as base:
        patients = fetch_patients(base, args.patients)
        found = probe(base, patients, args.rounds)
    for key, value in found.items():
        print(f"{key}: {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
