"""Genotype from Variant Observations (gene by HGNC id or symbol, long/short p.HGVS, exon)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from fhir_mappings import build_case
from fhir_mappings.genomics import ProteinChange, exon_for, parse_protein
from logic.case import FactStatus, Genotype
from tests.fhir_mappings import fhir as f

TODAY = dt.date(2024, 6, 1)


def genotype_of(*resources: dict[str, Any]) -> Any:
    return build_case([f.gist(), *resources], today=TODAY).genotype


@pytest.mark.parametrize(
    ("hgvs", "expected"),
    [
        ("p.Asp842Val", ProteinChange("D", 842, "V")),
        ("p.D842V", ProteinChange("D", 842, "V")),
        ("NP_006197.1:p.(Asp842Val)", ProteinChange("D", 842, "V")),
        ("p.Trp557_Lys558del", ProteinChange("W", 557, None)),
        ("p.W557_K558del", ProteinChange("W", 557, None)),
        ("p.Ala502_Tyr503dup", ProteinChange("A", 502, None)),
        ("D842V", ProteinChange("D", 842, "V")),
    ],
)
def test_parse_protein(hgvs: str, expected: ProteinChange) -> None:
    assert parse_protein(hgvs) == expected


@pytest.mark.parametrize(
    ("gene", "codon", "exon"),
    [
        ("KIT", 449, 9),
        ("KIT", 502, 9),
        ("KIT", 514, 9),
        ("KIT", 515, None),
        ("KIT", 550, 11),
        ("KIT", 557, 11),
        ("KIT", 592, 11),
        ("KIT", 642, 13),
        ("KIT", 816, 17),
        ("PDGFRA", 842, 18),
        ("PDGFRA", 561, None),
    ],
)
def test_exon_from_codon(gene: str, codon: int, exon: int | None) -> None:
    assert exon_for(gene, codon) == exon


@pytest.mark.parametrize(
    ("variant", "expected"),
    [
        (f.kit(hgvs="p.Trp557_Lys558del"), Genotype.KIT_EXON_11),
        (f.kit(hgvs="p.V560D"), Genotype.KIT_EXON_11),
        (f.kit(hgvs="p.Ala502_Tyr503dup"), Genotype.KIT_EXON_9),
        (f.kit(hgvs="p.K642E"), Genotype.KIT_OTHER),
        (f.kit(hgvs="p.Xyz", exon=11), Genotype.KIT_EXON_11),
        (f.kit(exon=9), Genotype.KIT_EXON_9),
        (f.kit(exon=13), Genotype.KIT_OTHER),
        (f.pdgfra(hgvs="p.Asp842Val"), Genotype.PDGFRA_D842V),
        (f.pdgfra(hgvs="p.D842V"), Genotype.PDGFRA_D842V),
        (f.pdgfra(hgvs="p.D842Y"), Genotype.PDGFRA_OTHER),
        (f.pdgfra(hgvs="p.V561D"), Genotype.PDGFRA_OTHER),
        (f.pdgfra(exon=12), Genotype.PDGFRA_OTHER),
        (f.variant("v", f.cc(f.HGNC, "6342"), hgvs="p.V559D"), Genotype.KIT_EXON_11),
        (f.variant("v", {"text": "KIT"}, hgvs="p.V559D"), Genotype.KIT_EXON_11),
        (
            f.variant("v", f.cc("urn:lab:genes", "K1", "KIT proto-oncogene"), hgvs="p.V559D"),
            Genotype.KIT_EXON_11,
        ),
        (f.variant("v", {"text": "PDGFRA"}, hgvs="p.Asp842Val"), Genotype.PDGFRA_D842V),
    ],
)
def test_variant_classes(variant: dict[str, Any], expected: Genotype) -> None:
    fact = genotype_of(variant)
    assert fact.get() is expected
    assert fact.sources[0].resource_id == variant["id"]


def test_unparseable_hgvs_without_exon_is_unreadable() -> None:
    case = build_case([f.gist(), f.kit(hgvs="exon 11 deletion")], today=TODAY)
    assert case.genotype.status is FactStatus.UNKNOWN
    assert case.unreadable[0].reason == "protein change 'exon 11 deletion' is not a readable p.HGVS"
    assert case.genotype.note is not None
    assert case.genotype.note.endswith(
        "some genetic variant data unreadable (see unreadable inputs)"
    )


def test_kit_variant_without_exon_or_codon_is_unknown_not_guessed() -> None:
    fact = genotype_of(f.kit())
    assert fact.status is FactStatus.UNKNOWN
    assert fact.note is not None
    assert "KIT variant without exon" in fact.note


def test_pdgfra_without_protein_change_is_unknown() -> None:
    assert genotype_of(f.pdgfra()).status is FactStatus.UNKNOWN


def test_both_absent_is_wild_type_and_one_absent_is_unknown() -> None:
    wt = genotype_of(f.kit(present=False), f.pdgfra(present=False))
    assert wt.get() is Genotype.WILD_TYPE
    assert {s.resource_id for s in wt.sources} == {"v-kit", "v-pdgfra"}
    half = genotype_of(f.kit(present=False))
    assert half.status is FactStatus.UNKNOWN
    assert half.note == "only KIT reported without a variant; need both KIT and PDGFRA"


def test_absence_of_one_specific_variant_does_not_make_wild_type() -> None:
    fact = genotype_of(f.kit(present=False), f.pdgfra(present=False, hgvs="p.D842V"))
    assert fact.status is FactStatus.UNKNOWN


@pytest.mark.parametrize(
    ("evidence", "expected"),
    [
        (f.gist_obs("sdh", "sdh-deficient", valueBoolean=True), Genotype.SDH_DEFICIENT),
        (
            f.gist_obs("sdh", "sdhb-ihc", valueCodeableConcept=f.cc(f.GIST, "loss")),
            Genotype.SDH_DEFICIENT,
        ),
        (f.gist_obs("ntrk", "ntrk-fusion", valueBoolean=True), Genotype.NTRK_FUSION),
        (f.condition("nf1", f.cc(f.SNOMED, "92824003")), Genotype.NF1),
        (
            f.variant("braf", f.cc(f.HGNC, "HGNC:1097", "BRAF"), hgvs="p.Val600Glu"),
            Genotype.BRAF_V600E,
        ),
    ],
)
def test_wild_type_subtypes(evidence: dict[str, Any], expected: Genotype) -> None:
    fact = genotype_of(f.kit(present=False), f.pdgfra(present=False), evidence)
    assert fact.get() is expected
    alone = genotype_of(evidence)
    assert alone.get() is expected


def test_negative_sdh_and_ntrk_leave_wild_type() -> None:
    fact = genotype_of(
        f.kit(present=False),
        f.pdgfra(present=False),
        f.gist_obs("sdh", "sdhb-ihc", valueCodeableConcept=f.cc(f.GIST, "retained")),
        f.gist_obs("ntrk", "ntrk-fusion", valueBoolean=False),
    )
    assert fact.get() is Genotype.WILD_TYPE


def test_contradictory_variants_conflict() -> None:
    fact = genotype_of(f.kit(hgvs="p.V560D"), f.pdgfra(hgvs="p.D842V"))
    assert fact.status is FactStatus.CONFLICTING
    assert set(fact.candidates) == {Genotype.KIT_EXON_11, Genotype.PDGFRA_D842V}
    nine_and_eleven = genotype_of(f.kit(hgvs="p.V560D"), f.kit(hgvs="p.A502_Y503dup", rid="v2"))
    assert nine_and_eleven.status is FactStatus.CONFLICTING


def test_gene_reported_mutated_and_wild_conflicts() -> None:
    fact = genotype_of(
        f.kit(hgvs="p.V560D"), f.kit(present=False, rid="v2"), f.pdgfra(present=False)
    )
    assert fact.status is FactStatus.CONFLICTING
    assert fact.note == "KIT reported both mutated and wild"


def test_secondary_kit_mutation_keeps_the_primary_exon() -> None:
    fact = genotype_of(f.kit(hgvs="p.V560D"), f.kit(hgvs="p.D816H", rid="v2", date="2023-01-01"))
    assert fact.get() is Genotype.KIT_EXON_11
    assert fact.note == "other KIT exon variants read as secondary mutations"


def test_no_variant_data_is_unknown_with_reason() -> None:
    fact = genotype_of()
    assert fact.note == "no KIT/PDGFRA variant result (Observation LOINC 69548-6)"
