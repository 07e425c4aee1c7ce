"""Deadlines -> an RFC 5545 calendar that subscribed clients accept.

Everything here is derived from the config alone (no clock, no randomness), so
the same inputs always serialise to the same bytes and the same ETag.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import date, timedelta

from icalendar import Alarm, Calendar, Event, vDuration, vText

from .deadlines import Deadline, alarm_trigger_parts, deadline_for
from .model import Config, Expires, Renewal, Sim

PRODID = "-//simfeed//simfeed//EN"
ONE_DAY = timedelta(days=1)
# RFC 5545 TEXT allows no control characters but tab (newlines are escaped as \n);
# TOML lets "\f" or "\u0007" through, and strict clients then reject the whole feed.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _clean(text: str) -> str:
    return _CONTROL.sub("", text)


class _Trigger(vDuration):
    """A relative TRIGGER whose calendar days and exact time stay apart.

    vDuration folds every 24 hours into a day, which a client adds on the wall
    clock. Only when the exact part reaches 24 hours (an alarm in the repeated
    hour of a 25-hour day) is that wrong; then, and only then, the value is
    written here, in the form RFC 5545 3.3.6 gives ("PT24H30M").
    """

    def __init__(self, days: int, exact: timedelta):
        super().__init__(timedelta(days=days) + exact)
        self.days, self.exact = days, exact

    def to_ical(self) -> bytes:
        if abs(self.exact) < ONE_DAY:
            library: Callable[[], bytes] = super().to_ical
            return library()
        sign = "-" if self.days < 0 or self.exact < timedelta(0) else ""
        hours, minutes = divmod(int(abs(self.exact).total_seconds()) // 60, 60)
        day_part = f"{abs(self.days)}D" if self.days else ""
        return f"{sign}P{day_part}T{hours}H{f'{minutes}M' if minutes else ''}".encode()


# How many renewals the deadline's description lists, newest first.
LATEST_RENEWALS = 3


def _renewal_details(renewal: Renewal) -> str:
    """Amount, method, reference and note: what a dispute with the carrier needs."""
    details = []
    if renewal.amount is not None:
        amount = f"{renewal.amount:g}"
        details.append(f"{amount} {renewal.currency}" if renewal.currency else amount)
    if renewal.method:
        details.append(f"by {renewal.method}")
    if renewal.reference:
        details.append(f"ref {renewal.reference}")
    if renewal.note:
        details.append(renewal.note)
    return ", ".join(details)


def _renewal_text(renewal: Renewal) -> str:
    details = _renewal_details(renewal)
    return f"{renewal.date.isoformat()} ({details})" if details else renewal.date.isoformat()


def _rule_text(deadline: Deadline) -> str:
    sim = deadline.sim
    if isinstance(sim.rule, Expires):
        return f"Rule: the plan expires on {sim.rule.on.isoformat()}."
    return (f"Rule: renew at least every {sim.rule.text} "
            f"(deadline {deadline.due.isoformat()}).")


def _description(deadline: Deadline) -> str:
    sim = deadline.sim
    lines = []
    latest = sim.renewals[-LATEST_RENEWALS:][::-1]
    if latest:
        lines.append(f"Last renewed: {_renewal_text(latest[0])}.")
    if len(latest) > 1:
        lines.append("Before that: " + "; ".join(_renewal_text(r) for r in latest[1:]) + ".")
    lines.append(_rule_text(deadline))
    if deadline.grace_until is not None:
        lines.append(f"Grace: the number can still be recovered until "
                     f"{deadline.grace_until.isoformat()} ({sim.grace_text} after the deadline).")
    if sim.how_to_renew:
        lines.append(f"How to renew: {sim.how_to_renew}")
    if sim.renew_url:
        lines.append(f"Renew at: {sim.renew_url}")
    carrier = ", ".join(part for part in (sim.carrier, sim.country) if part)
    if carrier:
        lines.append(f"Carrier: {carrier}")
    if sim.display_number:
        lines.append(f"Number: {sim.display_number}")
    if sim.notes:
        lines.append(f"Notes: {sim.notes}")
    return _clean("\n".join(lines))


def _alarm(text: str, trigger: _Trigger) -> Alarm:
    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("description", _clean(text))
    alarm.add("trigger", trigger)
    return alarm


def _all_day(uid: str, day: date, summary: str, config: Config) -> Event:
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", config.modified)
    event.add("dtstart", day)
    event.add("dtend", day + ONE_DAY)
    event.add("summary", _clean(summary))
    event.add("transp", "TRANSPARENT")
    return event


def sim_events(deadline: Deadline, config: Config) -> list[Event]:
    """The deadline event with its alarms, and the last-day-to-recover event when there is grace."""
    sim = deadline.sim
    zone = config.calendar.timezone
    event = _all_day(f"{sim.id}-deadline@simfeed", deadline.due, f"Renew {sim.label}", config)
    event.add("description", _description(deadline))
    if sim.renew_url:
        event.add("url", sim.renew_url)
    for lead in deadline.alarms:
        when = "today" if lead == 0 else f"in {lead} day{'s' if lead != 1 else ''}"
        text = f"Renew {sim.label}: deadline {when} ({deadline.due.isoformat()})"
        trigger = _Trigger(*alarm_trigger_parts(deadline.due, lead, deadline.alarm_time, zone))
        event.add_component(_alarm(text, trigger))
    events = [event]
    if deadline.grace_until is not None:
        summary = f"Last day to recover {sim.label}"
        grace = _all_day(f"{sim.id}-grace@simfeed", deadline.grace_until, summary, config)
        grace.add("description", f"The deadline was {deadline.due.isoformat()}; after today "
                                 f"the number may be lost for good.\n{_description(deadline)}")
        if sim.renew_url:
            grace.add("url", sim.renew_url)
        if deadline.alarms:
            trigger = _Trigger(*alarm_trigger_parts(deadline.grace_until, 0, deadline.alarm_time, zone))
            grace.add_component(_alarm(f"{summary}: today", trigger))
        events.append(grace)
    return events


def history_events(sim: Sim, config: Config) -> list[Event]:
    """One past all-day event per renewal, for `[calendar] history = true`.

    UIDs stay stable: a logged renewal is named by its log id, a config one by
    its date and its place among the config's renewals of that date.
    """
    events = []
    same_day: dict[date, int] = {}
    for renewal in sim.renewals:
        if renewal.log_id is not None:
            uid = f"{sim.id}-renewal-{renewal.log_id}@simfeed"
        else:
            n = same_day[renewal.date] = same_day.get(renewal.date, 0) + 1
            uid = f"{sim.id}-renewal-{renewal.date.isoformat()}-{n}@simfeed"
        summary = f"Topped up {sim.label}"
        details = _renewal_details(renewal)
        event = _all_day(uid, renewal.date, f"{summary}: {details}" if details else summary, config)
        event.add("description", _clean(f"Renewed on {_renewal_text(renewal)}."))
        events.append(event)
    return events


def build_calendar(config: Config, sims: Iterable[Sim] | None = None, name: str | None = None) -> Calendar:
    """The whole feed (or the feed of some SIMs), ready to serialise."""
    settings = config.calendar
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar_name = vText(_clean(name or settings.name))
    calendar.add("name", calendar_name)
    calendar.add("x-wr-calname", calendar_name)
    calendar.add("x-wr-timezone", settings.timezone.key)
    calendar.add("refresh-interval", vDuration(settings.refresh, params={"VALUE": "DURATION"}))
    calendar.add("x-published-ttl", vDuration(settings.refresh))
    for sim in config.sims if sims is None else sims:
        for event in sim_events(deadline_for(sim, settings), config):
            calendar.add_component(event)
        if settings.history:
            for event in history_events(sim, config):
                calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar


def render(config: Config, sims: Iterable[Sim] | None = None, name: str | None = None) -> bytes:
    """The feed as the bytes served to clients: CRLF line ends, folded at 75 octets."""
    body: bytes = build_calendar(config, sims, name).to_ical()
    return body
