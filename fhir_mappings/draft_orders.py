"""Drafted TKI orders from an order-select / order-sign context (`context.draftOrders`).

The drug and the daily dose are read exactly as for the TKI history (`medications`): RxNorm
ingredient or product codes, ingredient and brand names ("imatinib 400 MG [Gleevec]"), a dose in
mg or as a count of tablets/capsules × the product strength × the frequency. When the strength or
the frequency cannot be known the dose stays unknown and the reason is kept: never guessed.

order-select checks only the orders named in `context.selections`; order-sign checks every order
of the Bundle. Orders that name no TKI (other drugs, ServiceRequests, …) are not checked.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from fhir_mappings import medications
from fhir_mappings.jsonpath import JsonObj, codings, obj, objs, resource_id, text
from logic.orders.draft import DraftTki

#: Statuses of an order that is no longer being written.
_WITHDRAWN = frozenset({"cancelled", "entered-in-error", "revoked"})


class DraftOrdersError(ValueError):
    """The draftOrders or selections cannot be read; the message says what is wrong."""


@dataclass(frozen=True, slots=True)
class DraftOrders:
    """The TKI orders to check and every drafted resource by `Type/id` (for suggestions)."""

    tkis: tuple[DraftTki, ...]
    resources: dict[str, JsonObj]


def _entries(bundle: object) -> list[JsonObj]:
    b = obj(bundle)
    if b.get("resourceType") != "Bundle":
        raise DraftOrdersError("context.draftOrders must be a FHIR Bundle")
    return [obj(e.get("resource")) for e in objs(b.get("entry")) if obj(e.get("resource"))]


def _reference(resource: JsonObj) -> str | None:
    rid = resource_id(resource)
    kind = text(resource.get("resourceType"))
    return f"{kind}/{rid}" if kind and rid else None


def _medications(entries: Sequence[JsonObj]) -> dict[str, JsonObj]:
    """Medication resources sent in the Bundle, by `Medication/id`."""
    return {
        ref: e
        for e in entries
        if e.get("resourceType") == "Medication" and (ref := _reference(e)) is not None
    }


def _written_as(concept: object, fallback: str) -> str:
    c = obj(concept)
    return text(c.get("text")) or next((d for _, _, d in codings(c) if d), None) or fallback


def _frequency_missing(resource: JsonObj) -> bool:
    dosage = next(iter(objs(resource.get("dosageInstruction"))), {})
    return bool(dosage) and bool(objs(dosage.get("doseAndRate")) or dosage.get("dose"))


def read_draft(resource: JsonObj, meds: dict[str, JsonObj]) -> list[DraftTki]:
    """The TKIs one drafted MedicationRequest orders (none for other drugs)."""
    reference = _reference(resource)
    if resource.get("resourceType") != "MedicationRequest" or reference is None:
        return []
    if text(resource.get("status")) in _WITHDRAWN:
        return []
    drugs = sorted(medications.drugs_of(resource, meds))
    concept = medications.drug_concept(resource, meds)
    if len(drugs) != 1:
        problem = "the order names more than one drug" if drugs else None
        return [DraftTki(reference, d, None, _written_as(concept, d.value), problem) for d in drugs]
    drug = drugs[0]
    dose = medications.daily_dose(resource, medications.strength_mg(concept))
    daily_mg, problem = dose.mg, dose.problem
    if daily_mg is not None and daily_mg <= 0:
        daily_mg, problem = (
            None,
            f"the daily dose works out at {daily_mg:g} mg, not a positive dose",
        )
    if daily_mg is None and problem is None and _frequency_missing(resource):
        problem = "the order gives a dose but no frequency"
    return [DraftTki(reference, drug, daily_mg, _written_as(concept, drug.value), problem)]


def read_draft_orders(draft_orders: object, selections: Sequence[object] | None) -> DraftOrders:
    """The TKI orders to check: the selected ones (order-select) or all (order-sign, when
    `selections` is None). A selection that names no order of the Bundle is an error."""
    entries = _entries(draft_orders)
    resources = {ref: e for e in entries if (ref := _reference(e)) is not None}
    if selections is None:
        chosen = [e for e in entries if e.get("resourceType") != "Medication"]
    else:
        chosen = []
        for selection in selections:
            ref = text(selection)
            if ref is None or ref not in resources:
                raise DraftOrdersError(
                    f"selection {selection!r} is not an order of context.draftOrders"
                )
            chosen.append(resources[ref])
    meds = _medications(entries)
    tkis = tuple(draft for resource in chosen for draft in read_draft(resource, meds))
    return DraftOrders(tkis, resources)
