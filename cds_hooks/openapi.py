"""The OpenAPI 3.1 description of the HTTP API, built from the JSON Schemas the service itself
validates with, so the document cannot drift from the code (a test also compares the routes)."""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any

from cds_hooks import hooks
from cds_hooks.hooks import ServiceDefinition
from cds_hooks.validation import SCHEMA_PACKAGE

_OUTCOME = {
    "type": "object",
    "required": ["resourceType", "issue"],
    "properties": {
        "resourceType": {"const": "OperationOutcome"},
        "issue": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["severity", "code"],
                "properties": {
                    "severity": {"enum": ["fatal", "error", "warning", "information"]},
                    "code": {"type": "string"},
                    "diagnostics": {"type": "string"},
                },
            },
        },
    },
}

_FEEDBACK_REQUEST = {
    "type": "object",
    "required": ["feedback"],
    "properties": {
        "feedback": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["card", "outcome", "outcomeTimestamp"],
                "properties": {
                    "card": {"type": "string", "minLength": 1},
                    "outcome": {"enum": ["accepted", "overridden"]},
                    "outcomeTimestamp": {"type": "string", "format": "date-time"},
                    "acceptedSuggestions": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["id"],
                            "properties": {"id": {"type": "string"}},
                        },
                    },
                    "overrideReason": {
                        "type": "object",
                        "properties": {
                            "reason": {"type": "object"},
                            "userComment": {"type": "string"},
                        },
                    },
                },
            },
        }
    },
}

_FEEDBACK_RESPONSE = {
    "type": "object",
    "required": ["received", "stored"],
    "properties": {"received": {"type": "integer"}, "stored": {"type": "integer"}},
}

_HEALTH = {
    "type": "object",
    "required": ["status", "database", "knowledgeVersion"],
    "properties": {
        "status": {"enum": ["ok", "degraded"]},
        "database": {"type": "string"},
        "knowledgeVersion": {"type": "string"},
        "auth": {"enum": ["on", "off"]},
    },
}


_READINESS = {
    "type": "object",
    "required": ["status", "database", "knowledge", "trustedClients"],
    "properties": {
        "status": {"enum": ["ready", "not-ready"]},
        "database": {"enum": ["ok", "unreachable"]},
        "knowledge": {
            "type": "object",
            "properties": {"version": {"type": "string"}, "rules": {"type": "integer"}},
        },
        "trustedClients": {
            "type": "object",
            "additionalProperties": {"enum": ["keys loaded", "keys unavailable"]},
        },
        "auth": {"enum": ["on", "off"]},
    },
}


def _rebase_refs(node: Any, prefix: str) -> Any:
    """Point a schema file's local `#/$defs/...` refs at its place inside the OpenAPI document."""
    if isinstance(node, dict):
        return {
            key: (
                prefix + value[1:]
                if key == "$ref" and value.startswith("#/")
                else _rebase_refs(value, prefix)
            )
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_rebase_refs(item, prefix) for item in node]
    return node


def _schema(name: str, component: str) -> dict[str, Any]:
    text = resources.files(SCHEMA_PACKAGE).joinpath(f"{name}.schema.json").read_text("utf-8")
    return _component(json.loads(text), component)


def _component(source: Mapping[str, Any], component: str) -> dict[str, Any]:
    schema = copy.deepcopy(dict(source))
    schema.pop("$schema", None)
    schema.pop("$id", None)
    rebased: dict[str, Any] = _rebase_refs(schema, f"#/components/schemas/{component}")
    return rebased


def _json(ref: str) -> dict[str, Any]:
    return {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}}


def _errors(*statuses: int) -> dict[str, Any]:
    names = {
        400: "Malformed or invalid request",
        401: "Missing or invalid JWT (bare outcome)",
        403: "Peer address not in GIST_CDS_METRICS_ALLOW",
        404: "Unknown service or route",
        405: "Method not allowed",
        412: "Required data neither prefetched nor fetchable",
        409: "Feedback changing the outcome this client already reported for the card",
        413: "Body over the size limit",
        415: "Content-Type is not application/json",
        429: "Feedback over the per-client rate limit",
        503: "Database unreachable",
    }
    return {
        str(s): {"description": names[s], "content": _json("OperationOutcome")} for s in statuses
    }


_SERVICE_ID = {
    "name": "service_id",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "pattern": "^[A-Za-z0-9\\-_.]{1,64}$"},
}
_BEARER: list[dict[str, list[str]]] = [{"cdsClientJwt": []}]


def _context_component(service: ServiceDefinition) -> str:
    return f"{service.id}.context"


def _call_description(services: tuple[ServiceDefinition, ...]) -> str:
    listed = "; ".join(
        f"`{s.id}` answers `{s.hook}` (context: #/components/schemas/{_context_component(s)})"
        for s in services
    )
    return f"Call a CDS service. Registered services: {listed}."


def openapi_document() -> dict[str, Any]:
    """The API description, with every registered service and its context schema (cached until
    the hook registry changes)."""
    return _document(hooks.generation())


@cache
def _document(_generation: int) -> dict[str, Any]:
    services = hooks.services()
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "gist-cds",
            "version": "0.1.0",
            "description": "CDS Hooks 2.0 service for GIST management. Errors are FHIR "
            "OperationOutcome bodies.",
        },
        "paths": {
            "/cds-services": {
                "get": {
                    "operationId": "discovery",
                    "security": _BEARER,
                    "responses": {
                        "200": {"description": "Discovery document", "content": _json("Discovery")},
                        **_errors(401),
                    },
                }
            },
            "/cds-services/{service_id}": {
                "post": {
                    "operationId": "callService",
                    "description": _call_description(services),
                    "security": _BEARER,
                    "parameters": [_SERVICE_ID],
                    "requestBody": {"required": True, "content": _json("HookRequest")},
                    "responses": {
                        "200": {"description": "Cards", "content": _json("HookResponse")},
                        **_errors(400, 401, 404, 412, 413, 415),
                    },
                }
            },
            "/cds-services/{service_id}/feedback": {
                "post": {
                    "operationId": "feedback",
                    "security": _BEARER,
                    "parameters": [_SERVICE_ID],
                    "requestBody": {"required": True, "content": _json("FeedbackRequest")},
                    "responses": {
                        "200": {"description": "Stored", "content": _json("FeedbackResponse")},
                        **_errors(400, 401, 404, 409, 413, 415, 429),
                    },
                }
            },
            "/healthz": {
                "get": {
                    "operationId": "health",
                    "security": [],
                    "responses": {
                        "200": {"description": "Healthy", "content": _json("Health")},
                        "503": {"description": "Database unreachable", "content": _json("Health")},
                    },
                }
            },
            "/readyz": {
                "get": {
                    "operationId": "ready",
                    "security": [],
                    "responses": {
                        "200": {"description": "Ready", "content": _json("Readiness")},
                        "503": {
                            "description": "Database, knowledge or client keys unavailable",
                            "content": _json("Readiness"),
                        },
                    },
                }
            },
            "/metrics": {
                "get": {
                    "operationId": "metrics",
                    "security": [],
                    "responses": {
                        "200": {
                            "description": "Prometheus text exposition format",
                            "content": {"text/plain": {"schema": {"type": "string"}}},
                        },
                        **_errors(403),
                    },
                }
            },
            "/": {
                "get": {
                    "operationId": "landing",
                    "security": [],
                    "responses": {
                        "200": {
                            "description": "HTML page: what the service is, where to go next",
                            "content": {"text/html": {"schema": {"type": "string"}}},
                        }
                    },
                }
            },
            "/rules": {
                "get": {
                    "operationId": "listRules",
                    "security": [],
                    "responses": {
                        "200": {
                            "description": "HTML list of rules",
                            "content": {"text/html": {"schema": {"type": "string"}}},
                        }
                    },
                }
            },
            "/rules/{rule_id}": {
                "get": {
                    "operationId": "rulePage",
                    "security": [],
                    "parameters": [
                        {
                            "name": "rule_id",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string"},
                        },
                        {
                            "name": "risk",
                            "in": "query",
                            "required": False,
                            "schema": {"type": "string"},
                        },
                    ],
                    "responses": {
                        "200": {
                            "description": "HTML rule page",
                            "content": {"text/html": {"schema": {"type": "string"}}},
                        },
                        "404": {
                            "description": "Unknown rule",
                            "content": {"text/html": {"schema": {"type": "string"}}},
                        },
                    },
                }
            },
            "/rules/orders": {
                "get": {
                    "operationId": "listOrderChecks",
                    "security": [],
                    "responses": {
                        "200": {
                            "description": "HTML list of the order checks",
                            "content": {"text/html": {"schema": {"type": "string"}}},
                        }
                    },
                }
            },
            "/rules/orders/{check_id}": {
                "get": {
                    "operationId": "orderCheckPage",
                    "security": [],
                    "parameters": [
                        {
                            "name": "check_id",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string"},
                        }
                    ],
                    "responses": {
                        "200": {
                            "description": "HTML order-check page",
                            "content": {"text/html": {"schema": {"type": "string"}}},
                        },
                        "404": {
                            "description": "Unknown order check",
                            "content": {"text/html": {"schema": {"type": "string"}}},
                        },
                    },
                }
            },
            "/openapi.json": {
                "get": {
                    "operationId": "openapi",
                    "security": [],
                    "responses": {
                        "200": {
                            "description": "This document",
                            "content": {"application/json": {"schema": {"type": "object"}}},
                        }
                    },
                }
            },
        },
        "components": {
            "securitySchemes": {
                "cdsClientJwt": {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": "JWT (ES384/RS384; aud = the URL called)",
                }
            },
            "schemas": {
                "HookRequest": _schema("cds-hooks-request", "HookRequest"),
                "HookResponse": _schema("cds-hooks-response", "HookResponse"),
                "Discovery": _schema("cds-hooks-discovery", "Discovery"),
                "FeedbackRequest": _FEEDBACK_REQUEST,
                "FeedbackResponse": _FEEDBACK_RESPONSE,
                "Health": _HEALTH,
                "Readiness": _READINESS,
                "OperationOutcome": _OUTCOME,
                **{
                    _context_component(s): _component(s.context_schema, _context_component(s))
                    for s in services
                },
            },
        },
    }
