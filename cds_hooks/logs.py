"""Structured JSON logs with a last line of defence against secrets.

Call sites log events and safe fields only (service id, hookInstance, status, latency, rule ids,
fetch statistics). Every `extra=` field reaches the line, masked and capped, except fields whose
name looks like a secret or patient data (`WITHHELD_MARKERS`): those show as "[withheld]", so a
careless call site neither leaks nor silently loses the field. `RedactingFilter` additionally
masks anything shaped like a JWT or a bearer token, in case an exception message ever carries
one. Patient identifiers are never passed to the logger.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
from typing import Any

#: A run of base64url characters and dots: JWTs live inside such runs. One greedy character
#: class, so `finditer` scans the text once (the earlier JWT-shaped pattern backtracked on every
#: `eyJ` of a long run: quadratic, seconds on 64k characters of hostile input).
_TOKEN_RUN = re.compile(r"[A-Za-z0-9_\-.]+")
_BEARER = re.compile(r"(?i)(bearer\s+)[^\s\"']+")
_REDACTED = "[redacted]"
#: Any logged string is cut to this many characters (after masking), any list to this many items.
MAX_FIELD_CHARS = 512
MAX_MESSAGE_CHARS = 2000
MAX_LIST_ITEMS = 50

#: `extra=` keys written first, in this order (the fields call sites use); other extras follow
#: sorted by name.
SAFE_FIELDS = (
    "event",
    "service",
    "hook",
    "hook_instance",
    "status",
    "latency_ms",
    "rule_ids",
    "categories",
    "reason",
    "iss",
    "path",
    "method",
    "problems",
    "knowledge_version",
    "cards",
    "feedback_items",
    "rule",
    "paths",
    "errors",
    "resourceType",
    "prefetched",
    "fetched",
    "empty",
    "fetch_ms",
    "jwks_uri",
)
#: An extra field whose lower-cased name contains one of these is never written, whatever its
#: value: tokens, credentials, request bodies and anything naming or identifying the patient.
WITHHELD_MARKERS = (
    "token",
    "authoriz",
    "bearer",
    "jwt",
    "password",
    "secret",
    "cookie",
    "private",
    "credential",
    "patient",
    "subject",
    "name",
    "birth",
    "address",
    "phone",
    "email",
    "telecom",
    "identifier",
    "mrn",
    "ssn",
    "body",
    "prefetch_data",
    "context",
    "resource_json",
    "bundle",
    "comment",
    "note",
    "text",
    "url",
    "query",
)
WITHHELD = "[withheld]"
MAX_EXTRA_FIELDS = 40
#: Attributes every LogRecord has: not `extra=` fields.
_RECORD_ATTRIBUTES = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


def _mask_jwt(match: re.Match[str]) -> str:
    run = match.group()
    start = run.find("eyJ")  # base64url of '{"': every JWT header and payload starts so
    if start < 0 or "." not in run[start:]:
        return run
    return run[:start] + _REDACTED


def redact(text: str) -> str:
    """Mask JWT-like runs (from an `eyJ` followed by a dot) and bearer tokens; linear time."""
    if "eyJ" in text:
        text = _TOKEN_RUN.sub(_mask_jwt, text)
    return _BEARER.sub(r"\1" + _REDACTED, text)


def cap(text: str, limit: int = MAX_FIELD_CHARS) -> str:
    return text if len(text) <= limit else f"{text[:limit]}…[{len(text) - limit} more chars]"


def safe_value(value: Any) -> Any:
    """A log field masked and capped: strings cut, lists shortened, other objects as strings."""
    if isinstance(value, bool | int | float) or value is None:
        return value
    if isinstance(value, list | tuple | set | frozenset):
        items = list(value)
        shown = [safe_value(v) for v in items[:MAX_LIST_ITEMS]]
        if len(items) > MAX_LIST_ITEMS:
            shown.append(f"…[{len(items) - MAX_LIST_ITEMS} more]")
        return shown
    return cap(redact(str(value)))


def withheld(key: str) -> bool:
    lowered = key.lower()
    return any(marker in lowered for marker in WITHHELD_MARKERS)


def extra_fields(record: logging.LogRecord) -> dict[str, Any]:
    """The record's `extra=` fields, safe to write: known fields first, then the others (at most
    MAX_EXTRA_FIELDS), secret- or patient-looking ones withheld, every value masked and capped."""
    extras = {
        k: v
        for k, v in record.__dict__.items()
        if k not in _RECORD_ATTRIBUTES and not k.startswith("_") and v is not None
    }
    ordered = [k for k in SAFE_FIELDS if k in extras]
    ordered += sorted(k for k in extras if k not in SAFE_FIELDS)
    fields: dict[str, Any] = {}
    for key in ordered[:MAX_EXTRA_FIELDS]:
        name = cap(redact(key), 64)
        fields[name] = WITHHELD if withheld(key) else safe_value(extras[key])
    if len(ordered) > MAX_EXTRA_FIELDS:
        fields["more_fields"] = len(ordered) - MAX_EXTRA_FIELDS
    return fields


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = cap(redact(record.getMessage()), MAX_MESSAGE_CHARS)
        record.args = None
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": cap(redact(record.getMessage()), MAX_MESSAGE_CHARS),
        }
        entry.update(extra_fields(record))
        if record.exc_info and record.exc_info[0] is not None:
            entry["exception"] = record.exc_info[0].__name__  # type only: messages may hold data
        return redact(json.dumps(entry, default=str, ensure_ascii=False))


#: Libraries whose own DEBUG/INFO lines carry URLs with patient ids (FHIR searches) or request
#: lines: they log warnings and errors only, whatever the service's level.
QUIET_LOGGERS = ("urllib3", "requests", "charset_normalizer")


def configure_logging(level: str = "INFO") -> None:
    """Route the root logger to stderr as JSON lines (idempotent)."""
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    root = logging.getLogger()
    root.setLevel(level)
    for handler in root.handlers:
        if getattr(handler, "_gist_cds", False):
            return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RedactingFilter())
    handler._gist_cds = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
