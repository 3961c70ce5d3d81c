"""Mapping time of `fhir_mappings.build_case` for a ~60-resource GIST patient and for the same
patient buried in 5,000 unrelated Observations (the pre-filter must keep the latter cheap).

Run: `.venv/bin/python -m benchmarks.mapping_bench [--repeats N]`; prints median and p95 in ms.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import time
from typing import Any

from fhir_mappings import build_case, r4b

Json = dict[str, Any]
SNOMED = "http://snomed.info/sct"
LOINC = "http://loinc.org"
GIST = "http://gist-cds.org/fhir/CodeSystem/gist"
SUBJECT = {"reference": "Patient/bench"}


def _cc(system: str, code: str, display: str | None = None) -> Json:
    coding: Json = {"system": system, "code": code}
    if display:
        coding["display"] = display
    return {"coding": [coding]}


def _obs(i: int, code: Json, day: str, **value: Any) -> Json:
    return {
        "resourceType": "Observation",
        "id": f"o{i}",
        "status": "final",
        "code": code,
        "subject": SUBJECT,
        "effectiveDateTime": f"{day}T09:30:00",
        **value,
    }


def _qty(value: float, code: str) -> Json:
    return {"value": value, "unit": code, "system": "http://unitsofmeasure.org", "code": code}


def _lab(i: int) -> Json:
    """An unrelated lab result, shaped like an EHR's (category, reference range, interpretation)."""
    return _obs(
        100_000 + i,
        _cc(LOINC, ("2345-7", "718-7", "2160-0", "6690-2")[i % 4], "Lab"),
        f"20{10 + i % 14}-{1 + i % 12:02d}-{1 + i % 28:02d}",
        category=[_cc("http://terminology.hl7.org/CodeSystem/observation-category", "laboratory")],
        valueQuantity=_qty(4.0 + (i % 50) / 10, "mg/dL"),
        referenceRange=[{"low": _qty(3.5, "mg/dL"), "high": _qty(9.9, "mg/dL")}],
        interpretation=[
            _cc("http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation", "N")
        ],
    )


def patient_resources() -> list[Json]:
    """60 resources: the GIST facts plus everyday noise."""
    out: list[Json] = [
        {"resourceType": "Patient", "id": "bench", "birthDate": "1962-03-04", "gender": "female"},
        {
            "resourceType": "Condition",
            "id": "gist",
            "clinicalStatus": _cc(
                "http://terminology.hl7.org/CodeSystem/condition-clinical", "active"
            ),
            "code": _cc(SNOMED, "420120006"),
            "bodySite": [_cc(SNOMED, "69695003")],
            "subject": SUBJECT,
            "onsetDateTime": "2020-01-10",
        },
        {
            "resourceType": "Condition",
            "id": "met",
            "code": _cc(SNOMED, "94381002"),
            "subject": SUBJECT,
            "onsetDateTime": "2022-01-10",
        },
        {
            "resourceType": "Procedure",
            "id": "op",
            "status": "completed",
            "code": _cc(GIST, "primary-resection"),
            "subject": SUBJECT,
            "performedDateTime": "2020-03-01",
        },
    ]
    for i in range(8):
        out.append(
            {
                "resourceType": "Condition",
                "id": f"c{i}",
                "code": _cc(SNOMED, str(38341003 + i)),
                "subject": SUBJECT,
                "onsetDateTime": "2015-01-01",
            }
        )
    for i in range(6):
        component = [{"code": _cc(LOINC, "33728-7"), "valueQuantity": _qty(40 + i, "mm")}]
        out.append(_obs(i, _cc(LOINC, "21889-1"), f"2020-0{1 + i}-15", component=component))
    out.append(_obs(10, _cc(GIST, "mitotic-count"), "2020-03-05", valueQuantity=_qty(7, "/5.mm2")))
    out.append(_obs(11, _cc(GIST, "tumor-rupture"), "2020-03-01", valueBoolean=False))
    out.append(
        _obs(12, _cc(GIST, "resection-margin"), "2020-03-05", valueCodeableConcept=_cc(GIST, "R0"))
    )
    out.append(
        _obs(
            13,
            _cc(LOINC, "69548-6"),
            "2020-02-01",
            valueCodeableConcept=_cc(LOINC, "LA9633-4"),
            component=[
                {
                    "code": _cc(LOINC, "48018-6"),
                    "valueCodeableConcept": _cc("http://www.genenames.org", "HGNC:6342"),
                },
                {"code": _cc(LOINC, "48005-3"), "valueCodeableConcept": {"text": "p.V560D"}},
            ],
        )
    )
    for i in range(4):
        out.append(
            _obs(
                20 + i,
                _cc(LOINC, "97509-4"),
                f"2023-0{1 + i}-10",
                valueCodeableConcept=_cc(SNOMED, "359746009"),
            )
        )
    for i in range(5):
        drug = ("imatinib", "Sutent", "Stivarga", "Qinlock", "metformin")[i]
        out.append(
            {
                "resourceType": "MedicationStatement",
                "id": f"ms{i}",
                "status": "completed" if i < 4 else "active",
                "medicationCodeableConcept": {"text": drug},
                "subject": SUBJECT,
                "effectivePeriod": {"start": f"202{i}-04-01", "end": f"202{i}-12-01"},
                "dosage": [
                    {
                        "timing": {"repeat": {"frequency": 1, "period": 1, "periodUnit": "d"}},
                        "doseAndRate": [{"doseQuantity": _qty(400, "mg")}],
                    }
                ],
            }
        )
    while len(out) < 60:
        out.append(_lab(len(out)))
    return out


def _searchset(resources: list[Json]) -> Json:
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "entry": [{"resource": r, "search": {"mode": "match"}} for r in resources],
    }


def measure(items: list[Json], repeats: int) -> tuple[float, float]:
    """(median, p95) wall time of one build_case call, in milliseconds."""
    today = dt.date(2024, 6, 1)
    build_case(items, today=today)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        build_case(items, today=today)
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=50)
    args = parser.parse_args()
    r4b.warm_up()
    small = patient_resources()
    large = small + [_lab(i) for i in range(5_000)]
    for label, resources in (("60-resource patient", small), ("5,000-Observation patient", large)):
        median, p95 = measure([_searchset(resources)], args.repeats)
        print(
            f"{label:<28} {len(resources):>5} resources  median {median:7.2f} ms  p95 {p95:7.2f} ms"
        )


if __name__ == "__main__":
    main()
