"""§1.C (C4, C5), §1.D (D10), §1.E/§1.F: after resection of a localized primary.

When the primary has been resected: after neoadjuvant imatinib continue to a total of ≥3 years
(D10, the specimen cannot be risk-stratified); otherwise the modified NIH risk and the genotype
decide — high risk with a sensitive genotype → adjuvant imatinib 3 years (F1, F2 exon 9, F5
rupture), intermediate → surveillance with adjuvant open for discussion (F6), low/very low →
surveillance (F7), genotypes that do not benefit → no adjuvant (F3), genotype unknown → testing
(F4). R1: no re-excision (C4); R2 goes to the systemic pathway (C5). Completed adjuvant →
surveillance (F8).
"""

from __future__ import annotations

import functools
import math

from logic.case import (
    Drug,
    Genotype,
    GistCase,
    Margin,
    Site,
    StopReason,
    TherapySetting,
    TkiCourse,
)
from logic.facts import (
    GENOTYPE_TEXT,
    NO_IMATINIB_BENEFIT,
    NOT_IMATINIB,
    Pathway,
    RiskAssessment,
    assess_risk,
    courses_in,
    genotype,
    gross_residual,
    is_live,
    months_between,
    months_on,
    pathway,
    reference_date,
    was_resected,
)
from logic.knowledge import evidence as ev
from logic.knowledge import regimens as rx
from logic.recommendation import (
    Category,
    FactUsed,
    Indicator,
    MissingData,
    NihRisk,
    Recommendation,
    Regimen,
)
from logic.rule import Plan, Rule
from logic.rules.common import (
    card_rule,
    courses_used,
    emit,
    facts_used,
    missing,
    nothing,
    per_case,
)

CITES: dict[str, tuple[str, ...]] = {
    "C4": ("S6",),
    "C5": ("S13a",),
    "D10": ("S6", "S5"),
    "F1": ("S6", "S10", "S11"),
    "F2": ("S6",),
    "F3": ("S6",),
    "F4": ("S6", "S5"),
    "F5": ("S10", "S13a", "S23b"),
    "F6": ("S6", "S5"),
    "F7": ("S6", "S5"),
    "F8": ("S6",),
    "F9": ("S6",),
    "E3": ("S7", "S10"),
    "F10": ("S6",),
    "F11": ("S5", "S6"),
}

ADJUVANT_MONTHS = 36  # SSG XVIII: 3 years [S6]
ADJ = Category.ADJUVANT_TKI
SURV = Category.SURVEILLANCE


def _facts(case: GistCase) -> tuple[FactUsed, ...]:
    return facts_used(
        case, "site", "tumour_size", "mitotic_count", "rupture", "genotype", "margin", "resection"
    )


def _risk_text(ra: RiskAssessment) -> str:
    if ra.nih is None:
        return "risk not determined"
    text = f"modified NIH {ra.nih.value}"
    if ra.afip is not None:
        text += f" (AFIP group {ra.afip.group}: {ra.afip.label} progression"
        text += ", jejunum/ileum column used" if ra.afip.fallback else ""
        text += ")"
    return text


def _risk_short(ra: RiskAssessment) -> str:
    """The risk in a few words, for a summary (the detail shows the full tables' wording)."""
    if ra.nih is None:
        return "risk not determined"
    text = f"modified NIH {ra.nih.value}"
    if ra.afip is not None and ra.afip.progression_pct is not None:
        text += f" (AFIP {ra.afip.group}: {ra.afip.progression_pct:g}%)"
    return text


# --- plan ---------------------------------------------------------------------------------------


@per_case
def plan(case: GistCase) -> Plan:
    if pathway(case) is not Pathway.RESECTED:
        return Plan()
    cards: list[Recommendation] = []
    if case.margin.is_known and case.margin.value is Margin.R1:
        cards.append(_c4(case))
    gt = genotype(case)
    neo = courses_in(case, TherapySetting.NEOADJUVANT)
    adjuvant = courses_in(case, TherapySetting.ADJUVANT)
    finished = bool(adjuvant) and not any(is_live(c) for c in adjuvant)
    if neo and gt not in NO_IMATINIB_BENEFIT:
        cards.append(_f8(case, adjuvant) if finished else _d10(case, gt, neo, adjuvant))
        return Plan(tuple(cards))
    if finished:
        early = stopped_early(adjuvant)
        cards.append(_f10(case, adjuvant, early) if early is not None else _f8(case, adjuvant))
        return Plan(tuple(cards))
    ra = assess_risk(case)
    if gt is Genotype.WILD_TYPE:
        cards.append(_f11(case, ra))
    blocked: list[MissingData] = []
    if gt in NOT_IMATINIB:
        if ra.nih in (NihRisk.VERY_LOW, NihRisk.LOW):
            cards.append(_f7(case, ra))
        else:
            cards.append(_f3(case, gt, ra))
        return Plan(tuple(cards))
    if gt is None and ra.nih is not NihRisk.VERY_LOW and ra.nih is not NihRisk.LOW:
        cards.append(_f4(case, ra))
    if ra.nih is None:
        blocked += ra.unknown
    elif ra.nih is NihRisk.HIGH:
        cards.append(_high(case, gt, ra, adjuvant))
    elif ra.nih is NihRisk.INTERMEDIATE:
        cards.append(_f6(case, ra))
    else:
        cards.append(_f7(case, ra))
    return Plan(tuple(cards), tuple(blocked))


#: DESIGN: a course of at least this many months counts as the full 3 years (dates are often
#: rounded to the prescription renewal).
FULL_COURSE_MONTHS = ADJUVANT_MONTHS - 1


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


def _f10(case: GistCase, adjuvant: tuple[TkiCourse, ...], months: float) -> Recommendation:
    last = adjuvant[-1]
    facts = (*_facts(case), *courses_used(adjuvant))
    after = f"after {months:.0f} months" if months else "early (duration not recorded)"
    if last.stop_reason is StopReason.INTOLERANCE:
        return emit(
            "F10",
            CITES["F10"],
            SURV,
            f"Adjuvant imatinib stopped {after} (not tolerated): MDT — toxicity, rechallenge",
            "Adjuvant imatinib was stopped before 3 years because it was not tolerated. Discuss "
            "at the MDT: manage the toxicity and consider rechallenge or a dose modification "
            "(interactions and toxicity, G17). No other TKI has adjuvant evidence: do not start "
            "sunitinib, regorafenib or another advanced-disease drug. Meanwhile, imaging "
            "surveillance.",
            facts=facts,
            numbers=(ev.SSG_XVIII,),
        )
    if last.stop_reason is StopReason.PROGRESSION:
        return emit(
            "F10",
            CITES["F10"],
            SURV,
            f"Adjuvant imatinib stopped {after} for progression, no recurrence recorded: restage",
            "Adjuvant imatinib was stopped for progression, but no recurrence or metastasis is "
            "recorded. Restage before any decision: a recurrence during adjuvant imatinib is "
            "progression on imatinib (line 2: 800 mg daily or sunitinib); without one, discuss "
            "resuming imatinib to complete 3 years.",
            indicator=Indicator.WARNING,
            facts=facts,
            numbers=(ev.SSG_XVIII,),
        )
    notes: list[str] = []
    remaining = max(0, math.ceil(ADJUVANT_MONTHS - months))
    return emit(
        "F10",
        CITES["F10"],
        ADJ,
        f"Adjuvant imatinib stopped {after}: discuss resuming to complete 3 years",
        "Adjuvant imatinib was stopped before 3 years without recurrence. Three years gave "
        "longer recurrence-free and overall survival than one year (SSG XVIII): discuss resuming "
        "imatinib to complete the 3 years.",
        regimens=(rx.for_months(rx.IMATINIB_400, remaining),),
        facts=facts,
        numbers=(ev.SSG_XVIII,),
        notes=notes,
    )


#: The work-up of a GIST without a KIT or PDGFRA mutation (F11, G19) [S5][S6].
WILD_TYPE_WORKUP = (
    "SDHB immunohistochemistry (germline SDH testing if SDHB is lost), clinical assessment for "
    "neurofibromatosis type 1, BRAF V600E testing and NTRK fusion testing"
)


def _f11(case: GistCase, ra: RiskAssessment) -> Recommendation:
    return emit(
        "F11",
        CITES["F11"],
        Category.MUTATION_TESTING,
        "KIT/PDGFRA wild type: SDHB IHC, NF1 assessment, BRAF V600E and NTRK testing",
        "No KIT or PDGFRA mutation was found. Complete the work-up: "
        f"{WILD_TYPE_WORKUP}. No adjuvant imatinib meanwhile: imatinib is unlikely to help a "
        f"GIST without a KIT or PDGFRA mutation. Current risk: {_risk_text(ra)}.",
        risk=ra.risk,
        facts=_facts(case),
        missing=(
            MissingData(
                "genotype",
                "KIT and PDGFRA wild type; SDH, NF1, BRAF and NTRK status not recorded",
                "SDH-deficient or NF1 → no imatinib, surveillance and genetic counselling; "
                "BRAF V600E or NTRK fusion → targeted drug if the disease recurs",
            ),
        ),
    )


def risk_discordance(case: GistCase, ra: RiskAssessment) -> str | None:
    """E3: the line that says modified NIH and AFIP disagree, or None when they agree."""
    pct = ra.afip.progression_pct if ra.afip is not None else None
    if ra.nih is None or pct is None or ra.afip is None:
        return None
    rupture = case.rupture.is_known and case.rupture.value is True
    figures = f"modified NIH {ra.nih.value}, AFIP group {ra.afip.group} {pct:g}% progression"
    if rupture:
        return (
            f"{figures}; the AFIP figure does not account for rupture, which makes the risk high."
        )
    if pct >= 24 and ra.nih is not NihRisk.HIGH:
        discuss = ra.nih is NihRisk.INTERMEDIATE and genotype(case) not in NOT_IMATINIB
        extra = "; adjuvant imatinib may be discussed at MDT" if discuss else ""
        return f"{figures}. The decision follows modified NIH{extra}."
    if pct <= 2 and ra.nih is NihRisk.HIGH:
        return f"{figures}. The decision follows modified NIH."
    return None


def _c4(case: GistCase) -> Recommendation:
    return emit(
        "C4",
        CITES["C4"],
        Category.SURGERY_NOT_INDICATED,
        "R1 margin: re-excision not supported — watchful waiting or adjuvant imatinib by risk",
        "After a microscopically positive margin (R1) without gross residual disease there is no "
        "evidence supporting re-excision; watchful waiting or adjuvant imatinib may be "
        "appropriate, decided by the risk category (§1.E).",
        facts=facts_used(case, "margin", "resection"),
    )


def _high(
    case: GistCase, gt: Genotype | None, ra: RiskAssessment, adjuvant: tuple[TkiCourse, ...]
) -> Recommendation:
    rupture = case.rupture.is_known and case.rupture.value is True
    exon9 = gt is Genotype.KIT_EXON_9
    rule_id = "F5" if rupture else ("F2" if exon9 else "F1")
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
    return emit(
        rule_id,
        CITES[rule_id],
        ADJ,
        summary,
        f"Completely resected GIST with {_risk_text(ra)} and an imatinib-sensitive or pending "
        "genotype: 3 years of adjuvant imatinib improved recurrence-free and overall survival "
        "over 1 year (SSG XVIII). No randomized evidence supports more than 3 years.",
        risk=ra.risk,
        regimens=regimens,
        facts=(*_facts(case), *courses_used(adjuvant)),
        numbers=numbers,
        notes=notes,
        missing=gaps,
    )


def _site_word(case: GistCase) -> str:
    """'gastric', 'jejunum', ... for summaries; 'primary' when the site is not known."""
    where = case.site.value if case.site.is_known else None
    if where is None:
        return "primary"
    return "gastric" if where is Site.STOMACH else where.value


def _f3(case: GistCase, gt: Genotype, ra: RiskAssessment) -> Recommendation:
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
    return emit(
        "F3",
        CITES["F3"],
        SURV,
        f"No adjuvant imatinib ({GENOTYPE_TEXT[gt]}): surveillance — {_risk_short(ra)}",
        f"{GENOTYPE_TEXT[gt]} GIST is unlikely to benefit from adjuvant imatinib, whatever the "
        "risk category: follow up with imaging instead.",
        risk=ra.risk,
        facts=_facts(case),
        notes=notes,
        missing=gaps,
    )


def _f4(case: GistCase, ra: RiskAssessment) -> Recommendation:
    return emit(
        "F4",
        CITES["F4"],
        Category.MUTATION_TESTING,
        "Order KIT/PDGFRA mutation testing before adjuvant imatinib",
        "Genotyping changes both the use and the dose of adjuvant imatinib (no benefit for "
        "PDGFRA D842V, SDH-deficient or NF1 GIST; 800 mg may be used for KIT exon 9). "
        f"Current risk: {_risk_text(ra)}.",
        risk=ra.risk,
        facts=_facts(case),
        missing=(missing(case, "genotype", "decides whether and at what dose to give imatinib"),),
    )


def _f6(case: GistCase, ra: RiskAssessment) -> Recommendation:
    return emit(
        "F6",
        CITES["F6"],
        SURV,
        "Surveillance; adjuvant imatinib may be discussed — intermediate-risk GIST",
        "Intermediate risk was not covered by SSG XVIII. EORTC 62024 improved early "
        "recurrence-free survival without an overall-survival difference; ACS says intermediate "
        "or high risk usually gets at least 1 year. Follow-up imaging every 3–6 months.",
        risk=ra.risk,
        facts=_facts(case),
        numbers=(ev.EORTC_62024,),
        notes=(
            "DESIGN (knowledge base): default surveillance; adjuvant imatinib may be discussed "
            "(EORTC 62024 / ACS); 3 years is never proposed automatically.",
        ),
    )


def _f7(case: GistCase, ra: RiskAssessment) -> Recommendation:
    nih = ra.nih.value if ra.nih else "low"
    return emit(
        "F7",
        CITES["F7"],
        SURV,
        f"No adjuvant therapy: imaging surveillance — {_risk_short(ra)}",
        f"{nih.capitalize()}-risk resected GIST: no adjuvant therapy. Abdomen/pelvis imaging "
        "every 3–6 months for most patients; very-low-risk lesions may need less frequent "
        "imaging.",
        risk=ra.risk,
        facts=_facts(case),
    )


def _d10(
    case: GistCase,
    gt: Genotype | None,
    neo: tuple[TkiCourse, ...],
    adjuvant: tuple[TkiCourse, ...],
) -> Recommendation:
    high_dose = gt is Genotype.KIT_EXON_9 or any((c.daily_dose_mg or 0) >= 800 for c in neo)
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
    return emit(
        "D10",
        CITES["D10"],
        ADJ,
        f"Continue imatinib after surgery to a total of at least 3 years{months_text}",
        "After neoadjuvant imatinib the resected specimen cannot be risk-stratified; imatinib "
        "continues after surgery for a total of at least 3 years including the pre-operative "
        "months.",
        # a course still running needs no second (draft) prescription
        regimens=() if running else (rx.for_months(base, remaining),),
        facts=(*_facts(case), *courses_used((*neo, *adjuvant))),
        notes=notes,
        numbers=(ev.SSG_XVIII,),
    )


def _f8(case: GistCase, adjuvant: tuple[TkiCourse, ...]) -> Recommendation:
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
    return emit(
        "F8",
        CITES["F8"],
        SURV,
        "Adjuvant imatinib finished: imaging surveillance (recurrence peaks 6–12 months after)",
        "Recurrences cluster 6–12 months after adjuvant imatinib stops, so follow-up imaging "
        "matters most then. There is no randomized evidence for more than 3 years (PERSIST-5 "
        "phase II: 5 years feasible in about half).",
        facts=(*_facts(case), *courses_used(adjuvant)),
        numbers=(ev.PERSIST_5,),
        notes=notes,
    )


# --- rules --------------------------------------------------------------------------------------


_rule = functools.partial(card_rule, plan, CITES)


def _c5_applies(case: GistCase) -> bool:
    ruptured = case.rupture.is_known and case.rupture.value is True
    return was_resected(case) and (gross_residual(case) or ruptured)


RULES_F_2026: tuple[Rule, ...] = (
    _rule(
        "F10",
        "1.K",
        "Adjuvant imatinib stopped before 3 years",
        "Never called finished: 'stopped after N months'. Stopped for intolerance: MDT — manage "
        "the toxicity, consider rechallenge or dose modification (G17); no other TKI has "
        "adjuvant evidence, so no advanced-disease drug; surveillance. Stopped for another or "
        "unknown reason: discuss resuming to complete 3 years (SSG XVIII, F1).",
        ("resected, no recurrence", "adjuvant imatinib ended after less than 3 years"),
        (SURV, ADJ),
        design_note=(
            "(KB §1.K) Adjuvant imatinib ending under 35 months (dates rounded to renewals) is "
            '"stopped after N months", never finished. Intolerance → surveillance card with MDT '
            "text (rechallenge/dose modification, no other TKI); other or unknown reason → "
            'adjuvant card "discuss resuming" with imatinib 400 mg for the remaining months. '
            "Undated courses count as early only with a recorded stop reason."
        ),
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
    ),
    _rule(
        "F11",
        "1.K",
        "Resected KIT/PDGFRA wild-type GIST: complete the molecular work-up",
        f"Mutation-testing card: {WILD_TYPE_WORKUP}. No adjuvant imatinib meanwhile.",
        ("resected GIST", "KIT and PDGFRA wild type, no other subtype recorded"),
        (Category.MUTATION_TESTING,),
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
        design_note=(
            "(KB §1.K) Wild type: work-up card next to the surveillance card (F3/F7), never "
            "adjuvant."
        ),
    ),
)

RULE_C4 = _rule(
    "C4",
    "1.C",
    "R1 margin: no re-excision",
    "No evidence supports re-excision after an R1 margin; watchful waiting or adjuvant imatinib "
    "may be appropriate (then the risk-based rules apply).",
    ("resected localized GIST", "margin R1"),
    (Category.SURGERY_NOT_INDICATED,),
    design_note=(
        'R1 → "surgery not indicated" card (no re-excision) next to the risk-based adjuvant card.'
    ),
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
)


def _e3_text(case: GistCase) -> str | None:
    return risk_discordance(case, assess_risk(case)) if pathway(case) is Pathway.RESECTED else None


RULE_E3 = Rule(
    rule_id="E3",
    section="1.K",
    title="Risk schemes disagree",
    statement=(
        "When the modified NIH category and the AFIP published risk disagree (AFIP ≥24% while "
        "NIH is below high, or AFIP ≤2% while NIH is high for a reason other than rupture), the "
        "card names both figures in one line and keeps the NIH-based decision; at NIH "
        "intermediate, adjuvant imatinib may be discussed at MDT. With rupture the AFIP figure "
        "is shown as not accounting for rupture."
    ),
    conditions=("resected localized GIST", "NIH and AFIP disagree, or rupture"),
    citations=CITES["E3"],
    reads=(
        "site",
        "disease_state",
        "resected",
        "margin",
        "tumour_size",
        "mitotic_count",
        "rupture",
        "genotype",
        "metastases",
        "primaries",
    ),
    categories=(),
    applies=lambda case: _e3_text(case) is not None,
    recommend=nothing,
    folds_into=("F1", "F2", "F3", "F5", "F6", "F7", "F11"),
    fold_text=_e3_text,
    design_note=(
        "(KB §1.K) NIH/AFIP disagreement is one folded line naming both figures (AFIP ≥24% "
        "with NIH below high; AFIP ≤2% with NIH high other than by rupture; with rupture the "
        'AFIP figure "does not account for rupture"). Display only: modified NIH still '
        "decides."
    ),
)

RULE_C5 = Rule(
    rule_id="C5",
    section="1.C",
    title="Gross residual disease (R2) or rupture: systemic pathway",
    statement=(
        "After an R2 resection or a rupture, NCCN 1.2026 (SECONDARY) treats the patient through "
        "the metastatic/unresectable systemic pathway rather than ordinary adjuvant follow-up."
    ),
    conditions=("resected", "margin R2, or tumour rupture"),
    citations=CITES["C5"],
    reads=("resected", "margin", "rupture"),
    categories=(),
    applies=_c5_applies,
    recommend=nothing,
    folds_into=("G1", "G2", "G3", "G4", "G5", "G6", "G16", "F5"),
    design_note=(
        "R2 resection → advanced (systemic) pathway: first-line cards G1–G6 with the C5 note "
        "(SECONDARY). Rupture → F5 adjuvant card carries the C5 note. The R2/rupture routing "
        "to the systemic pathway is SECONDARY (NCCN 1.2026 as re-encoded)."
    ),
)

RULE_D10 = _rule(
    "D10",
    "1.D",
    "After neoadjuvant imatinib and resection: continue to ≥3 years total",
    "Continue imatinib after surgery for a total of at least 3 years (post-treatment pathology "
    "cannot be risk-stratified).",
    ("resected after a neoadjuvant course", "genotype not D842V/SDH/NF1"),
    (ADJ,),
    numbers=(ev.SSG_XVIII,),
    design_note=(
        "Dose 800 mg if exon 9 or neoadjuvant dose 800 mg; duration = 36 months minus "
        "neoadjuvant months when dates allow."
    ),
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
)

RULES_F: tuple[Rule, ...] = (
    _rule(
        "F1",
        "1.F",
        "High-risk resected GIST, sensitive genotype: adjuvant imatinib 3 years",
        "Imatinib 400 mg daily for 3 years.",
        (
            "complete resection",
            "modified NIH high risk",
            "KIT exon 11, other KIT, PDGFRA non-D842V, or genotype pending (provisional)",
        ),
        (ADJ,),
        numbers=(ev.SSG_XVIII, ev.SSG_XVIII_EXON11),
        design_note=(
            "Genotype unknown at high risk → provisional adjuvant card (genotype missing) + F4 "
            "testing."
        ),
        uses_risk_table=True,
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
    ),
    _rule(
        "F2",
        "1.F",
        "High-risk resected GIST, KIT exon 9: imatinib, 800 mg may be used",
        "Adjuvant imatinib for 3 years; 800 mg daily may be used.",
        ("complete resection", "modified NIH high risk", "KIT exon 9"),
        (ADJ,),
        design_note=(
            'KIT exon 9: 800 mg listed first, 400 mg as alternative ("may be offered/used").'
        ),
        uses_risk_table=True,
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
    ),
    _rule(
        "F3",
        "1.F",
        "Genotypes without benefit: no adjuvant imatinib",
        "PDGFRA D842V, SDH-deficient or NF1-related GIST: no adjuvant imatinib; surveillance.",
        (
            "resected",
            "PDGFRA D842V, SDH-deficient or NF1 (DESIGN: also BRAF, NTRK, wild type)",
            "risk not low/very low",
        ),
        (SURV,),
        design_note=(
            "Also applied to BRAF V600E, NTRK fusion and unclassified wild type (no evidence of "
            "benefit; safer than proposing 3 years of a drug); only at "
            "intermediate/high/undetermined risk (F7 covers low)."
        ),
        uses_risk_table=True,
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
    ),
    _rule(
        "F4",
        "1.F",
        "Genotype unknown: mutation testing before adjuvant imatinib",
        "Order mutation testing; provisional recommendation per risk.",
        ("resected", "genotype unknown or conflicting", "risk not low/very low"),
        (Category.MUTATION_TESTING,),
        uses_risk_table=True,
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
        design_note="Only when risk is not low/very low (genotype does not change surveillance).",
    ),
    _rule(
        "F5",
        "1.F",
        "Tumour rupture: high risk, adjuvant imatinib ≥3 years",
        "High risk → adjuvant imatinib at least 3 years if the genotype is sensitive; NCCN routes "
        "rupture to the metastatic pathway (SECONDARY); longer or lifelong therapy considered by "
        "some (SECONDARY).",
        ("resected", "rupture recorded", "genotype sensitive or pending"),
        (ADJ,),
        numbers=(ev.SSG_XVIII,),
        uses_risk_table=True,
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
        design_note=(
            "NCCN 1.2026 routing of rupture to the metastatic pathway and the 'longer or lifelong "
            "therapy' clause are SECONDARY (third-party summaries)."
        ),
    ),
    _rule(
        "F6",
        "1.F",
        "Intermediate risk: surveillance, adjuvant may be discussed",
        "Default surveillance with a flag that adjuvant imatinib may be discussed; never an "
        "automatic 3 years.",
        ("resected", "modified NIH intermediate", "genotype not D842V/SDH/NF1"),
        (SURV,),
        numbers=(ev.EORTC_62024,),
        design_note=(
            '(KB) Intermediate → surveillance with "adjuvant may be discussed"; never 3 years.'
        ),
        uses_risk_table=True,
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
    ),
    _rule(
        "F7",
        "1.F",
        "Very low / low risk: surveillance",
        "No adjuvant therapy; imaging every 3–6 months for most, less for very low risk.",
        ("resected", "modified NIH very low or low"),
        (SURV,),
        uses_risk_table=True,
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
    ),
    _rule(
        "F8",
        "1.F",
        "Adjuvant imatinib finished: surveillance",
        "Beyond 3 years there is no randomized evidence (PERSIST-5: 5-y RFS 90%, 49% stopped "
        "early); recurrences cluster 6–12 months after stopping.",
        ("resected", "adjuvant imatinib course completed or stopped, none active"),
        (SURV,),
        numbers=(ev.PERSIST_5,),
        design_note=(
            "Made actionable: adjuvant imatinib finished → surveillance card (otherwise the risk "
            "rules would propose adjuvant imatinib again)."
        ),
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
    ),
    Rule(
        rule_id="F9",
        section="1.F",
        title="Supporting trial: ACOSOG Z9001",
        statement=(
            "ACOSOG Z9001 (tumours ≥3 cm): 1 year of imatinib vs placebo improved 1-year RFS "
            "(98% vs 83%) without an overall-survival difference."
        ),
        conditions=("shown on the adjuvant cards F1, F2, F5, F6",),
        citations=CITES["F9"],
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
        categories=(),
        applies=lambda case: any(r.rule_id in ("F1", "F2", "F5", "F6") for r in plan(case).cards),
        recommend=nothing,
        evidence_numbers=(ev.ACOSOG_Z9001,),
        folds_into=("F1", "F2", "F5", "F6"),
        design_note="Background: rationale text on the adjuvant cards, no card of its own.",
    ),
)
