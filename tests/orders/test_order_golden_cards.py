"""Restructuring the order checks changes no order-alert card: the cards for every sandbox patient
and every named logic scenario, each checked with the same bundle of drafted orders, equal the
reviewed golden file (one line per card, ending in a digest of the whole rendered card).

An intended card change rewrites the file with `python -m tests.support.order_card_dump --write`;
its diff is then reviewed like code.
"""

from __future__ import annotations

import json

from logic.orders import CHECKS
from tests.support.order_card_dump import GOLDEN_FILE, golden, render


def test_order_cards_equal_the_golden_file() -> None:
    expected = json.loads(GOLDEN_FILE.read_text(encoding="utf-8"))
    actual = json.loads(render(golden()))
    assert sorted(actual) == sorted(expected), "inputs added or removed: regenerate the file"
    changed = [name for name in expected if actual[name] != expected[name]]
    assert not changed, f"order cards changed for {changed[:10]} (of {len(changed)})"


def test_golden_file_reaches_every_order_check_rule() -> None:
    """The grid is wide enough to matter: every knowledge-base rule an order check enforces
    has cards in the file."""
    lines = [
        line
        for cards in json.loads(GOLDEN_FILE.read_text(encoding="utf-8")).values()
        for line in cards
    ]
    rules_seen = {line.split(" | ")[1].split()[0] for line in lines}
    assert {check.rule_id for check in CHECKS} - rules_seen == set()
