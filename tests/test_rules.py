"""Issue 4's five rule shapes, through the feed, the JSON API, the CLI and the renewal log.

(1) a period since the last activity of a kind that counts; (2) each top-up extends
validity above a minimum, from the top-up, the expiry or the later of the two;
(3) tiers by amount; (4) a recurring charge from a balance; (5) stages after the
deadline. Every date is worked out by hand in the comments.
"""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from flask.testing import FlaskClient

from .helpers import config_problems, fetch, parse, shared_sim, valarm_count

ADMIN = "admin-token-for-rules-tPY3zJ"
AUTH = {"Authorization": f"Bearer {ADMIN}"}
# Noon in London on 24 November 2026 (GMT, so also noon UTC).
NOON = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


pytestmark = pytest.mark.usefixtures("clean_environment")


def sims(toml: str) -> str:
    return f'[calendar]\nname = "Rules"\ntimezone = "Europe/London"\n{toml}'


def deadlines(raw: bytes) -> dict[str, date]:
    """Each SIM's deadline in the feed, by SIM id."""
    return {e.uid.removesuffix("-deadline@simfeed"): e.start for e in parse(raw).events
            if e.uid.endswith("-deadline@simfeed")}


def description(raw: bytes, sim_id: str) -> str:
    text = parse(raw).event(f"{sim_id}-deadline@simfeed").description
    assert text is not None
    return text


def post(client: FlaskClient, sim_id: str, body: dict[str, object]) -> tuple[int, dict[str, object]]:
    response = client.post(f"/api/sims/{sim_id}/renewals", data=json.dumps(body), headers=AUTH,
                           content_type="application/json")
    return response.status_code, response.get_json()


def api_sims(client: FlaskClient) -> dict[str, dict[str, object]]:
    response = client.get("/api/sims", headers=AUTH)
    assert response.status_code == 200
    return {sim["id"]: sim for sim in response.get_json()}


# ---------------------------------------------------------- (1) keep-alive with counts

USAGE = """renewals = [
  { date = 2026-09-30, amount = 10, currency = "USD" },
  { date = 2026-10-15, kind = "sms" },
  { date = 2026-10-20, kind = "call" },
  { date = 2026-11-05, kind = "data" },
]"""

KEEP = sims(f"""
[[sim]]
id = "purchases"
name = "Purchases"
keep_alive = "3 months"
counts = ["topup"]
{USAGE}

[[sim]]
id = "texts"
name = "Texts"
keep_alive = "3 months"
counts = ["sms", "call"]
{USAGE}

[[sim]]
id = "anything"
name = "Anything"
keep_alive = "3 months"
{USAGE}
""")

# purchases: only the top-up of 2026-09-30 counts (a renewal's kind defaults to topup):
#   2026-09-30 + 3 months = 2026-12-30.
# texts: calls and texts count, the latest is the call of 2026-10-20: + 3 months = 2027-01-20.
# anything: every kind counts (no `counts`), the latest is the data use of 2026-11-05: 2027-02-05.
KEEP_DEADLINES = {"purchases": date(2026, 12, 30), "texts": date(2027, 1, 20), "anything": date(2027, 2, 5)}


def test_only_the_kinds_that_count_move_the_deadline(serve):
    raw = fetch(serve(KEEP), "/calendar.ics")
    assert deadlines(raw) == KEEP_DEADLINES
    text = description(raw, "purchases")
    # Every renewal is kept and shown, newest first, with its kind; the deadline says what it counts from.
    assert "Last renewed: 2026-11-05 (data use)." in text
    assert "Before that: 2026-10-20 (call); 2026-10-15 (text)." in text
    assert "Counted from: 2026-09-30 ($10.00), the latest renewal the rule counts." in text
    assert "Rule: renew at least every 3 months; only a top-up counts (deadline 2026-12-30)." in text
    text = description(raw, "texts")
    assert "Counted from: 2026-10-20 (call), the latest renewal the rule counts." in text
    assert "Rule: renew at least every 3 months; only a call or text counts (deadline 2027-01-20)." in text
    text = description(raw, "anything")
    assert "Counted from" not in text
    assert "Rule: renew at least every 3 months (deadline 2027-02-05)." in text


def test_uncounted_renewals_stay_in_the_history(serve):
    raw = fetch(serve(KEEP.replace('name = "Rules"', 'name = "Rules"\nhistory = true')), "/calendar.ics")
    feed = parse(raw)
    history = {e.uid: (e.start, e.summary) for e in feed.events if e.uid.startswith("purchases-renewal-")}
    assert history == {
        "purchases-renewal-2026-09-30-1@simfeed": (date(2026, 9, 30), "Topped up Purchases: $10.00"),
        "purchases-renewal-2026-10-15-1@simfeed": (date(2026, 10, 15), "Used Purchases: text"),
        "purchases-renewal-2026-10-20-1@simfeed": (date(2026, 10, 20), "Used Purchases: call"),
        "purchases-renewal-2026-11-05-1@simfeed": (date(2026, 11, 5), "Used Purchases: data use"),
    }
    assert feed.event("purchases-deadline@simfeed").start == date(2026, 12, 30)


def test_a_bare_last_renewal_always_counts(serve):
    raw = fetch(serve(sims(shared_sim("tello", last_renewal=date(2026, 10, 1),
                                      renewals=[{"date": date(2026, 11, 1), "kind": "call"}]))),
                "/calendar.ics")
    # last_renewal is the user's word that it qualified: 2026-10-01 + 3 months = 2027-01-01.
    assert deadlines(raw) == {"tello": date(2027, 1, 1)}


@pytest.mark.parametrize(("toml", "problem"), [
    ('keep_alive = "3 months"\nrenewals = [{ date = 2026-10-01, kind = "voice" }]',
     'sim "x": renewals[0]: kind: "voice" must be one of topup, call, sms, data'),
    ('keep_alive = "3 months"\ncounts = ["voice"]\nlast_renewal = 2026-10-01',
     'sim "x": counts: "voice" must be one of topup, call, sms, data'),
    ('keep_alive = "3 months"\ncounts = []\nlast_renewal = 2026-10-01',
     'sim "x": counts: must name at least one of topup, call, sms, data'),
    ('keep_alive = "3 months"\ncounts = "topup"\nlast_renewal = 2026-10-01',
     'sim "x": counts: "topup" must be a list'),
    ('expires = 2027-01-01\ncounts = ["topup"]', 'sim "x": counts: only applies to keep_alive'),
    ('keep_alive = "3 months"\ncounts = ["topup"]\nrenewals = [{ date = 2026-10-01, kind = "call" }]',
     'sim "x": no renewal of a kind that counts: add last_renewal or a renewal that the rule counts'),
])
def test_kind_and_counts_errors(toml, problem):
    problems = config_problems(sims(f'[[sim]]\nid = "x"\nname = "X"\n{toml}\n'))
    assert len(problems) == 1
    assert problems[0].startswith(f"test.toml: {problem}")


@time_machine.travel(NOON, tick=False)
def test_renew_kind_on_the_command_line(serve, tmp_path):
    client = serve(KEEP)
    cli = client.application.test_cli_runner()
    result = cli.invoke(args=["renew", "purchases", "--kind", "call", "--date", "2026-11-20"])
    # A call does not count for purchases: still 2026-12-30, 6 days to Nov 30 + 30 = 36 days left.
    assert result.output == ("recorded renewal #1 of purchases on 2026-11-20; "
                             "deadline now 2026-12-30 (36 days left)\n")
    result = cli.invoke(args=["renew", "texts", "--kind", "sms"])
    # A text counts for texts: today 2026-11-24 + 3 months = 2027-02-24; 6 + 31 + 31 + 24 = 92 days.
    assert result.output == ("recorded renewal #2 of texts on 2026-11-24; "
                             "deadline now 2027-02-24 (92 days left)\n")
    result = cli.invoke(args=["renew", "purchases", "--amount", "10", "--date", "2026-11-22"])
    # No --kind: a top-up, which counts: 2026-11-22 + 3 months = 2027-02-22, 90 days left.
    assert result.output == ("recorded renewal #3 of purchases on 2026-11-22; "
                             "deadline now 2027-02-22 (90 days left)\n")
    result = cli.invoke(args=["renew", "purchases", "--kind", "voice"])
    assert result.exit_code == 1 and result.stdout == ""
    assert len(result.stderr.splitlines()) == 1 and "voice" in result.stderr

    # The log keeps the kind...
    with closing(sqlite3.connect(tmp_path / "instance" / "simfeed.sqlite3")) as db:
        assert db.execute("SELECT id, sim_id, date, kind FROM renewals ORDER BY id").fetchall() == [
            (1, "purchases", "2026-11-20", "call"), (2, "texts", "2026-11-24", "sms"),
            (3, "purchases", "2026-11-22", "topup")]
    # ...the history lists it, newest first, with the config's...
    listed = json.loads(cli.invoke(args=["renewals", "purchases", "--format", "json"]).output)
    assert [(r["date"], r["kind"], r["source"]) for r in listed] == [
        ("2026-11-22", "topup", "log"), ("2026-11-20", "call", "log"), ("2026-11-05", "data", "config"),
        ("2026-10-20", "call", "config"), ("2026-10-15", "sms", "config"), ("2026-09-30", "topup", "config")]
    # ...and the feed counts what counts.
    raw = fetch(client, "/calendar.ics")
    assert deadlines(raw) == {"purchases": date(2027, 2, 22), "texts": date(2027, 2, 24),
                              "anything": date(2027, 2, 5)}
    assert "Before that: 2026-11-20 (call); 2026-11-05 (data use)." in description(raw, "purchases")


@time_machine.travel(NOON, tick=False)
def test_kind_in_the_api(serve):
    client = serve(KEEP, SIMFEED_ADMIN_TOKEN=ADMIN)
    code, body = post(client, "purchases", {"date": "2026-11-20", "kind": "call"})
    assert code == 201
    assert body["deadline"] == "2026-12-30"
    assert body["renewal"]["kind"] == "call"
    code, body = post(client, "texts", {"kind": "SMS"})
    # 2026-11-24 + 3 months.
    assert (code, body["deadline"], body["renewal"]["kind"]) == (201, "2027-02-24", "sms")
    code, body = post(client, "texts", {"kind": "voice"})
    assert code == 400
    assert body["errors"] == {"kind": '"voice" must be one of topup, call, sms, data'}
    code, body = post(client, "anything", {"date": "2026-11-10"})
    assert (code, body["renewal"]["kind"], body["deadline"]) == (201, "topup", "2027-02-10")

    listed = client.get("/api/sims/purchases/renewals", headers=AUTH).get_json()
    assert [(r["date"], r["kind"]) for r in listed] == [
        ("2026-11-20", "call"), ("2026-11-05", "data"), ("2026-10-20", "call"), ("2026-10-15", "sms"),
        ("2026-09-30", "topup")]
    assert client.get("/api/renewals/1", headers=AUTH).get_json()["kind"] == "call"
    overview = api_sims(client)
    assert overview["purchases"]["deadline"] == "2026-12-30"
    assert (overview["texts"]["last_renewal"], overview["texts"]["deadline"]) == ("2026-11-24", "2027-02-24")
    assert (overview["anything"]["last_renewal"], overview["anything"]["deadline"]) == (
        "2026-11-10", "2027-02-10")
    assert deadlines(fetch(client, "/calendar.ics")) == {
        "purchases": date(2026, 12, 30), "texts": date(2027, 2, 24), "anything": date(2027, 2, 10)}


# ------------------------------------------------ (2) each top-up extends, above a minimum

EXTENDS = """
[[sim]]
id = "{mode}"
name = "{mode}"
topup = {{ extends = "30 days", min_amount = 10, from = "{mode}" }}
renewals = [
  {{ date = 2026-01-01, amount = 10 }},
  {{ date = 2026-03-01, amount = 15 }},
  {{ date = 2026-03-11, amount = 10 }},
  {{ date = 2026-03-25, kind = "call" }},
  {{ date = 2026-03-28, amount = 9.99 }},
]
"""

# The same renewals, three extension modes (30 days, at least 10). The call of 03-25 is not
# a top-up and the 9.99 of 03-28 is below the minimum: neither counts in any mode.
#   topup (from the top-up date): the last counted top-up, 2026-03-11 + 30 days = 2026-04-10.
#   expiry (from the current expiry): 01-01 + 30 = 01-31; + 30 = 03-02 (28 days in February);
#     + 30 = 2026-04-01, even though the SIM had lapsed on 01-31 before the 03-01 top-up.
#   later (of the two): 01-31; then max(01-31, 03-01) = 03-01 + 30 = 03-31;
#     then max(03-31, 03-11) = 03-31 + 30 = 2026-04-30.
# Had the 9.99 counted, they would be 04-27, 05-01 and 05-30; had the call (no amount, so
# the lowest tier) counted in topup mode, 04-24.
EXTEND_DEADLINES = {"topup": date(2026, 4, 10), "expiry": date(2026, 4, 1), "later": date(2026, 4, 30)}
STARTS = {"topup": "the top-up date", "expiry": "the current expiry",
          "later": "the later of the top-up date and the current expiry"}


def test_three_extension_modes_give_three_deadlines(serve):
    raw = fetch(serve(sims("".join(EXTENDS.format(mode=mode) for mode in EXTEND_DEADLINES))), "/calendar.ics")
    assert deadlines(raw) == EXTEND_DEADLINES
    for mode, due in EXTEND_DEADLINES.items():
        text = description(raw, mode)
        assert "Last renewed: 2026-03-28 (9.99)." in text
        assert "Counted from: 2026-03-11 (10), the latest renewal the rule counts." in text
        assert (f"Rule: each top-up extends validity from {STARTS[mode]} (10 or more: 30 days) "
                f"(deadline {due.isoformat()}).") in text


def test_from_defaults_to_the_top_up_date(serve):
    toml = EXTENDS.format(mode="topup").replace(', from = "topup"', "")
    assert deadlines(fetch(serve(sims(toml)), "/calendar.ics")) == {"topup": date(2026, 4, 10)}


@time_machine.travel(NOON, tick=False)
def test_a_logged_top_up_below_the_minimum_does_not_count(serve):
    client = serve(sims(EXTENDS.format(mode="topup")), SIMFEED_ADMIN_TOKEN=ADMIN)
    code, body = post(client, "topup", {"date": "2026-11-01", "amount": 9.99})
    assert (code, body["deadline"]) == (201, "2026-04-10")
    code, body = post(client, "topup", {"date": "2026-11-02", "amount": 100, "kind": "data"})
    assert (code, body["deadline"]) == (201, "2026-04-10")
    # 2026-11-10 + 30 days = 2026-12-10.
    code, body = post(client, "topup", {"date": "2026-11-10", "amount": 10})
    assert (code, body["deadline"]) == (201, "2026-12-10")
    assert deadlines(fetch(client, "/calendar.ics")) == {"topup": date(2026, 12, 10)}


def test_only_top_ups_below_the_minimum_is_a_config_error():
    problems = config_problems(sims("""
        [[sim]]
        id = "x"
        name = "X"
        topup = { extends = "30 days", min_amount = 10 }
        renewals = [{ date = 2026-01-01, amount = 5 }, { date = 2026-01-02, kind = "call" }]
    """))
    assert problems == ['test.toml: sim "x": no top-up large enough to count: '
                        "add last_renewal or a renewal that the rule counts"]


@pytest.mark.parametrize(("topup", "problem"), [
    ('{ extends = "30 days", from = "whenever" }',
     'topup: from: "whenever" must be one of topup, expiry, later'),
    ('{ min_amount = 10 }', "topup: set either extends (with min_amount) or tiers, not both nor neither"),
    ('{ extends = "30 days", tiers = [{ extends = "30 days" }] }',
     "topup: set either extends (with min_amount) or tiers, not both nor neither"),
    ('{ extends = "30 days", min_amount = -1 }', "topup: min_amount: -1 must be zero or more"),
    ('{ extends = "0 days" }', 'topup: extends: "0 days" must be longer than zero'),
    ('{ extends = "30 days", minimum = 10 }', 'topup: unknown key "minimum"'),
    ('{ tiers = [] }', "topup: tiers: must be a list"),
    ('{ tiers = [{ min_amount = 10, extends = "30 days" }, { min_amount = 10, extends = "60 days" }] }',
     "topup: tiers: two tiers have the same min_amount"),
    ('{ tiers = [{ min_amount = 10 }] }', "topup: tiers[0]: extends is missing"),
    ('"30 days"', "topup: \"30 days\" must be a table"),
])
def test_top_up_rule_errors(topup, problem):
    problems = config_problems(sims(
        f'[[sim]]\nid = "x"\nname = "X"\ntopup = {topup}\nlast_renewal = 2026-01-01\n'))
    assert len(problems) == 1
    assert problems[0].startswith(f'test.toml: sim "x": {problem}')


# ---------------------------------------------------------------------------- (3) tiers

TIERED = """
[[sim]]
id = "tiered"
name = "Tiered"
{renewals}

[sim.topup]
# Written out of order on purpose.
tiers = [
  {{ min_amount = 100, extends = "365 days" }},
  {{ min_amount = 10, extends = "90 days" }},
  {{ min_amount = 50, extends = "180 days" }},
]
"""

# From 2026-01-01: + 90 days = Jan 31 (30), Feb 28 (58), Mar 31 (89), 2026-04-01 (90);
# + 180 days = May 1 (120), May 31 (150), 2026-06-30 (180); + 365 days = 2027-01-01 (no 29 February).
NINETY, ONE_EIGHTY, YEAR = date(2026, 4, 1), date(2026, 6, 30), date(2027, 1, 1)


@pytest.mark.parametrize(("renewals", "due"), [
    ("renewals = [{ date = 2026-01-01, amount = 10 }]", NINETY),
    ("renewals = [{ date = 2026-01-01, amount = 49.99 }]", NINETY),
    ("renewals = [{ date = 2026-01-01, amount = 50 }]", ONE_EIGHTY),
    ("renewals = [{ date = 2026-01-01, amount = 99 }]", ONE_EIGHTY),
    ("renewals = [{ date = 2026-01-01, amount = 100 }]", YEAR),
    ("renewals = [{ date = 2026-01-01, amount = 5000 }]", YEAR),
    # An unknown amount gets the lowest tier: the deadline errs early.
    ("renewals = [{ date = 2026-01-01 }]", NINETY),
    ("last_renewal = 2026-01-01", NINETY),
    # Below the lowest tier does not count: the 50 of 01-01 still rules.
    ("renewals = [{ date = 2026-01-01, amount = 50 }, { date = 2026-02-01, amount = 9.99 }]", ONE_EIGHTY),
    # A later, smaller top-up counts from its own date (from = "topup"): 2026-02-01 + 90 days
    # = Feb 28 (27), Mar 31 (58), Apr 30 (88), 2026-05-02 (90), before the 50's 06-30.
    ("renewals = [{ date = 2026-01-01, amount = 50 }, { date = 2026-02-01, amount = 10 }]", date(2026, 5, 2)),
], ids=["10", "49.99", "50", "99", "100", "5000", "no-amount", "last-renewal", "below-lowest",
        "smaller-later"])
def test_tiers(serve, renewals, due):
    raw = fetch(serve(sims(TIERED.format(renewals=renewals))), "/calendar.ics")
    assert deadlines(raw) == {"tiered": due}
    assert ("Rule: each top-up extends validity from the top-up date (10 or more: 90 days; "
            f"50 or more: 180 days; 100 or more: 365 days) (deadline {due.isoformat()}).") in description(
        raw, "tiered")


@pytest.mark.parametrize(("amount", "due"), [
    # Any amount: 30 days, 2026-01-31; 20 or more: 60 days, Jan 31 (30) + 28 + 2 = 2026-03-02.
    (1, date(2026, 1, 31)), (0, date(2026, 1, 31)), (20, date(2026, 3, 2)),
])
def test_a_tier_without_minimum_takes_any_amount(serve, amount, due):
    raw = fetch(serve(sims(f"""
        [[sim]]
        id = "x"
        name = "X"
        topup = {{ tiers = [{{ min_amount = 20, extends = "60 days" }}, {{ extends = "30 days" }}] }}
        renewals = [{{ date = 2026-01-01, amount = {amount} }}]
    """)), "/calendar.ics")
    assert deadlines(raw) == {"x": due}
    assert "(any amount: 30 days; 20 or more: 60 days)" in description(raw, "x")


# ------------------------------------------------------------------ (4) a recurring charge

CHARGED = """
[[sim]]
id = "monthly"
name = "Monthly"
{renewals}

[sim.charge]
fee = 18
every = "1 month"
balance = 100
as_of = 2026-11-01
first = 2026-12-01
currency = "HKD"
"""

# 100 HKD pays 18 on 2026-12-01 (82 left), 2027-01-01 (64), 02-01 (46), 03-01 (28) and 04-01 (10);
# 10 cannot pay the charge of 2027-05-01, the deadline.
COVERED = ["2026-12-01", "2027-01-01", "2027-02-01", "2027-03-01", "2027-04-01"]


@pytest.mark.parametrize(("renewals", "due", "covered"), [
    ("", date(2027, 5, 1), COVERED),
    # 8 on 04-30, the day before the charge: 10 + 8 = 18 pays 05-01; 0 cannot pay 2027-06-01.
    ("renewals = [{ date = 2027-04-30, amount = 8 }]", date(2027, 6, 1), [*COVERED, "2027-05-01"]),
    # 8 on the charge day itself counts after that charge: 10 cannot pay 05-01.
    ("renewals = [{ date = 2027-05-01, amount = 8 }]", date(2027, 5, 1), COVERED),
    # On as_of itself: already in the balance, not added again.
    ("renewals = [{ date = 2026-11-01, amount = 100 }]", date(2027, 5, 1), COVERED),
    # 36 on 2026-11-15: 136 pays 7 charges (126), to 2027-06-01; 10 cannot pay 2027-07-01.
    ("renewals = [{ date = 2026-11-15, amount = 36 }]", date(2027, 7, 1),
     [*COVERED, "2027-05-01", "2027-06-01"]),
    # Top-ups between charges: 100 - 18 (12-01) = 82, + 5 on 12-15 = 87, - 18 (01-01) = 69,
    # - 18 (02-01) = 51, + 3 on 02-20 = 54, - 18 (03-01) = 36, - 18 (04-01) = 18, - 18 (05-01) = 0.
    ("renewals = [{ date = 2026-12-15, amount = 5 }, { date = 2027-02-20, amount = 3 }]", date(2027, 6, 1),
     [*COVERED, "2027-05-01"]),
    # Not top-ups: a call (even with an amount) and a renewal with no amount.
    ('renewals = [{ date = 2026-11-15, amount = 100, kind = "call" }, { date = 2026-11-16 }]\n'
     "last_renewal = 2026-11-17", date(2027, 5, 1), COVERED),
], ids=["balance", "day-before", "charge-day", "as-of", "one-top-up", "between", "not-top-ups"])
def test_the_first_charge_the_balance_cannot_cover(serve, renewals, due, covered):
    raw = fetch(serve(sims(CHARGED.format(renewals=renewals))), "/calendar.ics")
    assert deadlines(raw) == {"monthly": due}
    text = description(raw, "monthly")
    assert ("Rule: HK$18.00 is taken every 1 month from a balance of HK$100.00 (as of 2026-11-01); "
            f"the first charge it cannot cover is on {due.isoformat()}. "
            f"Charges covered: {', '.join(covered)}.") in text


def test_first_defaults_to_one_period_after_as_of(serve):
    toml = CHARGED.format(renewals="").replace("first = 2026-12-01\n", "")
    # as_of 2026-11-01 + 1 month = 2026-12-01: the same charges as above.
    raw = fetch(serve(sims(toml)), "/calendar.ics")
    assert deadlines(raw) == {"monthly": date(2027, 5, 1)}
    assert f"Charges covered: {', '.join(COVERED)}." in description(raw, "monthly")


def test_monthly_charges_keep_to_the_month_end(serve):
    raw = fetch(serve(sims("""
        [[sim]]
        id = "x"
        name = "X"
        charge = { fee = 10, every = "1 month", balance = 40, as_of = 2027-01-15, first = 2027-01-31 }
    """)), "/calendar.ics")
    # 40 pays 4 charges, each counted from the first (Jan 31 + n months), so February's 28th
    # does not pull the later ones back: 01-31, 02-28, 03-31, 04-30; 0 cannot pay 2027-05-31.
    assert deadlines(raw) == {"x": date(2027, 5, 31)}
    assert ("Rule: 10 is taken every 1 month from a balance of 40 (as of 2027-01-15); the first charge it "
            "cannot cover is on 2027-05-31. Charges covered: 2027-01-31, 2027-02-28, 2027-03-31, 2027-04-30."
            ) in description(raw, "x")


def test_every_covered_charge_is_listed(serve):
    raw = fetch(serve(sims("""
        [[sim]]
        id = "x"
        name = "X"
        charge = { fee = 1, every = "1 week", balance = 15, as_of = 2026-11-01, first = 2026-11-02 }
    """)), "/calendar.ics")
    # 15 weekly charges from 2026-11-02; the 16th, 15 weeks = 105 days on, cannot be paid:
    # Nov 30 (28), Dec 31 (59), Jan 31 (90), 2027-02-15 (105). All 15 are listed, the last
    # 14 weeks = 98 days on: 2027-02-08.
    assert deadlines(raw) == {"x": date(2027, 2, 15)}
    assert ("Charges covered: 2026-11-02, 2026-11-09, 2026-11-16, 2026-11-23, 2026-11-30, 2026-12-07, "
            "2026-12-14, 2026-12-21, 2026-12-28, 2027-01-04, 2027-01-11, 2027-01-18, 2027-01-25, "
            "2027-02-01, 2027-02-08.") in description(raw, "x")


def test_a_balance_below_the_first_fee_is_due_at_the_first_charge(serve):
    raw = fetch(serve(sims(CHARGED.format(renewals="").replace("balance = 100", "balance = 17.99"))),
                "/calendar.ics")
    assert deadlines(raw) == {"monthly": date(2026, 12, 1)}
    text = description(raw, "monthly")
    assert "the first charge it cannot cover is on 2026-12-01." in text
    assert "Charges covered" not in text


@time_machine.travel(NOON, tick=False)
def test_logged_top_ups_add_to_the_balance(serve):
    client = serve(sims(CHARGED.format(renewals="")), SIMFEED_ADMIN_TOKEN=ADMIN)
    # 36 on 2026-11-20: 136 pays 7 charges, to 2027-06-01; the deadline is 2027-07-01.
    code, body = post(client, "monthly", {"date": "2026-11-20", "amount": 36, "currency": "HKD"})
    assert (code, body["deadline"]) == (201, "2027-07-01")
    assert deadlines(fetch(client, "/calendar.ics")) == {"monthly": date(2027, 7, 1)}
    # Today 2026-11-24 to 2027-07-01: 6 + 31 + 31 + 28 + 31 + 30 + 31 + 30 + 1 = 219 days.
    assert api_sims(client)["monthly"]["days_left"] == 219


@pytest.mark.parametrize(("charge", "problem"), [
    ('{ every = "1 month", balance = 100, as_of = 2026-11-01 }', "charge: fee is missing"),
    ('{ fee = 18, balance = 100, as_of = 2026-11-01 }', "charge: every is missing"),
    ('{ fee = 18, every = "1 month", as_of = 2026-11-01 }', "charge: balance is missing"),
    ('{ fee = 18, every = "1 month", balance = 100 }', "charge: as_of is missing"),
    ('{ fee = 0, every = "1 month", balance = 100, as_of = 2026-11-01 }',
     "charge: fee: 0 must be more than zero"),
    ('{ fee = 18, every = "1 month", balance = -1, as_of = 2026-11-01 }',
     "charge: balance: -1 must be zero or more"),
    ('{ fee = 18, every = "1 month", balance = 100, as_of = 2026-11-01, first = 2026-11-01 }',
     "charge: first: 2026-11-01 must be after as_of (2026-11-01)"),
    ('{ fee = 18, every = "1 month", balance = 100, as_of = 2026-11-01, price = 1 }',
     'charge: unknown key "price"'),
])
def test_charge_rule_errors(charge, problem):
    problems = config_problems(sims(f'[[sim]]\nid = "x"\nname = "X"\ncharge = {charge}\n'))
    assert len(problems) == 1
    assert problems[0].startswith(f'test.toml: sim "x": {problem}')


# ---------------------------------------------------------------- (5) stages after the deadline

EE = sims("""
[[sim]]
id = "ee"
preset = "ee-uk"
name = "EE"
number = "+44 7700 900456"
last_renewal = 2026-07-21
""")

# 2026-07-21 + 179 days: Jul 31 (10), Aug 31 (41), Sep 30 (71), Oct 31 (102), Nov 30 (132),
# Dec 31 (163), 2027-01-16 (179): the deadline, and the day EE hibernates the number.
# + 90 days from the deadline = Jan 31 (15), Feb 28 (43), Mar 31 (74), 2027-04-16 (90): day 269,
# the last day EE can reinstate it; day 270 (2027-04-17) no longer; day 273 (2027-04-20) recycled.
EE_DUE = date(2027, 1, 16)
EE_STAGES = {
    "ee-stage-0@simfeed": (date(2027, 1, 16), "Hibernated, credit removed: EE ••0456",
                           "Recovery: ask EE customer care to reinstate the number."),
    "ee-stage-1@simfeed": (date(2027, 4, 16), "Last day EE can reinstate the number: EE ••0456",
                           "Recovery: EE customer care, today."),
    "ee-stage-2@simfeed": (date(2027, 4, 17), "No longer reinstatable, to be recycled: EE ••0456",
                           "From today the number cannot be recovered."),
    "ee-stage-3@simfeed": (date(2027, 4, 20), "Recycled: EE ••0456",
                           "From today the number cannot be recovered."),
}


def test_each_stage_is_an_all_day_event(serve):
    raw = fetch(serve(EE), "/calendar.ics")
    feed = parse(raw)
    assert feed.starts() == {"ee-deadline@simfeed": EE_DUE, **{uid: s[0] for uid, s in EE_STAGES.items()}}
    assert (date(2027, 4, 16) - date(2026, 7, 21)).days == 269
    assert (date(2027, 4, 20) - date(2026, 7, 21)).days == 273
    for uid, (_, summary, what) in EE_STAGES.items():
        stage = feed.event(uid)
        assert stage.summary == summary
        assert stage.description is not None
        assert stage.description.startswith(f"The deadline was 2027-01-16. {what}\n")
        assert stage.url == "https://ee.co.uk/"
        # A stage one can still recover from gets an alarm on its day; a lost one does not.
        assert [a.description for a in stage.alarms] == ([f"{summary} (today)"] if "Recovery" in what else [])
    # At 09:00 (GMT in January) on the day.
    assert feed.event("ee-stage-0@simfeed").alarms[0].trigger == timedelta(hours=9)
    text = description(raw, "ee")
    assert ("From 2027-01-16: hibernated, credit removed (recovery: ask EE customer care to reinstate the "
            "number).\nFrom 2027-04-16: last day EE can reinstate the number (recovery: EE customer care, "
            "today).\nFrom 2027-04-17: no longer reinstatable, to be recycled (cannot be recovered).\n"
            "From 2027-04-20: recycled (cannot be recovered).") in text
    # With events for reminders, the stages keep their events but lose their alarms.
    raw = fetch(serve(EE), "/calendar.ics?reminders=events")
    assert valarm_count(raw) == 0
    assert set(EE_STAGES) <= set(parse(raw).uids)


@pytest.mark.parametrize(("today", "days_left", "status"), [
    (date(2027, 1, 1), 15, "ok"),
    (date(2027, 1, 2), 14, "due soon"),        # the first alarm, 14 days ahead
    (date(2027, 1, 16), 0, "due soon"),        # the deadline itself
    (date(2027, 1, 17), -1, "in grace"),       # hibernated, reinstatable
    (date(2027, 4, 16), -90, "in grace"),      # day 269, the last day to reinstate
    (date(2027, 4, 17), -91, "lapsed"),        # day 270
    (date(2027, 4, 20), -94, "lapsed"),        # day 273, recycled
])
def test_status_follows_the_stages(serve, today, days_left, status):
    client = serve(EE, SIMFEED_ADMIN_TOKEN=ADMIN)
    # Noon UTC is the same date in London, in GMT (January) and BST (April) alike.
    with time_machine.travel(datetime.combine(today, datetime.min.time(), UTC) + timedelta(hours=12),
                             tick=False):
        sim = api_sims(client)["ee"]
        result = client.application.test_cli_runner().invoke(args=["check"])
    assert (sim["deadline"], sim["grace_until"], sim["days_left"], sim["status"]) == (
        "2027-01-16", "2027-04-16", days_left, status)
    assert sim["last_renewal"] == "2026-07-21"
    # `check` shows the same: the deadline, the days left and the last day to recover.
    row = result.output.splitlines()[2].split()
    assert row[-4:-1] == ["2027-01-16", str(days_left), "2027-04-16"]  # then the cost a year


GRACE = sims("""
[[sim]]
id = "cubacel"
name = "Cubacel"
number = "+53 5555 4567"
expires = 2026-12-20
grace = "30 days"
""")


def test_grace_is_one_stage(serve):
    raw = fetch(serve(GRACE), "/calendar.ics")
    feed = parse(raw)
    # 2026-12-20 + 30 days: Dec 31 (11), 2027-01-19 (30).
    assert feed.starts() == {"cubacel-deadline@simfeed": date(2026, 12, 20),
                             "cubacel-stage-0@simfeed": date(2027, 1, 19)}
    stage = feed.event("cubacel-stage-0@simfeed")
    assert stage.summary == "Last day to recover: Cubacel ••4567"
    assert stage.description is not None and stage.description.startswith(
        "The deadline was 2026-12-20. Recovery: renew today; after today the number may be lost for good.\n")
    assert len(stage.alarms) == 1


@pytest.mark.parametrize(("today", "status"), [
    (date(2026, 12, 20), "due soon"), (date(2026, 12, 21), "in grace"), (date(2027, 1, 19), "in grace"),
    (date(2027, 1, 20), "lapsed"),
])
def test_grace_status(serve, today, status):
    client = serve(GRACE, SIMFEED_ADMIN_TOKEN=ADMIN)
    with time_machine.travel(datetime.combine(today, datetime.min.time(), UTC) + timedelta(hours=12),
                             tick=False):
        sim = api_sims(client)["cubacel"]
    assert (sim["grace_until"], sim["status"]) == ("2027-01-19", status)


STAGED = sims("""
[[sim]]
id = "x"
name = "X"
expires = 2027-03-01
# Out of order on purpose: they are sorted by when they come.
stages = [
  { after = "30 days", status = "recycled" },
  { after = "0 days", status = "suspended", recovery = "top up" },
  { after = "2 weeks", status = "last day to top up", recovery = "top up today" },
]
""")


@pytest.mark.parametrize(("today", "status"), [
    (date(2027, 3, 2), "in grace"), (date(2027, 3, 30), "in grace"), (date(2027, 3, 31), "lapsed"),
])
def test_stages_in_any_order(serve, today, status):
    client = serve(STAGED, SIMFEED_ADMIN_TOKEN=ADMIN)
    # 2027-03-01 + 0 days; + 14 days = 03-15; + 30 days = 03-31. A stage with a recovery lasts
    # until the next one without: recoverable until 2027-03-30.
    feed = parse(fetch(client, "/calendar.ics"))
    assert [(e.uid, e.start, e.summary) for e in feed.events] == [
        ("x-deadline@simfeed", date(2027, 3, 1), "Renew X"),
        ("x-stage-0@simfeed", date(2027, 3, 1), "Suspended: X"),
        ("x-stage-1@simfeed", date(2027, 3, 15), "Last day to top up: X"),
        ("x-stage-2@simfeed", date(2027, 3, 31), "Recycled: X"),
    ]
    with time_machine.travel(datetime.combine(today, datetime.min.time(), UTC) + timedelta(hours=12),
                             tick=False):
        sim = api_sims(client)["x"]
    assert (sim["grace_until"], sim["status"]) == ("2027-03-30", status)


@pytest.mark.parametrize(("toml", "problem"), [
    ('grace = "30 days"\nstages = [{ after = "30 days", status = "recycled" }]',
     "set either grace or stages, not both (grace is a one-stage shorthand)"),
    ('stages = [{ status = "recycled" }]', "stages[0]: after is missing"),
    ('stages = [{ after = "30 days" }]', "stages[0]: status is missing"),
    ('stages = [{ after = "soon", status = "recycled" }]', 'stages[0]: after: "soon" is not a duration'),
    ('stages = [{ after = "30 days", status = "recycled", colour = "red" }]',
     'stages[0]: unknown key "colour"'),
    ('stages = { after = "30 days", status = "recycled" }', "stages: must be a list"),
    ('grace = "0 days"', 'grace: "0 days" must be longer than zero'),
])
def test_stage_errors(toml, problem):
    problems = config_problems(sims(f'[[sim]]\nid = "x"\nname = "X"\nexpires = 2027-03-01\n{toml}\n'))
    assert len(problems) == 1
    assert problems[0].startswith(f'test.toml: sim "x": {problem}')
