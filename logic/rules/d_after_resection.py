"""§1.D, D10: after neoadjuvant imatinib and resection, imatinib continues to 3 years in total.

The resected specimen cannot be risk-stratified after neoadjuvant therapy, so the risk-based
§1.F rules do not decide; AFTER_NEOADJUVANT is reached by logic.facts.resected_route (a
neoadjuvant course of a genotype that may benefit, adjuvant part not finished) and D10 is its
only rule.
"""

from __future__ import annotations

import math

from logic.case import Drug, Genotype, GistCase, TherapySetting
from logic.facts import (
    ResectedRoute,
    courses_in,
    genotype,
    is_live,
    months_between,
    resected_route,
)
from logic.knowledge import evidence as ev
from logic.knowledge import regimens as rx
from logic.recommendation import Category, Recommendation
from logic.rule import Decision, Rule
from logic.rules.common import courses_used, emit
from logic.rules.e_risk import resected_facts
from logic.rules.f_adjuvant import ADJUVANT_MONTHS


def _d10(case: GistCase) -> list[Recommendation]:
    neo = courses_in(case, TherapySetting.NEOADJUVANT)
    adjuvant = courses_in(case, TherapySetting.ADJUVANT)
    high_dose = genotype(case) is Genotype.KIT_EXON_9 or any(
        (c.daily_dose_mg or 0) >= 800 for c in neo
    )
    base = rx.IMATINIB_800 if high_dose else rx.IMATINIB_400
    resection = case.resection.value if case.resection.is_known else None
    neo_months = 0.0
    known = True
    for course in neo:
        end = course.end or (resection.date if resection else None)
        span = months_between(course.start, end)
        if span is None:
            known = False
        else:
            neo_months += span
    remaining = max(0, math.ceil(ADJUVANT_MONTHS - neo_months)) if known else None
    notes = []
    if remaining is None:
        notes.append("Neoadjuvant dates incomplete: count the pre-operative months toward 3 years.")
    if any(c.drug is not Drug.IMATINIB for c in neo):
        notes.append(
            "The neoadjuvant drug was not imatinib: confirm the post-operative plan at MDT."
        )
    months_text = f" (about {remaining} more months)" if remaining is not None else ""
    running = any(is_live(c) for c in (*neo, *adjuvant))
    return [
        emit(
            "D10",
            D10.citations,
            Category.ADJUVANT_TKI,
            f"Continue imatinib after surgery to a total of at least 3 years{months_text}",
            "After neoadjuvant imatinib the resected specimen cannot be risk-stratified; imatinib "
            "continues after surgery for a total of at least 3 years including the pre-operative "
            "months.",
            # a course still running needs no second (draft) prescription
            regimens=() if running else (rx.for_months(base, remaining),),
            facts=(*resected_facts(case), *courses_used((*neo, *adjuvant))),
            notes=notes,
            numbers=(ev.SSG_XVIII,),
        )
    ]


D10 = Rule(
    rule_id="D10",
    section="1.D",
    title="After neoadjuvant imatinib and resection: continue to ≥3 years total",
    statement=(
        "Continue imatinib after surgery for a total of at least 3 years (post-treatment "
        "pathology cannot be risk-stratified)."
    ),
    conditions=("resected after a neoadjuvant course", "genotype not D842V/SDH/NF1"),
    citations=("S6", "S5"),
    reads=(
        "site",
        "disease_state",
        "resection",
        "resected",
        "margin",
        "tumour_size",
        "mitotic_count",
        "rupture",
        "genotype",
        "metastases",
        "tki_history",
        "primaries",
    ),
    categories=(Category.ADJUVANT_TKI,),
    when=lambda case: True,
    applies=lambda case: AFTER_NEOADJUVANT.picks(case, "D10"),
    recommend=_d10,
    evidence_numbers=(ev.SSG_XVIII,),
    design_note=(
        "Dose 800 mg if exon 9 or neoadjuvant dose 800 mg; duration = 36 months minus "
        "neoadjuvant months when dates allow."
    ),
)

AFTER_NEOADJUVANT: Decision = Decision(
    name="resected GIST after a neoadjuvant course, adjuvant part not finished",
    reached=lambda case: resected_route(case) is ResectedRoute.AFTER_NEOADJUVANT,
    rules=(D10,),
    otherwise=lambda case: (),
)
