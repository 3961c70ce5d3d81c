"""The order checks in the order they run, and the engine that runs them on drafted orders.

Each check is one record in a section module (`genotype`, `lines`, `doses`, `context`);
`CHECKS` is their order, visible as data: findings on one order come out in this order (the
cards are then ranked critical first, keeping it within an indicator). `logic.registry`
validates the records (ORDER_RULES) at import. A check whose facts are unknown stays silent: an
order is only flagged for a conflict the record shows. A correct order gets no finding.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from logic.case import GistCase
from logic.orders import context, doses, genotype, lines
from logic.orders.draft import DraftTki, OrderFinding
from logic.orders.reading import order_facts
from logic.orders.rule import CheckKind, OrderCheck

#: The modules that hold one record per order check (the registry checks each is in CHECKS).
SECTION_MODULES = (genotype, lines, doses, context)

CHECKS: tuple[OrderCheck, ...] = (
    context.EMERGENCY,
    genotype.D842V_NOT_AVAPRITINIB,
    genotype.NEOADJUVANT_D842V,
    genotype.NEOADJUVANT_SDH_NF1,
    genotype.AVAPRITINIB_NON_D842V,
    genotype.AVAPRITINIB_GENOTYPE_UNKNOWN,
    genotype.ADJUVANT_NO_BENEFIT,
    genotype.ADJUVANT_WILD_TYPE,
    genotype.ADJUVANT_LOW_RISK,
    lines.SUNITINIB_BEFORE_IMATINIB,
    lines.REGORAFENIB_TOO_EARLY,
    lines.RIPRETINIB_TOO_EARLY,
    lines.SORAFENIB_TOO_EARLY,
    lines.NILOTINIB_TOO_EARLY,
    lines.PAZOPANIB_TOO_EARLY,
    lines.DASATINIB_TOO_EARLY,
    doses.EXON9_DOSE,
    doses.IMATINIB_ABOVE,
    doses.SUNITINIB_ABOVE,
    doses.REGORAFENIB_ABOVE,
    doses.RIPRETINIB_ABOVE,
    doses.AVAPRITINIB_ABOVE,
    doses.RIPRETINIB_BELOW,
    doses.IMATINIB_UNREADABLE,
    doses.SUNITINIB_UNREADABLE,
    doses.REGORAFENIB_UNREADABLE,
    doses.RIPRETINIB_UNREADABLE,
    doses.AVAPRITINIB_UNREADABLE,
    context.DUPLICATE,
)


def finding(check: OrderCheck, case: GistCase, draft: DraftTki) -> OrderFinding:
    """The alert `check` makes for `draft` (call only when it applies)."""
    summary, rationale, change = check.build(case, draft)
    return OrderFinding(
        check.check_id,
        check.rule_id,
        check.evidence,
        check.indicator,
        draft,
        summary,
        rationale,
        change,
        order_facts(case, draft),
    )


def check_drafts(
    case: GistCase, drafts: Sequence[DraftTki], checks: Iterable[OrderCheck] = CHECKS
) -> list[OrderFinding]:
    """Every finding for every drafted TKI order; none for a correct order or a non-GIST case.
    A dose finding is dropped when a drug finding already replaces or removes that order."""
    if not case.has_gist or case.deceased:
        return []
    ordered = tuple(checks)
    findings: list[OrderFinding] = []
    for draft in drafts:
        fired = [check for check in ordered if check.applies(case, draft)]
        if any(check.kind is CheckKind.DRUG for check in fired):
            fired = [check for check in fired if check.kind is not CheckKind.DOSE]
        findings += [finding(check, case, draft) for check in fired]
    return findings
