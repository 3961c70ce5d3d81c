"""§1.J: liver-directed therapy for liver metastases controlled on TKI (J1–J5).

One record per rule. LIVER is reached for metastatic disease responding or stable on its TKI
line (logic.rules.advanced_stage), together with the systemic card of §1.G and the surgery
decision of §1.H: liver metastases at one or two abdominal sites, not judged unresectable →
MDT for resection (J1); liver-only metastases judged unresectable → ablation or embolisation
(J2). J3–J5 are background rows folded into those cards.
"""

from __future__ import annotations

from logic.case import GistCase, MetastaticSite, Resectability
from logic.facts import has_metastatic_disease, resectability
from logic.knowledge import evidence as ev
from logic.recommendation import Category, Recommendation
from logic.rule import Decision, Rule, hosted
from logic.rules.advanced_stage import Phase, in_phase, stage_facts
from logic.rules.common import BACKGROUND_NOTE, emit, missing, nothing, per_case

#: The abdominal metastatic sites J1 counts (lung, bone, nodes and others exclude it).
ABDOMINAL = frozenset({MetastaticSite.LIVER, MetastaticSite.PERITONEUM})

LIVER_DIRECTED = Category.LIVER_DIRECTED_THERAPY
#: What deciding the stage, the sites and showing the facts reads.
_READS = ("disease_state", "resectability", "genotype", "metastases", "tki_history", "response")


def _sites(case: GistCase) -> set[MetastaticSite]:
    return {m.site for m in case.metastases}


# --- J1 -------------------------------------------------------------------------------------------


def _j1_when(case: GistCase) -> bool:
    sites = _sites(case)
    return (
        MetastaticSite.LIVER in sites
        and sites <= ABDOMINAL
        and resectability(case) is not Resectability.UNRESECTABLE
    )


@per_case
def _j1(case: GistCase) -> list[Recommendation]:
    return [
        emit(
            "J1",
            J1.citations,
            LIVER_DIRECTED,
            "MDT: resection of primary and liver metastases may be advised alongside TKI",
            "Metastases are limited to one or two abdominal sites including the liver and "
            "respond to TKI. Discuss the goal (cure, control or symptoms) at the MDT.",
            facts=stage_facts(case),
            numbers=(ev.NCT06038552, ev.NCT06038552_NED),
            missing=(
                (missing(case, "resectability", "unresectable → ablation or TACE (J2)"),)
                if resectability(case) is None
                else ()
            ),
        )
    ]


J1 = Rule(
    rule_id="J1",
    section="1.J",
    title="Liver metastases at 1–2 abdominal sites, responding: MDT for resection",
    statement="Resection of the primary and metastases may be advised; discuss goals at the MDT.",
    conditions=(
        "liver metastases, at most two abdominal sites (liver, peritoneum)",
        "responding or stable on TKI",
        "not judged unresectable",
    ),
    citations=("S5", "S6"),
    reads=_READS,
    categories=(LIVER_DIRECTED,),
    when=_j1_when,
    applies=lambda case: LIVER.picks(case, "J1"),
    recommend=_j1,
    evidence_numbers=(ev.NCT06038552, ev.NCT06038552_NED),
    design_note=(
        "Abdominal sites counted: liver and peritoneum; lung, bone, nodes, other exclude J1."
    ),
)


# --- J2 -------------------------------------------------------------------------------------------


@per_case
def _j2(case: GistCase) -> list[Recommendation]:
    return [
        emit(
            "J2",
            J2.citations,
            LIVER_DIRECTED,
            "Liver-only metastases not resectable: consider ablation (RFA) or TACE with TKI",
            "For liver-only disease that cannot be resected, ablation such as radiofrequency "
            "ablation or embolisation such as TACE are options, alongside the TKI.",
            facts=stage_facts(case),
            numbers=(ev.NCT06038552, ev.YANG_ABLATION),
        )
    ]


J2 = Rule(
    rule_id="J2",
    section="1.J",
    title="Liver-only metastases not resectable: ablation or embolisation",
    statement="Ablation (e.g. RFA) or embolisation (e.g. TACE) are options.",
    conditions=(
        "metastases in the liver only",
        "resectability: unresectable",
        "responding or stable on TKI",
    ),
    citations=("S5", "S4"),
    reads=_READS,
    categories=(LIVER_DIRECTED,),
    when=lambda case: (
        _sites(case) == {MetastaticSite.LIVER} and resectability(case) is Resectability.UNRESECTABLE
    ),
    applies=lambda case: LIVER.picks(case, "J2"),
    recommend=_j2,
    evidence_numbers=(ev.NCT06038552, ev.YANG_ABLATION),
    design_note="Only for disease controlled on TKI; in progression H2/H3 decide local treatment.",
)

LIVER: Decision = Decision(
    name="metastatic GIST responding or stable on its TKI line: liver-directed therapy",
    reached=lambda case: in_phase(case, Phase.RESPONDING) and has_metastatic_disease(case),
    rules=(J1, J2),
    otherwise=lambda case: (),
)


# --- J3–J5 (background) ---------------------------------------------------------------------------

J3 = Rule(
    rule_id="J3",
    section="1.J",
    title="Evidence: NCT06038552 (Sun Yat-sen, 238 patients)",
    statement=(
        "Imatinib alone 126, imatinib + hepatic resection 81, imatinib + RFA/TACE 31 patients; "
        "10-year OS 91.9% vs 61.1% vs 55.2%; reaching no evidence of disease was independently "
        "associated with survival (observational)."
    ),
    conditions=("shown on the cards of J1, J2",),
    citations=("S4",),
    reads=_READS,
    categories=(),
    applies=hosted,
    recommend=nothing,
    evidence_numbers=(ev.NCT06038552, ev.NCT06038552_NED),
    folds_into=("J1", "J2"),
    design_note=BACKGROUND_NOTE,
)

J4 = Rule(
    rule_id="J4",
    section="1.J",
    title="Evidence: ablation vs resection (55 patients)",
    statement=(
        "Similar overall survival with thermal ablation, fewer complications and shorter stay, "
        "but lower progression-free survival (retrospective)."
    ),
    conditions=("shown on the cards of J1, J2",),
    citations=("S26",),
    reads=_READS,
    categories=(),
    applies=hosted,
    recommend=nothing,
    evidence_numbers=(ev.YANG_ABLATION,),
    folds_into=("J1", "J2"),
    design_note=BACKGROUND_NOTE,
)

J5 = Rule(
    rule_id="J5",
    section="1.J",
    title="Local therapy never replaces the TKI",
    statement=(
        "Local treatment does not replace systemic TKI therapy; oligometastatic surgery only "
        "after multidisciplinary consultation."
    ),
    conditions=("shown on the cards of J1, J2, H1, H2",),
    citations=("S6", "S4"),
    reads=_READS,
    categories=(),
    applies=hosted,
    recommend=nothing,
    folds_into=("J1", "J2", "H1", "H2"),
    design_note=BACKGROUND_NOTE,
)
