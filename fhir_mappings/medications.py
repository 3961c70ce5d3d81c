"""TKI courses from MedicationStatement (also MedicationRequest): drug, daily dose, dates,
status and stop reason. Setting and line number are assigned later (`therapy_lines`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from fhir_mappings import codes, dates
from fhir_mappings.jsonpath import (
    JsonObj,
    codings,
    number,
    obj,
    objs,
    reference,
    resource_id,
    resource_type,
    text,
    words,
)
from logic.case import Drug, Provenance, StopReason, TherapyStatus

MEDICATION_USE_TYPES = frozenset({"MedicationStatement", "MedicationRequest"})

_STATUS = {
    "active": TherapyStatus.ACTIVE,
    "completed": TherapyStatus.COMPLETED,
    "stopped": TherapyStatus.STOPPED,
    "on-hold": TherapyStatus.ON_HOLD,
}
#: Statuses that mean the drug was not (yet) taken: not a course (DESIGN).
NOT_TAKEN = frozenset({"intended", "draft", "not-taken"})


@dataclass(frozen=True, slots=True)
class RawCourse:
    drug: Drug
    daily_dose_mg: float | None
    start: dt.date | None
    end: dt.date | None
    status: TherapyStatus
    stop_reason: StopReason | None
    source: Provenance


def drugs_in(concept: object) -> set[Drug]:
    """TKIs named by a CodeableConcept: RxNorm ingredient code, or ingredient/brand name in a
    display or the text, case-insensitive (input profile; RxCUIs [S35][S36])."""
    found = {
        codes.RXNORM_DRUGS[c]
        for s, c, _ in codings(concept)
        if s == codes.RXNORM and c in codes.RXNORM_DRUGS
    }
    label = words(concept)
    found.update(drug for name, drug in codes.DRUG_NAMES.items() if name in label)
    return found


def _medication(resource: JsonObj, medications: Mapping[str, JsonObj]) -> JsonObj | None:
    """The Medication a `medicationReference` points at: contained (`#id`), or among the input
    (by `Medication/id`, absolute URL or Bundle fullUrl)."""
    ref = reference(resource.get("medicationReference"))
    if ref is None:
        return None
    if ref.startswith("#"):
        return next(
            (
                c
                for c in objs(resource.get("contained"))
                if c.get("resourceType") == "Medication" and c.get("id") == ref[1:]
            ),
            None,
        )
    if ref in medications:
        return medications[ref]
    parts = ref.split("/")
    if "_history" in parts:
        parts = parts[: parts.index("_history")]
    return medications.get("/".join(parts[-2:])) if len(parts) >= 2 else None


def drugs_of(resource: JsonObj, medications: Mapping[str, JsonObj]) -> set[Drug]:
    found = drugs_in(resource.get("medicationCodeableConcept"))
    med = _medication(resource, medications)
    if med is not None:
        found |= drugs_in(med.get("code"))
    found |= drugs_in({"text": text(obj(resource.get("medicationReference")).get("display"))})
    return found


def unresolved_medication(resource: JsonObj, medications: Mapping[str, JsonObj]) -> str | None:
    """Why a medication use names no drug we can read: its `medicationReference` points at a
    Medication that was not sent and carries no display. It might be a TKI, so it is reported
    rather than dropped (a silent drop could hide a line of therapy)."""
    if resource.get("medicationCodeableConcept") is not None:
        return None
    ref_obj = obj(resource.get("medicationReference"))
    ref = reference(resource.get("medicationReference"))
    if (
        ref is None
        or _medication(resource, medications) is not None
        or text(ref_obj.get("display"))
    ):
        return None
    return f"medication {ref} was not in the data sent, so whether it is a TKI is unknown"


def _dosages(resource: JsonObj) -> list[JsonObj]:
    return objs(resource.get("dosage")) or objs(resource.get("dosageInstruction"))


_PER_DAY = {"h": Decimal(24), "d": Decimal(1), "wk": Decimal(1) / Decimal(7)}
#: v3 GTSAbbreviation timing codes -> administrations per day.
_TIMING_CODES = {"QD": 1, "BID": 2, "TID": 3, "QID": 4}
_MG = {"mg": Decimal(1), "g": Decimal(1000)}


def daily_dose_mg(resource: JsonObj) -> float | None:
    """doseQuantity (mg) × frequency per period day: 400 mg twice daily = 800 mg/day."""
    dosages = _dosages(resource)
    if not dosages:
        return None
    dosage = dosages[0]
    rate = next(iter(objs(dosage.get("doseAndRate"))), {})
    quantity = obj(rate.get("doseQuantity"))
    dose = number(quantity.get("value"))
    unit = text(quantity.get("code")) or text(quantity.get("unit"))
    if dose is None or unit is None or unit.lower() not in _MG:
        return None
    timing = obj(dosage.get("timing"))
    per_day = _per_day(obj(timing.get("repeat")))
    if per_day is None:
        per_day = next(
            (
                Decimal(_TIMING_CODES[c])
                for _, c, _ in codings(timing.get("code"))
                if c in _TIMING_CODES
            ),
            None,
        )
    if per_day is None:
        return None
    return float(dose * _MG[unit.lower()] * per_day)


def _per_day(repeat: JsonObj) -> Decimal | None:
    if not repeat:
        return None
    frequency = number(repeat.get("frequency"))
    period = number(repeat.get("period"))
    unit = text(repeat.get("periodUnit"))
    if period is None or period <= 0 or unit not in _PER_DAY:
        return None
    return (frequency if frequency is not None else Decimal(1)) / period * _PER_DAY[unit]


def _dates(resource: JsonObj) -> tuple[dt.date | None, dt.date | None]:
    period = obj(resource.get("effectivePeriod"))
    start = dates.parse(period.get("start")) or dates.parse(resource.get("effectiveDateTime"))
    end = dates.parse(period.get("end"))
    if start is None or end is None:
        dosages = _dosages(resource)
        bounds = obj(obj(obj(dosages[0] if dosages else {}).get("timing")).get("repeat")).get(
            "boundsPeriod"
        )
        start = start or dates.period_start(bounds)
        end = end or dates.period_end(bounds)
    return start or dates.parse(resource.get("authoredOn")), end


def stop_reason(resource: JsonObj) -> StopReason | None:
    """statusReason SNOMED 266721009 -> progression, 407563006 -> intolerance [S14]."""
    concepts = objs(resource.get("statusReason"))
    if not concepts:
        return None
    found = {c for concept in concepts for s, c, _ in codings(concept) if s == codes.SNOMED}
    if codes.STOP_PROGRESSION_SNOMED in found:
        return StopReason.PROGRESSION
    if codes.STOP_INTOLERANCE_SNOMED in found:
        return StopReason.INTOLERANCE
    return StopReason.OTHER


def courses(resource: JsonObj, medications: Mapping[str, JsonObj]) -> list[RawCourse] | str:
    """One course per TKI named (a combination gives two); [] if no TKI or never taken."""
    found = drugs_of(resource, medications)
    raw_status = text(resource.get("status"))
    if raw_status in NOT_TAKEN:
        return []
    if not found:
        return unresolved_medication(resource, medications) or []
    start, end = _dates(resource)
    status = _STATUS.get(raw_status or "")
    if status is None:
        if raw_status == "unknown" and end is not None:
            status = TherapyStatus.COMPLETED
        else:
            return f"therapy status {raw_status!r} without an end date"
    source = Provenance(resource_type(resource), resource_id(resource), start)
    dose = daily_dose_mg(resource) if len(found) == 1 else None
    reason = stop_reason(resource)
    return [RawCourse(drug, dose, start, end, status, reason, source) for drug in sorted(found)]
