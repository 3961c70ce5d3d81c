"""Tokens, JWTs and PHI never reach the logs.

One representative run — prefetch with patient names and ids, data fetched from the EHR's FHIR
server with an access token (answers, errors, a hang-up), a rejected, an expired and a replayed
JWT, a 400 echoing patient data, a 412, feedback with a free-text comment — is played against
the app in-process (log records captured with caplog: the formatted line AND every attribute of
each record) and against `gist-cds serve` (everything the real server writes to stderr). None
of the secrets may appear; the logs must still record the calls (so the search is not vacuous).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests

from cds_hooks.config import Settings
from cds_hooks.logs import JsonFormatter
from tests.fhir_mappings import fhir as F
from tests.reliability.conftest import LogCapture, SecretLedger
from tests.reliability.served import free_port, gist_cds_serve, service_env
from tests.support import jwt_tools
from tests.support.fhir_server import Reply, ScriptedServer, scripted_server
from tests.support.live import hook_request, live_service

SERVICE = "cds-services/gist-treatment"


@dataclass
class Secrets:
    """Everything sensitive a run handed to the service."""

    values: set[str] = field(default_factory=set)

    def new(self, prefix: str) -> str:
        value = f"{prefix}-{uuid.uuid4().hex}"
        self.values.add(value)
        return value

    def found_in(self, text: str) -> list[str]:
        return sorted(v for v in self.values if v in text)


def _name(secrets: Secrets) -> tuple[str, str]:
    return secrets.new("Quillfeather"), secrets.new("Zebedee")


def fhir_script(secrets: Secrets, patient_id: str) -> Callable[[str], Reply]:
    """The EHR's FHIR server: the Patient (with a name), a GIST Condition, and failures."""
    family, given = _name(secrets)
    patient = F.patient(patient_id, name=[{"family": family, "given": [given]}])
    gist = F.gist("gist-1", bodySite=[F.cc(F.SNOMED, "69695003")])
    gist["subject"] = {"reference": f"Patient/{patient_id}", "display": f"{given} {family}"}

    def script(path: str) -> Reply:
        if path.startswith("/fhir/Patient/"):
            return Reply(200, json.dumps(patient).encode())
        if "Condition" in path:
            return Reply(200, json.dumps(F.searchset(gist)).encode())
        if "Observation" in path:
            return Reply(401, b'{"resourceType": "OperationOutcome", "issue": []}')
        if "MedicationStatement" in path:
            return Reply(200, b'{"resourceType": "Bundle", "entry": [', length=500)  # hang-up
        return Reply(500, b"internal error at the EHR")

    return script


def representative_run(
    base_url: str, fhir_base: str, secrets: Secrets, patient_id: str
) -> list[int]:
    """Play the run against a service at `base_url`; returns the statuses it answered."""
    http = requests.Session()
    statuses: list[int] = []

    def post(path: str, body: Any, *, token: str | None = None) -> requests.Response:
        url = f"{base_url}/{path}"
        jwt = token or jwt_tools.mint(jwt_tools.TEST_ISSUER, url)
        secrets.values.add(jwt)
        response = http.post(url, json=body, headers={"Authorization": f"Bearer {jwt}"}, timeout=30)
        statuses.append(response.status_code)
        return response

    family, given = _name(secrets)
    ehr_token = secrets.new("ehr-access-token")
    prefetch: dict[str, Any] = {
        "patient": F.patient(patient_id, name=[{"family": family, "given": [given]}]),
        "conditions": F.searchset(
            F.gist("gist-1", bodySite=[F.cc(F.SNOMED, "69695003")], note=[{"text": family}])
        ),
        "observations": F.searchset(F.size("size-1", 7.5), F.mitoses("mit-1", 8)),
    }
    # 1. prefetch with PHI, the rest fetched with the token (a hang-up, a 401, a 500)
    answer = post(
        SERVICE, hook_request(patient_id, prefetch, fhir_server=fhir_base, access_token=ehr_token)
    )
    cards = answer.json()["cards"]
    # 2. everything fetched from the FHIR server
    post(SERVICE, hook_request(patient_id, None, fhir_server=fhir_base, access_token=ehr_token))
    # 3. a fhirServer outside the allowlist, with the token
    outside = hook_request(
        patient_id, None, fhir_server="http://10.255.255.1/fhir", access_token=ehr_token
    )
    post(SERVICE, outside)
    # 4. JWTs that are refused: bad signature, expired, replayed, wrong audience
    url = f"{base_url}/{SERVICE}"
    good = jwt_tools.mint(jwt_tools.TEST_ISSUER, url)
    tampered = good[:-6] + ("AAAAAA" if not good.endswith("AAAAAA") else "BBBBBB")
    post(SERVICE, hook_request(patient_id, prefetch), token=tampered)
    post(
        SERVICE,
        hook_request(patient_id, prefetch),
        token=jwt_tools.mint(jwt_tools.TEST_ISSUER, url, exp_in=-3600, iat=0),
    )
    post(SERVICE, hook_request(patient_id, prefetch), token=good)
    post(SERVICE, hook_request(patient_id, prefetch), token=good)  # replay
    post(
        SERVICE,
        hook_request(patient_id, prefetch),
        token=jwt_tools.mint(jwt_tools.TEST_ISSUER, base_url + "/elsewhere"),
    )
    # 5. a 400 whose diagnostics echo patient data, and a 412
    bad = hook_request(patient_id, prefetch)
    bad["context"]["patientId"] = f"{family} {given}"
    post(SERVICE, bad)
    post(SERVICE, hook_request(patient_id, {"patient": prefetch["patient"]}))
    # 6. feedback with a comment
    comment = secrets.new("tumour board private note")
    feedback = [
        {
            "card": card["uuid"],
            "outcome": "overridden",
            "overrideReason": {"userComment": f"{comment} about {family}"},
            "outcomeTimestamp": dt.datetime.now(dt.UTC).isoformat(),
        }
        for card in cards
    ]
    post(SERVICE + "/feedback", {"feedback": feedback})
    http.close()
    return statuses


EXPECTED = [200, 200, 412, 401, 401, 200, 401, 401, 400, 412, 200]


@pytest.fixture
def ehr() -> Iterator[tuple[ScriptedServer, Secrets, str]]:
    secrets = Secrets()
    patient_id = secrets.new("pt")[:40]
    with scripted_server(fhir_script(secrets, patient_id)) as server:
        yield server, secrets, patient_id


def _clients(tmp_path: Path, fhir_base: str) -> str:
    return jwt_tools.write_trusted_clients(
        tmp_path / "clients.json", [jwt_tools.client_entry(fhir_servers=[fhir_base])]
    )


def test_in_process_log_records_hold_no_secret(
    tmp_path: Path,
    ehr: tuple[ScriptedServer, Secrets, str],
    caplog: pytest.LogCaptureFixture,
    secrets_ledger: SecretLedger,
    session_log: LogCapture,
) -> None:
    server, secrets, patient_id = ehr
    clients = _clients(tmp_path, server.base_url)

    def settings(base_url: str) -> Settings:
        return Settings(
            public_base_url=base_url,
            trusted_clients_path=clients,
            database_url=f"sqlite:///{tmp_path / 'gist.sqlite3'}",
            fhir_timeout_s=2.0,
        )

    lines_before = len(session_log.lines)
    # DEBUG: the most a deployment can log (third-party loggers stay at WARNING, see logs.py)
    with caplog.at_level(logging.DEBUG), live_service(settings) as live:
        statuses = representative_run(live.base_url, server.base_url, secrets, patient_id)
    secrets_ledger.add(*secrets.values)

    assert statuses == EXPECTED
    assert any(hit.authorization for hit in server.hits)  # the token really went out
    formatter = JsonFormatter()
    formatted = "\n".join(formatter.format(record) for record in caplog.records)
    raw = "\n".join(repr(vars(record)) + record.getMessage() for record in caplog.records)
    assert '"event": "hook"' in formatted
    assert '"event": "feedback"' in formatted
    assert '"event": "auth-rejected"' in formatted
    assert secrets.found_in(formatted) == []
    assert secrets.found_in(raw) == []
    assert len(session_log.lines) > lines_before  # the session-wide audit sees these too


@pytest.mark.parametrize("level", ["INFO", "DEBUG"])
def test_gunicorn_stderr_holds_no_secret(
    tmp_path: Path,
    ehr: tuple[ScriptedServer, Secrets, str],
    secrets_ledger: SecretLedger,
    level: str,
) -> None:
    server, secrets, patient_id = ehr
    port = free_port()
    env = service_env(
        tmp_path,
        database_url=f"sqlite:///{tmp_path / 'gist.sqlite3'}",
        public_base_url=f"http://127.0.0.1:{port}",
        fhir_servers=[server.base_url],
        fhir_timeout_s="2",
        log_level=level,
    )
    with gist_cds_serve(env, tmp_path / "serve.log", port=port, workers=2) as served:
        statuses = representative_run(served.base_url, server.base_url, secrets, patient_id)
    secrets_ledger.add(*secrets.values)

    assert statuses == EXPECTED
    log = served.log_text()
    records = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    events = {record.get("event") for record in records}
    assert {"hook", "feedback", "auth-rejected"} <= events, events
    leaking = [line for line in log.splitlines() if secrets.found_in(line)]
    assert leaking == []
