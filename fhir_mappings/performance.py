"""Performance status (knowledge base K1): ECOG (LOINC 89247-1) or Karnofsky (LOINC 89243-0).

mCODE's ECOG profile sends the score as `valueInteger` (with the LOINC answer as
`interpretation`); EHRs also send the LOINC answer itself as `valueCodeableConcept`. Answer codes
of LOINC answer list LL529-9: LA9622-7 = 0 (as in the mCODE STU3/STU4 example), LA9623-5 = 1,
LA9624-3 = 2, LA9625-0 = 3, LA9626-8 = 4. Anything else is unreadable, never guessed.
"""

from __future__ import annotations

import re

from fhir_mappings import codes, dates
from fhir_mappings.jsonpath import JsonObj, codings, integer, obj, resource_id, text
from fhir_mappings.selection import Candidate
from logic.case import PerformanceScale, PerformanceStatus, Provenance

L_ECOG = "89247-1"
L_KARNOFSKY = "89243-0"
ECOG_ANSWERS = {"LA9622-7": 0, "LA9623-5": 1, "LA9624-3": 2, "LA9625-0": 3, "LA9626-8": 4}
_RANGE = {PerformanceScale.ECOG: (0, 4), PerformanceScale.KARNOFSKY: (0, 100)}
KIND = "performance status"
_LEADING_NUMBER = re.compile(r"\s*(\d{1,3})\b")


def scale_of(observation: JsonObj) -> PerformanceScale | None:
    """ECOG if any LOINC coding says so, else Karnofsky if one does (one pass over the codings:
    the pre-filter asks this of every Observation)."""
    loinc = {c for s, c, _ in codings(observation.get("code")) if s == codes.LOINC}
    if L_ECOG in loinc:
        return PerformanceScale.ECOG
    if L_KARNOFSKY in loinc:
        return PerformanceScale.KARNOFSKY
    return None


def _score(observation: JsonObj, scale: PerformanceScale) -> int | None:
    if "valueInteger" in observation:
        return integer(observation.get("valueInteger"))
    if "valueQuantity" in observation:
        return integer(obj(observation.get("valueQuantity")).get("value"))
    concept = obj(observation.get("valueCodeableConcept"))
    for system, code, display in codings(concept):
        if scale is PerformanceScale.ECOG and system == codes.LOINC and code in ECOG_ANSWERS:
            return ECOG_ANSWERS[code]
        if match := _LEADING_NUMBER.match(display or ""):
            return int(match.group(1))
    match = _LEADING_NUMBER.match(text(concept.get("text")) or "")
    return int(match.group(1)) if match else None


def reading(observation: JsonObj) -> Candidate[PerformanceStatus] | str:
    """The score with its date, or why the Observation cannot be used."""
    scale = scale_of(observation)
    if scale is None:
        return "not a performance status"
    if text(observation.get("status")) not in ("final", "amended", "corrected"):
        return f"{scale.value} performance status is not final"
    score = _score(observation, scale)
    low, high = _RANGE[scale]
    if score is None or not low <= score <= high:
        return f"{scale.value} performance status: the score could not be read as {low}–{high}"
    day = dates.observation_date(observation)
    return Candidate(
        PerformanceStatus(scale, score, day),
        Provenance("Observation", resource_id(observation), day),
    )
