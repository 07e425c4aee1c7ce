"""Durations as people write them in the config: "6 months", "1 year 6 months", "P14D".

Calendar units (years, months) stay nominal so that dateutil's relativedelta does
the month-end arithmetic: 2026-08-31 + "1 month" is 2026-09-30, not October.
"""

from __future__ import annotations

import json
import re
from datetime import date, time, timedelta

from dateutil.relativedelta import relativedelta

# Singular, plural and the usual abbreviations, mapped to relativedelta keywords.
_UNITS = {
    "year": "years", "years": "years", "yr": "years", "yrs": "years", "y": "years",
    "month": "months", "months": "months", "mo": "months", "mon": "months",
    "week": "weeks", "weeks": "weeks", "wk": "weeks", "wks": "weeks", "w": "weeks",
    "day": "days", "days": "days", "d": "days",
    "hour": "hours", "hours": "hours", "hr": "hours", "hrs": "hours", "h": "hours",
    "minute": "minutes", "minutes": "minutes", "min": "minutes", "mins": "minutes",
}
# A part, then a comma, "and" or both ("1 year, 2 months, and 3 days").
_PART = re.compile(r"\s*(\d+)\s*([a-z]+)\s*(?:,\s*and\b|,|\band\b)?", re.IGNORECASE)
_ISO = re.compile(
    r"P(?:(?P<years>\d+)Y)?(?:(?P<months>\d+)M)?(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?)?",
    re.IGNORECASE,
)
_CALENDAR_UNITS = ("years", "months", "weeks", "days")
_CLOCK_UNITS = ("hours", "minutes")


def quote(value: object) -> str:
    """A value as an error message shows it: in double quotes like the TOML, and short.

    >>> quote("6 moths")
    '"6 moths"'
    """
    if isinstance(value, str):
        text = json.dumps(value, ensure_ascii=False)
    elif isinstance(value, (date, time)):
        text = value.isoformat()
    else:
        text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


class DurationError(ValueError):
    """A duration the config cannot use; the message quotes the text."""


def _parts(text: str) -> dict[str, int]:
    try:
        return _read_parts(text)
    except DurationError:
        raise
    except ValueError:  # Python reads at most 4300 digits into an int
        raise DurationError(f"{quote(text)} is too long") from None


def _read_parts(text: str) -> dict[str, int]:
    stripped = text.strip()
    iso = _ISO.fullmatch(stripped)
    if iso and stripped.upper() not in ("P", "PT") and not stripped.upper().endswith("T"):
        return {unit: int(value) for unit, value in iso.groupdict().items() if value}
    parts: dict[str, int] = {}
    position = 0
    for match in _PART.finditer(stripped):
        if match.start() != position:
            break
        unit = _UNITS.get(match.group(2).lower())
        if unit is None or unit in parts:
            break
        parts[unit] = int(match.group(1))
        position = match.end()
    if not parts or position != len(stripped):
        raise DurationError(f"{quote(text)} is not a duration (try \"6 months\", \"180 days\" or \"P6M\")")
    return parts


def parse_duration(text: str) -> relativedelta:
    """Parse a calendar duration (years, months, weeks, days) for deadline arithmetic.

    >>> parse_duration("1 year 6 months")
    relativedelta(years=+1, months=+6)
    >>> parse_duration("P2W")
    relativedelta(days=+14)
    """
    parts = _parts(text)
    clock = [unit for unit in _CLOCK_UNITS if unit in parts]
    if clock:
        raise DurationError(f"{quote(text)}: use days, weeks, months or years here, not {clock[0]}")
    period = relativedelta(**{unit: parts.get(unit, 0) for unit in _CALENDAR_UNITS})
    try:  # "1000000000 days" parses, but no date can be counted from it
        date(2000, 1, 1) + period
    except (ValueError, OverflowError):
        raise DurationError(f"{quote(text)} is too long") from None
    return period


def parse_days(text: str) -> int:
    """Parse a duration that must be a whole number of days, such as an alarm lead.

    An iCalendar TRIGGER cannot say "1 month", so months and years are refused.

    >>> parse_days("2 weeks")
    14
    """
    parts = _parts(text)
    other = [unit for unit in parts if unit not in ("weeks", "days")]
    if other:
        raise DurationError(f"{quote(text)}: use days or weeks here, not {other[0]}")
    return parts.get("weeks", 0) * 7 + parts.get("days", 0)


def parse_interval(text: str) -> timedelta:
    """Parse an exact interval (weeks, days, hours, minutes), such as the refresh period.

    >>> parse_interval("6 hours")
    datetime.timedelta(seconds=21600)
    """
    parts = _parts(text)
    nominal = [unit for unit in ("years", "months") if unit in parts]
    if nominal:
        raise DurationError(f"{quote(text)}: use weeks, days, hours or minutes here, not {nominal[0]}")
    try:
        return timedelta(**parts)
    except OverflowError:
        raise DurationError(f"{quote(text)} is too long") from None
