"""Shared fixtures: a config file on disk, the app built on it, its client and CLI runner.

Plain helper functions shared by several test modules are in tests/helpers.py.
"""

from __future__ import annotations

import functools
import inspect
import os
import re
import shutil
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from unittest import mock

import jinja2
import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from hypothesis import HealthCheck, settings
from sqlalchemy import Engine

from feed import create_app
from feed.storage import db
from feed.storage.store import RenewalStore

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


class _SharedTemplates(jinja2.BytecodeCache):
    """The pages' templates compiled once for the whole run, not once per app: every app of
    create_app has the same Jinja settings, and a template's entry is keyed by its source."""

    def __init__(self) -> None:
        self._code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        if bucket.key in self._code:
            bucket.bytecode_from_string(self._code[bucket.key])

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self._code[bucket.key] = bucket.bytecode_to_string()


_TEMPLATES = _SharedTemplates()


@pytest.fixture(scope="session")
def migrated_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An SQLite renewal log brought to the latest revision by the migrations, once a session."""
    path = tmp_path_factory.mktemp("migrated") / "simfeed.sqlite3"
    store = RenewalStore(str(path))
    store.engine  # noqa: B018 - made and migrated on first use
    store.close()
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no WAL left behind: one file is all
    return path


def _from_template(template: Path, create_schema: Callable[[Engine], None]) -> Callable[[Engine], None]:
    """create_schema that first copies `template` to where a new SQLite log is about to be made.

    The migrations of an empty file (40 ms of Alembic, for each of a thousand apps) become a
    copy of their result; the real create_schema then runs on it as on any current database.
    Other databases (old files, PostgreSQL, in memory) are migrated as they are.
    """

    def create(engine: Engine) -> None:
        file = engine.url.database if engine.url.get_backend_name() == "sqlite" else None
        if file and file != ":memory:" and not os.path.exists(file):
            shutil.copyfile(template, file)
        create_schema(engine)

    return create


@pytest.fixture
def make_app(tmp_path: Path, migrated_log: Path) -> Callable[..., Flask]:
    """Build an app on a config file, with its instance folder in tmp_path.

    A new SQLite log starts as a copy of the session's migrated one (tests/test_store.py runs the
    migrations themselves, on SQLite and PostgreSQL), and the templates come compiled.
    """

    def make(path: Path, **settings: object) -> Flask:
        with mock.patch.object(db, "create_schema", _from_template(migrated_log, db.create_schema)):
            app = create_app({"TESTING": True, "SIMFEED_CONFIG": str(path),
                              "SIMFEED_INSTANCE": str(tmp_path / "instance"), **settings})
        app.jinja_env.bytecode_cache = _TEMPLATES
        return app

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
# processes, servers, containers or a browser, the tests run on PostgreSQL, and the year-long
# walks. A test is slow by its module, by a fixture that starts a server, by its parameters, or
# by what its own code starts (directly, or through a function of its module it calls).
SLOW_MODULES = frozenset({
    "test_browser", "test_concurrency", "test_crash", "test_gunicorn", "test_gunicorn_security",
    "test_outage", "test_remind_cli", "test_slow_clients", "test_token_strength", "test_db_cli",
    "test_container", "test_changes", "test_editor_gunicorn", "test_libical", "test_units",
})
SLOW_FIXTURES = frozenset({"postgres", "production_venv", "browser", "server"})
# The backend fixture's PostgreSQL case asks for the session's server as it runs (getfixturevalue).
SLOW_PARAMS = frozenset({("backend", "postgresql")})
SLOW_CALLS = ("gunicorn(", "Popen(", "subprocess.run(", "serving(", "running(")


@functools.cache
def _source(function: object) -> str:
    try:
        return inspect.getsource(function)  # type: ignore[arg-type]
    except (OSError, TypeError):
        return ""


def _starts_processes(item: pytest.Item) -> bool:
    function = getattr(item, "function", None)
    source = _source(function) if function is not None else ""
    if any(call in source for call in SLOW_CALLS):
        return True
    # Through a helper of its own module, such as a `remind(...)` that starts the runner.
    module = getattr(item, "module", None)
    called = set(re.findall(r"\b([A-Za-z_]\w*)\(", source))
    helpers = (getattr(module, name, None) for name in called)
    return any(inspect.isfunction(helper) and helper.__module__ == getattr(module, "__name__", None)
               and helper is not function and any(call in _source(helper) for call in SLOW_CALLS)
               for helper in helpers)


def _slow(item: pytest.Item) -> bool:
    callspec = getattr(item, "callspec", None)
    params = callspec.params if callspec is not None else {}
    return (item.path.stem in SLOW_MODULES or bool(SLOW_FIXTURES & set(getattr(item, "fixturenames", ())))
            or any(params.get(name, object()) == value for name, value in SLOW_PARAMS)
            or _starts_processes(item))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if _slow(item):
            item.add_marker(pytest.mark.slow)


# The fast tier's guard: a test not marked slow that starts a process, in its fixtures or its
# body, fails and says so, in either tier. Python's audit hook sees every subprocess.Popen
# (asyncio's and the libraries' too), os.system, exec, spawn and fork.
_STARTS = frozenset({"subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork"})
_watching: list[list[str]] = []  # while a fast test's setup and call run: the processes it started


def _audit(event: str, args: tuple[object, ...]) -> None:
    if event in _STARTS and _watching:
        what = args[0] if args else event
        command = os.fsdecode(what) if isinstance(what, str | bytes | os.PathLike) else str(what)
        _watching[0].append(os.path.basename(command.split()[0]))


sys.addaudithook(_audit)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> Iterator[None]:
    _watching.clear()
    if item.get_closest_marker("slow") is None:
        _watching.append([])
    return (yield)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    try:
        result = yield
    finally:
        started = sorted(set(_watching[0])) if _watching else []
        _watching.clear()
    if started:
        pytest.fail(f"this test started {', '.join(started)} but is not in the slow tier: mark it "
                    "@pytest.mark.slow, or name what starts it in tests/conftest.py (SLOW_...)",
                    pytrace=False)
    return result
