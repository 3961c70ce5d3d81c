"""The benchmark machinery works: distinct EHR-shaped requests, and a tiny `make bench` run that
drives the real servers with wrk and writes its report (no timing is asserted)."""

from __future__ import annotations

import json
import shutil
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
