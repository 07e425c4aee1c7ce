"""simfeed: prepaid SIM keep-alive deadlines as a subscribable iCalendar feed."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import click
from flask import Flask
from flask_wtf.csrf import generate_csrf
from werkzeug.middleware.proxy_fix import ProxyFix

from . import cli
from .config.load import ConfigError
from .config.starter import write_starter
from .config.watcher import ConfigWatcher
from .core import keys, parsers, tokens
from .core.model import LANGUAGES, ServerSettings
from .service import Service
from .service.admin_token import Source, admin_token
from .settings import SIM_FILE, Settings, SettingsError
from .storage.changes import WRITES_FILE
from .storage.db import BadDatabaseUrl, LogUnavailable
from .storage.store import RenewalStore
from .web import api, bodies, currencies, editor, errors, feeds, headers, i18n, pages, renewed, sessions
from .web.current import snapshot
from .web.throttle import Misses

# The settings a test's mapping may override (the rest of it goes to app.config).
SETTING_KEYS = frozenset({"SIMFEED_INSTANCE", "SIMFEED_CONFIG", "SIMFEED_DATABASE", "DATABASE_URL",
                          "SIMFEED_ADMIN_TOKEN", "SIMFEED_SECRET_KEY", "SIMFEED_PROXIES"})


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


def _prepare_data_folder(settings: Settings) -> None:
    """The data folder (owner-only), with a starter SIM file on a first start; an earlier
    version's config/sims.toml is used where it is, and the log says how to move it."""
    os.makedirs(settings.instance, mode=0o700, exist_ok=True)
    if settings.default_config and write_starter(settings.config, datetime.now(UTC).date()):
        logging.getLogger("feed").info("wrote a starter SIM file with examples to %s: make it yours",
                                       settings.config)
    if settings.legacy_config:
        logging.getLogger("feed").warning(
            "your SIMs are read from %s, where an earlier version kept them; move them into the data "
            "folder (mv %s %s) so that git pull never touches them", settings.config, settings.config,
            settings.instance / SIM_FILE)


def _sign_in_help(app: Flask, settings: Settings, server: ServerSettings | None, serving: bool) -> None:
    """With no admin token configured, make one in the data folder; a server says how to sign in.

    Like Jupyter, a start prints a sign-in address that carries the token (in the fragment,
    which browsers never send: it reaches no access log); a later start whose output is not
    a terminal says where the token is kept instead. A token from SIMFEED_ADMIN_TOKEN or
    [server] admin_token wins.
    """
    source = admin_token(server.admin_token if server is not None else None, settings.admin_token,
                         bool(app.config.get("SIMFEED_ADMIN_TOKEN_REFUSED"))).source
    if source in (Source.ENVIRONMENT, Source.REFUSED):
        return
    if source in (Source.CONFIG, Source.OFF):  # [server] sets a token, or "" for none at all
        app.config["SIMFEED_KEPT_TOKEN"] = keys.kept_admin_token(settings.instance)
        return
    token, made = keys.admin_token(settings.instance)
    app.config["SIMFEED_KEPT_TOKEN"] = token
    if not serving:
        return
    public = server.public_url if server is not None else None
    host = os.environ.get("HOST", "0.0.0.0")
    base = (public or f"http://{'127.0.0.1' if host in ('0.0.0.0', '::', '') else host}:"
            f"{os.environ.get('PORT', '8000')}").rstrip("/")
    where = settings.instance / keys.ADMIN_TOKEN_FILE
    # The token itself only where a person reads it: a terminal, or the very first start
    # (a container's or a unit's first log); otherwise where to find it.
    if made or sys.stderr.isatty():
        print(f"simfeed: the admin token is kept in {where}\n"
              f"simfeed: sign in at {base}/signin#token={token}\n"
              "simfeed: (`simfeed token --show` prints it again)", file=sys.stderr, flush=True)
    else:
        print(f"simfeed: sign in at {base}/signin with the admin token kept in {where} "
              "(`simfeed token --show` prints it)", file=sys.stderr, flush=True)


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app; a bad config stops it here, before any worker serves a request.

    Settings come from the environment (feed/settings.py lists each variable and its
    default; docs/configuration.md too); `test_config` overrides them and sets Flask keys.

    Debug mode is always off here, whatever FLASK_DEBUG says: a server must never show or
    propagate tracebacks. `flask run --debug` still turns it on for development.
    """
    given = dict(test_config or {})
    overrides = {k: given.pop(k) for k in list(given) if k in SETTING_KEYS}
    serving = click.get_current_context(silent=True) is None
    try:
        settings = Settings.from_env(overrides=overrides)
    except SettingsError as error:
        raise StartupError(f"invalid setting, not starting: {error}") from None
    app = Flask(__name__, instance_path=str(settings.instance), instance_relative_config=True)
    app.config.from_mapping(
        SIMFEED_CONFIG=str(settings.config),
        SIMFEED_ADMIN_TOKEN=settings.admin_token,
        SIMFEED_SECRET_KEY=settings.secret_key,
    )
    app.config.from_mapping(given)
    app.debug = False  # Flask reads FLASK_DEBUG from the environment; a server ignores it
    _configure_logging()
    if settings.proxies:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=settings.proxies, x_proto=settings.proxies, x_host=settings.proxies)
    _prepare_data_folder(settings)
    watcher = ConfigWatcher(settings.config, app.instance_path)
    try:
        # Every process on this data folder (workers, `simfeed renew`) shares one count of writes.
        store = RenewalStore(settings.database, writes=settings.instance / WRITES_FILE)
    except BadDatabaseUrl as error:
        raise StartupError(f"invalid setting, not starting: the database (SIMFEED_DATABASE or "
                           f"DATABASE_URL): {error}") from None
    app.extensions["simfeed"] = Service(watcher, store)
    refused = _admin_token_problems(app)
    if refused and serving:
        raise StartupError("invalid setting, not starting:\n" + "\n".join(refused))
    app.extensions["simfeed.refused_settings"] = refused
    server = None
    try:
        server = watcher.start().config.server
    except ConfigError as error:
        # The CLI must still run (`check` explains the problems); a server must not.
        if serving:
            raise StartupError("invalid config, not starting:\n" + str(error)) from None
    _sign_in_help(app, settings, server, serving)
    if serving:
        _migrate(store)

    _install_web(app)
    cli.init_app(app)
    return app
