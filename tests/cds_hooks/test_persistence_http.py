"""Audit and feedback written through the real app over HTTP land in the database and read back,
on SQLite and on a real PostgreSQL server; a JWT replayed against a second app instance sharing
the database is refused (the replay record lives in the database, not in a process)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from pathlib import Path

from cds_hooks.config import Settings
from cds_hooks.storage import Storage
from tests.cds_hooks.test_http_api import gist_prefetch
from tests.support import jwt_tools
from tests.support.live import hook_request, live_service

SERVICE = "cds-services/gist-treatment"


def _settings(database_url: str, clients: Path) -> Callable[[str], Settings]:
    def make(base_url: str) -> Settings:
        return Settings(
            public_base_url=base_url,
            trusted_clients_path=str(clients),
            database_url=database_url,
        )

    return make


def test_audit_and_feedback_round_trip(database_url: str, trusted_clients_file: Path) -> None:
    mint = lambda aud: jwt_tools.mint(jwt_tools.TEST_ISSUER, aud)  # noqa: E731
    with live_service(_settings(database_url, trusted_clients_file), mint) as live:
        answer = live.post(SERVICE, hook_request("persist-1", gist_prefetch("persist-1")))
        assert answer.status_code == 200
        card = answer.json()["cards"][0]
        rule_id = card["extension"]["org.gist-cds"]["ruleId"]
        feedback = {
            "feedback": [
                {
                    "card": card["uuid"],
                    "outcome": "overridden",
                    "overrideReason": {"userComment": "discussed at tumour board"},
                    "outcomeTimestamp": dt.datetime.now(dt.UTC).isoformat(),
                }
            ]
        }
        first = live.post(SERVICE + "/feedback", feedback)
        again = live.post(SERVICE + "/feedback", feedback)
        assert first.status_code == 200
        assert first.json() == {"received": 1, "stored": 1}
        assert again.json() == {"received": 1, "stored": 0}  # duplicates are idempotent

    reopened = Storage(database_url)  # a new engine: what was committed is on disk / in the server
    try:
        audits = reopened.audit_rows()
        rows = reopened.feedback_rows()
        report = {s.rule_id: (s.accepted, s.overridden) for s in reopened.feedback_report()}
    finally:
        reopened.close()
    assert len(audits) == 1
    assert audits[0].patient_hash
    assert audits[0].patient_hash != "persist-1"
    assert audits[0].card_rules[card["uuid"]] == rule_id
    assert [(r.card, r.rule_id, r.outcome) for r in rows] == [(card["uuid"], rule_id, "overridden")]
    assert report[rule_id] == (0, 1)


def test_replayed_jwt_is_refused_by_another_instance(
    database_url: str, trusted_clients_file: Path
) -> None:
    """Two instances behind one public URL (as behind a reverse proxy) share the database."""
    public = "https://cds.example.org"

    def make(_: str) -> Settings:
        return Settings(
            public_base_url=public,
            trusted_clients_path=str(trusted_clients_file),
            database_url=database_url,
        )

    token = jwt_tools.mint(jwt_tools.TEST_ISSUER, public + "/cds-services", jti=str(uuid.uuid4()))
    headers = {"Authorization": f"Bearer {token}"}
    with live_service(make) as first, live_service(make) as second:
        assert first.session.get(first.url("cds-services"), headers=headers).status_code == 200
        assert second.session.get(second.url("cds-services"), headers=headers).status_code == 401
        assert first.session.get(first.url("cds-services"), headers=headers).status_code == 401
