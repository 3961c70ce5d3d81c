"""Rule pages: the "why?" behind every card, as plain HTML (no JavaScript).

`GET /rules` lists every registered rule; `GET /rules/<rule_id>` shows the recommendation in plain
words, its conditions, citations with links, evidence numbers, the design note, the knowledge
version and release date, and the source attributes an evidence-based decision support
intervention publishes (developer, funding, intended use, target population, cautions, data
used). Rules that use the risk tables draw both tables; `?risk=<key>` (the format of
`logic.risk.risk_cell_key`, e.g. `nih:high|afip:6a:gastric`) highlights the patient's row/cell.
Unknown or malformed parts of `risk` are ignored, never echoed unescaped (templates autoescape).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, render_template, request

from logic.case import CASE_FIELDS
from logic.knowledge import version
from logic.knowledge.citations import CITATIONS
from logic.knowledge.primary_references import (
    PRIMARY_REFERENCES,
    SECONDARY_SOURCES,
    PrimaryReference,
    references_for,
)
from logic.knowledge.risk_tables import AFIP_COLUMNS, AFIP_TABLE, NIH_MODIFIED_ROWS
from logic.knowledge.rule_sections import OTHER_SITUATION, SITUATIONS, section_title, situation_of
from logic.knowledge.wording import ENGINEERING_MARKERS
from logic.orders import OrderCheck
from logic.recommendation import NihRisk
from logic.registry import ORDER_RULES, RULES
from logic.rule import Rule

bp = Blueprint(
    "rule_pages",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/rules/assets",
)

_MAX_RISK_PARAM = 200  # longer values are ignored outright
_MAX_QUERY = 100  # the index search keeps the first 100 characters

INTENDED_USE = (
    "Suggests guideline-based next steps in the management of gastrointestinal stromal tumour "
    "(GIST) to clinicians in the EHR, as cards they review; it orders nothing by itself."
)
TARGET_POPULATION = (
    "Patients with a recorded GIST diagnosis; each rule narrows this further by the conditions "
    "listed on its page."
)
CAUTIONS = (
    "Not a substitute for clinical judgement: every suggestion is a draft for a clinician to "
    "review, ideally in a multidisciplinary tumour board.",
    "The service sees only the coded data it is given; check the facts a card lists against "
    "the record before acting.",
    "Sources listed under 'also consulted' as secondary were read only through third-party "
    "summaries; cards cite the primary publications.",
    "The logic has not been validated in a prospective clinical study.",
)
#: Case fields that are demographic data elements (HTI-1 asks whether an intervention uses them).
DEMOGRAPHIC_FIELDS: Mapping[str, str] = {"age_years": "age (from date of birth)"}


@dataclass(frozen=True, slots=True)
class RiskHighlight:
    """The table cells to mark for the patient (all None: nothing to mark)."""

    nih: NihRisk | None = None
    nih_row: str | None = None  # one modified NIH row, when the key names it (else every row)
    afip_group: str | None = None
    afip_column: str | None = None

    @property
    def any(self) -> bool:
        return self.nih is not None or self.afip_group is not None


def parse_risk_key(raw: str | None) -> RiskHighlight:
    """Read `nih:<category or NIH row key>|afip:<group>:<column>`; unknown or malformed parts
    are ignored. A category marks every row of that category; a row key marks that row only."""
    if not raw or len(raw) > _MAX_RISK_PARAM:
        return RiskHighlight()
    nih: NihRisk | None = None
    nih_row: str | None = None
    group: str | None = None
    column: str | None = None
    nih_values = {item.value: item for item in NihRisk}
    rows = {row.key: row for row in NIH_MODIFIED_ROWS}
    for part in raw.split("|"):
        fields = part.split(":")
        if len(fields) == 2 and fields[0] == "nih" and fields[1] in nih_values:
            nih, nih_row = nih_values[fields[1]], None
        elif len(fields) == 2 and fields[0] == "nih" and fields[1] in rows:
            nih, nih_row = rows[fields[1]].category, fields[1]
        elif (
            len(fields) == 3
            and fields[0] == "afip"
            and fields[1] in AFIP_TABLE
            and fields[2] in AFIP_COLUMNS
        ):
            group, column = fields[1], fields[2]
    return RiskHighlight(nih, nih_row, group, column)


def shows_risk_tables(rule: Rule, highlight: RiskHighlight) -> bool:
    """Tables on rules that use them, on every adjuvant (F) rule, and whenever a risk is given."""
    return rule.uses_risk_table or rule.rule_id.startswith("F") or highlight.any


def _pct(value: float) -> str:
    return f"{value:g}%"


def nih_table(highlight: RiskHighlight) -> list[dict[str, Any]]:
    return [
        {
            "key": row.key,
            "category": row.category.value,
            "label": row.category.value.replace("-", " ").capitalize(),
            "size": row.size_band,
            "mitoses": row.mitoses_band,
            "site": row.site,
            "current": row.key == highlight.nih_row
            if highlight.nih_row
            else highlight.nih is row.category,
        }
        for row in NIH_MODIFIED_ROWS
    ]


def afip_table(highlight: RiskHighlight) -> list[dict[str, Any]]:
    rows = []
    for group in AFIP_TABLE.values():
        cells = []
        for column in AFIP_COLUMNS:
            cell = group.cells[column]
            text = cell.label if cell.pct is None else f"{cell.label} ({_pct(cell.pct)})"
            current = highlight.afip_group == group.group and highlight.afip_column == column
            cells.append({"column": column, "text": text, "note": cell.note, "current": current})
        rows.append(
            {
                "group": group.group,
                "size": group.size_band,
                "mitoses": group.mitoses_band,
                "cells": cells,
                "current": highlight.afip_group == group.group,
            }
        )
    return rows


def citations_of(rule: Rule) -> list[dict[str, Any]]:
    """The rule's knowledge-base sources ("also consulted"), secondary web pages marked."""
    return sources_listed(rule.citations)


def sources_listed(citations: Iterable[str]) -> list[dict[str, Any]]:
    """Knowledge-base sources by `[Sx]` id, as the pages list them."""
    result: list[dict[str, Any]] = []
    for cid in citations:
        citation = CITATIONS.get(cid)
        if citation is None:
            result.append({"id": cid, "title": f"Source {cid}", "year": None, "url": None})
            continue
        url = citation.url if citation.url and citation.url.startswith("http") else None
        result.append(
            {
                "id": cid,
                "title": citation.title,
                "year": citation.year,
                "url": url,
                "note": citation.note,
                "secondary": cid in SECONDARY_SOURCES,
            }
        )
    return result


def references_of(rule: Rule) -> list[dict[str, Any]]:
    """The primary references cards of this rule cite (with PubMed and DOI links)."""
    return references_listed(references_for(rule.rule_id, rule.citations))


def references_listed(references: Iterable[PrimaryReference]) -> list[dict[str, Any]]:
    """Primary references as the pages list them (with PubMed and DOI links)."""
    return [
        {
            "key": ref.key,
            "label": ref.label,
            "citation": f"{ref.authors} {ref.title}. {ref.journal}.",
            "pubmed": ref.pubmed_url,
            "doi": ref.doi_url,
            "url": None if (ref.pubmed_url or ref.doi_url) else ref.url,
        }
        for ref in references
    ]


def build_notes(rule: Rule) -> list[str]:
    """How this rule was built: its design note (from the rule record) and the
    knowledge-engineering sentences of its own and its background rules' statements."""
    notes = [rule.design_note] if rule.design_note else []
    texts = [rule.statement]
    texts += [r.statement for r in RULES.values() if rule.rule_id in r.folds_into]
    for text in texts:
        notes += [s for s in text.split(". ") if ENGINEERING_MARKERS.search(s)]
    return list(dict.fromkeys(n.strip().rstrip(".") + "." for n in notes if n.strip()))


def field_label(name: str) -> str:
    return name.replace("_", " ")


def source_attributes(rule: Rule) -> list[tuple[str, str | Sequence[str]]]:
    """The EBDSI source attributes as (name, value or list of values), in display order."""
    funding = getattr(version, "FUNDING_SOURCE", None) or "Not declared in the knowledge base"
    demographics = [label for field, label in DEMOGRAPHIC_FIELDS.items() if field in rule.reads]
    uses = ", ".join(demographics).capitalize() if demographics else "None"
    return [
        ("Developer of the intervention", version.INTERVENTION_DEVELOPER),
        ("Funding source", funding),
        (
            "Release and revision",
            f"knowledge version {version.KNOWLEDGE_VERSION}, released "
            f"{version.KNOWLEDGE_RELEASE_DATE}",
        ),
        ("Intended use", INTENDED_USE),
        ("Target population", TARGET_POPULATION),
        ("Cautions and out-of-scope use", CAUTIONS),
        ("Patient data it reads", [field_label(f) for f in rule.reads if f in CASE_FIELDS]),
        (
            "Demographic and social data used",
            f"{uses}. Race, ethnicity, language, sex, gender identity, sexual orientation and "
            "social determinants of health are not part of the case the rules read.",
        ),
    ]


def _common() -> dict[str, Any]:
    return {
        "knowledge_version": version.KNOWLEDGE_VERSION,
        "release_date": version.KNOWLEDGE_RELEASE_DATE,
        "developer": version.INTERVENTION_DEVELOPER,
    }


def _matches(rule: Rule, query: str) -> bool:
    haystack = " ".join(
        [rule.rule_id, rule.title, rule.statement, section_title(rule.section), *rule.conditions]
        + [category.value for category in rule.categories]
    ).lower()
    return all(word in haystack for word in query.lower().split())


@bp.get("/rules")
def index() -> str:
    """Every rule, grouped by clinical situation and section title; `?q=` filters (a plain
    GET form, so the search works without JavaScript)."""
    query = " ".join(request.args.get("q", "")[:_MAX_QUERY].split())
    shown = [rule for rule in RULES.values() if not query or _matches(rule, query)]
    groups = []
    for situation in [name for name, _ in SITUATIONS] + [OTHER_SITUATION]:
        sections: dict[str, list[dict[str, Any]]] = {}
        for rule in shown:
            if situation_of(rule.section) != situation:
                continue
            sections.setdefault(rule.section, []).append(
                {
                    "id": rule.rule_id,
                    "title": rule.title,
                    "section": rule.section,
                    "categories": [category.value for category in rule.categories],
                }
            )
        if sections:
            groups.append(
                {
                    "title": situation,
                    "sections": [
                        {"id": sid, "title": section_title(sid), "rules": rules}
                        for sid, rules in sections.items()
                    ],
                }
            )
    return render_template(
        "rules/index.html",
        groups=groups,
        query=query,
        shown=len(shown),
        total=len(RULES),
        **_common(),
    )


@bp.get("/rules/<rule_id>")
def rule_page(rule_id: str) -> tuple[str, int]:
    rule = RULES.get(rule_id)
    if rule is None:
        return render_template("rules/not_found.html", rule_id=rule_id, **_common()), 404
    highlight = parse_risk_key(request.args.get("risk"))
    tables = shows_risk_tables(rule, highlight)
    page = render_template(
        "rules/rule.html",
        rule=rule,
        categories=[category.value for category in rule.categories],
        citations=citations_of(rule),
        references=references_of(rule),
        build_notes=build_notes(rule),
        related=[r for r in RULES.values() if rule.rule_id in r.folds_into],
        section_title=section_title(rule.section),
        attributes=source_attributes(rule),
        show_tables=tables,
        highlight=highlight,
        nih_rows=nih_table(highlight) if tables else [],
        afip_columns=list(AFIP_COLUMNS.items()),
        afip_rows=afip_table(highlight) if tables else [],
        **_common(),
    )
    return page, 200


# --- order checks (order-select, order-sign): pages of their own, the rule pages unchanged -------


def order_check_row(check: OrderCheck) -> dict[str, Any]:
    return {
        "id": check.check_id,
        "title": check.title,
        "rule_id": check.rule_id,
        "indicator": check.indicator.value,
        "kind": check.kind.value,
    }


@bp.get("/rules/orders")
def order_index() -> str:
    """Every order check, in the order they run on a drafted order."""
    return render_template(
        "rules/order_index.html",
        checks=[order_check_row(check) for check in ORDER_RULES.values()],
        **_common(),
    )


@bp.get("/rules/orders/<check_id>")
def order_check_page(check_id: str) -> tuple[str, int]:
    check = ORDER_RULES.get(check_id)
    if check is None:
        page = render_template("rules/not_found.html", rule_id=check_id, **_common())
        return page, 404
    rule = RULES[check.rule_id]  # the registry checked it exists
    reads = [field_label(f) for f in check.reads if f in CASE_FIELDS]
    page = render_template(
        "rules/order_check.html",
        check=check,
        rule=rule,
        citations=sources_listed(check.citations),
        references=references_listed(PRIMARY_REFERENCES[key] for key in check.references),
        reads=["the drafted order (drug, dose, frequency)", *reads],
        **_common(),
    )
    return page, 200
