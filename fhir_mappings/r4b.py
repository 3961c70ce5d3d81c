"""The only module that imports fhir.resources: R4B models validate the R4 (4.0.1) JSON we read
and the resources we suggest (R4B's element names match R4 for every type we use; the default
R5 models do not). Everything else asks this module, so the FHIR release is pinned in one place.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pydantic
from fhir.resources.R4B import get_fhir_model_class

#: Resource types whose models are primed at start-up (first validation loads classes lazily).
PRIMED_TYPES: tuple[str, ...] = (
    "Patient",
    "Condition",
    "Observation",
    "MedicationStatement",
    "MedicationRequest",
    "Medication",
    "Procedure",
    "ServiceRequest",
    "OperationOutcome",
    "Bundle",
)


def is_known_type(resource_type: str) -> bool:
    try:
        get_fhir_model_class(resource_type)
    except (KeyError, ValueError):
        return False
    return True


def validation_errors(resource: Mapping[str, Any]) -> list[str]:
    """Why `resource` is not valid R4 (empty when it is). Never raises."""
    resource_type = resource.get("resourceType")
    if not isinstance(resource_type, str) or not is_known_type(resource_type):
        return [f"unknown resourceType {resource_type!r}"]
    try:
        get_fhir_model_class(resource_type).model_validate(dict(resource))
    except pydantic.ValidationError as exc:
        return [
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()[:10]
        ]
    except (KeyError, ValueError, TypeError) as exc:  # fhir_core raises bare errors on odd input
        return [f"{type(exc).__name__}: {exc}"]
    return []


def validate(resource: Mapping[str, Any]) -> Any:
    """The parsed R4B model; raises pydantic.ValidationError / ValueError on invalid input."""
    return get_fhir_model_class(str(resource.get("resourceType"))).model_validate(dict(resource))


def warm_up() -> None:
    """Import and exercise the models once, so the first hook call does not pay for it."""
    for resource_type in PRIMED_TYPES:
        get_fhir_model_class(resource_type)
    validation_errors(
        {
            "resourceType": "Observation",
            "status": "final",
            "code": {"text": "warm-up"},
            "subject": {"reference": "Patient/warm-up"},
            "effectiveDateTime": "2024-01-01T00:00:00Z",
            "valueQuantity": {
                "value": 1,
                "unit": "cm",
                "system": "http://unitsofmeasure.org",
                "code": "cm",
            },
        }
    )
