"""The schema of release 0.1.0: settings, JWT replay records, audit, cards, feedback.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision: str | None = None
branch_labels = None
depends_on = None


def _id() -> sa.types.TypeEngine[int]:
    return sa.BigInteger().with_variant(sa.Integer, "sqlite")


def upgrade() -> None:
    op.create_table(
        "gist_meta",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )
    op.create_table(
        "gist_jwt_replay",
        sa.Column("iss", sa.Text, primary_key=True),
        sa.Column("jti", sa.String(256), primary_key=True),
        sa.Column("expires_at", sa.Float, nullable=False),
    )
    op.create_index("ix_gist_jwt_replay_expires_at", "gist_jwt_replay", ["expires_at"])
    op.create_table(
        "gist_audit",
        sa.Column("id", _id(), primary_key=True),
        sa.Column("time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("service_id", sa.String(200), nullable=False),
        sa.Column("hook_instance", sa.String(200), nullable=False),
        sa.Column("patient_hash", sa.String(64)),
        sa.Column("categories", sa.JSON, nullable=False),
        sa.Column("rule_ids", sa.JSON, nullable=False),
        sa.Column("knowledge_version", sa.String(100), nullable=False),
        sa.Column("latency_ms", sa.Float, nullable=False),
        sa.Column("status", sa.Integer, nullable=False),
    )
    op.create_index("ix_gist_audit_time", "gist_audit", ["time"])
    op.create_table(
        "gist_audit_card",
        sa.Column("card_uuid", sa.String(200), primary_key=True),
        sa.Column("rule_id", sa.String(100), nullable=False),
        sa.Column("audit_id", _id(), sa.ForeignKey("gist_audit.id"), nullable=False),
    )
    op.create_index("ix_gist_audit_card_audit_id", "gist_audit_card", ["audit_id"])
    op.create_table(
        "gist_feedback",
        sa.Column("id", _id(), primary_key=True),
        sa.Column("dedup_key", sa.String(64), nullable=False, unique=True),
        sa.Column("service_id", sa.String(200), nullable=False),
        sa.Column("card_uuid", sa.String(200), nullable=False),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("outcome_timestamp", sa.DateTime(timezone=True), nullable=False),
        sa.Column("accepted_suggestions", sa.JSON, nullable=False),
        sa.Column("override_reason_code", sa.String(200)),
        sa.Column("override_reason_system", sa.String(500)),
        sa.Column("user_comment", sa.Text),
        sa.Column("client_iss", sa.Text),
        sa.Column("rule_id", sa.String(100)),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_gist_feedback_card_uuid", "gist_feedback", ["card_uuid"])
    op.create_index("ix_gist_feedback_rule_id", "gist_feedback", ["rule_id"])
    op.execute("INSERT INTO gist_meta (key, value) VALUES ('schema_version', '1')")


def downgrade() -> None:
    for table in ("gist_feedback", "gist_audit_card", "gist_audit", "gist_jwt_replay", "gist_meta"):
        op.drop_table(table)
