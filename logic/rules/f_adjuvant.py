"""§1.F: adjuvant imatinib after resection of a localized primary, and the 2026.2 rows F10, F11.

One record per rule. Where a resected case goes is logic.facts.resected_route: after a
neoadjuvant course the §1.D rule D10 decides (logic/rules/d_after_resection.py); a finished
adjuvant course goes to ADJUVANT_FINISHED (F10 > F8); otherwise BY_RISK decides by the modified
NIH risk and the genotype (F3 > F5 > F2 > F1 > F6 > F7), and asks for the risk facts (P5) when
none holds. Beside the BY_RISK card, two companion rules may add their own: mutation testing
when the genotype is unknown (F4) and the wild-type work-up (F11). F9 is background text on the
adjuvant cards.
"""

from __future__ import annotations

import math

from logic.case import (
    Genotype,
    GistCase,
    Site,
    StopReason,
    TherapySetting,
    TkiCourse,
)
from logic.facts import (
    GENOTYPE_TEXT,
    NO_IMATINIB_BENEFIT,
    NOT_IMATINIB,
    ResectedRoute,
    courses_in,
    genotype,
    is_live,
    months_between,
    months_on,
    neoadjuvant_continues,
    reference_date,
    resected_route,
)
from logic.knowledge import evidence as ev
from logic.knowledge import regimens as rx
from logic.recommendation import (
    Category,
    Indicator,
    MissingData,
    NihRisk,
    Recommendation,
    Regimen,
)
from logic.rule import Decision, Rule, hosted
from logic.rules.common import courses_used, emit, missing, nothing
from logic.rules.e_risk import resected_facts, resected_risk, risk_short, risk_text

ADJUVANT_MONTHS = 36  # SSG XVIII: 3 years [S6]
ADJ = Category.ADJUVANT_TKI
SURV = Category.SURVEILLANCE

#: DESIGN: a course of at least this many months counts as the full 3 years (dates are often
#: rounded to the prescription renewal).
FULL_COURSE_MONTHS = ADJUVANT_MONTHS - 1

#: The work-up of a GIST without a KIT or PDGFRA mutation (F11, G19) [S5][S6].
WILD_TYPE_WORKUP = (
    "SDHB immunohistochemistry (germline SDH testing if SDHB is lost), clinical assessment for "
    "neurofibromatosis type 1, BRAF V600E testing and NTRK fusion testing"
)

#: What a card after resection reads: the route (pathway, course state), the risk inputs and
#: the facts it shows.
_RESECTED_READS = (
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
)
#: F9 applies when one of its hosts does: their conditions, not the facts their cards show.
_F9_READS = tuple(name for name in _RESECTED_READS if name != "resection")

_LOW = (NihRisk.VERY_LOW, NihRisk.LOW)


def _adjuvant(case: GistCase) -> tuple[TkiCourse, ...]:
    return courses_in(case, TherapySetting.ADJUVANT)


def _ruptured(case: GistCase) -> bool:
    return case.rupture.is_known and case.rupture.value is True


# --- ADJUVANT_FINISHED: F10 > F8 -----------------------------------------------------------------


def stopped_early(adjuvant: tuple[TkiCourse, ...]) -> float | None:
    """Months of adjuvant imatinib when it stopped before 3 years (F10); None when it ran the
    full course, or when its dates do not say (then F8 names the missing duration)."""
    spans = [months_between(c.start, c.end) for c in adjuvant]
    if any(m is None for m in spans):
        last = adjuvant[-1]
        if last.stop_reason in (StopReason.INTOLERANCE, StopReason.PROGRESSION, StopReason.OTHER):
            return sum(m for m in spans if m is not None)
        return None
    total = sum(m for m in spans if m is not None)
    return total if total < FULL_COURSE_MONTHS else None


def _f10_when(case: GistCase) -> bool:
    """Stopped early, and not the adjuvant part of a neoadjuvant course (then F8)."""
    return not neoadjuvant_continues(case) and stopped_early(_adjuvant(case)) is not None


def _f10(case: GistCase) -> list[Recommendation]:
    adjuvant = _adjuvant(case)
    months = stopped_early(adjuvant)
    assert months is not None, "F10 is chosen only for a course stopped early"
    last = adjuvant[-1]
    facts = (*resected_facts(case), *courses_used(adjuvant))
    after = f"after {months:.0f} months" if months else "early (duration not recorded)"
    if last.stop_reason is StopReason.INTOLERANCE:
        return [
            emit(
                "F10",
                F10.citations,
                SURV,
                f"Adjuvant imatinib stopped {after} (not tolerated): MDT — toxicity, rechallenge",
                "Adjuvant imatinib was stopped before 3 years because it was not tolerated. "
                "Discuss at the MDT: manage the toxicity and consider rechallenge or a dose "
                "modification (interactions and toxicity, G17). No other TKI has adjuvant "
                "evidence: do not start sunitinib, regorafenib or another advanced-disease drug. "
                "Meanwhile, imaging surveillance.",
                facts=facts,
                numbers=(ev.SSG_XVIII,),
            )
        ]
    if last.stop_reason is StopReason.PROGRESSION:
        return [
            emit(
                "F10",
                F10.citations,
                SURV,
                f"Adjuvant imatinib stopped {after} for progression, no recurrence recorded: "
                "restage",
                "Adjuvant imatinib was stopped for progression, but no recurrence or metastasis "
                "is recorded. Restage before any decision: a recurrence during adjuvant imatinib "
                "is progression on imatinib (line 2: 800 mg daily or sunitinib); without one, "
                "discuss resuming imatinib to complete 3 years.",
                indicator=Indicator.WARNING,
                facts=facts,
                numbers=(ev.SSG_XVIII,),
            )
        ]
    remaining = max(0, math.ceil(ADJUVANT_MONTHS - months))
    return [
        emit(
            "F10",
            F10.citations,
            ADJ,
            f"Adjuvant imatinib stopped {after}: discuss resuming to complete 3 years",
            "Adjuvant imatinib was stopped before 3 years without recurrence. Three years gave "
            "longer recurrence-free and overall survival than one year (SSG XVIII): discuss "
            "resuming imatinib to complete the 3 years.",
            regimens=(rx.for_months(rx.IMATINIB_400, remaining),),
            facts=facts,
            numbers=(ev.SSG_XVIII,),
        )
    ]


F10 = Rule(
    rule_id="F10",
    section="1.K",
    title="Adjuvant imatinib stopped before 3 years",
    statement=(
        "Never called finished: 'stopped after N months'. Stopped for intolerance: MDT — manage "
        "the toxicity, consider rechallenge or dose modification (G17); no other TKI has "
        "adjuvant evidence, so no advanced-disease drug; surveillance. Stopped for another or "
        "unknown reason: discuss resuming to complete 3 years (SSG XVIII, F1)."
    ),
    conditions=("resected, no recurrence", "adjuvant imatinib ended after less than 3 years"),
    citations=("S6",),
    reads=_RESECTED_READS,
    categories=(SURV, ADJ),
    when=_f10_when,
    applies=lambda case: ADJUVANT_FINISHED.picks(case, "F10"),
    recommend=_f10,
    design_note=(
        "(KB §1.K) Adjuvant imatinib ending under 35 months (dates rounded to renewals) is "
        '"stopped after N months", never finished. Intolerance → surveillance card with MDT '
        "text (rechallenge/dose modification, no other TKI); other or unknown reason → "
        'adjuvant card "discuss resuming" with imatinib 400 mg for the remaining months. '
        "Undated courses count as early only with a recorded stop reason."
    ),
)


def _f8(case: GistCase) -> list[Recommendation]:
    adjuvant = _adjuvant(case)
    last = adjuvant[-1]
    total = sum(m for c in adjuvant if (m := months_between(c.start, c.end)) is not None)
    notes = []
    if last.stop_reason in (StopReason.INTOLERANCE, StopReason.OTHER) and total < ADJUVANT_MONTHS:
        notes.append(
            f"Adjuvant imatinib stopped after about {total:.0f} months "
            f"({last.stop_reason.value}); the knowledge base gives no alternative adjuvant "
            "drug — discuss at MDT."
        )
    if last.stop_reason is StopReason.PROGRESSION:
        notes.append("A progression stop is recorded: check for recurrence (G16).")
    return [
        emit(
            "F8",
            F8.citations,
            SURV,
            "Adjuvant imatinib finished: imaging surveillance (recurrence peaks 6–12 months after)",
            "Recurrences cluster 6–12 months after adjuvant imatinib stops, so follow-up imaging "
            "matters most then. There is no randomized evidence for more than 3 years (PERSIST-5 "
            "phase II: 5 years feasible in about half).",
            facts=(*resected_facts(case), *courses_used(adjuvant)),
            numbers=(ev.PERSIST_5,),
            notes=notes,
        )
    ]


F8 = Rule(
    rule_id="F8",
    section="1.F",
    title="Adjuvant imatinib finished: surveillance",
    statement=(
        "Beyond 3 years there is no randomized evidence (PERSIST-5: 5-y RFS 90%, 49% stopped "
        "early); recurrences cluster 6–12 months after stopping."
    ),
    conditions=("resected", "adjuvant imatinib course completed or stopped, none active"),
    citations=("S6",),
    reads=_RESECTED_READS,
    categories=(SURV,),
    when=lambda case: True,
    applies=lambda case: ADJUVANT_FINISHED.picks(case, "F8"),
    recommend=_f8,
    evidence_numbers=(ev.PERSIST_5,),
    design_note=(
        "Made actionable: adjuvant imatinib finished → surveillance card (otherwise the risk "
        "rules would propose adjuvant imatinib again)."
    ),
)

ADJUVANT_FINISHED: Decision = Decision(
    name="resected GIST, adjuvant imatinib finished",
    reached=lambda case: resected_route(case) is ResectedRoute.ADJUVANT_FINISHED,
    rules=(F10, F8),
    otherwise=lambda case: (),
)


# --- BY_RISK: F3 > F5 > F2 > F1 > F6 > F7 --------------------------------------------------------


def _f3_when(case: GistCase) -> bool:
    return genotype(case) in NOT_IMATINIB and resected_risk(case).nih not in _LOW


def _f3(case: GistCase) -> list[Recommendation]:
    gt = genotype(case)
    assert gt is not None, "F3 is chosen only for a known genotype"
    ra = resected_risk(case)
    notes = []
    if gt not in NO_IMATINIB_BENEFIT:
        notes.append(
            "DESIGN: the knowledge base lists D842V, SDH-deficient and NF1 as not benefiting; "
            "BRAF V600E, NTRK fusion and unclassified wild type are treated the same (no "
            "evidence of benefit) — discuss at MDT."
        )
    gaps = [
        MissingData(m.fact, m.reason, "follow-up intensity only; no adjuvant either way")
        for m in ra.unknown
        if ra.nih is None
    ]
    return [
        emit(
            "F3",
            F3.citations,
            SURV,
            f"No adjuvant imatinib ({GENOTYPE_TEXT[gt]}): surveillance — {risk_short(ra)}",
            f"{GENOTYPE_TEXT[gt]} GIST is unlikely to benefit from adjuvant imatinib, whatever "
            "the risk category: follow up with imaging instead.",
            risk=ra.risk,
            facts=resected_facts(case),
            notes=notes,
            missing=gaps,
        )
    ]


F3 = Rule(
    rule_id="F3",
    section="1.F",
    title="Genotypes without benefit: no adjuvant imatinib",
    statement=(
        "PDGFRA D842V, SDH-deficient or NF1-related GIST: no adjuvant imatinib; surveillance."
    ),
    conditions=(
        "resected",
        "PDGFRA D842V, SDH-deficient or NF1 (DESIGN: also BRAF, NTRK, wild type)",
        "risk not low/very low",
    ),
    citations=("S6",),
    reads=_RESECTED_READS,
    categories=(SURV,),
    when=_f3_when,
    applies=lambda case: BY_RISK.picks(case, "F3"),
    recommend=_f3,
    design_note=(
        "Also applied to BRAF V600E, NTRK fusion and unclassified wild type (no evidence of "
        "benefit; safer than proposing 3 years of a drug); only at "
        "intermediate/high/undetermined risk (F7 covers low)."
    ),
    uses_risk_table=True,
)


def _high_risk(case: GistCase) -> bool:
    return resected_risk(case).nih is NihRisk.HIGH


def _site_word(case: GistCase) -> str:
    """'gastric', 'jejunum', ... for summaries; 'primary' when the site is not known."""
    where = case.site.value if case.site.is_known else None
    if where is None:
        return "primary"
    return "gastric" if where is Site.STOMACH else where.value


def _adjuvant_3_years(case: GistCase, rule: Rule) -> list[Recommendation]:
    """The high-risk adjuvant card of F1, F2 and F5: 3 years of imatinib (or its continuation)."""
    gt = genotype(case)
    ra = resected_risk(case)
    adjuvant = _adjuvant(case)
    rupture = _ruptured(case)
    exon9 = gt is Genotype.KIT_EXON_9
    base: tuple[Regimen, ...] = (rx.IMATINIB_800, rx.IMATINIB_400) if exon9 else (rx.IMATINIB_400,)
    regimens = tuple(rx.for_months(r, ADJUVANT_MONTHS) for r in base)
    dose = "800 mg (or 400 mg)" if exon9 else "400 mg"
    live = [c for c in adjuvant if is_live(c)]
    where = "ruptured GIST" if rupture else f"high-risk {_site_word(case)} GIST"
    if live:
        so_far = months_on(live[-1], case.as_of or reference_date(case))
        done = f" ({so_far:.0f} months so far)" if so_far is not None else ""
        summary = f"Continue adjuvant imatinib to complete 3 years{done} — {where}"
        regimens = ()  # already prescribed: no second draft order for the running course
    else:
        summary = f"Adjuvant imatinib {dose} daily for 3 years — {where}"
    notes: list[str] = []
    gaps: list[MissingData] = []
    if gt is None:
        gaps.append(
            missing(case, "genotype", "D842V/SDH/NF1 → no adjuvant; KIT exon 9 → 800 mg (F4)")
        )
        notes.append("Provisional until the genotype is known (F4).")
    if exon9:
        notes.append("800 mg may be used for KIT exon 9 (data from advanced disease).")
    if rupture:
        notes += [
            "Rupture makes the risk high whatever the size and mitotic count.",
            "NCCN 1.2026 (SECONDARY) routes rupture to the metastatic-disease pathway; the optimal "
            "duration is uncertain and longer or lifelong therapy is considered by some (BSG "
            "summary, SECONDARY).",
        ]
    if ra.unknown:
        names = ", ".join(m.fact for m in ra.unknown)
        notes.append(f"High risk regardless of the facts not recorded ({names}).")
    numbers = [ev.SSG_XVIII]
    if gt is Genotype.KIT_EXON_11:
        numbers.append(ev.SSG_XVIII_EXON11)
    numbers.append(ev.PERSIST_5)
    return [
        emit(
            rule.rule_id,
            rule.citations,
            ADJ,
            summary,
            f"Completely resected GIST with {risk_text(ra)} and an imatinib-sensitive or pending "
            "genotype: 3 years of adjuvant imatinib improved recurrence-free and overall survival "
            "over 1 year (SSG XVIII). No randomized evidence supports more than 3 years.",
            risk=ra.risk,
            regimens=regimens,
            facts=(*resected_facts(case), *courses_used(adjuvant)),
            numbers=numbers,
            notes=notes,
            missing=gaps,
        )
    ]


F5: Rule = Rule(
    rule_id="F5",
    section="1.F",
    title="Tumour rupture: high risk, adjuvant imatinib ≥3 years",
    statement=(
        "High risk → adjuvant imatinib at least 3 years if the genotype is sensitive; NCCN routes "
        "rupture to the metastatic pathway (SECONDARY); longer or lifelong therapy considered by "
        "some (SECONDARY)."
    ),
    conditions=("resected", "rupture recorded", "genotype sensitive or pending"),
    citations=("S10", "S13a", "S23b"),
    reads=_RESECTED_READS,
    categories=(ADJ,),
    when=lambda case: _high_risk(case) and _ruptured(case),
    applies=lambda case: BY_RISK.picks(case, "F5"),
    recommend=lambda case: _adjuvant_3_years(case, F5),
    evidence_numbers=(ev.SSG_XVIII,),
    design_note=(
        "NCCN 1.2026 routing of rupture to the metastatic pathway and the 'longer or lifelong "
        "therapy' clause are SECONDARY (third-party summaries)."
    ),
    uses_risk_table=True,
)

F2: Rule = Rule(
    rule_id="F2",
    section="1.F",
    title="High-risk resected GIST, KIT exon 9: imatinib, 800 mg may be used",
    statement="Adjuvant imatinib for 3 years; 800 mg daily may be used.",
    conditions=("complete resection", "modified NIH high risk", "KIT exon 9"),
    citations=("S6",),
    reads=_RESECTED_READS,
    categories=(ADJ,),
    when=lambda case: _high_risk(case) and genotype(case) is Genotype.KIT_EXON_9,
    applies=lambda case: BY_RISK.picks(case, "F2"),
    recommend=lambda case: _adjuvant_3_years(case, F2),
    design_note=('KIT exon 9: 800 mg listed first, 400 mg as alternative ("may be offered/used").'),
    uses_risk_table=True,
)

F1: Rule = Rule(
    rule_id="F1",
    section="1.F",
    title="High-risk resected GIST, sensitive genotype: adjuvant imatinib 3 years",
    statement="Imatinib 400 mg daily for 3 years.",
    conditions=(
        "complete resection",
        "modified NIH high risk",
        "KIT exon 11, other KIT, PDGFRA non-D842V, or genotype pending (provisional)",
    ),
    citations=("S6", "S10", "S11"),
    reads=_RESECTED_READS,
    categories=(ADJ,),
    when=_high_risk,
    applies=lambda case: BY_RISK.picks(case, "F1"),
    recommend=lambda case: _adjuvant_3_years(case, F1),
    evidence_numbers=(ev.SSG_XVIII, ev.SSG_XVIII_EXON11),
    design_note=(
        "Genotype unknown at high risk → provisional adjuvant card (genotype missing) + F4 testing."
    ),
    uses_risk_table=True,
)


def _f6(case: GistCase) -> list[Recommendation]:
    ra = resected_risk(case)
    return [
        emit(
            "F6",
            F6.citations,
            SURV,
            "Surveillance; adjuvant imatinib may be discussed — intermediate-risk GIST",
            "Intermediate risk was not covered by SSG XVIII. EORTC 62024 improved early "
            "recurrence-free survival without an overall-survival difference; ACS says "
            "intermediate or high risk usually gets at least 1 year. Follow-up imaging every "
            "3–6 months.",
            risk=ra.risk,
            facts=resected_facts(case),
            numbers=(ev.EORTC_62024,),
            notes=(
                "DESIGN (knowledge base): default surveillance; adjuvant imatinib may be "
                "discussed (EORTC 62024 / ACS); 3 years is never proposed automatically.",
            ),
        )
    ]


F6 = Rule(
    rule_id="F6",
    section="1.F",
    title="Intermediate risk: surveillance, adjuvant may be discussed",
    statement=(
        "Default surveillance with a flag that adjuvant imatinib may be discussed; never an "
        "automatic 3 years."
    ),
    conditions=("resected", "modified NIH intermediate", "genotype not D842V/SDH/NF1"),
    citations=("S6", "S5"),
    reads=_RESECTED_READS,
    categories=(SURV,),
    when=lambda case: resected_risk(case).nih is NihRisk.INTERMEDIATE,
    applies=lambda case: BY_RISK.picks(case, "F6"),
    recommend=_f6,
    evidence_numbers=(ev.EORTC_62024,),
    design_note='(KB) Intermediate → surveillance with "adjuvant may be discussed"; never 3 years.',
    uses_risk_table=True,
)


def _f7(case: GistCase) -> list[Recommendation]:
    ra = resected_risk(case)
    nih = ra.nih.value if ra.nih else "low"
    return [
        emit(
            "F7",
            F7.citations,
            SURV,
            f"No adjuvant therapy: imaging surveillance — {risk_short(ra)}",
            f"{nih.capitalize()}-risk resected GIST: no adjuvant therapy. Abdomen/pelvis imaging "
            "every 3–6 months for most patients; very-low-risk lesions may need less frequent "
            "imaging.",
            risk=ra.risk,
            facts=resected_facts(case),
        )
    ]


F7 = Rule(
    rule_id="F7",
    section="1.F",
    title="Very low / low risk: surveillance",
    statement="No adjuvant therapy; imaging every 3–6 months for most, less for very low risk.",
    conditions=("resected", "modified NIH very low or low"),
    citations=("S6", "S5"),
    reads=_RESECTED_READS,
    categories=(SURV,),
    when=lambda case: resected_risk(case).nih in _LOW,
    applies=lambda case: BY_RISK.picks(case, "F7"),
    recommend=_f7,
    uses_risk_table=True,
)

BY_RISK: Decision = Decision(
    name="resected GIST without a TKI course to continue or finished",
    reached=lambda case: resected_route(case) is ResectedRoute.BY_RISK,
    rules=(F3, F5, F2, F1, F6, F7),
    # no rule holds only while the modified NIH category is undetermined: ask for its facts
    otherwise=lambda case: resected_risk(case).unknown,
)


# --- companions of BY_RISK: F4, F11 --------------------------------------------------------------


def _f4_applies(case: GistCase) -> bool:
    return (
        resected_route(case) is ResectedRoute.BY_RISK
        and genotype(case) is None
        and resected_risk(case).nih not in _LOW
    )


def _f4(case: GistCase) -> list[Recommendation]:
    ra = resected_risk(case)
    return [
        emit(
            "F4",
            F4.citations,
            Category.MUTATION_TESTING,
            "Order KIT/PDGFRA mutation testing before adjuvant imatinib",
            "Genotyping changes both the use and the dose of adjuvant imatinib (no benefit for "
            "PDGFRA D842V, SDH-deficient or NF1 GIST; 800 mg may be used for KIT exon 9). "
            f"Current risk: {risk_text(ra)}.",
            risk=ra.risk,
            facts=resected_facts(case),
            missing=(
                missing(case, "genotype", "decides whether and at what dose to give imatinib"),
            ),
        )
    ]


F4 = Rule(
    rule_id="F4",
    section="1.F",
    title="Genotype unknown: mutation testing before adjuvant imatinib",
    statement="Order mutation testing; provisional recommendation per risk.",
    conditions=("resected", "genotype unknown or conflicting", "risk not low/very low"),
    citations=("S6", "S5"),
    reads=_RESECTED_READS,
    categories=(Category.MUTATION_TESTING,),
    applies=_f4_applies,
    recommend=_f4,
    design_note="Only when risk is not low/very low (genotype does not change surveillance).",
    uses_risk_table=True,
)


def _f11(case: GistCase) -> list[Recommendation]:
    ra = resected_risk(case)
    return [
        emit(
            "F11",
            F11.citations,
            Category.MUTATION_TESTING,
            "KIT/PDGFRA wild type: SDHB IHC, NF1 assessment, BRAF V600E and NTRK testing",
            "No KIT or PDGFRA mutation was found. Complete the work-up: "
            f"{WILD_TYPE_WORKUP}. No adjuvant imatinib meanwhile: imatinib is unlikely to help a "
            f"GIST without a KIT or PDGFRA mutation. Current risk: {risk_text(ra)}.",
            risk=ra.risk,
            facts=resected_facts(case),
            missing=(
                MissingData(
                    "genotype",
                    "KIT and PDGFRA wild type; SDH, NF1, BRAF and NTRK status not recorded",
                    "SDH-deficient or NF1 → no imatinib, surveillance and genetic counselling; "
                    "BRAF V600E or NTRK fusion → targeted drug if the disease recurs",
                ),
            ),
        )
    ]


F11 = Rule(
    rule_id="F11",
    section="1.K",
    title="Resected KIT/PDGFRA wild-type GIST: complete the molecular work-up",
    statement=f"Mutation-testing card: {WILD_TYPE_WORKUP}. No adjuvant imatinib meanwhile.",
    conditions=("resected GIST", "KIT and PDGFRA wild type, no other subtype recorded"),
    citations=("S5", "S6"),
    reads=_RESECTED_READS,
    categories=(Category.MUTATION_TESTING,),
    applies=lambda case: (
        resected_route(case) is ResectedRoute.BY_RISK and genotype(case) is Genotype.WILD_TYPE
    ),
    recommend=_f11,
    design_note=(
        "(KB §1.K) Wild type: work-up card next to the surveillance card (F3/F7), never adjuvant."
    ),
)


# --- F9 (background) -----------------------------------------------------------------------------

F9 = Rule(
    rule_id="F9",
    section="1.F",
    title="Supporting trial: ACOSOG Z9001",
    statement=(
        "ACOSOG Z9001 (tumours ≥3 cm): 1 year of imatinib vs placebo improved 1-year RFS "
        "(98% vs 83%) without an overall-survival difference."
    ),
    conditions=("shown on the adjuvant cards F1, F2, F5, F6",),
    citations=("S6",),
    reads=_F9_READS,
    categories=(),
    applies=hosted,
    recommend=nothing,
    evidence_numbers=(ev.ACOSOG_Z9001,),
    folds_into=("F1", "F2", "F5", "F6"),
    design_note="Background: rationale text on the adjuvant cards, no card of its own.",
)
