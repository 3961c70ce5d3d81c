"""Feedback bodies as CDS clients send them (CDS Hooks 2.0 §feedback), and hostile ones."""

from __future__ import annotations

import contextlib
import copy
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cds_hooks.feedback import (
    MAX_COMMENT_CHARS,
    MAX_ITEMS,
    OUTCOMES,
    FeedbackItem,
    parse_feedback,
)
from tests.support.hypothesis_profiles import examples

# What the CDS Hooks sandbox sends after a suggestion is taken / a card is dismissed.
ACCEPTED: dict[str, Any] = {
    "card": "9368d37b-283f-44a0-93ea-547cebab93ed",
    "outcome": "accepted",
    "acceptedSuggestions": [{"id": "e56e1945-20b3-4393-8503-a1a20fd73152"}],
    "outcomeTimestamp": "2025-03-04T10:30:15Z",
}
OVERRIDDEN: dict[str, Any] = {
    "card": "9368d37b-283f-44a0-93ea-547cebab93ed",
    "outcome": "overridden",
    "overrideReason": {
        "reason": {"code": "reason-code-provided-by-service", "system": "http://example.org/r"},
        "userComment": "Patient prefers to wait for the next scan",
    },
    "outcomeTimestamp": "2025-03-04T10:31:00.123Z",
}


def body(*items: dict[str, Any]) -> dict[str, Any]:
    return {"feedback": [copy.deepcopy(i) for i in items]}


def with_changes(base: dict[str, Any], **changes: Any) -> dict[str, Any]:
    result = copy.deepcopy(base)
    for name, value in changes.items():
        if value is None:
            result.pop(name, None)
        else:
            result[name] = value
    return result


def test_sandbox_accepted_and_overridden_items() -> None:
    accepted, overridden = parse_feedback(body(ACCEPTED, OVERRIDDEN))
    assert accepted == FeedbackItem(
        card=ACCEPTED["card"],
        outcome="accepted",
        outcome_timestamp=datetime(2025, 3, 4, 10, 30, 15, tzinfo=UTC),
        accepted_suggestions=("e56e1945-20b3-4393-8503-a1a20fd73152",),
        override_reason_code=None,
        override_reason_system=None,
        user_comment=None,
    )
    assert overridden.override_reason_code == "reason-code-provided-by-service"
    assert overridden.override_reason_system == "http://example.org/r"
    assert overridden.user_comment == "Patient prefers to wait for the next scan"
    assert overridden.outcome_timestamp == datetime(2025, 3, 4, 10, 31, 0, 123000, tzinfo=UTC)


@pytest.mark.parametrize(
    ("timestamp", "expected"),
    [
        ("2025-03-04", datetime(2025, 3, 4, tzinfo=UTC)),  # HAPI's test data
        ("2025-03-04T12:30:15+02:00", datetime(2025, 3, 4, 10, 30, 15, tzinfo=UTC)),
        ("2025-03-04t10:30:15z", datetime(2025, 3, 4, 10, 30, 15, tzinfo=UTC)),
        ("2025-03-04T10:30:15", datetime(2025, 3, 4, 10, 30, 15, tzinfo=UTC)),
        ("2025-03-04T10:30:15.123456789Z", datetime(2025, 3, 4, 10, 30, 15, 123456, tzinfo=UTC)),
        ("2025-03-04T10:30:15.5-05:00", datetime(2025, 3, 4, 15, 30, 15, 500000, tzinfo=UTC)),
    ],
)
def test_timestamps_are_read_leniently_into_utc(timestamp: str, expected: datetime) -> None:
    (parsed,) = parse_feedback(body(with_changes(ACCEPTED, outcomeTimestamp=timestamp)))
    assert parsed.outcome_timestamp == expected


def test_override_reason_may_be_a_coding_without_display_or_a_comment_alone() -> None:
    coding_only = with_changes(OVERRIDDEN, overrideReason={"reason": {"code": "c", "system": "s"}})
    comment_only = with_changes(OVERRIDDEN, overrideReason={"userComment": "not relevant"})
    no_reason = with_changes(OVERRIDDEN, overrideReason=None)
    first, second, third = parse_feedback(body(coding_only, comment_only, no_reason))
    assert (first.override_reason_code, first.user_comment) == ("c", None)
    assert (second.override_reason_code, second.user_comment) == (None, "not relevant")
    assert (third.override_reason_code, third.user_comment) == (None, None)


def test_unknown_members_and_extensions_are_ignored() -> None:
    item = with_changes(ACCEPTED, extension={"org.example.x": 1}, futureField=[1, 2])
    (parsed,) = parse_feedback({**body(item), "extension": {"org.example.y": True}})
    assert parsed.card == ACCEPTED["card"]


def test_user_comments_are_capped_and_cleaned() -> None:
    long_comment = "x" * (MAX_COMMENT_CHARS * 3)
    (capped,) = parse_feedback(
        body(with_changes(OVERRIDDEN, overrideReason={"userComment": long_comment}))
    )
    assert capped.user_comment == "x" * MAX_COMMENT_CHARS
    nul = with_changes(OVERRIDDEN, overrideReason={"userComment": "a\x00b\ud800"})
    (cleaned,) = parse_feedback(body(nul))
    assert cleaned.user_comment is not None
    assert "\x00" not in cleaned.user_comment
    cleaned.user_comment.encode("utf-8")  # storable


def test_duplicate_suggestion_ids_collapse() -> None:
    item = with_changes(ACCEPTED, acceptedSuggestions=[{"id": "a"}, {"id": "b"}, {"id": "a"}])
    (parsed,) = parse_feedback(body(item))
    assert parsed.accepted_suggestions == ("a", "b")


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ([], "object"),
        ({}, "feedback"),
        ({"feedback": []}, "non-empty"),
        ({"feedback": {"card": "x"}}, "array"),
        ({"feedback": ["x"]}, "object"),
        (body(with_changes(ACCEPTED, card=None)), "card"),
        (body(with_changes(ACCEPTED, card="")), "card"),
        (body(with_changes(ACCEPTED, card=7)), "card"),
        (body(with_changes(ACCEPTED, card="c" * 500)), "longer"),
        (body(with_changes(ACCEPTED, card="a\x00b")), "nul"),
        (body(with_changes(ACCEPTED, outcome="ignored")), "outcome"),
        (body(with_changes(ACCEPTED, outcome=None)), "outcome"),
        (body(with_changes(ACCEPTED, acceptedSuggestions=None)), "acceptedSuggestions"),
        (body(with_changes(ACCEPTED, acceptedSuggestions=[])), "acceptedSuggestions"),
        (body(with_changes(ACCEPTED, acceptedSuggestions=["id"])), "object"),
        (body(with_changes(ACCEPTED, acceptedSuggestions=[{"uuid": "x"}])), "id"),
        (body(with_changes(ACCEPTED, overrideReason={"userComment": "x"})), "overridden"),
        (body(with_changes(OVERRIDDEN, acceptedSuggestions=[{"id": "x"}])), "accepted"),
        (body(with_changes(OVERRIDDEN, overrideReason="because")), "object"),
        (body(with_changes(OVERRIDDEN, overrideReason={})), "reason"),
        (body(with_changes(OVERRIDDEN, overrideReason={"reason": "c"})), "coding"),
        (body(with_changes(OVERRIDDEN, overrideReason={"reason": {"code": "c"}})), "system"),
        (body(with_changes(OVERRIDDEN, overrideReason={"reason": {"system": "s"}})), "code"),
        (
            body(
                with_changes(
                    OVERRIDDEN,
                    overrideReason={"reason": {"code": "c", "system": "s", "display": 1}},
                )
            ),
            "display",
        ),
        (body(with_changes(OVERRIDDEN, overrideReason={"userComment": 5})), "userComment"),
        (body(with_changes(ACCEPTED, outcomeTimestamp=None)), "outcomeTimestamp"),
        (body(with_changes(ACCEPTED, outcomeTimestamp=1741084215)), "RFC 3339"),
        (body(with_changes(ACCEPTED, outcomeTimestamp="yesterday")), "RFC 3339"),
        (body(with_changes(ACCEPTED, outcomeTimestamp="2025-02-30")), "valid"),
        (body(with_changes(ACCEPTED, outcomeTimestamp="2025-03-04T25:00:00Z")), "valid"),
        (body(with_changes(ACCEPTED, outcomeTimestamp="0001-01-01T00:00:00+01:00")), "valid"),
        (body(with_changes(ACCEPTED, outcomeTimestamp="2025-W10-2")), "RFC 3339"),
        ({"feedback": [ACCEPTED] * (MAX_ITEMS + 1)}, "at most"),
    ],
)
def test_invalid_bodies_are_rejected_with_a_clear_message(payload: Any, message: str) -> None:
    with pytest.raises(ValueError, match=r"(?i)" + message):
        parse_feedback(payload)


def test_error_names_the_failing_item() -> None:
    with pytest.raises(ValueError, match=r"feedback\[1\]\.outcome"):
        parse_feedback(body(ACCEPTED, with_changes(OVERRIDDEN, outcome="maybe")))


# -- fuzzing ------------------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)

# Near-valid items: the right member names with arbitrary or plausible values.
timestamps = st.one_of(
    st.datetimes(timezones=st.timezones()).map(lambda d: d.isoformat()),
    st.from_regex(r"\A\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})?)?\Z"),
    json_values,
)
items = st.fixed_dictionaries(
    {},
    optional={
        "card": st.text(max_size=300) | json_values,
        "outcome": st.sampled_from(["accepted", "overridden", "ignored"]) | json_values,
        "outcomeTimestamp": timestamps,
        "acceptedSuggestions": st.lists(
            st.fixed_dictionaries({}, optional={"id": st.text() | json_values}) | json_values,
            max_size=3,
        )
        | json_values,
        "overrideReason": st.fixed_dictionaries(
            {},
            optional={
                "reason": st.fixed_dictionaries(
                    {}, optional={"code": st.text(), "system": st.text(), "display": json_values}
                )
                | json_values,
                "userComment": st.text() | json_values,
            },
        )
        | json_values,
    },
)


@settings(max_examples=examples())
@given(st.one_of(json_values, st.fixed_dictionaries({"feedback": json_values})))
def test_arbitrary_json_only_ever_raises_value_error(payload: Any) -> None:
    with contextlib.suppress(ValueError):
        parse_feedback(payload)


@settings(max_examples=examples(1.7))
@given(st.lists(items, min_size=1, max_size=5))
def test_near_valid_items_parse_to_consistent_feedback_or_value_error(
    feedback: list[dict[str, Any]],
) -> None:
    try:
        parsed = parse_feedback({"feedback": feedback})
    except ValueError:
        return
    assert len(parsed) == len(feedback)
    for entry in parsed:
        assert entry.outcome in OUTCOMES
        assert entry.outcome_timestamp.utcoffset() is not None
        assert entry.outcome_timestamp.utcoffset().total_seconds() == 0  # type: ignore[union-attr]
        assert (entry.outcome == "accepted") == bool(entry.accepted_suggestions)
        if entry.user_comment is not None:
            assert len(entry.user_comment) <= MAX_COMMENT_CHARS
            entry.user_comment.encode("utf-8")
        for text in (entry.card, *entry.accepted_suggestions):
            assert text.strip()
            text.encode("utf-8")
