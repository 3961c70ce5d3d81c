"""The one shape every order check has: a record per check, like the guideline rules' `Rule`.

An order check compares one drafted TKI order with the patient's case. Its record carries what
a reviewer needs to trust it (the knowledge-base rule it enforces, its statement and conditions
in plain words, its sources, the case fields it reads, its design note) next to what runs (its
condition `when` and its alert builder `build`). `logic.registry` validates the records at
import; `logic.orders.checks` runs them in the order of `CHECKS`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from logic.case import GistCase
from logic.orders.draft import DraftTki, SuggestedChange
from logic.recommendation import Indicator


class CheckKind(StrEnum):
    DRUG = "drug"  # the wrong drug (or no drug) for this case
    DOSE = "dose"  # the right drug at a dose far from its regimen, or an unreadable dose
    CONTEXT = "context"  # the order conflicts with what is going on (duplicate, emergency)


#: An alert builder: (summary, rationale, suggested change) for a draft the check fires on.
Build = Callable[[GistCase, DraftTki], tuple[str, str, SuggestedChange]]


@dataclass(frozen=True, slots=True)
class OrderCheck:
    """One order check: one `order-alert` card per drafted order it fires on.

    `check_id` names the check; `rule_id` is the knowledge-base rule the order conflicts with
    (its card links that rule's page). `citations` are the rule's `[Sx]` sources and
    `references` the primary publications the card cites (together the card's evidence, in this
    order). `reads` names the GistCase fields the check reads when it fires (the draft itself is
    always read). `when` decides whether the draft conflicts with the case; `build` writes the
    alert. A DRUG finding on a draft drops the DOSE findings on it (the suggestion replaces the
    drug anyway).
    """

    check_id: str
    rule_id: str
    title: str
    statement: str  # what the check says, in plain words
    conditions: tuple[str, ...]  # when it fires, in plain words
    citations: tuple[str, ...]
    references: tuple[str, ...]
    reads: tuple[str, ...]
    kind: CheckKind
    indicator: Indicator
    when: Callable[[GistCase, DraftTki], bool]
    build: Build
    design_note: str | None = None

    @property
    def evidence(self) -> tuple[str, ...]:
        """Source ids, then primary-reference keys: the card's evidence list."""
        return (*self.citations, *self.references)

    def applies(self, case: GistCase, draft: DraftTki) -> bool:
        return self.when(case, draft)
