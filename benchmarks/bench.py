"""`make bench`: the service measured against the floor, on requests it has never seen.

    .venv/bin/python -m benchmarks.bench [--seconds 10] [--patients 8000] [--quick] [--out DIR]

1. Floor and service: a trivial Flask endpoint (parses the JSON body, answers one card) and the
   service, both under `gist-cds serve`'s gunicorn settings (2 sync workers;
   `benchmarks/gunicorn_app.py`), loaded by `wrk`
   with distinct synthetic patient-view requests (benchmarks/synthetic.py) at 8 and 1
   connections. The trivial endpoint is run with 1 and 2 wrk threads: when a second wrk thread
   does not raise its throughput (and wrk's own CPU share stays small), wrk is not the limit.
2. Scale: one patient with 10 / 100 / 1,000 / 10,000 Observations, each size on a fresh
   one-worker server: latency and peak RSS of the worker.
3. Fetch path: no prefetch, the service reads the suite's Medplum FHIR router on loopback;
   compared with the slowest single search measured directly (+ 5 ms), the issue's target, and
   with all searches sent together (the floor on a server that answers them in turn).
4. Mixed load: wrk keeps 8 connections of prefetch calls busy while calls without prefetch (whose
   FHIR server answers each search 200 ms late) arrive at a fixed rate (open loop); per worker
   model, the rate is searched (at most three runs) at which the fetch calls are 10 % of the
   calls handled, and the prefetch throughput kept is reported at that share.

Everything runs on 127.0.0.1, every phase is bounded in time, every process is stopped by pid.
Writes benchmarks/results/bench-<UTC time>.json and prints the tables (Markdown).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import datetime as dt
import http.client
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from benchmarks import procs, synthetic, wrk
from fhir_mappings.prefetch_templates import PREFETCH_TEMPLATES, render

RESULTS = Path(__file__).resolve().parent / "results"
SERVICE_PATH = "/cds-services/gist-treatment"
TRIVIAL_PATH = "/cds-services/trivial"
FETCH_DELAY_S = 0.2
FETCH_SHARE = 0.10
Json = dict[str, Any]


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def machine() -> Json:
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    wrk_version = subprocess.run(
        [wrk.wrk_binary(), "-v"], capture_output=True, text=True, check=False
    ).stdout.splitlines()
    return {
        "cpus": os.cpu_count(),
        "cpu": cpu,
        "python": platform.python_version(),
        "wrk": wrk_version[0] if wrk_version else "?",
        "kernel": platform.release(),
    }


def post(port: int, path: str, body: bytes, timeout_s: float = 60) -> tuple[int, float]:
    """One POST on a new loopback connection: (status, milliseconds)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout_s)
    try:
        started = time.perf_counter()
        conn.request("POST", path, body=body, headers={"Content-Type": "application/json"})
        reply = conn.getresponse()
        reply.read()
        return reply.status, (time.perf_counter() - started) * 1000
    finally:
        conn.close()


def split(pool: list[bytes], parts: int) -> list[list[bytes]]:
    """A small warm-up share, then `parts` equal disjoint slices of the pool (none empty)."""
    if len(pool) < parts + 1:
        raise SystemExit(f"need at least {parts + 1} distinct requests, got {len(pool)}")
    warm = max(1, min(50, len(pool) // 20))
    size = (len(pool) - warm) // parts
    return [pool[:warm]] + [pool[warm + i * size : warm + (i + 1) * size] for i in range(parts)]


def percentile(values: Sequence[float], pct: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


# --- 1. floor and service ---------------------------------------------------------------------


def floor_and_service(pool: list[bytes], seconds: float, workdir: Path) -> Json:
    warm, at_8, at_1 = split(pool, 2)
    out: Json = {"load_average_before": load_average()}
    with procs.gunicorn("trivial") as trivial, procs.gunicorn("service") as service:
        t_url = f"http://127.0.0.1:{trivial.port}{TRIVIAL_PATH}"
        s_url = f"http://127.0.0.1:{service.port}{SERVICE_PATH}"
        wrk.run(t_url, pool, label="warm-trivial", workdir=workdir, seconds=2, connections=8)
        wrk.run(s_url, warm, label="warm-service", workdir=workdir, seconds=2, connections=8)
        saturation = []
        for threads in (1, 2, 1, 2):
            cpu_before = trivial.worker_cpu_s()
            result = wrk.run(
                t_url, pool, label=f"trivial-t{threads}", workdir=workdir, seconds=seconds,
                connections=8, threads=threads,
            )  # fmt: skip
            row = result.as_dict() | {"server_cpu_s": round(trivial.worker_cpu_s() - cpu_before, 2)}
            saturation.append(row)
        best = max(saturation, key=lambda r: float(r["rps"]))
        threads = int(best["threads"])
        trivial_1 = wrk.run(
            t_url, pool, label="trivial-c1", workdir=workdir, seconds=seconds, connections=1
        )
        cpu_before = service.worker_cpu_s()
        service_8 = wrk.run(
            s_url, at_8, label="service-c8", workdir=workdir, seconds=seconds, connections=8,
            threads=threads,
        )  # fmt: skip
        service_cpu = service.worker_cpu_s() - cpu_before
        service_1 = wrk.run(
            s_url, at_1, label="service-c1", workdir=workdir, seconds=seconds, connections=1
        )
        out |= {
            "saturation": saturation,
            "trivial_8": best,
            "trivial_1": trivial_1.as_dict(),
            "service_8": service_8.as_dict() | {"server_cpu_s": round(service_cpu, 2)},
            "service_1": service_1.as_dict(),
            "trivial_peak_rss_mb": trivial.peak_rss_per_worker_mb(),
            "service_peak_rss_mb": service.peak_rss_per_worker_mb(),
        }
    out["throughput_ratio"] = round(service_8.rps / float(best["rps"]), 4)
    # CPU per request survives a shared machine better than req/s: the workers' CPU seconds
    # over the requests they answered, and what that predicts for the throughput ratio.
    trivial_cpu_ms = 1000 * float(best["server_cpu_s"]) / int(best["requests"])
    service_cpu_ms = 1000 * service_cpu / max(1, service_8.requests)
    wrk_cpu_ms = 1000 * float(best["wrk_cpu_s"]) / int(best["requests"])
    out["cpu_ms_per_request"] = {
        "trivial": round(trivial_cpu_ms, 3),
        "service": round(service_cpu_ms, 3),
        "wrk_per_trivial_request": round(wrk_cpu_ms, 3),
    }
    out["cpu_ratio"] = round(trivial_cpu_ms / service_cpu_ms, 4) if service_cpu_ms else 0.0
    out["load_average_after"] = load_average()
    return out


# --- 2. scale ----------------------------------------------------------------------------------


def scale(sizes: Sequence[int], repeats: int) -> list[Json]:
    rows = []
    for size in sizes:
        bodies = [
            json.dumps(
                synthetic.request_body(synthetic.patient_resources(900_000 + i, observations=size))
            ).encode()
            for i in range(repeats + 1)
        ]
        with procs.gunicorn("service", workers=1) as server:
            statuses, times = [], []
            for body in bodies:
                status, ms = post(server.port, SERVICE_PATH, body)
                statuses.append(status)
                times.append(ms)
            rss = server.peak_rss_per_worker_mb()
        measured = times[1:]  # the first call of a fresh worker is shown apart
        rows.append(
            {
                "observations": size,
                "body_kb": round(statistics.mean(len(b) for b in bodies) / 1024, 1),
                "first_call_ms": round(times[0], 1),
                "median_ms": round(statistics.median(measured), 1),
                "max_ms": round(max(measured), 1),
                "peak_rss_mb": max(rss),
                "statuses": sorted(set(statuses)),
                "calls": len(measured),
            }
        )
    return rows


# --- 3. fetch path -----------------------------------------------------------------------------


def fetch_patients(base: str, count: int) -> list[list[Json]]:
    """`count` distinct synthetic patients stored in the FHIR server at `base`."""
    patients = [synthetic.patient_resources(800_000 + i) for i in range(count)]
    host, port = base.split("://", 1)[1].split("/", 1)[0].split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        for resources in patients:
            for res in resources:
                conn.request(
                    "PUT", f"/fhir/{res['resourceType']}/{res['id']}", body=json.dumps(res),
                    headers={"Content-Type": "application/fhir+json"},
                )  # fmt: skip
                reply = conn.getresponse()
                reply.read()
                if reply.status not in (200, 201):
                    raise RuntimeError(f"PUT {res['resourceType']}/{res['id']}: {reply.status}")
    finally:
        conn.close()
    return patients


class DirectSearches:
    """The template searches asked of the FHIR server directly, on warm keep-alive connections
    (as the service's pooled ones are): one at a time on one connection, and all at once on one
    connection each. All at once is what the service asks of the server; a server that answers
    concurrent searches in turn (the Medplum router is one node process doing CPU work per
    search) needs about the sum of the single searches for it, whatever the client does."""

    def __init__(self, base: str) -> None:
        host, port = base.split("://", 1)[1].split("/", 1)[0].split(":")
        self.paths = {key: "/fhir/" + t for key, t in PREFETCH_TEMPLATES.items()}
        self.conns = [http.client.HTTPConnection(host, int(port), timeout=10) for _ in self.paths]
        self.pool = concurrent.futures.ThreadPoolExecutor(max_workers=len(self.paths))

    @staticmethod
    def _get(conn: http.client.HTTPConnection, path: str) -> float:
        started = time.perf_counter()
        conn.request("GET", path)
        conn.getresponse().read()
        return (time.perf_counter() - started) * 1000

    def alone(self, patient_id: str) -> dict[str, float]:
        return {k: self._get(self.conns[0], render(p, patient_id)) for k, p in self.paths.items()}

    def together(self, patient_id: str) -> float:
        urls = [render(path, patient_id) for path in self.paths.values()]
        started = time.perf_counter()
        list(self.pool.map(self._get, self.conns, urls))
        return (time.perf_counter() - started) * 1000

    def close(self) -> None:
        self.pool.shutdown()
        for conn in self.conns:
            conn.close()


def fetch_body(resources: list[Json], base: str) -> bytes:
    return json.dumps(synthetic.request_body(resources, fhir_server=base)).encode()


def fetch_path(base: str, patients: list[list[Json]], calls: int) -> Json:
    """The service without prefetch against the searches asked directly. Each round asks every
    search alone, then all together, then makes one service call, so the three figures share the
    machine's load of the moment (measured one phase after the other, a load spike during one
    phase moved the ratio by ±0.4 on this shared machine)."""
    direct = DirectSearches(base)
    alone: dict[str, list[float]] = {key: [] for key in PREFETCH_TEMPLATES}
    together: list[float] = []
    times: list[float] = []
    statuses: list[int] = []
    try:
        with procs.gunicorn("service", env={"GIST_CDS_FHIR_ALLOWLIST": base}) as server:
            for round_ in range(calls + 2):  # two warm-up rounds (connections, worker caches)
                resources = patients[round_ % len(patients)]
                patient_id = resources[0]["id"]
                singles = direct.alone(patient_id)
                all_at_once = direct.together(patient_id)
                status, ms = post(server.port, SERVICE_PATH, fetch_body(resources, base))
                if round_ < 2:
                    continue
                for key, single_ms in singles.items():
                    alone[key].append(single_ms)
                together.append(all_at_once)
                times.append(ms)
                statuses.append(status)
    finally:
        direct.close()
    medians = {key: round(statistics.median(v), 2) for key, v in alone.items()}
    slowest = max(medians, key=lambda k: medians[k])
    together_ms = statistics.median(together)
    bound = 1.3 * medians[slowest] + 5
    median = statistics.median(times)
    return {
        "median_ms_per_search": medians,
        "slowest": slowest,
        "slowest_ms": medians[slowest],
        "sum_ms": round(sum(medians.values()), 2),
        "together_ms": round(together_ms, 2),
        "service_median_ms": round(median, 2),
        "service_p90_ms": round(percentile(times, 90), 2),
        "calls": calls,
        "statuses": sorted(set(statuses)),
        "target_ms": round(bound, 2),
        "vs_slowest_plus_5ms": round(median / (medians[slowest] + 5), 2),
        # not the target: what the service adds to what the server needs for the same searches
        "vs_together": round(median / together_ms, 2),
        "met": median <= bound,
    }


# --- 4. mixed load -----------------------------------------------------------------------------


def open_loop(
    rate_per_s: float, seconds: float, call: Callable[[int], tuple[int, float]]
) -> list[tuple[int, float]]:
    """Start `call(i)` every 1/rate seconds for `seconds`, whatever the answers take."""
    results: list[tuple[int, float]] = []
    lock = threading.Lock()

    def one(i: int) -> None:
        try:
            outcome = call(i)
        except OSError:
            outcome = (0, float("nan"))
        with lock:
            results.append(outcome)

    with concurrent.futures.ThreadPoolExecutor(max_workers=64) as pool:
        started = time.monotonic()
        i = 0
        while (due := started + i / rate_per_s) < started + seconds:
            time.sleep(max(0.0, due - time.monotonic()))
            pool.submit(one, i)
            i += 1
    return results


def fetch_calls(
    port: int, front: str, patients: list[list[Json]], rate: float, seconds: float
) -> list[tuple[int, float]]:
    """Calls without prefetch (the service reads `front`) at `rate` per second, open loop (the
    bodies are encoded before the clock starts: the sender shares the machine with the service)."""
    bodies = [fetch_body(resources, front) for resources in patients]
    return open_loop(rate, seconds, lambda i: post(port, SERVICE_PATH, bodies[i % len(bodies)], 30))


#: `gist-cds serve`'s worker model: (worker class, workers, threads, keep-alive seconds).
SERVE = ("sync", 2, 1, 0)


#: Runs of the mixed phase per worker model at most: the first at 1/9 of the prefetch calls
#: measured alone, then at the rate that makes the fetch calls 10 % of the calls handled.
MIXED_RUNS = 5
#: A mixed run whose fetch share is this close to FETCH_SHARE ends the search for the rate.
SHARE_TOLERANCE = 0.01


def share_matched_rate(alone_rps: float, rate: float, mixed_rps: float) -> float:
    """The arrival rate of fetch calls at which they are FETCH_SHARE of all calls handled.

    Prefetch throughput is taken as falling linearly with the fetch rate, through the point
    measured alone (rate 0) and the last mixed run: p(r) = alone - slope * r. The rate r with
    r / (r + p(r)) = FETCH_SHARE is r = alone / (1 / odds + slope), odds = share / (1 - share).
    A fixed rate of 1/9 of the baseline overstates the share wherever the fetch calls slow the
    prefetch calls down (at 28.5 fetch calls a second beside 93.7 prefetch calls, 23 %)."""
    odds = FETCH_SHARE / (1 - FETCH_SHARE)
    slope = max(0.0, (alone_rps - mixed_rps) / rate) if rate > 0 else 0.0
    return max(0.5, alone_rps / (1 / odds + slope))


def _share(rate: float, prefetch_rps: float) -> float:
    return rate / (rate + prefetch_rps) if rate > 0 else 0.0


def _rate_on_line(low: tuple[float, float], high: tuple[float, float]) -> float | None:
    """Where the line of prefetch throughput through two (fetch rate, prefetch calls/s) points
    meets the fetch rate that is FETCH_SHARE of all calls: p(r) = r / odds."""
    (r1, p1), (r2, p2) = low, high
    if r2 == r1:
        return None  # two runs at one rate (noise aside) say nothing of the slope
    slope = (p2 - p1) / (r2 - r1)
    denominator = (1 - FETCH_SHARE) / FETCH_SHARE - slope
    return (p1 - slope * r1) / denominator if denominator > 0 else None


def next_fetch_rate(alone_rps: float, runs: Sequence[tuple[float, float]]) -> float:
    """The fetch rate to try after `runs`, each (fetch rate, prefetch calls per second).

    The fetch share rises with the rate, so the runs so far bracket the answer between the
    fastest run below FETCH_SHARE (or the baseline, rate 0) and the slowest run above it, and
    every rate tried lies inside that bracket. Below the point where fetch calls take every
    worker, prefetch throughput falls about linearly with the fetch rate, so the first choice is
    the line through the two fastest points below the target, then the line across the bracket
    (`share_matched_rate` is that line from the baseline) when the last run was near the
    target. Past that point the prefetch calls collapse (stop 20, sync 2x1: a 60 % share at
    12.8 calls a second) and no line fits; the share itself is then interpolated across the
    bracket (regula falsi)."""
    points = [(0.0, alone_rps), *runs]
    below = sorted((p for p in points if _share(*p) < FETCH_SHARE), key=lambda p: p[0])
    above = min((p for p in points if _share(*p) > FETCH_SHARE), key=lambda p: p[0], default=None)
    if above is None:
        return share_matched_rate(alone_rps, *runs[-1])
    low, width = below[-1], above[0] - below[-1][0]
    lines = [_rate_on_line(*below[-2:])] if len(below) >= 2 else []
    if FETCH_SHARE / 2 <= _share(*runs[-1]) <= 2 * FETCH_SHARE:
        lines.append(_rate_on_line(low, above))
    for rate in lines:
        if rate is not None and low[0] + 0.05 * width < rate < above[0] - 0.05 * width:
            return rate
    low_share, high_share = _share(*low), _share(*above)
    return low[0] + (FETCH_SHARE - low_share) * width / (high_share - low_share)


def _harness_cpu_s(front: procs.NodeServer) -> float:
    """CPU seconds so far of what stands in for the EHR and its FHIR server: this process (the
    fetch-call sender) and the slow front."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime + front.cpu_s()


def mixed_run(
    server: procs.Server,
    url: str,
    bodies: list[bytes],
    rate: float,
    seconds: float,
    workdir: Path,
    front: procs.NodeServer,
    patients: list[list[Json]],
    prefetch_cpu_ms: float,
) -> Json:
    """One run: wrk's 8 connections of prefetch calls, and fetch calls at `rate` (open loop).

    The workers' CPU beyond what the prefetch calls answered would take at their CPU alone
    (`prefetch_cpu_ms` each) is charged to the fetch calls; the harness's CPU (the sender and
    the slow front, which stand in for the EHR and its FHIR server) is reported apart."""
    workers_before, harness_before = server.worker_cpu_s(), _harness_cpu_s(front)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as sender:
        fetches = sender.submit(fetch_calls, server.port, front.base, patients, rate, seconds)
        mixed = wrk.run(
            url, bodies, label="prefetch-mixed", workdir=workdir, seconds=seconds, connections=8
        )
        fetched = fetches.result(timeout=seconds + 60)
    workers_ms = 1000 * (server.worker_cpu_s() - workers_before)
    harness_ms = 1000 * (_harness_cpu_s(front) - harness_before)
    ok = [ms for status, ms in fetched if status == 200]
    calls = max(1, len(fetched))
    return {
        "service_cpu_ms_per_fetch_call": round(
            (workers_ms - mixed.requests * prefetch_cpu_ms) / calls, 2
        ),
        "harness_cpu_ms_per_fetch_call": round(harness_ms / calls, 2),
        "fetch_rate_per_s": round(rate, 2),
        "prefetch_mixed": mixed.as_dict(),
        "fetch_calls": len(fetched),
        "fetch_ok": len(ok),
        "fetch_share": round(len(fetched) / (len(fetched) + mixed.requests), 3),
        "fetch_p50_ms": round(statistics.median(ok), 1) if ok else None,
        "fetch_p99_ms": round(percentile(ok, 99), 1) if ok else None,
    }


def mixed_load(
    pool: list[bytes],
    seconds: float,
    workdir: Path,
    front: procs.NodeServer,
    patients: list[list[Json]],
    models: Sequence[tuple[str, int, int, int]],
) -> list[Json]:
    """Per worker model: prefetch calls alone, then beside fetch calls arriving at the rate that
    makes them 10 % of the calls the model handles (found in at most MIXED_RUNS runs; every run
    is kept in the report, the one nearest 10 % is the row's figure)."""
    warm, alone_pool, mixed_pool = split(pool, 2)
    rows: list[Json] = []
    for worker_class, workers, threads, keepalive in models:
        env = {"GIST_CDS_FHIR_ALLOWLIST": front.base, "GIST_CDS_FHIR_TIMEOUT_S": "5"}
        with procs.gunicorn(
            "service",
            workers=workers,
            worker_class=worker_class,
            threads=threads,
            keepalive=keepalive,
            env=env,
        ) as server:
            url = f"http://127.0.0.1:{server.port}{SERVICE_PATH}"
            wrk.run(url, warm, label="warm-mixed", workdir=workdir, seconds=2, connections=8)
            cpu_before = server.worker_cpu_s()
            alone = wrk.run(
                url, alone_pool, label="prefetch-alone", workdir=workdir, seconds=seconds,
                connections=8,
            )  # fmt: skip
            prefetch_cpu_ms = 1000 * (server.worker_cpu_s() - cpu_before) / max(1, alone.requests)
            rate = share_matched_rate(alone.rps, 0.0, alone.rps)
            runs: list[Json] = []
            for _ in range(MIXED_RUNS):
                run = mixed_run(
                    server, url, mixed_pool, rate, seconds, workdir, front, patients,
                    prefetch_cpu_ms,
                )  # fmt: skip
                runs.append(run)
                if abs(run["fetch_share"] - FETCH_SHARE) <= SHARE_TOLERANCE:
                    break
                rate = next_fetch_rate(
                    alone.rps,
                    [(r["fetch_rate_per_s"], r["prefetch_mixed"]["rps"]) for r in runs],
                )
            rss = server.peak_rss_per_worker_mb()
        best = min(runs, key=lambda r: abs(r["fetch_share"] - FETCH_SHARE))
        mixed_rps = best["prefetch_mixed"]["rps"]
        rows.append(
            {
                "model": f"{worker_class} {workers}x{threads}"
                + (" no keep-alive" if keepalive == 0 and worker_class != "sync" else "")
                + (" (serve)" if (worker_class, workers, threads, keepalive) == SERVE else ""),
                "prefetch_alone": alone.as_dict(),
                "prefetch_cpu_ms": round(prefetch_cpu_ms, 2),
                **best,
                "kept": round(mixed_rps / alone.rps, 3) if alone.rps else 0.0,
                "runs": runs,
                "peak_rss_mb": rss,
            }
        )
    return rows


# --- report ------------------------------------------------------------------------------------


def _wrk_row(name: str, r: Json, ratio: str = "") -> str:
    errors = r["non2xx"] + r["socket_errors"] + r["timeouts"]
    return (
        f"| {name} | {r['connections']} | {r['rps']:,.1f} | {r['p50_ms']:.1f} | "
        f"{r['p90_ms']:.1f} | {r['p99_ms']:.1f} | {r['max_ms']:.1f} | {errors} | "
        f"{r['requests']:,} / {r['repeats']} | {ratio} |"
    )


def summary(report: Json) -> str:
    lines = [f"Machine: {report['machine']}", ""]
    main = report.get("floor_and_service")
    if main:
        lines += [
            f"Load average before / after: {main['load_average_before']} / "
            f"{main['load_average_after']}",
            "",
            "wrk saturation check (trivial endpoint, 8 connections):",
            "",
            "| wrk threads | req/s | wrk CPU s | server workers CPU s |",
            "|---|---|---|---|",
        ]
        lines += [
            f"| {r['threads']} | {r['rps']:,.1f} | {r['wrk_cpu_s']} | {r['server_cpu_s']} |"
            for r in main["saturation"]
        ]
        ratio = f"{main['throughput_ratio']:.1%}"
        lines += [
            "",
            "| endpoint | conns | req/s | p50 ms | p90 ms | p99 ms | max ms | errors | "
            "requests / repeats | vs trivial |",
            "|---|---|---|---|---|---|---|---|---|---|",
            _wrk_row("trivial", main["trivial_8"]),
            _wrk_row("gist-treatment", main["service_8"], ratio),
            _wrk_row("trivial", main["trivial_1"]),
            _wrk_row("gist-treatment", main["service_1"]),
            "",
            f"Peak RSS per worker (MiB): trivial {main['trivial_peak_rss_mb']}, "
            f"service {main['service_peak_rss_mb']}",
            "",
            f"CPU per request (gunicorn workers, 8 connections): trivial "
            f"{main['cpu_ms_per_request']['trivial']} ms, service "
            f"{main['cpu_ms_per_request']['service']} ms -> CPU-bound throughput ratio "
            f"{main['cpu_ratio']:.1%}; wrk itself "
            f"{main['cpu_ms_per_request']['wrk_per_trivial_request']} ms per trivial request",
        ]
    if report.get("scale"):
        lines += [
            "",
            "| Observations | body KB | first call ms | median ms | max ms | peak RSS MiB "
            "| status |",
            "|---|---|---|---|---|---|---|",
        ]
        lines += [
            f"| {r['observations']:,} | {r['body_kb']:,} | {r['first_call_ms']} | "
            f"{r['median_ms']} | {r['max_ms']} | {r['peak_rss_mb']} | {r['statuses']} |"
            for r in report["scale"]
        ]
    fetch = report.get("fetch_path")
    if fetch:
        lines += [
            "",
            f"Fetch path: slowest single search ({fetch['slowest']}) {fetch['slowest_ms']} ms "
            f"(all searches one after another: {fetch.get('sum_ms', '?')} ms; sent together: "
            f"{fetch.get('together_ms', '?')} ms); "
            f"service without prefetch median {fetch['service_median_ms']} ms "
            f"(p90 {fetch['service_p90_ms']}) = {fetch['vs_slowest_plus_5ms']} x (slowest + 5 ms); "
            f"target <= {fetch['target_ms']} ms: {'met' if fetch['met'] else 'NOT met'} "
            f"(statuses {fetch['statuses']}); {fetch.get('vs_together', '?')} x the searches "
            "sent together",
        ]
    if report.get("mixed"):
        lines += [
            "",
            "Mixed load: fetch calls (their FHIR server answers each search "
            f"{FETCH_DELAY_S * 1000:.0f} ms late) at a fixed rate next to 8 wrk connections "
            f"of prefetch calls; the rate is the one at which fetch calls are "
            f"{FETCH_SHARE:.0%} of the calls handled (rates tried per model in brackets):",
            "",
            "| worker model | prefetch alone req/s | with fetch calls req/s | kept | "
            "prefetch p99 mixed ms | fetch calls/s (tried) | fetch calls (ok) | share | "
            "fetch p50 ms | CPU ms per prefetch / fetch call (+ harness) | peak RSS MiB |",
            "|---|---|---|---|---|---|---|---|---|---|---|",
        ]
        lines += [
            f"| {r['model']} | {r['prefetch_alone']['rps']} | {r['prefetch_mixed']['rps']} | "
            f"{r['kept']:.0%} | {r['prefetch_mixed']['p99_ms']:.1f} | {r['fetch_rate_per_s']} "
            f"({', '.join(str(run['fetch_rate_per_s']) for run in r['runs'])}) | "
            f"{r['fetch_calls']} ({r['fetch_ok']}) | {r['fetch_share']:.1%} | "
            f"{r['fetch_p50_ms']} | {r['prefetch_cpu_ms']} / "
            f"{r['service_cpu_ms_per_fetch_call']} (+ {r['harness_cpu_ms_per_fetch_call']}) | "
            f"{r['peak_rss_mb']} |"
            for r in report["mixed"]
        ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=10, help="length of each wrk run")
    parser.add_argument(
        "--patients",
        type=int,
        default=8000,
        help="distinct requests generated (enough that an idle run never sends one twice)",
    )
    parser.add_argument("--quick", action="store_true", help="tiny run that proves the machinery")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    sizes: tuple[int, ...] = (10, 100, 1_000, 10_000)
    # (worker class, workers, threads, keep-alive s); sync workers never keep a connection.
    # `serve`'s default, then sync workers sized for the fetch calls' waits (cores + fetch calls a
    # second x seconds each waits: 2 + 32 x 0.25 = 10, rounded up), then threads (stop 21: 71-83 %)
    models = [
        SERVE,
        ("sync", 12, 1, 0),
        ("sync", 8, 1, 0),
        ("gthread", 4, 4, 0),
        ("gthread", 2, 16, 0),
    ]
    scale_repeats, fetch_calls, fetch_patient_count = 5, 30, 4
    if args.quick:
        sizes, models, scale_repeats, fetch_calls, fetch_patient_count = (
            (10, 100),
            models[:1],
            2,
            3,
            2,
        )

    started = time.monotonic()
    report: Json = {
        "started_utc": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "settings": {"seconds": args.seconds, "patients": args.patients, "quick": args.quick},
    }
    pool = list(synthetic.distinct_bodies(args.patients))
    report["requests"] = {
        "distinct": len(set(pool)),
        "mean_kb": round(statistics.mean(len(b) for b in pool) / 1024, 1),
        "min_kb": round(min(len(b) for b in pool) / 1024, 1),
        "max_kb": round(max(len(b) for b in pool) / 1024, 1),
    }
    print(
        f"{len(pool)} distinct requests, {report['requests']['mean_kb']} KB on average", flush=True
    )
    with tempfile.TemporaryDirectory(prefix="gist-bench-wrk-") as tmp:
        workdir = Path(tmp)
        print("1/4 floor and service ...", flush=True)
        report["floor_and_service"] = floor_and_service(pool, args.seconds, workdir)
        print("2/4 scale ...", flush=True)
        report["scale"] = scale(sizes, scale_repeats)
        with procs.medplum() as base:
            patients = fetch_patients(base, fetch_patient_count)
            print("3/4 fetch path ...", flush=True)
            report["fetch_path"] = fetch_path(base, patients, fetch_calls)
            print("4/4 mixed load ...", flush=True)
            with procs.slow_front(base, FETCH_DELAY_S) as front:
                report["mixed"] = mixed_load(pool, args.seconds, workdir, front, patients, models)
    report["elapsed_s"] = round(time.monotonic() - started, 1)
    report["load_average_end"] = load_average()
    args.out.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    path = args.out / f"bench-{stamp}{'-quick' if args.quick else ''}.json"
    path.write_text(json.dumps(report, indent=2) + "\n")
    print(summary(report))
    print(f"\nwritten {path} in {report['elapsed_s']} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
