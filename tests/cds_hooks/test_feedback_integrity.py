"""Feedback is bound to the client that received the card (issue 13, finding 5), over HTTP with
real JWTs, on SQLite and on a real PostgreSQL server: client B cannot report on client A's card,
card ids the audit never saw are refused, one outcome per card and client, and rate and size
limits hold. Refused feedback stores nothing."""

from __future__ import annotations

import datetime as dt
import stat
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from cds_hooks.config import Settings
from cds_hooks.storage import Storage
from tests.cds_hooks.test_http_api import assert_operation_outcome, gist_prefetch
from tests.support import jwt_tools
from tests.support.live import LiveService, hook_request, live_service

SERVICE = "cds-services/gist-treatment"
FEEDBACK = SERVICE + "/feedback"
OTHER_ISSUER = "https://other-ehr.example.test/cds-client"
OTHER_KEY = jwt_tools.new_key("ES384", "other-ec-1")


def mint_a(aud: str) -> str:
    return jwt_tools.mint(jwt_tools.TEST_ISSUER, aud)


def mint_b(aud: str) -> str:
    return jwt_tools.mint(OTHER_ISSUER, aud, key=OTHER_KEY)


@pytest.fixture
def two_clients(tmp_path: Path) -> str:
    return jwt_tools.write_trusted_clients(
        tmp_path / "clients.json",
        [
            jwt_tools.client_entry(),
            jwt_tools.client_entry(OTHER_ISSUER, jwks=jwt_tools.jwks_for([OTHER_KEY])),
        ],
    )


@pytest.fixture
def settings_for(database_url: str, two_clients: str) -> Callable[..., Callable[[str], Settings]]:
    def make(**overrides: Any) -> Callable[[str], Settings]:
        def settings(base_url: str) -> Settings:
            return Settings(
                public_base_url=base_url,
                trusted_clients_path=two_clients,
                database_url=database_url,
                **overrides,
            )

        return settings

    return make


@pytest.fixture
def live(settings_for: Callable[..., Callable[[str], Settings]]) -> Iterator[LiveService]:
    with live_service(settings_for(), mint_a) as service:
        yield service


def as_client_b(live: LiveService) -> LiveService:
    """The same running service, called with client B's tokens."""
    return LiveService(live.base_url, live.app, live.settings, mint_b)


def card_for(live: LiveService, patient: str = "fb-1") -> str:
    answer = live.post(SERVICE, hook_request(patient, gist_prefetch(patient)))
    assert answer.status_code == 200, answer.text
    uuid_: str = answer.json()["cards"][0]["uuid"]
    return uuid_


def item(card: str, outcome: str = "overridden", minute: int = 0) -> dict[str, Any]:
    stamp = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC) + dt.timedelta(minutes=minute)
    body: dict[str, Any] = {"card": card, "outcome": outcome, "outcomeTimestamp": stamp.isoformat()}
    if outcome == "overridden":
        body["overrideReason"] = {"userComment": "discussed at tumour board"}
    else:
        body["acceptedSuggestions"] = [{"id": str(uuid.uuid4())}]
    return body


def stored_rows(live: LiveService) -> list[tuple[str, str, str | None]]:
    storage: Storage = live.app.extensions["gist_cds"].storage
    return [(r.card, r.outcome, r.client_iss) for r in storage.feedback_rows()]


def test_client_b_cannot_report_on_client_a_card(live: LiveService) -> None:
    card = card_for(live)
    refused = as_client_b(live).post(FEEDBACK, {"feedback": [item(card)]})
    outcome = assert_operation_outcome(refused, 400)
    assert "not a card this service returned to this client" in outcome["issue"][0]["diagnostics"]
    assert stored_rows(live) == []
    # A's genuine report is new, not a "duplicate" of B's attempt.
    genuine = live.post(FEEDBACK, {"feedback": [item(card, "accepted")]})
    assert genuine.json() == {"received": 1, "stored": 1}
    assert stored_rows(live) == [(card, "accepted", jwt_tools.TEST_ISSUER)]
    audit = live.app.extensions["gist_cds"].storage.audit_rows()
    assert [a.client_iss for a in audit] == [jwt_tools.TEST_ISSUER]


def test_card_ids_the_audit_never_saw_are_refused(live: LiveService) -> None:
    card = card_for(live)
    for _ in range(30):  # a flood of invented ids stores nothing
        answer = live.post(FEEDBACK, {"feedback": [item(str(uuid.uuid4()))]})
        assert_operation_outcome(answer, 400)
    mixed = live.post(FEEDBACK, {"feedback": [item(card), item("no-such-card")]})
    assert "feedback[1].card" in assert_operation_outcome(mixed, 400)["issue"][0]["diagnostics"]
    assert stored_rows(live) == []  # all or nothing: the valid item of the mixed post too


def test_one_outcome_per_card_and_client(live: LiveService) -> None:
    card = card_for(live)
    first = item(card, "accepted")
    assert live.post(FEEDBACK, {"feedback": [first]}).json() == {"received": 1, "stored": 1}
    assert live.post(FEEDBACK, {"feedback": [first]}).json() == {"received": 1, "stored": 0}
    changed = live.post(FEEDBACK, {"feedback": [item(card, "overridden", minute=5)]})
    diagnostics = assert_operation_outcome(changed, 409)["issue"][0]["diagnostics"]
    assert "already reported the outcome 'accepted'" in diagnostics
    later = live.post(FEEDBACK, {"feedback": [item(card, "accepted", minute=9)]})
    assert_operation_outcome(later, 409)
    assert stored_rows(live) == [(card, "accepted", jwt_tools.TEST_ISSUER)]


def test_feedback_rate_is_limited_per_client(
    settings_for: Callable[..., Callable[[str], Settings]],
) -> None:
    with live_service(settings_for(feedback_per_minute=3), mint_a) as live:
        cards = [card_for(live, f"rate-{n}") for n in range(4)]
        other_card = card_for(as_client_b(live), "rate-b")
        for card in cards[:3]:
            assert live.post(FEEDBACK, {"feedback": [item(card)]}).status_code == 200
        limited = live.post(FEEDBACK, {"feedback": [item(cards[3])]})
        assert_operation_outcome(limited, 429)
        assert limited.headers["Retry-After"] == "60"
        # The limit is per client: B is not held back by A's reports.
        other = as_client_b(live).post(FEEDBACK, {"feedback": [item(other_card)]})
        assert other.json() == {"received": 1, "stored": 1}
        assert sorted(c for c, _, _ in stored_rows(live)) == sorted([*cards[:3], other_card])


def test_feedback_body_has_its_own_size_limit(live: LiveService) -> None:
    card = card_for(live)
    body = {"feedback": [item(card)], "padding": "x" * (1024 * 1024)}
    assert_operation_outcome(live.post(FEEDBACK, body), 413)
    too_many = {"feedback": [item(card, minute=m) for m in range(101)]}
    assert (
        "at most 100"
        in assert_operation_outcome(live.post(FEEDBACK, too_many), 400)["issue"][0]["diagnostics"]
    )
    assert stored_rows(live) == []


def test_sqlite_files_are_private_to_their_owner(tmp_path: Path, two_clients: str) -> None:
    database = tmp_path / "private.sqlite3"

    def settings(base_url: str) -> Settings:
        return Settings(
            public_base_url=base_url,
            trusted_clients_path=two_clients,
            database_url=f"sqlite:///{database}",
        )

    with live_service(settings, mint_a) as live:
        card = card_for(live)
        assert live.post(FEEDBACK, {"feedback": [item(card)]}).status_code == 200
        files = [database, Path(f"{database}-wal"), Path(f"{database}-shm")]
        modes = {f.name: stat.S_IMODE(f.stat().st_mode) for f in files if f.exists()}
    assert database.name in modes
    assert all(mode & 0o077 == 0 for mode in modes.values()), {k: oct(v) for k, v in modes.items()}
