"""The domain: what a SIM is, how it stays alive, and the settings of its calendar."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from enum import StrEnum
from functools import cached_property
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta

from .terms import Confidence, PresetTexts, Source, text_language

# The schema's words, one StrEnum each: a member equals its string, so TOML, JSON, SQL and the
# templates read them as they read the strings; each tuple of values is derived for choices.


class Method(StrEnum):
    """How a renewal was paid."""

    APP = "app"
    WEB = "web"
    USSD = "ussd"
    SHOP = "shop"
    SUPPORT = "support"
    OTHER = "other"
    # Written by the autopilot (feed/autopilot) for the text it sent; never a person's choice.
    AUTOPILOT = "autopilot"


class Kind(StrEnum):
    """What a renewal was: a paid top-up or purchase, or usage that some carriers count."""

    TOPUP = "topup"
    CALL = "call"
    SMS = "sms"
    DATA = "data"


def masked_number(number: str) -> str:
    """A phone number as shown unless its owner opts in: its last four digits.

    >>> masked_number("+44 7700 900123"), masked_number("n/a")
    ('••0123', '••')
    """
    return "••" + "".join(c for c in number if c.isdigit())[-4:]


class ExtendFrom(StrEnum):
    """Where a top-up's extension starts; MAX keeps a later current expiry: max(expiry, top-up + N)."""

    TOPUP = "topup"
    EXPIRY = "expiry"
    LATER = "later"
    MAX = "max"


class ReminderMode(StrEnum):
    """How a feed reminds: VALARMs, warning events (for Google and Outlook), or both."""

    ALARMS = "alarms"
    EVENTS = "events"
    BOTH = "both"


class RuleKind(StrEnum):
    """The four shapes of rule, each the [[sim]] key that sets it."""

    KEEP_ALIVE = "keep_alive"
    EXPIRES = "expires"
    TOPUP = "topup"
    CHARGE = "charge"


class CheckKind(StrEnum):
    """How a balance-and-validity check is made: a USSD code (or a number) dialled, or an SMS sent."""

    USSD = "ussd"
    SMS = "sms"


# What a person may choose, on the page, in the API and on the command line.
METHODS = tuple(m.value for m in Method if m is not Method.AUTOPILOT)
KINDS = tuple(k.value for k in Kind)
EXTEND_FROM = tuple(e.value for e in ExtendFrom)
REMINDERS = tuple(r.value for r in ReminderMode)
RULES = tuple(r.value for r in RuleKind)
# Languages of the page (and of the feed's texts), as BCP 47 tags.
LANGUAGES = ("en", "zh-CN", "zh-Hant")


@dataclass(frozen=True)
class Renewal:
    """One top-up or qualifying activity: the receipt that wins a dispute with a carrier."""

    date: date
    amount: float | None = None
    currency: str | None = None
    # A Method when typed or sent by simfeed; the log keeps whatever an older version or a
    # restored backup wrote ("card"), so a stored one stays text.
    method: str | None = None
    reference: str | None = None
    note: str | None = None
    # None for a bare `last_renewal`, which the user says qualified.
    kind: Kind | None = Kind.TOPUP
    # The renewal log's id; None for renewals written in the config.
    log_id: int | None = None

    def counts_for(self, kinds: frozenset[Kind]) -> bool:
        """Whether this renewal is of a kind the SIM's carrier counts."""
        return self.kind is None or self.kind in kinds


@dataclass(frozen=True)
class KeepAlive:
    """Shape 1: the number lives for `period` after the last activity of a kind that counts."""

    text: str
    period: relativedelta
    counts: frozenset[Kind] = frozenset(Kind)


@dataclass(frozen=True)
class Expires:
    """The number (or plan) ends on a fixed date, whatever is renewed."""

    on: date


@dataclass(frozen=True)
class Tier:
    """A top-up of at least `min_amount` (any amount when None) extends validity by `period`."""

    min_amount: float | None
    period: relativedelta
    text: str


@dataclass(frozen=True)
class TopUp:
    """Shapes 2 and 3: each top-up extends validity, by one period or by a tiered table.

    `extend_from` says where the extension starts: the top-up date, the current
    expiry, or the later of the two. Top-ups below every tier's minimum don't count.
    """

    tiers: tuple[Tier, ...]
    extend_from: ExtendFrom = ExtendFrom.TOPUP

    def tier_for(self, amount: float | None) -> Tier | None:
        """The best tier this amount reaches; an unknown amount gets the lowest, to err early."""
        if amount is None:
            return self.tiers[0]
        reached = [t for t in self.tiers if t.min_amount is None or amount >= t.min_amount]
        return reached[-1] if reached else None


@dataclass(frozen=True)
class Charge:
    """Shape 4: a fee taken from the balance every period; the number ends when it cannot be paid.

    Top-ups with an amount, dated after `as_of`, add to the balance.
    """

    fee: float
    every: relativedelta
    every_text: str
    balance: float
    as_of: date
    first: date
    currency: str | None = None


Rule = KeepAlive | Expires | TopUp | Charge


def N_(message: str) -> str:
    """Marks a message for gettext extraction; core.wording translates it where it is shown."""
    return message


# What `grace = "30 days"` stands for: one stage with these words.
GRACE_STATUS = N_("last day to recover")
GRACE_RECOVERY = N_("renew today; after today the number may be lost for good")


@dataclass(frozen=True)
class Stage:
    """Shape 5: what happens `after` the deadline, and what getting the number back takes.

    No `recovery` means the number cannot be recovered from this stage on.
    """

    after: relativedelta
    after_text: str
    status: str
    recovery: str | None = None
    # Made by the `grace = "…"` shorthand: its status and recovery are simfeed's own words
    # (GRACE_STATUS, GRACE_RECOVERY), translated where shown; typed stages stay as written.
    grace: bool = False


@dataclass(frozen=True)
class KeepCost:
    """The cheapest action that keeps the number: its price, and where that price comes from."""

    amount: Decimal
    currency: str
    action: str | None = None
    source: str | None = None


@dataclass(frozen=True)
class Check:
    """The carrier's way to check balance and validity: dial `code`, or text `code` to `to`."""

    kind: CheckKind
    code: str
    to: str | None = None


@dataclass(frozen=True)
class PresetInfo:
    """Where a preset-based SIM's rule comes from, for the feed to say so."""

    id: str
    title: str
    source: str
    checked: date
    rule_from_preset: bool
    sources: tuple[Source, ...] = ()
    # The preset's texts in every language of terms.TEXT_LANGUAGES (English filled in where a
    # user-written preset has none), and which of the SIM's keys they stand for: the keys the
    # preset filled in ("how_to_renew", "notes", "stages", "keep_cost"), not those the SIM set.
    texts: tuple[PresetTexts, ...] = ()
    filled: frozenset[str] = frozenset()

    @property
    def confidence(self) -> Confidence:
        return Confidence.of(self.sources)

    def texts_in(self, language: str) -> PresetTexts | None:
        """The preset's texts for an app language ("zh-CN" reads zh-Hans), or None without any."""
        wanted = text_language(language)
        return next((t for t in self.texts if t.language == wanted), None)


# Gateways that send a text from the user's own SIM (feed/autopilot), and what confirms a keep-alive.
GATEWAY_KINDS = ("sms-gate", "home-assistant", "command", "apprise")
CONFIRMS = ("sent", "delivered", "manual")


@dataclass(frozen=True)
class Autopilot:
    """A SIM's `autopilot`: simfeed sends the qualifying text itself, `before` each deadline.

    `confirm` is what records the renewal: the gateway saying "sent" or "delivered", or the
    person tapping the one-tap link ("manual"). `cap` limits a year's spending, in `currency`.
    """

    gateway: str
    to: str
    text: str
    before: relativedelta
    before_text: str
    confirm: str = "sent"
    slot: int | None = None
    action: str = "sms"
    cap: Decimal | None = None


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
    stages: tuple[Stage, ...] = ()
    tags: tuple[str, ...] = ()
    preset: PresetInfo | None = None
    # None: use the calendar's; () means no alarms at all.
    alarms: tuple[int, ...] | None = None
    alarm_time: time | None = None
    # The cheapest action that counts (from the preset unless the SIM sets keep_cost).
    keep_cost: KeepCost | None = None
    # What is tied to the number ("HSBC UK", "WhatsApp"): private, kept out of feeds and logs.
    accounts: tuple[str, ...] = field(default=(), repr=False)
    check: Check | None = None
    # Where the SIM is kept: None or "home" (its carrier's country), or an ISO 3166 country
    # code ("CN"), which picks the preset's keep_cost for that country.
    used_in: str | None = None
    autopilot: Autopilot | None = None

    def __hash__(self) -> int:
        # Cached: SIMs are dictionary keys on every rebuild of a large feed.
        cached: int | None = self.__dict__.get("_hash")
        if cached is None:
            cached = hash(tuple(getattr(self, f.name) for f in fields(self)))
            object.__setattr__(self, "_hash", cached)
        return cached

    @property
    def last_renewal(self) -> Renewal | None:
        """What "last renewal" means everywhere (feed, page, API, CLI): the latest of any kind.

        Whether the rule counted it is Deadline.counted_from. Renewals are kept oldest first,
        a logged one after the config's own on the same day, so the last is the newest.
        """
        return self.renewals[-1] if self.renewals else None

    @property
    def display_number(self) -> str | None:
        """The number as the feed may show it: masked to its last four digits unless opted in."""
        if self.number is None:
            return None
        if self.show_number:
            return self.number
        return masked_number(self.number)

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
    # How subscribers are reminded: VALARMs, warning events (for Google and Outlook), or both.
    reminders: ReminderMode = ReminderMode.ALARMS
    # A CSS3 colour name and its hex value, or None.
    color: str | None = None
    color_hex: str | None = None
    # One of LANGUAGES: the feed's texts, and the page's when the browser asks for neither.
    language: str = "en"
    # Whether a SIM's `accounts` appear in the feed, which lives on calendar providers' servers.
    show_accounts: bool = False


@dataclass(frozen=True)
class ServerSettings:
    """The `[server]` table."""

    # Opens the JSON API and the page's forms; env SIMFEED_ADMIN_TOKEN takes precedence.
    # None (not set): the token made and kept in the data folder; "": nobody signs in.
    admin_token: str | None = None
    # Where people reach the service ("https://sims.example.org"), for the page's absolute
    # links behind a proxy; None: the host of each request.  Never ends with "/".
    public_url: str | None = None
    # Whether the page may write the config file (add, edit, retire SIMs); with false it
    # validates and previews, then shows the TOML to paste.  Default true.
    editable: bool = True


@dataclass(frozen=True)
class NamedFeed:
    """A named feed (`[[feed]]`): some SIMs, for one person, behind its own token."""

    id: str
    name: str
    sim_ids: tuple[str, ...]
    token: str | None = None
    reminders: ReminderMode | None = None


@dataclass(frozen=True)
class Notify:
    """A push channel (`[[notify]]`): apprise URLs that some SIMs' reminders are sent to.

    The URLs are secrets (bot tokens, passwords, webhook keys): kept out of repr, and shown
    only through config.notify.masked.
    """

    id: str
    urls: tuple[str, ...] = field(repr=False)
    sim_ids: tuple[str, ...]
    # Where the URLs came from, for messages: "urls", or the environment variable's name.
    urls_from: str = "urls"
    # None: the calendar's language.
    language: str | None = None
    # None: each SIM's own (or the calendar's) alarms.
    alarms: tuple[int, ...] | None = None
    # Whether the message names the accounts tied to the number (they leave for the channel's servers).
    show_accounts: bool = False


@dataclass(frozen=True)
class Gateway:
    """A `[[gateway]]`: how simfeed reaches a phone or modem that holds SIMs.

    `url` holds credentials (a password, a token, an API key): kept out of repr and shown only
    masked (config.gateways.masked). A `command` gateway has an argv instead, with {to} and
    {text} filled in per message.
    """

    id: str
    kind: str
    url: str | None = field(default=None, repr=False)
    url_from: str = "url"
    command: tuple[str, ...] = ()
    # home-assistant: the service called, as "notify.sms".
    service: str = "notify.sms"


@dataclass(frozen=True)
class Config:
    """A validated config file: the SIMs and how their calendar looks."""

    calendar: CalendarSettings
    sims: tuple[Sim, ...]
    server: ServerSettings = field(default_factory=ServerSettings)
    feeds: tuple[NamedFeed, ...] = ()
    notifies: tuple[Notify, ...] = ()
    gateways: tuple[Gateway, ...] = ()
    source: str = "<config>"
    # When the file was last changed: the feed's DTSTAMP and Last-Modified, never the clock.
    modified: datetime = datetime(1970, 1, 1, tzinfo=UTC)

    @cached_property
    def _sims_by_id(self) -> dict[str, Sim]:
        return {sim.id: sim for sim in self.sims}

    def sim(self, sim_id: str) -> Sim | None:
        """The SIM with this id, if the config has one."""
        return self._sims_by_id.get(sim_id)

    def feed(self, feed_id: str) -> NamedFeed | None:
        """The named feed with this id, if the config has one."""
        return next((f for f in self.feeds if f.id == feed_id), None)

    def notify(self, notify_id: str) -> Notify | None:
        """The push channel with this id, if the config has one."""
        return next((n for n in self.notifies if n.id == notify_id), None)

    def gateway(self, gateway_id: str) -> Gateway | None:
        """The [[gateway]] with this id, if the config has one."""
        return next((g for g in self.gateways if g.id == gateway_id), None)

    @cached_property
    def any_token(self) -> bool:
        """Whether any feed is protected: then a feed without a token is closed, not open."""
        return self.calendar.token is not None or any(f.token for f in self.feeds)
