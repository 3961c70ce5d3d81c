"""TKI courses from MedicationStatement and MedicationRequest (orders only), and course evidence
from MedicationDispense / MedicationAdministration: drug, daily dose, dates, status and stop
reason. Setting and line number are assigned later (`therapy_lines`).

Drugs are recognised by RxNorm ingredient or product code (`drug_codes`) or by name; a record
whose drug cannot be identified at all is reported, because it may be a TKI (input profile,
"Real EHR variations")."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from fhir_mappings import codes, dates, drug_codes
from fhir_mappings.jsonpath import (
    JsonObj,
    codings,
    integer,
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

#: Records of taking a drug. Dispenses and administrations are evidence of a course too.
EVIDENCE_TYPES = frozenset({"MedicationDispense", "MedicationAdministration"})
MEDICATION_USE_TYPES = frozenset({"MedicationStatement", "MedicationRequest"}) | EVIDENCE_TYPES
#: MedicationRequest intents that are a real order; plan / proposal / option are not a course.
ORDER_INTENTS = frozenset({"order", "original-order", "instance-order"})

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
    evidence: bool = False  # from a dispense / administration, not a statement or order
    start_text: str | None = None  # the start as written (partial dates, time zones)


_RXNORM_ALL = {**codes.RXNORM_DRUGS, **codes.RXNORM_PRODUCTS}


def drugs_in(concept: object) -> set[Drug]:
    """TKIs named by a CodeableConcept: RxNorm ingredient or product code, or ingredient/brand
    name in a display or the text, case-insensitive (input profile; codes in `drug_codes`)."""
    found = {
        _RXNORM_ALL[c] for s, c, _ in codings(concept) if s == codes.RXNORM and c in _RXNORM_ALL
    }
    label = words(concept)
    found.update(drug for name, drug in codes.DRUG_NAMES.items() if name in label)
    return found


_STRENGTH = re.compile(r"(\d+(?:\.\d+)?)\s*mg\b", re.IGNORECASE)


def strength_mg(concept: object) -> Decimal | None:
    """Strength per unit (tablet/capsule) of a single-strength product: its RxNorm product code,
    else one `NNN MG` in the display or text (RxNorm SCD names say it that way)."""
    for system, code, _ in codings(concept):
        if system == codes.RXNORM and code in drug_codes.PRODUCTS:
            return drug_codes.PRODUCTS[code].strength_mg
    found = {Decimal(m) for m in _STRENGTH.findall(words(concept))}
    return found.pop() if len(found) == 1 else None


def _identifiable(concept: object) -> bool:
    """True when a drug concept says what it is: a text, a display, or a code we know."""
    c = obj(concept)
    if text(c.get("text")) or any(d for _, _, d in codings(c)):
        return True
    return bool(drugs_in(concept))


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
    """Why a medication use names no drug we can read: only an unknown code and no name, or a
    `medicationReference` to a Medication that was not sent and carries no display. It might be
    a TKI, so it is reported rather than dropped (a silent drop could hide a line of therapy)."""
    concept = resource.get("medicationCodeableConcept")
    if concept is not None:
        if _identifiable(concept):
            return None
        listed = ", ".join(c for _, c, _ in codings(concept) if c) or "none"
        return f"the drug could not be identified (code {listed}, no name), so it may be a TKI"
    med = _medication(resource, medications)
    if (
        med is not None
        and not _identifiable(med.get("code"))
        and not text(obj(resource.get("medicationReference")).get("display"))
    ):
        listed = ", ".join(c for _, c, _ in codings(med.get("code")) if c) or "none"
        return f"the drug could not be identified (code {listed}, no name), so it may be a TKI"
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


#: UCUM annotation units that count tablets / capsules: the dose is count × product strength.
COUNT_UNITS = frozenset({"{tbl}", "{tablet}", "{pill}", "{capsule}", "{cap}", "tbl", "tablet"})


@dataclass(frozen=True, slots=True)
class DailyDose:
    mg: float | None
    problem: str | None = None  # why a dose that was given could not be read


def daily_dose(resource: JsonObj, strength: Decimal | None) -> DailyDose:
    """doseQuantity (mg, or a count of tablets × `strength`) × frequency per day from
    `timing.repeat` or `timing.code` (QD/BID/TID/QID): 400 mg twice daily = 800 mg/day."""
    dosages = _dosages(resource)
    if not dosages:
        return DailyDose(None)
    dosage = dosages[0]
    rate = next(iter(objs(dosage.get("doseAndRate"))), {})
    quantity = obj(rate.get("doseQuantity")) or obj(dosage.get("dose"))
    instruction = text(dosage.get("text")) or text(dosage.get("patientInstruction"))
    if not quantity:
        if instruction:
            return DailyDose(None, f"the dose is given only as text ({instruction!r})")
        return DailyDose(None)
    dose = number(quantity.get("value"))
    unit = (text(quantity.get("code")) or text(quantity.get("unit")) or "").lower()
    if dose is None:
        return DailyDose(None, "the dose quantity has no value")
    if unit in _MG:
        per_unit = _MG[unit]
    elif unit in COUNT_UNITS:
        if strength is None:
            return DailyDose(None, f"the dose is {dose} {unit} but the product strength is unknown")
        per_unit = strength
    else:
        return DailyDose(None, f"the dose unit {unit or 'none'!r} is not mg or a tablet count")
    timing = obj(dosage.get("timing"))
    per_day = _per_day(obj(timing.get("repeat")))
    if per_day is None:
        per_day = next(
            (
                Decimal(_TIMING_CODES[c.upper()])
                for _, c, _ in codings(timing.get("code"))
                if c and c.upper() in _TIMING_CODES
            ),
            None,
        )
    if per_day is None:
        return DailyDose(None)
    return DailyDose(float(dose * per_unit * per_day))


def daily_dose_mg(resource: JsonObj) -> float | None:
    """The daily dose in mg when it is given in mg (see `daily_dose` for counts)."""
    return daily_dose(resource, None).mg


def _per_day(repeat: JsonObj) -> Decimal | None:
    if not repeat:
        return None
    frequency = number(repeat.get("frequency"))
    period = number(repeat.get("period"))
    unit = text(repeat.get("periodUnit"))
    if period is None or period <= 0 or unit not in _PER_DAY:
        return None
    return (frequency if frequency is not None else Decimal(1)) / period * _PER_DAY[unit]


def start_text(resource: JsonObj) -> str | None:
    """The course start as the EHR wrote it (same precedence as `_dates`)."""
    dosages = _dosages(resource)
    bounds = obj(obj(obj(dosages[0] if dosages else {}).get("timing")).get("repeat")).get(
        "boundsPeriod"
    )
    for value in (
        obj(resource.get("effectivePeriod")).get("start"),
        resource.get("effectiveDateTime"),
        obj(bounds).get("start"),
        resource.get("authoredOn"),
    ):
        if dates.parse(value) is not None:
            return text(value)
    return None


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


@dataclass(frozen=True, slots=True)
class MedicationReading:
    """What one medication record gave: its courses and any named problem with it."""

    courses: tuple[RawCourse, ...] = ()
    problem: str | None = None  # the record cannot be used at all
    dose_problem: str | None = None  # the courses are used, the daily dose is unknown


def drug_concept(resource: JsonObj, medications: Mapping[str, JsonObj]) -> object:
    """The CodeableConcept naming the drug: the record's own, else its Medication's code."""
    med = _medication(resource, medications)
    return resource.get("medicationCodeableConcept") or (med.get("code") if med else None)


def _evidence_course(
    resource: JsonObj, found: set[Drug], raw_status: str | None
) -> MedicationReading | None:
    """A dispense or administration: the drug was handed over / given on that day."""
    if resource.get("resourceType") == "MedicationDispense":
        if raw_status not in ("completed", None):
            return MedicationReading()
        start = dates.parse(resource.get("whenHandedOver")) or dates.parse(
            resource.get("whenPrepared")
        )
        supply = obj(resource.get("daysSupply"))
        days = integer(supply.get("value"))
        end = start + dt.timedelta(days=days) if start and days and days > 0 else start
    else:
        if raw_status not in ("completed", "in-progress", None):
            return MedicationReading()
        period = obj(resource.get("effectivePeriod"))
        start = dates.parse(resource.get("effectiveDateTime")) or dates.parse(period.get("start"))
        end = dates.parse(period.get("end")) or start
    if start is None:
        return None
    source = Provenance(resource_type(resource), resource_id(resource), start)
    return MedicationReading(
        tuple(
            RawCourse(drug, None, start, end, TherapyStatus.COMPLETED, None, source, True)
            for drug in sorted(found)
        )
    )


def read(resource: JsonObj, medications: Mapping[str, JsonObj]) -> MedicationReading:
    """The TKI courses of one medication record; nothing when no TKI or never taken."""
    found = drugs_of(resource, medications)
    raw_status = text(resource.get("status"))
    if raw_status in NOT_TAKEN:
        return MedicationReading()
    if resource.get("resourceType") == "MedicationRequest":
        intent = text(resource.get("intent"))
        if intent not in ORDER_INTENTS:
            return MedicationReading()  # a plan or proposal is not a started course
    if not found:
        return MedicationReading(problem=unresolved_medication(resource, medications))
    if resource.get("resourceType") in EVIDENCE_TYPES:
        evidence = _evidence_course(resource, found, raw_status)
        return evidence or MedicationReading(problem="no date of dispensing or administration")
    start, end = _dates(resource)
    status = _STATUS.get(raw_status or "")
    if status is None:
        if raw_status == "unknown" and end is not None:
            status = TherapyStatus.COMPLETED
        else:
            return MedicationReading(problem=f"therapy status {raw_status!r} without an end date")
    source = Provenance(resource_type(resource), resource_id(resource), start)
    dose = (
        daily_dose(resource, strength_mg(drug_concept(resource, medications)))
        if len(found) == 1
        else DailyDose(None)
    )
    reason = stop_reason(resource)
    return MedicationReading(
        tuple(
            RawCourse(
                drug, dose.mg, start, end, status, reason, source, start_text=start_text(resource)
            )
            for drug in sorted(found)
        ),
        dose_problem=dose.problem,
    )


def courses(resource: JsonObj, medications: Mapping[str, JsonObj]) -> list[RawCourse] | str:
    """One course per TKI named (a combination gives two); [] if no TKI or never taken; the
    reason as a string when the record cannot be used."""
    reading = read(resource, medications)
    return reading.problem if reading.problem else list(reading.courses)


#: An evidence-only course is still running when the drug was last supplied this recently.
EVIDENCE_CURRENT_DAYS = 60


def merge_evidence(courses: list[RawCourse], today: dt.date) -> list[RawCourse]:
    """Dispenses / administrations of a drug with no statement or order become one course per
    drug (first to last supply), active when last supplied within EVIDENCE_CURRENT_DAYS; with a
    statement or order for the drug they only confirm it and are dropped."""
    stated = {c.drug for c in courses if not c.evidence}
    kept = [c for c in courses if not c.evidence]
    by_drug: dict[Drug, list[RawCourse]] = {}
    for c in courses:
        if c.evidence and c.drug not in stated:
            by_drug.setdefault(c.drug, []).append(c)
    for drug, items in sorted(by_drug.items()):
        first = min(items, key=lambda c: (c.start or dt.date.max, c.source.resource_id or ""))
        last_day = max((c.end or c.start or dt.date.min) for c in items)
        running = (today - last_day).days <= EVIDENCE_CURRENT_DAYS
        kept.append(
            RawCourse(
                drug,
                None,
                first.start,
                None if running else last_day,
                TherapyStatus.ACTIVE if running else TherapyStatus.COMPLETED,
                None,
                first.source,
                True,
            )
        )
    return kept
