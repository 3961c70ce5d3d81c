"""Validation of CDS Hooks 2.0 feedback bodies (`POST {service}/feedback`).

Strict on what the spec requires (card, outcome, outcomeTimestamp; accepted suggestions for an
accepted card), lenient where real clients deviate: the sandbox sends override-reason Codings
without `display`, HAPI sends date-only timestamps. Unknown members and extensions are ignored.
Free text is capped so a client cannot fill the database through user comments.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

MAX_ITEMS = 100
MAX_BODY_BYTES = 1024 * 1024  # 100 items with full-length comments fit several times over
MAX_SUGGESTIONS = 50
MAX_ID_CHARS = 200  # card and suggestion uuids; generous for non-UUID ids
MAX_CODE_CHARS = 200
MAX_SYSTEM_CHARS = 500
MAX_COMMENT_CHARS = 1000
OUTCOMES = frozenset({"accepted", "overridden"})

# RFC 3339 date-time, or a bare date (HAPI); an offset-less time is read as UTC.
_TIMESTAMP = re.compile(
    r"\d{4}-\d{2}-\d{2}"
    r"(?:[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:[Zz]|[+-]\d{2}:\d{2})?)?",
    re.ASCII,
)


@dataclass(frozen=True)
class FeedbackItem:
    """One card's outcome as reported by the CDS client."""

    card: str
    outcome: str  # "accepted" | "overridden"
    outcome_timestamp: datetime  # timezone-aware, UTC
    accepted_suggestions: tuple[str, ...]
    override_reason_code: str | None
    override_reason_system: str | None
    user_comment: str | None


def parse_feedback(body: Any) -> list[FeedbackItem]:
    """The feedback items of a request body; ValueError (with a clear message) if invalid."""
    if not isinstance(body, dict):
        raise ValueError("body must be a JSON object")
    items = body.get("feedback")
    if not isinstance(items, list) or not items:
        raise ValueError("'feedback' must be a non-empty array")
    if len(items) > MAX_ITEMS:
        raise ValueError(f"at most {MAX_ITEMS} feedback items per request")
    return [_parse_item(item, f"feedback[{index}]") for index, item in enumerate(items)]


def _parse_item(item: Any, where: str) -> FeedbackItem:
    if not isinstance(item, dict):
        raise ValueError(f"{where} must be an object")
    card = _string(item.get("card"), f"{where}.card", MAX_ID_CHARS)
    outcome = item.get("outcome")
    if not isinstance(outcome, str) or outcome not in OUTCOMES:
        raise ValueError(f"{where}.outcome must be 'accepted' or 'overridden'")
    timestamp = _timestamp(item.get("outcomeTimestamp"), f"{where}.outcomeTimestamp")
    suggestions: tuple[str, ...] = ()
    code = system = comment = None
    if outcome == "accepted":
        if "overrideReason" in item:
            raise ValueError(f"{where}.overrideReason is only allowed for overridden cards")
        suggestions = _accepted_suggestions(item.get("acceptedSuggestions"), where)
    else:
        if "acceptedSuggestions" in item:
            raise ValueError(f"{where}.acceptedSuggestions is only allowed for accepted cards")
        if "overrideReason" in item:
            code, system, comment = _override_reason(item["overrideReason"], where)
    return FeedbackItem(
        card=card,
        outcome=outcome,
        outcome_timestamp=timestamp,
        accepted_suggestions=suggestions,
        override_reason_code=code,
        override_reason_system=system,
        user_comment=comment,
    )


def _accepted_suggestions(value: Any, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not value:
        raise ValueError(f"{where}.acceptedSuggestions must be a non-empty array when accepted")
    if len(value) > MAX_SUGGESTIONS:
        raise ValueError(f"{where}.acceptedSuggestions has more than {MAX_SUGGESTIONS} entries")
    ids: list[str] = []
    for index, suggestion in enumerate(value):
        name = f"{where}.acceptedSuggestions[{index}]"
        if not isinstance(suggestion, dict):
            raise ValueError(f"{name} must be an object with an 'id'")
        ids.append(_string(suggestion.get("id"), f"{name}.id", MAX_ID_CHARS))
    return tuple(dict.fromkeys(ids))


def _override_reason(value: Any, where: str) -> tuple[str | None, str | None, str | None]:
    name = f"{where}.overrideReason"
    if not isinstance(value, dict):
        raise ValueError(f"{name} must be an object")
    code = system = comment = None
    if "reason" in value:
        reason = value["reason"]
        if not isinstance(reason, dict):
            raise ValueError(f"{name}.reason must be a Coding object")
        code = _string(reason.get("code"), f"{name}.reason.code", MAX_CODE_CHARS)
        system = _string(reason.get("system"), f"{name}.reason.system", MAX_SYSTEM_CHARS)
        if "display" in reason and not isinstance(reason["display"], str):
            raise ValueError(f"{name}.reason.display must be a string")
    if "userComment" in value:
        raw = value["userComment"]
        if not isinstance(raw, str):
            raise ValueError(f"{name}.userComment must be a string")
        comment = _storable(raw).strip()[:MAX_COMMENT_CHARS] or None
    if code is None and comment is None:
        raise ValueError(f"{name} needs a 'reason' Coding or a 'userComment'")
    return code, system, comment


def _string(value: Any, name: str, limit: int) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{name} must be a non-empty string")
    if len(value) > limit:
        raise ValueError(f"{name} is longer than {limit} characters")
    if _storable(value) != value:
        raise ValueError(f"{name} contains NUL or invalid Unicode")
    return value


def _storable(text: str) -> str:
    """Text a database accepts: no NUL characters, no lone surrogates (invalid UTF-8)."""
    text = text.replace("\x00", "")
    return text.encode("utf-8", "replace").decode("utf-8")


def _timestamp(value: Any, name: str) -> datetime:
    if not isinstance(value, str) or not _TIMESTAMP.fullmatch(value):
        raise ValueError(f"{name} must be an RFC 3339 date-time (or a date)")
    text = value.replace("t", "T").replace("z", "Z")
    if "." in text:  # Python keeps at most microseconds
        head, _, tail = text.partition(".")
        digits = re.match(r"\d+", tail)
        assert digits is not None  # guaranteed by _TIMESTAMP
        text = head + "." + digits.group()[:6].ljust(6, "0") + tail[digits.end() :]
    try:
        parsed = datetime.fromisoformat(text)
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return parsed.astimezone(UTC)
    except (ValueError, OverflowError):
        raise ValueError(f"{name} is not a valid date-time") from None
