"""The synthetic patients are valid, loadable FHIR and the service gives each one exactly the
card categories its manifest expects from the knowledge base (issue 6)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from fhir_mappings.prefetch_templates import PATIENT_KEY, PREFETCH_TEMPLATES
from fhir_mappings.r4b import validation_errors
from logic.recommendation import Category
from sandbox.patients import (
    PATIENTS_DIR,
    ManifestEntry,
    load_bundle,
    load_manifest,
    prefetch_for,
    resources,
)

MANIFEST = load_manifest()
FHIR_ID = re.compile(r"[A-Za-z0-9\-\.]{1,64}")
CdsCall = Callable[[dict[str, Any], str], dict[str, Any]]


def by_patient(entry: ManifestEntry) -> str:
    return entry["id"]


# --- (1) the manifest ------------------------------------------------------------------------


def test_manifest_has_at_least_30_patients_with_unique_ids_and_existing_files() -> None:
    ids = [entry["id"] for entry in MANIFEST]
    assert len(ids) >= 30
    assert len(set(ids)) == len(ids)
    for entry in MANIFEST:
        assert FHIR_ID.fullmatch(entry["id"]), entry["id"]
        assert (PATIENTS_DIR / entry["file"]).is_file(), entry["file"]


def test_every_card_category_except_order_alert_is_expected_somewhere() -> None:
    expected = {category for entry in MANIFEST for category in entry["expected_categories"]}
    wanted = {c.value for c in Category} - {Category.ORDER_ALERT.value}
    assert wanted <= expected, sorted(wanted - expected)


@pytest.mark.parametrize("entry", MANIFEST, ids=by_patient)
def test_manifest_entry_is_complete(entry: ManifestEntry) -> None:
    categories = entry["expected_categories"]
    assert categories == sorted(set(categories))
    assert set(categories) <= {c.value for c in Category}
    sentences = [s for s in re.split(r"(?<=[.!?])\s+", entry["vignette"].strip()) if s]
    assert 2 <= len(sentences) <= 4, entry["vignette"]
    assert entry["title"]
    assert entry["notes"]


# --- (2) the bundles -------------------------------------------------------------------------


def _references(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "reference" and isinstance(value, str):
                yield value
            else:
                yield from _references(value)
    elif isinstance(node, list):
        for item in node:
            yield from _references(item)


@pytest.mark.parametrize("entry", MANIFEST, ids=by_patient)
def test_bundle_is_a_put_transaction_for_one_patient(entry: ManifestEntry) -> None:
    bundle = load_bundle(entry["id"])
    assert bundle["resourceType"] == "Bundle"
    assert bundle["type"] == "transaction"
    full_urls = [e["fullUrl"] for e in bundle["entry"]]
    assert len(set(full_urls)) == len(full_urls)
    for e in bundle["entry"]:
        resource = e["resource"]
        assert FHIR_ID.fullmatch(resource["id"]), resource["id"]
        assert e["request"] == {
            "method": "PUT",
            "url": f"{resource['resourceType']}/{resource['id']}",
        }
    patients = [r for r in resources(bundle) if r["resourceType"] == "Patient"]
    assert [p["id"] for p in patients] == [entry["id"]]


@pytest.mark.parametrize("entry", MANIFEST, ids=by_patient)
def test_every_resource_is_valid_r4_except_the_declared_invalid_ones(entry: ManifestEntry) -> None:
    declared = set(entry.get("invalid_resources", []))
    invalid = {
        f"{r['resourceType']}/{r['id']}"
        for r in resources(load_bundle(entry["id"]))
        if validation_errors(r)
    }
    assert invalid == declared


@pytest.mark.parametrize("entry", MANIFEST, ids=by_patient)
def test_every_reference_resolves_inside_the_bundle(entry: ManifestEntry) -> None:
    bundle = load_bundle(entry["id"])
    local = {f"{r['resourceType']}/{r['id']}" for r in resources(bundle)}
    full_urls = {e["fullUrl"] for e in bundle["entry"]}
    for resource in resources(bundle):
        contained = {f"#{c['id']}" for c in resource.get("contained", [])}
        for ref in _references(resource):
            assert ref in local | full_urls | contained, f"{resource['id']}: {ref}"


@pytest.mark.parametrize("entry", MANIFEST, ids=by_patient)
def test_prefetch_has_every_template_key_and_all_of_the_patients_resources(
    entry: ManifestEntry,
) -> None:
    bundle = load_bundle(entry["id"])
    prefetch = prefetch_for(bundle)
    assert set(prefetch) == set(PREFETCH_TEMPLATES)
    assert prefetch[PATIENT_KEY]["id"] == entry["id"]
    for key, template in PREFETCH_TEMPLATES.items():
        if key == PATIENT_KEY:
            continue
        resource_type = template.split("?", 1)[0]
        searchset = prefetch[key]
        assert searchset["type"] == "searchset"
        got = [e["resource"]["id"] for e in searchset["entry"]]
        want = [r["id"] for r in resources(bundle) if r["resourceType"] == resource_type]
        assert got == want
        assert searchset["total"] == len(want)


def _codes(concept: Any) -> set[str]:
    if not isinstance(concept, dict):
        return set()
    return {f"{c.get('system')}|{c.get('code')}" for c in concept.get("coding", [])}


def _component(resource: dict[str, Any], code: str) -> list[dict[str, Any]]:
    return [c for c in resource.get("component", []) if f"{LOINC}|{code}" in _codes(c["code"])]


LOINC = "http://loinc.org"
GIST = "http://gist-cds.org/fhir/CodeSystem/gist"
MCODE = "http://hl7.org/fhir/us/mcode/StructureDefinition/"

#: The input profile's "also accept" forms and EHR quirks the corpus must keep exercising.
VARIANTS: dict[str, Callable[[dict[str, Any]], bool]] = {
    "GIST by histology extension only": lambda r: (
        r["resourceType"] == "Condition"
        and any(
            e["url"] == MCODE + "mcode-histology-morphology-behavior"
            for e in r.get("extension", [])
        )
        and "http://snomed.info/sct|420120006" not in _codes(r.get("code"))
    ),
    "GIST by ICD-10-CM only": lambda r: (
        r["resourceType"] == "Condition"
        and _codes(r.get("code")) == {"http://hl7.org/fhir/sid/icd-10-cm|C49.A2"}
    ),
    "metastasis by related-primary extension only": lambda r: (
        r["resourceType"] == "Condition"
        and not _codes(r.get("code"))
        and any(
            e["url"] == MCODE + "mcode-related-primary-cancer-condition"
            for e in r.get("extension", [])
        )
    ),
    "size as 33728-7 on the Observation": lambda r: (
        f"{LOINC}|33728-7" in _codes(r.get("code")) and "valueQuantity" in r
    ),
    "size in mm": lambda r: (
        any(c.get("valueQuantity", {}).get("code") == "mm" for c in _component(r, "33728-7"))
        or r.get("valueQuantity", {}).get("code") == "mm"
    ),
    "mitoses per 50 HPF": lambda r: r.get("valueQuantity", {}).get("code") == "/50.[HPF]",
    "mitoses by code.text only": lambda r: (
        f"{GIST}|mitotic-count" not in _codes(r.get("code"))
        and "mitotic" in str(r.get("code", {}).get("text", "")).lower()
    ),
    "rupture as LA9633-4": lambda r: (
        f"{GIST}|tumor-rupture" in _codes(r.get("code"))
        and f"{LOINC}|LA9633-4" in _codes(r.get("valueCodeableConcept"))
    ),
    "resection by reasonReference + surgical category": lambda r: (
        r["resourceType"] == "Procedure"
        and f"{GIST}|primary-resection" not in _codes(r.get("code"))
    ),
    "SDHB IHC loss": lambda r: f"{GIST}|sdhb-ihc" in _codes(r.get("code")),
    "gene by display only": lambda r: any(
        "system" not in c
        for g in _component(r, "48018-6")
        for c in g["valueCodeableConcept"].get("coding", [])
    ),
    "protein change as short text": lambda r: any(
        str(p["valueCodeableConcept"].get("text", "")).startswith("p.")
        and "coding" not in p["valueCodeableConcept"]
        for p in _component(r, "48005-3")
    ),
    "TKI as MedicationRequest": lambda r: r["resourceType"] == "MedicationRequest",
    "contained Medication": lambda r: (
        r.get("medicationReference", {}).get("reference", "").startswith("#")
    ),
    "brand name in text only": lambda r: (
        "medicationCodeableConcept" in r
        and not r["medicationCodeableConcept"].get("coding")
        and str(r["medicationCodeableConcept"].get("text", "")).split()[0]
        in {"SUTENT", "STIVARGA", "QINLOCK"}
    ),
    "per-lesion disease status": lambda r: any(
        f.get("reference", "").startswith("BodyStructure/") for f in r.get("focus", [])
    ),
    "timezone-less date": lambda r: len(str(r.get("effectiveDateTime", ""))) == 10,
    "entered-in-error result": lambda r: r.get("status") == "entered-in-error",
    "refuted condition": lambda r: (
        "http://terminology.hl7.org/CodeSystem/condition-ver-status|refuted"
        in _codes(r.get("verificationStatus"))
    ),
}


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_corpus_exercises_the_input_profile_variants(variant: str) -> None:
    matches = [
        r["id"]
        for entry in MANIFEST
        for r in resources(load_bundle(entry["id"]))
        if VARIANTS[variant](r)
    ]
    assert matches, variant


# --- (3) end to end over HTTP ----------------------------------------------------------------


@pytest.mark.parametrize("entry", MANIFEST, ids=by_patient)
def test_service_returns_exactly_the_expected_categories(
    entry: ManifestEntry, cds_call: CdsCall
) -> None:
    prefetch = prefetch_for(load_bundle(entry["id"]))
    for key in entry.get("prefetch_omit", []):
        del prefetch[key]  # left out by the EHR; with no FHIR server it cannot be fetched either
    response = cds_call(prefetch, entry["id"])
    got = sorted({card["extension"]["org.gist-cds"]["category"] for card in response["cards"]})
    assert got == entry["expected_categories"], entry["title"]


def test_dates_are_shifted_so_the_patients_stay_current() -> None:
    import datetime as dt

    from sandbox.patients import RECENT_DAYS, shift_dates

    bundle: dict[str, Any] = {
        "resourceType": "Bundle",
        "meta": {"lastUpdated": "2020-01-01T00:00:00Z"},
        "entry": [
            {"resource": {"effectiveDateTime": "2024-03-01T10:00:00+01:00", "onset": "2019"}},
            {"resource": {"effectivePeriod": {"start": "2024-01-01", "end": "2024-02-01"}}},
        ],
    }
    shifted = shift_dates(bundle, today=dt.date(2030, 6, 30))
    first, second = (e["resource"] for e in shifted["entry"])
    newest = dt.date(2030, 6, 30) - dt.timedelta(days=RECENT_DAYS)
    assert first["effectiveDateTime"] == newest.isoformat() + "T10:00:00+01:00"
    assert first["onset"] == "2019"  # partial dates stay as written
    period = second["effectivePeriod"]
    gap = dt.date.fromisoformat(period["end"]) - dt.date.fromisoformat(period["start"])
    assert gap == dt.timedelta(days=31)  # intervals are kept
    assert shifted["meta"] == bundle["meta"]
    assert bundle["entry"][0]["resource"]["effectiveDateTime"].startswith("2024-03-01")  # a copy
