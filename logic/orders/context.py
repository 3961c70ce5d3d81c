"""Order checks: an order that conflicts with what is going on — an active surgical emergency
(I8) or a TKI the patient already takes (D13). One record per check: its condition, its alert
builder (remove the draft), sources, reads, design note.
"""

from __future__ import annotations

from logic.case import Certainty, GistCase, TherapyStatus, TkiCourse
from logic.facts import TRIGGER_KINDS, definite_emergency
from logic.orders.draft import DraftTki, SuggestedChange
from logic.orders.reading import FINDING_READS, mg, withdraw
from logic.orders.rule import CheckKind, OrderCheck
from logic.recommendation import Indicator

# --- I8: emergency -------------------------------------------------------------------------------


def _emergency(case: GistCase, draft: DraftTki) -> bool:
    return definite_emergency(case)


def _emergency_alert(case: GistCase, draft: DraftTki) -> tuple[str, str, SuggestedChange]:
    kinds = sorted(
        {
            f.kind.value.replace("-", " ")
            for f in case.emergencies
            if f.kind in TRIGGER_KINDS and f.certainty is Certainty.DEFINITE
        }
    )
    return (
        f"Active surgical emergency ({', '.join(kinds)}): hold the {draft.drug.value} order",
        f"The record shows an active surgical emergency ({', '.join(kinds)}). Emergency "
        "surgical review comes first; the surgical team manages TKI interruption around an "
        "operation per the drug's label, and the TKI is resumed after recovery when indicated.",
        withdraw(draft),
    )


EMERGENCY = OrderCheck(
    check_id="order-emergency",
    rule_id="I8",
    title="TKI ordered during an active surgical emergency",
    statement=(
        "During an active surgical emergency, emergency surgical review comes first and the "
        "surgical team manages TKI interruption around an operation; the TKI is resumed after "
        "recovery when indicated. The draft is removed."
    ),
    conditions=("a definite surgical emergency (bleeding, perforation, obstruction, abscess…)",),
    citations=("S6",),
    references=(),
    reads=(*FINDING_READS, "emergencies"),
    kind=CheckKind.CONTEXT,
    indicator=Indicator.CRITICAL,
    when=_emergency,
    build=_emergency_alert,
    design_note="Only a definite emergency holds an order; a suspected one does not.",
)


# --- D13: duplicate ------------------------------------------------------------------------------


def _running_other_than(course: TkiCourse, draft: DraftTki) -> bool:
    """An active course of the drafted drug that is not the draft itself (when re-signing a
    revised order, the EHR may already hold it as an active MedicationRequest)."""
    itself = f"{course.source.resource_type}/{course.source.resource_id}" == draft.reference
    return course.drug is draft.drug and course.status is TherapyStatus.ACTIVE and not itself


def _duplicate(case: GistCase, draft: DraftTki) -> bool:
    """The drug is already taken at the same dose (a dose change, e.g. imatinib escalation to
    800 mg (G7), is not a duplicate). Unknown doses on either side count as the same order."""
    for course in case.tki_history:
        if _running_other_than(course, draft):
            if course.daily_dose_mg is None or draft.daily_mg is None:
                return True
            if abs(course.daily_dose_mg - draft.daily_mg) < 0.01:
                return True
    return False


def _duplicate_alert(case: GistCase, draft: DraftTki) -> tuple[str, str, SuggestedChange]:
    course = next(c for c in case.tki_history if _running_other_than(c, draft))
    since = f" since {course.start.isoformat()}" if course.start else ""
    dose = f" {mg(course.daily_dose_mg)} daily" if course.daily_dose_mg else ""
    return (
        f"The patient already takes {draft.drug.value}{dose}: this order duplicates it",
        f"The record shows {draft.drug.value}{dose}{since}, still active. A second order risks "
        "a double dose. Renew or change the existing prescription instead.",
        withdraw(draft),
    )


DUPLICATE = OrderCheck(
    check_id="order-duplicate",
    rule_id="D13",
    title="TKI the patient already takes",
    statement=(
        "A second order for a TKI the patient already takes at the same dose risks a double "
        "dose: renew or change the existing prescription instead. The draft is removed."
    ),
    conditions=(
        "an active course of the ordered drug in the record (not the order itself)",
        "at the same daily dose, or a dose unknown on either side",
    ),
    citations=("S6",),
    references=(),
    reads=FINDING_READS,
    kind=CheckKind.CONTEXT,
    indicator=Indicator.WARNING,
    when=_duplicate,
    build=_duplicate_alert,
    design_note=(
        "A dose change (e.g. imatinib escalation to 800 mg, G7) is not a duplicate, nor is the "
        "order itself when the EHR already holds it as active while it is re-signed."
    ),
)
