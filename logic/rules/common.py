"""Helpers shared by the rule modules: building Recommendations, describing facts, caching
per-case work.

Every rule is one record in its section module (logic/rule.py). A choice that many records ask
about — which rule a Decision picks, the stage of advanced disease, the risk of a resected
tumour — is worked out once per case object (`per_case`), so the engine can call `applies` and
`recommend` of every rule without repeating it.
"""

from __future__ import annotations

import datetime as dt
import functools
import threading
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

from logic.case import (
    Diagnosis,
    EmergencyFinding,
    EusFindings,
    Fact,
    FactStatus,
    GistCase,
    Metastasis,
    MitoticCount,
    Resection,
    ResponseAssessment,
    TkiCourse,
    TumourSize,
)
from logic.knowledge.version import KNOWLEDGE_VERSION
from logic.recommendation import (
    DEFAULT_INDICATOR,
    Category,
    FactUsed,
    Indicator,
    MissingData,
    Recommendation,
    Regimen,
    Risk,
)
from logic.rule import Plan

R = TypeVar("R")

#: The design note of a background rule that needs no other.
BACKGROUND_NOTE = "Background content: folded into the cards named, no card of its own."

SUMMARY_MAX = 139
#: How many recent cases each per-case plan remembers (a few concurrent requests).
CACHED_CASES = 16


def emit(
    rule_id: str,
    citations: tuple[str, ...],
    category: Category,
    summary: str,
    rationale: str,
    *,
    indicator: Indicator | None = None,
    risk: Risk | None = None,
    regimens: Sequence[Regimen] = (),
    line: int | None = None,
    facts: Iterable[FactUsed] = (),
    missing: Iterable[MissingData] = (),
    numbers: Iterable[str] = (),
    notes: Iterable[str] = (),
) -> Recommendation:
    """A complete Recommendation; the indicator defaults to the card contract's for the category.

    A summary over SUMMARY_MAX is cut at a word with "…" rather than failing the whole call (a
    card with a shortened summary beats no answer); tests assert no summary ever needs it."""
    if len(summary) > SUMMARY_MAX:
        summary = summary[: SUMMARY_MAX - 1].rsplit(" ", 1)[0].rstrip(" ,;:—-") + "…"
    return Recommendation(
        category=category,
        indicator=indicator or DEFAULT_INDICATOR[category],
        rule_id=rule_id,
        evidence=citations,
        knowledge_version=KNOWLEDGE_VERSION,
        summary=summary,
        rationale=rationale,
        risk=risk,
        regimens=tuple(regimens),
        line=line,
        facts_used=_dedupe(facts),
        missing_data=_dedupe(missing),
        evidence_numbers=_dedupe(numbers),
        notes=_dedupe(notes),
    )


def _dedupe(items: Iterable[R]) -> tuple[R, ...]:
    return tuple(dict.fromkeys(items))


def per_case(plan: Callable[[GistCase], R]) -> Callable[[GistCase], R]:
    """Compute a pure per-case plan once per case object, however many rules ask for it.

    Keyed by the case's identity, not its value: hashing a whole frozen case (nested tuples) on
    every rule call was a measured cost (docs/performance.md, item 4), and `evaluate` hands the
    same object to every rule. The entry keeps the case alive, so its id cannot be reused while
    cached; the last CACHED_CASES cases are kept."""
    cache: dict[int, tuple[GistCase, R]] = {}
    lock = threading.Lock()

    @functools.wraps(plan)
    def wrapper(case: GistCase) -> R:
        entry = cache.get(id(case))
        if entry is not None and entry[0] is case:
            return entry[1]
        result = plan(case)
        with lock:
            cache[id(case)] = (case, result)
            while len(cache) > CACHED_CASES:
                del cache[next(iter(cache))]
        return result

    return wrapper


def picker(
    plan: Callable[[GistCase], Plan], rule_id: str
) -> tuple[Callable[[GistCase], bool], Callable[[GistCase], list[Recommendation]]]:
    """`applies` and `recommend` of one rule: its own cards in the pathway plan."""

    def recommend(case: GistCase) -> list[Recommendation]:
        return [r for r in plan(case).cards if r.rule_id == rule_id]

    def applies(case: GistCase) -> bool:
        return any(r.rule_id == rule_id for r in plan(case).cards)

    return applies, recommend


def nothing(_case: GistCase) -> list[Recommendation]:
    return []


# --- describing facts --------------------------------------------------------------------------

#: camelCase contract names of case fields, for MissingData.fact.
CAMEL: dict[str, str] = {
    "diagnosis": "diagnosis",
    "site": "site",
    "disease_state": "diseaseState",
    "resection": "resection",
    "margin": "margin",
    "resectability": "resectability",
    "tumour_size": "tumourSize",
    "mitotic_count": "mitoticCount",
    "rupture": "rupture",
    "eus": "eusFeatures",
    "genotype": "genotype",
    "response": "response",
    "age_years": "ageYears",
}


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, TumourSize):
        when = f", {value.date.isoformat()}" if value.date else ""
        return f"{value.cm:g} cm ({value.source.value}{when})"
    if isinstance(value, MitoticCount):
        unit = "per 5 mm²" if value.comparable else f"per {value.raw_unit or 'unknown area'}"
        return f"{value.value:g} {unit}"
    if isinstance(value, EusFindings):
        present = sorted(f.value for f in value.present)
        return ", ".join(present) if present else f"none of {len(value.assessed)} assessed"
    if isinstance(value, ResponseAssessment):
        lesions = value.progressing_lesions
        extra = f", {lesions} progressing lesion(s)" if lesions is not None else ""
        return f"{value.status.value}{extra}{_on(value.date)}"
    if isinstance(value, Resection):
        return "resected" + _on(value.date)
    if isinstance(value, Diagnosis):
        return "GIST" + _on(value.diagnosis_date)
    return str(getattr(value, "value", value))


def _on(date: dt.date | None) -> str:
    return f" on {date.isoformat()}" if date else ""


def fact_used(case: GistCase, name: str) -> FactUsed | None:
    """The FactUsed for a KNOWN Fact field of the case (None when it is not known)."""
    fact: Fact[Any] = getattr(case, name)
    if fact.status is not FactStatus.KNOWN or fact.value is None:
        return None
    return FactUsed(name, _text(fact.value), tuple(p.label() for p in fact.sources))


def facts_used(case: GistCase, *names: str) -> tuple[FactUsed, ...]:
    found = (fact_used(case, n) for n in names)
    return tuple(f for f in found if f is not None)


def localized_facts(case: GistCase) -> tuple[FactUsed, ...]:
    """The facts a card about a localized, unresected primary (§1.B–§1.D) shows."""
    return facts_used(
        case, "site", "tumour_size", "resectability", "genotype", "eus", "mitotic_count"
    )


def course_text(course: TkiCourse) -> str:
    dose = f" {course.daily_dose_mg:g} mg/day" if course.daily_dose_mg is not None else ""
    line = f" line {course.line}" if course.line else ""
    stop = f", stopped for {course.stop_reason.value}" if course.stop_reason else ""
    start = f" from {course.start.isoformat()}" if course.start else ""
    setting = f"{course.setting.value}{line}, {course.status.value}{stop}"
    return f"{course.drug.value}{dose} ({setting}){start}"


def courses_used(courses: Sequence[TkiCourse]) -> tuple[FactUsed, ...]:
    return tuple(FactUsed("tki_history", course_text(c), (c.source.label(),)) for c in courses)


def metastases_used(metastases: Sequence[Metastasis]) -> tuple[FactUsed, ...]:
    return tuple(FactUsed("metastases", m.site.value, (m.source.label(),)) for m in metastases)


def emergencies_used(findings: Sequence[EmergencyFinding]) -> tuple[FactUsed, ...]:
    return tuple(
        FactUsed("emergencies", f"{f.kind.value} ({f.certainty.value})", (f.source.label(),))
        for f in findings
    )


def missing(case: GistCase, name: str, impact: str, reason: str | None = None) -> MissingData:
    """MissingData for a case field, with the reason taken from the fact when not given."""
    return MissingData(CAMEL.get(name, name), reason or fact_gap(getattr(case, name)), impact)


def fact_gap(fact: Fact[Any]) -> str:
    """Why a fact cannot be used: 'not recorded', or the conflicting candidates."""
    if fact.status is FactStatus.CONFLICTING:
        values = " vs ".join(_text(c) for c in fact.candidates) or "several values"
        return f"conflicting values: {values}" + (f" ({fact.note})" if fact.note else "")
    return fact.note or "not recorded"
