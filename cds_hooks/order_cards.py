"""Order findings → `order-alert` cards whose suggestion acts on the drafted order.

A card is built with the patient-view card helpers (`cards.render_card`: summary cap, source,
rule link, override reasons, the contract extension) and then gets the order suggestion: `update`
of the draft to the recommended drug and dose (the draft keeps its id, status and intent), or
`delete` of the draft. Every resource is validated with the R4B models before it leaves; an
invalid one is a programming error, logged and not sent.
"""

from __future__ import annotations

import copy
import logging
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from cds_hooks.cards import SUMMARY_MAX, render_card
from cds_hooks.suggestions import medication_request
from fhir_mappings.draft_orders import DraftOrders
from fhir_mappings.r4b import validation_errors
from logic.case import GistCase
from logic.knowledge.version import KNOWLEDGE_VERSION
from logic.orders import OrderFinding
from logic.orders.draft import ChangeKind
from logic.recommendation import Category, Indicator, Recommendation

log = logging.getLogger("gist_cds.order_cards")

_RANK = {Indicator.CRITICAL: 0, Indicator.WARNING: 1, Indicator.INFO: 2}


def recommendation_of(finding: OrderFinding) -> Recommendation:
    """The finding in the shape the card helpers render."""
    change = finding.change
    return Recommendation(
        category=Category.ORDER_ALERT,
        indicator=finding.indicator,
        rule_id=finding.rule_id,
        evidence=finding.evidence,
        knowledge_version=KNOWLEDGE_VERSION,
        summary=finding.summary,
        rationale=finding.rationale,
        regimens=(change.regimen,) if change.regimen is not None else (),
        facts_used=finding.facts,
    )


def updated_draft(rec: Recommendation, case: GistCase, draft: Mapping[str, Any]) -> dict[str, Any]:
    """The drafted MedicationRequest changed to the recommended drug and dose: same id, status,
    intent and subject; the dispense quantity of the old product is dropped (it no longer fits)."""
    _, proposal = medication_request(rec, case, rec.regimens[0])
    resource = copy.deepcopy(dict(draft))
    resource.pop("medicationReference", None)
    resource.pop("dispenseRequest", None)
    resource["medicationCodeableConcept"] = proposal["medicationCodeableConcept"]
    resource["dosageInstruction"] = proposal["dosageInstruction"]
    return resource


def order_suggestion(
    finding: OrderFinding, rec: Recommendation, case: GistCase, drafts: DraftOrders
) -> dict[str, Any] | None:
    reference = finding.draft.reference
    label = finding.change.label
    if finding.change.kind is ChangeKind.WITHDRAW or not rec.regimens:
        action: dict[str, Any] = {
            "type": "delete",
            "description": f"Delete the draft order {reference}",
            "resourceId": reference,
        }
    else:
        draft = drafts.resources.get(reference)
        if draft is None:
            return None
        resource = updated_draft(rec, case, draft)
        errors = validation_errors(resource)
        if errors:
            log.error(
                "invalid order suggestion dropped", extra={"rule": rec.rule_id, "errors": errors}
            )
            return None
        text = resource["dosageInstruction"][0]["text"]
        action = {
            "type": "update",
            "description": f"Change the draft order {reference} to {text}",
            "resource": resource,
        }
    return {
        "uuid": str(uuid.uuid4()),
        "label": label[:SUMMARY_MAX],
        "isRecommended": True,
        "actions": [action],
    }


def render_order_cards(
    findings: Sequence[OrderFinding],
    *,
    drafts: DraftOrders,
    case: GistCase,
    public_base_url: str,
) -> list[dict[str, Any]]:
    """One `order-alert` card per finding, critical first."""
    cards = []
    for finding in sorted(findings, key=lambda f: _RANK[f.indicator]):
        rec = recommendation_of(finding)
        card = render_card(rec, case=case, public_base_url=public_base_url)
        suggestion = order_suggestion(finding, rec, case, drafts)
        if suggestion is not None:
            card["suggestions"] = [suggestion]
            card["selectionBehavior"] = "at-most-one"
        cards.append(card)
    return cards
