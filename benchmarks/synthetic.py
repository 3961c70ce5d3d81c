"""Distinct synthetic patient-view requests for the benchmarks, built from the sandbox patients.

Each request takes one sandbox patient (cycling through all of them), gives every resource a new
id, shifts every date back by a few days, scales the tumour sizes a little and pads the record
with everyday EHR noise (labs, vital signs, other conditions and medicines) to 40-80 resources,
so no two requests are the same and none repeats what a warm cache could have seen (about 30 KB
of JSON each, like an EHR prefetch).
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import random
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

Json = dict[str, Any]

ROOT = Path(__file__).resolve().parent.parent
PATIENTS = ROOT / "sandbox" / "patients"
LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
UCUM = "http://unitsofmeasure.org"
#: prefetch key of each resource type the service reads (the card contract's templates).
PREFETCH_KEYS = {
    "Condition": "conditions",
    "Observation": "observations",
    "MedicationStatement": "medicationStatements",
    "MedicationRequest": "medicationRequests",
    "Procedure": "procedures",
}
_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})")
_LABS = (
    ("2345-7", "Glucose", "mg/dL", 70.0, 140.0),
    ("718-7", "Hemoglobin", "g/dL", 9.0, 16.0),
    ("2160-0", "Creatinine", "mg/dL", 0.5, 1.6),
    ("6690-2", "Leukocytes", "10*3/uL", 3.0, 11.0),
    ("777-3", "Platelets", "10*3/uL", 150.0, 400.0),
    ("1742-6", "ALT", "U/L", 7.0, 56.0),
)
_VITALS = (("8867-4", "Heart rate", "/min", 55.0, 100.0), ("29463-7", "Body weight", "kg", 50, 110))
_COMORBIDITIES = (
    ("38341003", "Hypertension"),
    ("44054006", "Type 2 diabetes"),
    ("195967001", "Asthma"),
)
_OTHER_DRUGS = ("metformin 500 mg tablet", "amlodipine 5 mg tablet", "omeprazole 20 mg capsule")


def sandbox_resources() -> list[list[Json]]:
    """The resources of every sandbox patient the service can read, one list per patient."""
    patients = []
    for path in sorted(PATIENTS.glob("sb*.json")):
        bundle = json.loads(path.read_text())
        resources = [entry["resource"] for entry in bundle.get("entry", [])]
        patients.append(
            [
                r
                for r in resources
                if r["resourceType"] == "Patient" or r["resourceType"] in PREFETCH_KEYS
            ]
        )
    if not patients:
        raise SystemExit(f"no sandbox patients in {PATIENTS}")
    return patients


def _shift_dates(node: Any, days: int) -> Any:
    """The same JSON with every date or dateTime string moved `days` earlier."""
    if isinstance(node, dict):
        return {key: _shift_dates(value, days) for key, value in node.items()}
    if isinstance(node, list):
        return [_shift_dates(value, days) for value in node]
    if isinstance(node, str) and (match := _DATE.match(node)) and len(node) in (10, 19, 20, 25):
        try:
            day = dt.date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError:
            return node
        return (day - dt.timedelta(days=days)).isoformat() + node[10:]
    return node


def _rename(node: Any, names: dict[str, str]) -> Any:
    """The same JSON with every `Type/id` reference pointing at the renamed resources."""
    if isinstance(node, dict):
        out = {key: _rename(value, names) for key, value in node.items()}
        if isinstance(out.get("reference"), str) and out["reference"] in names:
            out["reference"] = names[out["reference"]]
        return out
    if isinstance(node, list):
        return [_rename(value, names) for value in node]
    return node


def _scale_sizes(resource: Json, factor: float) -> None:
    """Tumour sizes (any length quantity) scaled by `factor`, kept in their own unit."""
    quantities = [resource.get("valueQuantity")]
    quantities += [part.get("valueQuantity") for part in resource.get("component", [])]
    for quantity in quantities:
        if isinstance(quantity, dict) and quantity.get("code") in ("mm", "cm"):
            quantity["value"] = round(float(quantity["value"]) * factor, 1)


def _cc(system: str, code: str, display: str) -> Json:
    return {"coding": [{"system": system, "code": code, "display": display}]}


def _quantity(value: float, unit: str) -> Json:
    return {"value": value, "unit": unit, "system": UCUM, "code": unit}


def _noise(
    rng: random.Random, patient_ref: str, tag: str, count: int, today: dt.date
) -> list[Json]:
    """`count` everyday resources that have nothing to do with GIST."""
    out: list[Json] = []
    for n in range(count):
        day = (today - dt.timedelta(days=rng.randrange(1, 3000))).isoformat()
        rid = f"{tag}-n{n}"
        pick = rng.random()
        if pick < 0.75:
            code, name, unit, low, high = (_LABS + _VITALS)[
                rng.randrange(len(_LABS) + len(_VITALS))
            ]
            category = (
                "laboratory" if (code, name) in {(c[0], c[1]) for c in _LABS} else "vital-signs"
            )
            lab: Json = {
                "resourceType": "Observation",
                "id": rid,
                "status": "final",
                "category": [
                    _cc(
                        "http://terminology.hl7.org/CodeSystem/observation-category",
                        category,
                        category,
                    )
                ],
                "code": _cc(LOINC, code, name),
                "subject": {"reference": patient_ref},
                "effectiveDateTime": f"{day}T{rng.randrange(7, 18):02d}:{rng.randrange(6)}0:00Z",
                "valueQuantity": _quantity(round(rng.uniform(low * 0.8, high * 1.2), 1), unit),
            }
            if rng.random() < 0.3:
                lab["referenceRange"] = [
                    {"low": _quantity(low, unit), "high": _quantity(high, unit)}
                ]
            out.append(lab)
        elif pick < 0.9:
            code, name = _COMORBIDITIES[rng.randrange(len(_COMORBIDITIES))]
            out.append(
                {
                    "resourceType": "Condition",
                    "id": rid,
                    "clinicalStatus": _cc(
                        "http://terminology.hl7.org/CodeSystem/condition-clinical",
                        "active",
                        "Active",
                    ),
                    "code": _cc(SNOMED, code, name),
                    "subject": {"reference": patient_ref},
                    "onsetDateTime": day,
                }
            )
        else:
            out.append(
                {
                    "resourceType": "MedicationStatement",
                    "id": rid,
                    "status": "active",
                    "medicationCodeableConcept": {
                        "text": _OTHER_DRUGS[rng.randrange(len(_OTHER_DRUGS))]
                    },
                    "subject": {"reference": patient_ref},
                    "effectivePeriod": {"start": day},
                }
            )
    return out


def patient_resources(index: int, seed: int = 12, *, observations: int | None = None) -> list[Json]:
    """The resources of synthetic patient `index`: a renamed, re-dated sandbox patient plus noise.

    With `observations`, the noise is exactly that many extra Observations (the scale table)."""
    rng = random.Random(seed * 1_000_003 + index)
    base = _BASES[index % len(_BASES)]
    patient_id = f"bench-{seed}-{index:06d}"
    tag = f"b{seed}x{index}"
    names = {f"{r['resourceType']}/{r['id']}": f"{r['resourceType']}/{r['id']}-{tag}" for r in base}
    names[next(f"Patient/{r['id']}" for r in base if r["resourceType"] == "Patient")] = (
        f"Patient/{patient_id}"
    )
    days = rng.randrange(0, 120)
    factor = rng.uniform(0.85, 1.15)
    out = []
    for resource in base:
        fresh = _rename(_shift_dates(copy.deepcopy(resource), days), names)
        fresh["id"] = names[f"{resource['resourceType']}/{resource['id']}"].split("/", 1)[1]
        _scale_sizes(fresh, factor)
        out.append(fresh)
    today = dt.date(2026, 11, 1)
    patient_ref = f"Patient/{patient_id}"
    if observations is None:
        target = rng.randrange(40, 81)
        out += _noise(rng, patient_ref, tag, max(0, target - len(out)), today)
    else:
        labs = _noise(random.Random(index), patient_ref, tag, observations * 2, today)
        out += [r for r in labs if r["resourceType"] == "Observation"][:observations]
    return out


def request_body(resources: list[Json], *, fhir_server: str | None = None) -> Json:
    """A patient-view request: every prefetch key filled, or (with `fhir_server`) none."""
    patient = next(r for r in resources if r["resourceType"] == "Patient")
    body: Json = {
        "hook": "patient-view",
        "hookInstance": str(uuid.uuid4()),
        "context": {"userId": "Practitioner/bench", "patientId": patient["id"]},
    }
    if fhir_server is not None:
        body["fhirServer"] = fhir_server
        body["fhirAuthorization"] = {
            "access_token": "bench-token",
            "token_type": "Bearer",
            "expires_in": 300,
            "scope": "patient/*.read",
            "subject": "gist-cds",
        }
        return body
    prefetch: Json = {
        key: {"resourceType": "Bundle", "type": "searchset", "entry": []}
        for key in PREFETCH_KEYS.values()
    }
    prefetch["patient"] = patient
    for resource in resources:
        key = PREFETCH_KEYS.get(resource["resourceType"])
        if key:
            prefetch[key]["entry"].append({"resource": resource, "search": {"mode": "match"}})
    for bundle in prefetch.values():
        if bundle.get("type") == "searchset":
            bundle["total"] = len(bundle["entry"])
    body["prefetch"] = prefetch
    return body


def distinct_bodies(count: int, seed: int = 12, start: int = 0) -> Iterator[bytes]:
    """`count` distinct compact request bodies (patients `start` .. `start + count - 1`)."""
    for index in range(start, start + count):
        body = request_body(patient_resources(index, seed))
        yield json.dumps(body, separators=(",", ":")).encode()


_BASES = sandbox_resources()
