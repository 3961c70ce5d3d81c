"""The card `detail` markdown, composed per answer (knowledge-base §1.K "Text on cards").

A detail is short: the reasoning, the regimen with its safety line, the lines-of-therapy table
(once per answer, on the first drug card), the risk, what missing data would change, the facts
used (in full once per answer; later cards refer to that card and add only new facts), the
evidence numbers and the primary references, linked. Lines already shown on an earlier card of
the same answer are not repeated; the long explanation is on the rule page the card links to.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from cds_hooks.card_text import (
    clinical_terms,
    clinician_text,
    fact_label,
    note_text,
    readable_problem,
    record_ids,
    short_reference,
)
from cds_hooks.markdown import bullets, heading, join_sections, link, table, text, trusted_block
from logic.case import GistCase, TherapySetting, TherapyStatus, TkiCourse
from logic.knowledge.primary_references import (
    PrimaryReference,
    references_for,
    references_for_numbers,
)
from logic.knowledge.wording import SAFETY_LINES, SAFETY_SOURCE, WHAT_IF
from logic.recommendation import Category, NihRisk, Recommendation
from logic.risk import nih_modified

#: Cards that recommend (or continue) a drug: the lines-of-therapy table goes on the first one.
DRUG_CATEGORIES = frozenset(
    {
        Category.NEOADJUVANT_TKI,
        Category.ADJUVANT_TKI,
        Category.FIRST_LINE_TKI,
        Category.NEXT_LINE_TKI,
        Category.CONTINUE_CURRENT_THERAPY,
    }
)
_TKI_FACT = "tki_history"
LONG_NOTE = 200  # a longer background note is named on the card and given on the rule page
_FOLDED = re.compile(r"^(.+?) \([A-Z]\d{1,2}\): ")
MAX_NUMBERS = 3  # evidence lines on a card; the rule page lists them all
MAX_REFERENCES = 3  # the rule page lists every reference
#: Whole fact values that need more words than a term swap.
_FULL_VALUES = {("genotype", "wild-type"): "KIT/PDGFRA wild type (no other subtype known)"}
_PCT = re.compile(r"\d+(?:\.\d+)?%")


@dataclass
class Answer:
    """What earlier cards of one answer already showed."""

    case: GistCase
    therapy_table_shown: bool = False
    facts_card: str | None = None  # summary of the card that showed the facts in full
    facts: set[tuple[str, str]] = field(default_factory=set)
    lines: set[str] = field(default_factory=set)

    def new_lines(self, items: Sequence[str]) -> list[str]:
        fresh = [item for item in dict.fromkeys(items) if item and item not in self.lines]
        self.lines.update(fresh)
        return fresh


def wants_therapy_table(rec: Recommendation, case: GistCase) -> bool:
    return bool(case.tki_history) and (
        bool(rec.regimens)
        or rec.category in DRUG_CATEGORIES
        or any(f.name == _TKI_FACT for f in rec.facts_used)
    )


# --- sections ----------------------------------------------------------------------------------


def regimen_section(rec: Recommendation) -> str:
    if not rec.regimens:
        return ""
    items = []
    for index, regimen in enumerate(rec.regimens):
        item = text(regimen.display)
        if regimen.duration_months is not None:
            item += f", for {regimen.duration_months} months"
        if index == 0 and len(rec.regimens) > 1:
            item += " (preferred)"
        items.append(item)
    if len(items) == 1:
        return f"**Regimen:** {items[0]}"
    return join_sections([heading("Options (choose one)"), bullets(items)])


def safety_section(rec: Recommendation) -> str:
    """§3 safety line for every avapritinib, ripretinib, regorafenib or sunitinib option."""
    drugs = dict.fromkeys(d for r in rec.regimens for d in r.drug.split("+"))
    lines = [
        f"**Safety ({drug}, {SAFETY_SOURCE}):** {SAFETY_LINES[drug]}"
        for drug in drugs
        if drug in SAFETY_LINES
    ]
    return "\n\n".join(lines)


def _course_line(course: TkiCourse, earlier: Sequence[TkiCourse]) -> str:
    if course.setting is TherapySetting.ADVANCED and course.line:
        escalated = any(
            c.line == course.line and c.drug is course.drug and c.setting is course.setting
            for c in earlier
        )
        return f"{course.line} (dose change)" if escalated else str(course.line)
    return course.setting.value


def _period(course: TkiCourse) -> str:
    start = course.start.isoformat() if course.start else "?"
    if course.end is not None:
        return f"{start} – {course.end.isoformat()}"
    if course.status in (TherapyStatus.ACTIVE, TherapyStatus.ON_HOLD):
        return f"{start} – ongoing" + (
            " (on hold)" if course.status is TherapyStatus.ON_HOLD else ""
        )
    return f"{start} – stop date not recorded"


def _reason(course: TkiCourse) -> str:
    if course.stop_reason is not None:
        return course.stop_reason.value
    if course.status is TherapyStatus.COMPLETED:
        return "completed"
    if course.status in (TherapyStatus.ACTIVE, TherapyStatus.ON_HOLD):
        return "—"
    return "not recorded"


def therapy_table(case: GistCase) -> str:
    """Lines of therapy: line, drug, daily dose, start–stop, reason stopped."""
    rows = [
        [
            text(_course_line(c, case.tki_history[:i])),
            text(c.drug.value.capitalize()),
            text(f"{c.daily_dose_mg:g} mg" if c.daily_dose_mg is not None else "not recorded"),
            text(_period(c)),
            text(_reason(c)),
        ]
        for i, c in enumerate(case.tki_history)
    ]
    header = ["Line", "Drug", "Daily dose", "Start – stop", "Reason stopped"]
    return join_sections([heading("Lines of therapy"), table(header, rows)])


def risk_section(rec: Recommendation) -> str:
    risk = rec.risk
    if risk is None:
        return ""
    line = f"**Risk:** modified NIH (Joensuu 2008) **{clinical_terms(risk.nih_modified.value)}**"
    if risk.afip is not None:
        where = f", {text(risk.afip.column)} column" if risk.afip.column else ""
        pct = risk.afip.progression_pct
        figure = f"{pct:g}% risk of progression" if pct is not None else "no published figure"
        line += f"; AFIP group **{text(risk.afip.group)}**{where}: {figure}"
        if risk.afip.fallback:
            line += " (no figure for this site: jejunum/ileum column used)"
    return line + "."


def _consequence(risk: NihRisk) -> str:
    return {
        NihRisk.VERY_LOW: "very low risk, surveillance",
        NihRisk.LOW: "low risk, surveillance",
        NihRisk.INTERMEDIATE: "intermediate risk, surveillance (adjuvant imatinib may be "
        "discussed)",
        NihRisk.HIGH: "high risk, adjuvant imatinib 3 years if the genotype is imatinib-sensitive",
    }[risk]


def what_if(fact: str, case: GistCase) -> list[str]:
    """For a missing fact: what each plausible value would lead to (§1.K)."""
    site = case.site.value if case.site.is_known else None
    rupture = bool(case.rupture.value) if case.rupture.is_known else False
    if fact == "mitoticCount" and case.tumour_size.is_known and case.tumour_size.value:
        size = case.tumour_size.value.cm
        counts = (("≤ 5 per 5 mm²", 3.0), ("6–10 per 5 mm²", 8.0), ("> 10 per 5 mm²", 11.0))
        return _merge([(b, _consequence(nih_modified(site, size, m, rupture))) for b, m in counts])
    if fact == "tumourSize" and case.mitotic_count.is_known and case.mitotic_count.value:
        mitoses = case.mitotic_count.value.value
        bands = (("≤ 2 cm", 1.5), ("2.1–5 cm", 4.0), ("5.1–10 cm", 8.0), ("> 10 cm", 11.0))
        return _merge(
            [(b, _consequence(nih_modified(site, s, mitoses, rupture))) for b, s in bands]
        )
    if fact == "mitoticCount":
        return [
            "≤ 5 per 5 mm² → lower risk band for the size and site (often surveillance)",
            "> 5 per 5 mm² → higher risk band (high risk: adjuvant imatinib 3 years)",
        ]
    return list(WHAT_IF.get(fact, ()))


def _merge(pairs: list[tuple[str, str]]) -> list[str]:
    """Adjacent bands with the same consequence shown once ("≤ 5 … or 6–10 … → …")."""
    merged: list[tuple[list[str], str]] = []
    for band, outcome in pairs:
        if merged and merged[-1][1] == outcome:
            merged[-1][0].append(band)
        else:
            merged.append(([band], outcome))
    return [f"{' or '.join(bands)} → {outcome}" for bands, outcome in merged]


def missing_section(rec: Recommendation, answer: Answer) -> str:
    items = []
    for item in rec.missing_data:
        reason = readable_problem(
            item.reason.rstrip("."), unreadable=item.fact == "unreadableRecord"
        )
        line = f"{heading(text(fact_label(item.fact)))}: {text(reason)}"
        refs = record_ids(item.reason)
        line += f" (record {text(', '.join(refs))}). " if refs else ". "
        line += f"Would change: {text(clinical_terms(item.impact))}"
        says_outcomes = "→" in item.impact  # the rule already says what each value leads to
        asking = rec.category in _ASKING and not says_outcomes
        outcomes = what_if(item.fact, answer.case) if asking else []
        if outcomes:
            line += "\n" + "\n".join(f"  - {text(o)}" for o in outcomes)
        items.append(line)
    return join_sections([heading("Missing data"), bullets(items)]) if items else ""


_ASKING = frozenset({Category.DATA_NEEDED, Category.MUTATION_TESTING})


def facts_section(rec: Recommendation, answer: Answer, summary: str) -> str:
    facts = [
        f
        for f in rec.facts_used
        if not (f.name == _TKI_FACT and answer.case.tki_history)
        and (f.name, f.value) not in answer.facts
    ]
    first = answer.facts_card
    shown_before = first is not None and any(
        (f.name, f.value) in answer.facts for f in rec.facts_used
    )
    items = []
    for fact in facts:
        value = _FULL_VALUES.get((fact.name, fact.value)) or clinical_terms(fact.value)
        item = f"{heading(text(fact_label(fact.name)))}: {text(value)}"
        if fact.sources:
            where = dict.fromkeys(
                _without_repeated_date(short_reference(s), fact.value) for s in fact.sources
            )
            item += " — " + "; ".join(text(w) for w in where)
        items.append(item)
        answer.facts.add((fact.name, fact.value))
    parts = []
    if shown_before and first is not None:
        then = ", and:" if items else "."
        parts.append(f"Facts used: as on the card “{text(_cut(first))}”{then}")
    elif items and answer.facts_card is not None:
        parts.append(heading("Other facts used"))
    elif items:
        parts.append(heading("Facts used"))
        answer.facts_card = summary
    if items:
        parts.append(bullets(items))
    return join_sections(parts)


def _without_repeated_date(reference: str, value: str) -> str:
    """ "Observation, 2025-03-01" → "Observation" when the value already gives that date."""
    kind, _, date = reference.partition(", ")
    return kind if date and date in value else reference


def _cut(summary: str, limit: int = 60) -> str:
    return summary if len(summary) <= limit else summary[: limit - 1].rsplit(" ", 1)[0] + "…"


def evidence_section(rec: Recommendation, answer: Answer) -> str:
    numbers = answer.new_lines(
        [clinician_text(trusted_block(n)) for n in rec.evidence_numbers[:MAX_NUMBERS]]
    )
    refs = _references(rec)
    parts = []
    if numbers:
        parts += [heading("Evidence"), bullets(numbers)]
    if refs:
        parts.append("**References:** " + "; ".join(_cite(r) for r in refs))
    return join_sections(parts)


def _references(rec: Recommendation) -> tuple[PrimaryReference, ...]:
    own = references_for(rec.rule_id, rec.evidence)
    refs = tuple(dict.fromkeys((*references_for_numbers(_numbers_shown(rec)), *own)))
    return refs[:MAX_REFERENCES]


def cited_keys(rec: Recommendation) -> list[str]:
    """The primary-reference keys a card cites (for `extension.evidence`, knowledge 2026.2)."""
    return [r.key for r in _references(rec)]


def _cite(ref: PrimaryReference) -> str:
    return link(ref.short(), ref.link) if ref.link else trusted_block(ref.short())


def _numbers_shown(rec: Recommendation) -> tuple[str, ...]:
    return rec.evidence_numbers[:MAX_NUMBERS]


def notes_section(rec: Recommendation, answer: Answer) -> str:
    shown = " ".join(rec.evidence_numbers)
    notes: list[str] = []
    related: list[str] = []
    for note in rec.notes:
        clean = note_text(note)
        figures = set(_PCT.findall(clean))
        if not clean or (figures and figures <= set(_PCT.findall(shown))):
            continue  # engineering-only, or it repeats the evidence lines
        title = _FOLDED.match(note)
        if title is not None and len(clean) > LONG_NOTE:
            related.append(title.group(1))  # long background guidance: on the rule page
            continue
        notes.append(trusted_block(clean))
    if related:
        notes.append("Also applies, detailed on the rule page: " + "; ".join(related) + ".")
    fresh = answer.new_lines(notes)
    return join_sections([heading("Notes"), bullets(fresh)]) if fresh else ""


def card_detail(rec: Recommendation, answer: Answer, summary: str) -> str:
    """The card `detail` of `rec` as the next card of `answer`."""
    table_here = not answer.therapy_table_shown and wants_therapy_table(rec, answer.case)
    if table_here:
        answer.therapy_table_shown = True
    footer = f"Rule {text(rec.rule_id)} · knowledge base {text(rec.knowledge_version)}"
    return join_sections(
        [
            trusted_block(clinician_text(rec.rationale)),
            regimen_section(rec),
            safety_section(rec),
            therapy_table(answer.case) if table_here else "",
            risk_section(rec),
            missing_section(rec, answer),
            facts_section(rec, answer, summary),
            evidence_section(rec, answer),
            notes_section(rec, answer),
            f"_{footer}_",
        ]
    )
