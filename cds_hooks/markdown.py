"""Small helpers for the GitHub-flavoured markdown in card `detail`.

Text that came from the patient record (FHIR strings, resource ids, values the mapping quoted)
is untrusted: an EHR renders card detail as GFM, often with raw HTML enabled (checklist #50), so
such text must not be able to open a link, an image, emphasis, a table cell or an HTML tag. `text()`
makes it inert; the other helpers build the few block shapes the cards use.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from logic.knowledge.citations import Citation
from logic.recommendation import Recommendation

# Characters with inline meaning in CommonMark/GFM: emphasis, code, links/images, tables,
# strikethrough, autolinks ("http:", "www.") and the escape character itself. Block markers
# ("#", "-", "1.") need no escape: record text is always one line placed after a label.
_BACKSLASH = re.compile(r"([\\`*_\[\]!|~:])")
_WWW = re.compile(r"(?i)\b(www)\.")
#: A dot between a letter or digit and a letter ("evil.com"): escaped, the text splits there, so
#: markdown-it's linkify (fuzzy domains) finds no domain. Decimals ("6.2") are left alone.
_DOMAIN_DOT = re.compile(r"(?<=[A-Za-z0-9])\.(?=[A-Za-z])")
#: Ideographic and full-width dots that linkify-it reads as a domain dot ("www。evil.com").
_WIDE_DOTS = {"\u3002": "&#12290;", "\uff0e": "&#65294;", "\uff61": "&#65377;"}
_WHITESPACE = re.compile(r"\s+")
#: cmark-gfm finds e-mail autolinks after escapes and entities are resolved ("a\\@b.example" and
#: "a&#64;b.example" are both linked), so "@" is set as a code span: the address is split across
#: nodes and no renderer links it, while the character itself is kept.
_AT = "`@`"


def text(value: object) -> str:
    """`value` as inert inline markdown: one line, HTML-escaped, markdown punctuation escaped,
    nothing a GFM or markdown-it (linkify) renderer would turn into a link."""
    flat = _WHITESPACE.sub(" ", str(value)).strip()
    flat = flat.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    for wide, entity in _WIDE_DOTS.items():
        flat = flat.replace(wide, entity)
    escaped = _DOMAIN_DOT.sub(r"\\.", _WWW.sub(r"\1\\.", _BACKSLASH.sub(r"\\\1", flat)))
    return escaped.replace("@", _AT)


def trusted_block(value: str) -> str:
    """Markdown written by the rule authors (rationale, notes): kept as markdown, but raw HTML
    is neutralised in case a rule ever interpolates a record value into it."""
    return value.replace("<", "&lt;").replace(">", "&gt;").strip()


def trusted_inline(value: str) -> str:
    """Knowledge-base text on one line (citation titles): markdown kept, raw HTML neutralised."""
    return trusted_block(" ".join(value.split()))


def heading(title: str) -> str:
    return f"**{title}**"


def bullets(items: Iterable[str]) -> str:
    """A bullet list of already-rendered inline items (empty string when there are none)."""
    return "\n".join(f"- {item}" for item in items)


def join_sections(sections: Iterable[str]) -> str:
    """Paragraph-separated sections, skipping empty ones."""
    return "\n\n".join(section for section in sections if section.strip())


# --- card detail -------------------------------------------------------------------------------


_AFIP_FALLBACK_NOTE = (
    "The AFIP table has no published figure for this site, so the jejunum/ileum column was "
    "used (knowledge-base fallback); the treatment decision rests on the modified NIH category."
)


def _fact_label(name: str) -> str:
    return name.replace("_", " ").strip().capitalize()


def _pct(value: float) -> str:
    return f"{value:g}%"


def facts_section(rec: Recommendation) -> str:
    items = []
    for fact in rec.facts_used:
        item = f"{heading(text(_fact_label(fact.name)))}: {text(fact.value)}"
        if fact.sources:
            item += " — source: " + "; ".join(text(s) for s in fact.sources)
        items.append(item)
    return join_sections([heading("Facts used"), bullets(items)]) if items else ""


def risk_section(rec: Recommendation) -> str:
    risk = rec.risk
    if risk is None:
        return ""
    items = [f"Modified NIH (Joensuu 2008): **{risk.nih_modified.value}**"]
    if risk.afip is not None:
        where = f", {text(risk.afip.column)} column" if risk.afip.column else ""
        afip = f"AFIP (Miettinen & Lasota 2006): group **{text(risk.afip.group)}**{where} — "
        afip += text(risk.afip.label)
        pct = risk.afip.progression_pct
        if pct is None:
            afip += "; no published percentage for this cell"
        elif _pct(pct) not in risk.afip.label:
            afip += f"; published risk of progression {_pct(pct)}"
        items.append(afip)
        if risk.afip.fallback:
            items.append(_AFIP_FALLBACK_NOTE)
    return join_sections([heading("Risk"), bullets(items)])


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
    title = "Options (choose one)" if len(items) > 1 else "Regimen"
    return join_sections([heading(title), bullets(items)])


def missing_section(rec: Recommendation) -> str:
    items = [
        f"{heading(text(item.fact))}: {text(item.reason.rstrip('.'))}. "
        f"Would change: {text(item.impact)}"
        for item in rec.missing_data
    ]
    return join_sections([heading("Missing data"), bullets(items)]) if items else ""


def evidence_section(rec: Recommendation, citations: Mapping[str, Citation]) -> str:
    numbers = [trusted_block(n) for n in rec.evidence_numbers]
    sources = []
    for cid in rec.evidence:
        citation = citations.get(cid)
        if citation is None:
            sources.append(f"[{cid}]")
            continue
        year = f" ({citation.year})" if citation.year else ""
        sources.append(f"[{cid}] {trusted_inline(citation.title)}{year}")
    parts = [heading("Evidence")]
    if numbers:
        parts.append(bullets(numbers))
    if sources:
        parts.append("Sources: " + "; ".join(sources))
    return join_sections(parts) if len(parts) > 1 else ""


def notes_section(rec: Recommendation) -> str:
    if not rec.notes:
        return ""
    return join_sections([heading("Notes"), bullets(trusted_block(n) for n in rec.notes)])


def card_detail(rec: Recommendation, citations: Mapping[str, Citation]) -> str:
    """The card `detail`: rationale, facts used, risk, regimen, missing data, evidence, notes."""
    footer = f"Rule {text(rec.rule_id)} · knowledge base {text(rec.knowledge_version)}"
    return join_sections(
        [
            trusted_block(rec.rationale),
            facts_section(rec),
            risk_section(rec),
            regimen_section(rec),
            missing_section(rec),
            evidence_section(rec, citations),
            notes_section(rec),
            f"_{footer}_",
        ]
    )
