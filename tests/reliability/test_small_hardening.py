"""The smaller findings of the security review, each against a real server process.

Huge integers, long JWT-like paths, a request overrunning the worker timeout, a `patientId` with
a trailing newline, security headers, demo-mode CORS, implausible tumour sizes.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from cds_hooks.config import Settings
from cds_hooks.logs import redact
from fhir_mappings import build_case
from logic.case import FactStatus
from tests.fhir_mappings import fhir as F
from tests.reliability.served import Served, free_port, gist_cds_serve, service_env
from tests.support.fhir_server import Reply, ScriptedServer, scripted_server
from tests.support.live import LiveService, hook_request, live_service

SERVICE = "cds-services/gist-treatment"


def prefetch() -> dict[str, object]:
    return {
        "patient": F.patient(),
        "conditions": F.searchset(F.gist("gist-1", bodySite=[F.cc(F.SNOMED, "69695003")])),
        "observations": F.searchset(F.size("size-1", 6.2), F.mitoses("mit-1", 3)),
        "medicationStatements": None,
        "medicationRequests": None,
        "procedures": None,
    }


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveService]:
    """The real app in demo mode (auth off, loopback), default CORS setting."""
    database = tmp_path_factory.mktemp("small-db") / "gist.sqlite3"

    def settings(base_url: str) -> Settings:
        return Settings(auth="off", public_base_url=base_url, database_url=f"sqlite:///{database}")

    with live_service(settings) as service:
        yield service


def assert_outcome(response: requests.Response, status: int) -> None:
    assert response.status_code == status, response.text[:300]
    assert response.headers["Content-Type"].startswith("application/json")
    assert response.json()["resourceType"] == "OperationOutcome"


def test_an_integer_over_4300_digits_is_a_400(demo: LiveService) -> None:
    body = json.dumps(hook_request(F.PATIENT, prefetch()))
    body = body[:-1] + ', "n": ' + "9" * 5000 + "}"
    assert_outcome(demo.post(SERVICE, data=body), 400)


def test_a_patient_id_with_a_trailing_newline_is_a_400(demo: LiveService) -> None:
    response = demo.post(SERVICE, hook_request(F.PATIENT + "\n", prefetch()))
    assert_outcome(response, 400)
    assert "patientId" in response.json()["issue"][0]["diagnostics"]


def test_json_and_rule_pages_carry_security_headers(demo: LiveService) -> None:
    for path, csp_part in (("cds-services", "default-src 'none'"), ("rules", "style-src 'self'")):
        response = demo.get(path)
        assert response.status_code == 200
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
        assert csp_part in response.headers["Content-Security-Policy"]


@pytest.mark.parametrize(
    ("origin", "allowed"),
    [
        ("http://127.0.0.1:8090", True),
        ("http://localhost:5173", True),
        ("https://evil.example", False),
        ("http://127.0.0.1.evil.example", False),
    ],
)
def test_demo_mode_cors_answers_loopback_origins_only(
    demo: LiveService, origin: str, allowed: bool
) -> None:
    response = demo.session.options(
        demo.url(SERVICE),
        headers={"Origin": origin, "Access-Control-Request-Method": "POST"},
        timeout=10,
    )
    assert (response.headers.get("Access-Control-Allow-Origin") == origin) is allowed
    assert response.headers.get("Access-Control-Allow-Origin") != "*"


@pytest.mark.parametrize(("value", "unit"), [(-3, "cm"), (0.00001, "mm"), (1e-7, "cm")])
def test_negative_and_sub_micrometre_sizes_are_not_measurements(value: float, unit: str) -> None:
    size = F.size("size-1", value, unit=unit)
    case = build_case([F.patient(), F.gist("gist-1"), size], patient_id=F.PATIENT)
    assert case.tumour_size.status is not FactStatus.KNOWN
    assert any("tumour size" in u.reason for u in case.unreadable)


def test_jwt_masking_is_linear_on_hostile_text() -> None:
    """Generous bound: the old pattern took about 22 s on this input, the new scan milliseconds."""
    started = time.monotonic()
    masked = redact("eyJ" * 100_000 + ".x")
    assert time.monotonic() - started < 2.0
    assert "eyJeyJ" not in masked


# --- under gunicorn -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def stalled_fhir() -> Iterator[ScriptedServer]:
    with scripted_server(lambda path: Reply(200, b"{}", delay_s=12)) as server:
        yield server


@pytest.fixture(scope="module")
def served(
    tmp_path_factory: pytest.TempPathFactory, stalled_fhir: ScriptedServer
) -> Iterator[Served]:
    """gunicorn sync workers (`--threads 1`) with a 6 s worker timeout and a FHIR budget longer
    than that (misconfigured on purpose): the in-worker deadline must answer before gunicorn
    kills the worker."""
    tmp = tmp_path_factory.mktemp("small-served")
    port = free_port()
    env = service_env(
        tmp,
        database_url=f"sqlite:///{tmp / 'gist.sqlite3'}",
        public_base_url=f"http://127.0.0.1:{port}",
        fhir_servers=[stalled_fhir.base_url],
        fhir_timeout_s="30",
    )
    with gist_cds_serve(
        env, tmp / "serve.log", port=port, workers=1, timeout_s=6, threads=1
    ) as server:
        yield server


@pytest.fixture(scope="module")
def served_threads(
    tmp_path_factory: pytest.TempPathFactory, stalled_fhir: ScriptedServer
) -> Iterator[Served]:
    """The same, misconfigured the same way, with gthread workers (`--threads 4`):
    signals do not reach the threads that run the calls, so the deadline's watchdog must."""
    tmp = tmp_path_factory.mktemp("small-served-threads")
    port = free_port()
    env = service_env(
        tmp,
        database_url=f"sqlite:///{tmp / 'gist.sqlite3'}",
        public_base_url=f"http://127.0.0.1:{port}",
        fhir_servers=[stalled_fhir.base_url],
        fhir_timeout_s="30",
    )
    with gist_cds_serve(
        env, tmp / "serve.log", port=port, workers=1, timeout_s=6, threads=4
    ) as server:
        yield server


@pytest.mark.parametrize("model", ["sync", "gthread"])
def test_a_request_over_the_worker_timeout_answers_an_operation_outcome(
    model: str, request: pytest.FixtureRequest, stalled_fhir: ScriptedServer
) -> None:
    served: Served = request.getfixturevalue("served" if model == "sync" else "served_threads")
    body = hook_request(F.PATIENT, {}, fhir_server=stalled_fhir.base_url, access_token="t" * 12)
    started = time.monotonic()
    response = requests.post(
        served.url(SERVICE), json=body, headers=served.headers(SERVICE), timeout=60
    )
    elapsed = time.monotonic() - started
    assert_outcome(response, 503)
    assert elapsed < 6.0 + 3.0
    healthy = requests.get(served.url("healthz"), timeout=10)
    assert healthy.status_code == 200  # the same worker goes on serving
    if model == "gthread":  # and the next call in that worker is not hit by the old deadline
        prefetch = {
            "patient": F.patient(),
            "conditions": F.searchset(F.gist("gist-1")),
            "observations": F.searchset(F.size("size-1", 6.5), F.mitoses("mit-1", 7)),
            "medicationStatements": F.searchset(),
            "medicationRequests": F.searchset(),
            "procedures": F.searchset(),
        }
        quick = hook_request(F.PATIENT, prefetch)
        answer = requests.post(
            served.url(SERVICE), json=quick, headers=served.headers(SERVICE), timeout=60
        )
        assert answer.status_code == 200, answer.text


def test_an_unauthenticated_long_jwt_like_path_is_cheap_to_log(
    served: Served, tmp_path: Path
) -> None:
    fake = "eyJ" * 2500 + "." + "eyJ" * 50 + ".sig"
    before = len(served.log_text())
    started = time.monotonic()
    response = requests.post(
        served.url(f"cds-services/{fake}"),
        json={},
        headers={"Content-Type": "application/json", "Authorization": "Bearer x.y.z"},
        timeout=30,
    )
    assert time.monotonic() - started < 5.0
    assert_outcome(response, 401)
    new_log = served.log_text()[before:]
    assert "eyJeyJ" not in new_log
    assert all(len(line) < 4000 for line in new_log.splitlines())
