"""The patient list the simulator shows: one entry per synthetic patient of the manifest."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class PatientListing:
    """What the page needs to list a patient and launch patient-view for it."""

    key: str  # the manifest id
    patient_id: str  # the FHIR Patient.id, i.e. context.patientId
    title: str
    vignette: str
    expected_categories: tuple[str, ...]
    kb_rules: tuple[str, ...] = ()  # knowledge-base rules behind the expectation

    def as_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "patientId": self.patient_id,
            "title": self.title,
            "vignette": self.vignette,
            "expectedCategories": list(self.expected_categories),
            "kbRules": list(self.kb_rules),
        }


def bundle_resources(bundle: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The resources of a transaction/collection Bundle, in entry order."""
    entries = bundle.get("entry") or []
    return [entry["resource"] for entry in entries if isinstance(entry.get("resource"), Mapping)]


def patient_id_of(bundle: Mapping[str, Any]) -> str | None:
    for resource in bundle_resources(bundle):
        if resource.get("resourceType") == "Patient" and resource.get("id"):
            return str(resource["id"])
    return None


def all_resources(bundles: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    return [resource for bundle in bundles for resource in bundle_resources(bundle)]


def load_catalog() -> tuple[list[PatientListing], list[Mapping[str, Any]]]:
    """The manifest's patients as listings, and every resource of their bundles (to load)."""
    from sandbox.patients import load_bundle, load_manifest

    listings: list[PatientListing] = []
    resources: list[Mapping[str, Any]] = []
    for entry in load_manifest():
        bundle = load_bundle(entry["id"])
        patient_id = patient_id_of(bundle)
        if patient_id is None:
            raise ValueError(f"synthetic patient {entry['id']!r} has no Patient resource")
        listings.append(
            PatientListing(
                key=entry["id"],
                patient_id=patient_id,
                title=entry["title"],
                vignette=entry["vignette"],
                expected_categories=tuple(entry["expected_categories"]),
                kb_rules=tuple(entry["kb_rules"]),
            )
        )
        resources.extend(bundle_resources(bundle))
    return listings, resources
