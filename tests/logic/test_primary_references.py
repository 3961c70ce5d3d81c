"""The primary references as data: verified identifiers only, every rule cites something."""

from __future__ import annotations

import re

from logic.knowledge.citations import CITATIONS
from logic.knowledge.primary_references import (
    PRIMARY_REFERENCES,
    RULE_REFERENCES,
    SECONDARY_SOURCES,
    TRIAL_REFERENCES,
    references_for,
)
from logic.registry import RULES

#: Identifiers primary-references.md marks UNVERIFIED, leaves blank or saw only in a repository
#: citation file ("Repo-only"): they must not be carried.
NOT_CARRIED = {
    "SSGXVIII-2012": ("doi",),  # DOI Repo-only
    "JOENSUU2012": ("pmid",),  # PMID Repo-only
    "MIETTINEN2006": ("doi",),
    "ACOSOG-Z9001": ("doi",),
    "EORTC62024-2015": ("doi",),
    "NAVIGATOR2020": ("doi",),
    "DEMATTEO2007": ("pmid", "doi"),
    "ESMO2022": ("doi",),
    "ESGE2022": ("pmid",),
    "SORAFENIB2011": ("pmid", "doi"),
}


def test_identifiers_have_their_formats() -> None:
    for ref in PRIMARY_REFERENCES.values():
        assert ref.pmid is None or re.fullmatch(r"\d{7,8}", ref.pmid), ref.key
        assert ref.doi is None or ref.doi.startswith("10."), ref.key
        assert ref.link is None or ref.link.startswith("https://"), ref.key


def test_unverified_identifiers_are_not_carried() -> None:
    for key, fields in NOT_CARRIED.items():
        for name in fields:
            assert getattr(PRIMARY_REFERENCES[key], name) is None, f"{key}.{name}"


def test_verified_identifiers_are_carried() -> None:
    assert PRIMARY_REFERENCES["SSGXVIII-2012"].pmid == "22453568"
    assert PRIMARY_REFERENCES["GRID2013"].doi == "10.1016/S0140-6736(12)61857-1"
    assert PRIMARY_REFERENCES["INVICTUS2020"].pmid == "32511981"
    assert PRIMARY_REFERENCES["EORTC62024-2021"].doi == "10.1016/j.annonc.2021.01.004"


def test_every_mapped_key_exists_and_every_rule_cites_a_primary_reference() -> None:
    for keys in (*RULE_REFERENCES.values(), *TRIAL_REFERENCES.values()):
        assert set(keys) <= set(PRIMARY_REFERENCES)
    for rule in RULES.values():
        assert references_for(rule.rule_id, rule.citations), rule.rule_id


def test_backed_sources_and_secondary_pages_are_knowledge_base_sources() -> None:
    for ref in PRIMARY_REFERENCES.values():
        assert set(ref.backs) <= set(CITATIONS), ref.key
    assert set(CITATIONS) >= SECONDARY_SOURCES


def test_unknown_rules_fall_back_to_the_references_behind_their_sources() -> None:
    assert [r.key for r in references_for("X99", ("S6",))] == ["PDQ-GIST"]
    assert [r.key for r in references_for("X99", ("S24",))] == ["INVICTUS2020"]
