"""`gist-order-select` (order-select) and `gist-order-sign` (order-sign): a drafted TKI order is
checked against the patient's GIST case while it is being written (card contract, order-alert).

The case is built exactly as for patient-view (same prefetch templates; whatever is missing is
fetched); the drafted orders come from `context.draftOrders` (only the `selections` on
order-select). A correct order gets no card.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cds_hooks.errors import BadRequest
from cds_hooks.hooks.patient_view import MEDICATION_USE_TYPES
from cds_hooks.hooks.registry import HookSettings, ServiceDefinition, register, usage_requirements
from cds_hooks.order_pipeline import run_order_hook
from cds_hooks.pipeline import HookResult
from cds_hooks.validation import load_schema
from fhir_mappings.draft_orders import DraftOrdersError
from fhir_mappings.prefetch_templates import PREFETCH_TEMPLATES, REQUIRED_KEYS

_CHECKS = (
    "a TKI that does not work for the genotype (imatinib or another TKI for PDGFRA D842V; "
    "avapritinib before imatinib, sunitinib and regorafenib in other disease), imatinib 400 mg "
    "for advanced KIT exon 9 disease, adjuvant imatinib where the genotype or the risk gives no "
    "benefit, a later line while earlier standard lines were not given, a dose far from the "
    "regimen, a TKI the patient already takes, and a TKI during an active surgical emergency"
)


def answer(request: Mapping[str, Any], settings: HookSettings) -> HookResult:
    """Read the drafted orders, build the case as patient-view does, check each TKI order."""
    try:
        return run_order_hook(
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
    except DraftOrdersError as exc:
        raise BadRequest(f"invalid {request['hook']} context: {exc}") from exc


GIST_ORDER_SELECT = register(
    ServiceDefinition(
        id="gist-order-select",
        hook="order-select",
        title="GIST order check (on selecting an order)",
        description=(
            "Checks a selected draft TKI order against the patient's GIST case and alerts on "
            f"{_CHECKS}. Each alert cites its rule and source and offers to change or remove "
            "the draft."
        ),
        prefetch=dict(PREFETCH_TEMPLATES),
        required_keys=REQUIRED_KEYS,
        usage_requirements=usage_requirements(PREFETCH_TEMPLATES),
        context_schema=load_schema("order-select-context"),
        handler=answer,
        medication_use_types=MEDICATION_USE_TYPES,
    )
)

GIST_ORDER_SIGN = register(
    ServiceDefinition(
        id="gist-order-sign",
        hook="order-sign",
        title="GIST order check (before signing)",
        description=(
            "Checks every draft TKI order about to be signed against the patient's GIST case "
            f"and alerts on {_CHECKS}. Each alert cites its rule and source and offers to "
            "change or remove the draft."
        ),
        prefetch=dict(PREFETCH_TEMPLATES),
        required_keys=REQUIRED_KEYS,
        usage_requirements=usage_requirements(PREFETCH_TEMPLATES),
        context_schema=load_schema("order-sign-context"),
        handler=answer,
        medication_use_types=MEDICATION_USE_TYPES,
    )
)
