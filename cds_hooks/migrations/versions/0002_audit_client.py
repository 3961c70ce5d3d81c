"""Audit rows name the client the cards went to, so feedback can be bound to it; feedback rows
are counted per client and minute for the rate limit.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("gist_audit", sa.Column("client_iss", sa.Text))
    op.create_index(
        "ix_gist_feedback_client_received", "gist_feedback", ["client_iss", "received_at"]
    )
    op.execute("UPDATE gist_meta SET value = '2' WHERE key = 'schema_version'")


def downgrade() -> None:
    op.drop_index("ix_gist_feedback_client_received", "gist_feedback")
    with op.batch_alter_table("gist_audit") as batch:
        batch.drop_column("client_iss")
    op.execute("UPDATE gist_meta SET value = '1' WHERE key = 'schema_version'")
