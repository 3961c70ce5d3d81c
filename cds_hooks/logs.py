"""Structured JSON logs with a last line of defence against secrets.

Call sites log events and safe fields only (service id, hookInstance, status, latency, rule ids);
`RedactingFilter` additionally masks anything shaped like a JWT or a bearer token, in case an
exception message ever carries one. Patient identifiers are never passed to the logger.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
from typing import Any

_JWT = re.compile(r"eyJ[A-Za-z0-9_\-]{4,}\.[A-Za-z0-9_\-]{4,}\.[A-Za-z0-9_\-]*")
_BEARER = re.compile(r"(?i)(bearer\s+)[^\s\"']+")
_REDACTED = "[redacted]"

#: `extra=` keys that may appear in a log record; anything else is dropped.
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
)


def redact(text: str) -> str:
    return _BEARER.sub(r"\1" + _REDACTED, _JWT.sub(_REDACTED, text))


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": redact(record.getMessage()),
        }
        for key in SAFE_FIELDS:
            value = record.__dict__.get(key)
            if value is not None:
                entry[key] = value
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
