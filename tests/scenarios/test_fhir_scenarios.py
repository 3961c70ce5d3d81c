"""FHIR in, cards out over HTTP: every scenario gives its rules, and together with the sandbox
patients the scenarios reach every rule of the registry (knowledge base 2026.2, issue 10)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from fhir_mappings import build_case
from logic.engine import evaluate
from logic.registry import RULES
from sandbox.patients import load_bundle, load_manifest, prefetch_for
from tests.fhir_mappings.fhir import PATIENT
from tests.scenarios.fhir_cases import SCENARIOS, Json

CdsCall = Callable[[dict[str, Any], str], dict[str, Any]]


def as_prefetch(resources: list[Json]) -> dict[str, Any]:
    return prefetch_for({"entry": [{"resource": r} for r in resources]})


def card_rules(response: dict[str, Any]) -> set[str]:
    return {card["extension"]["org.gist-cds"]["ruleId"] for card in response["cards"]}


def background_rules(prefetch: dict[str, Any], patient_id: str) -> set[str]:
    """Background rules (no card of their own) folded into a card for the same FHIR data: the
    engine folds a rule that applies into the cards of its hosts, however a card renders it."""
    case = build_case(list(prefetch.values()), patient_id=patient_id)
    hosts = {card.rule_id for card in evaluate(case)}
    return {
        k
        for k, rule in RULES.items()
        if not rule.categories and rule.applies(case) and hosts & set(rule.folds_into)
    }


def rules_shown(prefetch: dict[str, Any], patient_id: str, cds_call: CdsCall) -> set[str]:
    """Rule ids of the cards answered over HTTP, plus the background rules folded into them."""
    return card_rules(cds_call(prefetch, patient_id)) | background_rules(prefetch, patient_id)


def sandbox_prefetch(entry: dict[str, Any]) -> dict[str, Any]:
    prefetch = prefetch_for(load_bundle(entry["id"]))
    for key in entry.get("prefetch_omit", []):
        del prefetch[key]
    return prefetch


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_scenario_shows_its_rules(name: str, cds_call: CdsCall) -> None:
    scenario = SCENARIOS[name]
    shown = rules_shown(as_prefetch(scenario.resources()), PATIENT, cds_call)
    assert scenario.rules <= shown, f"missing {sorted(scenario.rules - shown)}; got {sorted(shown)}"
    assert not scenario.absent & shown, f"should not show {sorted(scenario.absent & shown)}"


def test_every_rule_is_reachable_from_fhir(cds_call: CdsCall) -> None:
    """Fails when a rule of the registry cannot be reached from any EHR-shaped FHIR input: a
    rule tested only from hand-built cases may be dead in production (the D-rules were)."""
    reached: set[str] = set()
    for entry in load_manifest():
        reached |= rules_shown(sandbox_prefetch(dict(entry)), entry["id"], cds_call)
    for scenario in SCENARIOS.values():
        reached |= rules_shown(as_prefetch(scenario.resources()), PATIENT, cds_call)
    assert set(RULES) - reached == set()


#: The sandbox patients added for knowledge base 2026.2 (§1.K), one per situation of issue 10.
KB_2026_2_PATIENTS = [
    e for e in load_manifest() if e["id"][:4] in {f"sb{n}" for n in range(61, 74)}
]


@pytest.mark.parametrize("entry", KB_2026_2_PATIENTS, ids=lambda e: e["id"])
def test_kb_2026_2_patient_shows_the_rules_its_manifest_names(
    entry: dict[str, Any], cds_call: CdsCall
) -> None:
    shown = rules_shown(sandbox_prefetch(entry), entry["id"], cds_call)
    assert set(entry["kb_rules"]) <= shown, sorted(set(entry["kb_rules"]) - shown)


def test_kb_2026_2_patients_are_all_there() -> None:
    assert len(KB_2026_2_PATIENTS) == 13
