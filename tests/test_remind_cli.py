"""Push reminders from the outside (issue 11): the commands, the config's errors, the SIM page, and
real `flask remind` processes racing, killed mid-send, and looping as the Procfile's worker.

Every secret in a URL here has a marker ("S3CRET") that must never show in output, logs or pages.
"""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from flask import Flask

from feed.storage import deliveries

from .conftest import write_config
from .helpers import ADMIN_TOKEN, BIN, ROOT, Visitor
from .receivers import HttpReceiver, http_receiver, smtp_receiver

pytestmark = pytest.mark.usefixtures("clean_environment")

SECRET = "S3CRET"


def config_text(url: str, *, sims: int = 1, due: date = date(2026, 12, 2), extra: str = "",
                zone: str = "Europe/London", alarm_time: str = "09:00", public: bool = True) -> str:
    """SIMs s0… all due on `due` (alarms 14, 3 and 0 days before), and one channel to `url`."""
    server = f'[server]\nadmin_token = "{ADMIN_TOKEN}"\n' + (
        'public_url = "https://sims.example.org"\n' if public else "")
    body = "".join(f'[[sim]]\nid = "s{n}"\nname = "SIM {n}"\nnumber = "+44 7700 90012{n % 10}"\n'
                   f"expires = {due.isoformat()}\n\n" for n in range(sims))
    return (f'[calendar]\ntimezone = "{zone}"\nalarm_time = "{alarm_time}"\n\n{server}\n{body}'
            f'[[notify]]\nid = "phone"\nurls = ["{url}"]\n{extra}')


@pytest.fixture
def http() -> Iterator[HttpReceiver]:
    with http_receiver() as receiver:
        yield receiver


@pytest.fixture
def cli(build: Callable[..., Flask], tmp_path: Path) -> Callable[..., Any]:
    """Run a flask command on an app built on a config text; returns (exit code, output)."""

    def run(text: str, *args: str, **settings: Any) -> tuple[int, str]:
        app = build(write_config(tmp_path / "sims.toml", text), **settings)
        result = app.test_cli_runner().invoke(args=list(args))
        return result.exit_code, result.output

    return run


# --------------------------------------------------------------------------- config errors


@pytest.mark.parametrize(("urls", "expected"), [
    ('urls = ["nosuch://S3CRET@host/x"]', 'notify "phone": urls[0]: nosuch://… is not a URL apprise'),
    ('urls = ["tgram://"]', 'notify "phone": urls[0]: tgram://… is not a URL apprise can send to'),
    ('urls = ["S3CRET plain words"]', 'notify "phone": urls[0]: is not a URL like'),
    ('urls = []', 'notify "phone": urls: must be a list of apprise URLs'),
    ('urls_env = "SIMFEED_NO_SUCH_VARIABLE"',
     'notify "phone": urls_env: the environment variable SIMFEED_NO_SUCH_VARIABLE is not set'),
    ('urls = ["json://127.0.0.1/S3CRET"]\nurls_env = "X"', 'notify "phone": set either urls'),
    ('urls = ["json://127.0.0.1/S3CRET"]\nsims = ["nope"]', 'notify "phone": sims: no SIM has the id "nope"'),
    ('urls = ["json://127.0.0.1/S3CRET"]\nlanguage = "fr"', 'notify "phone": language: "fr" must be one of'),
], ids=["unknown-scheme", "missing-parts", "not-a-url", "empty", "missing-variable", "both", "unknown-sim",
        "language"])
def test_a_bad_channel_is_a_config_error_naming_file_channel_and_entry_never_the_secret(
        cli: Callable[..., Any], tmp_path: Path, caplog: pytest.LogCaptureFixture, urls: str, expected: str):
    bad = write_config(tmp_path / "bad.toml",
                       config_text("json://127.0.0.1/x").replace('urls = ["json://127.0.0.1/x"]', urls))
    code, output = cli(config_text("json://127.0.0.1/x"), "check", str(bad))
    assert code == 1
    assert f"{bad}: {expected}" in output
    assert SECRET not in output + caplog.text


def test_urls_from_the_environment_and_check_shows_them_masked(cli: Callable[..., Any],
                                                              monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("SIMFEED_NOTIFY", f"json://127.0.0.1:9/{SECRET}, tgram://123456:{SECRET}abc/987")
    text = config_text("x").replace('urls = ["x"]', 'urls_env = "SIMFEED_NOTIFY"\nlanguage = "zh-CN"')
    code, output = cli(text, "check")
    assert code == 0, output
    assert "notify phone: 1 SIMs, zh-CN, to JSON (json://… #" in output
    assert "Telegram (tgram://… #" in output and "from $SIMFEED_NOTIFY" in output
    assert SECRET not in output and "123456" not in output


def test_check_says_why_messages_carry_no_link(cli: Callable[..., Any]):
    code, output = cli(config_text("json://127.0.0.1:9/x", public=False), "check")
    assert code == 0 and 'reminders carry no "I have renewed it" link: set public_url in [server]' in output


# ------------------------------------------------------------------------------- commands


@time_machine.travel(datetime(2026, 11, 29, 12, tzinfo=UTC), tick=False)
def test_dry_run_prints_the_message_and_sends_nothing(cli: Callable[..., Any], http: HttpReceiver,
                                                      tmp_path: Path):
    code, output = cli(config_text(http.url(SECRET)), "remind", "--dry-run")
    assert code == 0, output
    assert "would send: before-3 of s0 (deadline 2026-12-02) to phone JSON (json://… #" in output
    assert "Renew SIM 0 ••0120: deadline in 3 days (2026-12-02)" in output
    assert "| Renewed it? Tap to record it: https://sims.example.org/renewed/" in output
    assert http.received == [] and SECRET not in output
    app_db = tmp_path / "instance" / "simfeed.sqlite3"
    from feed.storage.db import engine_for

    engine = engine_for(app_db)
    assert deliveries.for_sims(engine, ["s0"]) == []
    engine.dispose()


@time_machine.travel(datetime(2026, 11, 29, 12, tzinfo=UTC), tick=False)
def test_remind_sends_once_then_has_nothing_due(cli: Callable[..., Any], http: HttpReceiver):
    text = config_text(http.url(SECRET))
    code, output = cli(text, "remind")
    assert code == 0 and output.startswith("sent: before-3 of s0 (deadline 2026-12-02) to phone JSON"), output
    code, output = cli(text, "remind")
    assert code == 0 and output == "nothing due now\n"
    assert [m["title"] for m in http.received] == ["Renew SIM 0 ••0120: deadline in 3 days (2026-12-02)"]


def test_notify_test_reaches_every_url_and_fails_loudly(cli: Callable[..., Any], http: HttpReceiver):
    with smtp_receiver() as smtp:
        text = config_text(http.url()).replace(f'urls = ["{http.url()}"]',
                                               f'urls = ["{http.url()}", "{smtp.url()}"]\nlanguage = "zh-CN"')
        code, output = cli(text, "notify-test", "phone")
        assert code == 0 and output.count(": sent") == 2, output
        assert [m["title"] for m in http.received] == ["simfeed：测试消息"]
        assert smtp.mails[0]["Subject"] == "simfeed：测试消息"
    http.failing = 1
    code, output = cli(config_text(http.url(SECRET)), "notify-test", "phone")
    assert code == 1 and "FAILED: " in output and "500" in output and SECRET not in output
    code, output = cli(config_text(http.url()), "notify-test", "tablet")
    assert code == 1 and "no [[notify]] 'tablet'" in output and "(channels: phone)" in output


@time_machine.travel(datetime(2026, 11, 29, 12, tzinfo=UTC), tick=False)
def test_a_failed_send_is_logged_without_the_url(cli: Callable[..., Any], http: HttpReceiver,
                                                 caplog: pytest.LogCaptureFixture):
    http.failing = 1
    code, output = cli(config_text(http.url(SECRET)), "remind")
    logged = caplog.text
    assert code == 0 and output.startswith("retry: before-3 of s0")
    assert "not sent, will retry (attempt 1): reminder before-3 of s0" in logged
    assert SECRET not in output + logged and str(http.port) not in output + logged


# --------------------------------------------------------------------------------- the page


def test_the_sim_page_shows_the_last_and_next_reminder_and_signed_in_each_channel(
        build: Callable[..., Flask], tmp_path: Path, http: HttpReceiver):
    from feed.reminders import runner

    good, bad = http.url(f"ok{SECRET}"), http.url(f"bad{SECRET}")
    text = config_text(good).replace(f'urls = ["{good}"]', f'urls = ["{good}", "{bad}"]')
    app = build(write_config(tmp_path / "sims.toml", text))
    service = app.extensions["simfeed"]
    sent_at = datetime(2026, 11, 29, 9, tzinfo=UTC)  # 3 days before, 09:00 GMT

    def send(url: str, title: str, body: str) -> str | None:
        """The real send; the receiver refuses the message to the second URL."""
        from feed.reminders import channels

        http.failing = 1 if "bad" in url else 0
        return channels.send(url, title, body)

    with time_machine.travel(sent_at, tick=False):
        runner.run_pass(service.snapshot().config, service.store.engine, sent_at, b"k" * 32, "t", send=send)
    client = app.test_client()
    with time_machine.travel(sent_at + timedelta(hours=2), tick=False):
        html = Visitor(client).html("/sims/s0")
        assert "Push reminders" in html
        assert "Nov 29, 2026, 9:00\u202fAM</time> · 3 days before the deadline · phone" in html
        assert "Dec 2, 2026, 9:00\u202fAM</time> · on the deadline · phone" in html
        assert "reminder-channels" not in html  # the channels' record is for the admin
        Visitor(client).sign_in()
        html = Visitor(client).html("/sims/s0")
    assert html.count("phone: JSON (json://… #") == 2
    assert "(will retry: Failed to send JSON POST notification" in html
    assert SECRET not in html


# ------------------------------------------------------------------- real runner processes


def flask_env(config: Path, database: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("SIMFEED_", "FLASK_")) and k != "DATABASE_URL"}
    return {**env, "SIMFEED_CONFIG": str(config), "SIMFEED_DATABASE": database,
            "SIMFEED_INSTANCE": str(config.parent / "instance"), "SIMFEED_SECRET_KEY": "k" * 40}


def remind(config: Path, database: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([str(BIN / "flask"), "--app", "feed", "remind", *args], cwd=ROOT,
                            env=flask_env(config, database), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


def due_now_config(tmp_path: Path, url: str, sims: int) -> Path:
    """SIMs whose 3-day alarm is due now, whatever today is: due in 3 days, alarms at 00:00 UTC."""
    today = datetime.now(UTC).date()
    return write_config(tmp_path / "sims.toml", config_text(url, sims=sims, due=today + timedelta(days=3),
                                                            zone="UTC", alarm_time="00:00"))


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)
def test_overlapping_runner_processes_send_each_reminder_once(tmp_path: Path, http: HttpReceiver,
                                                              log_url: str, backend: str):
    config = due_now_config(tmp_path, http.url(), sims=30)
    runners = [remind(config, log_url) for _ in range(3)]
    outputs = [process.communicate(timeout=120)[0] for process in runners]
    assert all(process.returncode == 0 for process in runners), outputs
    titles = sorted(m["title"] for m in http.received)
    assert len(titles) == 30 and len(set(titles)) == 30
    assert sum(output.count("sent: before-3") for output in outputs) == 30


def test_a_runner_killed_mid_send_sends_nothing_twice_after_a_restart(tmp_path: Path, http: HttpReceiver):
    database = str(tmp_path / "log.sqlite3")
    config = due_now_config(tmp_path, http.url(), sims=8)
    http.hold_at = 4  # the 4th message arrives, and its sender dies waiting for the answer
    first = remind(config, database)
    assert http.held.wait(60)
    first.send_signal(signal.SIGKILL)
    first.communicate(timeout=10)
    http.hold_at = 0
    second = remind(config, database)
    output = second.communicate(timeout=120)[0]
    assert second.returncode == 0, output
    titles = [m["title"] for m in http.received]
    assert len(titles) == 8 and len(set(titles)) == 8  # the 4th was not sent again
    assert output.count("sent: before-3") == 4


def test_the_procfile_worker_loops_and_stops_cleanly(tmp_path: Path, http: HttpReceiver):
    line = next(x for x in (ROOT / "Procfile").read_text().splitlines() if x.startswith("worker:"))
    argv = shlex.split(line.removeprefix("worker:"))
    assert argv[:2] == ["simfeed", "remind"] and "--loop" in argv
    config = due_now_config(tmp_path, http.url(), sims=2)
    worker = subprocess.Popen([str(BIN / argv[0]), *argv[1:]], cwd=ROOT,
                              env=flask_env(config, str(tmp_path / "log.sqlite3")),
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 60
        while len(http.received) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert len(http.received) == 2
    finally:
        worker.send_signal(signal.SIGTERM)
        output = worker.communicate(timeout=30)[0]
    assert worker.returncode == 0 and output.rstrip().endswith("stopped"), output


@time_machine.travel(datetime(2026, 11, 29, 12, tzinfo=UTC), tick=False)
def test_a_channel_in_traditional_chinese(cli: Callable[..., Any], http: HttpReceiver):
    """[[notify]] language = "zh-Hant": the push message in Hong Kong and Taiwan wording."""
    url = http.url(SECRET)
    text = config_text(url).replace(f'urls = ["{url}"]', f'urls = ["{url}"]\nlanguage = "zh-Hant"')
    code, output = cli(text, "remind")
    assert code == 0, output
    assert [m["title"] for m in http.received] == ["續期 SIM 0 ••0120：3 天後到期（2026-12-02）"]
    assert http.received[0]["message"].startswith("限期：2026年12月2日（3 天後）。\n")
