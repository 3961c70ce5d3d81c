"""Setting (neoadjuvant / adjuvant / advanced) and advanced-disease line numbers of TKI courses.

Input profile rules, DESIGN per knowledge base §1.0 [S6] and §1.K:
- neoadjuvant: started while the disease was localized and before the resection — also when no
  resection has happened yet (D13);
- adjuvant: started on/after the resection of localized disease and ended before the first
  metastasis/recurrence (a course still running with no metastasis/recurrence at all is
  adjuvant too; with recurrence known but undated, only ended courses are adjuvant);
- a neoadjuvant or adjuvant course still running when the first metastasis/recurrence is
  recorded (or stopped for progression) is progression on it: advanced-disease line 1, with
  `started_as` keeping where it began (G18);
- everything else is a line for advanced disease, numbered by start date. The same drug as the
  previous advanced course (imatinib 400 -> 800 mg escalation, renewals, dose changes) and a drug
  started the same day (a combination such as dabrafenib + trametinib) keep the line.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from fhir_mappings.medications import RawCourse
from fhir_mappings.selection import source_key
from logic.case import StopReason, TherapySetting, TkiCourse


def _initial_setting(
    course: RawCourse,
    resection: dt.date | None,
    first_event: dt.date | None,
    recurrent_undated: bool,
) -> TherapySetting:
    """The setting by when the course started: after metastasis/recurrence -> advanced; while
    localized and before any resection (or with no resection yet, D13) -> neoadjuvant; after
    the resection of localized disease -> adjuvant."""
    if course.start is None:
        return TherapySetting.ADVANCED
    if first_event is not None and first_event <= course.start:
        return TherapySetting.ADVANCED
    if resection is None or course.start < resection:
        if recurrent_undated:  # metastasis/recurrence of unknown date: not shown localized
            return TherapySetting.ADVANCED
        return TherapySetting.NEOADJUVANT
    if first_event is None and recurrent_undated and course.end is None:
        return TherapySetting.ADVANCED
    return TherapySetting.ADJUVANT


def progressed_on(course: RawCourse, first_event: dt.date | None) -> bool:
    """G18: metastasis/recurrence first recorded while the course ran (or it stopped for
    progression): the disease progressed on it."""
    if first_event is None:
        return False
    if course.stop_reason is StopReason.PROGRESSION:
        return True
    return course.end is None or course.end > first_event


def setting_of(
    course: RawCourse,
    resection: dt.date | None,
    first_event: dt.date | None,
    recurrent_undated: bool,
) -> TherapySetting:
    setting = _initial_setting(course, resection, first_event, recurrent_undated)
    if setting is not TherapySetting.ADVANCED and progressed_on(course, first_event):
        return TherapySetting.ADVANCED
    return setting


def _order(course: RawCourse) -> tuple[dt.date, str, tuple[str, str, dt.date]]:
    return (course.start or dt.date.min, course.drug.value, source_key(course.source))


def _dedupe(courses: Sequence[RawCourse]) -> list[RawCourse]:
    """A course reported both as a statement and as a request is kept once (the statement)."""
    kept: dict[tuple[object, ...], RawCourse] = {}
    preferred = sorted(
        courses,
        key=lambda c: (c.source.resource_type != "MedicationStatement", source_key(c.source)),
    )
    for c in preferred:
        kept.setdefault((c.drug, c.start, c.end, c.daily_dose_mg, c.status, c.stop_reason), c)
    return list(kept.values())


def assign(
    courses: Sequence[RawCourse],
    resection: dt.date | None,
    first_event: dt.date | None,
    recurrent_undated: bool,
) -> tuple[TkiCourse, ...]:
    """All courses ordered by start date (undated first), each with its setting and line."""
    result: list[TkiCourse] = []
    line = 0
    previous: RawCourse | None = None
    for c in sorted(_dedupe(courses), key=_order):
        initial = _initial_setting(c, resection, first_event, recurrent_undated)
        setting = setting_of(c, resection, first_event, recurrent_undated)
        number: int | None = None
        if setting is TherapySetting.ADVANCED:
            same_line = previous is not None and (
                previous.drug is c.drug or (c.start is not None and previous.start == c.start)
            )
            if not same_line:
                line += 1
            previous = c
            number = line
        result.append(
            TkiCourse(
                drug=c.drug,
                daily_dose_mg=c.daily_dose_mg,
                start=c.start,
                end=c.end,
                status=c.status,
                setting=setting,
                line=number,
                stop_reason=c.stop_reason,
                source=c.source,
                started_as=initial if initial is not setting else None,
            )
        )
    return tuple(result)
