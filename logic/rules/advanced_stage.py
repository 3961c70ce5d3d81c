"""Where a patient with advanced disease stands in systemic therapy, worked out once per case.

The §1.G, §1.H and §1.J rules all ask the same question first: no advanced line yet, a line
running and responding, a line running without a usable response assessment, a line that
failed (progression or intolerance), avapritinib started too early, or a line stopped without a
reason. `stage(case)` answers it once per case (logic.rules.common.per_case); the rules read it
in their `when` conditions. The next drug itself comes from logic.rules.sequencing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

from logic.case import (
    DiseaseState,
    Drug,
    Genotype,
    GistCase,
    ResponseStatus,
    StopReason,
    TherapySetting,
    TkiCourse,
)
from logic.facts import (
    GENOTYPE_TEXT,
    IMATINIB_400_SENSITIVE,
    Pathway,
    courses_in,
    genotype,
    has_metastatic_disease,
    is_live,
    pathway,
    response_applies_to,
)
from logic.recommendation import FactUsed, MissingData
from logic.rules.common import courses_used, facts_used, metastases_used, missing, per_case
from logic.rules.sequencing import Step, first_step, next_step

#: Progressing lesions that still count as focal/limited progression (MSKCC: exactly one; the
#: knowledge base allows 2–3 as a configurable choice) [S3][S6][S1].
LIMITED_MAX_LESIONS = 1

#: The drugs a non-D842V GIST receives before avapritinib (G13).
KIT_STANDARD = frozenset({Drug.IMATINIB, Drug.SUNITINIB, Drug.REGORAFENIB})


class Phase(Enum):
    FIRST_LINE = "no advanced-disease line yet"
    RESPONDING = "current line running, responding or stable"
    RESPONSE_UNKNOWN = "current line running, no usable response assessment"
    AVAPRITINIB_TOO_EARLY = "avapritinib running before the standard KIT lines (non-D842V)"
    FAILING = "last line failed: progression or intolerance"
    UNEXPLAINED_STOP = "last line stopped without a recorded reason"


@dataclass(frozen=True, slots=True)
class Stage:
    """The systemic-therapy situation of advanced disease.

    `courses` are the courses the systemic card speaks about; for a failing line `trigger` is
    what ended it and `step` the next step (logic.rules.sequencing); `origin` is set when the
    failing imatinib started as adjuvant or neoadjuvant therapy (G18); `recurrence` marks a
    first line for recurrence of imatinib-treatable disease (G16, or G18 after adjuvant
    imatinib failed); `gap` is the fact whose absence leaves the decision open (P5)."""

    genotype: Genotype | None
    phase: Phase
    courses: tuple[TkiCourse, ...] = ()
    trigger: StopReason | None = None
    origin: TherapySetting | None = None
    step: Step | None = None
    recurrence: bool = False
    gap: MissingData | None = None


@per_case
def stage(case: GistCase) -> Stage | None:
    """The stage of advanced disease (None when the case is not on the advanced pathway)."""
    if pathway(case) is not Pathway.ADVANCED:
        return None
    gt = genotype(case)
    courses = case.advanced_courses
    early = [c for c in case.tki_history if is_live(c) and c.setting is not TherapySetting.ADVANCED]
    if not courses and early:
        # G18: advanced disease while a neoadjuvant/adjuvant course still runs is progression
        # on it; never propose starting the drug the patient takes.
        last = early[-1]
        origin = last.setting if last.drug is Drug.IMATINIB else None
        return _failing(gt, (last,), StopReason.PROGRESSION, origin)
    if not courses:
        return _first_line(case, gt)
    last = courses[-1]
    if last.started_as is not None and last.drug is Drug.IMATINIB:
        # G18: metastasis/recurrence first recorded on adjuvant/neoadjuvant imatinib.
        return _failing(gt, courses, StopReason.PROGRESSION, last.started_as)
    if is_live(last):
        if _avapritinib_too_early(gt, courses):
            return Stage(gt, Phase.AVAPRITINIB_TOO_EARLY, courses)
        status = response_applies_to(case, last)
        if status in (ResponseStatus.IMPROVED, ResponseStatus.STABLE):
            return Stage(gt, Phase.RESPONDING, courses)
        if status is ResponseStatus.WORSENED:
            return _failing(gt, courses, StopReason.PROGRESSION)
        reason = (
            "latest assessment undetermined or made before the current line started"
            if case.response.is_known
            else None
        )
        gap = missing(
            case,
            "response",
            "progression → next line; response → continue (and consider surgery)",
            reason,
        )
        return Stage(gt, Phase.RESPONSE_UNKNOWN, courses, gap=gap)
    if last.stop_reason in (StopReason.PROGRESSION, StopReason.INTOLERANCE):
        return _failing(gt, courses, last.stop_reason)
    gap = MissingData(
        "tkiHistory",
        f"{last.drug.value} stopped without a recorded reason",
        "progression → next line; intolerance → switch drug; otherwise restart",
    )
    return Stage(gt, Phase.UNEXPLAINED_STOP, courses, gap=gap)


def _failing(
    gt: Genotype | None,
    courses: tuple[TkiCourse, ...],
    trigger: StopReason,
    origin: TherapySetting | None = None,
) -> Stage:
    step = next_step(gt, courses, trigger)
    return Stage(gt, Phase.FAILING, courses, trigger, origin, step)


def _first_line(case: GistCase, gt: Genotype | None) -> Stage:
    recurrent = case.disease_state.is_known and case.disease_state.value is DiseaseState.RECURRENT
    imatinib_first = gt is None or gt in IMATINIB_400_SENSITIVE or gt is Genotype.KIT_EXON_9
    if not (recurrent and imatinib_first):
        return Stage(gt, Phase.FIRST_LINE, step=first_step(gt))
    adjuvant = tuple(
        c for c in courses_in(case, TherapySetting.ADJUVANT) if c.drug is Drug.IMATINIB
    )
    failed = [c for c in adjuvant if is_live(c) or c.stop_reason is StopReason.PROGRESSION]
    if not failed:
        return Stage(gt, Phase.FIRST_LINE, adjuvant, recurrence=True)
    courses = (failed[-1],)
    step = next_step(gt, courses, StopReason.PROGRESSION)
    return Stage(
        gt,
        Phase.FIRST_LINE,
        courses,
        StopReason.PROGRESSION,
        TherapySetting.ADJUVANT,
        step,
        recurrence=True,
    )


def _avapritinib_too_early(gt: Genotype | None, courses: Sequence[TkiCourse]) -> bool:
    if courses[-1].drug is not Drug.AVAPRITINIB or gt is None or gt is Genotype.PDGFRA_D842V:
        return False
    return not {c.drug for c in courses[:-1]} >= KIT_STANDARD


def in_phase(case: GistCase, *phases: Phase) -> bool:
    st = stage(case)
    return st is not None and st.phase in phases


def progressing_lesions(case: GistCase) -> int | None:
    """How many lesions progress, when a progression of metastatic disease counts them."""
    value = case.response.value if case.response.is_known else None
    return value.progressing_lesions if value is not None else None


def metastatic_progression(case: GistCase) -> bool:
    """A failing line of metastatic disease ended by progression (H2/H3 decide its surgery)."""
    st = stage(case)
    return (
        st is not None
        and st.phase is Phase.FAILING
        and st.trigger is StopReason.PROGRESSION
        and has_metastatic_disease(case)
    )


def base_facts(case: GistCase) -> tuple[FactUsed, ...]:
    return (
        *facts_used(case, "disease_state", "genotype", "response", "resectability"),
        *metastases_used(case.metastases),
    )


def stage_facts(case: GistCase) -> tuple[FactUsed, ...]:
    """The base facts and the courses the systemic card speaks about."""
    st = stage(case)
    assert st is not None, "only asked on the advanced pathway"
    return (*base_facts(case), *courses_used(st.courses))


def genotype_text(gt: Genotype | None) -> str:
    return GENOTYPE_TEXT[gt] if gt else "genotype unknown"
