"""What the JSON logs carry: every `extra=` field a call site passes (rule ids, fetch statistics),
masked and capped, and never a field whose name says secret or patient data."""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any

import pytest
from flask.testing import FlaskClient

from cds_hooks.logs import MAX_EXTRA_FIELDS, MAX_FIELD_CHARS, WITHHELD, JsonFormatter
from tests.fhir_mappings import fhir as F


def formatted(record: logging.LogRecord) -> dict[str, Any]:
    line: dict[str, Any] = json.loads(JsonFormatter().format(record))
    return line


def record_with(**extra: Any) -> logging.LogRecord:
    return logging.makeLogRecord({"name": "gist_cds.test", "msg": "event", **extra})


def test_unknown_extra_fields_are_logged_not_dropped() -> None:
    line = formatted(record_with(rule="B1", fetch_ms=12.5, widgets=["a", "b"]))
    assert line["rule"] == "B1"
    assert line["fetch_ms"] == 12.5
    assert line["widgets"] == ["a", "b"]


@pytest.mark.parametrize(
    "key", ["access_token", "Authorization", "patient_id", "family_name", "request_body", "url"]
)
def test_secret_or_patient_looking_fields_are_withheld(key: str) -> None:
    secret = f"eyJ-{uuid.uuid4().hex}"
    text = JsonFormatter().format(record_with(**{key: secret}))
    assert secret not in text
    assert json.loads(text)[key] == WITHHELD


def test_extra_values_are_masked_and_capped() -> None:
    jwt = "eyJhbGciOiJFUzM4NCJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"
    line = formatted(record_with(reason=f"upstream said {jwt}", detail="x" * 5000))
    assert jwt not in json.dumps(line)
    assert len(line["detail"]) < MAX_FIELD_CHARS + 40
    many = formatted(record_with(**{f"field_{i:03d}": i for i in range(MAX_EXTRA_FIELDS + 5)}))
    assert many["more_fields"] == 5


def test_a_hook_call_logs_its_rule_ids_and_fetch_statistics(
    app_client: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    patient_id = f"pt-{uuid.uuid4().hex[:12]}"
    family = f"Quill{uuid.uuid4().hex[:10]}"
    prefetch = {
        "patient": F.patient(patient_id, name=[{"family": family}]),
        "conditions": F.searchset(F.gist("gist-1", bodySite=[F.cc(F.SNOMED, "69695003")])),
        "observations": F.searchset(F.size("size-1", 7.5), F.mitoses("mit-1", 8)),
        "medicationStatements": None,
        "medicationRequests": None,
        "procedures": None,
    }
    body = {
        "hook": "patient-view",
        "hookInstance": str(uuid.uuid4()),
        "context": {"userId": "Practitioner/1", "patientId": patient_id},
        "prefetch": prefetch,
    }
    with caplog.at_level(logging.INFO):
        answer = app_client.post("/cds-services/gist-treatment", json=body)
    assert answer.status_code == 200
    rule_ids = [c["extension"]["org.gist-cds"]["ruleId"] for c in answer.get_json()["cards"]]
    assert rule_ids
    lines = [formatted(r) for r in caplog.records]
    hook = next(line for line in lines if line.get("event") == "hook")
    assert hook["rule_ids"] == rule_ids
    fetch = next(line for line in lines if line["msg"] == "prefetch resolved")
    assert fetch["prefetched"] == ["conditions", "observations", "patient"]
    assert fetch["empty"] == ["medicationRequests", "medicationStatements", "procedures"]
    assert fetch["fetched"] == []
    assert isinstance(fetch["fetch_ms"], float)
    everything = "\n".join(JsonFormatter().format(r) for r in caplog.records)
    assert patient_id not in everything
    assert family not in everything
