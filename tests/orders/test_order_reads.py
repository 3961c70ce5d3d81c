"""`reads` on each order check is honest: running every scenario case (tests/logic, the FHIR
scenarios, the sandbox patients) against the drafted orders of the order-card grid through a
recording proxy of the case, a check never reads a field it does not declare.

A check that places the patient on a pathway may read different fields depending on which route
decides (metastases, a gross-residual margin, an unresectable tumour, …), so it declares every
field the pathway can read (PATHWAY_READS, itself checked here); any other declared field must be
seen read.
"""

from __future__ import annotations

from typing import cast

import pytest

from fhir_mappings.draft_orders import read_draft_orders
from logic.case import GistCase
from logic.facts import pathway
from logic.orders import CHECKS, DraftTki, OrderCheck
from logic.orders.reading import FINDING_READS, PATHWAY_READS, order_facts
from tests.logic.reading import RecordingCase, every_scenario_case
from tests.support.order_card_dump import drafts

CASES = [case for case in every_scenario_case() if case.has_gist and not case.deceased]
DRAFTS = read_draft_orders(
    {"resourceType": "Bundle", "entry": [{"resource": d} for d in drafts()]}, None
).tkis


def check_reads(check: OrderCheck, case: GistCase, draft: DraftTki) -> set[str] | None:
    """The fields `check` reads to make its alert (None: it does not fire)."""
    proxy = RecordingCase(case)
    as_case = cast(GistCase, proxy)
    if not check.applies(as_case, draft):
        return None
    check.build(as_case, draft)
    order_facts(as_case, draft)
    read: set[str] = proxy.read
    return read


def _observed(check: OrderCheck) -> tuple[int, set[str]]:
    fired, seen = 0, set()
    for case in CASES:
        for draft in DRAFTS:
            read = check_reads(check, case, draft)
            if read is not None:
                fired += 1
                seen |= read
    return fired, seen


@pytest.mark.parametrize("check", CHECKS, ids=lambda check: check.check_id)
def test_check_reads_only_what_it_declares(check: OrderCheck) -> None:
    fired, seen = _observed(check)
    assert fired, f"{check.check_id} never fires on the scenarios: its reads are unverified"
    declared = set(check.reads)
    assert not seen - declared, f"{check.check_id} reads undeclared {sorted(seen - declared)}"
    unseen = declared - seen - set(PATHWAY_READS)
    assert not unseen, f"{check.check_id} declares fields it never reads {sorted(unseen)}"


def test_pathway_reads_are_what_the_pathway_reads() -> None:
    seen: set[str] = set()
    for case in CASES:
        proxy = RecordingCase(case)
        pathway(cast(GistCase, proxy))
        seen |= proxy.read
    assert seen <= set(PATHWAY_READS)
    assert set(PATHWAY_READS) - seen <= set(FINDING_READS)
