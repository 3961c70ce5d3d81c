"""Where a case stands: pathway (§1.1 precedence), genotype group, emergencies, TKI courses, risk.

These are the derived facts the rule modules share, computed from the case only (no guessing:
an unknown or conflicting fact stays unknown and the callers report it).
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass
from enum import StrEnum

from logic.case import (
    Certainty,
    DiseaseState,
    EmergencyKind,
    FactStatus,
    Genotype,
    GistCase,
    Margin,
    Resectability,
    ResectionStatus,
    ResponseStatus,
    Site,
    TherapySetting,
    TherapyStatus,
    TkiCourse,
)
from logic.recommendation import AfipRisk, MissingData, NihRisk, Risk
from logic.risk import afip, nih_modified, nih_modified_row
from logic.rules.common import fact_gap, missing, per_case

# --- genotype groups [S6][S13a] ------------------------------------------------------------------

#: Imatinib-sensitive at 400 mg: KIT exon 11, other KIT, PDGFRA non-D842V (G1, D3, F1).
IMATINIB_400_SENSITIVE = frozenset(
    {Genotype.KIT_EXON_11, Genotype.KIT_OTHER, Genotype.PDGFRA_OTHER}
)
#: No benefit from adjuvant imatinib (F3) and no neoadjuvant imatinib (D5, D6).
NO_IMATINIB_BENEFIT = frozenset({Genotype.PDGFRA_D842V, Genotype.SDH_DEFICIENT, Genotype.NF1})
#: Genotypes the knowledge base does not treat with imatinib at all (D5–D7; G3–G6).
NOT_IMATINIB = NO_IMATINIB_BENEFIT | {Genotype.BRAF_V600E, Genotype.NTRK_FUSION, Genotype.WILD_TYPE}

GENOTYPE_TEXT: dict[Genotype, str] = {
    Genotype.KIT_EXON_11: "KIT exon 11",
    Genotype.KIT_EXON_9: "KIT exon 9",
    Genotype.KIT_OTHER: "KIT (other exon)",
    Genotype.PDGFRA_D842V: "PDGFRA D842V",
    Genotype.PDGFRA_OTHER: "PDGFRA non-D842V",
    Genotype.SDH_DEFICIENT: "SDH-deficient",
    Genotype.NF1: "NF1-associated",
    Genotype.BRAF_V600E: "BRAF V600E",
    Genotype.NTRK_FUSION: "NTRK fusion",
    Genotype.WILD_TYPE: "KIT/PDGFRA wild type",
}


def genotype(case: GistCase) -> Genotype | None:
    """The genotype when KNOWN; unknown and conflicting both give None."""
    return case.genotype.value if case.genotype.is_known else None


def site(case: GistCase) -> Site | None:
    return case.site.value if case.site.is_known else None


def size_cm(case: GistCase) -> float | None:
    return (
        case.tumour_size.value.cm if case.tumour_size.is_known and case.tumour_size.value else None
    )


def resectability(case: GistCase) -> Resectability | None:
    return case.resectability.value if case.resectability.is_known else None


def response_status(case: GistCase) -> ResponseStatus | None:
    return case.response.value.status if case.response.is_known and case.response.value else None


# --- stale facts ---------------------------------------------------------------------------------

#: DESIGN: a decision fact older than this is reported as stale. Imaging follow-up is every 3–6
#: months for most patients (F7 [S6][S5]) and TKI response is monitored at close intervals
#: (D8 [S6][S12]), so an assessment older than 6 months no longer describes the disease.
STALE_AFTER = dt.timedelta(days=183)


def stale_facts(case: GistCase) -> list[MissingData]:
    """Facts a current decision rests on that are older than `STALE_AFTER` on `case.as_of`:
    the response assessment while a TKI is taken for advanced disease, and the tumour size of a
    primary that is not yet resected (surveillance or surgery depends on its current size)."""
    if case.as_of is None:
        return []
    items: list[MissingData] = []
    live = [c for c in case.advanced_courses if is_live(c)]
    assessed = case.response.value.date if case.response.is_known and case.response.value else None
    if live and assessed is not None and case.as_of - assessed > STALE_AFTER:
        items.append(
            MissingData(
                "response",
                f"latest response assessment is from {assessed.isoformat()}, over 6 months ago",
                "a current assessment decides between continuing, surgery and the next line",
            )
        )
    measured = (
        case.tumour_size.value.date
        if case.tumour_size.is_known and case.tumour_size.value
        else None
    )
    unresected = case.resection_status is ResectionStatus.NOT_RESECTED
    old = measured is not None and case.as_of - measured > STALE_AFTER
    ps = case.performance_status.value if case.performance_status.is_known else None
    if ps is not None and ps.date is not None and case.as_of - ps.date > STALE_AFTER:
        items.append(
            MissingData(
                "performanceStatus",
                f"latest {ps.scale.value} performance status is from {ps.date.isoformat()}, "
                "over 6 months ago",
                "ECOG ≥3 or Karnofsky ≤40 questions every elective operation (K1)",
            )
        )
    calm = not definite_emergency(case)  # I8: no surveillance talk beside an emergency
    if unresected and calm and not case.metastases and old and measured is not None:
        items.append(
            MissingData(
                "tumourSize",
                f"latest size measurement is from {measured.isoformat()}, over 6 months ago",
                "growth ends surveillance (B4) and size decides surgery or neoadjuvant TKI",
            )
        )
    return items


# --- emergencies (§1.I) -------------------------------------------------------------------------

#: Findings that are emergency triggers when definite (I1–I5) [S1][S6].
TRIGGER_KINDS = frozenset(
    {
        EmergencyKind.COMPLETE_OBSTRUCTION,
        EmergencyKind.PERFORATION,
        EmergencyKind.REFRACTORY_BLEEDING,
        EmergencyKind.RUPTURE_WITH_HAEMORRHAGE,
        EmergencyKind.ABSCESS,
    }
)


def definite_emergency(case: GistCase) -> bool:
    """A definite trigger is active: elective surgery is not proposed (§1.1 item 1)."""
    return any(
        f.kind in TRIGGER_KINDS and f.certainty is Certainty.DEFINITE for f in case.emergencies
    )


def symptomatic(case: GistCase) -> bool:
    """Any bleeding or obstruction finding (the symptoms that end small-lesion surveillance, B4)."""
    return any(f.kind is not EmergencyKind.ABSCESS for f in case.emergencies)


# --- TKI courses --------------------------------------------------------------------------------


def courses_in(case: GistCase, setting: TherapySetting) -> tuple[TkiCourse, ...]:
    return tuple(c for c in case.tki_history if c.setting is setting)


def is_live(course: TkiCourse) -> bool:
    return course.status in (TherapyStatus.ACTIVE, TherapyStatus.ON_HOLD)


def months_between(start: dt.date | None, end: dt.date | None) -> float | None:
    if start is None or end is None:
        return None
    return (end - start).days / 30.4375


def months_on(course: TkiCourse, today: dt.date | None) -> float | None:
    """Months a course has run (to its end, or to `today` while live)."""
    return months_between(course.start, course.end if course.end else today)


def reference_date(case: GistCase) -> dt.date | None:
    """The latest date in the record: the engine is pure, so 'today' is what the data says."""
    dates: list[dt.date] = []
    for course in case.tki_history:
        dates += [d for d in (course.start, course.end) if d]
    if case.response.is_known and case.response.value and case.response.value.date:
        dates.append(case.response.value.date)
    if case.tumour_size.is_known and case.tumour_size.value and case.tumour_size.value.date:
        dates.append(case.tumour_size.value.date)
    if case.resection.is_known and case.resection.value and case.resection.value.date:
        dates.append(case.resection.value.date)
    return max(dates) if dates else None


def response_applies_to(case: GistCase, course: TkiCourse) -> ResponseStatus | None:
    """The latest response, unless it was assessed before this course started."""
    status = response_status(case)
    if status is None or case.response.value is None:
        return None
    when = case.response.value.date
    if when is not None and course.start is not None and when < course.start:
        return None
    return status


# --- pathway (§1.1) -----------------------------------------------------------------------------


class Pathway(StrEnum):
    ADVANCED = "advanced"  # metastatic, recurrent, R2 (C5), unresectable non-imatinib genotype
    LOCALIZED = "localized"  # localized primary not yet resected (§1.B–§1.D)
    RESECTED = "resected"  # localized primary after resection (§1.E/§1.F, D10)
    UNDETERMINED = "undetermined"  # disease state unknown or conflicting
    RESECTION_UNKNOWN = "resection-unknown"  # localized, Procedure data unreadable (P6)
    MULTIPLE_PRIMARIES = "multiple-primaries"  # localized, GISTs at different sites (K2)


def has_metastatic_disease(case: GistCase) -> bool:
    """Metastatic or recurrent disease (§1.G, §1.H, §1.J proper)."""
    state = case.disease_state.value if case.disease_state.is_known else None
    return state in (DiseaseState.METASTATIC, DiseaseState.RECURRENT) or bool(case.metastases)


def was_resected(case: GistCase) -> bool:
    return case.resected or case.resection.is_known


def gross_residual(case: GistCase) -> bool:
    """R2 resection: treated through the systemic pathway (C5, SECONDARY [S13a])."""
    return case.margin.is_known and case.margin.value is Margin.R2


def pathway(case: GistCase) -> Pathway:
    if has_metastatic_disease(case):
        return Pathway.ADVANCED
    if case.disease_state.status is not FactStatus.KNOWN:
        return Pathway.UNDETERMINED
    if case.multiple_primaries:
        return Pathway.MULTIPLE_PRIMARIES
    if was_resected(case):
        return Pathway.ADVANCED if gross_residual(case) else Pathway.RESECTED
    if case.resection_status is ResectionStatus.UNKNOWN:
        return Pathway.RESECTION_UNKNOWN
    gt = genotype(case)
    if (
        resectability(case) is Resectability.UNRESECTABLE
        and gt in NOT_IMATINIB
        and not courses_in(case, TherapySetting.NEOADJUVANT)
    ):
        # DESIGN: D5–D7 say "no neoadjuvant TKI, surgery if feasible"; when surgery is not
        # feasible the systemic-therapy rules for unresectable disease (§1.G) apply.
        return Pathway.ADVANCED
    return Pathway.LOCALIZED


# --- risk after resection (§1.E) ----------------------------------------------------------------

_SIZE_PROBES = (1.0, 3.0, 7.0, 11.0)  # one size per modified-NIH size band
_MITOSES_PROBES = (0.0, 8.0, 11.0)  # one count per mitoses band
_SITE_PROBES = (Site.STOMACH, Site.JEJUNUM)  # gastric vs non-gastric


@dataclass(frozen=True, slots=True)
class RiskAssessment:
    """Modified NIH category when the known facts decide it (None: indeterminate), AFIP when
    size, mitoses and site are known, and the facts that were unknown."""

    nih: NihRisk | None
    afip: AfipRisk | None
    unknown: tuple[MissingData, ...]
    nih_row: str | None = None

    @property
    def risk(self) -> Risk | None:
        return Risk(self.nih, self.afip, self.nih_row) if self.nih is not None else None


def mitoses(case: GistCase) -> float | None:
    """Mitoses per 5 mm² when known on a comparable denominator (others need pathology review)."""
    count = case.mitotic_count.value if case.mitotic_count.is_known else None
    return count.value if count is not None and count.comparable else None


def _mitoses_gap(case: GistCase) -> str:
    count = case.mitotic_count.value if case.mitotic_count.is_known else None
    if count is not None and not count.comparable:
        unit = count.raw_unit or "an unknown area"
        return f"count given per {unit}: not converted, needs pathology review per 5 mm²/50 HPF"
    return fact_gap(case.mitotic_count)


def assess_risk(case: GistCase) -> RiskAssessment:
    """Classify with every unknown input probed across its bands: if all probes agree the
    category is decided (e.g. >10 cm is high whatever the mitotic count, §1.E), else it is not."""
    st, sz, mit = site(case), size_cm(case), mitoses(case)
    rup = case.rupture.value if case.rupture.is_known else None
    impact = "decides the modified NIH risk category and so adjuvant imatinib"
    unknown: list[MissingData] = []
    if sz is None:
        unknown.append(missing(case, "tumour_size", impact))
    if mit is None:
        unknown.append(missing(case, "mitotic_count", impact, _mitoses_gap(case)))
    if st is None:
        unknown.append(missing(case, "site", impact))
    if rup is None:
        unknown.append(missing(case, "rupture", "tumour rupture makes the risk high (F5)"))
    categories = {
        nih_modified(s, z, m, r)
        for s, z, m, r in itertools.product(
            (st,) if st is not None else _SITE_PROBES,
            (sz,) if sz is not None else _SIZE_PROBES,
            (mit,) if mit is not None else _MITOSES_PROBES,
            (rup,) if rup is not None else (False, True),
        )
    }
    nih = categories.pop() if len(categories) == 1 else None
    table = afip(st, sz, mit) if st is not None and sz is not None and mit is not None else None
    row = (
        nih_modified_row(st, sz, mit, rup)
        if sz is not None and mit is not None and rup is not None and st is not None
        else None
    )
    return RiskAssessment(nih, table, tuple(unknown), row)


class ResectedRoute(StrEnum):
    """Which decision a resected localized primary goes to (D10, §1.F), in precedence order."""

    AFTER_NEOADJUVANT = "neoadjuvant course, adjuvant part not finished"  # D10
    ADJUVANT_FINISHED = "adjuvant imatinib finished"  # F10, F8
    BY_RISK = "risk and genotype"  # F1–F7


def neoadjuvant_continues(case: GistCase) -> bool:
    """A neoadjuvant course of a genotype that may benefit from imatinib: after resection it
    continues to 3 years in total (D10) instead of being decided again by risk."""
    neoadjuvant = courses_in(case, TherapySetting.NEOADJUVANT)
    return bool(neoadjuvant) and genotype(case) not in NO_IMATINIB_BENEFIT


def adjuvant_finished(case: GistCase) -> bool:
    """Adjuvant imatinib was given and no course of it is still running."""
    adjuvant = courses_in(case, TherapySetting.ADJUVANT)
    return bool(adjuvant) and not any(is_live(c) for c in adjuvant)


@per_case
def resected_route(case: GistCase) -> ResectedRoute | None:
    """The decision a resected case goes to (None: not on the resected pathway); asked by
    every resected rule, so computed once per case.

    The treatment so far decides first: a neoadjuvant course continues (D10) unless the adjuvant
    part is finished; an adjuvant course no longer running is judged by its length (F10, F8);
    otherwise the modified NIH risk and the genotype decide."""
    if pathway(case) is not Pathway.RESECTED:
        return None
    finished = adjuvant_finished(case)
    if neoadjuvant_continues(case) and not finished:
        return ResectedRoute.AFTER_NEOADJUVANT
    return ResectedRoute.ADJUVANT_FINISHED if finished else ResectedRoute.BY_RISK


class LocalizedRoute(StrEnum):
    """Which decision a localized, unresected primary goes to (§1.B–§1.D, in precedence order)."""

    NEOADJUVANT_COURSE = "neoadjuvant course under way"  # D11–D14
    NEOADJUVANT_START = "marginally resectable or unresectable"  # D1–D7
    SITE_UNKNOWN = "site unknown, ≤2 cm or size unknown"  # blocked: P5 asks for the site
    SIZE_UNKNOWN = "gastric, size unknown"  # blocked: P5 asks for the size
    SMALL_GASTRIC = "gastric ≤2 cm"  # B1–B7
    NON_GASTRIC_SMALL = "non-gastric ≤2 cm or size unknown"  # B6
    RESECTABLE = "larger than 2 cm, not marginally resectable"  # C1


def localized_route(case: GistCase) -> LocalizedRoute | None:
    """The §1.B–§1.D decision a case goes to (None: not on the localized pathway).

    A course under way decides first (D13); then marginal or unresectable disease goes to
    neoadjuvant TKI unless it is a small gastric tumour; then site and size choose B or C."""
    if pathway(case) is not Pathway.LOCALIZED:
        return None
    if courses_in(case, TherapySetting.NEOADJUVANT):
        return LocalizedRoute.NEOADJUVANT_COURSE
    st, sz, res = site(case), size_cm(case), resectability(case)
    small_gastric = st is Site.STOMACH and sz is not None and sz <= 2.0
    if res in (Resectability.MARGINALLY_RESECTABLE, Resectability.UNRESECTABLE) and not (
        small_gastric
    ):
        return LocalizedRoute.NEOADJUVANT_START
    if sz is not None and sz > 2.0:
        return LocalizedRoute.RESECTABLE
    if st is None:
        return LocalizedRoute.SITE_UNKNOWN
    if st is Site.STOMACH:
        return LocalizedRoute.SMALL_GASTRIC if sz is not None else LocalizedRoute.SIZE_UNKNOWN
    return LocalizedRoute.NON_GASTRIC_SMALL
