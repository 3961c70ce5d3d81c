"""The project CodeSystem is valid R4 (checked with R4B) and defines every gist# code used."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from fhir_mappings import codes, r4b

ROOT = Path(__file__).resolve().parents[2]
CODESYSTEM = ROOT / "fhir_mappings" / "terminology" / "codesystem-gist.json"
PROFILE = ROOT.parent / "shared" / "specs" / "input-profile.md"


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
    # shared/ sits beside the repository, in development and in CI alike.
    used = set(re.findall(r"gist#([A-Za-z0-9-]+)", PROFILE.read_text(encoding="utf-8")))
    used.discard("code")  # the notation itself: "written `gist#code` below"
    assert used
    assert used <= {c["code"] for c in load()["concept"]}
