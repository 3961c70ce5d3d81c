"""`GET /metrics` counts real calls: `gist-cds serve` with two gunicorn workers (prometheus_client
multiprocess mode) answers a known mix of hook calls, refused JWTs and feedback, and the counters
read from /metrics equal exactly what was sent, whichever worker served each request. /metrics is
refused outside GIST_CDS_METRICS_ALLOW."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path
from typing import Any

import requests
from prometheus_client.parser import text_string_to_metric_families

from cds_hooks.config import Settings
from tests.cds_hooks.test_http_api import gist_prefetch
from tests.fhir_mappings import fhir as F
from tests.reliability.served import free_port, gist_cds_serve, service_env
from tests.support import jwt_tools
from tests.support.live import hook_request, live_service

SERVICE = "cds-services/gist-treatment"


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """(sample name, sorted labels) -> value."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(
    found: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str
) -> float:
    return found.get((name, tuple(sorted(labels.items()))), 0.0)


def full_prefetch() -> dict[str, Any]:
    return {
        "patient": F.patient(),
        "conditions": F.searchset(F.gist("gist-1", bodySite=[F.cc(F.SNOMED, "69695003")])),
        "observations": F.searchset(F.size("size-1", 6.5), F.mitoses("mit-1", 7)),
        "medicationStatements": None,
        "medicationRequests": None,
        "procedures": F.searchset(F.resection("op-1")),
    }


def test_metrics_count_the_calls_every_worker_answered(tmp_path: Path) -> None:
    port = free_port()
    env = service_env(
        tmp_path,
        database_url=f"sqlite:///{tmp_path}/metrics.sqlite3",
        public_base_url=f"http://127.0.0.1:{port}",
    )
    with gist_cds_serve(env, tmp_path / "serve.log", port=port, workers=2) as served:
        http = requests.Session()

        def post(path: str, body: Any, *, token: bool = True) -> requests.Response:
            return http.post(
                served.url(path), json=body, headers=served.headers(path, token=token), timeout=30
            )

        cards: Counter[tuple[str, str]] = Counter()
        uuids: list[str] = []
        for _ in range(12):  # enough for both workers to serve some
            answer = post(SERVICE, hook_request(F.PATIENT, full_prefetch()))
            assert answer.status_code == 200
            for card in answer.json()["cards"]:
                extension = card["extension"]["org.gist-cds"]
                cards[(extension["category"], extension["ruleId"])] += 1
                uuids.append(card["uuid"])
        assert post(SERVICE, {"hook": "patient-view"}).status_code == 400
        assert post(SERVICE, hook_request("p1", gist_prefetch()), token=False).status_code == 401
        expired = jwt_tools.mint(jwt_tools.TEST_ISSUER, served.url(SERVICE), exp_in=-600)
        refused = http.post(
            served.url(SERVICE),
            json=hook_request("p1", gist_prefetch()),
            headers={"Authorization": f"Bearer {expired}"},
            timeout=30,
        )
        assert refused.status_code == 401
        stamp = dt.datetime.now(dt.UTC).isoformat()
        item = {"card": uuids[0], "outcome": "overridden", "outcomeTimestamp": stamp}
        assert post(SERVICE + "/feedback", {"feedback": [item]}).json()["stored"] == 1
        assert post(SERVICE + "/feedback", {"feedback": [item]}).json()["stored"] == 0
        unknown = {**item, "card": "no-such-card"}
        assert post(SERVICE + "/feedback", {"feedback": [unknown]}).status_code == 400

        page = http.get(served.url("metrics"), timeout=30)
        assert page.status_code == 200
        assert page.headers["Content-Type"].startswith("text/plain")
        found = samples(page.text)
        served_by = served.worker_pids()
    assert len(served_by) == 2

    service = "gist-treatment"
    assert value(found, "gist_cds_hook_calls_total", service=service, status="200") == 12
    assert value(found, "gist_cds_hook_calls_total", service=service, status="400") == 1
    assert value(found, "gist_cds_hook_calls_total", service=service, status="401") == 2
    assert value(found, "gist_cds_hook_latency_seconds_count", service=service) == 15
    assert value(found, "gist_cds_hook_latency_seconds_sum", service=service) > 0
    for (category, rule), count in cards.items():
        assert value(found, "gist_cds_cards_total", category=category, rule=rule) == count
    total_cards = sum(v for (name, _), v in found.items() if name == "gist_cds_cards_total")
    assert total_cards == sum(cards.values())
    assert value(found, "gist_cds_fetch_outcomes_total", kind="prefetched") == 12 * 4
    assert value(found, "gist_cds_fetch_outcomes_total", kind="empty") == 12 * 2
    assert value(found, "gist_cds_jwt_rejections_total", reason="missing") == 1
    assert value(found, "gist_cds_jwt_rejections_total", reason="time") == 1
    feedback = "gist_cds_feedback_items_total"
    assert value(found, feedback, outcome="overridden", result="stored") == 1
    assert value(found, feedback, outcome="overridden", result="duplicate") == 1
    assert value(found, feedback, outcome="overridden", result="unknown-card") == 1


def test_metrics_are_refused_outside_the_allowed_networks(
    tmp_path: Path, trusted_clients_file: Path
) -> None:
    def settings(base_url: str) -> Settings:
        return Settings(
            public_base_url=base_url,
            trusted_clients_path=str(trusted_clients_file),
            database_url=f"sqlite:///{tmp_path}/db.sqlite3",
            metrics_allow=("10.0.0.0/8",),
        )

    with live_service(settings) as live:
        answer = requests.get(live.url("metrics"), timeout=30)
    assert answer.status_code == 403
    assert answer.json()["resourceType"] == "OperationOutcome"
    assert "gist_cds" not in answer.text
