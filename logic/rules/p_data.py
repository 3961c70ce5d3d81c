"""§1.1 item 5: the data request (rule P5).

When a decision depends on a fact that is missing, conflicting or unreadable: one data-needed
card naming each fact, why it is missing and what it would change. Mutation testing has its own
cards (D2, F4, G1). P5 also fires without a GIST diagnosis when the Conditions could not be read
(or disagree), because then the service cannot tell whether the patient has GIST at all.
"""

from __future__ import annotations

from logic.case import FactStatus, GistCase, ResectionStatus
from logic.facts import Pathway, definite_emergency, pathway, stale_facts
from logic.recommendation import ELECTIVE_SURGERY, Category, Indicator, MissingData
from logic.rule import Plan, Rule
from logic.rules import advanced, localized, resected
from logic.rules.common import SUMMARY_MAX, emit, missing, per_case, picker

CITES = ("S6",)
UNREADABLE_FACT = "unreadableRecord"

#: Facts whose conflicts are always reported (they feed some decision).
_CHECKED = (
    "site",
    "disease_state",
    "margin",
    "resectability",
    "tumour_size",
    "mitotic_count",
    "rupture",
    "eus",
    "genotype",
    "response",
)

#: Missing facts on provisional cards that the data request repeats (genotype has its own card).
_REPEATED = frozenset(
    {"resectability", "response", "progressingLesions", "imatinibDose", "tkiHistory"}
)

_WORDS = {
    "mitoticCount": "mitotic count",
    "tumourSize": "tumour size",
    "diseaseState": "disease state",
    "eusFeatures": "EUS features",
    "progressingLesions": "progressing lesions",
    "imatinibDose": "imatinib dose",
    "tkiHistory": "TKI stop reason",
    UNREADABLE_FACT: "records to check",
}


def _p6_applies(case: GistCase) -> bool:
    return case.has_gist and not case.deceased and case.resection_status is ResectionStatus.UNKNOWN


def _procedure_problems(case: GistCase) -> list[str]:
    """Unreadable Procedure resources, by id (fetch problems are already in the P6 reason)."""
    return [
        f"Procedure/{u.resource_id}: {u.reason}"
        for u in case.unreadable
        if u.resource_type == "Procedure" and u.resource_id
    ]


def _unreadable(case: GistCase) -> list[MissingData]:
    """One item per unreadable record; the fact name stays a contract name, the reason says
    which record (card contract: `missingData` lists fact names). Procedure records are named
    on the P6 card instead when they leave the resection status unknown."""
    p6 = _p6_applies(case)
    return [
        MissingData(
            UNREADABLE_FACT,
            (u.resource_type + (f"/{u.resource_id}" if u.resource_id else "")) + f": {u.reason}",
            "this record could not be used as it stands (unreadable, not the patient's, only "
            "possible, or of uncertain meaning): facts it holds are left out of the decision "
            "until it is checked",
        )
        for u in case.unreadable
        if not (p6 and u.resource_type == "Procedure")
    ]


@per_case
def plan(case: GistCase) -> Plan:
    if case.deceased:
        return Plan()
    if not case.has_gist:
        return _no_diagnosis(case)
    items: list[MissingData] = []
    if pathway(case) is Pathway.UNDETERMINED:
        items.append(
            missing(
                case,
                "disease_state",
                "localized, metastatic or recurrent decides which rules apply",
            )
        )
    emergency_now = definite_emergency(case)  # elective cards are withheld: not their gaps
    for part in (localized.plan, resected.plan, advanced.plan):
        decided = part(case)
        items += decided.blocked
        items += [
            m
            for c in decided.cards
            if not (emergency_now and c.category in ELECTIVE_SURGERY)
            for m in c.missing_data
            if m.fact in _REPEATED
        ]
    for name in _CHECKED:
        if getattr(case, name).status is FactStatus.CONFLICTING:
            items.append(missing(case, name, "sources disagree: resolve before relying on it"))
    items += stale_facts(case)
    items += _unreadable(case)
    unique = list({(m.fact, m.reason): m for m in items}.values())
    if not unique:
        return Plan()
    names = ", ".join(_WORDS.get(m.fact, m.fact) for m in unique)
    summary = f"Data needed for the GIST recommendation: {names}"
    if len(summary) > SUMMARY_MAX:
        summary = summary[: SUMMARY_MAX - 1].rsplit(",", 1)[0] + "…"
    card = emit(
        "P5",
        CITES,
        Category.DATA_NEEDED,
        summary,
        "Some decisions depend on facts that are missing, conflicting or unreadable; they are "
        "not guessed. Each item below says what it would change.",
        missing=unique,
    )
    return Plan((card,))


def _no_diagnosis(case: GistCase) -> Plan:
    conditions_unreadable = any(u.resource_type == "Condition" for u in case.unreadable)
    conflicting = case.diagnosis.status is FactStatus.CONFLICTING
    if not (conditions_unreadable or conflicting):
        return Plan()
    items = _unreadable(case)
    if conflicting:
        items.insert(0, missing(case, "diagnosis", "whether the patient has GIST"))
    summary = (
        "GIST decision support incomplete: conditions could not be read"
        if conditions_unreadable
        else "GIST decision support incomplete: the GIST diagnosis records conflict"
    )
    card = emit(
        "P5",
        CITES,
        Category.DATA_NEEDED,
        summary,
        "The diagnosis could not be established from the record, so no GIST recommendation can "
        "be made. Retry once the conditions can be read.",
        missing=items,
    )
    return Plan((card,))


_applies, _recommend = picker(plan, "P5")


@per_case
def plan_p6(case: GistCase) -> Plan:
    """P6: a localized GIST whose resection status is unknown gets no card that assumes either
    answer; this card names the Procedure data and what each answer leads to."""
    if not _p6_applies(case):
        return Plan()
    localized = pathway(case) is Pathway.RESECTION_UNKNOWN
    impact = (
        "resected → adjuvant decision by the modified NIH risk and the genotype (§1.E/§1.F); "
        "not resected → surgery, surveillance or neoadjuvant TKI by size, site and "
        "resectability (§1.B–§1.D)"
        if localized
        else "resected → surgery for metastases plans around the operated site; not resected "
        "→ the primary tumour is part of any surgical plan (elective surgery cards are "
        "withheld until this is known)"
    )
    records = "; ".join(_procedure_problems(case))
    gap = MissingData(
        "resection",
        f"whether the GIST has been resected is not known: {case.resection_unknown}"
        + (f" ({records})" if records else ""),
        impact,
    )
    card = emit(
        "P6",
        CITES_P6,
        Category.DATA_NEEDED,
        "Resection status unknown: check the surgical record (Procedure data could not be read)",
        "The surgical history could not be read, so the service cannot tell whether the "
        "primary GIST has been removed. No elective surgery"
        + (", surveillance or adjuvant" if localized else "")
        + " recommendation is made until it is known; treatment already under way is not "
        "changed by this card.",
        indicator=Indicator.WARNING,
        missing=(gap,),
    )
    return Plan((card,))


CITES_P6 = ("S6",)
_applies_p6, _recommend_p6 = picker(plan_p6, "P6")

P5 = Rule(
    rule_id="P5",
    section="1.1",
    title="Data request for missing, conflicting or unreadable facts",
    statement=(
        "Any decision that needs a fact that is missing (e.g. mitotic count, size, site, "
        "resectability) emits a data request, next to any provisional recommendation."
    ),
    conditions=(
        "a decision is blocked or provisional for lack of a fact",
        "a fact has conflicting sources, or an input could not be read",
        "or: no GIST diagnosis known and the Conditions could not be read",
    ),
    citations=CITES,
    reads=(
        "diagnosis",
        "site",
        "disease_state",
        "resection",
        "resected",
        "resection_unknown",
        "margin",
        "resectability",
        "tumour_size",
        "mitotic_count",
        "rupture",
        "eus",
        "genotype",
        "metastases",
        "tki_history",
        "response",
        "emergencies",
        "performance_status",
        "primaries",
        "deceased",
        "unreadable",
        "as_of",
    ),
    categories=(Category.DATA_NEEDED,),
    applies=_applies,
    recommend=_recommend,
    design_note=(
        "One data-needed card listing every gap (fact, reason, impact), conflicts and "
        "unreadable inputs; genotype gaps go to mutation-testing cards; gaps of elective "
        "cards withheld for an emergency are not repeated. Without a GIST diagnosis, P5 fires "
        "only when Conditions were unreadable or the diagnosis conflicts. A response "
        "assessment older than 6 months while a TKI is taken for advanced disease, and the "
        "size of a primary not yet resected measured over 6 months ago, are reported as stale "
        "(`GistCase.as_of` = the day the case is built). 6 months = the longer end of the "
        "3–6-monthly imaging follow-up (F7 [S6][S5]) and the close TKI monitoring of D8; the "
        "card still uses the fact, and the data request says to refresh it."
    ),
)

P6 = Rule(
    rule_id="P6",
    section="1.K",
    title="Resection status unknown: ask for the surgical record",
    statement=(
        "When the Procedure data could not be read (prefetch absent or failed and the fetch "
        "failed, or an unreadable Procedure), resection status is unknown, not 'not resected': "
        "no card that depends on either answer; a data-needed card names the Procedure data and "
        "what each answer leads to."
    ),
    conditions=(
        "localized GIST, no resection found",
        "Procedure data unreadable or not obtained, or a resection evidenced without its Procedure",
    ),
    citations=CITES_P6,
    reads=(
        "diagnosis",
        "disease_state",
        "resection",
        "resected",
        "resection_unknown",
        "metastases",
        "primaries",
        "deceased",
        "unreadable",
    ),
    categories=(Category.DATA_NEEDED,),
    applies=_applies_p6,
    recommend=_recommend_p6,
    design_note=(
        "(KB §1.K) Resection status unknown (Procedure data unreadable, not obtained, or a "
        'resection evidenced without its Procedure) and no metastasis: a "resection unknown" '
        "pathway in which B, C, D and F rules give no card; one data-needed card (warning) "
        "names the surgical record and what each answer leads to. A resection found among "
        "readable Procedures settles it. In metastatic disease the engine withholds the "
        "elective surgery cards too (the primary may still be in place); systemic-therapy and "
        "emergency cards are unaffected."
    ),
)
