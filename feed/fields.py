"""Checks for single values, shared by the config file, the CLI, the API and the page.

Each check returns the clean value or raises Invalid with a message that says
what is wrong without saying where: the caller knows the file, SIM or form field.
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil.relativedelta import relativedelta

from .durations import parse_days, parse_duration, quote
from .model import LANGUAGES, METHODS

TOKEN = re.compile(r"[A-Za-z0-9._~-]{8,256}")
MAX_ALARM_DAYS = 366


class Invalid(ValueError):
    """One value is wrong; the message says why, without the location."""


def text(value: Any) -> str:
    if not isinstance(value, str):
        raise Invalid(f"{quote(value)} must be a string in quotes")
    if not value.strip():
        raise Invalid("must not be empty")
    return value


def boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise Invalid(f"{quote(value)} must be true or false")
    return value


def toml_date(value: Any) -> date:
    if isinstance(value, datetime):
        raise Invalid(f"{value.isoformat()} must be a date without a time, like 2026-06-02")
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        raise Invalid(f"{quote(value)} is a string; write the date without quotes, like 2026-06-02")
    raise Invalid(f"{quote(value)} must be a date, like 2026-06-02")


def url(value: Any) -> str:
    given = text(value).strip()
    if not re.match(r"https?://[^\s/]+", given):
        raise Invalid(f"{quote(given)} must be a web address starting with https://")
    return given


def period(value: Any) -> tuple[relativedelta, str]:
    given = text(value)
    delta = parse_duration(given)
    if date(2000, 1, 1) + delta <= date(2000, 1, 1):
        raise Invalid(f"{quote(given)} must be longer than zero")
    return delta, given


def alarms(value: Any) -> tuple[int, ...]:
    if not isinstance(value, list):
        raise Invalid(f"{quote(value)} must be a list like [\"14 days\", \"3 days\", \"0 days\"]")
    leads = []
    for item in value:
        days = parse_days(text(item))
        if days > MAX_ALARM_DAYS:
            raise Invalid(f"{quote(item)} is more than {MAX_ALARM_DAYS} days ahead")
        leads.append(days)
    return tuple(sorted(set(leads), reverse=True))


def clock_time(value: Any) -> time:
    if isinstance(value, time):
        return value.replace(second=0, microsecond=0)
    given = text(value).strip()
    match = re.fullmatch(r"([01]?\d|2[0-3]):([0-5]\d)", given)
    if not match:
        raise Invalid(f"{quote(given)} must be a time of day as \"HH:MM\", like \"09:00\"")
    return time(int(match.group(1)), int(match.group(2)))


def zone(value: Any) -> ZoneInfo:
    given = text(value).strip()
    try:
        return ZoneInfo(given)
    except (ZoneInfoNotFoundError, ValueError):
        raise Invalid(f"{quote(given)} is not a known time zone (like \"Europe/London\")") from None


def token(value: Any) -> str:
    given = value if isinstance(value, str) else ""
    if not TOKEN.fullmatch(given):
        raise Invalid("must be 8 to 256 letters, digits or . _ ~ - (make one with: "
                       "python3 -c 'import secrets; print(secrets.token_urlsafe(24))')")
    return given


def number(value: Any) -> str:
    # Never echo the value: problems reach logs and /healthz, and this one is a phone number.
    if not isinstance(value, str) or not value.strip():
        raise Invalid("must be a phone number in quotes, like \"+44 7700 900123\"")
    return value


def amount(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise Invalid(f"{quote(value)} must be a number, like 10 or 9.99")
    if not math.isfinite(value) or value < 0:
        raise Invalid(f"{quote(value)} must be zero or more")
    return value


def currency(value: Any) -> str:
    given = text(value).strip()
    if not re.fullmatch(r"[A-Za-z]{3}", given):
        raise Invalid(f"{quote(given)} must be a three-letter currency code, like \"GBP\"")
    return given.upper()


def method(value: Any) -> str:
    given = text(value).strip().lower()
    if given not in METHODS:
        raise Invalid(f"{quote(value)} must be one of {', '.join(METHODS)}")
    return given


SIM_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")


def sim_id(value: Any) -> str:
    given = text(value)
    if not SIM_ID.fullmatch(given):
        raise Invalid(f"{quote(given)} must be lower-case letters, digits and dashes (like "
                      "\"giffgaff-uk\"), starting with a letter or digit, at most 64 characters")
    return given


def day(value: Any) -> date:
    """A date from JSON, a form or the command line: a date, or text as YYYY-MM-DD."""
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            raise Invalid(f"{quote(value)} is not a real date") from None
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    raise Invalid(f"{quote(value)} must be a date as YYYY-MM-DD, like 2026-06-02")


def language(value: Any) -> str:
    """A language of LANGUAGES, however it is capitalised or separated.

    >>> language("zh_cn"), language("EN")
    ('zh-CN', 'en')
    """
    given = text(value).strip()
    for known in LANGUAGES:
        if given.replace("_", "-").lower() == known.lower():
            return known
    raise Invalid(f"{quote(given)} must be one of {', '.join(quote(k) for k in LANGUAGES)}")


def base_url(value: Any) -> str:
    """A web address that links are built on: no query or fragment, no trailing slash.

    >>> base_url("https://sims.example.org/feed/")
    'https://sims.example.org/feed'
    """
    given = url(value)
    if re.search(r"[\s?#]", given):
        raise Invalid(f"{quote(given)} must be a plain address like \"https://sims.example.org\", "
                      "without ? or #")
    return given.rstrip("/")
