"""The config file: what loads, its defaults, and the exact line for every problem."""

from __future__ import annotations

import os
import textwrap
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from dateutil.relativedelta import relativedelta

from feed.config.load import ConfigError, load_config, parse_config, parse_toml, read_source
from feed.config.problems import Problem
from feed.core.deadlines import deadline_for
from feed.core.model import (
    KINDS,
    CalendarSettings,
    Charge,
    Config,
    Expires,
    KeepAlive,
    NamedFeed,
    Renewal,
    Sim,
    Stage,
    Tier,
    TopUp,
)

ROOT = Path(__file__).resolve().parent.parent
CONFIG_DIR = ROOT / "config"
SOURCE = "config/sims.toml"
# The smallest valid SIM; tests add or change one key at a time.
SIM = """
[[sim]]
id = "cubacel"
name = "Cubacel"
"""
RULE = """
keep_alive = "330 days"
last_renewal = 2026-08-05
"""
# What `grace = "..."` stands for: one stage, "last day to recover", with this recovery.
GRACE_RECOVERY = "renew today; after today the number may be lost for good"
TOKEN_HINT = ("must be 22 to 256 letters, digits or . _ ~ - (at least 128 bits; "
              "make one with: simfeed token)")


def problems(text: str, source: str = SOURCE) -> list[str]:
    """The problem lines of a config that must not load."""
    with pytest.raises(ConfigError) as raised:
        parse_toml(textwrap.dedent(text), source)
    assert str(raised.value) == "\n".join(raised.value.lines)
    return raised.value.lines


def one_problem(text: str) -> str:
    found = problems(text)
    assert len(found) == 1, found
    return found[0]


def renewal_with(keys: str) -> str:
    """A SIM with one renewal that has these extra keys."""
    return SIM + f'keep_alive = "6 months"\nrenewals = [{{ date = 2026-01-01, {keys} }}]\n'


def grace(text: str, delta: relativedelta) -> Stage:
    return Stage(delta, text, "last day to recover", GRACE_RECOVERY, grace=True)


def sim_with(extra: str) -> Sim:
    """Parse a single valid SIM with extra keys and return it."""
    config = parse_toml(SIM + extra, SOURCE)
    assert len(config.sims) == 1
    return config.sims[0]


# --- The shipped configs ------------------------------------------------------------------------

def test_example_config_loads() -> None:
    config = load_config(CONFIG_DIR / "sims.example.toml")
    assert config.source == str(CONFIG_DIR / "sims.example.toml")
    assert [s.id for s in config.sims] == ["vodafone-uk", "three-uk", "giffgaff-uk", "ee-uk", "tello-us",
                                           "cubacel-cu", "tmobile-us", "monthly-hk", "hahasim-hk"]
    calendar = config.calendar
    assert calendar.name == "SIM renewals"
    assert calendar.timezone == ZoneInfo("Europe/London")
    assert calendar.alarms == (14, 3, 0)
    assert calendar.alarm_time == time(9, 0)
    assert calendar.refresh == timedelta(hours=6)
    assert calendar.token is None
    assert (calendar.history, calendar.reminders, calendar.color, calendar.color_hex) == (
        False, "alarms", None, None)
    # The family feed: giffgaff-uk by its id, ee-uk by its tag, in the order of the SIMs.
    assert config.feeds == (NamedFeed("family", "Family numbers", ("giffgaff-uk", "ee-uk"), None, "events"),)


def test_example_config_deadlines_match_its_comments() -> None:
    config = load_config(CONFIG_DIR / "sims.example.toml")
    due = {s.id: deadline_for(s, config.calendar) for s in config.sims}
    # 2026-07-21 (last_renewal, later than both renewals) + 180 days = 2027-01-17; + 90 days grace:
    # 14 to Jan 31, +28 Feb, +31 Mar, +17 = 2027-04-17.
    assert (due["vodafone-uk"].due, due["vodafone-uk"].grace_until) == (date(2027, 1, 17), date(2027, 4, 17))
    assert due["vodafone-uk"].alarms == (28, 7, 0)
    assert due["vodafone-uk"].alarm_time == time(20, 0)
    # 2026-09-30 + 180 days: +31 Oct, +30 Nov, +31 Dec, +31 Jan, +28 Feb (151), +29 = 2027-03-29.
    assert due["three-uk"].due == date(2027, 3, 29)
    # 2026-06-02 + 6 months = 2026-12-02, and alarms = [] means none.
    assert (due["giffgaff-uk"].due, due["giffgaff-uk"].alarms) == (date(2026, 12, 2), ())
    # ee-uk (preset: 179 days, every kind counts): the call of 2026-10-15 is the latest renewal.
    # 2026-10-15 + 179 days: 16 to Oct 31, +30 Nov (46), +31 Dec (77), +31 Jan (108), +28 Feb (136),
    # +31 Mar (167), +12 = 2027-04-12. Stages: +0 = 04-12; +90 days: 18 to Apr 30, +31 May (49),
    # +30 Jun (79), +11 = 07-11; +91 = 07-12; +94 = 07-15. Recoverable until the day before the
    # first stage without a recovery: 2027-07-11 (day 179 + 90 = 269; recycled on day 273).
    ee = due["ee-uk"]
    assert (ee.due, ee.counted_from) == (date(2027, 4, 12), Renewal(date(2026, 10, 15), method="other",
                                                                     kind="call"))
    assert [(on, stage.status, stage.recovery is not None) for on, stage in ee.stages] == [
        (date(2027, 4, 12), "hibernated, credit removed", True),
        (date(2027, 7, 11), "last day EE can reinstate the number", True),
        (date(2027, 7, 12), "no longer reinstatable, to be recycled", False),
        (date(2027, 7, 15), "recycled", False),
    ]
    assert ee.grace_until == date(2027, 7, 11)
    # tello-us counts top-ups only: the call of 2026-11-10 does not count, the bare last_renewal
    # of 2026-10-02 does: + 3 months = 2027-01-02.
    tello = due["tello-us"]
    assert (tello.due, tello.counted_from) == (date(2027, 1, 2), Renewal(date(2026, 10, 2), kind=None))
    assert tello.sim.last_renewal == Renewal(date(2026, 11, 10), kind="call")
    # cubacel-cu: 2026-08-05 + 330 days: 26 to Aug 31, then Sep..May (30+31+30+31+31+28+31+30+31 = 273,
    # 299), +31 = 2027-07-01; grace 30 days: 2027-07-31.
    assert (due["cubacel-cu"].due, due["cubacel-cu"].grace_until) == (date(2027, 7, 1), date(2027, 7, 31))
    # tmobile-us: $10 reaches the 90-day tier only: 2026-10-20 + 90 days: 11 to Oct 31, +30 Nov (41),
    # +31 Dec (72), +18 = 2027-01-18. No stages.
    assert (due["tmobile-us"].due, due["tmobile-us"].stages) == (date(2027, 1, 18), ())
    # monthly-hk: 100 pays HK$18 on Dec 1 (82 left), Jan 1 (64), Feb 1 (46), Mar 1 (28), Apr 1 (10);
    # 10 cannot pay May 1. Suspended from 2027-05-01, released 30 days later on 05-31, so
    # recoverable until 2027-05-30.
    monthly = due["monthly-hk"]
    assert monthly.due == date(2027, 5, 1)
    assert monthly.charges == (date(2026, 12, 1), date(2027, 1, 1), date(2027, 2, 1), date(2027, 3, 1),
                               date(2027, 4, 1))
    assert [(on, stage.status) for on, stage in monthly.stages] == [
        (date(2027, 5, 1), "suspended"), (date(2027, 5, 31), "number released")]
    assert monthly.grace_until == date(2027, 5, 30)
    assert due["hahasim-hk"].due == date(2027, 5, 18)


def test_example_config_every_sim_option() -> None:
    sim = load_config(CONFIG_DIR / "sims.example.toml").sim("vodafone-uk")
    assert sim is not None
    assert sim.renewals == (
        Renewal(date(2026, 1, 15), 10, "GBP", "app", "TXN123", "£10 top-up"),
        Renewal(date(2026, 4, 2), 5, "GBP", "ussd"),
        # A bare last_renewal has no kind: the user says it qualified, whatever it was.
        Renewal(date(2026, 7, 21), kind=None),
    )
    assert sim.rule == KeepAlive("180 days", relativedelta(days=180), frozenset(KINDS))
    assert sim.stages == (grace("90 days", relativedelta(days=90)),)
    assert (sim.tags, sim.preset) == ((), None)
    assert sim.display_number == "••0456"
    assert sim.label == "Vodafone UK spare ••0456"


def test_served_config_loads() -> None:
    config = load_config(ROOT / "feed" / "config" / "starter.toml")
    assert config.calendar.name == "保号提醒 SIM renewals"
    assert config.calendar.timezone == ZoneInfo("Asia/Shanghai")
    # "#1E90FF" is exactly CSS3 dodgerblue (30, 144, 255).
    assert (config.calendar.color, config.calendar.color_hex) == ("dodgerblue", "#1e90ff")
    assert config.calendar.reminders == "alarms"
    due = {s.id: deadline_for(s, config.calendar) for s in config.sims}
    assert list(due) == ["giffgaff-uk", "tello-us", "ee-uk", "tmobile-us", "cubacel-cu", "hahasim-hk",
                         "monthly-hk", "annual-plan"]
    # giffgaff preset (6 months, every kind counts): 2026-06-02 + 6 months = 2026-12-02.
    assert (due["giffgaff-uk"].due, due["giffgaff-uk"].stages) == (date(2026, 12, 2), ())
    assert due["giffgaff-uk"].sim.carrier == "giffgaff"  # from the preset
    # tello preset (3 months, top-ups only): the call of 2026-11-10 does not count; the $10 of
    # 2026-10-02 does: + 3 months = 2027-01-02.
    tello = due["tello-us"]
    assert (tello.due, tello.counted_from) == (date(2027, 1, 2), Renewal(
        date(2026, 10, 2), 10, "USD", "ussd", "ADD10PAYG"))
    # ee-uk preset (179 days): 2026-07-21 + 179: 10 to Jul 31, +31 Aug (41), +30 Sep (71), +31 Oct (102),
    # +30 Nov (132), +31 Dec (163), +16 = 2027-01-16. + 90 days: 15 to Jan 31, +28 Feb (43),
    # +31 Mar (74), +16 = 2027-04-16, the last day it can be reinstated; +91 = 04-17, +94 = 04-20.
    ee = due["ee-uk"]
    assert [on for on, _ in ee.stages] == [date(2027, 1, 16), date(2027, 4, 16), date(2027, 4, 17),
                                           date(2027, 4, 20)]
    assert (ee.due, ee.grace_until) == (date(2027, 1, 16), date(2027, 4, 16))
    # t-mobile-us preset, tiers from the later of the top-up and the expiry: $100 on 2026-03-01 gives
    # 365 days (no 29 February in between) = 2027-03-01; $10 on 2026-10-20 gives 90 days from that
    # expiry: 30 to Mar 31, +30 Apr (60), +30 = 2027-05-30. Stages: suspended from 05-30; +119 days:
    # 1 to May 31, +30 Jun (31), +31 Jul (62), +31 Aug (93), +26 = 09-26 (last day); cancelled 09-27.
    tmobile = due["tmobile-us"]
    assert (tmobile.due, tmobile.counted_from.date if tmobile.counted_from else None) == (
        date(2027, 5, 30), date(2026, 10, 20))
    assert [on for on, _ in tmobile.stages] == [date(2027, 5, 30), date(2027, 9, 26), date(2027, 9, 27)]
    assert tmobile.grace_until == date(2027, 9, 26)
    # cubacel preset (100 CUP or more: 330 days from the top-up; the 50 CUP of 2026-10-01 does not
    # count). 2026-08-05 + 330 days: 26 to Aug 31, then Sep..May (30+31+30+31+31+28+31+30+31 = 273,
    # 299), +31 = 2027-07-01; + 30 days grace = 2027-07-31.
    cubacel = due["cubacel-cu"]
    assert (cubacel.due, cubacel.grace_until) == (date(2027, 7, 1), date(2027, 7, 31))
    assert (cubacel.counted_from.date if cubacel.counted_from else None) == date(2026, 8, 5)
    assert cubacel.sim.last_renewal == Renewal(date(2026, 10, 1), 50, "CUP", "app", note="Transfermóvil")
    assert (cubacel.alarms, cubacel.alarm_time) == ((30, 7, 0), time(20, 0))
    assert cubacel.sim.rule == TopUp((Tier(100, relativedelta(days=330), "330 days"),), "topup")
    # hahasim preset: any top-up gives 365 days: 2026-05-18 + 365 = 2027-05-18 (no 29 February).
    assert due["hahasim-hk"].due == date(2027, 5, 18)
    assert isinstance(due["hahasim-hk"].sim.rule, TopUp)
    # HK$100 pays HK$18 on Dec 1 (82 left), Jan 1 (64), Feb 1 (46), Mar 1 (28), Apr 1 (10): not May 1.
    monthly = due["monthly-hk"]
    assert (monthly.due, len(monthly.charges)) == (date(2027, 5, 1), 5)
    assert monthly.sim.rule == Charge(18, relativedelta(months=1), "1 month", 100, date(2026, 11, 1),
                                      date(2026, 12, 1), "HKD")
    assert due["annual-plan"].due == date(2027, 3, 31)
    assert isinstance(due["annual-plan"].sim.rule, Expires)
    # The family feed: the two SIMs tagged "family" and the annual plan by its id, in config order.
    assert config.feeds == (NamedFeed("family", "家人的号码 Family numbers",
                                 ("giffgaff-uk", "ee-uk", "annual-plan"), None, "both"),)


# --- Defaults ----------------------------------------------------------------------------------

def test_calendar_defaults_when_omitted() -> None:
    config = parse_toml(SIM + RULE, SOURCE)
    calendar = config.calendar
    assert calendar.name == "SIM renewals"
    assert calendar.timezone == ZoneInfo("UTC")
    assert calendar.alarms == (14, 3, 0)
    assert calendar.alarm_time == time(9, 0)
    assert calendar.refresh == timedelta(hours=6)
    assert calendar.token is None
    assert calendar == CalendarSettings()


def test_empty_calendar_table_has_the_same_defaults() -> None:
    assert parse_toml("[calendar]\n").calendar == CalendarSettings()


def test_empty_config_has_no_sims() -> None:
    config = parse_toml("", SOURCE)
    assert config.sims == ()
    assert config.source == SOURCE
    assert config.modified == datetime(1970, 1, 1, tzinfo=UTC)


def test_sim_defaults() -> None:
    sim = sim_with(RULE)
    assert sim == Sim(id="cubacel", name="Cubacel",
                      rule=KeepAlive("330 days", relativedelta(days=330)),
                      renewals=(Renewal(date(2026, 8, 5), kind=None),))
    assert (sim.show_number, sim.alarms, sim.alarm_time, sim.stages, sim.tags, sim.preset) == (
        False, None, None, (), (), None)


def test_calendar_values() -> None:
    config = parse_toml(textwrap.dedent("""
        [calendar]
        name = "Mine"
        timezone = " America/Havana "
        alarms = ["0 days", "P2W", "3 days", "2 weeks"]
        alarm_time = "7:05"
        refresh = "1 minute"
        token = "abc.DEF_123~-x-FJERwcik3"
    """))
    # Alarms deduplicated (P2W = 2 weeks) and sorted, earliest warning first.
    assert config.calendar == CalendarSettings(
        name="Mine", timezone=ZoneInfo("America/Havana"), alarms=(14, 3, 0), alarm_time=time(7, 5),
        refresh=timedelta(minutes=1), token="abc.DEF_123~-x-FJERwcik3",
    )


def test_toml_local_time_for_alarm_time_drops_seconds() -> None:
    assert parse_toml("[calendar]\nalarm_time = 09:30:15\n").calendar.alarm_time == time(9, 30)


def test_renewals_and_last_renewal_merge_sorted() -> None:
    sim = sim_with("""
keep_alive = "6 months"
last_renewal = 2026-03-01
renewals = [{ date = 2026-05-01, amount = 9.99 }, { date = 2026-01-01 }]
""")
    assert [r.date for r in sim.renewals] == [date(2026, 1, 1), date(2026, 3, 1), date(2026, 5, 1)]
    # Renewals are top-ups unless they say otherwise; the bare last_renewal has no kind.
    assert [r.kind for r in sim.renewals] == ["topup", None, "topup"]
    assert sim.last_renewal == Renewal(date(2026, 5, 1), amount=9.99)


def test_renewal_fields_are_cleaned() -> None:
    sim = sim_with("""
keep_alive = "6 months"
renewals = [
  { date = 2026-01-15, amount = 10, currency = " gbp ", method = " App ", reference = "T1", note = "n" },
]
""")
    # Lower-case currency is stored upper-case; method is trimmed and lower-cased.
    assert sim.renewals == (Renewal(date(2026, 1, 15), 10, "GBP", "app", "T1", "n"),)


def test_sim_options() -> None:
    sim = sim_with(RULE + """
carrier = "Cubacel (ETECSA)"
country = "Cuba"
number = "+53 5555 4567"
show_number = true
renew_url = "http://www.etecsa.cu/"
how_to_renew = "Recharge"
notes = "Slow from abroad"
grace = "30 days"
alarms = []
alarm_time = "20:00"
""")
    assert (sim.carrier, sim.country, sim.number, sim.show_number) == ("Cubacel (ETECSA)", "Cuba",
                                                                         "+53 5555 4567", True)
    assert (sim.renew_url, sim.how_to_renew, sim.notes) == ("http://www.etecsa.cu/", "Recharge",
                                                            "Slow from abroad")
    assert sim.stages == (grace("30 days", relativedelta(days=30)),)
    assert (sim.alarms, sim.alarm_time) == ((), time(20, 0))


def test_modified_is_the_file_mtime(tmp_path: Path) -> None:
    path = tmp_path / "sims.toml"
    path.write_text(SIM + RULE, encoding="utf-8")
    os.utime(path, (1_780_000_000.7, 1_780_000_000.7))
    config = load_config(path, label="sims.toml")
    # Whole seconds: 1_780_000_000 s after the epoch.
    assert config.modified == datetime.fromtimestamp(1_780_000_000, UTC)
    assert config.source == "sims.toml"
    assert read_source(path) == (SIM + RULE, datetime.fromtimestamp(1_780_000_000, UTC))


def test_parse_config_takes_a_mapping() -> None:
    config = parse_config({"sim": [{"id": "a", "name": "A", "expires": date(2027, 1, 31)}]}, "dict")
    assert config.sims == (Sim("a", "A", Expires(date(2027, 1, 31))),)
    assert isinstance(config, Config)


# --- Sim.display_number and label -------------------------------------------------------------

@pytest.mark.parametrize(("number", "show", "display", "label"), [
    ("+53 5555 4567", False, "••4567", "Cubacel ••4567"),
    ("+53 5555 4567", True, "+53 5555 4567", "Cubacel +53 5555 4567"),
    ("12", False, "••12", "Cubacel ••12"),
    ("unknown", False, "••", "Cubacel ••"),
    (None, False, None, "Cubacel"),
    (None, True, None, "Cubacel"),
], ids=["masked", "shown", "short", "no-digits", "none", "none-shown"])
def test_display_number_and_label(number: str | None, show: bool, display: str | None, label: str) -> None:
    sim = Sim("cubacel", "Cubacel", Expires(date(2027, 1, 1)), number=number, show_number=show)
    assert sim.display_number == display
    assert sim.label == label


# --- Problems: one exact line each ------------------------------------------------------------

def test_keep_alive_typo_line() -> None:
    assert problems(SIM + 'keep_alive = "6 moths"\nlast_renewal = 2026-06-02\n', "config/sims.toml") == [
        'config/sims.toml: sim "cubacel": keep_alive: "6 moths" is not a duration '
        '(try "6 months", "180 days" or "P6M")',
    ]


def test_config_error_is_a_value_error() -> None:
    assert issubclass(ConfigError, ValueError)
    error = ConfigError([Problem("a.toml", None, None, (), "empty_file"),
                         Problem("b.toml", "sim", 0, ("id",), "empty")])
    lines = ["a.toml: the file is empty", "b.toml: sim #1: id: must not be empty"]
    assert (str(error), error.lines) == ("\n".join(lines), lines)


def test_source_defaults_to_config() -> None:
    with pytest.raises(ConfigError) as raised:
        parse_toml("colour = 1\n")
    assert raised.value.lines == ['<config>: config: unknown key "colour"']


@pytest.mark.parametrize(("text", "expected"), [
    ("sims = []\n", ['config/sims.toml: config: unknown key "sims" (did you mean "sim"?)']),
    ("[calender]\n", ['config/sims.toml: config: unknown key "calender" (did you mean "calendar"?)']),
    ("colour = 1\n", ['config/sims.toml: config: unknown key "colour"']),
    ('[calendar]\ntimezon = "UTC"\n',
     ['config/sims.toml: calendar: unknown key "timezon" (did you mean "timezone"?)']),
    ("[calendar]\nalarm = []\n",
     ['config/sims.toml: calendar: unknown key "alarm" (did you mean "alarms"?)']),
    ("[calendar]\nxyz = 1\n", ['config/sims.toml: calendar: unknown key "xyz"']),
    (SIM + RULE + 'keepalive = "6 months"\n',
     ['config/sims.toml: sim "cubacel": unknown key "keepalive" (did you mean "keep_alive"?)']),
    (SIM + RULE + "last_renewl = 2026-01-01\n",
     ['config/sims.toml: sim "cubacel": unknown key "last_renewl" (did you mean "last_renewal"?)']),
    (SIM + RULE + "colour = 1\n",
     ['config/sims.toml: sim "cubacel": unknown key "colour" (did you mean "country"?)']),
    (SIM + RULE + "xyz = 1\n", ['config/sims.toml: sim "cubacel": unknown key "xyz"']),
    (SIM + 'keep_alive = "6 months"\nrenewals = [{ date = 2026-01-01, amout = 1, ref = "x" }]\n', [
        'config/sims.toml: sim "cubacel": renewals[0]: unknown key "amout" (did you mean "amount"?)',
        'config/sims.toml: sim "cubacel": renewals[0]: unknown key "ref"',
    ]),
    # The keys that came with carrier rules, stages, presets and named feeds.
    ("feeds = []\n", ['config/sims.toml: config: unknown key "feeds" (did you mean "feed"?)']),
    ('[calendar]\ncolour = "teal"\n',
     ['config/sims.toml: calendar: unknown key "colour" (did you mean "color"?)']),
    ('[calendar]\nreminder = "events"\n',
     ['config/sims.toml: calendar: unknown key "reminder" (did you mean "reminders"?)']),
    (SIM + RULE + "stage = []\n",
     ['config/sims.toml: sim "cubacel": unknown key "stage" (did you mean "stages"?)']),
    (SIM + RULE + 'tag = ["a"]\n',
     ['config/sims.toml: sim "cubacel": unknown key "tag" (did you mean "tags"?)']),
    (SIM + RULE + 'presets = "giffgaff"\n',
     ['config/sims.toml: sim "cubacel": unknown key "presets" (did you mean "preset"?)']),
    (SIM + RULE + 'count = ["sms"]\n',
     ['config/sims.toml: sim "cubacel": unknown key "count" (did you mean "counts"?)']),
    (SIM + 'keep_alive = "6 months"\nrenewals = [{ date = 2026-01-01, knd = "sms" }]\n',
     ['config/sims.toml: sim "cubacel": renewals[0]: unknown key "knd" (did you mean "kind"?)']),
], ids=["top-level-hint", "top-level-table-hint", "top-level", "calendar-hint", "calendar-hint-plural",
        "calendar", "sim-hint", "sim-hint-2", "sim-hint-3", "sim", "renewal", "feed-hint", "color-hint",
        "reminders-hint", "stages-hint", "tags-hint", "preset-hint", "counts-hint", "kind-hint"])
def test_unknown_keys(text: str, expected: list[str]) -> None:
    assert problems(text) == expected


def test_missing_id_and_name() -> None:
    assert problems("[[sim]]\n" + RULE) == [
        "config/sims.toml: sim #1: id is missing",
        "config/sims.toml: sim #1: name is missing",
    ]


def test_second_sim_is_numbered() -> None:
    found = problems(SIM + RULE + '[[sim]]\nname = "B"\n' + RULE)
    assert found == ["config/sims.toml: sim #2: id is missing"]


ID_RULE = ('must be lower-case letters, digits and dashes (like "giffgaff-uk"), '
           "starting with a letter or digit, at most 64 characters")


@pytest.mark.parametrize(("sim_id", "expected"), [
    ('"Bad ID"', f'config/sims.toml: sim "Bad ID": id: "Bad ID" {ID_RULE}'),
    ('"-dash"', f'config/sims.toml: sim "-dash": id: "-dash" {ID_RULE}'),
    ('"ca_fe"', f'config/sims.toml: sim "ca_fe": id: "ca_fe" {ID_RULE}'),
    ('"ünï"', f'config/sims.toml: sim "ünï": id: "ünï" {ID_RULE}'),
    ('"' + "a" * 65 + '"',
     f'config/sims.toml: sim "{"a" * 56}...: id: "{"a" * 56}... {ID_RULE}'),
    ('""', 'config/sims.toml: sim "": id: must not be empty'),
    ("5", "config/sims.toml: sim #1: id: 5 must be a string in quotes"),
], ids=["upper-case-and-space", "leading-dash", "underscore", "non-ascii", "65-characters", "empty",
        "integer"])
def test_bad_id(sim_id: str, expected: str) -> None:
    assert one_problem(f'[[sim]]\nid = {sim_id}\nname = "X"\n' + RULE) == expected


@pytest.mark.parametrize("sim_id", ["a", "0", "a" * 64, "giffgaff-uk", "3-hk", "a-"],
                         ids=["one-letter", "one-digit", "64-characters", "dashes", "digit-first",
                              "trailing-dash"])
def test_good_id(sim_id: str) -> None:
    assert parse_toml(f'[[sim]]\nid = "{sim_id}"\nname = "X"\n' + RULE).sims[0].id == sim_id


def test_duplicate_ids() -> None:
    assert problems(SIM + RULE + SIM + 'expires = 2027-01-01\n') == [
        'config/sims.toml: sim "cubacel": id: is used by another [[sim]]; ids must be unique',
    ]


def test_empty_name() -> None:
    assert one_problem(SIM.replace('"Cubacel"', '"  "') + RULE) == (
        'config/sims.toml: sim "cubacel": name: must not be empty')


def test_neither_rule() -> None:
    assert one_problem(SIM) == (
        'config/sims.toml: sim "cubacel": needs exactly one rule: keep_alive, expires, topup or charge')


def test_both_rules() -> None:
    assert one_problem(SIM + RULE + "expires = 2027-01-01\n") == (
        'config/sims.toml: sim "cubacel": needs exactly one rule: keep_alive, expires, topup or charge '
        "(it has keep_alive, expires)")


def test_keep_alive_without_a_renewal_date() -> None:
    assert one_problem(SIM + 'keep_alive = "6 months"\n') == (
        'config/sims.toml: sim "cubacel": keep_alive: needs last_renewal (or renewals) to count from')


def test_keep_alive_with_an_empty_renewals_list() -> None:
    # Was accepted, and deadline_for then raised on every render of the feed.
    assert one_problem(SIM + 'keep_alive = "6 months"\nrenewals = []\n') == (
        'config/sims.toml: sim "cubacel": keep_alive: needs last_renewal (or renewals) to count from')


def test_keep_alive_with_a_bad_date_is_reported_once() -> None:
    # The date's own problem, and no "needs last_renewal" on top of it.
    assert one_problem(SIM + 'keep_alive = "6 months"\nlast_renewal = "2026-06-02"\n') == (
        'config/sims.toml: sim "cubacel": last_renewal: "2026-06-02" is a string; '
        "write the date without quotes, like 2026-06-02")
    assert one_problem(SIM + 'keep_alive = "6 months"\nrenewals = [{ amount = 1 }]\n') == (
        'config/sims.toml: sim "cubacel": renewals[0]: date is missing')


@pytest.mark.parametrize(("rule", "expected"), [
    ('"0 days"', '"0 days" must be longer than zero'),
    ('"P0D"', '"P0D" must be longer than zero'),
    ('"6 hours"', '"6 hours": use days, weeks, months or years here, not hours'),
    ("180", "180 must be a string in quotes"),
    ('""', "must not be empty"),
    ('"8000 years"', '"8000 years" is too long'),
], ids=["zero", "iso-zero", "hours", "integer", "empty", "too-long"])
def test_bad_keep_alive(rule: str, expected: str) -> None:
    assert one_problem(SIM + f"keep_alive = {rule}\nlast_renewal = 2026-06-02\n") == (
        f'config/sims.toml: sim "cubacel": keep_alive: {expected}')


def test_bad_grace() -> None:
    assert one_problem(SIM + RULE + 'grace = "0 days"\n') == (
        'config/sims.toml: sim "cubacel": grace: "0 days" must be longer than zero')


PAST_9999 = "the deadline or a stage falls after 9999-12-30, the last day the feed can show"


@pytest.mark.parametrize("extra", [
    "expires = 9999-12-31\n",
    'keep_alive = "6 months"\nlast_renewal = 9999-07-01\n',
    'keep_alive = "7990 years"\nlast_renewal = 2026-01-01\n',
    # 9999-12-01 + 30 days = 9999-12-31.
    'expires = 9999-12-01\ngrace = "30 days"\n',
], ids=["expires-9999-12-31", "keep-alive-past-9999", "keep-alive-years-past-9999", "grace-past-9999"])
def test_deadline_past_what_the_feed_can_show(extra: str) -> None:
    # Each used to load and then crash the feed (OverflowError or ValueError on every render).
    assert one_problem(SIM + extra) == f'config/sims.toml: sim "cubacel": {PAST_9999}'


def test_last_day_the_feed_can_show() -> None:
    assert deadline_for(sim_with("expires = 9999-12-30\n"), CalendarSettings()).due == date(9999, 12, 30)


@pytest.mark.parametrize(("value", "expected"), [
    ('"2026-06-02"', '"2026-06-02" is a string; write the date without quotes, like 2026-06-02'),
    ("2026-06-02T10:00:00", "2026-06-02T10:00:00 must be a date without a time, like 2026-06-02"),
    ("2026-06-02T10:00:00Z", "2026-06-02T10:00:00+00:00 must be a date without a time, like 2026-06-02"),
    ("2026-06-02 10:00:00+08:00",
     "2026-06-02T10:00:00+08:00 must be a date without a time, like 2026-06-02"),
    ("20260602", "20260602 must be a date, like 2026-06-02"),
    ("10:00:00", "10:00:00 must be a date, like 2026-06-02"),
    # Time-zone arithmetic overflows near year 1; no SIM predates 1900.
    ("0001-01-01", "0001-01-01 is before 1900-01-01"),
    ("1899-12-31", "1899-12-31 is before 1900-01-01"),
], ids=["quoted", "local-datetime", "utc-datetime", "offset-datetime", "integer", "time", "year-1",
        "before-1900"])
def test_bad_dates(value: str, expected: str) -> None:
    assert one_problem(SIM + f"expires = {value}\n") == (
        f'config/sims.toml: sim "cubacel": expires: {expected}')
    assert one_problem(SIM + f'keep_alive = "6 months"\nlast_renewal = {value}\n') == (
        f'config/sims.toml: sim "cubacel": last_renewal: {expected}')
    assert one_problem(SIM + f'keep_alive = "6 months"\nrenewals = [{{ date = {value} }}]\n') == (
        f'config/sims.toml: sim "cubacel": renewals[0]: date: {expected}')


def test_renewals_not_a_list() -> None:
    assert one_problem(SIM + 'keep_alive = "6 months"\nrenewals = "2026-01-01"\n') == (
        'config/sims.toml: sim "cubacel": renewals: must be a list of tables like '
        '[{ date = 2026-06-02, amount = 10 }]')


def test_renewal_not_a_table() -> None:
    assert one_problem(SIM + 'keep_alive = "6 months"\nrenewals = [2026-01-01]\n') == (
        'config/sims.toml: sim "cubacel": renewals[0]: 2026-01-01 must be a table '
        "like { date = 2026-06-02, amount = 10 }")


@pytest.mark.parametrize(("zone", "expected"), [
    ('"Mars/Olympus"', '"Mars/Olympus" is not a known time zone (like "Europe/London")'),
    ('"../etc/passwd"', '"../etc/passwd" is not a known time zone (like "Europe/London")'),
    ('"europe/london"', '"europe/london" is not a known time zone (like "Europe/London")'),
    ('""', "must not be empty"),
    ("0", "0 must be a string in quotes"),
], ids=["unknown", "path", "wrong-case", "empty", "integer"])
def test_bad_timezone(zone: str, expected: str) -> None:
    assert one_problem(f"[calendar]\ntimezone = {zone}\n") == (
        f"config/sims.toml: calendar: timezone: {expected}")


ALARM_TIME = 'must be a time of day as "HH:MM", like "09:00"'


@pytest.mark.parametrize(("value", "expected"), [
    ('"9am"', f'"9am" {ALARM_TIME}'),
    ('"24:00"', f'"24:00" {ALARM_TIME}'),
    ('"09:60"', f'"09:60" {ALARM_TIME}'),
    ('"09:00:00"', f'"09:00:00" {ALARM_TIME}'),
    ("9", "9 must be a string in quotes"),
], ids=["words", "24-hours", "60-minutes", "seconds", "integer"])
def test_bad_alarm_time(value: str, expected: str) -> None:
    assert one_problem(f"[calendar]\nalarm_time = {value}\n") == (
        f"config/sims.toml: calendar: alarm_time: {expected}")
    assert one_problem(SIM + RULE + f"alarm_time = {value}\n") == (
        f'config/sims.toml: sim "cubacel": alarm_time: {expected}')


@pytest.mark.parametrize(("value", "expected"), [
    ('"14 days"', '"14 days" must be a list like ["14 days", "3 days", "0 days"]'),
    ('["1 month"]', '"1 month": use days or weeks here, not months'),
    ('["P1M"]', '"P1M": use days or weeks here, not months'),
    ('["367 days"]', '"367 days" is more than 366 days ahead'),
    ('["53 weeks"]', '"53 weeks" is more than 366 days ahead'),
    ('["6 hours"]', '"6 hours": use days or weeks here, not hours'),
    ("[14]", "14 must be a string in quotes"),
    ('["3 dyas"]', '"3 dyas" is not a duration (try "6 months", "180 days" or "P6M")'),
], ids=["not-a-list", "months", "iso-months", "over-366-days", "over-366-days-in-weeks", "hours",
        "integer", "typo"])
def test_bad_alarms(value: str, expected: str) -> None:
    assert one_problem(f"[calendar]\nalarms = {value}\n") == f"config/sims.toml: calendar: alarms: {expected}"
    assert one_problem(SIM + RULE + f"alarms = {value}\n") == (
        f'config/sims.toml: sim "cubacel": alarms: {expected}')


def test_alarms_up_to_366_days() -> None:
    assert parse_toml('[calendar]\nalarms = ["366 days", "P52W"]\n').calendar.alarms == (366, 364)


@pytest.mark.parametrize(("value", "expected"), [
    ('"6 moths"', '"6 moths" is not a duration (try "6 months", "180 days" or "P6M")'),
    ('"1 month"', '"1 month": use weeks, days, hours or minutes here, not months'),
    ('"0 minutes"', '"0 minutes" must be at least 1 minute'),
    ('"PT0M"', '"PT0M" must be at least 1 minute'),
    ('"1000000000 days"', '"1000000000 days" is too long'),
    ("6", "6 must be a string in quotes"),
], ids=["typo", "months", "zero", "iso-zero", "too-long", "integer"])
def test_bad_refresh(value: str, expected: str) -> None:
    assert one_problem(f"[calendar]\nrefresh = {value}\n") == (
        f"config/sims.toml: calendar: refresh: {expected}")


def test_refresh_of_one_minute_is_enough() -> None:
    assert parse_toml('[calendar]\nrefresh = "PT1M"\n').calendar.refresh == timedelta(minutes=1)


@pytest.mark.parametrize("value", ['"short"', '"has space in it"', '"a/b/c/d/e/f"', '"' + "a" * 257 + '"',
                                   "12345678", '""', '"' + "Vq3-Xw9_kLm2Pz8RtY4nB" + '"'],
                         ids=["too-short", "space", "slash", "too-long", "integer", "empty", "21-characters"])
def test_bad_token(value: str) -> None:
    assert one_problem(f"[calendar]\ntoken = {value}\n") == f"config/sims.toml: calendar: token: {TOKEN_HINT}"


@pytest.mark.parametrize("value", ["447700900999", "4.477e11", '"  "', '["+44 7700 900999"]'],
                         ids=["integer", "float", "blank", "list"])
def test_bad_number_is_not_echoed(value: str) -> None:
    line = one_problem(SIM + RULE + f"number = {value}\n")
    assert line == ('config/sims.toml: sim "cubacel": number: must be a phone number in quotes, '
                    'like "+44 7700 900123"')
    assert "900999" not in line
    assert "4477" not in line


@pytest.mark.parametrize(("value", "expected"), [
    ("-1", "-1 must be zero or more"),
    ("-0.01", "-0.01 must be zero or more"),
    ('"10"', '"10" must be a number, like 10 or 9.99'),
    ("true", "True must be a number, like 10 or 9.99"),
    # TOML has inf and nan; both are refused, with the same (misleading for inf) wording.
    ("inf", "inf must be a finite number, like 10 or 9.99"),
    ("-inf", "-inf must be a finite number, like 10 or 9.99"),
    ("nan", "nan must be a finite number, like 10 or 9.99"),
], ids=["negative", "negative-float", "string", "bool", "inf", "minus-inf", "nan"])
def test_bad_amount(value: str, expected: str) -> None:
    assert one_problem(renewal_with(f"amount = {value}")) == (
        f'config/sims.toml: sim "cubacel": renewals[0]: amount: {expected}')


def test_zero_amount_is_fine() -> None:
    sim = sim_with('keep_alive = "6 months"\nrenewals = [{ date = 2026-01-01, amount = 0 }]\n')
    assert sim.renewals[0].amount == 0


@pytest.mark.parametrize("value", ['"£"', '"GB"', '"POUNDS"', '"G1P"'],
                         ids=["symbol", "two-letters", "word", "digit"])
def test_bad_currency(value: str) -> None:
    assert one_problem(renewal_with(f"currency = {value}")) == (
        f'config/sims.toml: sim "cubacel": renewals[0]: currency: {value} '
        'must be a three-letter currency code, like "GBP"')


def test_bad_method() -> None:
    assert one_problem(renewal_with('method = "paypal"')) == (
        'config/sims.toml: sim "cubacel": renewals[0]: method: "paypal" must be one of '
        "app, web, ussd, shop, support, other")


@pytest.mark.parametrize("url", ["javascript:alert(1)", "www.giffgaff.com", "ftp://example.com/",
                                 "https://", "https://x.com/a b"],
                         ids=["javascript", "no-scheme", "ftp", "no-host", "space"])
def test_bad_renew_url(url: str) -> None:
    assert one_problem(SIM + RULE + f'renew_url = "{url}"\n') == (
        f'config/sims.toml: sim "cubacel": renew_url: "{url}" must be a web address starting with https://')


def test_bad_show_number() -> None:
    assert one_problem(SIM + RULE + 'show_number = "yes"\n') == (
        'config/sims.toml: sim "cubacel": show_number: "yes" must be true or false')


def test_bad_tables() -> None:
    assert problems("calendar = 5\n") == ["config/sims.toml: calendar: 5 must be a table like [calendar]"]
    assert problems("sim = 5\n") == ["config/sims.toml: sim: must be written as [[sim]] tables"]
    assert problems("sim = [5]\n") == [
        'config/sims.toml: sim #1: 5 must be a table like [[sim]] with id = "…" and name = "…"']


# --- Whole-file problems ------------------------------------------------------------------------

def test_toml_syntax_error_names_line_and_column() -> None:
    assert problems('[calendar]\nname = "x"\nrefresh 6\n') == [
        "config/sims.toml: line 3, column 9, in [calendar]: this is not valid TOML: refresh 6 (a key and "
        "its value are written key = value, like keep_alive = \"6 months\"; tomllib: Expected '=' after a "
        "key in a key/value pair)",
    ]


def test_unterminated_string_names_line_and_column() -> None:
    assert problems(SIM + 'keep_alive = "6 months\n') == [
        # SIM starts with a blank line: line 5 is `keep_alive = "6 months`, 22 characters.
        'config/sims.toml: line 5, column 23, in [[sim]] "cubacel": this is not valid TOML: '
        'keep_alive = "6 months (a text in quotes must end on the same line with its closing quote; '
        "tomllib: Illegal character '\\n')",
    ]


def test_file_not_found(tmp_path: Path) -> None:
    missing = tmp_path / "nope.toml"
    with pytest.raises(ConfigError) as raised:
        load_config(missing)
    assert raised.value.lines == [f"{missing}: cannot read the file: No such file or directory"]


def test_file_not_found_uses_the_label(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as raised:
        load_config(tmp_path / "nope.toml", label="config/sims.toml")
    assert raised.value.lines == ["config/sims.toml: cannot read the file: No such file or directory"]


def test_directory_instead_of_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as raised:
        load_config(tmp_path, label="config")
    assert raised.value.lines == ["config: cannot read the file: Is a directory"]


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "sims.toml"
    # 11 bytes of "[calendar]\n", 11 of 'name = "caf', then a Latin-1 e-acute at offset 22.
    path.write_bytes(b'[calendar]\nname = "caf\xe9"\n')
    with pytest.raises(ConfigError) as raised:
        load_config(path, label="config/sims.toml")
    assert raised.value.lines == ["config/sims.toml: not UTF-8 text (byte 22)"]


def test_problems_in_a_file_carry_its_label(tmp_path: Path) -> None:
    path = tmp_path / "sims.toml"
    path.write_text(SIM + 'keep_alive = "6 moths"\nlast_renewal = 2026-06-02\n', encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        load_config(path, label="config/sims.toml")
    assert raised.value.lines == [
        'config/sims.toml: sim "cubacel": keep_alive: "6 moths" is not a duration '
        '(try "6 months", "180 days" or "P6M")',
    ]


def test_several_problems_at_once() -> None:
    text = """
[calendar]
timezone = "Mars/Olympus"
refresh = "0 minutes"
colour = "blue"

[[sim]]
id = "cubacel"
name = "Cubacel"
keep_alive = "6 moths"
last_renewal = "2026-06-02"
number = 5355554567
renewals = [{ date = 2026-01-01, amount = -5, currency = "pesos" }]

[[sim]]
name = "No id"
expires = 2027-01-01

[[sim]]
id = "fine"
name = "Fine"
expires = 2027-01-01
"""
    found = problems(text)
    assert found == [
        'config/sims.toml: calendar: unknown key "colour" (did you mean "color"?)',
        'config/sims.toml: calendar: refresh: "0 minutes" must be at least 1 minute',
        'config/sims.toml: calendar: timezone: "Mars/Olympus" is not a known time zone '
        '(like "Europe/London")',
        'config/sims.toml: sim "cubacel": renewals[0]: amount: -5 must be zero or more',
        'config/sims.toml: sim "cubacel": renewals[0]: currency: "pesos" must be a three-letter '
        'currency code, like "GBP"',
        'config/sims.toml: sim "cubacel": last_renewal: "2026-06-02" is a string; write the date '
        "without quotes, like 2026-06-02",
        'config/sims.toml: sim "cubacel": keep_alive: "6 moths" is not a duration '
        '(try "6 months", "180 days" or "P6M")',
        'config/sims.toml: sim "cubacel": number: must be a phone number in quotes, like "+44 7700 900123"',
        "config/sims.toml: sim #2: id is missing",
    ]
    with pytest.raises(ConfigError) as raised:
        parse_toml(text, SOURCE)
    assert len(str(raised.value).splitlines()) == 9


# --- regressions found by the property tests (issue 7) ------------------------------------------

def test_regression_an_integer_of_more_than_4300_digits_is_a_config_error() -> None:
    # tomllib lets Python's "Exceeds the limit (4300 digits)" ValueError through; it is not a
    # TOMLDecodeError, so it escaped as a traceback and the watcher stopped serving.
    problem = one_problem("[calendar]\nname = " + "1" * 5000)
    assert problem == f"{SOURCE}: an integer has more than 4300 digits"


def test_regression_a_duration_of_more_than_4300_digits_is_a_config_error() -> None:
    assert one_problem('[calendar]\nrefresh = "' + "1" * 5000 + ' days"') == (
        f'{SOURCE}: calendar: refresh: "{"1" * 56}... is too long')
