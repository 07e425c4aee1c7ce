"""Hot reload: edits are picked up without a restart; a bad edit never takes the feed down."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from icalendar import Calendar

from feed import StartupError, create_app
from feed.config import watcher
from feed.config.watcher import ConfigWatcher

from .conftest import BASIC, write_config

BAD = BASIC.replace('keep_alive = "6 months"', 'keep_alive = "6 moths"')
BAD_LINE = 'sim "giffgaff": keep_alive: "6 moths" is not a duration'


def summaries(body: bytes) -> list[str]:
    return [str(e["SUMMARY"]) for e in Calendar.from_ical(body).walk("VEVENT")]


def test_valid_edit_is_served_on_next_request(client, config_path):
    before = client.get("/calendar.ics")
    write_config(config_path, BASIC.replace('name = "giffgaff"', 'name = "UK giffgaff"'), mtime=1_780_000_100)
    after = client.get("/calendar.ics")
    assert "Renew UK giffgaff ••0123" in summaries(after.data)
    assert after.headers["ETag"] != before.headers["ETag"]
    assert after.headers["Last-Modified"] == "Thu, 28 May 2026 20:28:20 GMT"
    # The old validator no longer matches.
    assert client.get("/calendar.ics", headers={"If-None-Match": before.headers["ETag"]}).status_code == 200


def test_bad_edit_keeps_last_good_and_reports(client, config_path, caplog):
    good = client.get("/calendar.ics")
    write_config(config_path, BAD, mtime=1_780_000_100)
    with caplog.at_level(logging.ERROR, logger="feed"):
        served = client.get("/calendar.ics")
    assert served.status_code == 200
    assert served.data == good.data
    health = client.get("/healthz")
    assert health.status_code == 503
    body = health.get_json()
    assert body["status"] == "stale"
    assert body["errors"] == [f"{config_path}: {BAD_LINE} (try \"6 months\", \"180 days\" or \"P6M\")"]
    assert BAD_LINE in caplog.text
    # Fixing the file clears the error.
    write_config(config_path, BASIC, mtime=1_780_000_200)
    assert client.get("/healthz").status_code == 200


def test_bad_edit_is_logged_once_not_per_request(client, config_path, caplog):
    write_config(config_path, BAD, mtime=1_780_000_100)
    with caplog.at_level(logging.ERROR, logger="feed"):
        for _ in range(5):
            client.get("/calendar.ics")
    assert caplog.text.count(BAD_LINE) == 1


def test_deleted_file_keeps_last_good(client, config_path):
    good = client.get("/calendar.ics").data
    config_path.unlink()
    assert client.get("/calendar.ics").data == good
    health = client.get("/healthz")
    assert health.status_code == 503
    assert "cannot read the file" in health.get_json()["errors"][0]


def test_truncated_file_keeps_last_good(client, config_path):
    good = client.get("/calendar.ics").data
    write_config(config_path, BASIC[: len(BASIC) // 2], mtime=1_780_000_100)
    assert client.get("/calendar.ics").data == good
    assert client.get("/healthz").status_code == 503


def test_unchanged_file_is_not_parsed_again(client, monkeypatch):
    client.get("/calendar.ics")
    calls = []
    monkeypatch.setattr(watcher, "parse_toml", lambda *a, **k: calls.append(a))
    for _ in range(10):
        assert client.get("/calendar.ics").status_code == 200
    assert calls == []


def test_worker_starting_while_file_is_bad_serves_latest_good(tmp_path: Path):
    """A worker forked from the master (holding v1) after v2 was served elsewhere gets v2."""
    path = write_config(tmp_path / "sims.toml", BASIC, mtime=1_780_000_000)
    last_good = tmp_path / "instance"
    late_worker = ConfigWatcher(path, last_good)
    late_worker.start()  # state as the master had it at start-up: v1
    busy_worker = ConfigWatcher(path, last_good)
    busy_worker.start()
    v2 = BASIC.replace('name = "Cubacel"', 'name = "Cubacel v2"')
    write_config(path, v2, mtime=1_780_000_100)
    assert busy_worker.current().config.sim("cubacel").name == "Cubacel v2"
    write_config(path, BAD, mtime=1_780_000_200)
    loaded = late_worker.current()
    assert loaded.config.sim("cubacel").name == "Cubacel v2"
    assert loaded.stale and BAD_LINE in str(loaded.errors[0])


def test_last_good_copy_keeps_the_feed_timestamp(tmp_path: Path):
    path = write_config(tmp_path / "sims.toml", BASIC, mtime=1_780_000_000)
    first = ConfigWatcher(path, tmp_path / "instance")
    first.start()
    path.unlink()
    fresh = ConfigWatcher(path, tmp_path / "instance")
    loaded = fresh.current()
    assert loaded.config.modified.timestamp() == 1_780_000_000


def test_invalid_config_at_start_refuses_to_start(tmp_path: Path):
    path = write_config(tmp_path / "sims.toml", BAD)
    with pytest.raises(StartupError) as raised:
        create_app({"SIMFEED_CONFIG": str(path), "SIMFEED_INSTANCE": str(tmp_path / "i")})
    assert BAD_LINE in str(raised.value)


def test_missing_config_at_start_refuses_to_start(tmp_path: Path):
    with pytest.raises(StartupError, match="cannot read the file"):
        create_app({"SIMFEED_CONFIG": str(tmp_path / "nope.toml"), "SIMFEED_INSTANCE": str(tmp_path / "i")})


def test_regression_an_emptied_file_keeps_the_last_good_feed(client, config_path):
    # Found while writing the soak run (issue 7): an editor rewriting the file in place leaves
    # it empty for a moment, and an empty file is valid TOML with no SIMs. A worker polled then
    # served a calendar without a single event (so clients dropped them all) and kept that
    # "last good" config when the file was deleted next.
    good = client.get("/calendar.ics").data
    for emptied in ("", "\n  \n"):
        write_config(config_path, emptied, mtime=1_780_000_100)
        assert client.get("/calendar.ics").data == good
        health = client.get("/healthz")
        assert health.status_code == 503
        assert health.get_json()["errors"] == [f"{config_path}: the file is empty"]
        config_path.unlink()
        assert client.get("/calendar.ics").data == good
