"""PostgreSQL stopped under a running app: feeds from the last good state, writes refused, then resumed."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask

from .postgres import PASSWORD, PostgresServer, server_or_skip

ADMIN = "admin-token-for-the-outage-test"
AUTH = {"Authorization": f"Bearer {ADMIN}"}


class Lines(logging.Handler):
    """The app's log lines, as its handler writes them (tokens and passwords redacted)."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@pytest.fixture
def own_server() -> Iterator[PostgresServer]:
    """A server of this test's own: stopping it must not stop the other tests' databases."""
    server = server_or_skip()
    server.start()
    yield server
    server.remove()


def test_a_database_that_goes_down_and_comes_back(make_app: Callable[..., Flask], config_path: Path,
                                                  own_server: PostgresServer) -> None:
    caught = Lines()
    logging.getLogger("feed").addHandler(caught)
    app = make_app(config_path, SIMFEED_DATABASE=own_server.create_database(), SIMFEED_ADMIN_TOKEN=ADMIN)
    client = app.test_client()
    first = client.post("/api/sims/giffgaff/renewals", json={"date": "2026-11-20"}, headers=AUTH)
    assert first.status_code == 201
    feed = client.get("/calendar.ics")
    assert feed.status_code == 200

    own_server.stop()
    during = client.get("/calendar.ics")
    assert (during.status_code, during.data) == (200, feed.data), "the last good state is served"
    health = client.get("/healthz")
    assert health.status_code == 503
    assert health.json is not None and health.json["status"] == "unavailable"
    assert health.json["error"].startswith(f"PostgreSQL postgres@127.0.0.1:{own_server.port}/")
    refused = client.post("/api/sims/giffgaff/renewals", json={"date": "2026-11-21"}, headers=AUTH)
    assert refused.status_code == 503
    assert refused.headers["Retry-After"] == "30"
    assert refused.json == {"error": "the renewal log's database is unavailable: nothing was stored; "
                                     "try again later"}

    renew = app.test_cli_runner().invoke(args=["renew", "giffgaff", "--date", "2026-11-21"])
    assert renew.exit_code == 1
    assert renew.output.startswith("Error: PostgreSQL postgres@127.0.0.1:")
    assert "is unavailable" in renew.output and PASSWORD not in renew.output

    own_server.start()
    again = client.post("/api/sims/giffgaff/renewals", json={"date": "2026-11-21"}, headers=AUTH)
    assert again.status_code == 201, "service resumes by itself, the first write included"
    assert client.get("/healthz").status_code == 200
    listed = client.get("/api/sims/giffgaff/renewals", headers=AUTH).json
    assert [r["date"] for r in listed][:2] == ["2026-11-21", "2026-11-20"]  # type: ignore[union-attr]
    app.extensions["simfeed"].store.close()
    logging.getLogger("feed").removeHandler(caught)
    logged = "\n".join(caught.lines)
    assert "is unavailable" in logged, "the outage is logged"
    assert PASSWORD not in logged + health.get_data(as_text=True) + refused.get_data(as_text=True)
