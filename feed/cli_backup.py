"""`backup FILE` and `restore FILE`: everything a user owns in one file, and back.

The work is feed/service/backups.py; these commands translate its answers and errors into lines.
"""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from .editing.configfile import ConfigFile
from .service import CopyRefused, LogUnavailable, Service, backups


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
    try:
        done = backups.back_up(_service(), _config_file(), file)
    except LogUnavailable as error:
        raise click.ClickException(f"{error}: no backup written") from None
    except OSError as error:
        raise click.ClickException(f"{file}: cannot be written: {error.strerror or error}") from None
    sim_file = f"{done.sim_file} ({done.sim_bytes} bytes)" if done.sim_bytes is not None else "no SIM file"
    click.echo(f"wrote {file}: {sim_file}, {done.history} history files, the log ({_counts(done.counts)})")


@click.command("restore")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--replace", is_flag=True, help="Overwrite the SIM file and the log that are there now.")
@with_appcontext
def restore_command(file: str, replace: bool) -> None:
    """Put back what `backup` wrote to FILE; refused where a SIM file or log entries exist, unless --replace.

    The whole archive is checked first: a damaged or truncated one changes nothing. The
    starter SIM file a first start writes, still unchanged, counts as no SIM file.
    """
    try:
        done = backups.restore(_service(), _config_file(), file, replace)
    except backups.SimFileExists as error:
        raise click.ClickException(f"{error} exists: nothing was restored "
                                   "(restore --replace overwrites it and the log)") from None
    except (backups.BackupInvalid, LogUnavailable) as error:
        raise click.ClickException(f"{error}: nothing was restored") from None
    except CopyRefused as error:
        raise click.ClickException(f"{error} (restore --replace overwrites it)") from None
    click.echo(f"restored {file} (made {done.created_at}): "
               + (f"{done.sim_file}, " if done.sim_bytes is not None else "no SIM file in it, ")
               + f"{done.history} history files, the log into {done.database} ({_counts(done.counts)})")
