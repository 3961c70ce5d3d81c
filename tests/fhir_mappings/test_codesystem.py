"""The project CodeSystem is valid R4 (checked with R4B) and defines every gist# code used."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fhir_mappings import codes, r4b

ROOT = Path(__file__).resolve().parents[2]
CODESYSTEM = ROOT / "fhir_mappings" / "terminology" / "codesystem-gist.json"
#: Every `gist#` code the input profile (shared/specs/input-profile.md, the data contract)
#: names, copied here so the test runs from the repository alone.
PROFILE_CODES = frozenset(
    {
        "R0", "R1", "R2", "complete-obstruction", "cystic-spaces", "echogenic-foci",
        "eus-high-risk-features", "exon", "heterogeneity", "irregular-border", "loss",
        "marginally-resectable", "mitotic-count", "ntrk-fusion", "primary-resection",
        "progressing-lesion-count", "refractory-bleeding", "resectability", "resectable",
        "resection-margin", "rupture-with-hemorrhage", "sdh-deficient", "sdhb-ihc",
        "tumor-rupture", "ulceration", "unresectable",
    }
)  # fmt: skip


def load() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(CODESYSTEM.read_text(encoding="utf-8"))
    return data


def test_codesystem_is_valid_r4() -> None:
    assert r4b.validation_errors(load()) == []


def test_codesystem_url_and_counts() -> None:
    cs = load()
    assert cs["url"] == codes.GIST
    assert cs["count"] == len(cs["concept"])
    assert len({c["code"] for c in cs["concept"]}) == len(cs["concept"])


def test_codesystem_defines_exactly_the_codes_the_mapper_reads() -> None:
    defined = {c["code"] for c in load()["concept"]}
    assert defined == codes.GIST_CODES_USED


def test_every_gist_code_in_the_input_profile_is_defined() -> None:
    assert {c["code"] for c in load()["concept"]} >= PROFILE_CODES
