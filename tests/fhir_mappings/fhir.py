"""Small builders for FHIR R4 JSON used by the mapping tests (shaped like EHR output)."""

from __future__ import annotations

from typing import Any

SNOMED = "http://snomed.info/sct"
LOINC = "http://loinc.org"
ICD10 = "http://hl7.org/fhir/sid/icd-10-cm"
GIST = "http://gist-cds.org/fhir/CodeSystem/gist"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
HGNC = "http://www.genenames.org"
UCUM = "http://unitsofmeasure.org"
PATIENT = "p1"

Json = dict[str, Any]


def cc(system: str, code: str, display: str | None = None, text: str | None = None) -> Json:
    coding: Json = {"system": system, "code": code}
    if display:
        coding["display"] = display
    concept: Json = {"coding": [coding]}
    if text:
        concept["text"] = text
    return concept


def patient(pid: str = PATIENT, **extra: Any) -> Json:
    return {"resourceType": "Patient", "id": pid, "birthDate": "1960-06-15", **extra}


def condition(rid: str, code: Json, **extra: Any) -> Json:
    return {
        "resourceType": "Condition",
        "id": rid,
        "clinicalStatus": cc("http://terminology.hl7.org/CodeSystem/condition-clinical", "active"),
        "code": code,
        "subject": {"reference": f"Patient/{PATIENT}"},
        **extra,
    }


def gist(rid: str = "gist", **extra: Any) -> Json:
    extra.setdefault("onsetDateTime", "2020-01-10")
    return condition(rid, cc(SNOMED, "420120006", "Gastrointestinal stromal tumor"), **extra)


def observation(rid: str, code: Json, date: str | None = "2021-01-01", **extra: Any) -> Json:
    obs: Json = {
        "resourceType": "Observation",
        "id": rid,
        "status": "final",
        "code": code,
        "subject": {"reference": f"Patient/{PATIENT}"},
        **extra,
    }
    if date is not None:
        obs.setdefault("effectiveDateTime", date)
    return obs


def quantity(value: Any, code: str) -> Json:
    return {"value": value, "unit": code, "system": UCUM, "code": code}


def size(rid: str, value: Any, unit: str = "cm", date: str = "2021-01-01", **extra: Any) -> Json:
    component = {"code": cc(LOINC, "33728-7"), "valueQuantity": quantity(value, unit)}
    return observation(rid, cc(LOINC, "21889-1"), date, component=[component], **extra)


def mitoses(rid: str, value: Any, unit: str = "/5.mm2", date: str = "2021-01-01") -> Json:
    return observation(rid, cc(GIST, "mitotic-count"), date, valueQuantity=quantity(value, unit))


def gist_obs(rid: str, code: str, date: str = "2021-01-01", **value: Any) -> Json:
    return observation(rid, cc(GIST, code), date, **value)


def variant(
    rid: str,
    gene: Json | None,
    present: bool = True,
    hgvs: str | None = None,
    exon: int | None = None,
    date: str = "2021-02-01",
) -> Json:
    components: list[Json] = []
    if gene is not None:
        components.append({"code": cc(LOINC, "48018-6"), "valueCodeableConcept": gene})
    if hgvs is not None:
        components.append(
            {
                "code": cc(LOINC, "48005-3"),
                "valueCodeableConcept": cc("http://varnomen.hgvs.org", hgvs),
            }
        )
    if exon is not None:
        components.append({"code": cc(GIST, "exon"), "valueInteger": exon})
    value = cc(LOINC, "LA9633-4" if present else "LA9634-2")
    extra: Json = {"component": components} if components else {}
    return observation(rid, cc(LOINC, "69548-6"), date, valueCodeableConcept=value, **extra)


def kit(present: bool = True, hgvs: str | None = None, rid: str = "v-kit", **kw: Any) -> Json:
    return variant(rid, cc(HGNC, "HGNC:6342", "KIT"), present, hgvs, **kw)


def pdgfra(present: bool = True, hgvs: str | None = None, rid: str = "v-pdgfra", **kw: Any) -> Json:
    return variant(rid, cc(HGNC, "HGNC:8803", "PDGFRA"), present, hgvs, **kw)


def med_statement(
    rid: str,
    medication: Json,
    start: str | None,
    end: str | None = None,
    status: str = "completed",
    dose_mg: float | None = 400,
    per_day: int = 1,
    **extra: Any,
) -> Json:
    period: Json = {}
    if start:
        period["start"] = start
    if end:
        period["end"] = end
    resource: Json = {
        "resourceType": "MedicationStatement",
        "id": rid,
        "status": status,
        "subject": {"reference": f"Patient/{PATIENT}"},
        **medication,
        **extra,
    }
    if period:
        resource["effectivePeriod"] = period
    if dose_mg is not None:
        resource["dosage"] = [
            {
                "timing": {"repeat": {"frequency": per_day, "period": 1, "periodUnit": "d"}},
                "doseAndRate": [{"doseQuantity": quantity(dose_mg, "mg")}],
            }
        ]
    return resource


def rx(code: str, display: str) -> Json:
    return {"medicationCodeableConcept": cc(RXNORM, code, display)}


def named(text: str) -> Json:
    return {"medicationCodeableConcept": {"text": text}}


def resection(rid: str = "op", date: str = "2020-03-01", **extra: Any) -> Json:
    return {
        "resourceType": "Procedure",
        "id": rid,
        "status": "completed",
        "code": cc(GIST, "primary-resection"),
        "subject": {"reference": f"Patient/{PATIENT}"},
        "performedDateTime": date,
        **extra,
    }


def metastasis(rid: str, code: Json, onset: str = "2022-01-01", **extra: Any) -> Json:
    return condition(rid, code, onsetDateTime=onset, **extra)


def searchset(*resources: Json) -> Json:
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "entry": [{"resource": r, "search": {"mode": "match"}} for r in resources],
    }
