"""Condition extractor: the primary GIST and its site, metastases, NF1, rupture, emergencies.

Codes and sites per the input profile and the knowledge base §5.1–5.2 ([S14][S27][S30][S31]).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from fhir_mappings import codes, dates
from fhir_mappings.jsonpath import (
    JsonObj,
    codes_in,
    codings,
    extensions,
    has_code,
    obj,
    objs,
    resource_id,
    status_code,
    words,
)
from logic.case import (
    Certainty,
    EmergencyFinding,
    EmergencyKind,
    MetastaticSite,
    Provenance,
    Site,
)


def provenance(condition: JsonObj) -> Provenance:
    return Provenance("Condition", resource_id(condition), dates.condition_date(condition))


# --- primary GIST --------------------------------------------------------------------------------


def _histology_is_gist(condition: JsonObj) -> bool:
    """mCODE histology-morphology-behavior extension with ICD-O-3 8936/x (also accepted)."""
    for ext in extensions(condition, codes.EXT_HISTOLOGY):
        for system, code, _ in codings(ext.get("valueCodeableConcept")):
            if code in codes.GIST_ICDO3 and system in (codes.ICDO3, None):
                return True
    return False


def is_primary_gist(condition: JsonObj) -> bool:
    """Coded as GIST (any verification status; see `is_differential`)."""
    code = condition.get("code")
    return (
        has_code(code, codes.SNOMED, codes.GIST_SNOMED)
        or has_code(code, codes.ICD10CM, frozenset(codes.GIST_ICD10))
        or _histology_is_gist(condition)
    )


def verification(condition: JsonObj) -> str | None:
    return status_code(condition, "verificationStatus")


def is_differential(condition: JsonObj) -> bool:
    """A GIST Condition that is only one of the differential diagnoses: not the diagnosis."""
    return verification(condition) == "differential"


def is_tentative(condition: JsonObj) -> bool:
    """provisional / unconfirmed / differential (input profile, "Metastases and other cancers")."""
    return verification(condition) in codes.TENTATIVE_VERIFICATION


def related_primaries(condition: JsonObj) -> list[str]:
    """The Conditions an mCODE related-primary-cancer-condition extension points at."""
    return [
        ref
        for ext in extensions(condition, codes.EXT_RELATED_PRIMARY)
        if (ref := obj(ext.get("valueReference")).get("reference")) and isinstance(ref, str)
    ]


def is_other_cancer(condition: JsonObj) -> bool:
    """A primary malignancy that is not GIST (ICD-10-CM C00-C96 other than C49.A- and the
    secondary-neoplasm codes C77-C79), e.g. a breast cancer on the same record."""
    if is_primary_gist(condition) or is_metastasis(condition):
        return False
    return has_other_cancer_code(condition)


def has_other_cancer_code(condition: JsonObj) -> bool:
    """An ICD-10-CM code of a primary malignancy C00-C96 (GIST and metastasis codes included:
    `is_other_cancer` rules those out first)."""
    return any(
        c[:1] == "C" and c[1:3].isdigit() and int(c[1:3]) <= 96
        for c in codes_in(condition.get("code"), codes.ICD10CM)
    )


def cancer_label(condition: JsonObj) -> str:
    concept = obj(condition.get("code"))
    return (
        words({"text": concept.get("text")})
        or next((d or c for _, c, d in codings(concept) if d or c), None)
        or "unnamed"
    )


def site_of(condition: JsonObj) -> Site | None:
    """bodySite SNOMED first (it separates duodenum from jejunum/ileum), else the ICD-10-CM code."""
    for body_site in objs(condition.get("bodySite")):
        for system, code, _ in codings(body_site):
            if system == codes.SNOMED and code in codes.SITE_SNOMED:
                return codes.SITE_SNOMED[code]
        if any(w in words(body_site) for w in codes.OTHER_SITE_WORDS):
            return Site.OTHER
    for code in codes_in(condition.get("code"), codes.ICD10CM):
        site = codes.GIST_ICD10.get(code)
        if site is not None:
            return site
    return None


def is_recurrent(condition: JsonObj) -> bool:
    return status_code(condition, "clinicalStatus") in codes.RECURRENT_CLINICAL_STATUS


def is_active(condition: JsonObj) -> bool:
    """Active unless clinicalStatus says inactive/resolved/remission (absent counts as active)."""
    return status_code(condition, "clinicalStatus") not in codes.INACTIVE_CLINICAL_STATUS


# --- metastases ----------------------------------------------------------------------------------


def is_metastasis(condition: JsonObj) -> bool:
    code = condition.get("code")
    if has_code(code, codes.SNOMED, codes.METASTASIS_SNOMED):
        return True
    if any(c.startswith(codes.METASTASIS_ICD10_PREFIXES) for c in codes_in(code, codes.ICD10CM)):
        return True
    return bool(extensions(condition, codes.EXT_RELATED_PRIMARY))


def metastatic_site(condition: JsonObj) -> MetastaticSite:
    for body_site in objs(condition.get("bodySite")):
        for system, code, _ in codings(body_site):
            if system == codes.SNOMED and code in codes.METASTASIS_SITE_SNOMED:
                return codes.METASTASIS_SITE_SNOMED[code]
    for system, code, _ in codings(condition.get("code")):
        if system in (codes.SNOMED, codes.ICD10CM) and code in codes.METASTASIS_SITE_FROM_CODE:
            return codes.METASTASIS_SITE_FROM_CODE[code]
    return MetastaticSite.OTHER


# --- other conditions ----------------------------------------------------------------------------


def is_nf1(condition: JsonObj) -> bool:
    code = condition.get("code")
    return has_code(code, codes.SNOMED, codes.NF1_SNOMED) or has_code(
        code, codes.ICD10CM, codes.NF1_ICD10
    )


def is_rupture(condition: JsonObj) -> bool:
    return has_code(condition.get("code"), codes.SNOMED, codes.RUPTURE_SNOMED)


_EMERGENCY_CODES = frozenset(
    {
        codes.PERFORATION_SNOMED,
        codes.OBSTRUCTION_SNOMED,
        codes.HAEMORRHAGE_SNOMED,
        codes.RUPTURE_SNOMED,
    }
)


def is_emergency_candidate(condition: JsonObj) -> bool:
    code = condition.get("code")
    return has_code(code, codes.SNOMED, _EMERGENCY_CODES) or has_code(
        code, codes.ICD10CM, codes.ABSCESS_ICD10
    )


@dataclass(frozen=True, slots=True)
class _Rule:
    snomed: str
    qualifier: str | None  # gist# qualifier coding on the same `code`
    kind: EmergencyKind
    definite: bool


# Most specific first: a qualified code is matched before its unqualified form. [S1][S6]
_EMERGENCY_RULES = (
    _Rule(codes.PERFORATION_SNOMED, None, EmergencyKind.PERFORATION, True),
    _Rule(
        codes.OBSTRUCTION_SNOMED,
        codes.G_COMPLETE_OBSTRUCTION,
        EmergencyKind.COMPLETE_OBSTRUCTION,
        True,
    ),
    _Rule(codes.OBSTRUCTION_SNOMED, None, EmergencyKind.OBSTRUCTION, False),
    _Rule(
        codes.HAEMORRHAGE_SNOMED,
        codes.G_REFRACTORY_BLEEDING,
        EmergencyKind.REFRACTORY_BLEEDING,
        True,
    ),
    _Rule(codes.HAEMORRHAGE_SNOMED, None, EmergencyKind.BLEEDING, False),
    _Rule(
        codes.RUPTURE_SNOMED,
        codes.G_RUPTURE_WITH_HEMORRHAGE,
        EmergencyKind.RUPTURE_WITH_HAEMORRHAGE,
        True,
    ),
)


#: An emergency counts only this recently (input profile, "Emergencies are current").
EMERGENCY_CURRENT_DAYS = 30


def emergency_day(condition: JsonObj) -> dt.date | None:
    """The latest of onset and recorded date: an old event recorded today is judged by both."""
    days = [
        d
        for d in (
            dates.onset_date(condition),
            dates.parse(condition.get("recordedDate")),
        )
        if d is not None
    ]
    return max(days) if days else None


def _is_current(condition: JsonObj) -> bool:
    """Active (or recurrence/relapse, or no clinicalStatus) and no abatement[x]; the 30-day
    window is applied when the case is assembled (it needs today's date)."""
    if not is_active(condition):
        return False
    return not any(k.startswith("abatement") for k in condition)


def emergencies(condition: JsonObj) -> list[EmergencyFinding]:
    """Current emergency findings. Definite per the profile; a tentative verificationStatus
    (unconfirmed/provisional/differential) downgrades a definite finding to possible (DESIGN)."""
    if not _is_current(condition):
        return []
    code = condition.get("code")
    tentative = status_code(condition, "verificationStatus") in codes.TENTATIVE_VERIFICATION
    found: list[EmergencyFinding] = []
    matched: set[str] = set()
    for rule in _EMERGENCY_RULES:
        if rule.snomed in matched or not has_code(code, codes.SNOMED, rule.snomed):
            continue
        if rule.qualifier is not None and not has_code(code, codes.GIST, rule.qualifier):
            continue
        matched.add(rule.snomed)
        certainty = Certainty.DEFINITE if rule.definite and not tentative else Certainty.POSSIBLE
        found.append(EmergencyFinding(rule.kind, certainty, provenance(condition)))
    if has_code(code, codes.ICD10CM, codes.ABSCESS_ICD10):
        certainty = Certainty.POSSIBLE if tentative else Certainty.DEFINITE
        found.append(EmergencyFinding(EmergencyKind.ABSCESS, certainty, provenance(condition)))
    return found


def references_condition(reference: str | None, condition_id: str | None) -> bool:
    """True when a Reference string points at Condition/`condition_id` (relative, absolute or
    versioned), e.g. `Condition/1`, `https://ehr/fhir/Condition/1/_history/2`."""
    if not reference or not condition_id:
        return False
    parts = reference.split("/")
    if "_history" in parts:
        parts = parts[: parts.index("_history")]
    return len(parts) >= 2 and parts[-2] == "Condition" and parts[-1] == condition_id


def reason_references(resource: JsonObj) -> list[str]:
    return [
        r
        for r in (obj(x).get("reference") for x in objs(resource.get("reasonReference")))
        if isinstance(r, str)
    ]
