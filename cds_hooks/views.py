"""HTTP routes of the CDS Hooks API: discovery, service calls, feedback, health.

Views are thin: authenticate → read and validate the body → call the pipeline → answer. Every
failure is a typed `ServiceError`, turned into an OperationOutcome by the app's error handlers.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, current_app, g, jsonify, request

from cds_hooks import hooks, metrics
from cds_hooks.auth import AuthError
from cds_hooks.deadline import GRACE_S as DEADLINE_GRACE_S
from cds_hooks.deadline import RequestDeadlineExceeded, arm, disarm
from cds_hooks.errors import (
    BadRequest,
    Conflict,
    Forbidden,
    NotFound,
    PayloadTooLarge,
    PreconditionFailed,
    ServiceError,
    TooManyRequests,
    Unauthorized,
    UnsupportedMediaType,
)
from cds_hooks.feedback import MAX_BODY_BYTES as MAX_FEEDBACK_BODY_BYTES
from cds_hooks.feedback import parse_feedback
from cds_hooks.fetch import PrefetchUnavailable
from cds_hooks.hooks import HookSettings, ServiceDefinition, validate_hook_request
from cds_hooks.openapi import openapi_document
from cds_hooks.runtime import Runtime
from cds_hooks.storage import AuditRecord, FeedbackRejected
from cds_hooks.trusted_clients import TrustedClient
from cds_hooks.validation import FAST_MAX_BYTES, body_text, parse_json_body, parse_json_text
from logic.knowledge.version import KNOWLEDGE_VERSION
from logic.registry import RULES

log = logging.getLogger("gist_cds.http")
bp = Blueprint("cds_hooks", __name__)

_JSON_TYPES = ("application/json", "application/fhir+json")


def runtime() -> Runtime:
    rt: Runtime = current_app.extensions["gist_cds"]
    return rt


def authenticate(path: str) -> TrustedClient | None:
    """The verified client for this call (None in demo mode); 401 on any JWT problem."""
    rt = runtime()
    if rt.verifier is None:
        return None
    audience = rt.settings.endpoint_url(path)
    try:
        return rt.verifier.verify(request.headers.get("Authorization"), audience)
    except AuthError as exc:
        metrics.JWT_REJECTIONS.labels(reason=metrics.rejection_class(exc.reason)).inc()
        log.warning(
            "jwt rejected", extra={"event": "auth-rejected", "reason": exc.reason, "path": path}
        )
        raise Unauthorized("") from exc


def read_json_body(limit: int | None = None) -> Any:
    """The parsed JSON body; 413 over `limit` bytes (default: GIST_CDS_MAX_BODY_BYTES)."""
    rt = runtime()
    max_bytes = rt.settings.max_body_bytes if limit is None else limit
    if request.mimetype not in _JSON_TYPES:
        raise UnsupportedMediaType(
            f"Content-Type must be application/json, got {request.mimetype or 'none'!r}"
        )
    length = request.content_length
    if length is not None and length > max_bytes:
        raise PayloadTooLarge(f"request body over the {max_bytes}-byte limit")
    raw = request.get_data(cache=False)
    # A chunked body (no Content-Length) is cut at the limit by the WSGI input stream, so
    # reaching the limit means the body was longer (it would otherwise parse as truncated JSON).
    if len(raw) > max_bytes or (length is None and len(raw) >= rt.settings.max_body_bytes):
        raise PayloadTooLarge(f"request body over the {max_bytes}-byte limit")
    if len(raw) <= FAST_MAX_BYTES:
        return parse_json_body(raw, max_depth=rt.settings.max_json_depth)
    # A large body's bytes are let go once decoded: the parse is the peak of a request's memory,
    # and the bytes beside the text and the parsed values added 6 MiB to it at 10,000
    # Observations (docs/performance.md).
    text = body_text(raw)
    del raw
    return parse_json_text(text, max_depth=rt.settings.max_json_depth)


def find_service(service_id: str) -> ServiceDefinition:
    service = hooks.find(service_id)
    if service is None:
        raise NotFound(f"no CDS service with id {service_id!r}; see /cds-services")
    return service


def allowed_fhir_servers(client: TrustedClient | None) -> tuple[str, ...]:
    return client.fhir_servers if client is not None else runtime().settings.fhir_allowlist


@bp.before_request
def _start_clock() -> None:
    g.gist_started = time.perf_counter()


@bp.after_request
def _count_call(response: Response) -> Response:
    """Every answer of a service call, whatever its status, counts with its latency."""
    if request.endpoint == "cds_hooks.call_service" and request.view_args is not None:
        service_id = request.view_args.get("service_id")
        service = service_id if hooks.find(str(service_id)) is not None else "unknown"
        metrics.HOOK_CALLS.labels(service=service, status=str(response.status_code)).inc()
        elapsed = time.perf_counter() - g.get("gist_started", time.perf_counter())
        metrics.HOOK_LATENCY.labels(service=service).observe(elapsed)
    return response


@bp.get("/cds-services")
def discovery() -> Response:
    authenticate("cds-services")
    return jsonify(hooks.discovery_document())


@bp.post("/cds-services/<service_id>")
def call_service(service_id: str) -> Response:
    client = authenticate(f"cds-services/{service_id}")
    service = find_service(service_id)
    rt = runtime()
    body = validate_hook_request(read_json_body(), service, max_resources=rt.settings.max_resources)
    started = time.perf_counter()
    status = 200
    try:
        # Armed once the body is in: a slow upload stays gunicorn's business (its timeout), an
        # overrunning evaluation answers 503 before gunicorn would kill the worker.
        remaining = rt.settings.request_deadline_s - (
            time.monotonic() - g.get("started", time.monotonic())
        )
        arm(remaining)
        result = service.handler(
            body,
            HookSettings(
                allowed_servers=allowed_fhir_servers(client),
                # a thread blocked on the FHIR server sees the deadline only when its wait ends
                timeout_s=min(rt.settings.fhir_timeout_s, remaining + DEADLINE_GRACE_S),
                public_base_url=rt.settings.public_base_url,
                max_resources=rt.settings.max_resources,
                max_fhir_bytes=rt.settings.max_fhir_bytes,
                received_bytes=request.content_length or 0,
            ),
        )
        disarm()  # the audit write below must never be interrupted
    except PrefetchUnavailable as exc:
        disarm()
        status = 412
        _audit(service, body, status, started, client, categories=(), rule_ids=(), card_rules={})
        raise PreconditionFailed(exc.reason) from exc
    except ServiceError:
        disarm()  # a request the handler finds invalid (e.g. unreadable draft orders): 4xx
        raise
    except RequestDeadlineExceeded:
        disarm()
        status = 503
        _audit(service, body, status, started, client, categories=(), rule_ids=(), card_rules={})
        raise
    recs = result.recommendations
    if result.resolved is not None:
        metrics.count_call(
            categories_and_rules=[(r.category.value, r.rule_id) for r in recs],
            key_sources=metrics.key_sources(
                prefetched=result.resolved.prefetched,
                fetched=result.resolved.fetched,
                empty=result.resolved.empty,
                failed=[p.key for p in result.problems],
            ),
        )
    _audit(
        service,
        body,
        status,
        started,
        client,
        categories=tuple(r.category.value for r in recs),
        rule_ids=tuple(r.rule_id for r in recs),
        card_rules=result.card_rules,
    )
    log.info(
        "hook answered",
        extra={
            "event": "hook",
            "service": service.id,
            "hook_instance": str(body["hookInstance"])[:128],
            "status": status,
            "cards": len(result.response["cards"]),
            "rule_ids": [r.rule_id for r in recs],
            "problems": [p.reason for p in result.problems] or None,
            "latency_ms": round(result.latency_ms, 1),
        },
    )
    return jsonify(result.response)


def _audit(
    service: ServiceDefinition,
    body: dict[str, Any],
    status: int,
    started: float,
    client: TrustedClient | None,
    *,
    categories: tuple[str, ...],
    rule_ids: tuple[str, ...],
    card_rules: dict[str, str],
) -> None:
    rt = runtime()
    rt.storage.save_audit(
        AuditRecord(
            time=datetime.now(UTC),
            service_id=service.id,
            hook_instance=str(body["hookInstance"])[:128],
            patient_hash=rt.storage.patient_hash(str(body["context"]["patientId"])),
            categories=categories,
            rule_ids=rule_ids,
            card_rules=card_rules,
            knowledge_version=KNOWLEDGE_VERSION,
            latency_ms=(time.perf_counter() - started) * 1000,
            status=status,
            client_iss=client.iss if client is not None else None,
        )
    )


@bp.post("/cds-services/<service_id>/feedback")
def feedback(service_id: str) -> Response:
    client = authenticate(f"cds-services/{service_id}/feedback")
    service = find_service(service_id)
    body = read_json_body(min(MAX_FEEDBACK_BODY_BYTES, runtime().settings.max_body_bytes))
    try:
        items = parse_feedback(body)
    except ValueError as exc:
        raise BadRequest(f"invalid feedback: {exc}") from exc
    try:
        new = runtime().storage.save_feedback_items(
            service.id,
            items,
            client.iss if client is not None else None,
            per_minute_limit=runtime().settings.feedback_per_minute,
        )
    except FeedbackRejected as exc:
        for item in items:
            metrics.FEEDBACK.labels(outcome=item.outcome, result=exc.kind).inc()
        log.warning(
            "feedback refused",
            extra={"event": "feedback-refused", "service": service.id, "reason": exc.kind},
        )
        if exc.kind == "rate-limited":
            raise TooManyRequests(exc.message) from exc
        if exc.kind == "conflict":
            raise Conflict(exc.message) from exc
        raise BadRequest(f"invalid feedback: {exc.message}") from exc
    for item, is_new in zip(items, new, strict=True):
        metrics.FEEDBACK.labels(
            outcome=item.outcome, result="stored" if is_new else "duplicate"
        ).inc()
    log.info(
        "feedback stored",
        extra={"event": "feedback", "service": service.id, "feedback_items": len(items)},
    )
    return jsonify({"received": len(items), "stored": sum(new)})


@bp.get("/openapi.json")
def openapi() -> Response:
    return jsonify(openapi_document())


@bp.get("/healthz")
def healthz() -> tuple[Response, int]:
    database_ok = runtime().storage.ping()
    payload = {
        "status": "ok" if database_ok else "degraded",
        "database": "ok" if database_ok else "unreachable",
        "knowledgeVersion": KNOWLEDGE_VERSION,
        "auth": "on" if runtime().verifier is not None else "off",
    }
    return jsonify(payload), 200 if database_ok else 503


@bp.get("/metrics")
def metrics_endpoint() -> Response:
    """Prometheus text format; only peers inside GIST_CDS_METRICS_ALLOW (loopback by default)."""
    if not metrics.allowed(request.remote_addr, runtime().settings.metrics_allow):
        raise Forbidden("metrics are only served to the addresses in GIST_CDS_METRICS_ALLOW")
    body, content_type = metrics.exposition()
    return Response(body, content_type=content_type)


@bp.get("/readyz")
def readyz() -> tuple[Response, int]:
    """Readiness: the database answers, the knowledge base is loaded, and every trusted client's
    signing keys are at hand. A load balancer sends calls only to a ready instance."""
    rt = runtime()
    database_ok = rt.storage.ping()
    clients = rt.verifier.keys_ready() if rt.verifier is not None else {}
    knowledge_ok = bool(RULES) and bool(KNOWLEDGE_VERSION)
    ready = database_ok and knowledge_ok and all(clients.values())
    payload = {
        "status": "ready" if ready else "not-ready",
        "database": "ok" if database_ok else "unreachable",
        "knowledge": {"version": KNOWLEDGE_VERSION, "rules": len(RULES)},
        "trustedClients": {
            iss: "keys loaded" if ok else "keys unavailable" for iss, ok in clients.items()
        },
        "auth": "on" if rt.verifier is not None else "off",
    }
    return jsonify(payload), 200 if ready else 503
