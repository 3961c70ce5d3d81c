"""§1.E: the risk of recurrence after resection, as the cards of the resected pathway word it.

Modified NIH decides adjuvant therapy; AFIP is shown beside it. When the two schemes disagree
(E3), one line naming both figures is folded into the risk-based cards. The wording helpers and
the per-case risk assessment here are shared by the §1.D (D10) and §1.F card builders.
"""

from __future__ import annotations

from logic.case import GistCase
from logic.facts import (
    NOT_IMATINIB,
    Pathway,
    RiskAssessment,
    assess_risk,
    genotype,
    pathway,
)
from logic.recommendation import FactUsed, NihRisk
from logic.rule import Rule
from logic.rules.common import facts_used, nothing, per_case

#: The risk of a case, assessed once however many rules ask (every unknown input is probed
#: across its bands, logic.facts.assess_risk).
resected_risk = per_case(assess_risk)


def resected_facts(case: GistCase) -> tuple[FactUsed, ...]:
    """The facts a card after resection shows: the risk inputs, genotype, margin, resection."""
    return facts_used(
        case, "site", "tumour_size", "mitotic_count", "rupture", "genotype", "margin", "resection"
    )


def risk_text(ra: RiskAssessment) -> str:
    if ra.nih is None:
        return "risk not determined"
    text = f"modified NIH {ra.nih.value}"
    if ra.afip is not None:
        text += f" (AFIP group {ra.afip.group}: {ra.afip.label} progression"
        text += ", jejunum/ileum column used" if ra.afip.fallback else ""
        text += ")"
    return text


def risk_short(ra: RiskAssessment) -> str:
    """The risk in a few words, for a summary (the detail shows the full tables' wording)."""
    if ra.nih is None:
        return "risk not determined"
    text = f"modified NIH {ra.nih.value}"
    if ra.afip is not None and ra.afip.progression_pct is not None:
        text += f" (AFIP {ra.afip.group}: {ra.afip.progression_pct:g}%)"
    return text


# --- E3 (background) -----------------------------------------------------------------------------


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


def _e3_text(case: GistCase) -> str | None:
    return (
        risk_discordance(case, resected_risk(case)) if pathway(case) is Pathway.RESECTED else None
    )


E3 = Rule(
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
    citations=("S7", "S10"),
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
