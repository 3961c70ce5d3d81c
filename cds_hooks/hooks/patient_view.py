"""`gist-treatment` on the `patient-view` hook: the patient's GIST data in, management cards out."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cds_hooks.hooks.registry import HookSettings, ServiceDefinition, register, usage_requirements
from cds_hooks.pipeline import HookResult, run_patient_view
from cds_hooks.validation import load_schema
from fhir_mappings.prefetch_templates import PREFETCH_TEMPLATES, REQUIRED_KEYS

#: MedicationStatement and MedicationRequest often name the drug only by reference.
MEDICATION_USE_TYPES = frozenset({"MedicationStatement", "MedicationRequest"})


def answer(request: Mapping[str, Any], settings: HookSettings) -> HookResult:
    """Resolve the prefetch (fetching what is missing), build the case, evaluate, render."""
    return run_patient_view(
        request,
        allowed_servers=settings.allowed_servers,
        timeout_s=settings.timeout_s,
        public_base_url=settings.public_base_url,
        required_keys=REQUIRED_KEYS,
        max_resources=settings.max_resources,
        max_fhir_bytes=settings.max_fhir_bytes,
        received_bytes=settings.received_bytes,
        medication_use_types=MEDICATION_USE_TYPES,
    )


GIST_TREATMENT = register(
    ServiceDefinition(
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
        usage_requirements=usage_requirements(PREFETCH_TEMPLATES),
        context_schema=load_schema("patient-view-context"),
        handler=answer,
        medication_use_types=MEDICATION_USE_TYPES,
    )
)
