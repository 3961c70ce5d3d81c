"""Request parsing and JSON Schema validation against the schemas kept in `schemas/`."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

import jsonschema
import orjson
from jsonschema.validators import Draft202012Validator

from cds_hooks.errors import BadRequest

SCHEMA_PACKAGE = "cds_hooks.schemas"


@cache
def validator(name: str) -> Draft202012Validator:
    """A compiled validator for `schemas/<name>.schema.json` (loaded once per process)."""
    return compile_schema(load_schema(name))


def load_schema(name: str) -> dict[str, Any]:
    """The parsed `schemas/<name>.schema.json`."""
    text = resources.files(SCHEMA_PACKAGE).joinpath(f"{name}.schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def compile_schema(schema: dict[str, Any]) -> Draft202012Validator:
    """A validator for `schema`; raises jsonschema.SchemaError when the schema itself is wrong."""
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def schema_errors(name: str, instance: Any, limit: int = 5) -> list[str]:
    """Readable messages for the first `limit` violations (empty when valid)."""
    return validation_errors(validator(name), instance, limit)


def validation_errors(check: Draft202012Validator, instance: Any, limit: int = 5) -> list[str]:
    """Readable messages for the first `limit` violations of `check` (empty when valid)."""
    errors = sorted(check.iter_errors(instance), key=lambda e: list(e.absolute_path))
    return [_describe(error) for error in errors[:limit]]


def _describe(error: jsonschema.ValidationError) -> str:
    where = "/".join(str(p) for p in error.absolute_path) or "(body)"
    message = error.message if len(error.message) <= 200 else error.message[:200] + "…"
    return f"{where}: {message}"


_CONTAINERS = (dict, list)


def json_depth_exceeds(value: Any, limit: int) -> bool:
    """True when containers nest deeper than `limit` (root = depth 1).

    Level by level, without recursion: each level is one comprehension over the containers of
    the level above, so the leaves (most of a FHIR body) are looked at once and never pushed on a
    stack (4× faster than a stack walk on a typical prefetch; docs/performance.md)."""
    level: list[Any] = [value] if isinstance(value, _CONTAINERS) else []
    depth = 1
    while level:
        if depth > limit:
            return True
        level = [
            child
            for node in level
            for child in (node.values() if isinstance(node, dict) else node)
            if isinstance(child, _CONTAINERS)
        ]
        depth += 1
    return False


def _reject_constant(name: str) -> Any:
    raise BadRequest(f"request body contains {name}, which is not JSON")


def parse_json_body(raw: bytes, *, max_depth: int) -> Any:
    """Decode a request body; any decoding problem is a 400 with the reason."""
    value = _fast_loads(raw) if len(raw) <= FAST_MAX_BYTES else _NOT_FAST
    if value is _NOT_FAST:
        return parse_json_text(body_text(raw), max_depth=max_depth)
    if json_depth_exceeds(value, max_depth):
        raise BadRequest(f"request body nests deeper than {max_depth} levels")
    return value


def body_text(raw: bytes) -> str:
    """A request body as text; 400 when it is not UTF-8."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadRequest("request body is not UTF-8") from exc


def parse_json_text(text: str, *, max_depth: int) -> Any:
    """The json module's reading of a body already decoded (a large one: its bytes can be let go
    before the parse, which is when a request's memory peaks), with the depth check."""
    value = _standard_loads(text, max_depth)
    if json_depth_exceeds(value, max_depth):
        raise BadRequest(f"request body nests deeper than {max_depth} levels")
    return value


#: orjson builds a large document with a higher peak of memory than the json module (+15 MB on
#: a 6 MB body), so bodies above this size are read by json (docs/performance.md).
FAST_MAX_BYTES = 1 << 20
_NOT_FAST = object()
#: Every digit byte to "0", every other byte to ".": a run of 19 digits becomes "0" * 19.
_DIGITS_AS_ZEROS = bytes(b"0"[0] if b"0"[0] <= b <= b"9"[0] else b"."[0] for b in range(256))
_LONG_RUN = b"0" * 19
_CHUNK = 1 << 20


def _has_long_digit_run(raw: bytes) -> bool:
    """A run of 19 digits anywhere in `raw`: one byte translation and one substring search per
    MiB (chunks overlap by 18 bytes, so no run is split unseen; a regex took 10x longer)."""
    return any(
        _LONG_RUN in raw[start : start + _CHUNK + len(_LONG_RUN) - 1].translate(_DIGITS_AS_ZEROS)
        for start in range(0, len(raw), _CHUNK)
    )


def _fast_loads(raw: bytes) -> Any:
    """orjson's reading of `raw` where it is exactly the json module's (2-4x faster on FHIR
    bodies, docs/performance.md), else _NOT_FAST: orjson refuses what json reads differently
    (invalid UTF-8, a byte-order mark, NaN and Infinity, numbers overflowing to infinity, lone
    surrogate escapes, nesting over 1,024) and reads integers of 19+ digits as floats, so
    bodies with a run of 19 digits go to the json module."""
    if _has_long_digit_run(raw):
        return _NOT_FAST
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return _NOT_FAST


def _standard_loads(text: str, max_depth: int) -> Any:
    """The json module's reading, with its precise error for each kind of bad body."""
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except RecursionError as exc:
        raise BadRequest(f"request body nests deeper than {max_depth} levels") from exc
    except json.JSONDecodeError as exc:
        raise BadRequest(
            f"request body is not valid JSON (line {exc.lineno}, column {exc.colno})"
        ) from exc
    except ValueError as exc:  # e.g. an integer over Python's 4,300-digit conversion limit
        raise BadRequest("request body holds a number too long to read") from exc


def count_prefetch_resources(prefetch: Any) -> int:
    """Resources in a prefetch object: each value is a resource or a Bundle, and Bundles nested
    in entries count with their own entries (the mapping flattens them all); `contained`
    resources count too. Iterative."""
    if not isinstance(prefetch, dict):
        return 0
    return count_resources(list(prefetch.values()))


def count_resources(value: Any) -> int:
    """Resources in `value` (a resource, a Bundle, a Bundle entry or a list of them), counting
    Bundle entries, nested Bundles and `contained` resources, each as one. Iterative."""
    total = 0
    stack: list[Any] = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
            continue
        if not isinstance(node, dict):
            continue
        if "resource" in node and "resourceType" not in node:  # a Bundle entry
            stack.append(node["resource"])
            continue
        if "resourceType" not in node:
            stack.extend(node.values())  # a prefetch object: key -> resource or Bundle
            continue
        entries = node.get("entry") if node.get("resourceType") == "Bundle" else None
        if isinstance(entries, list):
            stack.extend(entries)
        else:
            total += 1
        contained = node.get("contained")
        if isinstance(contained, list):
            stack.extend(c for c in contained if isinstance(c, dict))
    return total
