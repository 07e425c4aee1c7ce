"""The database everything the service keeps lives in: SQLite by default, PostgreSQL by URL.

Every table of the service is declared on `metadata` by the module that owns it;
`engine_for` turns DATABASE_URL / SIMFEED_DATABASE (a path or a URL) into an
Engine, one pool per process; `create_schema` runs the Alembic migrations in
feed/storage/migrations up to the latest revision. Writes go through `writing`, one
transaction that concurrent writers queue behind (SQLite's BEGIN IMMEDIATE, a
PostgreSQL advisory lock), so every backend keeps the same guarantees.
"""

from __future__ import annotations

import functools
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import (
    BigInteger,
    Connection,
    Engine,
    Integer,
    MetaData,
    Table,
    create_engine,
    event,
    exc,
    func,
    make_url,
    select,
    text,
)
from sqlalchemy.engine import URL

metadata = MetaData()
# SQLite's INTEGER, PostgreSQL's BIGINT: 64-bit ids on both.
ID = BigInteger().with_variant(Integer, "sqlite")

MIGRATIONS = Path(__file__).parent / "migrations"
# The advisory lock every PostgreSQL write takes: writers queue as SQLite's do.
_WRITE_LOCK = 0x51F_EED


class LogUnavailable(RuntimeError):
    """The database cannot be reached or used right now; the message names it without credentials."""


class BadDatabaseUrl(ValueError):
    """A database URL that would be misread; the message names no part of it that may be secret."""


def url_for(target: str | Path) -> URL:
    """The SQLAlchemy URL of a path or a URL; postgres:// (as platforms hand it out) means psycopg 3.

    >>> url_for("postgres://u:pw@db.example/simfeed").render_as_string()
    'postgresql+psycopg://u:***@db.example/simfeed'
    >>> url_for("postgresql://db.example/simfeed").drivername
    'postgresql+psycopg'
    >>> url_for("postgresql://simfeed:p@ss@db.example/simfeed")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    feed.storage.db.BadDatabaseUrl: the database URL has more than one '@' before its host: ... as %40
    """
    given = str(target)
    if "://" not in given:
        return make_url(f"sqlite:///{Path(given).resolve()}")
    _check_authority(given)
    url = make_url(given)
    if url.drivername in ("postgres", "postgresql"):
        url = url.set(drivername="postgresql+psycopg")
    return url


def _check_authority(given: str) -> None:
    """Refuse a URL whose user name or password holds a bare '@', before anything connects.

    The part after the first such '@' would be taken for the host: sent to DNS and
    printed in every error message.
    """
    authority = re.split(r"[/?#]", given.split("://", 1)[1], maxsplit=1)[0]
    if authority.count("@") > 1:
        raise BadDatabaseUrl("the database URL has more than one '@' before its host: "
                             "write an '@' in the user name or password as %40")


def describe(engine_or_url: Engine | URL) -> str:
    """Which database, fit for logs and error pages: never the password."""
    url = engine_or_url.url if isinstance(engine_or_url, Engine) else engine_or_url
    if url.get_backend_name() == "sqlite":
        return f"SQLite file {url.database}"
    where = f"{url.host or 'localhost'}{f':{url.port}' if url.port else ''}/{url.database or ''}"
    return f"PostgreSQL {url.username + '@' if url.username else ''}{where}"


def engine_for(target: str | Path) -> Engine:
    """An Engine for a database URL, or for an SQLite file given by its path."""
    url = url_for(target)
    if url.get_backend_name() == "sqlite":
        if url.database:
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url)
        # SQLAlchemy's pysqlite recipe: the driver emits no BEGIN of its own, we do (in _begin).
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    # A short connect timeout: a database that is down answers 503 quickly instead of hanging.
    # pre_ping: after a restart of the server, the first write gets a live connection, not a 503
    # (the per-request check does not pay for it: it keeps a connection of its own).
    return create_engine(url, pool_size=5, max_overflow=5, pool_timeout=10, hide_parameters=True,
                         pool_pre_ping=True,
                         connect_args={"connect_timeout": 5, "application_name": "simfeed"})


def _sqlite_connect(connection: Any, _record: Any) -> None:
    connection.isolation_level = None
    connection.execute("PRAGMA busy_timeout = 30000")
    _use_wal(connection)
    connection.execute("PRAGMA synchronous = NORMAL")


def _use_wal(connection: Any) -> None:
    """Switch to WAL, waiting out other openers: the switch ignores the busy timeout."""
    deadline = time.monotonic() + 30
    while True:
        try:
            connection.execute("PRAGMA journal_mode = WAL")
            return
        except Exception as error:  # sqlite3.OperationalError, from the driver itself
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def _sqlite_begin(connection: Connection) -> None:
    writes = connection.get_execution_options().get("simfeed_write", False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if writes else "BEGIN")


@contextmanager
def writing(engine: Engine) -> Iterator[Connection]:
    """One write transaction; concurrent writers (threads, workers, instances) wait their turn."""
    with engine.connect().execution_options(simfeed_write=True) as connection, connection.begin():
        if engine.dialect.name == "postgresql":
            connection.execute(text(f"SELECT pg_advisory_xact_lock({_WRITE_LOCK:d})"))
        yield connection


@contextmanager
def reading(engine: Engine) -> Iterator[Connection]:
    """One read transaction that sees a single state of the database."""
    options = {"isolation_level": "REPEATABLE READ"} if engine.dialect.name == "postgresql" else {}
    with engine.connect().execution_options(**options) as connection, connection.begin():
        yield connection


@contextmanager
def unavailable_as_error(engine: Engine) -> Iterator[None]:
    """Turn "cannot reach the database" into LogUnavailable, naming the database but no secret."""
    try:
        yield
    except (exc.OperationalError, exc.InterfaceError) as error:
        raise LogUnavailable(f"{describe(engine)} is unavailable: {reason(error.orig or error)}") from None


def reason(error: BaseException) -> str:
    """The first line of a driver's error: what went wrong, without the statement or its values."""
    lines = str(error).strip().splitlines()
    return lines[0] if lines else type(error).__name__


def alembic_config(connection: Connection) -> Any:
    """Alembic's configuration, made in code: no alembic.ini is needed at run time."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


@functools.cache
def head_revision() -> str | None:
    """The latest revision in migrations/, read once: the files do not change while the service runs."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory(str(MIGRATIONS)).get_current_head()  # two heads: an error, start-up fails


def create_schema(engine: Engine) -> None:
    """Bring the database to the latest revision (`flask db upgrade`, and every start-up).

    One write transaction: two processes starting together migrate once, and a
    failed revision leaves the database as it was. A database already at the latest
    revision is left at once (Alembic would load every revision file to find that out).
    """
    from alembic import command
    from alembic.migration import MigrationContext

    with unavailable_as_error(engine), writing(engine) as connection:
        if MigrationContext.configure(connection).get_current_revision() == head_revision():
            return
        command.upgrade(alembic_config(connection), "head")


class CopyRefused(ValueError):
    """`db copy` or a restore will not write: the target holds data already, or the copy did not add up."""


def copied_tables() -> list[Table]:
    """The tables a copy or a backup carries, parents first: all but those declared with
    info={"copy": False} (passing state, such as failed-token counts)."""
    return [table for table in metadata.sorted_tables if table.info.get("copy", True)]


def _rows(connection: Connection, table: Table) -> list[dict[str, Any]]:
    key = list(table.primary_key.columns) or list(table.columns)
    return [dict(row._mapping) for row in connection.execute(select(table).order_by(*key))]


def dump(connection: Connection) -> dict[str, list[dict[str, Any]]]:
    """Every copied table's rows, by table, in key order: read inside one transaction, one state."""
    return {table.name: _rows(connection, table) for table in copied_tables()}


def _seeds() -> dict[str, list[dict[str, Any]]]:
    """The rows a freshly migrated database starts with."""
    fresh = engine_for("sqlite://")
    try:
        create_schema(fresh)
        with reading(fresh) as connection:
            return dump(connection)
    finally:
        fresh.dispose()


def require_fresh(connection: Connection, target: Engine, verb: str) -> None:
    """Refuse (CopyRefused) unless the database holds only the rows a fresh one starts with."""
    seeds = _seeds()
    for table in copied_tables():
        if _rows(connection, table) != seeds[table.name]:
            raise CopyRefused(f"{describe(target)} is not empty (table {table.name}): nothing was {verb}")


def load(connection: Connection, rows: dict[str, list[dict[str, Any]]], verb: str) -> dict[str, int]:
    """Put `rows` (by table, as `dump` gives them) in place of the copied tables' rows; the counts.

    Inside the caller's write transaction, checked row for row count before it commits.
    """
    tables = copied_tables()
    for table in reversed(tables):
        connection.execute(table.delete())
    counts: dict[str, int] = {}
    for table in tables:
        given = rows.get(table.name, [])
        for start in range(0, len(given), 1000):
            connection.execute(table.insert(), given[start:start + 1000])
        arrived = connection.execute(select(func.count()).select_from(table)).scalar_one()
        if arrived != len(given):
            raise CopyRefused(f"table {table.name}: {arrived} rows arrived of {len(given)}:"
                              f" nothing was {verb}")
        counts[table.name] = len(given)
    if connection.dialect.name == "postgresql":
        _advance_sequences(connection)
    return counts


def copy(source: Engine, target: Engine) -> dict[str, int]:
    """Copy every copied table from one database to another; the rows copied, by table.

    Both are migrated first. The target must be as new (only the rows a fresh database
    starts with); the copy is one transaction, checked row for row count before it commits.
    """
    for engine in (source, target):
        create_schema(engine)
    with unavailable_as_error(source), unavailable_as_error(target), reading(source) as read, \
            writing(target) as write:
        require_fresh(write, target, "copied")
        return load(write, dump(read), "copied")


def _advance_sequences(connection: Connection) -> None:
    """Ids inserted as they were do not move PostgreSQL's sequences: the next id goes on after them."""
    for table in metadata.sorted_tables:
        for column in table.primary_key.columns:
            if column.autoincrement is True:
                connection.execute(text(
                    f"SELECT setval(pg_get_serial_sequence('{table.name}', '{column.name}'),"
                    f" COALESCE(MAX({column.name}), 1), MAX({column.name}) IS NOT NULL) FROM {table.name}"))
