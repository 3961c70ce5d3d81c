"""§1.D (and H5): neoadjuvant TKI for a localized primary that has not been resected.

One record per rule: its condition (`when`), its card builder, its citations, reads and design
note; the registry collects every record of this module. NEOADJUVANT is the first-match decision
for a marginally resectable or unresectable primary (route NEOADJUVANT_START) and for a TKI course
already under way before any resection (route NEOADJUVANT_COURSE, logic.facts.localized_route):

- D5 > D6 > D7: a genotype that gets no neoadjuvant imatinib, before starting or while on it;
- D4 > D3 > D1: starting, the drug chosen by genotype (D1, the pathway card, while it is unknown);
- D12 > D14 > D11 > D13: a course under way (D13 when nothing else holds). A course stopped for
  intolerance goes to D11 whatever else holds (D5–D7, D12 and D14 decide only a course that its
  response judges); one that ended without a recorded reason while the tumour is not judged
  resectable is left undecided and its stop reason requested (P5).

One decision serves both routes because D5–D7 decide in both, and a rule sits in one decision.
D2 (biopsy and mutation analysis) is D1's companion card: it is made exactly when D1 decides.
D8, D9 and H5 are background rows folded into the cards they support. D10 (adjuvant after
neoadjuvant) sits with the resected pathway (logic/rules/resected.py).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable

from logic.case import (
    Drug,
    Genotype,
    GistCase,
    Resectability,
    ResponseStatus,
    StopReason,
    TherapySetting,
    TkiCourse,
)
from logic.facts import (
    GENOTYPE_TEXT,
    IMATINIB_400_SENSITIVE,
    LocalizedRoute,
    courses_in,
    genotype,
    is_live,
    localized_route,
    months_on,
    reference_date,
    resectability,
    response_applies_to,
)
from logic.knowledge import evidence as ev
from logic.knowledge import regimens as rx
from logic.recommendation import Category, FactUsed, Indicator, MissingData, Recommendation
from logic.rule import Decision, Rule, hosted
from logic.rules.common import (
    BACKGROUND_NOTE,
    courses_used,
    emit,
    facts_used,
    localized_facts,
    missing,
    nothing,
    per_case,
)
from logic.rules.sequencing import next_step

#: DESIGN: months of neoadjuvant TKI after which a still-unresectable tumour "does not shrink
#: enough" (D11); maximal response may take 6–12 months (D9).
NEOADJUVANT_MIN_MONTHS = 6.0

SURGERY = Category.SURGERY
NEO = Category.NEOADJUVANT_TKI

#: SDH-deficient and NF1-associated GIST get no neoadjuvant TKI (D6).
_SDH_OR_NF1 = frozenset({Genotype.SDH_DEFICIENT, Genotype.NF1})
#: Mutations not expected to respond to imatinib (D7).
_NOT_EXPECTED_TO_RESPOND = frozenset(
    {Genotype.BRAF_V600E, Genotype.NTRK_FUSION, Genotype.WILD_TYPE}
)

#: What a start decision reads: the route (logic.facts.localized_route), the genotype and the
#: card's facts (logic.rules.common.localized_facts). D5–D7 read no more on a running course:
#: its drug and stop reason are in `tki_history`.
_START_READS = (
    "site",
    "disease_state",
    "resection",
    "resected",
    "resection_unknown",
    "resectability",
    "tumour_size",
    "mitotic_count",
    "eus",
    "genotype",
    "metastases",
    "tki_history",
    "primaries",
)
#: A course under way is judged by its response and by how long it has run (D11, D13, D14).
_COURSE_READS = (*_START_READS, "response", "as_of")
#: D12 decides on growth, however long the course has run.
_D12_READS = (*_START_READS, "response")
#: A background row reads what decides whether a host applies, not the host's card facts.
_CARD_ONLY = ("eus", "mitotic_count")
_HOSTED_READS = tuple(name for name in _COURSE_READS if name not in _CARD_ONLY)
#: H5's hosts (D12, D14) decide only on a course under way: its route looks at no site or size;
#: the duration (`as_of`) is read when D14 is reached by a response after 6 months on a tumour
#: not yet judged resectable.
_H5_READS = tuple(
    name for name in _COURSE_READS if name not in (*_CARD_ONLY, "site", "tumour_size")
)


# --- which rule decides ---


@per_case
def _chosen(case: GistCase) -> Rule | None:
    """The rule NEOADJUVANT chooses for a case, worked out once per case: every member's
    `applies` asks, and so do the background rows (D8, D9, H5, C2) through their hosts."""
    return NEOADJUVANT.chosen(case)


def _decides(rule_id: str) -> Callable[[GistCase], bool]:
    """`applies` of a member: NEOADJUVANT chooses it (`Decision.picks`, computed once)."""

    def applies(case: GistCase) -> bool:
        rule = _chosen(case)
        return rule is not None and rule.rule_id == rule_id

    return applies


# --- the course under way -----------------------------------------------------------------------


def _last(case: GistCase) -> TkiCourse | None:
    """The latest neoadjuvant course (None: starting, no course yet)."""
    neo = courses_in(case, TherapySetting.NEOADJUVANT)
    return neo[-1] if neo else None


def _starting(case: GistCase) -> bool:
    return _last(case) is None


def _stopped_for(case: GistCase, reason: StopReason) -> bool:
    last = _last(case)
    return last is not None and not is_live(last) and last.stop_reason is reason


def _undecided(case: GistCase) -> bool:
    """The course ended without a recorded reason and the tumour is not judged resectable:
    whether it failed or was completed decides what follows (the stop reason is requested)."""
    last = _last(case)
    return (
        last is not None
        and not is_live(last)
        and last.stop_reason not in (StopReason.INTOLERANCE, StopReason.PROGRESSION)
        and resectability(case) is not Resectability.RESECTABLE
    )


def _judged_by_response(case: GistCase) -> bool:
    """A course under way that its response decides: not stopped for intolerance (D11 then
    chooses the next drug) and not undecided."""
    return (
        _last(case) is not None
        and not _stopped_for(case, StopReason.INTOLERANCE)
        and not _undecided(case)
    )


def _today(case: GistCase) -> dt.date | None:
    return case.as_of or reference_date(case)


def _months(case: GistCase, last: TkiCourse) -> float | None:
    return months_on(last, _today(case))


def _growing(case: GistCase, last: TkiCourse) -> bool:
    """Progression: the course was stopped for it, or the latest response says the tumour grew."""
    return (
        not is_live(last) and last.stop_reason is StopReason.PROGRESSION
    ) or response_applies_to(case, last) is ResponseStatus.WORSENED


def _long_enough(case: GistCase, last: TkiCourse) -> bool:
    months = _months(case, last)
    return months is not None and months >= NEOADJUVANT_MIN_MONTHS


def _course_facts(case: GistCase) -> tuple[FactUsed, ...]:
    neo = courses_in(case, TherapySetting.NEOADJUVANT)
    return (*localized_facts(case), *facts_used(case, "response"), *courses_used(neo))


def _course(case: GistCase) -> TkiCourse:
    last = _last(case)
    assert last is not None, "a course rule decides only while a course is under way"
    return last


def _drug_dose(course: TkiCourse) -> str:
    dose = f" {course.daily_dose_mg:g} mg daily" if course.daily_dose_mg else ""
    return f"{course.drug.value}{dose}"


def _month_text(months: float | None) -> str:
    return f"month {max(1, math.ceil(months))}" if months is not None else "duration not recorded"


def _how(case: GistCase) -> str:
    return (
        "unresectable"
        if resectability(case) is Resectability.UNRESECTABLE
        else "marginally resectable"
    )


# --- D5, D6, D7: a genotype that gets no neoadjuvant imatinib ------------------------------------


def _genotype_decides(case: GistCase) -> bool:
    """Before starting, or while on imatinib that its response would otherwise judge."""
    last = _last(case)
    return last is None or (last.drug is Drug.IMATINIB and _judged_by_response(case))


def _unlikely_to_help(case: GistCase, rule_id: str, citations: tuple[str, ...]) -> Recommendation:
    """The card of D5–D7 for imatinib already running on a genotype that gets none."""
    gt = genotype(case)
    assert gt is not None
    running = _course(case)
    return emit(
        rule_id,
        citations,
        SURGERY,
        f"{GENOTYPE_TEXT[gt]}: neoadjuvant imatinib is unlikely to help — MDT, surgery if feasible",
        f"The patient is taking neoadjuvant {_drug_dose(running)}, but {GENOTYPE_TEXT[gt]} GIST "
        "is not expected to respond to imatinib. Review the course at the MDT and proceed to "
        "surgery if feasible.",
        facts=(*localized_facts(case), *courses_used((running,))),
    )


def _d5(case: GistCase) -> list[Recommendation]:
    if not _starting(case):
        return [_unlikely_to_help(case, "D5", D5.citations)]
    return [
        emit(
            "D5",
            D5.citations,
            SURGERY,
            "PDGFRA D842V: no neoadjuvant imatinib — surgery if feasible",
            "PDGFRA D842V does not respond to imatinib. ESMO suggests considering neoadjuvant "
            "avapritinib, but this is not validated; otherwise operate if feasible.",
            facts=localized_facts(case),
            notes=("Neoadjuvant avapritinib may be discussed at MDT (not validated).",),
        )
    ]


_NO_IMATINIB_NOTE = (
    "Unresectable localized disease with a genotype that gets no neoadjuvant imatinib "
    "(D842V, SDH, NF1, BRAF, NTRK, wild type) → advanced pathway (G3–G6), because "
    '"surgery if feasible" is not feasible; marginally resectable → surgery card.'
)

D5 = Rule(
    rule_id="D5",
    section="1.D",
    title="PDGFRA D842V: no neoadjuvant imatinib",
    statement="No neoadjuvant imatinib; neoadjuvant avapritinib may be considered (not "
    "validated); otherwise surgery if feasible.",
    conditions=("marginally resectable localized GIST", "PDGFRA D842V"),
    citations=("S6",),
    reads=_START_READS,
    categories=(SURGERY,),
    when=lambda case: _genotype_decides(case) and genotype(case) is Genotype.PDGFRA_D842V,
    applies=_decides("D5"),
    recommend=_d5,
    design_note=_NO_IMATINIB_NOTE,
)


def _d6(case: GistCase) -> list[Recommendation]:
    if not _starting(case):
        return [_unlikely_to_help(case, "D6", D6.citations)]
    gt = genotype(case)
    assert gt is not None
    return [
        emit(
            "D6",
            D6.citations,
            SURGERY,
            f"{GENOTYPE_TEXT[gt]} GIST: no neoadjuvant TKI — proceed to surgery if feasible",
            "SDH-deficient and NF1-associated GIST (KIT/PDGFRA wild type) do not respond to "
            "neoadjuvant TKI: proceed directly to surgery if feasible.",
            facts=localized_facts(case),
        )
    ]


D6 = Rule(
    rule_id="D6",
    section="1.D",
    title="SDH-deficient or NF1: no neoadjuvant TKI",
    statement="Proceed directly to surgery if feasible.",
    conditions=("marginally resectable localized GIST", "SDH-deficient or NF1-associated"),
    citations=("S6",),
    reads=_START_READS,
    categories=(SURGERY,),
    when=lambda case: _genotype_decides(case) and genotype(case) in _SDH_OR_NF1,
    applies=_decides("D6"),
    recommend=_d6,
    design_note=_NO_IMATINIB_NOTE,
)


def _d7(case: GistCase) -> list[Recommendation]:
    if not _starting(case):
        return [_unlikely_to_help(case, "D7", D7.citations)]
    gt = genotype(case)
    assert gt is not None
    return [
        emit(
            "D7",
            D7.citations,
            SURGERY,
            f"{GENOTYPE_TEXT[gt]}: forgo neoadjuvant therapy — surgery if feasible",
            "Mutations not expected to respond to imatinib: forgo neoadjuvant therapy "
            "(NCCN 1.2025).",
            facts=localized_facts(case),
            notes=(
                "DESIGN: BRAF V600E, NTRK fusion and wild type without a known subtype are "
                "treated as not expected to respond to neoadjuvant imatinib.",
            ),
        )
    ]


D7 = Rule(
    rule_id="D7",
    section="1.D",
    title="Mutations not expected to respond: forgo neoadjuvant therapy",
    statement="Forgo neoadjuvant therapy; surgery if feasible.",
    conditions=("marginally resectable localized GIST", "BRAF V600E, NTRK fusion or wild type"),
    citations=("S12",),
    reads=_START_READS,
    categories=(SURGERY,),
    when=lambda case: _genotype_decides(case) and genotype(case) in _NOT_EXPECTED_TO_RESPOND,
    applies=_decides("D7"),
    recommend=_d7,
    design_note=(
        f"{_NO_IMATINIB_NOTE} BRAF V600E, NTRK fusion and unclassified wild type count as "
        '"not expected to respond".'
    ),
)


# --- D4, D3: starting neoadjuvant imatinib -------------------------------------------------------


def _neo_imatinib(case: GistCase, rule_id: str, citations: tuple[str, ...]) -> Recommendation:
    gt = genotype(case)
    assert gt is not None
    exon9 = gt is Genotype.KIT_EXON_9
    regimens = (rx.IMATINIB_800, rx.IMATINIB_400) if exon9 else (rx.IMATINIB_400,)
    dose = "800 mg" if exon9 else "400 mg"
    notes = (
        ("Imatinib 800 mg may be offered for exon 9 (extrapolated from advanced disease).",)
        if exon9
        else ()
    )
    return emit(
        rule_id,
        citations,
        NEO,
        f"Neoadjuvant imatinib {dose} daily ({_how(case)} GIST); resect at maximal response",
        "Neoadjuvant imatinib shrinks a marginally resectable or unresectable tumour; surgery "
        "follows at maximal response, then imatinib continues to a total of at least 3 years "
        f"(D10). Genotype: {GENOTYPE_TEXT[gt]}.",
        regimens=regimens,
        facts=localized_facts(case),
        numbers=(ev.ASIAN_NEOADJUVANT,),
        notes=notes,
    )


def _d4(case: GistCase) -> list[Recommendation]:
    return [_neo_imatinib(case, "D4", D4.citations)]


def _d3(case: GistCase) -> list[Recommendation]:
    return [_neo_imatinib(case, "D3", D3.citations)]


D4 = Rule(
    rule_id="D4",
    section="1.D",
    title="Neoadjuvant imatinib 800 mg may be offered for KIT exon 9",
    statement="Imatinib 800 mg daily may be offered (extrapolated from advanced disease).",
    conditions=("neoadjuvant pathway", "KIT exon 9"),
    citations=("S6",),
    reads=_START_READS,
    categories=(NEO,),
    when=lambda case: _starting(case) and genotype(case) is Genotype.KIT_EXON_9,
    applies=_decides("D4"),
    recommend=_d4,
    design_note='KIT exon 9: 800 mg listed first, 400 mg as alternative ("may be offered/used").',
)

D3 = Rule(
    rule_id="D3",
    section="1.D",
    title="Neoadjuvant imatinib 400 mg (KIT exon 11 / other sensitive)",
    statement="Imatinib 400 mg daily before surgery.",
    conditions=("neoadjuvant pathway", "KIT exon 11, other KIT or PDGFRA non-D842V"),
    citations=("S6",),
    reads=_START_READS,
    categories=(NEO,),
    when=lambda case: _starting(case) and genotype(case) in IMATINIB_400_SENSITIVE,
    applies=_decides("D3"),
    recommend=_d3,
    evidence_numbers=(ev.ASIAN_NEOADJUVANT,),
    design_note=(
        "Starting only: a course already under way gets the D13 'continue' card, never a "
        "second start card."
    ),
)


# --- D1 and its companion D2: genotype not yet known ---------------------------------------------


def _genotype_gap(case: GistCase) -> MissingData:
    return missing(case, "genotype", "chooses the neoadjuvant drug, or no neoadjuvant TKI")


def _d1(case: GistCase) -> list[Recommendation]:
    return [
        emit(
            "D1",
            D1.citations,
            NEO,
            f"Neoadjuvant TKI pathway ({_how(case)} GIST): choose the drug once genotype known",
            "A localized GIST that is unresectable, or resectable only with major "
            "functional loss, is treated with a TKI before surgery. Confirm the "
            "diagnosis by biopsy and the genotype first (D2).",
            facts=localized_facts(case),
            missing=(_genotype_gap(case),),
        )
    ]


D1 = Rule(
    rule_id="D1",
    section="1.D",
    title="Marginally resectable or unresectable localized GIST: neoadjuvant TKI pathway",
    statement="Neoadjuvant TKI before surgery.",
    conditions=(
        "localized, not resected",
        "marginally resectable or unresectable",
        "genotype not yet known (drug chosen by D3–D7 once known)",
    ),
    citations=("S1", "S5", "S6", "S13b"),
    reads=_START_READS,
    categories=(NEO,),
    when=lambda case: _starting(case) and genotype(case) is None,
    applies=_decides("D1"),
    recommend=_d1,
    design_note=(
        "Pathway card only while the genotype is unknown (no drug before genotyping, D2); "
        "with a genotype D3–D7 carry the decision."
    ),
)


def _d2(case: GistCase) -> list[Recommendation]:
    return [
        emit(
            "D2",
            D2.citations,
            Category.MUTATION_TESTING,
            "Biopsy and KIT/PDGFRA mutation analysis before neoadjuvant TKI",
            "Before neoadjuvant therapy: biopsy to confirm GIST and mutation analysis, "
            "which excludes insensitive genotypes and identifies KIT exon 9.",
            facts=localized_facts(case),
            missing=(_genotype_gap(case),),
        )
    ]


D2 = Rule(
    rule_id="D2",
    section="1.D",
    title="Before neoadjuvant therapy: biopsy and mutation analysis",
    statement="Biopsy to confirm GIST and KIT/PDGFRA mutation analysis.",
    conditions=("neoadjuvant pathway", "genotype unknown or conflicting"),
    citations=("S5", "S6", "S12"),
    reads=_START_READS,
    categories=(Category.MUTATION_TESTING,),
    applies=_decides("D1"),
    recommend=_d2,
)


# --- D12: progression on the course ---------------------------------------------------------------


def _d12(case: GistCase) -> list[Recommendation]:
    last = _course(case)
    return [
        emit(
            "D12",
            D12.citations,
            SURGERY,
            f"Growth on neoadjuvant {_drug_dose(last)}: urgent surgical re-evaluation",
            "The tumour is growing during neoadjuvant therapy while it may still be resectable; "
            "some tumours rapidly become unresectable, so re-evaluate for surgery urgently (MDT).",
            indicator=Indicator.WARNING,
            facts=_course_facts(case),
            notes=(
                "If surgery is not possible, treat as progression on the TKI: dose increase, then "
                "sunitinib (D11, §1.G).",
            ),
        )
    ]


D12 = Rule(
    rule_id="D12",
    section="1.D",
    title="Progression during neoadjuvant TKI: urgent surgical re-evaluation",
    statement="Flag for urgent surgical re-evaluation.",
    conditions=("on neoadjuvant TKI", "progression", "not judged unresectable"),
    citations=("S12",),
    reads=_D12_READS,
    categories=(SURGERY,),
    when=lambda case: (
        _judged_by_response(case)
        and _growing(case, _course(case))
        and resectability(case) is not Resectability.UNRESECTABLE
    ),
    applies=_decides("D12"),
    recommend=_d12,
    design_note=(
        "(KB) Progression on neoadjuvant TKI, not unresectable → urgent surgical "
        "re-evaluation; surgery card raised to warning."
    ),
)


# --- D14: responding and resectable ---------------------------------------------------------------


def _d14_when(case: GistCase) -> bool:
    """Checked after D12 declined, so a growing tumour here is unresectable (never D14)."""
    if not _judged_by_response(case):
        return False
    last = _course(case)
    res = resectability(case)
    return res is Resectability.RESECTABLE or (
        _long_enough(case, last)
        and response_applies_to(case, last) is ResponseStatus.IMPROVED
        and res is not Resectability.UNRESECTABLE
    )


def _d14(case: GistCase) -> list[Recommendation]:
    last = _course(case)
    months = _months(case, last)
    status = response_applies_to(case, last)
    res = resectability(case)
    why = (
        "now judged resectable"
        if res is Resectability.RESECTABLE
        else f"responding after {_month_text(months)}"
    )
    gaps: list[MissingData] = []
    if status is None:
        gaps.append(missing(case, "response", "growth → urgent surgical re-evaluation (D12)"))
    if res is None:
        gaps.append(missing(case, "resectability", "confirm resectability at the MDT"))
    return [
        emit(
            "D14",
            D14.citations,
            SURGERY,
            f"Plan surgery at maximal response (MDT): {why} on neoadjuvant {last.drug.value}",
            f"The tumour is responding or stable on neoadjuvant {_drug_dose(last)} "
            f"({_month_text(months)}). Operate at maximal response after MDT review; continue the "
            "TKI until shortly before surgery and resume it afterwards, to a total of at least 3 "
            "years (D10).",
            facts=_course_facts(case),
            missing=gaps,
            numbers=(ev.ASIAN_NEOADJUVANT,),
        )
    ]


D14 = Rule(
    rule_id="D14",
    section="1.K",
    title="Responding on neoadjuvant TKI and resectable: surgery at maximal response",
    statement="Surgery at maximal response after MDT review (D9); continue the TKI until shortly "
    "before surgery and resume it after, to a total of at least 3 years (D10).",
    conditions=(
        "neoadjuvant course running, no progression",
        "now judged resectable, or responding after ≥6 months of therapy",
    ),
    citations=("S6", "S12", "S2"),
    reads=_COURSE_READS,
    categories=(SURGERY,),
    when=_d14_when,
    applies=_decides("D14"),
    recommend=_d14,
    evidence_numbers=(ev.ASIAN_NEOADJUVANT,),
    design_note=(
        "(KB §1.K) Running course, no progression, and resectable — or improved after ≥6 "
        "months and not unresectable → surgery at maximal response after MDT; response "
        "unknown while resectable → the same card with the response named as missing."
    ),
)


# --- D11: not shrinking enough, or the course failed while unresectable ---------------------------


def _not_shrinking(case: GistCase, last: TkiCourse) -> bool:
    status = response_applies_to(case, last)
    return (
        _long_enough(case, last)
        and status is not None
        and (
            resectability(case) is Resectability.UNRESECTABLE
            or status is not ResponseStatus.IMPROVED
        )
    )


def _d11_when(case: GistCase) -> bool:
    """Checked after D12 and D14 declined, so growth here means an unresectable tumour."""
    if _stopped_for(case, StopReason.INTOLERANCE):
        return True
    if not _judged_by_response(case):
        return False
    last = _course(case)
    return _growing(case, last) or _not_shrinking(case, last)


def _d11(case: GistCase) -> list[Recommendation]:
    last = _course(case)
    if _stopped_for(case, StopReason.INTOLERANCE):
        return [_d11_next(case, StopReason.INTOLERANCE)]
    if _growing(case, last):
        return [_d11_next(case, StopReason.PROGRESSION)]
    months = _months(case, last)
    where = (
        "still unresectable"
        if resectability(case) is Resectability.UNRESECTABLE
        else "no shrinkage"
    )
    return [
        emit(
            "D11",
            D11.citations,
            Category.CONTINUE_CURRENT_THERAPY,
            f"{where.capitalize()} after {months or 0:.0f} months of neoadjuvant "
            f"{last.drug.value}: MDT review",
            f"The tumour has not shrunk enough for surgery after {months or 0:.0f} months: "
            "maximal response has probably been reached. Review at the MDT whether surgery is "
            f"now feasible; otherwise continue {_drug_dose(last)} while it helps, and on "
            "progression increase the dose, then sunitinib, regorafenib and ripretinib as in "
            "advanced disease.",
            facts=_course_facts(case),
        )
    ]


def _d11_next(case: GistCase, trigger: StopReason) -> Recommendation:
    neo = courses_in(case, TherapySetting.NEOADJUVANT)
    step = next_step(genotype(case), neo, trigger)
    why = "progression" if trigger is StopReason.PROGRESSION else "intolerance"
    return emit(
        "D11",
        D11.citations,
        Category.NEXT_LINE_TKI,
        f"Neoadjuvant TKI {why}, not resectable: {step.what}",
        "When the tumour does not become resectable, treatment follows the advanced-disease "
        f"sequence: dose increase, then sunitinib, regorafenib, ripretinib. {step.rationale}",
        regimens=step.regimens,
        facts=_course_facts(case),
        numbers=step.numbers,
        notes=step.notes,
        missing=step.missing,
    )


D11 = Rule(
    rule_id="D11",
    section="1.D",
    title="Tumour not shrinking enough for surgery",
    statement="Continue imatinib while it helps; then dose increase, sunitinib, regorafenib, "
    "ripretinib (as §1.G).",
    conditions=(
        "on neoadjuvant TKI",
        "after ≥6 months still unresectable or not shrinking, or progression while "
        "unresectable, or intolerance",
    ),
    citations=("S5",),
    reads=_COURSE_READS,
    categories=(Category.CONTINUE_CURRENT_THERAPY, Category.NEXT_LINE_TKI),
    when=_d11_when,
    applies=_decides("D11"),
    recommend=_d11,
    design_note=(
        '"Does not shrink enough" = after 6 months of neoadjuvant TKI still unresectable, or '
        "stable rather than shrinking (2026.2) → MDT review, continue while it helps; "
        "progression or intolerance while unresectable → the §1.G next step (no line number: "
        "neoadjuvant is not an advanced line)."
    ),
)


# --- D13: continue and reassess -------------------------------------------------------------------

_RESPONSE_WORDS = {
    ResponseStatus.IMPROVED: "responding",
    ResponseStatus.STABLE: "stable",
    ResponseStatus.UNDETERMINED: "response undetermined",
}


def _d13(case: GistCase) -> list[Recommendation]:
    last = _course(case)
    gt = genotype(case)
    status = response_applies_to(case, last)
    months = _months(case, last)
    gaps: list[MissingData] = []
    notes: list[str] = []
    if status is None:
        gaps.append(missing(case, "response", "growth → urgent surgical re-evaluation (D12)"))
    if resectability(case) is None:
        gaps.append(missing(case, "resectability", "now resectable → surgery (D14)"))
    if gt is None:
        gaps.append(
            missing(
                case,
                "genotype",
                "PDGFRA D842V, SDH-deficient or NF1 → imatinib does not help: surgery if "
                "feasible (D5/D6); KIT exon 9 → 800 mg may be offered (D4)",
            )
        )
    if gt is Genotype.KIT_EXON_9 and last.drug is Drug.IMATINIB and (last.daily_dose_mg or 0) < 800:
        notes.append("KIT exon 9: imatinib 800 mg daily may be offered (D4).")
    state = (
        _RESPONSE_WORDS.get(status, "response not yet assessed")
        if status
        else "response not yet assessed"
    )
    return [
        emit(
            "D13",
            D13.citations,
            NEO,
            f"Continue neoadjuvant {_drug_dose(last)} ({_month_text(months)}, {state}); "
            "reassess by CT/PET",
            "The TKI started while the GIST was localized and before any resection, so it is "
            "neoadjuvant treatment already under way: do not start it again. Continue, reassess "
            "by CT or PET-CT at close intervals and plan surgery at maximal response (often 6–12 "
            "months).",
            facts=_course_facts(case),
            missing=gaps,
            notes=notes,
            numbers=(ev.ASIAN_NEOADJUVANT,),
        )
    ]


D13 = Rule(
    rule_id="D13",
    section="1.K",
    title="Neoadjuvant TKI already under way: continue and reassess",
    statement="A TKI course that started while the GIST was localized and before any resection "
    "is neoadjuvant, also when no resection has happened yet. It is never proposed again (no "
    "start card, no draft order): continue it and reassess by CT/PET (D8/D9), unless D11, "
    "D12 or D14 applies.",
    conditions=(
        "localized, not resected",
        "a TKI course running that started before any metastasis or resection",
        "no progression, not yet ready for surgery, under 6 months or response unknown",
    ),
    citations=("S6",),
    reads=_COURSE_READS,
    categories=(NEO,),
    when=_judged_by_response,
    applies=_decides("D13"),
    recommend=_d13,
    design_note=(
        "(KB §1.K) A course that started while localized and before any resection is "
        "neoadjuvant, also with no resection yet (fhir_mappings/therapy_lines.py). The "
        'running course is never proposed again: the D13 card says "continue … (month N); '
        'reassess" and carries no regimen, so no draft order duplicates the prescription. '
        "Neoadjuvant imatinib with a genotype that gets none (D842V, SDH, NF1, BRAF, NTRK, "
        "wild type) → the D5/D6/D7 card says it is unlikely to help."
    ),
)


# --- the decision --------------------------------------------------------------------------------


def _stop_reason_gap(case: GistCase) -> tuple[MissingData, ...]:
    if not _undecided(case):
        return ()
    return (
        MissingData(
            "tkiHistory",
            "neoadjuvant TKI ended without a recorded reason and no resection is recorded",
            "resectable now → surgery (D14); progression → re-evaluation or next drug",
        ),
    )


NEOADJUVANT: Decision = Decision(
    name="localized GIST marginally resectable or unresectable, or on neoadjuvant TKI",
    reached=lambda case: (
        localized_route(case)
        in (LocalizedRoute.NEOADJUVANT_START, LocalizedRoute.NEOADJUVANT_COURSE)
    ),
    rules=(D5, D6, D7, D4, D3, D1, D12, D14, D11, D13),
    otherwise=_stop_reason_gap,
)


# --- background rows -----------------------------------------------------------------------------


def _background(
    rule_id: str,
    section: str,
    title: str,
    statement: str,
    citations: tuple[str, ...],
    folds_into: tuple[str, ...],
    *,
    reads: tuple[str, ...] = _HOSTED_READS,
    numbers: tuple[str, ...] = (),
    design_note: str = BACKGROUND_NOTE,
) -> Rule:
    """A background row that applies exactly when one of its hosts makes a card."""
    return Rule(
        rule_id=rule_id,
        section=section,
        title=title,
        statement=statement,
        conditions=(f"shown on the cards of {', '.join(folds_into)}",),
        citations=citations,
        reads=reads,
        categories=(),
        applies=hosted,
        recommend=nothing,
        evidence_numbers=numbers,
        folds_into=folds_into,
        design_note=design_note,
    )


D8 = _background(
    "D8",
    "1.D",
    "Monitoring during neoadjuvant TKI",
    "CT or PET-CT at close intervals; PET-CT helps judge early response if the genotype is "
    "unknown; some tumours can rapidly become unresectable, so monitor closely.",
    ("S6", "S12"),
    ("D1", "D3", "D4", "D11", "D13"),
)

D9 = _background(
    "D9",
    "1.D",
    "Timing of surgery after neoadjuvant TKI",
    "Operate at maximal response, which can take 6–12 months (PDQ; NCCN: at least 6 months).",
    ("S6", "S12"),
    ("D1", "D3", "D4", "D13", "D14"),
    numbers=(ev.ASIAN_NEOADJUVANT,),
)

H5 = _background(
    "H5",
    "1.H",
    "Primary became resectable on TKI: secondary surgery",
    "Secondary surgery may benefit an advanced primary that became resectable on imatinib, "
    "or a necrotic bleeding tumour with local progression (2007 review).",
    ("S2",),
    ("D12", "D14"),
    reads=_H5_READS,
    design_note=(
        "(2026.2) Background to D14 and D12: one surgery card per decision (D14 carries the "
        "referral, H5 its supporting evidence)."
    ),
)
