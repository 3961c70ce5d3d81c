"""Hypothesis properties of the risk tables and of the engine's output."""

from __future__ import annotations

from typing import TypeVar

from hypothesis import given, settings
from hypothesis import strategies as st

from logic.case import (
    Certainty,
    DiseaseState,
    Drug,
    EmergencyKind,
    EusFeature,
    Genotype,
    GistCase,
    Margin,
    MetastaticSite,
    Resectability,
    ResponseStatus,
    Site,
    StopReason,
)
from logic.engine import evaluate
from logic.facts import TRIGGER_KINDS
from logic.knowledge.citations import CITATIONS
from logic.knowledge.version import KNOWLEDGE_VERSION
from logic.recommendation import ELECTIVE_SURGERY, Indicator, NihRisk
from logic.registry import RULES
from logic.risk import nih_modified
from tests.logic.conftest import course, finding, make_case

T = TypeVar("T")
ORDER = [NihRisk.VERY_LOW, NihRisk.LOW, NihRisk.INTERMEDIATE, NihRisk.HIGH]
sizes = st.floats(min_value=0.0, max_value=40.0, allow_nan=False)
counts = st.floats(min_value=0.0, max_value=100.0, allow_nan=False)
sites = st.one_of(st.none(), st.sampled_from(Site))


@given(sites, sizes, sizes, counts, st.booleans())
def test_larger_tumour_never_lowers_nih(
    site: Site | None, a: float, b: float, mitoses: float, rupture: bool
) -> None:
    small, large = sorted((a, b))
    assert ORDER.index(nih_modified(site, large, mitoses, rupture)) >= ORDER.index(
        nih_modified(site, small, mitoses, rupture)
    )


@given(sites, sizes, counts, counts, st.booleans())
def test_more_mitoses_never_lower_nih(
    site: Site | None, size: float, a: float, b: float, rupture: bool
) -> None:
    low, high = sorted((a, b))
    assert ORDER.index(nih_modified(site, size, high, rupture)) >= ORDER.index(
        nih_modified(site, size, low, rupture)
    )


@given(sites, sizes, counts)
def test_rupture_is_always_high(site: Site | None, size: float, mitoses: float) -> None:
    assert nih_modified(site, size, mitoses, rupture=True) is NihRisk.HIGH


@given(sizes, counts)
def test_unknown_site_is_never_lower_than_a_known_one(size: float, mitoses: float) -> None:
    unknown = ORDER.index(nih_modified(None, size, mitoses, False))
    assert all(unknown >= ORDER.index(nih_modified(s, size, mitoses, False)) for s in Site)


def _maybe(strategy: st.SearchStrategy[T]) -> st.SearchStrategy[T | None]:
    return st.one_of(st.none(), strategy)


@st.composite
def cases(draw: st.DrawFn) -> GistCase:
    """Arbitrary mixes of facts, histories and findings (incl. unknowns)."""
    drugs = draw(st.lists(st.sampled_from(Drug), max_size=4))
    history = tuple(
        course(
            drug,
            draw(st.sampled_from([None, 400, 800, 50, 160, 150, 300])),
            line=i + 1,
            stop=draw(_maybe(st.sampled_from(StopReason))) if i < len(drugs) - 1 else None,
        )
        for i, drug in enumerate(drugs)
    )
    return make_case(
        site=draw(_maybe(st.sampled_from(Site))),
        size=draw(_maybe(st.floats(0.1, 30))),
        mitoses=draw(_maybe(st.floats(0, 60))),
        rupture=draw(_maybe(st.booleans())),
        genotype=draw(_maybe(st.sampled_from(Genotype))),
        state=draw(_maybe(st.sampled_from(DiseaseState))),
        resected=draw(st.booleans()),
        margin=draw(_maybe(st.sampled_from(Margin))),
        resectability=draw(_maybe(st.sampled_from(Resectability))),
        eus_present=draw(_maybe(st.frozensets(st.sampled_from(EusFeature)))),
        metastases=draw(st.lists(st.sampled_from(MetastaticSite), max_size=3)),
        courses=history,
        response=draw(_maybe(st.sampled_from(ResponseStatus))),
        lesions=draw(_maybe(st.integers(0, 6))),
        emergencies=[
            finding(k, c)
            for k, c in draw(
                st.lists(
                    st.tuples(st.sampled_from(EmergencyKind), st.sampled_from(Certainty)),
                    max_size=2,
                )
            )
        ],
        size_history=draw(st.lists(st.floats(0.1, 3), max_size=2)),
    )


@settings(max_examples=300, deadline=None)
@given(cases())
def test_every_recommendation_is_complete(case: GistCase) -> None:
    for rec in evaluate(case):
        assert rec.rule_id in RULES
        assert rec.evidence
        assert all(cid in CITATIONS for cid in rec.evidence)
        assert set(RULES[rec.rule_id].citations) <= set(rec.evidence)
        assert rec.knowledge_version == KNOWLEDGE_VERSION
        assert rec.summary
        assert len(rec.summary) <= 139
        if rec.rule_id != "P5":  # P5 shortens its own list of facts on purpose
            assert not rec.summary.endswith("…"), f"{rec.rule_id} summary was cut: {rec.summary}"
        assert rec.category in RULES[rec.rule_id].categories


@settings(max_examples=300, deadline=None)
@given(cases())
def test_definite_emergency_comes_first_and_blocks_elective_surgery(case: GistCase) -> None:
    recs = evaluate(case)
    definite = any(
        f.kind in TRIGGER_KINDS and f.certainty is Certainty.DEFINITE for f in case.emergencies
    )
    if definite:
        assert recs[0].indicator is Indicator.CRITICAL
        assert recs[0].rule_id in {"I1", "I2", "I3", "I4", "I5"}
        assert all(r.category not in ELECTIVE_SURGERY for r in recs)
    ranks = [
        [Indicator.CRITICAL, Indicator.WARNING, Indicator.INFO].index(r.indicator) for r in recs
    ]
    assert ranks == sorted(ranks)


@settings(max_examples=100, deadline=None)
@given(cases())
def test_evaluate_is_deterministic(case: GistCase) -> None:
    assert evaluate(case) == evaluate(case)
