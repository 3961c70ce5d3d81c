"""Migrations from the 0.1.0 schema, as an operator runs them, on SQLite and on the real
PostgreSQL server: `serve` refuses the older database with one line, `gist-cds db upgrade`
migrates it with every row kept, and `serve` then starts on it."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import time
from pathlib import Path
from typing import Any

import requests
import sqlalchemy as sa

from cds_hooks.storage import Storage
from tests.cds_hooks.test_cli import GIST_CDS, free_port
from tests.fixtures.schema_0_1_0 import (
    audit_card_table,
    audit_table,
    create_0_1_0_schema,
    feedback_table,
    replay_table,
)
from tests.reliability.served import gist_cds_serve, service_env

NOW = dt.datetime(2026, 11, 30, 8, 0, tzinfo=dt.UTC)


def fill_0_1_0(database_url: str) -> dict[str, list[Any]]:
    """A 0.1.0 database with a row in every table; returns the rows as read back."""
    engine = sa.create_engine(Storage(database_url).engine.url)
    with engine.begin() as conn:
        create_0_1_0_schema(conn)
        conn.execute(replay_table.insert().values(iss="iss", jti="j-1", expires_at=4e9))
        for n in range(3):
            key = conn.execute(
                audit_table.insert().values(
                    time=NOW,
                    service_id="gist-treatment",
                    hook_instance=f"h-{n}",
                    patient_hash="ab" * 32,
                    categories=["surveillance"],
                    rule_ids=["S1"],
                    knowledge_version="2026.1.0",
                    latency_ms=12.5,
                    status=200,
                )
            ).inserted_primary_key
            assert key is not None
            conn.execute(
                audit_card_table.insert().values(card_uuid=f"c-{n}", rule_id="S1", audit_id=key[0])
            )
        conn.execute(
            feedback_table.insert().values(
                dedup_key="d" * 64,
                service_id="gist-treatment",
                card_uuid="c-0",
                outcome="overridden",
                outcome_timestamp=NOW,
                accepted_suggestions=[],
                user_comment="tumour board",
                client_iss="https://ehr.example.test",
                rule_id="S1",
                received_at=NOW,
            )
        )
    rows = read_rows(engine)
    engine.dispose()
    return rows


def read_rows(engine: sa.Engine) -> dict[str, list[Any]]:
    with engine.connect() as conn:
        return {
            table.name: [
                tuple(row) for row in conn.execute(sa.select(table).order_by(*table.primary_key))
            ]
            for table in (replay_table, audit_table, audit_card_table, feedback_table)
        }


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("GIST_CDS_")}
    return subprocess.run(
        [GIST_CDS, *args], env=clean | env, capture_output=True, text=True, timeout=120, check=False
    )


def test_0_1_0_database_is_upgraded_when_asked_with_every_row_kept(
    database_url: str, tmp_path: Path
) -> None:
    before = fill_0_1_0(database_url)
    port = free_port()
    env = service_env(
        tmp_path, database_url=database_url, public_base_url=f"http://127.0.0.1:{port}"
    )

    refused = run(["serve", "--port", str(port)], env)
    assert refused.returncode == 2
    assert refused.stderr.strip().splitlines() == [
        "gist-cds: cannot start: database: " + refused.stderr.split("database: ", 1)[1].strip()
    ]
    assert "older than this release's 0002" in refused.stderr
    assert "gist-cds db upgrade" in refused.stderr

    upgraded = run(["db", "upgrade"], env)
    assert upgraded.returncode == 0, upgraded.stderr
    assert "schema upgraded from 0001 to 0002" in upgraded.stderr
    again = run(["db", "upgrade"], env)
    assert "schema revision 0002 is current" in again.stderr

    storage = Storage(database_url)
    try:
        after = read_rows(storage.engine)
        audits = storage.audit_rows()
    finally:
        storage.close()
    assert after == before  # the 0.1.0 columns of every row, unchanged
    assert [a.client_iss for a in audits] == [None, None, None]

    with gist_cds_serve(env, tmp_path / "serve.log", port=port, workers=1) as served:
        assert requests.get(served.url("readyz"), timeout=30).json()["status"] == "ready"


def test_serve_upgrade_db_migrates_then_starts(database_url: str, tmp_path: Path) -> None:
    before = fill_0_1_0(database_url)
    port = free_port()
    env = service_env(
        tmp_path, database_url=database_url, public_base_url=f"http://127.0.0.1:{port}"
    )
    clean = {k: v for k, v in os.environ.items() if not k.startswith("GIST_CDS_")}
    args = [GIST_CDS, "serve", "--port", str(port), "--workers", "1", "--upgrade-db"]
    with (tmp_path / "serve.log").open("wb") as log:
        process = subprocess.Popen(args, env=clean | env, stdout=log, stderr=subprocess.STDOUT)
    try:
        ready = None
        deadline = time.monotonic() + 90  # generous: workers warm their FHIR models first
        while time.monotonic() < deadline:
            assert process.poll() is None, (tmp_path / "serve.log").read_text()
            try:
                ready = requests.get(f"http://127.0.0.1:{port}/readyz", timeout=2)
                break
            except requests.ConnectionError:
                time.sleep(0.2)
        assert ready is not None
        assert ready.status_code == 200
    finally:
        process.terminate()
        process.wait(timeout=30)
    assert "schema upgraded from 0001 to 0002" in (tmp_path / "serve.log").read_text()
    storage = Storage(database_url)
    try:
        assert read_rows(storage.engine) == before
    finally:
        storage.close()
