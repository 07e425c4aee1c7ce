"""The iCalendar feed (feed/ical.py), read back by three independent parsers.

Every feed is parsed by icalendar (the library that writes it), by `ical` (strict,
pydantic-based) and by vobject, and the raw bytes are checked against RFC 5545
(CRLF, 75-octet folding, escaping). Alarm TRIGGERs are checked by an oracle
written here from RFC 5545 3.3.6 and sharing no code with feed/deadlines.py.

Golden file: tests/data/golden_basic.ics is the feed of GOLDEN_TOML, compared byte
for byte. When the feed changes on purpose, regenerate it with

    SIMFEED_REGEN_GOLDEN=1 .venv/bin/python -m pytest tests/test_ical.py -k golden

(the test then rewrites the file and reports itself as skipped), review the diff
with `git diff tests/data/golden_basic.ics`, and commit it with the change.
"""

from __future__ import annotations

import os
import re
import textwrap
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import pytest
import vobject
from ical.calendar_stream import IcsCalendarStream

from feed.calendar.builder import render
from feed.config.load import parse_toml
from feed.core.model import Config

from .helpers import icalendar_text, shared_sim, sim_table, unescape_text, vobject_value

MODIFIED = datetime(2026, 5, 28, 12, 0, tzinfo=UTC)
GOLDEN = Path(__file__).parent / "data" / "golden_basic.ics"


# --------------------------------------------------------------------------- helpers


def make(toml: str, modified: datetime = MODIFIED) -> Config:
    return parse_toml(textwrap.dedent(toml), "test.toml", modified=modified)


def toml_str(text: str) -> str:
    """A TOML basic string for any text: quotes, backslashes and control characters escaped."""
    out = []
    for char in text:
        if char in '"\\':
            out.append("\\" + char)
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def unfolded(raw: bytes) -> list[str]:
    """The content lines of the feed: unfolded (CRLF + one space removed), then decoded."""
    assert raw.endswith(b"\r\n")
    return raw.replace(b"\r\n ", b"").decode("utf-8").split("\r\n")[:-1]


def raw_events(raw: bytes) -> list[list[str]]:
    """The unfolded lines of each VEVENT, VALARMs included, in feed order."""
    events: list[list[str]] = []
    current: list[str] | None = None
    for line in unfolded(raw):
        if line == "BEGIN:VEVENT":
            current = []
        elif line == "END:VEVENT":
            assert current is not None
            events.append(current)
            current = None
        elif current is not None:
            current.append(line)
    return events


def raw_event(raw: bytes, uid: str) -> list[str]:
    (found,) = [lines for lines in raw_events(raw) if f"UID:{uid}" in lines]
    return found


def raw_triggers(lines: list[str]) -> list[str]:
    """The TRIGGER values exactly as written, e.g. "-P13DT15H"."""
    values = []
    for line in lines:
        match = re.fullmatch(r"TRIGGER(;[^:]*)?:(.*)", line)
        if match:
            assert match.group(1) is None, "relative TRIGGERs need no parameters (RELATED=START)"
            values.append(match.group(2))
    return values


# ------------------------------------------------------------- the three parsers


@dataclass(frozen=True)
class Alarm:
    action: str
    description: str
    trigger: Any


@dataclass(frozen=True)
class Event:
    uid: str
    start: Any
    end: Any
    summary: str
    description: str | None
    transp: str | None
    url: str | None
    stamp: datetime
    alarms: tuple[Alarm, ...]


@dataclass(frozen=True)
class Feed:
    version: str
    prodid: str
    calscale: str
    method: str | None  # None: the feed is not an iTIP message (issue 21)
    name: str
    calname: str
    timezone: str
    refresh: timedelta
    events: tuple[Event, ...]

    def event(self, uid: str) -> Event:
        (found,) = [e for e in self.events if e.uid == uid]
        return found


def via_icalendar(raw: bytes) -> Feed:
    cal = icalendar.Calendar.from_ical(raw)
    text = icalendar_text  # short, to keep each Event on a few lines
    events = tuple(
        Event(
            uid=str(ev["UID"]), start=ev.decoded("DTSTART"), end=ev.decoded("DTEND"),
            summary=str(ev["SUMMARY"]), description=text(ev, "DESCRIPTION"), transp=text(ev, "TRANSP"),
            url=text(ev, "URL"), stamp=ev.decoded("DTSTAMP"),
            alarms=tuple(Alarm(str(a["ACTION"]), str(a["DESCRIPTION"]), a.decoded("TRIGGER"))
                         for a in ev.walk("VALARM")),
        )
        for ev in cal.walk("VEVENT")
    )
    return Feed(
        version=str(cal["VERSION"]), prodid=str(cal["PRODID"]), calscale=str(cal["CALSCALE"]),
        # icalendar reads NAME and X-WR-CALNAME as unknown properties and leaves them escaped.
        method=str(cal["METHOD"]) if "METHOD" in cal else None, name=unescape_text(str(cal["NAME"])),
        calname=unescape_text(str(cal["X-WR-CALNAME"])), timezone=str(cal["X-WR-TIMEZONE"]),
        refresh=cal.decoded("REFRESH-INTERVAL"), events=events,
    )


def via_ical(raw: bytes) -> Feed:
    cal = IcsCalendarStream.calendar_from_ics(raw.decode("utf-8"))
    extras = {prop.name.lower(): prop.value for prop in cal.extras}
    events = tuple(
        Event(
            uid=ev.uid, start=ev.dtstart, end=ev.dtend, summary=ev.summary, description=ev.description,
            transp=ev.transparency, url=str(ev.url) if ev.url else None, stamp=ev.dtstamp,
            alarms=tuple(Alarm(a.action, a.description, a.trigger) for a in ev.alarm),
        )
        for ev in cal.events
    )
    assert len(cal.name) == 1
    return Feed(
        version=cal.version, prodid=cal.prodid, calscale=cal.calscale, method=cal.method,
        name=cal.name[0], calname=unescape_text(extras["x-wr-calname"]), timezone=cal.x_wr_timezone,
        refresh=cal.refresh_interval, events=events,
    )


def via_vobject(raw: bytes) -> Feed:
    cal = vobject.readOne(raw.decode("utf-8"))
    one = vobject_value  # short, to keep each Event on a few lines
    events = tuple(
        Event(
            uid=one(ev, "uid"), start=one(ev, "dtstart"), end=one(ev, "dtend"), summary=one(ev, "summary"),
            description=one(ev, "description"), transp=one(ev, "transp"), url=one(ev, "url"),
            stamp=one(ev, "dtstamp"),
            alarms=tuple(Alarm(one(a, "action"), one(a, "description"), one(a, "trigger"))
                         for a in ev.contents.get("valarm", [])),
        )
        for ev in cal.contents.get("vevent", [])
    )
    (refresh,) = vobject.icalendar.stringToDurations(one(cal, "refresh-interval"))
    return Feed(
        version=one(cal, "version"), prodid=one(cal, "prodid"), calscale=one(cal, "calscale"),
        method=one(cal, "method") if "method" in cal.contents else None, name=one(cal, "name"),
        calname=one(cal, "x-wr-calname"),
        timezone=one(cal, "x-wr-timezone"), refresh=refresh, events=events,
    )


PARSERS = [
    pytest.param(via_icalendar, id="icalendar"),
    pytest.param(via_ical, id="ical-strict"),
    pytest.param(via_vobject, id="vobject"),
]


# ------------------------------------------------------------ deadline events

SIMS = """
[calendar]
name = "Test SIMs"
timezone = "Europe/London"

""" + shared_sim("giffgaff") + """
[[sim]]
id = "month-end"
name = "Month end"
last_renewal = 2026-08-31
keep_alive = "1 month"
renew_url = "https://example.com/top-up?sim=1&x=y"

[[sim]]
id = "leap"
name = "Leap"
number = "+1 555 0100"
last_renewal = 2028-02-29
keep_alive = "1 year"

""" + shared_sim("plan") + """
[[sim]]
id = "multi"
name = "Multi"
keep_alive = "90 days"
renewals = [{ date = 2026-04-10 }, { date = 2026-02-01 }]
"""

# (uid, summary, deadline, url)
EXPECTED_DEADLINES = [
    # 2026-06-02 + 6 months = 2026-12-02
    ("giffgaff-deadline@simfeed", "Renew giffgaff ••0123", date(2026, 12, 2), "https://www.giffgaff.com/"),
    # 2026-08-31 + 1 month: September has no 31st, so the month end 2026-09-30
    ("month-end-deadline@simfeed", "Renew Month end", date(2026, 9, 30), "https://example.com/top-up?sim=1&x=y"),
    # 2028-02-29 + 1 year: 2029 is not a leap year, so 2029-02-28
    ("leap-deadline@simfeed", "Renew Leap ••0100", date(2029, 2, 28), None),
    # expires: the fixed date
    ("plan-deadline@simfeed", "Renew Plan", date(2027, 3, 31), None),
    # the latest renewal counts, whatever the order: 2026-04-10 + 90 days
    # = April 10 + 20 (Apr 30) + 31 (May 31) + 30 (Jun 30) + 9 = 2026-07-09
    ("multi-deadline@simfeed", "Renew Multi", date(2026, 7, 9), None),
]


@pytest.mark.parametrize("parse", PARSERS)
def test_one_all_day_deadline_event_per_sim(parse):
    raw = render(make(SIMS))
    feed = parse(raw)
    assert len(feed.events) == len(EXPECTED_DEADLINES)
    for uid, summary, due, url in EXPECTED_DEADLINES:
        event = feed.event(uid)
        # A DATE, not a DATE-TIME (datetime is a subclass of date).
        assert type(event.start) is date and type(event.end) is date
        assert event.start == due
        assert event.end == due + timedelta(days=1)
        assert event.summary == summary
        assert event.transp == "TRANSPARENT"
        assert event.url == url
        # DTSTAMP is the config's modification time, never the clock.
        assert event.stamp == MODIFIED and event.stamp.utcoffset() == timedelta(0)
    uids = [event.uid for event in feed.events]
    assert len(set(uids)) == len(uids)


@pytest.mark.parametrize("parse", PARSERS)
def test_uids_are_stable_across_renders_and_renewals(parse):
    first = parse(render(make(SIMS)))
    second = parse(render(make(SIMS)))
    assert [e.uid for e in first.events] == [e.uid for e in second.events]
    # A new top-up moves the event; it must not become a second event in clients.
    renewed = parse(render(make(SIMS.replace("last_renewal = 2026-06-02", "last_renewal = 2026-07-15"))))
    assert [e.uid for e in renewed.events] == [e.uid for e in first.events]
    # 2026-07-15 + 6 months = 2027-01-15
    assert renewed.event("giffgaff-deadline@simfeed").start == date(2027, 1, 15)


def test_raw_dates_and_stamp():
    lines = raw_event(render(make(SIMS)), "month-end-deadline@simfeed")
    assert "DTSTART;VALUE=DATE:20260930" in lines
    assert "DTEND;VALUE=DATE:20261001" in lines
    # 2026-05-28 12:00 UTC, in UTC form.
    assert "DTSTAMP:20260528T120000Z" in lines


# ------------------------------------------------------- calendar properties


@pytest.mark.parametrize("parse", PARSERS)
@pytest.mark.parametrize(("refresh", "written", "interval"), [
    ("6 hours", "PT6H", timedelta(hours=6)),
    ("30 minutes", "PT30M", timedelta(minutes=30)),
])
def test_calendar_properties(parse, refresh, written, interval):
    name = "Cuba & UK, SIMs; mine \\ 古巴保号卡 📱"
    raw = render(make(f"""
        [calendar]
        name = {toml_str(name)}
        timezone = "America/Havana"
        refresh = "{refresh}"

    """ + shared_sim("plan")))
    feed = parse(raw)
    assert feed.version == "2.0"
    assert feed.prodid == "-//simfeed//simfeed//EN"
    assert feed.calscale == "GREGORIAN"
    assert feed.method is None  # no METHOD: a PUBLISH without ORGANIZER fails libical's iTIP check
    assert feed.name == name
    assert feed.calname == name
    assert feed.timezone == "America/Havana"
    assert feed.refresh == interval
    lines = unfolded(raw)
    assert f"REFRESH-INTERVAL;VALUE=DURATION:{written}" in lines
    assert f"X-PUBLISHED-TTL:{written}" in lines
    assert lines[0] == "BEGIN:VCALENDAR" and lines[-1] == "END:VCALENDAR"


@pytest.mark.parametrize("parse", PARSERS)
def test_feed_of_one_sim_with_its_own_name(parse):
    config = make(SIMS)
    leap = config.sim("leap")
    assert leap is not None
    feed = parse(render(config, [leap], "Leap only"))
    assert [e.uid for e in feed.events] == ["leap-deadline@simfeed"]
    assert feed.name == feed.calname == "Leap only"


# ------------------------------------------------------------------- alarms


def fires_at(due: date, trigger: str, zone: ZoneInfo) -> datetime:
    """When a client fires a TRIGGER relative to the start of an all-day event on `due`.

    RFC 5545 3.3.6: the start is the day's local midnight in the calendar's zone; the
    days of a duration are nominal (added on the wall clock) and are added first, then
    hours, minutes and seconds as exact elapsed time.
    """
    match = re.fullmatch(
        r"(?P<sign>[+-]?)P(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
        r"(?:T(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+)S)?)?",
        trigger,
    )
    assert match and trigger not in ("P", "-P", "+P") and not trigger.endswith("T"), trigger
    sign = -1 if match["sign"] == "-" else 1
    number = {key: int(value or 0) for key, value in match.groupdict().items() if key != "sign"}
    days = sign * (7 * number["weeks"] + number["days"])
    exact = sign * timedelta(hours=number["hours"], minutes=number["minutes"], seconds=number["seconds"])
    start_wall = datetime.combine(due, time(0))  # naive: the local wall clock
    after_days = (start_wall + timedelta(days=days)).replace(tzinfo=zone)
    return after_days.astimezone(UTC) + exact


def alarm_config(zone: str, due: date, alarms: list[str], at: str) -> Config:
    quoted = ", ".join(f'"{lead}"' for lead in alarms)
    return make(f"""
        [calendar]
        timezone = "{zone}"
        alarms = [{quoted}]
        alarm_time = "{at}"

        [[sim]]
        id = "sim"
        name = "giffgaff"
        number = "+44 7700 900123"
        expires = {due.isoformat()}
    """)


ALARM_CASES = [
    # Europe/London, GMT all December. 14 days: 2026-12-02 00:00 - 13 days = 11-19 00:00,
    # - 15 h = 11-18 09:00. 3 days: 11-29 00:00 - 15 h = 11-28 09:00. 0 days: 00:00 + 9 h.
    pytest.param("Europe/London", date(2026, 12, 2), [14, 3, 0], "09:00",
                 ["-P13DT15H", "-P2DT15H", "PT9H"], id="london-winter"),
    # Spring forward 2027-03-28 01:00 GMT -> 02:00 BST lies between the alarms and the deadline.
    # 3 days: 03-30 00:00 BST - 2 days (wall) = 03-28 00:00 GMT, - 15 h = 03-27 09:00 GMT.
    #   (The naive elapsed time start - fire is 2 days 14 h, which would fire at 10:00.)
    # 1 day: 03-30 00:00 BST - 15 h = 03-29 09:00 BST.
    pytest.param("Europe/London", date(2027, 3, 30), [3, 1], "09:00",
                 ["-P2DT15H", "-PT15H"], id="london-spring-forward"),
    # The deadline on the 23-hour day: 00:00 GMT + 8 h elapsed = 08:00 UTC = 09:00 BST.
    pytest.param("Europe/London", date(2027, 3, 28), [0], "09:00", ["PT8H"], id="london-dst-day"),
    # Fall back 2026-11-01 02:00 EDT -> 01:00 EST.
    # 3 days: 11-03 00:00 EST - 2 days = 11-01 00:00 EDT, - 15 h = 10-31 09:00 EDT.
    # 1 day: 11-03 00:00 EST - 15 h = 11-02 09:00 EST. 0 days: + 9 h.
    pytest.param("America/New_York", date(2026, 11, 3), [3, 1, 0], "09:00",
                 ["-P2DT15H", "-PT15H", "PT9H"], id="new-york-fall-back"),
    # The 25-hour day itself: 00:00 EDT (04:00 UTC) + 10 h = 14:00 UTC = 09:00 EST.
    pytest.param("America/New_York", date(2026, 11, 1), [0], "09:00", ["PT10H"], id="new-york-dst-day"),
    # 23:30 on the 25-hour day is 24 h 30 min after its midnight. Written as "P1DT30M" the
    # day would be nominal: 11-02 00:00 EST + 30 min, the next day. It must stay exact.
    pytest.param("America/New_York", date(2026, 11, 1), [0], "23:30", ["PT24H30M"],
                 id="new-york-late-on-25h-day"),
    # 2 days before 11-03 at 00:30 is 11-01 00:30 EDT, 24 h 30 min before 11-02 00:00 EST:
    # 11-03 00:00 - 1 day (wall) = 11-02 00:00 EST, - 24 h 30 min = 11-01 00:30 EDT.
    # "-P2DT30M" would mean 11-01 00:00 - 30 min = 10-31 23:30.
    pytest.param("America/New_York", date(2026, 11, 3), [2], "00:30", ["-P1DT24H30M"],
                 id="new-york-early-on-25h-day"),
    # Asia/Shanghai, UTC+8 without DST; 20:30 is 3 h 30 min before midnight.
    # 14 days: 12-02 00:00 - 13 days - 3 h 30 min = 11-18 20:30.
    pytest.param("Asia/Shanghai", date(2026, 12, 2), [14, 3, 0], "20:30",
                 ["-P13DT3H30M", "-P2DT3H30M", "PT20H30M"], id="shanghai"),
    # Midnight alarms are whole days: 12-02 00:00 - 14 days = 11-18 00:00.
    pytest.param("Europe/London", date(2026, 12, 2), [14, 3, 0], "00:00", ["-P14D", "-P3D", "P0D"],
                 id="midnight"),
    # Havana springs forward at midnight: 2027-03-14 00:00 CST -> 01:00 CDT, so that day
    # starts at 01:00 CDT = 05:00 UTC.
    # 3 days: 03-16 00:00 - 2 days = 03-14 start (05:00 UTC), - 15 h = 03-13 14:00 UTC = 09:00 CST.
    # 2 days: 03-15 00:00 CDT (04:00 UTC) - 15 h = 03-14 13:00 UTC = 09:00 CDT.
    pytest.param("America/Havana", date(2027, 3, 16), [3, 2], "09:00", ["-P2DT15H", "-P1DT15H"],
                 id="havana-midnight-gap"),
    # The gap day itself: 05:00 UTC + 8 h = 13:00 UTC = 09:00 CDT.
    pytest.param("America/Havana", date(2027, 3, 14), [0], "09:00", ["PT8H"], id="havana-gap-day"),
    # Lord Howe falls back by 30 minutes (2027-04-04 02:00 -> 01:30): a 24 h 30 min day, and
    # 23:45 is 24 h 15 min after its midnight.
    pytest.param("Australia/Lord_Howe", date(2027, 4, 4), [0], "23:45", ["PT24H15M"], id="lord-howe"),
]


@pytest.mark.parametrize(("zone", "due", "leads", "at", "expected"), ALARM_CASES)
def test_alarm_triggers_fire_at_the_alarm_time(zone, due, leads, at, expected):
    config = alarm_config(zone, due, [f"{lead} days" for lead in leads], at)
    triggers = raw_triggers(raw_event(render(config), "sim-deadline@simfeed"))
    assert triggers == expected
    tz = ZoneInfo(zone)
    alarm_time = time.fromisoformat(at)
    for lead, trigger in zip(leads, triggers, strict=True):
        fired = fires_at(due, trigger, tz)
        wanted = datetime.combine(due - timedelta(days=lead), alarm_time, tzinfo=tz)
        assert fired == wanted.astimezone(UTC), (lead, trigger)
        assert fired.astimezone(tz).replace(tzinfo=None) == wanted.replace(tzinfo=None)


@pytest.mark.parametrize("parse", PARSERS)
@pytest.mark.parametrize(("zone", "due", "leads", "at", "expected"), [
    case for case in ALARM_CASES if case.id in ("new-york-late-on-25h-day", "new-york-early-on-25h-day")])
def test_long_exact_triggers_parse(parse, zone, due, leads, at, expected):
    # "PT24H30M" and "-P1DT24H30M" are valid RFC 5545 durations (dur-hour = 1*DIGIT "H");
    # every parser must read them, even if it then folds the hours into days.
    config = alarm_config(zone, due, [f"{lead} days" for lead in leads], at)
    (event,) = parse(render(config)).events
    assert [alarm.trigger for alarm in event.alarms] == [
        timedelta(hours=24, minutes=30) if text == "PT24H30M" else -timedelta(days=1, hours=24, minutes=30)
        for text in expected
    ]


def test_dst_cases_really_cross_a_change():
    """Keep the DST cases honest: the zone data must still have the changes they rely on."""

    def offset(zone: str, day: date) -> timedelta | None:
        return datetime.combine(day, time(12), tzinfo=ZoneInfo(zone)).utcoffset()

    assert offset("Europe/London", date(2027, 3, 27)) != offset("Europe/London", date(2027, 3, 29))
    assert offset("America/New_York", date(2026, 10, 31)) != offset("America/New_York", date(2026, 11, 2))
    assert offset("America/Havana", date(2027, 3, 13)) != offset("America/Havana", date(2027, 3, 15))
    assert offset("Australia/Lord_Howe", date(2027, 4, 3)) != offset("Australia/Lord_Howe", date(2027, 4, 5))
    # Havana's 2027-03-14 00:00 does not exist: it does not survive a round trip through UTC.
    midnight = datetime(2027, 3, 14, tzinfo=ZoneInfo("America/Havana"))
    assert midnight.astimezone(UTC).astimezone(midnight.tzinfo).time() != time(0)


@pytest.mark.parametrize("parse", PARSERS)
def test_one_display_alarm_per_lead(parse):
    config = alarm_config("Europe/London", date(2026, 12, 2), ["14 days", "3 days", "0 days"], "09:00")
    (event,) = parse(render(config)).events
    assert len(event.alarms) == 3
    for alarm, when in zip(event.alarms, ["in 14 days", "in 3 days", "today"], strict=True):
        assert alarm.action == "DISPLAY"
        assert alarm.description == f"Renew giffgaff ••0123: deadline {when} (2026-12-02)"
        assert isinstance(alarm.trigger, timedelta)  # relative, not an absolute DATE-TIME


OVERRIDES = """
[calendar]
timezone = "Europe/London"
alarms = ["14 days", "3 days", "0 days"]
alarm_time = "09:00"

[[sim]]
id = "default"
name = "Default"
expires = 2026-12-02

[[sim]]
id = "evening"
name = "Evening"
expires = 2026-12-02
alarms = ["1 day"]
alarm_time = "18:30"

[[sim]]
id = "silent"
name = "Silent"
expires = 2026-12-02
grace = "30 days"
alarms = []
"""


@pytest.mark.parametrize("parse", PARSERS)
def test_per_sim_alarm_overrides(parse):
    raw = render(make(OVERRIDES))
    feed = parse(raw)
    assert len(feed.event("default-deadline@simfeed").alarms) == 3
    assert len(feed.event("evening-deadline@simfeed").alarms) == 1
    assert feed.event("silent-deadline@simfeed").alarms == ()
    # Its grace stage has no alarm either.
    assert feed.event("silent-stage-0@simfeed").alarms == ()
    # 1 day before 2026-12-02 at 18:30 GMT: 12-02 00:00 - 5 h 30 min.
    assert raw_triggers(raw_event(raw, "evening-deadline@simfeed")) == ["-PT5H30M"]
    assert raw_triggers(raw_event(raw, "default-deadline@simfeed")) == ["-P13DT15H", "-P2DT15H", "PT9H"]
    assert fires_at(date(2026, 12, 2), "-PT5H30M", ZoneInfo("Europe/London")) == datetime(
        2026, 12, 1, 18, 30, tzinfo=UTC)


@pytest.mark.parametrize("parse", PARSERS)
def test_no_alarms_at_all(parse):
    raw = render(make(OVERRIDES.replace('alarms = ["14 days", "3 days", "0 days"]', "alarms = []")))
    assert raw.count(b"BEGIN:VALARM") == 1
    feed = parse(raw)
    # Only the SIM that sets its own alarms keeps one.
    assert [len(e.alarms) for e in feed.events] == [0, 1, 0, 0]


# -------------------------------------------------------------------- grace

# SIMS's first two, each with a grace period.
GRACE = f"""
[calendar]
timezone = "Europe/London"

{shared_sim("giffgaff", carrier=None, grace="30 days")}
{sim_table(SIMS, "month-end", renew_url=None, grace="1 month")}
[[sim]]
id = "plain"
name = "Plain"
expires = 2027-03-31
"""


GRACE_RECOVERY = "renew today; after today the number may be lost for good"


@pytest.mark.parametrize("parse", PARSERS)
def test_grace_gives_a_last_day_to_recover_event(parse):
    raw = render(make(GRACE))
    feed = parse(raw)
    assert len(feed.events) == 5  # 3 deadlines + 2 last days
    # Deadline 2026-06-02 + 6 months = 2026-12-02; + 30 days = Dec 2 + 29 (Dec 31) + 1 = 2027-01-01.
    grace = feed.event("giffgaff-stage-0@simfeed")
    assert type(grace.start) is date and grace.start == date(2027, 1, 1)
    assert grace.end == date(2027, 1, 2)
    assert grace.summary == "Last day to recover: giffgaff ••0123"
    assert grace.transp == "TRANSPARENT"
    assert grace.url == "https://www.giffgaff.com/"
    assert grace.stamp == MODIFIED
    assert [a.description for a in grace.alarms] == ["Last day to recover: giffgaff ••0123 (today)"]
    # Deadline 2026-08-31 + 1 month = 2026-09-30; + 1 month = 2026-10-30.
    month_end = feed.event("month-end-stage-0@simfeed")
    assert (month_end.start, month_end.summary) == (date(2026, 10, 30), "Last day to recover: Month end")
    deadline = feed.event("giffgaff-deadline@simfeed")
    assert deadline.description == (
        "Last renewed: 2026-06-02.\n"
        "Rule: renew at least every 6 months (deadline 2026-12-02).\n"
        f"From 2027-01-01: last day to recover (recovery: {GRACE_RECOVERY}).\n"
        "Renew at: https://www.giffgaff.com/\n"
        "Number: ••0123"
    )
    # The stage's own first line, then the deadline's whole description.
    assert grace.description == (f"The deadline was 2026-12-02. Recovery: {GRACE_RECOVERY}.\n"
                                 + deadline.description)
    # No grace, no such event.
    plain = [e for e in feed.events if "Plain" in e.summary]
    assert [e.uid for e in plain] == ["plain-deadline@simfeed"]
    assert all(e.summary.startswith("Renew ") for e in plain)
    # Stable UIDs.
    assert [e.uid for e in parse(render(make(GRACE))).events] == [e.uid for e in feed.events]
    # The last day's alarm fires on that day at 09:00 GMT.
    (trigger,) = raw_triggers(raw_event(raw, "giffgaff-stage-0@simfeed"))
    assert trigger == "PT9H"
    assert fires_at(date(2027, 1, 1), trigger, ZoneInfo("Europe/London")) == datetime(
        2027, 1, 1, 9, tzinfo=UTC)


# ------------------------------------------------------------------ masking

MASKED = """
[[sim]]
id = "cubacel"
name = "Cubacel"
number = "+53 5555 4567"
expires = 2027-03-31
"""


@pytest.mark.parametrize("parse", PARSERS)
def test_number_is_masked_to_its_last_four_digits(parse):
    raw = render(make(MASKED))
    text = "\n".join(unfolded(raw))  # unfolded, so a fold cannot hide a split number
    for form in ("+53 5555 4567", "5555", "55554567", "+53"):
        assert form.encode() not in raw
        assert form not in text
    (event,) = parse(raw).events
    assert event.summary == "Renew Cubacel ••4567"
    assert event.description is not None and "Number: ••4567" in event.description
    assert all("••4567" in alarm.description for alarm in event.alarms)


def test_masked_number_count():
    text = "\n".join(unfolded(render(make(MASKED))))
    # SUMMARY, DESCRIPTION ("Number: ••4567") and one per alarm (14, 3, 0 days).
    assert text.count("••4567") == 2 + 3


@pytest.mark.parametrize("parse", PARSERS)
def test_show_number_shows_it_in_full(parse):
    raw = render(make(MASKED + "show_number = true\n"))
    (event,) = parse(raw).events
    assert event.summary == "Renew Cubacel +53 5555 4567"
    assert event.description is not None and "Number: +53 5555 4567" in event.description
    assert "••" not in "\n".join(unfolded(raw))


# -------------------------------------------------------------- description

DESCRIBED = """
[[sim]]
id = "giffgaff"
name = "giffgaff"
carrier = "giffgaff"
country = "UK"
number = "+44 7700 900123"
keep_alive = "6 months"
renew_url = "https://www.giffgaff.com/"
how_to_renew = "Top up £10 in the app, or text BUY to 43430"

[[sim.renewals]]
date = 2026-01-05
amount = 5
currency = "GBP"
reference = "OLD-1"

[[sim.renewals]]
date = 2026-06-02
amount = 9.99
currency = "gbp"
method = "App"
reference = "TX-991"
note = "promo"

""" + shared_sim("plan")


@pytest.mark.parametrize("parse", PARSERS)
def test_description_says_what_to_do(parse):
    feed = parse(render(make(DESCRIBED)))
    description = feed.event("giffgaff-deadline@simfeed").description
    assert description is not None
    # The latest renewal, with its receipt: amount, currency (upper-cased), method, reference.
    assert "Last renewed: 2026-06-02 (£9.99, by app, ref TX-991, promo)." in description
    # The rule as written, and the deadline it gives (2026-06-02 + 6 months).
    assert "Rule: renew at least every 6 months (deadline 2026-12-02)." in description
    assert "How to renew: Top up £10 in the app, or text BUY to 43430" in description
    assert "Renew at: https://www.giffgaff.com/" in description
    assert "Carrier: giffgaff, UK" in description
    plan = feed.event("plan-deadline@simfeed").description
    assert plan == "Rule: the plan expires on 2027-03-31."


COUNTED = """
[calendar]
history = true

[[sim]]
id = "tello"
name = "Tello"
keep_alive = "3 months"
counts = ["topup"]
renewals = [
  { date = 2026-10-02, amount = 10, currency = "USD" },
  { date = 2026-11-10, kind = "call", note = "a call" },
]
"""


@pytest.mark.parametrize("parse", PARSERS)
def test_a_renewal_the_rule_does_not_count_is_shown_but_not_counted_from(parse):
    feed = parse(render(make(COUNTED)))
    # Only top-ups count: 2026-10-02 + 3 months = 2027-01-02, not from the later call.
    deadline = feed.event("tello-deadline@simfeed")
    assert deadline.start == date(2027, 1, 2)
    assert deadline.description == (
        "Last renewed: 2026-11-10 (call, a call).\n"
        "Before that: 2026-10-02 ($10.00).\n"
        "Counted from: 2026-10-02 ($10.00), the latest renewal the rule counts.\n"
        "Rule: renew at least every 3 months; only a top-up counts (deadline 2027-01-02)."
    )
    # History: a top-up is "Topped up", any other kind "Used".
    topup = feed.event("tello-renewal-2026-10-02-1@simfeed")
    assert (topup.summary, topup.description) == ("Topped up Tello: $10.00",
                                                  "Renewed on 2026-10-02 ($10.00).")
    call = feed.event("tello-renewal-2026-11-10-1@simfeed")
    assert (call.start, call.summary, call.description) == (
        date(2026, 11, 10), "Used Tello: call, a call", "Renewed on 2026-11-10 (call, a call).")
    assert len(feed.events) == 3


# ---------------------------------------------------- escaping and folding

NASTY = "古巴保号卡 📱, semi;colon, back\\slash \\n not-a-newline\nreal newline, 🇨🇺 "
LONG_NAME = (NASTY * 50)[:2000]
LONG_NOTES = ("Notes: 古巴保号卡📱; a,b\\c\n" * 100)[:2000]
INJECTION = "ok\nEND:VEVENT\nBEGIN:VEVENT\nUID:evil@simfeed\nSUMMARY:evil\nEND:VEVENT\nBEGIN:VEVENT"


def long_config() -> Config:
    assert len(LONG_NAME) == len(LONG_NOTES) == 2000
    return make(f"""
        [calendar]
        name = {toml_str(LONG_NAME)}
        timezone = "America/Havana"

        [[sim]]
        id = "cuba"
        name = {toml_str(LONG_NAME)}
        notes = {toml_str(LONG_NOTES)}
        how_to_renew = {toml_str(INJECTION)}
        expires = 2027-03-31
        grace = "30 days"

        [[sim]]
        id = "evil"
        name = {toml_str(INJECTION)}
        notes = {toml_str(INJECTION)}
        expires = 2027-03-31
    """)


def test_physical_lines_are_crlf_folded_at_75_octets_on_character_boundaries():
    raw = render(long_config())
    assert raw.endswith(b"\r\n")
    physical = raw.split(b"\r\n")[:-1]
    assert len(physical) > 100
    shorter_before_fold = 0
    for index, line in enumerate(physical):
        assert b"\r" not in line and b"\n" not in line  # no bare CR or LF anywhere
        assert len(line) <= 75, (index, line)
        line.decode("utf-8")  # a fold never splits a UTF-8 sequence
        if line.startswith(b" "):
            assert index > 0
        else:
            assert re.match(rb"[A-Z][A-Z0-9-]*[;:]", line), line  # a content line, not a stray piece
        assert not line.startswith(b"\t")
        if len(line) < 75 and index + 1 < len(physical) and physical[index + 1].startswith(b" "):
            shorter_before_fold += 1
    # Not vacuous: there are folds, and some were moved back to keep a character whole.
    assert sum(line.startswith(b" ") for line in physical) > 50
    assert shorter_before_fold > 0


@pytest.mark.parametrize("parse", PARSERS)
def test_unicode_and_special_characters_round_trip(parse):
    feed = parse(render(long_config()))
    assert feed.name == feed.calname == LONG_NAME
    event = feed.event("cuba-deadline@simfeed")
    assert event.summary == "Renew " + LONG_NAME
    assert event.description is not None
    assert event.description.endswith("\nNotes: " + LONG_NOTES)
    assert f"How to renew: {INJECTION}\n" in event.description
    assert event.alarms[0].description.startswith("Renew " + LONG_NAME + ": deadline in 14 days")
    grace = feed.event("cuba-stage-0@simfeed")
    assert grace.summary == "Last day to recover: " + LONG_NAME


@pytest.mark.parametrize("parse", PARSERS)
def test_text_cannot_inject_components(parse):
    raw = render(long_config())
    lines = unfolded(raw)
    # cuba: deadline + grace stage; evil: deadline. Nothing else, however the text looks.
    assert lines.count("BEGIN:VEVENT") == lines.count("END:VEVENT") == 3
    assert lines.count("BEGIN:VCALENDAR") == lines.count("END:VCALENDAR") == 1
    assert not any(line.startswith("UID:evil@") for line in lines)
    feed = parse(raw)
    assert sorted(e.uid for e in feed.events) == [
        "cuba-deadline@simfeed", "cuba-stage-0@simfeed", "evil-deadline@simfeed"]
    evil = feed.event("evil-deadline@simfeed")
    assert evil.summary == "Renew " + INJECTION
    assert evil.description is not None and evil.description.endswith("Notes: " + INJECTION)


@pytest.mark.parametrize("parse", PARSERS)
def test_control_characters_do_not_break_the_feed(parse):
    # TOML lets "\f", "\b" and "\u0007" into a string; RFC 5545 TEXT forbids control
    # characters other than tab, and a strict client then rejects the whole calendar.
    name = toml_str("bell\u0007 form\f back\b del\u007f nul\u0000 tab\tend")
    notes = toml_str("line\u001bone")
    note = toml_str("re\u0008ceipt")
    raw = render(make(f"""
        [calendar]
        name = "Mine\\u000c"
        history = true

        [[sim]]
        id = "ctl"
        name = {name}
        notes = {notes}
        keep_alive = "6 months"
        renewals = [{{ date = 2026-06-02, note = {note} }}]
    """))
    assert not re.search(rb"[\x00-\x08\x0a-\x1f\x7f]", raw.replace(b"\r\n", b""))
    feed = parse(raw)
    assert feed.name == "Mine"
    deadline = feed.event("ctl-deadline@simfeed")
    assert deadline.summary == "Renew bell form back del nul tab\tend"
    assert deadline.description is not None and deadline.description.endswith("Notes: lineone")
    assert "Last renewed: 2026-06-02 (receipt)." in deadline.description
    assert all("\x07" not in alarm.description for alarm in deadline.alarms)
    # The renewal itself, shown as a past event with `history = true`.
    (history,) = [e for e in feed.events if e.uid != "ctl-deadline@simfeed"]
    assert history.description == "Renewed on 2026-06-02 (receipt)."


# -------------------------------------------------------------- determinism


def test_rendering_is_deterministic():
    assert render(make(SIMS)) == render(make(SIMS))
    assert render(long_config()) == render(long_config())


def test_a_later_modified_time_changes_only_dtstamp():
    before = unfolded(render(make(GRACE)))
    after = unfolded(render(make(GRACE, modified=datetime(2027, 1, 2, 8, 30, tzinfo=UTC))))
    assert len(before) == len(after)
    changed = [(old, new) for old, new in zip(before, after, strict=True) if old != new]
    assert len(changed) == 5  # one DTSTAMP per event
    for old, new in changed:
        assert old == "DTSTAMP:20260528T120000Z"
        assert new == "DTSTAMP:20270102T083000Z"


# ------------------------------------------------------------------- golden

GOLDEN_TOML = """
[calendar]
name = "Golden SIMs"
timezone = "Europe/London"
refresh = "12 hours"

[[sim]]
id = "giffgaff"
name = "giffgaff"
carrier = "giffgaff"
country = "UK"
number = "+44 7700 900123"
keep_alive = "6 months"
grace = "30 days"
renew_url = "https://www.giffgaff.com/"
how_to_renew = "Top up, or send a text"
renewals = [{ date = 2026-06-02, amount = 10, currency = "GBP", method = "app", reference = "TX-1" }]

[[sim]]
id = "cubacel"
name = "Cubacel; Havana"
number = "+53 5555 4567"
expires = 2027-03-31
alarms = ["7 days"]
alarm_time = "18:30"
notes = "Keep it in a phone, 古巴保号卡 📱"
"""


def test_golden_feed():
    """The whole feed of GOLDEN_TOML, byte for byte; see the module docstring to regenerate."""
    raw = render(make(GOLDEN_TOML))
    if os.environ.get("SIMFEED_REGEN_GOLDEN") == "1":
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_bytes(raw)
        pytest.skip(f"rewrote {GOLDEN}; review the diff before committing")
    assert raw == GOLDEN.read_bytes()


@pytest.mark.parametrize("parse", PARSERS)
def test_golden_file_parses(parse):
    feed = parse(GOLDEN.read_bytes())
    assert [e.uid for e in feed.events] == [
        "giffgaff-deadline@simfeed", "giffgaff-stage-0@simfeed", "cubacel-deadline@simfeed"]
    # 2026-06-02 + 6 months = 2026-12-02; + 30 days = 2027-01-01.
    assert [e.start for e in feed.events] == [date(2026, 12, 2), date(2027, 1, 1), date(2027, 3, 31)]
