"""The hook registry: a throwaway hook registered in a test is served by discovery, the HTTP
views, the OpenAPI document and `gist-cds evaluate` with no other change; the registry refuses
malformed entries."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from flask.testing import FlaskClient

from cds_hooks import hooks
from cds_hooks.cli import main
from cds_hooks.hooks import HookSettings, ServiceDefinition
from cds_hooks.hooks.patient_view import GIST_TREATMENT
from cds_hooks.openapi import openapi_document
from cds_hooks.pipeline import HookResult
from cds_hooks.validation import schema_errors
from fhir_mappings import build_case

ECHO_CONTEXT = {
    "type": "object",
    "required": ["patientId", "colour"],
    "properties": {"patientId": {"type": "string"}, "colour": {"enum": ["red", "blue"]}},
}

seen_settings: list[HookSettings] = []


def echo(request: Mapping[str, Any], settings: HookSettings) -> HookResult:
    """Answers one card naming the context's colour and the prefetch keys it was given."""
    seen_settings.append(settings)
    patient_id = str(request["context"]["patientId"])
    card: dict[str, Any] = {
        "uuid": str(uuid.uuid4()),
        "summary": f"echo {request['context']['colour']}",
        "indicator": "info",
        "source": {"label": "echo"},
        "extension": {"org.gist-cds": {"ruleId": "ECHO"}},
    }
    return HookResult(
        response={"cards": [card]},
        case=build_case([], patient_id=patient_id),
        recommendations=(),
        problems=(),
        card_rules={card["uuid"]: "ECHO"},
        latency_ms=0.0,
    )


def echo_service(**changes: Any) -> ServiceDefinition:
    fields: dict[str, Any] = {
        "id": "echo-test",
        "hook": "echo-view",
        "title": "Echo",
        "description": "Throwaway hook of the registry tests.",
        "prefetch": {"patient": "Patient/{{context.patientId}}"},
        "required_keys": frozenset({"patient"}),
        "usage_requirements": hooks.usage_requirements({"patient": "Patient/{{x}}"}),
        "context_schema": ECHO_CONTEXT,
        "handler": echo,
    }
    return ServiceDefinition(**(fields | changes))


@pytest.fixture
def echo_hook() -> Iterator[ServiceDefinition]:
    service = hooks.register(echo_service())
    seen_settings.clear()
    try:
        yield service
    finally:
        hooks.unregister(service.id)


def echo_request(**context: Any) -> dict[str, Any]:
    return {
        "hook": "echo-view",
        "hookInstance": str(uuid.uuid4()),
        "context": {"patientId": "p-echo", "colour": "red"} | context,
        "prefetch": {"patient": {"resourceType": "Patient", "id": "p-echo"}},
    }


def test_gist_treatment_is_registered_from_its_module() -> None:
    assert hooks.find("gist-treatment") is GIST_TREATMENT
    assert GIST_TREATMENT in hooks.services()
    assert hooks.for_hook("patient-view") == (GIST_TREATMENT,)
    assert GIST_TREATMENT.medication_use_types == {"MedicationStatement", "MedicationRequest"}


def test_usage_requirements_are_written_from_the_prefetch_templates() -> None:
    text = GIST_TREATMENT.usage_requirements
    for template in GIST_TREATMENT.prefetch.values():
        assert template.split("?")[0].split("/")[0] in text
    assert hooks.usage_requirements({"a": "Patient/{{x}}", "b": "Condition?patient={{x}}"}) == (
        "Needs read access to the patient's Patient and Condition resources (prefetch or "
        "fhirServer with fhirAuthorization)."
    )


def test_discovery_lists_a_registered_hook_and_forgets_it_after(
    app_client: FlaskClient, echo_hook: ServiceDefinition
) -> None:
    body = app_client.get("/cds-services").get_json()
    assert schema_errors("cds-hooks-discovery", body) == []
    listed = [s["id"] for s in body["services"]]
    assert listed == [s.id for s in hooks.services()]
    assert listed[-1] == "echo-test"
    assert body["services"][-1]["hook"] == "echo-view"
    hooks.unregister(echo_hook.id)
    assert [s["id"] for s in app_client.get("/cds-services").get_json()["services"]] == listed[:-1]


def test_the_view_validates_the_hooks_context_and_calls_its_handler(
    app_client: FlaskClient, echo_hook: ServiceDefinition
) -> None:
    answer = app_client.post("/cds-services/echo-test", json=echo_request())
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert answer.get_json()["cards"][0]["summary"] == "echo red"
    assert seen_settings[-1].public_base_url == "http://127.0.0.1:9"

    wrong = app_client.post("/cds-services/echo-test", json=echo_request(colour="green"))
    assert wrong.status_code == 400
    assert "invalid echo-view context: colour" in wrong.get_json()["issue"][0]["diagnostics"]

    other_hook = echo_request() | {"hook": "patient-view"}
    refused = app_client.post("/cds-services/echo-test", json=other_hook)
    assert refused.status_code == 400
    assert "answers the 'echo-view' hook" in refused.get_json()["issue"][0]["diagnostics"]


def test_openapi_describes_a_registered_hook_until_it_is_removed(
    echo_hook: ServiceDefinition,
) -> None:
    document = openapi_document()
    assert document["components"]["schemas"]["echo-test.context"]["required"] == [
        "patientId",
        "colour",
    ]
    assert (
        "`echo-test` answers `echo-view`"
        in (document["paths"]["/cds-services/{service_id}"]["post"]["description"])
    )
    hooks.unregister(echo_hook.id)
    assert "echo-test.context" not in openapi_document()["components"]["schemas"]
    assert "gist-treatment.context" in openapi_document()["components"]["schemas"]


def test_evaluate_answers_any_registered_hook(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], echo_hook: ServiceDefinition
) -> None:
    path = tmp_path / "echo.json"
    path.write_text(json.dumps(echo_request(colour="blue")))
    assert main(["evaluate", str(path)]) == 0
    assert json.loads(capsys.readouterr().out)["cards"][0]["summary"] == "echo blue"
    assert main(["evaluate", "--service", "echo-test", str(path)]) == 0
    capsys.readouterr()
    assert main(["evaluate", "--service", "gist-treatment", str(path)]) == 2
    assert "answers the 'patient-view' hook" in capsys.readouterr().err


def test_evaluate_names_an_unknown_hook(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "unknown.json"
    path.write_text(json.dumps(echo_request()))
    assert main(["evaluate", str(path)]) == 2
    err = capsys.readouterr().err
    assert "no CDS service answers the 'echo-view' hook" in err
    assert "patient-view" in err


def test_the_registry_refuses_malformed_entries(echo_hook: ServiceDefinition) -> None:
    with pytest.raises(ValueError, match="already registered"):
        hooks.register(echo_service())
    with pytest.raises(ValueError, match="not 1-64"):
        echo_service(id="has space")
    with pytest.raises(ValueError, match="not prefetched"):
        echo_service(required_keys=frozenset({"conditions"}))
    with pytest.raises(jsonschema.SchemaError):
        echo_service(context_schema={"type": "no-such-type"})
