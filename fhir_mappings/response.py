"""Latest response assessment, and focal vs multifocal progression (input profile, §4 [S3][S14]).

On the latest assessment date: an overall CancerDiseaseStatus gives the status (and maybe a
gist#progressing-lesion-count component); per-lesion Observations (distinct `focus`) give the
number of worsened lesions. Without an overall reading the status is derived from the lesions:
any worsened -> worsened; else any undetermined -> undetermined; all improved -> improved; else
stable (DESIGN). Disagreement on that date makes the fact CONFLICTING.
"""

from __future__ import annotations

from collections.abc import Sequence

from fhir_mappings.observations import ResponseReading
from fhir_mappings.selection import sort_sources
from logic.case import Fact, ResponseAssessment, ResponseStatus

_MISSING = "no disease status Observation (LOINC 97509-4)"


def _from_lesions(statuses: set[ResponseStatus]) -> ResponseStatus:
    if ResponseStatus.WORSENED in statuses:
        return ResponseStatus.WORSENED
    if ResponseStatus.UNDETERMINED in statuses:
        return ResponseStatus.UNDETERMINED
    if statuses == {ResponseStatus.IMPROVED}:
        return ResponseStatus.IMPROVED
    return ResponseStatus.STABLE


def latest_response(readings: Sequence[ResponseReading]) -> Fact[ResponseAssessment]:
    dated = [r for r in readings if r.source.date is not None]
    if not dated:
        return Fact.unknown(_MISSING if not readings else "disease status without a date")
    day = max(r.source.date for r in dated if r.source.date is not None)
    today = [r for r in dated if r.source.date == day]
    sources = sort_sources([r.source for r in today])
    overall = {r.status for r in today if r.lesion is None}
    counts = {r.progressing_lesions for r in today if r.progressing_lesions is not None}
    lesions: dict[str, set[ResponseStatus]] = {}
    for r in today:
        if r.lesion is not None:
            lesions.setdefault(r.lesion, set()).add(r.status)
    problems = []
    if len(overall) > 1:
        problems.append("overall statuses " + "/".join(sorted(s.value for s in overall)))
    if len(counts) > 1:
        problems.append("progressing-lesion counts " + "/".join(str(c) for c in sorted(counts)))
    problems += [
        f"lesion {k} both {'/'.join(sorted(s.value for s in v))}"
        for k, v in sorted(lesions.items())
        if len(v) > 1
    ]
    worsened_lesions = sum(1 for v in lesions.values() if ResponseStatus.WORSENED in v)
    if overall and lesions and worsened_lesions and ResponseStatus.WORSENED not in overall:
        problems.append("a lesion worsened but the overall status did not")
    if problems:
        return Fact.conflicting((), sources, f"on {day.isoformat()}: " + "; ".join(problems))
    if overall:
        (status,) = overall
    else:
        status = _from_lesions({s for v in lesions.values() for s in v})
    if counts:
        (progressing,) = counts
    elif lesions and worsened_lesions:
        progressing = worsened_lesions
    elif lesions and status is not ResponseStatus.WORSENED:
        progressing = 0
    else:
        progressing = None
    return Fact.known(ResponseAssessment(status, day, progressing), *sources)
