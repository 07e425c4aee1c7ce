"""Issue 7's security checks through the test client: guessers refused, errors that say nothing,
headers on every page, cookies behind a TLS proxy, and no way to write without the admin token.
"""

from __future__ import annotations

import logging
import sqlite3
import sys
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from feed import StartupError
from feed.core.tokens import RedactingFilter
from feed.web.throttle import LIMIT

from .conftest import write_config
from .helpers import ADMIN_TOKEN, FEED_TOKEN, NAMED_TOKEN, private_config
from .test_pages import Visitor

ADMIN, TOKEN, NAMED = ADMIN_TOKEN, FEED_TOKEN, NAMED_TOKEN
NUMBERS = ("7700 900123", "900123", "5555 4567")
PRIVATE = private_config()


class Clock:
    """A hand-moved monotonic clock for the throttle."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def private_app(tmp_path: Path, make_app: Callable[..., Flask]) -> Flask:
    app = make_app(write_config(tmp_path / "sims.toml", PRIVATE), TESTING=False)
    app.extensions["simfeed.misses"]._clock = Clock()
    return app


@pytest.fixture
def private(private_app: Flask) -> FlaskClient:
    return private_app.test_client()


def clock_of(app: Flask) -> Clock:
    clock: Clock = app.extensions["simfeed.misses"]._clock
    return clock


# --------------------------------------------------------------------------- guessing tokens

MISSES = [f"/calendar.ics?token={TOKEN}x", "/calendar.ics", "/sims/giffgaff.ics?token=wrong",
          f"/feeds/family.ics?token={TOKEN}", "/feeds/nobody.ics", "/guess.ics", "/sims/a/b.ics"]


@pytest.mark.parametrize("miss", MISSES, ids=["wrong", "none", "wrong-sim", "other-feeds", "unknown-feed",
                                              "unknown-ics", "nested-ics"])
def test_twenty_misses_in_a_minute_get_429_for_the_rest_of_it(private_app: Flask, private: FlaskClient,
                                                            miss: str) -> None:
    clock = clock_of(private_app)
    for _ in range(LIMIT):
        assert private.get(miss).status_code == 404
    clock.now += 30
    refused = private.get(f"/calendar.ics?token={TOKEN}")  # even the right token, from this client
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "30"
    assert TOKEN not in refused.get_data(as_text=True)
    for other in ("/sims/giffgaff.ics", f"/feeds/family.ics?token={NAMED}", miss):
        assert private.get(other).status_code == 429
    # Another client, the page and the health check are not refused.
    assert private.get(f"/calendar.ics?token={TOKEN}",
                       environ_base={"REMOTE_ADDR": "192.0.2.7"}).status_code == 200
    assert private.get("/").status_code == 200
    assert private.get("/healthz").status_code == 200
    clock.now += 30  # the minute that began with the first miss is over
    assert private.get(f"/calendar.ics?token={TOKEN}").status_code == 200


def test_nineteen_misses_are_not_enough(private_app: Flask, private: FlaskClient) -> None:
    for _ in range(LIMIT - 1):
        assert private.get("/calendar.ics?token=wrong").status_code == 404
    assert private.get(f"/calendar.ics?token={TOKEN}").status_code == 200
    assert private.get(f"/calendar.ics?token={TOKEN}").status_code == 200  # hits don't count


def test_misses_a_minute_apart_start_a_new_count(private_app: Flask, private: FlaskClient) -> None:
    clock = clock_of(private_app)
    for _ in range(LIMIT - 1):
        private.get("/calendar.ics?token=wrong")
    clock.now += 60
    for _ in range(LIMIT - 1):
        private.get("/calendar.ics?token=wrong")
    assert private.get(f"/calendar.ics?token={TOKEN}").status_code == 200


def test_a_wrong_token_is_indistinguishable_from_an_unknown_url(private: FlaskClient) -> None:
    def seen(path: str) -> tuple[int, bytes, list[tuple[str, str]]]:
        response = private.get(path)
        return response.status_code, response.data, sorted(
            (k, v) for k, v in response.headers.items() if k != "Date")

    expected = seen("/nothing-here.ics")  # an unknown feed address (pages answer the site's own page)
    assert expected[0] == 404
    for path in (f"/calendar.ics?token={TOKEN}x", "/calendar.ics", f"/sims/giffgaff.ics?token={NAMED}",
                 f"/sims/nope.ics?token={TOKEN}", "/feeds/family.ics", f"/feeds/family.ics?token={TOKEN}",
                 f"/feeds/nope.ics?token={NAMED}", "/else/where.ics"):
        assert seen(path) == expected, path


# --------------------------------------------------------------------------- error pages and headers

def assert_secure_html(response: object, status: int) -> None:
    assert response.status_code == status  # type: ignore[attr-defined]
    headers = response.headers  # type: ignore[attr-defined]
    assert response.mimetype == "text/html"  # type: ignore[attr-defined]
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert "default-src 'none'" in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "no-referrer"
    assert headers["X-Frame-Options"] == "DENY"
    body = response.get_data(as_text=True)  # type: ignore[attr-defined]
    for secret in (ADMIN, TOKEN, NAMED, "Traceback", 'File "/', *NUMBERS):
        assert secret not in body, secret


@pytest.mark.parametrize(("method", "path", "status"), [
    ("GET", "/", 200),
    ("GET", "/signin", 200),
    ("GET", "/language/xx", 404),          # the page's own 404
    ("GET", "/nothing/here", 404),         # outside every blueprint
    ("GET", "/calendar.ics", 404),         # a feed's 404
    ("POST", "/calendar.ics", 405),
    ("DELETE", "/", 405),
    ("POST", "/signin", 400),              # no CSRF token
    ("GET", "/static/../secret_key", 404),
], ids=["index", "signin", "page-404", "app-404", "feed-404", "feed-405", "page-405", "csrf-400",
        "dotdot"])
def test_every_html_answer_carries_the_security_headers(private: FlaskClient, method: str, path: str,
                                                       status: int) -> None:
    assert_secure_html(private.open(path, method=method), status)


def test_a_500_carries_the_headers_and_says_nothing(private_app: Flask, private: FlaskClient,
                                                    monkeypatch: pytest.MonkeyPatch, caplog) -> None:
    def broken() -> None:
        raise sqlite3.OperationalError(f"disk I/O error near {TOKEN}")

    monkeypatch.setattr(private_app.extensions["simfeed"], "snapshot", broken)
    with caplog.at_level(logging.ERROR, logger="feed"):
        for path in (f"/calendar.ics?token={TOKEN}", "/"):
            assert_secure_html(private.get(path), 500)
    assert "Exception on /calendar.ics [GET]" in caplog.text


def test_debug_is_off_even_with_flask_debug_in_the_environment(tmp_path: Path, make_app, monkeypatch) -> None:
    monkeypatch.setenv("FLASK_DEBUG", "1")
    app = make_app(write_config(tmp_path / "sims.toml", PRIVATE))
    assert app.debug is False
    assert app.config["PROPAGATE_EXCEPTIONS"] is None  # so only TESTING propagates, never a server


# --------------------------------------------------------------------------- proxies and cookies

def signin_cookie(client: FlaskClient, **kwargs: object) -> str:
    response = Visitor(client).sign_in(ADMIN, **kwargs)
    assert response.status_code == 303
    cookie: str = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and ADMIN not in cookie
    return cookie


HTTPS_PROXY = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "198.51.100.9",
               "X-Forwarded-Host": "sims.example.org"}


def test_forwarded_headers_are_ignored_by_default(private: FlaskClient) -> None:
    assert "Secure" not in signin_cookie(private, headers=HTTPS_PROXY)


def test_one_trusted_proxy_ending_tls_gives_secure_cookies(tmp_path: Path, make_app) -> None:
    app = make_app(write_config(tmp_path / "sims.toml", PRIVATE), SIMFEED_PROXIES="1")
    client = app.test_client()
    assert "Secure" in signin_cookie(client, headers=HTTPS_PROXY)
    # The subscribe links are built on the host the proxy was asked for.
    assert "https://sims.example.org/calendar.ics?token=" in client.get("/", headers=HTTPS_PROXY).get_data(
        as_text=True)


def test_the_proxy_address_is_the_client_the_throttle_counts(tmp_path: Path, make_app) -> None:
    app = make_app(write_config(tmp_path / "sims.toml", PRIVATE), SIMFEED_PROXIES="1", TESTING=False)
    client = app.test_client()
    for _ in range(LIMIT):
        client.get("/calendar.ics", headers={"X-Forwarded-For": "203.0.113.5"})
    assert client.get(f"/calendar.ics?token={TOKEN}", headers={"X-Forwarded-For": "203.0.113.5"}
                      ).status_code == 429
    assert client.get(f"/calendar.ics?token={TOKEN}", headers={"X-Forwarded-For": "203.0.113.6"}
                      ).status_code == 200


@pytest.mark.parametrize("value", ["-1", "one", "1.5", "11", "١"], ids=["negative", "word", "decimal",
                                                                      "too-many", "arabic-digit"])
def test_a_bad_proxy_count_stops_the_start(tmp_path: Path, make_app, value: str) -> None:
    with pytest.raises(StartupError, match="SIMFEED_PROXIES must be the number of trusted proxies"):
        make_app(write_config(tmp_path / "sims.toml", PRIVATE), SIMFEED_PROXIES=value)


# --------------------------------------------------------------------------- writing needs the admin

def renewal_rows(app: Flask) -> int:
    with closing(sqlite3.connect(app.extensions["simfeed"].store.path)) as db:
        return int(db.execute("SELECT count(*) FROM renewals").fetchone()[0])


def test_the_page_form_refuses_without_the_admin_sign_in(private_app: Flask, private: FlaskClient) -> None:
    visitor = Visitor(private)
    csrf = visitor.hidden(visitor.html("/signin"), "csrf_token")
    data = {"csrf_token": csrf, "date": "2026-06-02", "key": "k-1"}
    assert private.post("/sims/giffgaff/renewals", data=data).status_code == 403
    assert private.post("/sims/giffgaff/renewals", data={"date": "2026-06-02"}).status_code == 400  # no CSRF
    visitor.sign_in("admin-Token_123")  # a wrong admin token signs nobody in
    assert private.post("/sims/giffgaff/renewals", data=data).status_code == 403
    assert visitor.sign_in(TOKEN).status_code == 200  # nor does a feed token
    assert private.post("/sims/giffgaff/renewals", data=data).status_code == 403
    assert renewal_rows(private_app) == 0


@pytest.mark.parametrize("auth", [None, f"Bearer {TOKEN}", f"Bearer {ADMIN}x", f"Basic {ADMIN}", "Bearer "],
                         ids=["none", "feed-token", "wrong", "basic", "empty"])
def test_the_api_refuses_every_call_without_the_admin_token(private_app: Flask, private: FlaskClient,
                                                           auth: str | None) -> None:
    headers = {"Authorization": auth} if auth else {}
    for method, path in [("GET", "/api/sims"), ("GET", "/api/sims/giffgaff/renewals"),
                         ("POST", "/api/sims/giffgaff/renewals"), ("GET", "/api/renewals/1"),
                         ("DELETE", "/api/renewals/1")]:
        response = private.open(path, method=method, headers=headers, json={"date": "2026-06-02"})
        assert response.status_code == 401, (method, path)
    assert renewal_rows(private_app) == 0


# --------------------------------------------------------------------------- what a private site shows

def test_regression_healthz_of_a_private_calendar_names_no_sim(private: FlaskClient, tmp_path: Path) -> None:
    # Found while reviewing for issue 7: a bad edit put every problem line, with SIM ids and
    # names, on the public /healthz even when the calendar needs a token.
    private.get(f"/calendar.ics?token={TOKEN}")
    write_config(tmp_path / "sims.toml", PRIVATE.replace('"6 months"', '"6 moths"'), mtime=1_780_000_100)
    health = private.get("/healthz")
    assert health.status_code == 503
    assert health.get_json() == {"status": "stale", "error_count": 2}  # keep_alive, and the feed's sims


def test_regression_the_stale_banner_of_a_private_calendar_needs_the_sign_in(private: FlaskClient,
                                                                             tmp_path: Path) -> None:
    private.get("/")
    write_config(tmp_path / "sims.toml", PRIVATE.replace('"6 months"', '"6 moths"'), mtime=1_780_000_100)
    assert "6 moths" not in private.get("/").get_data(as_text=True)
    Visitor(private).sign_in()
    assert "6 moths" in private.get("/").get_data(as_text=True)


# --------------------------------------------------------------------------- logs

def test_the_log_filter_redacts_messages_arguments_and_tracebacks() -> None:
    try:
        raise ValueError(f"bad request /calendar.ics?token={TOKEN}")
    except ValueError:
        record = logging.LogRecord("gunicorn.error", logging.ERROR, __file__, 1,
                                   "Error handling request %s (%s)", (f"/feeds/x.ics?token={NAMED}&a=1",
                                                                      f"Bearer {ADMIN}"), sys.exc_info())
    assert RedactingFilter().filter(record)
    line = logging.Formatter().format(record)
    assert "Error handling request /feeds/x.ics?token=[redacted]&a=1 (Bearer [redacted])" in line
    assert "ValueError: bad request /calendar.ics?token=[redacted]" in line
    for secret in (TOKEN, NAMED, ADMIN):
        assert secret not in line
