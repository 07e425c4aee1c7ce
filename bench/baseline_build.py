"""The floor for a cold build: read the same TOML and build the same events with icalendar alone.

No validation, no cache, no web framework: what a minimal script would do.
"""

from __future__ import annotations

import tomllib
from datetime import UTC, datetime, timedelta
from pathlib import Path

from dateutil.relativedelta import relativedelta
from icalendar import Alarm, Calendar, Event


def _period(text: str) -> relativedelta:
    number, unit = text.split()
    return relativedelta(**{unit if unit.endswith("s") else unit + "s": int(number)})


def _event(uid: str, day: object, summary: str, description: str, stamp: datetime) -> Event:
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", stamp)
    event.add("dtstart", day)
    event.add("dtend", day + timedelta(days=1))  # type: ignore[operator]
    event.add("summary", summary)
    event.add("transp", "TRANSPARENT")
    event.add("description", description)
    return event


def _alarm(text: str, trigger: timedelta) -> Alarm:
    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("description", text)
    alarm.add("trigger", trigger)
    return alarm


def build(path: Path) -> bytes:
    data = tomllib.loads(path.read_text("utf-8"))
    stamp = datetime.fromtimestamp(int(path.stat().st_mtime), UTC)
    calendar = Calendar()
    calendar.add("prodid", "-//baseline//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", data["calendar"]["name"])
    for sim in data["sim"]:
        due = sim["last_renewal"] + _period(sim["keep_alive"])
        label = f"{sim['name']} ••{sim['number'][-4:]}"
        description = (f"Last renewed: {sim['last_renewal']}.\nRule: renew at least every "
                       f"{sim['keep_alive']} (deadline {due}).\nHow to renew: {sim['how_to_renew']}\n"
                       f"Renew at: {sim['renew_url']}\nCarrier: {sim['carrier']}, {sim['country']}\n"
                       f"Number: ••{sim['number'][-4:]}")
        event = _event(f"{sim['id']}-deadline@baseline", due, f"Renew {label}", description, stamp)
        event.add("url", sim["renew_url"])
        for lead in (14, 3, 0):
            trigger = timedelta(hours=9) if lead == 0 else -timedelta(days=lead - 1, hours=15)
            event.add_component(_alarm(f"Renew {label}: deadline in {lead} days ({due})", trigger))
        calendar.add_component(event)
        if "grace" in sim:
            last_day = due + _period(sim["grace"])
            grace = _event(f"{sim['id']}-grace@baseline", last_day, f"Last day to recover: {label}",
                           description, stamp)
            grace.add("url", sim["renew_url"])
            grace.add_component(_alarm(f"Last day to recover: {label}: today", timedelta(hours=9)))
            calendar.add_component(grace)
    body: bytes = calendar.to_ical()
    return body
