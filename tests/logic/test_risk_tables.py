"""Every cell of the modified NIH and AFIP tables (§2), with the §1.0 boundary values."""

from __future__ import annotations

import pytest

from logic.case import Site
from logic.knowledge.risk_tables import AFIP_COLUMNS, AFIP_TABLE, NIH_MODIFIED_ROWS
from logic.recommendation import AfipRisk, NihRisk, Risk
from logic.risk import afip, nih_modified, nih_modified_row, risk_cell_key

VL, LO, IM, HI = NihRisk.VERY_LOW, NihRisk.LOW, NihRisk.INTERMEDIATE, NihRisk.HIGH
G, J = Site.STOMACH, Site.JEJUNUM

# (site, size cm, mitoses per 5 mm², expected) — one or more points per table row, at the edges.
NIH_CASES = [
    # very low: ≤2.0 cm, ≤5, any site
    (G, 0.5, 0, VL),
    (G, 2.0, 5, VL),
    (J, 2.0, 5, VL),
    (Site.RECTUM, 1.0, 3, VL),
    # low: 2.1–5.0 cm, ≤5, any site
    (G, 2.1, 0, LO),
    (G, 5.0, 5, LO),
    (J, 5.0, 5, LO),
    (Site.COLON, 3.0, 5, LO),
    # intermediate ≤2.0 cm, 6–10, any site (the resolved non-gastric corner [S37])
    (G, 1.5, 8, IM),
    (G, 2.0, 6, IM),
    (G, 2.0, 10, IM),
    (J, 1.5, 8, IM),
    (J, 2.0, 10, IM),
    (Site.DUODENUM, 2.0, 6, IM),
    # intermediate gastric 2.1–5.0 cm, 6–10
    (G, 4.0, 7, IM),
    (G, 2.1, 6, IM),
    (G, 5.0, 10, IM),
    # intermediate gastric 5.1–10.0 cm, ≤5
    (G, 6.0, 5, IM),
    (G, 5.1, 0, IM),
    (G, 10.0, 5, IM),
    # high: >10.0 cm any mitoses, any site
    (G, 10.1, 0, HI),
    (J, 12.0, 1, HI),
    # high: >10 mitoses, any size
    (G, 1.5, 12, HI),
    (G, 2.0, 11, HI),
    (J, 1.5, 12, HI),
    (G, 4.0, 11, HI),
    # high: >5.0 cm and >5 mitoses
    (G, 6.0, 6, HI),
    (G, 5.1, 6, HI),
    (G, 10.0, 10, HI),
    (J, 7.0, 6, HI),
    # high: non-gastric 2.1–5.0 cm, >5
    (J, 3.0, 6, HI),
    (J, 2.1, 6, HI),
    (J, 5.0, 10, HI),
    (Site.RECTUM, 4.0, 8, HI),
    # high: non-gastric 5.1–10.0 cm, ≤5
    (J, 7.0, 3, HI),
    (J, 5.1, 0, HI),
    (J, 10.0, 5, HI),
    (Site.OTHER, 8.0, 2, HI),
    # boundaries of the size bands between 10.0 and 10.1
    (G, 10.0, 0, IM),
]


@pytest.mark.parametrize(("site", "size", "mitoses", "expected"), NIH_CASES)
def test_nih_modified_cell(site: Site, size: float, mitoses: float, expected: NihRisk) -> None:
    assert nih_modified(site, size, mitoses, rupture=False) is expected


@pytest.mark.parametrize("site", [*Site, None])
@pytest.mark.parametrize(("size", "mitoses"), [(0.5, 0), (2.0, 5), (4.0, 3), (7.0, 4)])
def test_rupture_is_high_in_every_cell(site: Site | None, size: float, mitoses: float) -> None:
    assert nih_modified(site, size, mitoses, rupture=True) is HI


def test_unknown_site_is_classified_as_non_gastric() -> None:
    # gastric 7 cm / 3 mitoses is intermediate; non-gastric is high — unknown must not be lower
    assert nih_modified(None, 7.0, 3, rupture=False) is HI
    assert nih_modified(None, 4.0, 7, rupture=False) is HI


@pytest.mark.parametrize(("size", "mitoses"), [(-1.0, 0), (1.0, -2), (float("nan"), 1)])
def test_invalid_measurements_are_rejected(size: float, mitoses: float) -> None:
    with pytest.raises(ValueError, match="non-negative"):
        nih_modified(G, size, mitoses, rupture=False)
    with pytest.raises(ValueError, match="non-negative"):
        afip(G, size, mitoses)


def test_nih_rows_cover_the_knowledge_base_table() -> None:
    assert len(NIH_MODIFIED_ROWS) == 11
    assert [r.category for r in NIH_MODIFIED_ROWS].count(HI) == 6
    assert len({r.key for r in NIH_MODIFIED_ROWS}) == 11


# AFIP: (size, mitoses, group) at both edges of each band
AFIP_GROUPS = [
    (0.1, 0, "1"),
    (2.0, 5, "1"),
    (2.1, 0, "2"),
    (5.0, 5, "2"),
    (5.1, 0, "3a"),
    (10.0, 5, "3a"),
    (10.1, 0, "3b"),
    (25.0, 5, "3b"),
    (1.0, 6, "4"),
    (2.0, 50, "4"),
    (2.1, 6, "5"),
    (5.0, 5.5, "5"),
    (5.1, 6, "6a"),
    (10.0, 10, "6a"),
    (10.1, 6, "6b"),
    (20.0, 30, "6b"),
]

# (group, site, expected pct, expected fallback) — every cell, incl. the fallbacks
AFIP_CELLS = [
    ("1", G, 0, False),
    ("1", J, 0, False),
    ("1", Site.DUODENUM, 0, False),
    ("1", Site.RECTUM, 0, False),
    ("2", G, 1.9, False),
    ("2", Site.ILEUM, 4.3, False),
    ("2", Site.DUODENUM, 8.3, False),
    ("2", Site.RECTUM, 8.5, False),
    ("3a", G, 3.6, False),
    ("3a", J, 24, False),
    ("3a", Site.DUODENUM, 24, True),
    ("3a", Site.RECTUM, 24, True),
    ("3b", G, 12, False),
    ("3b", J, 52, False),
    ("3b", Site.DUODENUM, 34, False),
    ("3b", Site.RECTUM, 57, False),
    ("4", G, 0, False),
    ("4", J, 50, False),
    ("4", Site.DUODENUM, 50, True),
    ("4", Site.RECTUM, 54, False),
    ("5", G, 16, False),
    ("5", J, 73, False),
    ("5", Site.DUODENUM, 50, False),
    ("5", Site.RECTUM, 52, False),
    ("6a", G, 55, False),
    ("6a", J, 85, False),
    ("6a", Site.DUODENUM, 85, True),
    ("6a", Site.RECTUM, 85, True),
    ("6b", G, 86, False),
    ("6b", J, 90, False),
    ("6b", Site.DUODENUM, 86, False),
    ("6b", Site.RECTUM, 71, False),
]

_REPRESENTATIVE = {
    "1": (1.0, 2),
    "2": (3.0, 2),
    "3a": (7.0, 2),
    "3b": (12.0, 2),
    "4": (1.0, 8),
    "5": (3.0, 8),
    "6a": (7.0, 8),
    "6b": (12.0, 8),
}


@pytest.mark.parametrize(("size", "mitoses", "group"), AFIP_GROUPS)
def test_afip_group_boundaries(size: float, mitoses: float, group: str) -> None:
    assert afip(G, size, mitoses).group == group


@pytest.mark.parametrize(("group", "site", "pct", "fallback"), AFIP_CELLS)
def test_afip_cell(group: str, site: Site, pct: float, fallback: bool) -> None:
    size, mitoses = _REPRESENTATIVE[group]
    result = afip(site, size, mitoses)
    assert (result.group, result.progression_pct, result.fallback) == (group, pct, fallback)
    assert f"{pct:g}%" in result.label


@pytest.mark.parametrize(
    "site", [Site.COLON, Site.OESOPHAGUS, Site.OTHER, Site.SMALL_INTESTINE, None]
)
def test_sites_without_a_column_fall_back_to_jejunum_ileum(site: Site | None) -> None:
    result = afip(site, 7.0, 2)
    assert (result.progression_pct, result.fallback, result.column) == (24, True, "jejunum-ileum")


def test_afip_table_has_every_group_and_column() -> None:
    assert list(AFIP_TABLE) == ["1", "2", "3a", "3b", "4", "5", "6a", "6b"]
    for group in AFIP_TABLE.values():
        assert set(group.cells) == set(AFIP_COLUMNS)


def test_reconciled_cells_of_the_knowledge_base() -> None:
    assert afip(G, 11.0, 5).label == "Moderate (12%)"  # not the older 10%
    assert afip(Site.RECTUM, 11.0, 9).progression_pct == 71  # not the "7" typo
    assert afip(J, 11.0, 1).progression_pct == 52  # not 54
    assert afip(G, 6.0, 6).label == "High (55%)"


def test_risk_cell_key_names_category_group_and_column() -> None:
    risk = Risk(nih_modified(G, 6.0, 6, rupture=False), afip(G, 6.0, 6))
    assert risk_cell_key(risk) == "nih:high|afip:6a:gastric"
    assert risk_cell_key(Risk(VL)) == "nih:very-low"
    fallback = Risk(HI, afip(Site.COLON, 1.0, 8))
    assert risk_cell_key(fallback) == "nih:high|afip:4:jejunum-ileum"
    legacy = Risk(LO, AfipRisk("2", 1.9, "Very low (1.9%)"))
    assert risk_cell_key(legacy) == "nih:low|afip:2:jejunum-ileum"


@pytest.mark.parametrize("site", [Site.STOMACH, Site.JEJUNUM, None])
@pytest.mark.parametrize("size", [0.5, 2.0, 2.1, 5.0, 5.1, 10.0, 10.1, 15.0])
@pytest.mark.parametrize("mitoses", [0, 5, 6, 10, 11, 30])
@pytest.mark.parametrize("rupture", [False, True])
def test_the_deciding_nih_row_has_the_decided_category(
    site: Site | None, size: float, mitoses: float, rupture: bool
) -> None:
    rows = {row.key: row for row in NIH_MODIFIED_ROWS}
    row = rows[nih_modified_row(site, size, mitoses, rupture)]
    assert row.category is nih_modified(site, size, mitoses, rupture)
    if rupture:
        assert row.key == "high-rupture"


@pytest.mark.parametrize(
    ("site", "size", "mitoses", "row"),
    [
        (Site.STOMACH, 6.0, 6, "high-size-mitoses"),
        (Site.STOMACH, 12.0, 2, "high-size"),
        (Site.JEJUNUM, 3.0, 6, "high-nongastric-2-5"),
        (Site.JEJUNUM, 7.0, 3, "high-nongastric-5-10"),
        (Site.STOMACH, 6.0, 5, "intermediate-gastric-5-10"),
        (Site.STOMACH, 4.0, 7, "intermediate-gastric-2-5"),
        (Site.JEJUNUM, 1.5, 8, "intermediate-small"),
        (Site.STOMACH, 4.0, 3, "low"),
    ],
)
def test_worked_examples_name_their_row(site: Site, size: float, mitoses: float, row: str) -> None:
    assert nih_modified_row(site, size, mitoses, False) == row


def test_risk_cell_key_prefers_the_deciding_row() -> None:
    risk = Risk(NihRisk.HIGH, None, "high-size-mitoses")
    assert risk_cell_key(risk) == "nih:high-size-mitoses"
