"""Small helpers for the GitHub-flavoured markdown in card `detail`.

Text that came from the patient record (FHIR strings, resource ids, values the mapping quoted)
is untrusted: an EHR renders card detail as GFM, often with raw HTML enabled (checklist #50), so
such text must not be able to open a link, an image, emphasis, a table cell or an HTML tag. `text()`
makes it inert; the other helpers build the few block shapes the cards use.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

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


#: Anything `_escaped` would change: without it (most record text: values, units, dates) the
#: flattened text is already inert and the substitutions are skipped.
_NEEDS_ESCAPE = re.compile(
    r"[\\`*_\[\]!|~:&<>@\u3002\uff0e\uff61]|(?i:\bwww\.)|(?<=[A-Za-z0-9])\.(?=[A-Za-z])"
)


def text(value: object) -> str:
    """`value` as inert inline markdown: one line, HTML-escaped, markdown punctuation escaped,
    nothing a GFM or markdown-it (linkify) renderer would turn into a link."""
    flat = _WHITESPACE.sub(" ", str(value)).strip()
    return _escaped(flat) if _NEEDS_ESCAPE.search(flat) else flat


def _escaped(flat: str) -> str:
    """One line of text made inert (see `text`)."""
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


def link(label: str, url: str) -> str:
    """A markdown link to a knowledge-base URL (https only; anything else stays plain text)."""
    if not url.startswith("https://"):
        return trusted_inline(label)
    return f"[{trusted_inline(label).replace('[', '(').replace(']', ')')}]({url})"


def table(header: Iterable[str], rows: Iterable[Iterable[str]]) -> str:
    """A GFM table of already-rendered inline cells."""
    head = list(header)
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)
