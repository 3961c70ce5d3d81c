"""RxNorm codes of the TKIs the knowledge base names: ingredients and the products (SCD/SBD) EHRs
send instead, each with where the code comes from and whether it was verified.

Rule: a code is only listed when a source names it; a code nobody could verify is not invented.
Drugs without a listed ingredient code are still recognised by ingredient or brand name
(`codes.DRUG_NAMES`); a record with an unlisted code and no usable name is reported, not dropped.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Final

from logic.case import Drug


@dataclass(frozen=True, slots=True)
class CodeEntry:
    drug: Drug
    source: str  # where the code was taken from
    verified: bool  # True only when checked against the knowledge base's primary sources


@dataclass(frozen=True, slots=True)
class ProductEntry:
    drug: Drug
    strength_mg: Decimal  # per tablet / capsule
    form: str
    source: str


_KB = "knowledge base [S35]/[S36] (RxNav)"
_SECONDARY = (
    "secondary: one public RxNav-derived code table agrees with it; NOT checked against "
    "RxNav itself (knowledge base lists it as UNCONFIRMED)"
)

#: RxNorm ingredient RxCUI -> drug.
INGREDIENTS: Final[dict[str, CodeEntry]] = {
    "282388": CodeEntry(Drug.IMATINIB, _KB, True),
    "357977": CodeEntry(Drug.SUNITINIB, _KB, True),
    "662281": CodeEntry(Drug.NILOTINIB, _KB, True),
    "714438": CodeEntry(Drug.PAZOPANIB, _KB, True),
    "1424911": CodeEntry(Drug.DABRAFENIB, _KB, True),
    "1312397": CodeEntry(Drug.REGORAFENIB, _SECONDARY, False),
    "495881": CodeEntry(Drug.SORAFENIB, _SECONDARY, False),
    "475342": CodeEntry(Drug.DASATINIB, _SECONDARY, False),
}

#: Ingredients with no code listed: recognised by name only, until a verified RxCUI is supplied.
NAME_ONLY: Final = frozenset(
    {Drug.RIPRETINIB, Drug.AVAPRITINIB, Drug.LAROTRECTINIB, Drug.ENTRECTINIB, Drug.TRAMETINIB}
)

_PROFILE = "input profile, 'Real EHR variations' (example product code)"

#: RxNorm product RxCUI (SCD/SBD) -> ingredient and strength. Only codes a source names.
PRODUCTS: Final[dict[str, ProductEntry]] = {
    "403879": ProductEntry(Drug.IMATINIB, Decimal(400), "oral tablet", _PROFILE),
    "616289": ProductEntry(Drug.SUNITINIB, Decimal(50), "oral capsule", _PROFILE),
}


def ingredient_codes() -> dict[str, Drug]:
    return {code: entry.drug for code, entry in INGREDIENTS.items()}


def product_codes() -> dict[str, Drug]:
    return {code: entry.drug for code, entry in PRODUCTS.items()}
