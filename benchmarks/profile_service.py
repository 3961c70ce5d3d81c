"""Where a patient-view call spends its time, profiled in-process on distinct synthetic patients.

    .venv/bin/python -m benchmarks.profile_service [--patients 300] [--top 20]

The real app (auth off, SQLite audit in a temporary directory) answers each request through
Flask's test client: no network and no gunicorn, so the figures are the service's own CPU. First
an unprofiled pass gives the honest wall time per request; then cProfile attributes it to the
stages named below (inclusive time; cProfile's own overhead inflates many small calls, so the
shares matter more than the absolute profiled milliseconds).
"""

from __future__ import annotations

import argparse
import cProfile
import functools
import importlib
import json
import os
import pstats
import statistics
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from benchmarks import synthetic

#: stage -> (path fragment, function name) whose inclusive time is the stage's.
STAGES: dict[str, tuple[str, str]] = {
    "whole request (Flask dispatch)": ("flask/app.py", "full_dispatch_request"),
    "JSON parse + depth check": ("cds_hooks/validation.py", "parse_json_body"),
    "  of which depth check": ("cds_hooks/validation.py", "json_depth_exceeds"),
    "hook request schema": ("cds_hooks/validation.py", "schema_errors"),
    "prefetch resolution": ("cds_hooks/fetch.py", "resolve"),
    "case building (build_case)": ("fhir_mappings/build.py", "build_case"),
    "  of which R4B validation": ("fhir_mappings/r4b.py", "validation_errors"),
    "  of which dedupe (canonical JSON per resource)": ("fhir_mappings/build.py", "_dedupe"),
    "  of which date-zone walk (_zone_fixed)": ("fhir_mappings/intake.py", "_zone_fixed"),
    "rule evaluation": ("logic/engine.py", "evaluate"),
    "  of which per_case cache (hashing the case)": ("logic/rules/common.py", "wrapper"),
    "card rendering": ("cds_hooks/cards.py", "render_cards"),
    "audit write": ("cds_hooks/storage.py", "save_audit"),
    "  of which SQLite commit": ("~", "<method 'commit' of 'sqlite3.Connection' objects>"),
    "hook log line": ("logging/__init__.py", "info"),
    "response JSON (jsonify)": ("flask/json/__init__.py", "jsonify"),
}
PATH = "/cds-services/gist-treatment"

#: stage -> (module, attribute) to time without cProfile: the name is replaced, in the module
#: that calls it, by a wrapper adding its wall time (one perf_counter pair per call).
TIMED: dict[str, tuple[str, str]] = {
    "JSON parse + depth check": ("cds_hooks.views", "parse_json_body"),
    "hook request schema": ("cds_hooks.hooks.registry", "schema_errors"),
    "prefetch resolution": ("cds_hooks.pipeline", "resolve"),
    "case building (build_case)": ("cds_hooks.pipeline", "build_case"),
    "  of which R4B validation (incl. date-zone walk)": (
        "fhir_mappings.build",
        "validation_problem",
    ),
    "  of which triage (family)": ("fhir_mappings.build", "family"),
    "rule evaluation": ("cds_hooks.pipeline", "evaluate"),
    "card rendering": ("cds_hooks.pipeline", "render_cards"),
    "audit write": ("cds_hooks.views", "_audit"),
    "response JSON (jsonify)": ("cds_hooks.views", "jsonify"),
}


def make_client(tmp: str) -> Any:
    os.environ |= {
        "GIST_CDS_AUTH": "off",
        "GIST_CDS_DATABASE_URL": f"sqlite:///{tmp}/profile.sqlite3",
        "GIST_CDS_LOG_LEVEL": "INFO",
    }
    from cds_hooks.app import create_app
    from cds_hooks.config import settings_from_env
    from cds_hooks.warmup import freeze_startup_objects, prepare_process

    prepare_process(settings_from_env())
    client = create_app().test_client()
    freeze_startup_objects()  # as each gunicorn worker does once its app is built
    return client


def post_all(client: Any, bodies: Sequence[bytes]) -> list[float]:
    """Wall milliseconds of each call (the process's CPU time is read around the whole loop)."""
    times = []
    for body in bodies:
        started = time.perf_counter()
        answer = client.post(PATH, data=body, content_type="application/json")
        times.append((time.perf_counter() - started) * 1000)
        if answer.status_code != 200:
            raise RuntimeError(f"HTTP {answer.status_code}: {answer.get_data(as_text=True)[:300]}")
    return times


@contextmanager
def timed_stages() -> Iterator[dict[str, float]]:
    """Wall seconds spent in each TIMED stage while the block runs (the names are restored)."""
    totals = dict.fromkeys(TIMED, 0.0)
    saved = []
    for stage, (module_name, attribute) in TIMED.items():
        module = importlib.import_module(module_name)
        original = getattr(module, attribute)
        saved.append((module, attribute, original))
        setattr(module, attribute, _timer(original, stage, totals))
    try:
        yield totals
    finally:
        for module, attribute, original in saved:
            setattr(module, attribute, original)


def _timer(function: Any, stage: str, totals: dict[str, float]) -> Any:
    @functools.wraps(function)
    def timed(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            totals[stage] += time.perf_counter() - started

    return timed


def stage_times(stats: pstats.Stats, calls: int) -> dict[str, float]:
    """Inclusive milliseconds per request of each stage (0 when the function never ran)."""
    table: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    out = {}
    for stage, (fragment, name) in STAGES.items():
        total = sum(
            value[3]
            for (path, _line, func), value in table.items()
            if func == name and path.endswith(fragment)
        )
        out[stage] = total * 1000 / calls
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--patients", type=int, default=300)
    parser.add_argument("--top", type=int, default=20)
    parser.add_argument(
        "--observations", type=int, help="profile patients with this many extra Observations"
    )
    args = parser.parse_args(argv)
    n_warm = 20 if args.observations is None else 1
    if args.observations is None:
        bodies = list(synthetic.distinct_bodies(2 * args.patients + n_warm, seed=77))
    else:
        bodies = [
            json.dumps(
                synthetic.request_body(
                    synthetic.patient_resources(i, seed=78, observations=args.observations)
                )
            ).encode()
            for i in range(2 * args.patients + n_warm)
        ]
    warm, plain, profiled = (
        bodies[:n_warm],
        bodies[n_warm : n_warm + args.patients],
        bodies[n_warm + args.patients :],
    )
    with tempfile.TemporaryDirectory(prefix="gist-profile-") as tmp:
        client = make_client(tmp)
        import logging

        logging.getLogger().handlers.clear()  # the log line is built, not printed to the console
        logging.getLogger().addHandler(logging.NullHandler())
        post_all(client, warm)
        cpu_started = time.process_time()
        wall = post_all(client, plain)
        cpu_ms = (time.process_time() - cpu_started) * 1000 / len(plain)
        with timed_stages() as stage_wall:
            timed_wall = post_all(client, plain)
        profiler = cProfile.Profile()
        profiler.enable()
        profiled_wall = post_all(client, profiled)
        profiler.disable()
    stats = pstats.Stats(profiler)
    stages = stage_times(stats, len(profiled))
    whole = stages["whole request (Flask dispatch)"] or 1.0
    print(
        f"{len(plain)} distinct patients, unprofiled wall per request: "
        f"median {statistics.median(wall):.2f} ms, mean {statistics.mean(wall):.2f} ms; "
        f"CPU {cpu_ms:.2f} ms per request (less disturbed by other load than wall time)"
    )
    print("\nUnprofiled, by stage (the same requests again, each stage timed by its wall clock):\n")
    print("| stage | ms / request | share of request |")
    print("|---|---|---|")
    timed_mean = statistics.mean(timed_wall)
    print(f"| whole request (test client) | {timed_mean:.2f} | 100% |")
    for stage, seconds in stage_wall.items():
        ms = seconds * 1000 / len(plain)
        print(f"| {stage} | {ms:.2f} | {ms / timed_mean:.0%} |")
    print(f"\nprofiled: mean {statistics.mean(profiled_wall):.2f} ms per request\n")
    print("| stage | profiled ms / request | share of request |")
    print("|---|---|---|")
    for stage, ms in stages.items():
        print(f"| {stage} | {ms:.2f} | {ms / whole:.0%} |")
    print(f"\nTop {args.top} functions by own time:")
    stats.sort_stats("tottime").print_stats(args.top)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
