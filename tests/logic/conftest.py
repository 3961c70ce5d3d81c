"""Small factories for hand-built GistCases (`make_case`, `course`, `finding`) and helpers.

Every fact given to `make_case` is KNOWN with one provenance; anything left out stays UNKNOWN,
exactly as `fhir_mappings` leaves facts it did not find.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TypeVar

from logic.case import (
    Certainty,
    Diagnosis,
    DiseaseState,
    Drug,
    EmergencyFinding,
    EmergencyKind,
    EusFeature,
    EusFindings,
    Fact,
    Genotype,
    GistCase,
    Margin,
    Metastasis,
    MetastaticSite,
    MitoticCount,
    Provenance,
    Resectability,
    Resection,
    ResponseAssessment,
    ResponseStatus,
    Site,
    SizeSource,
    StopReason,
    TherapySetting,
    TherapyStatus,
    TkiCourse,
    TumourSize,
)
from logic.recommendation import Recommendation

DAY0 = dt.date(2025, 1, 15)
SRC = Provenance("Observation", "obs-1", DAY0)
ALL_EUS = frozenset(EusFeature)
T = TypeVar("T")


def _k(value: T | None) -> Fact[T]:
    return Fact.known(value, SRC) if value is not None else Fact.unknown()


def make_case(
    *,
    site: Site | None = None,
    size: float | None = None,
    size_source: SizeSource = SizeSource.PATHOLOGY,
    mitoses: float | None = None,
    rupture: bool | None = None,
    genotype: Genotype | None = None,
    state: DiseaseState | None = DiseaseState.LOCALIZED,
    resected: bool = False,
    margin: Margin | None = None,
    resectability: Resectability | None = None,
    eus_present: Iterable[EusFeature] | None = None,
    eus_assessed: Iterable[EusFeature] = ALL_EUS,
    metastases: Iterable[MetastaticSite] = (),
    courses: Iterable[TkiCourse] = (),
    response: ResponseStatus | None = None,
    lesions: int | None = None,
    response_date: dt.date | None = dt.date(2026, 6, 1),
    emergencies: Iterable[EmergencyFinding] = (),
    size_history: Iterable[float] = (),
    has_gist: bool = True,
    deceased: bool = False,
    resection_date: dt.date | None = DAY0,
) -> GistCase:
    """A case from plain values; None leaves a fact unknown."""
    eus = (
        EusFindings(frozenset(eus_assessed), frozenset(eus_present))
        if eus_present is not None
        else None
    )
    reply = ResponseAssessment(response, response_date, lesions) if response is not None else None
    return GistCase(
        diagnosis=_k(Diagnosis("cond-1", dt.date(2024, 1, 1)) if has_gist else None),
        site=_k(site),
        disease_state=_k(state),
        resection=_k(Resection(resection_date, "proc-1") if resected else None),
        resected=resected,
        margin=_k(margin),
        resectability=_k(resectability),
        tumour_size=_k(TumourSize(size, size_source, DAY0) if size is not None else None),
        size_history=tuple(TumourSize(s, SizeSource.IMAGING, None) for s in size_history),
        mitotic_count=_k(MitoticCount(mitoses) if mitoses is not None else None),
        rupture=_k(rupture),
        eus=_k(eus),
        genotype=_k(genotype),
        metastases=tuple(
            Metastasis(s, Provenance("Condition", f"met-{i}")) for i, s in enumerate(metastases)
        ),
        tki_history=tuple(courses),
        response=_k(reply),
        emergencies=tuple(emergencies),
        deceased=deceased,
        patient_id="pat-1",
    )


def course(
    drug: Drug,
    dose: float | None = 400,
    *,
    setting: TherapySetting = TherapySetting.ADVANCED,
    line: int | None = 1,
    status: TherapyStatus = TherapyStatus.ACTIVE,
    stop: StopReason | None = None,
    start: dt.date | None = dt.date(2025, 2, 1),
    end: dt.date | None = None,
) -> TkiCourse:
    """A TKI course; a stop reason without an explicit status means the course stopped."""
    if stop is not None and status is TherapyStatus.ACTIVE:
        status = TherapyStatus.STOPPED
    if setting is not TherapySetting.ADVANCED:
        line = None
    return TkiCourse(
        drug, dose, start, end, status, setting, line, stop, Provenance("MedicationStatement", "m1")
    )


def finding(kind: EmergencyKind, certainty: Certainty = Certainty.DEFINITE) -> EmergencyFinding:
    return EmergencyFinding(kind, certainty, Provenance("Condition", "em-1", DAY0))


def ids(recs: Iterable[Recommendation]) -> list[str]:
    return [r.rule_id for r in recs]


def only(recs: Iterable[Recommendation], rule_id: str) -> Recommendation:
    """The single card of a rule (fails the test if there is not exactly one)."""
    found = [r for r in recs if r.rule_id == rule_id]
    assert len(found) == 1, f"expected one {rule_id} card, got {len(found)}: {ids(recs)}"
    return found[0]
