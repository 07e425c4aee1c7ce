"""The Procfile's own command: real gunicorn on a free loopback port."""

from __future__ import annotations

import os
import shlex
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from icalendar import Calendar

from .conftest import BASIC, write_config

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def procfile_command() -> list[str]:
    line = next(x for x in (ROOT / "Procfile").read_text().splitlines() if x.startswith("web:"))
    argv = shlex.split(line.removeprefix("web:"))
    assert argv[0] == "gunicorn"
    return [str(BIN / "gunicorn"), *argv[1:]]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def env_for(config: Path, tmp_path: Path, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SIMFEED_", "FLASK_"))}
    env.update(SIMFEED_CONFIG=str(config), SIMFEED_INSTANCE=str(tmp_path / "instance"),
               HOST="127.0.0.1", PORT=str(port), WEB_CONCURRENCY="2")
    return env


def wait_until_up(url: str, process: subprocess.Popen[bytes], seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"gunicorn exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.1)
    raise AssertionError(f"gunicorn did not answer {url} within {seconds} s")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, Path, Path]]:
    config = write_config(tmp_path / "sims.toml", BASIC)
    log = tmp_path / "gunicorn.log"
    port = free_port()
    with log.open("wb") as out:
        process = subprocess.Popen(procfile_command(), cwd=ROOT, env=env_for(config, tmp_path, port),
                                   stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(f"{base}/healthz", process)
        yield base, config, log
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_gunicorn_serves_the_feed(server):
    base, _, _ = server
    with urllib.request.urlopen(f"{base}/calendar.ics", timeout=5) as response:
        assert response.status == 200
        assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
        body = response.read()
    summaries = sorted(str(e["SUMMARY"]) for e in Calendar.from_ical(body).walk("VEVENT"))
    assert summaries == ["Last day to recover: Cubacel ••4567", "Renew Cubacel ••4567",
                         "Renew giffgaff ••0123"]


def test_gunicorn_workers_pick_up_a_bad_edit_and_keep_serving(server):
    base, config, _ = server
    with urllib.request.urlopen(f"{base}/calendar.ics", timeout=5) as response:
        good = response.read()
    write_config(config, BASIC.replace('"6 months"', '"6 moths"'), mtime=1_780_000_500)
    # Two workers: ask several times so that each has seen the bad edit.
    for _ in range(8):
        with urllib.request.urlopen(f"{base}/calendar.ics", timeout=5) as response:
            assert response.read() == good
        with pytest.raises(urllib.error.HTTPError) as health:
            urllib.request.urlopen(f"{base}/healthz", timeout=5)
        assert health.value.code == 503
        health.value.close()


def test_access_log_never_shows_the_query_string(tmp_path):
    token = "tok-" + "x" * 20
    config = write_config(tmp_path / "sims.toml", BASIC.replace(
        'timezone = "Europe/London"', f'timezone = "Europe/London"\ntoken = "{token}"'))
    log = tmp_path / "gunicorn.log"
    port = free_port()
    with log.open("wb") as out:
        process = subprocess.Popen(procfile_command(), cwd=ROOT, env=env_for(config, tmp_path, port),
                                   stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_until_up(f"http://127.0.0.1:{port}/healthz", process)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/calendar.ics?token={token}", timeout=5) as r:
            assert r.status == 200
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=15)
    text = log.read_text()
    assert "GET /calendar.ics HTTP/1.1\" 200" in text
    assert token not in text


def test_gunicorn_refuses_to_start_on_a_bad_config(tmp_path):
    config = write_config(tmp_path / "sims.toml", BASIC.replace('"6 months"', '"6 moths"'))
    result = subprocess.run(procfile_command(), cwd=ROOT, env=env_for(config, tmp_path, free_port()),
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert (f'{config}: sim "giffgaff": keep_alive: "6 moths" is not a duration '
            '(try "6 months", "180 days" or "P6M")') in result.stderr.splitlines()
    assert "Booting worker" not in result.stderr
