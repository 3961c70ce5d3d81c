"""Draft FHIR R4 resources a card suggests (create actions; the EHR and the clinician decide).

Per the card contract: surgery, metastasectomy, emergency review and liver-directed therapy get a
draft `ServiceRequest` (surgical / multidisciplinary referral); mutation testing a draft
`ServiceRequest` for KIT/PDGFRA analysis; TKI cards one draft `MedicationRequest` per regimen,
each its own suggestion (the card says `selectionBehavior: at-most-one`). Every resource is
`status: draft`, `intent: proposal`, names the patient and, when known, the GIST Condition.

Every resource is validated with the R4B models before it leaves (`fhir_mappings.r4b`); an
invalid one is a programming error: it is logged and its suggestion dropped, never sent.
No suggestions without a patient id (nothing to reference).

Codes: SNOMED CT concepts below were checked in public FHIR artefacts (not in the knowledge
base): 183541002 "Referral to surgeon (procedure)" (eCQM-style code list), 3457005 "Patient
referral (procedure)", 405825005 "Molecular genetic test (procedure)" and 108252007 "Laboratory
procedure (procedure)" (German MII molecular-genetics ServiceRequest examples). No SNOMED concept
for a *surgical oncology* referral was confirmed, so each request also carries a code of the
project's orderable CodeSystem (`ORDERABLE_SYSTEM`, codes in `ORDERABLES`) that says exactly what
is asked. It is separate from the input CodeSystem `gist`, which defines exactly the codes the
FHIR mapper reads.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Mapping
from typing import Any

from fhir_mappings.r4b import validation_errors
from logic.case import GistCase
from logic.recommendation import Category, Indicator, Recommendation, Regimen

log = logging.getLogger("gist_cds.suggestions")

SNOMED = "http://snomed.info/sct"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"  # [S14] mCODE alias
UCUM = "http://unitsofmeasure.org"
HGNC = "http://www.genenames.org/geneId"
#: The project CodeSystem for what the suggestions ask for (no standard code pins it down).
ORDERABLE_SYSTEM = "http://gist-cds.org/fhir/CodeSystem/orderable"

_REFERRAL_TO_SURGEON = {"system": SNOMED, "code": "183541002", "display": "Referral to surgeon"}
_PATIENT_REFERRAL = {"system": SNOMED, "code": "3457005", "display": "Patient referral"}
_MOLECULAR_TEST = {"system": SNOMED, "code": "405825005", "display": "Molecular genetic test"}
_LAB_PROCEDURE = {"system": SNOMED, "code": "108252007", "display": "Laboratory procedure"}
# KIT = HGNC:6342, PDGFRA = HGNC:8803 [S34]
_GENES = (
    {"system": HGNC, "code": "HGNC:6342", "display": "KIT"},
    {"system": HGNC, "code": "HGNC:8803", "display": "PDGFRA"},
)

_TKI_CATEGORIES = frozenset(
    {
        Category.NEOADJUVANT_TKI,
        Category.ADJUVANT_TKI,
        Category.FIRST_LINE_TKI,
        Category.NEXT_LINE_TKI,
    }
)


def _reference(kind: str, ident: str) -> dict[str, str]:
    return {"reference": f"{kind}/{ident}"}


def _base(resource_type: str) -> dict[str, Any]:
    return {"resourceType": resource_type, "status": "draft", "intent": "proposal"}


def _with_subject(resource: dict[str, Any], case: GistCase, reason_field: str) -> dict[str, Any]:
    resource["subject"] = _reference("Patient", str(case.patient_id))
    if case.gist_condition_id:
        resource[reason_field] = [_reference("Condition", case.gist_condition_id)]
    return resource


# --- ServiceRequests ---------------------------------------------------------------------------


#: Every code of ORDERABLE_SYSTEM with its display.
ORDERABLES: Mapping[str, str] = {
    "surgical-oncology-referral": "Surgical oncology referral for resection of the primary GIST",
    "metastasectomy-referral": "Surgical oncology referral to assess resection of metastatic GIST",
    "emergency-surgical-review": "Emergency surgical review",
    "liver-directed-therapy-review": (
        "Multidisciplinary review for liver-directed therapy (resection, ablation or embolisation)"
    ),
    "kit-pdgfra-mutation-analysis": "KIT and PDGFRA mutation analysis of tumour tissue",
}

_REFERRALS: Mapping[Category, tuple[dict[str, str], str, str]] = {
    # category: (SNOMED coding, orderable code, suggestion label)
    Category.SURGERY: (
        _REFERRAL_TO_SURGEON,
        "surgical-oncology-referral",
        "Refer to surgical oncology",
    ),
    Category.METASTASECTOMY: (
        _REFERRAL_TO_SURGEON,
        "metastasectomy-referral",
        "Refer to surgical oncology (metastasectomy)",
    ),
    Category.EMERGENCY_SURGICAL_REVIEW: (
        _REFERRAL_TO_SURGEON,
        "emergency-surgical-review",
        "Request emergency surgical review",
    ),
    Category.LIVER_DIRECTED_THERAPY: (
        _PATIENT_REFERRAL,
        "liver-directed-therapy-review",
        "Refer for multidisciplinary liver-directed therapy review",
    ),
}


def _priority(rec: Recommendation) -> str:
    """stat for a definite emergency (critical card), urgent for a possible one (warning)."""
    if rec.category is Category.EMERGENCY_SURGICAL_REVIEW:
        return "stat" if Indicator(rec.indicator) is Indicator.CRITICAL else "urgent"
    return "routine"


def referral_request(rec: Recommendation, case: GistCase) -> tuple[str, dict[str, Any]]:
    """(label, draft ServiceRequest) for a surgical / multidisciplinary referral."""
    snomed, code, label = _REFERRALS[Category(rec.category)]
    display = ORDERABLES[code]
    resource = _base("ServiceRequest")
    resource["priority"] = _priority(rec)
    resource["code"] = {
        "coding": [dict(snomed), {"system": ORDERABLE_SYSTEM, "code": code, "display": display}],
        "text": display,
    }
    _with_subject(resource, case, "reasonReference")
    resource["note"] = [{"text": f"Proposed by GIST CDS rule {rec.rule_id}: {rec.summary}"}]
    if resource["priority"] != "routine":
        label += f" ({resource['priority']})"
    return label, resource


def mutation_test_request(rec: Recommendation, case: GistCase) -> tuple[str, dict[str, Any]]:
    """(label, draft ServiceRequest) for KIT/PDGFRA mutation analysis of tumour tissue."""
    display = ORDERABLES["kit-pdgfra-mutation-analysis"]
    resource = _base("ServiceRequest")
    resource["category"] = [{"coding": [dict(_LAB_PROCEDURE)]}]
    resource["code"] = {
        "coding": [
            dict(_MOLECULAR_TEST),
            {
                "system": ORDERABLE_SYSTEM,
                "code": "kit-pdgfra-mutation-analysis",
                "display": display,
            },
        ],
        "text": display,
    }
    resource["orderDetail"] = [{"coding": [dict(gene)], "text": gene["display"]} for gene in _GENES]
    _with_subject(resource, case, "reasonReference")
    resource["note"] = [{"text": f"Proposed by GIST CDS rule {rec.rule_id}: {rec.summary}"}]
    return "Order KIT/PDGFRA mutation analysis", resource


# --- MedicationRequests ------------------------------------------------------------------------

_TWICE = re.compile(r"\b(twice daily|twice a day|bid|b\.i\.d\.)\b", re.IGNORECASE)
_CYCLE = re.compile(r"\bon\b.*\boff\b", re.IGNORECASE)


def _mg(value: float) -> dict[str, Any]:
    number: int | float = int(value) if float(value).is_integer() else round(value, 3)
    return {"value": number, "unit": "mg", "system": UCUM, "code": "mg"}


def _drug_name(regimen: Regimen) -> str:
    return " + ".join(part.strip().capitalize() for part in regimen.drug.split("+"))


def dosage(regimen: Regimen) -> dict[str, Any]:
    """Dosage with the text always, and dose and timing where FHIR can say them plainly.

    Twice-daily schedules split the daily dose; on/off cycles (e.g. 4 weeks on / 2 off) cannot
    be written as a plain Timing, so they keep the cycle in `timing.code.text` and no daily
    frequency that an EHR could read as continuous dosing. Combinations (two drugs, one regimen)
    are text only: one MedicationRequest cannot carry two doses.
    """
    text = regimen.display
    if regimen.duration_months is not None:
        text += f" for {regimen.duration_months} months"
    result: dict[str, Any] = {"text": text}
    if "+" in regimen.drug:
        return result
    per_day = 2 if _TWICE.search(regimen.schedule) else 1
    timing: dict[str, Any] = {}
    repeat: dict[str, Any] = {}
    if _CYCLE.search(regimen.schedule):
        timing["code"] = {"text": regimen.schedule}
    else:
        repeat.update({"frequency": per_day, "period": 1, "periodUnit": "d"})
    if regimen.duration_months is not None:
        repeat["boundsDuration"] = {
            "value": regimen.duration_months,
            "unit": "months",
            "system": UCUM,
            "code": "mo",
        }
    if repeat:
        timing["repeat"] = repeat
    result["timing"] = timing
    result["doseAndRate"] = [{"doseQuantity": _mg(regimen.dose_mg_per_day / per_day)}]
    return result


def medication_request(
    rec: Recommendation, case: GistCase, regimen: Regimen
) -> tuple[str, dict[str, Any]]:
    """(label, draft MedicationRequest) for one regimen."""
    medication: dict[str, Any] = {"text": _drug_name(regimen)}
    if regimen.rxnorm:
        medication["coding"] = [{"system": RXNORM, "code": regimen.rxnorm, "display": regimen.drug}]
    resource = _base("MedicationRequest")
    resource["medicationCodeableConcept"] = medication
    _with_subject(resource, case, "reasonReference")
    resource["dosageInstruction"] = [dosage(regimen)]
    resource["note"] = [{"text": f"Proposed by GIST CDS rule {rec.rule_id}: {rec.summary}"}]
    return f"Draft order: {resource['dosageInstruction'][0]['text']}", resource


# --- assembly ----------------------------------------------------------------------------------


def _drafts(rec: Recommendation, case: GistCase) -> list[tuple[str, dict[str, Any]]]:
    category = Category(rec.category)
    if category in _REFERRALS:
        return [referral_request(rec, case)]
    if category is Category.MUTATION_TESTING:
        return [mutation_test_request(rec, case)]
    if category in _TKI_CATEGORIES:
        return [medication_request(rec, case, regimen) for regimen in rec.regimens]
    return []


def _what(resource: Mapping[str, Any]) -> str:
    """What a draft asks for, in words (its code text or its dosage text)."""
    if resource["resourceType"] == "MedicationRequest":
        return str(resource["dosageInstruction"][0]["text"])
    return str(resource["code"]["text"])


def suggestions_for(rec: Recommendation, case: GistCase) -> list[dict[str, Any]]:
    """The card's suggestions (possibly none); the first is the preferred one."""
    if case.patient_id is None:
        return []
    result: list[dict[str, Any]] = []
    for label, resource in _drafts(rec, case):
        errors = validation_errors(resource)
        if errors:
            log.error(
                "invalid suggested resource dropped",
                extra={
                    "rule": rec.rule_id,
                    "resourceType": resource["resourceType"],
                    # where, not what: a message may quote a value of the draft (the patient id)
                    "errors": [error.split(":", 1)[0] for error in errors],
                },
            )
            continue
        suggestion: dict[str, Any] = {"uuid": str(uuid.uuid4()), "label": label}
        if not result:
            suggestion["isRecommended"] = True  # at most one under at-most-one (cds-resp-1)
        description = f"Create a draft {resource['resourceType']} for review: {_what(resource)}"
        suggestion["actions"] = [
            {"type": "create", "description": description, "resource": resource}
        ]
        result.append(suggestion)
    return result
