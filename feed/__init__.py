"""simfeed: prepaid SIM keep-alive deadlines as a subscribable iCalendar feed."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Mapping
from typing import Any

import click
from flask import Flask
from flask_wtf.csrf import generate_csrf
from werkzeug.middleware.proxy_fix import ProxyFix

from . import cli
from .config.load import ConfigError
from .config.watcher import ConfigWatcher
from .core import parsers, tokens
from .core.model import LANGUAGES
from .log.db import BadDatabaseUrl, LogUnavailable
from .log.store import RenewalStore
from .service import Service
from .web import api, bodies, currencies, editor, errors, feeds, headers, i18n, pages, renewed, sessions
from .web.current import snapshot
from .web.throttle import Misses

DEFAULT_CONFIG = "config/sims.toml"


class StartupError(RuntimeError):
    """The app cannot start; gunicorn prints the message and exits non-zero."""


def _configure_logging() -> None:
    logger = logging.getLogger("feed")
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s [simfeed] %(levelname)s %(message)s"))
        handler.addFilter(tokens.RedactingFilter())
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False


def _proxies(value: object) -> int:
    """SIMFEED_PROXIES as a count of trusted proxies; anything else stops the start-up."""
    text = str(value).strip()
    if not text.isascii() or not text.isdigit() or int(text) > 10:
        raise StartupError(f"SIMFEED_PROXIES must be the number of trusted proxies, 0 to 10, not {value!r}")
    return int(text)


def _admin_token_problems(app: Flask) -> list[str]:
    """SIMFEED_ADMIN_TOKEN held to the config's token rule; the problem names the variable, never the value.

    A refused token opens nothing: SIMFEED_ADMIN_TOKEN_REFUSED keeps the config's admin_token
    from standing in for it while `flask run` or a CLI command carries on.
    """
    given = app.config.get("SIMFEED_ADMIN_TOKEN")
    if not given:  # unset or empty: [server] admin_token decides
        return []
    try:
        parsers.token(given)
    except parsers.Invalid as problem:
        app.config.update(SIMFEED_ADMIN_TOKEN=None, SIMFEED_ADMIN_TOKEN_REFUSED=True)
        return [f"SIMFEED_ADMIN_TOKEN (environment): {problem}"]
    return []


def _migrate(store: RenewalStore) -> None:
    """`db upgrade` at start-up, in the master before gunicorn forks; the workers open their own pools."""
    try:
        store.engine  # noqa: B018 - made and migrated on first use
    except LogUnavailable as error:
        raise StartupError(f"the renewal log cannot be opened, not starting: {error}") from None
    store.close()


def _install_web(app: Flask) -> None:
    """Everything the app serves with: blueprints, sessions, languages, CSRF, security headers."""
    # Failed-token counts in the renewal log's database, shared by every worker and instance.
    app.extensions["simfeed.misses"] = Misses(lambda: app.extensions["simfeed"].store.engine)
    sessions.init_app(app, lambda: snapshot().config.server.public_url)
    i18n.init_app(app, lambda: snapshot().config.calendar.language)
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)  # the token lives as long as the session
    app.jinja_env.globals.update(csrf_token=generate_csrf, languages=LANGUAGES, currencies=currencies.options)
    app.after_request(headers.security_headers)
    bodies.init_app(app)  # 413 for a body larger than any form or API call sends
    errors.init_app(app)  # every error answer, for every blueprint
    app.register_blueprint(feeds.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(pages.bp)
    app.register_blueprint(editor.bp)
    app.register_blueprint(renewed.bp)  # the reminders' one-tap link


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app; a bad config stops it here, before any worker serves a request.

    Settings (env or test_config): SIMFEED_CONFIG, the TOML file (default
    config/sims.toml); SIMFEED_INSTANCE, the folder for state such as the copy
    of the last good config (default: instance/ beside the package);
    SIMFEED_DATABASE, the renewal log, an SQLite path or a database URL (else DATABASE_URL, as
    platforms with a managed PostgreSQL set it; default instance/simfeed.sqlite3);
    SIMFEED_ADMIN_TOKEN, which opens the API and the page's forms (else [server]
    admin_token; held to the same rule as config tokens); SIMFEED_SECRET_KEY, which signs
    the page's session cookie (default: a key made once and kept in the instance folder);
    SIMFEED_PROXIES, how many reverse proxies in front are trusted for X-Forwarded-For,
    -Proto and -Host (default 0: none, the headers are ignored; 1 behind one proxy that ends
    TLS, so Secure cookies work).

    Debug mode is always off here, whatever FLASK_DEBUG says: a server must never show or
    propagate tracebacks. `flask run --debug` still turns it on for development.
    """
    settings = dict(test_config or {})
    instance = settings.pop("SIMFEED_INSTANCE", None) or os.environ.get("SIMFEED_INSTANCE") or None
    app = Flask(__name__, instance_path=os.path.abspath(instance) if instance else None,
                instance_relative_config=True)
    app.config.from_mapping(
        SIMFEED_CONFIG=os.environ.get("SIMFEED_CONFIG", DEFAULT_CONFIG),
        SIMFEED_DATABASE=os.environ.get("SIMFEED_DATABASE") or os.environ.get("DATABASE_URL") or None,
        SIMFEED_ADMIN_TOKEN=os.environ.get("SIMFEED_ADMIN_TOKEN") or None,
        SIMFEED_SECRET_KEY=os.environ.get("SIMFEED_SECRET_KEY") or None,
    )
    app.config.from_mapping(settings)
    app.debug = False  # Flask reads FLASK_DEBUG from the environment; a server ignores it
    _configure_logging()
    proxies = _proxies(app.config.get("SIMFEED_PROXIES", os.environ.get("SIMFEED_PROXIES", "0")))
    if proxies:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)
    os.makedirs(app.instance_path, exist_ok=True)

    watcher = ConfigWatcher(app.config["SIMFEED_CONFIG"], app.instance_path)
    try:
        store = RenewalStore(app.config["SIMFEED_DATABASE"]
                             or os.path.join(app.instance_path, "simfeed.sqlite3"))
    except BadDatabaseUrl as error:
        raise StartupError(f"invalid setting, not starting: the database (SIMFEED_DATABASE or "
                           f"DATABASE_URL): {error}") from None
    app.extensions["simfeed"] = Service(watcher, store)
    serving = click.get_current_context(silent=True) is None
    refused = _admin_token_problems(app)
    if refused and serving:
        raise StartupError("invalid setting, not starting:\n" + "\n".join(refused))
    app.extensions["simfeed.refused_settings"] = refused
    try:
        watcher.start()
    except ConfigError as error:
        # The CLI must still run (`check` explains the problems); a server must not.
        if serving:
            raise StartupError("invalid config, not starting:\n" + str(error)) from None
        app.extensions["simfeed.startup_errors"] = error.problems
    if serving:
        _migrate(store)

    _install_web(app)
    cli.init_app(app)
    return app
