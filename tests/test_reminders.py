"""Push reminders (issue 11): when they are due, and that each is sent once, with real apprise.

Every message goes through apprise to a real receiver on loopback (tests/receivers.py): an
HTTP endpoint for json:// and an SMTP server for mailto://. Time is frozen with time-machine,
and every expected moment below was worked out by hand from tests/data/reminders.toml:

gg   (giffgaff): due 2026-11-30, alarm 7 days before at 20:30 London; no stages, so daily
     after the deadline; renewed on 2026-12-04, which moves it to 2027-06-04.
plan (Annual plan): ends 2027-03-31, 3 days' grace, the calendar's alarms (14, 3, 0 days) at
     09:00 London; clocks go forward on 2027-03-28, so from then 09:00 is 08:00 UTC.
cuba (a top-up rule): due 2026-12-06, suspended from 2026-12-16, lost on 2026-12-26.
fee  (a monthly fee from a balance): due 2027-04-01, when the balance no longer covers it.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from flask import Flask

from feed.core.deadlines import deadline_for
from feed.core.model import CalendarSettings, Expires, Sim
from feed.reminders import channels, runner
from feed.reminders.schedule import OVERDUE_DAYS, Schedule
from feed.storage import deliveries, renewals

from .conftest import write_config
from .receivers import HttpReceiver, SmtpReceiver, http_receiver, smtp_receiver

pytestmark = pytest.mark.usefixtures("clean_environment")

DATA = Path(__file__).parent / "data"
LONDON = "Europe/London"


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


# ----------------------------------------------------------------- the schedule, by hand


def schedule_of(sim: Sim, **calendar: Any) -> Schedule:
    from zoneinfo import ZoneInfo

    settings = CalendarSettings(timezone=ZoneInfo(calendar.pop("zone", LONDON)), **calendar)
    return Schedule(deadline_for(sim, settings), settings.timezone)


def walk(schedule: Schedule, start: datetime, end: datetime, step: timedelta) -> list[tuple[str, datetime]]:
    """Each occasion and the first moment it is current, checking every `step`."""
    seen: list[tuple[str, datetime]] = []
    at = start
    while at < end:
        occasion = schedule.current(at)
        if occasion is not None and (not seen or seen[-1][0] != occasion.name):
            seen.append((occasion.name, at))
        at += step
    return seen


def walk_config(http: str = "json://127.0.0.1:9/hook", smtp: str = "json://127.0.0.1:9/mail") -> str:
    """tests/data/reminders.toml with its channels pointed at these URLs."""
    text = (DATA / "reminders.toml").read_text()
    return text.replace("json://127.0.0.1:PORT/hook", http).replace("SMTP_URL", smtp)


def test_alarm_days_then_daily_to_the_last_stage_at_local_time_across_the_spring_change():
    from feed.config.load import parse_toml

    plan = parse_toml(walk_config()).sim("plan")
    assert plan is not None
    seen = walk(schedule_of(plan), utc(2027, 3, 1), utc(2027, 4, 30), timedelta(minutes=30))
    assert seen == [
        ("before-14", utc(2027, 3, 17, 9, 0)),   # GMT
        ("before-3", utc(2027, 3, 28, 8, 0)),    # the day clocks go forward: 09:00 BST
        ("before-0", utc(2027, 3, 31, 8, 0)),
        ("overdue-1", utc(2027, 4, 1, 8, 0)),
        ("overdue-2", utc(2027, 4, 2, 8, 0)),
        ("overdue-3", utc(2027, 4, 3, 8, 0)),    # the grace's last day; nothing after it
    ]


def test_the_autumn_change_and_a_zone_east_of_utc():
    sim = Sim("x", "X", Expires(date(2026, 10, 25)), alarms=(1, 0))  # clocks go back on 25 October
    assert walk(schedule_of(sim), utc(2026, 10, 20), utc(2026, 10, 27), timedelta(minutes=30))[:3] == [
        ("before-1", utc(2026, 10, 24, 8, 0)),  # 09:00 BST
        ("before-0", utc(2026, 10, 25, 9, 0)),  # 09:00 GMT
        ("overdue-1", utc(2026, 10, 26, 9, 0))]
    shanghai = schedule_of(sim, zone="Asia/Shanghai")
    assert shanghai.current(utc(2026, 10, 24, 0, 59)) is None  # 08:59 in Shanghai
    assert shanghai.current(utc(2026, 10, 24, 1, 0)).name == "before-1"  # type: ignore[union-attr]


def test_without_stages_daily_for_thirty_days_then_silence():
    sim = Sim("x", "X", Expires(date(2026, 1, 31)), alarms=())
    schedule = schedule_of(sim)
    assert schedule.current(utc(2026, 2, 1, 8, 59)) is None
    assert schedule.current(utc(2026, 2, 1, 9, 0)).name == "overdue-1"  # type: ignore[union-attr]
    assert schedule.current(utc(2026, 3, 2, 23, 0)).name == f"overdue-{OVERDUE_DAYS}"  # type: ignore[union-attr]
    assert schedule.current(utc(2026, 3, 3, 9, 0)) is None
    assert schedule.upcoming(utc(2026, 3, 3, 9, 0)) is None


def test_a_runner_back_after_days_down_finds_only_the_newest_occasion():
    sim = Sim("x", "X", Expires(date(2026, 12, 20)))
    schedule = schedule_of(sim)
    # The 14- and 3-day alarms passed while it was down: only the 3-day one is current.
    assert schedule.current(utc(2026, 12, 19, 12, 0)).name == "before-3"  # type: ignore[union-attr]
    assert schedule.upcoming(utc(2026, 12, 19, 12, 0)).due_at == utc(2026, 12, 20, 9, 0)  # type: ignore[union-attr]


# ------------------------------------------------------------------ channels, scrubbed


def test_a_failure_is_reported_without_any_part_of_the_url():
    with http_receiver() as receiver:
        receiver.failing = 1
        url = receiver.url("s3cretWebhookPath")
        failure = channels.send(url, "t", "b")
    assert failure is not None and "500" in failure.reason
    assert "s3cretWebhookPath" not in failure.reason and str(receiver.port) not in failure.reason
    assert channels.send("json://127.0.0.1:1/An0therS3cret", "t", "b") is not None


def test_mail_arrives_with_its_title_and_text():
    with smtp_receiver() as smtp:
        assert channels.send(smtp.url(), "Renew 你好", "line one\nline two") is None
    (mail,) = smtp.mails
    assert mail["Subject"] == "Renew 你好" and "line two" in mail.get_content()


# -------------------------------------------------------------------- a year, walked


class Walk:
    """The app on the walk's config, its receivers, and passes of the runner at frozen times."""

    def __init__(self, app: Flask, http: HttpReceiver, smtp: SmtpReceiver):
        self.app, self.http, self.smtp = app, http, smtp
        self.service = app.extensions["simfeed"]
        self.key = str(app.secret_key).encode()

    def run(self, now: datetime, name: str = "walker",
            send: channels.Sender = channels.send) -> list[runner.Outcome]:
        with time_machine.travel(now, tick=False):
            config = self.service.snapshot().config
            return runner.run_pass(config, self.service.store.engine, now, self.key, name, send=send)


@pytest.fixture
def receivers() -> Iterator[tuple[HttpReceiver, SmtpReceiver]]:
    with http_receiver() as http, smtp_receiver() as smtp:
        yield http, smtp


def make_walk(build: Callable[..., Flask], tmp_path: Path, receivers: tuple[HttpReceiver, SmtpReceiver],
              phone_sims: list[str] | None = None) -> Walk:
    """The app on the walk's config with its channels on the receivers (the phone's for some SIMs only)."""
    http, smtp = receivers
    text = walk_config(http.url(), smtp.url())
    if phone_sims is not None:
        chosen = ", ".join(f'"{sim_id}"' for sim_id in phone_sims)
        text = text.replace(f'urls = ["{http.url()}"]', f'urls = ["{http.url()}"]\nsims = [{chosen}]')
    return Walk(build(write_config(tmp_path / "sims.toml", text)), http, smtp)


@pytest.fixture
def walker(build: Callable[..., Flask], tmp_path: Path, receivers: tuple[HttpReceiver, SmtpReceiver]) -> Walk:
    return make_walk(build, tmp_path, receivers)


@pytest.fixture
def gg_walker(build: Callable[..., Flask], tmp_path: Path,
              receivers: tuple[HttpReceiver, SmtpReceiver]) -> Walk:
    """The walk with the phone's channel for giffgaff alone, for the tests of one SIM's reminders."""
    return make_walk(build, tmp_path, receivers, ["gg"])


def stamped(send: channels.Sender, log: list[tuple[str, str, datetime]]) -> channels.Sender:
    """The real send, noting when (frozen time) each message left and its title."""

    def sending(url: str, title: str, body: str) -> str | None:
        log.append((url.partition(":")[0], title, datetime.now(UTC)))
        return send(url, title, body)

    return sending


@pytest.mark.slow  # a year, minute by minute on each occasion
def test_a_year_of_reminders_each_once_at_its_moment_with_a_renewal_in_the_middle(walker: Walk):
    sent: list[tuple[str, str, datetime]] = []
    send = stamped(channels.send, sent)
    at = utc(2026, 11, 1)
    while at < utc(2027, 11, 1):
        if at == utc(2026, 12, 4, 12, 0):  # the person renews gg by text, mid-overdue
            with time_machine.travel(at, tick=False):
                config = walker.service.snapshot().config
                renewals.record(walker.service.store, config, "gg", {"date": "2026-12-04", "kind": "sms"},
                                date(2026, 12, 4))
        walker.run(at, send=send)
        at += timedelta(minutes=30)

    def moments(scheme: str, word: str) -> list[datetime]:
        return [when for s, title, when in sent if s == scheme and word in title]

    gg_before = [utc(2026, 11, 23, 20, 30), utc(2027, 5, 28, 19, 30)]  # GMT, then BST
    gg_overdue = [utc(2026, 12, day, 20, 30) for day in (1, 2, 3)]
    gg_overdue += [utc(2027, 6, 5, 19, 30) + timedelta(days=n) for n in range(30)]  # 5 June to 4 July
    plan_phone = [utc(2027, 3, 17, 9), utc(2027, 3, 28, 8), utc(2027, 3, 31, 8),
                  utc(2027, 4, 1, 8), utc(2027, 4, 2, 8), utc(2027, 4, 3, 8)]
    plan_mail = [utc(2027, 3, 30, 8), utc(2027, 4, 1, 8), utc(2027, 4, 2, 8), utc(2027, 4, 3, 8)]
    cuba = [utc(2026, 11, 22, 9), utc(2026, 12, 3, 9)] + [utc(2026, 12, 6, 9) + timedelta(days=n)
                                                          for n in range(21)]  # 6 to 26 December
    fee = [utc(2027, 3, 25, 9)] + [utc(2027, 4, 2, 8) + timedelta(days=n) for n in range(30)]  # to 1 May
    assert moments("json", "giffgaff") == sorted(gg_before + gg_overdue)
    assert moments("json", "Annual plan") == plan_phone
    assert moments("mailto", "Annual plan") == plan_mail
    assert moments("json", "Cubacel") == cuba
    assert moments("json", "Monthly fee") == fee
    # Every message arrived, once: the receivers hold exactly what was sent.
    assert len(walker.http.received) == len(gg_before + gg_overdue + plan_phone + cuba + fee)
    assert len(walker.smtp.mails) == len(plan_mail)
    titles = walker.http.titles()
    assert titles[:3] == ["Renew Cubacel: deadline in 14 days (2026-12-06)",
                          "Renew giffgaff ••0123: deadline in 7 days (2026-11-30)",
                          "Overdue: renew giffgaff ••0123 (deadline 2026-11-30, 1 day ago)"]
    assert "Last day to recover: Annual plan" in titles
    assert "Suspended: Cubacel" in titles and "Number lost: Cubacel" in titles
    assert "Renew Monthly fee: deadline in 7 days (2027-04-01)" in titles
    assert walker.smtp.mails[0]["Subject"] == "续费 Annual plan：1 天后截止（2027-03-31）"
    with time_machine.travel(utc(2027, 11, 1), tick=False):
        rows = deliveries.for_sims(walker.service.store.engine, ["gg", "plan", "cuba", "fee"])
    assert {row.state for row in rows} == {"sent"} and {row.attempts for row in rows} == {1}
    assert "900123" not in "".join(str(m) for m in walker.http.received)


def test_the_message_carries_the_one_tap_link_which_records_the_renewal_once(gg_walker: Walk):
    gg_walker.run(utc(2026, 11, 23, 20, 30))
    (message,) = gg_walker.http.received
    body = message["message"]
    assert "Send a text to another number" in body and "renew at least every 6 months" in body
    link = re.search(r"https://sims\.example\.org(/renewed/\S+)", body)
    assert link is not None
    client = gg_walker.app.test_client()
    with time_machine.travel(utc(2026, 11, 24, 10), tick=False):
        page = client.get(link.group(1))
        assert page.status_code == 200 and "giffgaff" in page.get_data(as_text=True)
        assert gg_walker.service.store.list() == []  # opening it stores nothing
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True))
        assert csrf is not None
        for _ in range(2):  # a double tap
            client.post(link.group(1), data={"csrf_token": csrf.group(1), "date": "2026-11-24"})
        assert len(gg_walker.service.store.list()) == 1
    # The deadline moved to 2027-05-24: the old deadline's reminders stop.
    for day in range(24, 31):
        gg_walker.run(utc(2026, 11, day, 21))
    gg_walker.run(utc(2026, 12, 1, 21))
    assert len(gg_walker.http.received) == 1


def test_the_link_in_an_overdue_reminder_still_opens_the_form(gg_walker: Walk):
    # gg has no stages: reminded daily for 30 days after its deadline (30 November), each with the link.
    at = utc(2026, 12, 20, 20, 30)  # overdue-20
    gg_walker.run(at)
    (message,) = gg_walker.http.received
    link = re.search(r"https://sims\.example\.org(/renewed/\S+)", message["message"])
    assert link is not None
    with time_machine.travel(at + timedelta(hours=1), tick=False):
        page = gg_walker.app.test_client().get(link.group(1))
    assert page.status_code == 200 and 'action="/renewed/' in page.get_data(as_text=True)


def test_a_runner_down_for_days_sends_one_reminder_not_a_burst(gg_walker: Walk):
    gg_walker.run(utc(2026, 11, 10))  # nothing due yet
    gg_walker.run(utc(2026, 12, 2, 12))  # down since: the 7-day alarm and overdue-1 passed
    assert gg_walker.http.titles() == ["Overdue: renew giffgaff ••0123 (deadline 2026-11-30, 2 days ago)"]


def test_a_failing_receiver_is_retried_with_backoff_then_recovers(gg_walker: Walk):
    gg_walker.http.failing = 2
    start = utc(2026, 11, 23, 20, 30)
    for offset in (0, 30, 60, 61, 300, 361, 1000):  # seconds: tries at 0, 60 (fails), 360 (sent)
        gg_walker.run(start + timedelta(seconds=offset))
    assert gg_walker.http.refused == 2 and len(gg_walker.http.received) == 1
    with time_machine.travel(start + timedelta(hours=1), tick=False):
        (row,) = deliveries.for_sims(gg_walker.service.store.engine, ["gg"])
    assert (row.state, row.attempts, row.error) == ("sent", 3, None)


def test_a_receiver_that_never_recovers_is_given_up_after_four_tries(gg_walker: Walk):
    gg_walker.http.failing = 100
    start = utc(2026, 11, 23, 20, 30)
    for minutes in range(0, 60 * 12, 1):
        gg_walker.run(start + timedelta(minutes=minutes))
    assert gg_walker.http.refused == 4 and gg_walker.http.received == []
    with time_machine.travel(start + timedelta(hours=12), tick=False):
        (row,) = deliveries.for_sims(gg_walker.service.store.engine, ["gg"])
    assert row.state == "failed" and row.attempts == 4 and "500" in (row.error or "")
    gg_walker.http.failing = 0  # the next day's reminder (overdue-1) is a new one, and goes out
    gg_walker.run(utc(2026, 12, 1, 20, 30))
    assert len(gg_walker.http.received) == 1


def test_a_runner_killed_while_sending_never_sends_that_message_twice(gg_walker: Walk):
    at = utc(2026, 11, 23, 20, 30)
    engine = gg_walker.service.store.engine

    def killed(url: str, title: str, body: str) -> str | None:
        channels.send(url, title, body)  # it left, then the process died before recording it
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        gg_walker.run(at, "first", send=killed)
    assert len(gg_walker.http.received) == 1
    gg_walker.run(at + timedelta(minutes=1), "second")  # restarted at once: the claim's lease holds
    gg_walker.run(at + timedelta(seconds=runner.LEASE + 60), "third")  # the lease ran out: interrupted
    gg_walker.run(at + timedelta(hours=3), "fourth")
    assert len(gg_walker.http.received) == 1
    with time_machine.travel(at + timedelta(hours=3), tick=False):
        (row,) = deliveries.for_sims(engine, ["gg"])
    assert row.state == "interrupted" and "never to send it twice" in (row.error or "")


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)
def test_two_runners_at_once_send_each_message_once(build: Callable[..., Flask], tmp_path: Path,
                                                    log_url: str, backend: str):
    """Eight runners in threads, each with its own engine (as processes have), race over 40 SIMs."""
    from feed.config.load import load_config
    from feed.storage.db import engine_for

    with http_receiver() as http:
        sims = "".join(f'[[sim]]\nid = "s{n}"\nname = "S{n}"\nexpires = 2026-12-01\n\n' for n in range(40))
        path = write_config(tmp_path / "many.toml",
                            f'[calendar]\ntimezone = "UTC"\n\n{sims}[[notify]]\nid = "phone"\n'
                            f'urls = ["{http.url()}"]\n')
        config = load_config(path)
        app = build(path, SIMFEED_DATABASE=log_url)
        app.extensions["simfeed"].store.engine  # noqa: B018 - migrated once, before the race
        engines = [engine_for(log_url) for _ in range(8)]
        barrier = threading.Barrier(len(engines))
        now = utc(2026, 11, 17, 9, 0)  # the 14-day alarm of every SIM
        results: list[list[runner.Outcome]] = []

        def race(engine: Any, n: int) -> None:
            barrier.wait()
            results.append(runner.run_pass(config, engine, now, b"k" * 32, f"runner-{n}",
                                           clock=lambda: now))

        with time_machine.travel(now, tick=False):
            threads = [threading.Thread(target=race, args=(engine, n)) for n, engine in enumerate(engines)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        for engine in engines:
            engine.dispose()
    assert sorted(m["title"] for m in http.received) == sorted(
        f"Renew S{n}: deadline in 14 days (2026-12-01)" for n in range(40))
    assert sum(len(r) for r in results) == 40 and {o.state for r in results for o in r} == {"sent"}


def with_urls(walk: Walk, *urls: str) -> Any:
    """The walk's config with the phone channel sending to these URLs instead."""
    config = walk.service.snapshot().config
    phone = config.notify("phone")
    assert phone is not None
    return replace(config, notifies=(replace(phone, urls=urls),))


def test_a_receiver_that_answers_after_the_time_out_gets_the_reminder_once(gg_walker: Walk):
    """It took the message and answered late (apprise's read time-out, rto, seconds): it may have
    arrived, so it is recorded as sent but unconfirmed, and never sent again."""
    timed = with_urls(gg_walker, gg_walker.http.url() + "?rto=1")
    gg_walker.http.slow = 3
    at = utc(2026, 11, 23, 20, 30)
    engine = gg_walker.service.store.engine
    with time_machine.travel(at, tick=False):
        (first,) = runner.run_pass(timed, engine, at, b"k" * 32, "r")
    assert first.state == "unconfirmed" and "ReadTimeout" in (first.error or "")
    gg_walker.http.slow = 0
    for later in (at + timedelta(seconds=61), at + timedelta(minutes=10), at + timedelta(hours=2)):
        with time_machine.travel(later, tick=False):
            assert runner.run_pass(timed, engine, later, b"k" * 32, "r") == []
    assert len(gg_walker.http.received) == 1
    # The SIM's page says which reminder may not have arrived.
    with time_machine.travel(at + timedelta(hours=2), tick=False):
        html = gg_walker.app.test_client().get("/sims/gg").get_data(as_text=True)
    unconfirmed = html.split('id="reminder-unconfirmed">')[1].split("</dd>")[0]
    assert "Nov 23, 2026, 8:30\u202fPM</time> · 7 days before the deadline · phone" in unconfirmed
    assert "may not have arrived" in unconfirmed


def test_a_refused_connection_is_retried_and_a_slow_but_working_receiver_is_waited_for(
        gg_walker: Walk):
    from .helpers import free_port

    refused = channels.send(f"json://127.0.0.1:{free_port()}/hook", "t", "b")  # nobody listens there
    assert refused is not None and not refused.unconfirmed
    gg_walker.http.failing = 1
    answered = channels.send(gg_walker.http.url(), "t", "b")  # an explicit error: it did not arrive
    assert answered is not None and not answered.unconfirmed and "500" in answered.reason
    gg_walker.http.slow = 5  # past apprise's own 4-second read time-out, well within ours
    assert channels.send(gg_walker.http.url(), "title", "b") is None
    assert gg_walker.http.titles() == ["title"]


def test_the_page_says_which_reminder_was_sent_late_by_the_days_its_message_counted(gg_walker: Walk):
    # The runner was down on the 7-day alarm (23 November) and comes back 3 days before the deadline:
    # that alarm's reminder goes out then, saying "in 3 days".
    at = utc(2026, 11, 27, 12)
    (outcome,) = gg_walker.run(at)
    assert outcome.planned.occasion.name == "before-7"
    assert gg_walker.http.titles() == ["Renew giffgaff ••0123: deadline in 3 days (2026-11-30)"]
    with time_machine.travel(at + timedelta(hours=1), tick=False):
        html = gg_walker.app.test_client().get("/sims/gg").get_data(as_text=True)
    assert "Nov 27, 2026, 12:00\u202fPM</time> · 3 days before the deadline · phone" in html
