"""Risk classification of a primary GIST: modified NIH category and AFIP group (§2).

`nih_modified` decides adjuvant therapy (§1.E, DESIGN: it includes site and rupture [S10][S11]);
`afip` gives the published % progression for display [S7][S8][S6]. Both use the boundary
conventions of §1.0: exactly 2.0 cm and exactly 5 mitoses per 5 mm² are the lower stratum.
"""

from __future__ import annotations

import math

from logic.case import Site
from logic.knowledge.risk_tables import AFIP_FALLBACK_COLUMN, AFIP_TABLE
from logic.recommendation import AfipRisk, NihRisk, Risk

#: Site -> AFIP column; sites not listed use the jejunum/ileum column (DESIGN, [S13a]).
_AFIP_COLUMN_OF_SITE: dict[Site, str] = {
    Site.STOMACH: "gastric",
    Site.JEJUNUM: "jejunum-ileum",
    Site.ILEUM: "jejunum-ileum",
    Site.DUODENUM: "duodenum",
    Site.RECTUM: "rectum",
}


def _check(size_cm: float, mitoses_per_5mm2: float) -> None:
    for name, value in (("size_cm", size_cm), ("mitoses_per_5mm2", mitoses_per_5mm2)):
        if math.isnan(value) or value < 0:
            raise ValueError(f"{name} must be a non-negative number, got {value!r}")


def nih_modified(
    site: Site | None, size_cm: float, mitoses_per_5mm2: float, rupture: bool
) -> NihRisk:
    """Modified NIH (Joensuu 2008) category [S10][S11][S37].

    Mitoses bands ≤5 / 6–10 / >10 are read as ≤5 / >5–≤10 / >10 so a fractional count still has
    a band. `site=None` is classified as non-gastric: that column is never lower than the gastric
    one, so an unknown site cannot under-state risk (callers report the site as missing).
    """
    _check(size_cm, mitoses_per_5mm2)
    gastric = site is Site.STOMACH
    size, mit = size_cm, mitoses_per_5mm2
    if rupture or size > 10.0 or mit > 10 or (size > 5.0 and mit > 5):
        return NihRisk.HIGH
    if not gastric and ((2.0 < size <= 5.0 and mit > 5) or (5.0 < size <= 10.0)):
        return NihRisk.HIGH  # the two rows the modification moved to high [S37]
    if mit <= 5:
        if size <= 2.0:
            return NihRisk.VERY_LOW
        if size <= 5.0:
            return NihRisk.LOW
        return NihRisk.INTERMEDIATE  # gastric 5.1–10.0 cm, ≤5 mitoses
    # 6–10 mitoses, ≤5.0 cm: ≤2.0 cm any site (resolved corner [S37]), or gastric 2.1–5.0 cm
    return NihRisk.INTERMEDIATE


def nih_modified_row(
    site: Site | None, size_cm: float, mitoses_per_5mm2: float, rupture: bool
) -> str:
    """Key of the `NIH_MODIFIED_ROWS` row that decides `nih_modified` (the first matching row,
    highest category first), so a rule page can mark the patient's row rather than every row of
    the category. Same bands and site rule as `nih_modified`."""
    _check(size_cm, mitoses_per_5mm2)
    gastric = site is Site.STOMACH
    size, mit = size_cm, mitoses_per_5mm2
    high_rows = (
        (rupture, "high-rupture"),
        (size > 10.0, "high-size"),
        (mit > 10, "high-mitoses"),
        (size > 5.0 and mit > 5, "high-size-mitoses"),
        (not gastric and 2.0 < size <= 5.0 and mit > 5, "high-nongastric-2-5"),
        (not gastric and 5.0 < size <= 10.0, "high-nongastric-5-10"),
    )
    for matches, key in high_rows:
        if matches:
            return key
    if mit <= 5:
        return "very-low" if size <= 2.0 else "low" if size <= 5.0 else "intermediate-gastric-5-10"
    return "intermediate-small" if size <= 2.0 else "intermediate-gastric-2-5"


def afip_group(size_cm: float, mitoses_per_5mm2: float) -> str:
    """AFIP group 1–6b from size and mitoses (≤2, >2–≤5, >5–≤10, >10 cm; ≤5 vs >5) [S7][S8]."""
    _check(size_cm, mitoses_per_5mm2)
    low = mitoses_per_5mm2 <= 5
    if size_cm <= 2.0:
        return "1" if low else "4"
    if size_cm <= 5.0:
        return "2" if low else "5"
    if size_cm <= 10.0:
        return "3a" if low else "6a"
    return "3b" if low else "6b"


def afip(site: Site | None, size_cm: float, mitoses_per_5mm2: float) -> AfipRisk:
    """AFIP group with the published % progression for the patient's site column.

    Sites without a column (colon, oesophagus, other, small intestine unspecified, unknown) and
    "insufficient data" cells use the jejunum/ileum column with `fallback=True` (DESIGN, [S13a]).
    """
    group = AFIP_TABLE[afip_group(size_cm, mitoses_per_5mm2)]
    own = _AFIP_COLUMN_OF_SITE.get(site) if site is not None else None
    fallback = own is None or group.cells[own].pct is None
    column = AFIP_FALLBACK_COLUMN if fallback or own is None else own
    cell = group.cells[column]
    pct_text = _pct_text(cell.pct, approx=cell.note is not None and "≈" in cell.note)
    return AfipRisk(
        group=group.group,
        progression_pct=cell.pct,
        label=f"{cell.label} ({pct_text})",
        fallback=fallback,
        column=column,
    )


def _pct_text(pct: float | None, *, approx: bool) -> str:
    if pct is None:
        return "insufficient data"
    text = f"{pct:g}%"
    return "≈" + text if approx else text


def risk_cell_key(risk: Risk) -> str:
    """Stable key of the table cells a risk came from, used by rule pages to highlight them.

    Format: ``nih:<row or category>`` optionally followed by ``|afip:<group>:<column>``: the
    `NIH_MODIFIED_ROWS` key of the deciding row when every input was known (else the `NihRisk`
    value: very-low, low, intermediate, high), group is 1, 2, 3a, 3b, 4, 5, 6a or 6b and column
    is an `AFIP_COLUMNS` key (gastric, jejunum-ileum, duodenum, rectum; the column actually
    used, i.e. jejunum-ileum after a fallback). Example: ``nih:high-size-mitoses|afip:6a:gastric``.
    """
    key = f"nih:{risk.nih_row or risk.nih_modified.value}"
    if risk.afip is not None:
        key += f"|afip:{risk.afip.group}:{risk.afip.column or AFIP_FALLBACK_COLUMN}"
    return key
