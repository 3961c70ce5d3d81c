"""Procedure extractor: the resection of the primary GIST (input profile, "Resection").

A resection is a completed Procedure that is coded as one (gist#primary-resection, or a code of
the GI resection value set in `procedure_codes`: SNOMED, CPT, ICD-10-PCS) and tied to the GIST
(reasonReference, reasonCode C49.A-, or the organ it removes), or a completed surgical procedure
(category SNOMED 387713003) whose reasonReference is the GIST. A biopsy, endoscopy or port
placement is never a resection, whatever its category.
"""

from __future__ import annotations

from dataclasses import dataclass

from fhir_mappings import codes, dates, procedure_codes
from fhir_mappings.conditions import reason_references, references_condition
from fhir_mappings.jsonpath import JsonObj, codings, has_code, objs, resource_id, text, words
from fhir_mappings.selection import Candidate
from logic.case import Provenance, Resection, Site

_NAMED_RESECTIONS = frozenset(
    {(codes.GIST, codes.G_PRIMARY_RESECTION)}
    | {(codes.SNOMED, c) for c in procedure_codes.SNOMED_RESECTIONS}
)


def resection_organs(procedure: JsonObj) -> set[Site] | None:
    """The organs a resection code removes (empty when the code names none), or None when the
    Procedure carries no resection code at all."""
    organs: set[Site] = set()
    coded = False
    for system, code, _ in codings(procedure.get("code")):
        if code is None:
            continue
        if system == codes.CPT and code in procedure_codes.CPT_RESECTIONS:
            organs.add(procedure_codes.CPT_RESECTIONS[code])
            coded = True
        elif system == codes.ICD10PCS and (site := procedure_codes.pcs_resection(code)):
            organs.add(site)
            coded = True
        elif (system, code) in _NAMED_RESECTIONS:
            coded = True
    return organs if coded else None


def is_never_resection(procedure: JsonObj) -> bool:
    """Biopsy, endoscopy, EUS, port placement: by code, or by the words naming the procedure."""
    concept = procedure.get("code")
    for system, code, _ in codings(concept):
        if code is None:
            continue
        if system == codes.CPT and code in procedure_codes.CPT_NOT_RESECTION:
            return True
        if system == codes.SNOMED and code in procedure_codes.SNOMED_NOT_RESECTION:
            return True
        if system == codes.ICD10PCS and procedure_codes.pcs_is_biopsy(code):
            return True
    label = words(concept)
    return bool(procedure_codes.NOT_RESECTION_WORDS.search(label)) and not bool(
        procedure_codes.RESECTION_WORDS.search(label)
    )


def _surgical(procedure: JsonObj) -> bool:
    return has_code(procedure.get("category"), codes.SNOMED, codes.SURGICAL_PROCEDURE_SNOMED)


def is_candidate(procedure: JsonObj) -> bool:
    """Cheap pre-filter: a resection code, or categorised as a surgical procedure."""
    return resection_organs(procedure) is not None or _surgical(procedure)


@dataclass(frozen=True, slots=True)
class Gist:
    """What ties a Procedure to the GIST: its Condition ids / URLs and its site(s)."""

    ids: frozenset[str]
    urls: frozenset[str]
    sites: frozenset[Site]


def _organ_family(site: Site) -> Site:
    small = {Site.DUODENUM, Site.JEJUNUM, Site.ILEUM, Site.SMALL_INTESTINE}
    return Site.SMALL_INTESTINE if site in small else site


def _reason_is_gist(procedure: JsonObj, gist: Gist) -> bool:
    if any(
        ref in gist.urls or any(references_condition(ref, cid) for cid in gist.ids)
        for ref in reason_references(procedure)
    ):
        return True
    return any(
        system == codes.ICD10CM and code is not None and code.startswith("C49.A")
        for concept in objs(procedure.get("reasonCode"))
        for system, code, _ in codings(concept)
    )


def linked_to_gist(procedure: JsonObj, organs: set[Site], gist: Gist) -> bool:
    if _reason_is_gist(procedure, gist):
        return True
    body = {
        codes.SITE_SNOMED[c]
        for s, c, _ in codings(procedure.get("bodySite"))
        if s == codes.SNOMED and c in codes.SITE_SNOMED
    }
    removed = {_organ_family(s) for s in organs | body}
    return bool(removed & {_organ_family(s) for s in gist.sites})


def is_gist_code(procedure: JsonObj) -> bool:
    return has_code(procedure.get("code"), codes.GIST, codes.G_PRIMARY_RESECTION)


def resection(procedure: JsonObj, gist: Gist) -> Candidate[Resection] | str | None:
    """The resection, None when the Procedure is not one, or why a completed resection-coded
    Procedure cannot be tied to the GIST (named: it may be the primary's resection)."""
    if text(procedure.get("status")) != "completed" or is_never_resection(procedure):
        return None
    organs = resection_organs(procedure)
    if organs is not None:
        if not (is_gist_code(procedure) or linked_to_gist(procedure, organs, gist)):
            return "a completed resection that is not linked to the GIST (no reason, other site)"
    elif not (_surgical(procedure) and _reason_is_gist(procedure, gist)):
        return None
    day = dates.procedure_date(procedure)
    pid = resource_id(procedure)
    return Candidate(Resection(day, pid), Provenance("Procedure", pid, day))
