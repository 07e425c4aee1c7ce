"""Signed-in sessions kept in the database, so that signing out ends a session in every worker.

The session cookie is signed, not stored: without a row here a copied cookie
would open the page until it expires. Each sign-in adds a row, keyed by a hash
of a random id the cookie carries (the id itself is never stored), with a hash
of the admin token's marker it was opened with and when it ends. Signing out deletes
the row; a session whose marker is not the current one (the admin token
changed) is deleted when it is next seen, with every other one like it.
Times are seconds since the epoch, passed in as `now`.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import Column, Engine, Float, Index, Table, Text, delete, insert, or_, select

from . import db

# The table of migrations/versions/0006_sessions.py.
sessions = Table(
    "sessions", db.metadata,
    Column("id", Text, primary_key=True),
    Column("marker", Text, nullable=False),
    Column("ends", Float, nullable=False),
    Index("sessions_ends", "ends"),
    info={"copy": False},  # `db copy` signs everybody out: a session is not worth moving
)


def _key(secret: str) -> str:
    """What is stored of a session id or a marker: its hash, which opens nothing."""
    return hashlib.sha256(secret.encode()).hexdigest()


def start(engine: Engine, session_id: str, marker: str, ends: float, now: float) -> None:
    """Record a new session; ended sessions, and sessions of another admin token, go at the same time."""
    with db.unavailable_as_error(engine), db.writing(engine) as connection:
        stale = or_(sessions.c.ends <= now, sessions.c.marker != _key(marker))
        connection.execute(delete(sessions).where(stale))
        connection.execute(insert(sessions).values(id=_key(session_id), marker=_key(marker), ends=ends))


def alive(engine: Engine, session_id: str, marker: str, now: float) -> bool:
    """Whether the session was started with this marker, has not ended and was not signed out."""
    key = _key(session_id)
    with db.unavailable_as_error(engine), db.reading(engine) as connection:
        found = connection.execute(select(sessions.c.marker, sessions.c.ends)
                                   .where(sessions.c.id == key)).first()
    if found is None:
        return False
    if found.marker != _key(marker):  # the admin token changed: this session, and every one like it, ends
        with db.unavailable_as_error(engine), db.writing(engine) as connection:
            connection.execute(delete(sessions).where(sessions.c.marker != _key(marker)))
        return False
    return bool(found.ends > now)


def end(engine: Engine, session_id: str) -> None:
    """Sign a session out, in every worker and instance at once."""
    with db.unavailable_as_error(engine), db.writing(engine) as connection:
        connection.execute(delete(sessions).where(sessions.c.id == _key(session_id)))
