"""Everything a user owns in one file, and back: the SIM file, its editing history and the whole log.

The archive's format and checks are storage/backup.py; the SIM file and its history are read
and written through the editor's ConfigFile, under the lock its saves take.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..editing.configfile import ConfigFile
from ..storage import backup, db
from ..storage.backup import BackupInvalid as BackupInvalid
from .usecases import Service

SIM_FILE = "sims.toml"
HISTORY = "history/"


class SimFileExists(FileExistsError):
    """A restore without --replace where a SIM file (not the untouched starter) is already in place."""


@dataclass(frozen=True)
class Archived:
    """What a backup wrote or a restore put back: the SIM file's size (None: none), the number of
    history files, the log's rows by table, and which database holds the log (no password)."""

    sim_file: Path
    sim_bytes: int | None
    history: int
    counts: dict[str, int]
    database: str
    # A restore's: when the archive was made.
    created_at: str | None = None


def back_up(service: Service, config_file: ConfigFile, path: str) -> Archived:
    """Write the SIM file, its history and the log to one archive at `path`, while serving.

    Raises LogUnavailable or OSError (nothing written)."""
    text, history = config_file.contents()
    files = {SIM_FILE: text} if text is not None else {}
    files.update({HISTORY + name: data for name, data in history.items()})
    tables = backup.read_log(service.store.engine)
    backup.write(path, files, tables, service.clock())
    return Archived(config_file.path, len(text) if text is not None else None, len(history),
                    {table: len(rows) for table, rows in tables.items()}, db.describe(service.store.engine))


def restore(service: Service, config_file: ConfigFile, path: str, replace: bool) -> Archived:
    """Put back what `back_up` wrote; the whole archive is checked first, a damaged one changes nothing.

    Raises BackupInvalid, LogUnavailable, SimFileExists, or CopyRefused (the log holds entries):
    both unless `replace`. The starter a first start writes, still unchanged, counts as no SIM file.
    """
    found = backup.read(path)
    if not replace and config_file.path.exists() and service.starter() is None:
        raise SimFileExists(str(config_file.path))
    counts = backup.restore_log(service.store, found.tables, replace=replace)
    history = {name.removeprefix(HISTORY): data for name, data in found.files.items()
               if name.startswith(HISTORY)}
    sim_file = found.files.get(SIM_FILE)
    config_file.put_back(sim_file, history)
    return Archived(config_file.path, len(sim_file) if sim_file is not None else None, len(history), counts,
                    db.describe(service.store.engine), found.created_at)
