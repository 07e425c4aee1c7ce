"""Shared fixtures: a config file on disk, the app built on it, its client and CLI runner.

Plain helper functions shared by several test modules are in tests/helpers.py.
"""

from __future__ import annotations

import inspect
import os
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from hypothesis import HealthCheck, settings

from feed import create_app

from .postgres import PostgresServer, postgres

__all__ = ["postgres"]  # the session's PostgreSQL server, a fixture for every module

# Plain asserts in the helpers report their values as a test module's would.
pytest.register_assert_rewrite("tests.helpers")

# Property-based tests: a bounded number of examples in `make test` ("ci", the default, with
# no deadline: two shared cores make timings noisy); HYPOTHESIS_PROFILE=thorough for a long hunt.
settings.register_profile("ci", max_examples=60, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile("thorough", max_examples=2000, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
# `make test-fast` sets "fast": fewer examples, for a quick loop while working.
settings.register_profile("fast", max_examples=12, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

# The config most tests serve: giffgaff (keep_alive) and Cubacel (keep_alive with grace). Its SIM
# tables are the shared base SIMs: helpers.shared_sim picks one, with keys changed for a test.
BASIC = (Path(__file__).parent / "data" / "basic.toml").read_text(encoding="utf-8")


def write_config(path: Path, text: str, mtime: float | None = 1_780_000_000) -> Path:
    """Write a config and give it a fixed mtime, which becomes the feed's DTSTAMP."""
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    if mtime is not None:
        os.utime(path, (mtime, mtime))
    return path


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    return write_config(tmp_path / "sims.toml", BASIC)


@pytest.fixture
def make_app(tmp_path: Path) -> Callable[..., Flask]:
    """Build an app on a config file, with its instance folder in tmp_path."""

    def make(path: Path, **settings: object) -> Flask:
        return create_app({"TESTING": True, "SIMFEED_CONFIG": str(path),
                           "SIMFEED_INSTANCE": str(tmp_path / "instance"), **settings})

    return make


@pytest.fixture
def app(config_path: Path, make_app: Callable[..., Flask]) -> Flask:
    return make_app(config_path)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


@pytest.fixture
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No admin token or log location from the environment the tests run in.

    For a whole module: pytestmark = pytest.mark.usefixtures("clean_environment").
    """
    for name in ("SIMFEED_ADMIN_TOKEN", "SIMFEED_DATABASE", "DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def build(make_app: Callable[..., Flask]) -> Iterator[Callable[..., Flask]]:
    """make_app, closing each app's renewal log at the end of the test."""
    apps: list[Flask] = []

    def build_app(path: Path, **settings: object) -> Flask:
        app = make_app(path, **settings)
        apps.append(app)
        return app

    yield build_app
    for app in apps:
        app.extensions["simfeed"].store.close()


@pytest.fixture
def serve(build: Callable[..., Flask], tmp_path: Path) -> Callable[..., FlaskClient]:
    """A test client of an app built on a config text (each text in a file of its own)."""
    clients: list[FlaskClient] = []

    def serve_text(toml: str, **settings: object) -> FlaskClient:
        path = write_config(tmp_path / f"sims-{len(clients)}.toml", toml)
        clients.append(build(path, **settings).test_client())
        return clients[-1]

    return serve_text


@pytest.fixture
def database(tmp_path: Path) -> Path:
    """Where the renewal log of an app from make_app lives."""
    return tmp_path / "instance" / "simfeed.sqlite3"


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    """Each test that takes it runs on SQLite and on a real PostgreSQL server (tests/postgres.py)."""
    return str(request.param)


@pytest.fixture
def log_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """Where a test's renewal log lives: an SQLite file's path, or a fresh PostgreSQL database's URL."""
    if backend == "sqlite":
        return str(tmp_path / "data" / "log.sqlite3")
    server: PostgresServer = request.getfixturevalue("postgres")
    return server.create_database()


# The slow tier (`make test` runs it; `make test-fast` leaves it out): tests that start
# processes, servers, containers or a browser, and the year-long walks. A test is slow by its
# module, by a fixture that starts a server, or by what its own code starts.
SLOW_MODULES = frozenset({
    "test_browser", "test_concurrency", "test_crash", "test_gunicorn", "test_gunicorn_security",
    "test_outage", "test_remind_cli", "test_slow_clients", "test_token_strength", "test_db_cli",
    "test_container", "test_changes", "test_editor_gunicorn", "test_libical", "test_units",
})
SLOW_FIXTURES = frozenset({"postgres", "production_venv", "browser", "server"})
SLOW_CALLS = ("gunicorn(", "Popen(", "subprocess.run(", "serving(", "running(")


def _starts_processes(item: pytest.Item) -> bool:
    function = getattr(item, "function", None)
    try:
        source = inspect.getsource(function) if function is not None else ""
    except (OSError, TypeError):
        return False
    return any(call in source for call in SLOW_CALLS)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if (item.path.stem in SLOW_MODULES or SLOW_FIXTURES & set(getattr(item, "fixturenames", ()))
                or _starts_processes(item)):
            item.add_marker(pytest.mark.slow)
