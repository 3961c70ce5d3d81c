"""§1.C: a localized resectable GIST is resected (C1), with the operative principles (C2) and the
biopsy advice (C3) on its card. After resection, an R1 margin is not re-excised (C4, a card
beside the adjuvant decision of §1.F); R2 or rupture goes to the systemic pathway (C5, a note).

One record per rule; C2 and C3 are background rows: they apply exactly when one of the cards
they fold into is made (logic.rule.hosted, bound by the registry).
"""

from __future__ import annotations

from logic.case import GistCase, Margin
from logic.facts import (
    LocalizedRoute,
    Pathway,
    gross_residual,
    localized_route,
    pathway,
    resectability,
    was_resected,
)
from logic.recommendation import Category, MissingData, Recommendation
from logic.rule import Decision, Rule, hosted
from logic.rules.common import BACKGROUND_NOTE, emit, facts_used, localized_facts, missing, nothing

SURGERY = Category.SURGERY

#: The cards that propose an operation on a localized primary (C2's hosts).
SURGERY_CARDS = ("C1", "B2", "B4", "B5", "B6", "B7", "D5", "D6", "D7", "D12", "D14")

#: What the route to C1 reads (logic.facts.localized_route).
_ROUTE_READS = (
    "site",
    "disease_state",
    "resection",
    "resected",
    "resection_unknown",
    "resectability",
    "tumour_size",
    "genotype",
    "metastases",
    "tki_history",
    "primaries",
)
#: C1 also shows the EUS features and mitotic count among its facts.
_C1_READS = (*_ROUTE_READS, "eus", "mitotic_count")
#: C2 is checked against every surgery card: the small gastric and neoadjuvant decisions read
#: growth, symptoms, response and the course's duration too.
_C2_READS = (*_C1_READS, "size_history", "response", "emergencies", "as_of")


def _c1(case: GistCase) -> list[Recommendation]:
    res = resectability(case)
    gaps: tuple[MissingData, ...] = ()
    notes: list[str] = []
    if res is None:
        gaps = (
            missing(
                case,
                "resectability",
                "marginally resectable or unresectable → neoadjuvant TKI (D1) instead",
            ),
        )
        notes.append(
            "DESIGN: resectability not recorded — surgical referral is proposed so the surgeon "
            "can assess it; needing a major resection (e.g. duodenum, rectum, oesophagogastric "
            "junction) would switch to neoadjuvant TKI (D1)."
        )
    summary = (
        "Surgical resection of the localized GIST (R0, intact pseudocapsule)"
        if res is not None
        else "Surgical referral for resection; confirm resectability (neoadjuvant TKI if major)"
    )
    return [
        emit(
            "C1",
            C1.citations,
            SURGERY,
            summary,
            "A localized GIST (gastric 2 cm or more, or any non-gastric) that can be removed with "
            "acceptable morbidity is treated by surgery.",
            facts=localized_facts(case),
            missing=gaps,
            notes=notes,
        )
    ]


C1 = Rule(
    rule_id="C1",
    section="1.C",
    title="Localized resectable GIST: surgery",
    statement="Surgical resection.",
    conditions=(
        "localized, not resected",
        "gastric >2 cm or non-gastric >2 cm",
        "resectable (or resectability not recorded: provisional referral)",
    ),
    citations=("S6", "S2", "S5"),
    reads=_C1_READS,
    categories=(SURGERY,),
    when=lambda case: True,
    applies=lambda case: RESECTABLE.picks(case, "C1"),
    recommend=_c1,
    design_note=(
        "Resectability unknown → provisional surgical-referral card naming resectability as "
        "missing (surgeons assess it) + P5; note that major-resection sites switch to "
        "neoadjuvant TKI."
    ),
)

RESECTABLE: Decision = Decision(
    name="localized GIST larger than 2 cm, not marginally resectable",
    reached=lambda case: localized_route(case) is LocalizedRoute.RESECTABLE,
    rules=(C1,),
    otherwise=lambda case: (),
)

C2 = Rule(
    rule_id="C2",
    section="1.C",
    title="Operative principles",
    statement=(
        "Complete gross resection with an intact pseudocapsule and negative microscopic margins "
        "(R0); wide margins are unnecessary; handle gently to avoid rupture; no routine "
        "lymphadenectomy (except SDH-deficient GIST with enlarged or involved nodes); "
        "laparoscopic resection (e.g. gastric wedge) when anatomically feasible."
    ),
    conditions=(f"shown on the cards of {', '.join(SURGERY_CARDS)}",),
    citations=("S6", "S2"),
    reads=_C2_READS,
    categories=(),
    applies=hosted,
    recommend=nothing,
    folds_into=SURGERY_CARDS,
    design_note=BACKGROUND_NOTE,
)

C3 = Rule(
    rule_id="C3",
    section="1.C",
    title="Biopsy before surgery",
    statement=(
        "A biopsy is not required for a localized resectable lesion with classic imaging; if "
        "sampled, EUS-guided FNA is preferred over percutaneous biopsy (bleeding and seeding)."
    ),
    conditions=("shown on the cards of C1",),
    citations=("S6",),
    reads=_ROUTE_READS,
    categories=(),
    applies=hosted,
    recommend=nothing,
    folds_into=("C1",),
    design_note=BACKGROUND_NOTE,
)


# --- C4, C5: after resection --------------------------------------------------------------------


def _c4_applies(case: GistCase) -> bool:
    """A resected localized primary with an R1 margin (whatever the adjuvant decision)."""
    if pathway(case) is not Pathway.RESECTED:
        return False
    return case.margin.is_known and case.margin.value is Margin.R1


def _c4(case: GistCase) -> list[Recommendation]:
    return [
        emit(
            "C4",
            C4.citations,
            Category.SURGERY_NOT_INDICATED,
            "R1 margin: re-excision not supported — watchful waiting or adjuvant imatinib by risk",
            "After a microscopically positive margin (R1) without gross residual disease there "
            "is no evidence supporting re-excision; watchful waiting or adjuvant imatinib may be "
            "appropriate, decided by the risk category (§1.E).",
            facts=facts_used(case, "margin", "resection"),
        )
    ]


C4 = Rule(
    rule_id="C4",
    section="1.C",
    title="R1 margin: no re-excision",
    statement=(
        "No evidence supports re-excision after an R1 margin; watchful waiting or adjuvant "
        "imatinib may be appropriate (then the risk-based rules apply)."
    ),
    conditions=("resected localized GIST", "margin R1"),
    citations=("S6",),
    reads=(
        "disease_state",
        "resection",
        "resected",
        "margin",
        "metastases",
        "primaries",
    ),
    categories=(Category.SURGERY_NOT_INDICATED,),
    applies=_c4_applies,
    recommend=_c4,
    design_note=(
        'R1 → "surgery not indicated" card (no re-excision) next to the risk-based adjuvant card.'
    ),
)


def _c5_applies(case: GistCase) -> bool:
    ruptured = case.rupture.is_known and case.rupture.value is True
    return was_resected(case) and (gross_residual(case) or ruptured)


C5 = Rule(
    rule_id="C5",
    section="1.C",
    title="Gross residual disease (R2) or rupture: systemic pathway",
    statement=(
        "After an R2 resection or a rupture, NCCN 1.2026 (SECONDARY) treats the patient through "
        "the metastatic/unresectable systemic pathway rather than ordinary adjuvant follow-up."
    ),
    conditions=("resected", "margin R2, or tumour rupture"),
    citations=("S13a",),
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
