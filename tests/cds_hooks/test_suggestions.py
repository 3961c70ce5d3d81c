"""Suggested draft FHIR resources: right kind per category, valid R4, patient and Condition."""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

import pytest

from cds_hooks import suggestions as suggestions_module
from cds_hooks.cards import render_card
from cds_hooks.suggestions import ORDERABLE_SYSTEM, ORDERABLES, RXNORM, dosage, suggestions_for
from fhir_mappings.r4b import validation_errors
from logic.case import GistCase
from logic.knowledge.regimens import ALL_REGIMENS, for_months
from logic.recommendation import Category, Indicator, Regimen
from tests.cds_hooks.card_factory import (
    BASE_URL,
    CASE,
    DAB_TRAM,
    IMATINIB_400,
    IMATINIB_800,
    NO_PATIENT,
    REFERRAL_CATEGORIES,
    SUNITINIB_CONT,
    SUNITINIB_CYCLE,
    TKI_CATEGORIES,
    recommendation,
)

NO_SUGGESTION_CATEGORIES = tuple(
    c
    for c in Category
    if c not in TKI_CATEGORIES
    and c not in REFERRAL_CATEGORIES
    and c is not Category.MUTATION_TESTING
)


def resources_of(card: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        action["resource"]
        for suggestion in card.get("suggestions", ())
        for action in suggestion["actions"]
    ]


def card_for(category: Category, case: GistCase = CASE, **changes: Any) -> dict[str, Any]:
    return render_card(recommendation(category, **changes), case=case, public_base_url=BASE_URL)


@pytest.mark.parametrize("category", list(Category))
def test_every_suggested_resource_is_a_valid_r4_draft_for_the_patient(category: Category) -> None:
    for resource in resources_of(card_for(category)):
        assert validation_errors(resource) == []
        assert resource["status"] == "draft"
        assert resource["intent"] == "proposal"
        assert resource["subject"] == {"reference": "Patient/pat-1"}
        assert resource["reasonReference"] == [{"reference": "Condition/cond-1"}]


@pytest.mark.parametrize("category", REFERRAL_CATEGORIES)
def test_surgical_categories_suggest_one_referral(category: Category) -> None:
    card = card_for(category)
    (resource,) = resources_of(card)
    assert resource["resourceType"] == "ServiceRequest"
    codes = {(c["system"], c["code"]) for c in resource["code"]["coding"]}
    assert any(system == ORDERABLE_SYSTEM for system, _ in codes)
    assert resource["code"]["text"]
    assert card["selectionBehavior"] == "at-most-one"
    assert card["suggestions"][0]["isRecommended"] is True


@pytest.mark.parametrize("category", [*REFERRAL_CATEGORIES, Category.MUTATION_TESTING])
def test_project_codes_are_defined_with_their_display(category: Category) -> None:
    (resource,) = resources_of(card_for(category))
    (project,) = [c for c in resource["code"]["coding"] if c["system"] == ORDERABLE_SYSTEM]
    assert project["display"] == ORDERABLES[project["code"]]
    assert resource["code"]["text"] == ORDERABLES[project["code"]]


def test_mutation_testing_suggests_kit_pdgfra_analysis() -> None:
    (resource,) = resources_of(card_for(Category.MUTATION_TESTING))
    assert resource["resourceType"] == "ServiceRequest"
    assert "KIT" in resource["code"]["text"]
    assert "PDGFRA" in resource["code"]["text"]
    genes = {detail["coding"][0]["code"] for detail in resource["orderDetail"]}
    assert genes == {"HGNC:6342", "HGNC:8803"}  # KIT, PDGFRA [S34]


@pytest.mark.parametrize(
    ("indicator", "priority"), [(Indicator.CRITICAL, "stat"), (Indicator.WARNING, "urgent")]
)
def test_emergency_review_priority_follows_certainty(indicator: Indicator, priority: str) -> None:
    card = card_for(Category.EMERGENCY_SURGICAL_REVIEW, indicator=indicator)
    (resource,) = resources_of(card)
    assert resource["priority"] == priority
    assert priority in card["suggestions"][0]["label"]


def test_elective_surgery_referral_is_routine() -> None:
    (resource,) = resources_of(card_for(Category.SURGERY))
    assert resource["priority"] == "routine"


@pytest.mark.parametrize("category", TKI_CATEGORIES)
def test_tki_alternatives_are_separate_at_most_one_suggestions(category: Category) -> None:
    card = card_for(category, regimens=(IMATINIB_800, SUNITINIB_CYCLE))
    assert card["selectionBehavior"] == "at-most-one"
    assert len(card["suggestions"]) == 2
    assert [s.get("isRecommended", False) for s in card["suggestions"]] == [True, False]
    assert len({s["uuid"] for s in card["suggestions"]}) == 2
    drugs = [r["medicationCodeableConcept"]["text"] for r in resources_of(card)]
    assert drugs == ["Imatinib", "Sunitinib"]
    for suggestion in card["suggestions"]:
        (action,) = suggestion["actions"]
        assert action["type"] == "create"
        assert action["description"]


def test_tki_card_without_regimens_has_no_suggestions() -> None:
    card = card_for(Category.ADJUVANT_TKI, regimens=())
    assert "suggestions" not in card
    assert "selectionBehavior" not in card


@pytest.mark.parametrize("category", NO_SUGGESTION_CATEGORIES)
def test_other_categories_suggest_nothing(category: Category) -> None:
    card = card_for(category, regimens=(IMATINIB_400,))
    assert "suggestions" not in card
    assert "selectionBehavior" not in card


@pytest.mark.parametrize("category", [*TKI_CATEGORIES, *REFERRAL_CATEGORIES])
def test_no_suggestions_without_a_patient_id(category: Category) -> None:
    card = card_for(category, case=NO_PATIENT)
    assert "suggestions" not in card
    assert "selectionBehavior" not in card


def test_without_a_known_condition_there_is_no_reason_reference() -> None:
    case = GistCase(patient_id="pat-2")
    for category in (Category.SURGERY, Category.ADJUVANT_TKI, Category.MUTATION_TESTING):
        for resource in resources_of(card_for(category, case=case)):
            assert "reasonReference" not in resource
            assert resource["subject"] == {"reference": "Patient/pat-2"}
            assert validation_errors(resource) == []


def test_once_daily_regimen_with_duration() -> None:
    dose = dosage(IMATINIB_400)
    assert dose["text"] == f"{IMATINIB_400.display} for 36 months"
    assert dose["timing"]["repeat"] == {
        "frequency": 1,
        "period": 1,
        "periodUnit": "d",
        "boundsDuration": {
            "value": 36,
            "unit": "months",
            "system": "http://unitsofmeasure.org",
            "code": "mo",
        },
    }
    assert dose["doseAndRate"][0]["doseQuantity"]["value"] == 400


def test_twice_daily_regimen_splits_the_daily_dose() -> None:
    dose = dosage(IMATINIB_800)
    assert dose["timing"]["repeat"]["frequency"] == 2
    assert dose["doseAndRate"][0]["doseQuantity"] == {
        "value": 400,
        "unit": "mg",
        "system": "http://unitsofmeasure.org",
        "code": "mg",
    }


def test_on_off_cycle_is_not_written_as_continuous_daily_dosing() -> None:
    dose = dosage(SUNITINIB_CYCLE)
    assert "repeat" not in dose["timing"]
    assert dose["timing"]["code"]["text"] == SUNITINIB_CYCLE.schedule
    assert dose["doseAndRate"][0]["doseQuantity"]["value"] == 50


def test_fractional_continuous_dose() -> None:
    dose = dosage(SUNITINIB_CONT)
    assert dose["timing"]["repeat"]["frequency"] == 1
    assert dose["doseAndRate"][0]["doseQuantity"]["value"] == 37.5


def test_combination_regimen_is_text_only_and_valid() -> None:
    card = card_for(Category.FIRST_LINE_TKI, regimens=(DAB_TRAM,))
    (resource,) = resources_of(card)
    assert validation_errors(resource) == []
    assert resource["medicationCodeableConcept"] == {"text": "Dabrafenib + Trametinib"}
    assert resource["dosageInstruction"] == [{"text": DAB_TRAM.display}]


@pytest.mark.parametrize("months", [None, 36])
@pytest.mark.parametrize("regimen", ALL_REGIMENS, ids=lambda r: r.display)
def test_every_knowledge_base_regimen_makes_a_valid_medication_request(
    regimen: Regimen, months: int | None
) -> None:
    card = card_for(Category.FIRST_LINE_TKI, regimens=(for_months(regimen, months),))
    (resource,) = resources_of(card)
    assert validation_errors(resource) == []
    (dose,) = resource["dosageInstruction"]
    assert dose["text"].startswith(regimen.display)
    if "+" not in regimen.drug:
        per_dose = dose["doseAndRate"][0]["doseQuantity"]["value"]
        per_day = dose["timing"].get("repeat", {}).get("frequency", 1)
        assert per_dose * per_day == regimen.dose_mg_per_day


def test_rxnorm_coding_only_when_the_regimen_has_one() -> None:
    with_code = resources_of(card_for(Category.ADJUVANT_TKI, regimens=(IMATINIB_400,)))[0]
    assert with_code["medicationCodeableConcept"]["coding"] == [
        {"system": RXNORM, "code": "282388", "display": "imatinib"}
    ]
    without = replace(IMATINIB_400, rxnorm=None)
    bare = resources_of(card_for(Category.ADJUVANT_TKI, regimens=(without,)))[0]
    assert "coding" not in bare["medicationCodeableConcept"]


def test_an_invalid_resource_is_logged_and_dropped(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(*_: Any) -> tuple[str, dict[str, Any]]:
        return "Broken", {"resourceType": "ServiceRequest", "status": "not-a-status"}

    monkeypatch.setattr(suggestions_module, "referral_request", broken)
    rec = recommendation(Category.SURGERY)
    with caplog.at_level(logging.ERROR, logger="gist_cds.suggestions"):
        assert suggestions_for(rec, CASE) == []
    assert any("invalid suggested resource" in r.getMessage() for r in caplog.records)
