"""One order-select / order-sign call: the case exactly as for patient-view (prefetch, else
fetched), the drafted TKI orders from the context, the order checks, the order-alert cards.

Transport-free like `pipeline`: the views and `gist-cds evaluate` both call `run_order_hook`.
"""

from __future__ import annotations

import time
from collections.abc import Collection, Mapping
from typing import Any

from cds_hooks.fetch import DEFAULT_MEDICATION_USE_TYPES, resolve
from cds_hooks.order_cards import recommendation_of, render_order_cards
from cds_hooks.pipeline import HookResult, case_from_resolved
from fhir_mappings.draft_orders import DraftOrders, read_draft_orders
from logic.case import GistCase
from logic.orders import check_drafts
from logic.registry import ORDER_RULES

ORDER_HOOKS = frozenset({"order-select", "order-sign"})


def drafts_of(context: Mapping[str, Any], hook: str) -> DraftOrders:
    """The orders to check: the selected ones on order-select, all of them on order-sign.
    Raises `DraftOrdersError` naming what cannot be read."""
    selections = context.get("selections") if hook == "order-select" else None
    return read_draft_orders(context.get("draftOrders"), selections)


def order_cards(
    case: GistCase, drafts: DraftOrders, public_base_url: str
) -> tuple[list[dict[str, Any]], tuple[Any, ...]]:
    findings = check_drafts(case, drafts.tkis, ORDER_RULES.values())
    cards = render_order_cards(findings, drafts=drafts, case=case, public_base_url=public_base_url)
    return cards, tuple(recommendation_of(f) for f in findings)


def run_order_hook(
    request_body: Mapping[str, Any],
    *,
    allowed_servers: Collection[str],
    timeout_s: float,
    public_base_url: str,
    required_keys: Collection[str],
    max_resources: int = 20_000,
    max_fhir_bytes: int = 32 * 1024 * 1024,
    received_bytes: int = 0,
    medication_use_types: Collection[str] = DEFAULT_MEDICATION_USE_TYPES,
) -> HookResult:
    """Answer a validated order-select / order-sign request; raises fetch.PrefetchUnavailable
    for 412 and `DraftOrdersError` for unreadable draft orders (400)."""
    started = time.perf_counter()
    context = request_body["context"]
    drafts = drafts_of(context, str(request_body["hook"]))
    patient_id = str(context["patientId"])
    authorization = request_body.get("fhirAuthorization") or {}
    resolved = resolve(
        request_body.get("prefetch"),
        patient_id=patient_id,
        fhir_server=request_body.get("fhirServer"),
        access_token=authorization.get("access_token"),
        allowed_servers=allowed_servers,
        timeout_s=timeout_s,
        required=required_keys,
        max_resources=max_resources,
        max_total_bytes=max_fhir_bytes,
        received_bytes=received_bytes,
        medication_use_types=medication_use_types,
    )
    case = case_from_resolved(resolved, patient_id)
    cards, recommendations = order_cards(case, drafts, public_base_url)
    return HookResult(
        response={"cards": cards},
        case=case,
        recommendations=recommendations,
        problems=resolved.problems,
        card_rules={card["uuid"]: card["extension"]["org.gist-cds"]["ruleId"] for card in cards},
        latency_ms=(time.perf_counter() - started) * 1000,
        resolved=resolved,
    )
