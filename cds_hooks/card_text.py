"""Clinician wording for card text (knowledge-base §1.K "Text on cards").

Turns what the logic says into what a specialist reads in a few seconds: program values become
clinical terms, knowledge-engineering sentences are left for the rule page, unreadable-record
messages are said in words, resource references are shortened to type and date, and drug
summaries carry dose and schedule. Pure string functions; `cards.py` composes the answer.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from logic.knowledge.wording import (
    CLINICAL_TERMS,
    CLINICIAN_PHRASES,
    ENGINEERING_MARKERS,
    FACT_LABELS,
    UCUM_WORDS,
)
from logic.recommendation import Regimen

_TERM = re.compile(
    r"(?<![\w-])("
    + "|".join(re.escape(t) for t in sorted(CLINICAL_TERMS, key=len, reverse=True))
    + r")(?![\w-])"
)
_CODE_REF = re.compile(r"\b(?:Observation |Condition |Procedure )?gist#([a-z0-9-]+)")
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z(])")
_PAREN = re.compile(r"\s*\([^()]*\)")
_LABEL = re.compile(r"^(?:DESIGN|SECONDARY)\b(?:\s*\([^)]*\))?\s*[:.]?\s*")
_RULE_REF = re.compile(r"\s\(([A-Z]\d{1,2})\)(?=:)")
_REF_TOKEN = r"(?:(?:rule )?[A-Z]\d{1,2}|§\s?[\dA-Z][\w.–/-]*)"
_RULE_MENTION = re.compile(rf"\s?\({_REF_TOKEN}(?:(?:, | and |/|; ){_REF_TOKEN})*\)")
_REFERENCE = re.compile(r"^(?P<type>[A-Z][A-Za-z]+)/(?P<id>[^\s(]+)(?: \((?P<date>[\d-]+)\))?$")
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")


_CODE_NOTE = re.compile(
    r"\s*\((?:[A-Z][a-z]+ )?(?:LOINC|SNOMED|RxNorm|ICD-10)[^)]*\)|\s*\(§[^)]*\)"
)
_HPF = re.compile(r"'?/(\d+)\.?\[HPF\]'?")
_UCUM = re.compile(r"'?\[([A-Za-z_]+)\]'?")
_TRAILING_RULE = re.compile(r",\s*(?:rule\s)?[A-Z]\d{1,2}\)")
_RESOURCE_REF = re.compile(
    r"\b(Condition|Observation|Procedure|MedicationStatement|MedicationRequest|Medication|"
    r"Patient|DiagnosticReport)/[A-Za-z0-9\-.]{0,63}[A-Za-z0-9]"
)


def clinical_terms(value: str) -> str:
    """Program values in `value` replaced by clinical terms ("kit-exon-11" → "KIT exon 11",
    "gist#mitotic-count" → "mitotic count record"); rule ids and terminology codes in
    brackets are dropped (the rule page has them)."""
    value = _CODE_NOTE.sub("", _RULE_MENTION.sub("", _TRAILING_RULE.sub(")", value)))
    value = _RESOURCE_REF.sub(lambda m: f"{m.group(1)} record", value)
    value = _HPF.sub(lambda m: f"per {m.group(1)} HPF", value).replace("per per ", "per ")
    value = _UCUM.sub(lambda m: UCUM_WORDS.get(m.group(1), m.group(1)), value)
    value = _CODE_REF.sub(lambda m: m.group(1).replace("-", " ") + " record", value)
    return _TERM.sub(lambda m: CLINICAL_TERMS[m.group(1)], value)


def fact_label(name: str) -> str:
    """ "tki_history" → "TKI history"; "mitoticCount" → "Mitotic count"."""
    if name in FACT_LABELS:
        return FACT_LABELS[name]
    words = _CAMEL.sub(" ", name).replace("_", " ").strip().lower()
    return words[:1].upper() + words[1:]


def is_engineering(sentence: str) -> bool:
    return ENGINEERING_MARKERS.search(sentence) is not None


def clinician_text(value: str) -> str:
    """`value` without knowledge-engineering content: labelled prefixes ("DESIGN:") are dropped,
    parentheses holding a marker are removed, and any sentence still holding one is left out
    (it belongs on the rule page, "How this rule was built")."""
    for phrase, words in CLINICIAN_PHRASES.items():
        value = value.replace(phrase, words)
    value = _RULE_MENTION.sub("", value)
    kept = []
    for sentence in _SENTENCE.split(value.strip()):
        sentence = _LABEL.sub("", sentence)
        sentence = _PAREN.sub(lambda m: "" if is_engineering(m.group(0)) else m.group(0), sentence)
        if not sentence.strip(" .;:") or is_engineering(sentence):
            continue
        sentence = sentence.strip()
        kept.append(sentence[:1].upper() + sentence[1:])
    return clinical_terms(" ".join(kept))


def note_text(note: str) -> str:
    """A folded note without its rule id in brackets ("Interactions (G17): …" → "Interactions:
    …"), in clinician wording; "" when nothing clinical is left."""
    return clinician_text(_RULE_REF.sub("", note))


def short_reference(label: str) -> str:
    """ "Observation/abc-1 (2025-03-01)" → "Observation, 2025-03-01" (the id is listed once, at
    the end of the facts)."""
    match = _REFERENCE.match(label.strip())
    if match is None:
        return label
    return match["type"] + (f", {match['date']}" if match["date"] else "")


_FIELD_WORDS = {
    "valueQuantity.value": "the value",
    "valueQuantity": "the value",
    "valueQuantity.unit": "the unit",
    "effectiveDateTime": "the date",
    "onsetDateTime": "the date",
    "performedDateTime": "the date",
    "code": "the code",
    "status": "the status",
    "subject": "the patient reference",
}
_MESSAGES = (
    (re.compile(r"Decimal|valid (?:number|float|decimal|integer)", re.I), "is not a number"),
    (re.compile(r"date|time", re.I), "is not a valid date"),
    (re.compile(r"Field required|missing", re.I), "is missing"),
    (re.compile(r"valid string|str type", re.I), "is not text"),
    (re.compile(r"permitted|enumeration|one of", re.I), "is not an allowed value"),
)
_INVALID = re.compile(r"^(?:(?P<ref>[A-Z]\w+(?:/\S+?)?):\s*)?invalid FHIR R4:\s*(?P<errors>.*)$")


def record_ids(value: str) -> list[str]:
    """The "Type/id" references in a record message: said as "the Condition record" in the
    text and listed once at the end of the item, so the record can be found (§1.K)."""
    return list(dict.fromkeys(m.group(0) for m in _RESOURCE_REF.finditer(value)))


def _problems(errors: str) -> str:
    """ "valueQuantity.value: Value error, Decimal …; effectiveDateTime: …" → "the value is not
    a number; the date is not a valid date"."""
    problems = []
    for error in errors.split(";"):
        field, _, message = error.strip().partition(": ")
        if not message:
            field, message = "", field
        path = re.sub(r"\[\d+\]", "", field.strip())
        tail = ".".join(path.split(".")[-2:])
        where = (
            _FIELD_WORDS.get(path)
            or _FIELD_WORDS.get(tail)
            or _FIELD_WORDS.get(path.split(".")[-1], "a field" if field else "the record")
        )
        what = next((w for rx, w in _MESSAGES if rx.search(message)), "is not in a valid format")
        problems.append(f"{where} {what}")
    return "; ".join(dict.fromkeys(problems))


_EMBEDDED_INVALID = re.compile(
    r"(?:\b(?P<kind>[A-Z][A-Za-z]+)(?:/[A-Za-z0-9\-.]*[A-Za-z0-9]| record)?:\s*)?"
    r"invalid FHIR R4:\s*(?P<errors>[^()]*?)\.?(?=\)|$)"
)


def readable_problem(reason: str, *, unreadable: bool = True) -> str:
    """A record message in clinician words, wherever a validation message sits in it:
    "Observation/x: invalid FHIR R4: valueQuantity.value: Value error, Decimal value string does
    not match spec regex" → "the Observation record could not be read: the value is not a
    number". `unreadable`: the message is about a record that could not be used (a message
    led by its record then says so)."""
    reason = reason.strip()
    match = _INVALID.match(reason)
    if match is not None:
        kind = (match["ref"] or "record").split("/")[0]
        return f"the {kind} record could not be read: {_problems(match['errors'])}"
    lead = _RESOURCE_REF.match(reason) if unreadable else None
    if lead is not None:
        rest = reason[lead.end() :].lstrip(": ")
        return f"the {lead.group(1)} record could not be read: {clinical_terms(rest)}"
    embedded = _EMBEDDED_INVALID.sub(
        lambda m: f"the {m['kind'] or 'record'} record could not be read: {_problems(m['errors'])}",
        reason,
    )
    return clinical_terms(embedded)


_CYCLE = re.compile(r"(\d+) weeks? on ?/ ?(\d+) weeks? off")
_DOSE = re.compile(r"(\d+(?:\.\d+)?) mg (once daily|twice daily|daily)")


def _doses(regimens: Iterable[Regimen]) -> dict[str, tuple[str, str, str]]:
    """Drug → (full, compact, per-day) dose texts, each component of a combination apart."""
    result: dict[str, tuple[str, str, str]] = {}
    for regimen in regimens:
        for part in regimen.display.split(" + "):
            drug, _, full = part.strip().partition(" ")
            match = _DOSE.search(full)
            cycle = _CYCLE.search(full)
            on_off = f", {cycle[1]} wk on/{cycle[2]} off" if cycle else ""
            compact = (f"{match[1]} mg {match[2]}" if match else full) + on_off
            per_day = f"{regimen.dose_mg_per_day:g} mg/day{on_off}"
            if "+" in regimen.drug:
                per_day = compact
            result.setdefault(drug.lower(), (full, compact, per_day))
    return result


def summary_with_dose(summary: str, regimens: Iterable[Regimen], limit: int) -> str:
    """A drug summary that names dose and schedule (§1.K): each option's dose follows the
    drug's name where the summary gives none (full schedule if the summary still fits in
    `limit`, else the compact dose); a summary naming no option gets the first one appended."""
    regimens = tuple(regimens)
    doses = _doses(regimens)
    if not doses:
        return summary
    named = [d for d in doses if re.search(rf"\b{re.escape(d)}\b", summary, re.I)]
    # a drug already dosed anywhere in the summary is left alone: a later mention of it (e.g.
    # "progressed on adjuvant imatinib") is a different course, never given the new dose
    undosed = [d for d in named if not re.search(rf"\b{re.escape(d)}\s+\d", summary, re.I)]
    if not named:
        if "mg" in summary:
            return summary
        candidate = f"{summary.rstrip('. ')}: {regimens[0].display}"
        return candidate if len(candidate) <= limit else summary
    for level in range(3):
        candidate = summary
        for drug in undosed:
            pattern = rf"\b({re.escape(drug)})\b(?!\s*\d)"
            candidate = re.sub(pattern, rf"\1 {doses[drug][level]}", candidate, count=1, flags=re.I)
        if len(candidate) <= limit:
            return candidate
    return summary
