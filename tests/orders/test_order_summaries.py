"""Order alert summaries name the regimen to order without being cut mid-schedule: the fullest
wording that fits the card limit, then a compact schedule, then the drug alone."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from logic.knowledge import regimens
from logic.orders.reading import summary_ordering
from logic.recommendation import Regimen
from logic.rules.common import SUMMARY_MAX

ORDERABLE = (
    regimens.IMATINIB_400,
    regimens.IMATINIB_800,
    regimens.SUNITINIB_50_4_2,
    regimens.REGORAFENIB_160,
    regimens.RIPRETINIB_150,
    regimens.AVAPRITINIB_300,
)


def test_a_cyclic_regimen_keeps_its_cycle_in_compact_form() -> None:
    prefix = "x" * (SUMMARY_MAX - 45)
    text = summary_ordering(prefix, regimens.SUNITINIB_50_4_2)
    assert text == prefix + "sunitinib 50 mg/day, 4 wk on/2 off"


def test_the_full_regimen_is_used_when_it_fits() -> None:
    text = summary_ordering("Order ", regimens.REGORAFENIB_160, " first")
    assert text == f"Order {regimens.REGORAFENIB_160.display.lower()} first"


@given(st.integers(0, SUMMARY_MAX), st.sampled_from(ORDERABLE), st.sampled_from(["", " first"]))
def test_the_summary_fits_whenever_the_drug_alone_fits(
    prefix_length: int, regimen: Regimen, suffix: str
) -> None:
    prefix = "p" * prefix_length
    text = summary_ordering(prefix, regimen, suffix)
    assert text.startswith(prefix + regimen.drug)
    assert text.endswith(suffix)
    if len(prefix + regimen.drug + suffix) <= SUMMARY_MAX:
        assert len(text) <= SUMMARY_MAX
