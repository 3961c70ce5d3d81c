"""Properties over generated EHR-shaped records (knowledge base 2026.2, issue 10):

- no card proposes to start a TKI that an active course already gives (no draft order for the
  drug and dose the patient takes);
- no elective surgery card while the resection status is unknown (P6).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from fhir_mappings import build_case
from logic.case import ResectionStatus, TherapyStatus
from logic.engine import evaluate
from logic.recommendation import ELECTIVE_SURGERY, Category
from tests.fhir_mappings import fhir as f
from tests.support.hypothesis_profiles import examples

TODAY = dt.date(2026, 6, 1)
SETTINGS = settings(max_examples=examples(0.67))
TKI_CARDS = frozenset(
    {
        Category.NEOADJUVANT_TKI,
        Category.ADJUVANT_TKI,
        Category.FIRST_LINE_TKI,
        Category.NEXT_LINE_TKI,
    }
)
SITES = {
    "stomach": "69695003",
    "rectum": "34402009",
    "jejunum": "21306003",
    "duodenum": "38848004",
}
DRUGS = {
    "imatinib": f.rx("282388", "imatinib"),
    "sunitinib": f.rx("357977", "sunitinib"),
    "avapritinib": f.named("Ayvakit"),
    "regorafenib": f.named("Stivarga"),
}
REASONS = {
    "progression": [f.cc(f.SNOMED, "266721009")],
    "intolerance": [f.cc(f.SNOMED, "407563006")],
}


def day(offset: int) -> str:
    return (TODAY - dt.timedelta(days=offset)).isoformat()


@st.composite
def courses(draw: st.DrawFn, index: int) -> dict[str, Any]:
    start = draw(st.integers(10, 1500))
    ended = draw(st.booleans())
    extra: dict[str, Any] = {}
    if ended and (reason := draw(st.sampled_from([None, "progression", "intolerance"]))):
        extra["statusReason"] = REASONS[reason]
    dose, per_day = draw(st.sampled_from([(400, 1), (400, 2), (300, 1), (50, 1), (160, 1)]))
    return f.med_statement(
        f"med{index}",
        DRUGS[draw(st.sampled_from(sorted(DRUGS)))],
        day(start),
        day(draw(st.integers(0, start))) if ended else None,
        status=draw(st.sampled_from(["completed", "stopped"])) if ended else "active",
        dose_mg=dose,
        per_day=per_day,
        **extra,
    )


@st.composite
def records(draw: st.DrawFn) -> list[dict[str, Any]]:
    """One patient's resources: a GIST with any mix of size, resectability, genotype,
    metastasis, resection (readable, unreadable or none), TKI courses and response."""
    onset = draw(st.integers(30, 1600))
    site = SITES[draw(st.sampled_from(sorted(SITES)))]
    items: list[dict[str, Any]] = [
        f.patient(),
        f.gist(onsetDateTime=day(onset), bodySite=[f.cc(f.SNOMED, site)]),
        f.size("sz", draw(st.sampled_from([1.5, 2.0, 4.0, 7.0, 12.0])), date=day(onset)),
    ]
    if draw(st.booleans()):
        value = draw(st.sampled_from(["resectable", "marginally-resectable", "unresectable"]))
        items.append(
            f.gist_obs("res", "resectability", day(5), valueCodeableConcept=f.cc(f.GIST, value))
        )
    genotype = draw(st.sampled_from(["kit11", "exon9", "d842v", "wild", "unknown"]))
    if genotype == "kit11":
        items.append(f.kit(hgvs="p.Val559Asp"))
    elif genotype == "exon9":
        items.append(f.kit(hgvs="p.Ala502_Tyr503dup", exon=9))
    elif genotype == "d842v":
        items.append(f.pdgfra(hgvs="p.Asp842Val"))
    elif genotype == "wild":
        items += [f.kit(present=False), f.pdgfra(present=False)]
    if draw(st.booleans()):
        when = draw(st.one_of(st.none(), st.integers(0, onset)))
        met = f.metastasis("met", f.cc(f.SNOMED, "94381002"), onset=day(when or 0))
        if when is None:
            del met["onsetDateTime"]
        items.append(met)
    resection = draw(st.sampled_from(["none", "done", "unreadable"]))
    if resection != "none":
        proc = f.resection(date=day(draw(st.integers(0, onset))))
        if resection == "unreadable":
            proc["performedDateTime"] = "not a date"
        items.append(proc)
    items += [draw(courses(i)) for i in range(draw(st.integers(0, 3)))]
    if draw(st.booleans()):
        status = draw(st.sampled_from(["268910001", "359746009", "271299001"]))
        items.append(
            f.observation(
                "st",
                f.cc(f.LOINC, "97509-4"),
                day(draw(st.integers(0, 60))),
                valueCodeableConcept=f.cc(f.SNOMED, status),
            )
        )
    return items


@SETTINGS
@given(records())
def test_no_card_proposes_a_tki_course_already_running(items: list[dict[str, Any]]) -> None:
    case = build_case(items, patient_id=f.PATIENT, today=TODAY)
    running = {
        (c.drug.value, c.daily_dose_mg)
        for c in case.tki_history
        if c.status in (TherapyStatus.ACTIVE, TherapyStatus.ON_HOLD)
    }
    for card in evaluate(case):
        if card.category not in TKI_CARDS:
            continue
        for regimen in card.regimens:
            assert (regimen.drug, regimen.dose_mg_per_day) not in running, (
                card.rule_id,
                card.summary,
            )


@SETTINGS
@given(records())
def test_no_elective_surgery_while_resection_status_is_unknown(
    items: list[dict[str, Any]],
) -> None:
    case = build_case(items, patient_id=f.PATIENT, today=TODAY)
    cards = evaluate(case)
    if case.resection_status is ResectionStatus.UNKNOWN:
        assert not [c.rule_id for c in cards if c.category in ELECTIVE_SURGERY]
        assert "P6" in [c.rule_id for c in cards]
