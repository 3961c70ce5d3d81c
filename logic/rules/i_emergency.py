"""§1.I Emergency surgical review (evaluated first, §1.1 item 1).

When: perforation, complete obstruction, refractory bleeding, rupture with intra-abdominal
haemorrhage or abscess (I1–I5). Then: emergency surgical review — critical when the finding is
definite, warning when only possible. Unqualified bleeding or obstruction (I6) is not an
automatic trigger: urgent MDT review (warning). I7 (palliative radiotherapy for an unresectable
bleeding tumour) is background text on the bleeding cards; I8 (§1.K) names the running TKI on
every emergency card.

One record per rule. The triggers are independent (two emergencies give two cards), so there is
no Decision here: each record's `applies` is its own finding.
"""

from __future__ import annotations

from collections.abc import Callable

from logic.case import Certainty, Drug, EmergencyKind, GistCase
from logic.recommendation import Category, Indicator, Recommendation
from logic.rule import Rule
from logic.rules.common import emergencies_used, emit, nothing

EMERG = Category.EMERGENCY_SURGICAL_REVIEW
#: What a trigger rule (I1–I6) reads: the emergency findings, nothing else.
TRIGGER_READS = ("emergencies",)

#: Peri-operative interruption the knowledge base states for a drug (§3 [S6][S38]).
_PERIOPERATIVE = {
    Drug.RIPRETINIB: "withhold from 1 week before to 2 weeks after surgery",
    Drug.REGORAFENIB: "stop at least 2 weeks before surgery",
}


def _found(kind: EmergencyKind) -> Callable[[GistCase], bool]:
    return lambda case: any(f.kind is kind for f in case.emergencies)


def _trigger_card(
    rule_id: str, kind: EmergencyKind, what: str, citations: tuple[str, ...]
) -> Callable[[GistCase], list[Recommendation]]:
    """The emergency card of one trigger: critical when a finding is definite, else warning."""

    def recommend(case: GistCase) -> list[Recommendation]:
        found = [f for f in case.emergencies if f.kind is kind]
        definite = any(f.certainty is Certainty.DEFINITE for f in found)
        notes = []
        if kind is EmergencyKind.RUPTURE_WITH_HAEMORRHAGE:
            notes.append(
                "After the emergency, record the rupture: it makes the tumour high risk (F5)."
            )
        return [
            emit(
                rule_id,
                citations,
                EMERG,
                f"Emergency surgical review: {what}"
                if definite
                else f"Possible {what}: urgent surgical review",
                f"A GIST with {what} is an indication for emergency surgery in the guidelines. "
                + (
                    "The finding is recorded as definite."
                    if definite
                    else "The finding is recorded as possible only: confirm it urgently."
                ),
                indicator=Indicator.CRITICAL if definite else Indicator.WARNING,
                facts=emergencies_used(found),
                notes=notes,
            )
        ]

    return recommend


def _trigger(
    rule_id: str, kind: EmergencyKind, what: str, title: str, citations: tuple[str, ...]
) -> Rule:
    """The record of an emergency trigger row (I1–I5): its finding, its card, its sources."""
    return Rule(
        rule_id=rule_id,
        section="1.I",
        title=title,
        statement=f"Emergency surgical review for {what}.",
        conditions=(f"{what} is recorded (critical when definite, warning when possible)",),
        citations=citations,
        reads=TRIGGER_READS,
        categories=(EMERG,),
        applies=_found(kind),
        recommend=_trigger_card(rule_id, kind, what, citations),
        design_note=(
            "A finding recorded only as possible gives the same card with a warning indicator "
            "instead of critical (card contract)."
        ),
    )


I1 = _trigger(
    "I1",
    EmergencyKind.COMPLETE_OBSTRUCTION,
    "complete intestinal obstruction",
    "Complete obstruction: emergency review",
    ("S1", "S6"),
)
I2 = _trigger(
    "I2",
    EmergencyKind.PERFORATION,
    "gastrointestinal perforation",
    "Perforation: emergency review",
    ("S1", "S6"),
)
I3 = _trigger(
    "I3",
    EmergencyKind.REFRACTORY_BLEEDING,
    "GI bleeding not controlled conservatively",
    "Refractory bleeding: emergency review",
    ("S1", "S6"),
)
I4 = _trigger(
    "I4",
    EmergencyKind.RUPTURE_WITH_HAEMORRHAGE,
    "tumour rupture with intra-abdominal bleeding",
    "Rupture with haemorrhage: emergency review",
    ("S1", "S10"),
)
I5 = _trigger("I5", EmergencyKind.ABSCESS, "abscess", "Abscess: emergency review", ("S6",))

#: Findings that are not an automatic trigger on their own (I6).
_SOFT = (EmergencyKind.BLEEDING, EmergencyKind.OBSTRUCTION)


def _i6_applies(case: GistCase) -> bool:
    return any(f.kind in _SOFT for f in case.emergencies)


def _i6(case: GistCase) -> list[Recommendation]:
    soft = [f for f in case.emergencies if f.kind in _SOFT]
    kinds = " and ".join(sorted({f.kind.value for f in soft}))
    return [
        emit(
            "I6",
            I6.citations,
            EMERG,
            f"Urgent MDT review: {kinds} (not marked complete or refractory)",
            "Bleeding controlled by conservative treatment, or a partial obstruction, is not "
            "an automatic emergency trigger; it needs urgent multidisciplinary review. It "
            "becomes an emergency if bleeding is refractory or obstruction complete.",
            indicator=Indicator.WARNING,
            facts=emergencies_used(soft),
            notes=(
                "DESIGN: unqualified bleeding or obstruction is a possible emergency, "
                "shown as a warning.",
            ),
        )
    ]


I6 = Rule(
    rule_id="I6",
    section="1.I",
    title="Controlled bleeding or partial obstruction: urgent MDT review",
    statement=(
        "GI bleeding controlled conservatively or a partial obstruction is not an automatic "
        "emergency trigger; arrange urgent multidisciplinary review."
    ),
    conditions=("bleeding or obstruction recorded without the refractory/complete qualifier",),
    citations=("S1",),
    reads=TRIGGER_READS,
    categories=(EMERG,),
    applies=_i6_applies,
    recommend=_i6,
    design_note="(KB) Unqualified bleeding or obstruction → urgent MDT review card, warning.",
)

#: The emergency cards (I8's hosts), in the order they are made.
EMERGENCY_RULES = (I1, I2, I3, I4, I5, I6)


def _tki_during_emergency(case: GistCase) -> str | None:
    """I8: the running TKI (drug and dose) and how to interrupt it around the operation."""
    course = case.current_course
    if course is None or not any(rule.applies(case) for rule in EMERGENCY_RULES):
        return None
    dose = f" {course.daily_dose_mg:g} mg daily" if course.daily_dose_mg else " (dose not recorded)"
    label = _PERIOPERATIVE.get(course.drug, "follow its label")
    return (
        f"The patient takes {course.drug.value}{dose}. Surgical team: manage peri-operative "
        f"interruption ({label}); resume after recovery when indicated."
    )


I8 = Rule(
    rule_id="I8",
    section="1.K",
    title="Emergency while on a TKI",
    statement=(
        "An emergency card for a patient taking a TKI names the drug and dose and tells the "
        "surgical team to manage peri-operative interruption per the drug's label (e.g. "
        "ripretinib: withhold 1 week before to 2 weeks after surgery); resume after recovery "
        "when indicated. No card that assumes a calm course is shown beside a definite "
        "emergency."
    ),
    conditions=("an emergency card is shown", "a TKI course is active or on hold"),
    citations=("S6",),
    reads=("tki_history", "emergencies"),
    categories=(),
    applies=lambda case: _tki_during_emergency(case) is not None,
    recommend=nothing,
    folds_into=tuple(rule.rule_id for rule in EMERGENCY_RULES),
    fold_text=_tki_during_emergency,
    design_note=(
        "(KB §1.K) Emergency cards name the running TKI and dose with its peri-operative "
        'interruption (§3 intervals for ripretinib and regorafenib, otherwise "follow its '
        'label"). Beside a definite emergency the engine also withholds surveillance cards '
        "and the stale-size data item (both assume a calm course); TKI continue/next-line "
        "cards stay."
    ),
)


def _bleeding(case: GistCase) -> bool:
    return any(
        f.kind in (EmergencyKind.BLEEDING, EmergencyKind.REFRACTORY_BLEEDING)
        for f in case.emergencies
    )


I7 = Rule(
    rule_id="I7",
    section="1.I",
    title="Unresectable bleeding tumour: palliative radiotherapy",
    statement=(
        "For a bleeding tumour that cannot be resected, palliative radiotherapy can "
        "occasionally be used."
    ),
    conditions=("a bleeding finding is recorded (shown on the I3 and I6 cards)",),
    citations=("S6",),
    reads=("emergencies",),
    categories=(),
    applies=_bleeding,
    recommend=nothing,
    folds_into=("I3", "I6"),
    design_note="Background: folded into the bleeding cards (I3, I6), no card of its own.",
)
