"""The autopilot's attempts: one row per SIM and deadline, claimed before the text is sent.

A text costs money and a second one for the same deadline is waste, so an attempt is
claimed in a write transaction (db.writing: runners queue there) before the gateway is
called, as the push reminders' deliveries are. A claim holds a lease; a runner killed
mid-send leaves it to run out, after which the attempt is marked interrupted and never
sent again. An accepted text waits for its confirmation (pending); a failure is tried again
once at `next_try`, then given up. Only `confirmed` ever goes with a recorded renewal.
Which SIMs' autopilots are paused is kept here too, not in the config file.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Column,
    Engine,
    Float,
    Row,
    Table,
    Text,
    and_,
    delete,
    insert,
    select,
    update,
)

from . import db
from .deliveries import FAILED as FAILED
from .deliveries import INTERRUPTED as INTERRUPTED
from .deliveries import RETRY as RETRY
from .deliveries import SENDING as SENDING
from .deliveries import Leased, claim_columns, iso_utc

# Beside the deliveries' states: a text taken by the gateway waits for its confirmation (pending)
# or for the person (awaiting); confirmed goes with a renewal; capped was never sent.
PENDING, AWAITING, CONFIRMED, CAPPED = "pending", "awaiting", "confirmed", "capped"
# Attempts after which the person is reminded as if there were no autopilot.
GAVE_UP = frozenset({FAILED, INTERRUPTED, CAPPED})

# The tables of migrations/versions/0005_autopilot.py.
attempts = Table(
    "autopilot_attempts", db.metadata,
    Column("sim_id", Text, primary_key=True),
    # The deadline the text keeps (ISO date): a confirmation moves it; the next attempt is another row.
    Column("deadline", Text, primary_key=True),
    Column("gateway_id", Text, nullable=False),
    # When it was planned (ISO 8601, UTC).
    Column("planned_at", Text, nullable=False),
    *claim_columns("tries"),
    # When the gateway took the latest try (seconds since the epoch): its confirmation is awaited from then.
    Column("sent_at", Float),
    # The gateway's id of the text (SMS Gate's message id), the renewal's reference.
    Column("message_id", Text),
    Column("error", Text),
    # What the texts of this attempt cost together (a decimal, as text), in `currency`.
    Column("spent", Text),
    Column("currency", Text),
    Column("renewal_id", db.ID),
    Column("updated_at", Text, nullable=False),
)
paused = Table(
    "autopilot_paused", db.metadata,
    Column("sim_id", Text, primary_key=True),
    Column("paused_at", Text, nullable=False),
)


@dataclass(frozen=True)
class Attempt(Leased):
    """One deadline's keep-alive attempt as recorded (never a URL, never the number)."""

    sim_id: str
    deadline: date
    gateway_id: str
    planned_at: datetime
    state: str
    tries: int
    runner: str
    lease_until: float
    next_try: float | None
    sent_at: float | None
    message_id: str | None
    error: str | None
    spent: Decimal
    currency: str | None
    renewal_id: int | None
    updated_at: datetime


def _attempt(row: Row[Any]) -> Attempt:
    return Attempt(
        sim_id=row.sim_id, deadline=date.fromisoformat(row.deadline), gateway_id=row.gateway_id,
        planned_at=datetime.fromisoformat(row.planned_at), state=row.state, tries=row.tries,
        runner=row.runner,
        lease_until=row.lease_until, next_try=row.next_try, sent_at=row.sent_at, message_id=row.message_id,
        error=row.error, spent=Decimal(row.spent or "0"), currency=row.currency, renewal_id=row.renewal_id,
        updated_at=datetime.fromisoformat(row.updated_at))


def _where(sim_id: str, deadline: date) -> Any:
    return and_(attempts.c.sim_id == sim_id, attempts.c.deadline == deadline.isoformat())


def for_sims(engine: Engine, sim_ids: Iterable[str]) -> dict[tuple[str, date], Attempt]:
    """Every attempt of these SIMs, by SIM and deadline, in one query."""
    query = select(attempts).where(attempts.c.sim_id.in_(list(sim_ids)))
    with db.unavailable_as_error(engine), db.reading(engine) as connection:
        found = (_attempt(row) for row in connection.execute(query))
        return {(a.sim_id, a.deadline): a for a in found}


def get(engine: Engine, sim_id: str, deadline: date) -> Attempt | None:
    with db.unavailable_as_error(engine), db.reading(engine) as connection:
        row = connection.execute(select(attempts).where(_where(sim_id, deadline))).first()
    return _attempt(row) if row is not None else None


def claim(engine: Engine, sim_id: str, deadline: date, gateway_id: str, planned_at: datetime, runner: str,
          now: float, lease: float) -> Attempt | None:
    """Take this deadline's attempt for sending, or None when no text is to be sent now.

    New: claimed. A retry that is due: claimed again. Claimed by a runner whose lease ran out:
    marked interrupted, never sent again. Anything else: None.
    """
    stamp = iso_utc(now)
    with db.unavailable_as_error(engine), db.writing(engine) as connection:
        row = connection.execute(select(attempts).where(_where(sim_id, deadline))).first()
        if row is None:
            connection.execute(insert(attempts).values(
                sim_id=sim_id, deadline=deadline.isoformat(), gateway_id=gateway_id,
                planned_at=planned_at.astimezone(UTC).isoformat(), state=SENDING, tries=1, runner=runner,
                lease_until=now + lease, updated_at=stamp))
        else:
            found = _attempt(row)
            if found.abandoned(now):
                connection.execute(update(attempts).where(_where(sim_id, deadline)).values(
                    state=INTERRUPTED, updated_at=stamp,
                    error="the runner stopped while sending; not sent again, so as never to send it twice"))
                return None
            if not found.retry_due(now):
                return None
            connection.execute(update(attempts).where(_where(sim_id, deadline)).values(
                state=SENDING, tries=found.tries + 1, runner=runner, lease_until=now + lease, next_try=None,
                gateway_id=gateway_id, updated_at=stamp))
        claimed = connection.execute(select(attempts).where(_where(sim_id, deadline))).one()
    return _attempt(claimed)


def _change(engine: Engine, sim_id: str, deadline: date, now: float, states: set[str],
            only_before: float | None = None, **values: Any) -> Attempt | None:
    """Set `values` if the attempt is in one of `states`; the attempt if this call changed it."""
    condition = and_(_where(sim_id, deadline), attempts.c.state.in_(sorted(states)))
    if only_before is not None:
        condition = and_(condition, attempts.c.lease_until <= only_before)
    with db.unavailable_as_error(engine), db.writing(engine) as connection:
        changed = connection.execute(update(attempts).where(condition).values(
            **values, updated_at=iso_utc(now))).rowcount
        row = connection.execute(select(attempts).where(_where(sim_id, deadline))).one()
    return _attempt(row) if changed else None


def sent(engine: Engine, claimed: Attempt, now: float, message_id: str | None, cost: Decimal | None,
         currency: str | None, waiting: str = PENDING) -> Attempt:
    """The gateway took the text: now `waiting` (pending a confirmation, or awaiting the person)."""
    spent = claimed.spent + (cost or Decimal(0))
    changed = _change(engine, claimed.sim_id, claimed.deadline, now, {SENDING}, state=waiting,
                      message_id=message_id, sent_at=now, lease_until=now, error=None, spent=str(spent),
                      currency=currency or claimed.currency)
    return changed or claimed


def awaiting(engine: Engine, attempt: Attempt, now: float) -> Attempt | None:
    """The gateway sent it; the renewal waits for the person's one-tap link. None if already settled."""
    return _change(engine, attempt.sim_id, attempt.deadline, now, {PENDING}, state=AWAITING)


def failed(engine: Engine, attempt: Attempt, now: float, error: str, retry_at: float | None,
           cost: Decimal | None = None, currency: str | None = None,
           maybe_sent: bool = False) -> Attempt | None:
    """The text failed (or was not confirmed): to try again at `retry_at`, or given up; None if settled.

    With `maybe_sent` (the gateway took the request but never answered) it is interrupted, as a
    runner's death mid-send leaves it: never sent again, and `cost` counts towards the cap.
    """
    state = INTERRUPTED if maybe_sent else RETRY if retry_at is not None else FAILED
    values: dict[str, Any] = {"state": state, "next_try": None if maybe_sent else retry_at,
                              "error": error, "lease_until": now}
    if cost is not None:
        values["spent"] = str(attempt.spent + cost)
        values["currency"] = currency or attempt.currency
    return _change(engine, attempt.sim_id, attempt.deadline, now, {SENDING, PENDING}, **values)


def confirmed(engine: Engine, attempt: Attempt, now: float, renewal_id: int) -> Attempt | None:
    """The gateway confirmed it and the renewal is recorded; None if another runner got there first."""
    return _change(engine, attempt.sim_id, attempt.deadline, now, {SENDING, PENDING, AWAITING},
                   state=CONFIRMED, renewal_id=renewal_id, error=None, lease_until=now)


def capped(engine: Engine, sim_id: str, deadline: date, gateway_id: str, planned_at: datetime, runner: str,
           now: float, why: str) -> Attempt | None:
    """Record that no text was sent because the year's cap is reached; the attempt if this call did."""
    stamp = iso_utc(now)
    with db.unavailable_as_error(engine), db.writing(engine) as connection:
        if connection.execute(select(attempts.c.state).where(_where(sim_id, deadline))).first() is not None:
            return None
        connection.execute(insert(attempts).values(
            sim_id=sim_id, deadline=deadline.isoformat(), gateway_id=gateway_id,
            planned_at=planned_at.astimezone(UTC).isoformat(), state=CAPPED, tries=0, runner=runner,
            lease_until=now, error=why, updated_at=stamp))
        row = connection.execute(select(attempts).where(_where(sim_id, deadline))).one()
    return _attempt(row)


def paused_sims(engine: Engine) -> frozenset[str]:
    """The SIMs whose autopilot is paused."""
    with db.unavailable_as_error(engine), db.reading(engine) as connection:
        return frozenset(row.sim_id for row in connection.execute(select(paused.c.sim_id)))


def set_paused(engine: Engine, sim_id: str, pause: bool, now: float) -> None:
    """Pause or resume one SIM's autopilot (stored here, so the config file is never rewritten for it)."""
    with db.unavailable_as_error(engine), db.writing(engine) as connection:
        connection.execute(delete(paused).where(paused.c.sim_id == sim_id))
        if pause:
            connection.execute(insert(paused).values(sim_id=sim_id, paused_at=iso_utc(now)))
