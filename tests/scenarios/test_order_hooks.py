"""order-select and order-sign over HTTP, from FHIR: each order check fires on an EHR-shaped
patient with an EHR-shaped draft order (product codes, tablet counts, timing codes), its card
acts on the draft with a valid R4 resource, and a correct order gets no card (issue 15)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from cds_hooks.validation import schema_errors
from fhir_mappings.r4b import validation_errors
from sandbox.patients import load_bundle, prefetch_for
from tests.fhir_mappings import fhir as f
from tests.scenarios.fhir_cases import (
    IMATINIB,
    NO_RESPONSE,
    STOMACH,
    SUNITINIB,
    Json,
    _metastatic,
    _resected,
    ago,
)
from tests.scenarios.test_fhir_scenarios import as_prefetch
from tests.support.live import LiveService

EXT = "org.gist-cds"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
UCUM = "http://unitsofmeasure.org"

GLEEVEC_400 = {
    "coding": [{"system": RXNORM, "code": "403879", "display": "imatinib 400 MG [Gleevec]"}]
}
SUTENT_50 = {
    "coding": [{"system": RXNORM, "code": "616289", "display": "sunitinib 50 MG Oral Capsule"}]
}
KIT_11 = f.kit(hgvs="p.Val559Asp")
KIT_9 = f.kit(hgvs="p.Ala502_Tyr503dup", exon=9)
D842V = f.pdgfra(hgvs="p.Asp842Val")


def draft(
    rid: str,
    medication: Json,
    amount: float | None,
    unit: str = "{tbl}",
    per_day: int = 1,
    timing_code: str | None = None,
) -> Json:
    """A draft MedicationRequest as EHRs and the CDS Hooks sandbox write it."""
    resource: Json = {
        "resourceType": "MedicationRequest",
        "id": rid,
        "status": "draft",
        "intent": "order",
        "subject": {"reference": f"Patient/{f.PATIENT}"},
        "medicationCodeableConcept": medication,
        "dispenseRequest": {"quantity": {"value": 30, "unit": unit}},
    }
    if amount is not None:
        timing: Json = (
            {"code": {"coding": [{"code": timing_code}]}}
            if timing_code
            else {"repeat": {"frequency": per_day, "period": 1, "periodUnit": "d"}}
        )
        resource["dosageInstruction"] = [
            {
                "timing": timing,
                "doseAndRate": [
                    {"doseQuantity": {"value": amount, "unit": unit, "system": UCUM, "code": unit}}
                ],
            }
        ]
    return resource


def order_request(
    hook: str, resources: list[Json], drafts: list[Json], selections: list[str] | None = None
) -> dict[str, Any]:
    context: dict[str, Any] = {
        "userId": "Practitioner/example",
        "patientId": f.PATIENT,
        "draftOrders": {
            "resourceType": "Bundle",
            "type": "collection",
            "entry": [{"resource": d} for d in drafts],
        },
    }
    if hook == "order-select":
        context["selections"] = (
            selections
            if selections is not None
            else [f"MedicationRequest/{d['id']}" for d in drafts]
        )
    return {
        "hook": hook,
        "hookInstance": str(uuid.uuid4()),
        "context": context,
        "prefetch": as_prefetch(resources),
    }


def call(
    service: LiveService, hook: str, resources: list[Json], drafts: list[Json], **kw: Any
) -> list[dict[str, Any]]:
    service_id = "gist-order-select" if hook == "order-select" else "gist-order-sign"
    response = service.post(
        f"cds-services/{service_id}", order_request(hook, resources, drafts, **kw)
    )
    assert response.status_code == 200, response.text
    assert schema_errors("cds-hooks-response", response.json()) == []
    cards: list[dict[str, Any]] = response.json()["cards"]
    for card in cards:
        assert card["extension"][EXT]["category"] == "order-alert"
        for suggestion in card.get("suggestions", []):
            for action in suggestion["actions"]:
                if "resource" in action:
                    assert validation_errors(action["resource"]) == []
    return cards


def only_card(cards: list[dict[str, Any]]) -> dict[str, Any]:
    assert len(cards) == 1, [c["summary"] for c in cards]
    return cards[0]


def action_of(card: dict[str, Any]) -> dict[str, Any]:
    (suggestion,) = card["suggestions"]
    (action,) = suggestion["actions"]
    assert card["selectionBehavior"] == "at-most-one"
    assert isinstance(action, dict)
    return action


def dose_of(resource: Json) -> tuple[float, int]:
    dosage = resource["dosageInstruction"][0]
    return (
        dosage["doseAndRate"][0]["doseQuantity"]["value"],
        dosage["timing"]["repeat"]["frequency"],
    )


# --- drug for the genotype -------------------------------------------------------------------


def test_imatinib_product_for_d842v_is_critical_and_updates_to_avapritinib(
    service: LiveService,
) -> None:
    card = only_card(
        call(service, "order-select", _metastatic(D842V), [draft("d1", GLEEVEC_400, 1)])
    )
    assert card["indicator"] == "critical"
    assert card["extension"][EXT]["ruleId"] == "G3"
    assert "NAVIGATOR2020" in card["extension"][EXT]["evidence"]
    assert "avapritinib 300 mg" in card["summary"]
    assert "Lancet Oncol 2020" in card["detail"]
    assert "**Genotype**: PDGFRA D842V — Observation" in card["detail"]
    assert "pdgfra-d842v" not in card["detail"]  # clinical wording, never the internal code
    action = action_of(card)
    assert action["type"] == "update"
    resource = action["resource"]
    assert (resource["id"], resource["status"], resource["intent"]) == ("d1", "draft", "order")
    assert resource["medicationCodeableConcept"]["text"] == "Avapritinib"
    assert dose_of(resource) == (300, 1)
    assert "dispenseRequest" not in resource  # 30 Gleevec tablets no longer fit the order


def test_avapritinib_for_d842v_gets_no_card(service: LiveService) -> None:
    avapritinib = {"text": "avapritinib 300 MG Oral Tablet"}
    assert call(service, "order-sign", _metastatic(D842V), [draft("d1", avapritinib, 1)]) == []


def test_avapritinib_before_imatinib_in_kit_disease_is_critical(service: LiveService) -> None:
    avapritinib = {"text": "Ayvakit 300 mg tablet"}
    card = only_card(
        call(service, "order-sign", _metastatic(KIT_11), [draft("d1", avapritinib, 1)])
    )
    assert card["indicator"] == "critical"
    assert card["extension"][EXT]["ruleId"] == "G13"
    resource = action_of(card)["resource"]
    assert resource["medicationCodeableConcept"]["coding"][0]["code"] == "282388"
    assert dose_of(resource) == (400, 1)


def test_avapritinib_alert_names_the_whole_next_line_within_the_summary_limit(
    service: LiveService,
) -> None:
    """After imatinib the next line is sunitinib on a 4/2 cycle: the summary names the cycle in
    a compact form rather than being cut in the middle of it."""
    avapritinib = {"text": "Ayvakit 300 mg tablet"}
    card = only_card(call(service, "order-sign", _after_imatinib(), [draft("d1", avapritinib, 1)]))
    assert card["extension"][EXT]["ruleId"] == "G13"
    assert card["summary"].endswith("order sunitinib 50 mg/day, 4 wk on/2 off")
    assert "…" not in card["summary"]
    assert len(card["summary"]) < 140
    assert "sunitinib 50 mg once daily, 4 weeks on / 2 weeks off" in card["detail"].lower()


def test_avapritinib_after_imatinib_sunitinib_regorafenib_gets_no_card(
    service: LiveService,
) -> None:
    history = [
        f.med_statement(
            "l1", IMATINIB, ago(900), ago(600), status="stopped", statusReason=NO_RESPONSE
        ),
        f.med_statement(
            "l2",
            SUNITINIB,
            ago(590),
            ago(300),
            status="stopped",
            dose_mg=50,
            statusReason=NO_RESPONSE,
        ),
        f.med_statement(
            "l3",
            f.named("regorafenib"),
            ago(290),
            ago(20),
            status="stopped",
            dose_mg=160,
            statusReason=NO_RESPONSE,
        ),
    ]
    avapritinib = {"text": "avapritinib 300 MG Oral Tablet"}
    cards = call(
        service,
        "order-sign",
        _metastatic(KIT_11, *history, onset=1000),
        [draft("d1", avapritinib, 1)],
    )
    assert cards == []


def test_kit_exon9_on_400_mg_warns_and_doubles_the_dose(service: LiveService) -> None:
    tablet = {"text": "imatinib 400 MG Oral Tablet"}
    card = only_card(
        call(
            service,
            "order-select",
            _metastatic(KIT_9),
            [draft("d1", tablet, 1, "{pill}", timing_code="QD")],
        )
    )
    assert card["indicator"] == "warning"
    assert card["extension"][EXT]["ruleId"] == "G2"
    assert "400 mg daily" in card["summary"]
    assert dose_of(action_of(card)["resource"]) == (400, 2)


def test_kit_exon9_on_400_mg_twice_daily_gets_no_card(service: LiveService) -> None:
    tablet = {"text": "imatinib 400 MG Oral Tablet"}
    cards = call(service, "order-select", _metastatic(KIT_9), [draft("d1", tablet, 1, per_day=2)])
    assert cards == []


# --- adjuvant --------------------------------------------------------------------------------


def test_adjuvant_imatinib_for_d842v_is_critical_and_deletes_the_draft(
    service: LiveService,
) -> None:
    card = only_card(
        call(service, "order-sign", [*_resected(8.0, 10), D842V], [draft("adj", GLEEVEC_400, 1)])
    )
    assert card["indicator"] == "critical"
    assert card["extension"][EXT]["ruleId"] == "F3"
    action = action_of(card)
    assert action == {
        "type": "delete",
        "description": "Delete the draft order MedicationRequest/adj",
        "resourceId": "MedicationRequest/adj",
    }


@pytest.mark.parametrize(
    ("marker", "words"),
    [
        (f.gist_obs("sdh", "sdh-deficient", ago(30), valueBoolean=True), "SDH-deficient"),
        (f.kit(present=False), None),
    ],
)
def test_adjuvant_imatinib_without_a_benefiting_genotype(
    service: LiveService, marker: Json, words: str | None
) -> None:
    resources = [*_resected(8.0, 10), marker]
    if words is None:  # KIT and PDGFRA both tested negative: wild type
        resources.append(f.pdgfra(present=False))
    card = only_card(call(service, "order-sign", resources, [draft("adj", GLEEVEC_400, 1)]))
    assert card["extension"][EXT]["ruleId"] == ("F3" if words else "F11")
    assert action_of(card)["type"] == "delete"
    if words:
        assert words in card["summary"]
    else:
        assert "SDHB" in card["detail"]


def test_adjuvant_imatinib_for_low_risk_warns(service: LiveService) -> None:
    card = only_card(
        call(service, "order-sign", [*_resected(3.0, 2), KIT_11], [draft("adj", GLEEVEC_400, 1)])
    )
    assert card["indicator"] == "warning"
    assert card["extension"][EXT]["ruleId"] == "F7"
    assert action_of(card)["resourceId"] == "MedicationRequest/adj"


def test_adjuvant_imatinib_for_high_risk_kit_exon11_gets_no_card(service: LiveService) -> None:
    assert (
        call(service, "order-sign", [*_resected(8.0, 10), KIT_11], [draft("adj", GLEEVEC_400, 1)])
        == []
    )


def _marginal(marker: Json) -> list[Json]:
    """A localized gastric GIST judged marginally resectable, not yet operated on."""
    return [
        f.patient(),
        f.gist(onsetDateTime=ago(40), bodySite=STOMACH),
        f.size("sz", 9, date=ago(40)),
        f.gist_obs(
            "res",
            "resectability",
            ago(30),
            valueCodeableConcept=f.cc(f.GIST, "marginally-resectable"),
        ),
        marker,
    ]


def test_neoadjuvant_imatinib_for_d842v_is_critical(service: LiveService) -> None:
    card = only_card(
        call(service, "order-select", _marginal(D842V), [draft("neo", GLEEVEC_400, 1)])
    )
    assert (card["indicator"], card["extension"][EXT]["ruleId"]) == ("critical", "D5")
    assert "not validated" in card["detail"]
    assert action_of(card)["resourceId"] == "MedicationRequest/neo"


def test_neoadjuvant_avapritinib_for_d842v_gets_no_card(service: LiveService) -> None:
    avapritinib = {"text": "avapritinib 300 MG Oral Tablet"}
    assert call(service, "order-select", _marginal(D842V), [draft("neo", avapritinib, 1)]) == []


def test_any_neoadjuvant_tki_for_sdh_deficient_gist_is_critical(service: LiveService) -> None:
    sdh = f.gist_obs("sdh", "sdh-deficient", ago(30), valueBoolean=True)
    avapritinib = {"text": "avapritinib 300 MG Oral Tablet"}
    card = only_card(call(service, "order-select", _marginal(sdh), [draft("neo", avapritinib, 1)]))
    assert (card["indicator"], card["extension"][EXT]["ruleId"]) == ("critical", "D6")
    assert "not validated" not in card["detail"]


# --- lines and doses -------------------------------------------------------------------------


def test_sunitinib_before_imatinib_warns_and_suggests_imatinib(service: LiveService) -> None:
    card = only_card(
        call(service, "order-select", _metastatic(KIT_11), [draft("d1", SUTENT_50, 1, "{capsule}")])
    )
    assert card["indicator"] == "warning"
    assert card["extension"][EXT]["ruleId"] == "G9"
    assert "before imatinib" in card["summary"]
    resource = action_of(card)["resource"]
    assert resource["medicationCodeableConcept"]["coding"][0]["code"] == "282388"


def _after_imatinib() -> list[Json]:
    return _metastatic(
        KIT_11,
        f.med_statement(
            "l1", IMATINIB, ago(600), ago(20), status="stopped", statusReason=NO_RESPONSE
        ),
        onset=700,
    )


def test_sunitinib_after_imatinib_failure_gets_no_card(service: LiveService) -> None:
    cards = call(service, "order-sign", _after_imatinib(), [draft("d1", SUTENT_50, 1, "{capsule}")])
    assert cards == []


def test_sunitinib_above_50_mg_is_critical(service: LiveService) -> None:
    card = only_card(
        call(service, "order-sign", _after_imatinib(), [draft("d1", SUTENT_50, 2, "{capsule}")])
    )
    assert card["indicator"] == "critical"
    assert card["extension"][EXT]["ruleId"] == "G9"
    assert "100 mg daily is above" in card["summary"]
    dosage = action_of(card)["resource"]["dosageInstruction"][0]
    assert dosage["doseAndRate"][0]["doseQuantity"]["value"] == 50
    assert dosage["timing"]["code"]["text"] == "once daily, 4 weeks on / 2 weeks off"


def test_regorafenib_above_160_mg_and_ripretinib_below_150_mg(service: LiveService) -> None:
    history = [
        *_after_imatinib(),
        f.med_statement(
            "l2", SUNITINIB, ago(19), ago(5), status="stopped", dose_mg=50, statusReason=NO_RESPONSE
        ),
    ]
    regorafenib = draft("r", {"text": "regorafenib 40 MG Oral Tablet"}, 5)
    card = only_card(call(service, "order-sign", history, [regorafenib]))
    assert (card["indicator"], card["extension"][EXT]["ruleId"]) == ("critical", "G10")
    assert "200 mg daily" in card["summary"]
    history.append(
        f.med_statement(
            "l3",
            f.named("regorafenib"),
            ago(4),
            ago(1),
            status="stopped",
            dose_mg=160,
            statusReason=NO_RESPONSE,
        )
    )
    ripretinib = draft("q", {"text": "ripretinib 50 MG Oral Tablet"}, 2)
    card = only_card(call(service, "order-sign", history, [ripretinib]))
    assert (card["indicator"], card["extension"][EXT]["ruleId"]) == ("warning", "G11")
    assert dose_of(action_of(card)["resource"]) == (150, 1)
    ripretinib = draft("q", {"text": "ripretinib 50 MG Oral Tablet"}, 3)
    assert call(service, "order-sign", history, [ripretinib]) == []


def test_unknown_product_strength_is_said_not_guessed(service: LiveService) -> None:
    tablet = {"text": "imatinib oral tablet"}
    card = only_card(call(service, "order-sign", _metastatic(KIT_11), [draft("d1", tablet, 2)]))
    assert card["indicator"] == "warning"
    assert "could not be checked" in card["summary"]
    # the order's dose is unknown: the summary states none (no regimen dose read as the order's)
    assert "mg" not in card["summary"]
    assert "product strength is unknown" in card["detail"]


# --- context: duplicate, emergency ----------------------------------------------------------


def test_a_tki_the_patient_already_takes_is_a_duplicate(service: LiveService) -> None:
    resources = _metastatic(KIT_11, f.med_statement("ima", IMATINIB, ago(300), status="active"))
    card = only_card(call(service, "order-sign", resources, [draft("d1", GLEEVEC_400, 1)]))
    assert card["extension"][EXT]["ruleId"] == "D13"
    assert "already takes imatinib" in card["summary"]
    assert action_of(card)["type"] == "delete"


def test_re_signing_an_order_the_ehr_already_holds_is_not_a_duplicate(
    service: LiveService,
) -> None:
    stored = draft("d1", GLEEVEC_400, 1)
    stored.update(status="active", authoredOn=ago(1))
    resources = _metastatic(KIT_11, stored)
    assert call(service, "order-sign", resources, [draft("d1", GLEEVEC_400, 1)]) == []


def test_sandbox_patient_with_d842v_gets_the_alert_on_sign(service: LiveService) -> None:
    prefetch = prefetch_for(load_bundle("sb20-metastatic-naive-d842v"))
    patient_id = prefetch["patient"]["id"]
    order = draft("d1", GLEEVEC_400, 1)
    order["subject"] = {"reference": f"Patient/{patient_id}"}
    body = order_request("order-sign", [], [order])
    body["context"]["patientId"] = patient_id
    body["prefetch"] = prefetch
    response = service.post("cds-services/gist-order-sign", body)
    assert response.status_code == 200, response.text
    (card,) = response.json()["cards"]
    assert card["extension"][EXT]["ruleId"] == "G3"
    assert action_of(card)["resource"]["subject"] == {"reference": f"Patient/{patient_id}"}


def test_imatinib_escalation_to_800_mg_is_not_a_duplicate(service: LiveService) -> None:
    resources = _metastatic(KIT_11, f.med_statement("ima", IMATINIB, ago(300), status="active"))
    assert call(service, "order-sign", resources, [draft("d1", GLEEVEC_400, 1, per_day=2)]) == []


def test_a_tki_during_an_active_emergency_is_critical(service: LiveService) -> None:
    abscess = f.condition(
        "abscess", f.cc(f.ICD10, "K65.1", "Peritoneal abscess"), onsetDateTime=ago(2)
    )
    card = only_card(
        call(service, "order-sign", _metastatic(KIT_11, abscess), [draft("d1", GLEEVEC_400, 1)])
    )
    assert (card["indicator"], card["extension"][EXT]["ruleId"]) == ("critical", "I8")
    assert "hold the imatinib order" in card["summary"]


# --- selections, sign, errors, discovery, feedback -------------------------------------------


def _mixed_drafts() -> list[Json]:
    return [
        draft("ima", GLEEVEC_400, 1),
        draft("ond", {"text": "ondansetron 8 MG Oral Tablet"}, 1),
        draft("sun", SUTENT_50, 1, "{capsule}"),
    ]


def test_order_select_checks_only_the_selected_tkis(service: LiveService) -> None:
    selected = ["MedicationRequest/ima", "MedicationRequest/ond"]
    cards = call(service, "order-select", _metastatic(D842V), _mixed_drafts(), selections=selected)
    card = only_card(cards)
    assert action_of(card)["resource"]["id"] == "ima"
    only_non_tki = call(
        service,
        "order-select",
        _metastatic(D842V),
        _mixed_drafts(),
        selections=["MedicationRequest/ond"],
    )
    assert only_non_tki == []


def test_order_sign_checks_every_draft(service: LiveService) -> None:
    cards = call(service, "order-sign", _metastatic(D842V), _mixed_drafts())
    assert sorted(action_of(c)["resource"]["id"] for c in cards) == ["ima", "sun"]


def test_a_selection_outside_draft_orders_is_a_400(service: LiveService) -> None:
    body = order_request(
        "order-select", _metastatic(D842V), _mixed_drafts(), selections=["MedicationRequest/nope"]
    )
    response = service.post("cds-services/gist-order-select", body)
    assert response.status_code == 400
    outcome = response.json()
    assert outcome["resourceType"] == "OperationOutcome"
    assert "MedicationRequest/nope" in outcome["issue"][0]["diagnostics"]


def test_order_select_without_selections_is_a_400(service: LiveService) -> None:
    body = order_request("order-sign", _metastatic(D842V), _mixed_drafts())
    body["hook"] = "order-select"
    response = service.post("cds-services/gist-order-select", body)
    assert response.status_code == 400
    assert "selections" in response.text


def test_discovery_lists_both_order_services_with_the_treatment_prefetch(
    service: LiveService,
) -> None:
    services = {s["id"]: s for s in service.get("cds-services").json()["services"]}
    for service_id, hook in (
        ("gist-order-select", "order-select"),
        ("gist-order-sign", "order-sign"),
    ):
        assert services[service_id]["hook"] == hook
        assert services[service_id]["prefetch"] == services["gist-treatment"]["prefetch"]


def test_feedback_on_an_order_card_is_stored(service: LiveService) -> None:
    card = only_card(
        call(service, "order-select", _metastatic(D842V), [draft("d1", GLEEVEC_400, 1)])
    )
    feedback = {
        "feedback": [
            {
                "card": card["uuid"],
                "outcome": "accepted",
                "acceptedSuggestions": [{"id": card["suggestions"][0]["uuid"]}],
                "outcomeTimestamp": "2026-12-03T14:00:00Z",
            }
        ]
    }
    response = service.post("cds-services/gist-order-select/feedback", feedback)
    assert response.status_code == 200, response.text
    assert response.json() == {"received": 1, "stored": 1}


def test_avapritinib_with_the_genotype_unknown_warns_and_suggests_imatinib(
    service: LiveService,
) -> None:
    avapritinib = {"text": "avapritinib 300 MG Oral Tablet"}
    card = only_card(call(service, "order-select", _metastatic(), [draft("d1", avapritinib, 1)]))
    assert (card["indicator"], card["extension"][EXT]["ruleId"]) == ("warning", "G13")
    assert card["summary"].startswith("Genotype unknown")
    assert dose_of(action_of(card)["resource"]) == (400, 1)


def test_pazopanib_before_the_standard_lines_warns(service: LiveService) -> None:
    pazopanib = {"text": "pazopanib 200 MG Oral Tablet"}
    card = only_card(call(service, "order-sign", _after_imatinib(), [draft("d1", pazopanib, 4)]))
    assert (card["indicator"], card["extension"][EXT]["ruleId"]) == ("warning", "G12")
    assert card["summary"].startswith("Pazopanib before sunitinib, regorafenib and ripretinib")
    assert "sunitinib" in action_of(card)["resource"]["medicationCodeableConcept"]["text"].lower()


def test_order_sign_without_case_data_or_fhir_server_is_a_412(service: LiveService) -> None:
    body = order_request("order-sign", [], [draft("d1", GLEEVEC_400, 1)])
    del body["prefetch"]
    response = service.post("cds-services/gist-order-sign", body)
    assert response.status_code == 412
    assert response.json()["resourceType"] == "OperationOutcome"
