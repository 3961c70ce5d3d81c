"""Whole patients shaped like EHR output, each with its expected case."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from fhir_mappings import build_case
from logic.case import (
    Diagnosis,
    DiseaseState,
    Drug,
    FactStatus,
    Genotype,
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
    UnreadableInput,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "fhir"
TODAY = dt.date(2024, 1, 1)
D = dt.date


def load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def obs(rid: str, day: dt.date) -> Provenance:
    return Provenance("Observation", rid, day)


def test_epic_searchset_localized_resected_kit11_on_adjuvant_imatinib() -> None:
    case = build_case([load("epic-searchset-localized-kit11.json")], "pat-1", today=TODAY)
    assert case.patient_id == "pat-1"
    assert case.gist_condition_id == "gist-1"
    assert case.diagnosis.get() == Diagnosis("gist-1", D(2021, 3, 2))
    assert case.site.get() is Site.STOMACH
    assert case.disease_state.get() is DiseaseState.LOCALIZED
    assert case.resected
    assert case.resection.get() == Resection(D(2021, 4, 15), "resect-1")  # zone-less dateTime
    assert case.margin.get() is Margin.R0
    assert case.tumour_size.get() == TumourSize(5.8, SizeSource.PATHOLOGY, D(2021, 4, 15))
    assert case.tumour_size.sources == (obs("size-path", D(2021, 4, 15)),)
    assert case.size_history == (
        TumourSize(6.2, SizeSource.IMAGING, D(2021, 3, 1)),
        TumourSize(5.8, SizeSource.PATHOLOGY, D(2021, 4, 15)),
    )
    assert case.mitotic_count.get() == MitoticCount(7)
    assert case.mitotic_count.sources == (obs("mitoses-1", D(2021, 4, 20)),)
    assert case.rupture.get() is False
    assert case.genotype.get() is Genotype.KIT_EXON_11
    assert case.genotype.note is None
    assert case.resectability.status is FactStatus.UNKNOWN
    assert case.eus.status is FactStatus.UNKNOWN
    assert case.response.status is FactStatus.UNKNOWN
    assert case.metastases == ()
    assert case.emergencies == ()
    assert case.tki_history == (
        TkiCourse(
            Drug.IMATINIB,
            400,
            D(2021, 5, 20),
            None,
            TherapyStatus.ACTIVE,
            TherapySetting.ADJUVANT,
            None,
            None,
            Provenance("MedicationStatement", "ms-ima", D(2021, 5, 20)),
        ),
    )
    assert case.age_years.get() == 62
    assert not case.deceased
    assert case.unreadable == (
        UnreadableInput(
            "OperationOutcome",
            "oo-error",
            "the EHR reported error: Procedure search failed for category 387713003",
        ),
    )


def test_transaction_metastatic_kit9_three_lines_and_focal_progression() -> None:
    case = build_case([load("transaction-metastatic-lines.json")], today=TODAY)
    assert case.patient_id == "pat-2"  # from the Patient resource; subjects are urn:uuid
    assert case.site.get() is Site.ILEUM  # bodySite refines C49.A3
    assert case.diagnosis.get() == Diagnosis("gist-2", D(2018, 12, 20))
    assert case.disease_state.get() is DiseaseState.METASTATIC
    assert case.metastases == (
        Metastasis(
            MetastaticSite.LIVER,
            Provenance("Condition", "met-liver", D(2018, 12, 20)),
            D(2018, 12, 20),
        ),
        Metastasis(
            MetastaticSite.PERITONEUM,
            Provenance("Condition", "met-perit", D(2020, 6, 2)),
            D(2020, 6, 2),
        ),
    )
    assert case.genotype.get() is Genotype.KIT_EXON_9
    assert case.genotype.sources == (obs("variant-kit9", D(2019, 1, 15)),)  # dated by `issued`
    assert case.mitotic_count.get() == MitoticCount(4, comparable=False, raw_unit="/10.[HPF]")
    assert case.resectability.get() is Resectability.RESECTABLE
    assert not case.resected
    got = [
        (c.drug, c.daily_dose_mg, c.setting, c.line, c.status, c.stop_reason, c.source.resource_id)
        for c in case.tki_history
    ]
    assert got == [
        (Drug.IMATINIB, 400, TherapySetting.ADVANCED, 1, TherapyStatus.COMPLETED, None, "ima-400"),
        (
            Drug.IMATINIB,
            800,
            TherapySetting.ADVANCED,
            1,
            TherapyStatus.STOPPED,
            StopReason.PROGRESSION,
            "ima-800",
        ),
        (
            Drug.SUNITINIB,
            37.5,
            TherapySetting.ADVANCED,
            2,
            TherapyStatus.STOPPED,
            StopReason.INTOLERANCE,
            "suni",
        ),
        (Drug.REGORAFENIB, 160, TherapySetting.ADVANCED, 3, TherapyStatus.ACTIVE, None, "rego"),
    ]
    assert case.current_course is not None
    assert case.current_course.drug is Drug.REGORAFENIB
    assert case.response.get() == ResponseAssessment(ResponseStatus.WORSENED, D(2022, 1, 20), 1)
    # The obstruction of 2022-02-01 is history on 2024-01-01: an emergency counts only within
    # 30 days of its onset or recorded date (input profile, "Emergencies are current").
    assert case.emergencies == ()
    assert case.tumour_size.status is FactStatus.UNKNOWN
    assert case.unreadable == (
        UnreadableInput(
            "Observation", "size-bad-unit", "tumour size unit '[in_i]' is not cm or mm"
        ),
    )
    assert case.age_years.get() == 65


def test_both_fixtures_in_one_call_with_a_patient_id_keep_only_that_patient() -> None:
    both = [load("epic-searchset-localized-kit11.json"), load("transaction-metastatic-lines.json")]
    case = build_case(both, "pat-1", today=TODAY)
    assert case.gist_condition_id == "gist-1"
    assert case.metastases == ()
    foreign = {
        u.resource_id
        for u in case.unreadable
        if u.reason.startswith("is recorded for another patient")
    }
    assert {"pat-2", "gist-2", "met-liver", "rego", "variant-kit9"} <= foreign
