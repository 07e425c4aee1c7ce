"""What a SIM's page says about its push reminders: the last one sent, the next one due, those
that may not have arrived, and how each channel's URLs fared, read from the deliveries the
runners recorded."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from ..config.notify import masked, target
from ..core.deadlines import deadline_for
from ..core.model import Config, Sim
from ..storage import deliveries
from ..storage.deliveries import Delivery
from .schedule import Schedule, days_after

FAILURES = frozenset({deliveries.RETRY, deliveries.FAILED, *deliveries.MAYBE_SENT})


@dataclass(frozen=True)
class Reminder:
    """One reminder as the page shows it: which channel, which one, and when (sent, failed or due)."""

    notify_id: str
    days_after: int
    at: datetime
    state: str = deliveries.SENT
    error: str | None = None

    @classmethod
    def of(cls, row: Delivery, now: float, zone: ZoneInfo) -> Reminder:
        """The reminder as its message said it: days from the day it went out (a runner that was
        down sends an older occasion's reminder late, counting the days left from that day)."""
        at = row.sent_at or row.updated_at
        return cls(row.key.notify_id, (at.astimezone(zone).date() - row.key.deadline).days, at,
                   row.as_seen(now), row.error)


@dataclass(frozen=True)
class ChannelStatus:
    """One URL of a channel (masked), with its latest reminder that went out and that did not."""

    notify_id: str
    shown: str
    last_success: Reminder | None
    last_failure: Reminder | None


@dataclass(frozen=True)
class SimReminders:
    """A SIM's reminders: the last sent, the next due per channel, those of this deadline that
    may not have arrived (never sent again), and each URL's record."""

    last_sent: Reminder | None
    upcoming: tuple[Reminder, ...]
    channels: tuple[ChannelStatus, ...]
    unconfirmed: tuple[Reminder, ...] = ()


def for_sim(config: Config, engine: Engine, sim: Sim, now: datetime) -> SimReminders | None:
    """The reminders of this SIM, or None when no [[notify]] channel covers it."""
    notifies = [n for n in config.notifies if sim.id in n.sim_ids]
    if not notifies:
        return None
    deadline = deadline_for(sim, config.calendar)
    upcoming = []
    for notify in notifies:
        occasion = Schedule(deadline, config.calendar.timezone, notify.alarms).upcoming(now)
        if occasion is not None:
            upcoming.append(Reminder(notify.id, days_after(occasion.name), occasion.due_at, "due"))
    stamp, zone = now.timestamp(), config.calendar.timezone
    rows = deliveries.for_sims(engine, [sim.id])  # the latest change first
    sent = sorted((row for row in rows if row.state == deliveries.SENT),
                  key=lambda row: row.sent_at or row.updated_at, reverse=True)

    def latest(found: list[Delivery], notify_id: str, url: str) -> Reminder | None:
        mine = (row for row in found if (row.key.notify_id, row.key.target) == (notify_id, target(url)))
        row = next(mine, None)
        return Reminder.of(row, stamp, zone) if row is not None else None

    failed = [row for row in rows if row.as_seen(stamp) in FAILURES]
    channels = tuple(ChannelStatus(notify.id, masked(url), latest(sent, notify.id, url),
                                   latest(failed, notify.id, url))
                     for notify in notifies for url in notify.urls)
    maybe_sent = (row for row in rows
                  if row.key.deadline == deadline.due and row.as_seen(stamp) in deliveries.MAYBE_SENT)
    unconfirmed = sorted((Reminder.of(row, stamp, zone) for row in maybe_sent), key=lambda r: r.at)
    return SimReminders(Reminder.of(sent[0], stamp, zone) if sent else None,
                        tuple(sorted(upcoming, key=lambda r: r.at)), channels, tuple(unconfirmed))
