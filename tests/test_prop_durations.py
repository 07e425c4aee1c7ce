"""Property-based: every spelling of a duration the README allows parses; every rejection names the text.

The spellings are generated from the README's table of units, not from feed/durations.py.
"""

from __future__ import annotations

from datetime import timedelta

from dateutil.relativedelta import relativedelta
from hypothesis import example, given
from hypothesis import strategies as st

from feed.core.durations import DurationError, parse_days, parse_duration, parse_interval, quote

ALIASES = {
    "years": ["year", "years", "yr", "yrs", "y"],
    "months": ["month", "months", "mo", "mon"],
    "weeks": ["week", "weeks", "wk", "wks", "w"],
    "days": ["day", "days", "d"],
    "hours": ["hour", "hours", "hr", "hrs", "h"],
    "minutes": ["minute", "minutes", "min", "mins"],
}
LARGEST = {"years": 500, "months": 6000, "weeks": 20000, "days": 100000, "hours": 10**6, "minutes": 10**7}


def _case(draw: st.DrawFn, word: str) -> str:
    return str(draw(st.sampled_from([word, word.upper(), word.title()])))


@st.composite
def spelled(draw: st.DrawFn, units: tuple[str, ...]) -> tuple[str, dict[str, int]]:
    """A duration in words ("1 Year, 6 months and 2 d"), and its parts."""
    chosen = draw(st.lists(st.sampled_from(units), min_size=1, unique=True))
    parts = {unit: draw(st.integers(0, LARGEST[unit])) for unit in chosen}
    words = []
    for index, unit in enumerate(chosen):
        gap = draw(st.sampled_from(["", " ", "  "]))
        words.append(f"{parts[unit]}{gap}{_case(draw, draw(st.sampled_from(ALIASES[unit])))}")
        if index < len(chosen) - 1:
            words.append(draw(st.sampled_from([" ", ", ", ",", " and ", " AND ", ", and "])))
    pad = draw(st.sampled_from(["", " ", "\t", "  "]))
    return pad + "".join(words) + pad, parts


@st.composite
def iso(draw: st.DrawFn, clock: bool) -> tuple[str, dict[str, int]]:
    """An ISO 8601 duration ("P1Y6M", "PT6H"), and its parts."""
    date_units = [("years", "Y"), ("months", "M"), ("weeks", "W"), ("days", "D")]
    clock_units = [("hours", "H"), ("minutes", "M")] if clock else []
    parts: dict[str, int] = {}
    text = "P"
    for unit, letter in date_units:
        if draw(st.booleans()):
            parts[unit] = draw(st.integers(0, LARGEST[unit]))
            text += f"{parts[unit]}{letter}"
    if clock_units and draw(st.booleans()):
        text += "T"
        for unit, letter in clock_units:
            if draw(st.booleans()) or (unit == "minutes" and text.endswith("T")):
                parts[unit] = draw(st.integers(0, LARGEST[unit]))
                text += f"{parts[unit]}{letter}"
    if not parts:
        parts["days"] = draw(st.integers(0, 400))
        text += f"{parts['days']}D"
    return draw(st.sampled_from([text, text.lower()])), parts


def calendar(parts: dict[str, int]) -> relativedelta:
    return relativedelta(years=parts.get("years", 0), months=parts.get("months", 0),
                         days=7 * parts.get("weeks", 0) + parts.get("days", 0))


CALENDAR_UNITS = ("years", "months", "weeks", "days")


@given(spelled(CALENDAR_UNITS) | iso(clock=False))
def test_every_calendar_spelling_parses(case: tuple[str, dict[str, int]]) -> None:
    text, parts = case
    assert parse_duration(text) == calendar(parts)


@given(spelled(("weeks", "days")) | iso(clock=False).filter(lambda c: set(c[1]) <= {"weeks", "days"}))
def test_every_day_count_spelling_parses(case: tuple[str, dict[str, int]]) -> None:
    text, parts = case
    assert parse_days(text) == 7 * parts.get("weeks", 0) + parts.get("days", 0)


@given(spelled(("weeks", "days", "hours", "minutes"))
       | iso(clock=True).filter(lambda c: not {"years", "months"} & set(c[1])))
def test_every_interval_spelling_parses(case: tuple[str, dict[str, int]]) -> None:
    text, parts = case
    assert parse_interval(text) == timedelta(**parts)


def _named(error: DurationError, text: str) -> None:
    assert str(error).startswith(quote(text)), (str(error), text)
    assert "\n" not in str(error)


@given(st.text(max_size=40) | spelled(tuple(ALIASES)).map(lambda c: c[0] + "x")
       | st.from_regex(r"\s*[0-9]{1,6000}\s*(days|months|P|y)\s*", fullmatch=True))
@example("1" * 5000 + " days")
@example("P" + "9" * 5000 + "D")
@example("99999999999999999999 years")
@example("99999999999999999999 minutes")
@example("٣ days")
def test_every_rejection_names_the_text(text: str) -> None:
    """Anything else is a DurationError that quotes what was written, never another exception."""
    for parse in (parse_duration, parse_days, parse_interval):
        try:
            parse(text)
        except DurationError as error:
            _named(error, text)
