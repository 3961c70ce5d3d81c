"""Typed errors mapped once to an HTTP status and a FHIR OperationOutcome body (never a trace)."""

from __future__ import annotations

from typing import Any

#: OperationOutcome issue codes (FHIR R4 IssueType) per HTTP status we answer with.
_ISSUE_CODE = {
    400: "invalid",
    401: "login",
    403: "forbidden",
    404: "not-found",
    405: "not-supported",
    409: "conflict",
    412: "incomplete",
    413: "too-costly",
    415: "not-supported",
    429: "throttled",
    500: "exception",
    503: "transient",
}


class ServiceError(Exception):
    """An expected failure of a request: the client gets `status` and `message`."""

    status = 400

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status


class BadRequest(ServiceError):
    status = 400


class Unauthorized(ServiceError):
    status = 401


class Forbidden(ServiceError):
    status = 403


class NotFound(ServiceError):
    status = 404


class Conflict(ServiceError):
    status = 409


class TooManyRequests(ServiceError):
    status = 429


class PreconditionFailed(ServiceError):
    status = 412


class PayloadTooLarge(ServiceError):
    status = 413


class UnsupportedMediaType(ServiceError):
    status = 415


def operation_outcome(status: int, message: str | None) -> dict[str, Any]:
    """A FHIR OperationOutcome for an error reply; `message` None gives a bare outcome (401)."""
    issue: dict[str, Any] = {
        "severity": "error",
        "code": _ISSUE_CODE.get(status, "processing"),
    }
    if message:
        issue["diagnostics"] = message
    return {"resourceType": "OperationOutcome", "issue": [issue]}
