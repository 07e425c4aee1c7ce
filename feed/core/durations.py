"""Durations as people write them: "6 months", "1 year 6 months", "P14D", "6个月", "1年6個月", "半年".

Calendar units (years, months) stay nominal so that dateutil's relativedelta does
the month-end arithmetic: 2026-08-31 + "1 month" is 2026-09-30, not October.
"""

from __future__ import annotations

import json
import re
from datetime import date, time, timedelta

from dateutil.relativedelta import relativedelta

from .reasons import Refused

# Singular, plural and the usual abbreviations, mapped to relativedelta keywords; and the
# Chinese units in both scripts ("6个月", "2週", "180日" as Hong Kong carriers write days).
# A bare 月 is not a unit: "6月" is June.
_UNITS = {
    "year": "years", "years": "years", "yr": "years", "yrs": "years", "y": "years",
    "month": "months", "months": "months", "mo": "months", "mon": "months",
    "week": "weeks", "weeks": "weeks", "wk": "weeks", "wks": "weeks", "w": "weeks",
    "day": "days", "days": "days", "d": "days",
    "hour": "hours", "hours": "hours", "hr": "hours", "hrs": "hours", "h": "hours",
    "minute": "minutes", "minutes": "minutes", "min": "minutes", "mins": "minutes",
    "年": "years", "个月": "months", "個月": "months",
    "周": "weeks", "週": "weeks", "星期": "weeks", "个星期": "weeks", "個星期": "weeks",
    "礼拜": "weeks", "禮拜": "weeks", "个礼拜": "weeks", "個禮拜": "weeks",
    "天": "days", "日": "days",
    "小时": "hours", "小時": "hours", "个小时": "hours", "個小時": "hours",
    "分钟": "minutes", "分鐘": "minutes",
}
_CHINESE_UNITS = "|".join(sorted((unit for unit in _UNITS if not unit.isascii()), key=len, reverse=True))
_CHINESE_DIGITS = {"零": 0, "一": 1, "二": 2, "两": 2, "兩": 2, "三": 3, "四": 4, "五": 5, "六": 6,
                   "七": 7, "八": 8, "九": 9}
# A part, then a comma, "and" or both ("1 year, 2 months, and 3 days"); Chinese parts follow one
# another ("1年6个月"), their number in digits or characters ("六个月"), 半年 being 6 months.
_PART = re.compile(
    rf"\s*(\d+|[零一二两兩三四五六七八九十百]+|半)\s*([a-z]+|{_CHINESE_UNITS})\s*(?:,\s*and\b|,|\band\b)?",
    re.IGNORECASE,
)
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


class DurationError(Refused):
    """A duration the config cannot use; the message quotes the text."""


def _number(digits: str) -> int:
    """A count in digits or in Chinese characters, up to the hundreds.

    >>> _number("180"), _number("六"), _number("十二"), _number("一百八十"), _number("两")
    (180, 6, 12, 180, 2)
    """
    if digits.isdigit():
        return int(digits)
    total, current = 0, 0
    for char in digits:
        if char in _CHINESE_DIGITS:
            current = _CHINESE_DIGITS[char]
        else:  # 十 or 百: "十" alone is 10
            total += (current or 1) * (10 if char == "十" else 100)
            current = 0
    return total + current


def _parts(text: str) -> dict[str, int]:
    try:
        return _read_parts(text)
    except DurationError:
        raise
    except ValueError:  # Python reads at most 4300 digits into an int
        raise DurationError("duration_too_long", value=quote(text)) from None


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
        if match.group(1) == "半":  # 半年: half a year, and no other half
            unit, count = ("months", 6) if unit == "years" else (None, 0)
        else:
            count = _number(match.group(1))
        if unit is None or unit in parts:
            break
        parts[unit] = count
        position = match.end()
    if not parts or position != len(stripped):
        raise DurationError("not_duration", value=quote(text))
    return parts


def parse_duration(text: str) -> relativedelta:
    """Parse a calendar duration (years, months, weeks, days) for deadline arithmetic.

    >>> parse_duration("1 year 6 months")
    relativedelta(years=+1, months=+6)
    >>> parse_duration("P2W")
    relativedelta(days=+14)
    >>> parse_duration("1年6个月") == parse_duration("1 year 6 months") == parse_duration("一年六個月")
    True
    >>> parse_duration("半年"), parse_duration("2週")
    (relativedelta(months=+6), relativedelta(days=+14))
    """
    parts = _parts(text)
    clock = [unit for unit in _CLOCK_UNITS if unit in parts]
    if clock:
        raise DurationError("calendar_units_only", value=quote(text), unit=clock[0])
    period = relativedelta(**{unit: parts.get(unit, 0) for unit in _CALENDAR_UNITS})
    try:  # "1000000000 days" parses, but no date can be counted from it
        date(2000, 1, 1) + period
    except (ValueError, OverflowError):
        raise DurationError("duration_too_long", value=quote(text)) from None
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
        raise DurationError("days_only", value=quote(text), unit=other[0])
    return parts.get("weeks", 0) * 7 + parts.get("days", 0)


def parse_interval(text: str) -> timedelta:
    """Parse an exact interval (weeks, days, hours, minutes), such as the refresh period.

    >>> parse_interval("6 hours")
    datetime.timedelta(seconds=21600)
    """
    parts = _parts(text)
    nominal = [unit for unit in ("years", "months") if unit in parts]
    if nominal:
        raise DurationError("clock_units_only", value=quote(text), unit=nominal[0])
    try:
        return timedelta(**parts)
    except OverflowError:
        raise DurationError("duration_too_long", value=quote(text)) from None
