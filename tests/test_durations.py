"""Durations as written in the config: every accepted spelling, and the messages of rejected ones."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from dateutil.relativedelta import relativedelta

from feed.core.durations import DurationError, parse_days, parse_duration, parse_interval, quote

NOT_A_DURATION = ' is not a duration (try "6 months", "180 days" or "P6M")'


# --- parse_duration: calendar units for deadline arithmetic ---------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    ("1 year", relativedelta(years=1)),
    ("2 years", relativedelta(years=2)),
    ("1 yr", relativedelta(years=1)),
    ("2 yrs", relativedelta(years=2)),
    ("1 y", relativedelta(years=1)),
    ("1 month", relativedelta(months=1)),
    ("6 months", relativedelta(months=6)),
    ("1 mo", relativedelta(months=1)),
    ("3 mon", relativedelta(months=3)),
    ("1 week", relativedelta(days=7)),
    ("2 weeks", relativedelta(days=14)),
    ("1 wk", relativedelta(days=7)),
    ("3 wks", relativedelta(days=21)),
    ("4 w", relativedelta(days=28)),
    ("1 day", relativedelta(days=1)),
    ("180 days", relativedelta(days=180)),
    ("30 d", relativedelta(days=30)),
    ("6months", relativedelta(months=6)),
    ("  6 months  ", relativedelta(months=6)),
    ("6 MONTHS", relativedelta(months=6)),
    ("6 Months", relativedelta(months=6)),
    ("1 Year 6 Months", relativedelta(years=1, months=6)),
    ("1 year 6 months", relativedelta(years=1, months=6)),
    ("1 year, 6 months", relativedelta(years=1, months=6)),
    ("1 year and 6 months", relativedelta(years=1, months=6)),
    ("1 year AND 6 months", relativedelta(years=1, months=6)),
    ("1 year, 2 months, 1 week and 3 days", relativedelta(years=1, months=2, days=10)),
    ("1 week 3 days", relativedelta(days=10)),
    ("0 days", relativedelta()),
    ("P6M", relativedelta(months=6)),
    ("p6m", relativedelta(months=6)),
    ("P14D", relativedelta(days=14)),
    ("P180D", relativedelta(days=180)),
    ("P2W", relativedelta(days=14)),
    ("P1Y", relativedelta(years=1)),
    ("P1Y6M", relativedelta(years=1, months=6)),
    ("P1Y2M3W4D", relativedelta(years=1, months=2, days=25)),
    (" P6M ", relativedelta(months=6)),
    ("7999 years", relativedelta(years=7999)),
], ids=[
    "year", "years", "yr", "yrs", "y", "month", "months", "mo", "mon", "week", "weeks", "wk", "wks",
    "w", "day", "days", "d", "no-space", "surrounding-space", "upper-case", "title-case",
    "title-case-compound", "compound", "compound-comma", "compound-and", "compound-AND",
    "four-parts", "week-and-days", "zero", "iso-months", "iso-lower-case", "iso-days", "iso-180-days",
    "iso-weeks", "iso-year", "iso-year-months", "iso-all-calendar-units", "iso-surrounding-space",
    "longest-from-2000",
])
def test_parse_duration_accepts(text: str, expected: relativedelta) -> None:
    assert parse_duration(text) == expected


def test_parse_duration_keeps_months_nominal() -> None:
    # "1 month" must stay a month for month-end arithmetic, never become 30 or 31 days.
    period = parse_duration("1 month")
    assert (period.years, period.months, period.days) == (0, 1, 0)


@pytest.mark.parametrize(("text", "message"), [
    ("6 hours", '"6 hours": use days, weeks, months or years here, not hours'),
    ("PT6H", '"PT6H": use days, weeks, months or years here, not hours'),
    ("30 minutes", '"30 minutes": use days, weeks, months or years here, not minutes'),
    ("P1DT12H", '"P1DT12H": use days, weeks, months or years here, not hours'),
    ("1 day 2 hours", '"1 day 2 hours": use days, weeks, months or years here, not hours'),
    ("8000 years", '"8000 years" is too long'),
    ("1000000000 days", '"1000000000 days" is too long'),
], ids=["hours", "iso-hours", "minutes", "iso-days-and-hours", "days-and-hours", "past-year-9999",
        "past-timedelta-range"])
def test_parse_duration_refuses_clock_units_and_overflow(text: str, message: str) -> None:
    with pytest.raises(DurationError) as raised:
        parse_duration(text)
    assert str(raised.value) == message


# --- parse_days: whole days, for alarm leads ------------------------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    ("0 days", 0),
    ("1 day", 1),
    ("14 days", 14),
    ("3 d", 3),
    ("1 week", 7),
    ("2 weeks", 14),
    ("4 wks", 28),
    ("1 WEEK", 7),
    ("1 week 3 days", 10),
    ("2 weeks and 1 day", 15),
    ("1 week, 1 day", 8),
    ("P14D", 14),
    ("P2W", 14),
    ("P1W2D", 9),
    ("p0d", 0),
    ("366 days", 366),
], ids=["zero", "day", "days", "d", "week", "weeks", "wks", "upper-case", "week-days", "weeks-and-day",
        "week-comma-day", "iso-days", "iso-weeks", "iso-weeks-days", "iso-zero-lower-case", "a-year-of-days"])
def test_parse_days_accepts(text: str, expected: int) -> None:
    assert parse_days(text) == expected


@pytest.mark.parametrize(("text", "message"), [
    ("1 month", '"1 month": use days or weeks here, not months'),
    ("P1M", '"P1M": use days or weeks here, not months'),
    ("1 year", '"1 year": use days or weeks here, not years'),
    ("6 hours", '"6 hours": use days or weeks here, not hours'),
    ("PT30M", '"PT30M": use days or weeks here, not minutes'),
], ids=["month", "iso-month", "year", "hours", "iso-minutes"])
def test_parse_days_refuses_other_units(text: str, message: str) -> None:
    with pytest.raises(DurationError) as raised:
        parse_days(text)
    assert str(raised.value) == message


# --- parse_interval: exact time, for the refresh period -------------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    ("6 hours", timedelta(hours=6)),
    ("1 hour", timedelta(hours=1)),
    ("2 hrs", timedelta(hours=2)),
    ("1 hr", timedelta(hours=1)),
    ("3 h", timedelta(hours=3)),
    ("30 minutes", timedelta(minutes=30)),
    ("1 minute", timedelta(minutes=1)),
    ("45 min", timedelta(minutes=45)),
    ("90 mins", timedelta(minutes=90)),
    ("1 hr 30 min", timedelta(minutes=90)),
    ("1 day 12 hours", timedelta(hours=36)),
    ("1 day", timedelta(days=1)),
    ("2 weeks", timedelta(days=14)),
    ("6 HOURS", timedelta(hours=6)),
    ("PT6H", timedelta(hours=6)),
    ("pt6h", timedelta(hours=6)),
    ("PT30M", timedelta(minutes=30)),
    ("PT1H30M", timedelta(minutes=90)),
    ("P1D", timedelta(days=1)),
    ("P14D", timedelta(days=14)),
    ("P2W", timedelta(days=14)),
    ("P1DT12H", timedelta(hours=36)),
    ("999999999 days", timedelta(days=999999999)),
], ids=["hours", "hour", "hrs", "hr", "h", "minutes", "minute", "min", "mins", "hr-min", "day-hours",
        "day", "weeks", "upper-case", "iso-hours", "iso-lower-case", "iso-minutes", "iso-hours-minutes",
        "iso-day", "iso-days", "iso-weeks", "iso-day-and-hours", "largest-timedelta"])
def test_parse_interval_accepts(text: str, expected: timedelta) -> None:
    assert parse_interval(text) == expected


@pytest.mark.parametrize(("text", "message"), [
    ("1 month", '"1 month": use weeks, days, hours or minutes here, not months'),
    ("P6M", '"P6M": use weeks, days, hours or minutes here, not months'),
    ("1 year", '"1 year": use weeks, days, hours or minutes here, not years'),
    ("1000000000 days", '"1000000000 days" is too long'),
    ("99999999999999 weeks", '"99999999999999 weeks" is too long'),
], ids=["month", "iso-months", "year", "past-timedelta-days", "past-c-int"])
def test_parse_interval_refuses_nominal_units_and_overflow(text: str, message: str) -> None:
    with pytest.raises(DurationError) as raised:
        parse_interval(text)
    assert str(raised.value) == message


# --- Text that is no duration at all: the same message from all three ----------------------

NOT_DURATIONS = [
    ("6 moths", '"6 moths"'),
    ("", '""'),
    ("   ", '"   "'),
    ("P", '"P"'),
    ("PT", '"PT"'),
    ("p", '"p"'),
    ("P1DT", '"P1DT"'),
    ("P6M1Y", '"P6M1Y"'),
    ("P 6M", '"P 6M"'),
    ("six months", '"six months"'),
    ("6", '"6"'),
    ("-3 days", '"-3 days"'),
    ("+3 days", '"+3 days"'),
    ("1.5 days", '"1.5 days"'),
    ("6 m", '"6 m"'),
    ("1 year 1 year", '"1 year 1 year"'),
    ("months 6", '"months 6"'),
    ("and 6 months", '"and 6 months"'),
    ("6 months ago", '"6 months ago"'),
    ("6 seconds", '"6 seconds"'),
]
NOT_DURATION_IDS = [
    "typo", "empty", "blank", "bare-P", "bare-PT", "bare-p", "dangling-T", "iso-wrong-order",
    "iso-space", "words", "number-only", "negative", "plus-sign", "decimal", "ambiguous-m",
    "repeated-unit", "unit-first", "leading-and", "trailing-word", "seconds",
]


@pytest.mark.parametrize("parse", [parse_duration, parse_days, parse_interval],
                         ids=["parse_duration", "parse_days", "parse_interval"])
@pytest.mark.parametrize(("text", "quoted"), NOT_DURATIONS, ids=NOT_DURATION_IDS)
def test_not_a_duration(parse: Callable[[str], object], text: str, quoted: str) -> None:
    with pytest.raises(DurationError) as raised:
        parse(text)
    assert str(raised.value) == quoted + NOT_A_DURATION


def test_error_quotes_the_text_as_typed() -> None:
    with pytest.raises(DurationError) as raised:
        parse_duration("6 moths")
    assert str(raised.value) == '"6 moths" is not a duration (try "6 months", "180 days" or "P6M")'
    assert '"6 moths"' in str(raised.value)


def test_duration_error_is_a_value_error() -> None:
    assert issubclass(DurationError, ValueError)


# --- quote ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("value", "expected"), [
    ("6 moths", '"6 moths"'),
    ("", '""'),
    ('say "hi"', '"say \\"hi\\""'),
    ("香港", '"香港"'),
    ("a\nb", '"a\\nb"'),
    (14, "14"),
    (9.99, "9.99"),
    (True, "True"),
    (None, "None"),
    (["14 days"], "['14 days']"),
    ("x" * 58, '"' + "x" * 58 + '"'),
    ("x" * 59, '"' + "x" * 56 + "..."),
    ("x" * 100, '"' + "x" * 56 + "..."),
], ids=["text", "empty", "inner-quotes", "non-ascii-kept", "newline-escaped", "int", "float", "bool",
        "none", "list", "exactly-60", "61-truncated", "long-truncated"])
def test_quote(value: object, expected: str) -> None:
    assert quote(value) == expected


def test_quote_is_at_most_60_characters() -> None:
    assert len(quote("x" * 1000)) == 60


# --- regressions found by the property tests (issue 7) ------------------------------------------

@pytest.mark.parametrize("text", ["1" * 5000 + " days", "P" + "9" * 5000 + "D"], ids=["words", "iso"])
def test_regression_a_number_of_more_than_4300_digits_is_a_duration_error(text: str) -> None:
    # Python refuses to read such an int with a plain ValueError, which the config loader did
    # not catch: the whole config failed with a traceback instead of one line.
    with pytest.raises(DurationError) as error:
        parse_duration(text)
    assert str(error.value) == f"{quote(text)} is too long"


@pytest.mark.parametrize(("text", "expected"), [
    ("1 year, 6 months, and 2 days", relativedelta(years=1, months=6, days=2)),
    ("1 year,and 6 months", relativedelta(years=1, months=6)),
], ids=["oxford-comma", "comma-and-no-space"])
def test_regression_a_comma_before_and_is_accepted(text: str, expected: relativedelta) -> None:
    # "1 year, 2 months and 3 days" parsed, "1 year, 2 months, and 3 days" was refused.
    assert parse_duration(text) == expected


# Chinese durations (issue 23): the same meaning as the English forms, in both scripts.
@pytest.mark.parametrize(("chinese", "english"), [
    ("6个月", "6 months"), ("6個月", "6 months"), ("六个月", "6 months"), ("６个月", "6 months"),
    ("180天", "180 days"), ("180日", "180 days"), ("2周", "2 weeks"), ("2週", "2 weeks"),
    ("两周", "2 weeks"), ("2个星期", "2 weeks"), ("半年", "6 months"), ("1年", "1 year"), ("一年", "1 year"),
    ("1年6个月", "1 year 6 months"), ("1年6個月", "1 year 6 months"), ("一年六個月", "1 year 6 months"),
    ("十二个月", "12 months"), ("一百八十天", "180 days"), ("1 年 6 个月", "1 year 6 months"),
], ids=lambda value: value)
def test_chinese_durations_mean_what_the_english_ones_do(chinese: str, english: str) -> None:
    assert parse_duration(chinese) == parse_duration(english)


@pytest.mark.parametrize("text", ["6月", "半月", "半", "个月", "6个月半", "年6个月"], ids=lambda value: value)
def test_chinese_non_durations_are_refused(text: str) -> None:
    """A bare 月 is a month's name ("6月" is June); 半 goes with 年 alone."""
    with pytest.raises(DurationError) as raised:
        parse_duration(text)
    assert raised.value.reason.code == "not_duration"


def test_chinese_days_and_intervals() -> None:
    assert (parse_days("2周"), parse_days("3天"), parse_days("1週2日")) == (14, 3, 9)
    assert parse_interval("6小时") == parse_interval("6 hours") == parse_interval("6小時")
    with pytest.raises(DurationError) as raised:
        parse_days("1个月")
    assert (raised.value.reason.code, raised.value.reason.params["unit"]) == ("days_only", "months")
