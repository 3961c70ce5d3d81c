"""Every rule id has a scenario; background rules show up on their host cards."""

from __future__ import annotations

import pytest

from logic.engine import evaluate
from logic.registry import RULES
from tests.logic.conftest import ids, only
from tests.logic.scenarios import SCENARIOS

#: background rule -> (scenario, host rule whose card carries its text)
BACKGROUND = {
    "B3": ("B1 small gastric, clean EUS", "B1"),
    "C2": ("C1 resectable gastric", "C1"),
    "C3": ("C1 resectable gastric", "C1"),
    "C5": ("F5 rupture", "F5"),
    "D8": ("D3 KIT exon 11", "D3"),
    "D9": ("D3 KIT exon 11", "D3"),
    "F9": ("F1 high risk gastric", "F1"),
    "G17": ("G7 progression on 400", "G7"),
    "H6": ("H1 J1 responsive resectable", "H1"),
    "H7": ("G7 progression on 400", "H3"),
    "E3": ("F11 E3 resected wild type, NIH and AFIP disagree", "F3"),
    "H5": ("D14 became resectable (H5 folded in)", "D14"),
    "I8": ("I2 I8 perforation on imatinib", "I2"),
    "K1": ("C1 K1 resectable but ECOG 3", "C1"),
    "I7": ("I3 refractory bleeding", "I3"),
    "J3": ("H1 J1 responsive resectable", "J1"),
    "J4": ("J2 liver-only unresectable", "J2"),
    "J5": ("H1 J1 responsive resectable", "J1"),
}


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_scenario_produces_its_rules(name: str) -> None:
    case, expected = SCENARIOS[name]
    fired = set(ids(evaluate(case)))
    assert fired == expected, f"{name}: missing {expected - fired}, extra {fired - expected}"


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_scenario_loses_the_card_when_its_rule_is_removed(name: str) -> None:
    case, expected = SCENARIOS[name]
    for rule_id in expected:
        fewer = {k: r for k, r in RULES.items() if k != rule_id}
        assert rule_id not in ids(evaluate(case, fewer))


def test_every_card_making_rule_has_a_scenario() -> None:
    covered = set().union(*(expected for _, expected in SCENARIOS.values()))
    actionable = {k for k, r in RULES.items() if r.categories}
    assert actionable - covered == set()


def test_every_background_rule_has_a_host_scenario() -> None:
    background = {k for k, r in RULES.items() if not r.categories}
    assert background == set(BACKGROUND)


@pytest.mark.parametrize("rule_id", sorted(BACKGROUND))
def test_background_rule_is_folded_into_its_host(rule_id: str) -> None:
    name, host = BACKGROUND[rule_id]
    rule = RULES[rule_id]
    case = SCENARIOS[name][0]
    card = only(evaluate(case), host)
    text = (rule.fold_text(case) if rule.fold_text else None) or rule.statement
    assert any(f"({rule_id})" in note and text in note for note in card.notes)
    assert set(rule.citations) <= set(card.evidence)
    fewer = {k: r for k, r in RULES.items() if k != rule_id}
    without = only(evaluate(SCENARIOS[name][0], fewer), host)
    assert not any(f"({rule_id})" in note for note in without.notes)
