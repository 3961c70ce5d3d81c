"""The variation suite (issue 17): each EHR-style change of a sandbox patient gives the outcome
the input profile binds — the same cards, a named problem, or a stated change — through the real
service over its HTTP interface. Any unexplained change of cards fails."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask.testing import FlaskClient

from cds_hooks.app import create_app
from cds_hooks.config import Settings
from tests.variations.catalogue import VARIATIONS, Variation
from tests.variations.harness import DATA_NEEDED, Answer, bundle_of, call


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> FlaskClient:
    database: Path = tmp_path_factory.mktemp("variations") / "gist-cds.sqlite3"
    settings = Settings(
        auth="off",
        public_base_url="http://127.0.0.1:8080",
        database_url=f"sqlite:///{database}",
        log_level="WARNING",
    )
    return create_app(settings, warm=False).test_client()


_BASELINES: dict[str, Answer] = {}


def baseline(client: FlaskClient, patient: str) -> Answer:
    if patient not in _BASELINES:
        _BASELINES[patient] = call(client, bundle_of(patient), patient)
    return _BASELINES[patient]


def without_data_needed(answer: Answer) -> frozenset[tuple[str, str]]:
    return frozenset(s for s in answer.signature if s[0] != DATA_NEEDED)


def test_the_suite_has_at_least_100_variations_with_unique_ids() -> None:
    ids = [v.id for v in VARIATIONS]
    assert len(ids) >= 100, len(ids)
    assert len(set(ids)) == len(ids)


@pytest.mark.parametrize("v", VARIATIONS, ids=lambda v: f"{v.group.split()[0]}-{v.id}")
def test_variation_gives_its_stated_outcome(client: FlaskClient, v: Variation) -> None:
    before = baseline(client, v.patient)
    bundle = bundle_of(v.patient)
    v.mutate(bundle)
    after = call(client, bundle, v.patient)
    expect = v.expect
    if expect.kind == "same":
        assert after.signature == before.signature, (after.signature, after.data_needed_text)
        return
    if expect.phrase is not None:
        assert expect.phrase in after.text, after.text
    if expect.kind == "named":
        assert DATA_NEEDED in after.categories, after.signature
        assert expect.phrase is not None
        assert expect.phrase in after.data_needed_text
        if expect.cards is not None:
            assert after.signature == expect.cards, (after.signature, expect.why)
        else:
            assert without_data_needed(after) == without_data_needed(before), after.signature
        return
    assert after.signature == expect.cards, (after.signature, expect.why)
