"""Defensive accessors for raw FHIR JSON.

The mapper reads raw dicts (after R4B validation), and validation accepts oddities such as
explicit nulls or numbers given as strings. These helpers never raise on any JSON-like value, so
extractors can be written plainly.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any, TypeGuard

from fhir_mappings import codes

JsonObj = Mapping[str, Any]


#: Types that are never a Mapping: answered without the slow ABC check (hot path).
_NOT_MAPPINGS = frozenset({str, list, int, float, bool, type(None)})


def is_obj(value: Any) -> TypeGuard[JsonObj]:
    """A JSON object? (`dict` and the other JSON types are checked by type first: the ABC check
    is slow on hot paths.)"""
    kind = type(value)
    if kind is dict:
        return True
    if kind in _NOT_MAPPINGS:
        return False
    return isinstance(value, Mapping)


def obj(value: Any) -> JsonObj:
    """`value` if it is a JSON object, else an empty one."""
    return value if is_obj(value) else {}


def objs(value: Any) -> list[JsonObj]:
    """The JSON objects of a FHIR array (a lone object counts as a one-item array)."""
    if is_obj(value):
        return [value]
    if isinstance(value, list):
        return [v for v in value if is_obj(v)]
    return []


def text(value: Any) -> str | None:
    """A non-empty string, stripped, or None."""
    if isinstance(value, str):
        return value.strip() or None
    return None


def codings(concept: Any) -> Iterator[tuple[str | None, str | None, str | None]]:
    """(system, code, display) of each coding of a CodeableConcept (or of a bare Coding).

    Systems are canonical (an alias such as the RxNorm OID reads as the RxNorm URI) and ICD-10-CM
    codes carry their dot (`C49A2` reads as `C49.A2`) (input profile, "Real EHR variations")."""
    c = obj(concept)
    items = objs(c.get("coding")) if "coding" in c else ([c] if "code" in c else [])
    aliases = codes.SYSTEM_ALIASES
    for coding in items:
        # `text` inlined (this loop runs for every coding the pre-filter looks at)
        system = coding.get("system")
        system = (system.strip() or None) if isinstance(system, str) else None
        system = aliases.get(system, system) if system else None
        code = coding.get("code")
        code = (code.strip() or None) if isinstance(code, str) else None
        if system == codes.ICD10CM and code is not None:
            code = icd10_dotted(code)
        display = coding.get("display")
        yield system, code, (display.strip() or None) if isinstance(display, str) else None


def icd10_dotted(code: str) -> str:
    """An ICD-10-CM code in its dotted form: `C49A2` -> `C49.A2`, `c49.a2` -> `C49.A2`."""
    bare = code.strip().upper()
    if "." not in bare and len(bare) > 3:
        return f"{bare[:3]}.{bare[3:]}"
    return bare


def has_code(concept: Any, system: str, wanted: frozenset[str] | set[str] | str) -> bool:
    want = {wanted} if isinstance(wanted, str) else wanted
    return any(s == system and c in want for s, c, _ in codings(concept))


def codes_in(concept: Any, system: str) -> list[str]:
    return [c for s, c, _ in codings(concept) if s == system and c is not None]


def words(concept: Any) -> str:
    """Lower-case `text` plus every coding display, for name matching."""
    c = obj(concept)
    parts = [text(c.get("text"))] + [d for _, _, d in codings(c)]
    return " ".join(p.lower() for p in parts if p)


def number(value: Any) -> Decimal | None:
    """A JSON number (or numeric string, which R4B accepts) as an exact Decimal; not bools."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float | str):
        try:
            result = Decimal(str(value).strip())
        except (InvalidOperation, ValueError):
            return None
        return result if result.is_finite() else None
    return None


def integer(value: Any) -> int | None:
    n = number(value)
    if n is None or n != n.to_integral_value():
        return None
    return int(n)


def reference(value: Any) -> str | None:
    return text(obj(value).get("reference"))


def status_code(resource: JsonObj, key: str) -> str | None:
    """A status given as a code string, or as a CodeableConcept (Condition statuses)."""
    raw = resource.get(key)
    if isinstance(raw, str):
        return raw.strip() or None
    return next((c for _, c, _ in codings(raw) if c), None)


def is_excluded(resource: JsonObj) -> bool:
    """Refuted / entered-in-error / cancelled resources are ignored (input profile)."""
    if status_code(resource, "verificationStatus") in codes.EXCLUDED_VERIFICATION:
        return True
    return status_code(resource, "status") in codes.EXCLUDED_STATUS


def extensions(resource: JsonObj, url: str) -> list[JsonObj]:
    return [e for e in objs(resource.get("extension")) if e.get("url") == url]


def resource_id(resource: JsonObj) -> str | None:
    return text(resource.get("id"))


def resource_type(resource: JsonObj) -> str:
    return text(resource.get("resourceType")) or "unknown"
