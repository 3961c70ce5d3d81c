"""The CDS services this deployment offers, keyed by service id (not by hook: two services on
the same hook must not collide). Discovery is generated from this registry."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fhir_mappings.prefetch_templates import PREFETCH_TEMPLATES, REQUIRED_KEYS
from logic.knowledge.version import KNOWLEDGE_VERSION


@dataclass(frozen=True, slots=True)
class ServiceDefinition:
    id: str
    hook: str
    title: str
    description: str
    prefetch: dict[str, str]
    required_keys: frozenset[str]
    usage_requirements: str

    def discovery_entry(self) -> dict[str, Any]:
        return {
            "hook": self.hook,
            "id": self.id,
            "title": self.title,
            "description": self.description,
            "prefetch": dict(self.prefetch),
            "usageRequirements": self.usage_requirements,
            "extension": {"org.gist-cds": {"knowledgeVersion": KNOWLEDGE_VERSION}},
        }


GIST_TREATMENT = ServiceDefinition(
    id="gist-treatment",
    hook="patient-view",
    title="GIST treatment recommendations",
    description=(
        "Guideline-based management suggestions for gastrointestinal stromal tumour (GIST): "
        "surveillance, surgery, neoadjuvant, adjuvant and advanced-disease TKI lines, surgery "
        "for metastatic disease and emergency surgical review. Every card cites its rule, "
        "sources and knowledge version."
    ),
    prefetch=dict(PREFETCH_TEMPLATES),
    required_keys=REQUIRED_KEYS,
    usage_requirements=(
        "Needs read access to the patient's Patient, Condition, Observation, "
        "MedicationStatement, MedicationRequest and Procedure resources (prefetch or fhirServer "
        "with fhirAuthorization)."
    ),
)

SERVICES: dict[str, ServiceDefinition] = {GIST_TREATMENT.id: GIST_TREATMENT}


def discovery_document() -> dict[str, Any]:
    return {"services": [service.discovery_entry() for service in SERVICES.values()]}
