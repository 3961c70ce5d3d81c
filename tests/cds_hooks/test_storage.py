"""Storage on a real SQLite file and a real PostgreSQL server (every test runs on both).

"Workers" are separate Storage instances (own engine, own connections) on one database, which
is what gunicorn workers and extra instances are to the database.
"""

from __future__ import annotations

import hashlib
import signal
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import pytest
import sqlalchemy as sa

from cds_hooks.config import ConfigError
from cds_hooks.feedback import FeedbackItem
from cds_hooks.storage import (
    AuditRecord,
    FeedbackRejected,
    FeedbackStat,
    Storage,
    normalise_database_url,
    replay_table,
)
from tests.support.postgres import (  # noqa: F401 - fixtures
    database_url_fixture,
    postgres_db_url_fixture,
    postgres_url_fixture,
)

T = TypeVar("T")
SERVICE = "gist-treatment"
NOW = datetime(2025, 3, 4, 10, 30, 15, 250_000, tzinfo=UTC)


@pytest.fixture
def open_storage(database_url: str) -> Iterator[Callable[[], Storage]]:
    """Opens Storage instances on the test database (each a separate 'worker'); closes them."""
    opened: list[Storage] = []

    def open_one() -> Storage:
        storage = Storage(database_url)
        opened.append(storage)
        return storage

    yield open_one
    for storage in opened:
        storage.engine.dispose()


@pytest.fixture
def storage(open_storage: Callable[[], Storage]) -> Storage:
    store = open_storage()
    store.create_schema()
    return store


def in_threads(count: int, work: Callable[[int], T]) -> list[T]:
    """Run work(i) in `count` threads released together; re-raise the first failure."""
    barrier = threading.Barrier(count)
    results: dict[int, T] = {}
    errors: list[BaseException] = []

    def run(index: int) -> None:
        barrier.wait()
        try:
            results[index] = work(index)
        except BaseException as exc:  # reported to the test thread below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    if errors:
        raise errors[0]
    return [results[i] for i in range(count)]


def audit(
    card_rules: dict[str, str],
    *,
    patient_hash: str | None = "ab" * 32,
    client_iss: str | None = None,
) -> AuditRecord:
    return AuditRecord(
        time=NOW,
        service_id=SERVICE,
        hook_instance="d1577c69-dfbe-44ad-ba6d-3e05e953b2ea",
        patient_hash=patient_hash,
        categories=("treatment",),
        rule_ids=tuple(dict.fromkeys(card_rules.values())),
        card_rules=card_rules,
        knowledge_version="kb-2025.1",
        latency_ms=12.5,
        status=200,
        client_iss=client_iss,
    )


def item(card: str, outcome: str = "accepted", **changes: Any) -> FeedbackItem:
    values: dict[str, Any] = {
        "card": card,
        "outcome": outcome,
        "outcome_timestamp": NOW,
        "accepted_suggestions": ("s-1",) if outcome == "accepted" else (),
        "override_reason_code": None if outcome == "accepted" else "patient-declined",
        "override_reason_system": None if outcome == "accepted" else "https://example.test/codes",
        "user_comment": None,
    }
    values.update(changes)
    return FeedbackItem(**values)


def expires(seconds: float) -> datetime:
    return datetime.now(UTC) + timedelta(seconds=seconds)


# -- schema -------------------------------------------------------------------------------------


def test_create_schema_is_idempotent_and_keeps_data(
    storage: Storage, open_storage: Callable[[], Storage]
) -> None:
    storage.save_audit(audit({"card-1": "R1"}))
    storage.create_schema()
    again = open_storage()
    again.create_schema()
    assert again.count_audit() == 1
    tables = set(sa.inspect(again.engine).get_table_names())
    assert {"gist_meta", "gist_jwt_replay", "gist_audit", "gist_feedback"} <= tables


def test_workers_starting_together_create_the_schema_once(
    open_storage: Callable[[], Storage],
) -> None:
    workers = [open_storage() for _ in range(4)]
    in_threads(4, lambda i: workers[i].create_schema())
    hashes = {worker.patient_hash("patient-1") for worker in workers}
    assert len(hashes) == 1  # one salt, agreed by every worker
    assert all(worker.ping() for worker in workers)


# -- JWT replay -----------------------------------------------------------------------------------


def test_jti_is_accepted_once(storage: Storage) -> None:
    assert storage.remember_jti("iss-a", "jti-1", expires(300))
    assert not storage.remember_jti("iss-a", "jti-1", expires(300))
    assert storage.remember_jti("iss-b", "jti-1", expires(300))
    assert storage.remember_jti("iss-a", "jti-2", expires(300))


def test_jti_replay_is_atomic_across_concurrent_workers(
    storage: Storage, open_storage: Callable[[], Storage]
) -> None:
    workers = [storage] + [open_storage() for _ in range(5)]
    for round_number in range(5):

        def claim(worker: int, jti: str = f"race-{round_number}") -> bool:
            return workers[worker].remember_jti("iss", jti, expires(300))

        wins = in_threads(6, claim)
        assert wins.count(True) == 1, wins


def test_expired_jti_records_are_reusable_and_purged(storage: Storage) -> None:
    assert storage.remember_jti("iss", "first", expires(300))  # this instance's purge is done
    assert storage.remember_jti("iss", "old", expires(-5))
    assert storage.remember_jti("iss", "old", expires(300))  # the old record had expired
    assert not storage.remember_jti("iss", "old", expires(300))
    for n in range(3):
        storage.remember_jti("iss", f"stale-{n}", expires(-5))
    fresh = Storage(storage.engine.url.render_as_string(hide_password=False))
    try:
        fresh.remember_jti("iss", "trigger-purge", expires(300))
        with fresh.engine.connect() as conn:
            left = set(conn.execute(sa.select(replay_table.c.jti)).scalars())
    finally:
        fresh.engine.dispose()
    assert left == {"first", "old", "trigger-purge"}


# -- audit ----------------------------------------------------------------------------------------


def test_audit_round_trip(storage: Storage) -> None:
    record = audit({"card-1": "R1", "card-2": "R7"}, patient_hash=storage.patient_hash("123"))
    storage.save_audit(record)
    storage.save_audit(audit({}, patient_hash=None))
    rows = storage.audit_rows()
    assert storage.count_audit() == 2
    assert rows[0] == record
    assert rows[0].time.tzinfo is not None
    assert rows[1].card_rules == {}
    assert rows[1].patient_hash is None


def test_patient_hash_is_keyed_per_database(
    storage: Storage, tmp_path_factory: pytest.TempPathFactory
) -> None:
    digest = storage.patient_hash("123")
    assert len(digest) == 64
    assert digest == storage.patient_hash("123")
    assert digest != storage.patient_hash("124")
    assert digest != hashlib.sha256(b"123").hexdigest()  # not a plain, dictionary-able hash
    other = Storage(f"sqlite:///{tmp_path_factory.mktemp('other') / 'other.sqlite3'}")
    try:
        other.create_schema()
        assert other.patient_hash("123") != digest  # a different database has its own salt
    finally:
        other.engine.dispose()


def test_text_a_database_cannot_hold_is_sanitised(storage: Storage) -> None:
    record = audit({"card\x00-1": "R1"})
    record.hook_instance = "hook\x00instance\ud800"
    storage.save_audit(record)
    stored = storage.audit_rows()[0]
    assert "\x00" not in stored.hook_instance
    assert stored.hook_instance.startswith("hookinstance")
    assert list(stored.card_rules) == ["card-1"]
    assert len(storage.patient_hash("lone\ud800surrogate")) == 64


def test_over_long_values_are_cut_to_the_column_size(storage: Storage) -> None:
    """PostgreSQL enforces VARCHAR lengths; an over-long id must not turn into a 500."""
    record = audit({"c" * 300: "R" * 150})
    record.hook_instance = "h" * 500
    storage.save_audit(record)
    stored = storage.audit_rows()[0]
    assert stored.hook_instance == "h" * 200
    assert stored.card_rules == {"c" * 200: "R" * 100}


# -- feedback -------------------------------------------------------------------------------------


EHR = "https://ehr.example.test"


def test_feedback_is_idempotent(storage: Storage) -> None:
    storage.save_audit(audit({"card-1": "R1", "card-2": "R2"}, client_iss=EHR))
    items = [item("card-1"), item("card-2", "overridden", user_comment="not today")]
    assert storage.save_feedback(SERVICE, items, EHR) == 2
    assert storage.save_feedback(SERVICE, items, EHR) == 0
    assert storage.save_feedback(SERVICE, [items[0], items[0]], EHR) == 0
    # A resend with another comment is the same outcome (the comment does not identify it).
    assert (
        storage.save_feedback(SERVICE, [item("card-2", "overridden", user_comment="x")], EHR) == 0
    )
    assert storage.count_feedback() == 2


def test_suggestion_order_does_not_defeat_deduplication(storage: Storage) -> None:
    storage.save_audit(audit({"c": "R1"}))
    assert storage.save_feedback(SERVICE, [item("c", accepted_suggestions=("a", "b"))], None) == 1
    assert storage.save_feedback(SERVICE, [item("c", accepted_suggestions=("b", "a"))], None) == 0


@pytest.mark.parametrize(
    "change",
    [
        {"outcome_timestamp": NOW + timedelta(minutes=1)},
        {"accepted_suggestions": ("s-2",)},
        {"outcome": "overridden", "accepted_suggestions": ()},
    ],
)
def test_a_second_outcome_for_a_card_is_a_conflict(storage: Storage, change: Any) -> None:
    storage.save_audit(audit({"card-1": "R1", "card-2": "R2"}, client_iss=EHR))
    assert storage.save_feedback(SERVICE, [item("card-1")], EHR) == 1
    with pytest.raises(FeedbackRejected) as refused:
        storage.save_feedback(SERVICE, [item("card-2"), item("card-1", **change)], EHR)
    assert refused.value.kind == "conflict"
    assert "feedback[1]" in refused.value.message
    assert [(r.card, r.outcome) for r in storage.feedback_rows()] == [("card-1", "accepted")]


def test_feedback_only_for_cards_sent_to_the_same_client_and_service(storage: Storage) -> None:
    storage.save_audit(audit({"card-a": "R1"}, client_iss=EHR))
    storage.save_audit(audit({"card-demo": "R2"}))  # demo mode: no client
    refusals = [
        ("other-service", [item("card-a")], EHR),
        (SERVICE, [item("card-a")], "https://other.example.test"),
        (SERVICE, [item("card-a")], None),
        (SERVICE, [item("card-demo")], EHR),
        (SERVICE, [item("card-unknown")], EHR),
    ]
    for service_id, items, client in refusals:
        with pytest.raises(FeedbackRejected) as refused:
            storage.save_feedback(service_id, items, client)
        assert refused.value.kind == "unknown-card"
    assert storage.count_feedback() == 0
    assert storage.save_feedback(SERVICE, [item("card-a")], EHR) == 1
    assert storage.save_feedback(SERVICE, [item("card-demo")], None) == 1


def test_feedback_rate_limit_counts_the_clients_last_minute(storage: Storage) -> None:
    cards = {f"card-{n}": "R1" for n in range(5)}
    storage.save_audit(audit(cards, client_iss=EHR))
    storage.save_audit(audit({"card-x": "R1"}, client_iss="https://other.example.test"))
    assert (
        storage.save_feedback(SERVICE, [item(c) for c in list(cards)[:3]], EHR, per_minute_limit=4)
        == 3
    )
    with pytest.raises(FeedbackRejected) as refused:
        storage.save_feedback(SERVICE, [item("card-3"), item("card-4")], EHR, per_minute_limit=4)
    assert refused.value.kind == "rate-limited"
    assert storage.save_feedback(SERVICE, [item("card-3")], EHR, per_minute_limit=4) == 1
    other = storage.save_feedback(
        SERVICE, [item("card-x")], "https://other.example.test", per_minute_limit=4
    )
    assert other == 1
    assert storage.count_feedback() == 5


def test_concurrent_duplicate_feedback_is_stored_once(
    storage: Storage, open_storage: Callable[[], Storage]
) -> None:
    storage.save_audit(audit({f"card-{n}": "R1" for n in range(5)}))
    workers = [storage] + [open_storage() for _ in range(3)]
    items = [item(f"card-{n}") for n in range(5)]
    stored = in_threads(4, lambda i: workers[i].save_feedback(SERVICE, items, None))
    assert sum(stored) == 5
    assert storage.count_feedback() == 5


def test_concurrent_conflicting_outcomes_keep_exactly_one(
    storage: Storage, open_storage: Callable[[], Storage]
) -> None:
    storage.save_audit(audit({"card-1": "R1"}, client_iss=EHR))
    workers = [storage] + [open_storage() for _ in range(3)]
    outcomes = ["accepted", "overridden", "accepted", "overridden"]

    def report(i: int) -> str:
        change = {"outcome_timestamp": NOW + timedelta(minutes=i)}
        try:
            workers[i].save_feedback(SERVICE, [item("card-1", outcomes[i], **change)], EHR)
        except FeedbackRejected as exc:
            return exc.kind
        return "stored"

    assert sorted(in_threads(4, report)) == ["conflict", "conflict", "conflict", "stored"]
    assert storage.count_feedback() == 1


def test_feedback_is_linked_to_the_rule_through_the_audit(storage: Storage) -> None:
    storage.save_audit(audit({"card-a": "R1", "card-b": "R4"}, client_iss=EHR))
    storage.save_feedback(SERVICE, [item("card-a"), item("card-b", "overridden")], EHR)
    rows = {row.card: row for row in storage.feedback_rows()}
    assert rows["card-a"].rule_id == "R1"
    assert rows["card-b"].rule_id == "R4"
    assert rows["card-b"].override_reason_code == "patient-declined"
    assert rows["card-a"].client_iss == EHR
    assert rows["card-a"].outcome_timestamp == NOW


def test_feedback_report_counts_outcomes_per_rule(storage: Storage) -> None:
    cards = {f"card-{n}": f"R{n % 3}" for n in range(9)}
    storage.save_audit(audit(cards))
    outcomes = {card: ("accepted" if n % 2 else "overridden") for n, card in enumerate(cards)}
    storage.save_feedback(SERVICE, [item(c, o) for c, o in outcomes.items()], None)
    expected: dict[str | None, Counter[str]] = {}
    for card, outcome in outcomes.items():
        expected.setdefault(cards[card], Counter())[outcome] += 1
    report = storage.feedback_report()
    assert report == [
        FeedbackStat(rule, c["accepted"], c["overridden"], c.total())
        for rule, c in sorted(expected.items(), key=lambda kv: kv[0] or "")
    ]


def test_data_survives_reopening(storage: Storage, open_storage: Callable[[], Storage]) -> None:
    storage.save_audit(
        audit({"card-1": "R2"}, patient_hash=storage.patient_hash("p-9"), client_iss="iss")
    )
    storage.save_feedback(SERVICE, [item("card-1", user_comment="useful")], "iss")
    storage.remember_jti("iss", "jti-persisted", expires(300))
    before = (storage.audit_rows(), storage.feedback_rows(), storage.patient_hash("p-9"))
    storage.engine.dispose()

    reopened = open_storage()
    reopened.create_schema()
    assert (reopened.audit_rows(), reopened.feedback_rows(), reopened.patient_hash("p-9")) == before
    assert not reopened.remember_jti("iss", "jti-persisted", expires(300))


# -- connection handling --------------------------------------------------------------------------


def test_ping_reports_an_unreachable_database(tmp_path_factory: pytest.TempPathFactory) -> None:
    missing_dir = tmp_path_factory.mktemp("gone") / "no" / "such" / "dir" / "db.sqlite3"
    for url in (f"sqlite:///{missing_dir}", "postgresql://nobody@127.0.0.1:1/none"):
        storage = Storage(url)
        try:
            assert storage.ping() is False
        finally:
            storage.engine.dispose()


@pytest.mark.parametrize(
    ("url", "driver"),
    [
        ("postgresql://u@db.example.test/gist", "postgresql+psycopg"),
        ("postgres://u@db.example.test/gist", "postgresql+psycopg"),
        ("postgresql+psycopg://u@db.example.test/gist", "postgresql+psycopg"),
        ("sqlite:///relative.sqlite3", "sqlite"),
    ],
)
def test_database_urls_are_normalised(url: str, driver: str) -> None:
    assert normalise_database_url(url).drivername == driver


@pytest.mark.parametrize(
    "url", ["mysql://u@db/gist", "postgresql+psycopg2://u@db/gist", "not a url"]
)
def test_unsupported_database_urls_are_config_errors(url: str) -> None:
    with pytest.raises(ConfigError):
        Storage(url)


def test_in_memory_sqlite_works_for_tools() -> None:
    storage = Storage("sqlite://")
    try:
        storage.create_schema()
        assert storage.remember_jti("iss", "j", expires(60))
        assert not storage.remember_jti("iss", "j", expires(60))
    finally:
        storage.engine.dispose()


# -- schema upgrade -------------------------------------------------------------------------------


def test_a_0_1_0_database_is_upgraded_only_when_asked_and_keeps_its_data(
    open_storage: Callable[[], Storage],
) -> None:
    """Release 0.1.0 had no migration history and no receiving client on audit rows."""
    from tests.fixtures.schema_0_1_0 import audit_card_table, audit_table, create_0_1_0_schema

    storage = open_storage()
    with storage.engine.begin() as conn:
        create_0_1_0_schema(conn)
        inserted = conn.execute(
            audit_table.insert().values(
                time=NOW,
                service_id=SERVICE,
                hook_instance="h-0",
                patient_hash=None,
                categories=["surveillance"],
                rule_ids=["S1"],
                knowledge_version="2026.1",
                latency_ms=1.0,
                status=200,
            )
        ).inserted_primary_key
        assert inserted is not None
        conn.execute(
            audit_card_table.insert().values(
                card_uuid="old-card", rule_id="S1", audit_id=inserted[0]
            )
        )
    assert storage.schema_status().state == "unversioned"
    with pytest.raises(ConfigError, match="gist-cds db upgrade"):
        storage.create_schema()
    assert storage.schema_status().state == "unversioned"  # refused: nothing changed

    storage.create_schema(upgrade=True)
    status = storage.schema_status()
    assert (status.state, status.current) == ("current", status.head)
    (row,) = storage.audit_rows()
    assert (row.hook_instance, row.card_rules, row.client_iss) == ("h-0", {"old-card": "S1"}, None)
    assert storage.save_feedback(SERVICE, [item("old-card")], None) == 1
    storage.save_audit(audit({"new-card": "R1"}, client_iss=EHR))
    assert storage.save_feedback(SERVICE, [item("new-card")], EHR) == 1
    storage.create_schema()  # current: nothing to do


def test_a_database_from_a_newer_release_is_refused(storage: Storage) -> None:
    with storage.engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '0099'"))
    with pytest.raises(ConfigError, match="newer than this gist-cds knows"):
        storage.create_schema(upgrade=True)
    assert storage.schema_status().state == "newer"


def test_the_migrations_build_exactly_the_tables_the_code_uses(storage: Storage) -> None:
    """No drift between cds_hooks/migrations and the table definitions queries are built from."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from cds_hooks.storage import metadata

    with storage.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), metadata) == []


# -- durability of commits ------------------------------------------------------------------------


def _durability_at_each_insert(storage: Storage) -> list[tuple[str, str]]:
    """(table, the commit durability in force) for every INSERT the storage runs from now on,
    read from the database session itself at that moment."""
    seen: list[tuple[str, str]] = []

    @sa.event.listens_for(storage.engine, "after_cursor_execute")
    def _record(conn: Any, cursor: Any, statement: str, *_args: Any) -> None:
        if not statement.lstrip().upper().startswith("INSERT INTO"):
            return
        table = statement.split()[2].strip('"')
        raw = conn.connection.dbapi_connection
        if storage.dialect == "sqlite":
            level = {1: "normal", 2: "full"}[raw.execute("PRAGMA synchronous").fetchone()[0]]
        else:
            level = (
                "full" if raw.execute("SHOW synchronous_commit").fetchone()[0] == "on" else "off"
            )
        seen.append((table, level))

    return seen


def test_audit_rows_commit_without_waiting_for_the_disk_everything_else_waits(
    storage: Storage,
) -> None:
    """The audit write skips the per-commit fsync (docs/performance.md); feedback, replay
    records and the salt keep it — also on the same pooled connection right after an audit."""
    seen = _durability_at_each_insert(storage)
    relaxed = "normal" if storage.dialect == "sqlite" else "off"
    storage.save_audit(audit({"card-1": "R1", "card-2": "R2"}, client_iss=EHR))
    storage.save_feedback(SERVICE, [item("card-1")], EHR)
    storage.remember_jti("iss", "jti-after-audit", expires(300))
    storage.save_audit(audit({"card-3": "R1"}, client_iss=EHR))
    assert seen == [
        ("gist_audit", relaxed),
        ("gist_audit_card", relaxed),
        ("gist_feedback", "full"),
        ("gist_jwt_replay", "full"),
        ("gist_audit", relaxed),
        ("gist_audit_card", relaxed),
    ]
    assert [sorted(r.card_rules) for r in storage.audit_rows()] == [
        ["card-1", "card-2"],
        ["card-3"],
    ]


_KILLED_WRITER = """
import os, signal, sys
from datetime import UTC, datetime
from cds_hooks.storage import AuditRecord, Storage
storage = Storage(sys.argv[1])
storage.create_schema()
for n in range(20):
    storage.save_audit(AuditRecord(
        time=datetime.now(UTC), service_id="gist-treatment", hook_instance=f"call-{n}",
        patient_hash=None, categories=("treatment",), rule_ids=("R1",),
        card_rules={f"card-{n}": "R1"}, knowledge_version="test",
    ))
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_committed_audit_rows_survive_the_process_being_killed(
    database_url: str, open_storage: Callable[[], Storage]
) -> None:
    """What the relaxed audit commit keeps: every row save_audit returned for, when the process
    is killed right after (no clean shutdown, no dispose)."""
    done = subprocess.run(
        [sys.executable, "-c", _KILLED_WRITER, database_url],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == -signal.SIGKILL, done.stderr
    reopened = open_storage()
    reopened.create_schema()
    rows = reopened.audit_rows()
    assert [r.hook_instance for r in rows] == [f"call-{n}" for n in range(20)]
    assert [dict(r.card_rules) for r in rows] == [{f"card-{n}": "R1"} for n in range(20)]
