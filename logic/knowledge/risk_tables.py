"""The two risk tables of knowledge-base §2 as data, for the classifier and the rule pages.

Modified NIH (Joensuu 2008) decides adjuvant therapy [S10][S11][S37]; AFIP (Miettinen & Lasota
2006) gives the published % of progressive disease for display [S6][S7][S8][S9]. Mitoses are per
5 mm², with 50 HPF treated as equal [S19]. Exactly 2.0 cm and exactly 5 mitoses fall in the lower
stratum of both tables (§1.0).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from logic.recommendation import NihRisk


@dataclass(frozen=True, slots=True)
class NihRow:
    """One row of the modified NIH table (a tumour takes the highest category it matches)."""

    key: str  # stable row key for rule pages, e.g. "high-rupture"
    category: NihRisk
    size_band: str
    mitoses_band: str
    site: str


#: Modified NIH rows in knowledge-base order [S10][S11]; the non-gastric 2.1-5.0 cm row follows
#: the Joensuu 2008 abstract [S37] (the resolved corner of §2.1).
NIH_MODIFIED_ROWS: tuple[NihRow, ...] = (
    NihRow("very-low", NihRisk.VERY_LOW, "≤2.0 cm", "≤5", "any"),
    NihRow("low", NihRisk.LOW, "2.1–5.0 cm", "≤5", "any"),
    NihRow("intermediate-small", NihRisk.INTERMEDIATE, "≤2.0 cm", "6–10", "any"),
    NihRow("intermediate-gastric-2-5", NihRisk.INTERMEDIATE, "2.1–5.0 cm", "6–10", "gastric"),
    NihRow("intermediate-gastric-5-10", NihRisk.INTERMEDIATE, "5.1–10.0 cm", "≤5", "gastric"),
    NihRow("high-rupture", NihRisk.HIGH, "any", "any", "tumour rupture"),
    NihRow("high-size", NihRisk.HIGH, ">10.0 cm", "any", "any"),
    NihRow("high-mitoses", NihRisk.HIGH, "any", ">10", "any"),
    NihRow("high-size-mitoses", NihRisk.HIGH, ">5.0 cm", ">5", "any"),
    NihRow("high-nongastric-2-5", NihRisk.HIGH, "2.1–5.0 cm", ">5", "non-gastric"),
    NihRow("high-nongastric-5-10", NihRisk.HIGH, "5.1–10.0 cm", "≤5", "non-gastric"),
)


@dataclass(frozen=True, slots=True)
class AfipCell:
    """One AFIP cell: the published label and % progression (None: insufficient data)."""

    label: str
    pct: float | None
    note: str | None = None


@dataclass(frozen=True, slots=True)
class AfipGroup:
    group: str
    size_band: str
    mitoses_band: str
    cells: Mapping[str, AfipCell]  # column key -> cell


#: AFIP column keys and their headers, in the original Miettinen & Lasota order (§2.2).
AFIP_COLUMNS: Mapping[str, str] = MappingProxyType(
    {
        "gastric": "Gastric",
        "jejunum-ileum": "Jejunum/ileum",
        "duodenum": "Duodenum",
        "rectum": "Rectum",
    }
)

#: Column used where a cell has insufficient data or the site has no column (DESIGN, [S13a]).
AFIP_FALLBACK_COLUMN = "jejunum-ileum"

_SMALL = "small numbers of cases"
_NO_DATA = AfipCell("Insufficient data", None)


def _row(
    group: str, size: str, mitoses: str, g: AfipCell, j: AfipCell, d: AfipCell, r: AfipCell
) -> AfipGroup:
    cells = {"gastric": g, "jejunum-ileum": j, "duodenum": d, "rectum": r}
    return AfipGroup(group, size, mitoses, MappingProxyType(cells))


#: AFIP groups 1-6b [S6][S7][S8][S9]. Reconciliations of §2.2: gastric 3b = 12% (current PDQ;
#: older reproductions 10%); jejunum/ileum 3b = 52%; rectum 6b = 71%; jejunum/ileum group 4
#: ≈50% inferred from PDQ's 50-54% non-gastric range.
AFIP_TABLE: Mapping[str, AfipGroup] = MappingProxyType(
    {
        "1": _row(
            "1",
            "≤2 cm",
            "≤5",
            AfipCell("None", 0),
            AfipCell("None", 0),
            AfipCell("None", 0),
            AfipCell("None", 0),
        ),
        "2": _row(
            "2",
            ">2 ≤5 cm",
            "≤5",
            AfipCell("Very low", 1.9),
            AfipCell("Low", 4.3),
            AfipCell("Low", 8.3),
            AfipCell("Low", 8.5),
        ),
        "3a": _row(
            "3a",
            ">5 ≤10 cm",
            "≤5",
            AfipCell("Low", 3.6),
            AfipCell("Moderate", 24),
            _NO_DATA,
            _NO_DATA,
        ),
        "3b": _row(
            "3b",
            ">10 cm",
            "≤5",
            AfipCell("Moderate", 12, "older reproductions print 10%"),
            AfipCell("High", 52),
            AfipCell("High", 34),
            AfipCell("High", 57),
        ),
        "4": _row(
            "4",
            "≤2 cm",
            ">5",
            AfipCell("None", 0, _SMALL),
            AfipCell("High", 50, "≈50%, inferred from PDQ's 50–54%; " + _SMALL),
            _NO_DATA,
            AfipCell("High", 54),
        ),
        "5": _row(
            "5",
            ">2 ≤5 cm",
            ">5",
            AfipCell("Moderate", 16),
            AfipCell("High", 73),
            AfipCell("High", 50),
            AfipCell("High", 52),
        ),
        "6a": _row(
            "6a", ">5 ≤10 cm", ">5", AfipCell("High", 55), AfipCell("High", 85), _NO_DATA, _NO_DATA
        ),
        "6b": _row(
            "6b",
            ">10 cm",
            ">5",
            AfipCell("High", 86),
            AfipCell("High", 90),
            AfipCell("High", 86),
            AfipCell("High", 71),
        ),
    }
)
