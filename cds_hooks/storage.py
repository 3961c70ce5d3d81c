"""Durable state shared by every worker and instance: JWT replay records, audit, feedback.

SQLAlchemy Core over SQLite (default; WAL, busy timeout, synchronous commits, writes take the
lock up front so concurrent workers queue instead of failing) or PostgreSQL (psycopg 3). Every
method commits before it returns. Patient ids are stored only as a keyed hash whose salt lives in
the database, so all workers agree on it and the hash cannot be reversed from a list of ids
without the database.

Durability: feedback, JWT replay records and the salt wait for the disk on every commit. The
audit row of a hook call is committed without that wait (SQLite: `synchronous = NORMAL` under
WAL; PostgreSQL: `synchronous_commit = off` for that transaction), because one fsync per call
was the largest single cost of a call (docs/performance.md). A committed audit row survives the
worker being killed (SIGKILL) and a clean or unclean restart of the service; only a crash of the
operating system or a power loss (SQLite), or of the PostgreSQL server, can lose the audit rows
of the last moments before it. The database stays consistent either way.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import sqlite3
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from alembic import command as alembic_command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import StaticPool

from cds_hooks.config import ConfigError
from cds_hooks.feedback import FeedbackItem

#: gist_meta schema_version of databases made before migrations -> the revision they match
_LEGACY_REVISIONS = {1: "0001", 2: "0002"}
PURGE_INTERVAL_S = 60.0
SQLITE_BUSY_TIMEOUT_MS = 30_000
_SALT_KEY = "patient_hash_salt"
_SCHEMA_LOCK_KEY = 0x6715_7C05  # pg advisory lock id: one worker creates the schema at a time


class UTCDateTime(sa.TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on both backends (SQLite keeps no offset)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


metadata = sa.MetaData()

meta_table = sa.Table(
    "gist_meta",
    metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)

replay_table = sa.Table(
    "gist_jwt_replay",
    metadata,
    sa.Column("iss", sa.Text, primary_key=True),
    sa.Column("jti", sa.String(256), primary_key=True),
    sa.Column("expires_at", sa.Float, nullable=False, index=True),  # epoch seconds
)

audit_table = sa.Table(
    "gist_audit",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
    sa.Column("time", UTCDateTime, nullable=False, index=True),
    sa.Column("service_id", sa.String(200), nullable=False),
    sa.Column("hook_instance", sa.String(200), nullable=False),
    sa.Column("patient_hash", sa.String(64)),
    sa.Column("categories", sa.JSON, nullable=False),
    sa.Column("rule_ids", sa.JSON, nullable=False),
    sa.Column("knowledge_version", sa.String(100), nullable=False),
    sa.Column("latency_ms", sa.Float, nullable=False),
    sa.Column("status", sa.Integer, nullable=False),
    sa.Column("client_iss", sa.Text),  # the client the cards were sent to; None in demo mode
)

audit_card_table = sa.Table(
    "gist_audit_card",
    metadata,
    sa.Column("card_uuid", sa.String(200), primary_key=True),
    sa.Column("rule_id", sa.String(100), nullable=False),
    sa.Column("audit_id", sa.ForeignKey("gist_audit.id"), nullable=False, index=True),
)

feedback_table = sa.Table(
    "gist_feedback",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
    sa.Column("dedup_key", sa.String(64), nullable=False, unique=True),
    sa.Column("service_id", sa.String(200), nullable=False),
    sa.Column("card_uuid", sa.String(200), nullable=False, index=True),
    sa.Column("outcome", sa.String(20), nullable=False),
    sa.Column("outcome_timestamp", UTCDateTime, nullable=False),
    sa.Column("accepted_suggestions", sa.JSON, nullable=False),
    sa.Column("override_reason_code", sa.String(200)),
    sa.Column("override_reason_system", sa.String(500)),
    sa.Column("user_comment", sa.Text),
    sa.Column("client_iss", sa.Text),
    sa.Column("rule_id", sa.String(100), index=True),
    sa.Column("received_at", UTCDateTime, nullable=False),
)
# The per-client feedback rate limit counts a client's recent rows (migration 0002).
feedback_client_time_index = sa.Index(
    "ix_gist_feedback_client_received", feedback_table.c.client_iss, feedback_table.c.received_at
)


@dataclass
class AuditRecord:
    """One hook call, without PHI: the patient only as a keyed hash."""

    time: datetime
    service_id: str
    hook_instance: str
    patient_hash: str | None
    categories: tuple[str, ...]
    rule_ids: tuple[str, ...]
    card_rules: Mapping[str, str] = field(default_factory=dict)  # card uuid -> rule id
    knowledge_version: str = ""
    latency_ms: float = 0.0
    status: int = 200
    client_iss: str | None = None  # the client that received the cards (None in demo mode)


class FeedbackRejected(Exception):
    """Feedback refused as a whole: `kind` is "unknown-card", "conflict" or "rate-limited"."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


@dataclass(frozen=True)
class FeedbackStat:
    """Outcome counts of the cards of one rule (`rule_id` None: card not found in the audit)."""

    rule_id: str | None
    accepted: int
    overridden: int
    total: int


@dataclass(frozen=True)
class StoredFeedback:
    """A feedback row as read back (tests, reports)."""

    service_id: str
    card: str
    outcome: str
    outcome_timestamp: datetime
    accepted_suggestions: tuple[str, ...]
    override_reason_code: str | None
    override_reason_system: str | None
    user_comment: str | None
    client_iss: str | None
    rule_id: str | None
    received_at: datetime


class Storage:
    """The service database; one instance per process, safe to share between threads."""

    def __init__(self, database_url: str) -> None:
        self._engine = _create_engine(database_url)
        self._dialect = self._engine.dialect.name
        self._salt: bytes | None = None
        self._salt_lock = threading.Lock()
        self._last_purge = float("-inf")
        # Built once: the audit insert runs on every hook call, and building a statement (and
        # its cache key) per call cost about as much as executing it.
        self._audit_insert = audit_table.insert()
        self._audit_card_insert = self._insert_ignore(audit_card_table)

    @property
    def engine(self) -> Engine:
        return self._engine

    @property
    def dialect(self) -> str:
        return self._dialect

    def create_schema(self, *, upgrade: bool = False) -> None:
        """Create the schema in an empty database, or check an existing one is current.

        An older schema is migrated only when asked (`upgrade`, i.e. `gist-cds db upgrade`),
        otherwise ConfigError says what to run; a schema newer than this release is always a
        ConfigError. Idempotent and safe when several workers start at once (one transaction
        under the schema lock)."""
        with self._write() as conn:
            if self._dialect == "postgresql":
                conn.execute(sa.select(sa.func.pg_advisory_xact_lock(_SCHEMA_LOCK_KEY)))
            status = _schema_status(conn)
            config = _alembic_config(conn)
            if status.state == "newer":
                raise ConfigError(
                    f"the database schema is at revision {status.current}, newer than this "
                    f"gist-cds knows (head {status.head}); run the release that wrote it"
                )
            if status.state == "empty":
                alembic_command.upgrade(config, "head")
            elif status.state == "unversioned" and status.current is not None:
                alembic_command.stamp(config, status.current)  # 0.1.0: before migrations
            if status.state in ("older", "unversioned") and status.current != status.head:
                if not upgrade:
                    raise ConfigError(
                        f"the database schema is at revision {status.current}; this release "
                        f"needs {status.head}: back up the database, then run "
                        "`gist-cds db upgrade` (or `gist-cds serve --upgrade-db`)"
                    )
                alembic_command.upgrade(config, "head")
        self._load_salt()

    def schema_status(self) -> SchemaStatus:
        """Where the database's schema stands against this release's migrations (read only)."""
        with self._read() as conn:
            return _schema_status(conn)

    def dispose(self) -> None:
        """Drop pooled connections (call in a forked child before first use)."""
        self._engine.dispose(close=False)

    def close(self) -> None:
        """Close every pooled connection (the app or tool is done with the database)."""
        self._engine.dispose(close=True)

    def ping(self) -> bool:
        """True when the database answers a trivial query."""
        try:
            with self._read() as conn:
                conn.execute(sa.select(sa.literal(1))).scalar_one()
        except sa.exc.SQLAlchemyError:
            return False
        return True

    # -- JWT replay ---------------------------------------------------------------------------

    def remember_jti(self, iss: str, jti: str, expires_at: datetime) -> bool:
        """Record (iss, jti) until `expires_at`; False if it is already recorded and unexpired.

        One atomic upsert on the (iss, jti) primary key, so two workers racing with the same
        token cannot both win. An expired record may be reused (the old token is dead anyway).
        """
        now = time.time()
        stmt = self._insert(replay_table).values(
            iss=iss, jti=jti, expires_at=expires_at.timestamp()
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=[replay_table.c.iss, replay_table.c.jti],
            set_={"expires_at": stmt.excluded.expires_at},
            where=replay_table.c.expires_at < now,
        )
        with self._write() as conn:
            # RETURNING yields a row only if this call inserted (or revived) the record; rowcount
            # is not reliable for INSERT across drivers.
            fresh = conn.execute(stmt.returning(replay_table.c.jti)).first() is not None
        if now - self._last_purge >= PURGE_INTERVAL_S:
            self._last_purge = now
            with self._write() as conn:
                conn.execute(replay_table.delete().where(replay_table.c.expires_at < now))
        return fresh

    # -- audit ----------------------------------------------------------------------------------

    def patient_hash(self, patient_id: str) -> str:
        """HMAC-SHA256 of the patient id under this database's secret salt (hex)."""
        data = patient_id.encode("utf-8", "surrogatepass")
        return hmac.new(self._load_salt(), data, hashlib.sha256).hexdigest()

    def save_audit(self, record: AuditRecord) -> None:
        """Store one hook call and remember which rule produced each card (for feedback).

        Committed before it returns, without waiting for the disk (see the module docstring)."""
        with self._write(wait_for_disk=False) as conn:
            result = conn.execute(
                self._audit_insert,
                {
                    "time": record.time,
                    "service_id": _text(record.service_id, 200),
                    "hook_instance": _text(record.hook_instance, 200),
                    "patient_hash": record.patient_hash,
                    "categories": [_text(c) for c in record.categories],
                    "rule_ids": [_text(r) for r in record.rule_ids],
                    "knowledge_version": _text(record.knowledge_version, 100),
                    "latency_ms": float(record.latency_ms),
                    "status": int(record.status),
                    "client_iss": _text_or_none(record.client_iss),
                },
            )
            primary_key = result.inserted_primary_key
            assert primary_key is not None  # a plain single-row INSERT always has one
            audit_id = primary_key[0]
            rows = [
                {
                    "card_uuid": _text(card_uuid, 200),
                    "rule_id": _text(rule_id, 100),
                    "audit_id": audit_id,
                }
                for card_uuid, rule_id in record.card_rules.items()
            ]
            if rows:  # one statement for all the call's cards
                conn.execute(self._audit_card_insert, rows)

    def audit_rows(self) -> list[AuditRecord]:
        with self._read() as conn:
            cards: dict[int, dict[str, str]] = {}
            for card in conn.execute(sa.select(audit_card_table)):
                cards.setdefault(card.audit_id, {})[card.card_uuid] = card.rule_id
            rows = conn.execute(sa.select(audit_table).order_by(audit_table.c.id)).all()
        return [
            AuditRecord(
                time=row.time,
                service_id=row.service_id,
                hook_instance=row.hook_instance,
                patient_hash=row.patient_hash,
                categories=tuple(row.categories),
                rule_ids=tuple(row.rule_ids),
                card_rules=cards.get(row.id, {}),
                knowledge_version=row.knowledge_version,
                latency_ms=row.latency_ms,
                status=row.status,
                client_iss=row.client_iss,
            )
            for row in rows
        ]

    def count_audit(self) -> int:
        return self._count(audit_table)

    # -- feedback -------------------------------------------------------------------------------

    def save_feedback(
        self,
        service_id: str,
        items: Sequence[FeedbackItem],
        client_iss: str | None,
        *,
        per_minute_limit: int | None = None,
    ) -> int:
        """Store feedback items; returns how many were new (see save_feedback_items)."""
        return sum(
            self.save_feedback_items(
                service_id, items, client_iss, per_minute_limit=per_minute_limit
            )
        )

    def save_feedback_items(
        self,
        service_id: str,
        items: Sequence[FeedbackItem],
        client_iss: str | None,
        *,
        per_minute_limit: int | None = None,
    ) -> list[bool]:
        """Store feedback items; per item, True if new (False: an identical resend, ignored).

        All or nothing, in one transaction. Each item must name a card the audit shows this
        service sent to this client (client None: demo mode); each client gives one outcome per
        card; a client stores at most `per_minute_limit` items a minute. Otherwise
        FeedbackRejected says which item broke which rule and nothing is stored.
        """
        if not items:
            return []
        received = datetime.now(UTC)
        new: list[bool] = []
        with self._write() as conn:
            if per_minute_limit is not None:
                recent = conn.execute(
                    sa.select(sa.func.count())
                    .select_from(feedback_table)
                    .where(
                        feedback_table.c.client_iss.is_not_distinct_from(client_iss),
                        feedback_table.c.received_at > received - timedelta(minutes=1),
                    )
                ).scalar_one()
                if recent + len(items) > per_minute_limit:
                    raise FeedbackRejected(
                        "rate-limited",
                        f"feedback is limited to {per_minute_limit} items a minute per client; "
                        "retry later",
                    )
            rule_of = self._cards_sent(conn, service_id, client_iss, {i.card for i in items})
            for index, item in enumerate(items):
                if item.card not in rule_of:
                    raise FeedbackRejected(
                        "unknown-card",
                        f"feedback[{index}].card is not a card this service returned to "
                        "this client",
                    )
                row = {
                    "dedup_key": _feedback_key(service_id, item.card, client_iss),
                    "service_id": _text(service_id, 200),
                    "card_uuid": _text(item.card, 200),
                    "outcome": item.outcome,
                    "outcome_timestamp": item.outcome_timestamp,
                    "accepted_suggestions": [_text(s) for s in item.accepted_suggestions],
                    "override_reason_code": _text_or_none(item.override_reason_code),
                    "override_reason_system": _text_or_none(item.override_reason_system),
                    "user_comment": _text_or_none(item.user_comment),
                    "client_iss": _text_or_none(client_iss),
                    "rule_id": rule_of[item.card],
                    "received_at": received,
                }
                stmt = self._insert_ignore(feedback_table).values(**row)
                if conn.execute(stmt.returning(feedback_table.c.id)).first() is not None:
                    new.append(True)
                    continue
                existing = conn.execute(
                    sa.select(feedback_table).where(feedback_table.c.dedup_key == row["dedup_key"])
                ).one()
                if _outcome_identity(existing) != _item_identity(item):
                    raise FeedbackRejected(
                        "conflict",
                        f"feedback[{index}]: this client already reported the outcome "
                        f"{existing.outcome!r} for this card; one outcome per card",
                    )
                new.append(False)
        return new

    def _cards_sent(
        self, conn: Connection, service_id: str, client_iss: str | None, cards: set[str]
    ) -> dict[str, str]:
        """Card uuid -> rule id, for those of `cards` this service sent to this client."""
        query = (
            sa.select(audit_card_table.c.card_uuid, audit_card_table.c.rule_id)
            .join(audit_table, audit_table.c.id == audit_card_table.c.audit_id)
            .where(
                audit_card_table.c.card_uuid.in_(cards),
                audit_table.c.service_id == service_id,
                audit_table.c.client_iss.is_not_distinct_from(client_iss),
            )
        )
        return {row[0]: row[1] for row in conn.execute(query)}

    def feedback_rows(self) -> list[StoredFeedback]:
        with self._read() as conn:
            rows = conn.execute(sa.select(feedback_table).order_by(feedback_table.c.id)).all()
        return [
            StoredFeedback(
                service_id=row.service_id,
                card=row.card_uuid,
                outcome=row.outcome,
                outcome_timestamp=row.outcome_timestamp,
                accepted_suggestions=tuple(row.accepted_suggestions),
                override_reason_code=row.override_reason_code,
                override_reason_system=row.override_reason_system,
                user_comment=row.user_comment,
                client_iss=row.client_iss,
                rule_id=row.rule_id,
                received_at=row.received_at,
            )
            for row in rows
        ]

    def feedback_report(self) -> list[FeedbackStat]:
        """Accepted / overridden counts per rule id (unlinked feedback under rule id None)."""
        outcome = feedback_table.c.outcome
        query = sa.select(
            feedback_table.c.rule_id,
            sa.func.sum(sa.case((outcome == "accepted", 1), else_=0)),
            sa.func.sum(sa.case((outcome == "overridden", 1), else_=0)),
            sa.func.count(),
        ).group_by(feedback_table.c.rule_id)
        with self._read() as conn:
            rows = conn.execute(query).all()
        stats = [FeedbackStat(r[0], int(r[1]), int(r[2]), int(r[3])) for r in rows]
        return sorted(stats, key=lambda s: (s.rule_id is None, s.rule_id or ""))

    def count_feedback(self) -> int:
        return self._count(feedback_table)

    # -- plumbing -------------------------------------------------------------------------------

    def _count(self, table: sa.Table) -> int:
        with self._read() as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())

    def _load_salt(self) -> bytes:
        if self._salt is None:
            with self._salt_lock:
                if self._salt is None:
                    fresh = secrets.token_hex(32)
                    with self._write() as conn:
                        conn.execute(
                            self._insert_ignore(meta_table).values(key=_SALT_KEY, value=fresh)
                        )
                        value = conn.execute(
                            sa.select(meta_table.c.value).where(meta_table.c.key == _SALT_KEY)
                        ).scalar_one()
                    self._salt = bytes.fromhex(value)
        return self._salt

    @contextmanager
    def _write(self, *, wait_for_disk: bool = True) -> Iterator[Connection]:
        """A write transaction, committed on exit. `wait_for_disk=False`: the commit returns
        once the database has the data, before it is flushed to disk (audit rows only)."""
        with self._engine.connect() as conn:
            conn.execution_options(gist_wait_for_disk=wait_for_disk)
            with conn.begin():
                if not wait_for_disk and self._dialect == "postgresql":
                    conn.exec_driver_sql("SET LOCAL synchronous_commit TO OFF")
                yield conn

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        with self._engine.connect() as conn:
            conn.execution_options(gist_read_only=True)
            with conn.begin():
                yield conn

    def _insert(self, table: sa.Table) -> Any:
        """A dialect insert that supports ON CONFLICT (both backends speak it)."""
        return postgresql.insert(table) if self._dialect == "postgresql" else sqlite.insert(table)

    def _insert_ignore(self, table: sa.Table) -> Any:
        return self._insert(table).on_conflict_do_nothing()


def _feedback_key(service_id: str, card: str, client_iss: str | None) -> str:
    """One feedback row per service, card and client: the unique key enforces it."""
    identity = [service_id, card, client_iss]
    encoded = json.dumps(identity, ensure_ascii=True, separators=(",", ":"))
    return hashlib.sha256(encoded.encode("ascii")).hexdigest()


def _item_identity(item: FeedbackItem) -> tuple[Any, ...]:
    """What makes two reports the same outcome (a resend); the free-text comment does not."""
    return (
        item.outcome,
        item.outcome_timestamp,
        tuple(sorted(item.accepted_suggestions)),
        item.override_reason_code,
        item.override_reason_system,
    )


def _outcome_identity(row: Any) -> tuple[Any, ...]:
    return (
        row.outcome,
        row.outcome_timestamp,
        tuple(sorted(row.accepted_suggestions)),
        row.override_reason_code,
        row.override_reason_system,
    )


def _stored_version(conn: Connection) -> int | None:
    if not sa.inspect(conn).has_table("gist_meta"):
        return None
    value = conn.execute(
        sa.select(meta_table.c.value).where(meta_table.c.key == "schema_version")
    ).scalar_one_or_none()
    return int(value) if value is not None and value.isdigit() else None


@dataclass(frozen=True)
class SchemaStatus:
    """`state`: "empty" (no tables), "unversioned" (0.1.0, before migrations; `current` is the
    revision its tables match), "older", "current" or "newer" than this release's `head`."""

    state: str
    current: str | None
    head: str


def _alembic_config(conn: Connection) -> AlembicConfig:
    config = AlembicConfig()
    config.set_main_option("script_location", "cds_hooks:migrations")
    config.attributes["connection"] = conn
    return config


def _schema_status(conn: Connection) -> SchemaStatus:
    script = ScriptDirectory.from_config(_alembic_config(conn))
    head = script.get_current_head()
    assert head is not None  # the package ships its migrations
    current = MigrationContext.configure(conn).get_current_revision()
    if current is None:
        legacy = _stored_version(conn)
        if legacy is None:
            return SchemaStatus("empty", None, head)
        revision = _LEGACY_REVISIONS.get(legacy)
        if revision is None:
            return SchemaStatus("newer", f"schema_version {legacy}", head)
        return SchemaStatus("unversioned", revision, head)
    known = {rev.revision for rev in script.walk_revisions()}
    if current not in known:
        return SchemaStatus("newer", current, head)
    return SchemaStatus("current" if current == head else "older", current, head)


def _text(value: str, limit: int | None = None) -> str:
    """Text both databases accept: no NUL, no lone surrogates, within the column's length."""
    cleaned = value.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")
    return cleaned if limit is None else cleaned[:limit]


def _text_or_none(value: str | None) -> str | None:
    return None if value is None else _text(value)


def normalise_database_url(database_url: str) -> sa.URL:
    """Parse the URL; plain `postgresql://` / `postgres://` mean the psycopg 3 driver."""
    try:
        url = sa.make_url(database_url)
    except sa.exc.ArgumentError as exc:
        raise ConfigError(f"database URL is not valid: {exc}") from None
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+psycopg")
    if url.get_backend_name() not in ("sqlite", "postgresql"):
        raise ConfigError("database URL must be sqlite:///PATH or postgresql://...")
    if url.get_backend_name() == "postgresql" and url.get_driver_name() != "psycopg":
        raise ConfigError("PostgreSQL URLs must use the psycopg (3) driver")
    return url


def _create_engine(database_url: str) -> Engine:
    url = normalise_database_url(database_url)
    if url.get_backend_name() == "postgresql":
        return sa.create_engine(
            url,
            pool_pre_ping=True,
            pool_size=5,
            max_overflow=5,
            connect_args={"connect_timeout": 5},
        )
    in_memory = not url.database or url.database == ":memory:"
    if in_memory:
        engine = sa.create_engine(
            url, poolclass=StaticPool, connect_args={"check_same_thread": False}
        )
    else:
        engine = sa.create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
        path = url.database
        assert path is not None  # not in memory

        @sa.event.listens_for(engine, "do_connect")
        def _private_file(*_args: Any) -> None:
            _create_private_file(path)

    _configure_sqlite(engine, wal=not in_memory)
    return engine


def _create_private_file(path: str) -> None:
    """Create a new SQLite file readable by its owner only (0600) before SQLite opens it; its
    -wal and -shm files inherit these permissions. An existing file is left as it is."""
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except OSError:  # exists already, or the directory is missing (SQLite reports that)
        return
    os.close(fd)


def _enable_wal(cursor: Any) -> None:
    """Switch to WAL. The switch needs an exclusive lock and SQLite may answer "database is
    locked" at once (without its busy handler) while another worker is creating the same new
    database, so retry for up to the busy timeout. Once set, WAL persists in the file."""
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            cursor.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def _configure_sqlite(engine: Engine, *, wal: bool) -> None:
    """Durable, concurrency-safe SQLite: WAL, full fsync on commit (audit rows: see the module
    docstring), write lock taken at BEGIN."""

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves (below)
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        if wal:
            _enable_wal(cursor)
        cursor.execute("PRAGMA synchronous = FULL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # IMMEDIATE takes the write lock at once, so a writer waits (busy_timeout) instead of
        # failing later when upgrading a read lock; reads stay DEFERRED and never block.
        options = conn.get_execution_options()
        if options.get("gist_read_only", False):
            conn.exec_driver_sql("BEGIN")
            return
        # Per connection, outside a transaction: FULL fsyncs the WAL on every commit; NORMAL
        # (audit rows) leaves it to the next checkpoint and still survives a process crash.
        durable = options.get("gist_wait_for_disk", True)
        conn.exec_driver_sql(f"PRAGMA synchronous = {'FULL' if durable else 'NORMAL'}")
        conn.exec_driver_sql("BEGIN IMMEDIATE")
