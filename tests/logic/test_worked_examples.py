"""The worked examples of knowledge-base §6 (T01…T33 as published there)."""

from __future__ import annotations

import datetime as dt

from logic.case import (
    DiseaseState,
    Drug,
    EmergencyKind,
    EusFeature,
    Genotype,
    Margin,
    MetastaticSite,
    Resectability,
    ResponseStatus,
    Site,
)
from logic.engine import evaluate
from logic.recommendation import Category, Indicator, NihRisk
from tests.logic.conftest import course, finding, make_case, only

KIT11 = Genotype.KIT_EXON_11


def test_t01_small_gastric_no_eus_feature_is_surveillance() -> None:
    recs = evaluate(make_case(site=Site.STOMACH, size=1.5, eus_present=()))
    card = only(recs, "B1")
    assert card.category is Category.SURVEILLANCE
    assert any("twice a year" in n for n in card.notes)  # B3 interval folded in
    assert {"S13b", "S1", "S5", "S20", "S22"} <= set(card.evidence)


def test_t02_eus_features_mean_resection() -> None:
    case = make_case(
        site=Site.STOMACH,
        size=1.2,
        eus_present={EusFeature.IRREGULAR_BORDER, EusFeature.CYSTIC_SPACES},
    )
    card = only(evaluate(case), "B2")
    assert card.category is Category.SURGERY
    assert "endoscopic resection" in card.rationale


def test_t05_non_gastric_small_is_resected() -> None:
    card = only(evaluate(make_case(site=Site.JEJUNUM, size=1.6)), "B6")
    assert card.category is Category.SURGERY
    assert card.evidence == ("S13b", "S6", "S2")  # B6 plus the C2 operative principles


def test_t06_gastric_4_5_cm_is_surgery_with_operative_principles() -> None:
    recs = evaluate(make_case(site=Site.STOMACH, size=4.5, genotype=KIT11))
    card = only(recs, "C1")
    assert card.category is Category.SURGERY
    text = " ".join(card.notes)
    for phrase in ("R0", "pseudocapsule", "rupture", "lymphadenectomy", "laparoscopic"):
        assert phrase in text
    assert {"S6", "S2"} <= set(card.evidence)


def test_t07_low_risk_gastric_is_surveillance() -> None:
    case = make_case(
        site=Site.STOMACH,
        size=4.0,
        mitoses=3,
        rupture=False,
        genotype=KIT11,
        resected=True,
        margin=Margin.R0,
    )
    card = only(evaluate(case), "F7")
    assert card.category is Category.SURVEILLANCE
    assert card.risk is not None
    assert card.risk.nih_modified is NihRisk.LOW
    assert card.risk.afip is not None
    assert (card.risk.afip.group, card.risk.afip.progression_pct) == ("2", 1.9)
    assert not card.regimens


def test_t09_high_risk_gastric_gets_three_years_imatinib() -> None:
    case = make_case(
        site=Site.STOMACH, size=6.0, mitoses=6, rupture=False, genotype=KIT11, resected=True
    )
    card = only(evaluate(case), "F1")
    assert card.category is Category.ADJUVANT_TKI
    assert card.summary == "Adjuvant imatinib 400 mg daily for 3 years — high-risk gastric GIST"
    assert card.risk is not None
    assert card.risk.afip is not None
    assert (card.risk.afip.group, card.risk.afip.progression_pct) == ("6a", 55)
    (regimen,) = card.regimens
    assert (regimen.drug, regimen.dose_mg_per_day, regimen.duration_months) == ("imatinib", 400, 36)
    assert regimen.rxnorm == "282388"
    assert any("65.6%" in n for n in card.evidence_numbers)


def test_t12_d842v_high_risk_gets_no_adjuvant() -> None:
    case = make_case(
        site=Site.STOMACH,
        size=12.0,
        mitoses=8,
        rupture=False,
        genotype=Genotype.PDGFRA_D842V,
        resected=True,
    )
    recs = evaluate(case)
    card = only(recs, "F3")
    assert card.category is Category.SURVEILLANCE
    assert card.risk is not None
    assert card.risk.nih_modified is NihRisk.HIGH
    assert card.risk.afip is not None
    assert card.risk.afip.progression_pct == 86
    assert all(r.category is not Category.ADJUVANT_TKI for r in recs)


def test_t18_low_rectal_needing_apr_is_neoadjuvant_imatinib() -> None:
    case = make_case(
        site=Site.RECTUM,
        size=4.0,
        genotype=KIT11,
        resectability=Resectability.MARGINALLY_RESECTABLE,
    )
    card = only(evaluate(case), "D3")
    assert card.category is Category.NEOADJUVANT_TKI
    assert [r.dose_mg_per_day for r in card.regimens] == [400]
    notes = " ".join(card.notes)
    assert "6–12 months" in notes
    assert "PET" in notes
    assert "3 years" in card.rationale  # D10 continuation


def test_t22_metastatic_tki_naive_kit11_is_imatinib_line_1() -> None:
    case = make_case(
        site=Site.STOMACH,
        size=9.0,
        genotype=KIT11,
        state=DiseaseState.METASTATIC,
        metastases=(MetastaticSite.LIVER, MetastaticSite.PERITONEUM),
    )
    card = only(evaluate(case), "G1")
    assert (card.category, card.line) == (Category.FIRST_LINE_TKI, 1)
    assert [r.display for r in card.regimens] == ["Imatinib 400 mg once daily"]
    assert "until progression" in card.rationale


def test_t26_generalised_progression_on_400_is_line_2() -> None:
    case = make_case(
        site=Site.STOMACH,
        genotype=KIT11,
        state=DiseaseState.METASTATIC,
        metastases=(MetastaticSite.LIVER, MetastaticSite.PERITONEUM),
        courses=(course(Drug.IMATINIB, 400, start=dt.date(2024, 10, 1)),),
        response=ResponseStatus.WORSENED,
        lesions=4,
    )
    recs = evaluate(case)
    card = only(recs, "G7")
    assert (card.category, card.line, card.indicator) == (
        Category.NEXT_LINE_TKI,
        2,
        Indicator.WARNING,
    )
    assert [(r.drug, r.dose_mg_per_day) for r in card.regimens] == [
        ("imatinib", 800),
        ("sunitinib", 50),
        ("sunitinib", 37.5),
    ]
    assert only(recs, "H3").category is Category.SURGERY_NOT_INDICATED


def test_t30_responsive_resectable_metastases_get_surgery_and_continue() -> None:
    case = make_case(
        site=Site.STOMACH,
        genotype=KIT11,
        state=DiseaseState.METASTATIC,
        metastases=(MetastaticSite.LIVER, MetastaticSite.LIVER, MetastaticSite.PERITONEUM),
        resectability=Resectability.RESECTABLE,
        courses=(course(Drug.IMATINIB, 400, start=dt.date(2025, 4, 1)),),
        response=ResponseStatus.IMPROVED,
        response_date=dt.date(2026, 6, 1),
    )
    recs = evaluate(case)
    surgery = only(recs, "H1")
    assert surgery.category is Category.METASTASECTOMY
    numbers = " ".join(surgery.evidence_numbers)
    assert "61%" in numbers
    assert "100%" in numbers
    assert "14 months" in surgery.rationale
    assert "6–12 months" in surgery.rationale
    assert only(recs, "G1").category is Category.CONTINUE_CURRENT_THERAPY


def test_t33_complete_obstruction_is_an_emergency_first() -> None:
    case = make_case(
        site=Site.ILEUM, size=6.0, emergencies=[finding(EmergencyKind.COMPLETE_OBSTRUCTION)]
    )
    recs = evaluate(case)
    assert recs[0].rule_id == "I1"
    assert (recs[0].category, recs[0].indicator) == (
        Category.EMERGENCY_SURGICAL_REVIEW,
        Indicator.CRITICAL,
    )
    assert all(r.category is not Category.SURGERY for r in recs)  # elective C1 withheld
