"""Every push reminder, recorded: claimed before it is sent, so that it goes out once.

A delivery is one reminder (which alarm, or which overdue day) of one SIM's deadline to
one apprise URL of a [[notify]] channel. A runner claims it in a write transaction before
sending (db.writing: concurrent runners, cron overlaps and instances queue there), so two
runners never both send it. A claim holds a lease; a runner killed mid-send leaves its claim
to run out, after which the delivery is marked interrupted and never sent again: whether
the message left cannot be known, and a reminder must not arrive twice. A send whose
receiver took it but did not answer in time is the same case, recorded as unconfirmed.
Failed sends (that surely did not arrive) are retried at the time the runner asks, then
given up.

These rows are not the renewal log: writing them never bumps its generation, so feeds
are not rebuilt for them. Times that are compared are seconds since the epoch (the
caller's `now`); the times people read are ISO 8601 in UTC.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    Column,
    Engine,
    Float,
    Index,
    Integer,
    Row,
    Table,
    Text,
    and_,
    func,
    insert,
    or_,
    select,
    update,
)

from . import db

SENDING, SENT, RETRY, FAILED, INTERRUPTED, SUPERSEDED, UNCONFIRMED = (
    "sending", "sent", "retry", "failed", "interrupted", "superseded", "unconfirmed")
# Sent, or maybe sent, with no confirmation: never sent again, shown as such on the SIM's page.
MAYBE_SENT = frozenset({INTERRUPTED, UNCONFIRMED})


def claim_columns(count: str) -> list[Column[Any]]:
    """The columns of a row claimed under a lease (a Leased: a delivery, an autopilot attempt);
    `count` names the column that counts its tries."""
    return [
        Column("state", Text, nullable=False),
        Column(count, Integer, nullable=False),
        Column("runner", Text, nullable=False),
        Column("lease_until", Float, nullable=False),
        Column("next_try", Float),
    ]


# The table of migrations/versions/0004_deliveries.py.
deliveries = Table(
    "deliveries", db.metadata,
    Column("notify_id", Text, primary_key=True),
    # Which URL of the channel: a digest of it (config.notify.target), never the URL.
    Column("target", Text, primary_key=True),
    Column("sim_id", Text, primary_key=True),
    # The deadline the reminder is for (ISO date): a renewal moves it, and its reminders stop.
    Column("deadline", Text, primary_key=True),
    # Which reminder: "before-14" (days before the deadline) or "overdue-3" (days after it).
    Column("occasion", Text, primary_key=True),
    # When it was due (ISO 8601, UTC, always the same form: compared as text).
    Column("due_at", Text, nullable=False),
    *claim_columns("attempts"),
    Column("error", Text),
    Column("updated_at", Text, nullable=False),
    Column("sent_at", Text),
    Index("deliveries_sim", "sim_id", "deadline"),
)


@dataclass(frozen=True)
class Key:
    """Which reminder, to where: the primary key of a delivery."""

    notify_id: str
    target: str
    sim_id: str
    deadline: date
    occasion: str

    def values(self) -> dict[str, str]:
        return {"notify_id": self.notify_id, "target": self.target, "sim_id": self.sim_id,
                "deadline": self.deadline.isoformat(), "occasion": self.occasion}


class Leased:
    """A claimed row with a lease and a time to retry: a delivery, or an autopilot attempt (attempts.py)."""

    state: str
    lease_until: float
    next_try: float | None

    def as_seen(self, now: float) -> str:
        """The state, with a claim whose runner died (its lease ran out) shown as interrupted."""
        return INTERRUPTED if self.abandoned(now) else self.state

    def abandoned(self, now: float) -> bool:
        """Claimed by a runner that died: its lease ran out with no outcome recorded."""
        return self.state == SENDING and now >= self.lease_until

    def retry_due(self, now: float) -> bool:
        """A failure whose next try has come."""
        return self.state == RETRY and (self.next_try or 0) <= now

    def claimable(self, now: float) -> bool:
        """Whether `claim` at `now` would change it (claim it again, or mark it interrupted)."""
        return self.retry_due(now) or self.abandoned(now)


@dataclass(frozen=True)
class Delivery(Leased):
    """A delivery as recorded: its state, its attempts and the last error (never a URL)."""

    key: Key
    due_at: datetime
    state: str
    attempts: int
    runner: str
    lease_until: float
    next_try: float | None
    error: str | None
    updated_at: datetime
    sent_at: datetime | None



def _key_of(row: Row[Any]) -> Key:
    return Key(row.notify_id, row.target, row.sim_id, date.fromisoformat(row.deadline), row.occasion)


def _delivery(row: Row[Any]) -> Delivery:
    return Delivery(
        key=_key_of(row), due_at=datetime.fromisoformat(row.due_at), state=row.state, attempts=row.attempts,
        runner=row.runner, lease_until=row.lease_until, next_try=row.next_try, error=row.error,
        updated_at=datetime.fromisoformat(row.updated_at),
        sent_at=datetime.fromisoformat(row.sent_at) if row.sent_at else None,
    )


def iso_utc(now: float) -> str:
    """Seconds since the epoch as the ISO 8601 UTC text these rows keep (compared as text)."""
    return datetime.fromtimestamp(now, UTC).isoformat()


def _where(key: Key) -> Any:
    return and_(*(deliveries.c[name] == value for name, value in key.values().items()))


def latest(engine: Engine, since: date) -> dict[Key, Delivery]:
    """The newest delivery of each SIM's deadline (on or after `since`) to each URL, in one query.

    What a pass needs: a reminder due now is either the newest one recorded for its deadline
    or not recorded yet, since later ones are not due. Reading only these keeps a pass the
    size of what is due, however many reminders were sent for a deadline before.
    """
    group = [deliveries.c.notify_id, deliveries.c.target, deliveries.c.sim_id, deliveries.c.deadline]
    newest = (select(*group, func.max(deliveries.c.due_at).label("due_at"))
              .where(deliveries.c.deadline >= since.isoformat()).group_by(*group).subquery())
    query = select(deliveries).join(newest, and_(*(column == newest.c[column.name]
                                                   for column in [*group, deliveries.c.due_at])))
    with db.unavailable_as_error(engine), db.reading(engine) as connection:
        return {_key_of(row): _delivery(row) for row in connection.execute(query)}


def for_sims(engine: Engine, sim_ids: Iterable[str]) -> list[Delivery]:
    """The deliveries of these SIMs, most recently changed first (the page's history)."""
    query = (select(deliveries).where(deliveries.c.sim_id.in_(list(sim_ids)))
             .order_by(deliveries.c.updated_at.desc()))
    with db.unavailable_as_error(engine), db.reading(engine) as connection:
        return [_delivery(row) for row in connection.execute(query)]


def claim(engine: Engine, key: Key, due_at: datetime, runner: str, now: float,
          lease: float) -> Delivery | None:
    """Take this delivery for sending, or None when it is not to be sent (again) now.

    New: claimed. Due for a retry: claimed again. Claimed by a runner whose lease ran out:
    marked interrupted, not sent. Anything else (sent, given up, claimed by a live runner,
    a retry not yet due): None. Claiming a reminder supersedes the retries still pending
    for older reminders of the same SIM and URL: only the newest is worth sending.
    """
    stamp = iso_utc(now)
    with db.unavailable_as_error(engine), db.writing(engine) as connection:
        row = connection.execute(select(deliveries).where(_where(key))).first()
        if row is None:
            connection.execute(insert(deliveries).values(
                **key.values(), due_at=due_at.astimezone(UTC).isoformat(), state=SENDING, attempts=1,
                runner=runner, lease_until=now + lease, next_try=None, error=None, updated_at=stamp))
        else:
            found = _delivery(row)
            if found.abandoned(now):
                connection.execute(update(deliveries).where(_where(key)).values(
                    state=INTERRUPTED, updated_at=stamp,
                    error="the runner stopped while sending; not sent again, so as never to send it twice"))
                return None
            if not found.retry_due(now):
                return None
            connection.execute(update(deliveries).where(_where(key)).values(
                state=SENDING, attempts=found.attempts + 1, runner=runner, lease_until=now + lease,
                next_try=None, updated_at=stamp))
        connection.execute(update(deliveries).where(and_(
            deliveries.c.notify_id == key.notify_id, deliveries.c.target == key.target,
            deliveries.c.sim_id == key.sim_id, deliveries.c.state == RETRY,
            or_(deliveries.c.deadline != key.deadline.isoformat(), deliveries.c.occasion != key.occasion),
        )).values(state=SUPERSEDED, updated_at=stamp))
        claimed = connection.execute(select(deliveries).where(_where(key))).one()
    return _delivery(claimed)


def finish(engine: Engine, claimed: Delivery, now: float, error: str | None = None,
           retry_at: float | None = None, unconfirmed: bool = False) -> Delivery:
    """Record how a claimed send went: sent; sent but `unconfirmed` (never again); failed, to
    retry at `retry_at`; or failed for good."""
    if error is None:
        values: dict[str, Any] = {"state": SENT, "sent_at": iso_utc(now), "error": None}
    elif unconfirmed:
        values = {"state": UNCONFIRMED, "sent_at": iso_utc(now), "error": error}
    else:
        values = {"state": RETRY if retry_at is not None else FAILED, "next_try": retry_at, "error": error}
    with db.unavailable_as_error(engine), db.writing(engine) as connection:
        connection.execute(update(deliveries).where(_where(claimed.key)).values(
            **values, updated_at=iso_utc(now), lease_until=now))
        row = connection.execute(select(deliveries).where(_where(claimed.key))).one()
    return _delivery(row)
