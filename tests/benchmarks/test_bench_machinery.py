"""The benchmark machinery works: distinct EHR-shaped requests, and a tiny `make bench` run that
drives the real servers with wrk and writes its report (no timing is asserted)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

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
