"""The one shape every guideline rule has (house rule 5: same shape, plain When/Then header)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from logic.case import GistCase
from logic.recommendation import Category, MissingData, Recommendation


@dataclass(frozen=True, slots=True)
class Rule:
    """A recommendation row of the knowledge base.

    `rule_id` is the knowledge-base id (B1…J5); `citations` are its `[Sx]` source ids; `reads`
    names the `GistCase` fields it looks at (checked by the registry); `applies` says whether the
    rule fires for a case; `recommend` builds its Recommendations (called only when it applies).
    `statement` and `conditions` are the plain-language text shown on the rule page. A rule with
    no categories is background content: it never makes a card of its own and, when it applies,
    its statement is folded into the cards of the rules named in `folds_into`.
    """

    rule_id: str
    section: str  # knowledge-base section, e.g. "1.F"
    title: str
    statement: str  # the recommendation in plain words
    conditions: tuple[str, ...]  # when it applies, in plain words
    citations: tuple[str, ...]
    reads: tuple[str, ...]
    categories: tuple[Category, ...]  # the categories it can produce ("" none: background rule)
    applies: Callable[[GistCase], bool]
    recommend: Callable[[GistCase], list[Recommendation]]
    evidence_numbers: tuple[str, ...] = ()
    design_note: str | None = None  # DESIGN / ambiguity decision and its reasoning
    uses_risk_table: bool = False  # rule page draws the risk tables when True
    #: Background rules (no categories) whose text is shown on other rules' cards: the engine
    #: appends this rule's statement, citations and evidence numbers to the cards of these rule
    #: ids whenever `applies(case)` is true.
    folds_into: tuple[str, ...] = ()
    #: For a background rule whose text depends on the case (e.g. names a drug or a score):
    #: the line folded into its hosts instead of `statement` (None: use the statement).
    fold_text: Callable[[GistCase], str | None] | None = None
    #: For a rule in a Decision: its own condition, checked only once the decision is reached
    #: and every rule before it in the decision has declined (None: not in a Decision).
    when: Callable[[GistCase], bool] | None = None


def hosted(case: GistCase) -> bool:
    """The `applies` of a background rule that applies exactly when one of the rules it folds
    into applies; logic.registry replaces it by that check (it never runs itself)."""
    raise RuntimeError("a hosted background rule is bound by logic.registry before use")


@dataclass(frozen=True, slots=True)
class Plan:
    """What one decision or pathway decides for a case: its cards, and the facts whose absence
    left a decision unmade (reported by the data-request rule P5)."""

    cards: tuple[Recommendation, ...] = ()
    blocked: tuple[MissingData, ...] = ()


@dataclass(frozen=True, slots=True)
class Decision:
    """An ordered first-match list: once `reached(case)`, the first rule whose `when` holds makes
    the cards, so precedence is the order of `rules`, visible as data. When none holds,
    `otherwise` names the facts whose absence leaves the decision unmade."""

    name: str
    reached: Callable[[GistCase], bool]
    rules: tuple[Rule, ...]
    otherwise: Callable[[GistCase], tuple[MissingData, ...]]

    def chosen(self, case: GistCase) -> Rule | None:
        """The rule that decides this case (None: decision not reached, or no rule holds)."""
        if not self.reached(case):
            return None
        return next((r for r in self.rules if r.when is not None and r.when(case)), None)

    def picks(self, case: GistCase, *rule_ids: str) -> bool:
        """Whether one of these rules decides the case: a member's `applies` (or that of a
        background rule folded into members)."""
        rule = self.chosen(case)
        return rule is not None and rule.rule_id in rule_ids

    def decide(self, case: GistCase) -> Plan:
        rule = self.chosen(case)
        if rule is not None:
            return Plan(tuple(rule.recommend(case)))
        return Plan(blocked=self.otherwise(case)) if self.reached(case) else Plan()
