"""The `simfeed` command: `simfeed serve` and every command of the app's CLI.

`simfeed X` is `flask --app feed X` (both keep working); `serve` runs gunicorn with the
project's settings (feed/gunicorn.conf.py), as the Procfile, the container and the
systemd units do.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click
from flask.cli import FlaskGroup

from . import create_app

GUNICORN_CONF = Path(__file__).with_name("gunicorn.conf.py")


@click.command("serve", context_settings={"ignore_unknown_options": True, "help_option_names": ["--help"]})
@click.argument("gunicorn_args", nargs=-1, type=click.UNPROCESSED)
def serve_command(gunicorn_args: tuple[str, ...]) -> None:
    """Serve the page, feeds and API with gunicorn.

    It listens on HOST (default 0.0.0.0) and PORT (default 8000) with WEB_CONCURRENCY
    workers (default 2); GUNICORN_ARGS are passed on to gunicorn. gunicorn replaces this
    process, so a signal to it (Ctrl-C, SIGTERM) stops the server.
    """
    argv = [sys.executable, "-m", "gunicorn", "-c", str(GUNICORN_CONF), *gunicorn_args, "feed:create_app()"]
    os.execv(sys.executable, argv)


main = FlaskGroup(name="simfeed", create_app=create_app, add_default_commands=False, add_version_option=False,
                  help="Keep prepaid SIM numbers alive: deadlines as a calendar feed, reminders, a page.\n\n"
                       "Settings are environment variables (SIMFEED_INSTANCE, the data folder, and others: "
                       "docs/configuration.md).")
# The app is always simfeed's: flask's --app, --env-file and --debug options would only confuse here.
main.params = [param for param in main.params if param.name not in {"app", "env_file", "debug"}]
main.add_command(serve_command)
