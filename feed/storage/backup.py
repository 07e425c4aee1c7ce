"""One backup file: the files a user owns and every row of the log, checked whole before a restore.

The archive is a gzipped tar of named members: `log.json` (every copied table's rows, read in
one transaction: db.dump), the files given by the caller (the SIM file and its editing
history) and `manifest.json`, which holds the format's name and version and the size and
sha256 of every other member. Reading one verifies all of it, so a damaged or truncated file
is refused before anything is written; the rows then go in through db.load, in one transaction.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import re
import tarfile
import zlib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select, update

from ..core.files import atomic_write
from . import db
from .changes import announce
from .store import RenewalStore, meta

FORMAT = "simfeed-backup"
VERSION = 1
MANIFEST = "manifest.json"
LOG = "log.json"
# Members besides the two above: the SIM file and the history's files, by these names only.
_NAME = re.compile(r"(sims\.toml|history/[A-Za-z0-9][A-Za-z0-9._-]{0,200})")
# Far more than any real log; an archive that claims more is refused before it is unpacked.
MAX_BYTES = 1 << 30


class BackupInvalid(ValueError):
    """The file is not a whole simfeed backup: its one-line message says why; nothing was written."""


@dataclass(frozen=True)
class Backup:
    """What one archive holds: files by member name, and the log's rows by table."""

    files: dict[str, bytes]
    tables: dict[str, list[dict[str, Any]]]
    created_at: str


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read_log(engine: Engine) -> dict[str, list[dict[str, Any]]]:
    """Every copied table's rows, read in one transaction while the service carries on writing."""
    with db.unavailable_as_error(engine), db.reading(engine) as connection:
        return db.dump(connection)


def write(path: str | Path, files: dict[str, bytes], tables: dict[str, list[dict[str, Any]]],
          now: datetime) -> None:
    """Write the archive to `path` in one step, readable by its owner only (it holds the tokens)."""
    members = {LOG: json.dumps({"tables": tables}, ensure_ascii=False, indent=1).encode("utf-8"), **files}
    for name in members:
        if name != LOG and not _NAME.fullmatch(name):
            raise ValueError(f"not a member name a backup may hold: {name!r}")
    manifest = {"format": FORMAT, "version": VERSION, "created_at": now.isoformat(),
                "members": {name: {"size": len(data), "sha256": _digest(data)}
                            for name, data in members.items()},
                "rows": {table: len(rows) for table, rows in tables.items()}}
    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0) as zipped, \
            tarfile.open(fileobj=zipped, mode="w", format=tarfile.PAX_FORMAT) as archive:
        for name, data in [(MANIFEST, json.dumps(manifest, indent=1).encode()), *members.items()]:
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(data), 0o600, int(now.timestamp())
            archive.addfile(info, io.BytesIO(data))
    atomic_write(path, buffer.getvalue(), mode=0o600)


def read(path: str | Path) -> Backup:
    """The archive at `path`, every member checked against the manifest; BackupInvalid if anything is off."""
    where = str(path)
    try:
        members = _members(Path(path))
    except (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile) as error:  # BadGzipFile is an OSError
        raise BackupInvalid(f"{where}: damaged or truncated, not a whole simfeed backup ({error})") from None
    except OSError as error:
        raise BackupInvalid(f"{where}: cannot be read: {error.strerror or error}") from None
    try:
        manifest = json.loads(members.pop(MANIFEST))
        if manifest.get("format") != FORMAT:
            raise BackupInvalid(f"{where}: not a simfeed backup")
        if manifest.get("version") != VERSION:
            raise BackupInvalid(f"{where}: backup format version {manifest.get('version')!r}; "
                                f"this simfeed reads version {VERSION}")
        listed: dict[str, dict[str, Any]] = manifest["members"]
        for name, data in members.items():
            if name not in listed:
                raise BackupInvalid(f"{where}: {name} is not in the manifest")
            if listed[name]["size"] != len(data) or listed[name]["sha256"] != _digest(data):
                raise BackupInvalid(f"{where}: {name} does not match its checksum: the file is damaged")
        missing = sorted(set(listed) - set(members))
        if missing:
            raise BackupInvalid(f"{where}: {', '.join(missing)} missing: the file is truncated or damaged")
        tables = json.loads(members.pop(LOG))["tables"]
        _check_tables(where, tables)
        created = str(manifest["created_at"])
    except BackupInvalid:
        raise
    except KeyError as error:
        raise BackupInvalid(f"{where}: damaged: {error} missing (no manifest, or not a simfeed backup)") \
            from None
    except (ValueError, TypeError, AttributeError):  # JSON that does not parse, or not of this shape
        raise BackupInvalid(f"{where}: damaged: the manifest or the log cannot be read") from None
    return Backup(files=members, tables=tables, created_at=created)


def _members(path: Path) -> dict[str, bytes]:
    """Every member, read to the end of the file (gzip's own check covers a cut-off tail)."""
    found: dict[str, bytes] = {}
    total = 0
    with tarfile.open(path, mode="r:gz") as archive:
        for info in archive:
            if not info.isfile() or (info.name not in (MANIFEST, LOG) and not _NAME.fullmatch(info.name)):
                raise tarfile.TarError(f"unexpected member {info.name!r}")
            if info.name in found:
                raise tarfile.TarError(f"{info.name} twice")
            total += info.size
            if total > MAX_BYTES:
                raise tarfile.TarError("larger than any simfeed backup")
            handle = archive.extractfile(info)
            if handle is None:
                raise tarfile.TarError(f"unreadable member {info.name!r}")
            found[info.name] = handle.read()
        while archive.fileobj is not None and archive.fileobj.read(1 << 16):
            pass  # the rest of the stream, so a damaged or missing end is noticed
    if MANIFEST not in found or LOG not in found:
        raise tarfile.TarError("no manifest or no log")
    return found


def _check_tables(where: str, tables: Any) -> None:
    """Every table known and every row a mapping of its columns: what db.load can insert as it is."""
    if not isinstance(tables, dict):
        raise BackupInvalid(f"{where}: damaged: the log is not a set of tables")
    known = {table.name: table for table in db.copied_tables()}
    for name, rows in tables.items():
        table = known.get(name)
        if table is None:
            raise BackupInvalid(f"{where}: table {name!r} is not one this simfeed keeps (a newer version's?)")
        columns = set(table.columns.keys())
        for row in rows:
            if not isinstance(row, dict) or not set(row) <= columns:
                raise BackupInvalid(f"{where}: table {name}: a row this simfeed cannot store")


def restore_log(store: RenewalStore, tables: dict[str, list[dict[str, Any]]], *,
                replace: bool) -> dict[str, int]:
    """Put the archive's rows in the store's database in one transaction, as any write to the log
    is made; the rows restored, by table.

    Without `replace`, a database that holds anything a fresh one does not is refused
    (db.CopyRefused). With it, the rows are replaced, and the log's generation moves past the
    one it had, so every running worker notices the change.
    """
    with store.writing() as connection:
        if not replace:
            db.require_fresh(connection, store.engine, "restored")
        before = int(connection.execute(select(meta.c.value).where(meta.c.key == "generation")).scalar_one())
        counts = db.load(connection, tables, "restored")
        after = int(connection.execute(select(meta.c.value).where(meta.c.key == "generation")).scalar_one())
        if replace and after <= before:
            connection.execute(update(meta).where(meta.c.key == "generation").values(value=str(before + 1)))
        announce(connection)  # PostgreSQL's listening workers learn of it when this commits
    return counts

