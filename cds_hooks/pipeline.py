"""One hook call, end to end: resolve data → build the case → evaluate → render cards → audit.

Transport-free (no Flask): the `gist-treatment` handler (cds_hooks/hooks/patient_view.py) calls
`run_patient_view`, for the views and `gist-cds evaluate` alike.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from cds_hooks.cards import render_cards
from cds_hooks.fetch import DEFAULT_MEDICATION_USE_TYPES, FetchProblem, ResolvedData, resolve
from fhir_mappings import build_case
from fhir_mappings.assemble import mark_resection_unknown
from fhir_mappings.prefetch_templates import RESOURCE_TYPE_OF_KEY
from logic.case import GistCase, UnreadableInput
from logic.engine import evaluate
from logic.recommendation import Recommendation


@dataclass(frozen=True, slots=True)
class HookResult:
    response: dict[str, Any]
    case: GistCase
    recommendations: tuple[Recommendation, ...]
    problems: tuple[FetchProblem, ...]
    card_rules: dict[str, str]  # card uuid -> rule id, for feedback linkage
    latency_ms: float
    resolved: ResolvedData | None = None  # how each prefetch key was obtained (metrics)


def _problems_as_unreadable(problems: tuple[FetchProblem, ...]) -> tuple[UnreadableInput, ...]:
    return tuple(
        UnreadableInput(RESOURCE_TYPE_OF_KEY.get(p.key, p.key), None, p.reason) for p in problems
    )


def case_from_resolved(resolved: ResolvedData, patient_id: str) -> GistCase:
    case = build_case(list(resolved.values.values()), patient_id=patient_id)
    if resolved.problems:
        case = dataclasses.replace(
            case, unreadable=case.unreadable + _problems_as_unreadable(resolved.problems)
        )
    for problem in resolved.problems:
        if RESOURCE_TYPE_OF_KEY.get(problem.key) == "Procedure":
            # P6: Procedure data that could not be obtained leaves resection status unknown.
            case = mark_resection_unknown(
                case, f"Procedure data could not be obtained: {problem.reason}"
            )
    return case


def run_patient_view(
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
    """Answer a validated patient-view request; raises fetch.PrefetchUnavailable for 412."""
    started = time.perf_counter()
    context = request_body["context"]
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
    recommendations = tuple(evaluate(case))
    cards = render_cards(recommendations, case=case, public_base_url=public_base_url)
    card_rules = {
        card["uuid"]: card["extension"]["org.gist-cds"]["ruleId"]
        for card in cards
        if "uuid" in card
    }
    return HookResult(
        response={"cards": cards},
        case=case,
        recommendations=recommendations,
        problems=resolved.problems,
        card_rules=card_rules,
        latency_ms=(time.perf_counter() - started) * 1000,
        resolved=resolved,
    )


def evaluate_resources(
    items: list[Any], *, patient_id: str | None, public_base_url: str
) -> tuple[dict[str, Any], GistCase]:
    """Cards for resources already at hand (a FHIR Bundle file), and the case they came from:
    no fetching, no audit."""
    case = build_case(items, patient_id=patient_id)
    cards = render_cards(evaluate(case), case=case, public_base_url=public_base_url)
    return {"cards": cards}, case
