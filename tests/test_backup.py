"""`backup FILE` and `restore FILE [--replace]` (issue 20): one archive with the SIM file, its
editing history and every row of the log, from SQLite or PostgreSQL and back, checked whole
before anything is written."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import click
import pytest
from flask import Flask
from sqlalchemy import insert

from feed import create_app
from feed.config.starter import is_starter
from feed.core.model import Renewal
from feed.editing.configfile import Change, ConfigFile, digest
from feed.service import Service
from feed.storage import attempts, db
from feed.storage.deliveries import deliveries

from .conftest import BASIC
from .postgres import PASSWORD, PostgresServer

pytestmark = pytest.mark.usefixtures("clean_environment")

T0 = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def cli_app(folder: Path, database: str | None = None) -> Flask:
    """The app as `simfeed …` builds it, on the data folder `folder` (its SIM file, its log: SQLite
    there unless `database`); with no SIM file there, it writes the starter, as a first start does."""
    settings: dict[str, Any] = {"TESTING": True, "SIMFEED_INSTANCE": str(folder)}
    if database:
        settings["SIMFEED_DATABASE"] = database
    with click.Context(click.Command("simfeed")):
        return create_app(settings)


def run(app: Flask, *args: str) -> tuple[int, str]:
    result = app.test_cli_runner().invoke(args=list(args))
    return result.exit_code, result.output


def service(app: Flask) -> Service:
    found: Service = app.extensions["simfeed"]
    return found


def rows(app: Flask) -> dict[str, list[dict[str, Any]]]:
    with db.reading(service(app).store.engine) as connection:
        return db.dump(connection)


def files(folder: Path) -> dict[str, bytes]:
    """Every file under the data folder but the SQLite database and the locks, by relative path."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and not p.name.startswith("simfeed.sqlite3") and not p.name.endswith(".lock")}


def owned(folder: Path) -> dict[str, bytes]:
    """What a backup carries of the data folder: the SIM file and its history."""
    return {name: data for name, data in files(folder).items()
            if name == "sims.toml" or name.startswith("config-history-")}


@pytest.fixture
def source(tmp_path: Path) -> Iterator[Flask]:
    """A service's data on SQLite: a SIM file edited twice from the page, renewals, a delivery."""
    folder = tmp_path / "source"
    folder.mkdir()
    (folder / "sims.toml").write_text(BASIC, encoding="utf-8")
    app = cli_app(folder)
    store = service(app).store
    edits = ConfigFile(folder / "sims.toml", folder)
    for n, note in enumerate(["# first edit\n", "# second edit, 中文\n"]):
        text = edits.read()
        change = Change("s1", "edit", "giffgaff", ("note",))
        edits.save(text + note, digest(text), change, T0.replace(second=n))
    store.add("giffgaff", Renewal(date(2026, 11, 20), 10.0, "GBP", method="card", note="top-up 中文"),
              "key-1", "fp")
    store.add("cubacel", Renewal(date(2026, 11, 21), 0.1, "USD", kind="sms"))
    store.add("giffgaff", Renewal(date(2026, 11, 22)))
    store.delete(2)
    store.first_seen({"giffgaff": "v1", "cubacel": "v2"}, T0)
    with db.writing(store.engine) as connection:
        connection.execute(insert(deliveries).values(
            notify_id="phone", target="t1", sim_id="giffgaff", deadline="2027-01-01", occasion="before-3",
            due_at="2026-12-29T09:00:00+00:00", state="sent", attempts=1, runner="host-1", lease_until=1.5e9,
            next_try=None, error=None, updated_at=T0.isoformat(), sent_at=T0.isoformat()))
    # The autopilot's tables: a text handed over and confirmed (its cost exact), and a paused SIM.
    claimed = attempts.claim(store.engine, "giffgaff", date(2027, 1, 1), "old-phone", T0, "host-1",
                             T0.timestamp(), 600)
    assert claimed is not None
    attempts.sent(store.engine, claimed, T0.timestamp() + 1, "msg-中文-1", Decimal("0.30"), "GBP")
    attempts.set_paused(store.engine, "cubacel", True, T0.timestamp())
    yield app
    store.close()


def test_sqlite_to_postgresql_to_sqlite_keeps_every_row_and_file(source: Flask, tmp_path: Path,
                                                                  postgres: PostgresServer):
    first = tmp_path / "first.simfeed.tar.gz"
    code, output = run(source, "backup", str(first))
    assert code == 0, output
    assert output.startswith(f"wrote {first}: {tmp_path / 'source' / 'sims.toml'} (")
    assert "2 history files" not in output and "3 history files" in output  # two versions and history.json
    assert first.stat().st_mode & 0o777 == 0o600  # it holds the tokens

    on_postgres = cli_app(tmp_path / "pg", postgres.create_database())
    assert is_starter(tmp_path / "pg" / "sims.toml")  # a first start's file, as good as none
    code, output = run(on_postgres, "restore", str(first))
    assert code == 0, output
    assert "the log into PostgreSQL postgres@127.0.0.1" in output and PASSWORD not in output
    second = tmp_path / "second.simfeed.tar.gz"
    assert run(on_postgres, "backup", str(second))[0] == 0

    back = cli_app(tmp_path / "back")
    code, output = run(back, "restore", str(second))
    assert code == 0, output

    expected = rows(source)
    assert set(expected) == {t.name for t in db.copied_tables()}
    assert all(expected.values()), "every table has rows, so equal means something"
    assert rows(on_postgres) == expected
    assert rows(back) == expected
    # The SIM file and its history, byte for byte, under the name the editor looks for.
    assert owned(tmp_path / "back") == {name.replace(_key(tmp_path / "source"), _key(tmp_path / "back")): data
                                        for name, data in owned(tmp_path / "source").items()}
    assert ConfigFile(tmp_path / "back" / "sims.toml", tmp_path / "back").can_undo()
    # Ids go on after the restored ones on PostgreSQL too.
    assert service(on_postgres).store.add("cubacel", Renewal(date(2026, 11, 23)))[0].id == 4
    for app in (on_postgres, back):
        service(app).store.close()


def _key(folder: Path) -> str:
    from feed.config.watcher import file_key

    return file_key(folder / "sims.toml")


# ------------------------------------------------------------------ refused, nothing changed


def _rebuilt(archive: bytes, name: str, change: Callable[[bytes], bytes]) -> bytes:
    """The same archive, rebuilt whole (valid gzip and tar) with member `name`'s bytes changed."""
    out = io.BytesIO()
    with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as old, \
            tarfile.open(fileobj=out, mode="w:gz") as new:
        for info in old:
            data = old.extractfile(info).read()  # type: ignore[union-attr]
            if info.name == name:
                data = change(data)
            info.size = len(data)
            new.addfile(info, io.BytesIO(data))
    return out.getvalue()


def _tampered(archive: bytes) -> bytes:
    return _rebuilt(archive, "sims.toml", lambda data: data.replace(b"giffgaff", b"giffgafF"))


def _with_manifest(archive: bytes, change: Callable[[dict[str, Any]], None]) -> bytes:
    def changed(data: bytes) -> bytes:
        manifest = json.loads(data)
        change(manifest)
        return json.dumps(manifest).encode()

    return _rebuilt(archive, "manifest.json", changed)


def _with_log(archive: bytes, change: Callable[[dict[str, Any]], None]) -> bytes:
    """The log changed and the manifest's checksum made to match: what a newer version might write."""
    with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as tar:
        log = json.load(tar.extractfile("log.json"))  # type: ignore[arg-type]
    change(log)
    data = json.dumps(log).encode()
    rebuilt = _rebuilt(archive, "log.json", lambda _: data)
    return _with_manifest(rebuilt, lambda m: m["members"].update({"log.json": {
        "size": len(data), "sha256": hashlib.sha256(data).hexdigest()}}))


def _flip(data: bytes, at: int) -> bytes:
    return data[:at] + bytes([data[at] ^ 0x55]) + data[at + 1:]


DAMAGES: dict[str, tuple[Callable[[bytes], bytes], str]] = {
    "truncated-half": (lambda d: d[:len(d) // 2], "damaged or truncated, not a whole simfeed backup"),
    "truncated-tail": (lambda d: d[:-9], "damaged or truncated, not a whole simfeed backup"),
    "truncated-head": (lambda d: d[:20], "damaged or truncated, not a whole simfeed backup"),
    "empty": (lambda d: b"", "damaged or truncated, not a whole simfeed backup"),
    "byte-flipped": (lambda d: _flip(d, len(d) // 2), "damaged or truncated, not a whole simfeed backup"),
    "not-an-archive": (lambda d: b"[[sim]]\nid = 'x'\n", "damaged or truncated, not a whole simfeed backup"),
    "member-changed": (_tampered, "sims.toml does not match its checksum: the file is damaged"),
    "member-missing": (lambda d: _with_manifest(d, lambda m: m["members"].update(extra={"size": 1,
                                                                                         "sha256": "0"})),
                       "extra missing: the file is truncated or damaged"),
    "other-format": (lambda d: _with_manifest(d, lambda m: m.update(format="zip")), "not a simfeed backup"),
    "newer-version": (lambda d: _with_manifest(d, lambda m: m.update(version=2)),
                      "backup format version 2; this simfeed reads version 1"),
    "unknown-table": (lambda d: _with_log(d, lambda log: log["tables"].update(later=[])),
                      "table 'later' is not one this simfeed keeps"),
    "unknown-column": (lambda d: _with_log(d, lambda log: log["tables"]["renewals"][0].update(later=1)),
                       "table renewals: a row this simfeed cannot store"),
}


@pytest.mark.parametrize("damage", list(DAMAGES), ids=list(DAMAGES))
def test_a_damaged_archive_is_refused_in_one_line_and_nothing_changes(source: Flask, tmp_path: Path,
                                                                      damage: str):
    good = tmp_path / "good.tar.gz"
    assert run(source, "backup", str(good))[0] == 0
    make, message = DAMAGES[damage]
    bad = tmp_path / "bad.tar.gz"
    bad.write_bytes(make(good.read_bytes()))
    target = cli_app(tmp_path / "target")
    before_rows, before_files = rows(target), files(tmp_path / "target")
    for args in (["restore", str(bad)], ["restore", "--replace", str(bad)]):
        code, output = run(target, *args)
        assert code == 1
        assert output.startswith(f"Error: {bad}: ") and message in output, output
        assert output.endswith(": nothing was restored\n") and output.count("\n") == 1, output
    assert rows(target) == before_rows
    assert files(tmp_path / "target") == before_files
    service(target).store.close()


def test_a_target_with_a_sim_file_or_a_log_is_refused_unless_replace(source: Flask, tmp_path: Path):
    archive = tmp_path / "backup.tar.gz"
    assert run(source, "backup", str(archive))[0] == 0

    # A SIM file there already: refused before anything is written.
    has_file = tmp_path / "has-file"
    has_file.mkdir()
    (has_file / "sims.toml").write_text("# mine\n", encoding="utf-8")
    target = cli_app(has_file)
    before = rows(target)
    code, output = run(target, "restore", str(archive))
    assert (code, output) == (1, f"Error: {has_file / 'sims.toml'} exists: nothing was restored "
                                 "(restore --replace overwrites it and the log)\n")
    assert (has_file / "sims.toml").read_text(encoding="utf-8") == "# mine\n" and rows(target) == before

    # Renewals in the log: refused, and the SIM file is not written either.
    has_log = cli_app(tmp_path / "has-log")
    service(has_log).store.add("mine", Renewal(date(2026, 1, 1)))
    before = rows(has_log)
    code, output = run(has_log, "restore", str(archive))
    assert code == 1
    assert output == (f"Error: SQLite file {tmp_path / 'has-log' / 'simfeed.sqlite3'} is not empty (table "
                      "meta): nothing was restored (restore --replace overwrites it)\n")
    assert rows(has_log) == before and is_starter(tmp_path / "has-log" / "sims.toml")

    # --replace: everything as in the archive, and the log's generation moves on, so workers reload.
    generation = service(has_log).store.generation()
    code, output = run(has_log, "restore", "--replace", str(archive))
    assert code == 0, output
    restored = rows(has_log)
    expected = rows(source)
    del restored["meta"], expected["meta"]
    assert restored == expected
    assert service(has_log).store.generation() > generation
    assert owned(tmp_path / "has-log")["sims.toml"] == owned(tmp_path / "source")["sims.toml"]
    for app in (target, has_log):
        service(app).store.close()


def test_backup_while_the_log_is_unreachable_is_one_line_and_writes_nothing(tmp_path: Path,
                                                                            postgres: PostgresServer):
    (tmp_path / "sims.toml").write_text(BASIC, encoding="utf-8")
    app = cli_app(tmp_path, f"postgresql://simfeed:{PASSWORD}@127.0.0.1:1/nowhere")
    code, output = run(app, "backup", str(tmp_path / "b.tar.gz"))
    assert code == 1
    assert output.startswith("Error: PostgreSQL simfeed@127.0.0.1:1/nowhere is unavailable: ")
    assert output.endswith(": no backup written\n") and PASSWORD not in output
    assert not (tmp_path / "b.tar.gz").exists()


def test_a_written_archive_is_a_plain_tar_gz_with_its_manifest_first(source: Flask, tmp_path: Path):
    archive = tmp_path / "b.tar.gz"
    run(source, "backup", str(archive))
    with gzip.open(archive) as unzipped, tarfile.open(fileobj=unzipped) as tar:
        names = tar.getnames()
        manifest = json.load(tar.extractfile("manifest.json"))  # type: ignore[arg-type]
    assert names[:3] == ["manifest.json", "log.json", "sims.toml"] and len(names) == 6
    assert manifest["format"] == "simfeed-backup" and manifest["version"] == 1
    assert sorted(manifest["members"]) == sorted(names[1:])
    assert manifest["rows"]["renewals"] == 2
