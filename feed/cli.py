"""Flask commands: check a config, export the feed for static hosting."""

from __future__ import annotations

import os
import tempfile
import unicodedata
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from . import ical
from .config import ConfigError, load_config
from .deadlines import deadline_for
from .model import Config


def _load_or_exit(path: str) -> Config:
    try:
        return load_config(path)
    except ConfigError as error:
        for line in error.problems:
            click.echo(line, err=True)
        raise SystemExit(1) from None


def _width(text: str) -> int:
    """Columns a string takes in a terminal: Chinese characters take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _table(rows: Sequence[Sequence[str]]) -> str:
    widths = [max(_width(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(cell + " " * (w - _width(cell)) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    )


@click.command("check")
@click.argument("file", required=False)
@with_appcontext
def check_command(file: str | None) -> None:
    """Validate the config and list upcoming deadlines, soonest first."""
    config = _load_or_exit(file or current_app.config["SIMFEED_CONFIG"])
    today = datetime.now(config.calendar.timezone).date()
    deadlines = sorted((deadline_for(sim, config.calendar) for sim in config.sims),
                       key=lambda d: (d.due, d.sim.id))
    rows = [("ID", "NAME", "LAST RENEWAL", "DEADLINE", "DAYS LEFT", "RECOVERABLE UNTIL")]
    for d in deadlines:
        last = d.last_renewal.date.isoformat() if d.last_renewal else "-"
        grace = d.grace_until.isoformat() if d.grace_until else "-"
        rows.append((d.sim.id, d.sim.label, last, d.due.isoformat(), str(d.days_left(today)), grace))
    click.echo(f"{config.source}: OK, {len(config.sims)} SIMs (today is {today.isoformat()} "
               f"in {config.calendar.timezone.key})")
    if deadlines:
        click.echo(_table(rows))


@click.command("export")
@click.argument("file", type=click.Path(dir_okay=False, writable=True))
@with_appcontext
def export_command(file: str) -> None:
    """Write the feed to FILE, replacing it in one step, for static hosting."""
    config = _load_or_exit(current_app.config["SIMFEED_CONFIG"])
    body = ical.render(config)
    target = Path(file)
    fd, temp = tempfile.mkstemp(dir=target.parent if str(target.parent) else ".", prefix=".simfeed-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(body)
        os.chmod(temp, 0o644)
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    click.echo(f"wrote {len(body)} bytes, {len(config.sims)} SIMs, to {file}")


def init_app(app: Flask) -> None:
    app.cli.add_command(check_command)
    app.cli.add_command(export_command)
