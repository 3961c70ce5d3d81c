"""EHR-style variations of the sandbox patients, one change at a time, each with the outcome the
input profile ("Real EHR variations") binds: the same cards, a named problem on the data-needed
card, or a stated change. `VARIATIONS` is the list the suite runs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tests.variations.harness import Json, add, first, remove, resources

RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
RXNORM_OID = "urn:oid:2.16.840.1.113883.6.88"
SNOMED = "http://snomed.info/sct"
LOINC = "http://loinc.org"
ICD10 = "http://hl7.org/fhir/sid/icd-10-cm"
ICD10_OID = "urn:oid:2.16.840.1.113883.6.90"
GIST = "http://gist-cds.org/fhir/CodeSystem/gist"
UCUM = "http://unitsofmeasure.org"
CPT = "http://www.ama-assn.org/go/cpt"
PCS = "http://www.cms.gov/Medicare/Coding/ICD10"


@dataclass(frozen=True)
class Expect:
    """SAME: identical (category, ruleId) set. NAMED: the data-needed card names `phrase` and
    every other card is as before (unless `cards` is given). CHANGED: exactly `cards`."""

    kind: str
    phrase: str | None = None
    cards: frozenset[tuple[str, str]] | None = None
    why: str = ""


def same(phrase: str | None = None) -> Expect:
    """The same cards (and, with `phrase`, the cards say it: e.g. a preliminary-result note)."""
    return Expect("same", phrase.lower() if phrase else None)


def named(phrase: str, cards: set[tuple[str, str]] | None = None, why: str = "") -> Expect:
    return Expect("named", phrase.lower(), frozenset(cards) if cards is not None else None, why)


def changed(cards: set[tuple[str, str]], why: str, phrase: str | None = None) -> Expect:
    return Expect("changed", phrase.lower() if phrase else None, frozenset(cards), why)


@dataclass(frozen=True)
class Variation:
    id: str
    group: str
    patient: str
    mutate: Callable[[Json], None]
    expect: Expect = field(default_factory=same)


VARIATIONS: list[Variation] = []


def variation(group: str, patient: str, expect: Expect | None = None) -> Callable[..., Any]:
    def register(fn: Callable[[Json], None]) -> Callable[[Json], None]:
        VARIATIONS.append(Variation(fn.__name__, group, patient, fn, expect or same()))
        return fn

    return register


def sb(short: str) -> str:
    return next(p for p in PATIENTS if p.startswith(short))


PATIENTS = (
    "sb01-small-gastric-surveillance",
    "sb05-gastric-resectable-kit11",
    "sb06-rectal-marginal-neoadjuvant",
    "sb07-resected-very-low-risk",
    "sb09-resected-intermediate-risk",
    "sb10-resected-high-risk-kit11",
    "sb11-resected-rupture",
    "sb12-resected-high-risk-d842v",
    "sb14-resected-sdh-deficient",
    "sb17-resected-genotype-unknown",
    "sb18-metastatic-naive-kit11",
    "sb20-metastatic-naive-d842v",
    "sb24-progression-line1-imatinib",
    "sb25-progression-line2-sunitinib",
    "sb26-progression-line3-regorafenib",
    "sb27-progression-line4-ripretinib",
    "sb28-imatinib-intolerance",
    "sb33-recurrence-after-resection",
    "sb34-emergency-perforation",
    "sb35-emergency-complete-obstruction",
    "sb38-possible-emergency-gi-bleeding",
)


# --- helpers -------------------------------------------------------------------------------------


def _id(bundle: Json, suffix: str) -> Json:
    return next(r for r in resources(bundle) if r["id"].endswith("-" + suffix))


def _pid(bundle: Json) -> str:
    return str(first(bundle, "Patient")["id"])


def _subject(bundle: Json) -> Json:
    return {"reference": f"Patient/{_pid(bundle)}"}


def _gist_ref(bundle: Json) -> str:
    return f"Condition/{_id(bundle, 'gist1')['id']}"


def _concept(system: str, code: str, display: str | None = None) -> Json:
    coding: Json = {"system": system, "code": code}
    if display:
        coding["display"] = display
    return {"coding": [coding]}


def _drug_statement(bundle: Json, rid: str, concept: Json, **extra: Any) -> Json:
    resource: Json = {
        "resourceType": "MedicationStatement",
        "id": rid,
        "status": "active",
        "medicationCodeableConcept": concept,
        "subject": _subject(bundle),
        "effectivePeriod": {"start": "2024-01-01"},
        **extra,
    }
    add(bundle, resource)
    return resource


def _request(bundle: Json, rid: str, concept: Json, intent: str, start: str) -> Json:
    resource: Json = {
        "resourceType": "MedicationRequest",
        "id": rid,
        "status": "active",
        "intent": intent,
        "medicationCodeableConcept": concept,
        "subject": _subject(bundle),
        "authoredOn": start,
    }
    add(bundle, resource)
    return resource


def _set_med_code(statement: Json, concept: Json) -> None:
    statement.pop("medicationReference", None)
    statement.pop("contained", None)
    statement["medicationCodeableConcept"] = concept


def _dose(statement: Json, value: float, unit: str, code: str | None = None) -> None:
    _dosage(statement)["doseAndRate"][0]["doseQuantity"] = {
        "value": value,
        "unit": unit,
        "system": UCUM,
        "code": code or unit,
    }


def _dosage(statement: Json) -> Json:
    dosages: list[Json] = statement.get("dosage") or statement["dosageInstruction"]
    return dosages[0]


# =================================================================================================
# (a) medication shapes
# =================================================================================================
MED = "medication shapes"
IMATINIB_SCD = _concept(RXNORM, "403879", "imatinib 400 MG Oral Tablet")


@variation(MED, "sb24-progression-line1-imatinib")
def imatinib_scd_code_only_no_display(b: Json) -> None:
    _set_med_code(_id(b, "med1"), _concept(RXNORM, "403879"))


@variation(MED, "sb24-progression-line1-imatinib")
def imatinib_scd_with_rxnorm_oid_system(b: Json) -> None:
    _set_med_code(_id(b, "med1"), _concept(RXNORM_OID, "403879"))


@variation(MED, "sb24-progression-line1-imatinib")
def imatinib_ingredient_code_with_oid(b: Json) -> None:
    _set_med_code(_id(b, "med1"), _concept(RXNORM_OID, "282388"))


@variation(MED, "sb24-progression-line1-imatinib")
def imatinib_scd_in_contained_medication(b: Json) -> None:
    _id(b, "med1")["contained"][0]["code"] = _concept(RXNORM, "403879")
    _id(b, "med1")["medicationReference"].pop("display")


@variation(MED, "sb24-progression-line1-imatinib")
def imatinib_brand_text_only(b: Json) -> None:
    _set_med_code(_id(b, "med1"), {"text": "Glivec"})


@variation(MED, "sb24-progression-line1-imatinib")
def imatinib_dose_as_one_tablet_of_the_scd(b: Json) -> None:
    med = _id(b, "med1")
    _set_med_code(med, _concept(RXNORM, "403879"))
    _dose(med, 1, "{tbl}")


@variation(MED, "sb24-progression-line1-imatinib")
def imatinib_dose_as_one_pill_named_strength(b: Json) -> None:
    med = _id(b, "med1")
    _set_med_code(med, {"text": "imatinib 400 MG Oral Tablet"})
    _dose(med, 1, "{pill}")


@variation(MED, "sb24-progression-line1-imatinib")
def imatinib_200mg_bid_by_timing_code(b: Json) -> None:
    med = _id(b, "med1")
    _dose(med, 200, "mg")
    _dosage(med)["timing"] = {
        "code": _concept("http://terminology.hl7.org/CodeSystem/v3-GTSAbbreviation", "BID")
    }


@variation(MED, "sb24-progression-line1-imatinib")
def imatinib_400mg_qd_by_timing_code(b: Json) -> None:
    _dosage(_id(b, "med1"))["timing"] = {"code": {"coding": [{"code": "QD"}]}}


@variation(MED, "sb24-progression-line1-imatinib")
def imatinib_400mg_as_0_4_g(b: Json) -> None:
    _dose(_id(b, "med1"), 0.4, "g")


@variation(
    MED,
    "sb24-progression-line1-imatinib",
    named("daily dose unknown", why="dose only as text: named, progression card unchanged"),
)
def imatinib_dose_only_in_text(b: Json) -> None:
    _dosage(_id(b, "med1")).pop("doseAndRate")


@variation(
    MED,
    "sb24-progression-line1-imatinib",
    named("product strength is unknown"),
)
def imatinib_tablet_count_without_strength(b: Json) -> None:
    med = _id(b, "med1")
    _set_med_code(med, {"text": "imatinib"})
    _dose(med, 1, "{tbl}")


@variation(
    MED,
    "sb24-progression-line1-imatinib",
    named(
        "could not be identified",
        cards={("first-line-tki", "G1"), ("data-needed", "P5")},
        why="an unknown code with no name might be a TKI: the record is named on the card",
    ),
)
def imatinib_unknown_product_code_no_name(b: Json) -> None:
    _set_med_code(_id(b, "med1"), _concept(RXNORM, "999999"))


@variation(MED, "sb24-progression-line1-imatinib")
def sunitinib_plan_added_after_progression(b: Json) -> None:
    _request(b, "x-sunitinib-plan", {"text": "sunitinib 50 mg"}, "plan", "2026-11-01")


@variation(MED, "sb24-progression-line1-imatinib")
def sunitinib_proposal_added_after_progression(b: Json) -> None:
    _request(b, "x-sunitinib-proposal", _concept(RXNORM, "616289"), "proposal", "2026-11-01")


@variation(MED, "sb18-metastatic-naive-kit11")
def imatinib_plan_for_naive_patient(b: Json) -> None:
    _request(b, "x-imatinib-plan", IMATINIB_SCD, "plan", "2026-11-01")


@variation(MED, "sb18-metastatic-naive-kit11")
def imatinib_not_taken_statement(b: Json) -> None:
    _drug_statement(b, "x-imatinib-not-taken", IMATINIB_SCD, status="not-taken")


@variation(MED, "sb18-metastatic-naive-kit11")
def unrelated_drug_by_name(b: Json) -> None:
    _drug_statement(b, "x-metformin", _concept(RXNORM, "860975", "metformin 500 MG Oral Tablet"))


@variation(
    MED,
    "sb18-metastatic-naive-kit11",
    named("could not be identified", cards={("first-line-tki", "G1"), ("data-needed", "P5")}),
)
def unidentifiable_drug_code_only(b: Json) -> None:
    _drug_statement(b, "x-unknown-drug", _concept(RXNORM, "860975"))


@variation(
    MED,
    "sb18-metastatic-naive-kit11",
    named("could not be identified", cards={("first-line-tki", "G1"), ("data-needed", "P5")}),
)
def unidentifiable_drug_local_code_only(b: Json) -> None:
    _drug_statement(
        b, "x-local-drug", _concept("urn:oid:1.2.840.114350.1.13.0.1.7.2.798268", "MED99")
    )


@variation(
    MED,
    "sb24-progression-line1-imatinib",
    changed(
        {("first-line-tki", "G1")},
        "dispenses are not in the prefetch: the first-line card says the history came from "
        "statements and orders only (the mapping reads dispenses when sent: unit tests)",
        phrase="statements and orders only",
    ),
)
def imatinib_history_as_monthly_dispenses_only(b: Json) -> None:
    remove(b, lambda r: r["id"].endswith("-med1"))
    for n, day in enumerate(("2026-09-01", "2026-10-01", "2026-11-01")):
        add(
            b,
            {
                "resourceType": "MedicationDispense",
                "id": f"x-dispense-{n}",
                "status": "completed",
                "medicationCodeableConcept": IMATINIB_SCD,
                "subject": _subject(b),
                "whenHandedOver": day,
                "daysSupply": {"value": 30, "unit": "d", "system": UCUM, "code": "d"},
                "dosageInstruction": [
                    {
                        "timing": {"repeat": {"frequency": 1, "period": 1, "periodUnit": "d"}},
                        "doseAndRate": [
                            {
                                "doseQuantity": {
                                    "value": 1,
                                    "unit": "tablet",
                                    "system": UCUM,
                                    "code": "{tbl}",
                                }
                            }
                        ],
                    }
                ],
            },
        )


@variation(MED, "sb24-progression-line1-imatinib")
def imatinib_dispense_duplicates_the_statement(b: Json) -> None:
    add(
        b,
        {
            "resourceType": "MedicationDispense",
            "id": "x-dispense",
            "status": "completed",
            "medicationCodeableConcept": IMATINIB_SCD,
            "subject": _subject(b),
            "whenHandedOver": "2026-11-01",
        },
    )


@variation(MED, "sb25-progression-line2-sunitinib")
def earlier_imatinib_by_scd(b: Json) -> None:
    _set_med_code(_id(b, "med1"), IMATINIB_SCD)


@variation(MED, "sb25-progression-line2-sunitinib")
def current_sunitinib_by_brand_display(b: Json) -> None:
    _id(b, "med4")["medicationCodeableConcept"] = _concept(RXNORM_OID, "616289", "Sutent")
    _dose(_id(b, "med4"), 37.5, "mg")


@variation(MED, "sb25-progression-line2-sunitinib")
def current_sunitinib_original_order(b: Json) -> None:
    _id(b, "med4")["intent"] = "original-order"


@variation(MED, "sb26-progression-line3-regorafenib")
def regorafenib_by_ingredient_code_only(b: Json) -> None:
    _set_med_code(_id(b, "med3"), _concept(RXNORM, "1312397"))


@variation(MED, "sb26-progression-line3-regorafenib")
def sunitinib_line_by_product_code(b: Json) -> None:
    _set_med_code(_id(b, "med2"), _concept(RXNORM, "616289"))


@variation(MED, "sb27-progression-line4-ripretinib")
def ripretinib_by_brand_display_in_coding(b: Json) -> None:
    _id(b, "med4")["medicationCodeableConcept"] = {
        "coding": [{"system": "urn:oid:1.2.3.4", "code": "X1", "display": "Qinlock"}]
    }


# =================================================================================================
# (b) units, comparators, odd values
# =================================================================================================
UNITS = "units and comparators"
AMBIGUOUS = "does not say which risk band applies"


def _size_obs(b: Json) -> Json:
    return _id(b, "size1")


def _size_q(b: Json) -> Json:
    obs = _size_obs(b)
    return obs["component"][0]["valueQuantity"] if "component" in obs else obs["valueQuantity"]  # type: ignore[no-any-return]


def _mit_q(b: Json) -> Json:
    return _id(b, "mitoses1")["valueQuantity"]  # type: ignore[no-any-return]


def _set_size(b: Json, value: float, code: str = "cm", unit: str | None = None) -> None:
    q = _size_q(b)
    q.update({"value": value, "code": code, "unit": unit or code})


HIGH = "sb10-resected-high-risk-kit11"


@variation(UNITS, HIGH)
def size_6cm_as_60mm(b: Json) -> None:
    _set_size(b, 60, "mm")


@variation(UNITS, HIGH)
def size_unit_text_centimeters(b: Json) -> None:
    _set_size(b, 6.0, "cm", "centimeters")


@variation(UNITS, HIGH)
def size_unit_text_only_mm(b: Json) -> None:
    q = _size_q(b)
    q.clear()
    q.update({"value": 60, "unit": "mm"})


@variation(UNITS, HIGH)
def size_as_value_quantity_on_21889_1(b: Json) -> None:
    obs = _size_obs(b)
    obs["valueQuantity"] = obs.pop("component")[0]["valueQuantity"]


@variation(UNITS, HIGH)
def size_as_33728_7_observation(b: Json) -> None:
    obs = _size_obs(b)
    obs["valueQuantity"] = obs.pop("component")[0]["valueQuantity"]
    obs["code"] = _concept(LOINC, "33728-7", "Size.maximum dimension in Tumor")


@variation(
    UNITS,
    HIGH,
    named(
        AMBIGUOUS,
        cards={("data-needed", "P5")},
        why="'>5 cm' spans two bands: adjuvant advice waits for the size",
    ),
)
def size_greater_than_5cm(b: Json) -> None:
    _size_q(b)["value"] = 5
    _size_q(b)["comparator"] = ">"


@variation(UNITS, HIGH, named(AMBIGUOUS, cards={("data-needed", "P5")}))
def size_at_least_6cm(b: Json) -> None:
    _size_q(b)["comparator"] = ">="


@variation(UNITS, HIGH, named(AMBIGUOUS, cards={("data-needed", "P5")}))
def size_greater_than_50mm(b: Json) -> None:
    _set_size(b, 50, "mm")
    _size_q(b)["comparator"] = ">"


@variation(UNITS, HIGH)
def size_greater_than_12cm_is_one_band(b: Json) -> None:
    _size_q(b)["value"] = 12
    _size_q(b)["comparator"] = ">"


@variation(UNITS, HIGH, named("disagree", cards={("data-needed", "P5")}))
def size_code_cm_unit_text_mm(b: Json) -> None:
    _set_size(b, 6.0, "cm", "mm")


@variation(UNITS, HIGH, named("not cm or mm", cards={("data-needed", "P5")}))
def size_in_inches(b: Json) -> None:
    _set_size(b, 2.4, "[in_i]", "in")


@variation(UNITS, HIGH, named(AMBIGUOUS, cards={("data-needed", "P5")}))
def mitoses_greater_than_5(b: Json) -> None:
    _mit_q(b).update({"value": 5, "comparator": ">"})


@variation(UNITS, HIGH, named(AMBIGUOUS, cards={("data-needed", "P5")}))
def mitoses_greater_than_10(b: Json) -> None:
    _mit_q(b).update({"value": 10, "comparator": ">"})


@variation(UNITS, HIGH)
def mitoses_greater_than_12_is_one_band(b: Json) -> None:
    _mit_q(b).update({"value": 12, "comparator": ">"})


@variation(UNITS, HIGH)
def mitoses_as_ratio_per_50_hpf(b: Json) -> None:
    obs = _id(b, "mitoses1")
    obs.pop("valueQuantity")
    obs["valueRatio"] = {
        "numerator": {"value": 6},
        "denominator": {"value": 50, "unit": "HPF", "system": UCUM, "code": "[HPF]"},
    }


@variation(UNITS, HIGH)
def mitoses_as_ratio_per_5_mm2(b: Json) -> None:
    obs = _id(b, "mitoses1")
    obs.pop("valueQuantity")
    obs["valueRatio"] = {
        "numerator": {"value": 6, "unit": "mitoses"},
        "denominator": {"value": 5, "unit": "mm2", "system": UCUM, "code": "mm2"},
    }


@variation(UNITS, HIGH)
def mitoses_per_5_mm2_code(b: Json) -> None:
    _mit_q(b).update({"code": "/5.mm2", "unit": "per 5 mm2"})


@variation(UNITS, HIGH, named("disagree", cards={("data-needed", "P5")}))
def mitoses_code_50hpf_unit_text_10hpf(b: Json) -> None:
    _mit_q(b)["unit"] = "/10 HPF"


@variation(
    UNITS,
    "sb01-small-gastric-surveillance",
    named(AMBIGUOUS, cards={("data-needed", "P5")}, why="'<2 cm' straddles the exactly-2-cm rule"),
)
def small_size_less_than_2cm(b: Json) -> None:
    obs = _id(b, "size2")
    q = obs["component"][0]["valueQuantity"] if "component" in obs else obs["valueQuantity"]
    q.update({"value": 2, "unit": "cm", "code": "cm", "comparator": "<"})


@variation(UNITS, "sb01-small-gastric-surveillance")
def small_size_in_cm_not_mm(b: Json) -> None:
    for rid in ("size1", "size2"):
        obs = _id(b, rid)
        q = obs["component"][0]["valueQuantity"] if "component" in obs else obs["valueQuantity"]
        q.update({"value": 1.4, "unit": "cm", "code": "cm"})


@variation(UNITS, "sb01-small-gastric-surveillance")
def small_size_below_1_5cm_is_one_band(b: Json) -> None:
    obs = _id(b, "size2")
    q = obs["component"][0]["valueQuantity"] if "component" in obs else obs["valueQuantity"]
    q.update({"value": 15, "unit": "mm", "code": "mm", "comparator": "<"})


# =================================================================================================
# (b) whose size
# =================================================================================================
WHOSE = "whose size"


def _newer_size(b: Json, rid: str, cm: float, **extra: Any) -> Json:
    obs = {
        "resourceType": "Observation",
        "id": rid,
        "status": "final",
        "code": _concept(LOINC, "21889-1", "Size Tumor"),
        "subject": _subject(b),
        "effectiveDateTime": "2026-11-15",
        "component": [
            {
                "code": _concept(LOINC, "33728-7"),
                "valueQuantity": {"value": cm, "unit": "cm", "system": UCUM, "code": "cm"},
            }
        ],
        **extra,
    }
    add(b, obs)
    return obs


def _haemangioma(b: Json) -> str:
    add(
        b,
        {
            "resourceType": "Condition",
            "id": "x-haemangioma",
            "code": _concept(SNOMED, "93469006", "Hemangioma of liver"),
            "subject": _subject(b),
        },
    )
    return "Condition/x-haemangioma"


@variation(WHOSE, "sb01-small-gastric-surveillance")
def newer_size_of_a_liver_haemangioma_by_focus(b: Json) -> None:
    _newer_size(b, "x-hsize", 4.0, focus=[{"reference": _haemangioma(b)}])


@variation(WHOSE, "sb01-small-gastric-surveillance")
def newer_size_with_bodysite_lymph_node(b: Json) -> None:
    _newer_size(b, "x-nsize", 3.0, bodySite=_concept(SNOMED, "59441001", "Lymph node"))


@variation(WHOSE, "sb01-small-gastric-surveillance")
def newer_size_with_bodysite_liver(b: Json) -> None:
    _newer_size(b, "x-lsize", 3.0, bodySite=_concept(SNOMED, "10200004", "Liver"))


@variation(WHOSE, "sb01-small-gastric-surveillance")
def newer_size_with_bodysite_colon(b: Json) -> None:
    _newer_size(b, "x-csize", 3.0, bodySite=_concept(SNOMED, "71854001", "Colon"))


@variation(WHOSE, HIGH)
def newer_pathology_size_of_the_gist_by_focus(b: Json) -> None:
    size = _newer_size(b, "x-gsize", 7.0, focus=[{"reference": _gist_ref(b)}])
    size["specimen"] = {"reference": "Specimen/x"}


@variation(WHOSE, HIGH)
def newer_size_with_bodysite_stomach(b: Json) -> None:
    size = _newer_size(b, "x-ssize", 7.0, bodySite=_concept(SNOMED, "69695003", "Stomach"))
    size["specimen"] = {"reference": "Specimen/x"}


@variation(WHOSE, HIGH)
def newer_small_size_of_another_lesion(b: Json) -> None:
    size = _newer_size(b, "x-osize", 1.0, focus=[{"reference": _haemangioma(b)}])
    size["specimen"] = {"reference": "Specimen/x"}


# =================================================================================================
# (b) result status, duplicates, amendments
# =================================================================================================
STATUS = "statuses and amendments"


def _copy(b: Json, suffix: str, rid: str, **changes: Any) -> Json:
    import copy

    twin = copy.deepcopy(_id(b, suffix))
    twin["id"] = rid
    twin.update(changes)
    add(b, twin)
    return twin


@variation(STATUS, HIGH, same("preliminary result used"))
def size_preliminary(b: Json) -> None:
    _size_obs(b)["status"] = "preliminary"


@variation(STATUS, HIGH)
def size_amended(b: Json) -> None:
    _size_obs(b)["status"] = "amended"


@variation(STATUS, HIGH)
def mitoses_corrected(b: Json) -> None:
    _id(b, "mitoses1")["status"] = "corrected"


@variation(STATUS, HIGH)
def final_size_supersedes_same_day_preliminary(b: Json) -> None:
    prelim = _copy(b, "size1", "x-prelim", status="preliminary")
    prelim["component"][0]["valueQuantity"]["value"] = 4.0


@variation(STATUS, HIGH)
def amended_size_same_day_wins_without_conflict(b: Json) -> None:
    amended = _copy(b, "size1", "x-amended", status="amended")
    amended["component"][0]["valueQuantity"]["value"] = 7.5


@variation(STATUS, HIGH)
def corrected_mitoses_same_day_wins(b: Json) -> None:
    corrected = _copy(b, "mitoses1", "x-corrected", status="corrected")
    corrected["valueQuantity"]["value"] = 8


@variation(STATUS, HIGH)
def later_issued_size_same_day_wins(b: Json) -> None:
    _size_obs(b)["component"][0]["valueQuantity"]["value"] = 3.0
    later = _copy(b, "size1", "x-later", issued="2026-11-16T08:00:00+01:00")
    later["component"][0]["valueQuantity"]["value"] = 6.0


@variation(STATUS, HIGH)
def registered_newer_size_is_not_a_result(b: Json) -> None:
    reg = _copy(b, "size1", "x-registered", status="registered", effectiveDateTime="2026-11-10")
    reg["component"][0]["valueQuantity"]["value"] = 1.0


@variation(STATUS, HIGH)
def cancelled_newer_mitoses(b: Json) -> None:
    cancelled = _copy(
        b, "mitoses1", "x-cancelled", status="cancelled", effectiveDateTime="2026-11-10"
    )
    cancelled["valueQuantity"]["value"] = 0


@variation(STATUS, HIGH)
def entered_in_error_newer_size(b: Json) -> None:
    wrong = _copy(b, "size1", "x-eie", status="entered-in-error", effectiveDateTime="2026-11-10")
    wrong["component"][0]["valueQuantity"]["value"] = 1.0


@variation(STATUS, HIGH)
def exact_duplicate_size_resource(b: Json) -> None:
    _copy(b, "size1", "x-duplicate")


@variation(
    STATUS,
    HIGH,
    named(
        "sources dated",
        cards={("data-needed", "P5")},
        why="two finals on one day disagree and no issued orders them: a conflict, reported",
    ),
)
def same_day_final_sizes_disagree_without_issued(b: Json) -> None:
    _size_obs(b).pop("issued", None)
    other = _copy(b, "size1", "x-other")
    other["component"][0]["valueQuantity"]["value"] = 1.5


# =================================================================================================
# (c) codes and references
# =================================================================================================
CODES = "codes and references"


def _icd(b: Json, suffix: str, new_code: str | None = None, system: str | None = None) -> None:
    for coding in _id(b, suffix)["code"]["coding"]:
        if coding.get("system") == ICD10:
            if new_code is not None:
                coding["code"] = new_code
            if system is not None:
                coding["system"] = system


@variation(CODES, "sb08-resected-low-risk")
def icd10_dotless_on_gist(b: Json) -> None:
    _icd(b, "gist1", "C49A2")


@variation(CODES, "sb08-resected-low-risk")
def icd10_oid_system_on_gist(b: Json) -> None:
    _icd(b, "gist1", system=ICD10_OID)


@variation(CODES, "sb08-resected-low-risk")
def icd10_dotless_lower_case_with_oid(b: Json) -> None:
    _icd(b, "gist1", "c49a2", ICD10_OID)


@variation(CODES, "sb19-metastatic-naive-kit-exon9")
def icd10_dotless_gist_and_metastasis(b: Json) -> None:
    _icd(b, "gist1", "C49A3")
    _icd(b, "met1", "C786")


@variation(CODES, "sb27-progression-line4-ripretinib")
def icd10_dotless_five_character_metastasis(b: Json) -> None:
    _icd(b, "met2", "C7800", ICD10_OID)


@variation(CODES, HIGH)
def hgnc_gene_id_system(b: Json) -> None:
    for component in _id(b, "variant1")["component"]:
        for coding in component.get("valueCodeableConcept", {}).get("coding", []):
            if coding.get("system") == "http://www.genenames.org":
                coding["system"] = "http://www.genenames.org/geneId"


@variation(CODES, "sb24-progression-line1-imatinib")
def subjects_as_absolute_urls(b: Json) -> None:
    for r in resources(b):
        if "subject" in r:
            r["subject"]["reference"] = "https://ehr.example.org/fhir/" + r["subject"]["reference"]


@variation(CODES, "sb24-progression-line1-imatinib")
def subjects_versioned(b: Json) -> None:
    for r in resources(b):
        if "subject" in r:
            r["subject"]["reference"] += "/_history/3"


@variation(CODES, HIGH)
def procedure_reason_reference_absolute(b: Json) -> None:
    proc = _id(b, "proc1")
    proc["reasonReference"][0]["reference"] = "https://ehr.example.org/fhir/" + _gist_ref(b)


@variation(CODES, "sb24-progression-line1-imatinib")
def related_primary_reference_absolute(b: Json) -> None:
    ext = _id(b, "met1")["extension"][0]
    ext["valueReference"]["reference"] = "https://ehr.example.org/fhir/" + _gist_ref(b)


# =================================================================================================
# (c) ownership
# =================================================================================================
OWNER = "ownership"
NO_REF = "identifier or display only"


@variation(
    OWNER,
    HIGH,
    named(
        NO_REF,
        cards={("data-needed", "P5")},
        why="the mitotic count cannot be tied to the patient: not used, named",
    ),
)
def mitoses_subject_identifier_only(b: Json) -> None:
    _id(b, "mitoses1")["subject"] = {"identifier": {"system": "urn:mrn", "value": "12345"}}


@variation(OWNER, "sb18-metastatic-naive-kit11", named(NO_REF))
def one_metastasis_subject_display_only(b: Json) -> None:
    _id(b, "met1")["subject"] = {"display": "Jane Doe"}


@variation(
    OWNER,
    "sb24-progression-line1-imatinib",
    named(
        NO_REF,
        cards={("first-line-tki", "G1"), ("data-needed", "P5")},
        why="the imatinib record is not this patient's as far as we can tell: named",
    ),
)
def medication_subject_identifier_only(b: Json) -> None:
    _id(b, "med1")["subject"] = {"identifier": {"value": "MRN-1"}, "display": "Patient"}


@variation(OWNER, "sb18-metastatic-naive-kit11", named("is not a patient of this record"))
def metastasis_subject_is_a_group(b: Json) -> None:
    _id(b, "met2")["subject"] = {"reference": "Group/cohort-7"}


@variation(OWNER, "sb18-metastatic-naive-kit11", named("recorded for another patient"))
def metastasis_of_another_patient(b: Json) -> None:
    _id(b, "met2")["subject"] = {"reference": "Patient/someone-else"}


# =================================================================================================
# (c) emergencies are current
# =================================================================================================
EMERG = "emergencies"
PERF = "sb34-emergency-perforation"
#: Without a current emergency this localized small-bowel GIST gets the elective surgery card and
#: a data request (resectability not recorded).
ELECTIVE = {("surgery", "C1"), ("data-needed", "P5")}


def _emerg(b: Json) -> Json:
    return _id(b, "emerg1")


def _days_ago(days: int) -> str:
    import datetime as dt

    return (dt.date.today() - dt.timedelta(days=days)).isoformat()


@variation(EMERG, PERF, changed(ELECTIVE, "a 2021 perforation is history: elective advice"))
def perforation_from_2021_still_active(b: Json) -> None:
    _emerg(b).update({"onsetDateTime": "2021-03-02", "recordedDate": "2021-03-02"})


@variation(
    EMERG,
    PERF,
    changed(ELECTIVE, "absent clinicalStatus does not make an old one current"),
)
def perforation_from_2021_without_clinical_status(b: Json) -> None:
    _emerg(b).update({"onsetDateTime": "2021-03-02", "recordedDate": "2021-03-02"})
    _emerg(b).pop("clinicalStatus")


@variation(EMERG, PERF, changed(ELECTIVE, "40 days ago is outside the 30-day window"))
def perforation_40_days_ago(b: Json) -> None:
    _emerg(b).update({"onsetDateTime": _days_ago(40), "recordedDate": _days_ago(40)})


@variation(EMERG, PERF)
def perforation_20_days_ago(b: Json) -> None:
    _emerg(b).update({"onsetDateTime": _days_ago(20), "recordedDate": _days_ago(20)})


@variation(EMERG, PERF)
def perforation_old_onset_recorded_this_week(b: Json) -> None:
    _emerg(b).update({"onsetDateTime": "2021-03-02", "recordedDate": _days_ago(3)})


@variation(EMERG, PERF, changed(ELECTIVE, "abated: not current"))
def perforation_abated(b: Json) -> None:
    _emerg(b)["abatementDateTime"] = _days_ago(2)


@variation(
    EMERG,
    PERF,
    named(
        "whether it is current is unknown",
        cards=ELECTIVE,
        why="an undated perforation is named, not raised as current",
    ),
)
def perforation_undated(b: Json) -> None:
    _emerg(b).pop("onsetDateTime")
    _emerg(b).pop("recordedDate")


@variation(EMERG, PERF)
def perforation_onset_in_utc(b: Json) -> None:
    day = _emerg(b)["onsetDateTime"][:10]
    _emerg(b)["onsetDateTime"] = day + "T04:40:00Z"


@variation(EMERG, "sb18-metastatic-naive-kit11")
def old_gi_bleed_from_2020(b: Json) -> None:
    add(
        b,
        {
            "resourceType": "Condition",
            "id": "x-old-bleed",
            "clinicalStatus": _concept(
                "http://terminology.hl7.org/CodeSystem/condition-clinical", "active"
            ),
            "code": _concept(SNOMED, "74474003", "Gastrointestinal hemorrhage"),
            "subject": _subject(b),
            "onsetDateTime": "2020-05-01",
        },
    )


# =================================================================================================
# (c) metastases and other cancers
# =================================================================================================
METS = "metastases and other cancers"


def _metastasis(
    b: Json,
    rid: str,
    verification: str = "confirmed",
    related: str | None = None,
    code: Json | None = None,
) -> Json:
    met: Json = {
        "resourceType": "Condition",
        "id": rid,
        "clinicalStatus": _concept(
            "http://terminology.hl7.org/CodeSystem/condition-clinical", "active"
        ),
        "verificationStatus": _concept(
            "http://terminology.hl7.org/CodeSystem/condition-ver-status", verification
        ),
        "code": code or _concept(SNOMED, "94381002", "Secondary malignant neoplasm of liver"),
        "subject": _subject(b),
        "onsetDateTime": _days_ago(5),
    }
    if related is not None:
        met["extension"] = [
            {
                "url": "http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-related-primary-cancer-condition",
                "valueReference": {"reference": related},
            }
        ]
    add(b, met)
    return met


def _breast_cancer(b: Json) -> str:
    add(
        b,
        {
            "resourceType": "Condition",
            "id": "x-breast",
            "clinicalStatus": _concept(
                "http://terminology.hl7.org/CodeSystem/condition-clinical", "active"
            ),
            "code": _concept(ICD10, "C50.911", "Malignant neoplasm of right female breast"),
            "subject": _subject(b),
            "onsetDateTime": "2019-02-01",
        },
    )
    return "Condition/x-breast"


@variation(METS, HIGH, named("another primary cancer"))
def bone_metastasis_of_a_breast_cancer(b: Json) -> None:
    _metastasis(b, "x-bone", related=_breast_cancer(b), code=_concept(ICD10, "C79.51"))


@variation(METS, HIGH, named("another primary cancer"))
def breast_cancer_on_the_record(b: Json) -> None:
    _breast_cancer(b)


@variation(METS, HIGH, named("not to the gist"))
def metastasis_linked_to_an_unknown_condition(b: Json) -> None:
    _metastasis(b, "x-linked", related="Condition/not-sent")


@variation(METS, HIGH, named("possible metastasis"))
def provisional_liver_metastasis(b: Json) -> None:
    _metastasis(b, "x-prov", "provisional")


@variation(METS, HIGH, named("possible metastasis"))
def unconfirmed_liver_metastasis(b: Json) -> None:
    _metastasis(b, "x-unconf", "unconfirmed")


@variation(METS, HIGH, named("possible metastasis"))
def differential_peritoneal_metastasis(b: Json) -> None:
    _metastasis(b, "x-diff", "differential", code=_concept(ICD10, "C78.6"))


@variation(METS, HIGH)
def refuted_liver_metastasis(b: Json) -> None:
    _metastasis(b, "x-refuted", "refuted")


@variation(METS, HIGH)
def entered_in_error_liver_metastasis(b: Json) -> None:
    _metastasis(b, "x-eie", "entered-in-error")


@variation(METS, "sb18-metastatic-naive-kit11")
def metastasis_without_related_primary_extension(b: Json) -> None:
    _id(b, "met1").pop("extension")


@variation(
    METS,
    "sb18-metastatic-naive-kit11",
    named(
        "differential",
        cards={("data-needed", "P5")},
        why="GIST only a differential diagnosis: no GIST card, the record is named",
    ),
)
def gist_only_a_differential_diagnosis(b: Json) -> None:
    _id(b, "gist1")["verificationStatus"] = _concept(
        "http://terminology.hl7.org/CodeSystem/condition-ver-status", "differential"
    )


# =================================================================================================
# (c) genomic variants
# =================================================================================================
GENES = "genomics"


def _variant(
    b: Json,
    rid: str,
    gene: tuple[str, str],
    hgvs: str | None,
    significance: tuple[str, str] | None = None,
    present: bool = True,
) -> Json:
    components: list[Json] = [
        {
            "code": _concept(LOINC, "48018-6"),
            "valueCodeableConcept": _concept("http://www.genenames.org", gene[0], gene[1]),
        }
    ]
    if hgvs:
        components.append(
            {"code": _concept(LOINC, "48005-3"), "valueCodeableConcept": {"text": hgvs}}
        )
    if significance:
        components.append(
            {
                "code": _concept(LOINC, "53037-8"),
                "valueCodeableConcept": _concept(LOINC, *significance),
            }
        )
    obs: Json = {
        "resourceType": "Observation",
        "id": rid,
        "status": "final",
        "code": _concept(LOINC, "69548-6"),
        "subject": _subject(b),
        "effectiveDateTime": _days_ago(20),
        "valueCodeableConcept": _concept(LOINC, "LA9633-4" if present else "LA9634-2"),
        "component": components,
    }
    add(b, obs)
    return obs


PDGFRA = ("HGNC:8803", "PDGFRA")
KIT = ("HGNC:6342", "KIT")
SDH = "sb14-resected-sdh-deficient"


def _significance(obs: Json, code: str, display: str) -> None:
    obs["component"].append(
        {"code": _concept(LOINC, "53037-8"), "valueCodeableConcept": _concept(LOINC, code, display)}
    )


@variation(GENES, SDH)
def benign_pdgfra_variant_beside_sdh_deficiency(b: Json) -> None:
    _variant(b, "x-benign", PDGFRA, "p.Val824Ile", ("LA6675-8", "Benign"))


@variation(GENES, SDH)
def likely_benign_kit_variant_beside_sdh_deficiency(b: Json) -> None:
    _variant(b, "x-lbenign", KIT, "p.Met541Leu", ("LA26334-5", "Likely benign"))


@variation(GENES, SDH)
def synonymous_pdgfra_variant_equals_sign(b: Json) -> None:
    _variant(b, "x-syn", PDGFRA, "p.Val824=")


@variation(GENES, SDH)
def synonymous_pdgfra_variant_same_letter(b: Json) -> None:
    _variant(b, "x-syn2", PDGFRA, "p.V824V")


@variation(GENES, SDH, named("uncertain significance"))
def vus_in_kit_beside_sdh_deficiency(b: Json) -> None:
    _variant(b, "x-vus", KIT, "p.Leu576Pro", ("LA26333-7", "Uncertain significance"))


@variation(GENES, HIGH)
def kit_exon11_marked_pathogenic(b: Json) -> None:
    _significance(_id(b, "variant1"), "LA6668-3", "Pathogenic")


@variation(GENES, HIGH)
def kit_exon11_marked_likely_pathogenic(b: Json) -> None:
    _significance(_id(b, "variant1"), "LA26332-9", "Likely pathogenic")


@variation(
    GENES,
    HIGH,
    named(
        "uncertain significance",
        cards={("mutation-testing", "F4"), ("adjuvant-tki", "F1"), ("data-needed", "P5")},
        why="the only variant is a VUS: genotype unknown, testing asked for, the VUS named",
    ),
)
def kit_exon11_marked_vus(b: Json) -> None:
    _significance(_id(b, "variant1"), "LA26333-7", "Uncertain significance")


@variation(GENES, HIGH)
def kit_exon_from_loinc_47999_8_without_protein(b: Json) -> None:
    obs = _id(b, "variant1")
    obs["component"] = [c for c in obs["component"] if c["code"]["coding"][0]["code"] != "48005-3"]
    obs["component"].append({"code": _concept(LOINC, "47999-8"), "valueString": "Exon 11"})


@variation(GENES, "sb12-resected-high-risk-d842v")
def d842v_marked_pathogenic_by_text(b: Json) -> None:
    _id(b, "variant1")["component"].append(
        {"code": _concept(LOINC, "53037-8"), "valueCodeableConcept": {"text": "Pathogenic"}}
    )


@variation(GENES, "sb20-metastatic-naive-d842v", named("uncertain significance"))
def vus_in_kit_beside_d842v(b: Json) -> None:
    _variant(b, "x-vus", KIT, "p.Leu576Pro", ("LA26333-7", "Uncertain significance"))


# =================================================================================================
# (d) procedures: what is a resection
# =================================================================================================
PROC = "procedures"
LOCALIZED = "sb05-gastric-resectable-kit11"
RESECTION_UNKNOWN = "no resection procedure was found"


def _recode(b: Json, concept: Json, keep_reason: bool = True) -> Json:
    proc = _id(b, "proc1")
    proc["code"] = concept
    if not keep_reason:
        proc.pop("reasonReference", None)
    return proc


def _procedure(b: Json, rid: str, concept: Json, status: str = "completed") -> Json:
    proc: Json = {
        "resourceType": "Procedure",
        "id": rid,
        "status": status,
        "category": _concept(SNOMED, "387713003", "Surgical procedure"),
        "code": concept,
        "subject": _subject(b),
        "performedDateTime": _days_ago(10),
        "reasonReference": [{"reference": _gist_ref(b)}],
    }
    add(b, proc)
    return proc


@variation(PROC, HIGH)
def resection_by_cpt_partial_gastrectomy(b: Json) -> None:
    _recode(b, _concept(CPT, "43631", "Gastrectomy, partial, distal; with gastroduodenostomy"))


@variation(PROC, HIGH)
def resection_by_cpt_linked_by_organ_only(b: Json) -> None:
    _recode(b, _concept(CPT, "43632"), keep_reason=False)


@variation(PROC, HIGH)
def resection_by_icd10_pcs_excision_of_stomach(b: Json) -> None:
    _recode(b, _concept(PCS, "0DB60ZZ"))


@variation(PROC, HIGH)
def resection_by_icd10_pcs_oid(b: Json) -> None:
    _recode(b, _concept("urn:oid:2.16.840.1.113883.6.4", "0DT60ZZ"), keep_reason=False)


@variation(PROC, HIGH)
def resection_by_snomed_excision_with_reason_code(b: Json) -> None:
    proc = _recode(b, _concept(SNOMED, "370612006", "Excision of neoplasm"), keep_reason=False)
    proc["reasonCode"] = [_concept(ICD10, "C49A2")]


@variation(PROC, HIGH)
def resection_text_only_surgical_category_with_reason(b: Json) -> None:
    proc = _recode(b, {"text": "Laparoscopic wedge resection of stomach"})
    proc["category"] = _concept(SNOMED, "387713003", "Surgical procedure")


@variation(
    PROC,
    HIGH,
    named(
        RESECTION_UNKNOWN,
        cards={("data-needed", "P6")},
        why="margin and specimen say resected, no Procedure: resection status unknown (P6)",
    ),
)
def resection_procedure_missing_but_margin_recorded(b: Json) -> None:
    remove(b, lambda r: r["resourceType"] == "Procedure")


@variation(PROC, HIGH, named(RESECTION_UNKNOWN, cards={("data-needed", "P6")}))
def resection_procedure_in_progress(b: Json) -> None:
    _id(b, "proc1")["status"] = "in-progress"


@variation(
    PROC,
    HIGH,
    named(
        "not linked to the gist",
        cards={("data-needed", "P6")},
        why="a colectomy for a gastric GIST with no reason: not tied to the GIST, P6",
    ),
)
def colectomy_not_linked_to_a_gastric_gist(b: Json) -> None:
    _recode(b, _concept(CPT, "44140", "Colectomy, partial"), keep_reason=False)


@variation(
    PROC,
    HIGH,
    named(
        RESECTION_UNKNOWN,
        cards={("data-needed", "P6")},
        why="an EUS biopsy is never the resection; the margin still says resected",
    ),
)
def resection_replaced_by_eus_biopsy(b: Json) -> None:
    proc = _recode(b, _concept(CPT, "43238", "EGD with EUS-guided FNA"))
    proc["category"] = _concept(SNOMED, "387713003")


@variation(PROC, LOCALIZED)
def eus_biopsy_with_surgical_category_and_gist_reason(b: Json) -> None:
    _procedure(b, "x-eus", _concept(CPT, "43242", "EGD with EUS-guided FNA/biopsy"))


@variation(PROC, LOCALIZED)
def port_placement_with_surgical_category(b: Json) -> None:
    _procedure(b, "x-port", _concept(CPT, "36561", "Insertion of tunneled venous access port"))


@variation(PROC, LOCALIZED)
def port_placement_text_only(b: Json) -> None:
    _procedure(b, "x-port2", {"text": "Port placement, right chest"})


@variation(PROC, LOCALIZED)
def diagnostic_egd_text_only(b: Json) -> None:
    _procedure(b, "x-egd", {"text": "Diagnostic EGD with biopsy"})


@variation(PROC, LOCALIZED)
def pcs_diagnostic_excision_is_a_biopsy(b: Json) -> None:
    _procedure(b, "x-pcs-bx", _concept(PCS, "0DB68ZX"))


@variation(PROC, LOCALIZED)
def snomed_biopsy_with_surgical_category(b: Json) -> None:
    _procedure(b, "x-bx", _concept(SNOMED, "86273004", "Biopsy"))


@variation(PROC, LOCALIZED)
def planned_gastrectomy_not_done(b: Json) -> None:
    _procedure(b, "x-planned", _concept(CPT, "43631"), status="not-done")


@variation(PROC, LOCALIZED)
def gastrectomy_in_preparation(b: Json) -> None:
    _procedure(b, "x-prep", _concept(CPT, "43631"), status="preparation")


# =================================================================================================
# (d) partial dates and time zones
# =================================================================================================
DATES = "dates"
RECUR = "sb33-recurrence-after-resection"


def _resection_day(b: Json) -> str:
    return str(_id(b, "proc1")["performedDateTime"][:10])


@variation(DATES, RECUR, named("straddles the resection date"))
def adjuvant_start_given_as_resection_month(b: Json) -> None:
    _id(b, "med1")["effectivePeriod"]["start"] = _resection_day(b)[:7]


@variation(DATES, RECUR, named("straddles the resection date"))
def adjuvant_start_given_as_resection_year(b: Json) -> None:
    _id(b, "med1")["effectivePeriod"]["start"] = _resection_day(b)[:4]


@variation(DATES, RECUR)
def adjuvant_start_given_as_following_month(b: Json) -> None:
    import datetime as dt

    day = dt.date.fromisoformat(_resection_day(b))
    nxt = (day.replace(day=1) + dt.timedelta(days=32)).strftime("%Y-%m")
    _id(b, "med1")["effectivePeriod"]["start"] = nxt


@variation(DATES, RECUR)
def adjuvant_start_earlier_date_but_later_instant(b: Json) -> None:
    import datetime as dt

    day = dt.date.fromisoformat(_resection_day(b))
    _id(b, "proc1")["performedDateTime"] = f"{day}T01:00:00+14:00"
    _id(b, "med1")["effectivePeriod"]["start"] = f"{day - dt.timedelta(days=1)}T20:00:00-05:00"


@variation(DATES, RECUR)
def all_times_in_utc(b: Json) -> None:
    proc = _id(b, "proc1")
    proc["performedDateTime"] = proc["performedDateTime"][:10] + "T15:00:00Z"


@variation(DATES, HIGH)
def observation_dates_without_time(b: Json) -> None:
    for r in resources(b, "Observation"):
        if "effectiveDateTime" in r:
            r["effectiveDateTime"] = r["effectiveDateTime"][:10]
            r.pop("issued", None)


@variation(DATES, HIGH)
def observation_dates_as_effective_period(b: Json) -> None:
    for r in resources(b, "Observation"):
        if "effectiveDateTime" in r:
            r["effectivePeriod"] = {"start": r.pop("effectiveDateTime")}


@variation(
    DATES,
    RECUR,
    named(
        "whether it is a recurrence",
        cards={("data-needed", "P5")},
        why="recurrence or metastatic at surgery is unknown: named, no TKI card guessed",
    ),
)
def metastasis_dated_by_the_resection_month(b: Json) -> None:
    _id(b, "met1")["onsetDateTime"] = _resection_day(b)[:7]
    _id(b, "met1").pop("recordedDate", None)
