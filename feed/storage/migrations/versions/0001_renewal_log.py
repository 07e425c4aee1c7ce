"""The renewal log as simfeed kept it before Alembic (SQLite PRAGMA user_version 4).

renewals, meta (the generation counter), idempotency and definitions, exactly as
the four hand-written SQLite migrations made them. A SQLite file made by that
code is taken from its user_version up to 4 in place, rows untouched; a new
database (SQLite or PostgreSQL) runs all four steps. user_version stays 4 on
SQLite, so the file still reads as current to the code of before.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

from alembic import op
from sqlalchemy import inspect

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# The statements of versions 1 to 4, in SQLite's words; _dialect() rewords them for PostgreSQL.
STEPS: list[list[str]] = [
    ["""CREATE TABLE renewals (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            sim_id TEXT NOT NULL,
            date TEXT NOT NULL,
            amount REAL,
            currency TEXT,
            method TEXT,
            reference TEXT,
            note TEXT,
            created_at TEXT NOT NULL
        )""",
     "CREATE INDEX renewals_sim ON renewals (sim_id, date)"],
    ["CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
     "INSERT INTO meta VALUES ('generation', '0'), ('changed_at', '1970-01-01T00:00:00+00:00')",
     """CREATE TABLE idempotency (
            key TEXT PRIMARY KEY,
            fingerprint TEXT NOT NULL,
            renewal_id INTEGER NOT NULL,
            created_at TEXT NOT NULL
        )"""],
    # What a renewal was (some carriers count top-ups only); earlier rows were top-ups.
    ["ALTER TABLE renewals ADD COLUMN kind TEXT NOT NULL DEFAULT 'topup'"],
    # When each version of a SIM's definition was first served: its events' DTSTAMP.
    ["""CREATE TABLE definitions (
            sim_id TEXT NOT NULL,
            fingerprint TEXT NOT NULL,
            first_seen TEXT NOT NULL,
            PRIMARY KEY (sim_id, fingerprint)
        )"""],
]


def _dialect(statement: str, name: str) -> str:
    if name != "postgresql":
        return statement
    # 64-bit ids as SQLite's INTEGER, and REAL as SQLite means it (8 bytes, not PostgreSQL's 4).
    return (statement.replace("id INTEGER PRIMARY KEY AUTOINCREMENT", "id BIGSERIAL PRIMARY KEY")
            .replace("renewal_id INTEGER", "renewal_id BIGINT")
            .replace("amount REAL", "amount DOUBLE PRECISION"))


def upgrade() -> None:
    bind = op.get_bind()
    name = bind.dialect.name
    start = 0
    if name == "sqlite" and inspect(bind).has_table("renewals"):
        start = int(bind.exec_driver_sql("PRAGMA user_version").scalar() or 0)
    for step in STEPS[start:]:
        for statement in step:
            bind.exec_driver_sql(_dialect(statement, name))
    if name == "sqlite":
        bind.exec_driver_sql(f"PRAGMA user_version = {len(STEPS):d}")


def downgrade() -> None:
    for table in ("definitions", "idempotency", "meta", "renewals"):
        op.drop_table(table)
    if op.get_bind().dialect.name == "sqlite":
        op.get_bind().exec_driver_sql("PRAGMA user_version = 0")
