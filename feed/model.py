"""The domain: what a SIM is, how it stays alive, and the settings of its calendar."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta

METHODS = ("app", "web", "ussd", "shop", "support", "other")
# Languages of the page (and of the feed's texts), as BCP 47 tags.
LANGUAGES = ("en", "zh-CN")


@dataclass(frozen=True)
class Renewal:
    """One top-up or qualifying activity: the receipt that wins a dispute with a carrier."""

    date: date
    amount: float | None = None
    currency: str | None = None
    method: str | None = None
    reference: str | None = None
    note: str | None = None
    # The renewal log's id; None for renewals written in the config.
    log_id: int | None = None


@dataclass(frozen=True)
class KeepAlive:
    """The number lives for `period` after the last renewal."""

    text: str
    period: relativedelta


@dataclass(frozen=True)
class Expires:
    """The number (or plan) ends on a fixed date, whatever is renewed."""

    on: date


Rule = KeepAlive | Expires


@dataclass(frozen=True)
class Sim:
    """One number to keep alive, as the config defines it."""

    id: str
    name: str
    rule: Rule
    renewals: tuple[Renewal, ...] = ()
    carrier: str | None = None
    country: str | None = None
    number: str | None = None
    show_number: bool = False
    renew_url: str | None = None
    how_to_renew: str | None = None
    notes: str | None = None
    grace: relativedelta | None = None
    grace_text: str | None = None
    # None: use the calendar's; () means no alarms at all.
    alarms: tuple[int, ...] | None = None
    alarm_time: time | None = None

    @property
    def last_renewal(self) -> Renewal | None:
        """The latest renewal, the one the deadline counts from."""
        return max(self.renewals, key=lambda r: r.date, default=None)

    @property
    def display_number(self) -> str | None:
        """The number as the feed may show it: masked to its last four digits unless opted in."""
        if self.number is None:
            return None
        if self.show_number:
            return self.number
        digits = [c for c in self.number if c.isdigit()]
        return "••" + "".join(digits[-4:]) if digits else "••"

    @property
    def label(self) -> str:
        """The SIM's name with its (masked) number, for titles."""
        number = self.display_number
        return f"{self.name} {number}" if number else self.name


@dataclass(frozen=True)
class CalendarSettings:
    """The `[calendar]` table; each default is the one documented in config/sims.example.toml."""

    name: str = "SIM renewals"
    timezone: ZoneInfo = field(default_factory=lambda: ZoneInfo("UTC"))
    alarms: tuple[int, ...] = (14, 3, 0)
    alarm_time: time = time(9, 0)
    refresh: timedelta = timedelta(hours=6)
    token: str | None = None
    # One past event per renewal, from the config and the log alike.
    history: bool = False
    # One of LANGUAGES: the feed's texts, and the page's when the browser asks for neither.
    language: str = "en"


@dataclass(frozen=True)
class ServerSettings:
    """The `[server]` table."""

    # Opens the JSON API and the page's forms; env SIMFEED_ADMIN_TOKEN takes precedence.
    admin_token: str | None = None
    # Where people reach the service ("https://sims.example.org"), for the page's absolute
    # links behind a proxy; None: the host of each request.  Never ends with "/".
    public_url: str | None = None


@dataclass(frozen=True)
class Config:
    """A validated config file: the SIMs and how their calendar looks."""

    calendar: CalendarSettings
    sims: tuple[Sim, ...]
    server: ServerSettings = field(default_factory=ServerSettings)
    source: str = "<config>"
    # When the file was last changed: the feed's DTSTAMP and Last-Modified, never the clock.
    modified: datetime = datetime(1970, 1, 1, tzinfo=UTC)

    def sim(self, sim_id: str) -> Sim | None:
        """The SIM with this id, if the config has one."""
        return next((s for s in self.sims if s.id == sim_id), None)
