"""Registry invariants, knowledge data, and the dependency rule of `logic/`."""

from __future__ import annotations

import ast
import dataclasses
import datetime as dt
from pathlib import Path

import pytest

from logic.knowledge.citations import CITATIONS
from logic.knowledge.decisions import DECISIONS_FILE, render
from logic.knowledge.version import (
    INTERVENTION_DEVELOPER,
    KNOWLEDGE_RELEASE_DATE,
    KNOWLEDGE_VERSION,
)
from logic.registry import (
    RULES,
    RegistryError,
    validate,
    validate_decisions,
)
from logic.rule import Decision, Rule

LOGIC = Path(__file__).resolve().parents[2] / "logic"
#: The source ids of knowledge-base §8.
KB_SOURCES = [
    "S1",
    "S2",
    "S3",
    "S4",
    "S5",
    "S6",
    "S6c",
    "S7",
    "S8",
    "S9",
    "S9b",
    "S10",
    "S11",
    "S12",
    "S13a",
    "S13b",
    "S14",
    "S15",
    "S16",
    "S16b",
    "S16c",
    "S16d",
    "S17",
    "S18",
    "S19",
    "S19b",
    "S20",
    "S21",
    "S22",
    "S23",
    "S23b",
    "S24",
    "S24b",
    "S25",
    "S26",
    "S27",
    "S28",
    "S29",
    "S30",
    "S31",
    "S32",
    "S33",
    "S34",
    "S35",
    "S36",
    "S37",
]

#: Rows added by knowledge version 2026.2 (§1.K), each listed under the section it amends.
KB_2026_2 = ["D13", "D14", "E3", "F10", "F11", "G18", "G19", "I8", "K1", "K2"]

_ROWS_2026_1 = {"B": 7, "C": 5, "D": 12, "E": 0, "F": 9, "G": 17, "H": 7, "I": 7, "J": 5, "K": 0}

KB_IDS = [
    rule_id
    for letter, rows in _ROWS_2026_1.items()
    for rule_id in (
        *(f"{letter}{i}" for i in range(1, rows + 1)),
        *(i for i in KB_2026_2 if i[0] == letter),
    )
]


def test_every_knowledge_base_row_is_a_rule_in_order() -> None:
    assert list(RULES) == [*KB_IDS, "P5", "P6"]


def test_registry_rejects_duplicates_unknown_citations_and_fields() -> None:
    g1 = RULES["G1"]
    with pytest.raises(RegistryError, match="duplicate"):
        validate([g1, g1])
    with pytest.raises(RegistryError, match="unknown citation"):
        validate([dataclasses.replace(g1, citations=("S99",))])
    with pytest.raises(RegistryError, match="unknown case field"):
        validate([dataclasses.replace(g1, reads=("mitoses",))])
    with pytest.raises(RegistryError, match="folds into unknown"):
        validate([RULES["C2"]])
    with pytest.raises(RegistryError, match="not a knowledge-base id"):
        validate([dataclasses.replace(g1, rule_id="g-one")])


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"title": " "}, "no title"),
        ({"statement": ""}, "no statement"),
        ({"conditions": ()}, "no condition"),
        ({"citations": ()}, "no citation"),
        ({"categories": ("surgery",)}, "invalid category"),
        ({"folds_into": ("G2",)}, "card-making rule cannot fold"),
        ({"categories": ()}, "folds into no rule"),
    ],
)
def test_registry_rejects_an_incomplete_record(change: dict[str, object], problem: str) -> None:
    with pytest.raises(RegistryError, match=problem):
        validate([dataclasses.replace(RULES["G1"], **change)])  # type: ignore[arg-type]


def test_citations_cover_every_source_of_the_knowledge_base() -> None:
    assert sorted(CITATIONS) == sorted(KB_SOURCES)
    for required in ("S6c", "S9b", "S13a", "S13b", "S16b", "S23b", "S24b", "S26", "S37"):
        assert CITATIONS[required].title


def test_knowledge_version_constants() -> None:
    assert KNOWLEDGE_VERSION == "2026.2.0"
    assert dt.date(2026, 12, 3) == KNOWLEDGE_RELEASE_DATE
    assert INTERVENTION_DEVELOPER == "gist-cds contributors"


def test_decisions_file_is_generated_from_the_rule_records() -> None:
    """DESIGN prose lives on the rule records; DECISIONS.md is rendered from them."""
    assert DECISIONS_FILE.read_text(encoding="utf-8") == render(RULES.values()), (
        "logic/knowledge/DECISIONS.md is out of date: run python -m logic.knowledge.decisions"
    )


def test_every_design_decision_of_a_rule_is_in_the_decisions_file() -> None:
    decisions = DECISIONS_FILE.read_text(encoding="utf-8")
    for rule_id, rule in RULES.items():
        if rule.design_note and "DESIGN" in rule.design_note:
            assert f"**{rule_id}**" in decisions, rule_id


FORBIDDEN = ("flask", "fhir", "fhir_mappings", "cds_hooks", "sandbox")


@pytest.mark.parametrize("path", sorted(LOGIC.rglob("*.py")), ids=lambda p: p.name)
def test_logic_imports_neither_flask_nor_fhir(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module]
        for name in names:
            assert name.split(".")[0] not in FORBIDDEN, f"{path.name} imports {name}"


def test_registry_rejects_a_decision_that_cannot_decide() -> None:
    b1, b2 = RULES["B1"], RULES["B2"]

    def decision(*rules: Rule) -> Decision:
        return Decision("test", lambda case: True, rules, lambda case: ())

    with pytest.raises(RegistryError, match="without `when`"):
        validate_decisions([decision(dataclasses.replace(b1, when=None))], RULES, [])
    with pytest.raises(RegistryError, match="unregistered"):
        validate_decisions([decision(dataclasses.replace(b1))], RULES, [])
    with pytest.raises(RegistryError, match="two decisions"):
        validate_decisions([decision(b1), decision(b1, b2)], RULES, [])
    with pytest.raises(RegistryError, match="in no decision"):
        validate_decisions([decision(b1)], RULES, [b1, b2])
