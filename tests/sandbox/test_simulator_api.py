"""The EHR simulator's backend: JWTs an EHR would send, its JWKS, the patient list, FHIR reads."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import jwt
import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient
from jwt import PyJWKSet

from sandbox import run
from sandbox.simulator.app import SimulatorConfig, create_simulator_app
from sandbox.simulator.catalog import PatientListing, load_catalog
from sandbox.simulator.fhir import MemoryFhir
from sandbox.simulator.tokens import LIFETIME_S

REPO_ROOT = Path(__file__).resolve().parents[2]
ORIGIN = "http://127.0.0.1:18090"
SERVICE = "http://127.0.0.1:18080"
ADJUVANT_PATIENT = "sb10-resected-high-risk-kit11"
CALL_URL = f"{SERVICE}/cds-services/gist-treatment"

RESOURCES: list[dict[str, Any]] = [
    {"resourceType": "Patient", "id": "p1"},
    {"resourceType": "Patient", "id": "p2"},
    {"resourceType": "Condition", "id": "c1", "subject": {"reference": "Patient/p1"}},
    {"resourceType": "Condition", "id": "c2", "subject": {"reference": "Patient/p2"}},
    {"resourceType": "Procedure", "id": "s1", "subject": {"reference": "Patient/p1"}},
]
LISTINGS = (
    PatientListing("case-1", "p1", "Resected", "A vignette.", ("adjuvant-tki",), ("F1",)),
    PatientListing("case-2", "p2", "No GIST", "Another vignette.", ()),
)


def make_app(*, serve_fhir: bool = False) -> Flask:
    memory = MemoryFhir(f"{ORIGIN}/fhir", RESOURCES)
    config = SimulatorConfig(
        origin=ORIGIN,
        service_base_url=SERVICE,
        fhir=memory,
        patients=LISTINGS,
        serve_fhir=memory if serve_fhir else None,
    )
    return create_simulator_app(config)


@pytest.fixture
def client() -> FlaskClient:
    return make_app().test_client()


def mint(client: FlaskClient, aud: Any) -> Any:
    return client.post("/api/token", json={"aud": aud})


def test_token_is_an_es384_jwt_that_the_published_jwks_verifies(client: FlaskClient) -> None:
    before = int(time.time())
    answer = mint(client, CALL_URL)
    assert answer.status_code == 200
    token = answer.get_json()["token"]
    header = jwt.get_unverified_header(token)
    keys = PyJWKSet.from_dict(client.get("/.well-known/jwks.json").get_json())

    signing_key = next(key for key in keys.keys if key.key_id == header["kid"])
    claims = jwt.decode(
        token,
        signing_key.key,
        algorithms=["ES384"],
        audience=CALL_URL,
        issuer=ORIGIN,
        options={"require": ["iss", "aud", "exp", "iat", "jti"]},
    )

    assert header["alg"] == "ES384"
    assert header["jku"] == f"{ORIGIN}/.well-known/jwks.json"
    assert claims["aud"] == CALL_URL
    assert claims["exp"] - claims["iat"] == LIFETIME_S
    assert before <= claims["iat"] <= int(time.time())
    assert uuid.UUID(claims["jti"])


def test_each_token_has_a_fresh_jti(client: FlaskClient) -> None:
    tokens = [mint(client, CALL_URL).get_json()["token"] for _ in range(3)]
    jtis = {jwt.decode(t, options={"verify_signature": False})["jti"] for t in tokens}
    assert len(jtis) == 3


def test_a_token_does_not_verify_for_another_audience(client: FlaskClient) -> None:
    token = mint(client, CALL_URL).get_json()["token"]
    key = PyJWKSet.from_dict(client.get("/.well-known/jwks.json").get_json()).keys[0]
    with pytest.raises(jwt.InvalidAudienceError):
        jwt.decode(token, key.key, algorithms=["ES384"], audience=f"{SERVICE}/cds-services")


def test_a_restarted_simulator_has_a_new_key() -> None:
    first = make_app().test_client().get("/.well-known/jwks.json").get_json()["keys"][0]
    second = make_app().test_client().get("/.well-known/jwks.json").get_json()["keys"][0]
    assert (first["x"], first["kid"]) != (second["x"], second["kid"])


@pytest.mark.parametrize(
    "aud",
    [
        "https://attacker.example/cds-services",
        f"{SERVICE}.attacker.example/cds-services",
        SERVICE + ":9/x",
        "",
        None,
        42,
        f"{SERVICE}/" + "x" * 5000,
    ],
)
def test_tokens_are_only_signed_for_the_configured_service(client: FlaskClient, aud: Any) -> None:
    answer = mint(client, aud)
    assert answer.status_code == 400
    assert "token" not in answer.get_json()


def test_jwks_publishes_one_p384_public_key(client: FlaskClient) -> None:
    keys = client.get("/.well-known/jwks.json").get_json()["keys"]
    assert len(keys) == 1
    assert keys[0]["kty"] == "EC"
    assert keys[0]["crv"] == "P-384"
    assert keys[0]["alg"] == "ES384"
    assert "d" not in keys[0]  # never the private part


def test_patient_list_has_each_listing_with_its_expectation(client: FlaskClient) -> None:
    patients = client.get("/api/patients").get_json()
    assert [p["patientId"] for p in patients] == ["p1", "p2"]
    assert patients[0]["expectedCategories"] == ["adjuvant-tki"]
    assert patients[0]["kbRules"] == ["F1"]
    assert patients[1]["expectedCategories"] == []


def test_page_config_names_the_service_the_fhir_base_and_the_omitted_key(
    client: FlaskClient,
) -> None:
    config = client.get("/api/config").get_json()
    assert config["serviceBaseUrl"] == SERVICE
    assert config["fhirServer"] == f"{ORIGIN}/fhir"
    assert config["issuer"] == ORIGIN
    assert config["omittedPrefetchKeys"] == ["procedures"]


def test_index_page_and_assets_are_served_locally_with_a_strict_csp(client: FlaskClient) -> None:
    with client.get("/") as page:
        assert page.status_code == 200
        html = page.get_data(as_text=True)
    assert 'src="/static/simulator.js"' in html
    assert "http" not in html.split("<body>")[0]  # no CDN in the head
    csp = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert f"connect-src 'self' {SERVICE}" in csp
    for asset in ("simulator.js", "markdown.js", "simulator.css"):
        with client.get(f"/static/{asset}") as answer:
            assert answer.status_code == 200


def test_prefetch_reads_search_one_patients_resources(client: FlaskClient) -> None:
    bundle = client.get("/api/fhir/Condition?patient=p1").get_json()
    assert bundle["type"] == "searchset"
    assert [e["resource"]["id"] for e in bundle["entry"]] == ["c1"]
    assert client.get("/api/fhir/Patient/p2").get_json()["id"] == "p2"
    assert client.get("/api/fhir/Patient/nobody").status_code == 404


@pytest.mark.parametrize("path", ["/api/fhir/../etc/passwd", "/api/fhir/condition", "/api/fhir/x"])
def test_fhir_reads_accept_only_relative_fhir_urls(client: FlaskClient, path: str) -> None:
    assert client.get(path).status_code in (400, 404)


def test_fallback_fhir_endpoint_exists_only_when_the_simulator_holds_the_data() -> None:
    assert make_app().test_client().get("/fhir/Patient/p1").status_code == 404
    served = make_app(serve_fhir=True).test_client().get("/fhir/Procedure?patient=Patient/p1")
    assert served.status_code == 200
    assert [e["resource"]["id"] for e in served.get_json()["entry"]] == ["s1"]


def test_catalog_lists_every_synthetic_patient_with_its_patient_resource() -> None:
    listings, resources = load_catalog()
    patient_ids = {r["id"] for r in resources if r["resourceType"] == "Patient"}
    assert len(listings) >= 30
    assert {listing.patient_id for listing in listings} == patient_ids
    assert all(listing.title and listing.vignette for listing in listings)


# --- the launcher (`make run`) ---------------------------------------------------------------


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "example.org", "::"])
def test_launcher_refuses_non_loopback_hosts(host: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert run.main(["--host", host]) == run.EXIT_USAGE
    assert "loopback only" in capsys.readouterr().err


def test_service_runs_in_demo_mode_trusting_only_the_sandbox() -> None:
    env = run.service_environment("127.0.0.1", 8080, ORIGIN, "http://127.0.0.1:5555/fhir")
    assert env["GIST_CDS_AUTH"] == "off"
    assert env["GIST_CDS_PUBLIC_BASE_URL"] == "http://127.0.0.1:8080"
    assert env["GIST_CDS_FHIR_ALLOWLIST"] == "http://127.0.0.1:5555/fhir"
    assert env["GIST_CDS_CORS_ORIGINS"] == ORIGIN
    assert env["GIST_CDS_DATABASE_URL"].endswith("/var/gist-cds.sqlite3")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _wait_for_line(stream: Any, needle: str, timeout_s: float) -> list[str]:
    lines: list[str] = []
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        line = stream.readline()
        if not line:
            break
        lines.append(line)
        if needle in line:
            return lines
    raise AssertionError(f"{needle!r} not printed; output was:\n{''.join(lines)}")


@pytest.mark.fhirserver
@pytest.mark.parametrize("fhir_option", [[], ["--builtin-fhir"]], ids=["medplum", "builtin"])
def test_run_serves_everything_and_sigterm_stops_every_child(
    tmp_path: Path, fhir_option: list[str]
) -> None:
    port, sandbox_port = _free_port(), _free_port()
    env = {**os.environ, "GIST_CDS_DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"}
    command = [sys.executable, "-m", "sandbox.run", "--port", str(port), "--workers", "1"]
    launcher = subprocess.Popen(
        [*command, "--sandbox-port", str(sandbox_port), *fhir_option],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        banner = "".join(_wait_for_line(launcher.stdout, "to try the EHR simulator", 120))
        simulator = f"http://127.0.0.1:{sandbox_port}"
        service = f"http://127.0.0.1:{port}"
        assert f"Open {simulator}/ to try the EHR simulator" in banner
        assert f"{service}/cds-services" in banner
        fhir_base = re.search(r"FHIR server \(EHR data\): (\S+)", banner)
        assert fhir_base is not None

        patients = requests.get(f"{simulator}/api/patients", timeout=10).json()
        assert len(patients) == len(load_catalog()[0])
        first = patients[0]["patientId"]
        assert requests.get(f"{fhir_base[1]}/Patient/{first}", timeout=10).status_code == 200
        preflight = requests.options(
            f"{service}/cds-services/gist-treatment",
            headers={
                "Origin": simulator,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "authorization,content-type",
            },
            timeout=10,
        )
        assert preflight.headers.get("Access-Control-Allow-Origin") == simulator
        discovery = requests.get(f"{service}/cds-services", timeout=10).json()
        assert [s["id"] for s in discovery["services"]] == [
            "gist-treatment",
            "gist-order-select",
            "gist-order-sign",
        ]

        # No prefetch at all: the service reads everything from the sandbox's FHIR server.
        adjuvant = next(p for p in patients if p["key"] == ADJUVANT_PATIENT)
        call = {
            "hook": "patient-view",
            "hookInstance": str(uuid.uuid4()),
            "context": {"userId": "Practitioner/x", "patientId": adjuvant["patientId"]},
            "fhirServer": fhir_base[1],
        }
        cards = requests.post(f"{service}/cds-services/gist-treatment", json=call, timeout=30)
        assert cards.status_code == 200, cards.text
        categories = sorted(
            c["extension"]["org.gist-cds"]["category"] for c in cards.json()["cards"]
        )
        assert categories == sorted(adjuvant["expectedCategories"])
    finally:
        launcher.send_signal(signal.SIGTERM)
        launcher.wait(timeout=30)
        assert launcher.stdout is not None
        launcher.stdout.close()
    for url in (f"{service}/healthz", f"{fhir_base[1]}/Patient/{first}", f"{simulator}/"):
        with pytest.raises(requests.ConnectionError):
            requests.get(url, timeout=5)
