"""`build_case`: FHIR R4 resources in, one `GistCase` out. Never raises.

Pipeline: flatten Bundles -> note error OperationOutcomes -> cheap pre-filter (`triage`) ->
keep the context patient's resources -> de-duplicate and order (so input order never matters) ->
validate each remaining resource with R4B (invalid ones become `UnreadableInput`) -> extract facts
from the raw JSON -> assemble the case.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Iterable, Mapping
from typing import Any

from fhir_mappings import assemble, conditions, genomics, medications, observations, performance
from fhir_mappings.intake import Entry, iter_entries, outcome_note, validation_problem
from fhir_mappings.jsonpath import JsonObj, is_excluded, resource_id, resource_type, text
from fhir_mappings.observations import ObsKind
from fhir_mappings.scope import choose_patient, foreign
from fhir_mappings.selection import Candidate
from fhir_mappings.triage import Family, family
from logic.case import GistCase, UnreadableInput


def build_case(
    items: Iterable[Mapping[str, Any] | None] | Any,
    patient_id: str | None = None,
    *,
    today: dt.date | None = None,
) -> GistCase:
    """The GIST case of one patient from single resources and/or Bundles (None items skipped).

    `today` fixes the date ages are computed at (tests); it defaults to the current date.
    """
    try:
        return _build(items, patient_id, today or dt.date.today())
    except Exception as exc:  # last line of defence: a mapping bug must not become a 500
        return GistCase(
            patient_id=patient_id,
            unreadable=(
                UnreadableInput("unknown", None, f"internal mapping error ({type(exc).__name__})"),
            ),
        )


def _canonical(resource: JsonObj) -> str:
    try:
        return json.dumps(resource, sort_keys=True, default=str)
    except (TypeError, ValueError):
        return repr(resource)


def _order_key(entry: Entry) -> tuple[str, str, str]:
    r = entry.resource
    return (resource_type(r), resource_id(r) or "", _canonical(r))


def _dedupe(entries: list[Entry]) -> list[Entry]:
    """One entry per resourceType/id (the most recently updated, then a fixed tie-break), in a
    fixed order: the same resources in any order give the same case."""
    chosen: dict[tuple[str, str], Entry] = {}
    anonymous: list[Entry] = []
    for e in entries:
        rid = resource_id(e.resource)
        if rid is None:
            anonymous.append(e)
            continue
        key = (resource_type(e.resource), rid)
        current = chosen.get(key)
        if current is None or _version(e) > _version(current):
            chosen[key] = e
    return sorted([*chosen.values(), *anonymous], key=_order_key)


def _version(entry: Entry) -> tuple[str, str]:
    meta = entry.resource.get("meta")
    updated = text(meta.get("lastUpdated")) if isinstance(meta, Mapping) else None
    return (updated or "", _canonical(entry.resource))


def _medication_index(entries: list[Entry]) -> dict[str, JsonObj]:
    index: dict[str, JsonObj] = {}
    for e in entries:
        if e.resource.get("resourceType") == "Medication":
            rid = resource_id(e.resource)
            if rid:
                index[f"Medication/{rid}"] = e.resource
            if e.full_url:
                index[e.full_url] = e.resource
    return index


def _build(items: Any, patient_id: str | None, today: dt.date) -> GistCase:
    found = assemble.Findings()
    entries: list[Entry] = []
    for item in iter_entries(items):
        if isinstance(item, UnreadableInput):
            found.unreadable.append(item)
        elif item.resource.get("resourceType") == "OperationOutcome":
            note = outcome_note(item)
            if note is not None:
                found.unreadable.append(note)
        elif not item.outcome:
            entries.append(item)

    # Medications that name a TKI are validated first; an invalid one cannot identify a drug.
    med_index = _medication_index(entries)
    for key, med in sorted(med_index.items()):
        if medications.drugs_in(med.get("code")):
            problem = validation_problem(med)
            if problem is not None:
                found.unreadable.append(problem)
                del med_index[key]

    relevant = [
        e for e in entries if family(e.resource, med_index) not in (None, Family.MEDICATION)
    ]
    patient_urls = {
        e.full_url: rid
        for e in entries
        if e.full_url and e.resource.get("resourceType") == "Patient"
        if (rid := resource_id(e.resource))
    }
    pid, ambiguity = choose_patient(relevant, patient_id, patient_urls)
    if ambiguity is not None:
        found.unreadable.append(ambiguity)
        relevant = []
    mine: list[Entry] = []
    for e in relevant:
        note = foreign(e, pid, patient_urls)
        if note is not None:
            found.unreadable.append(note)
        else:
            mine.append(e)

    for e in _dedupe(mine):
        problem = validation_problem(e.resource)
        if problem is not None:
            found.unreadable.append(problem)
            found.unreadable_kinds.add(_kind_label(e.resource))
            continue
        if is_excluded(e.resource):
            continue
        try:
            _extract(e, med_index, found)
        except Exception as exc:  # one odd resource must not lose the others
            found.unreadable.append(
                UnreadableInput(
                    resource_type(e.resource),
                    resource_id(e.resource),
                    f"could not be mapped ({type(exc).__name__})",
                )
            )
    return assemble.case(found, pid, today)


def _kind_label(resource: JsonObj) -> str:
    if performance.scale_of(resource) is not None:
        return performance.KIND
    if resource.get("resourceType") == "Observation":
        kind = observations.kind_of(resource)
        return kind.value if kind else "Observation"
    return resource_type(resource)


_OBS_READERS = {
    ObsKind.SIZE: ("sizes", observations.size),
    ObsKind.MITOSES: ("mitoses", observations.mitoses),
    ObsKind.RUPTURE: ("rupture", observations.rupture),
    ObsKind.MARGIN: ("margin", observations.margin),
    ObsKind.RESECTABILITY: ("resectability", observations.resectability),
    ObsKind.EUS: ("eus", observations.eus),
}


def _extract(entry: Entry, med_index: Mapping[str, JsonObj], found: assemble.Findings) -> None:
    r = entry.resource
    kind = r.get("resourceType")
    if kind == "Patient":
        found.patients.append(r)
    elif kind == "Condition":
        _extract_condition(entry, found)
    elif kind == "Observation":
        _extract_observation(r, found)
    elif kind == "Procedure":
        found.procedures.append(r)
    elif kind in medications.MEDICATION_USE_TYPES:
        reading = medications.read(r, med_index)
        if reading.problem is not None:
            found.note_unreadable(r, reading.problem, "TKI therapy")
        found.courses.extend(reading.courses)
        if reading.dose_problem is not None:
            found.unreadable.append(
                UnreadableInput(
                    resource_type(r), resource_id(r), f"daily dose unknown: {reading.dose_problem}"
                )
            )


def _extract_condition(entry: Entry, found: assemble.Findings) -> None:
    r = entry.resource
    if conditions.is_primary_gist(r) and conditions.is_differential(r):
        found.note_unreadable(
            r,
            "GIST is only a differential diagnosis here (verificationStatus differential); "
            "it is not taken as the diagnosis until confirmed",
            "Condition",
        )
    elif conditions.is_primary_gist(r):
        found.primaries.append(r)
        if entry.full_url:
            found.primary_urls.add(entry.full_url)
    if conditions.is_other_cancer(r):
        found.other_cancers.append(r)
    if conditions.is_metastasis(r):
        found.metastases.append(r)
    if conditions.is_nf1(r):
        found.nf1.append(conditions.provenance(r))
    if conditions.is_rupture(r):
        found.rupture.append(Candidate(True, conditions.provenance(r)))
    for finding in conditions.emergencies(r):
        found.emergencies.append(finding)
        found.emergency_days[finding.source] = conditions.emergency_day(r)


def _extract_observation(r: JsonObj, found: assemble.Findings) -> None:
    if performance.scale_of(r) is not None:
        status = performance.reading(r)
        if isinstance(status, Candidate):
            found.performance.append(status)
        else:
            found.note_unreadable(r, status, performance.KIND)
        return
    kind = observations.kind_of(r)
    if kind is None or text(r.get("status")) in observations.NOT_A_RESULT:
        return
    if observations.is_preliminary(r):
        found.preliminary.append(observations.provenance(r))
    result: object
    if kind in _OBS_READERS:
        attr, reader = _OBS_READERS[kind]
        result = reader(r)
        if isinstance(result, Candidate):
            result = dataclasses.replace(result, rank=observations.rank(r))
            getattr(found, attr).append(result)
            evidence = observations.resection_evidence(r, kind)
            if evidence is not None:
                found.resection_evidence.append(evidence)
            if kind is ObsKind.SIZE:
                found.size_targets[result.source] = observations.size_targets(r)
                found.note_size_focus(r)
        elif kind in (ObsKind.SIZE, ObsKind.MITOSES):
            found.unread_values.setdefault(kind.value, []).append(
                (observations.provenance(r), str(result))
            )
    elif kind is ObsKind.RESPONSE:
        result = observations.response(r)
        if isinstance(result, observations.ResponseReading):
            found.responses.append(result)
    elif kind is ObsKind.VARIANT:
        result = genomics.variant(r)
        if isinstance(result, genomics.VariantFinding):
            found.variants.append(result)
    else:
        result = observations.flag(r, kind)
        if isinstance(result, Candidate):
            result = dataclasses.replace(result, rank=observations.rank(r))
            (found.ntrk if kind is ObsKind.NTRK else found.sdh).append(result)
    if isinstance(result, str):
        found.note_unreadable(r, result, kind.value)
