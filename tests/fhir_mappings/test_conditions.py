"""Primary GIST (all accepted codings), site, disease state, metastases, emergencies."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from fhir_mappings import build_case
from logic.case import (
    Certainty,
    DiseaseState,
    EmergencyKind,
    FactStatus,
    Genotype,
    MetastaticSite,
    Site,
)
from tests.fhir_mappings import fhir as f

TODAY = dt.date(2024, 6, 1)
HISTOLOGY = "http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-histology-morphology-behavior"
RELATED = "http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-related-primary-cancer-condition"


@pytest.mark.parametrize(
    ("code", "extra", "site"),
    [
        (f.cc(f.SNOMED, "420120006"), {}, None),
        (f.cc(f.ICD10, "C49.A0"), {}, None),
        (f.cc(f.ICD10, "C49.A1"), {}, Site.OESOPHAGUS),
        (f.cc(f.ICD10, "C49.A2"), {}, Site.STOMACH),
        (f.cc(f.ICD10, "C49.A3"), {}, Site.SMALL_INTESTINE),
        (f.cc(f.ICD10, "C49.A4"), {}, Site.COLON),
        (f.cc(f.ICD10, "C49.A5"), {}, Site.RECTUM),
        (f.cc(f.ICD10, "C49.A9"), {}, Site.OTHER),
        (
            f.cc(f.SNOMED, "363346000", "Malignant neoplastic disease"),
            {
                "extension": [
                    {
                        "url": HISTOLOGY,
                        "valueCodeableConcept": f.cc(
                            "http://terminology.hl7.org/CodeSystem/icd-o-3", "8936/1"
                        ),
                    }
                ]
            },
            None,
        ),
    ],
)
def test_primary_gist_codings_and_site_from_icd10(
    code: dict[str, Any], extra: dict[str, Any], site: Site | None
) -> None:
    case = build_case([f.condition("c", code, onsetDateTime="2020-02-03", **extra)], today=TODAY)
    assert case.has_gist
    assert case.diagnosis.get().diagnosis_date == dt.date(2020, 2, 3)
    assert case.gist_condition_id == "c"
    assert case.site.value == site
    assert case.site.status is (FactStatus.KNOWN if site else FactStatus.UNKNOWN)


def test_other_histology_is_not_gist() -> None:
    ext = [
        {
            "url": HISTOLOGY,
            "valueCodeableConcept": f.cc("http://terminology.hl7.org/CodeSystem/icd-o-3", "8890/3"),
        }
    ]
    case = build_case([f.condition("c", f.cc(f.SNOMED, "363346000"), extension=ext)], today=TODAY)
    assert not case.has_gist
    assert case.diagnosis.note == "no primary GIST Condition"


@pytest.mark.parametrize(
    ("code", "site"),
    [
        ("69695003", Site.STOMACH),
        ("38848004", Site.DUODENUM),
        ("21306003", Site.JEJUNUM),
        ("34516001", Site.ILEUM),
        ("30315005", Site.SMALL_INTESTINE),
        ("71854001", Site.COLON),
        ("34402009", Site.RECTUM),
        ("32849002", Site.OESOPHAGUS),
    ],
)
def test_body_site_beats_the_icd10_organ(code: str, site: Site) -> None:
    c = f.condition("c", f.cc(f.ICD10, "C49.A3"), bodySite=[f.cc(f.SNOMED, code)])
    assert build_case([c], today=TODAY).site.get() is site


def test_omentum_in_body_site_text_is_other_site() -> None:
    c = f.gist(bodySite=[{"text": "Greater omentum"}])
    assert build_case([c], today=TODAY).site.get() is Site.OTHER


def test_two_gist_conditions_with_different_sites_are_two_primaries() -> None:
    # Knowledge base 2026.2 K2: different sites are separate primaries, never a site conflict.
    a = f.gist("a", bodySite=[f.cc(f.SNOMED, "69695003")])
    b = f.gist("b", bodySite=[f.cc(f.SNOMED, "71854001")], onsetDateTime="2020-05-01")
    size_b = f.size("sz-b", 35, "mm", focus=[{"reference": "Condition/b"}])
    case = build_case([a, b, size_b], today=TODAY)
    assert case.site.status is FactStatus.UNKNOWN
    assert case.tumour_size.status is FactStatus.UNKNOWN
    assert [(p.condition_id, p.site, p.size_cm) for p in case.primaries] == [
        ("b", Site.COLON, 3.5),
        ("a", Site.STOMACH, None),
    ]
    assert case.gist_condition_id == "a"  # earliest onset


def test_jejunum_refines_small_intestine_from_another_condition() -> None:
    a = f.condition("a", f.cc(f.ICD10, "C49.A3"))
    b = f.gist("b", bodySite=[f.cc(f.SNOMED, "21306003")])
    assert build_case([a, b], today=TODAY).site.get() is Site.JEJUNUM


@pytest.mark.parametrize("ver", ["refuted", "entered-in-error"])
def test_refuted_or_erroneous_gist_is_ignored(ver: str) -> None:
    c = f.gist(
        verificationStatus=f.cc("http://terminology.hl7.org/CodeSystem/condition-ver-status", ver)
    )
    assert not build_case([c], today=TODAY).has_gist


def test_localized_when_no_metastasis_recorded() -> None:
    state = build_case([f.gist()], today=TODAY).disease_state
    assert state.get() is DiseaseState.LOCALIZED
    assert state.note == "no metastasis or recurrence recorded"


@pytest.mark.parametrize("status", ["recurrence", "relapse"])
def test_clinical_status_recurrence_means_recurrent(status: str) -> None:
    c = f.gist(
        clinicalStatus=f.cc("http://terminology.hl7.org/CodeSystem/condition-clinical", status)
    )
    assert build_case([c], today=TODAY).disease_state.get() is DiseaseState.RECURRENT


@pytest.mark.parametrize(
    ("code", "body", "site"),
    [
        (f.cc(f.SNOMED, "94381002"), None, MetastaticSite.LIVER),
        (f.cc(f.ICD10, "C78.7"), None, MetastaticSite.LIVER),
        (f.cc(f.ICD10, "C78.6"), None, MetastaticSite.PERITONEUM),
        (f.cc(f.ICD10, "C79.51"), None, MetastaticSite.BONE),
        (f.cc(f.SNOMED, "128462008"), "39607008", MetastaticSite.LUNG),
        (f.cc(f.SNOMED, "128462008"), "15425007", MetastaticSite.PERITONEUM),
        (f.cc(f.SNOMED, "128462008"), "272673000", MetastaticSite.BONE),
        (f.cc(f.ICD10, "C77.2"), "59441001", MetastaticSite.LYMPH_NODE),
        (f.cc(f.SNOMED, "128462008"), "10200004", MetastaticSite.LIVER),
        (f.cc(f.ICD10, "C79.89"), None, MetastaticSite.OTHER),
    ],
)
def test_metastasis_codes_and_sites(
    code: dict[str, Any], body: str | None, site: MetastaticSite
) -> None:
    extra: dict[str, Any] = {"bodySite": [f.cc(f.SNOMED, body)]} if body else {}
    case = build_case([f.gist(), f.metastasis("m", code, **extra)], today=TODAY)
    assert case.disease_state.get() is DiseaseState.METASTATIC
    (m,) = case.metastases
    assert m.site is site
    assert m.source.resource_id == "m"
    assert m.onset == dt.date(2022, 1, 1)


def test_related_primary_extension_marks_a_metastasis() -> None:
    m = f.metastasis(
        "m",
        f.cc(f.SNOMED, "1234567", "Neoplasm of liver"),
        extension=[{"url": RELATED, "valueReference": {"reference": "Condition/gist"}}],
        bodySite=[f.cc(f.SNOMED, "10200004")],
    )
    case = build_case([f.gist(), m], today=TODAY)
    assert [x.site for x in case.metastases] == [MetastaticSite.LIVER]


def test_metastasis_after_resection_is_recurrent_before_is_metastatic() -> None:
    liver = f.cc(f.SNOMED, "94381002")
    after = build_case(
        [f.gist(), f.resection(date="2020-03-01"), f.metastasis("m", liver, "2022-01-01")],
        today=TODAY,
    )
    assert after.disease_state.get() is DiseaseState.RECURRENT
    before = build_case(
        [f.gist(), f.resection(date="2020-03-01"), f.metastasis("m", liver, "2020-01-15")],
        today=TODAY,
    )
    assert before.disease_state.get() is DiseaseState.METASTATIC


def test_resolved_metastasis_keeps_disease_state_but_is_not_listed() -> None:
    resolved = f.cc("http://terminology.hl7.org/CodeSystem/condition-clinical", "resolved")
    m = f.metastasis("m", f.cc(f.SNOMED, "94381002"), clinicalStatus=resolved)
    case = build_case([f.gist(), m], today=TODAY)
    assert case.metastases == ()
    assert case.disease_state.get() is DiseaseState.METASTATIC


@pytest.mark.parametrize(
    ("codings", "kind", "certainty"),
    [
        ([("56905009", f.SNOMED)], EmergencyKind.PERFORATION, Certainty.DEFINITE),
        ([("81060008", f.SNOMED)], EmergencyKind.OBSTRUCTION, Certainty.POSSIBLE),
        (
            [("81060008", f.SNOMED), ("complete-obstruction", f.GIST)],
            EmergencyKind.COMPLETE_OBSTRUCTION,
            Certainty.DEFINITE,
        ),
        ([("74474003", f.SNOMED)], EmergencyKind.BLEEDING, Certainty.POSSIBLE),
        (
            [("74474003", f.SNOMED), ("refractory-bleeding", f.GIST)],
            EmergencyKind.REFRACTORY_BLEEDING,
            Certainty.DEFINITE,
        ),
        (
            [("371004008", f.SNOMED), ("rupture-with-hemorrhage", f.GIST)],
            EmergencyKind.RUPTURE_WITH_HAEMORRHAGE,
            Certainty.DEFINITE,
        ),
    ],
)
def test_emergencies(
    codings: list[tuple[str, str]], kind: EmergencyKind, certainty: Certainty
) -> None:
    code = {"coding": [{"system": s, "code": c} for c, s in codings]}
    case = build_case([f.gist(), f.condition("e", code, onsetDateTime="2024-05-30")], today=TODAY)
    (e,) = case.emergencies
    assert (e.kind, e.certainty, e.source.resource_id) == (kind, certainty, "e")


def test_emergency_with_abatement_or_resolved_is_not_current() -> None:
    perf = f.cc(f.SNOMED, "56905009")
    abated = f.condition("a", perf, abatementDateTime="2024-01-01")
    resolved = f.condition(
        "r",
        perf,
        clinicalStatus=f.cc("http://terminology.hl7.org/CodeSystem/condition-clinical", "resolved"),
    )
    assert build_case([f.gist(), abated, resolved], today=TODAY).emergencies == ()


def test_provisional_perforation_is_only_possible() -> None:
    c = f.condition(
        "p",
        f.cc(f.SNOMED, "56905009"),
        verificationStatus=f.cc(
            "http://terminology.hl7.org/CodeSystem/condition-ver-status", "provisional"
        ),
        onsetDateTime="2024-05-25",  # current: within 30 days of TODAY
    )
    (e,) = build_case([f.gist(), c], today=TODAY).emergencies
    assert e.certainty is Certainty.POSSIBLE


def test_plain_rupture_condition_sets_rupture_but_is_no_emergency() -> None:
    c = f.condition("r", f.cc(f.SNOMED, "371004008"), onsetDateTime="2020-03-01")
    case = build_case([f.gist(), c], today=TODAY)
    assert case.rupture.get() is True
    assert case.rupture.sources[0].resource_id == "r"
    assert case.emergencies == ()


@pytest.mark.parametrize("code", [f.cc(f.SNOMED, "92824003"), f.cc(f.ICD10, "Q85.01")])
def test_nf1_condition_gives_nf1_genotype(code: dict[str, Any]) -> None:
    case = build_case([f.gist(), f.condition("nf1", code)], today=TODAY)
    assert case.genotype.get() is Genotype.NF1
