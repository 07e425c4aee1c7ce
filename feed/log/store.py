"""The renewal log in SQLite: what happened, never what the SIMs are (that is the config).

The only module that writes. Every write is one transaction taken with
BEGIN IMMEDIATE, so concurrent workers queue rather than interleave, and a
crash leaves either the whole row or nothing. A generation counter bumped in the
same transaction tells every worker, with one cheap read, that the log changed.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from ..core.model import Renewal

IDEMPOTENCY_KEEP = timedelta(hours=48)


def _v1(db: sqlite3.Connection) -> None:
    db.execute("""
        CREATE TABLE renewals (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            sim_id TEXT NOT NULL,
            date TEXT NOT NULL,
            amount REAL,
            currency TEXT,
            method TEXT,
            reference TEXT,
            note TEXT,
            created_at TEXT NOT NULL
        )""")
    db.execute("CREATE INDEX renewals_sim ON renewals (sim_id, date)")


def _v2(db: sqlite3.Connection) -> None:
    db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    db.execute("INSERT INTO meta VALUES ('generation', '0'), ('changed_at', '1970-01-01T00:00:00+00:00')")
    db.execute("""
        CREATE TABLE idempotency (
            key TEXT PRIMARY KEY,
            fingerprint TEXT NOT NULL,
            renewal_id INTEGER NOT NULL,
            created_at TEXT NOT NULL
        )""")


def _v3(db: sqlite3.Connection) -> None:
    # What a renewal was (some carriers count top-ups only); earlier rows were top-ups.
    db.execute("ALTER TABLE renewals ADD COLUMN kind TEXT NOT NULL DEFAULT 'topup'")


def _v4(db: sqlite3.Connection) -> None:
    # When each version of a SIM's definition was first served: its events' DTSTAMP,
    # the same in every worker and across restarts, so unchanged SIMs keep their bytes.
    db.execute("""
        CREATE TABLE definitions (
            sim_id TEXT NOT NULL,
            fingerprint TEXT NOT NULL,
            first_seen TEXT NOT NULL,
            PRIMARY KEY (sim_id, fingerprint)
        )""")


# Forward migrations: MIGRATIONS[n] takes a database from version n to n + 1.
MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [_v1, _v2, _v3, _v4]
SCHEMA_VERSION = len(MIGRATIONS)


class IdempotencyConflict(ValueError):
    """The Idempotency-Key was already used for a different request."""


@dataclass(frozen=True)
class StoredRenewal:
    """A renewal as the log holds it: with its id, its SIM and when it was recorded."""

    id: int
    sim_id: str
    renewal: Renewal
    created_at: datetime


@dataclass(frozen=True)
class LogState:
    """A cheap fingerprint of the log: equal states mean equal contents."""

    generation: int
    changed_at: datetime


def _row(row: sqlite3.Row) -> StoredRenewal:
    return StoredRenewal(
        id=row["id"],
        sim_id=row["sim_id"],
        renewal=Renewal(
            date=date.fromisoformat(row["date"]), amount=row["amount"], currency=row["currency"],
            method=row["method"], reference=row["reference"], note=row["note"], kind=row["kind"],
            log_id=row["id"],
        ),
        created_at=datetime.fromisoformat(row["created_at"]),
    )


def _storable(renewal_id: int) -> bool:
    """Whether an id fits SQLite's INTEGER: a larger one from a URL names no entry (binding it raises)."""
    return -(2**63) <= renewal_id < 2**63


class RenewalStore:
    """The renewal log of one database file; a connection per thread, opened on first use."""

    def __init__(self, path: str | Path, clock: Callable[[], datetime] = lambda: datetime.now(UTC)):
        self.path = Path(path)
        self._clock = clock
        self._local = threading.local()

    def _connect(self) -> sqlite3.Connection:
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=True)
            try:
                db.row_factory = sqlite3.Row
                db.execute("PRAGMA busy_timeout = 30000")
                self._use_wal(db)
                db.execute("PRAGMA synchronous = NORMAL")
                self._migrate(db)
            except BaseException:
                db.close()  # a failed migration must not leak the connection
                raise
            self._local.db = db
        return db

    @staticmethod
    def _use_wal(db: sqlite3.Connection) -> None:
        """Switch to WAL, waiting out other openers: the switch ignores the busy timeout."""
        deadline = time.monotonic() + 30
        while True:
            try:
                db.execute("PRAGMA journal_mode = WAL")
                return
            except sqlite3.OperationalError as error:
                if "locked" not in str(error) or time.monotonic() > deadline:
                    raise
                time.sleep(0.02)

    @staticmethod
    def _migrate(db: sqlite3.Connection) -> None:
        if db.execute("PRAGMA user_version").fetchone()[0] >= SCHEMA_VERSION:
            return
        db.execute("BEGIN IMMEDIATE")
        try:
            version = db.execute("PRAGMA user_version").fetchone()[0]
            for step in MIGRATIONS[version:]:
                step(db)
            db.execute(f"PRAGMA user_version = {SCHEMA_VERSION:d}")
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        db = self._connect()
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def _touch(self, db: sqlite3.Connection) -> None:
        """Mark the log as changed, inside the writing transaction."""
        db.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'generation'")
        db.execute("UPDATE meta SET value = ? WHERE key = 'changed_at'", (self._clock().isoformat(),))

    def close(self) -> None:
        """Close this thread's connection (before a fork, or at the end of a test)."""
        db = getattr(self._local, "db", None)
        if db is not None:
            db.close()
            self._local.db = None

    def generation(self) -> int:
        """How many times the log has changed: one indexed read, cheap enough for every request."""
        row = self._connect().execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()
        return int(row[0])

    def state(self) -> LogState:
        """The log's generation and when it last changed."""
        return self._state(self._connect())

    @staticmethod
    def _state(db: sqlite3.Connection) -> LogState:
        rows = dict(db.execute("SELECT key, value FROM meta").fetchall())
        return LogState(int(rows["generation"]), datetime.fromisoformat(rows["changed_at"]))

    def add(self, sim_id: str, renewal: Renewal, idempotency_key: str | None = None,
            fingerprint: str = "") -> tuple[StoredRenewal, bool]:
        """Store a renewal; with a key already used for the same request, return the first one.

        Returns the stored renewal and whether it was created by this call.
        """
        now = self._clock()
        with self._write() as db:
            if idempotency_key is not None:
                db.execute("DELETE FROM idempotency WHERE created_at < ?",
                           ((now - IDEMPOTENCY_KEEP).isoformat(),))
                seen = db.execute("SELECT fingerprint, renewal_id FROM idempotency WHERE key = ?",
                                  (idempotency_key,)).fetchone()
                if seen is not None:
                    if seen["fingerprint"] != fingerprint:
                        raise IdempotencyConflict("this Idempotency-Key was used for a different request")
                    row = db.execute("SELECT * FROM renewals WHERE id = ?", (seen["renewal_id"],)).fetchone()
                    if row is not None:
                        return _row(row), False
            cursor = db.execute(
                "INSERT INTO renewals (sim_id, date, amount, currency, method, reference, note, kind,"
                " created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (sim_id, renewal.date.isoformat(), renewal.amount, renewal.currency, renewal.method,
                 renewal.reference, renewal.note, renewal.kind or "topup", now.isoformat()),
            )
            rid = int(cursor.lastrowid or 0)
            self._touch(db)
            if idempotency_key is not None:
                db.execute("INSERT OR REPLACE INTO idempotency VALUES (?, ?, ?, ?)",
                           (idempotency_key, fingerprint, rid, now.isoformat()))
            row = db.execute("SELECT * FROM renewals WHERE id = ?", (rid,)).fetchone()
        return _row(row), True

    def delete(self, renewal_id: int) -> bool:
        """Remove a mistaken entry; False when there is no such entry."""
        if not _storable(renewal_id):
            return False
        with self._write() as db:
            deleted = db.execute("DELETE FROM renewals WHERE id = ?", (renewal_id,)).rowcount > 0
            if deleted:
                self._touch(db)
        return deleted

    def get(self, renewal_id: int) -> StoredRenewal | None:
        if not _storable(renewal_id):
            return None
        row = self._connect().execute("SELECT * FROM renewals WHERE id = ?", (renewal_id,)).fetchone()
        return _row(row) if row is not None else None

    def list(self, sim_id: str | None = None) -> list[StoredRenewal]:
        """Entries newest first (by date, then by when they were recorded)."""
        query = "SELECT * FROM renewals"
        args: tuple[str, ...] = ()
        if sim_id is not None:
            query += " WHERE sim_id = ?"
            args = (sim_id,)
        rows = self._connect().execute(query + " ORDER BY date DESC, id DESC", args).fetchall()
        return [_row(row) for row in rows]

    def first_seen(self, fingerprints: dict[str, str], seen: datetime) -> dict[str, datetime]:
        """When each (id, fingerprint) was first seen; new ones are recorded as seen at `seen`."""
        rows = [(key, fingerprint, seen.isoformat()) for key, fingerprint in fingerprints.items()]
        with self._write() as db:
            db.executemany("INSERT OR IGNORE INTO definitions VALUES (?, ?, ?)", rows)
            found = db.execute(
                "SELECT d.sim_id, d.first_seen FROM definitions d JOIN json_each(?) j"
                " ON d.sim_id = j.key AND d.fingerprint = j.value",
                (json.dumps(fingerprints),)).fetchall()
        return {row["sim_id"]: datetime.fromisoformat(row["first_seen"]) for row in found}

    def snapshot(self) -> tuple[LogState, dict[str, tuple[StoredRenewal, ...]]]:
        """The log's state and every entry grouped by SIM (oldest first), read together."""
        db = self._connect()
        db.execute("BEGIN")
        try:
            state = self._state(db)
            rows = db.execute("SELECT * FROM renewals ORDER BY date, id").fetchall()
        finally:
            db.execute("COMMIT")
        grouped: dict[str, list[StoredRenewal]] = {}
        for row in rows:
            stored = _row(row)
            grouped.setdefault(stored.sim_id, []).append(stored)
        return state, {sim_id: tuple(entries) for sim_id, entries in grouped.items()}
