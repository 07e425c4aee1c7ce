"""The request path on PostgreSQL asks the database nothing while the log is unchanged (issue 22).

A write is served by the instance that acknowledged it from its very next answer, and by
other instances once their listener hears it (bounded polling here, never a timing);
a listener that loses its connection makes every request read the log again until it is back.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event

from feed.storage import changes

from .helpers import gunicorn
from .postgres import PASSWORD, PostgresServer

ADMIN = "admin-token-for-the-changes-test"
ROOT = Path(__file__).resolve().parent.parent
AUTH = {"Authorization": f"Bearer {ADMIN}"}
# Bounded waits: generous, so that a loaded machine only makes them slower, never failing.
PATIENCE = 60.0


def until(check: Callable[[], Any], what: str) -> Any:
    """Poll `check` until it returns something true; its value. Fails after PATIENCE seconds."""
    deadline = time.monotonic() + PATIENCE
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {PATIENCE:.0f} s: {what}")
        time.sleep(0.05)


def listeners(url: str) -> set[int]:
    """The backends listening for the log's changes on this database."""
    with psycopg.connect(url, autocommit=True) as connection:
        rows = connection.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
            " AND application_name = 'simfeed-listen'").fetchall()
    return {pid for (pid,) in rows}


def terminate(url: str, pids: set[int]) -> None:
    """pg_terminate_backend each, waiting until it is gone (PostgreSQL 14's timeout argument)."""
    with psycopg.connect(url, autocommit=True) as connection:
        for pid in pids:
            connection.execute("SELECT pg_terminate_backend(%s, 30000)", (pid,))


def renewal_day(n: int) -> str:
    return (date(2026, 11, 1) + timedelta(days=n)).isoformat()


def last_renewal(get: Callable[[str], Any]) -> str:
    sims = {sim["id"]: sim for sim in get("/api/sims")}
    return str(sims["giffgaff"]["last_renewal"])


# ------------------------------------------------------------------ two apps in one process


@pytest.fixture
def pg_url(postgres: PostgresServer) -> str:
    return postgres.create_database()


@pytest.fixture
def pair(build: Callable[..., Flask], config_path: Path, pg_url: str) -> tuple[Flask, Flask]:
    """Two instances of the app on one PostgreSQL database, each listening for changes."""
    apps = (build(config_path, SIMFEED_DATABASE=pg_url, SIMFEED_ADMIN_TOKEN=ADMIN),
            build(config_path, SIMFEED_DATABASE=pg_url, SIMFEED_ADMIN_TOKEN=ADMIN))
    for app in apps:
        assert app.test_client().get("/calendar.ics").status_code == 200  # starts its listener
        until(lambda app=app: app.extensions["simfeed"].store.listening, "the listener connects")
    return apps


def api(client: FlaskClient) -> Callable[[str], Any]:
    return lambda path: client.get(path, headers=AUTH).json


def record(client: FlaskClient, day: str) -> None:
    response = client.post("/api/sims/giffgaff/renewals", json={"date": day}, headers=AUTH)
    assert response.status_code == 201, response.data


def test_a_write_is_served_at_once_by_its_instance_and_soon_by_another(pair: tuple[Flask, Flask]) -> None:
    a, b = (app.test_client() for app in pair)
    for n in range(5):
        before = a.get("/calendar.ics").headers["ETag"]
        record(a, renewal_day(n))
        assert a.get("/calendar.ics").headers["ETag"] != before, "A's very next feed has the renewal"
        assert last_renewal(api(a)) == renewal_day(n)
        until(lambda n=n: last_renewal(api(b)) == renewal_day(n), "B serves A's renewal")


def test_its_own_writes_do_not_wait_for_the_notification(
        build: Callable[..., Flask], config_path: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Listening where nobody notifies: only the count of this instance's writes can tell it."""
    monkeypatch.setattr(changes, "CHANNEL", "nobody_notifies_here")
    app = build(config_path, SIMFEED_DATABASE=pg_url, SIMFEED_ADMIN_TOKEN=ADMIN)
    client = app.test_client()
    client.get("/calendar.ics")
    until(lambda: app.extensions["simfeed"].store.listening, "the listener connects")
    for n in range(5):
        record(client, renewal_day(n))
        assert last_renewal(api(client)) == renewal_day(n)


def test_the_clis_write_is_served_by_the_next_answer_before_any_notification(
        build: Callable[..., Flask], config_path: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """`simfeed renew` in a process of its own on the same data folder: listening where nobody
    notifies, only the count of writes the folder's processes share can tell."""
    monkeypatch.setattr(changes, "CHANNEL", "nobody_notifies_here")
    app = build(config_path, SIMFEED_DATABASE=pg_url, SIMFEED_ADMIN_TOKEN=ADMIN)
    client = app.test_client()
    client.get("/calendar.ics")
    until(lambda: app.extensions["simfeed"].store.listening, "the listener connects")
    env = {**os.environ, "SIMFEED_CONFIG": str(config_path), "SIMFEED_INSTANCE": app.instance_path,
           "SIMFEED_DATABASE": pg_url, "SIMFEED_ADMIN_TOKEN": ADMIN}
    for n in range(2):
        etag = client.get("/calendar.ics").headers["ETag"]
        done = subprocess.run([sys.executable, "-m", "feed", "renew", "giffgaff", "--date", renewal_day(n)],
                              cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        assert client.get("/calendar.ics").headers["ETag"] != etag, "the very next feed has the renewal"
        assert last_renewal(api(client)) == renewal_day(n)


def test_a_dropped_listener_makes_requests_read_the_log_until_it_is_back(
        pair: tuple[Flask, Flask], pg_url: str, caplog: pytest.LogCaptureFixture) -> None:
    a, b = (app.test_client() for app in pair)
    store = pair[1].extensions["simfeed"].store
    before = listeners(pg_url)
    assert len(before) == 2
    caplog.set_level(logging.INFO, logger="feed")
    terminate(pg_url, before)

    # No waiting for B to notice: its next request reads the log, its listener's goodbye
    # unread on the socket or handled already.
    record(a, renewal_day(1))
    assert last_renewal(api(b)) == renewal_day(1)
    record(a, renewal_day(2))
    assert last_renewal(api(b)) == renewal_day(2)

    until(lambda: len(listeners(pg_url) - before) == 2, "both listeners reconnect by themselves")
    until(lambda: store.listening, "B's listener is connected again")
    record(a, renewal_day(3))
    until(lambda: last_renewal(api(b)) == renewal_day(3), "B hears of A's renewal again")
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "listening for changes to the renewal log of PostgreSQL postgres@127.0.0.1" in logged
    assert "are notified again" in logged
    assert PASSWORD not in logged


@contextmanager
def statements(app: Flask) -> Iterator[list[str]]:
    """Every statement sent to PostgreSQL meanwhile, through SQLAlchemy or psycopg directly."""
    sent: list[str] = []
    engine = app.extensions["simfeed"].store.engine
    original = psycopg.Cursor.execute

    def execute(cursor: Any, query: Any, *args: Any, **kwargs: Any) -> Any:
        sent.append(str(query))
        return original(cursor, query, *args, **kwargs)

    def before(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        sent.append(f"(SQLAlchemy) {statement}")

    event.listen(engine, "before_cursor_execute", before)
    psycopg.Cursor.execute = execute  # type: ignore[method-assign]
    try:
        yield sent
    finally:
        psycopg.Cursor.execute = original  # type: ignore[method-assign]
        event.remove(engine, "before_cursor_execute", before)


def test_the_cached_feed_and_its_304_ask_the_database_nothing(pair: tuple[Flask, Flask]) -> None:
    a, b = (app.test_client() for app in pair)
    etag = a.get("/calendar.ics").headers["ETag"]
    with statements(pair[0]) as sent:
        for _ in range(20):
            assert a.get("/calendar.ics", headers={"If-None-Match": etag}).status_code == 304
            assert a.get("/calendar.ics").status_code == 200
    assert sent == []

    record(b, renewal_day(1))  # another instance writes: A reads the log again, once told
    with statements(pair[0]) as sent:
        until(lambda: a.get("/calendar.ics").headers["ETag"] != etag, "A hears of B's renewal")
    assert any("generation" in statement for statement in sent), "the counting sees reads"


# ---------------------------------------------------------- two gunicorn instances, 2 workers each


def http_json(base: str, path: str) -> Any:
    with urllib.request.urlopen(urllib.request.Request(base + path, headers=AUTH), timeout=30) as answer:
        return json.loads(answer.read())


def http_record(base: str, day: str) -> None:
    request = urllib.request.Request(f"{base}/api/sims/giffgaff/renewals", method="POST",
                                     data=json.dumps({"date": day}).encode(),
                                     headers={**AUTH, "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as answer:
        assert answer.status == 201


def test_two_gunicorn_instances_on_one_database(config_path: Path, tmp_path: Path, pg_url: str) -> None:
    env = {"SIMFEED_DATABASE": pg_url, "SIMFEED_ADMIN_TOKEN": ADMIN}
    with gunicorn(config_path, tmp_path / "a", tmp_path / "a.log", **env) as a, \
            gunicorn(config_path, tmp_path / "b", tmp_path / "b.log", **env) as b:
        on_a = lambda path: http_json(a, path)  # noqa: E731
        on_b = lambda path: http_json(b, path)  # noqa: E731
        for base in (a, b):  # the workers that answered start their listeners
            for _ in range(4):
                http_json(base, "/api/sims")
        until(lambda: listeners(pg_url), "a worker listens")
        # Either worker of A may answer next: both must have the renewal A acknowledged.
        for n in range(3):
            http_record(a, renewal_day(n))
            assert [last_renewal(on_a) for _ in range(3)] == [renewal_day(n)] * 3
            until(lambda n=n: last_renewal(on_b) == renewal_day(n), "B serves A's renewal")

        before = until(lambda: listeners(pg_url), "workers listen")
        terminate(pg_url, before)
        http_record(a, renewal_day(10))
        assert [last_renewal(on_b) for _ in range(3)] == [renewal_day(10)] * 3, "B reads the log meanwhile"
        until(lambda: len(listeners(pg_url) - before) >= len(before), "the listeners reconnect")
        http_record(a, renewal_day(11))
        until(lambda: last_renewal(on_b) == renewal_day(11), "B hears of A's renewal again")
    assert PASSWORD not in (tmp_path / "a.log").read_text() + (tmp_path / "b.log").read_text()
