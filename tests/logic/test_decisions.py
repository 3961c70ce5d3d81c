"""Key decisions and edge cases: missing data, sequencing, precedence, provisional cards."""

from __future__ import annotations

import dataclasses
import datetime as dt

from logic.case import (
    Certainty,
    DiseaseState,
    Drug,
    EmergencyKind,
    EusFeature,
    Fact,
    Genotype,
    GistCase,
    Margin,
    MetastaticSite,
    MitoticCount,
    Provenance,
    Resectability,
    ResponseStatus,
    Site,
    StopReason,
    TherapySetting,
    TherapyStatus,
    UnreadableInput,
)
from logic.engine import evaluate
from logic.recommendation import Category, Indicator, NihRisk
from logic.rules.common import emit
from tests.logic.conftest import DAY0, course, finding, ids, make_case, only
from tests.logic.scenarios import IMA400_PROG, SUN_PROG, advanced, neo, resected

KIT11 = Genotype.KIT_EXON_11
D = dt.date


def test_no_gist_and_deceased_give_no_cards() -> None:
    assert evaluate(make_case(has_gist=False, site=Site.STOMACH, size=6)) == []
    assert evaluate(resected(size=6, mitoses=6, deceased=True)) == []


def test_unreadable_conditions_without_diagnosis_give_a_data_request() -> None:
    case = dataclasses.replace(
        make_case(has_gist=False),
        unreadable=(UnreadableInput("Condition", None, "FHIR server unavailable"),),
    )
    (card,) = evaluate(case)
    assert card.rule_id == "P5"
    assert card.category is Category.DATA_NEEDED
    assert card.summary == "GIST decision support incomplete: conditions could not be read"
    assert card.missing_data[0].fact == "unreadableRecord"
    assert card.missing_data[0].reason == "Condition: FHIR server unavailable"


def test_unreadable_other_input_is_listed_for_a_gist_patient() -> None:
    case = dataclasses.replace(
        resected(),
        unreadable=(UnreadableInput("Observation", "o9", "unit mg is not a size unit"),),
    )
    card = only(evaluate(case), "P5")
    assert [(m.fact, m.reason) for m in card.missing_data] == [
        ("unreadableRecord", "Observation/o9: unit mg is not a size unit")
    ]
    assert "F7" in ids(evaluate(case))


def test_over_10_cm_is_high_risk_without_mitotic_count() -> None:
    recs = evaluate(resected(size=11.0, mitoses=None))
    card = only(recs, "F1")
    assert card.risk is not None
    assert card.risk.nih_modified is NihRisk.HIGH
    assert card.risk.afip is None
    assert "P5" not in ids(recs)


def test_missing_mitoses_below_10_cm_is_a_data_request_only() -> None:
    recs = evaluate(resected(size=4.0, mitoses=None))
    assert ids(recs) == ["P5"]
    assert recs[0].missing_data[0].fact == "mitoticCount"


def test_unknown_rupture_blocks_a_low_risk_answer() -> None:
    recs = evaluate(resected(rupture=None))
    assert ids(recs) == ["P5"]
    assert {m.fact for m in recs[0].missing_data} == {"rupture"}


def test_mitotic_count_on_another_denominator_needs_pathology_review() -> None:
    case = dataclasses.replace(
        resected(size=4.0),
        mitotic_count=Fact.known(MitoticCount(3, comparable=False, raw_unit="10 HPF")),
    )
    (card,) = evaluate(case)
    assert card.rule_id == "P5"
    assert "pathology review" in card.missing_data[0].reason


def test_conflicting_genotype_is_reported_and_treated_as_unknown() -> None:
    source = Provenance("Observation", "g1", DAY0)
    case = dataclasses.replace(
        resected(size=6.0, mitoses=6),
        genotype=Fact.conflicting((KIT11, Genotype.PDGFRA_D842V), (source,), "two reports"),
    )
    recs = evaluate(case)
    assert {"F4", "F1", "P5"} <= set(ids(recs))
    assert "conflicting" in only(recs, "P5").missing_data[0].reason


def test_unknown_site_matters_only_where_the_columns_differ() -> None:
    # 7 cm with 3 mitoses: gastric intermediate, non-gastric high -> site is needed
    assert ids(evaluate(resected(site=None, size=7.0, mitoses=3))) == ["P5"]
    # 1 cm with 2 mitoses is very low at every site
    assert ids(evaluate(resected(site=None, size=1.0, mitoses=2))) == ["F7"]


def test_resectability_unknown_gives_provisional_surgery_and_a_request() -> None:
    recs = evaluate(make_case(site=Site.STOMACH, size=4.5, genotype=KIT11))
    card = only(recs, "C1")
    assert [m.fact for m in card.missing_data] == ["resectability"]
    assert [m.fact for m in only(recs, "P5").missing_data] == ["resectability"]


def test_partial_eus_assessment_is_not_surveillance() -> None:
    case = make_case(
        site=Site.STOMACH, size=1.5, eus_present=(), eus_assessed={EusFeature.ULCERATION}
    )
    recs = evaluate(case)
    assert ids(recs) == ["P5"]
    assert recs[0].missing_data[0].fact == "eusFeatures"


def test_exactly_2_cm_gastric_favours_surgery_with_surveillance_note() -> None:
    card = only(evaluate(make_case(site=Site.STOMACH, size=2.0)), "B7")
    assert any("Surveillance is acceptable" in n for n in card.notes)


def test_r2_goes_to_the_systemic_pathway_with_the_c5_note() -> None:
    recs = evaluate(resected(margin=Margin.R2))
    card = only(recs, "G1")
    assert (card.category, card.line) == (Category.FIRST_LINE_TKI, 1)
    assert any("(C5)" in n for n in card.notes)
    assert not {"F7", "F1"} & set(ids(recs))


def test_unresectable_d842v_localized_gets_avapritinib() -> None:
    recs = evaluate(neo(genotype=Genotype.PDGFRA_D842V, resectability=Resectability.UNRESECTABLE))
    assert only(recs, "G3").regimens[0].drug == "avapritinib"


def test_intolerance_after_escalation_counts_lines_once() -> None:
    escalated = course(Drug.IMATINIB, 800, start=D(2024, 6, 2), stop=StopReason.INTOLERANCE)
    card = only(evaluate(advanced(IMA400_PROG, escalated)), "G8")
    assert card.line == 2


def test_d842v_ladder_goes_dasatinib_then_ripretinib_then_trial() -> None:
    ava = course(Drug.AVAPRITINIB, 300, stop=StopReason.PROGRESSION)
    das = course(Drug.DASATINIB, 140, line=2, stop=StopReason.PROGRESSION)
    rip = course(Drug.RIPRETINIB, 150, line=3, stop=StopReason.PROGRESSION)
    d842v = Genotype.PDGFRA_D842V
    assert only(evaluate(advanced(ava, genotype=d842v)), "G14").regimens[0].drug == "dasatinib"
    third = only(evaluate(advanced(ava, das, genotype=d842v)), "G14")
    assert (third.regimens[0].drug, third.line) == ("ripretinib", 3)
    recs = evaluate(advanced(ava, das, rip, genotype=d842v))
    assert only(recs, "G15").category is Category.CLINICAL_TRIAL


def test_imatinib_given_to_d842v_is_followed_by_avapritinib() -> None:
    recs = evaluate(advanced(IMA400_PROG, genotype=Genotype.PDGFRA_D842V))
    card = only(recs, "G3")
    assert (card.category, card.line) == (Category.NEXT_LINE_TKI, 2)


def test_avapritinib_after_three_standard_lines_is_continued() -> None:
    rego = course(Drug.REGORAFENIB, 160, line=3, stop=StopReason.PROGRESSION)
    ava = course(Drug.AVAPRITINIB, 300, line=4, start=D(2026, 1, 1))
    recs = evaluate(advanced(IMA400_PROG, SUN_PROG, rego, ava, response=ResponseStatus.STABLE))
    card = only(recs, "G13")
    assert card.category is Category.CONTINUE_CURRENT_THERAPY


def test_unknown_imatinib_dose_offers_both_options_and_names_the_dose() -> None:
    recs = evaluate(advanced(course(Drug.IMATINIB, None, stop=StopReason.PROGRESSION)))
    card = only(recs, "G7")
    assert "imatinibDose" in [m.fact for m in card.missing_data]


def test_response_before_the_current_line_does_not_count() -> None:
    case = advanced(
        course(Drug.IMATINIB, 400, start=D(2026, 1, 1)),
        response=ResponseStatus.WORSENED,
        response_date=D(2025, 12, 1),
    )
    recs = evaluate(case)
    card = only(recs, "G1")
    assert card.category is Category.CONTINUE_CURRENT_THERAPY
    assert [m.fact for m in card.missing_data] == ["response"]


def test_recurrence_during_adjuvant_imatinib_is_treated_as_imatinib_failure() -> None:
    adjuvant = course(Drug.IMATINIB, 400, setting=TherapySetting.ADJUVANT, start=D(2025, 1, 1))
    recs = evaluate(advanced(adjuvant, state=DiseaseState.RECURRENT))
    # Knowledge base 2026.2 G18: the adjuvant course counts as line 1, so this is line 2 (G18).
    card = only(recs, "G18")
    assert [r.drug for r in card.regimens] == ["imatinib", "sunitinib", "sunitinib"]
    assert card.line == 2
    assert "G16" not in ids(recs)


def test_possible_emergency_is_a_warning_and_keeps_elective_cards() -> None:
    case = make_case(
        site=Site.STOMACH,
        size=4.5,
        resectability=Resectability.RESECTABLE,
        emergencies=[finding(EmergencyKind.PERFORATION, Certainty.POSSIBLE)],
    )
    recs = evaluate(case)
    assert only(recs, "I2").indicator is Indicator.WARNING
    assert "C1" in ids(recs)


def test_definite_emergency_withholds_metastasectomy_but_not_tki() -> None:
    case = advanced(
        course(Drug.IMATINIB, 400, start=D(2025, 4, 1)),
        response=ResponseStatus.IMPROVED,
        resectability=Resectability.RESECTABLE,
        emergencies=[finding(EmergencyKind.PERFORATION)],
    )
    recs = evaluate(case)
    assert ids(recs)[0] == "I2"
    assert "G1" in ids(recs)
    assert not {"H1", "J1"} & set(ids(recs))


def test_neoadjuvant_progression_while_unresectable_gives_next_step() -> None:
    case = neo(
        genotype=KIT11,
        resectability=Resectability.UNRESECTABLE,
        courses=(course(Drug.IMATINIB, 400, setting=TherapySetting.NEOADJUVANT),),
        response=ResponseStatus.WORSENED,
    )
    card = only(evaluate(case), "D11")
    assert card.category is Category.NEXT_LINE_TKI
    assert card.regimens[0].dose_mg_per_day == 800


def test_d10_duration_counts_neoadjuvant_months() -> None:
    neoadj = course(
        Drug.IMATINIB,
        800,
        setting=TherapySetting.NEOADJUVANT,
        status=TherapyStatus.COMPLETED,
        start=D(2024, 1, 1),
        end=D(2025, 1, 1),
    )
    card = only(evaluate(resected(courses=(neoadj,))), "D10")
    (regimen,) = card.regimens
    assert (regimen.dose_mg_per_day, regimen.duration_months) == (800, 24)


def test_focal_progression_with_unresectable_disease_has_no_surgery_card() -> None:
    case = advanced(
        course(Drug.IMATINIB, 400),
        response=ResponseStatus.WORSENED,
        lesions=1,
        resectability=Resectability.UNRESECTABLE,
    )
    recs = evaluate(case)
    assert "H2" not in ids(recs)
    assert any("(H2)" in n for n in only(recs, "G7").notes)


def test_liver_and_lung_metastases_are_not_j1() -> None:
    case = advanced(
        course(Drug.IMATINIB, 400),
        metastases=(MetastaticSite.LIVER, MetastaticSite.LUNG),
        response=ResponseStatus.STABLE,
    )
    assert "J1" not in ids(evaluate(case))


def test_summary_over_139_characters_is_cut_at_a_word_not_fatal() -> None:
    long = "Adjuvant imatinib 400 mg daily for 3 years " + "word " * 30
    rec = emit("F1", ("S6",), Category.ADJUVANT_TKI, long, "why")
    assert len(rec.summary) <= 139
    assert rec.summary.endswith("…")
    assert rec.summary.startswith("Adjuvant imatinib 400 mg daily for 3 years")


# --- stale facts (reported, never silently relied on) -------------------------------------------


def _responding_on_imatinib(as_of: dt.date) -> GistCase:
    case = advanced(
        course(Drug.IMATINIB, 400, start=dt.date(2025, 2, 1)),
        response=ResponseStatus.STABLE,
        response_date=dt.date(2025, 6, 1),
    )
    return dataclasses.replace(case, as_of=as_of)


def test_an_old_response_assessment_is_reported_as_stale() -> None:
    recs = evaluate(_responding_on_imatinib(dt.date(2026, 1, 1)))
    card = only(recs, "P5")
    (item,) = [m for m in card.missing_data if m.fact == "response"]
    assert "2025-06-01" in item.reason
    assert Category.CONTINUE_CURRENT_THERAPY in {r.category for r in recs}


def test_a_recent_response_assessment_is_not_stale() -> None:
    recs = evaluate(_responding_on_imatinib(dt.date(2025, 9, 1)))
    gaps = [m for r in recs if r.rule_id == "P5" for m in r.missing_data]
    assert all("over 6 months ago" not in m.reason for m in gaps)


def test_an_old_size_of_an_unresected_primary_is_reported_as_stale() -> None:
    small = make_case(site=Site.STOMACH, size=1.5, eus_present=())  # size measured on DAY0
    assert "P5" not in ids(evaluate(dataclasses.replace(small, as_of=DAY0)))
    stale = evaluate(dataclasses.replace(small, as_of=DAY0 + dt.timedelta(days=200)))
    item = next(m for m in only(stale, "P5").missing_data if m.fact == "tumourSize")
    assert DAY0.isoformat() in item.reason


def test_size_of_a_resected_tumour_does_not_go_stale() -> None:
    old = dataclasses.replace(resected(), as_of=DAY0 + dt.timedelta(days=2000))
    assert "P5" not in ids(evaluate(old))
