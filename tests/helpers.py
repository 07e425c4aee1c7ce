"""Plain helpers that several test modules share; the shared fixtures are in conftest.py."""

from __future__ import annotations

import copy
import os
import re
import shlex
import signal
import socket
import sqlite3
import subprocess
import sys
import textwrap
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from html import unescape
from pathlib import Path
from typing import Any

import icalendar
import pytest
import tomlkit
import vobject
from flask.testing import FlaskClient
from ical.calendar_stream import IcsCalendarStream

from feed.config.load import ConfigError, parse_toml

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
DATA = Path(__file__).resolve().parent / "data"


# ------------------------------------------------------- gunicorn, as the Procfile runs it


def procfile_command() -> list[str]:
    line = next(x for x in (ROOT / "Procfile").read_text().splitlines() if x.startswith("web:"))
    argv = shlex.split(line.removeprefix("web:"))
    assert argv[:2] == ["simfeed", "serve"]
    return [str(BIN / "simfeed"), *argv[1:]]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def env_for(config: Path, tmp_path: Path, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("SIMFEED_", "FLASK_")) and k != "DATABASE_URL"}
    env.update(SIMFEED_CONFIG=str(config), SIMFEED_INSTANCE=str(tmp_path / "instance"),
               HOST="127.0.0.1", PORT=str(port), WEB_CONCURRENCY="2")
    return env


def wait_until_up(url: str, process: subprocess.Popen[bytes], seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"gunicorn exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.1)
    raise AssertionError(f"gunicorn did not answer {url} within {seconds} s")


@contextmanager
def gunicorn(config: Path, folder: Path, log: Path, *, kill_if_stuck: bool = True,
             args: tuple[str, ...] = (), **env: str) -> Iterator[str]:
    """The Procfile's gunicorn serving `config` on a free loopback port, its output in `log`.

    Yields the base URL once /healthz answers. At the end it is sent SIGTERM and given 15 s
    to stop; after that it is killed, or with kill_if_stuck=False the wait's TimeoutExpired
    is raised instead. `args` go after the Procfile's (bench/attack.py's `-c` baseline).
    """
    port = free_port()
    with log.open("wb") as out:
        process = subprocess.Popen([*procfile_command(), *args], cwd=ROOT,
                                   env={**env_for(config, folder, port), **env},
                                   stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(f"{base}/healthz", process)
        yield base
    finally:
        if kill_if_stuck:
            stop(process, 15)
        else:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=15)


def stop(process: subprocess.Popen[Any], seconds: float) -> None:
    """SIGTERM, then `seconds` to stop, then SIGKILL: a test's server never outlives the test."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


# ------------------------------------------------------------------- SIM tables


def sim_table(toml: str, sim_id: str, **changes: Any) -> str:
    """The [[sim]] table with this id in a config text, as TOML, with keys changed for one test.

    A change sets a key (added at the end when new); None removes it. The rest stays as written.
    """
    (table,) = [t for t in tomlkit.parse(toml)["sim"] if t["id"] == sim_id]
    table = copy.deepcopy(table)
    for key, value in changes.items():
        if value is None:
            del table[key]
        else:
            table[key] = value
    document = tomlkit.document()
    document["sim"] = tomlkit.aot()
    document["sim"].append(table)
    return document.as_string()


def shared_sim(sim_id: str, **changes: Any) -> str:
    """A base SIM: "giffgaff" or "cubacel" of tests/data/basic.toml (the conftest's BASIC), or one of
    tests/data/sims.toml ("plan", "tello"); see sim_table for the changes."""
    for name in ("basic.toml", "sims.toml"):
        text = (DATA / name).read_text(encoding="utf-8")
        if any(table["id"] == sim_id for table in tomlkit.parse(text)["sim"]):
            return sim_table(text, sim_id, **changes)
    raise KeyError(f"no shared SIM {sim_id!r} in {DATA}")


# ------------------------------------------------------------------- the renewal log


def renewal_rows(database: Path) -> list[tuple[Any, ...]]:
    """Every row of the renewal log's renewals table, in id order."""
    with closing(sqlite3.connect(database)) as db:
        return [tuple(r) for r in db.execute("SELECT * FROM renewals ORDER BY id").fetchall()]


# --------------------------------------------------------------- reading a feed back


def unescape_text(value: str) -> str:
    """RFC 5545 3.3.11 TEXT unescaping, for properties a parser hands over still escaped."""
    return re.sub(r"\\([\\;,nN])", lambda m: "\n" if m.group(1) in "nN" else m.group(1), value)


def icalendar_text(component: Any, key: str) -> str | None:
    """An icalendar component's property as a string, or None when it is absent."""
    return str(component[key]) if key in component else None


def vobject_value(component: Any, key: str) -> Any:
    """A vobject component's one value of a property, or None when it is absent."""
    values = component.contents.get(key, [])
    assert len(values) <= 1, key
    return values[0].value if values else None


# The served feed as tests/test_feeds.py, test_rules.py and test_presets.py read it: by three
# parsers (icalendar, which writes it; `ical`, strict and pydantic-based; and vobject), which
# `parse` insists read the same thing.


@dataclass(frozen=True)
class Alarm:
    description: str
    trigger: timedelta


@dataclass(frozen=True)
class Event:
    uid: str
    start: date
    end: date
    summary: str
    description: str | None
    transp: str | None
    url: str | None
    alarms: tuple[Alarm, ...]


@dataclass(frozen=True)
class Cal:
    calname: str
    color: str | None
    apple_color: str | None
    events: tuple[Event, ...]

    def event(self, uid: str) -> Event:
        (found,) = [e for e in self.events if e.uid == uid]
        return found

    @property
    def uids(self) -> list[str]:
        return [e.uid for e in self.events]

    def starts(self) -> dict[str, date]:
        return {e.uid: e.start for e in self.events}


def _via_icalendar(raw: bytes) -> Cal:
    cal = icalendar.Calendar.from_ical(raw)
    events = tuple(
        Event(uid=str(ev["UID"]), start=ev.decoded("DTSTART"), end=ev.decoded("DTEND"),
              summary=str(ev["SUMMARY"]), description=icalendar_text(ev, "DESCRIPTION"),
              transp=icalendar_text(ev, "TRANSP"), url=icalendar_text(ev, "URL"),
              alarms=tuple(Alarm(str(a["DESCRIPTION"]), a.decoded("TRIGGER")) for a in ev.walk("VALARM")))
        for ev in cal.walk("VEVENT")
    )
    return Cal(calname=unescape_text(str(cal["X-WR-CALNAME"])), color=icalendar_text(cal, "COLOR"),
               apple_color=icalendar_text(cal, "X-APPLE-CALENDAR-COLOR"), events=events)


def _via_ical(raw: bytes) -> Cal:
    cal = IcsCalendarStream.calendar_from_ics(raw.decode("utf-8"))
    extras = {prop.name.lower(): prop.value for prop in cal.extras}
    events = tuple(
        Event(uid=ev.uid, start=ev.dtstart, end=ev.dtend, summary=ev.summary, description=ev.description,
              transp=str(ev.transparency) if ev.transparency else None, url=str(ev.url) if ev.url else None,
              alarms=tuple(Alarm(a.description, a.trigger) for a in ev.alarm))
        for ev in cal.events
    )
    return Cal(calname=unescape_text(extras["x-wr-calname"]), color=cal.color,
               apple_color=extras.get("x-apple-calendar-color"), events=events)


def _via_vobject(raw: bytes) -> Cal:
    cal = vobject.readOne(raw.decode("utf-8"))
    one = vobject_value  # short, to keep each Event on a few lines
    events = tuple(
        Event(uid=one(ev, "uid"), start=one(ev, "dtstart"), end=one(ev, "dtend"), summary=one(ev, "summary"),
              description=one(ev, "description"), transp=one(ev, "transp"), url=one(ev, "url"),
              alarms=tuple(Alarm(one(a, "description"), one(a, "trigger"))
                           for a in ev.contents.get("valarm", [])))
        for ev in cal.contents.get("vevent", [])
    )
    return Cal(calname=one(cal, "x-wr-calname"), color=one(cal, "color"),
               apple_color=one(cal, "x-apple-calendar-color"), events=events)


def parse(raw: bytes) -> Cal:
    """The feed as icalendar reads it, after checking that `ical` (strict) and vobject agree."""
    by_icalendar = _via_icalendar(raw)
    assert _via_ical(raw) == by_icalendar
    assert _via_vobject(raw) == by_icalendar
    # Every event is all-day (a DATE, not a DATE-TIME: datetime subclasses date), one day
    # long, and shows as free time.
    for event in by_icalendar.events:
        assert type(event.start) is date and type(event.end) is date, event.uid
        assert event.end == event.start + timedelta(days=1), event.uid
        assert event.transp == "TRANSPARENT", event.uid
    assert len(set(by_icalendar.uids)) == len(by_icalendar.uids)
    return by_icalendar


def valarm_count(raw: bytes) -> int:
    return raw.count(b"BEGIN:VALARM")


def config_problems(toml: str) -> list[str]:
    with pytest.raises(ConfigError) as error:
        parse_toml(textwrap.dedent(toml), "test.toml")
    return error.value.lines


def fetch(client: FlaskClient, url: str) -> bytes:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    assert response.mimetype == "text/calendar"
    return response.get_data()


# A calendar, a named feed and the API, each behind its own token.
ADMIN_TOKEN = "admin-Token_1234-l58shgD"
FEED_TOKEN = "feed-Token_5678-ZYJW7pGJ"
NAMED_TOKEN = "named-Token_9012-7YNq6IW"


def private_config(comment: str = "") -> str:
    """BASIC with every feed and the API behind a token; `comment` is a line kept in the file."""
    from .conftest import BASIC

    return BASIC.replace('timezone = "Europe/London"', f'''timezone = "Europe/London"
token = "{FEED_TOKEN}"
{comment}
[server]
admin_token = "{ADMIN_TOKEN}"''') + f'''
[[feed]]
id = "family"
name = "Family"
sims = ["giffgaff"]
token = "{NAMED_TOKEN}"
'''


class Visitor:
    """A browser's steps: read the page's CSRF token, sign in, record a top-up; the one way tests sign in."""

    def __init__(self, client: FlaskClient):
        self.client = client

    def html(self, path: str, **kwargs: Any) -> str:
        return self.client.get(path, **kwargs).get_data(as_text=True)

    @staticmethod
    def hidden(html: str, name: str) -> str:
        """The value a form field starts with."""
        found = re.search(rf'<input[^>]*\bname="{name}"[^>]*\bvalue="([^"]*)"', html)
        assert found, f"no field {name}"
        return unescape(found.group(1))

    def sign_in(self, token: str = ADMIN_TOKEN, next_path: str = "/", **kwargs: Any) -> Any:
        """Sign in through the form; `kwargs` (base_url, headers) go to both requests."""
        csrf = self.hidden(self.html("/signin", **kwargs), "csrf_token")
        return self.client.post("/signin", data={"csrf_token": csrf, "token": token, "next": next_path},
                                **kwargs)

    def record(self, sim_id: str, **fields: str) -> Any:
        page = self.html(f"/sims/{sim_id}")
        data = {"csrf_token": self.hidden(page, "csrf_token"), "key": self.hidden(page, "key"),
                "date": self.hidden(page, "date"), **fields}
        return self.client.post(f"/sims/{sim_id}/renewals", data=data)
