"""The keep-alive ledger through the app: API, CLI, page, download and feed (issue 14).

Today is 2026-12-04 (London); the year runs to 2027-12-04. Costs worked out by hand:
cmhk: HK$50 per 180 days, three in a year: 150 HKD; paid in 12 months: 50 + 60 = 110 HKD.
plan: expires 2027-03-31, nothing to pay until then.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from flask import Flask
from flask.testing import FlaskClient

from feed.core.wording import Wording

from .conftest import write_config
from .helpers import Visitor, fetch

ADMIN = "admin-token-for-ledger"
AUTH = {"Authorization": f"Bearer {ADMIN}"}
TODAY = datetime(2026, 12, 4, 12, tzinfo=ZoneInfo("Europe/London"))
# 2026-11-24 + 14 months = 2028-01-24: the presets' rules are then over a year old (CMHK's,
# checked on 2026-12-06, 13 months old).
LATER = datetime(2028, 1, 30, 12, tzinfo=ZoneInfo("Europe/London"))

CONFIG = """
[calendar]
timezone = "Europe/London"
{extra}

[[sim]]
id = "cmhk"
name = "=HYPERLINK(\\"http://x\\")"
preset = "cmhk"
number = "+852 5555 0178"
accounts = ["HSBC HK", "WhatsApp"]
renewals = [{{ date = 2026-06-01, amount = 50 }}, {{ date = 2026-11-01, amount = 60, currency = "HKD" }}]

[[sim]]
id = "plan"
name = "Data plan"
expires = 2027-03-31
"""

pytestmark = pytest.mark.usefixtures("clean_environment")


@pytest.fixture
def ledger_app(tmp_path: Path, make_app) -> Flask:
    path = write_config(tmp_path / "sims.toml", CONFIG.format(extra=""))
    return make_app(path, SIMFEED_ADMIN_TOKEN=ADMIN)


def signed_in(app: Flask) -> FlaskClient:
    client = app.test_client()
    assert Visitor(client).sign_in(ADMIN).status_code == 303
    return client


@time_machine.travel(TODAY, tick=False)
def test_api_gives_cost_accounts_check_and_the_rule_s_age(ledger_app: Flask) -> None:
    client = ledger_app.test_client()
    sims = {s["id"]: s for s in client.get("/api/sims", headers=AUTH).get_json()}
    assert sims["cmhk"]["cost_per_year"] == {
        "projected": {"amount": "150", "currency": "HKD", "until": None,
                      "steps": [{"times": 3, "price": "50", "period": "180 days"}]},
        "actual": [{"amount": "110", "currency": "HKD"}]}
    assert sims["cmhk"]["accounts"] == ["HSBC HK", "WhatsApp"]
    assert sims["cmhk"]["check"] == {"kind": "ussd", "code": "*#131#", "to": None}
    assert (sims["cmhk"]["rule_checked"], sims["cmhk"]["rule_check_stale"]) == ("2026-12-06", False)
    assert sims["plan"]["cost_per_year"] == {
        "projected": {"amount": "0", "currency": None, "until": "2027-03-31", "steps": []}, "actual": []}
    assert client.get("/api/totals", headers=AUTH).get_json() == {
        "projected": [{"amount": "150", "currency": "HKD"}], "actual": [{"amount": "110", "currency": "HKD"}]}
    assert client.get("/api/totals").status_code == 401


def test_check_and_presets_flag_a_rule_checked_over_a_year_ago(ledger_app: Flask) -> None:
    runner = ledger_app.test_cli_runner()
    with time_machine.travel(LATER, tick=False):
        check = runner.invoke(args=["check"]).output.splitlines()
        presets = runner.invoke(args=["presets"]).output
    assert "cmhk: preset cmhk: rule last checked 13 months ago: confirm it with the carrier" in check
    assert "  rule last checked 14 months ago: confirm it with the carrier\n" in presets
    assert "(checked 2026-11-24, 14 months ago)" in presets
    with time_machine.travel(TODAY, tick=False):
        check = runner.invoke(args=["check"]).output.splitlines()
    money = Wording().money
    assert check[-2:] == [f"cost per year: {money(Decimal(150), 'HKD')}",
                          f"paid in the last 12 months: {money(Decimal(110), 'HKD')}"]


@time_machine.travel(TODAY, tick=False)
def test_export_sims_csv_is_safe_for_spreadsheets_and_json_matches(ledger_app: Flask) -> None:
    runner = ledger_app.test_cli_runner()
    rows = list(csv.DictReader(io.StringIO(runner.invoke(args=["export-sims", "--format", "csv"]).output)))
    assert [r["id"] for r in rows] == ["plan", "cmhk"]  # 2027-03-31 before 2027-05-28
    cmhk = rows[1]
    assert cmhk["name"] == "'=HYPERLINK(\"http://x\")"  # never a formula
    assert cmhk["number"] == "••0178"
    # Last top-up 2026-11-01 + 180 days: 2027-04-30 (29 + 31 + 31 + 28 + 31 + 30 = 180).
    assert (cmhk["deadline"], cmhk["status"], cmhk["cost_per_year"], cmhk["cost_currency"]) == \
        ("2027-04-30", "ok", "150", "HKD")
    assert (cmhk["paid_last_12_months"], cmhk["accounts"]) == ("110 HKD", "HSBC HK; WhatsApp")
    document = json.loads(runner.invoke(args=["export-sims", "--format", "json"]).output)
    assert [s["id"] for s in document["sims"]] == ["plan", "cmhk"]
    assert document["totals"]["projected"] == [{"amount": "150", "currency": "HKD"}]
    assert runner.invoke(args=["export-sims", "--format", "xls"]).exit_code == 1


@time_machine.travel(TODAY, tick=False)
def test_page_shows_cost_and_accounts_only_when_signed_in(ledger_app: Flask) -> None:
    anonymous = ledger_app.test_client()
    page = anonymous.get("/sims/cmhk").get_data(as_text=True)
    # 150 HKD a year: three HK$50 top-ups of 180 days each.
    assert 'id="cost">' + Wording().money(Decimal(150), "HKD") in page
    assert 'href="tel:*%23131%23"' in page
    assert "HSBC HK" not in page
    assert anonymous.get("/sims.csv").status_code == 302  # to the sign-in
    index = anonymous.get("/").get_data(as_text=True)
    assert "/sims.csv" not in index
    client = signed_in(ledger_app)
    page = client.get("/sims/cmhk").get_data(as_text=True)
    assert 'id="accounts">HSBC HK, WhatsApp<' in page
    assert "/sims.csv" in client.get("/").get_data(as_text=True)
    download = client.get("/sims.csv")
    assert download.status_code == 200 and download.mimetype == "text/csv"
    assert "attachment" in download.headers["Content-Disposition"]
    assert download.get_data(as_text=True) == ledger_app.test_cli_runner().invoke(args=["export-sims"]).output


def test_page_flags_an_old_rule(ledger_app: Flask) -> None:
    with time_machine.travel(LATER, tick=False):
        page = ledger_app.test_client().get("/sims/cmhk").get_data(as_text=True)
    assert "rule last checked 13 months ago: confirm it with the carrier" in page


@time_machine.travel(TODAY, tick=False)
@pytest.mark.parametrize("shown", [False, True], ids=["default", "show_accounts"])
def test_accounts_reach_the_feed_only_with_show_accounts(tmp_path: Path, make_app, shown: bool) -> None:
    extra = "show_accounts = true" if shown else ""
    app = make_app(write_config(tmp_path / "sims.toml", CONFIG.format(extra=extra)))
    feed = fetch(app.test_client(), "/calendar.ics").decode()
    assert ("If this number lapses: HSBC HK, WhatsApp." in feed.replace("\r\n ", "").replace("\\,", ",")) \
        is shown
