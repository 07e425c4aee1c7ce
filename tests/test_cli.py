"""`flask --app feed check` and `export`."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import time_machine
from icalendar import Calendar

from .conftest import BASIC, write_config

ROOT = Path(__file__).resolve().parent.parent


@time_machine.travel(datetime(2026, 11, 24, 23, 30, tzinfo=ZoneInfo("Europe/London")), tick=False)
def test_check_lists_deadlines_soonest_first(runner, config_path):
    result = runner.invoke(args=["check", str(config_path)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == f"{config_path}: OK, 2 SIMs (today is 2026-11-24 in Europe/London)"
    # cubacel: 2026-01-10 + 330 days = 2026-12-06 (21 days of Jan left + 28 + 31 + 30 + 31 + 30
    # + 31 + 31 + 30 + 31 + 30 = 324 to 2026-11-30, +6); giffgaff: 2026-06-02 + 6 months = 2026-12-02.
    assert lines[1].split() == ["ID", "NAME", "LAST", "RENEWAL", "DEADLINE", "DAYS", "LEFT",
                                "RECOVERABLE", "UNTIL", "COST/YEAR"]
    # Neither SIM has a keep_cost: no projection; the 100 CUP top-up is within the last 12 months.
    assert lines[2].split() == ["giffgaff", "giffgaff", "••0123", "2026-06-02", "2026-12-02", "8", "-", "-"]
    assert lines[3].split() == ["cubacel", "Cubacel", "••4567", "2026-01-10", "2026-12-06", "12",
                                "2027-01-05", "-"]
    assert lines[4:] == ["cost per year: - (not counted, no keep_cost: cubacel, giffgaff)",
                         "paid in the last 12 months: CUP\u00a0100.00"]


@time_machine.travel(datetime(2026, 11, 24, 23, 30, tzinfo=ZoneInfo("UTC")), tick=False)
def test_check_counts_days_in_the_calendar_timezone(runner, tmp_path):
    # 23:30 UTC on 24 Nov is already 25 Nov in Shanghai.
    path = write_config(tmp_path / "sh.toml", BASIC.replace("Europe/London", "Asia/Shanghai"))
    result = runner.invoke(args=["check", str(path)])
    assert "today is 2026-11-25 in Asia/Shanghai" in result.output
    assert result.output.splitlines()[2].split()[-3] == "7"


def test_check_invalid_exits_1_with_one_line_per_problem(runner, tmp_path):
    bad = BASIC.replace('keep_alive = "6 months"', 'keep_alive = "6 moths"').replace(
        'timezone = "Europe/London"', 'timezone = "Europe/Lndon"')
    path = write_config(tmp_path / "bad.toml", bad)
    result = runner.invoke(args=["check", str(path)])
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        f'{path}: calendar: timezone: "Europe/Lndon" is not a known time zone (like "Europe/London")',
        f'{path}: sim "giffgaff": keep_alive: "6 moths" is not a duration '
        '(try "6 months", "180 days" or "P6M")',
    ]


def test_check_syntax_error_names_line_and_column(runner, tmp_path):
    path = write_config(tmp_path / "syntax.toml", '[calendar]\nname = "x\n')
    result = runner.invoke(args=["check", str(path)])
    assert result.exit_code == 1
    assert "line 2, column" in result.output
    assert str(path) in result.output


def test_export_writes_the_feed(runner, tmp_path, client):
    target = tmp_path / "out" / "feed.ics"
    target.parent.mkdir()
    result = runner.invoke(args=["export", str(target)])
    assert result.exit_code == 0, result.output
    assert target.read_bytes() == client.get("/calendar.ics").data
    assert len(Calendar.from_ical(target.read_bytes()).walk("VEVENT")) == 3
    assert not [p for p in target.parent.iterdir() if p.name != "feed.ics"], "no temp file left"


def test_check_runs_through_the_real_flask_command_even_with_a_broken_default(tmp_path):
    """The CLI must explain a bad config, not die while loading the app."""
    bad = write_config(tmp_path / "bad.toml", BASIC.replace('"6 months"', '"6 moths"'))
    env = {"SIMFEED_CONFIG": str(bad), "SIMFEED_INSTANCE": str(tmp_path / "i"), "PATH": "/usr/bin:/bin"}
    flask = [sys.executable, "-m", "flask", "--app", "feed"]
    result = subprocess.run([*flask, "check"], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 1
    assert result.stderr.strip() == (f'{bad}: sim "giffgaff": keep_alive: "6 moths" is not a duration '
                                     '(try "6 months", "180 days" or "P6M")')
    good = subprocess.run([*flask, "check", "feed/config/starter.toml"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)
    assert good.returncode == 0, good.stderr
    # The starter file: giffgaff-uk, tello-us, ee-uk, tmobile-us, cubacel-cu, hahasim-hk, monthly-hk
    # and annual-plan.
    assert good.stdout.startswith("feed/config/starter.toml: OK, 8 SIMs (today is ")
