"""Request bodies read with orjson where it is faster read exactly as the json module reads them:
the same values of the same types, and the same 400 for what is not JSON."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cds_hooks.errors import BadRequest
from cds_hooks.validation import parse_json_body

DEPTH = 64

number_literals = st.builds(
    lambda sign, whole, fraction, exponent: f"{sign}{whole}{fraction}{exponent}",
    st.sampled_from(["", "-"]),
    st.integers(min_value=0, max_value=10**30).map(str),
    st.sampled_from([""]) | st.text("0123456789", min_size=1, max_size=25).map(lambda d: "." + d),
    st.sampled_from([""]) | st.integers(min_value=-400, max_value=400).map(lambda e: f"e{e}"),
)
leaves = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**25), max_value=10**25)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=6)
)
json_values = st.recursive(
    leaves,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=3), inner, max_size=4)
    ),
    max_leaves=30,
)


def typed(value: Any) -> Any:
    """`value` with the type of every leaf made visible (1 == 1.0 == True otherwise)."""
    if isinstance(value, dict):
        return {k: typed(v) for k, v in value.items()}
    if isinstance(value, list):
        return [typed(v) for v in value]
    return (type(value).__name__, repr(value))


@given(json_values, st.booleans())
def test_any_document_reads_as_the_json_module_reads_it(value: Any, ascii_only: bool) -> None:
    text = json.dumps(value, ensure_ascii=ascii_only)
    assert typed(parse_json_body(text.encode(), max_depth=DEPTH)) == typed(json.loads(text))


@given(st.lists(number_literals, min_size=1, max_size=6))
def test_any_number_literal_reads_as_the_json_module_reads_it(literals: list[str]) -> None:
    text = "[" + ", ".join(literals) + "]"
    assert typed(parse_json_body(text.encode(), max_depth=DEPTH)) == typed(json.loads(text))


@pytest.mark.parametrize(
    "text",
    [
        "18446744073709551616",  # beyond 64 bits: an exact int, never a float
        "-9223372036854775809",
        '{"valueInteger": 123456789012345678901234567890}',
        "[1e400, -1e400]",  # overflow: infinity, as before
        '"\\ud800"',  # a lone surrogate escape
        '{"a": 1, "a": 2}',
    ],
)
def test_what_orjson_reads_differently_still_reads_as_before(text: str) -> None:
    assert typed(parse_json_body(text.encode(), max_depth=DEPTH)) == typed(json.loads(text))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[NaN]", "contains NaN, which is not JSON"),
        ('{"a": Infinity}', "contains Infinity, which is not JSON"),
        ('{"a": 1,}', "not valid JSON (line 1, column 9)"),
        ("[1]\n x", "not valid JSON (line 2, column 2)"),
        ("[" * 2000 + "]" * 2000, f"nests deeper than {DEPTH} levels"),
        ("[" * 100 + "]" * 100, f"nests deeper than {DEPTH} levels"),
        ("\ufeff[1]", "not valid JSON (line 1, column 1)"),  # a byte-order mark
    ],
)
def test_bad_bodies_get_the_same_400(text: str, message: str) -> None:
    with pytest.raises(BadRequest) as raised:
        parse_json_body(text.encode(), max_depth=DEPTH)
    assert message in str(raised.value)


@pytest.mark.parametrize("raw", [b'["\xff"]', b'["\xed\xa0\x80"]', b"\xc3"])
def test_bytes_that_are_not_utf8_get_the_same_400(raw: bytes) -> None:
    with pytest.raises(BadRequest, match="not UTF-8"):
        parse_json_body(raw, max_depth=DEPTH)


@pytest.mark.parametrize("offset", range(-20, 2))
def test_a_long_integer_across_a_scan_chunk_boundary_stays_exact(offset: int) -> None:
    """The 19-digit scan goes a MiB at a time: a number that straddles a boundary is seen."""
    number = 10**25 + 7
    padding = " " * ((1 << 20) + offset - 1)
    text = "[" + padding + str(number) + "]"
    assert parse_json_body(text.encode(), max_depth=DEPTH) == [number]
    assert type(parse_json_body(text.encode(), max_depth=DEPTH)[0]) is int
