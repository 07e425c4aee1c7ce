"""Rules -> deadlines, and alarm offsets that fire at a local time of day. Pure: no clock."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from .model import CalendarSettings, Expires, Renewal, Sim


@dataclass(frozen=True)
class Deadline:
    """When a SIM must be renewed, and until when it can still be recovered."""

    sim: Sim
    due: date
    last_renewal: Renewal | None
    grace_until: date | None
    alarms: tuple[int, ...]
    alarm_time: time

    def days_left(self, today: date) -> int:
        """Days from `today` to the deadline; negative once it has passed."""
        return (self.due - today).days


def deadline_for(sim: Sim, calendar: CalendarSettings) -> Deadline:
    """The SIM's next deadline, counted from its latest renewal with calendar arithmetic.

    >>> from dateutil.relativedelta import relativedelta
    >>> from feed.model import KeepAlive
    >>> sim = Sim("x", "X", KeepAlive("1 month", relativedelta(months=1)), (Renewal(date(2026, 8, 31)),))
    >>> deadline_for(sim, CalendarSettings()).due
    datetime.date(2026, 9, 30)
    """
    last = sim.last_renewal
    if isinstance(sim.rule, Expires):
        due = sim.rule.on
    else:
        if last is None:
            raise ValueError(f"sim {sim.id!r}: keep_alive needs a renewal date")
        due = last.date + sim.rule.period
    return Deadline(
        sim=sim,
        due=due,
        last_renewal=last,
        grace_until=due + sim.grace if sim.grace else None,
        alarms=calendar.alarms if sim.alarms is None else sim.alarms,
        alarm_time=calendar.alarm_time if sim.alarm_time is None else sim.alarm_time,
    )


def _instant(day: date, at: time, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, at, tzinfo=zone).astimezone(UTC)


def alarm_trigger_parts(due: date, lead_days: int, at: time, zone: ZoneInfo) -> tuple[int, timedelta]:
    """The TRIGGER that fires `lead_days` before `due` at `at`, as (calendar days, exact time).

    RFC 5545 counts the days of a duration as calendar days and its hours as exact
    time, so the day part moves from midnight to midnight and the time part is the
    real time left between the alarm and the next midnight, which differs from the
    clock difference when daylight saving changes in between. Both carry the sign.

    A timedelta cannot keep them apart, and the exact part can reach 24 hours or more
    across a 25-hour day: 23:30 on the day clocks go back is 24h30m after its midnight,
    which "P1DT30M" would put at 00:30 the next day.

    >>> alarm_trigger_parts(date(2026, 12, 2), 14, time(9), ZoneInfo("Europe/London"))
    (-13, datetime.timedelta(days=-1, seconds=32400))
    >>> alarm_trigger_parts(date(2026, 11, 1), 0, time(23, 30), ZoneInfo("America/New_York"))
    (0, datetime.timedelta(days=1, seconds=1800))
    """
    start = _instant(due, time(0), zone)
    fire = _instant(due - timedelta(days=lead_days), at, zone)
    if fire >= start:
        return 0, fire - start
    if at == time(0):
        return -lead_days, timedelta(0)
    next_midnight = _instant(due - timedelta(days=lead_days - 1), time(0), zone)
    return -(lead_days - 1), -(next_midnight - fire)


def alarm_fires_at(due: date, lead_days: int, at: time, zone: ZoneInfo) -> datetime:
    """When an alarm is meant to fire, in the calendar's zone."""
    return datetime.combine(due - timedelta(days=lead_days), at, tzinfo=zone)


STATUSES = ("ok", "due soon", "overdue", "in grace", "lapsed")


def status(deadline: Deadline, today: date) -> str:
    """How urgent a SIM is on `today` (a date in the calendar's time zone).

    "due soon" starts with the SIM's earliest warning (its largest alarm lead);
    past the deadline it is "overdue", or with grace "in grace" then "lapsed".

    >>> from dateutil.relativedelta import relativedelta
    >>> from feed.model import KeepAlive
    >>> sim = Sim("x", "X", Expires(date(2026, 12, 2)), grace=relativedelta(days=30))
    >>> d = deadline_for(sim, CalendarSettings())
    >>> [status(d, date(2026, 11, m)) for m in (17, 18)], status(d, date(2026, 12, 3))
    (['ok', 'due soon'], 'in grace')
    >>> status(d, date(2027, 1, 1)), status(d, date(2027, 1, 2))
    ('in grace', 'lapsed')
    """
    left = deadline.days_left(today)
    if left < 0:
        if deadline.grace_until is None:
            return "overdue"
        return "in grace" if today <= deadline.grace_until else "lapsed"
    return "due soon" if left <= max(deadline.alarms, default=0) else "ok"
