"""The Procfile's own command: real gunicorn on a free loopback port."""

from __future__ import annotations

import subprocess
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from icalendar import Calendar

from .conftest import BASIC, write_config
from .helpers import ROOT, env_for, free_port, gunicorn, procfile_command


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, Path, Path]]:
    config = write_config(tmp_path / "sims.toml", BASIC)
    log = tmp_path / "gunicorn.log"
    with gunicorn(config, tmp_path, log) as base:
        yield base, config, log


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
    token = "tok-0123456789-" + "x" * 20
    config = write_config(tmp_path / "sims.toml", BASIC.replace(
        'timezone = "Europe/London"', f'timezone = "Europe/London"\ntoken = "{token}"'))
    log = tmp_path / "gunicorn.log"
    # Not killed if it will not stop: here that fails the test.
    with (gunicorn(config, tmp_path, log, kill_if_stuck=False) as base,
          urllib.request.urlopen(f"{base}/calendar.ics?token={token}", timeout=5) as r):
        assert r.status == 200
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
