"""Which patient the case is about, and which resources belong to someone else.

Prefetch and fetched pages should only hold the context patient, but a stray resource for
another patient must never become one of this patient's facts: it is reported and skipped.
"""

from __future__ import annotations

from collections.abc import Sequence

from fhir_mappings.intake import Entry
from fhir_mappings.jsonpath import obj, reference, resource_id, resource_type
from logic.case import UnreadableInput


def _patient_of_reference(ref: str | None, patient_urls: dict[str, str]) -> str | None:
    """The patient id a subject reference names; None when it cannot be told (e.g. urn:uuid)."""
    if ref is None:
        return None
    if ref in patient_urls:
        return patient_urls[ref]
    parts = ref.split("/")
    if "_history" in parts:
        parts = parts[: parts.index("_history")]
    if len(parts) >= 2 and parts[-2] == "Patient" and parts[-1]:
        return parts[-1]
    return None


def owner(entry: Entry, patient_urls: dict[str, str]) -> str | None:
    resource = entry.resource
    if resource.get("resourceType") == "Patient":
        return resource_id(resource)
    for key in ("subject", "patient"):
        ref = reference(obj(resource.get(key)))
        found = _patient_of_reference(ref, patient_urls)
        if found is not None:
            return found
    return None


def choose_patient(
    entries: Sequence[Entry], given: str | None, patient_urls: dict[str, str]
) -> tuple[str | None, UnreadableInput | None]:
    """The given id; else the only Patient resource; else the only patient referenced."""
    if given:
        return given, None
    patients = sorted(
        {i for e in entries if e.resource.get("resourceType") == "Patient" if (i := owner(e, {}))}
    )
    if len(patients) == 1:
        return patients[0], None
    if not patients:
        patients = sorted({o for e in entries if (o := owner(e, patient_urls)) is not None})
        if len(patients) <= 1:
            return (patients[0] if patients else None), None
    listed = ", ".join(f"Patient/{p}" for p in patients)
    return None, UnreadableInput(
        "Bundle", None, f"resources for several patients ({listed}) and no patient id given"
    )


def unresolvable_subject(entry: Entry, patient_urls: dict[str, str]) -> str | None:
    """Why a resource's subject cannot be tied to a patient: it names the patient only by
    identifier or display, or its reference is not a Patient (input profile, "Ownership")."""
    for key in ("subject", "patient"):
        element = entry.resource.get(key)
        if element is None:
            continue
        ref = reference(obj(element))
        if ref is None:
            return f"its {key} names no patient reference (identifier or display only)"
        if _patient_of_reference(ref, patient_urls) is None:
            return f"its {key} reference {ref!r} is not a Patient of this record"
        return None
    return None


def foreign(
    entry: Entry, patient_id: str | None, patient_urls: dict[str, str]
) -> UnreadableInput | None:
    """A note when `entry` belongs to another patient than `patient_id`, or cannot be tied to
    a patient at all (never counted as this patient's)."""
    if entry.resource.get("resourceType") != "Patient":
        why = unresolvable_subject(entry, patient_urls)
        if why is not None:
            resource = entry.resource
            return UnreadableInput(resource_type(resource), resource_id(resource), why)
    other = owner(entry, patient_urls)
    if patient_id is None or other is None or other == patient_id:
        return None
    resource = entry.resource
    return UnreadableInput(
        resource_type(resource),
        resource_id(resource),
        # the other patient's id stays out: it is another person's identifier
        "is recorded for another patient, not the patient in view",
    )
