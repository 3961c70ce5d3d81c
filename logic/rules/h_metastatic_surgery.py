"""§1.H: surgery in metastatic or recurrent disease (H1–H4, H6, H7; H5 sits with the localized
pathway in logic/rules/localized.py).

One record per rule, each in the decision of its systemic stage (logic.rules.advanced_stage),
reached together with the systemic card of §1.G: TKI-naive resectable metastases get the TKI
first (H4); responding disease with every lesion resectable may be operated on (H1); in
progression, focal (H2) before multifocal (H3). H6 and H7 are background rows folded into the
surgery cards.
"""

from __future__ import annotations

from logic.case import GistCase, Resectability
from logic.facts import has_metastatic_disease, months_on, reference_date, resectability
from logic.knowledge import evidence as ev
from logic.recommendation import Category, MissingData, Recommendation
from logic.rule import Decision, Rule, hosted
from logic.rules.advanced_stage import (
    LIMITED_MAX_LESIONS,
    Phase,
    base_facts,
    in_phase,
    metastatic_progression,
    progressing_lesions,
    stage,
    stage_facts,
)
from logic.rules.common import BACKGROUND_NOTE, emit, missing, nothing, per_case

#: What deciding the stage and showing its facts reads.
_READS = ("disease_state", "resectability", "genotype", "metastases", "tki_history", "response")
#: H1 also dates the record ("months on the current TKI"): its latest size and resection dates.
_H1_READS = (
    "disease_state",
    "resection",
    "resectability",
    "tumour_size",
    "genotype",
    "metastases",
    "tki_history",
    "response",
)
#: The background rows apply when a host applies (its decision reached and its condition held).
_BACKGROUND_READS = ("disease_state", "resectability", "genotype", "tki_history", "response")

#: The Chinese guideline excerpt's caveat, shared by the surgical rows that rely on it.
_CHINESE_EXCERPT = (
    "The Chinese guideline excerpt (seed) is a machine translation; its surgical indications "
    "were read with the caveats of knowledge-base §0."
)


def _resectable(case: GistCase) -> bool:
    return resectability(case) is Resectability.RESECTABLE


# --- H4 -------------------------------------------------------------------------------------------


@per_case
def _h4(case: GistCase) -> list[Recommendation]:
    return [
        emit(
            "H4",
            H4.citations,
            Category.SURGERY_NOT_INDICATED,
            "Start TKI before any metastasectomy; reassess for surgery once responding (H1)",
            "Metastatic disease judged completely resectable: the Chinese excerpt allows "
            "surgery combined with drug therapy, but PDQ and ACS make the TKI the standard "
            "first step, with surgery considered later for responding disease.",
            facts=base_facts(case),
            notes=("DESIGN (knowledge base): first-line TKI first, then re-evaluate for H1.",),
        )
    ]


H4 = Rule(
    rule_id="H4",
    section="1.H",
    title="TKI-naive resectable metastases: TKI first",
    statement="Start first-line TKI and re-evaluate for surgery (H1) rather than operating first.",
    conditions=("metastatic/recurrent", "no TKI line yet", "resectability: resectable"),
    citations=("S1", "S5", "S6"),
    reads=_READS,
    categories=(Category.SURGERY_NOT_INDICATED,),
    when=_resectable,
    applies=lambda case: TKI_NAIVE.picks(case, "H4"),
    recommend=_h4,
    design_note=(
        "(KB) TKI-naive, resectable metastases → surgery-not-indicated card + first-line TKI."
    ),
)

TKI_NAIVE: Decision = Decision(
    name="metastatic GIST before its first advanced-disease TKI line",
    reached=lambda case: in_phase(case, Phase.FIRST_LINE) and has_metastatic_disease(case),
    rules=(H4,),
    otherwise=lambda case: (),
)


# --- H1 -------------------------------------------------------------------------------------------


@per_case
def _h1(case: GistCase) -> list[Recommendation]:
    st = stage(case)
    assert st is not None
    months = months_on(st.courses[-1], reference_date(case))
    timing = (
        f"{months:.0f} months on the current TKI. " if months is not None else ""
    ) + "Most experts operate after 6–12 months of stable disease and before about 2 years."
    return [
        emit(
            "H1",
            H1.citations,
            Category.METASTASECTOMY,
            "Consider elective resection of all lesions after MDT; continue TKI afterwards",
            "Disease responding or stable on TKI with every lesion judged completely "
            f"resectable: elective surgery can be considered. {timing} Confirm that the "
            "surgical risk is acceptable.",
            facts=stage_facts(case),
            numbers=(ev.MSKCC_RESPONSIVE, ev.RAUT_STABLE),
        )
    ]


H1 = Rule(
    rule_id="H1",
    section="1.H",
    title="Responsive metastatic disease, all lesions resectable: elective surgery",
    statement=(
        "Elective resection after MDT, continuing the TKI afterwards; usually after 6–12 months "
        "of stability and before about 2 years."
    ),
    conditions=(
        "metastatic/recurrent",
        "on TKI, responding or stable",
        "resectability: resectable",
    ),
    citations=("S3", "S1", "S6"),
    reads=_H1_READS,
    categories=(Category.METASTASECTOMY,),
    when=_resectable,
    applies=lambda case: RESPONDING.picks(case, "H1"),
    recommend=_h1,
    evidence_numbers=(ev.MSKCC_RESPONSIVE, ev.RAUT_STABLE),
    design_note=_CHINESE_EXCERPT,
)

RESPONDING: Decision = Decision(
    name="metastatic GIST responding or stable on its TKI line: surgery",
    reached=lambda case: in_phase(case, Phase.RESPONDING) and has_metastatic_disease(case),
    rules=(H1,),
    otherwise=lambda case: (),
)


# --- H2, H3 ---------------------------------------------------------------------------------------


def _focal(case: GistCase) -> bool:
    lesions = progressing_lesions(case)
    return (
        lesions is not None
        and lesions <= LIMITED_MAX_LESIONS
        and resectability(case) is not Resectability.UNRESECTABLE
    )


def _multifocal(case: GistCase) -> bool:
    lesions = progressing_lesions(case)
    return lesions is not None and lesions > LIMITED_MAX_LESIONS


@per_case
def _h2(case: GistCase) -> list[Recommendation]:
    gaps: tuple[MissingData, ...] = ()
    if resectability(case) is None:
        gaps = (missing(case, "resectability", "unresectable → no surgery for this lesion"),)
    return [
        emit(
            "H2",
            H2.citations,
            Category.METASTASECTOMY,
            "Focal progression: consider resection or ablation of the progressing lesion (MDT)",
            "Only one lesion is progressing while the rest is controlled. In selected patients "
            "in good condition, resect the progressing lesion (and as much disease as feasible) "
            "or ablate it, with the TKI continued or adjusted.",
            facts=stage_facts(case),
            numbers=(ev.MSKCC_FOCAL, ev.RAUT_LIMITED),
            missing=gaps,
        )
    ]


H2 = Rule(
    rule_id="H2",
    section="1.H",
    title="Focal progression: resect or ablate the progressing lesion",
    statement=(
        "Selected patients: resect the progressing lesion(s) or ablate, with continued or "
        "adjusted TKI."
    ),
    conditions=(
        "metastatic/recurrent",
        f"≤{LIMITED_MAX_LESIONS} progressing lesion",
        "not unresectable",
    ),
    citations=("S3", "S1", "S6", "S13b"),
    reads=_READS,
    categories=(Category.METASTASECTOMY,),
    when=_focal,
    applies=lambda case: PROGRESSING.picks(case, "H2"),
    recommend=_h2,
    evidence_numbers=(ev.MSKCC_FOCAL, ev.RAUT_LIMITED),
    design_note=(
        "Focal = 1 progressing lesion (LIMITED_MAX_LESIONS, MSKCC). A next-line card is also "
        "given, noting that continuing the TKI with local treatment is an alternative. "
        "Unknown lesion count → next line + P5 for progressing lesions. " + _CHINESE_EXCERPT
    ),
)


@per_case
def _h3(case: GistCase) -> list[Recommendation]:
    return [
        emit(
            "H3",
            H3.citations,
            Category.SURGERY_NOT_INDICATED,
            f"Multifocal progression ({progressing_lesions(case)} lesions): surgery not "
            "indicated — change systemic line",
            "Surgery does not help multifocal or generalised progression; move to the next TKI "
            "line or a clinical trial. Palliative surgery only if tolerable and expected to "
            "improve quality of life, or for an emergency.",
            facts=stage_facts(case),
            numbers=(ev.MSKCC_MULTIFOCAL, ev.RAUT_GENERALISED),
            notes=(
                "The Chinese excerpt's sentence recommending surgery here is a translation "
                "error; encoded as not recommended.",
            ),
        )
    ]


H3 = Rule(
    rule_id="H3",
    section="1.H",
    title="Multifocal progression: surgery not indicated",
    statement=(
        "No surgery for multifocal/generalised progression: next TKI line or trial; palliative "
        "surgery only for quality of life or emergencies."
    ),
    conditions=("metastatic/recurrent", "more than one progressing lesion"),
    citations=("S3", "S1", "S6"),
    reads=_READS,
    categories=(Category.SURGERY_NOT_INDICATED,),
    when=_multifocal,
    applies=lambda case: PROGRESSING.picks(case, "H3"),
    recommend=_h3,
    evidence_numbers=(ev.MSKCC_MULTIFOCAL, ev.RAUT_GENERALISED),
    design_note=(
        "(KB §0) Chinese excerpt sentence recommending surgery for extensive progression "
        "encoded as not recommended. The Chinese excerpt's sentence recommending surgery for "
        "extensive progression is a translation error; it is encoded as not recommended, as "
        "in every other source."
    ),
)

PROGRESSING: Decision = Decision(
    name="metastatic GIST progressing on its TKI line: surgery",
    reached=metastatic_progression,
    rules=(H2, H3),
    # An unknown lesion count is asked for on the next-line card (§1.G), not here.
    otherwise=lambda case: (),
)


# --- H6, H7 (background) ----------------------------------------------------------------------

H6 = Rule(
    rule_id="H6",
    section="1.H",
    title="Caveat on surgery in advanced disease",
    statement=(
        "Good outcomes after surgery for stable or limited progression may reflect patient "
        "selection; no randomized trial has proven the benefit."
    ),
    conditions=("shown on the cards of H1, H2",),
    citations=("S6", "S2"),
    reads=_BACKGROUND_READS,
    categories=(),
    applies=hosted,
    recommend=nothing,
    folds_into=("H1", "H2"),
    design_note=BACKGROUND_NOTE,
)

H7 = Rule(
    rule_id="H7",
    section="1.H",
    title="Provenance of the surgical indications",
    statement=(
        "PDQ's surgical indications in advanced GIST come from the NCCN Task Force report "
        "(Demetri 2007); NCCN 1.2026 (SECONDARY) likewise continues TKI in responding disease "
        "and considers surgery or ablation for focal progression. ESMO 2022 was not consulted."
    ),
    conditions=("shown on the cards of H1, H2, H3",),
    citations=("S6", "S13b"),
    reads=_BACKGROUND_READS,
    categories=(),
    applies=hosted,
    recommend=nothing,
    folds_into=("H1", "H2", "H3"),
    design_note=BACKGROUND_NOTE,
)
