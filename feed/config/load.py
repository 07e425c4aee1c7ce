"""TOML config -> validated model, with every problem reported at once.

A typo must never be silently ignored nor take the service down: each problem
becomes one line naming the file, the SIM and the field, and the caller decides
whether to refuse to start or to keep serving the last good config.
"""

from __future__ import annotations

import os
import sys
import tomllib
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from ..core import parsers
from ..core.durations import parse_interval, quote
from ..core.model import CalendarSettings, Config, NamedFeed, ReminderMode, ServerSettings, Sim
from . import syntax
from .gateways import check_autopilots, parse_gateway
from .notify import parse_notify
from .problems import Collector, ConfigError, Place, Problem, file_problem
from .selection import chosen_sims
from .sims import parse_sim

__all__ = ["ConfigError", "Problem", "load_config", "parse_config", "parse_toml", "read_source"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

CALENDAR_KEYS = frozenset({"name", "timezone", "alarms", "alarm_time", "refresh", "token", "history",
                           "reminders", "color", "language", "show_accounts"})
SERVER_KEYS = frozenset({"admin_token", "public_url", "editable"})
FEED_KEYS = frozenset({"id", "name", "token", "sims", "tags", "reminders"})
TOP_KEYS = frozenset({"calendar", "server", "sim", "feed", "notify", "gateway"})


def _calendar(table: Any, found: Collector) -> CalendarSettings:
    where = Place("calendar")
    if found.table(where, table, "[calendar]") is None:
        return CalendarSettings()
    found.unknown_keys(where, table, CALENDAR_KEYS)
    base = CalendarSettings()

    def get(key: str, check: Callable[[Any], Any]) -> Any:
        return found.field(where, table, key, check, getattr(base, key))

    refresh = get("refresh", lambda v: parse_interval(parsers.text(v)))
    if refresh.total_seconds() < 60:
        found.add(where.at("refresh"), "refresh_too_short", value=quote(table.get("refresh")))
    color = found.field(where, table, "color", parsers.color, (None, None))
    return CalendarSettings(
        name=get("name", parsers.text),
        timezone=get("timezone", parsers.zone),
        alarms=get("alarms", parsers.alarms),
        alarm_time=get("alarm_time", parsers.clock_time),
        refresh=refresh,
        token=get("token", parsers.token),
        history=get("history", parsers.boolean),
        reminders=get("reminders", parsers.member(ReminderMode)),
        color=color[0],
        color_hex=color[1],
        language=get("language", parsers.language),
        show_accounts=get("show_accounts", parsers.boolean),
    )


def _server(table: Any, found: Collector) -> ServerSettings:
    where = Place("server")
    if found.table(where, table, "[server]") is None:
        return ServerSettings()
    found.unknown_keys(where, table, SERVER_KEYS)
    # An empty admin token switches signing in off: the API and the forms then refuse everything
    # (and no token is made in the data folder).
    admin = table.get("admin_token")
    return ServerSettings(
        admin_token="" if admin == "" else found.field(where, table, "admin_token", parsers.token),
        public_url=found.field(where, table, "public_url", parsers.base_url),
        editable=found.field(where, table, "editable", parsers.boolean, True),
    )


def _feed(index: int, raw: Any, sims: list[Sim], found: Collector) -> NamedFeed | None:
    before = len(found.problems)
    where, table = found.named("feed", index, raw, "[[feed]] with id, name and sims or tags", FEED_KEYS)
    if table is None:
        return None
    feed_id = found.field(where, table, "id", parsers.sim_id)
    name = found.field(where, table, "name", parsers.text)
    token = found.field(where, table, "token", parsers.token)
    reminders = found.field(where, table, "reminders", parsers.member(ReminderMode))
    sim_ids = chosen_sims(where, table, sims, found)
    if len(found.problems) > before or feed_id is None or name is None or sim_ids is None:
        return None
    return NamedFeed(feed_id, name, sim_ids, token, reminders)


def _unique(where: str, items: list[Any], found: Collector) -> list[Any]:
    seen: set[str] = set()
    kept = []
    for item in items:
        if item.id in seen:
            found.add(Place(where, id=item.id, key=("id",)), "duplicate_id", table=where)
            continue
        seen.add(item.id)
        kept.append(item)
    return kept


def _tables(data: Mapping[str, Any], key: str, found: Collector) -> list[Any]:
    value = data.get(key, [])
    if isinstance(value, list):
        return value
    found.add(Place(key), "not_array_of_tables", key=key)
    return []


def _check_tokens(calendar: CalendarSettings, feeds: list[NamedFeed], found: Collector) -> None:
    """A token opens one feed only, so no two feeds may share one."""
    owners: dict[str, str | None] = {}
    if calendar.token:
        owners[calendar.token] = None
    for feed in feeds:
        where = Place("feed", id=feed.id, key=("token",))
        if feed.token and feed.token in owners:
            owner = owners[feed.token]
            if owner is None:
                found.add(where, "token_of_calendar")
            else:
                found.add(where, "token_of_feed", feed=quote(owner))
        elif feed.token:
            owners[feed.token] = feed.id


def parse_config(data: Mapping[str, Any], source: str = "<config>", modified: datetime = _EPOCH,
                 environ: Mapping[str, str] | None = None) -> Config:
    """Validate a parsed TOML document; raise ConfigError listing every problem.

    `environ` is where [[notify]] urls_env variables are read (default: the process's environment).
    """
    found = Collector(source)
    found.unknown_keys(Place("config"), data, TOP_KEYS)
    calendar = _calendar(data.get("calendar", {}), found)
    server = _server(data.get("server", {}), found)
    parsed = (parse_sim(index, table, found) for index, table in enumerate(_tables(data, "sim", found)))
    sims = _unique("sim", [sim for sim in parsed if sim is not None], found)
    feeds = [_feed(index, table, sims, found) for index, table in enumerate(_tables(data, "feed", found))]
    named = _unique("feed", [feed for feed in feeds if feed is not None], found)
    _check_tokens(calendar, named, found)
    notifies = [parse_notify(index, table, sims, found, environ)
                for index, table in enumerate(_tables(data, "notify", found))]
    channels = _unique("notify", [notify for notify in notifies if notify is not None], found)
    parsed_gateways = [parse_gateway(index, table, found, os.environ if environ is None else environ)
                       for index, table in enumerate(_tables(data, "gateway", found))]
    gateways = _unique("gateway", [g for g in parsed_gateways if g is not None], found)
    check_autopilots(sims, gateways, found)
    if found.problems:
        raise ConfigError(found.problems)
    return Config(calendar=calendar, server=server, sims=tuple(sims), feeds=tuple(named),
                  notifies=tuple(channels), gateways=tuple(gateways), source=source, modified=modified)


def _syntax(text: str, error: tomllib.TOMLDecodeError, source: str) -> ConfigError:
    """tomllib's complaint as data: its line, column and table apart, so every language can say where."""
    found = syntax.locate(text, error)
    if found is None:
        return file_problem(source, "toml_error", detail=str(error))
    return file_problem(source, "toml_syntax", line=str(found.line), column=str(found.column),
                        table=found.table, detail=found.detail)


def parse_toml(text: str, source: str = "<config>", modified: datetime = _EPOCH) -> Config:
    """Parse TOML text; a syntax error names the line and its table, and says what to write."""
    try:
        data = tomllib.loads(text, parse_float=parsers.toml_float)
    except tomllib.TOMLDecodeError as error:
        raise _syntax(text, error, source) from None
    except ValueError:  # tomllib lets through Python's limit of 4300 digits for an integer
        raise file_problem(source, "integer_too_long", limit=sys.get_int_max_str_digits()) from None
    return parse_config(data, source, modified)


def read_source(path: str | os.PathLike[str], label: str | None = None) -> tuple[str, datetime]:
    """The file's text and when it was last changed (the feed's timestamp)."""
    label = label or str(path)
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
            stamp = os.fstat(handle.fileno()).st_mtime
    except OSError as error:
        raise file_problem(label, "cannot_read", reason=error.strerror or error) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise file_problem(label, "not_utf8", byte=error.start) from None
    if not text.strip():
        # An empty file is a valid TOML document with no SIMs, but never an intended config:
        # it is what an editor that rewrites in place leaves for a moment, or a full disk.
        raise file_problem(label, "empty_file")
    return text, datetime.fromtimestamp(int(stamp), tz=UTC)


def load_config(path: str | os.PathLike[str], label: str | None = None) -> Config:
    """Read and validate a config file."""
    text, modified = read_source(path, label)
    return parse_toml(text, label or str(path), modified)
