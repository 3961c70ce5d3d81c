"""Patient extractor: age from birthDate, deceased flag."""

from __future__ import annotations

import datetime as dt

from fhir_mappings import dates
from fhir_mappings.jsonpath import JsonObj, resource_id, text
from logic.case import Fact, Provenance


def age(patient: JsonObj, today: dt.date) -> Fact[int]:
    raw = text(patient.get("birthDate"))
    born = dates.parse(raw)
    if born is None:
        return Fact.unknown("Patient.birthDate missing or unreadable")
    years = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    if years < 0:
        return Fact.unknown(f"Patient.birthDate {raw} is in the future")
    note = "birth date given as year/month only" if raw and len(raw) < 10 else None
    return Fact.known(years, Provenance("Patient", resource_id(patient), born), note=note)


def deceased(patient: JsonObj) -> bool:
    """deceasedBoolean true, or any deceasedDateTime (input profile)."""
    return (
        patient.get("deceasedBoolean") is True or text(patient.get("deceasedDateTime")) is not None
    )
