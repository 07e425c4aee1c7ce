"""A feed poll does only what it must (issue 22), and never serves a stale feed.

Its headers are made once per feed (`Prepared`), and on SQLite it reads the log only when
SQLite's data_version (or a write through this instance) says something was committed:
a write from another process, the CLI's, is served by the very next request. The same
for PostgreSQL is in test_changes.py.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, Response
from flask.testing import FlaskClient

from feed.config.watcher import ConfigWatcher, Loaded
from feed.core.model import Renewal
from feed.storage import changes
from feed.storage.store import FOREIGN_WRITES_WITHIN, RenewalStore
from feed.web.headers import Head, Prepared, security_headers

from .conftest import write_config

ADMIN = "admin-token-for-the-request-path-test"
AUTH = {"Authorization": f"Bearer {ADMIN}"}
ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.usefixtures("clean_environment")


# ------------------------------------------------------------------------- headers made once


@pytest.mark.parametrize("encoding", ["identity", "gzip"])
def test_a_304_carries_the_caching_and_security_headers_only(client: FlaskClient, encoding: str) -> None:
    """RFC 9110 15.4.5: what guides caches (its ETag makes Last-Modified needless), no representation
    headers; and the security headers every answer carries (a 304 has no HTML: no CSP)."""
    full = client.get("/calendar.ics", headers={"Accept-Encoding": encoding})
    again = client.get("/calendar.ics", headers={"Accept-Encoding": encoding,
                                                 "If-None-Match": full.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    assert sorted(again.headers.keys()) == ["Cache-Control", "ETag", "Referrer-Policy", "Vary",
                                            "X-Content-Type-Options"]
    for name in ("ETag", "Cache-Control", "Vary", "X-Content-Type-Options", "Referrer-Policy"):
        assert again.headers[name] == full.headers[name]


def test_a_feed_carries_its_representation_and_security_headers(client: FlaskClient) -> None:
    plain = client.get("/calendar.ics?download=1")
    assert plain.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert plain.headers["Content-Length"] == str(len(plain.data))
    assert plain.headers["Content-Disposition"] == 'attachment; filename="simfeed.ics"'
    assert plain.headers["X-Content-Type-Options"] == "nosniff"
    assert plain.headers["Referrer-Policy"] == "no-referrer"
    packed = client.get("/calendar.ics", headers={"Accept-Encoding": "gzip"})
    assert packed.headers["Content-Encoding"] == "gzip"
    assert packed.headers["Content-Length"] == str(len(packed.data))
    head = client.head("/calendar.ics")
    assert head.data == b"" and head.headers["Content-Length"] == str(len(plain.data))


@pytest.mark.parametrize(("status", "method"), [(200, "GET"), (200, "HEAD"), (304, "GET")])
def test_a_prepared_answer_goes_out_as_werkzeug_would_send_it(app: Flask, status: int, method: str) -> None:
    """What Prepared skips (werkzeug's copy and fix-up of the headers) would have changed nothing."""
    body = b"BEGIN:VCALENDAR\r\n"
    validators = [("ETag", '"abc"'), ("Cache-Control", "public, max-age=60"), ("Vary", "Accept-Encoding")]
    if status == 200:
        whole = [*validators, ("Content-Type", "text/calendar; charset=utf-8"),
                 ("Content-Length", str(len(body)))]
        prepared = Prepared(body, 200, Head(whole))
        usual = Response(body, headers=validators, mimetype="text/calendar")
    else:
        prepared = Prepared(None, 304, Head(validators))
        usual = Response(status=304, headers=validators, mimetype="text/calendar")
    with app.test_request_context("/calendar.ics", method=method) as context:
        environ = context.request.environ
        sent = [(list(answer.get_app_iter(environ)), answer.status, sorted(answer.get_wsgi_headers(environ)))
                for answer in (security_headers(prepared), security_headers(usual))]
    assert sent[0] == sent[1]


def test_a_hook_that_changes_the_status_gets_werkzeugs_fixups(app: Flask) -> None:
    prepared = Prepared(b"x", 200, Head([("Content-Type", "text/plain"), ("Content-Length", "1")]))
    prepared.status_code = 304
    with app.test_request_context("/") as context:
        assert "Content-Type" not in prepared.get_wsgi_headers(context.request.environ)


def test_a_head_refuses_a_value_that_would_split_the_headers() -> None:
    with pytest.raises(ValueError):
        Head([("Content-Disposition", 'attachment; filename="a\r\nSet-Cookie: x"')])


# ------------------------------------------------------------- SQLite: no read while unchanged


@contextmanager
def log_reads(app: Flask) -> Iterator[list[int]]:
    """Every read of the log's generation by this app's store (one entry each)."""
    with log_reads_of(app.extensions["simfeed"].store) as reads:
        yield reads


@contextmanager
def log_reads_of(store: RenewalStore) -> Iterator[list[int]]:
    """Every read of the log's generation by `store` (one entry each)."""
    reads: list[int] = []
    original = store._read_generation

    def counted() -> int:
        reads.append(1)
        return original()

    store._read_generation = counted  # type: ignore[method-assign]
    try:
        yield reads
    finally:
        del store._read_generation


@pytest.fixture
def sqlite_app(build: Callable[..., Flask], config_path: Path) -> Flask:
    app = build(config_path, SIMFEED_ADMIN_TOKEN=ADMIN)
    assert app.extensions["simfeed"].store.path is not None, "the log is an SQLite file"
    return app


def renew_elsewhere(config_path: Path, app: Flask, day: str) -> None:
    """`simfeed renew` in a process of its own, on the same config and log."""
    env = {**os.environ, "SIMFEED_CONFIG": str(config_path), "SIMFEED_INSTANCE": app.instance_path,
           "SIMFEED_ADMIN_TOKEN": ADMIN}
    done = subprocess.run([sys.executable, "-m", "feed", "renew", "giffgaff", "--date", day],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


@pytest.mark.slow  # `simfeed renew` in processes of their own
def test_an_unchanged_log_is_not_read_and_another_processs_write_is_served_next(
        sqlite_app: Flask, config_path: Path) -> None:
    client = sqlite_app.test_client()
    etag = client.get("/calendar.ics").headers["ETag"]
    client.get("/calendar.ics")  # the first build records when it first saw each SIM: a commit
    with log_reads(sqlite_app) as reads:
        for _ in range(20):
            assert client.get("/calendar.ics", headers={"If-None-Match": etag}).status_code == 304
            assert client.get("/calendar.ics").headers["ETag"] == etag
    assert reads == [], "data_version said nothing changed: the log is not read"

    for day in ("2026-11-20", "2026-11-21"):
        renew_elsewhere(config_path, sqlite_app, day)
        # No waiting: SQLite's data_version has changed by the time the other process's commit returned.
        answer = client.get("/calendar.ics", headers={"If-None-Match": etag})
        assert answer.status_code == 200, "the very next request serves the other process's renewal"
        assert answer.headers["ETag"] != etag
        etag = answer.headers["ETag"]
        sims = {sim["id"]: sim for sim in client.get("/api/sims", headers=AUTH).json}
        assert sims["giffgaff"]["last_renewal"] == day


def test_a_write_through_the_app_is_served_by_its_next_answer(sqlite_app: Flask) -> None:
    client = sqlite_app.test_client()
    etag = client.get("/calendar.ics").headers["ETag"]
    for day in ("2026-11-20", "2026-11-21", "2026-11-22"):
        recorded = client.post("/api/sims/giffgaff/renewals", json={"date": day}, headers=AUTH)
        assert recorded.status_code == 201
        answer = client.get("/calendar.ics", headers={"If-None-Match": etag})
        assert answer.status_code == 200
        etag = answer.headers["ETag"]


def test_data_version_changes_with_another_connections_commit_and_with_a_new_connection(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = RenewalStore(tmp_path / "log.sqlite3")
    try:
        store.generation()
        versions = changes.DataVersion(tmp_path / "log.sqlite3")
        first = versions.settled()
        assert first is not None and versions.settled() == first
        store.add("giffgaff", Renewal(date(2026, 11, 20)))  # a commit by another connection
        second = versions.settled()
        assert second is not None and second != first
        # A connection that failed is opened again: its count starts over, under a new epoch.
        versions._cursor.connection.close()  # type: ignore[union-attr]
        assert versions.settled() is None
        third = versions.settled()
        assert third is not None and third[0] != second[0]
        versions.close()
    finally:
        store.close()


def test_this_instances_writes_show_at_once_another_instances_within_a_second(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two instances on one SQLite file: each counts its own writes (its data folder's count),
    and asks data_version at most once a second for the other's."""
    now = [1000.0]
    monkeypatch.setattr(changes, "monotonic", lambda: now[0])
    database = tmp_path / "log.sqlite3"
    (tmp_path / "a").mkdir(), (tmp_path / "b").mkdir()
    served = RenewalStore(database, writes=tmp_path / "a" / changes.WRITES_FILE)
    same = RenewalStore(database, writes=tmp_path / "a" / changes.WRITES_FILE)  # `simfeed renew` here
    other = RenewalStore(database, writes=tmp_path / "b" / changes.WRITES_FILE)  # another data folder
    try:
        start = served.generation()
        same.add("giffgaff", Renewal(date(2026, 11, 20)))
        assert served.generation() == start + 1, "this instance's write: at once"
        other.add("giffgaff", Renewal(date(2026, 11, 21)))
        with log_reads_of(served) as reads:
            now[0] += FOREIGN_WRITES_WITHIN / 2
            assert served.generation() == start + 1 and reads == []
            now[0] += FOREIGN_WRITES_WITHIN
            assert served.generation() == start + 2, "another instance's write: within a second"
            assert reads == [1]
    finally:
        for store in (served, same, other):
            store.close()


def test_the_count_of_writes_in_the_data_folder_is_shared_by_every_process_that_maps_it(
        tmp_path: Path) -> None:
    one, other = changes.LocalWrites(tmp_path / "log-writes"), changes.LocalWrites(tmp_path / "log-writes")
    before = other.count()
    one.wrote()
    assert other.count() == before + 1
    assert changes.LocalWrites(tmp_path / "log-writes").count() == before + 1, "kept in the file"
    assert (tmp_path / "log-writes").stat().st_mode & 0o777 == 0o600


def test_a_count_of_writes_that_cannot_be_kept_in_a_file_is_kept_in_memory(tmp_path: Path) -> None:
    writes = changes.LocalWrites(tmp_path / "no-such-folder" / "log-writes")
    before = writes.count()
    writes.wrote()
    assert writes.count() == before + 1


def test_a_missing_database_is_not_made_by_the_watch(tmp_path: Path) -> None:
    versions = changes.DataVersion(tmp_path / "gone.sqlite3")
    assert versions.settled() is None
    assert not (tmp_path / "gone.sqlite3").exists()


def test_a_config_edit_is_served_by_the_next_request_with_the_log_unread(sqlite_app: Flask,
                                                                          config_path: Path) -> None:
    client = sqlite_app.test_client()
    etag = client.get("/calendar.ics").headers["ETag"]
    text = config_path.read_text(encoding="utf-8")
    config_path.write_text(text.replace('name = "giffgaff"', 'name = "giffgaff renamed"', 1),
                           encoding="utf-8")
    answer = client.get("/calendar.ics", headers={"If-None-Match": etag})
    assert answer.status_code == 200 and b"giffgaff renamed" in answer.data


def test_a_request_during_a_reload_never_gets_the_config_from_before_the_edit(
        config_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The stat and what was loaded are read together: one request reloading the edited file,
    another that saw the new stat waits for it rather than take the config before the edit."""
    watcher = ConfigWatcher(config_path)
    before = watcher.start()
    text = config_path.read_text(encoding="utf-8")
    write_config(config_path, text.replace('name = "giffgaff"', 'name = "giffgaff renamed"', 1),
                 mtime=1_780_000_100)
    reading, release = threading.Event(), threading.Event()
    parse = watcher._parse_file

    def slow_parse() -> Any:
        reading.set()
        assert release.wait(60)
        return parse()

    monkeypatch.setattr(watcher, "_parse_file", slow_parse)
    got: dict[str, Loaded] = {}
    first = threading.Thread(target=lambda: got.update(first=watcher.current()))
    second = threading.Thread(target=lambda: got.update(second=watcher.current()))
    first.start()
    assert reading.wait(60)
    second.start()
    second.join(1.0)  # time for the second request to look (it must wait, not answer)
    release.set()
    first.join(60)
    second.join(60)
    assert got["first"] is not before and got["second"] is not before
    assert got["second"].config.sim("giffgaff").name == "giffgaff renamed"  # type: ignore[union-attr]
