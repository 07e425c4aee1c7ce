"""The database everything the service keeps lives in, through SQLAlchemy Core.

Every table of the service is declared on `metadata` by the module that owns it;
`engine_for` turns SIMFEED_DATABASE (a path or a URL) into an Engine and
`create_schema` brings that database to the current schema.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, MetaData, create_engine, event

metadata = MetaData()


def engine_for(target: str | Path) -> Engine:
    """An Engine for a database URL, or for an SQLite file given by its path."""
    text = str(target)
    if "://" not in text:
        Path(text).parent.mkdir(parents=True, exist_ok=True)
        text = f"sqlite:///{Path(text).resolve()}"
    engine = create_engine(text)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA busy_timeout = 30000")
    cursor.close()


def create_schema(engine: Engine) -> None:
    """Create what is missing (issue 12 replaces this with Alembic migrations)."""
    metadata.create_all(engine)
