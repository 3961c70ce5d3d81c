"""Restructuring the rules changes no card: the engine's Recommendations for every sandbox patient
and every named logic scenario equal the reviewed golden file, field by field.

An intended card change rewrites the file with `python -m tests.support.card_dump --write`; its
diff is then reviewed like code (it shows exactly which cards changed and how).
"""

from __future__ import annotations

import json

from tests.support.card_dump import GOLDEN_FILE, golden, render


def test_cards_equal_the_golden_file() -> None:
    expected = json.loads(GOLDEN_FILE.read_text(encoding="utf-8"))
    actual = json.loads(render(golden()))
    assert sorted(actual) == sorted(expected), "inputs added or removed: regenerate the file"
    changed = [name for name in expected if actual[name] != expected[name]]
    assert not changed, f"cards changed for {changed[:10]} (of {len(changed)})"


def test_golden_file_covers_sandbox_and_scenarios() -> None:
    names = json.loads(GOLDEN_FILE.read_text(encoding="utf-8"))
    assert sum(n.startswith("sandbox/") for n in names) >= 50
    assert sum(n.startswith("logic/") for n in names) >= 40
    assert sum(len(cards) for cards in names.values()) >= 100
