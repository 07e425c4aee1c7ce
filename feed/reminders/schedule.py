"""When a SIM's push reminders are due: on each alarm day, then daily while it is overdue.

Pure: "now" is an argument. Each reminder (an occasion) is due at the SIM's alarm time on
its day, in the calendar's zone, the same moments as the feed's alarms and warning events.
Only the newest occasion that is due counts, and only until the next one is: a runner that
was down sends one reminder per SIM, never a burst of stale ones. Computed directly from
the deadline, without listing every occasion: a pass looks at every SIM every minute.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, replace  # noqa: F401 - replace serves the doctests
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from ..core.deadlines import Deadline, instant

ONE_DAY = timedelta(days=1)
# Without stages, simfeed cannot know when the number is lost: it reminds daily this long.
OVERDUE_DAYS = 30


@dataclass(frozen=True)
class Occasion:
    """One reminder of one deadline: its name in the database, its local day and when it is due."""

    name: str
    day: date
    due_at: datetime


def name_for(days_after: int) -> str:
    """An occasion's name in the database: "before-14", "before-0", "overdue-3"."""
    return f"overdue-{days_after}" if days_after > 0 else f"before-{-days_after}"


def days_after(name: str) -> int:
    """The days after the deadline an occasion's name stands for (negative before it).

    >>> days_after(name_for(-14)), days_after(name_for(0)), days_after(name_for(3))
    (-14, 0, 3)
    """
    kind, _, days = name.partition("-")
    return int(days) if kind == "overdue" else -int(days)


def overdue_days(deadline: Deadline) -> int:
    """How many days after the deadline a reminder goes out daily: to the last stage's day, inclusive.

    >>> from dateutil.relativedelta import relativedelta
    >>> from feed.core.deadlines import deadline_for
    >>> from feed.core.model import CalendarSettings, Expires, Sim, Stage
    >>> lost = Stage(relativedelta(days=90), "90 days", "recycled")
    >>> sim = Sim("x", "X", Expires(date(2026, 1, 1)))
    >>> overdue_days(deadline_for(sim, CalendarSettings()))
    30
    >>> overdue_days(deadline_for(replace(sim, stages=(lost,)), CalendarSettings()))
    90
    """
    if not deadline.stages:
        return OVERDUE_DAYS
    return max(0, max((on - deadline.due).days for on, _stage in deadline.stages))


def last_reminder_day(deadline: Deadline) -> date:
    """The day of a deadline's last overdue reminder (and so the last day its one-tap link works)."""
    return deadline.due + timedelta(days=overdue_days(deadline))


class Schedule:
    """A deadline's occasions: alarm days before it (`leads`), then each day to `overdue_days` after."""

    def __init__(self, deadline: Deadline, zone: ZoneInfo, leads: tuple[int, ...] | None = None):
        self.deadline = deadline
        self.zone = zone
        self.before = sorted({deadline.due - timedelta(days=lead)
                              for lead in (deadline.alarms if leads is None else leads)})
        self.last_overdue = last_reminder_day(deadline)

    def occasion(self, day: date) -> Occasion:
        """The occasion on `day` (a day of this schedule)."""
        name = name_for((day - self.deadline.due).days)
        return Occasion(name, day, instant(day, self.deadline.alarm_time, self.zone))

    def _latest_day(self, limit: date) -> date | None:
        """The schedule's last day on or before `limit`."""
        due = self.deadline.due
        if limit > due and self.last_overdue > due:
            return min(limit, self.last_overdue)
        index = bisect.bisect_right(self.before, limit)
        return self.before[index - 1] if index else None

    def _next_day(self, after: date) -> date | None:
        """The schedule's first day after `after`."""
        index = bisect.bisect_right(self.before, after)
        if index < len(self.before):
            return self.before[index]
        following = max(after, self.deadline.due) + ONE_DAY
        return following if following <= self.last_overdue else None

    def current(self, now: datetime) -> Occasion | None:
        """The newest occasion due at `now`, until the next begins (the last: until a day later)."""
        today = now.astimezone(self.zone).date()
        day = self._latest_day(today)
        if day is not None and self.occasion(day).due_at > now:
            day = self._latest_day(day - ONE_DAY)
        if day is None:
            return None
        ends = self._next_day(day) or day + ONE_DAY
        return self.occasion(day) if now < self.occasion(ends).due_at else None

    def upcoming(self, now: datetime) -> Occasion | None:
        """The first occasion due after `now`, if any."""
        day = self._next_day(now.astimezone(self.zone).date() - ONE_DAY)
        while day is not None and self.occasion(day).due_at <= now:
            day = self._next_day(day)
        return self.occasion(day) if day is not None else None
