"""Issue 4, through the served feed: reminder events, alarm leads, calendar colour, named feeds.

Every feed is fetched over HTTP and read back by three parsers (icalendar, which
writes it; `ical`, strict and pydantic-based; and vobject); `parse` insists that
all three read the same thing. Dates are worked out by hand in the comments.

The parsing helpers (tests/helpers.py) and the `serve` fixture (tests/conftest.py) are shared
with tests/test_rules.py and tests/test_presets.py.
"""

from __future__ import annotations

import textwrap
from datetime import date, timedelta

import pytest
from flask.testing import FlaskClient

from feed.config.load import parse_toml

from .helpers import Cal, config_problems, fetch, parse, shared_sim, valarm_count

# ----------------------------------------------------------------------- reminders

REMINDERS = """
[calendar]
name = "Test SIMs"
timezone = "Europe/London"
{calendar}

[[sim]]
id = "cubacel"
preset = "cubacel"
name = "Cubacel"
number = "+53 5555 4567"
renewals = [{{ date = 2026-01-24, amount = 100, currency = "CUP" }}]

""" + shared_sim("plan", alarms=["1 day", "0 days"])

# Cubacel: 330 days from the top-up of 100 CUP on 2026-01-24: 7 days to Jan 31, then
# 28 (Feb) + 31 + 30 + 31 + 30 + 31 + 31 + 30 + 31 + 30 (Nov) = 310 more to Nov 30 (310
# in all), and 20 more: 2026-12-20. Alarms 14, 3, 0 days (the calendar's default):
# warnings on Dec 20 - 14 = 2026-12-06 and Dec 20 - 3 = 2026-12-17; "0 days" has none.
# The preset's grace of 30 days: Dec 20 + 11 = Dec 31, + 19 = 2027-01-19, the last day to recover.
# Plan: expires 2027-03-31, alarms 1 and 0 days: one warning, on 2027-03-30.
DEADLINES = {"cubacel-deadline@simfeed": date(2026, 12, 20), "plan-deadline@simfeed": date(2027, 3, 31)}
STAGES = {"cubacel-stage-0@simfeed": date(2027, 1, 19)}
WARNINGS = {
    "cubacel-warning-14d@simfeed": (date(2026, 12, 6), "Renew Cubacel ••4567 within 14 days — by 20 Dec"),
    "cubacel-warning-3d@simfeed": (date(2026, 12, 17), "Renew Cubacel ••4567 within 3 days — by 20 Dec"),
    "plan-warning-1d@simfeed": (date(2027, 3, 30), "Renew Plan within 1 day — by 31 Mar"),
}
# VALARMs in "alarms" mode: Cubacel's deadline 3, its last day to recover 1, the plan's deadline 2.
ALARMS = 3 + 1 + 2


def reminders_config(calendar: str = "") -> str:
    return REMINDERS.format(calendar=calendar)


def assert_warning_events(feed: Cal) -> None:
    for uid, (day, summary) in WARNINGS.items():
        warning = feed.event(uid)
        assert warning.start == day
        assert warning.summary == summary
        assert warning.alarms == ()
    assert feed.event("cubacel-warning-14d@simfeed").url == "https://www.etecsa.cu/"


def test_default_is_alarms_only(serve):
    raw = fetch(serve(reminders_config()), "/calendar.ics")
    feed = parse(raw)
    assert feed.starts() == {**DEADLINES, **STAGES}
    assert valarm_count(raw) == ALARMS
    assert [len(e.alarms) for e in feed.events] == [3, 1, 2]


def test_events_mode_adds_warning_events_and_drops_every_valarm(serve):
    raw = fetch(serve(reminders_config()), "/calendar.ics?reminders=events")
    feed = parse(raw)
    assert feed.starts() == {**DEADLINES, **STAGES, **{uid: day for uid, (day, _) in WARNINGS.items()}}
    assert_warning_events(feed)
    # No VALARM anywhere: not on deadlines, not on warnings, not on stages.
    assert valarm_count(raw) == 0
    assert all(e.alarms == () for e in feed.events)
    # No warning for the "0 days" alarms, and none for the stage (only deadlines get warnings).
    assert not any(uid.endswith("-warning-0d@simfeed") for uid in feed.uids)
    assert [uid for uid in feed.uids if "warning" in uid] == list(WARNINGS)


def test_both_mode_has_warning_events_and_the_alarms(serve):
    raw = fetch(serve(reminders_config()), "/calendar.ics?reminders=both")
    feed = parse(raw)
    assert feed.starts() == {**DEADLINES, **STAGES, **{uid: day for uid, (day, _) in WARNINGS.items()}}
    assert_warning_events(feed)
    # The VALARMs are those of "alarms" mode; the warning events carry none of their own.
    assert valarm_count(raw) == ALARMS
    assert len(feed.event("cubacel-deadline@simfeed").alarms) == 3
    assert len(feed.event("cubacel-stage-0@simfeed").alarms) == 1


def test_warning_events_describe_the_deadline(serve):
    feed = parse(fetch(serve(reminders_config()), "/calendar.ics?reminders=events"))
    deadline = feed.event("cubacel-deadline@simfeed")
    warning = feed.event("cubacel-warning-14d@simfeed")
    assert warning.description == deadline.description
    assert warning.description is not None and "(deadline 2026-12-20)" in warning.description


def test_warning_uids_are_stable_when_the_deadline_moves(serve):
    first = parse(fetch(serve(reminders_config()), "/calendar.ics?reminders=events"))
    again = parse(fetch(serve(reminders_config()), "/calendar.ics?reminders=events"))
    assert again == first
    # A top-up on 2026-02-03 (10 days later) moves every date by 10 days, but no UID:
    # 2026-12-20 + 10 = 2026-12-30; warnings on Dec 16 and Dec 27.
    moved = parse(fetch(serve(reminders_config().replace("2026-01-24", "2026-02-03")),
                        "/calendar.ics?reminders=events"))
    assert moved.uids == first.uids
    assert moved.event("cubacel-warning-14d@simfeed").start == date(2026, 12, 16)
    assert moved.event("cubacel-warning-3d@simfeed").summary == (
        "Renew Cubacel ••4567 within 3 days — by 30 Dec")


@pytest.mark.parametrize(("setting", "default_warnings", "default_alarms"), [
    ('reminders = "alarms"', False, ALARMS),
    ('reminders = "events"', True, 0),
    ('reminders = "both"', True, ALARMS),
])
def test_calendar_setting_is_the_default_and_the_url_overrides_it(serve, setting, default_warnings,
                                                                   default_alarms):
    client = serve(reminders_config(setting))
    raw = fetch(client, "/calendar.ics")
    assert any("warning" in uid for uid in parse(raw).uids) == default_warnings
    assert valarm_count(raw) == default_alarms
    # The URL parameter wins, whatever the default.
    for mode, warnings, alarms in (("alarms", False, ALARMS), ("events", True, 0), ("both", True, ALARMS)):
        raw = fetch(client, f"/calendar.ics?reminders={mode}")
        assert any("warning" in uid for uid in parse(raw).uids) == warnings
        assert valarm_count(raw) == alarms
    # The feed of one SIM follows the same default and takes the same parameter.
    raw = fetch(client, "/sims/plan.ics")
    assert ("plan-warning-1d@simfeed" in parse(raw).uids) == default_warnings
    raw = fetch(client, "/sims/plan.ics?reminders=events")
    assert parse(raw).uids == ["plan-deadline@simfeed", "plan-warning-1d@simfeed"]
    assert valarm_count(raw) == 0


@pytest.mark.parametrize("value", ["", "popup", "EVENTS", "alarm", "events,alarms"])
@pytest.mark.parametrize("url", ["/calendar.ics", "/sims/plan.ics", "/feeds/mine.ics"])
def test_a_bad_reminders_parameter_is_400(serve, url, value):
    client = serve(reminders_config() + '\n[[feed]]\nid = "mine"\nname = "Mine"\nsims = ["plan"]\n')
    response = client.get(url, query_string={"reminders": value})
    assert response.status_code == 400
    assert b"reminders must be one of alarms, events, both" in response.get_data()


@pytest.mark.parametrize("value", ['"popups"', '"none"', "true", '["events"]'])
def test_a_bad_reminders_setting_is_a_config_error(value):
    problems = config_problems(reminders_config(f"reminders = {value}"))
    assert len(problems) == 1
    assert problems[0].startswith("test.toml: calendar: reminders: ")


# --------------------------------------------------------------------- alarm leads

LONG_LEADS = """
[calendar]
timezone = "UTC"

[[sim]]
id = "year"
name = "Year"
expires = 2027-12-31
alarms = [{leads}]
"""


def test_alarm_leads_of_up_to_366_days(serve):
    client = serve(LONG_LEADS.format(leads='"366 days", "52 weeks"'))
    # 2027 is not a leap year: 2027-12-31 is 365 days after 2026-12-31, so 366 days before it
    # is 2026-12-30; 52 weeks = 364 days before it is 2027-01-01 (day 365 - 364 = day 1).
    feed = parse(fetch(client, "/calendar.ics?reminders=events"))
    assert feed.starts() == {"year-deadline@simfeed": date(2027, 12, 31),
                             "year-warning-366d@simfeed": date(2026, 12, 30),
                             "year-warning-364d@simfeed": date(2027, 1, 1)}
    assert feed.event("year-warning-366d@simfeed").summary == "Renew Year within 366 days — by 31 Dec"
    assert feed.event("year-warning-364d@simfeed").summary == "Renew Year within 364 days — by 31 Dec"
    # As alarms: 09:00 UTC on those days, i.e. 366 days before the deadline's midnight plus 9 hours.
    (deadline,) = parse(fetch(client, "/calendar.ics")).events
    assert [a.trigger for a in deadline.alarms] == [timedelta(days=-366, hours=9),
                                                    timedelta(days=-364, hours=9)]


@pytest.mark.parametrize(("lead", "days"), [("367 days", 367), ("53 weeks", 371), ("52 weeks 3 days", 367)])
def test_an_alarm_lead_over_366_days_is_a_config_error(lead, days):
    assert days > 366
    problems = config_problems(LONG_LEADS.format(leads=f'"{lead}"'))
    assert problems == [f'test.toml: sim "year": alarms: "{lead}" is more than 366 days ahead']
    calendar = config_problems(f'[calendar]\nalarms = ["3 days", "{lead}"]\n')
    assert calendar == [f'test.toml: calendar: alarms: "{lead}" is more than 366 days ahead']


# --------------------------------------------------------------------------- colour

COLOURED = """
[calendar]
name = "Coloured"
{color}

""" + shared_sim("plan")


@pytest.mark.parametrize(("setting", "name", "hex_value"), [
    # A CSS3 name, any case: COLOR is the name, X-APPLE-CALENDAR-COLOR its hex value.
    ('"Teal"', "teal", "#008080"),
    ('"dodgerblue"', "dodgerblue", "#1E90FF"),
    # A hex value is kept as given (upper-cased) and COLOR is the nearest CSS3 name:
    # dodgerblue is (30, 144, 255); #1E90FE is (30, 144, 254), at distance 1.
    ('"#1E90FE"', "dodgerblue", "#1E90FE"),
    # orange is (255, 165, 0); #ffa501 is (255, 165, 1).
    ('"#ffa501"', "orange", "#FFA501"),
    # An exact CSS3 colour gives its own name: #008080 is teal.
    ('"#008080"', "teal", "#008080"),
    # red is (255, 0, 0): #F00A0A is (240, 10, 10), at 15² + 10² + 10² = 425; the nearest
    # other names are further (crimson (220, 20, 60): 20² + 10² + 50² = 3000).
    ('"#F00A0A"', "red", "#F00A0A"),
])
def test_calendar_colour(serve, setting, name, hex_value):
    client = serve(COLOURED.format(color=f"color = {setting}"))
    for url in ("/calendar.ics", "/sims/plan.ics"):
        raw = fetch(client, url)
        feed = parse(raw)
        assert feed.color == name
        assert feed.apple_color == hex_value
        lines = raw.decode().split("\r\n")
        assert f"COLOR:{name}" in lines
        assert f"X-APPLE-CALENDAR-COLOR:{hex_value}" in lines


def test_no_colour_no_colour_properties(serve):
    raw = fetch(serve(COLOURED.format(color="")), "/calendar.ics")
    feed = parse(raw)
    assert feed.color is None and feed.apple_color is None
    assert b"COLOR" not in raw


@pytest.mark.parametrize("value", ['"#12345"', '"#1234567"', '"#GGGGGG"', '"1E90FF"', '"#FFF"',
                                   '"blurple"', '"transparent"', '""', "12", "true"])
def test_a_bad_colour_is_a_config_error(value):
    problems = config_problems(COLOURED.format(color=f"color = {value}"))
    assert len(problems) == 1
    assert problems[0].startswith("test.toml: calendar: color: ")


# ---------------------------------------------------------------------- named feeds

NAMED = """
[calendar]
name = "All SIMs"
timezone = "Europe/London"
{calendar}

[[sim]]
id = "mine"
name = "Mine"
expires = 2027-01-10
tags = ["me"]

[[sim]]
id = "mum"
name = "Mum"
expires = 2027-02-10
tags = ["family", "uk"]

[[sim]]
id = "dad"
name = "Dad"
expires = 2027-03-10
tags = ["family"]

[[sim]]
id = "spare"
name = "Spare"
expires = 2027-04-10

{feeds}
"""

ALL = ["mine-deadline@simfeed", "mum-deadline@simfeed", "dad-deadline@simfeed", "spare-deadline@simfeed"]
CALENDAR_TOKEN = "calendar-token-1-Fh4Q6aE"
ALICE_TOKEN = "alice-token-123-fN15aZgr"
BOB_TOKEN = "bob-token-4567-iV6AkzR55"

TOKENED_FEEDS = f"""
[[feed]]
id = "alice"
name = "Alice's numbers"
token = "{ALICE_TOKEN}"
sims = ["mine"]

[[feed]]
id = "bob"
name = "Bob: family"
token = "{BOB_TOKEN}"
tags = ["family"]
"""


def named(feeds: str, calendar: str = "") -> str:
    return NAMED.format(calendar=calendar, feeds=feeds)


def test_a_named_feed_has_its_sims_and_its_name(serve):
    client = serve(named("""
        [[feed]]
        id = "family"
        name = "家人的号码 Family, mine; all"
        sims = ["spare", "mum"]
        tags = ["family"]
    """))
    feed = parse(fetch(client, "/feeds/family.ics"))
    # The union of sims and tags, each SIM once, in the config's order.
    assert feed.uids == ["mum-deadline@simfeed", "dad-deadline@simfeed", "spare-deadline@simfeed"]
    assert feed.calname == "家人的号码 Family, mine; all"
    # The calendar's own feed is unchanged: every SIM, the calendar's name.
    whole = parse(fetch(client, "/calendar.ics"))
    assert whole.uids == ALL
    assert whole.calname == "All SIMs"


@pytest.mark.parametrize(("choice", "expected"), [
    ('sims = ["dad"]', ["dad-deadline@simfeed"]),
    ('tags = ["family"]', ["mum-deadline@simfeed", "dad-deadline@simfeed"]),
    ('tags = ["uk", "me"]', ["mine-deadline@simfeed", "mum-deadline@simfeed"]),
    ('sims = ["mine"]\ntags = ["uk"]', ["mine-deadline@simfeed", "mum-deadline@simfeed"]),
    ('sims = ["mum"]\ntags = ["uk"]', ["mum-deadline@simfeed"]),
])
def test_sims_and_tags_choose_a_feeds_sims(serve, choice, expected):
    client = serve(named(f'[[feed]]\nid = "f"\nname = "F"\n{choice}\n'))
    assert parse(fetch(client, "/feeds/f.ics")).uids == expected


def test_the_feeds_own_reminders_and_the_url_override(serve):
    client = serve(named("""
        [[feed]]
        id = "events"
        name = "Events"
        sims = ["mine"]
        reminders = "events"

        [[feed]]
        id = "default"
        name = "Default"
        sims = ["mine"]
    """))
    # Mine: expires 2027-01-10; the default alarms 14, 3, 0 days give warnings on
    # Jan 10 - 14 = 2026-12-27 and Jan 10 - 3 = 2027-01-07.
    raw = fetch(client, "/feeds/events.ics")
    assert parse(raw).starts() == {"mine-deadline@simfeed": date(2027, 1, 10),
                                   "mine-warning-14d@simfeed": date(2026, 12, 27),
                                   "mine-warning-3d@simfeed": date(2027, 1, 7)}
    assert valarm_count(raw) == 0
    raw = fetch(client, "/feeds/events.ics?reminders=alarms")
    assert parse(raw).uids == ["mine-deadline@simfeed"]
    assert valarm_count(raw) == 3
    # A feed without its own setting takes the calendar's (here the default, alarms).
    raw = fetch(client, "/feeds/default.ics")
    assert parse(raw).uids == ["mine-deadline@simfeed"]
    assert valarm_count(raw) == 3
    raw = fetch(client, "/feeds/default.ics?reminders=both")
    assert len(parse(raw).uids) == 3 and valarm_count(raw) == 3
    # The calendar's feed is not affected by a named feed's setting.
    assert valarm_count(fetch(client, "/calendar.ics")) == 3 * 4


def test_a_feed_without_its_own_reminders_takes_the_calendars(serve):
    client = serve(named('[[feed]]\nid = "f"\nname = "F"\nsims = ["mine"]\n', 'reminders = "events"'))
    raw = fetch(client, "/feeds/f.ics")
    assert parse(raw).uids == ["mine-deadline@simfeed", "mine-warning-14d@simfeed", "mine-warning-3d@simfeed"]
    assert valarm_count(raw) == 0


def status(client: FlaskClient, url: str, token: str | None = None) -> int:
    return client.get(url, query_string={"token": token} if token else None).status_code


def test_each_token_opens_its_own_feed_only(serve):
    client = serve(named(TOKENED_FEEDS, f'token = "{CALENDAR_TOKEN}"'))
    expected = {
        # url: the token that opens it; every other token (and none) gets 404.
        "/calendar.ics": CALENDAR_TOKEN,
        "/sims/mine.ics": CALENDAR_TOKEN,
        "/sims/dad.ics": CALENDAR_TOKEN,
        "/feeds/alice.ics": ALICE_TOKEN,
        "/feeds/bob.ics": BOB_TOKEN,
    }
    for number, (url, opener) in enumerate(expected.items()):
        # Each URL from its own address: 20 misses from one client within a minute get 429s.
        client.environ_base["REMOTE_ADDR"] = f"127.0.0.{number + 1}"
        for token in (None, CALENDAR_TOKEN, ALICE_TOKEN, BOB_TOKEN, "wrong-token-1", ALICE_TOKEN + "x"):
            assert status(client, url, token) == (200 if token == opener else 404), (url, token)
    assert parse(fetch(client, f"/feeds/alice.ics?token={ALICE_TOKEN}")).uids == ["mine-deadline@simfeed"]
    bob = parse(fetch(client, f"/feeds/bob.ics?token={BOB_TOKEN}"))
    assert bob.uids == ["mum-deadline@simfeed", "dad-deadline@simfeed"]
    assert bob.calname == "Bob: family"
    # An unknown feed is 404 whatever the token.
    for token in (None, CALENDAR_TOKEN, ALICE_TOKEN):
        assert status(client, "/feeds/carol.ics", token) == 404


def test_with_only_feed_tokens_the_calendar_is_closed(serve):
    client = serve(named(TOKENED_FEEDS))
    for url in ("/calendar.ics", "/sims/mine.ics"):
        for token in (None, ALICE_TOKEN, BOB_TOKEN):
            assert status(client, url, token) == 404, (url, token)
    assert status(client, "/feeds/alice.ics", ALICE_TOKEN) == 200
    assert status(client, "/feeds/alice.ics") == 404


def test_a_feed_without_a_token_is_closed_once_any_token_is_configured(serve):
    open_feed = '[[feed]]\nid = "open"\nname = "Open"\nsims = ["spare"]\n'
    # A token on the calendar closes it.
    client = serve(named(open_feed, f'token = "{CALENDAR_TOKEN}"'))
    for token in (None, CALENDAR_TOKEN):
        assert status(client, "/feeds/open.ics", token) == 404
    # So does a token on another feed.
    client = serve(named(open_feed + TOKENED_FEEDS))
    for token in (None, ALICE_TOKEN, BOB_TOKEN):
        assert status(client, "/feeds/open.ics", token) == 404
    # With no token anywhere everything is open.
    client = serve(named(open_feed))
    assert parse(fetch(client, "/feeds/open.ics")).uids == ["spare-deadline@simfeed"]
    assert parse(fetch(client, "/calendar.ics")).uids == ALL
    assert status(client, "/sims/mine.ics") == 200


def test_token_protected_feeds_are_private(serve):
    client = serve(named(TOKENED_FEEDS))
    response = client.get(f"/feeds/alice.ics?token={ALICE_TOKEN}")
    assert response.status_code == 200
    assert response.cache_control.private and not response.cache_control.public


def test_without_named_feeds_nothing_changes(serve):
    client = serve(named(""))
    feed = parse(fetch(client, "/calendar.ics"))
    assert feed.uids == ALL
    assert feed.calname == "All SIMs"
    assert parse(fetch(client, "/sims/dad.ics")).uids == ["dad-deadline@simfeed"]
    for url in ("/feeds/all.ics", "/feeds/mine.ics", "/feeds/family.ics"):
        assert status(client, url) == 404
    # The calendar's token still guards exactly what it did.
    client = serve(named("", f'token = "{CALENDAR_TOKEN}"'))
    assert status(client, "/calendar.ics") == 404
    assert status(client, "/calendar.ics", CALENDAR_TOKEN) == 200
    assert status(client, "/feeds/all.ics", CALENDAR_TOKEN) == 404


def test_an_unknown_feed_id_is_404(serve):
    client = serve(named('[[feed]]\nid = "f"\nname = "F"\nsims = ["mine"]\n'))
    for url in ("/feeds/g.ics", "/feeds/F.ics", "/feeds/mine.ics", "/feeds/f.ics.ics"):
        assert status(client, url) == 404


def test_a_shared_token_is_a_config_error():
    calendar_and_feed = config_problems(named(
        f'[[feed]]\nid = "f"\nname = "F"\nsims = ["mine"]\ntoken = "{CALENDAR_TOKEN}"\n',
        f'token = "{CALENDAR_TOKEN}"'))
    assert calendar_and_feed == ['test.toml: feed "f": token: is the same as the token of the calendar']
    two_feeds = config_problems(named(TOKENED_FEEDS.replace(BOB_TOKEN, ALICE_TOKEN)))
    assert two_feeds == ['test.toml: feed "bob": token: is the same as the token of feed "alice"']


def test_unknown_sims_and_tags_are_config_errors():
    problems = config_problems(named("""
        [[feed]]
        id = "f"
        name = "F"
        sims = ["mine", "nobody"]
        tags = ["family", "friends"]
    """))
    assert problems == ['test.toml: feed "f": sims: no SIM has the id "nobody"',
                        'test.toml: feed "f": tags: no SIM has the tag "friends"']


@pytest.mark.parametrize(("feed", "problem"), [
    ('id = "f"\nname = "F"', 'feed "f": choose its SIMs with sims = [...] and/or tags = [...]'),
    ('id = "f"\nsims = ["mine"]', 'feed "f": name is missing'),
    ('name = "F"\nsims = ["mine"]', "feed #1: id is missing"),
    ('id = "f"\nname = "F"\nsims = ["mine"]\nreminders = "popup"',
     'feed "f": reminders: "popup" must be one of alarms, events, both'),
    ('id = "f"\nname = "F"\nsims = ["mine"]\ntoken = "short"', 'feed "f": token: must be 22 to 256'),
    ('id = "f"\nname = "F"\nsims = ["mine"]\ncolour = "red"', 'feed "f": unknown key "colour"'),
])
def test_a_bad_feed_is_a_config_error(feed, problem):
    problems = config_problems(named(f"[[feed]]\n{feed}\n"))
    assert len(problems) == 1
    assert problems[0].startswith(f"test.toml: {problem}")


def test_two_feeds_with_one_id_is_a_config_error():
    problems = config_problems(named('[[feed]]\nid = "f"\nname = "F"\nsims = ["mine"]\n' * 2))
    assert problems == ['test.toml: feed "f": id: is used by another [[feed]]; ids must be unique']


def test_sims_gain_tags():
    config = parse_toml(textwrap.dedent(named("")), "test.toml")
    assert [(sim.id, sim.tags) for sim in config.sims] == [
        ("mine", ("me",)), ("mum", ("family", "uk")), ("dad", ("family",)), ("spare", ())]
    problems = config_problems(named("").replace('tags = ["me"]', 'tags = ["Not A Tag"]'))
    assert len(problems) == 1 and problems[0].startswith('test.toml: sim "mine": tags: ')


def test_each_reminders_mode_has_its_own_etag(serve):
    client = serve(reminders_config())
    alarms = client.get("/calendar.ics")
    events = client.get("/calendar.ics?reminders=events")
    assert alarms.headers["ETag"] != events.headers["ETag"]
    # A client that switches modes must not be told its old copy is current.
    switched = client.get("/calendar.ics?reminders=events", headers={"If-None-Match": alarms.headers["ETag"]})
    assert switched.status_code == 200
    assert switched.get_data() == events.get_data()
    same = client.get("/calendar.ics?reminders=events", headers={"If-None-Match": events.headers["ETag"]})
    assert same.status_code == 304


def test_a_named_feed_follows_the_renewal_log(serve):
    admin = "admin-token-for-feeds-McBPN1"
    client = serve(named('[[feed]]\nid = "f"\nname = "F"\ntags = ["family"]\n'), SIMFEED_ADMIN_TOKEN=admin)
    mum = client.get("/feeds/f.ics").headers["ETag"]
    # Mum's SIM has a fixed expiry, so a renewal changes its description, not its date.
    response = client.post("/api/sims/mum/renewals", json={"date": "2026-01-05", "reference": "R-1"},
                           headers={"Authorization": f"Bearer {admin}"})
    assert response.status_code == 201
    after = client.get("/feeds/f.ics")
    assert after.headers["ETag"] != mum
    description = parse(after.get_data()).event("mum-deadline@simfeed").description
    assert description is not None and "Last renewed: 2026-01-05 (ref R-1)." in description
