"""TOML config -> validated model, with every problem reported at once.

A typo must never be silently ignored nor take the service down: each problem
becomes one line naming the file, the SIM and the field, and the caller decides
whether to refuse to start or to keep serving the last good config.
"""

from __future__ import annotations

import difflib
import os
import tomllib
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from . import fields
from .durations import DurationError, parse_interval, quote
from .model import CalendarSettings, Config, Expires, KeepAlive, Renewal, ServerSettings, Sim

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class ConfigError(ValueError):
    """The config cannot be used; `problems` holds one readable line per problem."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


class _Collector:
    """Gathers problems with their location so that all are reported together."""

    def __init__(self, source: str):
        self.source = source
        self.problems: list[str] = []

    def add(self, where: str, message: str) -> None:
        self.problems.append(f"{self.source}: {where}: {message}")

    def unknown_keys(self, where: str, table: Mapping[str, Any], known: frozenset[str]) -> None:
        for key in table:
            if key not in known:
                hint = difflib.get_close_matches(key, sorted(known), n=1)
                suggestion = f" (did you mean {quote(hint[0])}?)" if hint else ""
                self.add(where, f"unknown key {quote(key)}{suggestion}")

    def field(self, where: str, table: Mapping[str, Any], key: str, check: Callable[[Any], Any],
              default: Any = None) -> Any:
        """Run `check` on table[key]; on failure record the problem and return the default."""
        if key not in table:
            return default
        try:
            return check(table[key])
        except (fields.Invalid, DurationError) as problem:
            self.add(f"{where}: {key}" if where else key, str(problem))
            return default


CALENDAR_KEYS = frozenset({"name", "timezone", "alarms", "alarm_time", "refresh", "token", "history",
                           "language"})
SERVER_KEYS = frozenset({"admin_token", "public_url"})
SIM_KEYS = frozenset({
    "id", "name", "carrier", "country", "number", "show_number", "renew_url", "how_to_renew",
    "notes", "last_renewal", "renewals", "keep_alive", "expires", "grace", "alarms", "alarm_time",
})
RENEWAL_KEYS = frozenset({"date", "amount", "currency", "method", "reference", "note"})
TOP_KEYS = frozenset({"calendar", "server", "sim"})


def _calendar(table: Any, found: _Collector) -> CalendarSettings:
    if not isinstance(table, dict):
        found.add("calendar", "must be a table: [calendar]")
        return CalendarSettings()
    found.unknown_keys("calendar", table, CALENDAR_KEYS)
    base = CalendarSettings()

    def get(key: str, check: Callable[[Any], Any]) -> Any:
        return found.field("calendar", table, key, check, getattr(base, key))

    refresh = get("refresh", lambda v: parse_interval(fields.text(v)))
    if refresh.total_seconds() < 60:
        found.add("calendar: refresh", f"{quote(table.get('refresh'))} must be at least 1 minute")
    return CalendarSettings(
        name=get("name", fields.text),
        timezone=get("timezone", fields.zone),
        alarms=get("alarms", fields.alarms),
        alarm_time=get("alarm_time", fields.clock_time),
        refresh=refresh,
        token=get("token", fields.token),
        history=get("history", fields.boolean),
        language=get("language", fields.language),
    )


def _server(table: Any, found: _Collector) -> ServerSettings:
    if not isinstance(table, dict):
        found.add("server", "must be a table: [server]")
        return ServerSettings()
    found.unknown_keys("server", table, SERVER_KEYS)
    # An empty admin token counts as none: the API then refuses everything.
    admin = table.get("admin_token")
    return ServerSettings(
        admin_token=None if admin == "" else found.field("server", table, "admin_token", fields.token),
        public_url=found.field("server", table, "public_url", fields.base_url),
    )


def _renewals(where: str, value: Any, found: _Collector) -> tuple[Renewal, ...]:
    if not isinstance(value, list):
        found.add(f"{where}: renewals", "must be a list of tables like [{ date = 2026-06-02 }]")
        return ()
    renewals = []
    for index, item in enumerate(value):
        at = f"{where}: renewals[{index}]"
        if not isinstance(item, dict):
            found.add(at, f"{quote(item)} must be a table like {{ date = 2026-06-02, amount = 10 }}")
            continue
        found.unknown_keys(at, item, RENEWAL_KEYS)
        if "date" not in item:
            found.add(at, "date is missing")
        on = found.field(at, item, "date", fields.toml_date)
        renewal = Renewal(
            date=on,
            amount=found.field(at, item, "amount", fields.amount),
            currency=found.field(at, item, "currency", fields.currency),
            method=found.field(at, item, "method", fields.method),
            reference=found.field(at, item, "reference", fields.text),
            note=found.field(at, item, "note", fields.text),
        )
        if on is not None:
            renewals.append(renewal)
    return tuple(renewals)


def _sim(index: int, table: Any, found: _Collector) -> Sim | None:
    raw_id = table.get("id") if isinstance(table, dict) else None
    where = f"sim {quote(raw_id)}" if isinstance(raw_id, str) else f"sim #{index + 1}"
    if not isinstance(table, dict):
        found.add(where, "must be a table: [[sim]]")
        return None
    before = len(found.problems)
    found.unknown_keys(where, table, SIM_KEYS)
    for required in ("id", "name"):
        if required not in table:
            found.add(where, f"{required} is missing")
    sim_id = found.field(where, table, "id", fields.sim_id)
    name = found.field(where, table, "name", fields.text)

    renewals = list(_renewals(where, table["renewals"], found)) if "renewals" in table else []
    last = found.field(where, table, "last_renewal", fields.toml_date)
    if last is not None:
        renewals.append(Renewal(date=last))
    renewals.sort(key=lambda r: r.date)

    rule: KeepAlive | Expires | None = None
    if "keep_alive" in table and "expires" in table:
        found.add(where, "set either keep_alive or expires, not both")
    elif "keep_alive" in table:
        kept = found.field(where, table, "keep_alive", fields.period)
        if kept is not None:
            rule = KeepAlive(text=kept[1], period=kept[0])
        if not renewals and "last_renewal" not in table and "renewals" not in table:
            found.add(f"{where}: keep_alive", "needs last_renewal (or renewals) to count from")
    elif "expires" in table:
        on = found.field(where, table, "expires", fields.toml_date)
        if on is not None:
            rule = Expires(on=on)
    else:
        found.add(where, "needs a rule: keep_alive = \"6 months\" or expires = 2027-01-31")

    grace = found.field(where, table, "grace", fields.period)
    optional = {
        key: found.field(where, table, key, check)
        for key, check in (("carrier", fields.text), ("country", fields.text), ("number", fields.number),
                           ("renew_url", fields.url), ("how_to_renew", fields.text), ("notes", fields.text),
                           ("alarms", fields.alarms), ("alarm_time", fields.clock_time))
    }
    show_number = found.field(where, table, "show_number", fields.boolean, False)
    if len(found.problems) > before or rule is None or sim_id is None or name is None:
        return None
    return Sim(
        id=sim_id, name=name, rule=rule, renewals=tuple(renewals), show_number=show_number,
        grace=grace[0] if grace else None, grace_text=grace[1] if grace else None, **optional,
    )


def parse_config(data: Mapping[str, Any], source: str = "<config>",
                 modified: datetime = _EPOCH) -> Config:
    """Validate a parsed TOML document; raise ConfigError listing every problem."""
    found = _Collector(source)
    found.unknown_keys("config", data, TOP_KEYS)
    calendar = _calendar(data.get("calendar", {}), found)
    server = _server(data.get("server", {}), found)
    raw_sims = data.get("sim", [])
    if not isinstance(raw_sims, list):
        found.add("sim", "must be written as [[sim]] tables")
        raw_sims = []
    sims: list[Sim] = []
    seen: set[str] = set()
    for index, table in enumerate(raw_sims):
        sim = _sim(index, table, found)
        if sim is None:
            continue
        if sim.id in seen:
            found.add(f'sim "{sim.id}": id', "is used by another SIM; ids must be unique")
            continue
        seen.add(sim.id)
        sims.append(sim)
    if found.problems:
        raise ConfigError(found.problems)
    return Config(calendar=calendar, server=server, sims=tuple(sims), source=source, modified=modified)


def parse_toml(text: str, source: str = "<config>", modified: datetime = _EPOCH) -> Config:
    """Parse TOML text; a syntax error names the line and column."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError([f"{source}: {error}"]) from None
    return parse_config(data, source, modified)


def read_source(path: str | os.PathLike[str], label: str | None = None) -> tuple[str, datetime]:
    """The file's text and when it was last changed (the feed's timestamp)."""
    label = label or str(path)
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
            stamp = os.fstat(handle.fileno()).st_mtime
    except OSError as error:
        raise ConfigError([f"{label}: cannot read the file: {error.strerror or error}"]) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ConfigError([f"{label}: not UTF-8 text (byte {error.start})"]) from None
    return text, datetime.fromtimestamp(int(stamp), tz=UTC)


def load_config(path: str | os.PathLike[str], label: str | None = None) -> Config:
    """Read and validate a config file."""
    text, modified = read_source(path, label)
    return parse_toml(text, label or str(path), modified)
