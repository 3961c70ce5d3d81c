"""Cheap pre-filter on raw JSON: which resources can matter for the case at all.

Only these are validated with R4B and mapped, so a patient with thousands of unrelated
Observations costs a dictionary look-up per resource, not a model validation.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from fhir_mappings import conditions, medications, observations, performance, procedures
from fhir_mappings.jsonpath import JsonObj


class Family(StrEnum):
    PATIENT = "Patient"
    CONDITION = "Condition"
    OBSERVATION = "Observation"
    MEDICATION_USE = "MedicationUse"
    MEDICATION = "Medication"
    PROCEDURE = "Procedure"


def malformed_code(resource: JsonObj) -> bool:
    """True when `code` is present but not shaped as a CodeableConcept we can read. Such a
    resource cannot be ruled out (it might be the GIST diagnosis), so it goes on to validation,
    which reports it, instead of being dropped as unrelated."""
    code = resource.get("code")
    if code is None:
        return False
    if not isinstance(code, dict):
        return True
    coding = code.get("coding")
    if coding is None:
        return False
    if not isinstance(coding, list):
        return True
    return any(
        not isinstance(c, dict)
        or not isinstance(c.get("code", ""), str)
        or not isinstance(c.get("system", ""), str)
        for c in coding
    )


def family(resource: JsonObj, medication_index: Mapping[str, JsonObj]) -> Family | None:
    kind = resource.get("resourceType")
    if not isinstance(kind, str):
        return None
    if kind == "Patient":
        return Family.PATIENT
    if kind == "Observation":
        known = observations.kind_of(resource) is not None
        return Family.OBSERVATION if known or performance.scale_of(resource) else None
    if kind == "Condition":
        relevant = (
            conditions.is_primary_gist(resource)
            or conditions.is_metastasis(resource)
            or conditions.is_nf1(resource)
            or conditions.is_emergency_candidate(resource)
            # = is_other_cancer here: reached only when neither GIST nor metastasis
            or conditions.has_other_cancer_code(resource)
            or malformed_code(resource)
        )
        return Family.CONDITION if relevant else None
    if kind in medications.MEDICATION_USE_TYPES:
        found = medications.drugs_of(resource, medication_index)
        unknown = medications.unresolved_medication(resource, medication_index)
        return Family.MEDICATION_USE if found or unknown else None
    if kind == "Medication":
        return Family.MEDICATION if medications.drugs_in(resource.get("code")) else None
    if kind == "Procedure":
        return Family.PROCEDURE if procedures.is_candidate(resource) else None
    return None
