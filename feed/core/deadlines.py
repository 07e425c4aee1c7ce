"""Rules -> deadlines, and alarm offsets that fire at a local time of day. Pure: no clock."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from .model import CalendarSettings, Charge, Expires, KeepAlive, Kind, Renewal, Sim, Stage, TopUp

TOPUP = frozenset({Kind.TOPUP})


class NoDeadline(ValueError):
    """The rule has nothing to count from: no renewal it counts; `code` says which (feed.core.reasons)."""

    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.code = code


# A balance that outlives this many charges is reported as lasting that long.
MAX_CHARGES = 1200


@dataclass(frozen=True)
class Deadline:
    """When a SIM must be renewed, what happens after, and until when it can be recovered."""

    sim: Sim
    due: date
    # The renewal the rule counts from (None for a fixed expiry or a balance). Not "the last
    # renewal": that is Sim.last_renewal, the latest of any kind, which every view shows.
    counted_from: Renewal | None
    stages: tuple[tuple[date, Stage], ...]
    alarms: tuple[int, ...]
    alarm_time: time
    # For a recurring charge: the charges the balance still covers, before `due`.
    charges: tuple[date, ...] = ()

    @property
    def grace_until(self) -> date | None:
        """The last day the number can still be recovered, when a stage says so.

        A stage with a recovery lasts until the next stage without one ("suspended"
        until "cancelled"); with no such stage after it, its own day is the last.
        """
        last = max((on for on, stage in self.stages if stage.recovery), default=None)
        if last is None:
            return None
        lost = [on for on, stage in self.stages if not stage.recovery and on > last]
        return min(lost) - timedelta(days=1) if lost else last

    def days_left(self, today: date) -> int:
        """Days from `today` to the deadline; negative once it has passed."""
        return (self.due - today).days


def _keep_alive(rule: KeepAlive, renewals: tuple[Renewal, ...]) -> tuple[date, Renewal]:
    counted = [r for r in renewals if r.counts_for(rule.counts)]
    if not counted:
        raise NoDeadline("no renewal of a kind that counts", "no_counted_renewal")
    last = max(counted, key=lambda r: r.date)
    return last.date + rule.period, last


def _top_up(rule: TopUp, renewals: tuple[Renewal, ...]) -> tuple[date, Renewal]:
    expiry: date | None = None
    last: Renewal | None = None
    for renewal in sorted(renewals, key=lambda r: r.date):
        tier = rule.tier_for(renewal.amount) if renewal.counts_for(TOPUP) else None
        if tier is None:
            continue
        if expiry is None or rule.extend_from in ("topup", "max"):
            start = renewal.date
        elif rule.extend_from == "expiry":
            start = expiry
        else:
            start = max(expiry, renewal.date)
        extended = start + tier.period
        if expiry is not None and rule.extend_from == "max" and expiry > extended:
            continue  # a later current expiry stays; the top-up did not move it
        expiry, last = extended, renewal
    if expiry is None or last is None:
        raise NoDeadline("no top-up large enough to count", "no_counted_topup")
    return expiry, last


def _charges(rule: Charge, renewals: tuple[Renewal, ...]) -> tuple[date, tuple[date, ...]]:
    """The first charge the balance cannot cover, and the charges before it."""
    top_ups = sorted((r.date, r.amount) for r in renewals
                     if r.amount is not None and r.counts_for(TOPUP) and r.date > rule.as_of)
    balance = rule.balance
    paid: list[date] = []
    for n in range(MAX_CHARGES):
        try:
            on = rule.first + rule.every * n
        except (OverflowError, ValueError):  # past year 9999: the balance outlives the calendar
            break
        # A top-up on the charge day itself is counted after the charge: the deadline errs early.
        while top_ups and top_ups[0][0] < on:
            balance += top_ups.pop(0)[1] or 0
        if balance < rule.fee:
            return on, tuple(paid)
        balance -= rule.fee
        paid.append(on)
    return paid[-1], tuple(paid[:-1])  # paid is never empty: the first charge is a valid date


def deadline_for(sim: Sim, calendar: CalendarSettings) -> Deadline:
    """The SIM's next deadline under its rule, with its stages, alarms and charges.

    >>> from dateutil.relativedelta import relativedelta
    >>> from feed.core.model import KeepAlive
    >>> sim = Sim("x", "X", KeepAlive("1 month", relativedelta(months=1)), (Renewal(date(2026, 8, 31)),))
    >>> deadline_for(sim, CalendarSettings()).due
    datetime.date(2026, 9, 30)
    """
    due, last, charges, stages = _dates(sim)
    return Deadline(
        sim=sim,
        due=due,
        counted_from=last,
        stages=stages,
        alarms=calendar.alarms if sim.alarms is None else sim.alarms,
        alarm_time=calendar.alarm_time if sim.alarm_time is None else sim.alarm_time,
        charges=charges,
    )


_Dates = tuple[date, Renewal | None, tuple[date, ...], tuple[tuple[date, Stage], ...]]


@functools.lru_cache(maxsize=65536)
def _dates(sim: Sim) -> _Dates:
    """The rule's arithmetic, memoised: every reload re-reads thousands of unchanged SIMs."""
    rule = sim.rule
    last: Renewal | None = None
    charges: tuple[date, ...] = ()
    if isinstance(rule, Expires):
        due = rule.on
    elif isinstance(rule, KeepAlive):
        due, last = _keep_alive(rule, sim.renewals)
    elif isinstance(rule, TopUp):
        due, last = _top_up(rule, sim.renewals)
    else:
        due, charges = _charges(rule, sim.renewals)
    return due, last, charges, tuple((due + stage.after, stage) for stage in sim.stages)


def instant(day: date, at: time, zone: ZoneInfo) -> datetime:
    """When `at` on `day` happens in `zone`, in UTC: an alarm's and a push reminder's moment alike.

    >>> instant(date(2026, 3, 29), time(9), ZoneInfo("Europe/London"))
    datetime.datetime(2026, 3, 29, 8, 0, tzinfo=datetime.timezone.utc)
    """
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
    start = instant(due, time(0), zone)
    fire = instant(due - timedelta(days=lead_days), at, zone)
    if fire >= start:
        return 0, fire - start
    if at == time(0):
        return -lead_days, timedelta(0)
    next_midnight = instant(due - timedelta(days=lead_days - 1), time(0), zone)
    return -(lead_days - 1), -(next_midnight - fire)



class Status(StrEnum):
    """How urgent a SIM is; the wording (core.wording) puts each in words."""

    OK = "ok"
    DUE_SOON = "due soon"
    OVERDUE = "overdue"
    IN_GRACE = "in grace"
    LAPSED = "lapsed"


def status(deadline: Deadline, today: date) -> Status:
    """How urgent a SIM is on `today` (a date in the calendar's time zone).

    "due soon" starts with the SIM's earliest warning (its largest alarm lead);
    past the deadline it is "overdue", or with grace (stages) "in grace" until the
    last day it can be recovered, then "lapsed".

    >>> from dateutil.relativedelta import relativedelta
    >>> from feed.core.model import KeepAlive
    >>> grace = Stage(relativedelta(days=30), "30 days", "last day to recover", "renew")
    >>> sim = Sim("x", "X", Expires(date(2026, 12, 2)), stages=(grace,))
    >>> d = deadline_for(sim, CalendarSettings())
    >>> [status(d, date(2026, 11, m)).value for m in (17, 18)], status(d, date(2026, 12, 3)).value
    (['ok', 'due soon'], 'in grace')
    >>> status(d, date(2027, 1, 1)).value, status(d, date(2027, 1, 2)).value
    ('in grace', 'lapsed')
    """
    left = deadline.days_left(today)
    if left < 0:
        if not deadline.stages:
            return Status.OVERDUE
        grace_until = deadline.grace_until
        return Status.IN_GRACE if grace_until is not None and today <= grace_until else Status.LAPSED
    return Status.DUE_SOON if left <= max(deadline.alarms, default=0) else Status.OK
