"""Recommendations → CDS Hooks 2.0 cards, exactly as `shared/specs/card-contract.md` promises.

One card per Recommendation, ordered critical → warning → info (stable, so the logic's own order
is kept within an indicator). Every card has a uuid (for feedback), a summary capped at 139
characters (checklist #49), markdown detail, a `source` naming the rule's main guideline with a
`topic` coding the category, a link to the rule page, coded override reasons, the contract's
`extension["org.gist-cds"]`, and — where the contract asks for them — draft FHIR suggestions.

No card ever carries JSON null, "", [] or {} (`empty_values` finds them; `render_card` drops any
that slip through and logs the programming error).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any, cast
from urllib.parse import quote

from cds_hooks.card_detail import Answer, card_detail, cited_keys
from cds_hooks.card_text import clinical_terms, summary_with_dose
from cds_hooks.suggestions import suggestions_for
from logic.case import GistCase
from logic.knowledge.citations import CITATIONS
from logic.knowledge.primary_references import references_for
from logic.recommendation import (
    ELECTIVE_SURGERY,
    Category,
    Indicator,
    Recommendation,
    Regimen,
    Risk,
)
from logic.registry import RULES
from logic.risk import risk_cell_key

log = logging.getLogger("gist_cds.cards")

SUMMARY_MAX = 139  # Inferno fails a summary of 140 characters or more (checklist #49)
EXTENSION_KEY = "org.gist-cds"
#: The project's card-category code system (codes = the contract's category names).
CATEGORY_SYSTEM = "http://gist-cds.org/fhir/CodeSystem/card-category"
#: The project's override-reason code system (codes below; every Coding carries a display, #56).
OVERRIDE_SYSTEM = "http://gist-cds.org/fhir/CodeSystem/override-reason"
AFIP_FALLBACK = "jejunum-ileum"  # contract value of risk.afip.fallback [S13a]

_INDICATOR_RANK = {Indicator.CRITICAL: 0, Indicator.WARNING: 1, Indicator.INFO: 2}

CATEGORY_DISPLAY: Mapping[Category, str] = {
    Category.EMERGENCY_SURGICAL_REVIEW: "Emergency surgical review",
    Category.SURGERY: "Surgery",
    Category.SURVEILLANCE: "Surveillance",
    Category.NEOADJUVANT_TKI: "Neoadjuvant TKI",
    Category.ADJUVANT_TKI: "Adjuvant TKI",
    Category.FIRST_LINE_TKI: "First-line TKI",
    Category.NEXT_LINE_TKI: "Next-line TKI",
    Category.CONTINUE_CURRENT_THERAPY: "Continue current therapy",
    Category.METASTASECTOMY: "Metastasectomy",
    Category.SURGERY_NOT_INDICATED: "Surgery not indicated",
    Category.LIVER_DIRECTED_THERAPY: "Liver-directed therapy",
    Category.MUTATION_TESTING: "Mutation testing",
    Category.CLINICAL_TRIAL: "Clinical trial",
    Category.DATA_NEEDED: "Data needed",
    Category.ORDER_ALERT: "Order alert",
}

OVERRIDE_REASONS: Mapping[str, str] = {
    "patient-declined": "Patient declined",
    "contraindicated": "Contraindicated for this patient",
    "already-addressed": "Already addressed (ordered, done or planned)",
    "disagree-with-evidence": "Disagree with the recommendation or its evidence",
    "data-incorrect": "The patient data this card used are incorrect",
    "data-unavailable": "The requested data cannot be obtained",
}
#: Recommending an action: every reason a clinician may have to decline it.
_ACTION_REASONS = (
    "patient-declined",
    "contraindicated",
    "already-addressed",
    "disagree-with-evidence",
    "data-incorrect",
)
#: A data request (DESIGN): declining means the data exist elsewhere, cannot be had, or are wrong.
_DATA_REASONS = ("already-addressed", "data-unavailable", "data-incorrect")


def render_cards(
    recommendations: Sequence[Recommendation], *, case: GistCase, public_base_url: str
) -> list[dict[str, Any]]:
    """The cards for one hook call, critical first; an empty list when there is nothing to say."""
    ordered = sorted(
        one_referral(suppress_elective_surgery(recommendations)),
        key=lambda rec: _INDICATOR_RANK[Indicator(rec.indicator)],
    )
    answer = Answer(case)
    return [
        render_card(rec, case=case, public_base_url=public_base_url, answer=answer)
        for rec in ordered
    ]


def one_referral(recommendations: Sequence[Recommendation]) -> list[Recommendation]:
    """One referral per decision (§1.K): when H1 (resect all lesions) and J1 (MDT for liver
    resection) both apply, one surgery card carries both, J1 as its second reason."""
    h1 = next((r for r in recommendations if r.rule_id == "H1"), None)
    j1 = next((r for r in recommendations if r.rule_id == "J1"), None)
    if h1 is None or j1 is None:
        return list(recommendations)
    merged = replace(
        h1,
        rationale=f"{h1.rationale}\n\n**Second reason, liver metastases:** {j1.rationale}",
        evidence=tuple(dict.fromkeys((*h1.evidence, *j1.evidence))),
        evidence_numbers=tuple(dict.fromkeys((*h1.evidence_numbers, *j1.evidence_numbers))),
        facts_used=tuple(dict.fromkeys((*h1.facts_used, *j1.facts_used))),
        notes=tuple(dict.fromkeys((*h1.notes, *j1.notes))),
    )
    return [merged if r is h1 else r for r in recommendations if r is not j1]


def suppress_elective_surgery(
    recommendations: Sequence[Recommendation],
) -> list[Recommendation]:
    """The contract's suppression rule, enforced again at the response boundary: while a definite
    emergency (a critical emergency card) is active, no elective surgery card is issued. The
    engine should already have done this; a drop here is logged as its bug."""
    definite = any(
        rec.category is Category.EMERGENCY_SURGICAL_REVIEW
        and Indicator(rec.indicator) is Indicator.CRITICAL
        for rec in recommendations
    )
    if not definite:
        return list(recommendations)
    kept = [rec for rec in recommendations if rec.category not in ELECTIVE_SURGERY]
    for rec in recommendations:
        if rec.category in ELECTIVE_SURGERY:
            log.warning(
                "elective surgery card suppressed by emergency", extra={"rule": rec.rule_id}
            )
    return kept


#: Cards that start a TKI because none was found (input profile, "Real EHR variations").
_TKI_NAIVE_CATEGORIES = frozenset(
    {Category.FIRST_LINE_TKI, Category.ADJUVANT_TKI, Category.NEOADJUVANT_TKI}
)
HISTORY_CAVEAT = (
    "No TKI therapy was found in the record. The TKI history was read from medication "
    "statements and orders only (dispensing and administration records were not requested): "
    "check the pharmacy record before starting a TKI."
)


def detail_of(rec: Recommendation, case: GistCase, answer: Answer, summary: str) -> str:
    """The card's markdown detail. A card relying on a preliminary result says so; a TKI-starting
    card with no TKI history found says where the history came from, so a pharmacy-only history
    is not silently read as "never on a TKI"."""
    detail = card_detail(with_rule_evidence(rec), answer, summary)
    preliminary = {p.label() for p in case.preliminary_sources}
    used = sorted({label for f in rec.facts_used for label in f.sources if label in preliminary})
    if used:
        detail += (
            "\n\nPreliminary result used: "
            + ", ".join(used)
            + ". Confirm against the final report before acting."
        )
    if case.has_gist and not case.tki_history and rec.category in _TKI_NAIVE_CATEGORIES:
        detail += "\n\n" + HISTORY_CAVEAT
    return detail


def render_card(
    rec: Recommendation,
    *,
    case: GistCase,
    public_base_url: str,
    answer: Answer | None = None,
) -> dict[str, Any]:
    """One card; `answer` carries what earlier cards of the same answer already showed."""
    text = clinical_terms(rec.summary)
    if rec.category is not Category.ORDER_ALERT:
        # An order alert's summary speaks of the drafted order and names every dose it means:
        # a regimen dose inserted after a drug's name would read as the order's own dose.
        text = summary_with_dose(text, rec.regimens, SUMMARY_MAX)
    summary = capped_summary(text, rule_id=rec.rule_id)
    card: dict[str, Any] = {
        "uuid": str(uuid.uuid4()),
        "summary": summary,
        "indicator": Indicator(rec.indicator).value,
        "detail": detail_of(rec, case, answer or Answer(case), summary),
        "source": source(rec),
    }
    suggestions = suggestions_for(rec, case)
    if suggestions:
        card["suggestions"] = suggestions
        card["selectionBehavior"] = "at-most-one"  # alternatives: the clinician picks one (#53)
    card["overrideReasons"] = override_reasons(rec.category)
    card["links"] = [rule_link(rec, public_base_url)]
    card["extension"] = {EXTENSION_KEY: extension(rec)}
    problems = empty_values(card) if has_empty_value(card) else []
    if problems:
        log.error("card had empty values, dropped", extra={"rule": rec.rule_id, "paths": problems})
        return cast(dict[str, Any], _compact(card))
    return card


def with_rule_evidence(rec: Recommendation) -> Recommendation:
    """The recommendation with its rule's evidence numbers when it carries none of its own."""
    rule = RULES.get(rec.rule_id)
    if rec.evidence_numbers or rule is None or not rule.evidence_numbers:
        return rec
    return replace(rec, evidence_numbers=tuple(rule.evidence_numbers))


def capped_summary(summary: str, *, rule_id: str) -> str:
    """`summary` on one line, ≤ 139 characters; a longer one (a rule bug) is cut with "…"."""
    line = " ".join(summary.split())
    if len(line) <= SUMMARY_MAX:
        return line
    log.warning("summary longer than %d characters truncated", SUMMARY_MAX, extra={"rule": rule_id})
    return line[: SUMMARY_MAX - 1].rstrip() + "…"


def main_citation_id(rec: Recommendation) -> str | None:
    """The rule's first citation (its main source); the card's own evidence if the rule is
    unknown to the registry."""
    rule = RULES.get(rec.rule_id)
    ids = tuple(rule.citations) if rule is not None else ()
    ids = ids or tuple(rec.evidence)
    return next((cid for cid in ids if cid in CITATIONS), None)


def source(rec: Recommendation) -> dict[str, Any]:
    """Card `source`: the rule's main primary reference (trial or guideline, author, journal,
    year) with its PubMed/DOI link; the knowledge-base source when the rule has none."""
    topic = {
        "system": CATEGORY_SYSTEM,
        "code": Category(rec.category).value,
        "display": CATEGORY_DISPLAY[Category(rec.category)],
    }
    refs = references_for(rec.rule_id, rec.evidence)
    main = next((r for r in refs if r.link), refs[0] if refs else None)
    if main is not None:
        result: dict[str, Any] = {"label": main.short()}
        if main.link and main.link.startswith("https://"):
            result["url"] = main.link
        result["topic"] = topic
        return result
    cid = main_citation_id(rec)
    if cid is None:
        log.warning("no known citation for rule", extra={"rule": rec.rule_id})
        return {"label": f"GIST CDS knowledge base {rec.knowledge_version}", "topic": topic}
    citation = CITATIONS[cid]
    label = citation.title
    year = str(citation.year) if citation.year else ""
    if year and year not in label:
        label = f"{label}, {year}"
    result = {"label": label}
    if citation.url and citation.url.startswith("https://"):
        result["url"] = citation.url
    result["topic"] = topic
    return result


def rule_page_url(public_base_url: str, rule_id: str, risk: Risk | None = None) -> str:
    """Absolute URL of the rule page; with the patient's risk cell to highlight when known."""
    url = f"{public_base_url.rstrip('/')}/rules/{quote(rule_id, safe='')}"
    if risk is not None:
        url += "?risk=" + quote(risk_cell_key(risk), safe="")
    return url


def rule_link(rec: Recommendation, public_base_url: str) -> dict[str, str]:
    rule = RULES.get(rec.rule_id)
    label = f"Why? Rule {rec.rule_id}"
    if rule is not None:
        label += f" — {rule.title}"
    return {
        "label": label,
        "url": rule_page_url(public_base_url, rec.rule_id, rec.risk),
        "type": "absolute",
    }


def override_reasons(category: Category) -> list[dict[str, str]]:
    """Coded reasons (each with display, #56) the EHR may offer when a clinician dismisses it.
    DESIGN: every card gets them, so overrides can be counted per rule; data requests get the
    reasons that fit a request for data."""
    codes = _DATA_REASONS if category is Category.DATA_NEEDED else _ACTION_REASONS
    return [
        {"system": OVERRIDE_SYSTEM, "code": code, "display": OVERRIDE_REASONS[code]}
        for code in codes
    ]


def _number(value: float) -> int | float:
    """55.0 → 55 (as the contract shows it); 1.9 stays 1.9."""
    return int(value) if float(value).is_integer() else value


def risk_extension(risk: Risk) -> dict[str, Any]:
    result: dict[str, Any] = {"nihModified": risk.nih_modified.value}
    if risk.afip is not None:
        afip: dict[str, Any] = {"group": risk.afip.group}
        if risk.afip.progression_pct is not None:
            afip["progressionPct"] = _number(risk.afip.progression_pct)
        if risk.afip.fallback:
            afip["fallback"] = AFIP_FALLBACK
        result["afip"] = afip
    return result


def regimen_extension(regimen: Regimen) -> dict[str, Any]:
    result: dict[str, Any] = {
        "drug": regimen.drug,
        "doseMgPerDay": _number(regimen.dose_mg_per_day),
        "schedule": regimen.schedule,
    }
    if regimen.duration_months is not None:
        result["durationMonths"] = regimen.duration_months
    return result


def extension(rec: Recommendation) -> dict[str, Any]:
    """`extension["org.gist-cds"]`: exactly the contract's fields; absent ones are omitted."""
    result: dict[str, Any] = {
        "category": Category(rec.category).value,
        "ruleId": rec.rule_id,
        "knowledgeVersion": rec.knowledge_version,
        "evidence": list(dict.fromkeys((*rec.evidence, *cited_keys(rec)))),
    }
    if rec.risk is not None:
        result["risk"] = risk_extension(rec.risk)
    if rec.regimens:
        result["regimen"] = regimen_extension(rec.regimens[0])  # the preferred option
    if rec.line is not None:
        result["line"] = rec.line
    if rec.missing_data:
        result["missingData"] = list(dict.fromkeys(item.fact for item in rec.missing_data))
    return result


def has_empty_value(value: Any) -> bool:
    """Whether `empty_values` would find anything (without building a path per value). Level
    by level, without recursion: one loop over each level's values (asked of every card)."""
    level = [value]
    while level:
        below: list[Any] = []
        for item in level:
            if item is None:
                return True
            if isinstance(item, str):
                if len(item) == 0:
                    return True
            elif isinstance(item, dict):
                if len(item) == 0:
                    return True
                below.extend(item.values())
            elif isinstance(item, list | tuple):
                if len(item) == 0:
                    return True
                below.extend(item)
        level = below
    return False


def empty_values(value: Any, path: str = "$") -> list[str]:
    """JSON paths of every null, empty string, empty list or empty object inside `value`."""
    if value is None or (isinstance(value, str | list | dict | tuple) and len(value) == 0):
        return [path]
    found: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            found += empty_values(item, f"{path}.{key}")
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            found += empty_values(item, f"{path}[{index}]")
    return found


def _compact(value: Any) -> Any:
    """`value` without empty members (recursively); None when nothing is left."""
    if isinstance(value, dict):
        kept = {k: c for k, v in value.items() if (c := _compact(v)) is not None}
        return kept or None
    if isinstance(value, list | tuple):
        items = [c for v in value if (c := _compact(v)) is not None]
        return items or None
    if value is None or value == "":
        return None
    return value
