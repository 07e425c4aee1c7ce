"""`backup FILE` and `restore FILE`: everything a user owns in one file, and back.

The archive's format and checks are feed/storage/backup.py; the SIM file and its history are read
and written through the editor's ConfigFile, under the lock its saves take.
"""

from __future__ import annotations

from datetime import UTC, datetime

import click
from flask import current_app
from flask.cli import with_appcontext

from .editing.configfile import ConfigFile
from .service import CopyRefused, LogUnavailable, Service
from .storage import backup, db

SIM_FILE = "sims.toml"
HISTORY = "history/"


def _service() -> Service:
    found: Service = current_app.extensions["simfeed"]
    return found


def _config_file() -> ConfigFile:
    return ConfigFile(_service().watcher.path, current_app.instance_path)


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{table} {count}" for table, count in counts.items())


@click.command("backup")
@click.argument("file", type=click.Path(dir_okay=False))
@with_appcontext
def backup_command(file: str) -> None:
    """Write the SIM file, its editing history and the whole log to FILE (one archive), while serving."""
    text, history = _config_file().contents()
    files = {SIM_FILE: text} if text is not None else {}
    files.update({HISTORY + name: data for name, data in history.items()})
    try:
        tables = backup.read_log(_service().store.engine)
        backup.write(file, files, tables, datetime.now(UTC))
    except LogUnavailable as error:
        raise click.ClickException(f"{error}: no backup written") from None
    except OSError as error:
        raise click.ClickException(f"{file}: cannot be written: {error.strerror or error}") from None
    sim_file = f"{_service().watcher.path} ({len(text)} bytes)" if text is not None else "no SIM file"
    click.echo(f"wrote {file}: {sim_file}, {len(history)} history files, "
               f"the log ({_counts({t: len(rows) for t, rows in tables.items()})})")


@click.command("restore")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--replace", is_flag=True, help="Overwrite the SIM file and the log that are there now.")
@with_appcontext
def restore_command(file: str, replace: bool) -> None:
    """Put back what `backup` wrote to FILE; refused where a SIM file or log entries exist, unless --replace.

    The whole archive is checked first: a damaged or truncated one changes nothing. The
    starter SIM file a first start writes, still unchanged, counts as no SIM file.
    """
    config_file = _config_file()
    store = _service().store
    try:
        found = backup.read(file)
        if not replace and config_file.path.exists() and _service().starter() is None:
            raise click.ClickException(f"{config_file.path} exists: nothing was restored "
                                       "(restore --replace overwrites it and the log)")
        counts = backup.restore_log(store.engine, found.tables, replace=replace)
    except (backup.BackupInvalid, LogUnavailable) as error:
        raise click.ClickException(f"{error}: nothing was restored") from None
    except CopyRefused as error:
        raise click.ClickException(f"{error} (restore --replace overwrites it)") from None
    history = {name.removeprefix(HISTORY): data for name, data in found.files.items()
               if name.startswith(HISTORY)}
    config_file.put_back(found.files.get(SIM_FILE), history)
    click.echo(f"restored {file} (made {found.created_at}): "
               + (f"{config_file.path}, " if SIM_FILE in found.files else "no SIM file in it, ")
               + f"{len(history)} history files, "
               f"the log into {db.describe(store.engine)} ({_counts(counts)})")
