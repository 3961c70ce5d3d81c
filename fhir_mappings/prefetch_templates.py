"""The prefetch keys and FHIR searches `gist-treatment` reads. Discovery publishes exactly these,
and the fetch path runs the same searches for any key the EHR did not fill (card contract)."""

from __future__ import annotations

PATIENT_KEY = "patient"

#: key -> relative FHIR read/search URL; `{{context.patientId}}` is the only token used.
PREFETCH_TEMPLATES: dict[str, str] = {
    PATIENT_KEY: "Patient/{{context.patientId}}",
    "conditions": "Condition?patient={{context.patientId}}",
    "observations": "Observation?patient={{context.patientId}}",
    "medicationStatements": "MedicationStatement?patient={{context.patientId}}",
    "medicationRequests": "MedicationRequest?patient={{context.patientId}}",
    "procedures": "Procedure?patient={{context.patientId}}",
}

#: key -> the resource type the key holds (the Patient, or a searchset of that type).
RESOURCE_TYPE_OF_KEY: dict[str, str] = {
    key: template.split("/", 1)[0].split("?", 1)[0] for key, template in PREFETCH_TEMPLATES.items()
}
#: resource type -> its prefetch key (to build a prefetch from a flat list of resources).
KEY_OF_RESOURCE_TYPE: dict[str, str] = {v: k for k, v in RESOURCE_TYPE_OF_KEY.items()}

#: Keys without which no recommendation can be made: if neither prefetched nor fetchable -> 412.
REQUIRED_KEYS: frozenset[str] = frozenset({"conditions"})


def render(template: str, patient_id: str) -> str:
    return template.replace("{{context.patientId}}", patient_id)
