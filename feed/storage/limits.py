"""Failed-token counts kept in the database, so that every worker and instance shares one limit.

A client's misses (wrong admin tokens, wrong feed tokens, unknown feed URLs) are
counted in fixed windows that start with its first miss: `limit` misses are
allowed, the next attempt in the same window is refused until it ends. A row per
(scope, client) holds the count and when its window ends; one upsert counts a
miss and returns the shared count, the same statement on SQLite and PostgreSQL.
Times are seconds since the epoch, passed in as `now`: the window arithmetic
never reads a clock.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Column, Engine, Float, Index, Integer, Table, Text, case, delete, literal
from sqlalchemy.dialects import postgresql, sqlite

from . import db

# The table of migrations/versions/0003_limits.py.
limits = Table(
    "limits", db.metadata,
    Column("scope", Text, primary_key=True),
    Column("client", Text, primary_key=True),
    Column("hits", Integer, nullable=False),
    Column("ends", Float, nullable=False),
    Index("limits_ends", "ends"),
    info={"copy": False},  # `db copy` leaves passing counts behind
)

# Where a limit counts everyone's misses together.
EVERYONE = "*"


@dataclass(frozen=True)
class Quota:
    """At most `limit` misses per `window` seconds in one scope, per client or (`total`) for all."""

    scope: str
    limit: int
    window: float
    total: bool = False

    def key(self, client: str) -> tuple[str, str]:
        """The row a client's miss counts in: its own, or everyone's for a total."""
        return self.scope, EVERYONE if self.total else client


@dataclass(frozen=True)
class Window:
    """The misses counted in one window and when it ends.

    >>> quota = Quota("feeds", limit=2, window=60)
    >>> first = Window.first(quota, now=100.0); first
    Window(hits=1, ends=160.0)
    >>> second = first.after_miss(quota, now=130.0); second.retry_after(quota, now=130.0)
    30
    >>> second.refused(quota), second.after_miss(quota, now=131.0).refused(quota)
    (False, True)
    >>> second.retry_after(quota, now=159.5), second.retry_after(quota, now=160.0)
    (1, None)
    >>> second.after_miss(quota, now=160.0)
    Window(hits=1, ends=220.0)
    """

    hits: int
    ends: float

    @classmethod
    def first(cls, quota: Quota, now: float) -> Window:
        return cls(1, now + quota.window)

    def after_miss(self, quota: Quota, now: float) -> Window:
        """This window with one more miss, or a new window when this one is over."""
        if now >= self.ends:
            return Window.first(quota, now)
        return Window(self.hits + 1, self.ends)

    def refused(self, quota: Quota) -> bool:
        """Whether the last miss counted went beyond the limit: that attempt is refused (429)."""
        return self.hits > quota.limit

    def retry_after(self, quota: Quota, now: float) -> int | None:
        """Whole seconds until the next attempt is allowed, or None when it is allowed now."""
        if self.hits < quota.limit or now >= self.ends:
            return None
        return math.ceil(self.ends - now)


def count_miss(engine: Engine, quotas: Sequence[Quota], client: str, now: float,
               prune: bool = False) -> list[Window]:
    """Count one miss of `client` under each quota; the windows as every worker now sees them.

    One statement (an upsert of a row per quota) in one write transaction; with `prune`,
    ended windows of every client are deleted first, in the same transaction.
    """
    dialect = postgresql if engine.dialect.name == "postgresql" else sqlite
    rows = [{"scope": scope, "client": who, "hits": 1, "ends": now + quota.window}
            for quota in quotas for scope, who in [quota.key(client)]]
    upsert = dialect.insert(limits).values(rows)
    over = limits.c.ends <= literal(now)
    upsert = upsert.on_conflict_do_update(
        index_elements=[limits.c.scope, limits.c.client],
        set_={"hits": case((over, 1), else_=limits.c.hits + 1),
              "ends": case((over, upsert.excluded.ends), else_=limits.c.ends)},
    ).returning(limits.c.scope, limits.c.client, limits.c.hits, limits.c.ends)
    with db.unavailable_as_error(engine), db.writing(engine) as connection:
        if prune:
            connection.execute(delete(limits).where(limits.c.ends <= now))
        found = {(row.scope, row.client): Window(row.hits, row.ends) for row in connection.execute(upsert)}
    return [found[quota.key(client)] for quota in quotas]
