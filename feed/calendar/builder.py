"""Deadlines -> an RFC 5545 calendar that subscribed clients accept.

Everything here is derived from the config alone (no clock, no randomness), so
the same inputs always serialise to the same bytes and the same ETag.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime, timedelta

from icalendar import Alarm, Calendar, Event, vDuration, vText

from ..core.deadlines import Deadline, alarm_trigger_parts, deadline_for
from ..core.model import Config, Sim
from ..core.wording import Wording

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


def _alarm(text: str, trigger: _Trigger) -> Alarm:
    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("description", _clean(text))
    alarm.add("trigger", trigger)
    return alarm


def _all_day(uid: str, day: date, summary: str, stamp: datetime, description: str | None = None,
             url: str | None = None) -> Event:
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", stamp)
    event.add("dtstart", day)
    event.add("dtend", day + ONE_DAY)
    event.add("summary", _clean(summary))
    event.add("transp", "TRANSPARENT")
    if description:
        event.add("description", description)
    if url:
        event.add("url", url)
    return event


def sim_events(deadline: Deadline, config: Config, reminders: str = "alarms",
               stamp: datetime | None = None) -> list[Event]:
    """The deadline event, its warning events or alarms (by `reminders`), and its stages.

    `stamp` (DTSTAMP) is when the SIM's data last changed; by default the config's time.
    Texts are in the calendar's language.
    """
    sim = deadline.sim
    stamp = stamp or config.modified
    zone = config.calendar.timezone
    words = Wording(config.calendar.language)
    alarms = reminders in ("alarms", "both")
    description = _clean(words.description(deadline, config.calendar.show_accounts))

    def trigger(day: date, lead: int) -> _Trigger:
        return _Trigger(*alarm_trigger_parts(day, lead, deadline.alarm_time, zone))

    event = _all_day(f"{sim.id}-deadline@simfeed", deadline.due, words.renew_title(sim), stamp,
                     description, sim.renew_url)
    for lead in deadline.alarms if alarms else ():
        event.add_component(_alarm(words.alarm(sim, lead, deadline.due), trigger(deadline.due, lead)))
    events = [event]
    if reminders in ("events", "both"):
        events += [
            _all_day(f"{sim.id}-warning-{lead}d@simfeed", deadline.due - timedelta(days=lead),
                     words.warning_title(sim, lead, deadline.due), stamp, description, sim.renew_url)
            for lead in deadline.alarms if lead > 0
        ]
    for index, (on, stage) in enumerate(deadline.stages):
        staged = _all_day(f"{sim.id}-stage-{index}@simfeed", on, words.stage_title(sim, stage), stamp,
                          _clean(words.stage_description(deadline, stage, description)), sim.renew_url)
        if alarms and stage.recovery and deadline.alarms:
            staged.add_component(_alarm(words.stage_alarm(sim, stage), trigger(on, 0)))
        events.append(staged)
    return events


def history_events(sim: Sim, stamp: datetime, language: str = "en") -> list[Event]:
    """One past all-day event per renewal, for `[calendar] history = true`.

    UIDs stay stable: a logged renewal is named by its log id, a config one by
    its date and its place among the config's renewals of that date.
    """
    words = Wording(language)
    events = []
    same_day: dict[date, int] = {}
    for renewal in sim.renewals:
        if renewal.log_id is not None:
            uid = f"{sim.id}-renewal-{renewal.log_id}@simfeed"
        else:
            n = same_day[renewal.date] = same_day.get(renewal.date, 0) + 1
            uid = f"{sim.id}-renewal-{renewal.date.isoformat()}-{n}@simfeed"
        events.append(_all_day(uid, renewal.date, words.history_title(sim, renewal), stamp,
                               _clean(words.history_description(renewal))))
    return events


def calendar_shell(config: Config, name: str | None = None) -> bytes:
    """The calendar's own properties, serialised, with no components yet.

    No VTIMEZONE is needed: events are all-day dates and their stamps UTC, so no
    TZID is ever used.
    """
    settings = config.calendar
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    # No METHOD: a subscribed feed is not an iTIP message, and METHOD:PUBLISH without an
    # ORGANIZER fails libical's iTIP check on every event (Evolution, GNOME).
    calendar_name = vText(_clean(name or settings.name))
    calendar.add("name", calendar_name)
    calendar.add("x-wr-calname", calendar_name)
    calendar.add("x-wr-timezone", settings.timezone.key)
    calendar.add("refresh-interval", vDuration(settings.refresh, params={"VALUE": "DURATION"}))
    calendar.add("x-published-ttl", vDuration(settings.refresh))
    if settings.color and settings.color_hex:
        calendar.add("color", settings.color)
        calendar.add("x-apple-calendar-color", settings.color_hex.upper())
    shell: bytes = calendar.to_ical()
    return shell


def sim_block(sim: Sim, config: Config, reminders: str, stamp: datetime) -> bytes:
    """All of one SIM's events, serialised: the unit the feed cache keeps and reuses."""
    events = sim_events(deadline_for(sim, config.calendar), config, reminders, stamp)
    if config.calendar.history:
        events += history_events(sim, stamp, config.calendar.language)
    return b"".join(event.to_ical() for event in events)


_END = b"END:VCALENDAR\r\n"


def assemble(shell: bytes, blocks: Iterable[bytes]) -> bytes:
    """Serialised components placed inside a serialised calendar.

    icalendar writes a calendar as its properties, then each component's own
    serialisation, then END:VCALENDAR: the same bytes as serialising it whole.
    """
    if not shell.endswith(_END):
        raise ValueError("not a serialised calendar")
    return shell[: -len(_END)] + b"".join(blocks) + _END


BlockMaker = Callable[[Sim, Config, str, datetime], bytes]


def render(config: Config, sims: Iterable[Sim] | None = None, name: str | None = None,
           reminders: str | None = None, stamps: Mapping[str, datetime] | None = None,
           block: BlockMaker = sim_block) -> bytes:
    """The feed as the bytes served to clients: CRLF line ends, folded at 75 octets.

    `reminders` ("alarms", "events" or "both") defaults to the calendar's setting;
    `stamps` gives each SIM's DTSTAMP (default: the config's time); `block` lets a
    cache hand back a SIM's events serialised before.
    """
    mode = reminders or config.calendar.reminders
    chosen = config.sims if sims is None else sims
    stamp_of = stamps or {}
    return assemble(calendar_shell(config, name),
                    (block(sim, config, mode, stamp_of.get(sim.id, config.modified)) for sim in chosen))
