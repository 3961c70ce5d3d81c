"""The service's depth check answers exactly as the definition of nesting depth, and as the stack
walk it replaced, on any JSON value."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from benchmarks.depth_scan import stack_walk_exceeds
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


def _depth(value: Any) -> int:
    """Nesting depth by definition: a leaf is 0, a container one more than its deepest child."""
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    return 0


@given(json_values, st.integers(min_value=0, max_value=8))
def test_answers_as_the_definition_and_the_old_check(value: Any, limit: int) -> None:
    expected = _depth(value) > limit
    assert json_depth_exceeds(value, limit) == expected
    assert stack_walk_exceeds(value, limit) == expected


def test_limit_is_exact_for_deep_nesting() -> None:
    for depth in (63, 64, 65, 500):
        assert json_depth_exceeds(_nest(depth), 64) == (depth > 64)
        assert stack_walk_exceeds(_nest(depth), 64) == (depth > 64)
