"""§1.G: systemic therapy of advanced GIST, by line and genotype (G1–G19).

One record per rule. Advanced disease gets one systemic-therapy card, decided by SYSTEMIC:
progression on adjuvant/neoadjuvant imatinib (G18) > recurrence treated as metastatic disease
(G16) > the row the stage names (logic.rules.advanced_stage): a first line by genotype (G1–G6),
the running line continued under the row of its drug, avapritinib given too early (G13), or the
next line after progression or intolerance (G7–G15, from logic.rules.sequencing). Beside it,
reached together: the genotype work-up (G1 when the genotype is unknown, G19 for wild type) and
the clinical-trial referral (G15) for wild type, SDH-deficient or NF1 GIST and exhausted lines.
"""

from __future__ import annotations

from collections.abc import Callable

from logic.case import Drug, Genotype, GistCase, StopReason, TkiCourse
from logic.facts import has_metastatic_disease
from logic.knowledge import evidence as ev
from logic.knowledge import regimens as rx
from logic.recommendation import Category, MissingData, Recommendation, Regimen
from logic.rule import Decision, Rule, hosted
from logic.rules.advanced_stage import (
    LIMITED_MAX_LESIONS,
    Phase,
    Stage,
    base_facts,
    genotype_text,
    progressing_lesions,
    stage,
    stage_facts,
)
from logic.rules.common import (
    BACKGROUND_NOTE,
    courses_used,
    emit,
    facts_used,
    missing,
    nothing,
    per_case,
)
from logic.rules.sequencing import first_step, line_count, next_step

FIRST, NEXT, CONT = (
    Category.FIRST_LINE_TKI,
    Category.NEXT_LINE_TKI,
    Category.CONTINUE_CURRENT_THERAPY,
)
#: The cards that give or keep a TKI (G17's hosts).
TKI_CARDS = (
    *("G1", "G2", "G3", "G4", "G5", "G6", "G7", "G8", "G9", "G10", "G11", "G12", "G14"),
    "G18",
)

#: What deciding the stage and showing its facts reads.
_READS = ("disease_state", "resectability", "genotype", "metastases", "tki_history", "response")
#: A trial referral shows the genotype and the advanced courses only.
_TRIAL_READS = ("disease_state", "genotype", "tki_history", "response")


def _stage(case: GistCase) -> Stage:
    st = stage(case)
    assert st is not None, "a §1.G card is made only on the advanced pathway"
    return st


def _category_for_line(line: int) -> Category:
    return FIRST if line == 1 else NEXT


def continue_row(gt: Genotype | None, course: TkiCourse) -> str:
    """The §1.G row under which a running course continues."""
    drug, dose = course.drug, course.daily_dose_mg or 0
    if drug is Drug.IMATINIB:
        if dose >= 800:
            return "G2" if gt is Genotype.KIT_EXON_9 else "G7"
        return "G1"
    by_drug = {
        Drug.SUNITINIB: "G9",
        Drug.REGORAFENIB: "G10",
        Drug.RIPRETINIB: "G14" if gt is Genotype.PDGFRA_D842V else "G11",
        Drug.AVAPRITINIB: "G3" if gt is Genotype.PDGFRA_D842V else "G13",
        Drug.DASATINIB: "G14" if gt is Genotype.PDGFRA_D842V else "G12",
        Drug.LAROTRECTINIB: "G4",
        Drug.ENTRECTINIB: "G4",
        Drug.DABRAFENIB: "G5",
        Drug.TRAMETINIB: "G5",
    }
    return by_drug.get(drug, "G12")


def _row(case: GistCase) -> str | None:
    """The row the stage names (not G18 or G16, which SYSTEMIC checks before it)."""
    st = stage(case)
    if st is None or st.origin is not None or st.recurrence:
        return None
    if st.phase in (Phase.FIRST_LINE, Phase.FAILING):
        return st.step.rule_id if st.step is not None else None
    if st.phase in (Phase.RESPONDING, Phase.RESPONSE_UNKNOWN):
        return continue_row(st.genotype, st.courses[-1])
    if st.phase is Phase.AVAPRITINIB_TOO_EARLY:
        return "G13"
    return None


def _row_is(rule_id: str) -> Callable[[GistCase], bool]:
    return lambda case: _row(case) == rule_id


def regimen_of(course: TkiCourse) -> tuple[Regimen, ...]:
    """The §3 regimen matching a course's drug and daily dose, else the course as prescribed."""
    for regimen in rx.ALL_REGIMENS:
        if regimen.drug == course.drug.value and regimen.dose_mg_per_day == course.daily_dose_mg:
            return (regimen,)
    if course.daily_dose_mg is None:
        return ()
    dose = course.daily_dose_mg
    name = course.drug.value
    return (Regimen(name, dose, "as prescribed", f"{name.capitalize()} {dose:g} mg/day"),)


# --- card builders --------------------------------------------------------------------------------


def _failing_notes(case: GistCase, st: Stage) -> tuple[list[str], list[MissingData]]:
    """The next-line card's notes and gaps: the step's, and what the pattern of progression of
    metastatic disease adds (focal: local treatment is an alternative, H2; unknown: ask)."""
    assert st.step is not None
    notes, gaps = list(st.step.notes), list(st.step.missing)
    if st.trigger is StopReason.PROGRESSION and has_metastatic_disease(case):
        lesions = progressing_lesions(case)
        if lesions is not None and lesions <= LIMITED_MAX_LESIONS:
            notes.append(
                "Focal progression: continuing the current TKI with local treatment of the "
                "progressing lesion is an alternative to switching (H2)."
            )
        elif lesions is None:
            gaps.append(
                MissingData(
                    "progressingLesions",
                    "number of progressing lesions not recorded",
                    "one lesion → local treatment may be an option (H2); more → no surgery (H3)",
                )
            )
    return notes, gaps


def _first_line_card(case: GistCase, st: Stage, rule: Rule) -> Recommendation:
    step, gt = st.step, st.genotype
    assert step is not None
    return emit(
        rule.rule_id,
        rule.citations,
        FIRST,
        f"First line: {step.what} — advanced GIST, {genotype_text(gt)}",
        step.rationale,
        regimens=step.regimens,
        line=1,
        facts=base_facts(case),
        numbers=step.numbers,
        notes=step.notes,
        missing=(
            (missing(case, "genotype", "exon 9 → 800 mg; D842V → avapritinib"),)
            if gt is None
            else ()
        ),
    )


def _continue_card(case: GistCase, st: Stage, rule: Rule) -> Recommendation:
    last = st.courses[-1]
    line = line_count(st.courses)
    dose = f" {last.daily_dose_mg:g} mg/day" if last.daily_dose_mg else ""
    gaps = (st.gap,) if st.gap is not None else ()
    state = "responding" if not gaps else "response not assessed"
    return emit(
        rule.rule_id,
        rule.citations,
        CONT,
        f"Continue {last.drug.value}{dose} (line {line}) — {state}",
        "Advanced-disease TKI therapy continues until progression or unacceptable toxicity. "
        "Early on imatinib, lesions may look larger from haemorrhage or myxoid change while "
        "responding: judge by density (Choi), not size alone.",
        regimens=regimen_of(last),
        line=line,
        facts=stage_facts(case),
        numbers=(ev.IMATINIB_ADVANCED,) if last.drug is Drug.IMATINIB else (),
        missing=gaps,
    )


def _avapritinib_review(case: GistCase, st: Stage, rule: Rule) -> Recommendation:
    prior = [c for c in st.courses if c.drug is not Drug.AVAPRITINIB]
    step = (
        next_step(st.genotype, prior, StopReason.PROGRESSION) if prior else first_step(st.genotype)
    )
    regimens = step.regimens if step is not None else ()
    return emit(
        rule.rule_id,
        rule.citations,
        NEXT,
        "Review avapritinib: not before imatinib, sunitinib and regorafenib in non-D842V GIST",
        "In disease without PDGFRA D842V, avapritinib is not used before imatinib, sunitinib and "
        "regorafenib: in VOYAGER it did worse than regorafenib. "
        + (f"The standard sequence suggests {step.what}." if step is not None else ""),
        regimens=regimens,
        line=line_count(st.courses),
        facts=(*facts_used(case, "genotype"), *courses_used(st.courses)),
        numbers=(ev.VOYAGER,),
    )


def _next_line_card(case: GistCase, st: Stage, rule: Rule) -> Recommendation:
    step = st.step
    assert step is not None
    line = line_count(st.courses) + 1
    notes, gaps = _failing_notes(case, st)
    why = "progression" if st.trigger is StopReason.PROGRESSION else "intolerance"
    if step.rule_id == "G15":
        return _trial(case, f"{why} after the standard lines for this genotype", gaps)
    return emit(
        rule.rule_id,
        rule.citations,
        _category_for_line(line),
        f"Line {line} after {why}: {step.what}",
        step.rationale,
        regimens=step.regimens,
        line=line,
        facts=stage_facts(case),
        numbers=step.numbers,
        notes=notes,
        missing=gaps,
    )


@per_case
def _row_card(case: GistCase) -> Recommendation:
    """The systemic card of the row SYSTEMIC picked, in that rule's name."""
    rule = _choice(case)
    assert rule is not None, "made only for the rule SYSTEMIC picked"
    st = _stage(case)
    if st.phase is Phase.FIRST_LINE:
        return _first_line_card(case, st, rule)
    if st.phase is Phase.AVAPRITINIB_TOO_EARLY:
        return _avapritinib_review(case, st, rule)
    if st.phase is Phase.FAILING:
        return _next_line_card(case, st, rule)
    return _continue_card(case, st, rule)


def _row_cards(case: GistCase) -> list[Recommendation]:
    return [_row_card(case)]


def _trial(case: GistCase, reason: str, gaps: list[MissingData] | None = None) -> Recommendation:
    return emit(
        "G15",
        G15.citations,
        Category.CLINICAL_TRIAL,
        f"Refer for a clinical trial or to a specialised centre — {reason}",
        "When the standard lines are exhausted, or for SDH-deficient and NF1-related GIST, "
        "refer to a clinical trial or a specialised sarcoma centre.",
        facts=(*facts_used(case, "genotype"), *courses_used(case.advanced_courses)),
        missing=gaps or (),
    )


def _untyped(case: GistCase) -> bool:
    """Advanced disease whose genotype is unknown: G1 asks for mutation testing."""
    st = stage(case)
    return st is not None and st.genotype is None


def _mutation_testing(case: GistCase) -> Recommendation:
    return emit(
        "G1",
        G1.citations,
        Category.MUTATION_TESTING,
        "Order KIT/PDGFRA mutation testing: genotype decides the drug and dose",
        "The genotype changes the systemic therapy: KIT exon 9 needs imatinib 800 mg, "
        "PDGFRA D842V needs avapritinib, SDH-deficient/NF1 GIST do not respond to "
        "imatinib. Imatinib may start empirically while the result is awaited.",
        missing=(missing(case, "genotype", "chooses the drug and dose of every line (G1–G6)"),),
    )


# --- G1–G14: the rows of the sequence -------------------------------------------------------------


@per_case
def _g1(case: GistCase) -> list[Recommendation]:
    cards = [_mutation_testing(case)] if _untyped(case) else []
    if _picks(case, "G1"):
        cards.append(_row_card(case))
    return cards


G1 = Rule(
    rule_id="G1",
    section="1.G",
    title="First line: imatinib 400 mg (sensitive or pending genotype)",
    statement=(
        "Imatinib 400 mg daily for KIT exon 11, other KIT or PDGFRA non-D842V disease, or while "
        "the genotype is awaited; continue until progression or unacceptable toxicity. Order "
        "mutation testing when the genotype is unknown (or subtyping for wild type)."
    ),
    conditions=("advanced disease, no TKI line yet", "genotype sensitive or unknown"),
    citations=("S6", "S5"),
    reads=_READS,
    categories=(FIRST, NEXT, CONT, Category.MUTATION_TESTING),
    when=_row_is("G1"),
    applies=lambda case: _untyped(case) or _picks(case, "G1"),
    recommend=_g1,
    evidence_numbers=(ev.IMATINIB_ADVANCED,),
    design_note=(
        "Genotype unknown → provisional imatinib 400 + mutation-testing card. Wild type not "
        "further classified → subtyping card (SDH/NTRK/BRAF) and no drug (KB gives none)."
    ),
)

G2 = Rule(
    rule_id="G2",
    section="1.G",
    title="First line: imatinib 800 mg for KIT exon 9",
    statement="KIT exon 9: imatinib 800 mg daily (400 mg twice daily).",
    conditions=("advanced disease, no TKI line yet", "KIT exon 9"),
    citations=("S6", "S25"),
    reads=_READS,
    categories=(FIRST, CONT),
    when=_row_is("G2"),
    applies=lambda case: _picks(case, "G2"),
    recommend=_row_cards,
)

G3 = Rule(
    rule_id="G3",
    section="1.G",
    title="First line: avapritinib for PDGFRA D842V",
    statement=(
        "PDGFRA exon 18 D842V: avapritinib 300 mg daily; observation is reasonable if the "
        "disease is asymptomatic and indolent."
    ),
    conditions=("advanced disease", "PDGFRA D842V", "avapritinib not yet given"),
    citations=("S6",),
    reads=_READS,
    categories=(FIRST, NEXT, CONT),
    when=_row_is("G3"),
    applies=lambda case: _picks(case, "G3"),
    recommend=_row_cards,
    evidence_numbers=(ev.NAVIGATOR,),
)

G4 = Rule(
    rule_id="G4",
    section="1.G",
    title="NTRK fusion: TRK inhibitor",
    statement=(
        "NTRK fusion: larotrectinib 100 mg twice daily or entrectinib 600 mg daily (repotrectinib "
        "also listed); ask for pathology review (some are not GIST). SECONDARY."
    ),
    conditions=("advanced disease", "NTRK fusion"),
    citations=("S13a", "S25", "S6c"),
    reads=_READS,
    categories=(FIRST, NEXT, CONT),
    when=_row_is("G4"),
    applies=lambda case: _picks(case, "G4"),
    recommend=_row_cards,
    design_note=(
        "NTRK options and doses are SECONDARY: NCCN 1.2026 as re-encoded, doses from a public "
        "regimen table; no primary trial reference was verified."
    ),
)

G5 = Rule(
    rule_id="G5",
    section="1.G",
    title="BRAF V600E: dabrafenib + trametinib",
    statement="BRAF V600E: dabrafenib 150 mg twice daily with trametinib 2 mg daily. SECONDARY.",
    conditions=("advanced disease", "BRAF V600E"),
    citations=("S13a", "S25"),
    reads=_READS,
    categories=(FIRST, NEXT, CONT),
    when=_row_is("G5"),
    applies=lambda case: _picks(case, "G5"),
    recommend=_row_cards,
    design_note=(
        "One combination Regimen; dose_mg_per_day is the dabrafenib dose. BRAF V600E option "
        "and doses are SECONDARY: NCCN 1.2026 as re-encoded, doses from a public regimen "
        "table; no primary trial reference was verified."
    ),
)

G6 = Rule(
    rule_id="G6",
    section="1.G",
    title="SDH-deficient or NF1-related: no imatinib",
    statement=(
        "Imatinib is not used (high resistance); sunitinib or regorafenib may give modest "
        "responses; the course is often indolent; a clinical trial is encouraged (G15)."
    ),
    conditions=("advanced disease", "SDH-deficient or NF1-associated"),
    citations=("S6", "S6c"),
    reads=_READS,
    categories=(FIRST, NEXT),
    when=_row_is("G6"),
    applies=lambda case: _picks(case, "G6"),
    recommend=_row_cards,
)

G7 = Rule(
    rule_id="G7",
    section="1.G",
    title="Progression on imatinib 400 mg: escalate to 800 mg or switch to sunitinib",
    statement="Progression on imatinib 400 mg: either imatinib 800 mg daily or sunitinib.",
    conditions=("progression on imatinib below 800 mg/day",),
    citations=("S6", "S5"),
    reads=_READS,
    categories=(FIRST, NEXT, CONT),
    when=_row_is("G7"),
    applies=lambda case: _picks(case, "G7"),
    recommend=_row_cards,
    evidence_numbers=(ev.IMATINIB_ESCALATION, ev.SUNITINIB_PHASE3),
    design_note=(
        "Shown as line 2 (sunitinib option opens line 2; escalation stays in line 1 by the KB "
        "§1.0 convention and does not increase the count later). Unknown imatinib dose → both "
        "options, dose named as missing."
    ),
)

G8 = Rule(
    rule_id="G8",
    section="1.G",
    title="Imatinib intolerance: sunitinib",
    statement="Imatinib not tolerated: switch to sunitinib.",
    conditions=("last advanced course imatinib, stopped for intolerance",),
    citations=("S6", "S5"),
    reads=_READS,
    categories=(FIRST, NEXT),
    when=_row_is("G8"),
    applies=lambda case: _picks(case, "G8"),
    recommend=_row_cards,
    evidence_numbers=(ev.SUNITINIB_PHASE3,),
)

G9 = Rule(
    rule_id="G9",
    section="1.G",
    title="Sunitinib as second-line drug",
    statement="Sunitinib 50 mg daily 4 weeks on / 2 off, or 37.5 mg continuous daily.",
    conditions=(
        "progression on imatinib 800 mg, or sunitinib is the next drug not yet given, or "
        "continuing sunitinib",
    ),
    citations=("S6",),
    reads=_READS,
    categories=(NEXT, CONT),
    when=_row_is("G9"),
    applies=lambda case: _picks(case, "G9"),
    recommend=_row_cards,
    evidence_numbers=(ev.SUNITINIB_PHASE3,),
    design_note=(
        "Progression on imatinib 800 mg (exon 9 or escalated) → sunitinib, under the G9 row."
    ),
)

G10 = Rule(
    rule_id="G10",
    section="1.G",
    title="Third line: regorafenib",
    statement="After imatinib and sunitinib: regorafenib 160 mg daily, 3 weeks on / 1 off.",
    conditions=("progression or intolerance after imatinib and sunitinib",),
    citations=("S6",),
    reads=_READS,
    categories=(NEXT, CONT),
    when=_row_is("G10"),
    applies=lambda case: _picks(case, "G10"),
    recommend=_row_cards,
    evidence_numbers=(ev.GRID,),
)

G11 = Rule(
    rule_id="G11",
    section="1.G",
    title="Fourth line: ripretinib",
    statement=(
        "After three or more TKIs including imatinib: ripretinib 150 mg daily (not preferred in "
        "second line)."
    ),
    conditions=("progression or intolerance after imatinib, sunitinib and regorafenib",),
    citations=("S6", "S24"),
    reads=_READS,
    categories=(NEXT, CONT),
    when=_row_is("G11"),
    applies=lambda case: _picks(case, "G11"),
    recommend=_row_cards,
    evidence_numbers=(ev.INVICTUS, ev.INTRIGUE),
)

G12 = Rule(
    rule_id="G12",
    section="1.G",
    title="After the standard lines: limited-evidence options",
    statement=(
        "Sorafenib, nilotinib, pazopanib or dasatinib (limited evidence), and clinical trials."
    ),
    conditions=("progression after imatinib, sunitinib, regorafenib and ripretinib",),
    citations=("S5", "S6", "S23", "S24b"),
    reads=_READS,
    categories=(NEXT, CONT),
    when=_row_is("G12"),
    applies=lambda case: _picks(case, "G12"),
    recommend=_row_cards,
    evidence_numbers=(ev.SORAFENIB_PHASE2, ev.NILOTINIB_PHASE3, ev.PAZOGIST),
)

G13 = Rule(
    rule_id="G13",
    section="1.G",
    title="Avapritinib only after imatinib, sunitinib and regorafenib (non-D842V)",
    statement=(
        "In non-D842V disease avapritinib is not used before imatinib, sunitinib and regorafenib."
    ),
    conditions=("current TKI avapritinib", "genotype known, not PDGFRA D842V"),
    citations=("S6",),
    reads=("disease_state", "genotype", "tki_history"),
    categories=(NEXT, CONT),
    when=_row_is("G13"),
    applies=lambda case: _picks(case, "G13"),
    recommend=_row_cards,
    evidence_numbers=(ev.VOYAGER,),
    design_note=(
        "Patient-view form: active avapritinib in non-D842V disease before imatinib + "
        "sunitinib + regorafenib → warning card proposing the standard sequence."
    ),
)

G14 = Rule(
    rule_id="G14",
    section="1.G",
    title="PDGFRA D842V after avapritinib: dasatinib, then ripretinib",
    statement="After avapritinib: dasatinib, later ripretinib. SECONDARY (NCCN 1.2026 re-encoded).",
    conditions=("PDGFRA D842V", "avapritinib given"),
    citations=("S13a",),
    reads=_READS,
    categories=(NEXT, CONT),
    when=_row_is("G14"),
    applies=lambda case: _picks(case, "G14"),
    recommend=_row_cards,
    design_note="The D842V sequence after avapritinib is SECONDARY (NCCN 1.2026 as re-encoded).",
)


# --- G15: clinical trial --------------------------------------------------------------------------


def _referrals(case: GistCase) -> list[str]:
    """Why a trial referral goes before or beside the first line: wild type while the work-up
    is done, SDH-deficient or NF1 GIST (no effective standard drug)."""
    st = stage(case)
    if st is None:
        return []
    reasons = []
    if st.genotype is Genotype.WILD_TYPE and not case.advanced_courses:
        reasons.append("KIT/PDGFRA wild type while the work-up is done")
    if st.phase is Phase.FIRST_LINE and st.genotype in (Genotype.SDH_DEFICIENT, Genotype.NF1):
        reasons.append(f"{genotype_text(st.genotype)} GIST: no effective standard drug")
    return reasons


def _exhausted_beside(case: GistCase) -> bool:
    """The next line is a limited-evidence option (G12) after the standard lines: a referral
    goes with it (when the referral is the next line itself, SYSTEMIC picks G15)."""
    st = stage(case)
    return (
        st is not None
        and st.phase is Phase.FAILING
        and st.step is not None
        and st.step.exhausted
        and st.step.rule_id != "G15"
    )


@per_case
def _g15(case: GistCase) -> list[Recommendation]:
    cards = [_trial(case, reason) for reason in _referrals(case)]
    if _picks(case, "G15"):
        cards.append(_row_card(case))
    if _exhausted_beside(case):
        cards.append(_trial(case, "standard TKI lines exhausted"))
    return cards


G15 = Rule(
    rule_id="G15",
    section="1.G",
    title="Clinical trial or specialised centre",
    statement=(
        "Refer to a clinical trial or specialised centre when all standard lines have failed, "
        "and for SDH-deficient or NF1-related GIST."
    ),
    conditions=("standard lines exhausted", "or SDH-deficient / NF1-associated advanced disease"),
    citations=("S6",),
    reads=_TRIAL_READS,
    categories=(Category.CLINICAL_TRIAL,),
    when=_row_is("G15"),
    applies=lambda case: bool(_referrals(case)) or _picks(case, "G15") or _exhausted_beside(case),
    recommend=_g15,
)


# --- G16: recurrence ------------------------------------------------------------------------------


@per_case
def _g16(case: GistCase) -> list[Recommendation]:
    st = _stage(case)
    gt = st.genotype
    regimens: tuple[Regimen, ...]
    if gt is Genotype.KIT_EXON_9:
        regimens, what = (rx.IMATINIB_800,), "imatinib 800 mg daily"
    else:
        regimens, what = (rx.IMATINIB_400,), "imatinib 400 mg daily"
    verb = "Restart" if st.courses else "Start"
    return [
        emit(
            "G16",
            G16.citations,
            FIRST,
            f"{verb} {what} — recurrent GIST, treat as metastatic",
            "Recurrence after resection is treated like metastatic disease: imatinib first "
            "(restarted if stopped), then dose escalation, sunitinib, regorafenib and ripretinib.",
            regimens=regimens,
            line=1,
            facts=stage_facts(case),
            numbers=(ev.IMATINIB_ADVANCED,),
            notes=(
                "Local treatment suits a well-defined limited recurrence; radiotherapy can "
                "palliate symptoms such as bone pain.",
            ),
            missing=(
                (missing(case, "genotype", "exon 9 → 800 mg; D842V → avapritinib"),)
                if gt is None
                else ()
            ),
        )
    ]


G16 = Rule(
    rule_id="G16",
    section="1.G",
    title="Recurrence after resection: treat as metastatic",
    statement=(
        "Imatinib first (restart if previously stopped), escalate, then sunitinib, regorafenib, "
        "ripretinib; local treatment for a well-defined limited recurrence; radiotherapy for "
        "symptom palliation."
    ),
    conditions=(
        "recurrent disease, no advanced line yet",
        "imatinib-sensitive or unknown genotype",
    ),
    citations=("S5", "S6"),
    reads=_READS,
    categories=(FIRST,),
    when=lambda case: _stage(case).recurrence,
    applies=lambda case: _picks(case, "G16"),
    recommend=_g16,
    design_note=(
        "Recurrence after adjuvant imatinib was completed or stopped for another reason → "
        "restart imatinib (line 1)."
    ),
)


# --- G18: progression on adjuvant or neoadjuvant imatinib -----------------------------------------


@per_case
def _g18(case: GistCase) -> list[Recommendation]:
    st = _stage(case)
    step, origin = st.step, st.origin
    assert step is not None
    assert origin is not None
    line = line_count(st.courses) + 1
    notes, gaps = _failing_notes(case, st)
    return [
        emit(
            "G18",
            G18.citations,
            _category_for_line(line),
            f"Line {line}: {step.what} — disease progressed on {origin.value} imatinib",
            f"Metastasis or recurrence appeared while {origin.value} imatinib was being taken (or "
            "it was stopped for progression): this is progression on imatinib, which counts as "
            f"line 1. {step.rationale}",
            regimens=step.regimens,
            line=line,
            facts=stage_facts(case),
            numbers=step.numbers,
            notes=notes,
            missing=gaps,
        )
    ]


G18 = Rule(
    rule_id="G18",
    section="1.K",
    title="Recurrence during adjuvant or neoadjuvant imatinib: progression on imatinib 400 mg",
    statement=(
        "Metastasis or recurrence first recorded while adjuvant or neoadjuvant imatinib was "
        "running (or after it stopped for progression) is progression on imatinib 400 mg: G7 "
        "applies (800 mg daily or sunitinib; sunitinib if already on 800 mg). The imatinib "
        "course counts as line 1, so the card proposes line 2."
    ),
    conditions=(
        "metastatic or recurrent disease",
        "first metastasis/recurrence dated while an adjuvant or neoadjuvant imatinib course "
        "was active, or that course stopped for progression",
    ),
    citations=("S6", "S5"),
    reads=_READS,
    categories=(NEXT,),
    when=lambda case: _stage(case).origin is not None,
    applies=lambda case: _picks(case, "G18"),
    recommend=_g18,
    evidence_numbers=(ev.IMATINIB_ESCALATION, ev.SUNITINIB_PHASE3),
    design_note=(
        "(KB §1.K) Metastasis/recurrence first dated while adjuvant or neoadjuvant imatinib "
        "was active (course end after that date or no end), or the course stopped for "
        "progression: the course becomes advanced line 1 (`TkiCourse.started_as` keeps its "
        "origin) and the card is G18, line 2, with the G7 options (sunitinib when 800 mg was "
        "already given). A recurrence recorded on the Condition without any date cannot be "
        "placed and keeps the earlier reading."
    ),
)


def _blocked(case: GistCase) -> tuple[MissingData, ...]:
    st = stage(case)
    return (st.gap,) if st is not None and st.gap is not None else ()


SYSTEMIC: Decision = Decision(
    name="systemic therapy of advanced GIST",
    reached=lambda case: stage(case) is not None,
    rules=(G18, G16, G1, G2, G3, G4, G5, G6, G7, G8, G9, G10, G11, G12, G13, G14, G15),
    otherwise=_blocked,
)

#: SYSTEMIC's choice, made once per case: some twenty rules (and G17's fourteen hosts) ask it.
_choice = per_case(SYSTEMIC.chosen)


def _picks(case: GistCase, rule_id: str) -> bool:
    """`SYSTEMIC.picks(case, rule_id)`, from the choice made once per case."""
    rule = _choice(case)
    return rule is not None and rule.rule_id == rule_id


# --- G19: wild-type work-up -----------------------------------------------------------------------


def _wild_type(case: GistCase) -> bool:
    st = stage(case)
    return st is not None and st.genotype is Genotype.WILD_TYPE


@per_case
def _g19(case: GistCase) -> list[Recommendation]:
    return [
        emit(
            "G19",
            G19.citations,
            Category.MUTATION_TESTING,
            "KIT/PDGFRA wild type: SDHB IHC, NF1 assessment, BRAF V600E and NTRK testing",
            "No KIT or PDGFRA mutation was found, so imatinib is unlikely to help. The "
            "first-line choice waits for the work-up: SDHB immunohistochemistry (germline "
            "SDH testing if SDHB is lost), clinical assessment for neurofibromatosis type 1, "
            "BRAF V600E and NTRK fusion testing. SDH-deficient or NF1 → G6; NTRK fusion → "
            "G4; BRAF V600E → G5.",
            facts=facts_used(case, "genotype"),
            missing=(
                MissingData(
                    "genotype",
                    "KIT and PDGFRA wild type; SDH, NF1, BRAF and NTRK status not recorded",
                    "chooses the first-line drug (G4–G6) or a clinical trial",
                ),
            ),
        )
    ]


G19 = Rule(
    rule_id="G19",
    section="1.K",
    title="Advanced KIT/PDGFRA wild-type GIST: molecular work-up first",
    statement=(
        "Mutation-testing card with SDHB immunohistochemistry (germline SDH if lost), NF1 "
        "assessment, BRAF V600E and NTRK fusion testing; the first-line choice waits for it "
        "(imatinib is unlikely to help); offer a clinical trial or specialised centre (G15)."
    ),
    conditions=("advanced disease", "KIT and PDGFRA wild type, no other subtype recorded"),
    citations=("S5", "S6"),
    reads=("disease_state", "genotype", "tki_history"),
    categories=(Category.MUTATION_TESTING,),
    applies=_wild_type,
    recommend=_g19,
)


# --- G17 (background) -----------------------------------------------------------------------------

G17 = Rule(
    rule_id="G17",
    section="1.G",
    title="Interactions and toxicity",
    statement="CYP3A4-interacting drugs and toxicity may need dose modification or substitution.",
    conditions=(f"shown on the cards of {', '.join(TKI_CARDS)}",),
    citations=("S6",),
    reads=_TRIAL_READS,
    categories=(),
    applies=hosted,
    recommend=nothing,
    folds_into=TKI_CARDS,
    design_note=BACKGROUND_NOTE,
)
