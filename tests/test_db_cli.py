"""`flask db upgrade` and `flask db copy`: a log moved between SQLite and PostgreSQL, nothing lost."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

from flask import Flask

from feed.core.model import Renewal
from feed.storage.store import LogState, RenewalStore

from .postgres import PASSWORD, PostgresServer
from .test_store import V1_STORED, old_database

T0 = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def test_db_upgrade_takes_a_file_of_today_in_place(make_app: Callable[..., Flask], config_path: Path,
                                                   tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    old_database(path, 4)
    app = make_app(config_path, SIMFEED_DATABASE=str(path))  # the CLI's app: migrated by the command
    result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert result.output == f"SQLite file {path} is at the latest schema\n"
    store = RenewalStore(path)
    assert store.list() == V1_STORED
    store.close()


def test_copy_sqlite_to_postgresql_and_back(app: Flask, tmp_path: Path, postgres: PostgresServer) -> None:
    source = tmp_path / "log.sqlite3"
    old_database(source, 4)
    store = RenewalStore(source, clock=lambda: T0)
    store.add("giffgaff", Renewal(date(2026, 11, 20), 10.0, "GBP"), "key-1", "fp")
    store.first_seen({"giffgaff": "v1"}, T0)
    store.delete(2)
    expected, state = store.list(), store.state()
    store.close()
    runner = app.test_cli_runner()
    url = postgres.create_database().replace("postgresql://", "postgres://")

    result = runner.invoke(args=["db", "copy", str(source), url])
    assert result.exit_code == 0, result.output
    assert result.output == (f"copied SQLite file {source} to PostgreSQL postgres@127.0.0.1:{postgres.port}/"
                             f"{url.rsplit('/', 1)[1]}: autopilot_attempts 0, autopilot_paused 0, "
                             "definitions 1, deliveries 0, idempotency 1, meta 2, renewals 3\n")
    assert PASSWORD not in result.output
    copied = RenewalStore(url, clock=lambda: T0)
    assert copied.list() == expected
    assert copied.state() == LogState(state.generation, state.changed_at)
    assert copied.add("giffgaff", Renewal(date(2026, 11, 20), 10.0, "GBP"), "key-1", "fp")[1] is False
    assert copied.add("cubacel", Renewal(date(2026, 11, 21)))[0].id == 7, "ids go on after the copied ones"
    copied.close()

    # Into a log that holds renewals: refused, and nothing written.
    again = runner.invoke(args=["db", "copy", str(source), url])
    assert again.exit_code == 1
    assert "is not empty (table definitions): nothing was copied" in again.output
    assert PASSWORD not in again.output
    copied = RenewalStore(url)
    assert len(copied.list()) == 4

    back = tmp_path / "back.sqlite3"
    result = runner.invoke(args=["db", "copy", url, str(back)])
    assert result.exit_code == 0, result.output
    returned = RenewalStore(back)
    assert [s.renewal for s in returned.list()] == [s.renewal for s in copied.list()]
    returned.close()
    copied.close()


def test_an_unreachable_database_is_one_line_without_its_password(app: Flask, tmp_path: Path,
                                                                    postgres: PostgresServer) -> None:
    url = f"postgresql://simfeed:{PASSWORD}@127.0.0.1:1/nowhere"
    result = app.test_cli_runner().invoke(args=["db", "copy", str(tmp_path / "log.sqlite3"), url])
    assert result.exit_code == 1
    assert result.output.startswith("Error: PostgreSQL simfeed@127.0.0.1:1/nowhere is unavailable: ")
    assert PASSWORD not in result.output
