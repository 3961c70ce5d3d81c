"""From the extracted findings to the `GistCase`: choices between sources, derived facts
(disease state, TKI settings and lines) and the notes that say why a fact is unknown."""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field

from fhir_mappings import conditions, dates, genomics, patient, procedures, response, therapy_lines
from fhir_mappings.jsonpath import JsonObj, resource_id, resource_type
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
    ids = frozenset(i for c in found.primaries if (i := resource_id(c)))
    cands = [
        r
        for p in found.procedures
        if (r := procedures.resection(p, ids, frozenset(found.primary_urls))) is not None
    ]
    if not cands:
        return Fact.unknown(found.missing("Procedure", "completed resection Procedure")), False
    first = min(cands, key=lambda c: (c.value.date or dt.date.max, source_key(c.source)))
    note = f"earliest of {len(cands)} resections" if len(cands) > 1 else None
    return Fact.known(first.value, first.source, note=note), True


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
    cands = found.sizes
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


def case(found: Findings, pid: str | None, today: dt.date) -> GistCase:
    primary = _primary(found)
    several = multiple_primaries(found)
    several_note = "several primary GISTs at different sites (each listed with its own size)"
    resection, resected = _resection(found)
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
                {c.value for c in found.sizes},
                key=lambda s: (s.date or dt.date.min, s.cm, s.source.value),
            )
        ),
        mitotic_count=latest(
            found.mitoses, found.missing("mitotic count", "Observation gist#mitotic-count")
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
            found.courses, resection_day, first_event, recurrent_undated
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
        as_of=today,
    )
