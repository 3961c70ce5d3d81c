"""The OpenAPI document against the code and the live service.

Routes: `/openapi.json` describes exactly the Flask app's routes. Fuzzing: schemathesis generates
requests from the document (valid and invalid bodies, odd path ids) and sends them over real HTTP
to the service with authentication on — each with a fresh JWT whose audience is the exact URL
called. No answer may be a 5xx; each must match the document (status, content type, schema);
every 4xx of the JSON API is an OperationOutcome. Without a JWT, every CDS route answers 401.
"""

from __future__ import annotations

import copy
import re
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from cds_hooks.openapi import openapi_document
from cds_hooks.validation import validator
from tests.support import jwt_tools
from tests.support.live import LiveService

MIN_REQUESTS = 2000
#: Examples per operation: the three CDS routes carry the load, the others a smaller share.
EXAMPLES = {"discovery": 400, "callService": 900, "feedback": 800}
OTHER_EXAMPLES = 60
ANY_ID_EXAMPLES = 100
UNAUTHENTICATED_EXAMPLES = 40
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
SECURED = ("discovery", "callService", "feedback")


def _pinned(document: dict[str, Any]) -> dict[str, Any]:
    """The document with `service_id` pinned to the real service and the hook request pinned to
    a patient-view context, so generated bodies get past routing and context validation into the
    pipeline (a 200) instead of stopping at a 404 or 400. Negative cases still vary both."""
    pinned = copy.deepcopy(document)
    for item in pinned["paths"].values():
        for operation in item.values():
            for parameter in operation.get("parameters", []):
                if parameter["name"] == "service_id":
                    parameter["schema"] = {"enum": ["gist-treatment"]}
    schema = validator("patient-view-context").schema
    assert isinstance(schema, dict)
    context = {k: v for k, v in schema.items() if not k.startswith("$")}
    hook_request = pinned["components"]["schemas"]["HookRequest"]["properties"]
    hook_request["hook"] = {"const": "patient-view"}
    hook_request["context"] = context
    hook_request["prefetch"] = {  # `conditions` is required: without it every call is a 412
        "type": "object",
        "required": ["conditions"],
        "properties": {
            "conditions": {
                "type": ["object", "null"],
                "required": ["resourceType"],
                "properties": {
                    "resourceType": {"const": "Bundle"},
                    "entry": {
                        "type": "array",
                        "items": {"type": "object", "properties": {"resource": {"type": "object"}}},
                    },
                },
            }
        },
        "additionalProperties": {"type": ["object", "null"]},
    }
    return pinned


schema = schemathesis.openapi.from_dict(_pinned(openapi_document()))
any_id_schema = schemathesis.openapi.from_dict(openapi_document()).include(
    operation_id=["callService", "feedback"]
)
sent: Counter[str] = Counter()  # operation id -> requests sent carrying our JWT
statuses: Counter[tuple[str, int]] = Counter()


def _operation_id(case: Any) -> str:
    return str(case.operation.definition.raw["operationId"])


def _examples(operation_id: str) -> int:
    return EXAMPLES.get(operation_id, OTHER_EXAMPLES)


def _flask_path(rule: str) -> str:
    return re.sub(r"<(?:[a-z]+:)?([A-Za-z_]+)>", r"{\1}", rule)


def test_document_routes_equal_the_apps_routes(service: LiveService) -> None:
    documented = {
        (path, method.upper())
        for path, item in openapi_document()["paths"].items()
        for method in item
    }
    served = {
        (_flask_path(rule.rule), method)
        for rule in service.app.url_map.iter_rules()
        if rule.endpoint.rsplit(".", 1)[-1] != "static"  # Flask and blueprint file routes
        for method in rule.methods or ()
        if method not in ("HEAD", "OPTIONS")
    }
    assert documented == served


def assert_outcome_on_error(response: requests.Response, operation_id: str) -> None:
    if operation_id not in SECURED or not 400 <= response.status_code < 500:
        return
    body = response.json()
    assert body["resourceType"] == "OperationOutcome", body
    assert body["issue"][0]["severity"] == "error"


@pytest.fixture(scope="module", autouse=True)
def _request_count() -> Iterator[None]:
    yield
    with_jwt = sum(
        sent[label] for label in sent if "(no JWT)" not in label and "stripped" not in label
    )
    print(f"\nschemathesis requests sent: {sum(sent.values())} ({with_jwt} carrying a fresh JWT)")
    print("by operation and status:", dict(sorted(statuses.items())))
    if all(sent[operation] for operation in SECURED):  # the whole fuzz test ran
        assert with_jwt >= MIN_REQUESTS, f"only {with_jwt} requests sent ({dict(sent)})"


@schema.parametrize()
@settings(
    max_examples=max(EXAMPLES.values()),
    deadline=None,
    suppress_health_check=list(HealthCheck),
    database=None,
)
def test_fuzzed_requests_with_a_fresh_jwt(case: Any, service: LiveService) -> None:
    operation_id = _operation_id(case)
    if sent[operation_id] >= _examples(operation_id):
        return
    fuzz_with_jwt(case, service, operation_id)


@any_id_schema.parametrize()
@settings(
    max_examples=ANY_ID_EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    database=None,
)
def test_fuzzed_service_ids_with_a_fresh_jwt(case: Any, service: LiveService) -> None:
    fuzz_with_jwt(case, service, _operation_id(case) + " (any id)")


def fuzz_with_jwt(case: Any, service: LiveService, label: str) -> None:
    """Send the case with a JWT minted for its exact URL; check the answer against the document.

    Schemathesis also sends some cases with the credentials stripped (its own security checks):
    those are counted apart and must be refused like any call without a JWT."""
    url = service.url(case.formatted_path)
    token = jwt_tools.bearer(jwt_tools.mint(jwt_tools.TEST_ISSUER, url))
    response = case.call(
        base_url=service.base_url, session=service.session, headers={"Authorization": token}
    )
    carried = response.request.headers.get("Authorization") == token
    label = label if carried else label + " (auth stripped)"
    sent[label] += 1
    statuses[label, response.status_code] += 1
    case.validate_response(response, checks=CHECKS)
    assert_outcome_on_error(response, _operation_id(case))
    if not carried and _operation_id(case) in SECURED:
        assert response.status_code in (401, 405), response.text
    if carried and response.status_code == 401:
        # The audience is checked against the decoded path: a percent-encoded service id (no
        # real service has one) cannot match the encoded URL the token was minted for.
        assert "%" in case.formatted_path, (case.formatted_path, response.text)


@schema.include(operation_id=list(SECURED)).parametrize()
@settings(
    max_examples=UNAUTHENTICATED_EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    database=None,
)
def test_without_a_jwt_every_cds_route_answers_401(case: Any, service: LiveService) -> None:
    """The documented method answers a bare 401; other methods never reach the handler (405,
    or the CORS preflight for OPTIONS), so none of them can leak data either."""
    operation_id = _operation_id(case)
    headers = {"Authorization": ""} if case.headers and "Authorization" in case.headers else None
    response = case.call(base_url=service.base_url, session=service.session, headers=headers)
    sent[f"{operation_id} (no JWT)"] += 1
    statuses[f"{operation_id} (no JWT)", response.status_code] += 1
    if case.method.upper() != case.operation.method.upper():
        if case.method.upper() == "OPTIONS":
            assert response.status_code == 200
            assert not response.content
        else:
            assert response.status_code == 405, response.text
        return
    assert response.status_code == 401, (case.formatted_path, response.text)
    assert response.headers["www-authenticate"][0].startswith("Bearer")
    assert response.json() == {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": "login"}],
    }
