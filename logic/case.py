"""The GIST case: every fact the guideline logic reads, as plain frozen dataclasses.

This module is the contract between `fhir_mappings/` (which builds a case from FHIR data) and
`logic/` (which reads it). It imports nothing outside the standard library, so the rules can be
tested with hand-built cases. Each fact is wrapped in `Fact`: it is KNOWN (with the resources it
came from), UNKNOWN (no usable data; the reason is said) or CONFLICTING (sources disagree; the
candidate values are kept). The logic never guesses an unknown or conflicting fact.

Fact names follow section 1.0 of the knowledge base (`shared/knowledge/gist-knowledge.md`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Generic, TypeVar

T = TypeVar("T")


class FactStatus(StrEnum):
    KNOWN = "known"
    UNKNOWN = "unknown"
    CONFLICTING = "conflicting"


@dataclass(frozen=True, slots=True)
class Provenance:
    """Where a value came from: the FHIR resource and the clinically relevant date."""

    resource_type: str
    resource_id: str | None
    date: dt.date | None = None

    def label(self) -> str:
        ref = f"{self.resource_type}/{self.resource_id}" if self.resource_id else self.resource_type
        return f"{ref} ({self.date.isoformat()})" if self.date else ref


@dataclass(frozen=True, slots=True)
class Fact(Generic[T]):
    """One fact of the case with its status, value, sources and a note (why unknown/conflicting)."""

    status: FactStatus
    value: T | None = None
    sources: tuple[Provenance, ...] = ()
    note: str | None = None
    candidates: tuple[T, ...] = ()

    @classmethod
    def known(cls, value: T, *sources: Provenance, note: str | None = None) -> Fact[T]:
        return cls(FactStatus.KNOWN, value, tuple(sources), note)

    @classmethod
    def unknown(cls, note: str | None = None) -> Fact[T]:
        return cls(FactStatus.UNKNOWN, None, (), note)

    @classmethod
    def conflicting(
        cls, candidates: tuple[T, ...], sources: tuple[Provenance, ...], note: str
    ) -> Fact[T]:
        return cls(FactStatus.CONFLICTING, None, sources, note, candidates)

    @property
    def is_known(self) -> bool:
        return self.status is FactStatus.KNOWN

    def get(self) -> T:
        """The value of a KNOWN fact; calling it on any other fact is a programming error."""
        if self.status is not FactStatus.KNOWN or self.value is None:
            raise ValueError(f"fact is {self.status.value}, not known")
        return self.value


# --- categorical facts -------------------------------------------------------------------------


class Site(StrEnum):
    """Primary site. SMALL_INTESTINE = small bowel not further specified (ICD-10-CM C49.A3)."""

    STOMACH = "stomach"
    DUODENUM = "duodenum"
    JEJUNUM = "jejunum"
    ILEUM = "ileum"
    SMALL_INTESTINE = "small-intestine"
    COLON = "colon"
    RECTUM = "rectum"
    OESOPHAGUS = "oesophagus"
    OTHER = "other"  # omentum, mesentery, other extra-GI (C49.A9)


class DiseaseState(StrEnum):
    LOCALIZED = "localized"
    METASTATIC = "metastatic"
    RECURRENT = "recurrent"


class Resectability(StrEnum):
    RESECTABLE = "resectable"
    MARGINALLY_RESECTABLE = "marginally-resectable"
    UNRESECTABLE = "unresectable"


class Margin(StrEnum):
    R0 = "R0"
    R1 = "R1"
    R2 = "R2"


class SizeSource(StrEnum):
    PATHOLOGY = "pathology"
    IMAGING = "imaging"


class EusFeature(StrEnum):
    IRREGULAR_BORDER = "irregular-border"
    CYSTIC_SPACES = "cystic-spaces"
    ULCERATION = "ulceration"
    ECHOGENIC_FOCI = "echogenic-foci"
    HETEROGENEITY = "heterogeneity"


class Genotype(StrEnum):
    KIT_EXON_11 = "kit-exon-11"
    KIT_EXON_9 = "kit-exon-9"
    KIT_OTHER = "kit-other"
    PDGFRA_D842V = "pdgfra-d842v"
    PDGFRA_OTHER = "pdgfra-other"
    SDH_DEFICIENT = "sdh-deficient"
    NF1 = "nf1"
    BRAF_V600E = "braf-v600e"
    NTRK_FUSION = "ntrk-fusion"
    WILD_TYPE = "wild-type"  # KIT and PDGFRA tested, no variant, no other subtype known


class MetastaticSite(StrEnum):
    LIVER = "liver"
    PERITONEUM = "peritoneum"
    LUNG = "lung"
    BONE = "bone"
    LYMPH_NODE = "lymph-node"
    OTHER = "other"


class Drug(StrEnum):
    IMATINIB = "imatinib"
    SUNITINIB = "sunitinib"
    REGORAFENIB = "regorafenib"
    RIPRETINIB = "ripretinib"
    AVAPRITINIB = "avapritinib"
    SORAFENIB = "sorafenib"
    NILOTINIB = "nilotinib"
    DASATINIB = "dasatinib"
    PAZOPANIB = "pazopanib"
    LAROTRECTINIB = "larotrectinib"
    ENTRECTINIB = "entrectinib"
    DABRAFENIB = "dabrafenib"
    TRAMETINIB = "trametinib"


class TherapyStatus(StrEnum):
    ACTIVE = "active"
    COMPLETED = "completed"
    STOPPED = "stopped"
    ON_HOLD = "on-hold"


class TherapySetting(StrEnum):
    NEOADJUVANT = "neoadjuvant"
    ADJUVANT = "adjuvant"
    ADVANCED = "advanced"  # a line for metastatic / recurrent / unresectable disease


class StopReason(StrEnum):
    PROGRESSION = "progression"  # SNOMED 266721009 no response to treatment
    INTOLERANCE = "intolerance"  # SNOMED 407563006 treatment not tolerated
    OTHER = "other"


class ResponseStatus(StrEnum):
    IMPROVED = "improved"
    STABLE = "stable"
    WORSENED = "worsened"
    UNDETERMINED = "undetermined"


class EmergencyKind(StrEnum):
    PERFORATION = "perforation"
    COMPLETE_OBSTRUCTION = "complete-obstruction"
    OBSTRUCTION = "obstruction"  # not qualified as complete
    REFRACTORY_BLEEDING = "refractory-bleeding"
    BLEEDING = "bleeding"  # not qualified as refractory
    RUPTURE_WITH_HAEMORRHAGE = "rupture-with-haemorrhage"
    ABSCESS = "abscess"


class Certainty(StrEnum):
    DEFINITE = "definite"
    POSSIBLE = "possible"


class ResectionStatus(StrEnum):
    """Whether the primary was resected. UNKNOWN when the Procedure data could not be obtained or
    read, or a resection is evidenced (margin, resection specimen) without its Procedure (P6)."""

    RESECTED = "resected"
    NOT_RESECTED = "not-resected"
    UNKNOWN = "unknown"


class PerformanceScale(StrEnum):
    ECOG = "ECOG"  # LOINC 89247-1, 0 (fully active) to 4 (bedbound)
    KARNOFSKY = "Karnofsky"  # LOINC 89243-0, 0-100


# --- composite facts ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Diagnosis:
    """The primary GIST Condition."""

    condition_id: str | None
    diagnosis_date: dt.date | None


@dataclass(frozen=True, slots=True)
class PrimaryTumour:
    """One primary GIST Condition with its own site and size (K2: several primaries)."""

    condition_id: str | None
    site: Site | None
    size_cm: float | None
    source: Provenance


@dataclass(frozen=True, slots=True)
class PerformanceStatus:
    """ECOG (0-4) or Karnofsky (0-100) performance status (K1)."""

    scale: PerformanceScale
    score: int
    date: dt.date | None

    def label(self) -> str:
        return (
            f"ECOG {self.score}"
            if self.scale is PerformanceScale.ECOG
            else (f"Karnofsky {self.score}%")
        )


@dataclass(frozen=True, slots=True)
class Resection:
    date: dt.date | None
    procedure_id: str | None


@dataclass(frozen=True, slots=True)
class TumourSize:
    cm: float
    source: SizeSource
    date: dt.date | None


@dataclass(frozen=True, slots=True)
class MitoticCount:
    """Mitoses per 5 mm² (per 50 HPF is treated as equal). A count on another denominator is
    kept with `comparable=False` and its raw unit, and must go to pathology review."""

    value: float
    comparable: bool = True
    raw_unit: str | None = None


@dataclass(frozen=True, slots=True)
class EusFindings:
    assessed: frozenset[EusFeature]
    present: frozenset[EusFeature]


@dataclass(frozen=True, slots=True)
class Metastasis:
    site: MetastaticSite
    source: Provenance
    onset: dt.date | None = None


@dataclass(frozen=True, slots=True)
class TkiCourse:
    """One TKI course. `line` numbers advanced-disease lines (1-based) and is None for
    neoadjuvant/adjuvant courses; an imatinib dose escalation keeps the line of its 400 mg
    course."""

    drug: Drug
    daily_dose_mg: float | None
    start: dt.date | None
    end: dt.date | None
    status: TherapyStatus
    setting: TherapySetting
    line: int | None
    stop_reason: StopReason | None
    source: Provenance
    #: G18: the setting a course started in when it became advanced-disease line 1 because
    #: metastasis or recurrence was first recorded while it ran (or it stopped for progression).
    started_as: TherapySetting | None = None


@dataclass(frozen=True, slots=True)
class ResponseAssessment:
    status: ResponseStatus
    date: dt.date | None
    progressing_lesions: int | None = None  # counted from per-lesion or component data


@dataclass(frozen=True, slots=True)
class EmergencyFinding:
    kind: EmergencyKind
    certainty: Certainty
    source: Provenance


@dataclass(frozen=True, slots=True)
class UnreadableInput:
    """A resource (or part of one) that could not be used, named so the card can say so."""

    resource_type: str
    resource_id: str | None
    reason: str


@dataclass(frozen=True, slots=True)
class GistCase:
    """All facts about one patient's GIST. Built once per hook call, read by every rule."""

    diagnosis: Fact[Diagnosis] = field(default_factory=Fact.unknown)
    site: Fact[Site] = field(default_factory=Fact.unknown)
    disease_state: Fact[DiseaseState] = field(default_factory=Fact.unknown)
    resection: Fact[Resection] = field(default_factory=Fact.unknown)
    resected: bool = False
    #: Why resection status is unknown (P6); None means `resected` is the answer.
    resection_unknown: str | None = None
    margin: Fact[Margin] = field(default_factory=Fact.unknown)
    resectability: Fact[Resectability] = field(default_factory=Fact.unknown)
    tumour_size: Fact[TumourSize] = field(default_factory=Fact.unknown)
    size_history: tuple[TumourSize, ...] = ()  # oldest first, for growth under surveillance
    mitotic_count: Fact[MitoticCount] = field(default_factory=Fact.unknown)
    rupture: Fact[bool] = field(default_factory=Fact.unknown)
    eus: Fact[EusFindings] = field(default_factory=Fact.unknown)
    genotype: Fact[Genotype] = field(default_factory=Fact.unknown)
    metastases: tuple[Metastasis, ...] = ()
    tki_history: tuple[TkiCourse, ...] = ()  # ordered by start date
    response: Fact[ResponseAssessment] = field(default_factory=Fact.unknown)
    emergencies: tuple[EmergencyFinding, ...] = ()
    age_years: Fact[int] = field(default_factory=Fact.unknown)
    performance_status: Fact[PerformanceStatus] = field(default_factory=Fact.unknown)
    #: The primary GIST tumours when Conditions name two or more different sites (K2); else ().
    primaries: tuple[PrimaryTumour, ...] = ()
    deceased: bool = False
    patient_id: str | None = None
    gist_condition_id: str | None = None
    unreadable: tuple[UnreadableInput, ...] = ()
    #: Results used although only preliminary (input profile, "Result status"): cards that rely
    #: on one of them say so.
    preliminary_sources: tuple[Provenance, ...] = ()
    as_of: dt.date | None = None  # the day the case was built: facts are aged against it

    @property
    def has_gist(self) -> bool:
        return self.diagnosis.is_known

    @property
    def resection_status(self) -> ResectionStatus:
        """A found resection wins; otherwise unknown when a reason is recorded (P6)."""
        if self.resected or self.resection.is_known:
            return ResectionStatus.RESECTED
        if self.resection_unknown is not None:
            return ResectionStatus.UNKNOWN
        return ResectionStatus.NOT_RESECTED

    @property
    def multiple_primaries(self) -> bool:
        """Two or more GIST primaries at different sites (K2); the mapping lists them only then."""
        return len(self.primaries) > 1

    @property
    def advanced_courses(self) -> tuple[TkiCourse, ...]:
        return tuple(c for c in self.tki_history if c.setting is TherapySetting.ADVANCED)

    @property
    def current_course(self) -> TkiCourse | None:
        """The active (or on-hold) TKI course with the latest start, if any."""
        live = [
            c for c in self.tki_history if c.status in (TherapyStatus.ACTIVE, TherapyStatus.ON_HOLD)
        ]
        return live[-1] if live else None


#: Names of the case fields, used by the rule registry to check that rules read real facts.
CASE_FIELDS: frozenset[str] = frozenset(GistCase.__dataclass_fields__)
