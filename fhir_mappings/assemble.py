"""From the extracted findings to the `GistCase`: choices between sources, derived facts
(disease state, TKI settings and lines) and the notes that say why a fact is unknown."""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from typing import TypeVar

from fhir_mappings import (
    codes,
    conditions,
    dates,
    genomics,
    medications,
    patient,
    procedures,
    response,
    therapy_lines,
)
from fhir_mappings.jsonpath import JsonObj, obj, resource_id, resource_type
from fhir_mappings.medications import RawCourse
from fhir_mappings.observations import ResponseReading
from fhir_mappings.selection import Candidate, latest, sort_sources, source_key
from logic.case import (
    Diagnosis,
    DiseaseState,
    EmergencyFinding,
    EusFindings,
    Fact,
    FactStatus,
    Genotype,
    GistCase,
    Margin,
    Metastasis,
    MitoticCount,
    PerformanceStatus,
    PrimaryTumour,
    Provenance,
    Resectability,
    Resection,
    Site,
    SizeSource,
    TumourSize,
    UnreadableInput,
)

T = TypeVar("T")


@dataclass
class Findings:
    """Everything read from valid, relevant resources, before any choice is made."""

    unreadable: list[UnreadableInput] = field(default_factory=list)
    unreadable_kinds: set[str] = field(default_factory=set)
    patients: list[JsonObj] = field(default_factory=list)
    primaries: list[JsonObj] = field(default_factory=list)
    primary_urls: set[str] = field(default_factory=set)
    metastases: list[JsonObj] = field(default_factory=list)
    nf1: list[Provenance] = field(default_factory=list)
    emergencies: list[EmergencyFinding] = field(default_factory=list)
    procedures: list[JsonObj] = field(default_factory=list)
    courses: list[RawCourse] = field(default_factory=list)
    sizes: list[Candidate[TumourSize]] = field(default_factory=list)
    #: focus Condition references and bodySite codes of each size, by its source
    size_targets: dict[Provenance, tuple[tuple[str, ...], tuple[str, ...]]] = field(
        default_factory=dict
    )
    #: size / mitotic-count values that could not be read (source, why), by fact kind
    unread_values: dict[str, list[tuple[Provenance, str]]] = field(default_factory=dict)
    mitoses: list[Candidate[MitoticCount]] = field(default_factory=list)
    rupture: list[Candidate[bool]] = field(default_factory=list)
    margin: list[Candidate[Margin]] = field(default_factory=list)
    resectability: list[Candidate[Resectability]] = field(default_factory=list)
    eus: list[Candidate[EusFindings]] = field(default_factory=list)
    responses: list[ResponseReading] = field(default_factory=list)
    variants: list[genomics.VariantFinding] = field(default_factory=list)
    sdh: list[Candidate[bool]] = field(default_factory=list)
    ntrk: list[Candidate[bool]] = field(default_factory=list)
    #: Why a resection may have happened although no resection Procedure was read (P6): e.g. a
    #: margin Observation or a resection-specimen pathology report without its Procedure.
    resection_doubts: list[str] = field(default_factory=list)
    preliminary: list[Provenance] = field(default_factory=list)
    #: Observations that show a resection happened (margin, resection-specimen pathology)
    resection_evidence: list[str] = field(default_factory=list)
    other_cancers: list[JsonObj] = field(default_factory=list)
    emergency_days: dict[Provenance, dt.date | None] = field(default_factory=dict)
    performance: list[Candidate[PerformanceStatus]] = field(default_factory=list)
    #: Observation id of each tumour size -> the Condition references in its `focus` (K2).
    size_focus: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def note_size_focus(self, observation: JsonObj) -> None:
        rid = resource_id(observation)
        focus = observation.get("focus")
        if rid and isinstance(focus, list):
            refs = (f.get("reference") for f in focus if isinstance(f, dict))
            self.size_focus[rid] = tuple(r for r in refs if isinstance(r, str))

    def note_unreadable(self, resource: JsonObj, reason: str, kind: str) -> None:
        self.unreadable.append(
            UnreadableInput(resource_type(resource), resource_id(resource), reason)
        )
        self.unreadable_kinds.add(kind)

    def missing(self, kind: str, what: str) -> str:
        """The note of an unknown fact: nothing sent, or only unreadable resources."""
        if kind in self.unreadable_kinds:
            return f"only unreadable {kind} data (see unreadable inputs)"
        return f"no {what}"


def _primary(found: Findings) -> JsonObj | None:
    """The earliest-onset primary GIST Condition (then lowest id) when several are sent."""
    if not found.primaries:
        return None
    return min(
        found.primaries,
        key=lambda c: (dates.onset_date(c) or dt.date.max, resource_id(c) or ""),
    )


_SMALL_BOWEL_PARTS = frozenset({Site.DUODENUM, Site.JEJUNUM, Site.ILEUM})


def _site(found: Findings) -> Fact[Site]:
    cands = [
        Candidate(s, conditions.provenance(c))
        for c in found.primaries
        if (s := conditions.site_of(c)) is not None
    ]
    if not cands:
        what = "bodySite or site-specific ICD-10-CM code on the GIST Condition"
        return Fact.unknown(
            found.missing("Condition", what) if found.primaries else "no GIST Condition"
        )
    sites = {c.value for c in cands}
    if Site.SMALL_INTESTINE in sites and len(sites - {Site.SMALL_INTESTINE}) == 1:
        sites -= {Site.SMALL_INTESTINE}  # jejunum etc. refines "small intestine"
        if sites <= _SMALL_BOWEL_PARTS:
            cands = [c for c in cands if c.value in sites]
    if len({c.value for c in cands}) > 1:
        return Fact.conflicting(
            tuple(sorted({c.value for c in cands})),
            sort_sources([c.source for c in cands]),
            "GIST Conditions name different primary sites",
        )
    return Fact.known(cands[0].value, *sort_sources([c.source for c in cands]))


def _distinct_sites(sites: set[Site]) -> set[Site]:
    """Sites of different organs: "small intestine" is the same organ as a named part of it."""
    if Site.SMALL_INTESTINE in sites and sites & _SMALL_BOWEL_PARTS:
        return sites - {Site.SMALL_INTESTINE}
    return sites


def multiple_primaries(found: Findings) -> tuple[PrimaryTumour, ...]:
    """K2: one PrimaryTumour per organ when the GIST Conditions name two or more different
    sites (each with the latest size whose `focus` names it); () otherwise. Conditions for the
    same site are duplicates of one primary (the earliest is kept)."""
    by_site: dict[Site, list[JsonObj]] = {}
    for c in found.primaries:
        if (s := conditions.site_of(c)) is not None:
            by_site.setdefault(s, []).append(c)
    sites = _distinct_sites(set(by_site))
    if len(sites) < 2:
        return ()
    tumours = []
    for s in sorted(sites, key=lambda x: x.value):
        first = min(
            by_site[s], key=lambda c: (dates.onset_date(c) or dt.date.max, resource_id(c) or "")
        )
        cid = resource_id(first)
        sizes = [
            cand
            for cand in found.sizes
            if any(
                conditions.references_condition(ref, cid)
                for ref in found.size_focus.get(cand.source.resource_id or "", ())
            )
        ]
        size = latest(sizes, "no size")
        cm = size.value.cm if size.is_known and size.value else None
        tumours.append(PrimaryTumour(cid, s, cm, conditions.provenance(first)))
    return tuple(tumours)


def _metastasis_day(c: JsonObj) -> dt.date | None:
    return dates.condition_date(c)


def _disease_state(
    found: Findings, primary: JsonObj | None, resection: dt.date | None
) -> Fact[DiseaseState]:
    """Recurrence status on the GIST Condition -> recurrent; a metastasis first seen after the
    resection -> recurrent; any other metastasis -> metastatic; none -> localized (DESIGN)."""
    if primary is None:
        return Fact.unknown("no GIST Condition")
    recurrent = [c for c in found.primaries if conditions.is_recurrent(c)]
    if recurrent:
        srcs = sort_sources([conditions.provenance(c) for c in recurrent])
        return Fact.known(DiseaseState.RECURRENT, *srcs, note="GIST Condition clinicalStatus")
    if found.metastases:
        srcs = sort_sources([conditions.provenance(c) for c in found.metastases])
        first = _first_event(found)
        if resection is not None and first is not None and first > resection:
            return Fact.known(
                DiseaseState.RECURRENT, *srcs, note="metastasis first recorded after resection"
            )
        return Fact.known(DiseaseState.METASTATIC, *srcs)
    return Fact.known(
        DiseaseState.LOCALIZED,
        conditions.provenance(primary),
        note="no metastasis or recurrence recorded",
    )


def _first_event(found: Findings) -> dt.date | None:
    days = [d for c in found.metastases if (d := _metastasis_day(c)) is not None]
    return min(days) if days else None


def _resection(found: Findings) -> tuple[Fact[Resection], bool]:
    gist = procedures.Gist(
        frozenset(i for c in found.primaries if (i := resource_id(c))),
        frozenset(found.primary_urls),
        frozenset(s for c in found.primaries if (s := conditions.site_of(c)) is not None),
    )
    cands: list[Candidate[Resection]] = []
    for p in found.procedures:
        result = procedures.resection(p, gist)
        if isinstance(result, Candidate):
            cands.append(result)
        elif isinstance(result, str):
            found.resection_doubts.append(f"Procedure/{resource_id(p)}: {result}")
    if not cands:
        if found.resection_evidence:
            found.resection_doubts.extend(found.resection_evidence)
        return Fact.unknown(found.missing("Procedure", "completed resection Procedure")), False
    first = min(cands, key=lambda c: (c.value.date or dt.date.max, source_key(c.source)))
    note = f"earliest of {len(cands)} resections" if len(cands) > 1 else None
    return Fact.known(first.value, first.source, note=note), True


def _not_superseded(fact: Fact[T], found: Findings, kind: str) -> Fact[T]:
    """A value that could not be read (e.g. '>5 cm') and is at least as recent as the value
    chosen makes the fact unknown: the older value is not silently used instead."""
    unread = found.unread_values.get(kind, [])
    if not unread or fact.status is FactStatus.UNKNOWN:
        return fact
    newest = max(unread, key=lambda u: (u[0].date or dt.date.min, source_key(u[0])))
    chosen_day = max((p.date or dt.date.min for p in fact.sources), default=None)
    newer_value = chosen_day is not None and (newest[0].date or dt.date.min) < chosen_day
    if fact.status is FactStatus.KNOWN and newer_value:
        return fact
    return Fact.unknown(f"the latest {kind} ({newest[0].label()}) is {newest[1]}")


_OTHER_ORGANS = frozenset(codes.METASTASIS_SITE_SNOMED)


def _primary_size(found: Findings, size: Candidate[TumourSize]) -> bool:
    """False when the size names another Condition as its focus, or another organ as its
    bodySite (input profile, "Whose size")."""
    focus, sites = found.size_targets.get(size.source, ((), ()))
    ids = {i for c in found.primaries if (i := resource_id(c))}
    if focus and not any(
        ref in found.primary_urls or any(conditions.references_condition(ref, i) for i in ids)
        for ref in focus
    ):
        return False
    if any(code in _OTHER_ORGANS for code in sites):
        return False
    primary_sites = {s for c in found.primaries if (s := conditions.site_of(c)) is not None}
    named = {codes.SITE_SNOMED[code] for code in sites if code in codes.SITE_SNOMED}
    return not (named and primary_sites and not _same_organ(named, primary_sites))


def _same_organ(a: set[Site], b: set[Site]) -> bool:
    return bool(_organs(a) & _organs(b))


def _organs(sites: set[Site]) -> set[Site]:
    """Sites with duodenum / jejunum / ileum read as small intestine (one organ)."""
    small = _SMALL_BOWEL_PARTS | {Site.SMALL_INTESTINE}
    return {Site.SMALL_INTESTINE if s in small else s for s in sites}


def _sizes(found: Findings) -> list[Candidate[TumourSize]]:
    return [c for c in found.sizes if _primary_size(found, c)]


PROCEDURE_UNREADABLE = "Procedure data could not be read"


def resection_unknown_reason(found: Findings, resected: bool) -> str | None:
    """Why resection status is unknown (P6), or None: a resection found settles it; otherwise an
    unreadable Procedure or recorded evidence of a resection leaves it open (never "not
    resected")."""
    if resected:
        return None
    reasons = list(dict.fromkeys(found.resection_doubts))
    if "Procedure" in found.unreadable_kinds or any(
        u.resource_type == "Procedure" for u in found.unreadable
    ):
        reasons.insert(0, PROCEDURE_UNREADABLE)
    return "; ".join(reasons) if reasons else None


def mark_resection_unknown(case: GistCase, reason: str) -> GistCase:
    """The case with resection status unknown for `reason` (e.g. the Procedure fetch failed),
    unless a resection was found anyway."""
    if case.resected or case.resection.is_known:
        return case
    joined = f"{case.resection_unknown}; {reason}" if case.resection_unknown else reason
    return dataclasses.replace(case, resection_unknown=joined)


def _size(found: Findings, resected: bool) -> Fact[TumourSize]:
    return _not_superseded(_size_of_primary(found, resected), found, "tumour size")


def _size_of_primary(found: Findings, resected: bool) -> Fact[TumourSize]:
    cands = _sizes(found)
    pathology = [c for c in cands if c.value.source is SizeSource.PATHOLOGY]
    missing = found.missing("tumour size", "tumour size Observation (LOINC 21889-1 / 33728-7)")
    if resected and pathology:
        fact = latest(pathology, missing)
        if fact.is_known and len(pathology) < len(cands):
            return Fact.known(
                fact.get(), *fact.sources, note="pathology size preferred after resection"
            )
        return fact
    return latest(cands, missing)


def _metastases(found: Findings) -> tuple[Metastasis, ...]:
    active = [c for c in found.metastases if conditions.is_active(c)]
    items = {
        Metastasis(conditions.metastatic_site(c), conditions.provenance(c), dates.onset_date(c))
        for c in active
    }
    return tuple(sorted(items, key=lambda m: (m.site.value, source_key(m.source))))


def _emergencies(found: Findings) -> tuple[EmergencyFinding, ...]:
    return tuple(
        sorted(
            set(found.emergencies),
            key=lambda e: (e.kind.value, e.certainty.value, source_key(e.source)),
        )
    )


def _unreadable(found: Findings) -> tuple[UnreadableInput, ...]:
    return tuple(
        sorted(
            set(found.unreadable), key=lambda u: (u.resource_type, u.resource_id or "", u.reason)
        )
    )


def _genotype(found: Findings) -> Fact[Genotype]:
    fact = genomics.genotype(found.variants, found.sdh, found.ntrk, found.nf1)
    if fact.status is FactStatus.UNKNOWN and "genetic variant" in found.unreadable_kinds:
        return Fact.unknown(
            f"{fact.note}; some genetic variant data unreadable (see unreadable inputs)"
        )
    return fact


def _patient(found: Findings, pid: str | None) -> JsonObj | None:
    mine = [p for p in found.patients if pid is None or resource_id(p) == pid]
    return min(mine, key=lambda p: resource_id(p) or "") if mine else None


def _is_gist_ref(found: Findings, ref: str) -> bool:
    ids = {i for c in found.primaries if (i := resource_id(c))}
    return ref in found.primary_urls or any(conditions.references_condition(ref, i) for i in ids)


def _screen_metastases(found: Findings) -> None:
    """Keep only confirmed metastases of the GIST: one linked to another primary is not a GIST
    metastasis, a provisional / unconfirmed / differential one is only possible; both are named
    so the pathway never switches, or stays, silently (input profile, "Metastases and other
    cancers")."""
    kept: list[JsonObj] = []
    for m in found.metastases:
        linked = conditions.related_primaries(m)
        if linked and not any(_is_gist_ref(found, ref) for ref in linked):
            found.note_unreadable(
                m,
                f"metastasis linked to {', '.join(linked)}, not to the GIST: not counted as a "
                "GIST metastasis",
                "metastasis",
            )
        elif conditions.is_tentative(m):
            status = conditions.verification(m)
            found.note_unreadable(
                m,
                f"possible metastasis (verificationStatus {status}): not counted until confirmed; "
                "if confirmed the disease is advanced",
                "metastasis",
            )
        else:
            kept.append(m)
    found.metastases = kept
    if found.primaries:
        for other in found.other_cancers:
            found.note_unreadable(
                other,
                f"another primary cancer is recorded ({conditions.cancer_label(other)}): "
                "metastases may come from it; review the GIST recommendation with it in mind",
                "other cancer",
            )


def _screen_emergencies(found: Findings, today: dt.date) -> None:
    """An emergency counts only when dated within EMERGENCY_CURRENT_DAYS of today; an undated one
    is named (its currency is unknown), an older one is history."""
    kept: list[EmergencyFinding] = []
    for e in found.emergencies:
        day = found.emergency_days.get(e.source)
        if day is None:
            found.unreadable.append(
                UnreadableInput(
                    "Condition",
                    e.source.resource_id,
                    f"{e.kind.value} without an onset or recorded date: whether it is current "
                    "is unknown",
                )
            )
        elif (today - day).days <= conditions.EMERGENCY_CURRENT_DAYS:
            kept.append(e)
    found.emergencies = kept


def _timed_courses(
    found: Findings, courses: list[RawCourse], resection: Fact[Resection]
) -> list[RawCourse]:
    """Courses whose start is compared with the resection date right (input profile, "Partial
    dates and time zones"): a partial start date that straddles the resection day is named (the
    setting is ambiguous); a zoned start and a zoned resection time are compared as instants,
    so a start dated the day after in its own zone but earlier in time counts as before."""
    if not resection.is_known or resection.value is None or resection.value.date is None:
        return courses
    day = resection.value.date
    procedure = next(
        (p for p in found.procedures if resource_id(p) == resection.value.procedure_id), {}
    )
    written = procedure.get("performedDateTime") or obj(procedure.get("performedPeriod")).get(
        "start"
    )
    cut = dates.zoned_instant(written)
    timed: list[RawCourse] = []
    for c in courses:
        bounds = dates.span(c.start_text)
        if bounds is not None and bounds[0] <= day <= bounds[1] and bounds[0] != bounds[1]:
            found.unreadable.append(
                UnreadableInput(
                    c.source.resource_type,
                    c.source.resource_id,
                    f"{c.drug.value} started '{c.start_text}', which straddles the resection "
                    f"date {day.isoformat()}: whether it was neoadjuvant or adjuvant is unknown",
                )
            )
        timed.append(_as_instants(c, dates.zoned_instant(c.start_text), cut, day))
    return timed


def _name_straddling_metastases(found: Findings, resection: Fact[Resection]) -> None:
    """A metastasis dated only by month or year that straddles the resection date: whether it
    was there before the resection (metastatic) or came after (recurrence) is named."""
    day = resection.value.date if resection.is_known and resection.value else None
    if day is None:
        return
    for m in found.metastases:
        written = m.get("onsetDateTime") or obj(m.get("onsetPeriod")).get("start")
        if written is None:
            written = m.get("recordedDate")
        bounds = dates.span(written)
        if bounds is not None and bounds[0] <= day <= bounds[1] and bounds[0] != bounds[1]:
            found.note_unreadable(
                m,
                f"metastasis dated '{written}', which straddles the resection date "
                f"{day.isoformat()}: whether it is a recurrence or was present at surgery is "
                "unknown",
                "metastasis",
            )


def _as_instants(
    course: RawCourse, moment: dt.datetime | None, cut: dt.datetime | None, day: dt.date
) -> RawCourse:
    """The course with its start on the right side of the resection day when both times are
    zoned and their instants disagree with the dates as written."""
    start = course.start
    if cut is None or moment is None or start is None:
        return course
    if moment < cut and start >= day:
        return dataclasses.replace(course, start=day - dt.timedelta(days=1))
    if moment >= cut and start < day:
        return dataclasses.replace(course, start=day)
    return course


def case(found: Findings, pid: str | None, today: dt.date) -> GistCase:
    _screen_metastases(found)
    _screen_emergencies(found, today)
    primary = _primary(found)
    several = multiple_primaries(found)
    several_note = "several primary GISTs at different sites (each listed with its own size)"
    resection, resected = _resection(found)
    _name_straddling_metastases(found, resection)
    resection_day = resection.value.date if resection.value else None
    state = _disease_state(found, primary, resection_day)
    first_event = _first_event(found)
    # metastasis or recurrence known but not dated: no course can be shown to have started
    # while the disease was localized (D13 needs that), so such courses stay advanced
    recurrent_undated = first_event is None and (
        bool(found.metastases) or any(conditions.is_recurrent(c) for c in found.primaries)
    )
    person = _patient(found, pid)
    diagnosis: Fact[Diagnosis] = Fact.unknown(found.missing("Condition", "primary GIST Condition"))
    if primary is not None:
        note = (
            f"{len(found.primaries)} GIST Conditions; the earliest is used"
            if len(found.primaries) > 1
            else None
        )
        diagnosis = Fact.known(
            Diagnosis(resource_id(primary), dates.onset_date(primary)),
            conditions.provenance(primary),
            note=note,
        )
    return GistCase(
        diagnosis=diagnosis,
        site=Fact.unknown(several_note) if several else _site(found),
        disease_state=state,
        resection=resection,
        resected=resected,
        resection_unknown=resection_unknown_reason(found, resected),
        margin=latest(
            found.margin, found.missing("resection margin", "Observation gist#resection-margin")
        ),
        resectability=latest(
            found.resectability, found.missing("resectability", "Observation gist#resectability")
        ),
        tumour_size=Fact.unknown(several_note) if several else _size(found, resected),
        size_history=tuple(
            sorted(
                {c.value for c in _sizes(found)},
                key=lambda s: (s.date or dt.date.min, s.cm, s.source.value),
            )
        ),
        mitotic_count=_not_superseded(
            latest(found.mitoses, found.missing("mitotic count", "Observation gist#mitotic-count")),
            found,
            "mitotic count",
        ),
        rupture=latest(
            found.rupture,
            found.missing("tumour rupture", "Observation gist#tumor-rupture or rupture Condition"),
        ),
        eus=latest(
            found.eus, found.missing("EUS features", "Observation gist#eus-high-risk-features")
        ),
        genotype=_genotype(found),
        metastases=_metastases(found),
        tki_history=therapy_lines.assign(
            _timed_courses(found, medications.merge_evidence(found.courses, today), resection),
            resection_day,
            first_event,
            recurrent_undated,
        ),
        response=response.latest_response(found.responses),
        emergencies=_emergencies(found),
        performance_status=latest(
            found.performance,
            found.missing("performance status", "ECOG or Karnofsky Observation"),
        ),
        age_years=patient.age(person, today)
        if person is not None
        else Fact.unknown("no Patient resource"),
        deceased=patient.deceased(person) if person is not None else False,
        patient_id=pid,
        gist_condition_id=resource_id(primary) if primary is not None else None,
        primaries=several,
        unreadable=_unreadable(found),
        preliminary_sources=sort_sources(found.preliminary),
        as_of=today,
    )
