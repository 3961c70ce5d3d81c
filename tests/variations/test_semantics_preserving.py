"""Hypothesis: changes that keep the meaning of a record — a code-system alias, ICD-10-CM without
its dot, mm instead of cm, an RxNorm product code for an ingredient of the same strength, another
reference style — never change the cards (issue 17)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cds_hooks.app import create_app
from cds_hooks.config import Settings
from tests.support.hypothesis_profiles import examples
from tests.variations.catalogue import ICD10, ICD10_OID, RXNORM, RXNORM_OID
from tests.variations.harness import Answer, Json, bundle_of, call, resources

PATIENTS = (
    "sb08-resected-low-risk",
    "sb10-resected-high-risk-kit11",
    "sb18-metastatic-naive-kit11",
    "sb19-metastatic-naive-kit-exon9",
    "sb24-progression-line1-imatinib",
    "sb25-progression-line2-sunitinib",
    "sb28-imatinib-intolerance",
    "sb33-recurrence-after-resection",
)


def _codings(node: object) -> list[Json]:
    found: list[Json] = []
    if isinstance(node, dict):
        if "system" in node and "code" in node:
            found.append(node)
        for value in node.values():
            found += _codings(value)
    elif isinstance(node, list):
        for value in node:
            found += _codings(value)
    return found


def oid_aliases(b: Json) -> None:
    for coding in _codings(b):
        coding["system"] = {RXNORM: RXNORM_OID, ICD10: ICD10_OID}.get(
            coding["system"], coding["system"]
        )


def dotless_icd(b: Json) -> None:
    for coding in _codings(b):
        if coding["system"] == ICD10:
            coding["code"] = coding["code"].replace(".", "")


def hgnc_gene_id(b: Json) -> None:
    for coding in _codings(b):
        if coding["system"] == "http://www.genenames.org":
            coding["system"] = "http://www.genenames.org/geneId"


def sizes_in_mm(b: Json) -> None:
    for coding_owner in _codings(b):
        if coding_owner.get("code") == "cm" and isinstance(coding_owner.get("value"), int | float):
            coding_owner["value"] = float(Decimal(str(coding_owner["value"])) * 10)
            coding_owner["code"] = coding_owner["unit"] = "mm"


def imatinib_400_as_product(b: Json) -> None:
    """imatinib 400 mg once daily by ingredient -> the 400 MG tablet product code, 1 tablet."""
    for r in resources(b, "MedicationStatement"):
        concept = r.get("medicationCodeableConcept", {})
        codes = [c for c in concept.get("coding", []) if c.get("code") == "282388"]
        dosage = (r.get("dosage") or [{}])[0]
        quantity = (dosage.get("doseAndRate") or [{}])[0].get("doseQuantity", {})
        if codes and quantity.get("value") == 400:
            concept["coding"] = [{"system": RXNORM, "code": "403879"}]
            concept.pop("text", None)
            quantity.update({"value": 1, "unit": "tablet", "code": "{tbl}"})


def absolute_references(b: Json) -> None:
    def walk(node: object) -> None:
        if isinstance(node, dict):
            ref = node.get("reference")
            if isinstance(ref, str) and ref.split("/")[0] in ("Patient", "Condition"):
                node["reference"] = "https://ehr.example.org/fhir/" + ref + "/_history/1"
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for r in resources(b):
        walk({k: v for k, v in r.items() if k != "contained"})


MUTATIONS: tuple[Callable[[Json], None], ...] = (
    oid_aliases,
    dotless_icd,
    hgnc_gene_id,
    sizes_in_mm,
    imatinib_400_as_product,
    absolute_references,
)


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> FlaskClient:
    database: Path = tmp_path_factory.mktemp("hypothesis") / "gist-cds.sqlite3"
    settings_ = Settings(
        auth="off",
        public_base_url="http://127.0.0.1:8080",
        database_url=f"sqlite:///{database}",
        log_level="WARNING",
    )
    return create_app(settings_, warm=False).test_client()


_BASE: dict[str, Answer] = {}


@settings(max_examples=examples(0.2), suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    patient=st.sampled_from(PATIENTS),
    chosen=st.sets(st.sampled_from(MUTATIONS), min_size=1),
)
def test_semantics_preserving_changes_never_change_the_cards(
    client: FlaskClient, patient: str, chosen: set[Callable[[Json], None]]
) -> None:
    if patient not in _BASE:
        _BASE[patient] = call(client, bundle_of(patient), patient)
    bundle = copy.deepcopy(bundle_of(patient))
    for mutate in sorted(chosen, key=lambda m: m.__name__):
        mutate(bundle)
    after = call(client, bundle, patient)
    assert after.signature == _BASE[patient].signature, (
        sorted(m.__name__ for m in chosen),
        after.data_needed_text[:500],
    )
