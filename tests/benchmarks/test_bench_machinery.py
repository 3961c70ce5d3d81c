"""The benchmark machinery works: distinct EHR-shaped requests, and a tiny `make bench` run that
drives the real servers with wrk and writes its report (no timing is asserted)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from benchmarks import bench, synthetic


def _resources(body: dict[str, Any]) -> list[dict[str, Any]]:
    prefetch = body["prefetch"]
    out = [prefetch["patient"]]
    for key, bundle in prefetch.items():
        if key != "patient":
            out += [entry["resource"] for entry in bundle["entry"]]
    return out


def test_requests_are_distinct_ehr_sized_patients() -> None:
    bodies = list(synthetic.distinct_bodies(90, seed=3))
    parsed = [json.loads(body) for body in bodies]
    assert len(set(bodies)) == 90
    assert len({p["context"]["patientId"] for p in parsed}) == 90
    sandbox_ids = {r["id"] for patient in synthetic.sandbox_resources() for r in patient}
    for body in parsed:
        resources = _resources(body)
        assert 40 <= len(resources) <= 80
        assert not sandbox_ids & {r["id"] for r in resources}  # every resource renamed
        subject = f"Patient/{body['context']['patientId']}"
        refs = {r["subject"]["reference"] for r in resources if "subject" in r}
        assert refs == {subject}  # references follow the renamed patient
        assert set(body["prefetch"]) == {"patient", *synthetic.PREFETCH_KEYS.values()}
    assert 20_000 < sum(len(b) for b in bodies) / len(bodies) < 50_000


def test_scale_patient_has_exactly_the_extra_observations() -> None:
    base = synthetic.patient_resources(5, observations=0)
    grown = synthetic.patient_resources(5, observations=250)
    assert len(grown) - len(base) == 250
    assert all(r["resourceType"] == "Observation" for r in grown[len(base) :])


@given(
    alone=st.floats(min_value=20, max_value=5_000),
    slope=st.floats(min_value=0, max_value=50),
    tried=st.floats(min_value=1, max_value=500),
)
def test_share_matched_rate_makes_fetch_calls_the_share_of_all_calls(
    alone: float, slope: float, tried: float
) -> None:
    """On a server whose prefetch throughput falls linearly with the fetch rate, the rate found
    from one mixed run makes fetch calls exactly FETCH_SHARE of the calls handled."""

    def prefetch(rate: float) -> float:
        return alone - slope * rate

    if prefetch(tried) <= 0:
        return  # the model does not extend past a throughput of zero
    rate = bench.share_matched_rate(alone, tried, prefetch(tried))
    if rate > 0.5:  # the floor of one call every two seconds
        assert rate / (rate + prefetch(rate)) == pytest.approx(bench.FETCH_SHARE, rel=1e-6)


def test_share_matched_rate_without_a_mixed_run_is_the_share_of_the_baseline() -> None:
    assert bench.share_matched_rate(180.0, 0.0, 180.0) == pytest.approx(20.0)
    # 28.5 fetch calls a second took prefetch from 175.6 to 93.7 (stop 19): at 1/9 of the
    # baseline the share was 23 %; the matched rate is lower and its share is 10 %
    rate = bench.share_matched_rate(175.6, 28.5, 93.7)
    slope = (175.6 - 93.7) / 28.5
    assert rate / (rate + 175.6 - slope * rate) == pytest.approx(0.10)
    assert 28.5 / (28.5 + 93.7) > 0.2


def _search(alone: float, prefetch: Callable[[float], float]) -> list[tuple[float, float]]:
    """The mixed phase's search for the rate, run against a model of the server."""
    rate = bench.share_matched_rate(alone, 0.0, alone)
    runs: list[tuple[float, float]] = []
    for _ in range(bench.MIXED_RUNS):
        runs.append((rate, prefetch(rate)))
        if abs(rate / (rate + prefetch(rate)) - bench.FETCH_SHARE) <= bench.SHARE_TOLERANCE:
            break
        rate = bench.next_fetch_rate(alone, runs)
    return runs


def _blocking_workers(alone: float, workers: int, blocked_s: float) -> Callable[[float], float]:
    """Workers that each fetch call blocks for `blocked_s`: prefetch throughput falls linearly
    until the fetch calls take every worker, then collapses (2 % of it left)."""
    return lambda rate: alone * max(0.02, 1 - rate * blocked_s / workers)


@given(
    alone=st.floats(min_value=20, max_value=5_000),
    workers=st.integers(min_value=1, max_value=64),
    blocked_s=st.floats(min_value=0.005, max_value=1.0),
    convex=st.booleans(),
)
def test_every_rate_tried_lies_inside_the_bracket_of_the_runs_before(
    alone: float, workers: int, blocked_s: float, convex: bool
) -> None:
    """The share rises with the rate, so each rate tried must fall strictly between the fastest
    run below the target share and the slowest run above it: the search never goes backwards.
    Servers modelled: blocking workers (linear, then a collapse) and a convex fall (threads
    sharing the CPU: each fetch call slows every prefetch call a little)."""
    prefetch = (
        (lambda rate: alone / (1 + rate * blocked_s / workers))
        if convex
        else _blocking_workers(alone, workers, blocked_s)
    )
    runs = _search(alone, prefetch)
    for i in range(1, len(runs)):
        shares = [(r, r / (r + p)) for r, p in runs[:i]]
        below = max((r for r, share in shares if share < bench.FETCH_SHARE), default=0.0)
        above = min((r for r, share in shares if share > bench.FETCH_SHARE), default=float("inf"))
        assert below < runs[i][0] < above


@pytest.mark.parametrize(
    ("alone", "workers", "blocked_s"),
    [(342.3, 2, 0.25), (342.3, 12, 0.25), (250.9, 32, 0.25), (180.0, 4, 0.3)],
)
def test_search_reaches_the_share_when_sync_workers_collapse(
    alone: float, workers: int, blocked_s: float
) -> None:
    """Stop 20's sync 2x1 collapsed at every rate the linear model tried (60 % at 12.8 calls a
    second) and ended far from 10 %; the bracketed search reaches it within MIXED_RUNS runs."""
    runs = _search(alone, _blocking_workers(alone, workers, blocked_s))
    rate, prefetch = runs[-1]
    assert rate / (rate + prefetch) == pytest.approx(bench.FETCH_SHARE, abs=bench.SHARE_TOLERANCE)


def test_runs_at_one_rate_do_not_break_the_search() -> None:
    # two runs at the floor rate (0.5 a second) on both sides of the share, as noise can give
    rate = bench.next_fetch_rate(100.0, [(0.5, 3.0), (0.5, 6.0), (0.5, 5.0)])
    assert 0 < rate < float("inf")


def test_far_above_the_share_the_next_rate_interpolates_the_share() -> None:
    # 12.8 fetch calls a second left 8.4 prefetch calls of 342.3 (sync 2x1, stop 20): the line
    # from the baseline would try 12.8 * 0.66; the share, interpolated from 0 at rate 0, 2.1
    rate = bench.next_fetch_rate(342.3, [(12.8, 8.4)])
    assert rate == pytest.approx(0.10 * 12.8 / (12.8 / (12.8 + 8.4)))
    assert rate < bench.share_matched_rate(342.3, 12.8, 8.4)


@pytest.mark.fhirserver
def test_quick_bench_runs_every_phase_without_errors(tmp_path: Path) -> None:
    if shutil.which("wrk") is None:
        pytest.fail("wrk not found: apt-get install -y wrk (make bench installs it)")
    args = ["--quick", "--seconds", "1", "--patients", "60", "--out", str(tmp_path)]
    assert bench.main(args) == 0
    (written,) = tmp_path.glob("bench-*-quick.json")
    report = json.loads(written.read_text())
    main = report["floor_and_service"]
    runs = [main["trivial_8"], main["trivial_1"], main["service_8"], main["service_1"]]
    for run in runs:
        assert run["requests"] > 0
        assert run["non2xx"] == run["socket_errors"] == run["timeouts"] == 0
    for row in report["mixed"]:  # queued behind slow fetches, a call may time out; none may fail
        for run in (row["prefetch_alone"], row["prefetch_mixed"]):
            assert run["requests"] > 0
            assert run["non2xx"] == 0
    assert {t["threads"] for t in main["saturation"]} == {1, 2}
    assert all(rss > 0 for rss in main["service_peak_rss_mb"])
    assert [row["observations"] for row in report["scale"]] == [10, 100]
    assert all(row["statuses"] == [200] for row in report["scale"])
    assert report["fetch_path"]["statuses"] == [200]
    for row in report["mixed"]:
        assert row["fetch_calls"] > 0
        assert row["fetch_ok"] == row["fetch_calls"]
        assert 1 <= len(row["runs"]) <= bench.MIXED_RUNS
        assert row["fetch_share"] in [run["fetch_share"] for run in row["runs"]]
