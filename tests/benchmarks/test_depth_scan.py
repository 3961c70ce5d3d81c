"""The proposed depth check answers exactly as the service's current one, on any JSON value."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from benchmarks.depth_scan import depth_exceeds
from cds_hooks.validation import json_depth_exceeds

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=3),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=2), inner, max_size=3)
    ),
    max_leaves=40,
)


def _nest(depth: int) -> Any:
    value: Any = "leaf"
    for level in range(depth):
        value = [value] if level % 2 else {"k": value}
    return value


@given(json_values, st.integers(min_value=0, max_value=8))
def test_same_answer_as_the_current_check(value: Any, limit: int) -> None:
    assert depth_exceeds(value, limit) == json_depth_exceeds(value, limit)


def test_limit_is_exact_for_deep_nesting() -> None:
    for depth in (63, 64, 65, 500):
        assert depth_exceeds(_nest(depth), 64) == (depth > 64)
        assert json_depth_exceeds(_nest(depth), 64) == (depth > 64)
