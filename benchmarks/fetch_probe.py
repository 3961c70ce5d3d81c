"""Where the fetch path's time goes, between "the slowest single search" and the service.

Against the suite's Medplum router on loopback (4 synthetic patients, as `make bench`), each
round asks, in turn: every template search alone and all of them together on warm keep-alive
connections (`bench.DirectSearches`), `cds_hooks.fetch.resolve` in-process with its per-worker
keep-alive pool, and one service call over HTTP (gunicorn, `gist-cds serve` settings). Medians:

- together - slowest alone: the server answering concurrent searches in turn (not the service);
- resolve - together: the service's fetch machinery (threads, requests, limits, JSON);
- service - resolve: the rest of the call (case, rules, cards, audit, HTTP), as with prefetch.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Sequence
from typing import Any

from benchmarks import procs
from benchmarks.bench import SERVICE_PATH, DirectSearches, fetch_body, fetch_patients, post
from cds_hooks import fetch

Json = dict[str, Any]


def _resolve_ms(base: str, patient_id: str) -> float:
    started = time.perf_counter()
    fetch.resolve(
        None,
        patient_id=patient_id,
        fhir_server=base,
        access_token="probe",
        allowed_servers=[base],
        timeout_s=10,
    )
    return (time.perf_counter() - started) * 1000


def probe(base: str, patients: list[list[Json]], rounds: int) -> Json:
    direct = DirectSearches(base)
    samples: dict[str, list[float]] = {"together": [], "resolve": [], "service": []}
    alone: dict[str, list[float]] = {}
    try:
        with procs.gunicorn("service", env={"GIST_CDS_FHIR_ALLOWLIST": base}) as server:
            for round_ in range(rounds + 2):  # two warm-up rounds
                resources = patients[round_ % len(patients)]
                pid = resources[0]["id"]
                singles = direct.alone(pid)
                figures = {"together": direct.together(pid), "resolve": _resolve_ms(base, pid)}
                status, figures["service"] = post(
                    server.port, SERVICE_PATH, fetch_body(resources, base)
                )
                if status != 200:
                    raise RuntimeError(f"service answered {status}")
                if round_ < 2:
                    continue
                for key, ms in singles.items():
                    alone.setdefault(key, []).append(ms)
                for name, ms in figures.items():
                    samples[name].append(ms)
    finally:
        direct.close()
    medians = {key: round(statistics.median(v), 1) for key, v in alone.items()}
    return {
        "alone_ms": medians,
        "slowest_alone_ms": max(medians.values()),
        "sum_alone_ms": round(sum(medians.values()), 1),
    } | {f"{name}_ms": round(statistics.median(v), 1) for name, v in samples.items()}


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
