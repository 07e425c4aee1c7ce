"""Hypothesis strategies shared by the property-based tests: TOML values, config tables, hostile text.

Config tables mix values a person would write with values of every other TOML type,
so that both the happy paths and every "wrong type here" branch are reached.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Any

from hypothesis import settings
from hypothesis import strategies as st

from feed.config.load import CALENDAR_KEYS
from feed.config.presets import catalogue
from feed.config.sims import SIM_KEYS


def examples(ci: int) -> int:
    """A test's number of examples: `ci` under the "ci" profile (60 by default), scaled up by "thorough"
    and down by "fast" (a fifth)."""
    return max(1, ci * settings.default.max_examples // 60)


# ------------------------------------------------------------------ hostile text

# Each of these has broken a calendar, a page, a header or a spreadsheet somewhere.
NASTY = [
    "\n", "\r\n", "\r", ";", ",", "\\", "\\n", ":", '"', "'", "<", ">", "&", "=", "+", "-", "@", "\t",
    "BEGIN:VEVENT", "END:VCALENDAR", "\nBEGIN:VEVENT\nUID:x\nEND:VEVENT\n", "\r\nX-INJECTED:1\r\n",
    "<script>alert(1)</script>", "<b>bold</b>", "{{ 7*7 }}", "{% raw %}", "=HYPERLINK(\"http://x\")",
    "@SUM(1+1)", "+1+1", "-1+1", "\x00", "\x07", "\x1b[31m", "\x7f", "\u2028", "\u2029", "\ufeff",
    "😀", "👨‍👩‍👧‍👦", "🇬🇧", "\u202e", "\u200f", "مرحبا", "שלום", "保号", "\U0001f600" * 3, "é", "e\u0301",
    "\ud7ff", "\ue000", "\uffff",
]


def hostile_text(min_size: int = 1, max_size: int = 60) -> st.SearchStrategy[str]:
    """Text built from known troublemakers and arbitrary characters (no lone surrogates: TOML has none)."""
    chars = st.characters(exclude_categories=("Cs",))
    piece = st.sampled_from(NASTY) | st.text(chars, min_size=1, max_size=8)
    return st.lists(piece, min_size=1, max_size=max_size).map("".join).filter(
        lambda s: len(s) >= min_size and s.strip() != "")


LONG = "x" * 3000 + "\n;,\\😀مرحبا" * 500 + "y" * 3000  # 10,000 characters and more


# ------------------------------------------------------------------ TOML values

def _finite_or_not() -> st.SearchStrategy[float]:
    return st.floats(allow_nan=True, allow_infinity=True) | st.sampled_from(
        [0.0, -0.0, 1e308, -1e308, 5e-324, 0.1, 9.99, 1e20])


def toml_dates() -> st.SearchStrategy[date]:
    return st.dates() | st.sampled_from(
        [date(1, 1, 1), date(1899, 12, 31), date(1900, 1, 1), date(2026, 2, 28), date(2028, 2, 29),
         date(2026, 8, 31), date(9999, 12, 30), date(9999, 12, 31)])


SCALARS: st.SearchStrategy[Any] = st.one_of(
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    _finite_or_not(),
    st.text(max_size=20),
    toml_dates(),
    st.datetimes(timezones=st.none() | st.just(UTC) | st.just(timezone(timedelta(hours=-5)))),
    st.times(),
)


def toml_values(scalars: st.SearchStrategy[Any] = SCALARS) -> st.SearchStrategy[Any]:
    """Any TOML value: scalars, arrays and tables, nested a little."""
    keys = st.text(max_size=8) | st.sampled_from(sorted(SIM_KEYS | CALENDAR_KEYS))
    return st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                        | st.dictionaries(keys, inner, max_size=4), max_leaves=12)


# ------------------------------------------------------------------ plausible config values

DURATIONS = ["6 months", "180 days", "P6M", "P14D", "1 year 6 months", "0 days", "1 day", "2 weeks",
             "P0D", "6 moths", "", " ", "-1 days", "1000000 years", "7999 years", "9999 years", "PT5M",
             "6 hours", "1 minute", "P", "PT", "1 month 1 month", "30 d", "P1Y2M3W4D", "0 months"]
ZONES = ["Europe/London", "America/New_York", "Asia/Shanghai", "Australia/Lord_Howe", "Pacific/Kiritimati",
         "Pacific/Apia", "UTC", "Etc/GMT+12", "Nowhere/City", "../../etc/passwd", "", "europe/london"]
TIMES = ["09:00", "00:00", "23:59", "24:00", "9:00", "02:30", "01:30", "nine", ""]
PRESETS = [*catalogue(), "nope", ""]


def _or_anything(plausible: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Mostly a plausible value, sometimes a value of any TOML type."""
    return st.one_of(plausible, plausible, plausible, toml_values())


def durations() -> st.SearchStrategy[Any]:
    return _or_anything(st.sampled_from(DURATIONS) | st.builds(
        lambda n, unit: f"{n} {unit}", st.integers(0, 4000), st.sampled_from(["days", "weeks", "months",
                                                                              "years", "d", "mo"])))


def _amounts() -> st.SearchStrategy[Any]:
    return _or_anything(st.integers(-5, 1000) | st.sampled_from([0.5, 9.99, 1e300, math.inf, math.nan]))


def _texts() -> st.SearchStrategy[Any]:
    return _or_anything(hostile_text(max_size=6) | st.sampled_from(["", " ", "x"]))


def renewal_tables() -> st.SearchStrategy[Any]:
    return _or_anything(st.fixed_dictionaries({}, optional={
        "date": _or_anything(toml_dates()), "amount": _amounts(),
        "currency": _or_anything(st.sampled_from(["GBP", "gbp", "HKD", "US$", ""])),
        "method": _or_anything(st.sampled_from(["app", "web", "USSD", "carrier pigeon"])),
        "reference": _texts(), "note": _texts(),
        "kind": _or_anything(st.sampled_from(["topup", "call", "sms", "data", "Call", "fax"])),
    }))


def _tiers() -> st.SearchStrategy[Any]:
    return st.fixed_dictionaries({}, optional={"min_amount": _amounts(), "extends": durations()})


def topup_tables() -> st.SearchStrategy[Any]:
    return _or_anything(st.fixed_dictionaries({}, optional={
        "extends": durations(), "min_amount": _amounts(),
        "tiers": _or_anything(st.lists(_or_anything(_tiers()), max_size=3)),
        "from": _or_anything(st.sampled_from(["topup", "expiry", "later", "never"])),
    }))


def charge_tables() -> st.SearchStrategy[Any]:
    return _or_anything(st.fixed_dictionaries({}, optional={
        "fee": _amounts(), "every": durations(), "balance": _amounts(), "as_of": _or_anything(toml_dates()),
        "first": _or_anything(toml_dates()), "currency": _or_anything(st.sampled_from(["HKD", "X"])),
    }))


def stage_lists() -> st.SearchStrategy[Any]:
    stage = st.fixed_dictionaries({}, optional={
        "after": durations(), "status": _texts(), "recovery": _texts()})
    return _or_anything(st.lists(_or_anything(stage), max_size=4))


SIM_IDS = ["a", "giffgaff", "sim-1", "0", "Bad Id", "../x", "a" * 65, "-x", ""]


def sim_tables() -> st.SearchStrategy[Any]:
    plausible = {
        "id": _or_anything(st.sampled_from(SIM_IDS)), "name": _texts(), "carrier": _texts(),
        "country": _texts(), "number": _or_anything(st.sampled_from(["+44 7700 900123", "", "12"])),
        "show_number": _or_anything(st.booleans()),
        "renew_url": _or_anything(st.sampled_from(["https://x.example", "javascript:alert(1)", "ftp://x"])),
        "how_to_renew": _texts(), "notes": _texts(), "last_renewal": _or_anything(toml_dates()),
        "renewals": _or_anything(st.lists(renewal_tables(), max_size=4)),
        "alarms": _or_anything(st.lists(durations(), max_size=4)),
        "alarm_time": _or_anything(st.sampled_from(TIMES) | st.times()),
        "tags": _or_anything(st.lists(st.sampled_from(SIM_IDS), max_size=3)),
        "preset": _or_anything(st.sampled_from(PRESETS)),
        "keep_alive": durations(), "expires": _or_anything(toml_dates()), "topup": topup_tables(),
        "charge": charge_tables(), "grace": durations(), "stages": stage_lists(),
        "counts": _or_anything(st.lists(st.sampled_from(["topup", "call", "sms", "data", "x"]), max_size=4)),
    }
    extra = st.dictionaries(st.text(min_size=1, max_size=8), toml_values(), max_size=2)
    return st.builds(lambda known, other: {**other, **known},
                     st.fixed_dictionaries({}, optional=plausible), extra)


def calendar_tables() -> st.SearchStrategy[Any]:
    return _or_anything(st.fixed_dictionaries({}, optional={
        "name": _texts(), "timezone": _or_anything(st.sampled_from(ZONES)),
        "alarms": _or_anything(st.lists(durations(), max_size=4)),
        "alarm_time": _or_anything(st.sampled_from(TIMES)), "refresh": durations(),
        "token": _or_anything(st.sampled_from(["tok-12345678-qwWkqKprjPW", "short", "has space in it",
                                               "a" * 300])),
        "history": _or_anything(st.booleans()),
        "reminders": _or_anything(st.sampled_from(["alarms", "events", "both", "none"])),
        "color": _or_anything(st.sampled_from(["teal", "#1E90FF", "#12345", "not-a-colour"])),
        "language": _or_anything(st.sampled_from(["en", "zh-CN", "zh_cn", "fr"])),
    }))


def feed_tables() -> st.SearchStrategy[Any]:
    return _or_anything(st.fixed_dictionaries({}, optional={
        "id": _or_anything(st.sampled_from(SIM_IDS)), "name": _texts(),
        "token": _or_anything(st.sampled_from(["tok-12345678-qwWkqKprjPW", "feed-token-1-pvIrkoxoG2X", "x"])),
        "sims": _or_anything(st.lists(st.sampled_from(SIM_IDS), max_size=3)),
        "tags": _or_anything(st.lists(st.sampled_from(SIM_IDS), max_size=3)),
        "reminders": _or_anything(st.sampled_from(["alarms", "events", "both", "none"])),
    }))


def documents() -> st.SearchStrategy[dict[str, Any]]:
    """A whole config document: plausible tables, sometimes a wrong type, sometimes extra keys."""
    return st.fixed_dictionaries({}, optional={
        "calendar": calendar_tables(),
        "server": _or_anything(st.fixed_dictionaries({}, optional={
            "admin_token": _or_anything(st.sampled_from(["", "admin-token-1-AakRnKZbI1", "bad"])),
            "public_url": _or_anything(st.sampled_from(["https://sims.example.org/", "http://x?y", "x"]))})),
        "sim": _or_anything(st.lists(sim_tables(), max_size=4)),
        "feed": _or_anything(st.lists(feed_tables(), max_size=3)),
        "extra": toml_values(),
    })


# ------------------------------------------------------------------ TOML text

def _key(key: str) -> str:
    return json.dumps(key)


def toml_value(value: Any) -> str:
    """One value as TOML (inline tables and arrays): enough to write any generated document."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        # A JSON string is a TOML basic string, but for DEL, which TOML wants escaped, and astral
        # characters, which ensure_ascii would write as surrogate pairs (TOML refuses those).
        return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_key(k)} = {toml_value(v)}" for k, v in value.items()) + "}"
    raise TypeError(type(value))


def toml_document(doc: dict[str, Any]) -> str:
    """A document as a person would lay it out: [calendar], [[sim]] tables, then the rest inline."""
    lines = []
    for key, value in doc.items():
        if isinstance(value, dict):
            lines.append(f"[{_key(key)}]")
            lines += [f"{_key(k)} = {toml_value(v)}" for k, v in value.items()]
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            for table in value:
                lines.append(f"[[{_key(key)}]]")
                lines += [f"{_key(k)} = {toml_value(v)}" for k, v in table.items()]
        else:
            lines.insert(0, f"{_key(key)} = {toml_value(value)}")
    return "\n".join(lines) + "\n"
