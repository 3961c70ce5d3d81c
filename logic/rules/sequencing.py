"""TKI sequencing for advanced disease (§1.G): which drug comes next, by genotype and history.

Ladders [S6][S13a]: KIT-driven (and genotype unknown) imatinib → sunitinib → regorafenib →
ripretinib, then limited-evidence options (G12) and trials (G15); PDGFRA D842V avapritinib →
dasatinib → ripretinib (G3, G14, SECONDARY); NTRK and BRAF their targeted drugs (G4, G5);
SDH-deficient/NF1 sunitinib or regorafenib (G6). Imatinib 400 → 800 mg escalation is an option,
not a new line (§1.0 DESIGN).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from logic.case import Drug, Genotype, StopReason, TkiCourse
from logic.knowledge import evidence as ev
from logic.knowledge import regimens as rx
from logic.recommendation import MissingData, Regimen

SUNITINIB = (rx.SUNITINIB_50_4_2, rx.SUNITINIB_37_5)
LATER_LINE_OPTIONS = (
    rx.SORAFENIB_400_BID,
    rx.NILOTINIB_400_BID,
    rx.PAZOPANIB_800,
    rx.DASATINIB_70_BID,
)

KIT_LADDER = (Drug.IMATINIB, Drug.SUNITINIB, Drug.REGORAFENIB, Drug.RIPRETINIB)
D842V_LADDER = (Drug.AVAPRITINIB, Drug.DASATINIB, Drug.RIPRETINIB)
SDH_NF1_LADDER = (Drug.SUNITINIB, Drug.REGORAFENIB)


@dataclass(frozen=True, slots=True)
class Step:
    """The next systemic step: the rule that recommends it, regimens (alternatives), wording."""

    rule_id: str
    regimens: tuple[Regimen, ...]
    what: str  # short drug wording for summaries, e.g. "imatinib 800 mg or sunitinib"
    rationale: str
    numbers: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    missing: tuple[MissingData, ...] = ()
    exhausted: bool = False  # no standard line left: a clinical trial card goes with it


def line_count(courses: Sequence[TkiCourse]) -> int:
    """Advanced-disease lines so far; consecutive imatinib courses (an escalation) are one line."""
    recorded = [c.line for c in courses if c.line]
    counted, previous = 0, None
    for course in courses:
        if not (course.drug is Drug.IMATINIB and previous is Drug.IMATINIB):
            counted += 1
        previous = course.drug
    return max([*recorded, counted])


def imatinib_dose(courses: Sequence[TkiCourse]) -> float | None:
    """Highest imatinib daily dose given (None when no dose is recorded)."""
    doses = [c.daily_dose_mg for c in courses if c.drug is Drug.IMATINIB and c.daily_dose_mg]
    return max(doses) if doses else None


def first_step(genotype: Genotype | None) -> Step | None:
    """First line by genotype (G1–G6); None for wild type not further classified."""
    if genotype is Genotype.KIT_EXON_9:
        return Step(
            "G2",
            (rx.IMATINIB_800,),
            "imatinib 800 mg daily",
            "KIT exon 9 GIST needs the higher imatinib dose: 800 mg daily as 400 mg twice daily.",
        )
    if genotype is Genotype.PDGFRA_D842V:
        return Step(
            "G3",
            (rx.AVAPRITINIB_300,),
            "avapritinib 300 mg daily",
            "PDGFRA D842V is resistant to imatinib; avapritinib 300 mg daily is the first line.",
            numbers=(ev.NAVIGATOR,),
            notes=("Observation is reasonable if the disease is asymptomatic and indolent.",),
        )
    if genotype is Genotype.NTRK_FUSION:
        return Step(
            "G4",
            (rx.LAROTRECTINIB_100_BID, rx.ENTRECTINIB_600),
            "larotrectinib or entrectinib",
            "NTRK-fusion disease: a TRK inhibitor (larotrectinib or entrectinib; repotrectinib is "
            "also listed). SECONDARY: NCCN 1.2026 as re-encoded; doses from a public table.",
            notes=(
                "Some NTRK-rearranged GI mesenchymal tumours are a separate entity from GIST: "
                "ask for pathology review.",
            ),
        )
    if genotype is Genotype.BRAF_V600E:
        return Step(
            "G5",
            (rx.DABRAFENIB_TRAMETINIB,),
            "dabrafenib + trametinib",
            "BRAF V600E disease: dabrafenib with trametinib (SECONDARY: NCCN 1.2026 as "
            "re-encoded; doses from a public table).",
        )
    if genotype in (Genotype.SDH_DEFICIENT, Genotype.NF1):
        return Step(
            "G6",
            (*SUNITINIB, rx.REGORAFENIB_160),
            "sunitinib or regorafenib (modest responses)",
            "SDH-deficient and NF1-related GIST are highly resistant to imatinib, which is not "
            "used. Sunitinib or regorafenib may give modest responses; the course is often "
            "indolent and a clinical trial is encouraged.",
            notes=(
                "Paediatric PDQ: responses to imatinib, sunitinib and regorafenib are uncommon.",
            ),
        )
    if genotype is Genotype.WILD_TYPE:
        return None
    return Step(
        "G1",
        (rx.IMATINIB_400,),
        "imatinib 400 mg daily",
        "Imatinib 400 mg once daily is the first line for imatinib-sensitive GIST; it may start "
        "while the genotype is awaited, and continues until progression or unacceptable "
        "toxicity.",
        numbers=(ev.IMATINIB_ADVANCED,),
    )


def _must(step: Step | None) -> Step:
    if step is None:  # only wild type has no first step, and no caller asks for it
        raise LookupError("no first-line step for this genotype")
    return step


def next_step(genotype: Genotype | None, courses: Sequence[TkiCourse], trigger: StopReason) -> Step:
    """The step after the last course failed (progression) or was not tolerated."""
    last = courses[-1]
    received = {c.drug for c in courses}
    tolerance = (
        ("Intolerance: dose modification or substitution may also be considered (G17).",)
        if trigger is StopReason.INTOLERANCE
        else ()
    )
    if genotype is Genotype.PDGFRA_D842V:
        return _ladder(D842V_LADDER, received, tolerance, d842v=True)
    if genotype in (Genotype.NTRK_FUSION, Genotype.BRAF_V600E):
        own = {Drug.LAROTRECTINIB, Drug.ENTRECTINIB, Drug.DABRAFENIB, Drug.TRAMETINIB}
        first = first_step(genotype)
        if first is not None and not received & own:
            return first
        return _exhausted(tolerance, trial_only=True)
    if genotype in (Genotype.SDH_DEFICIENT, Genotype.NF1):
        for drug in SDH_NF1_LADDER:
            if drug not in received:
                step = _must(first_step(genotype))
                regimens = SUNITINIB if drug is Drug.SUNITINIB else (rx.REGORAFENIB_160,)
                return Step("G6", regimens, drug.value, step.rationale, notes=tolerance)
        return _exhausted(tolerance, trial_only=True)
    if last.drug is Drug.IMATINIB and Drug.SUNITINIB not in received:
        return _after_imatinib(genotype, courses, trigger)
    # imatinib again after sunitinib (re-challenge) or any later drug: the next drug not yet given
    return _ladder(KIT_LADDER, received, tolerance, d842v=False)


def _after_imatinib(
    genotype: Genotype | None, courses: Sequence[TkiCourse], trigger: StopReason
) -> Step:
    if trigger is StopReason.INTOLERANCE:
        return Step(
            "G8",
            SUNITINIB,
            "sunitinib",
            "Imatinib was not tolerated: switch to sunitinib, 50 mg daily 4 weeks on / 2 off or "
            "37.5 mg continuously.",
            numbers=(ev.SUNITINIB_PHASE3,),
        )
    dose = imatinib_dose(courses)
    if dose is not None and dose >= 800:
        return Step(
            "G9",
            SUNITINIB,
            "sunitinib",
            "Progression on imatinib 800 mg daily: sunitinib is the second-line drug, 50 mg daily "
            "4 weeks on / 2 off or 37.5 mg continuously.",
            numbers=(ev.SUNITINIB_PHASE3,),
        )
    gaps: tuple[MissingData, ...] = ()
    if dose is None:
        gaps = (
            MissingData(
                "imatinibDose",
                "imatinib daily dose not recorded",
                "if the dose was already 800 mg, escalation is not an option: sunitinib",
            ),
        )
    notes = (
        ("KIT exon 9 is normally treated with 800 mg from the start (G2).",)
        if genotype is Genotype.KIT_EXON_9
        else ()
    )
    return Step(
        "G7",
        (rx.IMATINIB_800, *SUNITINIB),
        "imatinib 800 mg or sunitinib",
        "Progression on imatinib 400 mg: either escalate imatinib to 800 mg daily or switch to "
        "sunitinib. Escalation does not count as a new line.",
        numbers=(ev.IMATINIB_ESCALATION, ev.SUNITINIB_PHASE3),
        notes=notes,
        missing=gaps,
    )


def _ladder(
    ladder: tuple[Drug, ...], received: set[Drug], extra: tuple[str, ...], *, d842v: bool
) -> Step:
    for drug in ladder:
        if drug in received:
            continue
        if drug is Drug.IMATINIB:
            return _must(first_step(None))
        if drug is Drug.SUNITINIB:
            return Step(
                "G9",
                SUNITINIB,
                "sunitinib",
                "Sunitinib is the second-line drug after imatinib: 50 mg daily 4 weeks on / 2 off "
                "or 37.5 mg continuously.",
                numbers=(ev.SUNITINIB_PHASE3,),
                notes=extra,
            )
        if drug is Drug.REGORAFENIB:
            return Step(
                "G10",
                (rx.REGORAFENIB_160,),
                "regorafenib",
                "After imatinib and sunitinib: regorafenib 160 mg daily, 3 weeks on / 1 off.",
                numbers=(ev.GRID,),
                notes=extra,
            )
        if drug is Drug.AVAPRITINIB:
            return _must(first_step(Genotype.PDGFRA_D842V))
        if drug is Drug.DASATINIB:
            return Step(
                "G14",
                (rx.DASATINIB_70_BID,),
                "dasatinib",
                "PDGFRA D842V after avapritinib: dasatinib ('other recommended' second line), "
                "later ripretinib. SECONDARY: NCCN 1.2026 as re-encoded.",
                notes=extra,
            )
        if d842v:  # ripretinib after avapritinib and dasatinib
            return Step(
                "G14",
                (rx.RIPRETINIB_150,),
                "ripretinib",
                "PDGFRA D842V after avapritinib and dasatinib: ripretinib. SECONDARY: NCCN "
                "1.2026 as re-encoded.",
                notes=extra,
            )
        return Step(
            "G11",
            (rx.RIPRETINIB_150,),
            "ripretinib",
            "After three or more TKIs including imatinib: ripretinib 150 mg once daily. It is "
            "not preferred in second line.",
            numbers=(ev.INVICTUS, ev.INTRIGUE),
            notes=extra,
        )
    return _exhausted(extra, trial_only=d842v)


def _exhausted(extra: tuple[str, ...], *, trial_only: bool) -> Step:
    if trial_only:
        return Step(
            "G15",
            (),
            "a clinical trial",
            "The standard lines for this genotype are exhausted: refer to a clinical trial or a "
            "specialised centre.",
            notes=extra,
            exhausted=True,
        )
    return Step(
        "G12",
        LATER_LINE_OPTIONS,
        "sorafenib, nilotinib, pazopanib or dasatinib",
        "The standard lines (imatinib, sunitinib, regorafenib, ripretinib) are exhausted. "
        "Options with limited evidence: sorafenib, nilotinib, pazopanib or dasatinib; a "
        "clinical trial is preferred where available.",
        numbers=(ev.SORAFENIB_PHASE2, ev.NILOTINIB_PHASE3, ev.PAZOGIST),
        notes=(
            *extra,
            "Avapritinib is possible only after imatinib, sunitinib and regorafenib in non-D842V "
            "disease, and did worse than regorafenib there (G13).",
        ),
        exhausted=True,
    )
