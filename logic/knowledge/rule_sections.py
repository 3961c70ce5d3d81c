"""Titles of the knowledge-base sections and the clinical situations that group them, for the
rule index (a clinician looks for "after resection", not for "1.F")."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

SECTION_TITLES: Mapping[str, str] = MappingProxyType(
    {
        "1.1": "Missing, conflicting or unreadable data",
        "1.B": "Very small gastric GIST (under 2 cm): surveillance or resection",
        "1.C": "Localized resectable GIST: surgery",
        "1.D": "Marginally resectable localized GIST: neoadjuvant TKI",
        "1.E": "Risk of recurrence after resection",
        "1.F": "After resection: adjuvant therapy or surveillance",
        "1.G": "Metastatic, unresectable or recurrent GIST: TKI lines",
        "1.H": "Surgery for metastatic disease, by response",
        "1.I": "Emergencies",
        "1.J": "Liver metastases: local treatment",
        "1.K": "Additions of knowledge version 2026.2",
    }
)

#: Clinical situations, in the order a clinician meets them, with the sections each holds.
SITUATIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Emergencies", ("1.I",)),
    ("Localized GIST before surgery", ("1.B", "1.C", "1.D")),
    ("After resection", ("1.E", "1.F")),
    ("Advanced disease: metastatic, recurrent or unresectable", ("1.G", "1.H", "1.J")),
    ("Data the decision needs", ("1.1", "1.K")),
)
OTHER_SITUATION = "Other rules"


def section_title(section: str) -> str:
    """ "1.F" → "After resection: adjuvant therapy or surveillance" (the id when unknown)."""
    return SECTION_TITLES.get(section, f"Section {section}")


def situation_of(section: str) -> str:
    return next((name for name, sections in SITUATIONS if section in sections), OTHER_SITUATION)
