"""The renewal log on SQLite and PostgreSQL: schema, migrations, atomic writes and idempotency keys."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import closing
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.exc import IntegrityError

from feed.config.load import parse_toml
from feed.core.model import Renewal
from feed.storage import db
from feed.storage.db import LogUnavailable
from feed.storage.renewals import record, with_log
from feed.storage.store import (
    IdempotencyConflict,
    LogState,
    RenewalStore,
    StoredRenewal,
)

from .conftest import BASIC

T0 = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
SCHEMA_VERSION = 4  # PRAGMA user_version of the log before Alembic, kept by revision 0001
HEAD = ScriptDirectory(str(db.MIGRATIONS)).get_current_head()  # the latest revision


class Clock:
    """A hand-moved clock for the store's created_at and changed_at."""

    def __init__(self, now: datetime = T0):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "log.sqlite3"


@pytest.fixture
def store(log_url: str, clock: Clock) -> Iterator[RenewalStore]:
    opened = RenewalStore(log_url, clock=clock)
    yield opened
    opened.close()


def raw(target: str | Path, query: str) -> list[tuple[object, ...]]:
    """Read the database with a connection of its own, as another process would."""
    engine = create_engine(db.url_for(target))
    try:
        with engine.connect() as connection:
            return [tuple(row) for row in connection.execute(text(query))]
    finally:
        engine.dispose()


def count(target: str | Path, table: str = "renewals") -> int:
    return int(raw(target, f"SELECT COUNT(*) FROM {table}")[0][0])  # type: ignore[call-overload]


# --- the file -------------------------------------------------------------------------------------


def test_created_on_first_use_with_every_table_of_the_revisions(log_url, store):
    assert store.state() == LogState(generation=0, changed_at=EPOCH)
    tables = set(inspect(store.engine).get_table_names())
    assert tables >= {"renewals", "meta", "idempotency", "definitions", "alembic_version"}
    assert set(db.metadata.tables) <= tables, "a table declared on metadata needs its revision"
    assert raw(log_url, "SELECT version_num FROM alembic_version") == [(HEAD,)]
    assert store.list() == []


def test_a_sqlite_log_is_the_schema_of_before_alembic_in_wal_mode(db_path, clock):
    store = RenewalStore(db_path, clock=clock)
    assert not db_path.exists(), "opening the store object alone creates nothing"
    assert store.state() == LogState(generation=0, changed_at=EPOCH)
    assert db_path.exists(), "the folder and the file are created on first use"
    assert raw(db_path, "PRAGMA user_version") == [(SCHEMA_VERSION,)]
    assert raw(db_path, "PRAGMA journal_mode") == [("wal",)]
    tables = {name for (name,) in raw(db_path, "SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert tables == set(db.metadata.tables) | {"sqlite_sequence", "alembic_version"}
    columns = [(name, kind, notnull, default) for _, name, kind, notnull, default, _ in
               raw(db_path, "PRAGMA table_info(renewals)")]
    assert columns == [
        ("id", "INTEGER", 0, None), ("sim_id", "TEXT", 1, None), ("date", "TEXT", 1, None),
        ("amount", "REAL", 0, None), ("currency", "TEXT", 0, None), ("method", "TEXT", 0, None),
        ("reference", "TEXT", 0, None), ("note", "TEXT", 0, None), ("created_at", "TEXT", 1, None),
        ("kind", "TEXT", 1, "'topup'"),
    ]
    assert store.list() == []
    store.close()


def test_a_locked_database_is_waited_for_not_an_error(db_path, clock):
    """The busy timeout: a writer that finds the file locked queues behind the other one."""
    store = RenewalStore(db_path, clock=clock)
    store.state()
    locked, release = threading.Event(), 0.5

    def hold_the_write_lock() -> None:
        with closing(sqlite3.connect(db_path, isolation_level=None)) as other:
            other.execute("BEGIN IMMEDIATE")
            other.execute("INSERT INTO renewals (sim_id, date, created_at) "
                          "VALUES ('cubacel', '2026-11-01', '2026-11-01T00:00:00+00:00')")
            locked.set()
            time.sleep(release)
            other.execute("COMMIT")

    holder = threading.Thread(target=hold_the_write_lock)
    holder.start()
    try:
        assert locked.wait(10)
        started = time.monotonic()
        stored, created = store.add("giffgaff", Renewal(date(2026, 11, 20)))
        waited = time.monotonic() - started
    finally:
        holder.join()
    assert created is True
    assert stored.id == 2, "the other writer's row went in first"
    assert waited >= release - 0.2
    assert [s.sim_id for s in store.list()] == ["giffgaff", "cubacel"]
    store.close()


# --- reads and writes -----------------------------------------------------------------------------


def test_add_get_list_delete_round_trip(log_url, store, clock):
    full = Renewal(date(2026, 11, 20), amount=10.0, currency="GBP", method="app", reference="TXN-1",
                   note="from the airport")
    stored, created = store.add("giffgaff", full)
    assert created is True
    assert stored == StoredRenewal(id=1, sim_id="giffgaff",
                                   renewal=Renewal(date(2026, 11, 20), 10.0, "GBP", "app", "TXN-1",
                                                   "from the airport", log_id=1),
                                   created_at=T0)
    assert store.get(1) == stored
    assert store.get(2) is None
    assert raw(log_url, "SELECT * FROM renewals") == [
        (1, "giffgaff", "2026-11-20", 10.0, "GBP", "app", "TXN-1", "from the airport",
         "2026-11-24T12:00:00+00:00", "topup"),
    ]

    clock.now = T0 + timedelta(minutes=5)
    bare, _ = store.add("cubacel", Renewal(date(2026, 1, 10)))
    assert bare == StoredRenewal(2, "cubacel", Renewal(date(2026, 1, 10), log_id=2),
                                 T0 + timedelta(minutes=5))

    # The kind is kept; a renewal without one (a bare last_renewal) is stored as a top-up.
    call, _ = store.add("giffgaff", Renewal(date(2026, 11, 21), kind="call"))
    kindless, _ = store.add("giffgaff", Renewal(date(2026, 11, 22), kind=None))
    assert (call.renewal.kind, kindless.renewal.kind) == ("call", "topup")
    assert store.get(3) == call
    assert raw(log_url, "SELECT id, kind FROM renewals ORDER BY id") == [
        (1, "topup"), (2, "topup"), (3, "call"), (4, "topup")]

    assert store.delete(1) is True
    assert store.get(1) is None
    assert store.delete(1) is False
    assert store.delete(3) is True and store.delete(4) is True
    assert store.list() == [bare]


def test_list_is_newest_first_by_date_then_by_recording(store):
    ids = {}
    for sim, day in [("a", "2026-03-01"), ("b", "2026-05-01"), ("a", "2026-05-01"), ("a", "2026-01-01")]:
        stored, _ = store.add(sim, Renewal(date.fromisoformat(day)))
        ids[(sim, day)] = stored.id
    assert [(s.id, s.sim_id, s.renewal.date.isoformat()) for s in store.list()] == [
        (3, "a", "2026-05-01"), (2, "b", "2026-05-01"), (1, "a", "2026-03-01"), (4, "a", "2026-01-01"),
    ]
    assert [s.id for s in store.list("a")] == [3, 1, 4]
    assert store.list("nobody") == []


def test_read_all_groups_by_sim_oldest_first(store, clock):
    store.add("a", Renewal(date(2026, 5, 1), amount=5.0))
    store.add("b", Renewal(date(2026, 2, 1)))
    clock.now = T0 + timedelta(hours=1)
    store.add("a", Renewal(date(2026, 1, 1)))
    state, grouped = store.read_all()
    assert state == LogState(generation=3, changed_at=T0 + timedelta(hours=1))
    assert {sim: [(e.id, e.renewal, e.created_at) for e in entries] for sim, entries in grouped.items()} == {
        "a": [(3, Renewal(date(2026, 1, 1), log_id=3), T0 + timedelta(hours=1)),
              (1, Renewal(date(2026, 5, 1), amount=5.0, log_id=1), T0)],
        "b": [(2, Renewal(date(2026, 2, 1), log_id=2), T0)],
    }


def test_first_seen_keeps_the_first_time_of_each_definition(store):
    """The DTSTAMP of a SIM's events: when that version of its definition was first served."""
    jan, feb, mar = (datetime(2026, month, 1, tzinfo=UTC) for month in (1, 2, 3))
    assert store.first_seen({"a": "v1", "b": "v1"}, jan) == {"a": jan, "b": jan}
    # Another worker, later, with the same definitions: the first time stands.
    assert store.first_seen({"a": "v1", "b": "v1"}, feb) == {"a": jan, "b": jan}
    # b edited: its new version is new; a is untouched.
    assert store.first_seen({"a": "v1", "b": "v2"}, feb) == {"a": jan, "b": feb}
    # b's edit reverted: the old version keeps its old time, so its events' bytes come back.
    assert store.first_seen({"a": "v1", "b": "v1"}, mar) == {"a": jan, "b": jan}
    # Recording definitions is not a change of the renewal log.
    assert store.state() == LogState(0, EPOCH)


def test_generation_counts_each_change_and_only_changes(store, clock):
    assert store.state() == LogState(0, EPOCH)
    clock.now = T0
    store.add("a", Renewal(date(2026, 11, 1)))
    assert store.state() == LogState(1, T0)
    clock.now = T0 + timedelta(seconds=30)
    store.add("a", Renewal(date(2026, 11, 2)))
    assert store.state() == LogState(2, T0 + timedelta(seconds=30))
    clock.now = T0 + timedelta(minutes=1)
    assert store.delete(99) is False
    assert store.state() == LogState(2, T0 + timedelta(seconds=30)), "no change, no new generation"
    assert store.delete(1) is True
    assert store.state() == LogState(3, T0 + timedelta(minutes=1))


def test_a_failed_write_leaves_nothing(log_url, backend, store):
    store.add("a", Renewal(date(2026, 11, 1)))
    before = store.state()
    with pytest.raises(IntegrityError):
        store.add(None, Renewal(date(2026, 11, 2)), "key-1", "fp")  # type: ignore[arg-type]
    assert count(log_url) == 1
    assert count(log_url, "idempotency") == 0
    assert store.state() == before
    # The connection is usable afterwards: the transaction was rolled back, not left open.
    stored, _ = store.add("a", Renewal(date(2026, 11, 3)), "key-1", "fp")
    # PostgreSQL's sequences never go back, by design; SQLite's AUTOINCREMENT rolls back with the row.
    assert stored.id == (2 if backend == "sqlite" else 3)
    assert count(log_url) == 2


def test_each_thread_has_its_own_connection_and_sees_the_others_writes(store):
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            for i in range(25):
                store.add(f"sim-{n}", Renewal(date(2026, 1, 1) + timedelta(days=i)))
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    entries = store.list()
    assert len(entries) == 100
    assert sorted(s.id for s in entries) == list(range(1, 101))
    assert store.state().generation == 100
    assert {s.sim_id for s in entries} == {"sim-0", "sim-1", "sim-2", "sim-3"}



def test_many_threads_reading_the_generation_leave_the_pool_to_the_rest(store):
    """Under gevent each connection is a greenlet with its own thread-locals: 30 of them, each
    alive after its read (a kept-alive client), must not hold 30 connections of a pool of 10."""
    readers = 30
    done, release = threading.Barrier(readers + 1), threading.Event()
    errors: list[BaseException] = []

    def client() -> None:
        try:
            store.generation()
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)
        done.wait(30)
        release.wait(30)

    threads = [threading.Thread(target=client) for _ in range(readers)]
    for thread in threads:
        thread.start()
    try:
        done.wait(30)
        store.add("a", Renewal(date(2026, 11, 1)))  # needs a connection of the pool: one is free
        assert store.generation() == 1
    finally:
        release.set()
        for thread in threads:
            thread.join()
    assert errors == []


# --- idempotency keys -----------------------------------------------------------------------------


def test_same_key_same_request_returns_the_first_renewal(log_url, store, clock):
    first, created = store.add("giffgaff", Renewal(date(2026, 11, 20), amount=10.0), "key-1", "fp-a")
    assert created is True
    clock.now = T0 + timedelta(hours=47)
    again, created = store.add("giffgaff", Renewal(date(2026, 11, 21), amount=10.0), "key-1", "fp-a")
    assert created is False
    assert again == first
    assert count(log_url) == 1
    assert store.state() == LogState(1, T0), "a replay is not a change"


def test_same_key_different_request_is_refused_and_stores_nothing(log_url, store):
    store.add("giffgaff", Renewal(date(2026, 11, 20)), "key-1", "fp-a")
    with pytest.raises(IdempotencyConflict, match=r"^this Idempotency-Key was used for a different request$"):
        store.add("giffgaff", Renewal(date(2026, 11, 20)), "key-1", "fp-b")
    assert count(log_url) == 1
    assert raw(log_url, "SELECT key, fingerprint, renewal_id FROM idempotency") == [("key-1", "fp-a", 1)]
    assert store.state().generation == 1


def test_keys_are_forgotten_after_48_hours(log_url, store, clock):
    store.add("giffgaff", Renewal(date(2026, 11, 20)), "key-1", "fp-a")
    clock.now = T0 + timedelta(hours=48, seconds=1)
    later, created = store.add("giffgaff", Renewal(date(2026, 11, 22)), "key-1", "fp-b")
    assert created is True
    assert later.id == 2
    assert raw(log_url, "SELECT key, fingerprint, renewal_id FROM idempotency") == [("key-1", "fp-b", 2)]


def test_a_key_whose_renewal_was_deleted_stores_again(log_url, store):
    store.add("giffgaff", Renewal(date(2026, 11, 20)), "key-1", "fp-a")
    store.delete(1)
    again, created = store.add("giffgaff", Renewal(date(2026, 11, 20)), "key-1", "fp-a")
    assert (again.id, created) == (2, True)
    assert count(log_url) == 1


def test_without_a_key_every_call_stores(log_url, store):
    store.add("giffgaff", Renewal(date(2026, 11, 20)))
    store.add("giffgaff", Renewal(date(2026, 11, 20)))
    assert count(log_url) == 2
    assert count(log_url, "idempotency") == 0


# --- the log joined with the config ---------------------------------------------------------------


def test_with_log_adds_logged_renewals_in_date_order_and_the_later_stamp(store, clock):
    config = parse_toml(BASIC, modified=datetime(2026, 6, 1, tzinfo=UTC))
    store.add("cubacel", Renewal(date(2026, 11, 20), amount=10.0))
    store.add("cubacel", Renewal(date(2025, 12, 1)))
    store.add("gone", Renewal(date(2026, 11, 21)))
    state, log = store.read_all()
    joined = with_log(config, log, state)
    cubacel = joined.sim("cubacel")
    assert cubacel is not None
    assert [(r.date.isoformat(), r.log_id) for r in cubacel.renewals] == [
        ("2025-12-01", 2), ("2026-01-10", None), ("2026-11-20", 1)]
    assert cubacel.last_renewal == Renewal(date(2026, 11, 20), amount=10.0, log_id=1)
    assert joined.sim("giffgaff") == config.sim("giffgaff")
    assert joined.sim("gone") is None, "the log never adds SIMs"
    assert joined.modified == T0
    # An older log change leaves the config's own timestamp.
    assert with_log(config, log, LogState(3, EPOCH)).modified == datetime(2026, 6, 1, tzinfo=UTC)


def test_record_counts_the_log_as_it_is_now_each_renewal_once(store):
    """record() may be handed a config with the log already applied, and older than the log."""
    config = parse_toml(BASIC)
    store.add("giffgaff", Renewal(date(2026, 11, 20)))
    state, log = store.read_all()
    seen_earlier = with_log(config, log, state)
    store.delete(1)  # by another worker, after this one took its view

    recorded = record(store, seen_earlier, "giffgaff", {"date": "2026-07-01"}, date(2026, 11, 24))
    assert recorded.created is True
    assert recorded.stored.id == 2
    # 2026-07-01 + 6 months, not 2026-11-20 + 6 months from the removed entry.
    assert recorded.deadline.due == date(2027, 1, 1)
    assert recorded.deadline.counted_from == Renewal(date(2026, 7, 1), log_id=2)
    assert recorded.deadline.sim.renewals == (Renewal(date(2026, 6, 2), kind=None),
                                              Renewal(date(2026, 7, 1), log_id=2))


# --- migrations -----------------------------------------------------------------------------------

# The hand-written migrations of the code before Alembic, kept here to make its files:
# LEGACY[n] took a database from version n to n + 1 (PRAGMA user_version).
LEGACY = [
    ["""CREATE TABLE renewals (
            id INTEGER PRIMARY KEY AUTOINCREMENT, sim_id TEXT NOT NULL, date TEXT NOT NULL, amount REAL,
            currency TEXT, method TEXT, reference TEXT, note TEXT, created_at TEXT NOT NULL)""",
     "CREATE INDEX renewals_sim ON renewals (sim_id, date)"],
    ["CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
     "INSERT INTO meta VALUES ('generation', '0'), ('changed_at', '1970-01-01T00:00:00+00:00')",
     """CREATE TABLE idempotency (key TEXT PRIMARY KEY, fingerprint TEXT NOT NULL,
            renewal_id INTEGER NOT NULL, created_at TEXT NOT NULL)"""],
    ["ALTER TABLE renewals ADD COLUMN kind TEXT NOT NULL DEFAULT 'topup'"],
    ["""CREATE TABLE definitions (sim_id TEXT NOT NULL, fingerprint TEXT NOT NULL, first_seen TEXT NOT NULL,
            PRIMARY KEY (sim_id, fingerprint))"""],
]


def legacy_step(db: sqlite3.Connection, version: int) -> None:
    for statement in LEGACY[version]:
        db.execute(statement)

V1_COLUMNS = "id, sim_id, date, amount, currency, method, reference, note, created_at"
V1_ROWS = [
    (1, "giffgaff", "2026-03-01", 10.0, "GBP", "app", "TXN-1", None, "2026-03-01T10:00:00+00:00"),
    (2, "cubacel", "2026-02-01", None, None, None, None, "a note", "2026-02-01T08:30:00+00:00"),
    (5, "gone", "2025-12-24", 0.0, "EUR", "shop", "R5", None, "2025-12-24T18:00:00+00:00"),
]
V1_STORED = [
    StoredRenewal(1, "giffgaff", Renewal(date(2026, 3, 1), 10.0, "GBP", "app", "TXN-1", None, log_id=1),
                  datetime(2026, 3, 1, 10, 0, tzinfo=UTC)),
    StoredRenewal(2, "cubacel", Renewal(date(2026, 2, 1), note="a note", log_id=2),
                  datetime(2026, 2, 1, 8, 30, tzinfo=UTC)),
    StoredRenewal(5, "gone", Renewal(date(2025, 12, 24), 0.0, "EUR", "shop", "R5", log_id=5),
                  datetime(2025, 12, 24, 18, 0, tzinfo=UTC)),
]


def old_database(path: Path, version: int) -> None:
    """A file made at schema version 1 with rows in it, then taken by hand up to `version`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with closing(sqlite3.connect(path, isolation_level=None)) as db:
        legacy_step(db, 0)
        db.execute("PRAGMA user_version = 1")
        db.executemany(f"INSERT INTO renewals ({V1_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", V1_ROWS)
        for step in range(1, version):
            legacy_step(db, step)
            db.execute(f"PRAGMA user_version = {step + 1:d}")
            assert db.execute(f"SELECT {V1_COLUMNS} FROM renewals ORDER BY id").fetchall() == V1_ROWS


@pytest.mark.parametrize("version", range(1, SCHEMA_VERSION + 1), ids=lambda v: f"from-v{v}")
def test_an_old_database_migrates_with_its_rows_intact(tmp_path, clock, version):
    path = tmp_path / "old.sqlite3"
    old_database(path, version)
    assert raw(path, "PRAGMA user_version") == [(version,)]

    store = RenewalStore(path, clock=clock)
    try:
        assert store.list() == V1_STORED
        assert raw(path, "PRAGMA user_version") == [(SCHEMA_VERSION,)]
        assert raw(path, "SELECT version_num FROM alembic_version") == [(HEAD,)]
        assert raw(path, "PRAGMA journal_mode") == [("wal",)]
        assert raw(path, f"SELECT {V1_COLUMNS} FROM renewals ORDER BY id") == V1_ROWS
        # Rows from before v3 were all top-ups.
        assert raw(path, "SELECT id, kind FROM renewals ORDER BY id") == [(1, "topup"), (2, "topup"),
                                                                           (5, "topup")]
        assert store.state() == LogState(0, EPOCH)
        # The migrated log works like a new one: ids go on after the highest, keys work.
        added, _ = store.add("giffgaff", Renewal(date(2026, 11, 20)), "key-1", "fp")
        assert added.id == 6
        assert store.add("giffgaff", Renewal(date(2026, 11, 20)), "key-1", "fp") == (added, False)
        assert store.state() == LogState(1, T0)
    finally:
        store.close()


def test_v1_database_reaches_every_later_version_step_by_step(tmp_path):
    for version in range(1, SCHEMA_VERSION + 1):
        path = tmp_path / f"v{version}.sqlite3"
        old_database(path, version)
        assert raw(path, "PRAGMA user_version") == [(version,)]
        assert raw(path, f"SELECT {V1_COLUMNS} FROM renewals ORDER BY id") == V1_ROWS


def test_workers_opening_an_old_database_together_migrate_it_once(tmp_path, clock):
    path = tmp_path / "old.sqlite3"
    old_database(path, 1)
    start = threading.Barrier(4)
    results: list[object] = []

    def open_and_read() -> None:
        store = RenewalStore(path, clock=clock)
        try:
            start.wait(10)
            results.append(store.list())
        except BaseException as error:  # pragma: no cover - reported below
            results.append(error)
        finally:
            store.close()

    threads = [threading.Thread(target=open_and_read) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [V1_STORED] * 4
    assert raw(path, "PRAGMA user_version") == [(SCHEMA_VERSION,)]
    assert raw(path, "SELECT key, value FROM meta ORDER BY key") == [
        ("changed_at", "1970-01-01T00:00:00+00:00"), ("generation", "0")]


def test_an_empty_file_gets_the_whole_schema(tmp_path, clock):
    path = tmp_path / "empty.sqlite3"
    path.touch()
    store = RenewalStore(path, clock=clock)
    try:
        assert store.list() == []
        assert raw(path, "PRAGMA user_version") == [(SCHEMA_VERSION,)]
        assert raw(path, "PRAGMA journal_mode") == [("wal",)]
    finally:
        store.close()


def test_reopening_a_current_database_keeps_everything(db_path, clock):
    first = RenewalStore(db_path, clock=clock)
    try:
        stored, _ = first.add("giffgaff", Renewal(date(2026, 11, 20)), "key-1", "fp")
    finally:
        first.close()
    second = RenewalStore(db_path, clock=clock)
    try:
        assert second.list() == [stored]
        assert second.state() == LogState(1, T0)
        assert second.add("giffgaff", Renewal(date(2026, 11, 20)), "key-1", "fp") == (stored, False)
    finally:
        second.close()


def test_a_current_database_is_opened_without_running_alembic(db_path, monkeypatch):
    """Every start-up and every worker opens the log: one query says it is current."""
    from alembic import command

    engine = db.engine_for(db_path)
    try:
        db.create_schema(engine)
        monkeypatch.setattr(command, "upgrade", lambda *_: pytest.fail("Alembic ran on a current database"))
        db.create_schema(engine)
        assert raw(db_path, "SELECT version_num FROM alembic_version") == [(HEAD,)]
    finally:
        engine.dispose()


def test_a_failing_migration_changes_nothing(tmp_path, clock):
    """The whole upgrade is one transaction: a step that fails takes the earlier ones back with it."""
    path = tmp_path / "old.sqlite3"
    old_database(path, 1)
    with closing(sqlite3.connect(path)) as db:  # in the way of v2's CREATE TABLE idempotency
        db.execute("CREATE TABLE idempotency (x)")
        db.commit()
    store = RenewalStore(path, clock=clock)
    with pytest.raises(LogUnavailable, match="already exists"):
        store.list()
    with closing(sqlite3.connect(path)) as db:
        assert db.execute("PRAGMA user_version").fetchone() == (1,)
        tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert tables == {"renewals", "sqlite_sequence", "idempotency"}, "v1 -> v2 was rolled back"
        assert db.execute(f"SELECT {V1_COLUMNS} FROM renewals ORDER BY id").fetchall() == V1_ROWS
    store.close()


def test_postgres_urls_as_platforms_hand_them_out_are_accepted(postgres, clock):
    url = postgres.create_database().replace("postgresql://", "postgres://")
    store = RenewalStore(url, clock=clock)
    try:
        assert store.engine.dialect.name == "postgresql"
        assert store.add("a", Renewal(date(2026, 11, 1)))[0].id == 1
        assert store.path is None
        assert "pg-s3cret" not in repr(store.engine.url) and "pg-s3cret" not in db.describe(store.engine)
    finally:
        store.close()


@pytest.mark.parametrize("renewal_id", [2**63, -(2**63) - 1, 10**30], ids=["2^63", "below", "huge"])
def test_regression_an_id_beyond_sqlite_integers_names_no_entry(log_url: str, renewal_id: int) -> None:
    # Found by the HTTP fuzz (issue 7): /api/renewals/99999999999999999999 bound the id to SQLite,
    # which raised OverflowError, a 500; `flask renew` printed a traceback for the same id.
    store = RenewalStore(log_url, clock=Clock())
    assert store.get(renewal_id) is None
    assert store.delete(renewal_id) is False
    store.close()
