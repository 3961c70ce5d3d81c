"""Alembic environment: migrations always run on a connection the Storage hands over (inside its
write transaction and schema lock), never on one this file opens."""

from __future__ import annotations

from alembic import context

connection = context.config.attributes["connection"]
context.configure(connection=connection, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
