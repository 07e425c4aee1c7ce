"""The test harness itself (tests/conftest.py): each app's log is fresh and its own, and the tiers
hold what they say (`make test-fast` leaves out what starts processes, servers or PostgreSQL)."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from datetime import date
from pathlib import Path
from types import ModuleType, SimpleNamespace

import pytest
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask
from sqlalchemy import inspect as schema

from feed.core.model import Renewal
from feed.storage import db
from feed.storage.store import RenewalStore

pytestmark = pytest.mark.usefixtures("clean_environment")

HEAD = ScriptDirectory(str(db.MIGRATIONS)).get_current_head()


def assert_fresh(path: Path) -> None:
    """At the latest revision, every table of metadata, and only the rows a new database starts with."""
    store = RenewalStore(str(path))
    try:
        engine = store.engine
        assert set(db.metadata.tables) <= set(schema(engine).get_table_names())
        with db.reading(engine) as connection:
            assert MigrationContext.configure(connection).get_current_revision() == HEAD
            db.require_fresh(connection, engine, "checked")
    finally:
        store.close()


@pytest.mark.parametrize("turn", ["first", "second"])
def test_each_app_gets_a_fresh_fully_migrated_log_of_its_own(
        make_app: Callable[..., Flask], config_path: Path, database: Path, migrated_log: Path, turn: str):
    """Twice: what the first test wrote is not in the second's log, nor in the session's template."""
    app = make_app(config_path)
    store = app.extensions["simfeed"].store
    assert store.path == database and database.exists() and not database.samefile(migrated_log)
    assert store.list() == []
    store.close()
    assert_fresh(database)
    store.add("giffgaff", Renewal(date(2026, 11, 20)))
    assert [stored.sim_id for stored in store.list()] == ["giffgaff"]
    store.close()
    assert_fresh(migrated_log)


def test_an_existing_log_is_migrated_as_it_is_not_replaced(make_app: Callable[..., Flask], config_path: Path,
                                                          database: Path):
    """The copy is for a log about to be made: a log already there keeps its rows."""
    store = RenewalStore(str(database))
    store.add("giffgaff", Renewal(date(2026, 11, 20)))
    store.close()
    app = make_app(config_path)
    assert [stored.sim_id for stored in app.extensions["simfeed"].store.list()] == ["giffgaff"]
    app.extensions["simfeed"].store.close()


def item(module: ModuleType, name: str, **params: str) -> SimpleNamespace:
    """What the tiers' rules read of a collected test."""
    function = getattr(module, name)
    return SimpleNamespace(path=Path(module.__file__ or ""), module=module, function=function,
                           fixturenames=list(inspect.signature(function).parameters),
                           callspec=SimpleNamespace(params=params) if params else None)


def test_the_postgresql_cases_and_what_starts_processes_are_slow_the_rest_fast():
    from . import conftest, test_architecture, test_autopilot, test_store

    slow = [item(test_store, "test_add_get_list_delete_round_trip", backend="postgresql"),
            item(test_autopilot, "test_a_runner_killed_mid_send_never_sends_that_text_again"),  # remind()
            item(test_architecture, "test_the_contract_is_kept"),  # lint()
            item(test_store, "test_postgres_urls_as_platforms_hand_them_out_are_accepted")]  # postgres
    fast = [item(test_store, "test_add_get_list_delete_round_trip", backend="sqlite"),
            item(test_autopilot, "test_dry_run_and_pause_send_nothing")]
    assert [conftest._slow(case) for case in slow] == [True] * len(slow)  # type: ignore[arg-type]
    assert [conftest._slow(case) for case in fast] == [False] * len(fast)  # type: ignore[arg-type]
