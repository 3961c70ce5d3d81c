"""Record text on a card must not become a link in the renderers EHRs use: cmark-gfm (GitHub
flavoured, autolink extension) and markdown-it with linkify. Rendered by the real libraries."""

from __future__ import annotations

import cmarkgfm  # type: ignore[import-untyped]
import pytest
from cmarkgfm.cmark import Options  # type: ignore[import-untyped]
from hypothesis import given
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from cds_hooks import markdown
from cds_hooks.markdown import text

LINKIFY = MarkdownIt("commonmark", {"linkify": True}).enable("linkify")

HOSTILE = [
    "a@evil.example",
    "a\\@evil.example",
    "mailto:a@evil.example",
    "x&#64;evil.example",
    "www.evil.example",
    "WWW.evil.com",
    "www。evil.com",
    "www．evil.com",
    "visit evil.com now",
    "http://evil.com",
    "https://evil.com/path?q=1",
    "a.b+c@evil.co.uk",
]


def gfm(markdown: str) -> str:
    html: str = cmarkgfm.github_flavored_markdown_to_html(
        markdown, options=Options.CMARK_OPT_UNSAFE
    )
    return html


@pytest.mark.parametrize("record_text", HOSTILE)
def test_record_text_is_not_auto_linked_by_cmark_gfm(record_text: str) -> None:
    assert "<a " not in gfm(f"Site: {text(record_text)}")


@pytest.mark.parametrize("record_text", HOSTILE)
def test_record_text_is_not_auto_linked_by_markdown_it_linkify(record_text: str) -> None:
    assert "<a " not in LINKIFY.render(f"Site: {text(record_text)}")


@pytest.mark.parametrize("record_text", ["gastric GIST 6.2 cm", "a@evil.example", "www。evil.com"])
def test_the_rendered_text_still_reads_as_the_record(record_text: str) -> None:
    """Escaping changes the markdown, not what the clinician reads."""
    for html in (gfm(text(record_text)), LINKIFY.render(text(record_text))):
        visible = html.replace("<code>", "").replace("</code>", "")
        assert record_text in visible.replace("<p>", "").replace("</p>", "").strip()


_PIECES = [*"aw.W5 @:_*[]!|~`\\&<>\t\n-/()", "\u3002", "\uff0e", "\uff61", "www.", "WWW."]


@given(st.lists(st.sampled_from(_PIECES), max_size=12).map("".join) | st.text())
def test_text_skips_the_substitutions_only_when_they_would_change_nothing(value: str) -> None:
    flat = markdown._WHITESPACE.sub(" ", value).strip()
    assert text(value) == markdown._escaped(flat)


@pytest.mark.parametrize("piece", _PIECES)
def test_each_character_that_needs_escaping_is_escaped_alone(piece: str) -> None:
    for value in (piece, f"a{piece}a", f"5{piece}W"):
        flat = markdown._WHITESPACE.sub(" ", value).strip()
        assert text(value) == markdown._escaped(flat)
