"""simfeed: prepaid SIM keep-alive deadlines as a subscribable iCalendar feed."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Mapping
from typing import Any

import click
from flask import Flask

from .config import ConfigError
from .site import Site
from .store import RenewalStore
from .watcher import ConfigWatcher

DEFAULT_CONFIG = "config/sims.toml"


class StartupError(RuntimeError):
    """The app cannot start; gunicorn prints the message and exits non-zero."""


def _configure_logging() -> None:
    logger = logging.getLogger("feed")
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s [simfeed] %(levelname)s %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app; a bad config stops it here, before any worker serves a request.

    Settings (env or test_config): SIMFEED_CONFIG, the TOML file (default
    config/sims.toml); SIMFEED_INSTANCE, the folder for state such as the copy
    of the last good config (default: instance/ beside the package);
    SIMFEED_DATABASE, the renewal log (default instance/simfeed.sqlite3);
    SIMFEED_ADMIN_TOKEN, which opens the API and the page's forms (else [server]
    admin_token); SIMFEED_SECRET_KEY, which signs the page's session cookie (default: a
    key made once and kept in the instance folder).
    """
    settings = dict(test_config or {})
    instance = settings.pop("SIMFEED_INSTANCE", None) or os.environ.get("SIMFEED_INSTANCE") or None
    app = Flask(__name__, instance_path=os.path.abspath(instance) if instance else None,
                instance_relative_config=True)
    app.config.from_mapping(
        SIMFEED_CONFIG=os.environ.get("SIMFEED_CONFIG", DEFAULT_CONFIG),
        SIMFEED_DATABASE=os.environ.get("SIMFEED_DATABASE") or None,
        SIMFEED_ADMIN_TOKEN=os.environ.get("SIMFEED_ADMIN_TOKEN") or None,
        SIMFEED_SECRET_KEY=os.environ.get("SIMFEED_SECRET_KEY") or None,
    )
    app.config.from_mapping(settings)
    _configure_logging()
    os.makedirs(app.instance_path, exist_ok=True)

    watcher = ConfigWatcher(app.config["SIMFEED_CONFIG"], app.instance_path)
    store = RenewalStore(app.config["SIMFEED_DATABASE"]
                         or os.path.join(app.instance_path, "simfeed.sqlite3"))
    app.extensions["simfeed"] = Site(watcher, store)
    try:
        watcher.start()
    except ConfigError as error:
        # The CLI must still run (`check` explains the problems); a server must not.
        if click.get_current_context(silent=True) is None:
            raise StartupError("invalid config, not starting:\n" + str(error)) from None
        app.extensions["simfeed.startup_errors"] = error.problems

    from . import api, cli, pages, web

    app.register_blueprint(web.bp)
    app.register_blueprint(api.bp)
    pages.init_app(app)
    cli.init_app(app)
    return app
