"""TKI regimens of knowledge-base §3 as `Regimen` data (dose, schedule, source).

RxNorm ingredient codes only where §5.5 marks them CONFIRMED (imatinib [S35]; sunitinib,
nilotinib, pazopanib, dabrafenib [S36]); the others stay None until verified.
"""

from __future__ import annotations

from typing import Final

from logic.recommendation import Regimen

RXNORM_IMATINIB: Final = "282388"  # [S35]
RXNORM_SUNITINIB: Final = "357977"  # [S36]
RXNORM_NILOTINIB: Final = "662281"  # [S36]
RXNORM_PAZOPANIB: Final = "714438"  # [S36]
RXNORM_DABRAFENIB: Final = "1424911"  # [S36]

#: Imatinib 400 mg once daily: adjuvant, neoadjuvant, first line advanced [S6].
IMATINIB_400: Final = Regimen(
    "imatinib", 400, "once daily", "Imatinib 400 mg once daily", rxnorm=RXNORM_IMATINIB
)
#: Imatinib 800 mg daily as 400 mg twice daily: KIT exon 9, or escalation on progression [S6][S25].
IMATINIB_800: Final = Regimen(
    "imatinib",
    800,
    "400 mg twice daily",
    "Imatinib 800 mg daily (400 mg twice daily)",
    rxnorm=RXNORM_IMATINIB,
)
#: Avapritinib 300 mg once daily: PDGFRA exon 18 incl. D842V [S6].
AVAPRITINIB_300: Final = Regimen("avapritinib", 300, "once daily", "Avapritinib 300 mg once daily")
#: Sunitinib, the two schedules of §3 [S6].
SUNITINIB_50_4_2: Final = Regimen(
    "sunitinib",
    50,
    "once daily, 4 weeks on / 2 weeks off",
    "Sunitinib 50 mg once daily, 4 weeks on / 2 weeks off",
    rxnorm=RXNORM_SUNITINIB,
)
SUNITINIB_37_5: Final = Regimen(
    "sunitinib",
    37.5,
    "once daily, continuous",
    "Sunitinib 37.5 mg once daily, continuous",
    rxnorm=RXNORM_SUNITINIB,
)
#: Regorafenib 160 mg daily, 3 weeks on / 1 off: third line [S6].
REGORAFENIB_160: Final = Regimen(
    "regorafenib",
    160,
    "once daily, 3 weeks on / 1 week off",
    "Regorafenib 160 mg once daily, 3 weeks on / 1 week off",
)
#: Ripretinib 150 mg once daily: fourth line [S6][S24].
RIPRETINIB_150: Final = Regimen("ripretinib", 150, "once daily", "Ripretinib 150 mg once daily")
#: Later-line options with limited evidence [S23][S24b][S6].
SORAFENIB_400_BID: Final = Regimen(
    "sorafenib", 800, "400 mg twice daily", "Sorafenib 400 mg twice daily"
)
NILOTINIB_400_BID: Final = Regimen(
    "nilotinib", 800, "400 mg twice daily", "Nilotinib 400 mg twice daily", rxnorm=RXNORM_NILOTINIB
)
PAZOPANIB_800: Final = Regimen(
    "pazopanib", 800, "once daily", "Pazopanib 800 mg once daily", rxnorm=RXNORM_PAZOPANIB
)
DASATINIB_70_BID: Final = Regimen(
    "dasatinib", 140, "70 mg twice daily", "Dasatinib 70 mg twice daily (phase II dose)"
)
#: NTRK fusion (SECONDARY) [S25][S13a].
LAROTRECTINIB_100_BID: Final = Regimen(
    "larotrectinib", 200, "100 mg twice daily", "Larotrectinib 100 mg twice daily"
)
ENTRECTINIB_600: Final = Regimen("entrectinib", 600, "once daily", "Entrectinib 600 mg once daily")
#: BRAF V600E (SECONDARY) [S25][S13a]. One combination regimen: dose_mg_per_day is the
#: dabrafenib dose (300 mg); trametinib 2 mg once daily is in schedule and display.
DABRAFENIB_TRAMETINIB: Final = Regimen(
    "dabrafenib+trametinib",
    300,
    "dabrafenib 150 mg twice daily + trametinib 2 mg once daily",
    "Dabrafenib 150 mg twice daily + trametinib 2 mg once daily",
    rxnorm=None,
)
#: RTOG 0132 neoadjuvant regimen: trial use only, never recommended by a rule [S6].
IMATINIB_600_TRIAL: Final = Regimen(
    "imatinib",
    600,
    "once daily, 8–12 weeks before surgery",
    "Imatinib 600 mg once daily (trial)",
    rxnorm=RXNORM_IMATINIB,
)

#: Every regimen of §3, for rule pages.
ALL_REGIMENS: Final = (
    IMATINIB_400,
    IMATINIB_800,
    IMATINIB_600_TRIAL,
    AVAPRITINIB_300,
    SUNITINIB_50_4_2,
    SUNITINIB_37_5,
    REGORAFENIB_160,
    RIPRETINIB_150,
    SORAFENIB_400_BID,
    NILOTINIB_400_BID,
    DASATINIB_70_BID,
    PAZOPANIB_800,
    LAROTRECTINIB_100_BID,
    ENTRECTINIB_600,
    DABRAFENIB_TRAMETINIB,
)


def for_months(regimen: Regimen, months: int | None) -> Regimen:
    """The same regimen with a planned duration (e.g. 36 months of adjuvant imatinib)."""
    return Regimen(
        regimen.drug,
        regimen.dose_mg_per_day,
        regimen.schedule,
        regimen.display,
        duration_months=months,
        rxnorm=regimen.rxnorm,
    )
