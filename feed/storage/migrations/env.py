"""Alembic's environment for simfeed, driven from code by feed.storage.db.create_schema (no alembic.ini).

A module that adds a table declares it on `feed.storage.db.metadata` and adds a revision
file here in versions/, next in the chain: its `down_revision` is the current head, the
newest file's `revision` (numbers are not contiguous: 0001 -> 0003 -> 0004 -> …; a
revision on top of an older one makes two heads, and start-up then fails). upgrade() /
downgrade() are written with `op.create_table(...)` / `op.drop_table(...)` in the same
columns as its Table, so that it runs on SQLite and PostgreSQL alike. `simfeed db
upgrade` (and every start-up) applies it; tests/test_store.py checks that every table
on `metadata` is created by the revisions, on both backends.
"""

from __future__ import annotations

from alembic import context

from feed.storage.db import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
