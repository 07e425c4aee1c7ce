"""The renewal log: what happened, never what the SIMs are (that is the config).

The only module that writes renewals, through SQLAlchemy Core on SQLite or
PostgreSQL alike. Every write is one transaction that concurrent writers queue
behind (db.writing), so workers and instances never interleave and a crash
leaves either the whole row or nothing. A generation counter bumped in the same
transaction tells every worker, with one cheap read, that the log changed; that read is
skipped while nothing changed, as PostgreSQL's notifications or SQLite's data_version
tell (changes.py).
"""

from __future__ import annotations

import os
import threading
import weakref
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    Engine,
    Float,
    Index,
    Integer,
    Row,
    Table,
    Text,
    cast,
    delete,
    insert,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.pool import PoolProxiedConnection

from ..core.model import Kind, Renewal
from . import db
from .changes import DataVersion, Listener, LocalWrites, announce

IDEMPOTENCY_KEEP = timedelta(hours=48)
# Idempotency keys that start with this are kept as long as the renewal they recorded, not
# IDEMPOTENCY_KEEP: the reminders' one-tap link records one renewal for as long as it lives.
LASTING = "lasting:"
# Idle connections generation() keeps for its next reads; more at once go back to the pool.
KEEP_READERS = 4
# Commits to a SQLite log by another instance (a process with another data folder) show within
# this many seconds; this instance's own writes are counted in LocalWrites and show at once. Asking
# SQLite's data_version on every poll cost a tenth of a 304's time.
FOREIGN_WRITES_WITHIN = 1.0

# The tables of migrations/versions/0001_renewal_log.py (dates and times as ISO 8601 text).
renewals = Table(
    "renewals", db.metadata,
    Column("id", db.ID, primary_key=True, autoincrement=True),
    Column("sim_id", Text, nullable=False),
    Column("date", Text, nullable=False),
    Column("amount", Float),
    Column("currency", Text),
    Column("method", Text),
    Column("reference", Text),
    Column("note", Text),
    Column("created_at", Text, nullable=False),
    Column("kind", Text, nullable=False, server_default="topup"),
    Index("renewals_sim", "sim_id", "date"),
    sqlite_autoincrement=True,
)
meta = Table("meta", db.metadata,
             Column("key", Text, primary_key=True), Column("value", Text, nullable=False))
idempotency = Table(
    "idempotency", db.metadata,
    Column("key", Text, primary_key=True),
    Column("fingerprint", Text, nullable=False),
    Column("renewal_id", db.ID, nullable=False),
    Column("created_at", Text, nullable=False),
)
definitions = Table(
    "definitions", db.metadata,
    Column("sim_id", Text, primary_key=True),
    Column("fingerprint", Text, primary_key=True),
    Column("first_seen", Text, nullable=False),
)

_GENERATION = select(meta.c.value).where(meta.c.key == "generation")


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


def _row(row: Row[Any]) -> StoredRenewal:
    return StoredRenewal(
        id=row.id,
        sim_id=row.sim_id,
        renewal=Renewal(
            date=date.fromisoformat(row.date), amount=row.amount, currency=row.currency,
            method=row.method, reference=row.reference, note=row.note,
            kind=Kind(row.kind) if row.kind else None, log_id=row.id,
        ),
        created_at=datetime.fromisoformat(row.created_at),
    )


def _storable(renewal_id: int) -> bool:
    """Whether an id fits a 64-bit INTEGER: a larger one from a URL names no entry (binding it raises)."""
    return -(2**63) <= renewal_id < 2**63


class RenewalStore:
    """The renewal log of one database; its Engine (one pool per process) is made and migrated on first use.

    `target` is an SQLite file's path or a database URL (postgresql://, postgres://, sqlite:///).
    `writes`: the file whose counter every process of this instance bumps after each write
    (changes.LocalWrites); without it, the processes forked from this one share theirs.
    """

    def __init__(self, target: str | Path, clock: Callable[[], datetime] = lambda: datetime.now(UTC),
                 writes: Path | None = None):
        self.target = target
        self.url = db.url_for(target)
        self._clock = clock
        self._lock = threading.Lock()
        self._engine: Engine | None = None
        # Connections kept out of the pool for generation(), each outside any transaction.
        self._readers: list[PoolProxiedConnection] = []
        # Writes through this instance (shared by its forked workers), and this process's
        # PostgreSQL listener or SQLite data_version: with both unchanged since the last read,
        # the log is unchanged.
        self._writes = LocalWrites(writes)
        self._listener: Listener | None = None
        self._listener_pid = 0
        path = self.path
        self._versions = DataVersion(path, FOREIGN_WRITES_WITHIN) if path is not None else None
        # (what the listener or data_version said, local writes, generation) as of the last read.
        self._known: tuple[object, int, int] | None = None

    @property
    def path(self) -> Path | None:
        """The SQLite file, or None for a server database."""
        sqlite = self.url.get_backend_name() == "sqlite"
        return Path(self.url.database) if sqlite and self.url.database else None

    @property
    def engine(self) -> Engine:
        """The Engine on this database, at the latest schema (migrated once, on first use)."""
        engine = self._engine
        if engine is None:
            with self._lock:
                if self._engine is None:
                    made = db.engine_for(self.target)
                    try:
                        db.create_schema(made)
                    except BaseException:
                        made.dispose()  # a failed migration must not leak its connections
                        raise
                    self._engine = made
                engine = self._engine
        return engine

    def close(self) -> None:
        """Close the pool's connections (before a fork, or at the end of a test); reopened on next use."""
        self._stop_listening()
        if self._versions is not None:
            self._versions.close()
        self._drop_readers()
        if self._engine is not None:
            self._engine.dispose()

    def _touch(self, connection: Connection) -> None:
        """Mark the log as changed, inside the writing transaction (PostgreSQL notifies on commit)."""
        connection.execute(update(meta).where(meta.c.key == "generation")
                           .values(value=cast(cast(meta.c.value, Integer) + 1, Text)))
        connection.execute(update(meta).where(meta.c.key == "changed_at")
                           .values(value=self._clock().isoformat()))
        announce(connection)

    @contextmanager
    def writing(self) -> Iterator[Connection]:
        """A write transaction of the log; after it, every worker of this instance reads the log again.

        The count is bumped after the commit and before the caller can acknowledge the
        write, and also when the outcome is unknown (an error during the commit).
        """
        try:
            with db.unavailable_as_error(self.engine), db.writing(self.engine) as connection:
                yield connection
        finally:
            self._writes.wrote()

    def generation(self) -> int:
        """How many times the log has changed, cheap enough for every request.

        While neither a write through this instance nor the database's own signal (PostgreSQL's
        listener, connected; SQLite's data_version) says anything changed since the last read,
        the last value is returned without reading the log. Otherwise it is one indexed read.
        The signal is taken before the read: a commit between the two shows at the next call.
        """
        heard = self._settled()
        writes = self._writes.count()
        known = self._known
        if heard is not None and known is not None and known[0] == heard and known[1] == writes:
            return known[2]
        value = self._read_generation()
        self._known = None if heard is None else (heard, writes, value)
        return value

    def _settled(self) -> object | None:
        """The database's signal, equal to the last one only if nothing was committed since; None: read."""
        versions = self._versions
        if versions is not None:
            self.engine  # noqa: B018 - the file exists and is migrated before it is watched
            return versions.settled()
        listener = self._listening()
        return listener.settled() if listener is not None else None

    @property
    def listening(self) -> bool:
        """Whether this process hears of the log's changes without reading it (PostgreSQL, connected)."""
        listener = self._listener
        return listener is not None and self._listener_pid == os.getpid() and listener.live

    def _listening(self) -> Listener | None:
        """This process's listener on a PostgreSQL log, started on first use (in a worker, after its fork)."""
        listener = self._listener
        if listener is not None and self._listener_pid == os.getpid():
            return listener
        engine = self.engine
        if engine.dialect.name != "postgresql":
            return None
        with self._lock:
            if self._listener is None or self._listener_pid != os.getpid():
                _args, params = engine.dialect.create_connect_args(engine.url)
                params.pop("context", None)
                self._listener = Listener(params, db.describe(engine))
                self._listener_pid = os.getpid()
                self._known = None
                self._listener.start()
                weakref.finalize(self, self._listener.stop)
            return self._listener

    def _stop_listening(self) -> None:
        with self._lock:
            if self._listener is not None and self._listener_pid == os.getpid():
                self._listener.stop()
            self._listener, self._listener_pid, self._known = None, 0, None

    def _read_generation(self) -> int:
        """One read of the generation.

        The read borrows one of a few connections kept out of the pool, outside any
        transaction, so it is a single statement (no checkout, no ping). They are kept per
        store, not per thread: under gevent every connection is served by its own greenlet,
        and one reader each would drain the pool. A connection that failed is dropped and
        the next call opens another, so service resumes by itself once the database is back.
        """
        engine = self.engine
        dbapi = engine.dialect.loaded_dbapi
        try:
            raw = self._readers.pop()
        except IndexError:
            raw = None
        try:
            if raw is None:
                with db.unavailable_as_error(engine):
                    raw = engine.raw_connection()
                if engine.dialect.name == "postgresql":
                    raw.driver_connection.autocommit = True  # type: ignore[union-attr]
            cursor = raw.cursor()
            cursor.execute("SELECT value FROM meta WHERE key = 'generation'")
            value = cursor.fetchone()[0]  # type: ignore[index]
            cursor.close()
        except (dbapi.OperationalError, dbapi.InterfaceError) as error:
            if raw is not None:
                raw.invalidate()
            raise db.LogUnavailable(f"{db.describe(engine)} is unavailable: {db.reason(error)}") from None
        if len(self._readers) < KEEP_READERS:
            self._readers.append(raw)
        else:
            raw.close()  # back to the pool
        return int(value)

    def _drop_readers(self) -> None:
        while self._readers:
            self._readers.pop().invalidate()

    def state(self) -> LogState:
        """The log's generation and when it last changed."""
        with db.unavailable_as_error(self.engine), db.reading(self.engine) as connection:
            return self._state(connection)

    @staticmethod
    def _state(connection: Connection) -> LogState:
        rows = {key: value for key, value in connection.execute(select(meta.c.key, meta.c.value))}
        return LogState(int(rows["generation"]), datetime.fromisoformat(rows["changed_at"]))

    def add(self, sim_id: str, renewal: Renewal, idempotency_key: str | None = None,
            fingerprint: str = "") -> tuple[StoredRenewal, bool]:
        """Store a renewal; with a key already used for the same request, return the first one.

        Returns the stored renewal and whether it was created by this call.
        """
        now = self._clock()
        with self.writing() as connection:
            if idempotency_key is not None:
                connection.execute(delete(idempotency).where(
                    idempotency.c.created_at < (now - IDEMPOTENCY_KEEP).isoformat(),
                    ~idempotency.c.key.startswith(LASTING, autoescape=True)))
                seen = connection.execute(select(idempotency.c.fingerprint, idempotency.c.renewal_id)
                                          .where(idempotency.c.key == idempotency_key)).first()
                if seen is not None:
                    if seen.fingerprint != fingerprint:
                        raise IdempotencyConflict("this Idempotency-Key was used for a different request")
                    first = connection.execute(
                        select(renewals).where(renewals.c.id == seen.renewal_id)).first()
                    if first is not None:
                        return _row(first), False
                    connection.execute(delete(idempotency).where(idempotency.c.key == idempotency_key))
            row = connection.execute(insert(renewals).values(
                sim_id=sim_id, date=renewal.date.isoformat(), amount=renewal.amount,
                currency=renewal.currency, method=renewal.method, reference=renewal.reference,
                note=renewal.note, kind=renewal.kind or "topup", created_at=now.isoformat(),
            ).returning(*renewals.c)).one()
            self._touch(connection)
            if idempotency_key is not None:
                connection.execute(insert(idempotency).values(
                    key=idempotency_key, fingerprint=fingerprint, renewal_id=row.id,
                    created_at=now.isoformat()))
        return _row(row), True

    def delete(self, renewal_id: int) -> bool:
        """Remove a mistaken entry; False when there is no such entry."""
        if not _storable(renewal_id):
            return False
        with self.writing() as connection:
            deleted = connection.execute(delete(renewals).where(renewals.c.id == renewal_id)).rowcount > 0
            if deleted:
                connection.execute(delete(idempotency).where(idempotency.c.renewal_id == renewal_id))
                self._touch(connection)
        return deleted

    def recorded_with(self, idempotency_key: str) -> StoredRenewal | None:
        """The renewal this key recorded, while the key is kept and the renewal not deleted."""
        query = (select(renewals).join(idempotency, idempotency.c.renewal_id == renewals.c.id)
                 .where(idempotency.c.key == idempotency_key))
        with db.unavailable_as_error(self.engine), db.reading(self.engine) as connection:
            row = connection.execute(query).first()
        return _row(row) if row is not None else None

    def get(self, renewal_id: int) -> StoredRenewal | None:
        if not _storable(renewal_id):
            return None
        with db.unavailable_as_error(self.engine), db.reading(self.engine) as connection:
            row = connection.execute(select(renewals).where(renewals.c.id == renewal_id)).first()
        return _row(row) if row is not None else None

    def list(self, sim_id: str | None = None) -> list[StoredRenewal]:
        """Entries newest first (by date, then by when they were recorded)."""
        query = select(renewals).order_by(renewals.c.date.desc(), renewals.c.id.desc())
        if sim_id is not None:
            query = query.where(renewals.c.sim_id == sim_id)
        with db.unavailable_as_error(self.engine), db.reading(self.engine) as connection:
            return [_row(row) for row in connection.execute(query)]

    def first_seen(self, fingerprints: dict[str, str], seen: datetime) -> dict[str, datetime]:
        """When each (id, fingerprint) was first seen; new ones are recorded as seen at `seen`."""
        rows = [{"sim_id": key, "fingerprint": value, "first_seen": seen.isoformat()}
                for key, value in fingerprints.items()]
        dialect = postgresql if self.engine.dialect.name == "postgresql" else sqlite
        with db.unavailable_as_error(self.engine), db.writing(self.engine) as connection:
            found: dict[str, datetime] = {}
            for chunk in _chunks(rows, 5000):  # within every backend's limit of bound values
                connection.execute(dialect.insert(definitions).on_conflict_do_nothing(), chunk)
                for row in connection.execute(select(definitions).where(
                        definitions.c.sim_id.in_([r["sim_id"] for r in chunk]))):
                    if fingerprints[row.sim_id] == row.fingerprint:
                        found[row.sim_id] = datetime.fromisoformat(row.first_seen)
        return found

    def read_all(self) -> tuple[LogState, dict[str, tuple[StoredRenewal, ...]]]:
        """The log's state and every entry grouped by SIM (oldest first), read together."""
        with db.unavailable_as_error(self.engine), db.reading(self.engine) as connection:
            state = self._state(connection)
            rows = connection.execute(select(renewals).order_by(renewals.c.date, renewals.c.id)).all()
        grouped: dict[str, list[StoredRenewal]] = {}
        for row in rows:
            stored = _row(row)
            grouped.setdefault(stored.sim_id, []).append(stored)
        return state, {sim_id: tuple(entries) for sim_id, entries in grouped.items()}


def _chunks(rows: list[dict[str, str]], size: int) -> Iterable[list[dict[str, str]]]:
    for start in range(0, len(rows), size):
        yield rows[start:start + size]
