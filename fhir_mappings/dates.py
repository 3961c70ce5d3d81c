"""FHIR date / dateTime / instant strings to calendar dates.

Dates are taken as written: the calendar date in the sender's local time, with or without a time
zone (the input profile accepts both), never shifted to UTC — the clinical day is what the rules
compare. Partial dates count as their first day (`2019` -> 2019-01-01, `2019-03` -> 2019-03-01).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from fhir_mappings.jsonpath import JsonObj, obj, text

_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?(?:[T ].*)?$")


def parse(value: Any) -> dt.date | None:
    """The calendar date of a FHIR date/dateTime/instant string; None when unreadable."""
    s = text(value)
    if s is None:
        return None
    m = _DATE.match(s)
    if m is None:
        return None
    year, month, day = int(m.group(1)), int(m.group(2) or 1), int(m.group(3) or 1)
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def period_start(value: Any) -> dt.date | None:
    return parse(obj(value).get("start"))


def period_end(value: Any) -> dt.date | None:
    return parse(obj(value).get("end"))


def observation_date(resource: JsonObj) -> dt.date | None:
    """effectiveDateTime, then effectivePeriod.start, then issued (input profile)."""
    return (
        parse(resource.get("effectiveDateTime"))
        or period_start(resource.get("effectivePeriod"))
        or parse(resource.get("effectiveInstant"))
        or parse(resource.get("issued"))
    )


def condition_date(resource: JsonObj) -> dt.date | None:
    """onsetDateTime, then onsetPeriod.start, then recordedDate."""
    return (
        parse(resource.get("onsetDateTime"))
        or period_start(resource.get("onsetPeriod"))
        or parse(resource.get("recordedDate"))
    )


def onset_date(resource: JsonObj) -> dt.date | None:
    return parse(resource.get("onsetDateTime")) or period_start(resource.get("onsetPeriod"))


def procedure_date(resource: JsonObj) -> dt.date | None:
    return parse(resource.get("performedDateTime")) or period_start(resource.get("performedPeriod"))


# A dateTime/instant with a time but no zone: R4B rejects it, FHIR R4 allows the zone to be
# omitted only for partial dates. Seconds are optional here because EHRs send `T10:30` too.
_NAIVE = re.compile(r"^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})(:\d{2}(?:\.\d+)?)?$")


def with_zone(value: str) -> str | None:
    """A zone-less dateTime made acceptable to R4B (`Z` appended); None if not such a string.

    Only used on the copy that is validated: the mapped date is read from the original text.
    """
    if len(value) < 16 or value[10] != "T":  # cannot match: most strings end here
        return None
    m = _NAIVE.match(value)
    if m is None:
        return None
    return f"{m.group(1)}T{m.group(2)}{m.group(3) or ':00'}Z"


def instant(value: Any) -> dt.datetime | None:
    """A FHIR dateTime/instant as an aware UTC datetime, so two times in different zones compare
    as the instants they are; a date or a zone-less time counts as UTC; None when unreadable."""
    s = text(value)
    if s is None:
        return None
    if "T" not in s:
        day = parse(s)
        return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC) if day else None
    try:
        moment = dt.datetime.fromisoformat(s.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC)


def span(value: Any) -> tuple[dt.date, dt.date] | None:
    """The first and last day a partial date (`2024`, `2024-09`) covers; None for a full date
    or an unreadable one."""
    s = text(value)
    m = _DATE.match(s) if s else None
    if m is None or m.group(3) is not None:
        return None
    year = int(m.group(1))
    if m.group(2) is None:
        return dt.date(year, 1, 1), dt.date(year, 12, 31)
    month = int(m.group(2))
    if not 1 <= month <= 12:
        return None
    following = dt.date(year + month // 12, month % 12 + 1, 1)
    return dt.date(year, month, 1), following - dt.timedelta(days=1)


def zoned_instant(value: Any) -> dt.datetime | None:
    """The UTC instant of a dateTime that carries a time and a zone; None otherwise."""
    s = text(value)
    if s is None or "T" not in s or not (s.endswith("Z") or _ZONE.search(s)):
        return None
    return instant(s)


_ZONE = re.compile(r"[+-]\d{2}:\d{2}$")
