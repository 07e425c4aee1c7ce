"""Issue 15: failed-token limits kept in the database, so that workers and instances share them.

The window arithmetic on SQLite and PostgreSQL, then 429s with Retry-After on the sign-in, the
API and the feeds through the test client (two apps on one database standing for two workers),
and one run of two real gunicorn instances sharing one SQLite file.
"""

from __future__ import annotations

import logging
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, func, select

from feed.storage import db
from feed.storage.limits import EVERYONE, Quota, Window, count_miss, limits
from feed.web.throttle import ADMIN_LIMIT, ADMIN_TOTAL, ADMIN_WINDOW, LIMIT

from .conftest import BASIC, write_config
from .helpers import Visitor, gunicorn

pytestmark = pytest.mark.usefixtures("clean_environment")

ADMIN = "admin-limits-Token_0123456789"  # 29 URL-safe characters
FEED = "feed-limits-Token_0123456789ab"
CONFIG = BASIC.replace('timezone = "Europe/London"', f'''timezone = "Europe/London"
token = "{FEED}"

[server]
admin_token = "{ADMIN}"''')
T0 = 1_800_000_000.0
QUOTA = Quota("test", limit=3, window=60)
TOTAL = Quota("test-total", limit=5, window=60, total=True)


# --------------------------------------------------------------------------- the counts in the database

@pytest.fixture
def engine(log_url: str) -> Iterator[Engine]:
    made = db.engine_for(log_url)
    db.create_schema(made)
    yield made
    made.dispose()


def rows(engine: Engine) -> int:
    with db.reading(engine) as connection:
        return int(connection.execute(select(func.count()).select_from(limits)).scalar_one())


def test_misses_count_per_client_and_in_total_in_one_window(engine: Engine) -> None:
    assert count_miss(engine, [QUOTA, TOTAL], "a", T0) == [Window(1, T0 + 60), Window(1, T0 + 60)]
    assert count_miss(engine, [QUOTA, TOTAL], "a", T0 + 10) == [Window(2, T0 + 60), Window(2, T0 + 60)]
    # Another client has a window of its own, and adds to everyone's.
    assert count_miss(engine, [QUOTA, TOTAL], "b", T0 + 20) == [Window(1, T0 + 80), Window(3, T0 + 60)]
    assert count_miss(engine, [QUOTA], "a", T0 + 59.9) == [Window(3, T0 + 60)]
    assert rows(engine) == 3


def test_a_window_that_ended_starts_again_at_the_next_miss(engine: Engine) -> None:
    for _ in range(4):
        count_miss(engine, [QUOTA], "a", T0)
    assert count_miss(engine, [QUOTA], "a", T0 + 60) == [Window(1, T0 + 120)]


def test_pruning_deletes_ended_windows_only(engine: Engine) -> None:
    count_miss(engine, [QUOTA], "old", T0)
    count_miss(engine, [QUOTA], "recent", T0 + 30)
    count_miss(engine, [QUOTA], "now", T0 + 61, prune=True)
    with db.reading(engine) as connection:
        assert sorted(connection.execute(select(limits.c.client))) == [("now",), ("recent",)]


def test_concurrent_misses_are_each_counted_once(engine: Engine) -> None:
    def miss() -> None:
        for _ in range(10):
            count_miss(engine, [QUOTA, TOTAL], "a", T0)

    threads = [threading.Thread(target=miss) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert count_miss(engine, [QUOTA, TOTAL], "a", T0) == [Window(41, T0 + 60), Window(41, T0 + 60)]
    assert TOTAL.key("a") == ("test-total", EVERYONE)


# --------------------------------------------------------------------------- through the test client

class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def workers(tmp_path: Path, build: Callable[..., Flask], clock: Clock) -> list[Flask]:
    """Two apps on one config and one database, as two workers (or instances) are."""
    path = write_config(tmp_path / "sims.toml", CONFIG)
    apps = [build(path, SIMFEED_DATABASE=str(tmp_path / "shared.sqlite3")) for _ in range(2)]
    for app in apps:
        app.extensions["simfeed.misses"]._clock = clock
    return apps


def at(address: str) -> dict[str, object]:
    return {"environ_base": {"REMOTE_ADDR": address}}


def api(client: FlaskClient, token: str, address: str = "127.0.0.1") -> object:
    return client.get("/api/sims", headers={"Authorization": f"Bearer {token}"}, **at(address))


def test_wrong_admin_tokens_across_two_workers_get_429_then_the_lockout_ends(workers: list[Flask],
                                                                            clock: Clock) -> None:
    clients = [app.test_client() for app in workers]
    for number in range(ADMIN_LIMIT):
        assert api(clients[number % 2], f"guess-{number}").status_code == 401
    clock.now += 100
    # The first worker counted 9 of the 10: its next miss learns the shared count and is refused.
    assert api(clients[0], "guess").status_code == 429
    # Now refused on either worker, the right token included, with JSON and Retry-After.
    for client in clients:
        refused = api(client, ADMIN)
        assert refused.status_code == 429
        assert refused.headers["Retry-After"] == str(int(ADMIN_WINDOW) - 100)
        assert refused.get_json() == {"error": "too many wrong admin tokens: try again later",
                                      "retry_after": int(ADMIN_WINDOW) - 100}
    # The page's sign-in is refused too, in the visitor's language.
    visitor = Visitor(clients[1])
    page = visitor.sign_in(ADMIN, headers={"Accept-Language": "zh-CN"})
    assert page.status_code == 429 and page.headers["Retry-After"] == "500"
    assert "请在 9 分钟后重试" in page.get_data(as_text=True)
    # Another client signs in and uses the API meanwhile.
    assert api(clients[0], ADMIN, "192.0.2.7").status_code == 200
    assert Visitor(workers[1].test_client()).sign_in(ADMIN, environ_base={"REMOTE_ADDR": "192.0.2.7"}
                                                     ).status_code == 303
    clock.now = T0 + ADMIN_WINDOW  # the window that began with the first miss is over
    assert api(clients[0], ADMIN).status_code == 200
    assert api(clients[1], ADMIN).status_code == 200


def test_wrong_sign_ins_count_with_the_api_and_are_refused_in_english(workers: list[Flask]) -> None:
    client = workers[0].test_client()
    for number in range(ADMIN_LIMIT):
        assert Visitor(client).sign_in(f"guess-{number}").status_code == 200  # the form, with its error
    refused = Visitor(client).sign_in(ADMIN)
    assert refused.status_code == 429 and refused.headers["Retry-After"] == str(int(ADMIN_WINDOW))
    page = refused.get_data(as_text=True)
    assert "Too many wrong admin tokens were tried. Try again in 10 minutes." in page and ADMIN not in page
    assert api(workers[1].test_client(), "guess").status_code == 429


def test_many_addresses_together_meet_the_total_limit(workers: list[Flask]) -> None:
    client = workers[0].test_client()
    for number in range(ADMIN_TOTAL):
        assert api(client, "guess", f"10.0.{number // 200}.{number % 200}").status_code == 401
    assert api(workers[1].test_client(), "guess", "10.9.9.9").status_code == 429


def test_requests_without_a_token_are_no_attempt(workers: list[Flask]) -> None:
    client = workers[0].test_client()
    for _ in range(ADMIN_LIMIT + 1):
        assert client.get("/api/sims").status_code == 401
    assert api(client, ADMIN).status_code == 200


def test_feed_misses_on_two_workers_share_one_limit(workers: list[Flask], clock: Clock) -> None:
    clients = [app.test_client() for app in workers]
    for number in range(LIMIT):
        assert clients[number % 2].get("/calendar.ics?token=guess").status_code == 404
    assert clients[0].get("/calendar.ics?token=guess").status_code == 429  # its 21st, counted by both
    for client in clients:
        refused = client.get(f"/calendar.ics?token={FEED}")
        assert refused.status_code == 429 and refused.headers["Retry-After"] == "60"
    assert clients[1].get(f"/calendar.ics?token={FEED}", **at("192.0.2.7")).status_code == 200
    clock.now += 60
    assert clients[0].get(f"/calendar.ics?token={FEED}").status_code == 200


def test_a_worker_that_had_not_heard_of_the_lockout_refuses_the_next_miss(workers: list[Flask]) -> None:
    first, second = (app.test_client() for app in workers)
    for _ in range(LIMIT):
        assert first.get("/calendar.ics?token=guess").status_code == 404
    # The second worker saw no miss yet: its next one learns the shared count and is refused.
    assert second.get("/calendar.ics?token=guess").status_code == 429
    assert second.get(f"/calendar.ics?token={FEED}").status_code == 429


def test_without_the_database_each_worker_counts_alone_and_says_so(
        workers: list[Flask], caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    def down() -> Engine:
        raise db.LogUnavailable("PostgreSQL simfeed@db.example/simfeed is unavailable: connection refused")

    app = workers[0]
    monkeypatch.setattr(app.extensions["simfeed.misses"], "_engine", down)
    client = app.test_client()
    with caplog.at_level(logging.INFO, logger="feed"):
        for _ in range(LIMIT):
            assert client.get("/calendar.ics?token=guess").status_code == 404
        assert client.get(f"/calendar.ics?token={FEED}").status_code == 429
    warnings = [r.getMessage() for r in caplog.records if "counted by this worker alone" in r.getMessage()]
    assert warnings == ["failed-token limits are counted by this worker alone until the database answers "
                        "again: PostgreSQL simfeed@db.example/simfeed is unavailable: connection refused"]
    assert FEED not in caplog.text


# --------------------------------------------------------------------------- two gunicorn instances

def status(url: str, token: str) -> int:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return error.code


def test_two_gunicorn_instances_on_one_database_share_the_limits(tmp_path: Path) -> None:
    config = write_config(tmp_path / "sims.toml", CONFIG)
    shared = {"SIMFEED_DATABASE": str(tmp_path / "shared.sqlite3"), "WEB_CONCURRENCY": "2"}
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    with gunicorn(config, tmp_path / "a", tmp_path / "a.log", **shared) as one, \
            gunicorn(config, tmp_path / "b", tmp_path / "b.log", **shared) as two:
        bases = [one, two]
        for number in range(LIMIT):
            assert status(f"{bases[number % 2]}/calendar.ics?token=guess", "") == 404
        # Each worker of each instance refuses at the latest at its first miss after the limit.
        answers = [status(f"{base}/calendar.ics?token=guess", "") for base in bases for _ in range(2)]
        assert answers == [429] * 4
        for number in range(ADMIN_LIMIT):
            assert status(f"{bases[number % 2]}/api/sims", f"guess-{number}") == 401
        assert [status(f"{base}/api/sims", "guess") for base in bases for _ in range(2)] == [429] * 4
    for log in ("a.log", "b.log"):
        text = (tmp_path / log).read_text()
        assert FEED not in text and ADMIN not in text
