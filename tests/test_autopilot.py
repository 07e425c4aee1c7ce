"""The keep-alive on autopilot (issue 25): config checks, a year walked over a SIM on each kind of
gateway, and the exactly-once claims, all against real stand-ins on loopback (tests/gateways.py).

The walk's moments were worked out by hand from tests/data/autopilot.toml (times UTC; London is
GMT until 2027-03-28, BST from then until 2027-10-31):
gg     SMS Gate, confirm "delivered" (Sent on the first poll, Delivered on the second): texts on
       2026-11-26 09:00, 2027-05-12 08:00, 2027-10-29 08:00, each confirmed two hours later; the
       renewal of each day moves the deadline to 2027-05-26, 2027-11-12, 2028-04-29.
voda   Home Assistant: 2026-12-21 09:00 (deadline to 2027-06-19), 2027-06-12 08:00 (to 2027-12-09).
three  a command that fails once: 2027-01-18 09:00 fails, 10:00 sent (to 2027-07-17); 2027-07-07 08:00.
ee     SMS Gate reporting Failed: 2027-02-13 09:00, polled Failed at 10:00, again at 11:00, Failed at
       12:00: given up; its reminders go on (14 days, late at 12:00; 3 days; the deadline; overdue).
capped apprise, 10p a text, cap 15p: 2027-01-01 09:00 sent (to 2027-07-01); 2027-06-17 08:00 stopped by
       the cap, and its reminders go on.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import time_machine
from flask import Flask

from feed.autopilot import gateways as gateway_io
from feed.autopilot import runner as autopilot
from feed.core.costs import Money, year_cost
from feed.core.deadlines import deadline_for
from feed.reminders import runner
from feed.storage import attempts

from .conftest import write_config
from .gateways import PASSWORD, TOKEN, HomeAssistant, SmsGate, fake_command, home_assistant, sms_gate
from .helpers import ADMIN_TOKEN, Visitor, config_problems
from .receivers import HttpReceiver, http_receiver
from .test_remind_cli import flask_env

pytestmark = pytest.mark.usefixtures("clean_environment")

DATA = Path(__file__).parent / "data"
ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


# ---------------------------------------------------------------------------- the config


GATEWAY = """
[[gateway]]
id = "old-phone"
kind = "sms-gate"
url = "http://sms:pa55word-secret@192.168.1.20:8080"
"""


def sim_with(autopilot_table: str, rule: str = 'preset = "giffgaff"') -> str:
    return GATEWAY + f"""
[[sim]]
id = "gg"
name = "giffgaff"
{rule}
last_renewal = 2026-06-01
autopilot = {autopilot_table}
"""


@pytest.mark.parametrize("rule, problem", [
    ('topup = { extends = "180 days" }', "its rule is a top-up, a fixed end or a fee"),
    ("expires = 2027-01-01", "its rule is a top-up, a fixed end or a fee"),
    ('charge = { fee = 5, every = "1 month", balance = 20, as_of = 2026-06-01 }', "a top-up, a fixed end"),
    ('keep_alive = "6 months"\ncounts = ["topup", "data"]', "the rule's counts has no sms"),
    ('preset = "tello"', "the rule's counts has no sms"),
], ids=["topup", "expires", "charge", "counts-without-sms", "preset-counting-topups-only"])
def test_an_autopilot_on_a_rule_a_text_does_not_satisfy_names_file_sim_and_key(rule: str, problem: str):
    problems = config_problems(sim_with('{ gateway = "old-phone", to = "+447700900123", text = "hi" }', rule))
    assert len(problems) == 1 and 'sim "gg": autopilot: ' in problems[0] and problem in problems[0], problems


@pytest.mark.parametrize("to", ["43430", "85075", "+43430"])
def test_a_free_number_the_preset_names_does_not_count(to: str):
    (problem,) = config_problems(sim_with(f'{{ gateway = "old-phone", to = "{to}", text = "INFO" }}'))
    assert 'sim "gg": autopilot: to: texts to this number do not count for giffgaff' in problem


def test_an_unknown_gateway_a_confirm_it_cannot_report_and_bad_values_are_each_named():
    text = sim_with('{ gateway = "nope", to = "+447700900123", text = "hi", slot = 4 }') + """
[[gateway]]
id = "ha"
kind = "home-assistant"
url = "http://tok-secret@127.0.0.1:8123"

[[sim]]
id = "voda"
name = "Vodafone"
preset = "vodafone-uk"
last_renewal = 2026-06-01
autopilot = { gateway = "ha", to = "+447700900123", text = "hi", confirm = "delivered", before = "soon" }
"""
    problems = config_problems(text)
    assert any('sim "gg": autopilot: slot: must be' in p for p in problems), problems
    assert any('sim "voda": autopilot: before:' in p for p in problems), problems
    problems = config_problems(text.replace("slot = 4", "slot = 2").replace(', before = "soon"', ""))
    unknown = 'sim "gg": autopilot: gateway: no [[gateway]] with id = "nope"'
    assert any(unknown in p for p in problems), problems
    assert any('sim "voda": autopilot: confirm: home-assistant cannot report "delivered"' in p
               for p in problems), problems


@pytest.mark.parametrize("table, problem", [
    ('kind = "sms-gate"\nurl = "http://192.168.1.20:8080"', "needs the app's user and password"),
    ('kind = "sms-gate"\nurl = "ftp://sms:pw-secret@x"', "must be an http:// or https:// address"),
    ('kind = "home-assistant"\nurl = "http://ha.local:8123"', "needs a long-lived access token"),
    ('kind = "command"\ncommand = "gammu-smsd-inject TEXT {to}"', "must be a list of words"),
    ('kind = "command"\ncommand = ["inject", "{number}"]', "{number} is not one of"),
    ('kind = "apprise"\nurl = "httpsms://key-secret@+447700900001"', "must hold {to}"),
    ('kind = "sms-gate"\nurl_env = "NOT_SET_ANYWHERE"', "is not set"),
    ('kind = "carrier-pigeon"', "kind"),
], ids=["no-credentials", "not-http", "no-token", "command-string", "unknown-placeholder", "apprise-no-to",
        "env-unset", "unknown-kind"])
def test_a_bad_gateway_is_named_and_its_secret_never_echoed(table: str, problem: str):
    problems = config_problems(f'[[gateway]]\nid = "gw"\n{table}\n')
    assert any('gateway "gw"' in p and problem in p for p in problems), problems
    assert "secret" not in "\n".join(problems)


def test_check_shows_gateways_masked_and_the_url_from_the_environment(
        build: Callable[..., Flask], tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("GW", f"http://sms:{PASSWORD}@127.0.0.1:8080")
    text = sim_with('{ gateway = "old-phone", to = "+447700900123", text = "hi" }').replace(
        'url = "http://sms:pa55word-secret@192.168.1.20:8080"', 'url_env = "GW"')
    app = build(write_config(tmp_path / "sims.toml", text))
    result = app.test_cli_runner().invoke(args=["check"])
    assert result.exit_code == 0, result.output
    assert re.search(r"gateway old-phone: SMS Gate \(http://… #[0-9a-f]{4}\) from \$GW, autopilot of gg",
                     result.output), result.output
    assert PASSWORD not in result.output


# ----------------------------------------------------------------------- a year, walked


class Walk:
    """The app on the walk's config, the stand-ins, and passes of `remind` at frozen times."""

    def __init__(self, app: Flask, phone: SmsGate, broken: SmsGate, ha: HomeAssistant, http: HttpReceiver,
                 sms: HttpReceiver, calls: Path):
        self.app, self.phone, self.broken, self.ha, self.http, self.sms, self.calls = (
            app, phone, broken, ha, http, sms, calls)
        self.service = app.extensions["simfeed"]
        self.key = str(app.secret_key).encode()
        self.events: list[tuple[datetime, str, str]] = []

    def run(self, now: datetime, name: str = "walker", text: autopilot.Texter = gateway_io.send) -> None:
        """One pass, as `remind` runs it: the autopilot, then the reminders of the SIMs it does not hold."""
        with time_machine.travel(now, tick=False):
            config = self.service.snapshot().config
            store = self.service.store
            done = autopilot.run_pass(config, store, now, self.key, name, text=text)
            held = autopilot.held_now(config, store, now)
            sent = runner.run_pass(config, store.engine, now, self.key, name, held=held)
        for outcome in done:
            self.events.append((now, outcome.sim_id, f"autopilot {outcome.state}"
                                + (f": {outcome.detail}" if outcome.detail else "")))
        for reminder in sent:
            plan = reminder.planned
            self.events.append((now, plan.deadline.sim.id, f"reminder {plan.occasion.name}"))

    def table(self) -> str:
        """The events, a run of daily overdue reminders of one SIM on one line."""
        lines: list[list[str]] = []
        for at, sim, what in self.events:
            if what.startswith("reminder overdue-") and lines and lines[-1][1] == sim and \
                    lines[-1][2].startswith("reminder overdue-"):
                lines[-1][2] = lines[-1][2].split(" to ")[0] + f" to {what.split()[-1]}, daily"
                continue
            lines.append([f"{at:%Y-%m-%d %H:%M} UTC", sim, what])
        return "\n".join(f"{at}  {sim:<7} {what}" for at, sim, what in lines)


@pytest.fixture
def walker(build: Callable[..., Flask], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Walk]:
    with sms_gate() as phone, sms_gate() as broken, home_assistant() as ha, http_receiver() as http, \
            http_receiver() as sms:
        broken.script = ["Failed"]
        calls, fail = fake_command(tmp_path / "bin")
        fail.write_text("1")
        monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}")
        monkeypatch.setenv("SIMFEED_GATEWAY_OLD_PHONE", phone.url())
        monkeypatch.setenv("SIMFEED_GATEWAY_BROKEN_PHONE", broken.url())
        monkeypatch.setenv("SIMFEED_GATEWAY_HOME", ha.url())
        monkeypatch.setenv("SIMFEED_GATEWAY_APPRISE", f"json://127.0.0.1:{sms.port}/sms/{{to}}")
        monkeypatch.setenv("SIMFEED_ADMIN_TOKEN", ADMIN_TOKEN)
        text = (DATA / "autopilot.toml").read_text().replace("json://127.0.0.1:PORT/hook", http.url())
        app = build(write_config(tmp_path / "sims.toml", text))
        yield Walk(app, phone, broken, ha, http, sms, calls)


@pytest.mark.slow  # a year, hour by hour
def test_a_year_on_autopilot_one_text_per_deadline_renewals_only_on_confirmation_failures_to_reminders(
        walker: Walk, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture):
    caplog.set_level("INFO")
    at = utc(2026, 11, 1)
    while at < utc(2027, 11, 1):
        walker.run(at)
        at += timedelta(hours=1)
    with capsys.disabled():
        print("\n" + walker.table())

    def when(sim: str, what: str) -> list[datetime]:
        return [at for at, s, w in walker.events if s == sim and w.startswith(what)]

    # One text per deadline at its moment, confirmed as each gateway can.
    assert when("gg", "autopilot confirmed") == [utc(2026, 11, 26, 11), utc(2027, 5, 12, 10),
                                                 utc(2027, 10, 29, 10)]
    assert [m["at"] for m in walker.phone.sent()] and len(walker.phone.sent()) == 3
    assert all(m["phoneNumbers"] == ["+447700900999"] and m["simNumber"] == 2 and m["withDeliveryReport"]
               and m["textMessage"] == {"text": "hello"} for m in walker.phone.sent())
    assert when("voda", "autopilot confirmed") == [utc(2026, 12, 21, 9), utc(2027, 6, 12, 8)]
    assert [c["target"] for c in walker.ha.calls] == ["+447700900998"] * 2
    assert {c["path"] for c in walker.ha.calls} == {"/api/services/notify/sms"}
    assert when("three", "autopilot retry") == [utc(2027, 1, 18, 9)]
    assert when("three", "autopilot confirmed") == [utc(2027, 1, 18, 10), utc(2027, 7, 7, 8)]
    assert walker.calls.read_text().splitlines() == ['["TEXT", "+447700900997", "-text", "keep me"]'] * 2
    assert when("capped", "autopilot confirmed") == [utc(2027, 1, 1, 9)]
    assert when("capped", "autopilot capped") == [utc(2027, 6, 17, 8)]
    assert len(walker.sms.received) == 1 and walker.sms.received[0]["path"] == "/sms/+447700900995"
    assert when("ee", "autopilot retry") == [utc(2027, 2, 13, 10)]
    assert when("ee", "autopilot failed") == [utc(2027, 2, 13, 12)]
    assert len(walker.broken.sent()) == 2

    # Renewals: one per confirmed text, never for a pending, failed or stopped one; the deadline moved.
    store = walker.service.store
    logged = {sim: [r.renewal for r in store.list(sim)] for sim in ("gg", "voda", "three", "ee", "capped")}
    assert [r.date for r in sorted(logged["gg"], key=lambda r: r.date)] == [
        date(2026, 11, 26), date(2027, 5, 12), date(2027, 10, 29)]
    assert len(logged["voda"]) == 2 and len(logged["three"]) == 2 and len(logged["capped"]) == 1
    assert logged["ee"] == []
    assert {(r.kind, r.method) for rs in logged.values() for r in rs} == {("sms", "autopilot")}
    assert sorted(r.reference for r in logged["gg"]) == sorted(walker.phone.messages)
    assert {(r.amount, r.currency) for r in logged["gg"] + logged["capped"]} == {(0.1, "GBP")}
    with time_machine.travel(utc(2027, 11, 1), tick=False):
        config = walker.service.snapshot().config
    due = {sim.id: deadline_for(sim, config.calendar).due for sim in config.sims}
    assert due == {"gg": date(2028, 4, 29), "voda": date(2027, 12, 9), "three": date(2028, 1, 3),
                   "ee": date(2027, 2, 27), "capped": date(2027, 7, 1)}

    # The person heard: kept alive once per renewal, failures once each, and reminders only after those.
    titles = walker.http.titles()
    assert sum(t.startswith("Kept alive") for t in titles) == 8
    assert [t for t in titles if t.startswith("Automatic keep-alive failed")] == [
        "Automatic keep-alive failed: renew EE by hand",
        "Automatic keep-alive failed: renew giffgaff spare by hand"]
    for sim in ("gg", "voda", "three"):
        assert when(sim, "reminder") == [], sim
    assert when("ee", "reminder")[:3] == [utc(2027, 2, 13, 12), utc(2027, 2, 24, 9), utc(2027, 2, 27, 9)]
    assert when("capped", "reminder")[:3] == [utc(2027, 6, 17, 8), utc(2027, 6, 28, 8), utc(2027, 7, 1, 8)]

    # The ledger: what the texts cost, as paid in the last 12 months (giffgaff's 10p each).
    paid = {sim.id: year_cost(sim, date(2027, 11, 1)).actual for sim in config.sims}
    assert paid["gg"] == (Money(Decimal("0.3"), "GBP"),) and paid["capped"] == (Money(Decimal("0.1"), "GBP"),)

    # Secrets: never in what left, in the logs, nor in the database.
    leaving = str(walker.http.received) + str(walker.sms.received) + caplog.text
    assert PASSWORD not in leaving and TOKEN not in leaving
    assert "+4477009009" not in str(walker.http.received) + caplog.text  # nor the numbers texted
    engine = store.engine
    with engine.connect() as connection:
        dump = "\n".join(str(row) for table in ("autopilot_attempts", "deliveries", "renewals")
                         for row in connection.exec_driver_sql(f"SELECT * FROM {table}"))
    assert dump and PASSWORD not in dump and TOKEN not in dump and "+447700900999" not in dump


def test_a_confirmation_read_twice_records_one_renewal(walker: Walk):
    walker.run(utc(2026, 11, 26, 9))
    walker.phone.script = ["Delivered"]
    with time_machine.travel(utc(2026, 11, 26, 10), tick=False):
        config = walker.service.snapshot().config
        store = walker.service.store
        first = autopilot.run_pass(config, store, utc(2026, 11, 26, 10), walker.key, "a")
        again = autopilot.run_pass(config, store, utc(2026, 11, 26, 10), walker.key, "b")  # the same snapshot
    assert [o.state for o in first if o.sim_id == "gg"] == ["confirmed"]
    assert [o for o in again if o.sim_id == "gg"] == []
    assert len(store.list("gg")) == 1
    assert sum(t.startswith("Kept alive") for t in walker.http.titles()) == 1


def test_a_gateway_that_took_the_text_and_never_answered_is_not_texted_again_and_the_person_checks(
        walker: Walk, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(gateway_io, "TIMEOUT", 1.0)
    walker.phone.post = "silent"  # the phone sends it, then never answers
    at = utc(2026, 11, 26, 9)
    while at < utc(2026, 11, 26, 14):  # well past the hour after which a failure is retried
        walker.run(at)
        at += timedelta(hours=1)
    gg = [w for _at, s, w in walker.events if s == "gg"]
    assert gg[0].startswith("autopilot interrupted: ReadTimeout"), gg
    assert gg[0].endswith("(no answer after it took the request, so the text may have been sent)"), gg
    assert [w for w in gg if w.startswith("autopilot")] == [gg[0]]  # never tried again
    assert len(walker.phone.sent()) == 1 and walker.service.store.list("gg") == []
    assert "reminder before-14" in gg  # the ordinary reminders take over
    titles = walker.http.titles()
    assert titles.count("Keep-alive text may have been sent: check giffgaff ••0123") == 1
    assert not any(t.startswith("Automatic keep-alive failed") for t in titles)
    (message,) = [m for m in walker.http.received if m["title"].startswith("Keep-alive text may")]
    assert "will not send it again" in message["message"] and "sent messages" in message["message"]
    assert PASSWORD not in str(walker.http.received)


def _closed_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize("kind", ["sms-gate", "home-assistant", "apprise",
                                  pytest.param("command", marks=pytest.mark.slow)])  # starts the command
def test_only_a_text_that_may_have_left_is_held_back_from_a_retry(
        kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Each kind: a gateway that surely sent nothing (refused, or said no) may be tried again; one that
    took the request and went quiet (or a command that hung) may have sent it: never again."""
    from dateutil.relativedelta import relativedelta

    from feed.core.model import Autopilot, Gateway
    from feed.reminders import channels

    monkeypatch.setattr(gateway_io, "TIMEOUT", 1.0)
    monkeypatch.setattr(gateway_io, "COMMAND_TIMEOUT", 1.0)
    monkeypatch.setattr(channels, "READ_TIMEOUT", 1.0)
    pilot = Autopilot("g", "+447700900123", "hello", relativedelta(days=14), "14 days")

    def outcome(gateway: Gateway) -> bool | None:
        try:
            gateway_io.send(gateway, pilot)
        except gateway_io.GatewayError as error:
            assert PASSWORD not in str(error) and TOKEN not in str(error) and pilot.to not in str(error)
            return error.maybe_sent
        return None

    closed = _closed_port()
    if kind == "sms-gate":
        with sms_gate() as phone:
            assert outcome(Gateway("g", kind, url=f"http://sms:{PASSWORD}@127.0.0.1:{closed}")) is False
            phone.post = "error"
            assert outcome(Gateway("g", kind, url=phone.url())) is False
            phone.post = "silent"
            assert outcome(Gateway("g", kind, url=phone.url())) is True
    elif kind == "home-assistant":
        with home_assistant() as ha:
            assert outcome(Gateway("g", kind, url=f"http://:{TOKEN}@127.0.0.1:{closed}")) is False
            ha.status = 500
            assert outcome(Gateway("g", kind, url=ha.url())) is False
            ha.status = 0
            assert outcome(Gateway("g", kind, url=ha.url())) is True
            assert len(ha.calls) == 1
    elif kind == "apprise":
        with http_receiver() as sms:
            assert outcome(Gateway("g", kind, url=f"json://127.0.0.1:{closed}/sms/{{to}}")) is False
            sms.failing = 1
            assert outcome(Gateway("g", kind, url=f"json://127.0.0.1:{sms.port}/sms/{{to}}")) is False
            sms.slow = 3.0
            assert outcome(Gateway("g", kind, url=f"json://127.0.0.1:{sms.port}/sms/{{to}}")) is True
            assert len(sms.received) == 1  # the slow one arrived: exactly why it is never sent again
    else:
        calls, fail = fake_command(tmp_path / "bin")
        fail.write_text("1")
        inject = str(tmp_path / "bin" / "fake-inject")
        assert outcome(Gateway("g", kind, command=(inject, "{to}", "{text}"))) is False
        hang = tmp_path / "bin" / "hang"
        hang.write_text(f"#!/bin/sh\n{inject} \"$@\"\nexec sleep 30\n")
        hang.chmod(0o755)
        assert outcome(Gateway("g", kind, command=(str(hang), "{to}", "{text}"))) is True
        assert len(calls.read_text().splitlines()) == 1  # queued, then hung


def test_an_error_answer_and_no_confirmation_in_time_fall_back_to_reminders(walker: Walk):
    walker.phone.post = "error"
    walker.run(utc(2026, 11, 26, 9))
    walker.phone.post = "ok"
    walker.phone.script = ["Sent"]  # never Delivered
    at = utc(2026, 11, 26, 10)
    while at < utc(2026, 11, 26, 18):
        walker.run(at)
        at += timedelta(hours=1)
    gg = [w for _at, s, w in walker.events if s == "gg"]
    assert gg[0].startswith("autopilot retry: ") and "500" in gg[0], gg
    unconfirmed = "autopilot failed: no confirmation from the gateway within 6 hours"
    assert any(w.startswith(unconfirmed) for w in gg), gg
    assert "reminder before-14" in gg  # the ordinary reminder, once the autopilot gave up
    assert walker.service.store.list("gg") == []


def test_dry_run_and_pause_send_nothing(walker: Walk):
    with time_machine.travel(utc(2026, 11, 26, 9), tick=False):
        config = walker.service.snapshot().config
        store = walker.service.store
        would = autopilot.run_pass(config, store, utc(2026, 11, 26, 9), walker.key, "w", dry_run=True)
        assert [(o.sim_id, o.state, o.detail) for o in would] == [("gg", "would send", "'hello' to ••0999")]
        attempts.set_paused(store.engine, "gg", True, utc(2026, 11, 26, 9).timestamp())
        assert autopilot.run_pass(config, store, utc(2026, 11, 26, 9), walker.key, "w") == []
        assert "gg" not in autopilot.held_now(config, store, utc(2026, 11, 26, 9))
    assert walker.phone.sent() == []


# ------------------------------------------------------------------- real runner processes


def due_today(tmp_path: Path, sims: int) -> Path:
    """SIMs on the phone whose text is due now, whatever today is: due in 14 days, alarm at 00:00 UTC."""
    last = datetime.now(UTC).date() + timedelta(days=14) - timedelta(days=180)
    tables = [f"""
[[sim]]
id = "s{n:02d}"
name = "SIM {n}"
keep_alive = "180 days"
last_renewal = {last.isoformat()}
autopilot = {{ gateway = "phone", to = "+4477009{n:05d}", text = "keep {n}", confirm = "delivered" }}
""" for n in range(sims)]
    return write_config(tmp_path / "sims.toml", """
[calendar]
timezone = "UTC"
alarm_time = "00:00"

[[gateway]]
id = "phone"
kind = "sms-gate"
url_env = "SIMFEED_GATEWAY_PHONE"
""" + "".join(tables), mtime=None)


def remind(config: Path, database: str, url: str) -> subprocess.Popen[str]:
    return subprocess.Popen([str(BIN / "flask"), "--app", "feed", "remind"], cwd=ROOT,
                            env={**flask_env(config, database), "SIMFEED_GATEWAY_PHONE": url},
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)
def test_three_runner_processes_at_once_send_each_text_once(tmp_path: Path, log_url: str, backend: str):
    with sms_gate() as phone:
        config = due_today(tmp_path, sims=12)
        runners = [remind(config, log_url, phone.url()) for _ in range(3)]
        outputs = [process.communicate(timeout=180)[0] for process in runners]
        assert all(process.returncode == 0 for process in runners), outputs
        texts = sorted(m["textMessage"]["text"] for m in phone.sent())
        assert texts == sorted(f"keep {n}" for n in range(12))
        assert sum(output.count("autopilot pending") for output in outputs) == 12
        joined = "\n".join(outputs)
        assert PASSWORD not in joined and "+4477009" not in joined


def test_a_runner_killed_mid_send_never_sends_that_text_again(tmp_path: Path):
    database = str(tmp_path / "log.sqlite3")
    with sms_gate() as phone:
        config = due_today(tmp_path, sims=1)
        phone.post = "hang"
        first = remind(config, database, phone.url())
        deadline = time.monotonic() + 60
        while not _waiting(database) and time.monotonic() < deadline and first.poll() is None:
            time.sleep(0.05)
        assert _waiting(database)
        first.send_signal(signal.SIGKILL)
        first.communicate(timeout=10)
        phone.post = "ok"
        second = remind(config, database, phone.url())
        output = second.communicate(timeout=120)[0]
        assert second.returncode == 0, output
        assert phone.sent() == []  # the killed runner's text is never sent again by another
        assert "autopilot pending" not in output


def _waiting(database: str) -> bool:
    """Whether a runner has claimed the attempt (it is then waiting on the hanging phone)."""
    import sqlite3

    if not Path(database).exists():
        return False
    try:
        with sqlite3.connect(database) as connection:
            rows = connection.execute("SELECT state FROM autopilot_attempts").fetchall()
    except sqlite3.OperationalError:
        return False
    return rows == [("sending",)]


def test_autopilot_test_asks_first_and_sends_one(build: Callable[..., Flask], tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch):
    with sms_gate() as phone:
        monkeypatch.setenv("SIMFEED_GATEWAY_PHONE", phone.url())
        app = build(due_today(tmp_path, sims=1))
        cli = app.test_cli_runner()
        refused = cli.invoke(args=["autopilot-test", "s00"], input="n\n")
        assert refused.exit_code == 1 and phone.sent() == []
        assert "It costs what your carrier charges for a text" in refused.output
        done = cli.invoke(args=["autopilot-test", "s00", "--yes"])
        assert done.exit_code == 0, done.output
        assert "handed to SMS Gate (http://… #" in done.output and "no renewal recorded" in done.output
        assert len(phone.sent()) == 1 and app.extensions["simfeed"].store.list() == []
        assert PASSWORD not in done.output
        unknown = cli.invoke(args=["autopilot-test", "nope", "--yes"])
        assert unknown.exit_code == 1 and "SIMs with one: s00" in unknown.output


def test_remind_dry_run_prints_the_text_and_sends_nothing(build: Callable[..., Flask], tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch):
    with sms_gate() as phone:
        monkeypatch.setenv("SIMFEED_GATEWAY_PHONE", phone.url())
        app = build(due_today(tmp_path, sims=1))
        result = app.test_cli_runner().invoke(args=["remind", "--dry-run"])
        assert result.exit_code == 0, result.output
        assert "autopilot would send: s00" in result.output and "'keep 0' to ••0000" in result.output
        assert phone.sent() == [] and PASSWORD not in result.output


def test_the_page_shows_the_gateway_masked_the_next_and_last_text_and_signed_in_pauses_it(walker: Walk):
    walker.run(utc(2026, 11, 26, 9))  # gg's text handed over, pending
    with time_machine.travel(utc(2026, 11, 26, 9, 30), tick=False):
        visitor = Visitor(walker.app.test_client())
        page = visitor.html("/sims/gg")
        assert re.search(r'id="autopilot-gateway">SMS Gate \(http://… #[0-9a-f]{4}\)<', page), page
        assert "sent, waiting for the gateway&#39;s confirmation" in page
        assert PASSWORD not in page and "Pause the autopilot" not in page
        voda = visitor.html("/sims/voda")
        assert 'datetime="2026-12-21T09:00:00+00:00"' in voda  # its next text
        visitor.sign_in()
        voda = visitor.html("/sims/voda")
        answer = visitor.client.post("/sims/voda/autopilot",
                                     data={"csrf_token": Visitor.hidden(voda, "csrf_token"), "pause": "1"})
        assert answer.status_code == 303
        voda = visitor.html("/sims/voda")
        assert "Resume the autopilot" in voda and 'id="autopilot-next">paused<' in voda
    walker.run(utc(2026, 12, 21, 9))
    assert walker.ha.calls == []  # paused: no text
    assert "voda" not in [s for _at, s, w in walker.events if w.startswith("autopilot")]


def test_a_runner_killed_while_texting_never_sends_it_again_and_the_person_is_reminded(walker: Walk):
    at = utc(2026, 11, 26, 9)

    def killed(gateway: Any, pilot: Any) -> gateway_io.Report:
        gateway_io.send(gateway, pilot)  # the text left, then the process died before recording it
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        walker.run(at, "first", text=killed)
    walker.run(at + timedelta(minutes=1), "second")  # restarted at once: the claim's lease holds
    assert [w for _at, s, w in walker.events if s == "gg"] == []
    walker.run(at + timedelta(seconds=autopilot.LEASE + 60), "third")  # the lease ran out: interrupted
    walker.run(at + timedelta(hours=3), "fourth")
    assert len(walker.phone.sent()) == 1 and walker.service.store.list("gg") == []
    gg = [w for _at, s, w in walker.events if s == "gg"]
    assert gg[0].startswith("autopilot interrupted: the runner stopped while sending"), gg
    assert "reminder before-14" in gg  # reminded as if there were no autopilot
    assert "Keep-alive text may have been sent: check giffgaff ••0123" in walker.http.titles()


def test_confirm_manual_waits_for_the_one_tap_link_which_records_one_renewal(walker: Walk):
    path = Path(walker.app.config["SIMFEED_CONFIG"])
    text = path.read_text().replace('confirm = "delivered"', 'confirm = "manual"')
    write_config(path, text, mtime=1_780_000_100)
    walker.phone.script = ["Sent"]
    walker.run(utc(2026, 11, 26, 9))
    walker.run(utc(2026, 11, 26, 10))
    assert walker.service.store.list("gg") == []
    (message,) = [m for m in walker.http.received if m["title"].startswith("Keep-alive text sent")]
    assert message["title"] == "Keep-alive text sent: giffgaff ••0123"
    link = re.search(r"https://sims\.example\.org(/renewed/\S+)", message["message"])
    assert link is not None
    client = walker.app.test_client()
    with time_machine.travel(utc(2026, 11, 26, 12), tick=False):
        page = client.get(link.group(1)).get_data(as_text=True)
        for _ in range(2):
            csrf = Visitor.hidden(page, "csrf_token")
            client.post(link.group(1), data={"csrf_token": csrf, "date": "2026-11-26"})
    assert [r.renewal.date for r in walker.service.store.list("gg")] == [date(2026, 11, 26)]
    walker.run(utc(2026, 11, 26, 13))
    assert len(walker.phone.sent()) == 1
