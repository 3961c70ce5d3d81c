"""Procedure extractor: the resection of the primary GIST (input profile)."""

from __future__ import annotations

from fhir_mappings import codes, dates
from fhir_mappings.conditions import reason_references, references_condition
from fhir_mappings.jsonpath import JsonObj, has_code, resource_id, text
from fhir_mappings.selection import Candidate
from logic.case import Provenance, Resection


def is_candidate(procedure: JsonObj) -> bool:
    """Cheap pre-filter: coded as primary resection, or categorised as a surgical procedure."""
    return has_code(procedure.get("code"), codes.GIST, codes.G_PRIMARY_RESECTION) or has_code(
        procedure.get("category"), codes.SNOMED, codes.SURGICAL_PROCEDURE_SNOMED
    )


def resection(
    procedure: JsonObj, gist_ids: frozenset[str], gist_urls: frozenset[str]
) -> Candidate[Resection] | None:
    """A completed gist#primary-resection, or a completed surgical procedure (SNOMED 387713003
    category) whose reasonReference is the primary GIST Condition. Other statuses (not-done,
    in-progress, preparation...) are not a resection (DESIGN)."""
    if text(procedure.get("status")) != "completed":
        return None
    coded = has_code(procedure.get("code"), codes.GIST, codes.G_PRIMARY_RESECTION)
    for_gist = has_code(
        procedure.get("category"), codes.SNOMED, codes.SURGICAL_PROCEDURE_SNOMED
    ) and any(
        ref in gist_urls or any(references_condition(ref, cid) for cid in gist_ids)
        for ref in reason_references(procedure)
    )
    if not (coded or for_gist):
        return None
    day = dates.procedure_date(procedure)
    pid = resource_id(procedure)
    return Candidate(Resection(day, pid), Provenance("Procedure", pid, day))
