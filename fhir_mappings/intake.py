"""From whatever the EHR sent to a flat list of resources: Bundle flattening, OperationOutcome
notes, and entry-by-entry R4B validation (one bad resource never spoils the others)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from fhir_mappings import r4b
from fhir_mappings.dates import with_zone
from fhir_mappings.jsonpath import JsonObj, is_obj, obj, objs, resource_id, resource_type, text
from logic.case import UnreadableInput

#: Bundles inside Bundles are flattened this deep (real EHRs nest at most one level).
MAX_BUNDLE_DEPTH = 4
_ERROR_SEVERITIES = frozenset({"error", "fatal"})


@dataclass(frozen=True, slots=True)
class Entry:
    """One resource as received, with its Bundle fullUrl (to resolve references) and whether
    the searchset marked it as an `outcome` entry."""

    resource: JsonObj
    full_url: str | None = None
    outcome: bool = False


def _as_items(items: Any) -> list[Any]:
    if items is None:
        return []
    if isinstance(items, Mapping):
        return [items]
    if isinstance(items, str | bytes):
        return [items]
    try:
        return list(items)
    except TypeError:
        return [items]


def iter_entries(items: Any) -> Iterator[Entry | UnreadableInput]:
    """Resources from single resources and Bundles (any type); nothing is fetched or followed."""
    for item in _as_items(items):
        if item is None:
            continue
        if not is_obj(item):
            yield UnreadableInput("unknown", None, f"not a JSON object: {type(item).__name__}")
            continue
        yield from _entries_of(item, None, False, 0)


def _entries_of(
    resource: JsonObj, full_url: str | None, outcome: bool, depth: int
) -> Iterator[Entry | UnreadableInput]:
    if resource.get("resourceType") != "Bundle":
        yield Entry(resource, full_url, outcome)
        return
    if depth >= MAX_BUNDLE_DEPTH:
        yield UnreadableInput("Bundle", resource_id(resource), "Bundles nested too deep")
        return
    for entry in objs(resource.get("entry")):
        url = text(entry.get("fullUrl"))
        mode = text(obj(entry.get("search")).get("mode"))
        inner = entry.get("resource")
        if is_obj(inner):
            if inner.get("resourceType") == "Bundle":
                yield from _entries_of(inner, url, mode == "outcome", depth + 1)
            else:
                yield Entry(inner, url, mode == "outcome")
        response_outcome = obj(entry.get("response")).get("outcome")
        if is_obj(response_outcome):  # transaction/batch-response entries
            yield Entry(response_outcome, None, True)


def flatten_resources(items: Iterable[Mapping[str, Any] | None] | Any) -> list[dict[str, Any]]:
    """Every resource in `items` (Bundles flattened, None and non-objects dropped), in order."""
    return [dict(e.resource) for e in iter_entries(items) if isinstance(e, Entry)]


def outcome_note(entry: Entry) -> UnreadableInput | None:
    """An error/fatal OperationOutcome as a named note: the EHR could not give us some data."""
    resource = entry.resource
    if resource.get("resourceType") != "OperationOutcome":
        return None
    problems = []
    for issue in objs(resource.get("issue")):
        if text(issue.get("severity")) not in _ERROR_SEVERITIES:
            continue
        detail = (
            text(issue.get("diagnostics"))
            or text(obj(issue.get("details")).get("text"))
            or next(
                (text(c.get("display")) or text(c.get("code")) for c in _detail_codings(issue)),
                None,
            )
            or text(issue.get("code"))
            or "unspecified error"
        )
        problems.append(f"{issue.get('severity')}: {detail}")
    if not problems:
        return None
    return UnreadableInput(
        "OperationOutcome", resource_id(resource), "the EHR reported " + "; ".join(problems)
    )


def _detail_codings(issue: JsonObj) -> list[JsonObj]:
    return objs(obj(issue.get("details")).get("coding"))


def _zone_fixed(value: Any) -> Any:
    """A copy of `value` with zone-less dateTimes given a `Z` (see `dates.with_zone`)."""
    if isinstance(value, str):
        fixed = with_zone(value)
        return value if fixed is None else fixed
    if isinstance(value, Mapping):
        return {k: _zone_fixed(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_zone_fixed(v) for v in value]
    return value


#: A JSON string that `dates.with_zone` could change (a trailing newline, which `$` lets
#: through, is written backslash-n in JSON). Searched in the serialised resource: most resources
#: hold none, and one search costs a fraction of the walk that copies the resource.
_NAIVE_JSON = re.compile(r'"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:\\n)?"')


def _for_validation(resource: JsonObj) -> Any:
    """`resource` itself when no string in it needs a zone (R4B validation only reads it: the
    models copy what they pop), else the copy `_zone_fixed` makes."""
    try:
        serialised = orjson.dumps(resource).decode()
    except (TypeError, orjson.JSONEncodeError):  # not plain JSON: walk it
        return _zone_fixed(resource)
    return _zone_fixed(resource) if _NAIVE_JSON.search(serialised) else resource


def validation_problem(resource: JsonObj) -> UnreadableInput | None:
    """Why `resource` is not valid R4 (as R4B checks it), or None when it is.

    Zone-less dateTimes are accepted (the input profile allows them): they are checked on a copy
    with `Z` appended. Anything else R4B rejects makes the resource unreadable.
    """
    try:
        errors = r4b.validation_errors(_for_validation(resource))
    except Exception as exc:  # last line of defence: never fatal to the call
        errors = [f"{type(exc).__name__} while validating"]
    if not errors:
        return None
    return UnreadableInput(
        resource_type(resource), resource_id(resource), "invalid FHIR R4: " + "; ".join(errors[:3])
    )
