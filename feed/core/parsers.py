"""Checks for single values, shared by the config file, the CLI, the API and the page.

Each check returns the clean value or raises Invalid with a message that says
what is wrong without saying where: the caller knows the file, SIM or form field.
"""

from __future__ import annotations

import functools
import math
import re
import unicodedata
from collections.abc import Callable
from datetime import date, datetime, time
from enum import StrEnum
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import webcolors
from babel import Locale
from babel.core import get_global
from babel.numbers import get_territory_currencies
from dateutil.relativedelta import relativedelta

from .durations import parse_days, parse_duration, quote
from .languages import served
from .model import LANGUAGES, METHODS, Method
from .reasons import Refused

# A token must carry at least 128 bits: 22 characters of the 64 URL-safe ones (secrets.token_urlsafe)
# give 132. The few distinct characters rule refuses "aaaaaaaaaaaaaaaaaaaaaa" and "abababab…".
TOKEN = re.compile(r"[A-Za-z0-9._~-]{22,256}")
TOKEN_DISTINCT = 8
TOKEN_COMMAND = "simfeed token"
MAX_ALARM_DAYS = 366


class Invalid(Refused):
    """One value is wrong; its reason says why, without the location."""


FIRST_DAY = date(1900, 1, 1)


def _plausible(day: date) -> date:
    # Time-zone arithmetic near year 1 overflows; no SIM was renewed before 1900.
    if day < FIRST_DAY:
        raise Invalid("too_early", value=day.isoformat(), first=FIRST_DAY.isoformat())
    return day


def text(value: Any) -> str:
    if not isinstance(value, str):
        raise Invalid("not_string", value=quote(value))
    if not value.strip():
        raise Invalid("empty")
    return value


def boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise Invalid("not_boolean", value=quote(value))
    return value


def toml_date(value: Any) -> date:
    if isinstance(value, datetime):
        raise Invalid("date_with_time", value=value.isoformat())
    if isinstance(value, date):
        return _plausible(value)
    if isinstance(value, str):
        raise Invalid("date_in_quotes", value=quote(value))
    raise Invalid("not_date", value=quote(value))


def url(value: Any) -> str:
    given = text(value).strip()
    if not re.fullmatch(r"https?://[^\s/]+\S*", given):
        raise Invalid("not_url", value=quote(given))
    return given


def offset(value: Any) -> tuple[relativedelta, str]:
    """A duration that may be zero, such as a stage "0 days" after the deadline."""
    given = text(value)
    return parse_duration(given), given


def period(value: Any) -> tuple[relativedelta, str]:
    given = text(value)
    return _positive(given), given


@functools.lru_cache(maxsize=1024)
def _positive(given: str) -> relativedelta:
    # Cached: a config repeats a handful of periods over thousands of SIMs. Never mutated.
    delta = parse_duration(given)
    if date(2000, 1, 1) + delta <= date(2000, 1, 1):
        raise Invalid("not_positive", value=quote(given))
    return delta


def alarms(value: Any) -> tuple[int, ...]:
    if not isinstance(value, list):
        raise Invalid("not_alarm_list", value=quote(value))
    leads = []
    for item in value:
        days = parse_days(text(item))
        if days > MAX_ALARM_DAYS:
            raise Invalid("alarm_too_far", value=quote(item), days=MAX_ALARM_DAYS)
        leads.append(days)
    return tuple(sorted(set(leads), reverse=True))


def clock_time(value: Any) -> time:
    if isinstance(value, time):
        return value.replace(second=0, microsecond=0)
    given = text(value).strip()
    match = re.fullmatch(r"([01]?\d|2[0-3]):([0-5]\d)", given)
    if not match:
        raise Invalid("not_clock_time", value=quote(given))
    return time(int(match.group(1)), int(match.group(2)))


def zone(value: Any) -> ZoneInfo:
    given = text(value).strip()
    try:
        return ZoneInfo(given)
    except (ZoneInfoNotFoundError, ValueError):
        raise Invalid("not_zone", value=quote(given)) from None


def token(value: Any) -> str:
    """A feed or admin token, strong enough that guessing it is hopeless; never echoed.

    >>> token("Vq3-Xw9_kLm2Pz8RtY4nBc")
    'Vq3-Xw9_kLm2Pz8RtY4nBc'
    """
    given = value if isinstance(value, str) else ""
    if not TOKEN.fullmatch(given):
        raise Invalid("weak_token", command=TOKEN_COMMAND)
    if len(set(given)) < TOKEN_DISTINCT:
        raise Invalid("guessable_token", distinct=TOKEN_DISTINCT, command=TOKEN_COMMAND)
    return given


def number(value: Any) -> str:
    # Never echo the value: problems reach logs and /healthz, and this one is a phone number.
    if not isinstance(value, str) or not value.strip():
        raise Invalid("not_number_text")
    return value


class Unplain(float):
    """A TOML float written other than as a plain decimal ("1e3"): refused as an amount, shown as written."""

    written: str

    def __new__(cls, written: str) -> Unplain:
        number = super().__new__(cls, written)
        number.written = written
        return number

    def __repr__(self) -> str:
        return self.written


def toml_float(written: str) -> float:
    """tomllib's parse_float: an amount in the file is read by the same rule as a typed one.

    A float written otherwise than plain_number takes ("1e3") comes back as Unplain.

    >>> toml_float("9.99"), toml_float("-inf"), toml_float("1e3")
    (9.99, -inf, 1e3)
    """
    number = _plain(written)
    return Unplain(written) if number is None else float(number)


def amount(value: Any) -> float:
    if isinstance(value, Unplain):
        raise Invalid("not_amount", value=value.written)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise Invalid("not_amount", value=quote(value))
    if not math.isfinite(value):
        raise Invalid("not_finite", value=quote(value))
    if value < 0:
        raise Invalid("negative", value=quote(value))
    return value


# Units people add to an amount in Chinese; the currency is its own field, so they are dropped.
_YUAN = ("元", "圓", "圆", "块", "塊", "蚊")


def typed_number(value: str) -> str:
    """A number as typed, made plain: full-width digits ("１０") as ASCII, a trailing 元 dropped.

    >>> typed_number(" ５０元 "), typed_number("100 蚊"), typed_number("9.99")
    ('50', '100', '9.99')
    """
    given = unicodedata.normalize("NFKC", value).strip()
    for unit in _YUAN:
        given = given.removesuffix(unit).strip()
    return given


# A number as people write an amount: digits, and a point followed by digits. Not "1e3", "10.",
# ".5", "1_000", "1,000", "inf" or "nan", which float() takes but nobody types for a price.
DECIMAL = re.compile(r"[+-]?[0-9]+(\.[0-9]+)?")


def _plain(given: str) -> int | float | None:
    # A plain decimal, or what float() reads as not finite ("nan", "inf", "1e400"), which the
    # amount check then refuses as such; None for the rest ("1e3", "10.", "1_000", "ten").
    if DECIMAL.fullmatch(given):
        return float(given) if "." in given else int(given)
    try:
        number = float(given)
    except ValueError:
        return None
    return None if math.isfinite(number) else number


def plain_number(value: str) -> int | float:
    """A number typed into a form, the API or the command line, as a plain decimal.

    >>> plain_number("１０"), plain_number("9.99元")
    (10, 9.99)
    >>> plain_number("1e3")
    Traceback (most recent call last):
    feed.core.parsers.Invalid: "1e3" must be a number, like 10 or 9.99
    """
    number = _plain(typed_number(value))
    if number is None:
        raise Invalid("not_amount", value=quote(value))
    return number


def amount_text(value: str) -> float:
    """An amount typed into a form or on the command line ("10", "９.９９", "50元"), as a float."""
    return float(plain_number(value))


@functools.cache
def currency_codes() -> frozenset[str]:
    """ISO 4217 codes of the currencies legal tender somewhere since 2000 (Babel's CLDR data).

    Not every code ever assigned: "PES" (Peru's sol until 1985) is what a form that cut "pesos"
    at three letters would send, and a renewal paid in it is a typing mistake.

    >>> sorted(currency_codes() & {"GBP", "CUP", "CUC", "HKD", "PES", "XXX"})
    ['CUC', 'CUP', 'GBP', 'HKD']
    """
    since, until = date(2000, 1, 1), date(2100, 1, 1)
    return frozenset(code for territory in get_global("territory_currencies")
                     for code in get_territory_currencies(territory, start_date=since, end_date=until,
                                                          tender=True))


def currency(value: Any) -> str:
    given = text(value).strip()
    if not re.fullmatch(r"[A-Za-z]{3}", given):
        raise Invalid("not_currency", value=quote(given))
    if given.upper() not in currency_codes():
        raise Invalid("unknown_currency", value=quote(given))
    return given.upper()


SIM_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")


def sim_id(value: Any) -> str:
    given = text(value)
    if not SIM_ID.fullmatch(given):
        raise Invalid("not_id", value=quote(given))
    return given


def day(value: Any) -> date:
    """A date from JSON, a form or the command line: a date, or text as YYYY-MM-DD.

    Strictly that form, as a TOML date is: not "20260602" or "2026-W23-2", which
    date.fromisoformat also reads, so a date typed anywhere means what it would in the file.
    """
    if isinstance(value, str) and re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value.strip()):
        try:
            return _plausible(date.fromisoformat(value.strip()))
        except ValueError:
            raise Invalid("not_real_date", value=quote(value)) from None
    if isinstance(value, date) and not isinstance(value, datetime):
        return _plausible(value)
    raise Invalid("not_iso_date", value=quote(value))


def one_of(choices: tuple[str, ...]) -> Callable[[Any], str]:
    """A check for one word out of `choices`, such as a renewal kind."""

    def check(value: Any) -> str:
        given = text(value).strip().lower()
        if given not in choices:
            raise Invalid("not_one_of", value=quote(value), choices=", ".join(choices))
        return given

    return check


E = TypeVar("E", bound=StrEnum)


def member(words: type[E], allowed: tuple[str, ...] | None = None) -> Callable[[Any], E]:
    """A check for one word of a StrEnum of the schema (model.Kind), returned as its member."""
    check = one_of(allowed or tuple(m.value for m in words))
    return lambda value: words(check(value))


method = member(Method, METHODS)


def words(check: Callable[[Any], str]) -> Callable[[Any], tuple[str, ...]]:
    """A check for a list of values each passing `check`, such as tags or SIM ids."""

    def check_all(value: Any) -> tuple[str, ...]:
        if not isinstance(value, list):
            raise Invalid("not_list", value=quote(value))
        return tuple(dict.fromkeys(check(item) for item in value))

    return check_all


def positive(value: Any) -> float:
    """An amount that must be more than zero, such as a recurring fee."""
    given = amount(value)
    if given <= 0:
        raise Invalid("not_more_than_zero", value=quote(value))
    return given


def color(value: Any) -> tuple[str, str]:
    """A CSS3 colour name or #RRGGBB, as (CSS3 name, hex): the name nearest a hex value.

    >>> color("#FF0001"), color("Teal")
    (('red', '#ff0001'), ('teal', '#008080'))
    """
    given = text(value).strip()
    if re.fullmatch(r"#[0-9A-Fa-f]{6}", given):
        hex_value = webcolors.normalize_hex(given)
        red, green, blue = webcolors.hex_to_rgb(hex_value)

        def distance(name: str) -> int:
            r, g, b = webcolors.name_to_rgb(name, spec=webcolors.CSS3)
            return int((r - red) ** 2 + (g - green) ** 2 + (b - blue) ** 2)

        return min(webcolors.names(webcolors.CSS3), key=distance), hex_value
    try:
        return given.lower(), webcolors.name_to_hex(given, spec=webcolors.CSS3)
    except ValueError:
        raise Invalid("not_color", value=quote(given)) from None
def language(value: Any) -> str:
    """A language of LANGUAGES, however it is capitalised or separated, or a tag that reads it.

    >>> language("zh_cn"), language("EN"), language("zh-Hant"), language("zh-TW"), language("zh-HK")
    ('zh-CN', 'en', 'zh-Hant', 'zh-Hant', 'zh-Hant')
    """
    given = text(value).strip()
    for known in LANGUAGES:
        if given.replace("_", "-").lower() == known.lower():
            return known
    if given.lower().startswith("zh") and served(given):  # zh-TW, zh-HK, zh-MO, zh-Hans…
        return str(served(given))
    raise Invalid("not_one_of", value=quote(given), choices=", ".join(quote(k) for k in LANGUAGES))


def base_url(value: Any) -> str:
    """A web address that links are built on: no query or fragment, no trailing slash.

    >>> base_url("https://sims.example.org/feed/")
    'https://sims.example.org/feed'
    """
    given = url(value)
    if re.search(r"[\s?#]", given):
        raise Invalid("not_base_url", value=quote(given))
    return given.rstrip("/")


def accounts(value: Any) -> tuple[str, ...]:
    """What depends on a number ("HSBC UK", "WhatsApp"); like a number, never echoed in a problem."""
    if not isinstance(value, list) or not all(isinstance(item, str) and item.strip() for item in value):
        raise Invalid("not_accounts")
    return tuple(dict.fromkeys(item.strip() for item in value))


# What a USSD code or a short number to dial may hold: digits, * and #, with a leading +.
DIAL = re.compile(r"\+?[0-9*#]{2,40}")


def dial(value: Any) -> str:
    """A code to dial for balance and validity, such as "*#131#", or a number to call or text."""
    given = text(value).strip()
    if not DIAL.fullmatch(given):
        raise Invalid("not_dial", value=quote(given))
    return given


@functools.cache
def _territories() -> frozenset[str]:
    # CLDR's regions: two letters are countries ("CN"), three digits are areas ("001"); a few
    # two-letter codes are groupings or placeholders, not a place a SIM is (EU, UN, ZZ, …).
    groupings = {"EU", "EZ", "UN", "QO", "XA", "XB", "ZZ"}
    return frozenset(str(code) for code in Locale("en").territories
                     if isinstance(code, str) and len(code) == 2 and code.isalpha() and code not in groupings)


def used_in(value: Any) -> str:
    """Where a SIM is kept: "home", or an ISO 3166 country code like "CN" (upper case).

    >>> used_in("home"), used_in("CN")
    ('home', 'CN')
    >>> used_in("China")
    Traceback (most recent call last):
    feed.core.parsers.Invalid: "China" must be "home" or a two-letter country code like "CN" or "GB"
    """
    if value == "home" or (isinstance(value, str) and value in _territories()):
        return str(value)
    raise Invalid("not_used_in", value=quote(value))
